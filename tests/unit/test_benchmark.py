"""cxresearch.stats.benchmark: rows per target, statuses, norm samples, weights, bad input.

The numbers of the tests themselves are pinned to R in tests/reference/test_benchmark.py.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import cxresearch
from cxresearch.stats.benchmark import (
    SCORE_COLUMNS,
    benchmark_results,
    compare_to_norm,
    metric_estimate,
    norm_sample,
    target_results,
    target_rows,
)
from cxresearch.stats.inference import compare_groups, compare_to_target


def responses(n: int = 80) -> pd.DataFrame:
    rng = np.random.default_rng(4)
    return pd.DataFrame(
        {
            "nps": rng.integers(0, 11, n),
            "csat": rng.integers(1, 6, n),
            "ces": rng.integers(1, 8, n),
            "touchpoint": np.where(np.arange(n) % 2 == 0, "web", "support"),
            "customer_type": np.where(np.arange(n) < 60, "current", "former"),
            "weight": np.where(np.arange(n) % 3 == 0, 2.0, 0.5),
        }
    )


def test_score_columns() -> None:
    assert SCORE_COLUMNS == {"nps": "nps", "csat": "csat", "ces": "ces", "ces_mean": "ces"}


def test_norm_sample() -> None:
    sample = norm_sample("nps", 20, 1000)
    assert (sample == 10).sum() == 600 and (sample == 0).sum() == 400
    assert cxresearch.nps(sample).value == pytest.approx(20.0)
    csat = norm_sample("csat", 55, 1500)
    assert (csat == 5).sum() == 825 and len(csat) == 1500
    assert set(np.unique(norm_sample("ces", 50, 10))) == {1.0, 7.0}
    with pytest.raises(ValueError, match="n must be a positive integer, got 0"):
        norm_sample("nps", 20, 0)
    with pytest.raises(ValueError, match="value for NPS must lie in -100..100, got 120"):
        norm_sample("nps", 120, 10)
    with pytest.raises(ValueError, match="for a norm test, got 'ces_mean'"):
        norm_sample("ces_mean", 5, 10)


def test_metric_estimate_leaves_out_missing_answers_and_allows_none() -> None:
    scores = pd.Series([10, None, 3, 9, None, 7], dtype="Int64")
    weights = pd.Series([1.0, np.nan, 2.0, 1.0, np.nan, 0.5])
    got = metric_estimate(scores, "nps", weights=weights, confidence=0.9)
    assert got == cxresearch.nps([10, 3, 9, 7], weights=[1.0, 2.0, 1.0, 0.5], confidence=0.9)
    empty = metric_estimate(pd.Series([np.nan, np.nan]), "csat")
    assert empty.n == 0 and empty.n_effective == 0 and empty.metric == "csat_top2"
    assert math.isnan(empty.value) and math.isnan(empty.ci_low)
    with pytest.raises(ValueError, match=r"metric must be one of .*got 'top_box'"):
        metric_estimate([1, 2], "top_box")
    with pytest.raises(ValueError, match=r"weights must have one value per score \(2\), got 3"):
        metric_estimate([1, 2], "ces", weights=[1.0, 1.0, 1.0])


def test_target_rows_match_touchpoint_and_segment() -> None:
    frame = responses()
    frame.loc[0, "customer_type"] = None
    rows = target_rows(frame, touchpoint="web", segment={"customer_type": "current"})
    assert len(rows) == 29  # even rows below 60, row 0 (missing type) matches nothing
    assert set(rows["touchpoint"]) == {"web"} and set(rows["customer_type"]) == {"current"}
    assert len(target_rows(frame)) == len(frame)
    with pytest.raises(ValueError, match=r"responses lacks column\(s\) \['region'\]"):
        target_rows(frame, segment={"region": "north"})


def test_target_results_do_not_test_small_or_empty_bases() -> None:
    frame = responses()
    targets = [
        {"metric": "nps", "value": 0, "touchpoint": "web", "label": "Web"},
        {"metric": "nps", "value": 0, "segment": {"customer_type": "former"}},  # n = 20
        {"metric": "csat", "value": 50, "segment": {"customer_type": "never"}},  # no rows
    ]
    got = target_results(frame, targets, suppress_below=21)
    assert got["status"].tolist()[1:] == ["suppressed", "no_data"]
    assert got["n"].tolist() == [40, 20, 0]
    assert got["label"].tolist() == ["Web", "", ""]
    assert got.loc[1, "test"] == "" and math.isnan(got.loc[1, "pvalue"])
    assert got.loc[2, "metric"] == "csat_top2" and math.isnan(got.loc[2, "value"])
    web = frame[frame["touchpoint"] == "web"]
    expected = compare_to_target(web["nps"], 0, metric="nps")
    assert got.loc[0, "pvalue"] == expected.pvalue
    assert got.loc[0, "statistic"] == expected.statistic
    assert got.loc[0, "effect_size"] == expected.effect_size
    assert expected.difference < 0 and expected.pvalue < 0.05  # web NPS −42.5 against 0
    assert got.loc[0, "status"] == "not_met"
    # At 20 the former customers are tested.
    assert target_results(frame, targets, suppress_below=20)["status"][1] != "suppressed"


def test_weighted_targets_use_the_effective_base() -> None:
    frame = responses()
    targets = [{"metric": "ces", "value": 40, "segment": {"customer_type": "former"}}]
    got = target_results(frame, targets, weights="weight", suppress_below=19)
    former = frame[frame["customer_type"] == "former"]
    n_eff = former["weight"].sum() ** 2 / (former["weight"] ** 2).sum()
    assert n_eff < 19 and got.loc[0, "n"] == 20
    assert got.loc[0, "n_effective"] == pytest.approx(n_eff, rel=1e-12)
    assert got.loc[0, "status"] == "suppressed"  # 20 answers, but an effective base under 19
    tested = target_results(frame, targets, weights="weight", suppress_below=10)
    expected = compare_to_target(former["ces"], 40, metric="ces", weights=former["weight"])
    assert tested.loc[0, "pvalue"] == expected.pvalue
    assert tested.loc[0, "difference"] == expected.difference


def test_benchmark_results_with_weights_and_without_a_test() -> None:
    frame = responses()
    norms = [
        {"name": "A", "metric": "nps", "value": 10, "n": 500, "ci_low": 6, "ci_high": 14},
        {"name": "B", "metric": "ces_mean", "value": 4.5, "n": 900},  # a mean: no test
    ]
    got = benchmark_results(frame, norms, weights="weight").set_index("name")
    expected = compare_to_norm(frame["nps"], 10, n=500, metric="nps", weights=frame["weight"])
    assert got.loc["A", "pvalue"] == expected.pvalue
    assert got.loc["A", "diff_ci_low"] == expected.ci_low
    assert (got.loc["A", "ci_low"], got.loc["A", "ci_high"]) == (6, 14)
    weighted = cxresearch.nps(frame["nps"], weights=frame["weight"])
    assert got.loc["A", "client_value"] == weighted.value
    assert got.loc["B", "test"] == "" and math.isnan(got.loc["B", "pvalue"])
    mean = cxresearch.ces_mean(frame["ces"], weights=frame["weight"]).value
    assert got.loc["B", "difference"] == pytest.approx(mean - 4.5, abs=1e-12)
    # The norm's answers weigh 1 each next to a weighted client.
    norm = norm_sample("nps", 10, 500)
    assert expected == compare_groups(
        frame["nps"], norm, metric="nps", weights_a=frame["weight"], weights_b=np.ones(500)
    )


def test_bad_input_names_the_problem() -> None:
    frame = responses()
    with pytest.raises(ValueError, match=r"metric must be one of .*got 'clv'"):
        target_results(frame, [{"metric": "clv", "value": 1}])
    with pytest.raises(ValueError, match=r"responses lacks column\(s\) \['wt'\]"):
        benchmark_results(frame, [{"name": "A", "metric": "nps", "value": 1}], weights="wt")
    with pytest.raises(ValueError, match=r"responses lacks column\(s\) \['csat'\]"):
        target_results(frame.drop(columns="csat"), [{"metric": "csat", "value": 50}])
    with pytest.raises(TypeError, match="responses must be a pandas DataFrame, got dict"):
        benchmark_results({"nps": [1]}, [])  # type: ignore[arg-type]
