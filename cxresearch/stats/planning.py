"""How many answers a metric needs for an interval of a given half-width (sample-size planning).

:func:`sample_size` works backwards from the interval the reports print, so that a base
of the size it returns gives an interval no wider than ``±margin`` at the expected
answers (tests/reference/test_planning.py checks this by computing the interval):

* NPS (adjusted Wald, Rocks 2016): ``n = z² s² / d² − 3`` with ``s² = p + q − (p − q)²``
  for promoter and detractor shares ``p``, ``q`` (Lewis & Sauro 2021), then walked up
  until the interval printed (its t(n − 1) quantile) fits; unknown shares give the worst
  case ``s² = 1``; a known NPS alone the worst case for that NPS, no passives,
  ``s² = 1 − NPS²``.
* Shares (Wilson): ``n = z² p(1 − p) / d²`` (Cochran 1977, eq. 4.2), ``p = 0.5`` unless
  given; the Wilson interval at that n is never wider than the Wald one it is planned on
  for ``0.5``-centred shares, and the function checks the Wilson width and adds answers
  until it fits.
* Means (t): the smallest ``n`` with ``t(n − 1) · sd / √n ≤ d`` (Cochran's
  ``n = (z·sd/d)²`` refined with the t quantile the interval uses).

With weights the answers needed grow by the design effect (Kish 1965): pass
``design_effect`` (e.g. ``n / n_effective`` of a comparable earlier wave).

References
----------
Cochran, W. G. (1977). *Sampling Techniques*, 3rd ed., §4.4 (eq. 4.2: 385 answers for
±5 points at 95 % and p = 0.5). Rocks, B. (2016). Interval estimation for the "Net Promoter
Score". *The American Statistician* 70(4), 365–372. Lewis, J. R. & Sauro, J. (2021).
Sample size estimation for NPS confidence intervals. MeasuringU. Kish, L. (1965). *Survey
Sampling*, §8.2.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from cxresearch.stats.distributions import norm_ppf, t_ppf
from cxresearch.stats.intervals import check_confidence, nps_pivot
from cxresearch.stats.registry import Metric, get_metric

__all__ = ["sample_size"]


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return out


def _nps_shares(expected: Any) -> tuple[float, float]:
    """Promoter and detractor shares (0..1) to plan on: given, or the widest case."""
    if expected is None:
        return 0.5, 0.5
    if isinstance(expected, Sequence) and not isinstance(expected, str):
        if len(expected) != 2:
            raise ValueError(
                f"expected for NPS must be (promoters %, detractors %), got {expected!r}"
            )
        p, q = (_number(v, "expected") / 100.0 for v in expected)
        if p < 0 or q < 0 or p + q > 1:
            raise ValueError(
                f"expected promoter and detractor shares must be 0..100 % and add up to at "
                f"most 100 %, got {expected!r}"
            )
        return p, q
    nps = _number(expected, "expected") / 100.0
    if not -1.0 <= nps <= 1.0:
        raise ValueError(f"expected NPS must lie in -100..100, got {expected!r}")
    return (1.0 + nps) / 2.0, (1.0 - nps) / 2.0


def sample_size(
    metric: str | Metric,
    *,
    margin: float,
    confidence: float = 0.95,
    expected: Any = None,
    sd: float | None = None,
    design_effect: float = 1.0,
) -> int:
    """Answers needed for an interval of ``±margin`` around the metric.

    Parameters
    ----------
    metric : str or Metric
        ``"nps"``, a share (``"csat"``, ``"ces"``, any share metric) or a mean
        (``"ces_mean"``, ``"mean"``).
    margin : float
        Half-width of the interval on the metric's scale: NPS points, percentage points,
        or rating points for means.
    confidence : float
        Two-sided confidence level.
    expected : optional
        NPS: ``(promoters %, detractors %)``, or an expected NPS (then the widest case for
        it, no passives), or None for the widest case of all. Shares: the expected
        percentage (default 50, the widest). Not used for means.
    sd : float, optional
        Expected SD of the answers (required for means).
    design_effect : float
        Variance inflation of a weighted design (≥ 1 usually; 1 for simple random samples).

    Returns
    -------
    int
        The number of answers (rounded up).

    Examples
    --------
    >>> sample_size("csat", margin=5)
    385
    >>> sample_size("nps", margin=10)
    383
    >>> sample_size("nps", margin=5, expected=(40, 20))
    860
    """
    spec = get_metric(metric)
    confidence = check_confidence(confidence)
    d = _number(margin, "margin")
    if not d > 0:
        raise ValueError(f"margin must be positive, got {margin!r}")
    deff = _number(design_effect, "design_effect")
    if not deff > 0:
        raise ValueError(f"design_effect must be positive, got {design_effect!r}")
    z = float(norm_ppf(0.5 + confidence / 2.0))
    if spec.family == "nps":
        if d > 100:
            raise ValueError(f"margin for NPS must be at most 100 points, got {margin!r}")
        shares = _nps_shares(expected)
        variance = shares[0] + shares[1] - (shares[0] - shares[1]) ** 2
        planned = math.ceil(max(z**2 * variance / (d / 100.0) ** 2 - 3.0, 1.0) - 1e-9)
        # The printed interval refers the adjusted Wald to t(n − 1) (stats/registry.py).
        level = 0.5 + confidence / 2.0
        n = _fit(
            max(planned, 2),
            lambda m: float(t_ppf(level, m - 1)) * float(nps_pivot(*shares, m)[1]),
            d / 100.0,
        )
    elif spec.family == "share":
        if d > 50:
            raise ValueError(f"margin for a percentage must be at most 50 points, got {margin!r}")
        p = 0.5 if expected is None else _number(expected, "expected") / 100.0
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"expected percentage must lie in 0..100, got {expected!r}")
        planned = math.ceil(max(z**2 * p * (1 - p) / (d / 100.0) ** 2, 1.0) - 1e-9)
        n = _fit(planned, lambda m: _wilson_half(m, p, z), d / 100.0)
    elif spec.family == "mean":
        if sd is None:
            raise ValueError(f"sd is required for the mean metric {spec.name!r}")
        s = _number(sd, "sd")
        if not s > 0:
            raise ValueError(f"sd must be positive, got {sd!r}")
        level = 0.5 + confidence / 2.0
        planned = max(2, math.ceil((z * s / d) ** 2 - 1e-9))
        n = _fit(planned, lambda m: float(t_ppf(level, m - 1)) * s / math.sqrt(m), d)
    else:  # pragma: no cover - every registered family is handled above
        raise ValueError(f"no sample-size formula for metric {spec.name!r}")
    return int(math.ceil(n * deff - 1e-9))


def _fit(n: int, half_width: Callable[[int], float], d: float) -> int:
    """The smallest base from the planned ``n`` up whose printed half-width is at most ``d``.

    The closed forms plan on the Wald variance; the intervals printed (adjusted Wald,
    Wilson, t) differ from it by a few answers, which this walk adds.
    """
    while half_width(n) > d * (1 + 1e-12):
        n += 1
    return n


def _wilson_half(n: int, p: float, z: float) -> float:
    return z / (1 + z**2 / n) * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
