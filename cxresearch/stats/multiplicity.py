"""Adjusting p-values for the many cells a table tests at once.

A report table that tests many cells shows "significant" somewhere by chance alone, so
every multi-cell table adjusts: Benjamini–Hochberg (false discovery rate) by default, Holm
(family-wise error) or none by params (``report.multiplicity``). The table note names the
method (:data:`METHOD_NAMES`).

The intervals printed in such a table are computed at :func:`adjusted_confidence`, the
level whose intervals exclude the null exactly for the cells the adjustment declares
significant (for Benjamini–Hochberg these are the false-coverage-rate intervals of
Benjamini & Yekutieli 2005), so verdict and interval still agree cell by cell.

References
----------
Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate. *JRSS B* 57,
289–300. Benjamini, Y. & Yekutieli, D. (2005). False discovery rate-adjusted multiple
confidence intervals for selected parameters. *JASA* 100, 71–81. Holm, S. (1979).
*Scand. J. Statist.* 6, 65–70. Both equal R's
``p.adjust`` (tests/reference/test_tests.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["ADJUSTMENTS", "METHOD_NAMES", "adjust_pvalues", "adjusted_confidence", "check_adjust"]

#: Accepted names -> statsmodels' method.
ADJUSTMENTS = {"bh": "fdr_bh", "holm": "holm", "bonferroni": "bonferroni", "none": None}
#: How a table note names each method.
METHOD_NAMES = {
    "bh": "Benjamini-Hochberg (false discovery rate)",
    "holm": "Holm (family-wise error)",
    "bonferroni": "Bonferroni (family-wise error)",
    "none": "none",
}


def check_adjust(adjust: Any) -> str:
    """``adjust`` as a known method name, or ValueError naming the choices."""
    if adjust not in ADJUSTMENTS:
        raise ValueError(f"adjust must be one of {list(ADJUSTMENTS)}, got {adjust!r}")
    return str(adjust)


def adjust_pvalues(pvalues: Any, method: str = "bh") -> np.ndarray:
    """Adjusted p-values; NaN (untested cells) stay NaN and are not counted.

    Parameters
    ----------
    pvalues : array-like
        Raw p-values, NaN for cells without a test.
    method : {"bh", "holm", "bonferroni", "none"}
        Benjamini–Hochberg, Holm, Bonferroni, or no adjustment.

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, float("nan")], "bh").round(3).tolist()
    [0.02, 0.04, nan]
    """
    sm = ADJUSTMENTS[check_adjust(method)]
    p = np.asarray(pvalues, dtype="float64")
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if not ok.any():
        return out
    out[ok] = p[ok] if sm is None else _multipletests(p[ok], sm)
    return out


def _multipletests(p: np.ndarray, method: str) -> np.ndarray:
    """``statsmodels.stats.multitest.multipletests(p, method=method)[1]``, same operations.

    For "fdr_bh", "holm" and "bonferroni" (statsmodels 0.14: sort, scale, running min/max
    from the right/left, cap at 1, unsort), so the values are the same bits; importing
    statsmodels.stats.multitest costs a report kernel ~0.6 CPU s (it imports scipy.stats).
    tests/unit/test_import_cost.py checks both agree exactly.
    """
    order = np.argsort(p)
    ranked = np.take(p, order)
    n = len(ranked)
    if method == "bonferroni":
        corrected = ranked * float(n)
    elif method == "holm":
        corrected = np.maximum.accumulate(ranked * np.arange(n, 0, -1))
    else:  # fdr_bh: p(k) · n / k, then the running minimum from the largest p down
        ecdf = np.arange(1, n + 1) / float(n)
        corrected = np.minimum.accumulate((ranked / ecdf)[::-1])[::-1]
    corrected[corrected > 1] = 1
    out = np.empty_like(corrected)
    out[order] = corrected
    return out


def adjusted_confidence(pvalues: Any, method: str = "bh", confidence: float = 0.95) -> float:
    """Confidence level at which the intervals agree with the adjusted verdicts.

    With ``m`` tested cells, ``α = 1 − confidence`` and ``R`` cells significant after the
    adjustment: Benjamini–Hochberg ``1 − max(R, 1)·α/m`` (a cell is rejected exactly when
    ``p ≤ R·α/m``); Holm ``1 − α/(m − R)`` (``1 − α`` when every cell is rejected: the
    rejected have ``p ≤ α/(m − R + 1)``, the others ``p > α/(m − R)``); Bonferroni
    ``1 − α/m``; none ``confidence``.

    Examples
    --------
    >>> round(adjusted_confidence([0.001, 0.02, 0.5], "bh"), 4)
    0.9667
    """
    check_adjust(method)
    p = np.asarray(pvalues, dtype="float64")
    p = p[np.isfinite(p)]
    m = p.size
    alpha = 1.0 - confidence
    if method == "none" or m <= 1:
        return float(confidence)
    rejected = int((adjust_pvalues(p, method) < alpha).sum())
    if method == "bh":
        return float(1.0 - max(rejected, 1) * alpha / m)
    if method == "holm":
        return float(1.0 - alpha / (m - rejected)) if rejected < m else float(confidence)
    return float(1.0 - alpha / m)
