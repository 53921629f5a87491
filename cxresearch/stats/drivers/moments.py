"""Weighted correlation matrices for a batch of weight vectors (bootstrap replicates).

Every driver method for an interval outcome is a function of the correlation matrix of the
outcome and the drivers. A bootstrap replicate is the same rows with integer frequency
weights (how often each row was drawn), so the correlation matrices of R replicates are R
weighted correlation matrices of one data set. They come from sufficient statistics —
Σw, Σw·x_a, Σw·x_a·x_b (and, with missing values, the same sums over the rows where both
columns are present) — computed per chunk of rows as one matrix product
``W_chunk @ M_chunk``: M holds each row's products once, whatever the number of
replicates, and W the chunk's weights of every replicate. The work is linear in rows and
in replicates, and the per-row products are never rebuilt per replicate.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from cxresearch.stats.drivers.resample import BootstrapDraws

__all__ = ["bootstrap_correlations", "correlation_stack", "pair_counts"]

# Rows per chunk of a weighted pass: the (rows × products) helper stays near 32 MB.
_BLOCK_ELEMENTS = 1 << 22


class _Moments:
    """Which products of a row enter the sums, and how the sums become correlations.

    Listwise (no missing values): [1, x_a, x_a·x_b for a ≤ b]. Pairwise: for a ≤ b the
    count and cross product of rows where both are present, and for every ordered pair
    (a, b) Σ x_a and Σ x_a² over the rows where both are present.
    """

    def __init__(self, values: np.ndarray) -> None:
        values = np.asarray(values, dtype=np.float64)
        self.n, self.q = values.shape
        present = ~np.isnan(values)
        self.pairwise = not present.all()
        # Centre on the column means first: the sums are raw moments, and centring keeps
        # them from cancelling catastrophically when means are large relative to spreads.
        with np.errstate(invalid="ignore"):
            centre = np.where(present, values, 0.0).sum(axis=0) / present.sum(axis=0)
        centre = np.where(present.any(axis=0), centre, 0.0)
        self.x = np.where(present, values - centre, 0.0)
        self.m = present.astype(np.float64) if self.pairwise else None
        self.upper = np.triu_indices(self.q)
        tri = len(self.upper[0])
        self.width = 2 * tri + 2 * self.q * self.q if self.pairwise else 1 + self.q + tri

    def block_rows(self) -> int:
        return max(1, _BLOCK_ELEMENTS // self.width)

    def products(self, rows: slice) -> np.ndarray:
        """The per-row products of ``rows``, shape (rows, width)."""
        x = self.x[rows]
        a, b = self.upper
        if self.m is None:
            return np.concatenate([np.ones((x.shape[0], 1)), x, x[:, a] * x[:, b]], axis=1)
        m = self.m[rows]
        k = x.shape[0]
        return np.concatenate(
            [
                m[:, a] * m[:, b],
                x[:, a] * x[:, b],
                (x[:, :, None] * m[:, None, :]).reshape(k, -1),
                ((x * x)[:, :, None] * m[:, None, :]).reshape(k, -1),
            ],
            axis=1,
        )

    def accumulate(self, weighted_rows: Iterable[tuple[slice, np.ndarray]], r: int) -> np.ndarray:
        """Σ over chunks of W_chunk @ M_chunk, shape (r, width)."""
        sums = np.zeros((r, self.width))
        for rows, w in weighted_rows:
            sums += w @ self.products(rows)
        return sums

    def _symmetric(self, tri: np.ndarray) -> np.ndarray:
        out = np.empty((tri.shape[0], self.q, self.q))
        a, b = self.upper
        out[:, a, b] = tri
        out[:, b, a] = tri
        return out

    def correlations(self, sums: np.ndarray) -> np.ndarray:
        """Correlation matrices (r, q, q) from the sums; NaN where a variance is zero."""
        q, r = self.q, sums.shape[0]
        tri = len(self.upper[0])
        if self.m is None:
            total = sums[:, 0]
            mean = sums[:, 1 : 1 + q] / total[:, None]
            cross = self._symmetric(sums[:, 1 + q :])
            cov = cross / total[:, None, None] - mean[:, :, None] * mean[:, None, :]
            diag_var = np.diagonal(cov, axis1=1, axis2=2)
            var_a = diag_var[:, :, None]
            var_b = diag_var[:, None, :]
        else:
            count = self._symmetric(sums[:, :tri])
            cross = self._symmetric(sums[:, tri : 2 * tri])
            sum_a = sums[:, 2 * tri : 2 * tri + q * q].reshape(r, q, q)
            sq_a = sums[:, 2 * tri + q * q :].reshape(r, q, q)
            with np.errstate(divide="ignore", invalid="ignore"):
                mean_a = sum_a / count
                mean_b = np.swapaxes(mean_a, 1, 2)
                cov = cross / count - mean_a * mean_b
                var_a = sq_a / count - mean_a**2
                var_b = np.swapaxes(var_a, 1, 2)
            diag_var = np.diagonal(var_a, axis1=1, axis2=2)
        with np.errstate(divide="ignore", invalid="ignore"):
            corr = cov / np.sqrt(var_a * var_b)
        corr = np.where((var_a > 0) & (var_b > 0), corr, np.nan)
        # Symmetrise (rounding in the two triangles differs) and pin the diagonal.
        corr = 0.5 * (corr + np.swapaxes(corr, 1, 2))
        idx = np.arange(q)
        corr[:, idx, idx] = np.where(diag_var > 0, 1.0, np.nan)
        return np.clip(corr, -1.0, 1.0)


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

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 4.0]])
    >>> round(float(correlation_stack(x, np.ones((1, 3)))[0, 0, 1]), 4)
    0.6547
    """
    moments = _Moments(values)
    weights = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    step = moments.block_rows()
    chunks = (slice(s, s + step) for s in range(0, moments.n, step))
    sums = moments.accumulate(((rows, weights[:, rows]) for rows in chunks), weights.shape[0])
    return moments.correlations(sums)


def bootstrap_correlations(
    values: np.ndarray, weights: np.ndarray, draws: BootstrapDraws
) -> np.ndarray:
    """Weighted correlation matrices of every bootstrap replicate, in one pass over the rows.

    Parameters
    ----------
    values : numpy.ndarray, shape (n, q)
        As for :func:`correlation_stack`.
    weights : numpy.ndarray, shape (n,)
        Survey weights (ones when unweighted).
    draws : BootstrapDraws
        The replicates' draw counts (``draws.n == n``).

    Returns
    -------
    numpy.ndarray, shape (draws.replicates, q, q)
        The same matrices as ``correlation_stack(values, draws.counts() * weights)``,
        without holding all the counts at once: per chunk of rows one product of
        (replicates × rows) weights with (rows × products) per-row moments.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(1).normal(size=(50, 3))
    >>> draws = BootstrapDraws(np.random.SeedSequence(2), n=50, replicates=4)
    >>> bootstrap_correlations(x, np.ones(50), draws).shape
    (4, 3, 3)
    """
    moments = _Moments(values)
    w = np.asarray(weights, dtype=np.float64)
    if draws.n != moments.n or w.shape != (moments.n,):
        raise ValueError(
            f"draws for {draws.n} rows and {w.shape} weights do not fit {moments.n} rows"
        )

    return moments.correlations(moments.accumulate(draws.by_rows(w), draws.replicates))


def pair_counts(values: np.ndarray) -> np.ndarray:
    """Number of rows where both columns of each pair are present, shape (q, q), int64."""
    # The product is taken in float64 because numpy multiplies integer matrices without
    # BLAS: 0.69 s against 0.016 s for 200,000 × 25 here. Every partial sum is a whole
    # number below 2**53, so the float result is exact.
    present = (~np.isnan(np.asarray(values, dtype=np.float64))).astype(np.float64)
    return (present.T @ present).astype(np.int64)
