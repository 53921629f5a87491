"""sample_size pinned to its published formulas (R 4.2 for the numbers) and to the intervals.

R: z <- qnorm(0.975) for every value below.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import cxresearch as cx
from cxresearch.stats.intervals import nps_pivot

Z = 1.959963984540054


def test_share_is_cochran_385() -> None:
    # Cochran (1977) eq. 4.2, ±5 points at 95 % and p = 0.5; R: ceiling(z^2 * .25 / .05^2) 385
    assert cx.sample_size("csat", margin=5) == 385
    assert cx.sample_size("ces", margin=5, expected=50) == 385
    # with a design effect of 1.5 (Kish 1965): 1.5 × 385 = 577.5 → 578
    assert cx.sample_size("csat", margin=5, design_effect=1.5) == 578


@pytest.mark.parametrize(
    ("margin", "expected", "planned", "needed"),
    [
        # Lewis & Sauro (2021): n = z² s² / d² − 3. R: z^2 / .1^2 - 3 = 381.145882069412.
        # The printed interval uses t(n − 1) (stats/registry.py), so the walk goes on:
        # hw <- function(n, p, q) { pa <- (p*n + .75)/(n + 3); qa <- (q*n + .75)/(n + 3);
        #   100 * qt(.975, n - 1) * sqrt((pa + qa - (pa - qa)^2)/(n + 3)) }
        # hw(382, .5, .5) 10.001193615472598, hw(383, .5, .5) 9.988197585836932 -> 383
        (10, None, 381.145882069412, 383),
        # R: z^2 / .05^2 - 3 = 1533.583528277649; hw(1534, .5, .5) 5.000830763263139,
        # hw(1535, .5, .5) 4.999203753820385 -> 1535
        (5, None, 1533.583528277649, 1535),
        # s² = p + q − (p − q)² = 0.6 − 0.04; R: z^2 * 0.56 / 0.05^2 - 3 = 857.486775835483;
        # hw(859, .4, .2) 5.002353288620248, hw(860, .4, .2) 4.999446357354465 -> 860
        (5, (40, 20), 857.486775835483, 860),
    ],
)
def test_nps_is_the_adjusted_wald_formula(
    margin: float, expected: object, planned: float, needed: int
) -> None:
    n = cx.sample_size("nps", margin=margin, expected=expected)
    assert n == needed
    assert math.ceil(planned) <= n <= math.ceil(planned) + 3  # the t quantile adds a few
    p, q = (0.5, 0.5) if expected is None else (0.4, 0.2)
    # The adjusted-Wald interval the report prints is then at most ±margin, and one answer
    # fewer would not be.
    for base, fits in ((n, True), (n - 1, False)):
        _, se = nps_pivot(p, q, base)
        assert bool(100 * stats.t.ppf(0.975, base - 1) * float(se) <= margin + 1e-9) is fits


def test_mean_uses_the_t_quantile() -> None:
    # R: (z * 1.2 / .1)^2 = 553.170070179954 (Cochran's z formula); with the t quantile the
    # interval t(n − 1) · 1.2 / √n is 0.100053591450184 at n = 555 and 0.0999631803665036 at
    # n = 556 (R: qt(.975, n - 1) * 1.2 / sqrt(n)), so 556 answers are needed.
    assert cx.sample_size("ces_mean", margin=0.1, sd=1.2) == 556


def test_planned_share_gives_a_wilson_interval_within_the_margin() -> None:
    for expected in (5, 20, 50, 80):
        n = cx.sample_size("csat", margin=4, expected=expected)
        k = round(expected / 100 * n)
        est = cx.csat(np.r_[np.full(k, 5), np.full(n - k, 1)])
        assert (est.ci_high - est.ci_low) / 2 <= 4 + 0.05  # k rounds the share by < 1/n


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"metric": "nps", "margin": 0}, "margin must be positive"),
        ({"metric": "nps", "margin": 5, "expected": (70, 40)}, "add up to at most 100"),
        ({"metric": "nps", "margin": 5, "expected": 150}, "-100..100"),
        ({"metric": "csat", "margin": 60}, "at most 50"),
        ({"metric": "ces_mean", "margin": 0.1}, "sd is required"),
        ({"metric": "ces_mean", "margin": 0.1, "sd": -1}, "sd must be positive"),
        ({"metric": "nps", "margin": 5, "design_effect": 0}, "design_effect"),
        ({"metric": "bogus", "margin": 5}, "metric must be one of"),
    ],
)
def test_bad_input(kwargs: dict, pattern: str) -> None:
    metric = kwargs.pop("metric")
    with pytest.raises(ValueError, match=pattern):
        cx.sample_size(metric, **kwargs)
