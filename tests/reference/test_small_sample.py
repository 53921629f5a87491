"""The small-sample (CR2 + Bell–McCaffrey df) variance of weighted metrics, pinned to R.

R 4.2.2, survey 4.1.1, clubSandwich 0.5.8; data tests/reference/data/design.csv (240
answers, lognormal weights ``w`` correlated with the answers). The R session for every
value below::

    library(survey); library(clubSandwich); options(digits = 15)
    d <- read.csv("tests/reference/data/design.csv")
    d$z <- (d$nps >= 9) - (d$nps <= 6); d$top2 <- as.numeric(d$csat >= 4)
    cr2 <- function(y, w) {
      fit <- lm(y ~ 1, weights = w)
      ct <- coef_test(fit, vcov = "CR2", cluster = seq_along(y), test = "Satterthwaite")
      c(est = ct$beta, se = ct$SE, df = ct$df_Satt)
    }
    u <- svydesign(ids = ~1, weights = ~1, data = d)
    pr <- data.frame(region = c("uusimaa", "pirkanmaa", "muu"), Freq = c(.31, .10, .59) * 240)
    ps <- data.frame(size = c("small", "large"), Freq = c(.6, .4) * 240)
    pa <- data.frame(age = c("18-34", "35-54", "55+"), Freq = c(.25, .35, .40) * 240)
    r <- rake(u, list(~region, ~size, ~age), list(pr, ps, pa),
              control = list(maxit = 100, epsilon = 1e-12))
    rw <- weights(r); web <- d$touchpoint == "web"

Each respondent is its own cluster, so ``vcovCR(..., type = "CR2")`` of the weighted
intercept-only regression is the CR2 variance of the weighted mean and ``df_Satt`` its
Bell–McCaffrey df (working model: independent answers of equal variance, clubSandwich's
default target for a weighted ``lm``). The plain linearised SE stays pinned to
``svymean`` in ``test_design.py`` (through :func:`cxresearch.stats.design.linearized`).
Tolerance 1e-6 relative (they agree to about 1e-12).
"""

from __future__ import annotations

import numpy as np
import pytest

import cxresearch.stats.metrics as m
from cxresearch.stats.design import linearized
from cxresearch.stats.raking import rake

from .test_design import DATA, MARGINS

REL = 1e-6


def test_weights_only_se_and_df_match_clubsandwich_cr2() -> None:
    # R: cr2(d$z, d$w): se 0.0627366339519431 df 70.0650143804052163
    #    cr2(d$nps, d$w): se 0.152164573217162; cr2(d$top2, d$w): se 0.0345022683592579
    #    (the df depends on the weights only: 70.0650143804052 for all three)
    nps = m.nps(DATA["nps"], weights=DATA["w"])
    mean = m.mean_rating(DATA["nps"], weights=DATA["w"], method="t")
    top2 = m.csat(DATA["csat"], weights=DATA["w"])
    assert nps.se / 100 == pytest.approx(0.0627366339519431, rel=REL)
    assert mean.se == pytest.approx(0.152164573217162, rel=REL)
    assert top2.se / 100 == pytest.approx(0.0345022683592579, rel=REL)
    for est in (nps, mean, top2):
        assert est.df == pytest.approx(70.0650143804052163, rel=REL)
        assert est.design == "weights"
    # R: m <- cr2(d$nps, d$w); m["est"] + c(-1, 1) * qt(0.975, m["df"]) * m["se"]
    #    7.23625786973671 7.84321331188634
    assert mean.ci_low == pytest.approx(7.23625786973671, rel=REL)
    assert mean.ci_high == pytest.approx(7.84321331188634, rel=REL)
    # Wilson on Korn & Graubard's df-adjusted effective n (t quantile on the df):
    # R: s <- cr2(d$top2, d$w); p <- s[["est"]]
    #    nstar <- n * p * (1 - p) / ((n - 1) * s[["se"]]^2); tq <- qt(0.975, s[["df"]])
    #    mid <- (p + tq^2 / (2 * nstar)) / (1 + tq^2 / nstar)
    #    half <- tq / (1 + tq^2 / nstar) * sqrt(p * (1 - p) / nstar + tq^2 / (4 * nstar^2))
    #    100 * c(mid - half, mid + half)  ->  58.8781156550248 72.4856055585207
    assert top2.ci_low == pytest.approx(58.8781156550248, rel=REL)
    assert top2.ci_high == pytest.approx(72.4856055585207, rel=REL)


def test_linearized_weights_keep_svymean_and_degf() -> None:
    # R: SE(svymean(~z + nps, svydesign(ids = ~1, weights = ~w, data = d)))
    #    0.0625483044805629 0.151695648461666; degf 239
    nps = m.nps(DATA["nps"], weights=linearized(DATA["w"]))
    mean = m.mean_rating(DATA["nps"], weights=linearized(DATA["w"]), method="t")
    assert nps.se / 100 == pytest.approx(0.0625483044805629, rel=REL)
    assert mean.se == pytest.approx(0.151695648461666, rel=REL)
    assert nps.df == 239 and mean.df == 239


def test_raked_design_keeps_svymean_se_with_the_df_of_its_weights() -> None:
    # R: SE(svymean(~z, r)) 0.0656686315943175 (test_design.py);
    #    cr2(d$z, rw)["df"] 63.8256146725227396
    #    cr2(d$z[web], rw[web])["df"] 30.7499263202548683; SE(svymean(~z, subset(r,
    #    touchpoint == "web"))) 0.0919020353858398
    w = rake(DATA, MARGINS, tol=1e-12)
    nps = m.nps(DATA["nps"], weights=w)
    assert nps.design == "raked"
    assert nps.se / 100 == pytest.approx(0.0656686315943175, rel=REL)
    assert nps.df == pytest.approx(63.8256146725227396, rel=REL)
    web = (DATA["touchpoint"] == "web").to_numpy()
    dom = m.nps(DATA.loc[web, "nps"], weights=w[web])
    assert dom.se / 100 == pytest.approx(0.0919020353858398, rel=REL)
    assert dom.df == pytest.approx(30.7499263202548683, rel=REL)
    # linearized() keeps the calibration and gives R's degf
    plain = m.nps(DATA["nps"], weights=linearized(w))
    assert plain.design == "raked" and plain.df == 239
    assert plain.se == pytest.approx(nps.se, rel=1e-12)


def test_grouped_summaries_agree_with_one_group_at_a_time() -> None:
    # metric_by's one-pass sums give each group's CR2 SE and df as a single-group call.
    by = m.metric_by(DATA, "nps", by="touchpoint", weights=DATA["w"]).set_index("touchpoint")
    for level, row in by.iterrows():
        rows = (DATA["touchpoint"] == level).to_numpy()
        one = m.nps(DATA.loc[rows, "nps"], weights=DATA.loc[rows, "w"])
        assert row["se"] == pytest.approx(one.se, rel=1e-12)
        assert row["df"] == pytest.approx(one.df, rel=1e-12)
    assert np.all(by["df"] < by["n"] - 1)
