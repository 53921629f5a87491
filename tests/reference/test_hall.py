"""Hall's (1992) skewness-corrected t interval and test of a mean, pinned to R 4.2.2.

No R package offers it, so R computes it from the paper's formula, independently of the
closed-form inverse used here: the bounds by ``uniroot`` (tol 1e-14) on
``g((estimate − μ)/SE) = ±qt(.975, df)``, the skewness from the influence values (R
``survey`` 4.1.1 gives the SE and df). R session for every value below:

    library(survey); options(digits = 15)
    g <- function(t, k) t + k/6 + k*t^2/3 + k^2*t^3/27
    kap <- function(e) sum(e^3) / sum(e^2)^1.5     # e: centred influence totals
    hall <- function(est, se, k, df, mu, conf = 0.95) {
      cc <- qt(1 - (1 - conf)/2, df); c1 <- qt(conf, df)
      f <- function(m, y) g((est - m)/se, k) - y
      root <- function(y) uniroot(f, c(est - 50*se, est + 50*se), y = y, tol = 1e-14)$root
      t <- g((est - mu)/se, k)
      c(kappa = k, stat = t, p = 2*pt(-abs(t), df), p_greater = pt(t, df, lower.tail = FALSE),
        lo = root(cc), hi = root(-cc), lo_greater = root(c1))
    }
    x <- c(7, 5, 6, 8, 9, 4, 6, 7, 8, 5, 10, 6); n <- length(x)
    hall(mean(x), sd(x)/sqrt(n), kap((x - mean(x))/n), n - 1, 6)              # X
    y <- c(5, 5, 5, 5, 4, 5, 4, 5, 5, 1, 5, 4, 5, 5, 3, 5); n <- length(y)
    hall(mean(y), sd(y)/sqrt(n), kap((y - mean(y))/n), n - 1, 4.5)            # CEILING
    d <- read.csv("tests/reference/data/design.csv")
    w <- svydesign(ids = ~1, weights = ~w, data = d)
    m <- svymean(~nps, w); u <- d$w * (d$nps - coef(m)) / sum(d$w)
    hall(coef(m), SE(m), kap(u - mean(u)), degf(w), 7.5)                      # weights
    cl <- svydesign(ids = ~respondent, weights = ~w, data = d)
    mc <- svymean(~nps, cl); tot <- tapply(u, d$respondent, sum)
    hall(coef(mc), SE(mc), kap(tot - mean(tot)), degf(cl), 7.5)               # clusters
    # raked as in test_design.py (r); R's calibration residuals are the OLS residuals
    # of u/w on the margins (SE check: sqrt(240/239 * sum(e^2)) equals SE(mr))
    wr <- weights(r); mr <- svymean(~nps, r); ur <- wr * (d$nps - coef(mr)) / sum(wr)
    res <- wr * resid(lm(I(ur / wr) ~ region + size + age, data = d)); e <- res - mean(res)
    hall(coef(mr), SE(mr), kap(e), degf(r), 7.5)                              # raked

Tolerance 1e-6 absolute (they agree to about 1e-12).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cxresearch.stats.metrics as m
from cxresearch.stats.design import Design, linearized
from cxresearch.stats.inference import compare_to_target
from cxresearch.stats.raking import rake
from cxresearch.stats.registry import get_metric

TOL = 1e-6
X = [7, 5, 6, 8, 9, 4, 6, 7, 8, 5, 10, 6]
CEILING = [5, 5, 5, 5, 4, 5, 4, 5, 5, 1, 5, 4, 5, 5, 3, 5]
DATA = pd.read_csv(Path(__file__).parent / "data" / "design.csv")
MARGINS = {
    "region": {"uusimaa": 0.31, "pirkanmaa": 0.10, "muu": 0.59},
    "size": {"small": 0.6, "large": 0.4},
    "age": {"18-34": 0.25, "35-54": 0.35, "55+": 0.40},
}


def test_hall_target_test_and_interval_match_r() -> None:
    # R (X): kappa 0.0841885283151552, stat 1.5480796204403215, p 0.1498756861676417,
    #    lo 5.6981377882888253, hi 7.9567367045993143
    res = compare_to_target(X, 6, metric="mean")
    assert res.test == "one-sample t test, Hall's skewness correction (1992)"
    assert res.statistic == pytest.approx(1.5480796204403215, abs=TOL)
    assert res.pvalue == pytest.approx(0.1498756861676417, abs=TOL)
    assert res.ci_low == pytest.approx(5.6981377882888253 - 6, abs=TOL)
    assert res.ci_high == pytest.approx(7.9567367045993143 - 6, abs=TOL)
    assert res.df == 11
    s = get_metric("mean").summarize(np.asarray(X, float), Design(np.ones(len(X))))
    assert float(s.parts["skew"][0]) == pytest.approx(0.0841885283151552, abs=1e-12)


def test_hall_one_sided_matches_r() -> None:
    # R (X): p_greater 0.0749378430838209, lo_greater 5.8843007661158424
    res = compare_to_target(X, 6, metric="mean", alternative="greater")
    assert res.pvalue == pytest.approx(0.0749378430838209, abs=TOL)
    assert res.ci_low == pytest.approx(5.8843007661158424 - 6, abs=TOL)
    assert res.ci_high == np.inf


def test_hall_corrects_a_ceiling_sample_as_r() -> None:
    # R (CEILING): kappa -0.551306314083140, stat -0.330238508041812, p 0.745787017724651,
    #    lo 2.044027234889494, hi 4.862263846396710 (t.test: 3.85479279, 5.02020721)
    res = compare_to_target(CEILING, 4.5, metric="mean")
    assert res.statistic == pytest.approx(-0.330238508041812, abs=TOL)
    assert res.pvalue == pytest.approx(0.745787017724651, abs=TOL)
    est = m.mean_rating(CEILING, scale=(1, 5))
    assert (est.ci_low, est.ci_high) == (
        pytest.approx(2.044027234889494, abs=TOL),
        pytest.approx(4.862263846396710, abs=TOL),
    )
    assert est.method == "hall"


def test_hall_weights_only_design_matches_r() -> None:
    # R (weights): kappa 0.0556376552021932, stat 0.2724903636777131, p 0.7854802738971355,
    #    lo 7.2525147776561072, hi 7.8517221739274410
    # linearized(): R's svymean variance and degf (the default small-sample CR2 variance
    # and df are pinned in test_small_sample.py)
    res = compare_to_target(DATA["nps"], 7.5, metric="mean", weights=linearized(DATA["w"]))
    assert res.statistic == pytest.approx(0.2724903636777131, abs=TOL)
    assert res.pvalue == pytest.approx(0.7854802738971355, abs=TOL)
    assert res.ci_low + 7.5 == pytest.approx(7.2525147776561072, abs=TOL)
    assert res.ci_high + 7.5 == pytest.approx(7.8517221739274410, abs=TOL)


def test_hall_clustered_design_matches_r() -> None:
    # R (clusters): kappa 0.0358639509746866, stat 0.2762249369475459,
    #    p 0.7828544567341844, lo 7.2551507824197436, hi 7.8399427113678497 (df 119)
    res = compare_to_target(
        DATA["nps"], 7.5, metric="mean", weights=DATA["w"], ids=DATA["respondent"]
    )
    assert res.statistic == pytest.approx(0.2762249369475459, abs=TOL)
    assert res.pvalue == pytest.approx(0.7828544567341844, abs=TOL)
    assert res.ci_low + 7.5 == pytest.approx(7.2551507824197436, abs=TOL)
    assert res.ci_high + 7.5 == pytest.approx(7.8399427113678497, abs=TOL)
    assert res.df == 119


def test_hall_raked_design_matches_r() -> None:
    # R (raked): kappa -0.0249022626357017, stat -2.7135366001982799,
    #    p 0.0071415657708077, lo 6.7298277400215634, hi 7.3816000140330713
    w = linearized(rake(DATA, MARGINS, tol=1e-12))  # R's degf 239, as svymean
    res = compare_to_target(DATA["nps"], 7.5, metric="mean", weights=w)
    assert res.design == "raked"
    assert res.statistic == pytest.approx(-2.7135366001982799, abs=TOL)
    assert res.pvalue == pytest.approx(0.0071415657708077, abs=TOL)
    assert res.ci_low + 7.5 == pytest.approx(6.7298277400215634, abs=TOL)
    assert res.ci_high + 7.5 == pytest.approx(7.3816000140330713, abs=TOL)


def test_no_skew_gives_student_t() -> None:
    # A symmetric sample has κ = 0: Hall's interval is t.test's
    # R: t.test(c(1, 2, 3, 4, 5))$conf.int -> 1.03675683852244 4.96324316147756
    est = m.mean_rating([1, 2, 3, 4, 5])
    assert (est.ci_low, est.ci_high) == (
        pytest.approx(1.03675683852244, abs=1e-10),
        pytest.approx(4.96324316147756, abs=1e-10),
    )


def test_a_sample_without_spread_is_decided_as_student_t_decides_it() -> None:
    # All answers 5: SE 0. Without a scale neither method has an interval or a test (R's
    # t.test stops: "data are essentially constant"); on a scale both take the pseudo-
    # answers' route (tests/reference/test_flat_sample.py), never p = 0 from 4 answers.
    hall = compare_to_target([5, 5, 5, 5], 4, metric="mean")
    student = compare_to_target([5, 5, 5, 5], 4, metric="mean", method="t")
    assert np.isnan(hall.pvalue) and np.isnan(student.pvalue)
    assert np.isnan(hall.ci_low) and np.isnan(student.ci_high)
    hall = compare_to_target([5, 5, 5, 5], 4, metric="ces_mean")
    student = compare_to_target([5, 5, 5, 5], 4, metric="ces_mean", method="t")
    assert hall.pvalue == student.pvalue
    assert (hall.ci_low, hall.ci_high) == (student.ci_low, student.ci_high)
    assert 0.05 < hall.pvalue < 1.0
