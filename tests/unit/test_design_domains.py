"""The raked design's domain covariance from cell totals equals the row-by-row computation.

``Calibration.domain_covariance`` (used by ``Design.covariance`` for a raked design without
clusters) runs the calibration residuals' backfitting on cell totals and adds the rows
outside the domain through their cells' weight sums; ``Calibration.residuals`` does it row
by row over the whole raked sample, as R ``svyrecvar``. The two must agree to rounding for
one and for several margins (several margins need many sweeps), by wave, for domains of
every size, for several estimators at once and for rescaled weights. Raked samples up to
``ROW_BY_ROW_MAX`` rows keep the row-by-row sums exactly (the demo reports' bytes).

``Metric.summarize`` on a large raked sample takes every group's variance, df and
skewness at once (:func:`raked_group_moments`: per-(group, cell) totals). Before, each
group's rows were sorted out and passed to ``Design.subset`` → ``influence`` →
``variance`` / ``inference_df`` / ``skewness``; that path is kept here as the reference
(``_group_by_group``). They agree to 1e-12 relative for one and three margins, by wave,
with empty, one-row, sorted and unsorted groups, weights one per cell or not, rescaled
and linearised weights. A repeated summary of the same inputs is remembered
(``summary_memo``), and only then; ``make_design`` places rows in a RangeIndex as a hash
lookup would.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cxresearch.stats.design as design_module
import cxresearch.stats.summary_memo as memo_module
from cxresearch.stats.design import ROW_BY_ROW_MAX, Design, calibration_of, linearized, make_design
from cxresearch.stats.design_groups import _cell_weights, grouped_by_cells, raked_group_moments
from cxresearch.stats.metrics import metric_by
from cxresearch.stats.raking import rake
from cxresearch.stats.registry import get_metric


def _row_by_row(design: Design, u: np.ndarray) -> np.ndarray:
    """``Design.covariance`` as it was computed before cell totals: residuals of all rows."""
    cal = design.calibration
    assert cal is not None and design.positions is not None
    full = np.zeros((cal.index.size, u.shape[1]))
    full[design.positions] = u
    x = cal.residuals(full)
    centred = x - x.mean(axis=0)
    m = x.shape[0]
    return np.asarray(m / (m - 1.0) * (centred.T @ centred))


def _sample(seed: int, rows: int = 3_000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    region = rng.choice(["a", "b", "c", "d"], rows, p=[0.5, 0.2, 0.2, 0.1])
    # size depends on region, so the margins are not independent and backfitting takes
    # many sweeps
    size = np.where(
        (region == "a") & (rng.random(rows) < 0.7), "large", rng.choice(["small", "large"], rows)
    )
    return pd.DataFrame(
        {
            "wave": rng.choice(["w1", "w2"], rows),
            "region": region,
            "size": size,
            "age": rng.choice(["y", "m", "o"], rows),
            "nps": rng.integers(0, 11, rows),
            "csat": rng.integers(1, 6, rows).astype(float),
            "ces": rng.choice(
                [1.0, 2, 3, 4, 5, 6, 7], rows, p=[0.02, 0.03, 0.05, 0.1, 0.2, 0.3, 0.3]
            ),
        },
        index=pd.RangeIndex(rows) * 3 + 7,  # labels that are not positions
    )


MARGINS = {
    "one": {"region": {"a": 0.3, "b": 0.3, "c": 0.2, "d": 0.2}},
    "three": {
        "region": {"a": 0.3, "b": 0.3, "c": 0.2, "d": 0.2},
        "size": {"small": 0.6, "large": 0.4},
        "age": {"y": 0.3, "m": 0.3, "o": 0.4},
    },
}


def test_small_raked_samples_keep_the_row_by_row_sums() -> None:
    frame = _sample(14, rows=500)
    weights = rake(frame, MARGINS["three"])
    design = make_design(weights, length=len(frame), valid=np.ones(len(frame), bool))
    u = np.random.default_rng(3).normal(size=(len(frame), 2))
    assert len(frame) <= ROW_BY_ROW_MAX
    assert np.array_equal(design.covariance(u), _row_by_row(design, u))


@pytest.mark.parametrize("margins", sorted(MARGINS))
@pytest.mark.parametrize("by", [None, "wave"])
def test_domain_covariance_equals_the_residuals_of_every_row(margins: str, by: str | None) -> None:
    frame = _sample(11)
    weights = rake(frame, MARGINS[margins], trim=(0.3, 3.0), by=by)
    rng = np.random.default_rng(5)
    for share in (1.0, 0.5, 0.05, 0.002):
        valid = rng.random(len(frame)) < share
        valid[0] = valid[1] = True
        design = make_design(weights, length=len(frame), valid=valid)
        assert design.calibration is not None
        u = rng.normal(size=(int(valid.sum()), 3))
        assert design.positions is not None
        fast = design.calibration.domain_covariance(design.positions, u)
        slow = _row_by_row(design, u)
        np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=1e-12 * np.abs(slow).max())


def test_domain_covariance_of_rescaled_weights_and_one_estimator() -> None:
    frame = _sample(12)
    weights = rake(frame, MARGINS["three"], by="wave") * 2.5  # keeps the calibration
    valid = (frame["region"] == "b").to_numpy()
    design = make_design(weights, length=len(frame), valid=valid)
    assert design.calibration is not None
    assert design.positions is not None
    _, u = design.influence(frame["csat"].to_numpy()[valid])
    fast = design.calibration.domain_covariance(design.positions, u[:, None])
    assert fast[0, 0] == pytest.approx(_row_by_row(design, u[:, None])[0, 0], rel=1e-9)


def test_metric_by_on_a_raked_sample_equals_each_domain_row_by_row(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(design_module, "ROW_BY_ROW_MAX", 0)  # cell totals for every sample
    frame = _sample(13)
    weights = rake(frame, MARGINS["three"], by="wave")
    table = metric_by(frame, "nps", by=["wave", "size"], weights=weights)
    z = (frame["nps"] >= 9).astype(float) - (frame["nps"] <= 6).astype(float)
    for row in table.itertuples():
        valid = ((frame["wave"] == row.wave) & (frame["size"] == row.size)).to_numpy()
        design = make_design(weights, length=len(frame), valid=valid)
        _, u = design.influence(z.to_numpy()[valid])
        se = 100 * np.sqrt(_row_by_row(design, u[:, None])[0, 0])
        assert row.se == pytest.approx(se, rel=1e-9)
    assert calibration_of(weights) is not None


@pytest.mark.parametrize("margins", sorted(MARGINS))
def test_domain_skewness_from_cells_equals_the_residuals_of_every_row(
    margins: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Hall's mean interval needs the estimator's skewness; on a large raked sample it comes
    # from the cells' sums of w, w², w³ as the variance does.
    frame = _sample(15)
    weights = rake(frame, MARGINS[margins], by="wave")
    rng = np.random.default_rng(6)
    for share in (1.0, 0.3, 0.01):
        valid = rng.random(len(frame)) < share
        valid[0] = valid[1] = True
        design = make_design(weights, length=len(frame), valid=valid)
        _, u = design.influence(frame["csat"].to_numpy()[valid])
        slow = design.skewness(u)  # 3,000 rows: row by row
        monkeypatch.setattr(design_module, "ROW_BY_ROW_MAX", 0)
        fast = design.skewness(u)
        monkeypatch.setattr(design_module, "ROW_BY_ROW_MAX", 20_000)
        assert fast == pytest.approx(slow, rel=1e-9, abs=1e-12)
        assert slow != 0.0


# -- every group of a big raked sample at once (design_groups, summary_memo) ----------


def _group_by_group(
    design: Design, z: np.ndarray, codes: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each group's design from its rows, as ``Metric.summarize`` computed it before."""
    var, df, skew = np.full(k, np.nan), np.full(k, np.nan), np.zeros(k)
    for g in range(k):
        rows = np.flatnonzero(codes == g)
        if rows.size == 0 or not design.weights[rows].sum() > 0:
            continue
        sub = design.subset(rows)
        _, u = sub.influence(z[rows])
        var[g] = float(sub.variance(u))
        df[g] = sub.inference_df
        skew[g] = sub.skewness(u)
    return var, df, skew


def _codes(rng: np.random.Generator, rows: int) -> tuple[np.ndarray, int]:
    """Groups of every size: 0 empty, 1 one row, 2 two rows, then 2 %, 20 % and the rest."""
    codes = np.where(rng.random(rows) < 0.2, 4, 5)
    codes[rng.random(rows) < 0.02] = 3
    picked = rng.choice(rows, 3, replace=False)
    codes[picked[0]] = 1
    codes[picked[1:]] = 2
    return codes.astype("int64"), 7  # group 6 is empty too


@pytest.fixture
def by_cells(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(design_module, "ROW_BY_ROW_MAX", 0)  # cell totals for every sample


@pytest.mark.usefixtures("by_cells")
@pytest.mark.parametrize("margins", sorted(MARGINS))
@pytest.mark.parametrize("by", [None, "wave"])
@pytest.mark.parametrize("share", [1.0, 0.4])
@pytest.mark.parametrize("per_cell", [True, False])
def test_grouped_moments_equal_each_group_from_its_rows(
    margins: str, by: str | None, share: float, per_cell: bool
) -> None:
    frame = _sample(21)
    weights = rake(frame, MARGINS[margins], trim=(0.3, 3.0), by=by)
    rng = np.random.default_rng(8)
    if not per_cell:  # weights that differ within a cell (as base weights make them)
        weights = weights * (1.0 + 1e-11 * rng.random(len(frame)))
    valid = rng.random(len(frame)) < share
    design = make_design(weights, length=len(frame), valid=valid)
    assert grouped_by_cells(design) and design.corrected
    assert design.calibration is not None and design.positions is not None
    cell = design.calibration._cells.cell[design.positions]
    assert (_cell_weights(design.calibration, cell, design.weights) is not None) is per_cell
    codes, k = _codes(rng, int(valid.sum()))
    for z in (frame["ces"].to_numpy()[valid], rng.normal(size=int(valid.sum())) ** 3):
        var, df, skew = raked_group_moments(design, z, codes, k, skew=True)
        ref_var, ref_df, ref_skew = _group_by_group(design, z, codes, k)
        np.testing.assert_allclose(var, ref_var, rtol=1e-12, atol=0)
        np.testing.assert_allclose(df, ref_df, rtol=1e-12, atol=0)  # NaN where n < 2
        np.testing.assert_allclose(skew, ref_skew, rtol=1e-12, atol=1e-14)
        assert np.isnan(var[[0, 6]]).all() and np.isfinite(var[1:6]).all()
        assert np.isnan(df[[0, 1, 6]]).all() and np.isfinite(df[2:6]).all()
        # Groups in sorted rows (sums of slices instead of bincount): the same to rounding.
        order = np.argsort(codes, kind="stable")
        sub = design.subset(order)
        var_s, df_s, skew_s = raked_group_moments(sub, z[order], codes[order], k, skew=True)
        np.testing.assert_allclose(var_s, ref_var, rtol=1e-12, atol=0)
        np.testing.assert_allclose(df_s, ref_df, rtol=1e-12, atol=0)
        np.testing.assert_allclose(skew_s, ref_skew, rtol=1e-12, atol=1e-14)
        # One group (plain sums instead of bincount): the same to rounding.
        one = np.zeros(z.size, dtype="int64")
        var1, df1, skew1 = raked_group_moments(design, z, one, 1, skew=True)
        ref1 = _group_by_group(design, z, one, 1)
        np.testing.assert_allclose(var1, ref1[0], rtol=1e-12, atol=0)
        np.testing.assert_allclose(df1, ref1[1], rtol=1e-12, atol=0)
        np.testing.assert_allclose(skew1, ref1[2], rtol=1e-12, atol=1e-14)


@pytest.mark.usefixtures("by_cells")
def test_grouped_moments_of_rescaled_and_linearized_weights() -> None:
    frame = _sample(22)
    raked = rake(frame, MARGINS["three"], by="wave")
    rng = np.random.default_rng(9)
    codes, k = _codes(rng, len(frame))
    z = frame["nps"].to_numpy()
    for weights in (raked * 2.5, linearized(raked)):
        design = make_design(weights, length=len(frame), valid=np.ones(len(frame), bool))
        assert grouped_by_cells(design)
        var, df, skew = raked_group_moments(design, z, codes, k, skew=True)
        ref_var, ref_df, ref_skew = _group_by_group(design, z, codes, k)
        np.testing.assert_allclose(var, ref_var, rtol=1e-12, atol=0)
        np.testing.assert_allclose(df, ref_df, rtol=1e-12, atol=0)
        np.testing.assert_allclose(skew, ref_skew, rtol=1e-12, atol=1e-14)
    assert df[3] == len(frame) - 1  # linearized: the raked sample's degf


@pytest.mark.usefixtures("by_cells")
@pytest.mark.parametrize("name", ["nps", "csat_top2", "ces_mean"])
def test_summaries_by_group_equal_the_group_by_group_path(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = _sample(23)
    weights = rake(frame, MARGINS["three"])
    metric = get_metric(name)
    x = frame[metric.column].to_numpy()
    codes, k = _codes(np.random.default_rng(2), len(frame))
    design = make_design(weights, length=len(frame), valid=np.ones(len(frame), bool))
    s = metric.summarize(x, design, codes, k)
    ref_var, ref_df, ref_skew = _group_by_group(design, metric.score(x), codes, k)
    np.testing.assert_allclose(s.var, ref_var, rtol=1e-12, atol=0)
    np.testing.assert_allclose(s.df, ref_df, rtol=1e-12, atol=0)
    if metric.needs_skew:
        np.testing.assert_allclose(s.parts["skew"], ref_skew, rtol=1e-12, atol=1e-14)
    # Rows sorted by group (sums as slices) and one group: the estimates, bases and parts
    # equal those summed by bincount (the row-by-row path of a small raked sample).
    order = np.argsort(codes, kind="stable")
    for rows, groups, count in ((order, codes[order], k), (np.arange(x.size), None, 1)):
        sub = design.subset(rows)
        fast = metric.summarize(x[rows], sub, groups, count)
        monkeypatch.setattr(design_module, "ROW_BY_ROW_MAX", 20_000)
        slow = metric.summarize(x[rows], sub, groups, count)
        monkeypatch.setattr(design_module, "ROW_BY_ROW_MAX", 0)
        for field in ("theta", "value", "weighted_n", "n_effective", "n_star", "var", "df"):
            np.testing.assert_allclose(getattr(fast, field), getattr(slow, field), rtol=1e-12)
        np.testing.assert_array_equal(fast.n, slow.n)
        for part in slow.parts:
            np.testing.assert_allclose(fast.parts[part], slow.parts[part], rtol=1e-12, atol=1e-14)
    # The table a report shows: the same per-group rows as one summary per domain.
    table = metric_by(frame, name, by="region", weights=weights)
    for row in table.itertuples():
        valid = (frame["region"] == row.region).to_numpy()
        one = metric.summarize(x[valid], make_design(weights, length=len(frame), valid=valid))
        assert row.se == pytest.approx(metric.factor * np.sqrt(one.var[0]), rel=1e-12)


@pytest.mark.usefixtures("by_cells")
def test_a_repeated_summary_is_remembered_and_only_then(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = _sample(24)
    weights = rake(frame, MARGINS["one"])
    design = make_design(weights, length=len(frame), valid=np.ones(len(frame), bool))
    metric = get_metric("nps")
    computed: list[int] = []
    original = type(metric)._summarize

    def counting(self, x, design, codes, k):
        computed.append(k)
        return original(self, x, design, codes, k)

    monkeypatch.setattr(type(metric), "_summarize", counting)
    x = frame["nps"].to_numpy()
    codes = (frame["size"] == "large").to_numpy().astype("int64")
    first = metric.summarize(x, design, codes, 2)
    first.var[:] = -1.0  # a caller's change does not reach the memo
    again = metric.summarize(x.copy(), design, codes.copy(), 2)
    assert computed == [2]
    assert (again.var > 0).all()
    np.testing.assert_array_equal(again.var, original(metric, x, design, codes, 2).var)
    # Anything else that differs is computed: answers, groups, group count, metric, weights.
    other = x.copy()
    other[5] = 10.0 if other[5] != 10.0 else 0.0
    metric.summarize(other, design, codes, 2)
    metric.summarize(x, design, 1 - codes, 2)
    metric.summarize(x, design, codes, 3)
    get_metric("promoters").summarize(x, design, codes, 2)
    rescaled = make_design(weights * 2, length=len(frame), valid=np.ones(len(frame), bool))
    metric.summarize(x, rescaled, codes, 2)
    linear = make_design(linearized(weights), length=len(frame), valid=np.ones(len(frame), bool))
    metric.summarize(x, linear, codes, 2)
    assert computed == [2, 2, 2, 3, 2, 2]  # promoters is another class: not counted here
    # Answers hashed as small integers or as they are: -0.0 and 0.5 are told apart.
    halves = np.where(x > 5, x - 0.5, x)
    metric.summarize(halves, design, codes, 2)
    metric.summarize(halves.copy(), design, codes, 2)
    assert computed == [2] * 3 + [3] + [2] * 3
    zeros = np.zeros(x.size)
    metric.summarize(zeros, design, codes, 2)
    metric.summarize(-zeros, design, codes, 2)
    assert len(computed) == 9
    # Answers of another dtype with the same bytes once narrowed are computed apart:
    # float -1.0 is hashed as the byte 255, the same byte as a uint8 answer of 255.
    metric.summarize(np.full(x.size, -1.0), design, codes, 2)
    metric.summarize(np.full(x.size, 255, dtype=np.uint8), design, codes, 2)
    assert len(computed) == 11
    del computed[7:]
    # Unweighted and small raked samples are not remembered.
    metric.summarize(x, Design(np.ones(x.size)), codes, 2)
    metric.summarize(x, Design(np.ones(x.size)), codes, 2)
    assert computed[-2:] == [2, 2]
    monkeypatch.setattr(design_module, "ROW_BY_ROW_MAX", 20_000)
    metric.summarize(x, design, codes, 2)
    assert computed[-1:] == [2] and len(computed) == 10
    assert memo_module.KEEP >= 1


def test_positions_in_a_range_index_are_those_get_indexer_finds() -> None:
    # make_design places a raked Series' rows arithmetically when the raked frame's labels
    # are a RangeIndex: the same positions as a hash lookup, and labels outside it (or
    # weights that are no longer the raked ones) give the weights-only design as before.
    frame = _sample(25, rows=500).reset_index(drop=True)
    frame.index = pd.RangeIndex(40, 540)
    weights = rake(frame, MARGINS["one"])
    cal = weights.attrs[design_module.CALIBRATION_ATTR]
    assert isinstance(cal.index, pd.RangeIndex)
    rng = np.random.default_rng(4)
    shuffled = weights.loc[rng.permutation(frame.index)[:300]]
    shuffled.attrs = weights.attrs
    valid = rng.random(300) < 0.7
    design = make_design(shuffled, length=300, valid=valid)
    expected = pd.Index(cal.index).get_indexer(shuffled.index[valid])
    assert design.positions is not None
    np.testing.assert_array_equal(design.positions, expected)
    outside = shuffled.copy()
    outside.index = outside.index + 1_000  # labels the raked frame does not have
    outside.attrs = weights.attrs
    assert make_design(outside, length=300, valid=valid).calibration is None
    below = shuffled.copy()
    below.index = below.index - 100
    below.attrs = weights.attrs
    assert make_design(below, length=300, valid=valid).calibration is None
    changed = shuffled.copy()
    changed.iloc[int(np.flatnonzero(valid)[0])] *= 1.001  # no longer raked × one factor
    changed.attrs = weights.attrs
    assert make_design(changed, length=300, valid=valid).calibration is None
    assert make_design(shuffled * 3.0, length=300, valid=valid).calibration is cal
    # The raked Series itself (its labels a RangeIndex too), and a slice of it.
    every = rng.random(500) < 0.5
    whole = make_design(weights, length=500, valid=every)
    np.testing.assert_array_equal(whole.positions, np.flatnonzero(every))
    tail = weights.iloc[100:]
    tail.attrs = weights.attrs
    assert isinstance(tail.index, pd.RangeIndex)
    part = make_design(tail, length=400, valid=every[100:])
    np.testing.assert_array_equal(part.positions, np.flatnonzero(every[100:]) + 100)
