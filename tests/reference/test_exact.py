"""The far-tail exact share interval and test (cxresearch.stats.exact) against R.

R 4.2.2, survey 4.1.1; every value below was printed by this session (options(digits = 15)):

    binom.test(45, 50, 0.75, conf.level = 0.995)$conf.int
    #  0.726296632069365 0.981135294776834
    2 * min(pbinom(45, 50, 0.75), pbinom(44, 50, 0.75, lower.tail = FALSE))
    #  0.014092450642367
    binom.test(45, 50, 0.75, alternative = "greater", conf.level = 0.999)$conf.int
    #  0.706686494799071 1
    pbinom(44, 50, 0.75, lower.tail = FALSE)                    # 0.00704622532118348
    binom.test(50, 50, 0.9, conf.level = 0.995)$conf.int     # 0.887071854993157 1
    prop.test(45, 50, 0.72, correct = FALSE, conf.level = 0.99)$conf.int
    #  0.740269210404316 0.966009116221582   (p 0.00458639208025348 against 0.72)
    prop.test(45, 50, 0.72, correct = FALSE)$conf.int   # 0.786397685625204 0.956524235068110
    2 * min(pbinom(45, 50, .72), pbinom(44, 50, .72, lower.tail = FALSE))
    #  0.00374721017900115

    y <- c(rep(1, 34), rep(0, 6))
    w <- c(seq(0.5, 2.15, length.out = 34), c(2.5, 0.7, 1.9, 3.1, 0.4, 1.2))
    cl <- rep(1:10, each = 4)
    dc <- svydesign(ids = ~cl, weights = ~w, data = data.frame(y = y, w = w, cl = cl))
    mc <- svymean(~y, dc)     # 0.821330902461258, degf(dc) = 9
    coef(mc) * (1 - coef(mc)) / vcov(mc)                      # n.eff 9.84046183012965
    attr(svyciprop(~I(y == 1), dc, method = "beta", level = 0.995), "ci")
    #  0.227121889435895 0.999109159200699
    f <- function(la) attr(svyciprop(~I(y == 1), dc, method = "beta",
                                     level = 1 - 10^la), "ci")[1] - 0.3
    10^uniroot(f, c(-6, -1), tol = 1e-14)$root               # 0.0132927451967069
"""

from __future__ import annotations

import numpy as np
import pytest

from cxresearch.stats.exact import TAIL_ALPHA, exact_share_bounds, exact_share_pvalue
from cxresearch.stats.inference import compare_to_target

ONE = np.array([0.9])
FIFTY = np.array([50.0])


def test_unweighted_bounds_are_binom_test() -> None:
    low, high = exact_share_bounds(ONE, FIFTY, 0.995, "two-sided")
    assert low[0] == pytest.approx(0.726296632069365, abs=1e-9)
    assert high[0] == pytest.approx(0.981135294776834, abs=1e-9)
    low, _ = exact_share_bounds(ONE, FIFTY, 0.999, "greater")
    assert low[0] == pytest.approx(0.706686494799071, abs=1e-9)
    low, high = exact_share_bounds(np.array([1.0]), FIFTY, 0.995, "two-sided")
    assert low[0] == pytest.approx(0.887071854993157, abs=1e-9) and high[0] == 1.0


def test_unweighted_pvalue_is_the_central_exact_test() -> None:
    p = exact_share_pvalue(ONE, FIFTY, 0.75, "two-sided")
    assert p[0] == pytest.approx(0.014092450642367, rel=1e-9)
    p = exact_share_pvalue(ONE, FIFTY, 0.75, "greater")
    assert p[0] == pytest.approx(0.00704622532118348, rel=1e-9)


def test_weighted_bounds_and_pvalue_are_svyciprop_beta() -> None:
    # R's n.eff and the design's df (clusters − 1) with the rows' df n − 1 = 39.
    share, n_eff, dfs = np.array([0.821330902461258]), np.array([9.84046183012965]), [[39.0], [9.0]]
    low, high = exact_share_bounds(share, n_eff, 0.995, "two-sided", np.asarray(dfs))
    assert low[0] == pytest.approx(0.227121889435895, abs=1e-9)
    assert high[0] == pytest.approx(0.999109159200699, abs=1e-9)
    # The p-value is the level at which the interval reaches the null (R: uniroot).
    p = exact_share_pvalue(share, n_eff, 0.3, "two-sided", np.asarray(dfs))
    assert p[0] == pytest.approx(0.0132927451967069, rel=1e-7)


def test_a_target_beyond_99_percent_uses_the_hull_and_its_test() -> None:
    scores = [5] * 45 + [1] * 5
    cmp = compare_to_target(scores, 72, metric="csat", confidence=0.995)
    # Wilson at 99 % (prop.test) joined with Clopper–Pearson at 99.5 % (binom.test).
    assert cmp.ci_low + 72 == pytest.approx(100 * 0.726296632069365, abs=1e-7)
    assert cmp.ci_high + 72 == pytest.approx(100 * 0.981135294776834, abs=1e-7)
    # Wilson's p 0.0046 < 0.01, so the exact test's (capped at 0.01) decides.
    assert cmp.pvalue == pytest.approx(0.00374721017900115, rel=1e-9)
    # At 95 % the interval is Wilson's (R prop.test(correct = FALSE)); the p-value does
    # not depend on the level, so it is the exact one again (the score test's 0.0046 is
    # below 0.01 too: the verdict at 95 % is the same either way).
    cmp = compare_to_target(scores, 72, metric="csat", confidence=0.95)
    assert cmp.ci_low + 72 == pytest.approx(100 * 0.786397685625204, abs=1e-7)
    assert cmp.ci_high + 72 == pytest.approx(100 * 0.956524235068110, abs=1e-7)
    assert cmp.pvalue == pytest.approx(0.00374721017900115, rel=1e-9)


def test_the_switch_level_is_ninety_nine_percent() -> None:
    assert 1.0 - 0.99 <= TAIL_ALPHA < 1.0 - 0.985
    # At 99 %: hull of Wilson's 99 % (0.740269…) and Clopper–Pearson's 99 %.
    cmp = compare_to_target([5] * 45 + [1] * 5, 72, metric="csat", confidence=0.99)
    low, _ = exact_share_bounds(ONE, FIFTY, 0.99, "two-sided")
    assert cmp.ci_low + 72 == pytest.approx(100 * min(low[0], 0.740269210404316), abs=1e-7)
