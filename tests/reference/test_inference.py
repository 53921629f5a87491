"""Tests of differences pinned to R 4.2 (base R and formulas written out in R).

R values were printed with ``options(digits = 15)``; the NPS package was sourced as
described in tests/reference/test_nps.py.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cxresearch.stats.inference import compare_samples, compare_to_target, compare_waves, hedges_g

X = [7, 5, 6, 8, 9, 4, 6, 7, 8, 5, 10, 6]
Y = [4, 6, 5, 3, 7, 5, 4, 6, 2, 5, 6, 4, 5, 3, 8]


def test_one_sample_t_matches_t_test():
    # R: r <- t.test(x, mu = 6); r$statistic 1.472373326191028, r$parameter 11,
    #    r$p.value 0.168946119416152, r$conf.int 5.62885847922882 7.87114152077118
    res = compare_to_target(X, 6, metric="mean", method="t")
    assert res.difference == pytest.approx(0.75, abs=1e-12)
    assert res.statistic == pytest.approx(1.472373326191028, abs=1e-10)
    assert res.pvalue == pytest.approx(0.168946119416152, abs=1e-10)
    assert res.ci_low == pytest.approx(5.62885847922882 - 6, abs=1e-10)
    assert res.ci_high == pytest.approx(7.87114152077118 - 6, abs=1e-10)
    # Cohen's d = (mean − mu) / sd(x); R: (mean(x) - 6) / sd(x) = 0.425037
    assert res.effect_size == pytest.approx(0.75 / np.std(X, ddof=1), abs=1e-12)
    assert (res.n_a, res.n_b, res.effect_size_name) == (12, 0, "Cohen's d")


def test_one_sample_t_greater_matches_t_test():
    # R: t.test(x, mu = 6, alternative = "greater"): p 0.0844730597080759,
    #    conf.int 5.83520917211096 Inf
    res = compare_to_target(X, 6, metric="mean", alternative="greater", method="t")
    assert res.pvalue == pytest.approx(0.0844730597080759, abs=1e-10)
    assert res.ci_low == pytest.approx(5.83520917211096 - 6, abs=1e-10)
    assert res.ci_high == math.inf


def test_welch_matches_t_test():
    # R: r <- t.test(x, y, var.equal = FALSE): t 2.87329811766927, df 22.5412928513504,
    #    p 0.00869559506370731, conf.int 0.525881612391198 3.240785054275469
    res = compare_samples(X, Y, metric="mean")
    assert res.difference == pytest.approx(6.75 - 73 / 15, abs=1e-12)
    assert res.statistic == pytest.approx(2.87329811766927, abs=1e-10)
    assert res.pvalue == pytest.approx(0.00869559506370731, abs=1e-10)
    assert res.ci_low == pytest.approx(0.525881612391198, abs=1e-10)
    assert res.ci_high == pytest.approx(3.240785054275469, abs=1e-10)
    assert res.test == "Welch two-sample t test"


def test_welch_less_matches_t_test():
    # R: t.test(x, y, var.equal = FALSE, alternative = "less"): p 0.995652202468146,
    #    conf.int -Inf 3.00766778295415
    res = compare_samples(X, Y, metric="mean", alternative="less")
    assert res.pvalue == pytest.approx(0.995652202468146, abs=1e-10)
    assert res.ci_low == -math.inf
    assert res.ci_high == pytest.approx(3.00766778295415, abs=1e-10)


def test_weighted_welch_with_equal_weights_equals_unweighted():
    res = compare_samples(X, Y, metric="mean", weights_a=[2.0] * 12, weights_b=[0.5] * 15)
    assert res.statistic == pytest.approx(2.87329811766927, abs=1e-10)
    assert res.pvalue == pytest.approx(0.00869559506370731, abs=1e-10)
    assert res.ci_low == pytest.approx(0.525881612391198, abs=1e-10)


def test_hedges_g_matches_formula_and_pingouin():
    # R: sp <- sqrt((11 * var(x) + 14 * var(y)) / 25); d <- (mean(x) - mean(y)) / sp
    #    g <- d * (1 - 3 / (4 * 27 - 9)); se <- sqrt(27 / (12 * 15) + g^2 / (2 * 27))
    #    g + c(-1, 1) * qt(0.975, 25) * se
    sp = math.sqrt((11 * np.var(X, ddof=1) + 14 * np.var(Y, ddof=1)) / 25)
    g = (np.mean(X) - np.mean(Y)) / sp * (1 - 3 / (4 * 27 - 9))
    est = hedges_g(X, Y)
    assert est.value == pytest.approx(g, abs=1e-12)
    assert compare_samples(X, Y, metric="mean").effect_size == pytest.approx(g, abs=1e-12)
    pg = pytest.importorskip("pingouin")
    assert est.value == pytest.approx(pg.compute_effsize(X, Y, eftype="hedges"), abs=1e-12)
    ci = pg.compute_esci(est.value, nx=12, ny=15, eftype="hedges", decimals=12)
    assert (est.ci_low, est.ci_high) == pytest.approx(tuple(ci), abs=1e-10)


def _csat(top: int, n: int) -> list[int]:
    return [5] * top + [2] * (n - top)


# Agresti–Caffo (2000) in R, one success and one failure added to each sample:
# ac <- function(x1, n1, x2, n2, alt = "two.sided", conf = .95) {
#   p1 <- (x1 + 1) / (n1 + 2); p2 <- (x2 + 1) / (n2 + 2)
#   se <- sqrt(p1 * (1 - p1) / (n1 + 2) + p2 * (1 - p2) / (n2 + 2)); z <- (p1 - p2) / se
#   p <- if (alt == "two.sided") 2 * pnorm(-abs(z)) else pnorm(z, lower.tail = FALSE)
#   q <- qnorm(if (alt == "two.sided") .5 + conf / 2 else conf)
#   c(z = z, p = p, lo = 100 * (p1 - p2 - q * se), hi = 100 * (p1 - p2 + q * se)) }


def test_two_proportion_matches_agresti_caffo():
    # R: ac(56, 70, 48, 80) -> z 2.68572353830575050, p 0.00723729446728251,
    #    lo 5.24529266380537340, hi 33.57584554757674056
    res = compare_samples(_csat(56, 70), _csat(48, 80), metric="csat")
    assert res.difference == pytest.approx(20.0, abs=1e-10)
    assert res.statistic == pytest.approx(2.68572353830575050, abs=1e-10)
    assert res.pvalue == pytest.approx(0.00723729446728251, abs=1e-12)
    assert res.ci_low == pytest.approx(5.24529266380537340, abs=1e-8)
    assert res.ci_high == pytest.approx(33.57584554757674056, abs=1e-8)
    assert res.test == "two-proportion z test, Agresti-Caffo"
    # R: ac(56, 70, 48, 80, "greater") -> p 0.00361864723364125, lo 7.52269437126133766
    res_g = compare_samples(_csat(56, 70), _csat(48, 80), metric="csat", alternative="greater")
    assert res_g.pvalue == pytest.approx(0.00361864723364125, abs=1e-12)
    assert res_g.ci_low == pytest.approx(7.52269437126133766, abs=1e-8)
    assert res_g.ci_high == math.inf
    # Cohen's h = 2·asin(sqrt(.8)) − 2·asin(sqrt(.6)) (Cohen 1988, ch. 6)
    h = 2 * math.asin(math.sqrt(0.8)) - 2 * math.asin(math.sqrt(0.6))
    assert res.effect_size == pytest.approx(h, abs=1e-12)


def test_one_sample_proportion_matches_prop_test():
    # R: prop.test(37, 52, p = 0.6, correct = FALSE): X-squared 2.69551282051282,
    #    p 0.100631106748073, conf.int 0.577272119633157 0.816700395852901
    res = compare_to_target(_csat(37, 52), 60, metric="csat")
    assert res.test == "one-sample score test, Wilson interval"
    assert res.statistic**2 == pytest.approx(2.69551282051282, abs=1e-10)
    assert res.pvalue == pytest.approx(0.100631106748073, abs=1e-12)
    assert res.ci_low == pytest.approx(57.7272119633157 - 60, abs=1e-8)
    assert res.ci_high == pytest.approx(81.6700395852901 - 60, abs=1e-8)
    # alternative = "greater": p 0.0503155533740363, conf.int 0.599782549150004 1
    res_g = compare_to_target(_csat(37, 52), 60, metric="csat", alternative="greater")
    assert res_g.pvalue == pytest.approx(0.0503155533740363, abs=1e-12)
    assert res_g.ci_low == pytest.approx(59.9782549150004 - 60, abs=1e-8)


def test_small_sample_proportion_is_the_score_test_its_interval_inverts():
    # The exact binomial test is not the inversion of the Clopper–Pearson interval, so a
    # small sample uses the same score test / Wilson pair as any other.
    # R: prop.test(7, 10, p = 0.6, correct = FALSE): X-squared 0.416666666666667,
    #    p 0.518605016428726, conf.int 0.396778147461145 0.892208732593699
    res = compare_to_target(_csat(7, 10), 60, metric="csat")
    assert res.statistic**2 == pytest.approx(0.416666666666667, abs=1e-10)
    assert res.pvalue == pytest.approx(0.518605016428726, abs=1e-12)
    assert res.ci_low == pytest.approx(39.6778147461145 - 60, abs=1e-8)
    assert res.ci_high == pytest.approx(89.2208732593699 - 60, abs=1e-8)


NPS_A = [10] * 60 + [7] * 25 + [0] * 15  # 60 / 25 / 15
NPS_B = [10] * 40 + [8] * 30 + [3] * 30  # 40 / 30 / 30


# Adjusted Wald (Rocks 2016; his package's pseudo-observations 3/4, 3/2, 3/4) in R:
# adj <- function(d, pa, pr) { n <- d + pa + pr; p <- (pr + .75) / (n + 3)
#   q <- (d + .75) / (n + 3); c(c = p - q, se = sqrt((p + q - (p - q)^2) / (n + 3))) }


def test_two_sample_nps_is_the_adjusted_wald_pair():
    # R: a <- adj(15, 25, 60); b <- adj(30, 30, 40); se <- sqrt(a[2]^2 + b[2]^2)
    #    z <- (a[1] - b[1]) / se -> 3.10124652517488375; 2 * pnorm(-abs(z))
    #    -> 0.00192707779970172; 100 * (a[1] - b[1] -/+ qnorm(.975) * se)
    #    -> 12.50511535949743092 55.45604968904625309
    res = compare_samples(NPS_A, NPS_B)
    assert res.difference == pytest.approx(35.0, abs=1e-10)
    assert res.statistic == pytest.approx(3.10124652517488375, abs=1e-9)
    assert res.pvalue == pytest.approx(0.00192707779970172, abs=1e-12)
    assert res.ci_low == pytest.approx(12.50511535949743092, abs=1e-9)
    assert res.ci_high == pytest.approx(55.45604968904625309, abs=1e-9)
    assert (res.estimate_a, res.estimate_b) == pytest.approx((45.0, 10.0))
    # Effect size: 35 / pooled SD (ddof 1) of the answers coded +100 / 0 / −100, by hand
    coded_a = np.where(np.asarray(NPS_A) >= 9, 100, np.where(np.asarray(NPS_A) <= 6, -100, 0))
    coded_b = np.where(np.asarray(NPS_B) >= 9, 100, np.where(np.asarray(NPS_B) <= 6, -100, 0))
    pooled = math.sqrt((99 * coded_a.var(ddof=1) + 99 * coded_b.var(ddof=1)) / 198)
    assert res.effect_size == pytest.approx(35 / pooled, abs=1e-12)


def test_one_sample_nps_is_the_adjusted_wald_pair():
    # Against a target the pivot is referred to t on the design's df, n − 1 = 99
    # (stats/registry.py; was pnorm: 0.0614532000566879).
    # R: t1 <- (a[1] - .30) / a[2] -> 1.870220528990127; 2 * pt(-abs(t1), 99)
    #    -> 0.06440756824305652
    res = compare_to_target(NPS_A, 30)
    assert res.difference == pytest.approx(15.0, abs=1e-10)
    assert res.statistic == pytest.approx(1.8702205289901268, abs=1e-9)
    assert res.pvalue == pytest.approx(0.06440756824305652, abs=1e-12)
    assert res.df == 99.0
    assert res.n_b == 0 and res.estimate_b == 30


def _wave_frame() -> pd.DataFrame:
    # segment x: 48/80, 56/70, 37/52 top-2 answers in Q1, Q2, Q3; segment y: 30/60, 33/60, 45/60
    parts = []
    for seg, counts in {
        "x": [(48, 80), (56, 70), (37, 52)],
        "y": [(30, 60), (33, 60), (45, 60)],
    }.items():
        for wave, (top, n) in zip(["Q1", "Q2", "Q3"], counts, strict=True):
            parts.append(pd.DataFrame({"segment": seg, "wave": wave, "csat": _csat(top, n)}))
    return pd.concat(parts, ignore_index=True)


def test_compare_waves_adjustments_match_p_adjust():
    # R: p <- c(ac(56, 70, 48, 80)["p"], ac(37, 52, 56, 70)["p"], ac(33, 60, 30, 60)["p"],
    #           ac(45, 60, 33, 60)["p"])
    #    -> 0.00723729446728251 0.26207963832304920 0.58914055966953915 0.02145931334254588
    #    p.adjust(p, "holm") -> 0.0289491778691300 0.5241592766460984 0.5891405596695392
    #                           0.0643779400276376
    #    p.adjust(p, "BH")   -> 0.0289491778691300 0.3494395177640656 0.5891405596695392
    #                           0.0429186266850918
    expected_p = [
        0.00723729446728251,
        0.26207963832304920,
        0.58914055966953915,
        0.02145931334254588,
    ]
    holm = [0.0289491778691300, 0.5241592766460984, 0.5891405596695392, 0.0643779400276376]
    bh = [0.0289491778691300, 0.3494395177640656, 0.5891405596695392, 0.0429186266850918]
    for adjust, expected in (("holm", holm), ("bh", bh)):
        out = compare_waves(
            _wave_frame(), "csat", waves=["Q1", "Q2", "Q3"], by="segment", adjust=adjust
        )
        assert out["pvalue"].tolist() == pytest.approx(expected_p, abs=1e-12)
        assert out["pvalue_adjusted"].tolist() == pytest.approx(expected, abs=1e-12)
        # The intervals are at the level that reproduces the adjusted verdicts.
        for _, row in out.iterrows():
            assert row["significant"] == (not row["ci_low"] <= 0 <= row["ci_high"])
    assert out["wave"].tolist() == ["Q2", "Q3", "Q2", "Q3"]
    assert out["previous_wave"].tolist() == ["Q1", "Q2", "Q1", "Q2"]
