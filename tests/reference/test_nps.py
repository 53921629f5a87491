"""NPS and its intervals pinned to hand formulas, Rocks' own R code and R survey.

The reports (the registry) refer Rocks' adjusted-Wald pivot to t on the design's df;
``nps_interval`` keeps his package's z form.

Rocks' R package NPS (github.com/brendan-r/NPS, commit cd9473e) was sourced into R 4.2
from its files R/nps_global.R, R/nps.R, R/nps_interval_estimators.R and R/nps_tests.R:

    options(nps.breaks = c(0, 6, 8, 10), nps.100 = FALSE, digits = 15)
    for (f in c("nps_global.R", "nps.R", "nps_interval_estimators.R", "nps_tests.R")) source(f)

``nps_test_`` takes counts in the order (detractors, passives, promoters); its default
pseudo-observations for ``test = "adjusted.wald"`` are c(0.75, 1.50, 0.75).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from cxresearch.stats.design import linearized
from cxresearch.stats.intervals import nps_interval
from cxresearch.stats.metrics import nps
from cxresearch.stats.weighting import kish_effective_n

# 60 promoters (10), 25 passives (7), 15 detractors (0): n = 100
SCORES_100 = [10] * 60 + [7] * 25 + [0] * 15


T99 = 1.984216951586417  # qt(0.975, 99): the reports refer NPS to t on the design's df

# R for the t-referred values below (Rocks' pivot, quantile qt(.975, n − 1)):
#   adj <- function(d, pa, pr) { n <- d + pa + pr; p <- (pr + .75)/(n + 3)
#     q <- (d + .75)/(n + 3); c(c = p - q, se = sqrt((p + q - (p - q)^2)/(n + 3))) }
#   aw <- function(d, pa, pr) { n <- d + pa + pr; x <- adj(d, pa, pr)
#     100 * (x[1] + c(-1, 1) * qt(.975, n - 1) * x[2]) }


def test_wald_hand_formula():
    # NPS = 60% − 15% = 45; var = p + q − (p − q)² = .60 + .15 − .45² = .5475
    # SE = sqrt(.5475 / 100); interval = 45 ± 100 · t(99) · SE (the registry's t, see
    # stats/registry.py; Rocks' package uses z, pinned on nps_interval below)
    se = math.sqrt((0.60 + 0.15 - 0.45**2) / 100)
    est = nps(SCORES_100, method="wald")
    assert est.value == pytest.approx(45.0, abs=1e-10)
    assert est.ci_low == pytest.approx(100 * (0.45 - T99 * se), abs=1e-10)
    assert est.ci_high == pytest.approx(100 * (0.45 + T99 * se), abs=1e-10)
    assert (est.n, est.n_effective, est.weighted, est.df) == (100, 100.0, False, 99.0)
    # R: 100 * (.45 + c(-1, 1) * qt(.975, 99) * sqrt(.5475 / 100))
    #    -> 30.318135306602969 59.681864693397038. (R survey's
    #    confint(svymean(~z, d), df = degf(d)) has the same quantile on the n − 1 variance:
    #    30.244170784616887 59.755829215383116.)
    assert est.ci_low == pytest.approx(30.318135306602969, abs=1e-9)
    assert est.ci_high == pytest.approx(59.681864693397038, abs=1e-9)


def test_rocks_package_z_form_is_nps_interval():
    # nps_interval keeps Rocks' own z form. R: nps_test_(c(15, 25, 60), test = "wald")$int
    # -> 0.30497590874858 0.59502409125142; test = "adjusted.wald"
    # -> 0.293431112017341 0.580355295749649
    low, high = nps_interval(0.60, 0.15, 100, method="wald")
    assert float(low) == pytest.approx(30.497590874858, abs=1e-9)
    assert float(high) == pytest.approx(59.502409125142, abs=1e-9)
    low, high = nps_interval(0.60, 0.15, 100)
    assert float(low) == pytest.approx(29.3431112017341, abs=1e-9)
    assert float(high) == pytest.approx(58.0355295749649, abs=1e-9)
    # R: nps_test_(c(2, 2, 6), test = "adjusted.wald")$int -> -0.125855799688081 0.741240415072696
    low, high = nps_interval(0.6, 0.2, 10)
    assert float(low) == pytest.approx(-12.5855799688081, abs=1e-9)
    assert float(high) == pytest.approx(74.1240415072696, abs=1e-9)


def test_adjusted_wald_hand_formula():
    # Rocks (2016): add 0.75 promoters, 1.5 passives, 0.75 detractors, n + 3 = 103;
    # p = 60.75/103, q = 15.75/103, interval = 100·[(p − q) ± t(99)·sqrt((p + q − (p − q)²)/103)]
    p, q = 60.75 / 103, 15.75 / 103
    half = T99 * math.sqrt((p + q - (p - q) ** 2) / 103)
    est = nps(SCORES_100)  # adjusted-Wald is the default
    assert est.method == "adjusted-wald"
    assert est.value == pytest.approx(45.0, abs=1e-10)  # the point estimate is not adjusted
    assert est.ci_low == pytest.approx(100 * (p - q - half), abs=1e-10)
    assert est.ci_high == pytest.approx(100 * (p - q + half), abs=1e-10)
    # R: aw(15, 25, 60) -> 29.165588481221004 58.213052295478022
    assert est.ci_low == pytest.approx(29.165588481221004, abs=1e-9)
    assert est.ci_high == pytest.approx(58.213052295478022, abs=1e-9)


def test_adjusted_wald_small_sample():
    # 6 promoters, 2 passives, 2 detractors (n = 10)
    scores = [9, 10, 10, 3, 7, 8, 9, 10, 6, 10]
    est = nps(scores)
    assert est.value == pytest.approx(40.0, abs=1e-10)
    # R: aw(2, 2, 6) -> -19.270155886045249 80.808617424506792 (t(9); Rocks' z form above)
    assert est.ci_low == pytest.approx(-19.270155886045249, abs=1e-9)
    assert est.ci_high == pytest.approx(80.808617424506792, abs=1e-9)


def test_adjusted_wald_is_clipped_at_100():
    # R: aw(0, 0, 12) -> 51.022683866107243 108.977316133892742; the upper bound exceeds
    # 100 and is clipped.
    est = nps([10] * 12)
    assert est.value == pytest.approx(100.0, abs=1e-10)
    assert est.ci_low == pytest.approx(51.022683866107243, abs=1e-9)
    assert est.ci_high == 100.0


def test_a_single_answer_has_no_interval():
    # t on n − 1 = 0 degrees of freedom does not exist (as R t.test refuses one value).
    est = nps([0])
    assert est.value == -100.0 and est.n == 1
    assert math.isnan(est.ci_low) and math.isnan(est.ci_high)


def test_interval_at_other_confidence_uses_the_right_quantile():
    # z = qnorm(0.95) = 1.644853626951472 for a 90% interval (hand formula as above)
    z90 = 1.644853626951472
    se = math.sqrt((0.60 + 0.15 - 0.45**2) / 100)
    low, high = nps_interval(0.60, 0.15, 100, confidence=0.90, method="wald")
    assert float(low) == pytest.approx(100 * (0.45 - z90 * se), abs=1e-10)
    assert float(high) == pytest.approx(100 * (0.45 + z90 * se), abs=1e-10)
    # the registry's: R qt(0.95, 99) = 1.660391156016991
    est = nps(SCORES_100, method="wald", confidence=0.90)
    assert est.ci_low == pytest.approx(100 * (0.45 - 1.660391156016991 * se), abs=1e-10)


# 20 weighted answers used for the survey reference values
S20 = [10, 9, 0, 7, 8, 6, 10, 3, 9, 9, 5, 10, 7, 2, 9, 10, 8, 4, 10, 9]
W20 = [1.2, 0.8, 2.5, 1.0, 0.6, 1.9, 0.7, 1.4, 1.1, 0.9, 2.2, 0.5, 1.3, 1.7, 0.8, 1.0, 1.6, 0.4]
W20 += [1.2, 0.9]


def test_weighted_nps_matches_r_survey_point_estimate():
    # R (survey 4.x):
    #   d <- svydesign(ids = ~1, weights = ~w, data = data.frame(s = s, w = w))
    #   svymean(~I(100 * ((s >= 9) - (s <= 6))), d)   # mean -4.2194092827
    est = nps(S20, weights=W20)
    assert est.value == pytest.approx(-4.2194092827, abs=1e-8)
    assert est.weighted is True
    assert est.n == 20


def test_weighted_nps_reports_kish_n_and_uses_the_design_effective_n():
    # Kish: (Σw)² / Σw²; R: sum(w)^2 / sum(w^2) -> 16.4960352422907 (the reported base)
    w = np.asarray(W20)
    assert kish_effective_n(W20) == pytest.approx(16.4960352422907, abs=1e-10)
    # linearized(): the plain linearised variance (the default small-sample one is pinned
    # in test_small_sample.py)
    est = nps(S20, weights=linearized(W20), method="wald")
    assert est.n_effective == pytest.approx(16.4960352422907, abs=1e-10)
    # The interval uses the design's effective n, n* = n σ² / ((n − 1) v), with v the
    # linearised variance of svymean (pinned in tests/reference/test_design.py).
    s = np.asarray(S20)
    z = (s >= 9).astype(float) - (s <= 6)
    theta = (w * z).sum() / w.sum()
    v = 20 / 19 * ((w * (z - theta) / w.sum()) ** 2).sum()
    p = w[s >= 9].sum() / w.sum()
    q = w[s <= 6].sum() / w.sum()
    n_star = 20 * (p + q - (p - q) ** 2) / (19 * v)
    # quantile on the design's df, n − 1 = 19 (R: qt(.975, 19) = 2.093024054408309)
    half = 2.093024054408309 * math.sqrt((p + q - (p - q) ** 2) / n_star)
    assert est.df == 19.0
    assert est.ci_low == pytest.approx(100 * (p - q - half), abs=1e-8)
    assert est.ci_high == pytest.approx(100 * (p - q + half), abs=1e-8)
    assert est.se == pytest.approx(100 * math.sqrt(v), rel=1e-12)
