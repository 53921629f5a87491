"""Many weighted logistic regressions at once, for binary outcomes (retained, repurchased).

Shapley importance for a binary outcome needs a fit for every subset of drivers, and its
bootstrap a fit per subset and replicate. statsmodels fits one model per call (about a
millisecond of Python overhead each), so this module fits a batch of models that share the
rows and differ in which drivers they include (a 0/1 mask) and in their row weights, by
Newton–Raphson (iteratively reweighted least squares) vectorised over the batch. A driver
left out of a model is pinned at a zero coefficient by giving it an identity row in the
Hessian and a zero gradient. The reference tests check the fits against R's ``glm``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

__all__ = [
    "LogisticDesign",
    "LogisticFits",
    "fit_logistic",
    "mcfadden_r2",
    "menard_standardised",
    "null_loglik",
]

# Rows per step of a pass over the data: the (models × rows) work arrays of one step stay
# in the processor's cache (each element is touched by several numpy operations in a row),
# which made a bootstrap's Newton passes about twice as fast as whole-row arrays.
_ROW_STEP = 2048
# Models fitted together: bounds the (models × rows) work arrays of a step to about 32 MB.
_MODELS_PER_BATCH = (1 << 22) // _ROW_STEP


@dataclass(frozen=True)
class LogisticFits:
    """A batch of logistic fits.

    Attributes
    ----------
    coef : numpy.ndarray, shape (B, p + 1)
        Intercept then one coefficient per driver (zero where the mask excludes it).
    loglik : numpy.ndarray, shape (B,)
        Weighted log-likelihood Σ wᵢ [yᵢ log μᵢ + (1 − yᵢ) log(1 − μᵢ)]; NaN when not asked.
    converged : numpy.ndarray of bool, shape (B,)
        False when Newton steps had not settled after ``max_iter`` iterations, typically
        because the drivers separate the outcome perfectly.
    covariance : numpy.ndarray, shape (B, p + 1, p + 1)
        Inverse Fisher information (model-based; weights treated as frequency weights, as
        R's ``glm`` treats prior weights). Rows and columns of excluded drivers are zero;
        NaN when not asked.
    """

    coef: np.ndarray
    loglik: np.ndarray
    converged: np.ndarray
    covariance: np.ndarray


def _leading(buffer: np.ndarray, columns: int) -> np.ndarray:
    """A C-contiguous (rows, columns) array over the start of ``buffer``'s memory.

    Not ``buffer[:, :columns]``, a strided view: matrix products into it would not go to BLAS
    the same way as into a fresh array, and the last, shorter step of rows would differ.
    """
    return buffer.reshape(-1)[: buffer.shape[0] * columns].reshape(buffer.shape[0], columns)


def _solve(info: np.ndarray, grad: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(info, grad[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:
        # A driver constant in a bootstrap replicate makes the design rank-deficient; the
        # pseudo-inverse gives the minimum-norm step, i.e. that driver stays at zero.
        return (np.linalg.pinv(info, hermitian=True) @ grad[:, :, None])[:, :, 0]


def null_loglik(y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted log-likelihood of the intercept-only model, one value per row of ``weights``."""
    weights = np.atleast_2d(weights)
    total = weights.sum(axis=1)
    prop = (weights @ y) / total
    with np.errstate(divide="ignore", invalid="ignore"):
        ll = total * (prop * np.log(prop) + (1 - prop) * np.log1p(-prop))
    return np.where((prop > 0) & (prop < 1), ll, 0.0)


@dataclass(frozen=True)
class LogisticDesign:
    """The rows of many logistic fits, prepared once: design matrix and per-row products.

    A bootstrap fits the same rows with a thousand weight vectors; building the design
    (intercept column) and each row's products x_a·x_b once instead of per block of
    replicates and per Newton pass saves most of the memory traffic.

    Attributes
    ----------
    design : numpy.ndarray, shape (n, q)
        A column of ones, then the drivers.
    y : numpy.ndarray, shape (n,)
        Outcome coded 0/1.
    products : numpy.ndarray or None, shape (n, q(q+1)/2)
        x_a·x_b for a ≤ b per row; None when it would take more than 256 MB (each step of
        rows then builds its own).
    """

    design: np.ndarray
    y: np.ndarray
    products: np.ndarray | None

    @property
    def x(self) -> np.ndarray:
        """The drivers (the design without its intercept column)."""
        return self.design[:, 1:]

    @classmethod
    def of(cls, x: np.ndarray, y: np.ndarray) -> LogisticDesign:
        """The design of drivers ``x`` (n, p) as given and outcome ``y``."""
        x = np.asarray(x, dtype=np.float64)
        design = np.column_stack([np.ones(x.shape[0]), x])
        a, b = np.triu_indices(design.shape[1])
        small = design.shape[0] * len(a) * 8 <= 1 << 28
        products = design[:, a] * design[:, b] if small else None
        return cls(design, np.asarray(y, dtype=np.float64), products)

    @classmethod
    def standardised(cls, x: np.ndarray, y: np.ndarray) -> LogisticDesign:
        """The design of ``x`` centred and scaled by its unweighted mean and SD.

        Standardising helps Newton's steps and leaves McFadden's R² and Menard's
        standardised coefficients unchanged; a constant column is only centred.
        """
        x = np.asarray(x, dtype=np.float64)
        spread = x.std(axis=0)
        return cls.of((x - x.mean(axis=0)) / np.where(spread > 0, spread, 1.0), y)


class _Rows:
    """The design and the row weights of a batch of models, walked in steps of rows."""

    def __init__(self, prepared: LogisticDesign, weights: np.ndarray) -> None:
        self.design, self.y, self.products = prepared.design, prepared.y, prepared.products
        self.weights = weights  # (n,) shared, or (W, n) with one row per weight vector
        self.upper = np.triu_indices(self.design.shape[1])

    def steps(self, group: np.ndarray | None) -> Iterator[tuple[np.ndarray, ...]]:
        """(design rows, y, weights per model, upper-triangle products) per step of rows."""
        a, b = self.upper
        # Consecutive weight rows (every model of a batch still iterating) are a view.
        pick: slice | np.ndarray | None = group
        if (
            group is not None
            and group.size
            and np.array_equal(group, np.arange(group[0], group[0] + group.size))
        ):
            pick = slice(int(group[0]), int(group[0]) + group.size)
        for start in range(0, self.design.shape[0], _ROW_STEP):
            rows = slice(start, start + _ROW_STEP)
            d = self.design[rows]
            w = self.weights[rows] if pick is None else self.weights[pick, rows]
            products = d[:, a] * d[:, b] if self.products is None else self.products[rows]
            yield d, self.y[rows], w, products

    def score_information(
        self, beta: np.ndarray, group: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Gradient (B, q) and Fisher information (B, q, q) of the log-likelihood at ``beta``."""
        q = beta.shape[1]
        grad = np.zeros_like(beta)
        info = np.zeros((beta.shape[0], len(self.upper[0])))
        half = 0.5 * beta
        # Work arrays reused across steps (the same operations in the same order as
        # whole-array expressions, without allocating five temporaries per step).
        buffer = np.empty((beta.shape[0], _ROW_STEP))
        spare = np.empty_like(buffer)
        for d, y, w, products in self.steps(group):
            # μ = (1 + t) / 2 with t = tanh(η / 2) (the logistic function without overflow),
            # so y − μ = (y − ½) − t / 2 and μ(1 − μ) = (1 − t²) / 4.
            t = _leading(buffer, d.shape[0])
            np.matmul(half, d.T, out=t)
            np.tanh(t, out=t)
            residual = _leading(spare, d.shape[0])
            np.multiply(t, -0.5, out=residual)
            residual += y - 0.5  # (y − ½) + (−t/2): the same rounding as (y − ½) − t/2
            residual *= w
            grad += residual @ d
            # Floor μ(1 − μ): under separation every fitted probability rounds to 0 or 1 and
            # the information would be exactly singular. Rows that low add < 1e-12 of
            # information, so the floor changes neither the maximum nor the SEs.
            t *= t
            np.subtract(1.0, t, out=t)
            t *= 0.25
            variance = np.maximum(t, 1e-12, out=t)
            variance *= w
            info += variance @ products
        full = np.empty((beta.shape[0], q, q))
        a, b = self.upper
        full[:, a, b] = info
        full[:, b, a] = info
        return grad, full

    def loglik(self, beta: np.ndarray, group: np.ndarray | None) -> np.ndarray:
        """Σ w [y η − log(1 + e^η)] per model (written to stay finite for large |η|)."""
        out = np.zeros(beta.shape[0])
        for d, y, w, _ in self.steps(group):
            eta = beta @ d.T
            terms = y * eta - (np.maximum(eta, 0.0) + np.log1p(np.exp(-np.abs(eta))))
            out += (terms * w).sum(axis=1)
        return out


def fit_logistic(
    x: np.ndarray,
    y: np.ndarray,
    *,
    masks: np.ndarray,
    weights: np.ndarray,
    max_iter: int = 50,
    tol: float = 1e-10,
    start: np.ndarray | None = None,
    models_per_weight: int = 1,
    loglik: bool = True,
    covariance: bool = True,
    design: LogisticDesign | None = None,
) -> LogisticFits:
    """Fit one logistic regression per mask (and per weight vector).

    Parameters
    ----------
    x : numpy.ndarray, shape (n, p)
        Drivers, complete; standardise them first for good conditioning.
    y : numpy.ndarray, shape (n,)
        Outcome coded 0/1.
    masks : numpy.ndarray of bool, shape (B, p)
        Which drivers each model includes (the intercept is always included).
    weights : numpy.ndarray, shape (n,) or (B / models_per_weight, n)
        Row weights shared by all models, or one vector per ``models_per_weight``
        consecutive models (e.g. the 2^p subsets of one bootstrap replicate).
    max_iter, tol : int, float
        Newton iterations at most; a model has converged when no coefficient moves by more
        than ``tol``. Converged models take no further steps.
    start : numpy.ndarray, shape (q,) or (B, q), optional
        Starting coefficients (intercept first), e.g. the full sample's fit for bootstrap
        replicates, which then need two or three Newton steps instead of five to eight.
        Rows with NaN, and the default, start at the intercept-only fit.
    loglik, covariance : bool
        Whether to compute the log-likelihood and the inverse information at the end (one
        more pass over the rows each); NaN when not asked.
    design : LogisticDesign, optional
        ``LogisticDesign.of(x, y)`` built once for many calls on the same rows; ``x`` and
        ``y`` are then not read again.

    Returns
    -------
    LogisticFits

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]])
    >>> y = np.array([0.0, 0.0, 1.0, 0.0, 1.0, 1.0])
    >>> fit = fit_logistic(x, y, masks=np.ones((1, 1), bool), weights=np.ones(6))
    >>> bool(fit.converged[0]), fit.coef.shape
    (True, (1, 2))
    """
    prepared = LogisticDesign.of(x, y) if design is None else design
    y = prepared.y
    masks = np.atleast_2d(np.asarray(masks, dtype=bool))
    n, p = prepared.x.shape
    b = masks.shape[0]
    q = p + 1
    weights = np.asarray(weights, dtype=np.float64)
    shared = weights.ndim == 1
    if not shared and weights.shape[0] * models_per_weight != b:
        raise ValueError(
            f"{weights.shape[0]} weight vectors × {models_per_weight} models each do not "
            f"match {b} masks"
        )
    rows = _Rows(prepared, weights)
    groups = None if shared else np.arange(b) // models_per_weight
    w_all = weights[None, :] if shared else weights
    prop = np.clip((w_all @ y) / w_all.sum(axis=1), 1e-12, 1 - 1e-12)
    beta_all = np.zeros((b, q))
    beta_all[:, 0] = np.log(prop / (1 - prop))[np.zeros(b, int) if shared else groups]
    if start is not None:
        # A start with NaN (a fit that did not converge) is not a start: from the
        # diverging coefficients of a separated fit every residual rounds to zero and the
        # Newton step would be zero, which would read as convergence.
        given = np.array(np.broadcast_to(start, (b, q)), dtype=np.float64)
        usable = np.isfinite(given).all(axis=1)
        beta_all[usable] = given[usable]
    keep_all = np.column_stack([np.ones(b), masks]).astype(np.float64)
    beta_all *= keep_all
    converged = np.zeros(b, dtype=bool)
    for first in range(0, b, _MODELS_PER_BATCH):
        batch = np.arange(first, min(b, first + _MODELS_PER_BATCH))
        active = batch
        for _ in range(max_iter):
            keep = keep_all[active]
            grad, info = rows.score_information(
                beta_all[active], None if groups is None else groups[active]
            )
            grad *= keep
            # Excluded drivers get an identity row and a zero gradient: they stay at zero.
            info = info * keep[:, :, None] * keep[:, None, :] + np.eye(q) * (1.0 - keep)[:, :, None]
            step = _solve(info, grad)
            beta_all[active] += step
            settled = np.abs(step).max(axis=1) < tol
            converged[active[settled]] = True
            active = active[~settled]
            if active.size == 0:
                break
    group = groups
    cov = np.full((b, q, q), np.nan)
    if covariance:
        for first in range(0, b, _MODELS_PER_BATCH):
            part = slice(first, first + _MODELS_PER_BATCH)
            keep = keep_all[part]
            _, info = rows.score_information(beta_all[part], None if group is None else group[part])
            pinned = np.eye(q) * (1.0 - keep)[:, :, None]
            info = info * keep[:, :, None] * keep[:, None, :] + pinned
            cov[part] = np.linalg.pinv(info, hermitian=True) * keep[:, :, None] * keep[:, None, :]
    ll = np.full(b, np.nan)
    if loglik:
        for first in range(0, b, _MODELS_PER_BATCH):
            part = slice(first, first + _MODELS_PER_BATCH)
            ll[part] = rows.loglik(beta_all[part], None if group is None else group[part])
    return LogisticFits(coef=beta_all, loglik=ll, converged=converged, covariance=cov)


def mcfadden_r2(
    x: np.ndarray, y: np.ndarray, *, masks: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """McFadden's pseudo-R² = 1 − log L(model) / log L(intercept only), per mask.

    Parameters
    ----------
    x, y, masks, weights
        As for :func:`fit_logistic`; ``weights`` of shape (n,) here (one data set).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        R² per mask and whether each fit converged.

    References
    ----------
    McFadden, D. (1974). Conditional logit analysis of qualitative choice behavior. In
    P. Zarembka (ed.), *Frontiers in Econometrics*, 105–142. Academic Press.
    """
    fits = fit_logistic(x, y, masks=masks, weights=weights, covariance=False)
    ll0 = null_loglik(y, weights)[0]
    r2 = 1.0 - fits.loglik / ll0 if ll0 < 0 else np.zeros_like(fits.loglik)
    return r2, fits.converged


def menard_standardised(
    x: np.ndarray,
    y: np.ndarray,
    *,
    weights: np.ndarray,
    start: np.ndarray | None = None,
    mcfadden: bool = True,
    design: LogisticDesign | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fully standardised logistic coefficients of the full model, per weight vector.

    b*ⱼ = bⱼ · s_xⱼ · R_O / s_logit(ŷ) (Menard 2004), where R_O² is the squared correlation
    of the fitted probabilities with y (Menard 2000). All moments are weighted with one
    denominator (Σw), so that Σⱼ (b*ⱼ)² = R_O² when the drivers are uncorrelated.

    Parameters
    ----------
    x : numpy.ndarray, shape (n, p)
        Drivers (complete rows).
    y : numpy.ndarray, shape (n,)
        Outcome coded 0/1.
    weights : numpy.ndarray, shape (R, n)
        Row weights, one vector per replicate.
    start : numpy.ndarray, shape (p + 1,) or (R, p + 1), optional
        Starting coefficients on the drivers standardised by their unweighted mean and SD
        (``coef`` of the returned fits' scale: pass the full sample's ``fits.coef`` to the
        bootstrap replicates).
    mcfadden : bool
        Whether to compute McFadden's R² (one more pass over the rows); NaN when not.
    design : LogisticDesign, optional
        ``LogisticDesign.standardised(x, y)``, built once for many calls on the same rows.

    Returns
    -------
    tuple of numpy.ndarray
        b* (R, p), R_O² (R,), McFadden's R² (R,), convergence flags (R,) and the fitted
        coefficients on the standardised drivers (R, p + 1), the ``start`` for replicates.

    References
    ----------
    Menard, S. (2004). Six approaches to calculating standardized logistic regression
    coefficients. *The American Statistician* 58(3), 218–223.
    Menard, S. (2000). Coefficients of determination for multiple logistic regression
    analysis. *The American Statistician* 54(1), 17–24.
    """
    weights = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    # Standardise once for conditioning; each replicate's own SDs rescale the coefficients.
    prepared = LogisticDesign.standardised(x, y) if design is None else design
    xs, y = prepared.x, prepared.y
    fits = fit_logistic(
        xs,
        y,
        masks=np.ones((weights.shape[0], xs.shape[1]), bool),
        weights=weights,
        start=start,
        loglik=mcfadden,
        covariance=False,
        design=prepared,
    )
    total = weights.sum(axis=1)
    mean_x = (weights @ xs) / total[:, None]
    sd_x = np.sqrt(np.maximum((weights @ xs**2) / total[:, None] - mean_x**2, 0.0))
    mean_y = (weights @ y) / total
    # Weighted sums of η, η², p, p² and p·y per replicate, a step of rows at a time.
    sums = np.zeros((weights.shape[0], 5))
    # Work arrays reused across steps; the operations and their order are those of the
    # whole-array expressions w·η, (w·η)·η, ½(1 + tanh(η/2)), w·p and (w·p)·p.
    eta_buffer, prob_buffer, product_buffer = (
        np.empty((weights.shape[0], _ROW_STEP)) for _ in range(3)
    )
    slopes = fits.coef[:, 1:]
    for first in range(0, xs.shape[0], _ROW_STEP):
        rows = slice(first, first + _ROW_STEP)
        size = min(_ROW_STEP, xs.shape[0] - first)
        eta, prob, product = (_leading(b, size) for b in (eta_buffer, prob_buffer, product_buffer))
        np.matmul(slopes, xs[rows].T, out=eta)
        np.add(fits.coef[:, :1], eta, out=eta)
        np.multiply(eta, 0.5, out=prob)
        np.tanh(prob, out=prob)
        np.add(prob, 1.0, out=prob)
        prob *= 0.5
        w = weights[:, rows]
        np.multiply(w, eta, out=product)
        sums[:, 0] += product.sum(axis=1)
        product *= eta
        sums[:, 1] += product.sum(axis=1)
        np.multiply(w, prob, out=product)
        sums[:, 2] += product.sum(axis=1)
        sums[:, 4] += product @ y[rows]
        product *= prob
        sums[:, 3] += product.sum(axis=1)
    mean = sums / total[:, None]
    var_eta = np.maximum(mean[:, 1] - mean[:, 0] ** 2, 0.0)
    var_p = np.maximum(mean[:, 3] - mean[:, 2] ** 2, 0.0)
    cov_py = mean[:, 4] - mean[:, 2] * mean_y
    with np.errstate(divide="ignore", invalid="ignore"):
        r2_o = cov_py**2 / (var_p * mean_y * (1.0 - mean_y))
        beta_std = fits.coef[:, 1:] * sd_x * np.sqrt(r2_o / var_eta)[:, None]
        # Without the fits' log-likelihoods (mcfadden=False) the ratio is NaN whatever the
        # intercept-only model gives: skip its pass over the rows.
        ll0 = null_loglik(y, weights) if mcfadden else np.ones(weights.shape[0])
        r2_mcfadden = 1.0 - fits.loglik / ll0
    return beta_std, r2_o, r2_mcfadden, fits.converged, fits.coef
