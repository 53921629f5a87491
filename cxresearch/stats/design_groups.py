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
group. So one pass of :func:`numpy.bincount` over all rows keyed by ``group × cells +
cell`` gives every group's totals, the backfitting runs on a cells × groups matrix with
each group's own sweeps and stopping rule, and the Bell–McCaffrey df of every group comes
from one :func:`~cxresearch.stats.design.small_sample_terms` call (for several groups bit
for bit the per-group values: :func:`numpy.bincount` adds each group's rows in their order
either way; one group takes plain sums, which a single-bin bincount computes several times
slower). The variances, skewness and a single group's df agree with the group-by-group
computation to rounding (sums taken in another order; ``tests/unit/test_design_groups.py``:
1e-12 relative on random raked samples with empty and one-row groups).
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
    if k == 1:
        # One group: plain sums (np.bincount into one bin adds the rows one after the
        # other, a chain of dependent additions several times slower than a sum).
        def group_sum(values: np.ndarray) -> np.ndarray:
            return np.array([values.sum()], dtype="float64")
    else:

        def group_sum(values: np.ndarray) -> np.ndarray:
            return np.bincount(codes, values, k)

    n = np.array([codes.size]) if k == 1 else np.bincount(codes, minlength=k)[:k]
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
    if k == 1:
        scale = np.array([np.abs(y).max(initial=0.0)])
    else:
        scale = np.zeros(k)
        np.maximum.at(scale, codes, np.abs(y))
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
