"""Design-based variance and raking pinned to R 4.2 ``survey`` 4.1.1.

Data: tests/reference/data/design.csv (240 answers; ``w`` lognormal weights correlated
with the answers; ``respondent`` answers two pooled waves). R session for every value:

    library(survey); options(digits = 15)
    d <- read.csv("tests/reference/data/design.csv")
    d$z <- (d$nps >= 9) - (d$nps <= 6); d$top2 <- as.numeric(d$csat >= 4)
    w <- svydesign(ids = ~1, weights = ~w, data = d)
    cl <- svydesign(ids = ~respondent, weights = ~w, data = d)
    u <- svydesign(ids = ~1, weights = ~1, data = d)
    pr <- data.frame(region = c("uusimaa", "pirkanmaa", "muu"), Freq = c(.31, .10, .59) * 240)
    ps <- data.frame(size = c("small", "large"), Freq = c(.6, .4) * 240)
    pa <- data.frame(age = c("18-34", "35-54", "55+"), Freq = c(.25, .35, .40) * 240)
    r <- rake(u, list(~region, ~size, ~age), list(pr, ps, pa),
              control = list(maxit = 100, epsilon = 1e-12))

Tolerance: 1e-6 relative on every SE and weight (they agree to about 1e-12).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import cxresearch.stats.metrics as m
from cxresearch.stats.design import calibration_of, linearized
from cxresearch.stats.raking import RakingError, rake

DATA = pd.read_csv(Path(__file__).parent / "data" / "design.csv")
MARGINS = {
    "region": {"uusimaa": 0.31, "pirkanmaa": 0.10, "muu": 0.59},
    "size": {"small": 0.6, "large": 0.4},
    "age": {"18-34": 0.25, "35-54": 0.35, "55+": 0.40},
}
REL = 1e-6


def _se(est: object, factor: float) -> float:
    return float(est.se) / factor  # type: ignore[attr-defined]


def test_weights_only_design_matches_svymean() -> None:
    # R: m <- svymean(~z + nps + top2, w); coef(m) 0.0946587161832579 7.53973559081153
    #    0.66011435461834; SE(m) 0.0625483044805629 0.151695648461666 0.0344142037349671
    # linearized(): svymean's variance and degf (the default adds the small-sample
    # correction, pinned to R clubSandwich in test_small_sample.py)
    w = linearized(DATA["w"])
    nps = m.nps(DATA["nps"], weights=w)
    mean = m.mean_rating(DATA["nps"], weights=w, method="t")
    top2 = m.csat(DATA["csat"], weights=w)
    assert nps.value == pytest.approx(100 * 0.0946587161832579, rel=1e-12)
    assert mean.value == pytest.approx(7.53973559081153, rel=1e-12)
    assert top2.value == pytest.approx(100 * 0.66011435461834, rel=1e-12)
    assert _se(nps, 100) == pytest.approx(0.0625483044805629, rel=REL)
    assert _se(mean, 1) == pytest.approx(0.151695648461666, rel=REL)
    assert _se(top2, 100) == pytest.approx(0.0344142037349671, rel=REL)
    assert nps.design == "weights" and nps.df == 239  # R: degf(w) 239
    # the mean's interval is svymean's with confint(df = degf): mean ± t(239) · SE
    from scipy import stats

    half = stats.t.ppf(0.975, 239) * 0.151695648461666
    assert mean.ci_low == pytest.approx(7.53973559081153 - half, rel=1e-6)


def test_clustered_design_matches_svymean() -> None:
    # R: SE(svymean(~z + nps + top2, cl)) 0.061071390301471 0.147508019711881
    #    0.0345847743195339; degf(cl) 119
    ids = DATA["respondent"]
    nps = m.nps(DATA["nps"], weights=DATA["w"], ids=ids)
    mean = m.mean_rating(DATA["nps"], weights=DATA["w"], ids=ids)
    top2 = m.csat(DATA["csat"], weights=DATA["w"], ids=ids)
    assert _se(nps, 100) == pytest.approx(0.061071390301471, rel=REL)
    assert _se(mean, 1) == pytest.approx(0.147508019711881, rel=REL)
    assert _se(top2, 100) == pytest.approx(0.0345847743195339, rel=REL)
    assert mean.df == 119 and mean.design == "weights+clusters"


def test_rake_weights_match_r() -> None:
    # R: weights(r)[c(1:5, 240)] 0.91734296738971 0.420932473504455 0.91734296738971
    #    0.405166686800316 0.610012462205865 0.91734296738971 (population total 240, so
    #    mean 1 as ours)
    w = rake(DATA, MARGINS, tol=1e-12)
    expected = [
        0.91734296738971,
        0.420932473504455,
        0.91734296738971,
        0.405166686800316,
        0.610012462205865,
        0.91734296738971,
    ]
    got = w.iloc[[0, 1, 2, 3, 4, 239]].to_numpy()
    assert got == pytest.approx(expected, rel=1e-9)
    assert w.mean() == pytest.approx(1.0, rel=1e-12)
    for column, shares in MARGINS.items():
        for level, share in shares.items():
            assert w[DATA[column] == level].sum() / w.sum() == pytest.approx(share, abs=1e-10)


def test_raked_design_matches_svymean() -> None:
    # R: m <- svymean(~z + nps + top2, r); coef(m) −0.0915618340911785 7.06173195555765
    #    0.587622592144769; SE(m) 0.0656686315943175 0.165344337607792 0.0414116954783269
    w = rake(DATA, MARGINS, tol=1e-12)
    nps = m.nps(DATA["nps"], weights=w)
    mean = m.mean_rating(DATA["nps"], weights=w)
    top2 = m.csat(DATA["csat"], weights=w)
    assert nps.value == pytest.approx(100 * -0.0915618340911785, rel=1e-9)
    assert mean.value == pytest.approx(7.06173195555765, rel=1e-9)
    assert top2.value == pytest.approx(100 * 0.587622592144769, rel=1e-9)
    assert _se(nps, 100) == pytest.approx(0.0656686315943175, rel=REL)
    assert _se(mean, 1) == pytest.approx(0.165344337607792, rel=REL)
    assert _se(top2, 100) == pytest.approx(0.0414116954783269, rel=REL)
    assert nps.design == "raked"
    # The same weights as a plain array give the weights-only design (a larger SE here).
    plain = m.mean_rating(DATA["nps"], weights=w.to_numpy())
    assert plain.design == "weights" and plain.value == mean.value and plain.se != mean.se


def test_raked_domain_matches_svymean_on_a_subset() -> None:
    # R: m <- svymean(~z + nps, subset(r, touchpoint == "web")); coef(m)
    #    −0.0453338986505256 7.08128270400006; SE(m) 0.0919020353858398 0.251990876369909
    w = rake(DATA, MARGINS, tol=1e-12)
    web = (DATA["touchpoint"] == "web").to_numpy()
    nps = m.nps(DATA.loc[web, "nps"], weights=w[web])
    mean = m.mean_rating(DATA.loc[web, "nps"], weights=w[web])
    assert calibration_of(w[web]) is not None
    assert nps.value == pytest.approx(100 * -0.0453338986505256, rel=1e-9)
    assert _se(nps, 100) == pytest.approx(0.0919020353858398, rel=REL)
    assert mean.value == pytest.approx(7.08128270400006, rel=1e-9)
    assert _se(mean, 1) == pytest.approx(0.251990876369909, rel=REL)
    assert mean.df == pytest.approx(30.7499263202548683, rel=1e-6)  # test_small_sample.py
    plain = m.mean_rating(DATA.loc[web, "nps"], weights=linearized(w[web]))
    assert plain.df == 239  # R: degf(r) 239, a domain keeps the sample's df
    assert plain.se == pytest.approx(0.251990876369909, rel=REL)
    # metric_by gives the same domains in one call.
    by = m.metric_by(DATA, "mean", by="touchpoint", weights=w, column="nps").set_index("touchpoint")
    assert by.loc["web", "se"] == pytest.approx(0.251990876369909, rel=REL)
    assert by.loc["web", "design"] == "raked"


def test_rake_refuses_bad_margins_naming_them() -> None:
    with pytest.raises(ValueError, match=r"margin 'size': shares sum to 0.9, not 1"):
        rake(DATA, {"size": {"small": 0.5, "large": 0.4}})
    with pytest.raises(ValueError, match=r"margin 'size': data levels \['large'\] have no share"):
        rake(DATA, {"size": {"small": 1.0}})
    with pytest.raises(ValueError, match=r"levels \['medium'\] are in the margins but not"):
        rake(DATA, {"size": {"small": 0.5, "large": 0.4, "medium": 0.1}})
    with pytest.raises(ValueError, match=r"margin 'colour': no such column"):
        rake(DATA, {"colour": {"red": 1.0}})
    with pytest.raises(RakingError, match="cannot both be met"):
        rake(DATA, MARGINS, trim=(0.5, 1.6))
    with pytest.raises(ValueError, match="trim must be"):
        rake(DATA, MARGINS, trim=(2.0, 3.0))
    with pytest.raises(ValueError, match=r"weights must be finite and non-negative"):
        m.nps(DATA["nps"], weights=-DATA["w"])
    with pytest.raises(ValueError, match=r"weights has missing values"):
        m.nps(DATA["nps"], weights=DATA["w"].where(DATA.index > 0))


def test_trimmed_raking_keeps_margins_and_bounds() -> None:
    # untrimmed the weights run from 0.28 to 3.74
    w = rake(DATA, MARGINS, trim=(0.3, 3.0), tol=1e-10)
    assert w.max() <= 3.0 * w.mean() * (1 + 1e-6) and w.min() >= 0.3 * w.mean() * (1 - 1e-6)
    for column, shares in MARGINS.items():
        for level, share in shares.items():
            assert w[DATA[column] == level].sum() / w.sum() == pytest.approx(share, abs=1e-8)
