"""Weighted correlation matrices for a batch of weight vectors (bootstrap replicates).

Every driver method for an interval outcome is a function of the correlation matrix of the
outcome and the drivers. A bootstrap replicate is the same rows with integer frequency
weights (how often each row was drawn), so the correlation matrices of R replicates are R
weighted correlation matrices of one data set. Computing them as matrix products
``W @ (x_a · x_b)`` over the rows turns the whole bootstrap into a few BLAS calls instead
of R passes over resampled copies of the data.
"""

from __future__ import annotations

import numpy as np

__all__ = ["correlation_stack", "pair_counts"]

# Rows per block in the products: bounds the (rows × q²) helper array to about 32 MB.
_BLOCK_ELEMENTS = 1 << 22


def _blocks(n: int, q: int) -> range:
    return range(0, n, max(1, _BLOCK_ELEMENTS // max(1, q * q)))


def _outer_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise outer products flattened: (rows, q) × (rows, q) → (rows, q·q)."""
    return (a[:, :, None] * b[:, None, :]).reshape(a.shape[0], -1)


def correlation_stack(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted Pearson correlation matrices, one per row of ``weights``.

    Parameters
    ----------
    values : numpy.ndarray, shape (n, q)
        Data; NaN marks a missing value. Without NaN this is the ordinary (listwise)
        weighted correlation. With NaN each pair of columns uses the rows where both are
        present, for its means, variances and covariance alike — the same definition as R's
        ``cor(x, use = "pairwise.complete.obs")`` and ``cov.wt`` on each pair.
    weights : numpy.ndarray, shape (R, n)
        Non-negative weights; a bootstrap replicate's weights are draw counts times the
        survey weights.

    Returns
    -------
    numpy.ndarray, shape (R, q, q)
        Correlation matrices with a unit diagonal; a pair with no weighted variance gives NaN.
    """
    values = np.asarray(values, dtype=np.float64)
    weights = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    n, q = values.shape
    present = ~np.isnan(values)
    # Centre on the column means first: the products below use raw moments, and centring
    # keeps them from cancelling catastrophically when means are large relative to spreads.
    centre = np.array(
        [values[present[:, j], j].mean() if present[:, j].any() else 0.0 for j in range(q)]
    )
    x = np.where(present, values - centre, 0.0)
    r = weights.shape[0]
    if present.all():
        total = weights.sum(axis=1)
        sums = weights @ x
        cross = np.zeros((r, q * q))
        for start in _blocks(n, q):
            stop = start + max(1, _BLOCK_ELEMENTS // max(1, q * q))
            block = x[start:stop]
            cross += weights[:, start:stop] @ _outer_rows(block, block)
        mean = sums / total[:, None]
        cov = cross.reshape(r, q, q) / total[:, None, None] - mean[:, :, None] * mean[:, None, :]
        diag_var = np.diagonal(cov, axis1=1, axis2=2)
        var_a = diag_var[:, :, None]
        var_b = diag_var[:, None, :]
    else:
        m = present.astype(np.float64)
        count = np.zeros((r, q * q))  # Σ w over rows where a and b are present
        sum_a = np.zeros((r, q * q))  # Σ w x_a over those rows
        sq_a = np.zeros((r, q * q))  # Σ w x_a² over those rows
        cross = np.zeros((r, q * q))  # Σ w x_a x_b
        for start in _blocks(n, q):
            stop = start + max(1, _BLOCK_ELEMENTS // max(1, q * q))
            wb = weights[:, start:stop]
            xb, mb = x[start:stop], m[start:stop]
            count += wb @ _outer_rows(mb, mb)
            sum_a += wb @ _outer_rows(xb, mb)
            sq_a += wb @ _outer_rows(xb * xb, mb)
            cross += wb @ _outer_rows(xb, xb)
        shape = (r, q, q)
        count_m = count.reshape(shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            mean_a = sum_a.reshape(shape) / count_m
            mean_b = np.swapaxes(mean_a, 1, 2)
            cov = cross.reshape(shape) / count_m - mean_a * mean_b
            var_a = sq_a.reshape(shape) / count_m - mean_a**2
            var_b = np.swapaxes(var_a, 1, 2)
        diag_var = np.diagonal(var_a, axis1=1, axis2=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = cov / np.sqrt(var_a * var_b)
    corr = np.where((var_a > 0) & (var_b > 0), corr, np.nan)
    # Symmetrise (rounding in the two triangles differs) and pin the diagonal.
    corr = 0.5 * (corr + np.swapaxes(corr, 1, 2))
    diag_ok = diag_var > 0
    idx = np.arange(q)
    corr[:, idx, idx] = np.where(diag_ok, 1.0, np.nan)
    return np.clip(corr, -1.0, 1.0)


def pair_counts(values: np.ndarray) -> np.ndarray:
    """Number of rows where both columns of each pair are present, shape (q, q), int64."""
    # The product is taken in float64 because numpy multiplies integer matrices without
    # BLAS: 0.69 s against 0.016 s for 200,000 × 25 here. Every partial sum is a whole
    # number below 2**53, so the float result is exact.
    present = (~np.isnan(np.asarray(values, dtype=np.float64))).astype(np.float64)
    return (present.T @ present).astype(np.int64)
