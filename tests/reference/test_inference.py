"""Tests of differences pinned to R 4.2, Rocks' NPS package and Newcombe (1998).

R values were printed with ``options(digits = 15)``; the NPS package was sourced as
described in tests/reference/test_nps.py.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cxresearch.stats.inference import compare_groups, compare_to_target, compare_waves, hedges_g

X = [7, 5, 6, 8, 9, 4, 6, 7, 8, 5, 10, 6]
Y = [4, 6, 5, 3, 7, 5, 4, 6, 2, 5, 6, 4, 5, 3, 8]


def test_one_sample_t_matches_t_test():
    # R: r <- t.test(x, mu = 6); r$statistic 1.472373326191028, r$parameter 11,
    #    r$p.value 0.168946119416152, r$conf.int 5.62885847922882 7.87114152077118
    res = compare_to_target(X, 6, metric="mean")
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
    res = compare_to_target(X, 6, metric="mean", alternative="greater")
    assert res.pvalue == pytest.approx(0.0844730597080759, abs=1e-10)
    assert res.ci_low == pytest.approx(5.83520917211096 - 6, abs=1e-10)
    assert res.ci_high == math.inf


def test_welch_matches_t_test():
    # R: r <- t.test(x, y, var.equal = FALSE): t 2.87329811766927, df 22.5412928513504,
    #    p 0.00869559506370731, conf.int 0.525881612391198 3.240785054275469
    res = compare_groups(X, Y, metric="mean")
    assert res.difference == pytest.approx(6.75 - 73 / 15, abs=1e-12)
    assert res.statistic == pytest.approx(2.87329811766927, abs=1e-10)
    assert res.pvalue == pytest.approx(0.00869559506370731, abs=1e-10)
    assert res.ci_low == pytest.approx(0.525881612391198, abs=1e-10)
    assert res.ci_high == pytest.approx(3.240785054275469, abs=1e-10)
    assert res.test == "Welch two-sample t test"


def test_welch_less_matches_t_test():
    # R: t.test(x, y, var.equal = FALSE, alternative = "less"): p 0.995652202468146,
    #    conf.int -Inf 3.00766778295415
    res = compare_groups(X, Y, metric="mean", alternative="less")
    assert res.pvalue == pytest.approx(0.995652202468146, abs=1e-10)
    assert res.ci_low == -math.inf
    assert res.ci_high == pytest.approx(3.00766778295415, abs=1e-10)


def test_weighted_welch_with_equal_weights_equals_unweighted():
    res = compare_groups(X, Y, metric="mean", weights_a=[2.0] * 12, weights_b=[0.5] * 15)
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
    assert compare_groups(X, Y, metric="mean").effect_size == pytest.approx(g, abs=1e-12)
    pg = pytest.importorskip("pingouin")
    assert est.value == pytest.approx(pg.compute_effsize(X, Y, eftype="hedges"), abs=1e-12)
    ci = pg.compute_esci(est.value, nx=12, ny=15, eftype="hedges", decimals=12)
    assert (est.ci_low, est.ci_high) == pytest.approx(tuple(ci), abs=1e-10)


def _csat(top: int, n: int) -> list[int]:
    return [5] * top + [2] * (n - top)


def test_two_proportion_z_matches_prop_test():
    # R: prop.test(c(56, 48), c(70, 80), correct = FALSE): X-squared 7.02341137123746,
    #    p 0.00804508136819656; z = sqrt(X-squared)
    res = compare_groups(_csat(56, 70), _csat(48, 80), metric="csat")
    assert res.difference == pytest.approx(20.0, abs=1e-10)
    assert res.statistic**2 == pytest.approx(7.02341137123746, abs=1e-10)
    assert res.statistic > 0
    assert res.pvalue == pytest.approx(0.00804508136819656, abs=1e-12)
    # alternative = "greater": p 0.00402254068409829
    res_g = compare_groups(_csat(56, 70), _csat(48, 80), metric="csat", alternative="greater")
    assert res_g.pvalue == pytest.approx(0.00402254068409829, abs=1e-12)
    # Cohen's h = 2·asin(sqrt(.8)) − 2·asin(sqrt(.6)) (Cohen 1988, ch. 6)
    h = 2 * math.asin(math.sqrt(0.8)) - 2 * math.asin(math.sqrt(0.6))
    assert res.effect_size == pytest.approx(h, abs=1e-12)


def test_newcombe_interval_matches_published_and_r():
    # Newcombe (1998), Statistics in Medicine 17:873-890, Table II, method 10:
    #   (a) 56/70 − 48/80 -> 0.0524 to 0.3339; (b) 9/10 − 3/10 -> 0.1705 to 0.8090
    # R (method 10 from prop.test Wilson limits w1, w2):
    #   d - sqrt((p1 - w1[1])^2 + (w2[2] - p2)^2) -> 0.0524314724023649
    #   d + sqrt((w1[2] - p1)^2 + (p2 - w2[1])^2) -> 0.333872654036906
    res = compare_groups(_csat(56, 70), _csat(48, 80), metric="csat")
    assert res.ci_low == pytest.approx(5.24314724023649, abs=1e-8)
    assert res.ci_high == pytest.approx(33.3872654036906, abs=1e-8)
    assert res.ci_low == pytest.approx(5.24, abs=5e-3)  # published, 4 decimals of a share
    assert res.ci_high == pytest.approx(33.39, abs=5e-3)
    res_b = compare_groups(_csat(9, 10), _csat(3, 10), metric="csat")
    assert res_b.ci_low == pytest.approx(17.05, abs=5e-3)
    assert res_b.ci_high == pytest.approx(80.90, abs=5e-3)


def test_one_sample_proportion_matches_prop_test():
    # R: prop.test(37, 52, p = 0.6, correct = FALSE): X-squared 2.69551282051282,
    #    p 0.100631106748073, conf.int 0.577272119633157 0.816700395852901
    res = compare_to_target(_csat(37, 52), 60, metric="csat")
    assert res.test.startswith("one-sample z test")
    assert res.statistic**2 == pytest.approx(2.69551282051282, abs=1e-10)
    assert res.pvalue == pytest.approx(0.100631106748073, abs=1e-12)
    assert res.ci_low == pytest.approx(57.7272119633157 - 60, abs=1e-8)
    assert res.ci_high == pytest.approx(81.6700395852901 - 60, abs=1e-8)
    # alternative = "greater": p 0.0503155533740363, conf.int 0.599782549150004 1
    res_g = compare_to_target(_csat(37, 52), 60, metric="csat", alternative="greater")
    assert res_g.pvalue == pytest.approx(0.0503155533740363, abs=1e-12)
    assert res_g.ci_low == pytest.approx(59.9782549150004 - 60, abs=1e-8)


def test_small_sample_proportion_uses_binom_test():
    # n·(1 − p0) = 10 · 0.4 = 4 < 5 -> exact test.
    # R: binom.test(7, 10, p = 0.6): p 0.749177344, conf.int 0.347547149940003 0.933260488822266
    res = compare_to_target(_csat(7, 10), 60, metric="csat")
    assert res.test.startswith("exact binomial")
    assert res.statistic == 7
    assert res.pvalue == pytest.approx(0.749177344, abs=1e-9)
    assert res.ci_low == pytest.approx(34.7547149940003 - 60, abs=1e-8)
    assert res.ci_high == pytest.approx(93.3260488822266 - 60, abs=1e-8)


NPS_A = [10] * 60 + [7] * 25 + [0] * 15  # 60 / 25 / 15
NPS_B = [10] * 40 + [8] * 30 + [3] * 30  # 40 / 30 / 30


def test_two_sample_nps_matches_rocks_package():
    # R: r <- nps_test_(c(15, 25, 60), c(30, 30, 40), test = "wald")
    #    r$delta.hat 0.35, r$se.hat 0.111242977306435, r$p.value 0.00165369516370029,
    #    r$int 0.131967770946381 0.568032229053619
    res = compare_groups(NPS_A, NPS_B)
    assert res.difference == pytest.approx(35.0, abs=1e-10)
    assert res.statistic == pytest.approx(0.35 / 0.111242977306435, abs=1e-9)
    assert res.pvalue == pytest.approx(0.00165369516370029, abs=1e-12)
    assert res.ci_low == pytest.approx(13.1967770946381, abs=1e-9)
    assert res.ci_high == pytest.approx(56.8032229053619, abs=1e-9)
    # Effect size: 35 / pooled SD (ddof 1) of the answers coded +100 / 0 / −100, by hand
    coded_a = np.where(np.asarray(NPS_A) >= 9, 100, np.where(np.asarray(NPS_A) <= 6, -100, 0))
    coded_b = np.where(np.asarray(NPS_B) >= 9, 100, np.where(np.asarray(NPS_B) <= 6, -100, 0))
    pooled = math.sqrt((99 * coded_a.var(ddof=1) + 99 * coded_b.var(ddof=1)) / 198)
    assert res.effect_size == pytest.approx(35 / pooled, abs=1e-12)


def test_one_sample_nps_matches_rocks_package():
    # R: nps_test_(c(15, 25, 60), test = "wald"): se.hat 0.0739932429347437 (against 0);
    # against a target of 30 the z statistic is (0.45 − 0.30) / se.hat.
    res = compare_to_target(NPS_A, 30)
    assert res.difference == pytest.approx(15.0, abs=1e-10)
    assert res.statistic == pytest.approx(0.15 / 0.0739932429347437, abs=1e-9)
    z = 0.15 / 0.0739932429347437
    assert res.pvalue == pytest.approx(math.erfc(z / math.sqrt(2)), abs=1e-12)
    assert res.n_b == 0


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


def test_compare_waves_holm_matches_p_adjust():
    # R: p <- c(prop.test(c(56, 48), c(70, 80), correct = FALSE)$p.value,
    #           prop.test(c(37, 56), c(52, 70), correct = FALSE)$p.value,
    #           prop.test(c(33, 30), c(60, 60), correct = FALSE)$p.value,
    #           prop.test(c(45, 33), c(60, 60), correct = FALSE)$p.value)
    #    -> 0.00804508136819656 0.25632192617809652 0.58341144327962025 0.02163720205331782
    #    p.adjust(p, method = "holm")
    #    -> 0.0321803254727863 0.5126438523561930 0.5834114432796202 0.0649116061599535
    out = compare_waves(_wave_frame(), "csat", waves=["Q1", "Q2", "Q3"], by="segment")
    expected_p = [
        0.00804508136819656,
        0.25632192617809652,
        0.58341144327962025,
        0.02163720205331782,
    ]
    expected_holm = [0.0321803254727863, 0.5126438523561930, 0.5834114432796202, 0.0649116061599535]
    assert out["pvalue"].tolist() == pytest.approx(expected_p, abs=1e-12)
    assert out["pvalue_adjusted"].tolist() == pytest.approx(expected_holm, abs=1e-12)
    assert out["wave"].tolist() == ["Q2", "Q3", "Q2", "Q3"]
    assert out["previous_wave"].tolist() == ["Q1", "Q2", "Q1", "Q2"]
