"""Behaviour and bad input of the tests in cxresearch.stats.inference."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from cxresearch.errors import DataError
from cxresearch.results import Comparison
from cxresearch.stats.inference import compare_samples, compare_to_target, compare_waves, hedges_g

NPS_A = [10] * 50 + [7] * 30 + [2] * 20
NPS_B = [10] * 35 + [8] * 35 + [4] * 30


def test_comparison_fields_are_plain_python_numbers():
    res = compare_samples(NPS_A, NPS_B)
    for field in ("difference", "ci_low", "ci_high", "statistic", "pvalue", "effect_size"):
        assert type(getattr(res, field)) is float, field
    assert type(res.n_a) is int and type(res.n_b) is int
    assert list(res.to_frame().columns) == list(Comparison.__dataclass_fields__)


def test_effect_sizes_carry_their_intervals():

    # Cohen's h: SE = sqrt(1/n_a + 1/n_b) (Cohen 1988, ch. 6); 1.959964 = qnorm(0.975)
    a, b = [5] * 70 + [3] * 30, [5] * 50 + [2] * 50
    res = compare_samples(a, b, metric="csat")
    half = 1.959963984540054 * np.sqrt(1 / 100 + 1 / 100)
    assert res.effect_size_ci_low == pytest.approx(res.effect_size - half, abs=1e-12)
    assert res.effect_size_ci_high == pytest.approx(res.effect_size + half, abs=1e-12)
    # Means: the interval is Hedges' g's own interval
    x, y = [1, 2, 3, 4, 5, 5, 4], [2, 3, 3, 2, 1, 2]
    mean_res = compare_samples(x, y, metric="mean")
    g = hedges_g(x, y)
    assert (mean_res.effect_size_ci_low, mean_res.effect_size_ci_high) == (g.ci_low, g.ci_high)
    # NPS d (one sample): SE = sqrt(1/n + d^2/(2n)) (Hedges & Olkin 1985)
    one = compare_to_target(NPS_A, 0)
    n = one.n_a
    se = np.sqrt(1 / n + one.effect_size**2 / (2 * n))
    assert one.effect_size_ci_high - one.effect_size == pytest.approx(1.959963984540054 * se)


def test_difference_is_a_minus_b_and_one_sided_p_halves():
    two = compare_samples(NPS_A, NPS_B)
    assert two.difference == pytest.approx(30.0 - 5.0)
    assert two.effect_size > 0
    greater = compare_samples(NPS_A, NPS_B, alternative="greater")
    less = compare_samples(NPS_A, NPS_B, alternative="less")
    assert greater.pvalue == pytest.approx(two.pvalue / 2)
    assert less.pvalue == pytest.approx(1 - two.pvalue / 2)
    assert greater.ci_high == math.inf and less.ci_low == -math.inf
    swapped = compare_samples(NPS_B, NPS_A)
    assert swapped.difference == pytest.approx(-two.difference)
    assert swapped.statistic == pytest.approx(-two.statistic)


def test_one_sided_bound_equals_two_sided_bound_at_double_alpha():
    x = [5, 4, 4, 3, 5, 2, 5, 4, 1, 5] * 6
    greater = compare_to_target(x, 55, metric="csat", alternative="greater")
    two_90 = compare_to_target(x, 55, metric="csat", confidence=0.90)
    assert greater.ci_low == pytest.approx(two_90.ci_low)


def test_target_above_and_below():
    res = compare_to_target(NPS_A, 40, alternative="less")
    assert res.difference == pytest.approx(-10.0)
    assert res.pvalue < 0.5 and res.n_b == 0
    assert res.effect_size_name == "Cohen's d (±100 coding)"


def test_weighted_tests_with_equal_weights_equal_unweighted():
    for metric, a, b in [
        ("nps", NPS_A, NPS_B),
        ("csat", [5, 4, 2, 1, 5] * 12, [5, 2, 2, 1, 3] * 12),
        ("mean", [1.5, 2.0, 3.5, 4.0], [2.0, 2.5, 5.0, 6.0, 7.0]),
    ]:
        plain = compare_samples(a, b, metric=metric)
        weighted = compare_samples(
            a, b, metric=metric, weights_a=[2.0] * len(a), weights_b=[2.0] * len(b)
        )
        for field in ("difference", "ci_low", "ci_high", "statistic", "pvalue", "effect_size"):
            assert getattr(weighted, field) == pytest.approx(getattr(plain, field), abs=1e-9)


def test_one_sample_t_agrees_with_pingouin():
    pg = pytest.importorskip("pingouin")
    x = [4.0, 5.5, 6.0, 7.5, 3.0, 6.5, 5.0, 8.0]
    res = compare_to_target(x, 5, metric="mean", method="t")
    table = pg.ttest(x, 5)
    assert res.statistic == pytest.approx(float(table["T"].iloc[0]), abs=1e-10)
    assert res.pvalue == pytest.approx(float(table["p_val"].iloc[0]), abs=1e-10)
    assert res.effect_size == pytest.approx(float(table["cohen_d"].iloc[0]), abs=1e-10)


def test_welch_agrees_with_pingouin():
    pg = pytest.importorskip("pingouin")
    a, b = [4.0, 5.5, 6.0, 7.5, 3.0, 6.5], [2.0, 3.5, 3.0, 4.5, 6.0, 1.0, 2.5]
    res = compare_samples(a, b, metric="mean")
    table = pg.ttest(a, b, correction=True)
    assert res.statistic == pytest.approx(float(table["T"].iloc[0]), abs=1e-10)
    assert res.pvalue == pytest.approx(float(table["p_val"].iloc[0]), abs=1e-10)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"metric": "loyalty"}, r"metric must be one of"),
        ({"alternative": "two.sided"}, r"alternative must be one of"),
        ({"confidence": 95}, r"confidence must be strictly between 0 and 1"),
    ],
)
def test_bad_options_raise(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        compare_to_target(NPS_A, 30, **kwargs)
    with pytest.raises(ValueError, match=pattern):
        compare_samples(NPS_A, NPS_B, **kwargs)


def test_bad_targets_and_samples_raise_naming_the_argument():
    with pytest.raises(ValueError, match=r"target for nps must lie in -100\.\.100"):
        compare_to_target(NPS_A, 150)
    with pytest.raises(ValueError, match=r"target for a percentage must lie strictly in 0\.\.100"):
        compare_to_target([5, 4], 100, metric="csat")
    with pytest.raises(ValueError, match=r"target must be a number"):
        compare_to_target(NPS_A, "40")
    with pytest.raises(ValueError, match=r"^b must lie in 0\.\.10; found \[12\.0\]"):
        compare_samples(NPS_A, [12, 10])
    with pytest.raises(ValueError, match=r"weights_b has length 1 but there are 2 scores"):
        compare_samples(NPS_A, [9, 10], weights_b=[1.0])
    with pytest.raises(ValueError, match=r"^a has no non-missing values"):
        compare_samples([None], NPS_B)


# --- compare_waves -----------------------------------------------------------------------


def _waves() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 600
    return pd.DataFrame(
        {
            "wave": rng.choice(["spring", "summer", "autumn"], n),
            "region": pd.Categorical(rng.choice(["x", "y"], n), categories=["y", "x"]),
            "nps": rng.integers(0, 11, n),
            "weight": rng.uniform(0.5, 2.0, n),
        }
    )


def test_compare_waves_follows_the_given_order_and_adjusts_with_holm():
    frame = _waves()
    order = ["spring", "summer", "autumn"]  # not alphabetical
    out = compare_waves(frame, "nps", waves=order, by="region", adjust="holm")
    assert out["region"].tolist() == ["y", "y", "x", "x"]  # categorical order
    assert out["wave"].tolist() == ["summer", "autumn"] * 2
    assert out["previous_wave"].tolist() == ["spring", "summer"] * 2
    fields = [f for f in Comparison.__dataclass_fields__ if f not in ("n_a", "n_b")]
    assert list(out.columns) == [
        "region", "wave", "previous_wave", "n_a", "n_b", *fields,
        "pvalue_adjusted", "adjust", "significant", "interval_level",
    ]  # fmt: skip
    # no row is significant after Holm here, so the intervals stay at 95 %... or at the
    # level that reproduces Holm's verdicts: either way interval and verdict agree
    for _, r in out.iterrows():
        assert r["significant"] == (not r["ci_low"] <= 0 <= r["ci_high"])
    expected = multipletests(out["pvalue"], method="holm")[1]
    assert out["pvalue_adjusted"].to_numpy() == pytest.approx(expected)
    assert (out["pvalue_adjusted"] >= out["pvalue"]).all()
    # each row is compare_samples(current wave, previous wave) within the region
    part = frame[frame["region"] == "x"]
    res = compare_samples(
        part.loc[part["wave"] == "autumn", "nps"], part.loc[part["wave"] == "summer", "nps"]
    )
    row = out.iloc[3]
    assert row["difference"] == pytest.approx(res.difference)
    assert row["pvalue"] == pytest.approx(res.pvalue)
    assert (row["n_a"], row["n_b"]) == (res.n_a, res.n_b)


def test_compare_waves_weights_and_overall():
    frame = _waves()
    out = compare_waves(frame, "nps", waves=["spring", "summer"], weights="weight")
    assert len(out) == 1 and list(out.columns)[0] == "wave"
    res = compare_samples(
        frame.loc[frame["wave"] == "summer", "nps"],
        frame.loc[frame["wave"] == "spring", "nps"],
        weights_a=frame.loc[frame["wave"] == "summer", "weight"],
        weights_b=frame.loc[frame["wave"] == "spring", "weight"],
    )
    assert out["difference"].iloc[0] == pytest.approx(res.difference)
    assert out["pvalue_adjusted"].iloc[0] == pytest.approx(res.pvalue)


def test_compare_waves_keeps_a_row_for_a_wave_without_answers():
    frame = _waves()
    out = compare_waves(frame, "nps", waves=["spring", "winter", "summer"])
    assert out["wave"].tolist() == ["winter", "summer"]
    assert out["n_a"].tolist()[0] == 0 and out["n_b"].tolist()[1] == 0
    assert out["pvalue"].isna().all() and out["pvalue_adjusted"].isna().all()


def test_compare_waves_bad_input():
    frame = _waves()
    with pytest.raises(ValueError, match=r"waves must be a list of at least two"):
        compare_waves(frame, "nps", waves=["spring"])
    with pytest.raises(ValueError, match=r"waves must not repeat"):
        compare_waves(frame, "nps", waves=["spring", "spring"])
    with pytest.raises(DataError, match=r"\['round'\] not in the frame"):
        compare_waves(frame, "nps", waves=["spring", "summer"], wave_column="round")
    with pytest.raises(DataError, match=r"column 'nps' must lie in 0\.\.10"):
        compare_waves(frame.assign(nps=frame["nps"] + 5), "nps", waves=["spring", "summer"])
