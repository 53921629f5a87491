"""importance_performance: quadrant rule, ordering, intervals, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxresearch.errors import DataError
from cxresearch.stats.drivers import PRIORITIES, driver_importance, importance_performance


def ratings_frame() -> pd.DataFrame:
    rng = np.random.default_rng(4)
    n = 500
    frame = pd.DataFrame(
        {
            # driver: (mean level, effect on the outcome)
            "speed": np.clip(np.round(rng.normal(2.2, 0.9, n)), 1, 5),  # important, poor
            "staff": np.clip(np.round(rng.normal(4.3, 0.7, n)), 1, 5),  # important, good
            "app": np.clip(np.round(rng.normal(4.4, 0.7, n)), 1, 5),  # unimportant, good
            "billing": np.clip(np.round(rng.normal(2.0, 0.8, n)), 1, 5),  # unimportant, poor
        }
    )
    frame["csat"] = (
        2.0 * frame["speed"] + 2.0 * frame["staff"] + 0.1 * frame["app"] + rng.normal(0, 1, n)
    )
    return frame


DRIVERS = ["speed", "staff", "app", "billing"]


def test_quadrants_follow_the_documented_rule():
    frame = ratings_frame()
    table = importance_performance(frame, outcome="csat", drivers=DRIVERS)
    got = table.set_index("driver")["priority"].to_dict()
    assert got == {
        "speed": "fix first",
        "staff": "keep up",
        "app": "possible overkill",
        "billing": "low priority",
    }
    assert table.set_index("driver").loc["speed", "quadrant"] == "concentrate here"
    # Sorted by priority order, then importance.
    assert list(table["priority"]) == list(PRIORITIES)
    # Cut lines are the means over the drivers (data-centred).
    assert table.attrs["importance_cut"] == pytest.approx(table["importance"].mean(), abs=1e-15)
    assert table.attrs["performance_cut"] == pytest.approx(table["performance"].mean(), abs=1e-15)
    assert "Martilla & James (1977)" in table.attrs["rule"]
    # Rule applied row by row, independently of the implementation's where():
    for row in table.itertuples():
        high_i = row.importance >= table.attrs["importance_cut"]
        high_p = row.performance >= table.attrs["performance_cut"]
        expected = {
            (True, False): "fix first",
            (True, True): "keep up",
            (False, True): "possible overkill",
            (False, False): "low priority",
        }[(high_i, high_p)]
        assert row.priority == expected


def test_explicit_cuts_and_reused_importance_with_intervals():
    frame = ratings_frame()
    imp = driver_importance(frame, outcome="csat", drivers=DRIVERS, bootstrap=100, seed=1)
    table = importance_performance(
        frame, outcome="csat", drivers=DRIVERS, importance=imp, performance_cut=3.0
    )
    assert table["importance_ci_low"].notna().all()
    assert table.attrs["performance_cut"] == 3.0
    got = table.set_index("driver")
    pd.testing.assert_series_equal(
        got["importance"].sort_index(),
        imp.set_index("driver")["importance"].sort_index(),
        check_names=False,
    )
    # A cut line through the middle of an interval marks the driver as uncertain.
    mid = got.loc["staff", "performance"]
    table = importance_performance(
        frame, outcome="csat", drivers=DRIVERS, importance=imp, performance_cut=mid + 1e-9
    )
    assert table.set_index("driver").loc["staff", "uncertain"]


def test_top2_uses_the_top_range_and_weights():
    frame = pd.DataFrame(
        {"a": [5, 4, 3, 2, 1, 5.0], "b": [1, 1, 2, 2, 5, 5.0], "y": [1, 2, 3, 4, 5, 7.0]}
    )
    imp = driver_importance(frame, outcome="y", drivers=["a", "b"])
    table = importance_performance(
        frame, outcome="y", drivers=["a", "b"], importance=imp, performance="top2"
    )
    assert table.set_index("driver").loc["a", "performance"] == pytest.approx(50.0)
    w = np.array([3, 1, 1, 1, 1, 1.0])
    weighted = importance_performance(
        frame, outcome="y", drivers=["a", "b"], importance=imp, performance="top2", weights=w
    )
    assert weighted.set_index("driver").loc["a", "performance"] == pytest.approx(100 * 5 / 8)


def test_bad_input():
    frame = ratings_frame()
    with pytest.raises(DataError, match="'speed' has ratings outside the scale \\(1, 4\\)"):
        importance_performance(frame, outcome="csat", drivers=DRIVERS, scale=(1, 4), top=(3, 4))
    with pytest.raises(ValueError, match="performance must be"):
        importance_performance(frame, outcome="csat", drivers=DRIVERS, performance="median")
    with pytest.raises(ValueError, match="top must be a range inside scale"):
        importance_performance(frame, outcome="csat", drivers=DRIVERS, top=(4, 6))
    imp = driver_importance(frame, outcome="csat", drivers=["speed", "staff"])
    with pytest.raises(DataError, match="no row for drivers \\['app', 'billing'\\]"):
        importance_performance(frame, outcome="csat", drivers=DRIVERS, importance=imp)


def test_weighted_performance_interval_equals_mean_rating():
    # One implementation of a weighted mean's interval: IPA's performance with weights is
    # exactly cxresearch.mean_rating's (Kish n_eff, Bessel on n_eff, t with n_eff − 1 df).
    from cxresearch.stats.metrics import mean_rating

    frame = ratings_frame()
    w = np.random.default_rng(7).uniform(0.3, 3.0, len(frame))
    imp = driver_importance(frame, outcome="csat", drivers=DRIVERS)
    table = importance_performance(
        frame, outcome="csat", drivers=DRIVERS, importance=imp, weights=w, confidence=0.9
    ).set_index("driver")
    for driver in DRIVERS:
        expected = mean_rating(frame[driver], weights=w, confidence=0.9)
        row = table.loc[driver]
        assert row["performance"] == pytest.approx(expected.value, abs=1e-12)
        assert row["performance_ci_low"] == pytest.approx(expected.ci_low, abs=1e-12)
        assert row["performance_ci_high"] == pytest.approx(expected.ci_high, abs=1e-12)
