"""Exact (Clopper–Pearson) intervals and tests of a share for the far tail of a table.

A table adjusted for multiplicity (Holm, Benjamini–Hochberg) prints its intervals at the
adjusted level, e.g. 99.5 % for the first of 10 targets under Holm, so its verdicts rest on
the tests' far tails. There Wilson's score interval is too narrow near the ends of the
scale (a lattice effect): with 10 true targets of a 96 % share at n = 100, 6.6 % of tables
showed a false "not met" under Holm against 4.9 % for exact tests (docs/coverage.md). The
registry therefore joins, at levels of 99 % and beyond (``TAIL_ALPHA``), the share's Wilson
interval at 99 % with the exact interval at the level asked for
(:meth:`cxresearch.stats.registry.Metric.interval`); the test is the one that interval
inverts, so verdict and interval still agree by construction. At 95 % nothing changes.

* **Unweighted**: the central Clopper–Pearson interval (R ``binom.test``):
  ``qbeta(α/2, x, n − x + 1)`` and ``qbeta(1 − α/2, x + 1, n − x)``, and the central
  exact test ``min(1, 2·min(P(X ≤ x), P(X ≥ x)))`` that it inverts. Its rejection rate is
  at most α for every share and n, so a Holm table of exact tests errs in at most
  ``1 − (1 − α/m)^m`` of reports.
* **Weighted**: Korn & Graubard's (1998) interval on the design's effective n ``n*`` and
  count ``x = p̂·n*``, with their df adjustment ``ñ = n*·(t_{n−1}/t_d)²`` at the level's
  quantile (``d`` the design's df), as R ``svyciprop(method = "beta")`` computes it
  (R's ``n*`` is ``p̂(1 − p̂)/v``; the registry's is ``n/(n − 1)`` times that, so that it
  equals n unweighted). The beta functions take the non-integer counts. Because ``ñ``
  depends on the level, the p-value is found as the level at which the interval reaches the
  null (bisection on log α; the intervals widen as α falls, so the level is unique).

References
----------
Clopper, C. J. & Pearson, E. S. (1934). The use of confidence or fiducial limits
illustrated in the case of the binomial. *Biometrika* 26, 404–413. Korn, E. L. &
Graubard, B. I. (1998). Confidence intervals for proportions with small expected number of
positive counts estimated from survey data. *Survey Methodology* 24, 193–201. Lumley, T.
(2010). *Complex Surveys*. Wiley, §2.3.1 (``svyciprop``).

Examples
--------
>>> low, high = exact_share_bounds(np.array([0.9]), np.array([50.0]), 0.95, "two-sided")
>>> [round(float(low[0]), 6), round(float(high[0]), 6)]
[0.781865, 0.966725]
>>> round(float(exact_share_pvalue(np.array([0.9]), np.array([50.0]), 0.75, "two-sided")[0]), 6)
0.014092
"""

from __future__ import annotations

import numpy as np
from scipy import special

from cxresearch.stats.distributions import t_ppf

__all__ = ["TAIL_ALPHA", "exact_share_bounds", "exact_share_pvalue"]

#: α = 1 − confidence from which a share's interval joins the exact one: the float
#: ``1 − 0.99``, so that a 99 % level (and every level beyond) is in the tail exactly.
TAIL_ALPHA = 1.0 - 0.99

_BISECTIONS = 64


def _tail_level(alpha: np.ndarray | float, alternative: str) -> np.ndarray | float:
    """Probability in each tail the bound leaves out (α/2 two-sided, α one-sided)."""
    return alpha / 2.0 if alternative == "two-sided" else alpha


def _trials(n: np.ndarray, dfs: np.ndarray | None, tail: np.ndarray | float) -> np.ndarray:
    """Korn & Graubard's df-adjusted effective n at a bound leaving ``tail`` out."""
    if dfs is None:
        return n
    rows_df, design_df = dfs
    with np.errstate(divide="ignore", invalid="ignore"):
        # R: n.eff * (qt(alpha/2, nrow(design) - 1) / qt(alpha/2, degf(design)))^2
        ratio = t_ppf(tail, rows_df) / t_ppf(
            tail, np.where(np.isfinite(design_df), design_df, np.inf)
        )
        return np.asarray(n * ratio**2, dtype="float64")


def _lower(x: np.ndarray, trials: np.ndarray, tail: np.ndarray | float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        out = special.betaincinv(x, trials - x + 1.0, tail)
    return np.where(x <= 0, 0.0, out)


def _upper(x: np.ndarray, trials: np.ndarray, tail: np.ndarray | float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        out = special.betaincinv(x + 1.0, trials - x, 1.0 - np.asarray(tail))
    return np.where(x >= trials, 1.0, out)


def exact_share_bounds(
    share: np.ndarray,
    n: np.ndarray,
    confidence: float,
    alternative: str,
    dfs: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Clopper–Pearson (unweighted) or Korn–Graubard (``dfs`` given) bounds, 0..1.

    Parameters
    ----------
    share, n : numpy.ndarray
        The (weighted) share 0..1 and the effective n (n unweighted).
    confidence : float
        Level of the interval (one-sided for "greater" / "less", whose other bound is
        returned too but not used).
    alternative : {"two-sided", "greater", "less"}
    dfs : numpy.ndarray, optional
        Weighted: rows (n − 1, the unweighted df) and the design's df, stacked.
    """
    tail = _tail_level(1.0 - confidence, alternative)
    trials = _trials(np.asarray(n, dtype="float64"), dfs, tail)
    x = np.asarray(share, dtype="float64") * trials
    return _lower(x, trials, tail), _upper(x, trials, tail)


def _tails(x: np.ndarray, trials: np.ndarray, p0: float) -> tuple[np.ndarray, np.ndarray]:
    """P(X ≤ x) and P(X ≥ x) for a binomial(trials, p0), as the beta functions give them."""
    with np.errstate(invalid="ignore"):
        below = np.where(x >= trials, 1.0, special.betaincc(x + 1.0, trials - x, p0))
        above = np.where(x <= 0, 1.0, special.betainc(x, trials - x + 1.0, p0))
    return below, above


def _pvalue_at(x_share: np.ndarray, trials: np.ndarray, p0: float, alternative: str) -> np.ndarray:
    below, above = _tails(x_share * trials, trials, p0)
    if alternative == "greater":
        return above
    if alternative == "less":
        return below
    return np.minimum(1.0, 2.0 * np.minimum(below, above))


def exact_share_pvalue(
    share: np.ndarray,
    n: np.ndarray,
    null: float,
    alternative: str,
    dfs: np.ndarray | None = None,
) -> np.ndarray:
    """p-value of ``share = null`` (0..1) by the test :func:`exact_share_bounds` inverts.

    Unweighted it is the central exact binomial test (R ``binom.test``'s interval inverts
    it; R's two-sided p is the minimum-likelihood one, this is twice the smaller tail).
    Weighted it is the α at which the Korn–Graubard interval at level 1 − α has ``null``
    on its boundary; values below 1e-300 are returned as 0.
    """
    share = np.asarray(share, dtype="float64")
    n = np.asarray(n, dtype="float64")
    if dfs is None:
        return _pvalue_at(share, n, null, alternative)
    # Bisection on log10 α in [−300, 0]: the null is inside the interval at level 1 − α
    # exactly when the exact p-value on the trials of that level is ≥ α.
    low = np.full(share.shape, -300.0)
    high = np.zeros(share.shape)
    for _ in range(_BISECTIONS):
        mid = (low + high) / 2.0
        alpha = 10.0**mid
        trials = _trials(n, dfs, _tail_level(alpha, alternative))
        inside = _pvalue_at(share, trials, null, alternative) >= alpha
        low = np.where(inside, mid, low)
        high = np.where(inside, high, mid)
    out = 10.0**low
    return np.where(low <= -300.0, 0.0, np.where(np.isfinite(share * n), out, np.nan))
