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
:func:`~cxresearch.stats.design.small_sample_terms` call. Per-group sums are taken as
slices when the groups are contiguous (one group; rows sorted by wave) and by
:func:`numpy.bincount` otherwise (``_Groups``): in the second case the df are bit for bit
the per-group ones. The variances, skewness and df agree with the group-by-group
computation to rounding (sums taken in another order; ``tests/unit/test_design_groups.py``:
1e-12 relative on random raked samples with empty, one-row and sorted groups).
"""

from __future__ import annotations

import numpy as np

from cxresearch.stats.design import (
    _MAX_SWEEPS,
    _SWEEP_TOL,
    Design,
    _Cells,
    small_sample_terms,
)

__all__ = ["grouped_by_cells", "raked_group_moments"]


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
    >>> bool(df[1] == second.inference_df)
    True
    >>> d.ROW_BY_ROW_MAX = old
    """
    cal = design.calibration
    assert cal is not None and design.positions is not None
    cells = cal._cells
    w = design.weights
    positions = design.positions
    m = int(cells.cell.size)
    c_count = int(cells.n.size)
    groups = _Groups.of(codes, k)
    group_sum, n = groups.sum, groups.n
    sw = group_sum(w)
    ok = (n > 0) & (sw > 0)
    var = np.full(k, np.nan)
    df = np.full(k, np.nan)
    skewness = np.zeros(k)
    if not ok.any():
        return var, df, skewness
    with np.errstate(divide="ignore", invalid="ignore"):
        theta = group_sum(w * z) / sw
    safe_sw = np.where(ok, sw, 1.0)
    u = w * (z - np.where(ok, theta, 0.0)[codes]) / safe_sw[codes]
    cell = cells.cell[positions]
    wc = cells.w[positions]
    y = u / wc
    key = codes * c_count + cell
    size = k * c_count
    # (group, cell) totals of y and of the domain's weights and their powers.
    y_gc = np.bincount(key, y, size).reshape(k, c_count)
    w_gc = np.bincount(key, wc, size).reshape(k, c_count)
    w2_gc = np.bincount(key, wc * wc, size).reshape(k, c_count)
    scale = groups.max(np.abs(y))
    fitted = _backfit(cells, y_gc.T, scale, ok)  # cells × groups
    inside = (y - fitted.T.reshape(-1)[key]) * wc
    s1 = group_sum(inside)
    s2 = group_sum(inside * inside)
    f = fitted.T  # groups × cells
    rest_w = cells.w_sum[None, :] - w_gc
    rest_w2 = cells.w2_sum[None, :] - w2_gc
    total = s1 - np.sum(rest_w * f, axis=1)
    square = s2 + np.sum(rest_w2 * f * f, axis=1)
    if m >= 2:
        var = np.where(ok, m / (m - 1.0) * (square - total * total / m), np.nan)
    if design.corrected:
        terms = small_sample_terms(w, codes, k, sums=group_sum)[1]
        df = np.where(ok & (n >= 2), terms, np.nan)
    else:
        df = np.where(ok, design.df, np.nan)
    if skew:
        w3_gc = np.bincount(key, wc**3, size).reshape(k, c_count)
        rest_w3 = cells.w3_sum[None, :] - w3_gc
        s3 = group_sum(inside**3) - np.sum(rest_w3 * f**3, axis=1)
        mean = total / m
        ss = square - m * mean**2
        cubes = s3 - 3.0 * mean * square + 2.0 * m * mean**3
        with np.errstate(divide="ignore", invalid="ignore"):
            skewness = np.where(ok & (ss > 0), cubes / ss**1.5, 0.0)
    return var, df, skewness


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
