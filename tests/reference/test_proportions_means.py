"""Proportion and mean intervals pinned to R 4.2 (base stats and survey).

Values were printed with ``options(digits = 15)``.
"""

from __future__ import annotations

import pytest

from cxresearch.stats.intervals import proportion_interval, t_interval
from cxresearch.stats.metrics import ces, csat, mean_rating, top_box

# 37 of 52 CSAT answers are 4 or 5
CSAT_52 = [5] * 20 + [4] * 17 + [3] * 8 + [2] * 4 + [1] * 3


def test_wilson_matches_prop_test():
    # R: prop.test(37, 52, correct = FALSE)$conf.int -> 0.577272119633157 0.816700395852901
    est = csat(CSAT_52)
    assert est.value == pytest.approx(100 * 37 / 52, abs=1e-10)
    assert est.ci_low == pytest.approx(57.7272119633157, abs=1e-8)
    assert est.ci_high == pytest.approx(81.6700395852901, abs=1e-8)
    assert (est.n, est.metric, est.method) == (52, "csat_top2", "wilson")


def test_wilson_90_matches_prop_test():
    # R: prop.test(37, 52, correct = FALSE, conf.level = 0.9)$conf.int
    #    -> 0.599782549150004 0.802370479792313
    est = csat(CSAT_52, confidence=0.90)
    assert est.ci_low == pytest.approx(59.9782549150004, abs=1e-8)
    assert est.ci_high == pytest.approx(80.2370479792313, abs=1e-8)


def test_wald_matches_r_formula():
    # R: z <- qnorm(0.975); p <- 37/52; p + c(-1, 1) * z * sqrt(p * (1 - p) / 52)
    #    -> 0.588401178427695 0.834675744649228
    est = csat(CSAT_52, method="wald")
    assert est.ci_low == pytest.approx(58.8401178427695, abs=1e-8)
    assert est.ci_high == pytest.approx(83.4675744649228, abs=1e-8)


def test_agresti_coull_matches_r_formula():
    # Agresti & Coull (1998): ñ = n + z², p̃ = (x + z²/2) / ñ, p̃ ± z·sqrt(p̃(1 − p̃)/ñ)
    # R: nt <- 52 + z^2; pt <- (37 + z^2/2) / nt; pt + c(-1, 1) * z * sqrt(pt * (1 - pt) / nt)
    #    -> 0.576451310120714 0.817521205365344
    est = csat(CSAT_52, method="agresti-coull")
    assert est.ci_low == pytest.approx(57.6451310120714, abs=1e-8)
    assert est.ci_high == pytest.approx(81.7521205365344, abs=1e-8)


def test_ces_and_top_box_share_the_wilson_interval():
    # 37 "easy" (5–7) of 52 CES answers: same prop.test values as above
    scores = [7] * 10 + [6] * 15 + [5] * 12 + [4] * 5 + [2] * 10
    for est in (ces(scores), top_box(scores, top=(5, 6, 7), metric="easy")):
        assert est.ci_low == pytest.approx(57.7272119633157, abs=1e-8)
        assert est.ci_high == pytest.approx(81.6700395852901, abs=1e-8)
    assert ces(scores).metric == "ces_easy"


def test_wald_interval_is_clipped_to_0_100():
    # 1 of 3: Wald 1/3 ± 1.96·sqrt(2/27) = (-0.200, 0.867): the lower bound is clipped to 0
    low, high = proportion_interval(1 / 3, 3, method="wald")
    assert float(low) == 0.0
    assert float(high) == pytest.approx(100 * (1 / 3 + 1.959963984540054 * (2 / 27) ** 0.5))


RATINGS = [7, 5, 6, 8, 9, 4, 6, 7, 8, 5, 10, 6]


def test_t_interval_matches_t_test():
    # R: x <- c(7, 5, 6, 8, 9, 4, 6, 7, 8, 5, 10, 6); t.test(x)$conf.int
    #    -> 5.62885847922882 7.87114152077118
    est = mean_rating(RATINGS, scale=(0, 10), method="t")
    assert est.value == pytest.approx(81 / 12, abs=1e-12)
    assert est.ci_low == pytest.approx(5.62885847922882, abs=1e-10)
    assert est.ci_high == pytest.approx(7.87114152077118, abs=1e-10)
    assert (est.method, est.metric, est.n) == ("t", "mean", 12)


def test_t_interval_function_directly():
    # Same numbers from summary statistics: mean 6.75, sd(x) = 1.76454990398015 (R: sd(x))
    low, high = t_interval(6.75, 1.76454990398015, 12)
    assert float(low) == pytest.approx(5.62885847922882, abs=1e-10)
    assert float(high) == pytest.approx(7.87114152077118, abs=1e-10)


def test_weighted_mean_matches_r_survey_point_estimate():
    # R: svymean(~s, svydesign(ids = ~1, weights = ~w, data = data.frame(s, w)))
    #    -> mean 6.405063291139 (weighted.mean(s, w) -> 6.40506329113924)
    s = [10, 9, 0, 7, 8, 6, 10, 3, 9, 9, 5, 10, 7, 2, 9, 10, 8, 4, 10, 9]
    w = [1.2, 0.8, 2.5, 1.0, 0.6, 1.9, 0.7, 1.4, 1.1, 0.9, 2.2, 0.5, 1.3, 1.7, 0.8, 1.0]
    w += [1.6, 0.4, 1.2, 0.9]
    est = mean_rating(s, weights=w)
    assert est.value == pytest.approx(6.40506329113924, abs=1e-12)
    assert est.n_effective == pytest.approx(16.4960352422907, abs=1e-10)
