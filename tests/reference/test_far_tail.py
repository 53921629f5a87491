"""The far tail of means and NPS (cxresearch.stats.far_tail) against R.

From the 99 % level on, a mean's (NPS's) interval is the union of Hall's (adjusted Wald's)
interval and the interval of the sample with two answers added at each end of the scale;
its p-value is the family's where that is ≥ 0.01, else min(max(family p, ends p), 0.01).
R 4.2.2, survey 4.1.1, clubSandwich 0.5.8; every value below was printed by this session
(options(digits = 15)); Hall's bounds by ``uniroot`` as in ``test_hall.py``::

    library(clubSandwich)
    g <- function(t, k) t + k/6 + k*t^2/3 + k^2*t^3/27
    kap <- function(e) sum(e^3) / sum(e^2)^1.5
    hall <- function(est, se, k, df, mu, conf) {
      cc <- qt(1 - (1 - conf)/2, df)
      f <- function(m, y) g((est - m)/se, k) - y
      root <- function(y) uniroot(f, c(est - 50*se, est + 50*se), y = y, tol = 1e-14)$root
      t <- g((est - mu)/se, k)
      c(p = 2*pt(-abs(t), df), lo = root(cc), hi = root(-cc))
    }
    # the sample plus two answers at each end of the scale (unweighted)
    ends <- function(x, lo, hi, mu, conf, df = length(x) - 1) {
      xa <- c(x, lo, lo, hi, hi); m <- mean(xa); se <- sqrt(mean((xa - m)^2) / length(xa))
      q <- qt(1 - (1 - conf)/2, df)
      c(centre = m, se = se, lo = m - q*se, hi = m + q*se, p = 2*pt(-abs((m - mu)/se), df))
    }
    x2 <- c(rep(7, 24), rep(6, 12), rep(5, 4)); n <- length(x2)       # CES, no low answers
    hall(mean(x2), sd(x2)/sqrt(n), kap((x2 - mean(x2))/n), n - 1, 6.1, 0.995)
    #   p 0.00446105069211869  lo 6.10708297493857355  hi 6.77755851364931416
    ends(x2, 1, 7, 6.1, 0.995)
    #   centre 6.272727272727272  se 0.199077511908197
    #   lo 5.680350484813603  hi 6.865104060640942  p 0.390899876448798
    ends(x2, 1, 7, 6.1, 0.99)      # lo 5.733642653689172  hi 6.811811891765373
    # one-sided "greater" at 99.5 %: Hall p 0.00223052534605935; ends lower bound (the
    # two-sided 99 % quantile) 5.733642653689172
    a <- c(rep(10, 18), rep(9, 12), rep(8, 5), rep(7, 3), 6, 2)          # NPS answers
    z <- (a >= 9) - (a <= 6); n <- length(z)
    p <- (sum(z == 1) + 0.75)/(n + 3); q <- (sum(z == -1) + 0.75)/(n + 3)  # Rocks
    se <- sqrt((p + q - (p - q)^2)/(n + 3)); cc <- qt(0.9975, n - 1)
    c(2*pt(-abs((p - q - 0.35)/se), n - 1), p - q - cc*se, p - q + cc*se)
    #   0.00199182233502358  0.3807728627268877  0.9215527186684613
    ends(z, -1, 1, 0.35, 0.995)
    #   lo 0.34799912783841147  hi 0.92472814488886124  p 0.00528059153721887
    # weighted: the pseudo-answers on the design's effective n (CR2 variance, Bell-McCaffrey df)
    d <- read.csv("tests/reference/data/design.csv"); d$z <- (d$nps >= 9) - (d$nps <= 6)
    cr2 <- function(y, w) {
      fit <- lm(y ~ 1, weights = w)
      ct <- coef_test(fit, vcov = "CR2", cluster = seq_along(y), test = "Satterthwaite")
      c(est = ct$beta, se = ct$SE, df = ct$df_Satt)
    }
    wends <- function(y, w, lo, hi, mu, conf, c = 2) {
      n <- length(y); th <- sum(w*y)/sum(w); s2 <- sum(w*(y - th)^2)/sum(w)
      k <- cr2(y, w); ns <- n * s2 / ((n - 1) * k[["se"]]^2)
      nt <- ns + 2*c; ct <- (ns*th + c*(lo + hi))/nt
      sp <- (ns*(s2 + (th - ct)^2) + c*((lo - ct)^2 + (hi - ct)^2))/nt; se <- sqrt(sp/nt)
      q <- qt(1 - (1 - conf)/2, k[["df"]])
      c(nstar = ns, centre = ct, se = se, lo = ct - q*se, hi = ct + q*se,
        p = 2*pt(-abs((ct - mu)/se), k[["df"]]))
    }
    wends(d$csat, d$w, 1, 5, 3.6, 0.995)     # CSAT answers 1-5 as a mean
    #   nstar 176.275327453374  lo 3.62042249076771  hi 4.05187945313761
    #   p 0.00224043025651195  (3.65: p 0.0147163705154692)
    wends(d$z, d$w, -1, 1, -0.10, 0.995)     # NPS
    #   nstar 171.883121640252  lo -0.0879023994412001  hi 0.2729143036683247
    #   p 0.00284465377236449

Tolerance 1e-9 absolute on the unit scale (they agree to about 1e-13).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxresearch.stats.design import Design
from cxresearch.stats.exact import TAIL_ALPHA
from cxresearch.stats.far_tail import PSEUDO_ANSWERS, ends_pivot
from cxresearch.stats.inference import compare_to_target
from cxresearch.stats.registry import MeanMetric, get_metric

TOL = 1e-9
CES = [7] * 24 + [6] * 12 + [5] * 4
NPS = [10] * 18 + [9] * 12 + [8] * 5 + [7] * 3 + [6, 2]
DATA = pd.read_csv(Path(__file__).parent / "data" / "design.csv")
CSAT_MEAN = MeanMetric("csat_mean", column="csat", scale=(1, 5), integer=True)


def test_ends_pivot_is_the_sample_with_two_answers_at_each_end() -> None:
    assert PSEUDO_ANSWERS == 2.0
    x = np.asarray(CES, dtype=float)
    centre, se = ends_pivot(np.array([x.mean()]), np.array([x.var()]), np.array([40.0]), 1, 7)
    assert centre[0] == pytest.approx(6.272727272727272, abs=TOL)
    assert se[0] == pytest.approx(0.199077511908197, abs=TOL)


def test_unweighted_mean_in_the_far_tail_matches_r() -> None:
    # 99.5 %: Hall's (6.107…, 6.778…) joined with the ends' (5.680…, 6.865…); Hall's p
    # 0.00446 < 0.01, the ends' 0.39, so the p-value is capped at 0.01: the verdict at
    # 99.5 % and 99 % is "not significant", as the union's interval shows.
    cmp = compare_to_target(CES, 6.1, metric="ces_mean", confidence=0.995)
    assert cmp.ci_low + 6.1 == pytest.approx(5.680350484813603, abs=TOL)
    assert cmp.ci_high + 6.1 == pytest.approx(6.865104060640942, abs=TOL)
    assert cmp.pvalue == TAIL_ALPHA
    cmp = compare_to_target(CES, 6.1, metric="ces_mean", confidence=0.99)
    assert cmp.ci_low + 6.1 == pytest.approx(5.733642653689172, abs=TOL)
    assert cmp.ci_high + 6.1 == pytest.approx(6.811811891765373, abs=TOL)
    # Below 99 % the interval is Hall's alone (and the family's p decides nothing new).
    s = get_metric("ces_mean").summarize(np.asarray(CES, float), Design(np.ones(len(CES))))
    _, family = get_metric("ces_mean").family_test(s, "hall", 6.1, 0.95, "two-sided")
    assert family[0] == pytest.approx(0.00446105069211869, abs=TOL)
    cmp = compare_to_target(CES, 6.1, metric="ces_mean", confidence=0.95)
    assert cmp.ci_low + 6.1 > 6.1 and cmp.pvalue < 0.05


def test_one_sided_mean_in_the_far_tail_matches_r() -> None:
    cmp = compare_to_target(CES, 6.1, metric="ces_mean", confidence=0.995, alternative="greater")
    assert cmp.ci_low + 6.1 == pytest.approx(5.733642653689172, abs=TOL)
    assert cmp.ci_high == np.inf
    assert cmp.pvalue == TAIL_ALPHA  # Hall's 0.00223 < 0.01, the ends' 0.195


def test_unweighted_nps_in_the_far_tail_matches_r() -> None:
    # Rocks' p 0.00199 < 0.01; the ends' 0.00528 is larger and below 0.01, so it is the
    # p-value: not significant at 99.5 % (0.35 lies in the union), significant at 99 %.
    cmp = compare_to_target(NPS, 35, metric="nps", confidence=0.995)
    assert cmp.pvalue == pytest.approx(0.00528059153721887, abs=TOL)
    assert cmp.ci_low + 35 == pytest.approx(100 * 0.34799912783841147, abs=1e-7)
    assert cmp.ci_high + 35 == pytest.approx(100 * 0.92472814488886124, abs=1e-7)
    assert cmp.ci_low < 0 < cmp.ci_high
    s = get_metric("nps").summarize(np.asarray(NPS, float), Design(np.ones(len(NPS))))
    _, family = get_metric("nps").family_test(s, "adjusted-wald", 35, 0.95, "two-sided")
    assert family[0] == pytest.approx(0.00199182233502358, abs=TOL)
    low, high = get_metric("nps").family_bounds(s, "adjusted-wald", 0.995, "two-sided")
    assert low[0] == pytest.approx(100 * 0.3807728627268877, abs=1e-7)
    assert high[0] == pytest.approx(100 * 0.9215527186684613, abs=1e-7)


@pytest.mark.parametrize(
    ("metric", "column", "target", "low", "high", "p"),
    [
        (CSAT_MEAN, "csat", 3.6, 3.62042249076771, 4.05187945313761, 0.00224043025651195),
        ("nps", "nps", -10, -8.79023994412001, 27.29143036683247, 0.00284465377236449),
    ],
)
def test_weighted_far_tail_matches_r(metric, column, target, low, high, p) -> None:  # type: ignore[no-untyped-def]
    # The ends' interval on the design's effective n (clubSandwich CR2, Bell–McCaffrey df);
    # the union with the family's interval at the level, whose p is the smaller here.
    m = get_metric(metric)
    cmp = compare_to_target(DATA[column], target, metric=m, weights=DATA["w"], confidence=0.995)
    s = m.summarize(DATA[column].to_numpy(float), Design(DATA["w"].to_numpy(float), True))
    f_low, f_high = m.family_bounds(s, m.method, 0.995, "two-sided")
    assert cmp.ci_low + target == pytest.approx(min(low, f_low[0]), abs=1e-7)
    assert cmp.ci_high + target == pytest.approx(max(high, f_high[0]), abs=1e-7)
    _, family = m.family_test(s, m.method, target, 0.95, "two-sided")
    assert family[0] < p
    assert cmp.pvalue == pytest.approx(p, rel=1e-9)


def test_weighted_mean_capped_at_the_switch_level() -> None:
    # R: wends(d$csat, d$w, 1, 5, 3.65, 0.995)$p 0.0147163705154692 ≥ 0.01, Hall's < 0.01.
    cmp = compare_to_target(
        DATA["csat"], 3.65, metric=CSAT_MEAN, weights=DATA["w"], confidence=0.995
    )
    assert cmp.pvalue == TAIL_ALPHA
    assert cmp.ci_low < 0 < cmp.ci_high


def test_a_mean_without_a_scale_has_no_far_tail() -> None:
    # No ends to add answers at: Hall's interval at every level.
    mean = get_metric("mean")
    assert not mean.has_tail("hall")
    assert get_metric("ces_mean").has_tail("hall") and not get_metric("ces_mean").has_tail("t")
    assert get_metric("nps").has_tail("adjusted-wald") and not get_metric("nps").has_tail("wald")
