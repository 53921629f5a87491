"""Importance estimators, each evaluated for a batch of row-weight vectors.

The point estimate is the batch of one (the survey weights); a bootstrap chunk is a batch of
replicates (draw counts × survey weights). Every estimator returns the importances, the
model fit statistic they decompose, optional Monte-Carlo standard errors and a count of
logistic fits that did not converge.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np

from cxresearch.stats.drivers.logistic import (
    LogisticDesign,
    fit_logistic,
    mcfadden_r2,
    menard_standardised,
    null_loglik,
)
from cxresearch.stats.drivers.moments import correlation_stack
from cxresearch.stats.drivers.relative_weights import relative_weights, weights_from_standardised
from cxresearch.stats.drivers.subsets import (
    DEFAULT_CHUNK_SIZE,
    all_subsets_r2,
    sampled_shapley,
    shapley_from_subsets,
)

__all__ = ["Batch", "Spec", "estimate", "replicate_chunk"]

# Models × rows per batch of logistic fits (the (models, n) work arrays stay near 32 MB).
_FIT_ELEMENTS = 1 << 22


@dataclass(frozen=True)
class Spec:
    """What to compute: method, outcome type and the Shapley settings."""

    method: str
    outcome_type: str
    exact: bool
    n_permutations: int


@dataclass(frozen=True)
class Batch:
    """Estimates for R weight vectors; rows of NaN mark replicates that could not be fitted."""

    importance: np.ndarray  # (R, p)
    r2: np.ndarray  # (R,)
    mc_se: np.ndarray | None  # (R, p) for sampled Shapley
    not_converged: int
    # Logistic coefficients (R, models, p + 1) of a binary outcome's fits, on the drivers
    # standardised by their unweighted mean and SD: the warm start of bootstrap replicates.
    coef: np.ndarray | None = None


def _betas(corr: np.ndarray) -> np.ndarray:
    """Standardised regression weights R_xx⁻¹ r_xy per matrix; NaN where R_xx is singular."""
    rxx, rxy = corr[:, 1:, 1:], corr[:, 1:, 0][:, :, None]
    try:
        return np.linalg.solve(rxx, rxy)[:, :, 0]
    except np.linalg.LinAlgError:
        # Only a bootstrap replicate can get here (the full sample was checked): solve one
        # matrix at a time so that the singular ones fail alone.
        out = np.full(rxy.shape[:2], np.nan)
        for r in range(rxx.shape[0]):
            with contextlib.suppress(np.linalg.LinAlgError):
                out[r] = np.linalg.solve(rxx[r], rxy[r])[:, 0]
        return out


def _full_r2(corr: np.ndarray) -> np.ndarray:
    return np.einsum("rj,rj->r", corr[:, 1:, 0], _betas(corr))


def estimate_from_correlation(spec: Spec, corr: np.ndarray, rng: np.random.Generator) -> Batch:
    """Importance for an interval outcome from a stack of correlation matrices.

    ``corr`` has shape (replicates, 1 + p, 1 + p) with the outcome first, so a caller that
    already holds the correlation matrix (``driver_importance``) does not recompute it.
    """
    reps, q, _ = corr.shape
    p = q - 1
    importance = np.full((reps, p), np.nan)
    r2 = np.full(reps, np.nan)
    mc_se = np.full((reps, p), np.nan) if not spec.exact else None
    # A replicate in which a driver does not vary has NaN correlations; it is reported as a
    # failed replicate rather than given an arbitrary value.
    ok = np.isfinite(corr).all(axis=(1, 2))
    if ok.any():
        c = corr[ok]
        if spec.method == "shapley" and spec.exact:
            subsets = all_subsets_r2(c)
            importance[ok] = shapley_from_subsets(subsets, p)
            r2[ok] = subsets[:, -1]
        elif spec.method == "shapley":
            rows = np.flatnonzero(ok)
            for i, r in enumerate(rows):
                try:
                    phi, se = sampled_shapley(c[i], n_permutations=spec.n_permutations, rng=rng)
                except np.linalg.LinAlgError:  # singular replicate: counted as failed
                    continue
                importance[r], mc_se[r] = phi, se  # type: ignore[index]
                r2[r] = phi.sum()
        elif spec.method == "relative-weights":
            importance[ok] = relative_weights(c)
            r2[ok] = importance[ok].sum(axis=1)
        elif spec.method == "correlation":
            importance[ok] = c[:, 1:, 0] ** 2
            r2[ok] = _full_r2(c)
        else:  # regression: squared standardised coefficients (relaimpo "betasq")
            beta = _betas(c)
            importance[ok] = beta**2
            r2[ok] = np.einsum("rj,rj->r", c[:, 1:, 0], beta)
    return Batch(importance=importance, r2=r2, mc_se=mc_se, not_converged=0)


def _masks(bits: np.ndarray, p: int) -> np.ndarray:
    return ((bits[:, None] >> np.arange(p)) & 1).astype(bool)


def _binary_shapley_exact(
    design: LogisticDesign, weights: np.ndarray, start: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, int, np.ndarray]:
    """Shapley decomposition of McFadden's R² over all 2^p logistic fits, per weight row.

    Replicates are stacked with the subsets into one batch of fits, so that the matrix
    products stay large: many small BLAS calls are slow when the cores are shared.
    """
    x, y = design.x, design.y
    p = x.shape[1]
    per = 1 << p
    reps = weights.shape[0]
    fits = fit_logistic(
        x,
        y,
        design=design,
        masks=np.tile(_masks(np.arange(per), p), (reps, 1)),
        weights=weights[0] if reps == 1 else weights,
        models_per_weight=per,
        start=None if start is None else np.tile(start, (reps, 1)),
        covariance=False,
    )
    ll0 = null_loglik(y, weights)
    r2_all = 1.0 - fits.loglik.reshape(reps, per) / np.where(ll0 < 0, ll0, np.nan)[:, None]
    coef = np.where(fits.converged[:, None], fits.coef, np.nan).reshape(reps, per, -1)
    return shapley_from_subsets(r2_all, p), r2_all[:, -1], int((~fits.converged).sum()), coef


def _binary_shapley_sampled(
    spec: Spec, x: np.ndarray, y: np.ndarray, w: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, float, np.ndarray, int]:
    """Shapley values from random orders of entry: each distinct prefix set is fitted once."""
    p = x.shape[1]
    m = spec.n_permutations
    order = np.argsort(rng.random((m, p)), axis=1)
    prefix = np.zeros((m, p + 1), dtype=np.int64)
    prefix[:, 1:] = np.cumsum(np.left_shift(1, order), axis=1)
    unique, inverse = np.unique(prefix, return_inverse=True)
    r2_u, conv = mcfadden_r2(x, y, masks=_masks(unique, p), weights=w)
    r2_prefix = r2_u[inverse.reshape(prefix.shape)]
    gains = np.empty((m, p))
    np.put_along_axis(gains, order, np.diff(r2_prefix, axis=1), axis=1)
    se = gains.std(axis=0, ddof=1) / np.sqrt(m)
    return gains.mean(axis=0), float(r2_prefix[0, -1]), se, int((~conv).sum())


def _binary(
    spec: Spec,
    values: np.ndarray,
    weights: np.ndarray,
    rng: np.random.Generator,
    start: np.ndarray | None,
    corr: np.ndarray | None,
    design: LogisticDesign | None,
) -> Batch:
    y, x = values[:, 0], values[:, 1:]
    reps, p = weights.shape[0], x.shape[1]
    # McFadden's R² and Menard's coefficients do not depend on the drivers' scale;
    # standardising helps Newton's steps.
    design = LogisticDesign.standardised(x, y) if design is None else design
    if spec.method in ("correlation", "regression", "relative-weights"):
        beta_std, r2_o, mcfadden, conv, coef = menard_standardised(
            x,
            y,
            weights=weights,
            start=start,
            mcfadden=spec.method != "relative-weights",
            design=design,
        )
        bad = int((~conv).sum())
        coef = np.where(conv[:, None], coef, np.nan)  # only converged fits are warm starts
        if spec.method == "regression":
            return Batch(beta_std**2, mcfadden, None, bad, coef[:, None])
        corr = correlation_stack(values, weights) if corr is None else corr
        if spec.method == "correlation":
            base = estimate_from_correlation(spec, corr, rng)
            return Batch(base.importance, mcfadden, None, bad, coef[:, None])
        eps = weights_from_standardised(beta_std, corr)
        return Batch(eps, eps.sum(axis=1), None, bad, coef[:, None])
    xs = design.x
    if spec.exact:
        importance, r2, bad, coef = _binary_shapley_exact(design, weights, start)
        return Batch(importance=importance, r2=r2, mc_se=None, not_converged=bad, coef=coef)
    importance = np.empty((reps, p))
    r2 = np.empty(reps)
    mc_se = np.empty((reps, p))
    bad = 0
    for r in range(reps):
        importance[r], r2[r], mc_se[r], nc = _binary_shapley_sampled(spec, xs, y, weights[r], rng)
        bad += nc
    return Batch(importance=importance, r2=r2, mc_se=mc_se, not_converged=bad)


def estimate(
    spec: Spec,
    values: np.ndarray,
    weights: np.ndarray,
    rng: np.random.Generator,
    *,
    start: np.ndarray | None = None,
    corr: np.ndarray | None = None,
    design: LogisticDesign | None = None,
) -> Batch:
    """Importances for each row of ``weights`` (shape (R, n)) on ``values`` (outcome first).

    ``start`` (a binary outcome's ``Batch.coef[0]`` from the full sample) starts the
    replicates' logistic fits near their answer; ``corr`` passes correlation matrices
    already computed for these weights (:func:`bootstrap_correlations`); ``design`` the
    standardised logistic design of ``values`` built once for many calls.
    """
    if spec.outcome_type == "binary":
        return _binary(spec, values, weights, rng, start, corr, design)
    if corr is None:
        corr = correlation_stack(values, weights)
    return estimate_from_correlation(spec, corr, rng)


def replicate_chunk(spec: Spec, p: int) -> int:
    """Replicates per chunk of estimation from correlation matrices (about 32 MB of subsets)."""
    per_rep = 1 << p if spec.method == "shapley" and spec.exact else 1
    return max(1, min(DEFAULT_CHUNK_SIZE, 1 << 22) // per_rep)
