"""All-subsets R² and the Shapley (LMG) decomposition computed from a correlation matrix.

The Shapley value of driver ``j`` in a linear model is

    φ_j = Σ_{S ⊆ P∖{j}} |S|! (p − |S| − 1)! / p! · [R²(S ∪ {j}) − R²(S)],

the average gain in R² from adding ``j`` over all orders of entry (Lindeman, Merenda &
Gold 1980; Grömping 2007, the ``"lmg"`` metric of R relaimpo). It needs R² of all 2^p
submodels. Peers refit each submodel from the data; here every R² comes from the
(p+1)×(p+1) correlation matrix, so the cost is independent of n after one pass over the data.

The engine is a breadth-first sweep (Beaton 1964; Goodnight 1979) over a binary decision
tree: driver ``p−1`` is decided first, driver 0 last. Every node holds the correlation
matrix of the outcome and the undecided drivers, residualised on the drivers included so
far. Excluding a driver drops its row and column; including it sweeps on it (one rank-one
update). At a leaf only the outcome's residual variance is left and R² = 1 − that
variance. A node ``k`` levels above the leaves costs O(k²), so the whole tree costs about
11 · 2^p flops — much less than one solve per subset (O(2^p · p³)) — and every level is one
vectorised numpy operation over all nodes (and over bootstrap replicates as a batch axis).
Because the drivers with the highest indices are decided first, each node's subtree fills a
contiguous block of the output, which is what lets the work run in chunks of bounded memory.
"""

from __future__ import annotations

from math import comb

import numpy as np

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "all_subsets_r2",
    "sampled_shapley",
    "shapley_from_subsets",
]

#: Number of subset R² values (times bootstrap replicates) materialised per chunk. The
#: sweep holds about three times this many float64 values at its peak, so the default
#: keeps a chunk near 25 MB whatever p is.
DEFAULT_CHUNK_SIZE = 1 << 20

# A driver whose residual variance (on the correlation scale) is below this given the
# drivers already in the model adds nothing: it is a linear combination of them. Treating it
# as adding zero R² is what a generalised inverse does, and keeps bootstrap replicates in
# which a rare category vanished finite. Full-sample data never reach this: the input checks
# reject collinear drivers with a clear error first.
_PIVOT_TOL = 1e-10


def _as_correlation(corr: np.ndarray, *, name: str = "corr") -> np.ndarray:
    """Return ``corr`` as float64 correlations of shape (..., p+1, p+1), checked."""
    arr = np.asarray(corr, dtype=np.float64)
    if arr.ndim < 2 or arr.shape[-1] != arr.shape[-2]:
        raise ValueError(f"{name} must be a square matrix (or a stack of them), got {arr.shape}")
    if arr.shape[-1] < 2:
        raise ValueError(f"{name} must hold the outcome and at least one driver, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains missing or infinite values")
    diag = np.diagonal(arr, axis1=-2, axis2=-1)
    if np.any(diag <= 0):
        raise ValueError(f"{name} has a zero or negative variance on its diagonal")
    # Accept a covariance matrix too: R² does not depend on the scale of the variables.
    scale = 1.0 / np.sqrt(diag)
    out = arr * scale[..., :, None] * scale[..., None, :]
    idx = np.arange(arr.shape[-1])
    out[..., idx, idx] = 1.0  # exactly, so that the empty model has R² = 0 without rounding
    return out


def _sweep_levels(state: np.ndarray, levels: int) -> np.ndarray:
    """Expand every node of ``state`` by ``levels`` decisions (see the module docstring).

    ``state`` has shape (nodes, k+1, k+1): index 0 is the outcome, 1..k the undecided
    drivers in order. The driver at index k is decided next; children are ordered
    (exclude, include), so the final node index is the bitmask of included drivers.
    """
    for _ in range(levels):
        k = state.shape[-1] - 1
        keep = state[:, :k, :k]
        pivot = state[:, k, k]
        column = state[:, :k, k]
        usable = pivot > _PIVOT_TOL
        inverse = np.divide(1.0, pivot, out=np.zeros_like(pivot), where=usable)
        included = keep - column[:, :, None] * (column * inverse[:, None])[:, None, :]
        state = np.stack([keep, included], axis=1).reshape(-1, k, k)
    return state


def all_subsets_r2(corr: np.ndarray, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> np.ndarray:
    """R² of the linear regression of the outcome on every subset of the drivers.

    Parameters
    ----------
    corr : numpy.ndarray, shape (..., p + 1, p + 1)
        Correlation (or covariance, weighted or not) matrix with the **outcome first**
        (row and column 0) and the p drivers after it. Leading axes are a batch, e.g.
        bootstrap replicates.
    chunk_size : int
        Upper bound on the number of subset values computed at once (bounds memory; the
        result itself still needs ``8 · 2^p`` bytes per matrix).

    Returns
    -------
    numpy.ndarray, shape (..., 2 ** p)
        ``r2[..., mask]`` is R² of the model with driver ``j`` included iff bit ``j`` of
        ``mask`` is set (``r2[..., 0] == 0``, ``r2[..., -1]`` is the full model).

    Notes
    -----
    Exact in floating point up to rounding (about 1e-14 on well-conditioned data); no model
    is refitted. A driver that is (numerically) a linear combination of drivers already in a
    subset adds zero. Runs in O(2^p) time and O(chunk_size) working memory.

    References
    ----------
    Beaton, A. E. (1964). The use of special matrix operators in statistical calculus.
    ETS Research Bulletin RB-64-51.
    Goodnight, J. H. (1979). A tutorial on the SWEEP operator. *The American Statistician*
    33(3), 149–158.
    """
    if int(chunk_size) < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    corr = _as_correlation(corr)
    batch_shape = corr.shape[:-2]
    p = corr.shape[-1] - 1
    if p > 40:
        raise ValueError(f"all_subsets_r2 needs 2**p values; p = {p} drivers is too many")
    stack = corr.reshape(-1, p + 1, p + 1)
    replicates = stack.shape[0]
    n_subsets = 1 << p
    out = np.empty((replicates, n_subsets), dtype=np.float64)

    # Split the work two ways: whole trees for groups of replicates when one tree fits in a
    # chunk, otherwise subtrees (contiguous blocks of the output) of one replicate at a time.
    if n_subsets <= chunk_size:
        group = max(1, int(chunk_size) // n_subsets)
        for start in range(0, replicates, group):
            leaves = _sweep_levels(stack[start : start + group], p)
            out[start : start + group] = 1.0 - leaves[:, 0, 0].reshape(-1, n_subsets)
    else:
        low_bits = int(chunk_size).bit_length() - 1  # largest power of two <= chunk_size
        top = p - low_bits
        block = 1 << low_bits
        for r in range(replicates):
            roots = _sweep_levels(stack[r : r + 1], top)
            for i in range(roots.shape[0]):
                leaves = _sweep_levels(roots[i : i + 1], low_bits)
                out[r, i * block : (i + 1) * block] = 1.0 - leaves[:, 0, 0]
    return out.reshape(*batch_shape, n_subsets)


def _entry_weights(p: int) -> tuple[np.ndarray, np.ndarray]:
    """Shapley weights by subset size: w(k) = k!(p−k−1)!/p! = 1 / (p · C(p−1, k))."""
    w = np.array([1.0 / (p * comb(p - 1, k)) for k in range(p)])
    # Coefficient of R²(S) in φ_j when j ∈ S (S entered as T ∪ {j}, |T| = |S| − 1) ...
    w_in = np.concatenate([[0.0], w])
    # ... and when j ∉ S (S is the set before j enters).
    w_out = np.concatenate([w, [0.0]])
    return w_in, w_out


def shapley_from_subsets(
    r2_all: np.ndarray, p: int, *, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> np.ndarray:
    """Shapley values (LMG shares of R²) from the R² of all 2^p subsets.

    Parameters
    ----------
    r2_all : numpy.ndarray, shape (..., 2 ** p)
        As returned by :func:`all_subsets_r2` (index = bitmask of included drivers).
    p : int
        Number of drivers.
    chunk_size : int
        Number of subsets processed at once (bounds memory).

    Returns
    -------
    numpy.ndarray, shape (..., p)
        φ_j for each driver; they sum to ``r2_all[..., -1] − r2_all[..., 0]`` (efficiency).

    Notes
    -----
    Writing the definition as Σ_S c_j(S) R²(S) with c_j(S) = w(|S|−1) if j ∈ S and
    −w(|S|) otherwise gives φ_j = Σ_{S∋j} a(S) − Σ_S w(|S|) R²(S) with
    a(S) = [w(|S|−1) + w(|S|)] R²(S): one weighted copy of the array and p strided sums.

    References
    ----------
    Shapley, L. S. (1953). A value for n-person games. In *Contributions to the Theory of
    Games II*, 307–317.
    Lindeman, R. H., Merenda, P. F. & Gold, R. Z. (1980). *Introduction to Bivariate and
    Multivariate Analysis*. Scott, Foresman, p. 119ff.
    Grömping, U. (2007). Estimators of relative importance in linear regression based on
    variance decomposition. *The American Statistician* 61(2), 139–147.
    """
    if not isinstance(p, (int, np.integer)) or p < 1:
        raise ValueError(f"p must be a positive integer, got {p!r}")
    r2_all = np.asarray(r2_all, dtype=np.float64)
    n_subsets = 1 << int(p)
    if r2_all.shape[-1:] != (n_subsets,):
        raise ValueError(
            f"r2_all must have 2**p = {n_subsets} values on its last axis, got {r2_all.shape}"
        )
    batch_shape = r2_all.shape[:-1]
    flat = r2_all.reshape(-1, n_subsets)
    w_in, w_out = _entry_weights(int(p))
    w_sum = w_in + w_out

    low_bits = min(int(p), max(0, int(chunk_size).bit_length() - 1))
    block = 1 << low_bits
    phi = np.zeros((flat.shape[0], int(p)))
    total_out = np.zeros(flat.shape[0])
    for start in range(0, n_subsets, block):
        size = np.bitwise_count(np.arange(start, start + block, dtype=np.uint64)).astype(np.intp)
        chunk = flat[:, start : start + block]
        total_out += chunk @ w_out[size]
        a = chunk * w_sum[size]
        # Bits below low_bits vary inside the block: sum the half where bit j is set.
        for j in range(low_bits):
            view = a.reshape(a.shape[0], -1, 2, 1 << j)
            phi[:, j] += view[:, :, 1, :].sum(axis=(1, 2))
        # Higher bits are constant inside the block.
        if low_bits < p:
            block_sum = a.sum(axis=1)
            for j in range(low_bits, int(p)):
                if (start >> j) & 1:
                    phi[:, j] += block_sum
    phi -= total_out[:, None]
    return phi.reshape(*batch_shape, int(p))


def sampled_shapley(
    corr: np.ndarray,
    *,
    n_permutations: int,
    rng: np.random.Generator,
    chunk_size: int = 2048,
) -> tuple[np.ndarray, np.ndarray]:
    """Monte-Carlo Shapley values from random orders of entry, with their standard errors.

    For one order of entry, the R² gains of the drivers are the squared whitened
    correlations ``z = L⁻¹ r`` where ``L`` is the Cholesky factor of the permuted driver
    correlation matrix and ``r`` the permuted outcome correlations, so one Cholesky
    factorisation gives all p gains of an order. Each order's gains sum to the full R², so
    the estimate keeps the efficiency property exactly.

    Parameters
    ----------
    corr : numpy.ndarray, shape (p + 1, p + 1)
        Correlation or covariance matrix, outcome first.
    n_permutations : int
        Number of random orders of entry (at least 2).
    rng : numpy.random.Generator
        Source of the random orders.
    chunk_size : int
        Orders processed at once.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Estimated φ_j and their Monte-Carlo standard errors (sd of the gains / √M).

    References
    ----------
    Castro, J., Gómez, D. & Tejada, J. (2009). Polynomial calculation of the Shapley value
    based on sampling. *Computers & Operations Research* 36(5), 1726–1730.
    """
    if int(n_permutations) < 2:
        raise ValueError(f"n_permutations must be at least 2, got {n_permutations!r}")
    c = _as_correlation(corr)
    if c.ndim != 2:
        raise ValueError(f"corr must be one matrix, got shape {c.shape}")
    p = c.shape[0] - 1
    rxx = c[1:, 1:]
    rxy = c[1:, 0]
    total = np.zeros(p)
    total_sq = np.zeros(p)
    done = 0
    while done < n_permutations:
        m = min(int(chunk_size), int(n_permutations) - done)
        order = np.argsort(rng.random((m, p)), axis=1)
        permuted = rxx[order[:, :, None], order[:, None, :]]
        chol = np.linalg.cholesky(permuted)
        z = np.linalg.solve(chol, rxy[order][:, :, None])[:, :, 0]
        gains = np.empty((m, p))
        np.put_along_axis(gains, order, z**2, axis=1)
        total += gains.sum(axis=0)
        total_sq += (gains**2).sum(axis=0)
        done += m
    mean = total / n_permutations
    variance = (total_sq - n_permutations * mean**2) / (n_permutations - 1)
    return mean, np.sqrt(np.maximum(variance, 0.0) / n_permutations)
