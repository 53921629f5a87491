"""driver_importance: output shape, bootstrap, noise baseline, fallback, weights, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cxresearch
from cxresearch.errors import DataError
from cxresearch.stats.drivers import NOISE_DRIVER, BootstrapDraws, driver_importance

SWISS = pd.read_csv(Path(__file__).parents[1] / "reference" / "data" / "swiss.csv", index_col=0)
DRIVERS = ["Agriculture", "Examination", "Education", "Catholic", "Infant.Mortality"]


def survey(n: int = 400, seed: int = 0, weights=(0.5, 0.3, 0.15, 0.05, 0.0)) -> pd.DataFrame:
    """Correlated 1–5 ratings and an NPS-like outcome with known driver weights."""
    rng = np.random.default_rng(seed)
    p = len(weights)
    latent = rng.normal(size=(n, p)) + 0.5 * rng.normal(size=(n, 1))
    ratings = np.clip(np.round(3 + latent), 1, 5)
    score = ratings @ np.asarray(weights) * 2 + rng.normal(size=n)
    frame = pd.DataFrame(ratings, columns=[f"attr_{i}" for i in range(p)])
    frame["nps"] = np.clip(np.round(score - score.mean() + 7), 0, 10)
    frame["retained"] = score + rng.normal(size=n) > np.median(score)
    return frame


ATTRS = [f"attr_{i}" for i in range(5)]


def test_result_layout_and_attrs():
    result = cxresearch.driver_importance(SWISS, outcome="Fertility", drivers=DRIVERS)
    assert list(result.columns) == ["driver", "importance", "share", "rank", "is_noise"]
    assert list(result["rank"]) == [1, 2, 3, 4, 5]
    assert result["importance"].is_monotonic_decreasing
    assert result["share"].sum() == pytest.approx(1.0, abs=1e-12)
    assert not result["is_noise"].any()
    for key in (
        "r2",
        "n",
        "n_dropped",
        "method",
        "outcome_type",
        "bootstrap",
        "confidence",
        "seed",
        "warnings",
        "warning_codes",
        "vif",
        "condition_number",
        "n_effective",
        "exact",
    ):
        assert key in result.attrs, key
    assert result.attrs["n"] == 47 and result.attrs["n_dropped"] == 0
    assert set(result.attrs["vif"]) == set(DRIVERS)
    # VIF_j = 1 / (1 − R² of driver j on the others), computed independently:
    others = [d for d in DRIVERS if d != "Education"]
    r2_edu = driver_importance(SWISS, outcome="Education", drivers=others).attrs["r2"]
    assert result.attrs["vif"]["Education"] == pytest.approx(1 / (1 - r2_edu), rel=1e-10)


def test_bootstrap_is_seeded_and_equals_explicit_resampling():
    first = driver_importance(SWISS, outcome="Fertility", drivers=DRIVERS, bootstrap=60, seed=7)
    again = driver_importance(SWISS, outcome="Fertility", drivers=DRIVERS, bootstrap=60, seed=7)
    other = driver_importance(SWISS, outcome="Fertility", drivers=DRIVERS, bootstrap=60, seed=8)
    pd.testing.assert_frame_equal(first, again)
    assert not np.allclose(first["ci_low"], other["ci_low"])
    for col in ("ci_low", "ci_high", "share_ci_low", "share_ci_high"):
        assert col in first.columns
    assert (first["ci_low"] <= first["ci_high"]).all()
    # The vectorised bootstrap (draw counts as frequency weights, sufficient statistics
    # per chunk of rows) must equal refitting on resampled rows: reproduce the documented
    # stream (BootstrapDraws on the third child of SeedSequence(seed)) as row indices.
    _, _, boot = np.random.SeedSequence(7).spawn(3)
    counts = BootstrapDraws(boot, n=len(SWISS), replicates=60).counts()
    rows = np.arange(len(SWISS))
    reps = np.array(
        [
            driver_importance(SWISS.iloc[np.repeat(rows, c)], outcome="Fertility", drivers=DRIVERS)
            .set_index("driver")
            .loc[DRIVERS, "importance"]
            .to_numpy()
            for c in counts
        ]
    )
    lo, hi = np.quantile(reps, [0.025, 0.975], axis=0)
    got = first.set_index("driver").loc[DRIVERS]
    np.testing.assert_allclose(got["ci_low"], lo, atol=1e-12)
    np.testing.assert_allclose(got["ci_high"], hi, atol=1e-12)


@pytest.mark.parametrize("method", ["shapley", "relative-weights", "correlation", "regression"])
def test_every_method_bootstraps(method):
    frame = survey()
    result = driver_importance(
        frame, outcome="nps", drivers=ATTRS, method=method, bootstrap=50, seed=1
    )
    assert (result["ci_low"] <= result["ci_high"]).all()
    assert result.loc[0, "driver"] == "attr_0"
    assert result.attrs["bootstrap"] == 50 and result.attrs["bootstrap_failed"] == 0


def test_noise_baseline_flags_weak_drivers():
    frame = survey(n=600)
    # attr_4 has weight 0 but shares the common factor, so Shapley rightly credits it; a
    # rating unrelated to everything must not be distinguishable from noise.
    rng = np.random.default_rng(11)
    frame["unrelated"] = rng.integers(1, 6, size=len(frame)).astype(float)
    drivers = [*ATTRS, "unrelated"]
    result = driver_importance(
        frame, outcome="nps", drivers=drivers, noise_baseline=True, bootstrap=200, seed=3
    )
    noise = result[result["is_noise"]]
    assert list(noise["driver"]) == [NOISE_DRIVER]
    assert noise["noise_diff_ci_low"].isna().all()
    above = result.set_index("driver")["above_noise"]
    assert above["attr_0"] and above["attr_1"] and above["attr_2"]
    assert not above["unrelated"]
    assert not above[NOISE_DRIVER]
    # Without bootstrap the noise row is there but the report is told intervals are missing.
    plain = driver_importance(frame, outcome="nps", drivers=ATTRS, noise_baseline=True, seed=3)
    assert NOISE_DRIVER in set(plain["driver"])
    assert any("noise baseline without bootstrap" in w for w in plain.attrs["warnings"])


def test_sampled_fallback_is_reported_and_close_to_exact():
    frame = survey()
    exact = driver_importance(frame, outcome="nps", drivers=ATTRS).set_index("driver")
    sampled = driver_importance(
        frame, outcome="nps", drivers=ATTRS, max_exact=3, n_permutations=4000, seed=1
    )
    assert sampled.attrs["exact"] is False and sampled.attrs["n_permutations"] == 4000
    assert any("max_exact = 3" in w for w in sampled.attrs["warnings"])
    assert "mc_se" in sampled.columns
    got = sampled.set_index("driver")
    assert np.all(
        np.abs(got["importance"] - exact.loc[got.index, "importance"]) < 5 * got["mc_se"] + 1e-12
    )
    assert got["importance"].sum() == pytest.approx(exact["importance"].sum(), abs=1e-12)


def test_binary_outcome_auto_and_override():
    frame = survey()
    binary = driver_importance(frame, outcome="retained", drivers=ATTRS)  # bool column
    assert binary.attrs["outcome_type"] == "binary"
    assert binary.attrs["r2_name"] == "McFadden pseudo-R²"
    assert binary.loc[0, "driver"] == "attr_0"
    as_int = frame.assign(retained=frame["retained"].astype(int))
    interval = driver_importance(as_int, outcome="retained", drivers=ATTRS, outcome_type="interval")
    assert interval.attrs["outcome_type"] == "interval" and interval.attrs["r2_name"] == "R²"
    with pytest.raises(DataError, match="coded 0/1"):
        driver_importance(frame, outcome="nps", drivers=ATTRS, outcome_type="binary")
    with pytest.raises(ValueError, match="pairwise"):
        driver_importance(frame, outcome="retained", drivers=ATTRS, missing="pairwise")


def test_binary_bootstrap_and_sampled_fallback():
    frame = survey(n=300)
    result = driver_importance(
        frame,
        outcome="retained",
        drivers=ATTRS,
        bootstrap=20,
        seed=2,
        max_exact=4,
        n_permutations=300,
    )
    assert result.attrs["exact"] is False
    assert (result["ci_low"] <= result["ci_high"]).all()
    assert result["importance"].sum() == pytest.approx(result.attrs["r2"], abs=1e-12)


def test_weights_of_one_equal_unweighted_and_column_equals_array():
    frame = survey().assign(w=1.0)
    plain = driver_importance(frame, outcome="nps", drivers=ATTRS)
    ones = driver_importance(frame, outcome="nps", drivers=ATTRS, weights="w")
    np.testing.assert_allclose(ones["importance"], plain["importance"], atol=1e-12)
    w = np.random.default_rng(0).uniform(0.5, 2, len(frame))
    by_name = driver_importance(frame.assign(w=w), outcome="nps", drivers=ATTRS, weights="w")
    by_array = driver_importance(frame, outcome="nps", drivers=ATTRS, weights=w)
    pd.testing.assert_frame_equal(by_name, by_array)
    assert by_name.attrs["n_effective"] < len(frame)
    # Doubling a row's weight equals duplicating the row (frequency-weight semantics).
    w2 = np.ones(len(frame))
    w2[:10] = 2.0
    doubled = driver_importance(frame, outcome="nps", drivers=ATTRS, weights=w2)
    duplicated = driver_importance(
        pd.concat([frame, frame.iloc[:10]]), outcome="nps", drivers=ATTRS
    )
    np.testing.assert_allclose(doubled["importance"], duplicated["importance"], atol=1e-12)


def test_listwise_counts_dropped_rows_and_pairwise_keeps_them():
    frame = survey()
    frame.loc[:19, "attr_1"] = np.nan
    frame.loc[10:29, "nps"] = np.nan
    listwise = driver_importance(frame, outcome="nps", drivers=ATTRS)
    assert listwise.attrs["n_dropped"] == 30 and listwise.attrs["n"] == len(frame) - 30
    pairwise = driver_importance(frame, outcome="nps", drivers=ATTRS, missing="pairwise")
    assert pairwise.attrs["n_dropped"] == 20  # rows without the outcome
    assert pairwise.attrs["n_model"] == len(frame) - 30  # smallest pairwise count
    assert pairwise.attrs["missing"] == "pairwise"


def test_warnings_for_small_n_and_collinearity():
    rng = np.random.default_rng(5)
    n = 25
    a = rng.normal(size=n)
    frame = pd.DataFrame({"a": a, "b": a + rng.normal(size=n) * 0.05, "c": rng.normal(size=n)})
    frame["y"] = frame["a"] + frame["c"] + rng.normal(size=n)
    result = driver_importance(frame, outcome="y", drivers=["a", "b", "c"])
    text = " | ".join(result.attrs["warnings"])
    assert "below 10 responses per driver" in text
    assert "condition number" in text
    assert (
        "variance inflation factor above 10: a" in text
        or "variance inflation factor above 10: b" in text
    )


# --- bad input ------------------------------------------------------------------------------


def test_outcome_among_drivers():
    with pytest.raises(ValueError, match="'Fertility' is also listed among the drivers"):
        driver_importance(SWISS, outcome="Fertility", drivers=["Fertility", "Education"])


def test_duplicate_drivers():
    with pytest.raises(ValueError, match=r"\['Education'\] more than once"):
        driver_importance(
            SWISS, outcome="Fertility", drivers=["Education", "Catholic", "Education"]
        )


def test_constant_driver():
    frame = SWISS.assign(Flat=3.0)
    with pytest.raises(DataError, match="'Flat' \\(always 3\\)"):
        driver_importance(frame, outcome="Fertility", drivers=["Education", "Flat"])


def test_linear_combination_names_the_columns():
    frame = SWISS.assign(Total=SWISS["Education"] + 2 * SWISS["Catholic"])
    with pytest.raises(DataError, match="linear combination") as err:
        driver_importance(
            frame, outcome="Fertility", drivers=["Agriculture", "Education", "Catholic", "Total"]
        )
    message = str(err.value)
    assert "'Education'" in message and "'Catholic'" in message and "'Total'" in message
    assert "'Agriculture'" not in message


def test_fewer_rows_than_drivers_plus_two():
    with pytest.raises(DataError, match="at least drivers \\+ 2 = 7"):
        driver_importance(SWISS.iloc[:6], outcome="Fertility", drivers=DRIVERS)


def test_non_numeric_column():
    frame = SWISS.assign(Canton=SWISS.index.astype(str))
    with pytest.raises(DataError, match="not numeric: 'Canton'"):
        driver_importance(frame, outcome="Fertility", drivers=["Education", "Canton"])


def test_all_rows_missing():
    frame = SWISS.assign(Education=np.nan)
    with pytest.raises(DataError, match="no row has the outcome 'Fertility' and every driver"):
        driver_importance(frame, outcome="Fertility", drivers=DRIVERS)


def test_missing_column_and_bad_options():
    with pytest.raises(DataError, match="not found.*'Nope'"):
        driver_importance(SWISS, outcome="Fertility", drivers=["Nope"])
    with pytest.raises(ValueError, match="method must be one of"):
        driver_importance(SWISS, outcome="Fertility", drivers=DRIVERS, method="dominance")
    with pytest.raises(ValueError, match="bootstrap"):
        driver_importance(SWISS, outcome="Fertility", drivers=DRIVERS, bootstrap=1)
    with pytest.raises(ValueError, match="confidence"):
        driver_importance(SWISS, outcome="Fertility", drivers=DRIVERS, confidence=95)
    with pytest.raises(ValueError, match="missing must be"):
        driver_importance(SWISS, outcome="Fertility", drivers=DRIVERS, missing="mean")
    with pytest.raises(TypeError, match="drivers must be a list"):
        driver_importance(SWISS, outcome="Fertility", drivers="Education")
    with pytest.raises(ValueError, match="non-negative"):
        driver_importance(SWISS, outcome="Fertility", drivers=DRIVERS, weights=-np.ones(len(SWISS)))
    with pytest.raises(ValueError, match="already called"):
        driver_importance(
            SWISS.rename(columns={"Education": NOISE_DRIVER}),
            outcome="Fertility",
            drivers=[NOISE_DRIVER, "Catholic"],
            noise_baseline=True,
        )


def test_constant_outcome():
    with pytest.raises(DataError, match="'Fertility' \\(always 1\\)"):
        driver_importance(SWISS.assign(Fertility=1.0), outcome="Fertility", drivers=DRIVERS)


@pytest.mark.parametrize("method", ["shapley", "regression", "relative-weights"])
def test_replicates_with_a_constant_driver_are_counted_not_fatal(method):
    # "flag" is 1 in two of 30 rows: about one resample in eight contains neither.
    frame = survey(n=30, seed=2)
    frame["flag"] = 0.0
    frame.loc[[3, 17], "flag"] = 1.0
    drivers = ["attr_0", "attr_1", "flag"]
    result = driver_importance(
        frame, outcome="nps", drivers=drivers, method=method, bootstrap=80, seed=4
    )
    failed = result.attrs["bootstrap_failed"]
    assert 0 < failed < 40
    assert any(f"{failed} of 80 bootstrap replicates" in w for w in result.attrs["warnings"])
    assert np.isfinite(result[["ci_low", "ci_high"]].to_numpy()).all()
