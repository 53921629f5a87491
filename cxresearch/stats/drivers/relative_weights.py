"""Johnson's relative weights, for interval outcomes and (Tonidandel & LeBreton) binary ones.

The drivers X are replaced by their closest orthonormal counterparts Z = X R⁻¹ᐟ² (the
symmetric square root of the driver correlation matrix R). The outcome is regressed on Z,
giving weights β; Z relates back to X through Λ = R¹ᐟ², and driver j's raw weight is
εⱼ = Σₖ Λ²ⱼₖ βₖ². Because Z is orthonormal the weights add up to the model R². They track
Shapley values closely at a cost of one eigen-decomposition instead of 2^p subset models.
"""

from __future__ import annotations

import numpy as np

from cxresearch.stats.drivers.logistic import menard_standardised

__all__ = ["logistic_relative_weights", "relative_weights", "weights_from_standardised"]


def _sqrt_psd(rxx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric square root and inverse square root of a stack of correlation matrices."""
    values, vectors = np.linalg.eigh(rxx)
    values = np.clip(values, 0.0, None)
    root = np.sqrt(values)
    inv_root = np.divide(1.0, root, out=np.zeros_like(root), where=root > 1e-12)
    lam = (vectors * root[..., None, :]) @ np.swapaxes(vectors, -1, -2)
    lam_inv = (vectors * inv_root[..., None, :]) @ np.swapaxes(vectors, -1, -2)
    return lam, lam_inv


def relative_weights(corr: np.ndarray) -> np.ndarray:
    """Raw relative weights εⱼ from a correlation matrix (outcome first).

    Parameters
    ----------
    corr : numpy.ndarray, shape (..., p + 1, p + 1)
        Correlation matrix of the outcome (row/column 0) and the p drivers; leading axes
        are a batch (bootstrap replicates).

    Returns
    -------
    numpy.ndarray, shape (..., p)
        Raw weights; they sum to the model R². Divide by their sum for the rescaled weights
        (R ``rwa``'s ``Rescaled.RelWeight`` / 100).

    References
    ----------
    Johnson, J. W. (2000). A heuristic method for estimating the relative weight of
    predictor variables in multiple regression. *Multivariate Behavioral Research* 35(1),
    1–19, equations 1–7.
    Tonidandel, S. & LeBreton, J. M. (2011). Relative importance analysis: a useful
    supplement to regression analysis. *Journal of Business and Psychology* 26(1), 1–9.
    """
    corr = np.asarray(corr, dtype=np.float64)
    rxx = corr[..., 1:, 1:]
    rxy = corr[..., 1:, 0]
    lam, lam_inv = _sqrt_psd(rxx)
    beta = (lam_inv @ rxy[..., None])[..., 0]  # regression of y on the orthonormal Z
    return (lam**2 @ (beta**2)[..., None])[..., 0]


def logistic_relative_weights(
    x: np.ndarray, y: np.ndarray, *, weights: np.ndarray, corr: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Relative weights for a binary outcome (Tonidandel & LeBreton 2010), batched.

    Each weight vector (a bootstrap replicate) gets its own Λ from its own driver
    correlation matrix, one logistic fit of y on all drivers and Menard's fully standardised
    coefficients. The logistic fit on Z equals the fit on X re-parameterised (Z is a linear
    transform of standardised X), so the Z-coefficients are b = Λ (c ⊙ s) where c are the
    coefficients on X and s the drivers' standard deviations; that lets all replicates share
    one design matrix.

    Parameters
    ----------
    x : numpy.ndarray, shape (n, p)
        Drivers (complete rows).
    y : numpy.ndarray, shape (n,)
        Outcome coded 0/1.
    weights : numpy.ndarray, shape (R, n)
        Row weights per replicate.
    corr : numpy.ndarray, shape (R, p + 1, p + 1)
        Weighted correlation matrices (outcome first) for the same weights.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        Raw weights (R, p), which sum to R²_O; R²_O (R,), the squared weighted correlation of
        the fitted probabilities with y (Menard 2000); and whether each fit converged (R,).

    Notes
    -----
    Menard's standardised coefficient is b* = b · s_x · R_O / s_logit(ŷ) (s_x = 1 for Z).
    With weights, every standard deviation and correlation is the weighted one, with the
    same denominator, so that Σ εⱼ = R²_O holds exactly as in the unweighted case.

    References
    ----------
    Tonidandel, S. & LeBreton, J. M. (2010). Determining the relative importance of
    predictors in logistic regression: an extension of relative weight analysis.
    *Organizational Research Methods* 13(4), 767–781.
    Menard, S. (2004). Six approaches to calculating standardized logistic regression
    coefficients. *The American Statistician* 58(3), 218–223.
    Menard, S. (2000). Coefficients of determination for multiple logistic regression
    analysis. *The American Statistician* 54(1), 17–24.
    """
    beta_x, r2_o, _, converged, _ = menard_standardised(x, y, weights=weights, mcfadden=False)
    return weights_from_standardised(beta_x, corr), r2_o, converged


def weights_from_standardised(beta_x: np.ndarray, corr: np.ndarray) -> np.ndarray:
    """Tonidandel & LeBreton's raw weights from Menard's standardised coefficients on X.

    Parameters
    ----------
    beta_x : numpy.ndarray, shape (R, p)
        Fully standardised logistic coefficients of the drivers (:func:`menard_standardised`).
    corr : numpy.ndarray, shape (R, p + 1, p + 1)
        Weighted correlation matrices (outcome first) for the same weights.

    Returns
    -------
    numpy.ndarray, shape (R, p)
        Raw weights εⱼ = Σₖ Λ²ⱼₖ (Λ β*_X)ₖ².
    """
    lam, _ = _sqrt_psd(np.asarray(corr, dtype=np.float64)[:, 1:, 1:])
    # Z-coefficients are Λ times the X-coefficients (per SD), and Menard's rescaling factor
    # R_O / s_logit(ŷ) is shared, so the standardised Z-coefficients are Λ β*_X.
    beta_z = (lam @ beta_x[:, :, None])[:, :, 0]
    return (lam**2 @ (beta_z**2)[:, :, None])[:, :, 0]
