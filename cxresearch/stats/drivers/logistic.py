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

from dataclasses import dataclass

import numpy as np

__all__ = ["LogisticFits", "fit_logistic", "mcfadden_r2", "menard_standardised", "null_loglik"]

# Rows × models evaluated at once (bounds the (models, n) work arrays to about 32 MB each).
_BATCH_ELEMENTS = 1 << 22


@dataclass(frozen=True)
class LogisticFits:
    """A batch of logistic fits.

    Attributes
    ----------
    coef : numpy.ndarray, shape (B, p + 1)
        Intercept then one coefficient per driver (zero where the mask excludes it).
    loglik : numpy.ndarray, shape (B,)
        Weighted log-likelihood Σ wᵢ [yᵢ log μᵢ + (1 − yᵢ) log(1 − μᵢ)].
    converged : numpy.ndarray of bool, shape (B,)
        False when Newton steps had not settled after ``max_iter`` iterations, typically
        because the drivers separate the outcome perfectly.
    covariance : numpy.ndarray, shape (B, p + 1, p + 1)
        Inverse Fisher information (model-based; weights treated as frequency weights, as
        R's ``glm`` treats prior weights). Rows and columns of excluded drivers are zero.
    """

    coef: np.ndarray
    loglik: np.ndarray
    converged: np.ndarray
    covariance: np.ndarray


def _loglik_terms(eta: np.ndarray, y: np.ndarray) -> np.ndarray:
    # y·log μ + (1−y)·log(1−μ) = y·η − log(1 + e^η), written with logaddexp to stay finite.
    return y * eta - np.logaddexp(0.0, eta)


def _variance(mu: np.ndarray) -> np.ndarray:
    # Floor μ(1 − μ): under separation every fitted probability rounds to 0 or 1 and the
    # information matrix would be exactly singular. Rows that low add < 1e-12 of information,
    # so the floor changes neither the maximum (where the gradient is zero) nor the SEs.
    return np.maximum(mu * (1.0 - mu), 1e-12)


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


def fit_logistic(
    x: np.ndarray,
    y: np.ndarray,
    *,
    masks: np.ndarray,
    weights: np.ndarray,
    max_iter: int = 50,
    tol: float = 1e-10,
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
    weights : numpy.ndarray, shape (n,) or (B, n)
        Row weights shared by all models, or one vector per model.
    max_iter, tol : int, float
        Newton iterations at most; a model has converged when no coefficient moves by more
        than ``tol``.

    Returns
    -------
    LogisticFits
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    masks = np.atleast_2d(np.asarray(masks, dtype=bool))
    n, p = x.shape
    b = masks.shape[0]
    weights = np.asarray(weights, dtype=np.float64)
    shared = weights.ndim == 1
    design = np.column_stack([np.ones(n), x])
    outer = (design[:, :, None] * design[:, None, :]).reshape(n, -1)
    q = p + 1

    coef = np.zeros((b, q))
    loglik = np.zeros(b)
    converged = np.zeros(b, dtype=bool)
    covariance = np.zeros((b, q, q))
    step_size = max(1, _BATCH_ELEMENTS // max(1, n))
    for start in range(0, b, step_size):
        stop = min(b, start + step_size)
        keep = np.column_stack([np.ones(stop - start), masks[start:stop]]).astype(np.float64)
        w = np.broadcast_to(weights, (stop - start, n)) if shared else weights[start:stop]
        pinned = np.eye(q) * (1.0 - keep)[:, :, None]  # identity rows of excluded drivers
        beta = np.zeros((stop - start, q))
        prop = np.clip((w @ y) / w.sum(axis=1), 1e-12, 1 - 1e-12)
        beta[:, 0] = np.log(prop / (1 - prop))  # start at the intercept-only fit
        done = np.zeros(stop - start, dtype=bool)
        for _ in range(max_iter):
            eta = beta @ design.T
            mu = 0.5 * (1.0 + np.tanh(0.5 * eta))  # logistic function without overflow
            grad = ((w * (y - mu)) @ design) * keep
            info = (w * _variance(mu)) @ outer
            info = info.reshape(-1, q, q) * keep[:, :, None] * keep[:, None, :] + pinned
            step = _solve(info, grad)
            beta += step
            done = np.abs(step).max(axis=1) < tol
            if done.all():
                break
        eta = beta @ design.T
        mu = 0.5 * (1.0 + np.tanh(0.5 * eta))
        info = ((w * _variance(mu)) @ outer).reshape(-1, q, q)
        info = info * keep[:, :, None] * keep[:, None, :] + pinned
        cov = np.linalg.pinv(info, hermitian=True) * keep[:, :, None] * keep[:, None, :]
        coef[start:stop] = beta
        loglik[start:stop] = (w * _loglik_terms(eta, y)).sum(axis=1)
        converged[start:stop] = done
        covariance[start:stop] = cov
    return LogisticFits(coef=coef, loglik=loglik, converged=converged, covariance=covariance)


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
    fits = fit_logistic(x, y, masks=masks, weights=weights)
    ll0 = null_loglik(y, weights)[0]
    r2 = 1.0 - fits.loglik / ll0 if ll0 < 0 else np.zeros_like(fits.loglik)
    return r2, fits.converged


def menard_standardised(
    x: np.ndarray, y: np.ndarray, *, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
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

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray, numpy.ndarray)
        b* (R, p), R_O² (R,), McFadden's R² (R,) and convergence flags (R,).

    References
    ----------
    Menard, S. (2004). Six approaches to calculating standardized logistic regression
    coefficients. *The American Statistician* 58(3), 218–223.
    Menard, S. (2000). Coefficients of determination for multiple logistic regression
    analysis. *The American Statistician* 54(1), 17–24.
    """
    weights = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    x = np.asarray(x, dtype=np.float64)
    # Standardise once for conditioning; each replicate's own SDs rescale the coefficients.
    centre, spread = x.mean(axis=0), x.std(axis=0)
    xs = (x - centre) / np.where(spread > 0, spread, 1.0)
    fits = fit_logistic(xs, y, masks=np.ones((weights.shape[0], x.shape[1]), bool), weights=weights)
    total = weights.sum(axis=1)

    def wmean(a: np.ndarray) -> np.ndarray:
        return (weights * a).sum(axis=1) / total

    mean_x = (weights @ xs) / total[:, None]
    sd_x = np.sqrt(np.maximum((weights @ xs**2) / total[:, None] - mean_x**2, 0.0))
    eta = fits.coef[:, :1] + fits.coef[:, 1:] @ xs.T
    prob = 0.5 * (1.0 + np.tanh(0.5 * eta))
    centred_eta = eta - wmean(eta)[:, None]
    var_eta = wmean(centred_eta**2)
    centred_p = prob - wmean(prob)[:, None]
    mean_y = (weights @ y) / total
    cov_py = wmean(centred_p * (y - mean_y[:, None]))
    with np.errstate(divide="ignore", invalid="ignore"):
        r2_o = cov_py**2 / (wmean(centred_p**2) * mean_y * (1.0 - mean_y))
        beta_std = fits.coef[:, 1:] * sd_x * np.sqrt(r2_o / var_eta)[:, None]
        mcfadden = 1.0 - fits.loglik / null_loglik(y, weights)
    return beta_std, r2_o, mcfadden, fits.converged
