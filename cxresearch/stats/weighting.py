"""Survey weights: validation and Kish's effective sample size.

Weights here are analysis weights supplied by the caller (from the data or from raking).
Intervals in :mod:`cxresearch.stats.metrics` use Kish's effective sample size in place of
``n``; that approximation accounts for the loss of precision caused by unequal weights but
not for clustering or stratification (a design-based, linearised variance is planned).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["kish_effective_n", "validate_weights"]


def validate_weights(
    weights: Any,
    *,
    length: int | None = None,
    name: str = "weights",
    where: np.ndarray | None = None,
) -> np.ndarray:
    """Return ``weights`` as a float array after checking it can be used.

    Parameters
    ----------
    weights : array-like
        One non-negative, finite weight per response.
    length : int, optional
        Required length (the number of scores the weights belong to).
    name : str
        Argument or column name used in error messages.
    where : boolean array, optional
        Check and return only these positions (the responses that have an answer; a
        missing weight on a missing answer is harmless).

    Returns
    -------
    numpy.ndarray
        One-dimensional float64 array (of the positions in ``where`` if given).

    Raises
    ------
    ValueError
        If the weights are not numeric, not one-dimensional, of the wrong length, missing,
        infinite or negative. The message names ``name`` and the offending values.
    """
    if isinstance(weights, (str, bytes)):
        raise ValueError(f"{name} must be an array of numbers, got the string {weights!r}")
    if not isinstance(weights, pd.Series):
        if np.ndim(weights) != 1:
            raise ValueError(f"{name} must be one-dimensional, got shape {np.shape(weights)}")
        weights = pd.Series(weights)
    series = weights
    if length is not None and len(series) != length:
        raise ValueError(f"{name} has length {len(series)} but there are {length} scores")
    whole = len(series)
    if series.dtype == bool or pd.api.types.is_bool_dtype(series.dtype):
        raise ValueError(f"{name} must be numbers, got booleans")
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype="float64", na_value=np.nan)  # numbers already
        if where is not None:  # the rows' values, without a Series (and index) of them
            values = values[where]
    else:
        if where is not None:
            series = series.iloc[where]
        # text such as "1.5" is refused rather than parsed: it signals a loading problem
        not_numeric = series.map(lambda v: isinstance(v, (str, bytes, bool, np.bool_)))
        numeric = pd.to_numeric(series.mask(not_numeric), errors="coerce")
        not_numeric |= numeric.isna() & series.notna()
        if not_numeric.any():
            bad = series[not_numeric].unique()[:5].tolist()
            raise ValueError(f"{name} must be numbers; found {bad}")
        values = numeric.to_numpy(dtype="float64", na_value=np.nan)
    missing = np.isnan(values)
    if missing.any():
        positions = np.arange(whole) if where is None else np.arange(whole)[where]
        rows = positions[missing][:5].tolist()
        raise ValueError(f"{name} has missing values at positions {rows}")
    bad_mask = ~np.isfinite(values) | (values < 0)
    if bad_mask.any():
        bad = np.unique(values[bad_mask])[:5].tolist()
        raise ValueError(f"{name} must be finite and non-negative; found {bad}")
    return values


def kish_effective_n(weights: Any) -> float:
    """Kish's effective sample size, ``(Σw)² / Σw²``.

    Equals ``n`` for equal weights and shrinks as the weights become more unequal; the
    ratio ``n / n_effective`` is Kish's design effect due to weighting. It is the
    effective *base* shown in tables (``cxresearch.effective_sample_size``); variances
    come from the design (:mod:`cxresearch.stats.design`).

    Parameters
    ----------
    weights : array-like
        Non-negative, finite weights; at least one must be positive.

    Returns
    -------
    float

    Examples
    --------
    >>> kish_effective_n([1, 1, 2, 2])
    3.6

    Raises
    ------
    ValueError
        If the weights are invalid (see :func:`validate_weights`) or all zero.

    References
    ----------
    Kish, L. (1965). *Survey Sampling*. Wiley, section 11.7.
    """
    values = validate_weights(weights)
    total = float(values.sum())
    if total <= 0:
        raise ValueError("weights must contain at least one positive value")
    return total**2 / float(np.square(values).sum())
