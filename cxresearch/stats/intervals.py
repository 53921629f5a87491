"""Vectorised confidence intervals for the CX metrics.

Every function takes shares (0..1), means and bases as scalars or arrays and returns
arrays, so that :func:`cxresearch.stats.metrics.metric_by` computes thousands of groups in
one call and the single-sample functions share the same code. A base of zero gives NaN
bounds, never an error: an empty group is reported, not dropped.

``n`` may be fractional: with weights it is Kish's effective sample size.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cxresearch.stats.distributions import norm_ppf, t_ppf

__all__ = [
    "NPS_METHODS",
    "PROPORTION_METHODS",
    "check_confidence",
    "hall_inverse",
    "hall_transform",
    "nps_interval",
    "nps_pivot",
    "nps_variance",
    "proportion_interval",
    "t_interval",
    "z_critical",
]

NPS_METHODS = ("adjusted-wald", "wald")
PROPORTION_METHODS = ("wilson", "wald", "agresti-coull")

# Our method names -> statsmodels' names.
_STATSMODELS_METHOD = {"wilson": "wilson", "wald": "normal", "agresti-coull": "agresti_coull"}

# Rocks (2016) adds 3 pseudo-observations split 3/4 : 3/2 : 3/4 over detractors, passives and
# promoters, an Agresti-Coull style adjustment for the trinomial; these are the defaults of
# his R package NPS (``nps_test(pseudo_observations = c(0.75, 1.50, 0.75))``).
_PSEUDO_PROMOTERS = 0.75
_PSEUDO_DETRACTORS = 0.75
_PSEUDO_TOTAL = 3.0


def check_confidence(confidence: Any) -> float:
    """Return ``confidence`` as a float after checking that 0 < confidence < 1."""
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float, np.floating)):
        raise ValueError(f"confidence must be a number between 0 and 1, got {confidence!r}")
    value = float(confidence)
    if not 0.0 < value < 1.0:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence!r}")
    return value


def z_critical(confidence: float) -> float:
    """Two-sided standard normal critical value, e.g. 1.959964 for 0.95."""
    return float(norm_ppf(0.5 + check_confidence(confidence) / 2.0))


def _check_method(method: Any, allowed: tuple[str, ...]) -> str:
    if method not in allowed:
        raise ValueError(f"method must be one of {list(allowed)}, got {method!r}")
    return str(method)


def nps_variance(promoters: Any, detractors: Any) -> np.ndarray:
    """Per-respondent variance of the NPS on the −1..1 scale.

    With promoter share ``p`` and detractor share ``q``, the score coded +1/0/−1 has
    variance ``p + q − (p − q)²`` (a difference of two multinomial proportions); divide by
    ``n`` for the variance of the NPS itself.

    References
    ----------
    Rocks, B. (2016). Interval estimation for the "Net Promoter Score". *The American
    Statistician* 70(4), 365–372. doi:10.1080/00031305.2016.1158124
    """
    p = np.asarray(promoters, dtype="float64")
    q = np.asarray(detractors, dtype="float64")
    return p + q - (p - q) ** 2


def nps_interval(
    promoters: Any,
    detractors: Any,
    n: Any,
    *,
    confidence: float = 0.95,
    method: str = "adjusted-wald",
) -> tuple[np.ndarray, np.ndarray]:
    """Confidence interval of the NPS on the −100..100 scale, in Rocks' z form.

    The reports' intervals and target tests (:mod:`cxresearch.stats.registry`) use the same
    pivot (:func:`nps_pivot`) referred to t on the design's degrees of freedom instead of
    z; this function is Rocks' (2016) and his R package's form.

    Parameters
    ----------
    promoters, detractors : float or array
        Shares (0..1) of promoters (9–10) and detractors (0–6), weighted if weights are used.
    n : float or array
        Base: the number of answers, or Kish's effective n when weighted.
    confidence : float
        Two-sided confidence level.
    method : {"adjusted-wald", "wald"}
        ``"wald"``: NPS ± z·sqrt(var/n). ``"adjusted-wald"`` (Rocks 2016, recommended
        there for its coverage in small samples and near ±100): add 3/4 promoter,
        3/2 passive and 3/4 detractor pseudo-observations (n + 3) and compute the Wald
        interval around the *adjusted* NPS. With weights the pseudo-observations are
        added on the effective-n scale.

    Returns
    -------
    (ci_low, ci_high) : tuple of arrays
        Bounds, clipped to [−100, 100] because both Wald forms can overshoot the range of
        the score near the ends. NaN where ``n`` is 0.

    References
    ----------
    Rocks, B. (2016). Interval estimation for the "Net Promoter Score". *The American
    Statistician* 70(4), 365–372. The pseudo-observation counts follow the author's R
    package NPS (github.com/brendan-r/NPS, ``nps_test``); Lewis & Sauro (2021), "Evaluating
    NPS confidence intervals with real-world data", MeasuringU, describe the same recipe.
    """
    method = _check_method(method, NPS_METHODS)
    z = z_critical(confidence)
    base = np.asarray(n, dtype="float64")
    centre, se = nps_pivot(promoters, detractors, base, method=method)
    half = z * se
    low = np.clip(100.0 * (centre - half), -100.0, 100.0)
    high = np.clip(100.0 * (centre + half), -100.0, 100.0)
    empty = ~(base > 0)
    return np.where(empty, np.nan, low), np.where(empty, np.nan, high)


def nps_pivot(
    promoters: Any, detractors: Any, n: Any, *, method: str = "adjusted-wald"
) -> tuple[np.ndarray, np.ndarray]:
    """Centre (−1..1) and standard error of the NPS interval and of the test that inverts it.

    ``"adjusted-wald"`` adds Rocks' (2016) 3/4, 3/2, 3/4 pseudo-observations to ``n``;
    ``"wald"`` adds none. The interval is ``centre ± z·se`` and the test of a value ``t``
    is ``(centre − t)/se``, so the two agree by construction.
    """
    method = _check_method(method, NPS_METHODS)
    p = np.asarray(promoters, dtype="float64")
    q = np.asarray(detractors, dtype="float64")
    base = np.asarray(n, dtype="float64")
    if method == "adjusted-wald":
        p = (p * base + _PSEUDO_PROMOTERS) / (base + _PSEUDO_TOTAL)
        q = (q * base + _PSEUDO_DETRACTORS) / (base + _PSEUDO_TOTAL)
        base = base + _PSEUDO_TOTAL
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(nps_variance(p, q) / base)
    return p - q, se


def proportion_interval(
    share: Any,
    n: Any,
    *,
    confidence: float = 0.95,
    method: str = "wilson",
) -> tuple[np.ndarray, np.ndarray]:
    """Confidence interval of a proportion, as percentages 0..100.

    Parameters
    ----------
    share : float or array
        Observed (weighted) share, 0..1.
    n : float or array
        Base: number of answers, or Kish's effective n when weighted.
    confidence : float
        Two-sided confidence level.
    method : {"wilson", "wald", "agresti-coull"}
        Wilson score interval (default; the interval R's ``prop.test(correct = FALSE)``
        reports), Wald, or Agresti–Coull. Computed with
        ``statsmodels.stats.proportion.proportion_confint`` on ``count = share · n``;
        with weights that is the Wilson (etc.) interval on Kish's effective n, not R
        survey's design-based ``svyciprop``.

    Returns
    -------
    (ci_low, ci_high) : tuple of arrays
        Bounds in percent, clipped to [0, 100] (statsmodels clips Wald and Agresti–Coull,
        which can overshoot). NaN where ``n`` is 0.

    References
    ----------
    Wilson, E. B. (1927). *JASA* 22, 209–212. Agresti, A. & Coull, B. A. (1998). *The
    American Statistician* 52, 119–126. Brown, Cai & DasGupta (2001). *Statistical
    Science* 16, 101–133.
    """
    method = _check_method(method, PROPORTION_METHODS)
    confidence = check_confidence(confidence)
    share_a, base = np.broadcast_arrays(
        np.asarray(share, dtype="float64"), np.asarray(n, dtype="float64")
    )
    low = np.full(share_a.shape, np.nan)
    high = np.full(share_a.shape, np.nan)
    ok = base > 0
    if ok.any():
        # Imported here: statsmodels.stats.proportion imports scipy.stats (~0.5 s).
        from statsmodels.stats.proportion import proportion_confint

        lo, hi = proportion_confint(
            share_a[ok] * base[ok],
            base[ok],
            alpha=1.0 - confidence,
            method=_STATSMODELS_METHOD[method],
        )
        low[ok] = 100.0 * np.asarray(lo)
        high[ok] = 100.0 * np.asarray(hi)
    return low, high


def t_interval(
    mean: Any,
    sd: Any,
    n: Any,
    *,
    confidence: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """Student t interval of a mean, ``mean ± t(n − 1) · sd / sqrt(n)``.

    Parameters
    ----------
    mean, sd : float or array
        Sample mean and standard deviation (ddof = 1, or its weighted analogue).
    n : float or array
        Base: number of answers, or Kish's effective n (then df = n_effective − 1).
    confidence : float
        Two-sided confidence level.

    Returns
    -------
    (ci_low, ci_high) : tuple of arrays
        NaN where ``n`` ≤ 1 (no variance estimate).

    References
    ----------
    Student (1908). The probable error of a mean. *Biometrika* 6, 1–25; same as R's
    ``t.test(x)$conf.int`` for unweighted data.
    """
    confidence = check_confidence(confidence)
    m = np.asarray(mean, dtype="float64")
    s = np.asarray(sd, dtype="float64")
    base = np.asarray(n, dtype="float64")
    ok = base > 1
    df = np.where(ok, base - 1.0, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = t_ppf(0.5 + confidence / 2.0, df) * s / np.sqrt(base)
    return np.where(ok, m - half, np.nan), np.where(ok, m + half, np.nan)


def hall_transform(t: Any, skew: Any) -> np.ndarray:
    """Hall's (1992) skewness-removing transformation of a studentised mean.

    ``g(t) = t + κ/6 + κt²/3 + κ²t³/27`` with ``t = (estimate − μ)/SE`` and ``κ`` the
    skewness of the estimator (``γ̂/√n`` for an unweighted mean with moment skewness
    ``γ̂``; :meth:`cxresearch.stats.design.Design.skewness` under a design). ``g(t)`` is
    referred to the t distribution: its n^(−1/2) Edgeworth term, the one skewed answers
    (ratings piled up at the top of the scale) make, is gone. ``g`` is increasing
    (``g′ = (1 + κt/3)² ≥ 0``), so the test inverts to an interval in closed form
    (:func:`hall_inverse`). Without the cubic term it is Johnson's (1978) modified t,
    which is not monotone.

    Parameters
    ----------
    t : float or array
        Studentised statistic(s).
    skew : float or array
        ``κ`` of each estimate (0 gives ``t`` back).

    Returns
    -------
    numpy.ndarray

    References
    ----------
    Hall, P. (1992). On the removal of skewness by transformation. *Journal of the Royal
    Statistical Society B* 54(1), 221–228. Johnson, N. J. (1978). Modified t tests and
    confidence intervals for asymmetrical populations. *JASA* 73, 536–544. Zhou, X.-H. &
    Dinh, P. (2005). Nonparametric confidence intervals for the one- and two-sample
    problems. *Biostatistics* 6(2), 187–200.

    Examples
    --------
    >>> round(float(hall_transform(1.5, -0.3)), 6)
    1.23625
    >>> round(float(hall_inverse(hall_transform(1.5, -0.3), -0.3)), 9)
    1.5
    """
    tt = np.asarray(t, dtype="float64")
    k = np.asarray(skew, dtype="float64")
    with np.errstate(invalid="ignore"):
        out = tt + k / 6.0 + k * tt**2 / 3.0 + k**2 * tt**3 / 27.0
    # A sample without spread has t = ±∞ (and κ = 0): g keeps it, as its cubic term would.
    return np.asarray(np.where(np.isinf(tt), tt, out))


def hall_inverse(y: Any, skew: Any) -> np.ndarray:
    """The ``t`` with ``hall_transform(t, skew) = y`` (the real root of the cubic).

    ``g(t) = ((1 + κt/3)³ − 1)/κ + κ/6``, so ``t = 3(c − 1)/κ`` with
    ``c = ∛(1 + κ(y − κ/6))``, written as ``3(y − κ/6)/(c² + c + 1)`` so that it is exact
    as ``κ → 0`` (where it is ``y``). Interval bounds of a mean are
    ``estimate − SE · hall_inverse(±critical, κ)``.

    Examples
    --------
    >>> round(float(hall_inverse(1.23625, -0.3)), 9)
    1.5
    >>> float(hall_inverse(2.0, 0.0))
    2.0
    """
    yy = np.asarray(y, dtype="float64")
    k = np.asarray(skew, dtype="float64")
    shifted = yy - k / 6.0
    c = np.cbrt(1.0 + k * shifted)
    with np.errstate(invalid="ignore"):
        out = 3.0 * shifted / (c**2 + c + 1.0)
    # An infinite critical value (a one-sided bound) stays infinite.
    return np.asarray(np.where(np.isinf(yy), yy, out))
