"""Adjusted families of comparisons: the primary alone, secondaries adjusted, verdict ⇔ interval."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxresearch.stats.families import adjusted_family, compare_each_to_rest
from cxresearch.stats.inference import compare_samples
from cxresearch.stats.multiplicity import adjust_pvalues, adjusted_confidence


def _samples(seed: int, shift: float, n: int = 300) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = np.clip(np.rint(rng.normal(7.5 + shift, 2.0, n)), 0, 10)
    b = np.clip(np.rint(rng.normal(7.5, 2.0, n)), 0, 10)
    return a, b


PAIRS = {"nps": _samples(1, -0.5), "csat": _samples(2, 0.0), "ces": _samples(3, 0.35)}


def _compute(level: float) -> dict[str, object]:
    return {k: compare_samples(a, b, metric="nps", confidence=level) for k, (a, b) in PAIRS.items()}


@pytest.mark.parametrize("method", ["bh", "holm", "bonferroni"])
def test_primary_is_tested_alone_and_secondaries_are_adjusted(method: str) -> None:
    family = adjusted_family(_compute, primary="nps", adjust=method).set_index("key")
    raw = {k: c.pvalue for k, c in _compute(0.95).items()}  # type: ignore[attr-defined]
    assert family.loc["nps", "role"] == "primary"
    assert family.loc["nps", "pvalue_adjusted"] == pytest.approx(raw["nps"], rel=1e-12)
    assert family.loc["nps", "interval_level"] == 0.95
    secondary = np.array([raw["csat"], raw["ces"]])
    expected = adjust_pvalues(secondary, method)
    assert family.loc[["csat", "ces"], "pvalue_adjusted"].tolist() == pytest.approx(expected)
    level = adjusted_confidence(secondary, method, 0.95)
    assert family.loc["csat", "interval_level"] == pytest.approx(level)
    # Intervals are recomputed at the matching level: verdict and interval agree everywhere.
    for row in family.itertuples():
        excludes = row.ci_low > 0 or row.ci_high < 0
        assert bool(row.significant) == excludes, row.Index


def test_without_primary_every_comparison_is_adjusted_and_missing_ones_keep_their_row() -> None:
    def compute(level: float) -> dict[str, object]:
        out = dict(_compute(level))
        out["none"] = None
        return out

    family = adjusted_family(compute, primary=None, adjust="holm")
    assert family["key"].tolist() == ["nps", "csat", "ces", "none"]
    assert set(family["role"]) == {"secondary"}
    missing = family.set_index("key").loc["none"]
    assert np.isnan(missing["difference"]) and not missing["significant"]
    with pytest.raises(ValueError, match="primary 'x'"):
        adjusted_family(_compute, primary="x")


@pytest.fixture()
def groups() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = []
    for tp, shift, n in [
        ("web", 0.0, 200),
        ("delivery", -1.2, 180),
        ("app", 0.1, 160),
        ("tiny", 0, 12),
    ]:
        scores = np.clip(np.rint(rng.normal(8 + shift, 1.8, n)), 0, 10)
        rows += [
            {"touchpoint": tp, "channel": "web" if i % 2 else "phone", "nps": s}
            for i, s in enumerate(scores)
        ]
    return pd.DataFrame(rows)


def test_each_group_is_compared_with_all_other_rows(groups: pd.DataFrame) -> None:
    out = compare_each_to_rest(groups, "nps", by=["touchpoint", "channel"], min_base=30)
    row = out[(out["column"] == "touchpoint") & (out["group"] == "delivery")].iloc[0]
    inside = groups["touchpoint"] == "delivery"
    level = float(row["interval_level"])
    direct = compare_samples(
        groups.loc[inside, "nps"], groups.loc[~inside, "nps"], confidence=level
    )
    assert row["difference"] == pytest.approx(direct.difference, rel=1e-12)
    assert row["ci_low"] == pytest.approx(direct.ci_low, rel=1e-12)
    assert row["n_a"] == inside.sum() and row["n_b"] == (~inside).sum()
    assert row["significant"] and row["difference"] < 0
    # Every test of every column is one family.
    tested = out[out["tested"]]
    assert len(tested) == 5  # 3 touchpoints + 2 channels; "tiny" (12 answers) is not tested
    assert out["pvalue_adjusted"].dropna().tolist() == pytest.approx(
        adjust_pvalues(tested["pvalue"], "bh").tolist()
    )
    tiny = out[out["group"] == "tiny"].iloc[0]
    assert not tiny["tested"] and np.isnan(tiny["pvalue"]) and not tiny["significant"]
    for r in tested.itertuples():
        assert bool(r.significant) == (r.ci_low > 0 or r.ci_high < 0)


def test_each_to_rest_names_missing_columns(groups: pd.DataFrame) -> None:
    from cxresearch.errors import DataError

    with pytest.raises(DataError, match="region"):
        compare_each_to_rest(groups, "nps", by="region")
