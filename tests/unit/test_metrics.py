"""Behaviour and bad input of the metric functions and metric_by."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxresearch.errors import DataError
from cxresearch.stats.inference import compare_samples, compare_to_target, compare_waves
from cxresearch.stats.metrics import ces, ces_mean, csat, mean_rating, metric_by, nps, top_box
from cxresearch.stats.weighting import kish_effective_n

# --- bad input names the argument -------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "pattern"),
    [
        ([10, 11], r"scores must lie in 0\.\.10; found \[11\.0\]"),
        ([10, -1], r"scores must lie in 0\.\.10; found \[-1\.0\]"),
        ([7.5, 9], r"scores must be whole numbers; found \[7\.5\]"),
        (["a", 9], r"scores must be numbers; found \['a'\]"),
        (["9", 9], r"scores must be numbers; found \['9'\]"),
        ([True, False], r"scores must be numbers, got booleans"),
        ([np.inf, 9], r"scores must be whole numbers; found \[inf\]"),
        ([], r"scores has no non-missing values"),
        ([None, np.nan], r"scores has no non-missing values"),
        ("10", r"scores must be a one-dimensional array"),
        (np.ones((2, 2)), r"scores must be a one-dimensional array"),
    ],
)
def test_nps_bad_scores_raise_naming_the_argument(scores, pattern):
    with pytest.raises(ValueError, match=pattern):
        nps(scores)


@pytest.mark.parametrize(
    ("weights", "pattern"),
    [
        ([1.0, -0.5, 1.0], r"weights must be finite and non-negative; found \[-0\.5\]"),
        ([1.0, 1.0], r"weights has length 2 but there are 3 scores"),
        ([1.0, np.nan, 1.0], r"weights has missing values at positions \[1\]"),
        ([1.0, "x", 1.0], r"weights must be numbers; found \['x'\]"),
        ([0.0, 0.0, 0.0], r"weights are all zero"),
    ],
)
def test_bad_weights_raise_naming_the_argument(weights, pattern):
    with pytest.raises(ValueError, match=pattern):
        nps([10, 7, 0], weights=weights)


def test_other_metrics_validate_their_scales():
    with pytest.raises(ValueError, match=r"scores must lie in 1\.\.5; found \[6\.0\]"):
        csat([5, 6])
    with pytest.raises(ValueError, match=r"scores must lie in 1\.\.7; found \[0\.0\]"):
        ces([0, 7])
    with pytest.raises(ValueError, match=r"scores must be whole numbers"):
        ces_mean([2.5, 7])
    with pytest.raises(ValueError, match=r"scores must lie in 1\.\.10"):
        mean_rating([0.5, 7], scale=(1, 10))
    with pytest.raises(ValueError, match=r"scale must be a \(low, high\) tuple"):
        mean_rating([5, 7], scale=(10, 1))
    with pytest.raises(ValueError, match=r"top values \[6\] must lie in the scale 1\.\.5"):
        top_box([5, 4], top=(6,), scale=(1, 5))
    with pytest.raises(ValueError, match=r"top must be a collection"):
        top_box([5, 4], top=5)


@pytest.mark.parametrize("confidence", [0, 1, 1.5, -0.1, "0.95", True])
def test_bad_confidence_raises(confidence):
    with pytest.raises(ValueError, match="confidence"):
        nps([10, 7, 0], confidence=confidence)


def test_bad_method_raises_naming_the_choices():
    with pytest.raises(ValueError, match=r"method must be one of \['adjusted-wald', 'wald'\]"):
        nps([10, 7, 0], method="wilson")
    with pytest.raises(ValueError, match=r"method must be one of"):
        csat([5, 4], method="adjusted-wald")


# --- missing answers ---------------------------------------------------------------------


def test_missing_answers_are_excluded_and_not_counted():
    est = nps(pd.Series([10, None, 0, pd.NA, 9], dtype="Int64"))
    assert est.n == 3
    assert est.value == pytest.approx(100 * (2 / 3 - 1 / 3))
    assert est.n_effective == 3.0
    assert nps([10, np.nan, 0, 9]).value == est.value


def test_weights_of_missing_answers_are_not_checked_or_used():
    # A missing weight on a missing answer is fine; the weight of the missing answer is unused.
    est = nps([10, None, 0], weights=[1.0, np.nan, 3.0])
    assert est.value == pytest.approx(100 * (0.25 - 0.75))
    assert est.n == 2
    assert est.n_effective == pytest.approx(16 / 10)


# --- weights -----------------------------------------------------------------------------


def test_equal_weights_give_the_unweighted_result():
    scores = [10, 9, 8, 7, 6, 0, 10, 9, 3, 8]
    plain, weighted = nps(scores), nps(scores, weights=[2.5] * 10)
    assert (weighted.value, weighted.ci_low, weighted.ci_high) == pytest.approx(
        (plain.value, plain.ci_low, plain.ci_high), abs=1e-12
    )
    assert weighted.weighted and not plain.weighted
    ratings = [1, 2, 3, 4, 5, 5, 4]
    assert mean_rating(ratings, weights=[3.0] * 7).ci_low == pytest.approx(
        mean_rating(ratings).ci_low, abs=1e-12
    )


def test_unequal_weights_lower_the_effective_n_and_widen_the_interval():
    scores = [5, 4, 4, 2, 1, 5, 3, 4, 5, 2] * 5
    weights = [0.2, 3.0, 1.0, 0.5, 2.0, 1.0, 0.7, 1.5, 0.4, 2.2] * 5
    plain, weighted = csat(scores), csat(scores, weights=weights)
    assert weighted.n == 50
    assert weighted.n_effective == pytest.approx(kish_effective_n(weights))
    assert weighted.n_effective < 50
    w = np.asarray(weights)
    assert weighted.value == pytest.approx(100 * w[np.isin(scores, [4, 5])].sum() / w.sum())
    assert plain.ci_high - plain.ci_low < weighted.ci_high - weighted.ci_low


def test_kish_effective_n():
    assert kish_effective_n([1.0] * 7) == pytest.approx(7.0)
    assert kish_effective_n([1.0, 0.0, 1.0]) == pytest.approx(2.0)
    assert kish_effective_n([2.0, 1.0, 1.0]) == pytest.approx(16 / 6)
    with pytest.raises(ValueError, match="at least one positive"):
        kish_effective_n([0.0, 0.0])
    with pytest.raises(ValueError, match="weights must be finite and non-negative"):
        kish_effective_n([1.0, -1.0])


# --- single results ----------------------------------------------------------------------


def test_estimate_fields_and_metric_names():
    assert csat([5, 4, 3]).metric == "csat_top2"
    assert ces([7, 3]).metric == "ces_easy"
    assert ces_mean([7, 3]).metric == "ces_mean"
    assert mean_rating([7, 3]).metric == "mean"
    assert top_box([1, 2, 3], top=[3], metric="x").metric == "x"
    est = mean_rating([3.0])
    assert est.value == 3.0 and np.isnan(est.ci_low) and np.isnan(est.ci_high)


def test_ces_mean_is_told_apart_from_other_means_in_a_tidy_frame():
    frame = _frame()
    stacked = pd.concat(
        [
            metric_by(frame, "ces_mean", by="size"),
            metric_by(frame, "mean", by="size", column="csat"),
        ]
    )
    assert list(stacked["metric"]) == ["ces_mean"] * 2 + ["mean"] * 2
    large = frame[frame["size"] == "large"]
    row = stacked[(stacked["metric"] == "ces_mean") & (stacked["size"] == "large")].iloc[0]
    # The CES mean and its t interval are the plain mean_rating of the ces column.
    plain = mean_rating(large["ces"])
    assert (row["value"], row["ci_low"], row["ci_high"]) == pytest.approx(
        (plain.value, plain.ci_low, plain.ci_high), abs=1e-12
    )
    assert row["value"] == pytest.approx(large["ces"].mean(), abs=1e-12)
    # Comparisons carry the name too, so the report labels them as CES means.
    small = frame[frame["size"] == "small"]
    assert compare_samples(large["ces"], small["ces"], metric="ces_mean").metric == "ces_mean"
    assert compare_to_target(large["ces"], 5, metric="ces_mean").metric == "ces_mean"
    waves = frame.assign(wave=np.where(np.arange(len(frame)) % 2, "w2", "w1"))
    changes = compare_waves(waves, "ces_mean", waves=["w1", "w2"], by="size")
    assert set(changes["metric"]) == {"ces_mean"}


def test_csat_top_can_be_changed():
    assert csat([5, 4, 3, 2], top=(5,)).value == pytest.approx(25.0)
    assert ces([7, 6, 5, 4], easy=(6, 7)).value == pytest.approx(50.0)


# --- metric_by ---------------------------------------------------------------------------


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 400
    region = pd.Categorical(
        rng.choice(["north", "south", "east"], n), categories=["south", "north", "east", "west"]
    )
    frame = pd.DataFrame(
        {
            "region": region,
            "size": rng.choice(["small", "large"], n),
            "nps": rng.integers(0, 11, n).astype("float64"),
            "csat": rng.integers(1, 6, n),
            "ces": rng.integers(1, 8, n),
            "weight": rng.uniform(0.3, 3.0, n),
        }
    )
    frame.loc[rng.random(n) < 0.1, "nps"] = np.nan
    return frame


def test_metric_by_matches_the_single_sample_functions():
    frame = _frame()
    out = metric_by(frame, "nps", by="region", weights="weight")
    for row in out.itertuples():
        part = frame[frame["region"] == row.region]
        est = nps(part["nps"], weights=part["weight"])
        assert (row.value, row.ci_low, row.ci_high) == pytest.approx(
            (est.value, est.ci_low, est.ci_high), abs=1e-9
        )
        assert (row.n, row.n_effective) == (est.n, pytest.approx(est.n_effective))
    for metric, func in [("csat", csat), ("ces", ces), ("ces_mean", ces_mean)]:
        out = metric_by(frame, metric, by=["size"])
        part = frame[frame["size"] == "large"]
        est = func(part[metric.split("_")[0]])
        row = out[out["size"] == "large"].iloc[0]
        assert (row["value"], row["ci_low"], row["ci_high"]) == pytest.approx(
            (est.value, est.ci_low, est.ci_high), abs=1e-9
        )
        assert row["metric"] == est.metric


def test_metric_by_columns_order_and_categorical_order():
    out = metric_by(_frame(), "csat", by=["region", "size"])
    assert list(out.columns) == [
        "region", "size", "metric", "value", "ci_low", "ci_high", "n", "weighted_n",
        "n_effective", "se", "df", "confidence", "method", "design", "low_base",
    ]  # fmt: skip
    # categorical order south, north, east; the unobserved "west" gets no row
    assert list(dict.fromkeys(out["region"])) == ["south", "north", "east"]
    assert list(out["size"][:2]) == ["large", "small"]
    assert isinstance(out["region"].dtype, pd.CategoricalDtype)
    assert (out["method"] == "wilson").all() and (out["metric"] == "csat_top2").all()


def test_metric_by_keeps_groups_without_answers_and_flags_low_base():
    frame = pd.DataFrame(
        {
            "team": ["a"] * 40 + ["b"] * 5 + ["c"] * 3,
            "nps": [10] * 30 + [0] * 10 + [9] * 5 + [None] * 3,
        }
    )
    out = metric_by(frame, "nps", by="team", min_base=30)
    assert out["team"].tolist() == ["a", "b", "c"]
    assert out["n"].tolist() == [40, 5, 0]
    assert out["low_base"].tolist() == [False, True, True]
    empty = out.iloc[2]
    assert np.isnan(empty["value"]) and np.isnan(empty["ci_low"]) and np.isnan(empty["ci_high"])
    assert empty["n_effective"] == 0
    assert out.iloc[0]["value"] == pytest.approx(50.0)


def test_metric_by_missing_group_key_is_its_own_group():
    frame = pd.DataFrame({"team": ["a", None, "a", None], "csat": [5, 4, 1, 2]})
    out = metric_by(frame, "csat", by="team")
    assert out["n"].tolist() == [2, 2]
    assert out["team"].iloc[0] == "a" and pd.isna(out["team"].iloc[1])


def test_metric_by_overall_row_with_empty_by():
    frame = _frame()
    out = metric_by(frame, "nps", by=[], weights="weight")
    assert len(out) == 1
    assert list(out.columns)[0] == "metric"
    est = nps(frame["nps"], weights=frame["weight"])
    assert out["value"].iloc[0] == pytest.approx(est.value, abs=1e-9)
    assert out["ci_low"].iloc[0] == pytest.approx(est.ci_low, abs=1e-9)


def test_metric_by_mean_with_weights_matches_mean_rating():
    frame = _frame()
    out = metric_by(frame, "mean", by="size", column="ces", weights="weight")
    part = frame[frame["size"] == "small"]
    est = mean_rating(part["ces"], weights=part["weight"])
    row = out[out["size"] == "small"].iloc[0]
    assert (row["value"], row["ci_low"], row["ci_high"]) == pytest.approx(
        (est.value, est.ci_low, est.ci_high), abs=1e-9
    )


def test_metric_by_bad_input_names_the_column():
    frame = _frame()
    with pytest.raises(DataError, match=r"by: column\(s\) \['city'\]"):
        metric_by(frame, "nps", by="city")
    with pytest.raises(DataError, match=r"weights: column\(s\) \['w'\]"):
        metric_by(frame, "nps", by="region", weights="w")
    with pytest.raises(ValueError, match=r"column is required for metric 'mean'"):
        metric_by(frame, "mean", by="region")
    with pytest.raises(ValueError, match=r"metric must be one of"):
        metric_by(frame, "loyalty", by="region")
    bad = frame.assign(nps=frame["nps"].fillna(11))
    with pytest.raises(DataError, match=r"column 'nps' must lie in 0\.\.10; found \[11\.0\]"):
        metric_by(bad, "nps", by="region")
    neg = frame.assign(weight=-1.0)
    with pytest.raises(DataError, match=r"column 'weight' must be finite and non-negative"):
        metric_by(neg, "nps", by="region", weights="weight")
    with pytest.raises(TypeError, match="frame must be a pandas DataFrame"):
        metric_by([1, 2], "nps", by="region")
