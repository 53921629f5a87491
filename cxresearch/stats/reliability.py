"""Inter-coder reliability: Cohen's kappa, Fleiss' kappa and Krippendorff's alpha.

Each function returns an :class:`~cxresearch.results.Estimate` whose interval is a
percentile bootstrap over units (the comments): units are resampled with replacement and
the coefficient recomputed, as Zapf et al. (2016) recommend for alpha and kappa alike. The
point estimates are the textbook formulas, pinned in ``tests/reference/test_reliability.py``
to Krippendorff (2011), Fleiss (1971), a SAS example and R (base-R transcriptions of the
``irr`` package's formulas).

Krippendorff's alpha is written here rather than taken from the ``krippendorff`` package
because that package is GPL-3 and this project is MIT; ``benchmarks/`` compares the two.
All coincidence matrices are built with matrix products over a units × values count
matrix, so the bootstrap of 3 coders × 10,000 units is a few hundred small products.

References
----------
Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability. Annenberg School for
Communication, University of Pennsylvania. https://repository.upenn.edu/asc_papers/43
Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters. Psychological
Bulletin 76(5), 378-382.
Cohen, J. (1960). A coefficient of agreement for nominal scales. Educational and
Psychological Measurement 20(1), 37-46.
Zapf, A., Castell, S., Morawietz, L. and Karch, A. (2016). Measuring inter-rater
reliability for nominal data - which coefficients and confidence intervals are
appropriate? BMC Medical Research Methodology 16, 93.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import pandas as pd

from cxresearch.results import Estimate
from cxresearch.stats.intervals import check_confidence

__all__ = [
    "LEVELS",
    "cohen_kappa",
    "fleiss_kappa",
    "krippendorff_alpha",
]

Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS: tuple[str, ...] = ("nominal", "ordinal", "interval", "ratio")
_DEFAULT_SEED = 20261123


# --- shared helpers -----------------------------------------------------------------------
def _check_bootstrap(bootstrap: Any) -> int:
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, int | np.integer):
        raise TypeError(f"bootstrap must be an integer number of resamples, got {bootstrap!r}")
    if bootstrap < 0:
        raise ValueError(f"bootstrap must be 0 (no interval) or more, got {bootstrap}")
    return int(bootstrap)


def _unit_weights(n_units: int, bootstrap: int, seed: int) -> np.ndarray:
    """Bootstrap replicate weights (replicates × units): how often each unit was drawn."""
    rng = np.random.Generator(np.random.PCG64(seed))
    draws = rng.integers(0, n_units, size=(bootstrap, n_units))
    weights = np.zeros((bootstrap, n_units))
    rows = np.repeat(np.arange(bootstrap), n_units)
    np.add.at(weights, (rows, draws.ravel()), 1.0)
    return weights


def _estimate(
    value: float,
    replicates: np.ndarray,
    *,
    n: int,
    confidence: float,
    metric: str,
    bootstrap: int,
) -> Estimate:
    finite = replicates[np.isfinite(replicates)]
    if bootstrap and finite.size:
        tail = (1.0 - confidence) / 2.0
        low, high = np.quantile(finite, [tail, 1.0 - tail])
        method = f"bootstrap percentile ({bootstrap} resamples of units)"
    else:
        low = high = float("nan")
        method = "no interval (bootstrap=0)" if not bootstrap else "no interval"
    return Estimate(
        value=float(value),
        ci_low=float(low),
        ci_high=float(high),
        n=int(n),
        confidence=confidence,
        method=method,
        metric=metric,
        n_effective=float(n),
    )


def _codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (-1 for missing) and the sorted distinct non-missing values."""
    flat = pd.Series(values.ravel(), dtype=object)
    missing = flat.isna().to_numpy()
    present = flat[~missing]
    try:
        categories = np.array(sorted(set(present.tolist())), dtype=object)
    except TypeError as exc:
        raise TypeError(
            f"values must be mutually comparable (all numbers or all text): {exc}"
        ) from None
    index = {value: i for i, value in enumerate(categories.tolist())}
    out = np.full(flat.shape[0], -1, dtype=np.int64)
    out[~missing] = [index[v] for v in present.tolist()]
    return out.reshape(values.shape), categories


# --- Krippendorff's alpha -----------------------------------------------------------------
def _counts(codes: np.ndarray, k: int) -> np.ndarray:
    """Units × values matrix of how many coders gave each value to each unit."""
    n_units = codes.shape[1]
    counts = np.zeros((n_units, k))
    coder, unit = np.nonzero(codes >= 0)
    np.add.at(counts, (unit, codes[coder, unit]), 1.0)
    return counts


def _delta2(level: str, categories: np.ndarray, marginals: np.ndarray) -> np.ndarray:
    """Squared difference function of Krippendorff (2011), section E."""
    k = len(categories)
    if level == "nominal":
        return 1.0 - np.eye(k)
    values = categories.astype(float)
    if level == "interval":
        return (values[:, None] - values[None, :]) ** 2
    if level == "ratio":
        total = values[:, None] + values[None, :]
        with np.errstate(invalid="ignore", divide="ignore"):
            out = ((values[:, None] - values[None, :]) / total) ** 2
        return np.where(total == 0, 0.0, out)
    # ordinal: (sum of n_g for g from c to k, minus (n_c + n_k) / 2) squared
    cumulative = np.concatenate([[0.0], np.cumsum(marginals)])
    low = np.minimum.outer(np.arange(k), np.arange(k))
    high = np.maximum.outer(np.arange(k), np.arange(k))
    between = cumulative[high + 1] - cumulative[low]
    return (between - (marginals[:, None] + marginals[None, :]) / 2.0) ** 2


def _alpha_from(coincidence: np.ndarray, level: str, categories: np.ndarray) -> float:
    marginals = coincidence.sum(axis=1)
    total = marginals.sum()
    if total <= 1:
        return float("nan")
    delta = _delta2(level, categories, marginals)
    observed = float((coincidence * delta).sum())
    expected = float((np.outer(marginals, marginals) * delta).sum()) / (total - 1.0)
    if expected == 0.0:
        # Every pairable value is the same: agreement is perfect but alpha is undefined.
        return float("nan")
    return 1.0 - observed / expected


def _coincidences(counts: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Coincidence matrix sum_u w_u (n_u n_u' - diag(n_u)) / (m_u - 1); weights per unit."""
    scaled = counts * weights[:, None]
    return counts.T @ scaled - np.diag(scaled.sum(axis=0))


def krippendorff_alpha(
    data: Any,
    *,
    level: Level = "nominal",
    confidence: float = 0.95,
    bootstrap: int = 1000,
    seed: int = _DEFAULT_SEED,
) -> Estimate:
    """Krippendorff's alpha for any number of coders, with missing values allowed.

    Parameters
    ----------
    data : array-like or DataFrame, coders × units
        One row per coder, one column per unit (comment); ``NaN``/``None`` where a coder
        did not code a unit. Values may be numbers or (for ``"nominal"``) text.
    level : {"nominal", "ordinal", "interval", "ratio"}, optional
        Metric of the values, which sets the difference function.
    confidence : float, optional
        Level of the bootstrap interval.
    bootstrap : int, optional
        Number of resamples of units; 0 gives no interval.
    seed : int, optional
        Seed of the resampling.

    Returns
    -------
    Estimate
        ``value`` is alpha (1 = perfect agreement, 0 = chance, below 0 = systematic
        disagreement), ``n`` the number of pairable units (coded by two coders or more).
        Alpha is NaN when every pairable value is the same (no variation to agree on).

    References
    ----------
    Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability"; validated against
    its worked examples A and C in ``tests/reference/test_reliability.py``.

    Examples
    --------
    >>> import numpy as np
    >>> data = [[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]]
    >>> round(krippendorff_alpha(data, bootstrap=0).value, 3)
    0.095
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    confidence = check_confidence(confidence)
    bootstrap = _check_bootstrap(bootstrap)
    values = np.asarray(data.to_numpy() if isinstance(data, pd.DataFrame) else data, dtype=object)
    if values.ndim != 2:
        raise ValueError(f"data must be 2-dimensional (coders × units), got shape {values.shape}")
    codes, categories = _codes(values)
    if level != "nominal":
        try:
            categories.astype(float)
        except (TypeError, ValueError):
            raise ValueError(
                f"level={level!r} needs numeric values, got {categories[:5]}"
            ) from None
        if level == "ratio" and (categories.astype(float) < 0).any():
            raise ValueError("level='ratio' needs non-negative values")
    counts = _counts(codes, len(categories))
    pairable = counts.sum(axis=1)
    keep = pairable >= 2
    counts, pairable = counts[keep], pairable[keep]
    unit_weight = 1.0 / np.maximum(pairable - 1.0, 1.0)
    value = _alpha_from(_coincidences(counts, unit_weight), level, categories)
    replicates = np.empty(bootstrap)
    if bootstrap and counts.shape[0]:
        for b, w in enumerate(_unit_weights(counts.shape[0], bootstrap, seed)):
            replicates[b] = _alpha_from(_coincidences(counts, unit_weight * w), level, categories)
    return _estimate(
        value,
        replicates,
        n=int(keep.sum()),
        confidence=confidence,
        metric=f"krippendorff_alpha_{level}",
        bootstrap=bootstrap,
    )


# --- kappas -------------------------------------------------------------------------------
def _fleiss_from(counts: np.ndarray, weights: np.ndarray) -> float:
    """Fleiss (1971) kappa of a units × categories count table, units weighted."""
    raters = counts.sum(axis=1)
    total_w = weights.sum()
    p_j = (weights[:, None] * counts).sum(axis=0) / float((weights * raters).sum())
    agree = ((counts * (counts - 1.0)).sum(axis=1)) / (raters * (raters - 1.0))
    p_bar = float((weights * agree).sum() / total_w)
    p_e = float((p_j**2).sum())
    return float("nan") if p_e == 1.0 else (p_bar - p_e) / (1.0 - p_e)


def fleiss_kappa(
    counts: Any,
    *,
    confidence: float = 0.95,
    bootstrap: int = 1000,
    seed: int = _DEFAULT_SEED,
) -> Estimate:
    """Fleiss' kappa for many raters on nominal categories.

    Parameters
    ----------
    counts : array-like or DataFrame, units × categories
        How many raters put each unit in each category; every unit must have the same
        number of ratings (two or more), as Fleiss' formula assumes. With missing ratings
        use :func:`krippendorff_alpha`.
    confidence, bootstrap, seed
        As in :func:`krippendorff_alpha`.

    Returns
    -------
    Estimate
        ``value`` is kappa, ``n`` the number of units.

    References
    ----------
    Fleiss (1971); pinned to its Table 1 data (kappa 0.430) and to statsmodels.

    Examples
    --------
    >>> round(fleiss_kappa([[3, 0], [0, 3], [2, 1], [3, 0]], bootstrap=0).value, 3)
    0.625
    """
    confidence = check_confidence(confidence)
    bootstrap = _check_bootstrap(bootstrap)
    table = np.asarray(counts.to_numpy() if isinstance(counts, pd.DataFrame) else counts)
    if table.ndim != 2 or table.shape[1] < 2:
        raise ValueError(
            f"counts must be units × categories with two or more categories, got {table.shape}"
        )
    table = table.astype(float)
    if np.isnan(table).any() or (table < 0).any() or (table != np.round(table)).any():
        raise ValueError("counts must be non-negative whole numbers without missing values")
    raters = table.sum(axis=1)
    if raters.size == 0 or (raters != raters[0]).any() or raters[0] < 2:
        bad = np.flatnonzero(raters != raters[0])[:5].tolist() if raters.size else []
        raise ValueError(
            "every unit needs the same number of ratings (two or more); "
            f"units (0-based rows) {bad} differ from the first ({raters[:1].tolist()})"
        )
    value = _fleiss_from(table, np.ones(len(table)))
    replicates = np.array(
        [_fleiss_from(table, w) for w in _unit_weights(len(table), bootstrap, seed)]
    )
    return _estimate(
        value,
        replicates,
        n=len(table),
        confidence=confidence,
        metric="fleiss_kappa",
        bootstrap=bootstrap,
    )


_KAPPA_WEIGHTS: dict[str | None, Callable[[np.ndarray], np.ndarray]] = {
    None: lambda d: (d != 0).astype(float),
    "linear": lambda d: np.abs(d) / max(np.abs(d).max(), 1),
    "quadratic": lambda d: d.astype(float) ** 2 / max(float(np.abs(d).max()) ** 2, 1.0),
}


def _cohen_from(table: np.ndarray, disagreement: np.ndarray) -> float:
    total = table.sum()
    observed = table / total
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0))
    denominator = float((disagreement * expected).sum())
    if denominator == 0.0:
        return float("nan")
    return 1.0 - float((disagreement * observed).sum()) / denominator


def cohen_kappa(
    a: Any,
    b: Any,
    *,
    weights: Literal["linear", "quadratic"] | None = None,
    confidence: float = 0.95,
    bootstrap: int = 1000,
    seed: int = _DEFAULT_SEED,
) -> Estimate:
    """Cohen's kappa of two coders (weighted kappa for ordered categories).

    Parameters
    ----------
    a, b : array-like
        The two coders' codes of the same units, in the same order. Units that either
        coder left missing are left out (and counted: ``n`` is the units coded by both).
    weights : {None, "linear", "quadratic"}, optional
        None for Cohen's (1960) kappa; ``"linear"`` or ``"quadratic"`` disagreement
        weights on the sorted categories (Cohen 1968), which need numeric codes.
    confidence, bootstrap, seed
        As in :func:`krippendorff_alpha`.

    Returns
    -------
    Estimate
        ``value`` is kappa, ``n`` the number of units both coded.

    Examples
    --------
    >>> round(cohen_kappa([1, 1, 0, 0, 1, 0], [1, 1, 0, 1, 1, 0], bootstrap=0).value, 3)
    0.667
    """
    confidence = check_confidence(confidence)
    bootstrap = _check_bootstrap(bootstrap)
    if weights not in _KAPPA_WEIGHTS:
        raise ValueError(f"weights must be None, 'linear' or 'quadratic', got {weights!r}")
    first = np.asarray(a, dtype=object).ravel()
    second = np.asarray(b, dtype=object).ravel()
    if first.shape != second.shape:
        raise ValueError(
            f"a and b must code the same units: lengths {first.size} and {second.size}"
        )
    codes, categories = _codes(np.vstack([first, second]))
    both = (codes >= 0).all(axis=0)
    codes = codes[:, both]
    k = len(categories)
    if weights is None:
        distance = np.subtract.outer(np.arange(k), np.arange(k))
    else:
        try:
            numeric = categories.astype(float)
        except (TypeError, ValueError):
            raise ValueError(
                f"weights={weights!r} needs numeric codes, got {categories[:5]}"
            ) from None
        distance = np.subtract.outer(numeric, numeric)
    disagreement = _KAPPA_WEIGHTS[weights](distance)
    cell = codes[0] * k + codes[1]

    def table_for(w: np.ndarray) -> np.ndarray:
        return np.bincount(cell, weights=w, minlength=k * k).reshape(k, k)

    n = int(both.sum())
    value = _cohen_from(table_for(np.ones(n)), disagreement) if n else float("nan")
    replicates = np.array(
        [_cohen_from(table_for(w), disagreement) for w in _unit_weights(n, bootstrap, seed)]
        if n
        else []
    )
    name = "cohen_kappa" if weights is None else f"cohen_kappa_{weights}"
    return _estimate(
        value, replicates, n=n, confidence=confidence, metric=name, bootstrap=bootstrap
    )
