"""compare_groups: automatic choice, metric route, pairs agreeing with intervals, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cxresearch as cx
from cxresearch.errors import DataError


def _frame(seed: int = 3, n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "g": np.repeat(["x", "y", "z"], n),
            "nps": rng.integers(0, 11, 3 * n),
            "csat": rng.integers(1, 6, 3 * n),
            "score": np.round(rng.normal(5, 1, 3 * n) + np.repeat([0, 0.5, 1.2], n), 2),
            "clv": rng.lognormal(5, 1.5, 3 * n),
            "yes": rng.random(3 * n) < np.repeat([0.3, 0.5, 0.6], n),
            "w": rng.lognormal(0, 0.5, 3 * n),
        }
    )


def test_auto_choices_and_reasons() -> None:
    df = _frame()
    two = df[df["g"] != "z"]
    assert cx.compare_groups(two, "score", by="g").test == "Welch two-sample t test"
    assert cx.compare_groups(two, "csat", by="g").test == "Mann-Whitney U test"
    heavy = cx.compare_groups(two, "clv", by="g")
    assert heavy.test == "Mann-Whitney U test" and "heavy-tailed" in heavy.reason
    assert cx.compare_groups(two, "yes", by="g").test == "two-proportion z test, Agresti-Caffo"
    assert cx.compare_groups(df, "score", by="g").test == "Welch ANOVA"
    assert cx.compare_groups(df, "csat", by="g").test == "Kruskal-Wallis test"
    assert cx.compare_groups(df, "yes", by="g").test == "chi-square test"
    weighted = cx.compare_groups(df, "csat", by="g", weights="w")
    assert weighted.test == "design-based Wald F test" and weighted.reason.startswith("auto: ")


def test_metric_two_groups_is_compare_samples() -> None:
    df = _frame()
    res = cx.compare_groups(df[df["g"] != "z"], by="g", metric="nps")
    same = cx.compare_samples(df.loc[df["g"] == "x", "nps"], df.loc[df["g"] == "y", "nps"])
    for field in ("difference", "ci_low", "ci_high", "statistic", "pvalue", "effect_size", "se"):
        assert getattr(res, field) == pytest.approx(getattr(same, field), abs=1e-12)
    assert res.groups == ("x", "y") and res.n == (60, 60) and res.metric == "nps"


def test_k_group_pairs_agree_with_their_intervals() -> None:
    df = _frame(seed=11)
    for kwargs in (
        {"value": "score"},
        {"value": "score", "weights": "w"},
        {"metric": "nps"},
        {"metric": "csat", "adjust": "bh"},
        {"value": "yes"},
    ):
        pairs = cx.compare_groups(df, by="g", **kwargs).posthoc
        assert list(pairs.columns) == list(cx.stats.groups.POSTHOC_COLUMNS)
        excludes = (pairs["ci_low"] > 0) | (pairs["ci_high"] < 0)
        assert (excludes == pairs["significant"]).all(), kwargs


def test_categorical_order_and_missing_rows_are_counted() -> None:
    df = _frame().head(120).copy()
    df["g"] = pd.Categorical(df["g"], categories=["y", "x", "unused"])
    df.loc[[0, 1], "score"] = np.nan
    df.loc[2, "g"] = np.nan
    res = cx.compare_groups(df, "score", by="g")
    assert res.groups == ("y", "x") and res.n == (60, 57) and res.n_missing == 3
    frame = res.to_frame()
    assert "posthoc" not in frame.columns and frame.loc[0, "reason"] == res.reason


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"value": "nope"}, DataError, "value: column 'nope'"),
        ({"value": "score", "by": "nope"}, DataError, "by: column 'nope'"),
        ({"value": "label"}, DataError, "column 'label' must be numbers"),
        ({"value": "score", "test": "t"}, ValueError, "test must be"),
        ({"value": "score", "test": "fisher"}, ValueError, "fisher.*two groups"),
        ({"value": "score", "metric": "nps"}, DataError, "value: column .score. must be whole"),
        ({"value": "score", "alternative": "greater"}, ValueError, "two-sided"),
        ({"value": "score", "weights": "w", "test": "kruskal"}, ValueError, "design-based"),
        ({"value": "score", "weights": "neg"}, DataError, "column 'neg'.*negative"),
        ({"value": "score", "weights": "gap"}, DataError, "column 'gap'.*missing"),
        ({"value": "same"}, ValueError, "every answer in 'same' is 3"),
        ({"metric": "nps", "test": "welch"}, ValueError, "cannot be combined"),
    ],
)
def test_bad_input_names_the_argument(kwargs: dict, error: type, pattern: str) -> None:
    df = _frame()
    df["label"] = "a"
    df["neg"] = -1.0
    df["gap"] = np.where(np.arange(len(df)) == 5, np.nan, 1.0)
    df["same"] = 3
    kwargs = {"by": "g", **kwargs}
    with pytest.raises(error, match=pattern):
        cx.compare_groups(df, **kwargs)


def test_one_group_small_groups_and_binary_tests_on_ratings() -> None:
    df = _frame()
    with pytest.raises(ValueError, match="by: column 'g' has 1 group"):
        cx.compare_groups(df[df["g"] == "x"], "score", by="g")
    tiny = pd.concat([df[df["g"] == "x"], df[df["g"] == "y"].head(1)])
    with pytest.raises(ValueError, match=r"'y' \(n = 1\) have fewer than two"):
        cx.compare_groups(tiny, "score", by="g")
    two = df[df["g"] != "z"]
    with pytest.raises(ValueError, match="needs binary answers"):
        cx.compare_groups(two, "score", by="g", test="two-proportion")
    with pytest.raises(ValueError, match="zero"):
        cx.compare_groups(two.assign(w=0.0), "score", by="g", weights="w")
