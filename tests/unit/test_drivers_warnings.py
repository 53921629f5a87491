"""driver_importance's coded warnings: every path emits its code with the right numbers.

The numbers are recomputed here independently of the package (statsmodels OLS for the VIFs,
an SVD for the condition number, counts from the data, a replay of the bootstrap draws),
so a code that carried the wrong value would fail.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from cxresearch.stats.drivers import BootstrapDraws, driver_importance
from cxresearch.stats.drivers.checks import (
    CONDITION_WARN,
    MIN_PER_DRIVER,
    VIF_WARN,
    WARNING_FIELDS,
    design_warnings,
    warning_text,
)


def codes(result: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """The result's warnings by code, after checking they match the English sentences."""
    coded = result.attrs["warning_codes"]
    assert [warning_text(c) for c in coded] == result.attrs["warnings"]
    for entry in coded:
        assert set(entry) == {"code", *WARNING_FIELDS[entry["code"]]}, entry
    by_code = {c["code"]: c for c in coded}
    assert len(by_code) == len(coded)  # no code twice
    return by_code


def collinear(n: int = 25, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    frame = pd.DataFrame({"a": a, "b": a + rng.normal(size=n) * 0.05, "c": rng.normal(size=n)})
    frame["y"] = frame["a"] + frame["c"] + rng.normal(size=n)
    return frame


def test_small_collinear_design_gives_low_n_collinearity_and_vif_codes() -> None:
    frame = collinear()
    drivers = ["a", "b", "c"]
    got = codes(driver_importance(frame, outcome="y", drivers=drivers))
    assert list(got) == ["low_n_per_driver", "collinearity", "high_vif"]
    assert got["low_n_per_driver"] == {
        "code": "low_n_per_driver",
        "n": 25,
        "p": 3,
        "per_driver": MIN_PER_DRIVER,
        "needed": 30,
    }
    # VIF_j = 1 / (1 − R²_j), R²_j from OLS of driver j on the others with an intercept.
    x = frame[drivers]
    vif = {
        d: 1.0 / (1.0 - sm.OLS(x[d], sm.add_constant(x.drop(columns=d))).fit().rsquared)
        for d in drivers
    }
    high = {d: v for d, v in vif.items() if v > VIF_WARN}
    assert set(high) == {"a", "b"} and vif["c"] < 2
    top = max(vif, key=lambda d: vif[d])
    assert list(got["high_vif"]["vifs"]) == sorted(high, key=lambda d: -high[d])
    for d, v in high.items():
        assert got["high_vif"]["vifs"][d] == pytest.approx(v, rel=1e-9)
    assert got["high_vif"]["limit"] == VIF_WARN
    assert got["high_vif"]["driver"] == top == got["collinearity"]["driver"]
    assert got["high_vif"]["max_vif"] == pytest.approx(vif[top], rel=1e-9)
    assert got["collinearity"]["max_vif"] == pytest.approx(vif[top], rel=1e-9)
    # Condition number of the standardised drivers: ratio of the largest to the smallest
    # singular value of the z-scored design (Belsley, Kuh & Welsch 1980).
    z = (x - x.mean()) / x.std()
    s = np.linalg.svd(z.to_numpy(), compute_uv=False)
    assert got["collinearity"]["condition_number"] == pytest.approx(s[0] / s[-1], rel=1e-9)
    assert got["collinearity"]["condition_number"] > CONDITION_WARN
    assert got["collinearity"]["limit"] == CONDITION_WARN


def test_low_n_uses_the_smallest_pairwise_count() -> None:
    rng = np.random.default_rng(8)
    n = 60
    frame = pd.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "c"])
    frame["y"] = frame.sum(axis=1) + rng.normal(size=n)
    frame.loc[0:9, "a"] = np.nan
    frame.loc[20:49, "b"] = np.nan
    result = driver_importance(frame, outcome="y", drivers=["a", "b", "c"], missing="pairwise")
    present = frame[["y", "a", "b", "c"]].notna().to_numpy(dtype=float)
    smallest = int((present.T @ present).min())  # a and b both present: 60 − 10 − 30 = 20
    assert smallest == 20
    got = codes(result)["low_n_per_driver"]
    assert (got["n"], got["p"], got["needed"]) == (smallest, 3, 30)


def test_few_events_counts_the_rarer_outcome_category() -> None:
    rng = np.random.default_rng(4)
    n = 100
    frame = pd.DataFrame(rng.normal(size=(n, 2)), columns=["a", "b"])
    frame["retained"] = 1.0
    frame.loc[rng.choice(n, size=7, replace=False), "retained"] = 0.0  # 7 of 100 left
    got = codes(driver_importance(frame, outcome="retained", drivers=["a", "b"]))
    assert got["few_events"] == {
        "code": "few_events",
        "events": 7.0,
        "p": 2,
        "per_driver": MIN_PER_DRIVER,
        "needed": 20,
    }
    assert "low_n_per_driver" not in got  # 100 rows are enough for 2 drivers


def test_sampled_fallback_code_names_the_limit_and_the_orders() -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.normal(size=(200, 4)), columns=list("abcd"))
    frame["y"] = frame.sum(axis=1) + rng.normal(size=200)
    result = driver_importance(
        frame, outcome="y", drivers=list("abcd"), max_exact=3, n_permutations=50, seed=2
    )
    got = codes(result)
    assert got["fallback_sampled"] == {
        "code": "fallback_sampled",
        "p": 4,
        "max_exact": 3,
        "n_permutations": 50,
    }


def test_noise_without_bootstrap_code() -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.normal(size=(200, 2)), columns=["a", "b"])
    frame["y"] = frame.sum(axis=1) + rng.normal(size=200)
    plain = codes(driver_importance(frame, outcome="y", drivers=["a", "b"], noise_baseline=True))
    assert plain == {"noise_without_bootstrap": {"code": "noise_without_bootstrap"}}
    boot = driver_importance(
        frame, outcome="y", drivers=["a", "b"], noise_baseline=True, bootstrap=20, seed=1
    )
    assert codes(boot) == {}


def test_bootstrap_failed_code_counts_the_resamples_without_the_rare_flag() -> None:
    n, reps, seed = 30, 80, 4
    rng = np.random.default_rng(2)
    frame = pd.DataFrame(rng.normal(size=(n, 2)), columns=["a", "b"])
    frame["flag"] = 0.0
    frame.loc[[3, 17], "flag"] = 1.0
    frame["y"] = frame["a"] + frame["flag"] + rng.normal(size=n)
    result = driver_importance(
        frame, outcome="y", drivers=["a", "b", "flag"], bootstrap=reps, seed=seed
    )
    # Replay the draws: driver_importance spawns (noise, orders, bootstrap) seeds and draws
    # the resamples' counts with BootstrapDraws. A resample without rows 3 and 17 has a
    # constant flag and cannot be computed.
    boot_ss = np.random.SeedSequence(seed).spawn(3)[2]
    counts = BootstrapDraws(boot_ss, n=n, replicates=reps).counts()
    expected = int((counts[:, [3, 17]].sum(axis=1) == 0).sum())
    assert 0 < expected < reps
    got = codes(result)["bootstrap_failed"]
    assert got == {"code": "bootstrap_failed", "failed": expected, "bootstrap": reps}
    assert result.attrs["bootstrap_failed"] == expected


@pytest.mark.parametrize(
    ("method", "bootstrap", "count"),
    [
        # Exact Shapley fits all 2^2 subsets; the two that contain "a" separate y.
        ("shapley", 0, 2),
        ("regression", 0, 1),  # one full-model fit
        ("shapley", 10, 2 + 10 * 2),  # the point fits and each replicate's
    ],
)
def test_not_converged_code_counts_the_separated_fits(
    method: str, bootstrap: int, count: int
) -> None:
    rng = np.random.default_rng(1)
    n = 80
    frame = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    frame["y"] = (frame["a"] > 0).astype(float)  # "a" separates the outcome perfectly
    result = driver_importance(
        frame, outcome="y", drivers=["a", "b"], method=method, bootstrap=bootstrap, seed=1
    )
    assert codes(result)["not_converged"] == {"code": "not_converged", "count": count}


def test_clean_design_has_no_warnings() -> None:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    frame["y"] = frame.sum(axis=1) + rng.normal(size=300)
    result = driver_importance(frame, outcome="y", drivers=["a", "b", "c"])
    assert result.attrs["warning_codes"] == [] and result.attrs["warnings"] == []


def test_design_warnings_stop_at_the_thresholds() -> None:
    # Exactly 10 per driver, the condition number and VIF at their limits: no warning.
    assert (
        design_warnings(
            n=20, drivers=["a", "b"], condition=CONDITION_WARN, vif={"a": VIF_WARN, "b": 1.0}
        )
        == []
    )
    below = design_warnings(n=19, drivers=["a", "b"], condition=1.0, vif={"a": 1.0, "b": 1.0})
    assert below == [{"code": "low_n_per_driver", "n": 19, "p": 2, "per_driver": 10, "needed": 20}]


def test_warning_text_keeps_the_english_sentences() -> None:
    entry = {"code": "high_vif", "vifs": {"b": 14.04, "a": 12.0}, "limit": 10.0}
    assert warning_text(entry) == "variance inflation factor above 10: b (14.0), a (12.0)"
    entry = {"code": "low_n_per_driver", "n": 19, "p": 2, "per_driver": 10, "needed": 20}
    assert warning_text(entry) == (
        "n = 19 is below 10 responses per driver (20 for 2 drivers): importances are "
        "unstable; read the intervals"
    )
    with pytest.raises(ValueError, match="warning code must be one of .*got 'nope'"):
        warning_text({"code": "nope"})
