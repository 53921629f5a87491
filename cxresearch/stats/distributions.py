"""The t, normal, F and chi-square functions the estimates need, from ``scipy.special``.

``scipy.stats`` costs about 0.5 CPU s to import (its distribution objects are built at
import), and a report kernel would pay it for ``stats.t.ppf`` and ``stats.norm.sf`` alone.
These functions call the same special functions ``scipy.stats`` calls (``t._ppf`` is
``special.stdtrit(df, q)``, ``norm._sf(x)`` is ``special.ndtr(-x)``, ``f._sf`` is
``special.fdtrc``, ``chi2._sf`` is ``special.chdtrc``; scipy 1.12–1.17) and handle the edge
cases as ``rv_continuous.ppf`` / ``cdf`` / ``sf`` do: NaN for a probability outside [0, 1],
a NaN argument or a non-positive degree of freedom; the support's ends at probability 0 and
1 and beyond the support. ``tests/unit/test_import_cost.py`` checks every value equals
``scipy.stats``'s bit for bit, edge cases included. Tests and rarer procedures (Kruskal–
Wallis, the studentised range, skewness) import ``scipy.stats`` where they are called.

Examples
--------
>>> round(float(t_ppf(0.975, 10)), 6)
2.228139
>>> float(norm_sf(0.0)), float(norm_ppf(1.0))
(0.5, inf)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import special

__all__ = ["chi2_sf", "f_sf", "norm_cdf", "norm_ppf", "norm_sf", "t_cdf", "t_ppf", "t_sf"]


def _finish(output: np.ndarray) -> Any:
    return output[()] if output.ndim == 0 else output


def _valid(*dfs: np.ndarray) -> Any:
    ok: Any = True
    for df in dfs:
        ok = np.logical_and(ok, df > 0)
    return ok


def _ppf(inverse: Callable[..., Any], q: Any, dfs: tuple[Any, ...], low: float, high: float) -> Any:
    q = np.asarray(q)
    arrays = tuple(np.asarray(df) for df in dfs)
    ok = _valid(*arrays)
    inside = ok & (q > 0) & (q < 1)
    output = np.full(np.shape(inside), np.nan)
    np.place(output, ok & (q == 0), low)
    np.place(output, ok & (q == 1), high)
    if np.any(inside):
        args = [np.broadcast_to(a, inside.shape)[inside] for a in (*arrays, q)]
        # rv_continuous.ppf returns _ppf · scale + loc: the "+ 0.0" turns -0.0 into 0.0 too.
        np.place(output, inside, inverse(*args) * 1.0 + 0.0)
    return _finish(output)


def _tail(
    function: Callable[..., Any],
    x: Any,
    dfs: tuple[Any, ...],
    low: float,
    below: float,
    above: float,
) -> Any:
    """cdf (below 0, above 1) or sf (below 1, above 0) on the support ``(low, inf)``."""
    x = np.asarray(np.asarray(x) - 0, dtype=np.promote_types(np.asarray(x).dtype, np.float64))
    arrays = tuple(np.asarray(df) for df in dfs)
    ok = _valid(*arrays)
    inside = ok & (low < x) & (x < np.inf)
    output = np.zeros(np.shape(inside), x.dtype)
    np.place(output, (1 - ok) + np.isnan(x), np.nan)
    np.place(output, ok & (x <= low), below)
    np.place(output, ok & (x >= np.inf), above)
    if np.any(inside):
        args = [np.broadcast_to(a, inside.shape)[inside] for a in (*arrays, x)]
        np.place(output, inside, function(*args))
    return _finish(output)


def t_ppf(q: Any, df: Any) -> Any:
    """Student's t quantile, as ``scipy.stats.t.ppf(q, df)``."""
    return _ppf(special.stdtrit, q, (df,), -np.inf, np.inf)


def t_cdf(x: Any, df: Any) -> Any:
    """Student's t distribution function, as ``scipy.stats.t.cdf(x, df)``."""
    return _tail(special.stdtr, x, (df,), -np.inf, 0.0, 1.0)


def t_sf(x: Any, df: Any) -> Any:
    """Student's t upper tail, as ``scipy.stats.t.sf(x, df)``."""
    return _tail(lambda df, x: special.stdtr(df, -x), x, (df,), -np.inf, 1.0, 0.0)


def norm_ppf(q: Any) -> Any:
    """Standard normal quantile, as ``scipy.stats.norm.ppf(q)``."""
    return _ppf(special.ndtri, q, (), -np.inf, np.inf)


def norm_cdf(x: Any) -> Any:
    """Standard normal distribution function, as ``scipy.stats.norm.cdf(x)``."""
    return _tail(special.ndtr, x, (), -np.inf, 0.0, 1.0)


def norm_sf(x: Any) -> Any:
    """Standard normal upper tail, as ``scipy.stats.norm.sf(x)``."""
    return _tail(lambda x: special.ndtr(-x), x, (), -np.inf, 1.0, 0.0)


def f_sf(x: Any, dfn: Any, dfd: Any) -> Any:
    """F distribution upper tail, as ``scipy.stats.f.sf(x, dfn, dfd)``."""
    return _tail(special.fdtrc, x, (dfn, dfd), 0.0, 1.0, 0.0)


def chi2_sf(x: Any, df: Any) -> Any:
    """Chi-square upper tail, as ``scipy.stats.chi2.sf(x, df)``."""
    return _tail(special.chdtrc, x, (df,), 0.0, 1.0, 0.0)
