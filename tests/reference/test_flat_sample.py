"""A sample without spread (every answer the same): an interval and a test that say so.

A t interval of ``[7, 7, 7]`` is the point [7, 7] with p = 0 against any other value.
On a bounded scale the registry gives such a sample the far tail's pseudo-answer
interval (two answers added at each end) at every level; without a scale no interval and
no test; two samples without spread have no Welch test. Expected values from R 4.2.2::

    f <- function(x, a, b, target, level = 0.95, c = 2) {
      n <- length(x); xt <- c(x, rep(a, c), rep(b, c)); nt <- length(xt)
      centre <- mean(xt); se <- sqrt(mean((xt - centre)^2) / nt)
      ci <- pmin(pmax(centre + c(-1, 1) * qt(0.5 + level / 2, df = n - 1) * se, a), b)
      p <- 2 * pt(-abs((centre - target) / se), df = n - 1)
      sprintf("%.12f %.12f %.12f", ci[1], ci[2], p)
    }
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import cxresearch as cx
from cxresearch.stats.design import Design
from cxresearch.stats.registry import MeanMetric

RATING_1_5 = MeanMetric("rating_1_5", column="rating", scale=(1, 5), integer=True)


@pytest.mark.parametrize(
    ("answers", "target", "level", "expected"),
    [
        # f(rep(7, 3), 1, 7, 5)
        ([7] * 3, 5, 0.95, (1.000000000000, 7.000000000000, 0.806523502512)),
        # f(rep(7, 30), 1, 7, 6)
        ([7] * 30, 6, 0.95, (6.151876720117, 7.000000000000, 0.012225834772)),
    ],
)
def test_flat_ces_mean_matches_r(answers, target, level, expected) -> None:
    scores = pd.Series(answers)
    est = cx.ces_mean(scores, confidence=level)
    cmp = cx.compare_to_target(scores, target, metric="ces_mean", confidence=level)
    assert est.ci_low == pytest.approx(expected[0], abs=1e-9)
    assert est.ci_high == pytest.approx(expected[1], abs=1e-9)
    assert cmp.pvalue == pytest.approx(expected[2], abs=1e-9)


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        # f(rep(3, 12), 1, 5, 4)
        (0.95, (2.449753709977, 3.550246290023, 0.002086193567)),
        # f(rep(3, 12), 1, 5, 4, level = 0.995): the far tail's level gives the same route
        (0.995, (2.125846456687, 3.874153543313, 0.002086193567)),
    ],
)
def test_flat_rating_matches_r_at_both_routes(level, expected) -> None:
    x = np.full(12, 3.0)
    s = RATING_1_5.summarize(x, Design(np.ones(12)))
    low, high = RATING_1_5.interval(s, confidence=level)
    _, p = RATING_1_5.test(s, 4.0, confidence=level)
    assert float(low[0]) == pytest.approx(expected[0], abs=1e-9)
    assert float(high[0]) == pytest.approx(expected[1], abs=1e-9)
    assert float(p[0]) == pytest.approx(expected[2], abs=1e-9)


def test_null_between_estimate_and_centre_is_never_rejected() -> None:
    # [7, 7, 7] on 1-7: pseudo-answers' centre 37/7 = 5.29. The interval is the hull of
    # theirs and 7, so 6 (R's f(rep(7, 3), 1, 7, 6) gives 0.558 for their test alone)
    # lies in it at every level: p = 1.
    cmp = cx.compare_to_target(pd.Series([7, 7, 7]), 6, metric="ces_mean")
    assert cmp.pvalue == 1.0
    assert cmp.ci_low <= 0.0 <= cmp.ci_high


def test_flat_sample_without_scale_has_no_interval_and_no_test() -> None:
    est = cx.mean_rating(pd.Series([7, 7, 7]))
    cmp = cx.compare_to_target(pd.Series([7, 7, 7]), 6, metric="mean")
    assert est.value == 7.0
    assert math.isnan(est.ci_low) and math.isnan(est.ci_high)
    assert math.isnan(cmp.pvalue)


def test_two_flat_samples_have_no_welch_test() -> None:
    # R: t.test(c(7, 7, 7), c(6, 6, 6)) stops with "data are essentially constant".
    cmp = cx.compare_samples(pd.Series([7, 7, 7]), pd.Series([6, 6, 6]), metric="mean")
    assert cmp.difference == 1.0
    assert math.isnan(cmp.pvalue) and math.isnan(cmp.ci_low) and math.isnan(cmp.ci_high)
    # One sample with spread keeps Welch's test (R's t.test runs it).
    one = cx.compare_samples(pd.Series([7, 7, 7]), pd.Series([6, 7, 6, 5]), metric="mean")
    assert 0.0 < one.pvalue < 1.0


def test_flat_sample_with_spread_nearby_is_untouched() -> None:
    # [7, 7, 7, 6] has spread: Hall's interval as before (4.2 .. 7.0 at 95 %).
    est = cx.mean_rating(pd.Series([7, 7, 7, 6]), scale=(1, 7))
    assert est.ci_low == pytest.approx(4.2000416920774395, abs=1e-12)
    assert est.ci_high == 7.0


def test_flat_weighted_sample_uses_the_design_effective_n() -> None:
    x = np.full(20, 5.0)
    w = np.r_[np.full(10, 1.0), np.full(10, 3.0)]
    s = RATING_1_5.summarize(x, Design(w))
    assert float(s.n_effective[0]) == 16.0  # Kish: 40² / 100
    low, high = RATING_1_5.interval(s, confidence=0.95)
    assert float(low[0]) < 5.0 and float(high[0]) == 5.0
    unweighted = RATING_1_5.summarize(x, Design(np.ones(20)))
    low_u, _ = RATING_1_5.interval(unweighted, confidence=0.95)
    assert float(low[0]) < float(low_u[0])  # 16 effective answers: a wider interval


@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
@pytest.mark.parametrize("level", [0.8, 0.9, 0.95, 0.99, 0.995, 0.9995])
def test_flat_verdict_agrees_with_interval(level, alternative) -> None:
    alpha = 1.0 - level
    for n in (2, 3, 5, 10, 30, 100, 1000):
        for value in (1.0, 2.0, 3.0, 4.0, 5.0):
            s = RATING_1_5.summarize(np.full(n, value), Design(np.ones(n)))
            low, high = (
                float(b[0])
                for b in RATING_1_5.interval(s, confidence=level, alternative=alternative)
            )
            assert low <= value <= high, (n, value, level)
            for target in np.linspace(1.0, 5.0, 81):
                _, p = RATING_1_5.test(s, float(target), confidence=level, alternative=alternative)
                outside = target < low - 1e-9 or target > high + 1e-9
                inside = low + 1e-9 < target < high - 1e-9
                if outside:
                    assert float(p[0]) < alpha, (n, value, level, target)
                if inside:
                    assert float(p[0]) >= alpha, (n, value, level, target)
