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
    norm_summary,
    target_results,
    target_rows,
)
from cxresearch.stats.inference import compare_to_target


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
    wanted = {"nps": "nps", "csat": "csat", "ces": "ces", "ces_mean": "ces"}
    assert {k: SCORE_COLUMNS[k] for k in wanted} == wanted
    assert SCORE_COLUMNS["csat_top2"] == "csat"  # registry names work as well as aliases


def test_norm_summary_kinds() -> None:
    # An NPS norm with value and n only: no passives assumed (the largest variance).
    summary, kind = norm_summary("nps", 20, n=1000)
    assert kind == "conservative" and summary is not None
    assert summary.parts["p"][0] == pytest.approx(0.6) and summary.parts["q"][0] == pytest.approx(
        0.4
    )
    # With its promoter and detractor shares it is an exact second sample.
    exact, kind = norm_summary("nps", 20, n=1000, promoters=45, detractors=25)
    assert kind == "sample" and exact is not None and exact.parts["q"][0] == pytest.approx(0.25)
    assert norm_summary("csat", 55, n=1500)[1] == "sample"
    assert norm_summary("nps", 20, se=2.0)[1] == "se"
    assert norm_summary("nps", 20) == (None, "fixed")
    assert norm_summary("ces_mean", 5.1, n=900) == (None, "fixed")  # a mean needs its SE
    with pytest.raises(ValueError, match="norm n must be a number above 1, got 0"):
        norm_summary("nps", 20, n=0)
    with pytest.raises(ValueError, match=r"norm value for nps must lie in -100\.\.100, got 120"):
        norm_summary("nps", 120, n=10)
    with pytest.raises(ValueError, match="must equal its value"):
        norm_summary("nps", 20, n=100, promoters=50, detractors=10)


def test_a_conservative_norm_test_is_never_more_significant_than_the_exact_one() -> None:
    scores = [10] * 45 + [8] * 30 + [3] * 25
    conservative, _ = compare_to_norm(scores, 10, n=800)
    exact, _ = compare_to_norm(scores, 10, n=800, promoters=30, detractors=20)
    assert conservative.pvalue > exact.pvalue
    assert conservative.difference == exact.difference == pytest.approx(10.0)


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
    assert got.loc[0, "adjust"] == "bh" and got.loc[0, "significant"]
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
        {"name": "B", "metric": "ces_mean", "value": 4.5, "n": 900},  # a mean without SE
    ]
    got = benchmark_results(frame, norms, weights="weight", adjust="none").set_index("name")
    expected, kind = compare_to_norm(frame["nps"], 10, n=500, metric="nps", weights=frame["weight"])
    assert kind == got.loc["A", "norm_kind"] == "conservative"
    assert got.loc["A", "pvalue"] == expected.pvalue
    assert got.loc["A", "diff_ci_low"] == expected.ci_low
    assert (got.loc["A", "ci_low"], got.loc["A", "ci_high"]) == (6, 14)
    weighted = cxresearch.nps(frame["nps"], weights=frame["weight"])
    assert got.loc["A", "client_value"] == weighted.value
    # A mean norm without its SE is a fixed value, tested like a target.
    assert got.loc["B", "norm_kind"] == "fixed"
    target = compare_to_target(frame["ces"], 4.5, metric="ces_mean", weights=frame["weight"])
    assert got.loc["B", "pvalue"] == pytest.approx(target.pvalue, rel=1e-12)
    mean = cxresearch.ces_mean(frame["ces"], weights=frame["weight"]).value
    assert got.loc["B", "difference"] == pytest.approx(mean - 4.5, abs=1e-12)


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
