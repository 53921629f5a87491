"""Every group's raked domain variance at once, from per-(group, cell) totals.

A metric summarised per group on a large raked sample (``Metric.summarize`` with ``k``
groups) needs, for each group, the variance of its weighted mean over the *whole* raked
sample (:meth:`~cxresearch.stats.design.Calibration.domain_covariance`), its degrees of
freedom (:attr:`~cxresearch.stats.design.Design.inference_df`) and, for means, the
estimator's skewness (:meth:`~cxresearch.stats.design.Calibration.domain_skewness`).
Computed group by group, each group's rows are sorted out and passed over about thirty
times; at 1,000,000 rows and about 500 estimates a report spends seconds there.

Everything the cell-total backfitting needs from a group's rows is a sum per *(group,
cell)* (a cell being one combination of the margins' levels): the rows' residual inputs
``y = u / w``, weights and their powers, and after the fit the residuals' powers per
group. So one pass over all rows keyed by ``group × cells + cell`` gives every group's
totals, the backfitting runs on a cells × groups matrix with each group's own sweeps and
stopping rule, and the Bell–McCaffrey df of every group comes from one
:func:`~cxresearch.stats.design.small_sample_terms` call. When every weight is its cell's
(raking without base weights), a row's residual is linear in its centred answer with
coefficients fixed per (group, cell), so the rows enter only through their (group, cell)
sums of the centred answers' powers 0–3 (``_totals_by_cell``, about a dozen passes over
the rows instead of about fifty); otherwise every row's residual is formed
(``_totals_by_row``; per-group sums as slices when the groups are contiguous — one group,
rows sorted by wave — because :func:`numpy.bincount` adds one row after the other).
Either way the variances, skewness and df agree with the group-by-group computation to
rounding (sums taken in another order; ``tests/unit/test_design_domains.py``: 1e-12
relative on random raked samples with empty, one-row and sorted groups, both paths).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cxresearch.stats.design import (
    _MAX_SWEEPS,
    _SWEEP_TOL,
    Calibration,
    Design,
    _Cells,
    small_sample_terms,
)

__all__ = ["GroupSums", "group_sums", "grouped_by_cells", "raked_group_moments"]

#: Per-group sums of a row array (None: ``np.bincount(codes, values, k)``).
GroupSums = Callable[[np.ndarray], np.ndarray] | None


def group_sums(codes: np.ndarray, k: int) -> Callable[[np.ndarray], np.ndarray]:
    """Per-group sums of row arrays: slices where the groups' rows are contiguous (one
    group; rows sorted by group), else :func:`numpy.bincount` (``_Groups``)."""
    return _Groups.of(codes, k).sum


def grouped_by_cells(design: Design) -> bool:
    """Whether :func:`raked_group_moments` serves this design (large raked, no clusters)."""
    return design.positions is not None and design._by_cells


def raked_group_moments(
    design: Design,
    z: np.ndarray,
    codes: np.ndarray,
    k: int,
    *,
    skew: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Variance, df and skewness of each group's weighted mean of ``z`` (groups 0..k−1).

    As :meth:`Design.subset` → :meth:`Design.influence` → :meth:`Design.variance`,
    :attr:`Design.inference_df` and :meth:`Design.skewness` for each group's rows, for a
    design where :func:`grouped_by_cells` holds. Groups without rows or without a positive
    weight get NaN, NaN and 0, as ``Metric.summarize`` leaves them.

    Examples
    --------
    >>> import pandas as pd, cxresearch.stats.design as d
    >>> from cxresearch.stats.raking import rake
    >>> frame = pd.DataFrame({"r": ["a", "b", "b", "a", "b", "a"]})
    >>> w = rake(frame, {"r": {"a": 0.4, "b": 0.6}})
    >>> old, d.ROW_BY_ROW_MAX = d.ROW_BY_ROW_MAX, 0  # cell totals even for six rows
    >>> design = d.make_design(w, length=6, valid=np.ones(6, bool))
    >>> z, codes = np.array([1.0, 0, 1, 1, 0, 0]), np.array([0, 0, 0, 1, 1, 1])
    >>> var, df, _ = raked_group_moments(design, z, codes, 2, skew=False)
    >>> second = design.subset(np.array([3, 4, 5]))  # the second group on its own
    >>> bool(np.isclose(var[1], second.variance(second.influence(z[3:])[1])))
    True
    >>> bool(np.isclose(df[1], second.inference_df))
    True
    >>> d.ROW_BY_ROW_MAX = old
    """
    cal = design.calibration
    assert cal is not None and design.positions is not None
    cells = cal._cells
    m = int(cells.cell.size)
    groups = _Groups.of(codes, k)
    cell = cells.cell[design.positions]
    per_cell = _cell_weights(cal, cell, design.weights)
    if per_cell is not None:
        totals = _totals_by_cell(design, z, codes, groups, cell, *per_cell, skew=skew)
    else:
        totals = _totals_by_row(design, z, codes, groups, cell, skew=skew)
    var = np.full(k, np.nan)
    df = np.full(k, np.nan)
    skewness = np.zeros(k)
    ok = totals.ok
    if not ok.any():
        return var, df, skewness
    fitted = _backfit(cells, totals.y.T, totals.scale, ok)  # cells × groups
    f = fitted.T  # groups × cells
    s1, s2, s3 = totals.residual_sums(f)
    rest_w = cells.w_sum[None, :] - totals.w
    rest_w2 = cells.w2_sum[None, :] - totals.w2
    total = s1 - np.sum(rest_w * f, axis=1)
    square = s2 + np.sum(rest_w2 * f * f, axis=1)
    if m >= 2:
        var = np.where(ok, m / (m - 1.0) * (square - total * total / m), np.nan)
    if design.corrected:
        df = np.where(ok & (groups.n >= 2), totals.df(), np.nan)
    else:
        df = np.where(ok, design.df, np.nan)
    if skew:
        rest_w3 = cells.w3_sum[None, :] - totals.w3
        cubed = s3 - np.sum(rest_w3 * f**3, axis=1)
        mean = total / m
        ss = square - m * mean**2
        cubes = cubed - 3.0 * mean * square + 2.0 * m * mean**3
        with np.errstate(divide="ignore", invalid="ignore"):
            skewness = np.where(ok & (ss > 0), cubes / ss**1.5, 0.0)
    return var, df, skewness


@dataclass(frozen=True)
class _Totals:
    """What the backfitting and the variance need from the groups' rows.

    ``y`` (groups × cells) are the totals of ``y = u / w`` (``w`` the calibration weights
    as the residuals use them), ``scale`` each group's largest ``|y|`` (the sweeps'
    stopping rule), ``w``/``w2``/``w3`` the (group, cell) sums of those weights' powers,
    ``residual_sums(fitted)`` each group's sums of its rows' residuals ``(y − fitted)·w``
    to the powers 1–3 (the third only when skewness is asked), ``df()`` the groups'
    Bell–McCaffrey df.
    """

    ok: np.ndarray
    y: np.ndarray
    scale: np.ndarray
    w: np.ndarray
    w2: np.ndarray
    w3: np.ndarray
    residual_sums: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]
    df: Callable[[], np.ndarray]


def _totals_by_row(
    design: Design,
    z: np.ndarray,
    codes: np.ndarray,
    groups: _Groups,
    cell: np.ndarray,
    *,
    skew: bool,
) -> _Totals:
    """Totals from every row's influence value (any weights)."""
    assert design.calibration is not None and design.positions is not None
    cells = design.calibration._cells
    k, c_count = groups.k, int(cells.n.size)
    w = design.weights
    group_sum = groups.sum
    sw = group_sum(w)
    ok = (groups.n > 0) & (sw > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        theta = group_sum(w * z) / sw
    safe_sw = np.where(ok, sw, 1.0)
    u = w * (z - np.where(ok, theta, 0.0)[codes]) / safe_sw[codes]
    wc = cells.w[design.positions]
    y = u / wc
    key = codes * c_count + cell
    size = k * c_count

    def by_key(values: np.ndarray) -> np.ndarray:
        return np.bincount(key, values, size).reshape(k, c_count)

    def residual_sums(f: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        inside = (y - f.reshape(-1)[key]) * wc
        cubed = group_sum(inside**3) if skew else np.zeros(k)
        return group_sum(inside), group_sum(inside * inside), cubed

    return _Totals(
        ok,
        by_key(y),
        groups.max(np.abs(y)),
        by_key(wc),
        by_key(wc * wc),
        by_key(wc**3) if skew else np.zeros((k, c_count)),
        residual_sums,
        lambda: small_sample_terms(w, codes, k, sums=group_sum)[1],
    )


def _totals_by_cell(
    design: Design,
    z: np.ndarray,
    codes: np.ndarray,
    groups: _Groups,
    cell: np.ndarray,
    w_cell: np.ndarray,
    wc_cell: np.ndarray,
    *,
    skew: bool,
) -> _Totals:
    """Totals when every weight is its cell's (raked without base weights): then a row's
    residual is ``A·(z − θ) + B`` with ``A``, ``B`` constant in its (group, cell), so the
    rows enter through their (group, cell) sums of ``(z − θ)^p`` alone, and the df's sums
    over rows are sums over (group, cell) times the rows in each."""
    assert design.calibration is not None
    cells = design.calibration._cells
    k, c_count = groups.k, int(cells.n.size)
    key = codes * c_count + cell
    size = k * c_count
    count = np.bincount(key, minlength=size)[:size].reshape(k, c_count).astype("float64")

    def by_key(values: np.ndarray) -> np.ndarray:
        return np.bincount(key, values, size).reshape(k, c_count)

    sw = count @ w_cell
    ok = (groups.n > 0) & (sw > 0)
    safe_sw = np.where(ok, sw, 1.0)
    theta = np.where(ok, (by_key(z) @ w_cell) / safe_sw, 0.0)
    centred = z - theta[codes]
    s1 = by_key(centred)
    s2 = by_key(centred * centred)
    s3 = by_key(centred**3) if skew else np.zeros((k, c_count))
    largest = np.zeros(size)
    np.maximum.at(largest, key, np.abs(centred))
    ratio = (w_cell / wc_cell)[None, :] / safe_sw[:, None]  # y = ratio · (z − θ)
    slope = w_cell[None, :] / safe_sw[:, None]  # u = slope · (z − θ)

    def residual_sums(f: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        shift = -f * wc_cell[None, :]  # residual = slope · (z − θ) + shift
        first = slope * s1 + shift * count
        second = slope**2 * s2 + 2.0 * slope * shift * s1 + shift**2 * count
        third = (
            slope**3 * s3 + 3.0 * slope**2 * shift * s2 + 3.0 * slope * shift**2 * s1
            + shift**3 * count
        )  # fmt: skip
        return first.sum(axis=1), second.sum(axis=1), third.sum(axis=1) if skew else np.zeros(k)

    def df() -> np.ndarray:
        present = count.reshape(-1) > 0
        which = np.repeat(np.arange(k), c_count)[present]
        times = count.reshape(-1)[present]
        weights = np.tile(w_cell, k)[present]
        return small_sample_terms(
            weights, which, k, sums=lambda values: np.bincount(which, times * values, k)
        )[1]

    return _Totals(
        ok,
        ratio * s1,
        np.max(ratio * largest.reshape(k, c_count), axis=1, initial=0.0),
        count * wc_cell[None, :],
        count * (wc_cell**2)[None, :],
        count * (wc_cell**3)[None, :] if skew else np.zeros((k, c_count)),
        residual_sums,
        df,
    )


_CELL_WEIGHTS: weakref.WeakKeyDictionary[Calibration, np.ndarray | None] = (
    weakref.WeakKeyDictionary()
)


def _cell_weights(
    cal: Calibration, cell: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """Each cell's design weight and calibration weight, if every row's weight is its
    cell's (else None: the rows' weights differ within a cell, e.g. base weights)."""
    if cal not in _CELL_WEIGHTS:
        _CELL_WEIGHTS[cal] = _one_per_cell(cal._cells.cell, cal._cells.w, int(cal._cells.n.size))
    wc_cell = _CELL_WEIGHTS[cal]
    if wc_cell is None:
        return None
    w_cell = _one_per_cell(cell, w, wc_cell.size)
    return None if w_cell is None else (w_cell, wc_cell)


def _one_per_cell(cell: np.ndarray, values: np.ndarray, size: int) -> np.ndarray | None:
    """The value of each cell's rows if it is one value per cell (bit for bit), else None."""
    out = np.zeros(size)
    out[cell] = values
    return out if np.array_equal(out[cell], values) else None


class _Groups:
    """Sums and maxima of row arrays per group code (0..k−1).

    :func:`numpy.bincount` adds each row to its group's total one after the other; when
    neighbouring rows share a group (one group, or rows sorted by group, as a frame
    sorted by wave is) every addition waits for the previous one, several times slower
    than a sum. Contiguous groups are therefore summed as slices (:func:`numpy.add.reduceat`),
    others with :func:`numpy.bincount`; the totals agree to rounding.
    """

    def __init__(self, codes: np.ndarray, k: int) -> None:
        self.codes, self.k = codes, k
        self.n = np.bincount(codes, minlength=k)[:k] if k > 1 else np.array([codes.size])
        self.starts: np.ndarray | None = None
        if k == 1:
            self.starts = np.zeros(1 if codes.size else 0, dtype="int64")
        elif codes.size and bool(np.all(codes[:-1] <= codes[1:])):
            self.starts = (np.cumsum(self.n) - self.n)[self.n > 0]

    @classmethod
    def of(cls, codes: np.ndarray, k: int) -> _Groups:
        return cls(np.asarray(codes), k)

    def sum(self, values: np.ndarray) -> np.ndarray:
        if self.starts is None:
            return np.bincount(self.codes, values, self.k)
        out = np.zeros(self.k)
        if self.starts.size:
            out[self.n > 0] = np.add.reduceat(values, self.starts)
        return out

    def max(self, values: np.ndarray) -> np.ndarray:
        out = np.zeros(self.k)
        if self.starts is None:
            np.maximum.at(out, self.codes, values)
        elif self.starts.size:
            out[self.n > 0] = np.maximum.reduceat(values, self.starts)
        return out


def _backfit(cells: _Cells, y_cells: np.ndarray, scale: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Fitted value per cell (cells × groups) of each group's backfitting, as
    ``Calibration._domain_fit`` runs it for one domain: the same sweeps and stopping rule
    per group (a group that has stopped is no longer updated)."""
    c_count, k = y_cells.shape
    fitted = np.zeros((c_count, k))
    # Each margin's level totals of the groups' y, and its cells → levels indicator.
    margins = []
    for codes, size, count in zip(cells.codes, cells.sizes, cells.counts, strict=True):
        indicator = np.zeros((size, c_count))
        indicator[codes, np.arange(c_count)] = 1.0
        margins.append((codes, indicator, indicator @ y_cells, np.maximum(count, 1)[:, None]))
    active = ok.copy()
    limit = _SWEEP_TOL * np.maximum(scale, 1e-300)
    for _ in range(_MAX_SWEEPS):
        if not active.any():
            break
        cols = np.flatnonzero(active)
        moved = np.zeros(cols.size)
        part = fitted[:, cols]
        for codes, indicator, totals, count in margins:
            taken = indicator @ (cells.n[:, None] * part)
            step = ((totals[:, cols] - taken) / count)[codes]
            part = part + step
            moved = np.maximum(moved, np.max(np.abs(step), axis=0) if step.size else 0.0)
        fitted[:, cols] = part
        active[cols[moved <= limit[cols]]] = False
    return fitted
