"""CX metrics with confidence intervals: NPS, CSAT top-2-box, CES, mean ratings.

Each metric returns an :class:`~cxresearch.results.Estimate` that carries its interval and
base; :func:`metric_by` returns the same numbers for many groups as a tidy frame. Scores
are validated at the boundary: out-of-range or non-integer answers raise ``ValueError``
naming the argument (or column) and the bad values; missing answers are excluded and the
base ``n`` counts only the answers used.

Weights are analysis weights. With weights, shares and means are weighted and every
interval uses Kish's effective sample size (:func:`~cxresearch.stats.weighting.kish_effective_n`)
in place of ``n``. This is an approximation that ignores strata and clusters; a
design-based (linearised) variance, as in R's ``survey`` package, is planned.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cxresearch.errors import DataError
from cxresearch.results import Estimate
from cxresearch.stats.intervals import (
    NPS_METHODS,
    PROPORTION_METHODS,
    check_confidence,
    nps_interval,
    proportion_interval,
    t_interval,
)
from cxresearch.stats.weighting import validate_weights

__all__ = [
    "METRICS",
    "MetricSpec",
    "Sample",
    "ces",
    "ces_mean",
    "clean_scores",
    "csat",
    "mean_rating",
    "metric_by",
    "metric_spec",
    "nps",
    "prepare_sample",
    "top_box",
]


@dataclass(frozen=True)
class MetricSpec:
    """How one metric name maps to a computation, a score scale and a default column."""

    kind: str  # "nps", "proportion" or "mean"
    name: str  # Estimate.metric
    column: str | None
    scale: tuple[float, float] | None
    integer: bool
    top: tuple[float, ...] = ()
    method: str = ""


METRICS: dict[str, MetricSpec] = {
    "nps": MetricSpec("nps", "nps", "nps", (0, 10), True, method="adjusted-wald"),
    "csat": MetricSpec("proportion", "csat_top2", "csat", (1, 5), True, (4, 5), "wilson"),
    "ces": MetricSpec("proportion", "ces_easy", "ces", (1, 7), True, (5, 6, 7), "wilson"),
    # Named apart from a generic "mean" so that a tidy frame of several metrics (and the
    # labels, decimals and comparisons keyed by Estimate.metric) can tell CES means apart.
    "ces_mean": MetricSpec("mean", "ces_mean", "ces", (1, 7), True, method="t"),
    "mean": MetricSpec("mean", "mean", None, None, False, method="t"),
}


def metric_spec(metric: Any) -> MetricSpec:
    """Return the :class:`MetricSpec` of a metric name, or raise naming ``metric``."""
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {sorted(METRICS)}, got {metric!r}")
    return METRICS[metric]


def clean_scores(
    scores: Any,
    *,
    name: str = "scores",
    scale: tuple[float, float] | None = None,
    integer: bool = False,
) -> np.ndarray:
    """Validate answers and return them as floats with NaN for missing answers.

    Parameters
    ----------
    scores : array-like or Series
        One answer per response; ``None``/NaN/``pd.NA`` mark missing answers.
    name : str
        Argument or column name used in error messages.
    scale : (low, high), optional
        Allowed range, inclusive.
    integer : bool
        Whether answers must be whole numbers (e.g. NPS 0–10).

    Raises
    ------
    ValueError
        For text, booleans, infinite values, non-integers (when ``integer``) or values
        outside ``scale``; the message names ``name`` and up to five offending values.
    """
    if isinstance(scores, (str, bytes, dict)) or np.ndim(scores) != 1:
        raise ValueError(f"{name} must be a one-dimensional array of numbers, got {scores!r:.80}")
    series = scores if isinstance(scores, pd.Series) else pd.Series(scores, dtype=None)
    if pd.api.types.is_bool_dtype(series.dtype):
        raise ValueError(f"{name} must be numbers, got booleans")
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    # Text is refused even when it looks like a number ("7"): a score column read as text
    # points at a loading or mapping problem that should be fixed where it happens.
    not_numeric = pd.Series(False, index=series.index)
    if not pd.api.types.is_numeric_dtype(series.dtype):
        not_numeric = series.map(lambda v: isinstance(v, (str, bytes, bool, np.bool_)))
    numeric = pd.to_numeric(series.mask(not_numeric), errors="coerce")
    not_numeric |= numeric.isna() & series.notna()

    def rows(mask: Any) -> str:
        return f" (first rows {series.index[np.asarray(mask)][:5].tolist()})"

    if not_numeric.any():
        bad = list(dict.fromkeys(series[not_numeric].tolist()))[:5]
        raise ValueError(f"{name} must be numbers; found {bad}{rows(not_numeric)}")
    values = numeric.to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(invalid="ignore"):
        bad_mask = np.isinf(values)
        if integer:
            bad_mask |= np.isfinite(values) & (values != np.round(values))
        if bad_mask.any():
            kind = "whole numbers" if integer else "finite numbers"
            bad = np.unique(values[bad_mask])[:5].tolist()
            raise ValueError(f"{name} must be {kind}; found {bad}{rows(bad_mask)}")
        if scale is not None:
            low, high = scale
            out = (values < low) | (values > high)
            if out.any():
                bad = np.unique(values[out])[:5].tolist()
                raise ValueError(f"{name} must lie in {low:g}..{high:g}; found {bad}{rows(out)}")
    return values


@dataclass(frozen=True)
class Sample:
    """Valid answers of one sample with their weights (ones when unweighted)."""

    values: np.ndarray
    weights: np.ndarray
    weighted: bool

    @property
    def n(self) -> int:
        return int(self.values.size)

    @property
    def n_effective(self) -> float:
        total = float(self.weights.sum())
        return total**2 / float(np.square(self.weights).sum()) if total > 0 else 0.0

    def share(self, mask: np.ndarray) -> float:
        """Weighted share of answers where ``mask`` is true."""
        return float(self.weights[mask].sum() / self.weights.sum())

    def mean(self) -> float:
        return float(np.average(self.values, weights=self.weights))

    def sd(self) -> float:
        """Weighted SD with the Bessel-type correction ``n_eff / (n_eff − 1)``.

        Equals the ordinary ddof=1 SD for equal weights; NaN when n_eff ≤ 1.
        """
        n_eff = self.n_effective
        if n_eff <= 1:
            return float("nan")
        dev2 = np.average((self.values - self.mean()) ** 2, weights=self.weights)
        return float(np.sqrt(dev2 * n_eff / (n_eff - 1.0)))


def prepare_sample(
    scores: Any,
    *,
    weights: Any = None,
    scale: tuple[float, float] | None = None,
    integer: bool = False,
    name: str = "scores",
    weights_name: str = "weights",
) -> Sample:
    """Validate scores (and weights) and keep the non-missing answers.

    Raises ``ValueError`` naming ``name``/``weights_name`` for bad values, mismatched
    lengths, no valid answers, or weights that are all zero on the valid answers.
    """
    values = clean_scores(scores, name=name, scale=scale, integer=integer)
    valid = ~np.isnan(values)
    if weights is None:
        w = np.ones(int(valid.sum()))
    else:
        w = validate_weights(weights, length=values.size, name=weights_name, where=valid)
    if not valid.any():
        raise ValueError(f"{name} has no non-missing values (length {values.size})")
    if weights is not None and not w.sum() > 0:
        raise ValueError(f"{weights_name} are all zero for the non-missing {name}")
    return Sample(values[valid], w, weights is not None)


def _nps_from_sample(sample: Sample, confidence: float, method: str) -> Estimate:
    p = sample.share(sample.values >= 9)
    q = sample.share(sample.values <= 6)
    n_eff = sample.n_effective
    low, high = nps_interval(p, q, n_eff, confidence=confidence, method=method)
    return Estimate(
        100.0 * (p - q),
        float(low),
        float(high),
        sample.n,
        confidence,
        method,
        metric="nps",
        n_effective=n_eff,
        weighted=sample.weighted,
    )


def nps(
    scores: Any,
    *,
    weights: Any = None,
    confidence: float = 0.95,
    method: str = "adjusted-wald",
) -> Estimate:
    """Net Promoter Score with a confidence interval, on the −100..100 scale.

    NPS = % promoters (9–10) − % detractors (0–6).

    Parameters
    ----------
    scores : array-like of int 0–10
        Likelihood-to-recommend answers; missing values are excluded and not counted.
    weights : array-like, optional
        Non-negative weights, one per score. Shares are weighted and the interval uses
        Kish's effective n (``n_effective`` on the result). This ignores strata and
        clusters; a design-based (linearised) variance will come in a later version.
    confidence : float
        Two-sided confidence level.
    method : {"adjusted-wald", "wald"}
        Interval method, see :func:`cxresearch.stats.intervals.nps_interval`. The
        adjusted-Wald interval is centred on the adjusted score, so it is not symmetric
        around ``value`` and, with a handful of answers all at one end, may not even
        contain it (one detractor: value −100, interval −98.5 to 48.5); such bases are
        flagged as low by :func:`metric_by`. Both are clipped to [−100, 100].

    Returns
    -------
    Estimate
        ``metric="nps"``.

    References
    ----------
    Rocks, B. (2016). Interval estimation for the "Net Promoter Score". *The American
    Statistician* 70(4), 365–372. Validated in tests/reference/test_nps.py.
    """
    confidence = check_confidence(confidence)
    if method not in NPS_METHODS:
        raise ValueError(f"method must be one of {list(NPS_METHODS)}, got {method!r}")
    sample = prepare_sample(scores, weights=weights, scale=(0, 10), integer=True)
    return _nps_from_sample(sample, confidence, method)


def _check_top(top: Any, scale: tuple[float, float] | None) -> np.ndarray:
    if isinstance(top, (str, bytes)) or not isinstance(top, Iterable):
        raise ValueError(f"top must be a collection of scale points, e.g. (4, 5), got {top!r}")
    values = list(top)
    if not values or not all(
        isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
        for v in values
    ):
        raise ValueError(f"top must be a non-empty collection of numbers, got {top!r}")
    if scale is not None and any(not scale[0] <= v <= scale[1] for v in values):
        raise ValueError(f"top values {values} must lie in the scale {scale[0]}..{scale[1]}")
    return np.asarray(values, dtype="float64")


def top_box(
    scores: Any,
    *,
    top: Iterable[float],
    weights: Any = None,
    confidence: float = 0.95,
    method: str = "wilson",
    metric: str = "top_box",
    scale: tuple[float, float] | None = None,
) -> Estimate:
    """Share (%) of answers in the top boxes, with a confidence interval.

    Parameters
    ----------
    scores : array-like
        Ratings; missing values are excluded and not counted.
    top : collection of numbers
        Scale points counted as "top", e.g. ``(4, 5)``.
    weights : array-like, optional
        Non-negative weights; the share is weighted and the interval uses Kish's
        effective n.
    confidence : float
        Two-sided confidence level.
    method : {"wilson", "wald", "agresti-coull"}
        See :func:`cxresearch.stats.intervals.proportion_interval`.
    metric : str
        Name stored on the result.
    scale : (low, high), optional
        When given, answers must be whole numbers in this range and ``top`` must lie in it.

    Returns
    -------
    Estimate
        Value and bounds in percent (0..100).

    References
    ----------
    Wilson (1927); Agresti & Coull (1998); Brown, Cai & DasGupta (2001).
    """
    confidence = check_confidence(confidence)
    if method not in PROPORTION_METHODS:
        raise ValueError(f"method must be one of {list(PROPORTION_METHODS)}, got {method!r}")
    top_values = _check_top(top, scale)
    sample = prepare_sample(scores, weights=weights, scale=scale, integer=scale is not None)
    share = sample.share(np.isin(sample.values, top_values))
    n_eff = sample.n_effective
    low, high = proportion_interval(share, n_eff, confidence=confidence, method=method)
    return Estimate(
        100.0 * share,
        float(low),
        float(high),
        sample.n,
        confidence,
        method,
        metric=metric,
        n_effective=n_eff,
        weighted=sample.weighted,
    )


def csat(
    scores: Any,
    *,
    weights: Any = None,
    confidence: float = 0.95,
    method: str = "wilson",
    top: Iterable[float] = (4, 5),
) -> Estimate:
    """CSAT top-2-box: % of 1–5 answers that are 4 or 5 (``metric="csat_top2"``).

    See :func:`top_box` for the parameters and the interval methods.
    """
    return top_box(
        scores,
        top=top,
        weights=weights,
        confidence=confidence,
        method=method,
        metric="csat_top2",
        scale=(1, 5),
    )


def ces(
    scores: Any,
    *,
    weights: Any = None,
    confidence: float = 0.95,
    method: str = "wilson",
    easy: Iterable[float] = (5, 6, 7),
) -> Estimate:
    """Customer Effort Score 2.0: % of 1–7 answers that are "easy" (5–7), ``metric="ces_easy"``.

    See :func:`top_box` for the parameters and the interval methods.
    """
    return top_box(
        scores,
        top=easy,
        weights=weights,
        confidence=confidence,
        method=method,
        metric="ces_easy",
        scale=(1, 7),
    )


def _mean_estimate(sample: Sample, confidence: float, metric: str = "mean") -> Estimate:
    mean, sd, n_eff = sample.mean(), sample.sd(), sample.n_effective
    low, high = t_interval(mean, sd, n_eff, confidence=confidence)
    return Estimate(
        mean,
        float(low),
        float(high),
        sample.n,
        confidence,
        "t",
        metric=metric,
        n_effective=n_eff,
        weighted=sample.weighted,
    )


def mean_rating(
    scores: Any,
    *,
    weights: Any = None,
    confidence: float = 0.95,
    scale: tuple[float, float] | None = None,
) -> Estimate:
    """Mean rating with a Student t interval (``metric="mean"``, ``method="t"``).

    Parameters
    ----------
    scores : array-like of numbers
        Ratings; missing values are excluded and not counted.
    weights : array-like, optional
        Non-negative weights. The mean is weighted; its standard error is
        ``s_w / sqrt(n_eff)`` with the weighted SD ``s_w`` (Bessel-corrected on n_eff)
        and df = n_eff − 1 (Kish approximation, not R survey's linearised SE).
    confidence : float
        Two-sided confidence level.
    scale : (low, high), optional
        When given, every answer must lie in this range.

    Returns
    -------
    Estimate
        Bounds are NaN when fewer than two answers (n_eff ≤ 1).

    References
    ----------
    Student (1908); Kish (1965), *Survey Sampling*, 11.7. Unweighted results equal R's
    ``t.test`` (tests/reference/test_proportions_means.py).
    """
    confidence = check_confidence(confidence)
    if scale is not None and (
        not isinstance(scale, tuple) or len(scale) != 2 or not scale[0] < scale[1]
    ):
        raise ValueError(f"scale must be a (low, high) tuple with low < high, got {scale!r}")
    return _mean_estimate(prepare_sample(scores, weights=weights, scale=scale), confidence)


def ces_mean(scores: Any, *, weights: Any = None, confidence: float = 0.95) -> Estimate:
    """Mean CES on the 1–7 scale with a t interval; answers must be whole numbers 1–7.

    The estimate's ``metric`` is ``"ces_mean"`` (``method="t"``), as in
    :func:`metric_by`'s ``"ces_mean"`` rows. See :func:`mean_rating` for the interval.
    """
    confidence = check_confidence(confidence)
    sample = prepare_sample(scores, weights=weights, scale=(1, 7), integer=True)
    return _mean_estimate(sample, confidence, metric="ces_mean")


# Internal column names of the grouped computation; the prefix avoids clashes with `by`.
_N, _W, _W2, _A, _B, _M = ("_cx_n", "_cx_w", "_cx_w2", "_cx_a", "_cx_b", "_cx_m")


def _check_columns(frame: pd.DataFrame, names: list[str], argument: str) -> None:
    missing = [c for c in names if c not in frame.columns]
    if missing:
        raise DataError(f"{argument}: column(s) {missing} not in the frame {list(frame.columns)}")


def metric_by(
    frame: pd.DataFrame,
    metric: str,
    *,
    by: str | list[str],
    weights: str | None = None,
    confidence: float = 0.95,
    min_base: float = 30,
    column: str | None = None,
    method: str | None = None,
) -> pd.DataFrame:
    """A metric with its interval for every group, as a tidy frame.

    Computed from group sums in one ``groupby`` (closed-form variances), so it stays fast
    for many groups; the numbers equal those of :func:`nps`, :func:`csat`, :func:`ces`,
    :func:`ces_mean` and :func:`mean_rating` on each group.

    Parameters
    ----------
    frame : DataFrame
        Responses, one row each.
    metric : {"nps", "csat", "ces", "ces_mean", "mean"}
        The metric to compute.
    by : str or list of str
        Grouping column(s); an empty list gives one overall row.
    weights : str, optional
        Name of a weight column (non-negative; must be present where the score is).
    confidence : float
        Two-sided confidence level.
    min_base : float
        Groups whose effective base is below this are flagged ``low_base``.
    column : str, optional
        Score column; defaults to ``nps``, ``csat`` or ``ces`` after the metric, and is
        required for ``"mean"``.
    method : str, optional
        Interval method; defaults to ``"adjusted-wald"`` for NPS, ``"wilson"`` for shares
        and ``"t"`` (the only one) for means.

    Returns
    -------
    DataFrame
        One row per observed group, sorted by the group keys (categorical order is kept,
        missing keys form their own group, last), columns ``<by...>, metric, value, ci_low,
        ci_high, n, n_effective, confidence, method, low_base`` with ``low_base =
        n_effective < min_base``. A group with no valid answers keeps its row, with
        ``n = 0`` and NaN value and bounds.

    Raises
    ------
    DataError
        For missing columns or bad scores or weights (naming the column).
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    spec = metric_spec(metric)
    confidence = check_confidence(confidence)
    by_cols = [by] if isinstance(by, str) else list(by)
    _check_columns(frame, by_cols, "by")
    column = column if column is not None else spec.column
    if column is None:
        raise ValueError(f"column is required for metric {metric!r}")
    _check_columns(frame, [column], "column")
    if weights is not None:
        _check_columns(frame, [weights], "weights")
    if isinstance(min_base, bool) or not isinstance(min_base, (int, float)) or min_base < 0:
        raise ValueError(f"min_base must be a non-negative number, got {min_base!r}")
    allowed = {"nps": NPS_METHODS, "proportion": PROPORTION_METHODS, "mean": ("t",)}[spec.kind]
    method = spec.method if method is None else method
    if method not in allowed:
        raise ValueError(f"method must be one of {list(allowed)} for {metric!r}, got {method!r}")

    try:
        x = clean_scores(
            frame[column], name=f"column {column!r}", scale=spec.scale, integer=spec.integer
        )
        valid = ~np.isnan(x)
        w = np.zeros(x.size)
        if weights is None:
            w[valid] = 1.0
        else:
            w[valid] = validate_weights(frame[weights], name=f"column {weights!r}", where=valid)
    except ValueError as err:
        raise DataError(str(err)) from None
    x0 = np.where(valid, x, 0.0)
    work = frame[by_cols].copy()
    work[_N] = valid.astype("int64")
    work[_W] = w
    work[_W2] = w**2
    if spec.kind == "nps":
        work[_A] = w * (x0 >= 9)
        work[_B] = w * (valid & (x0 <= 6))
    elif spec.kind == "proportion":
        work[_A] = w * np.isin(x0, np.asarray(spec.top, dtype="float64"))
    else:
        work[_A] = w * x0

    def grouped(columns: list[str]) -> Any:
        return work.groupby(by_cols, sort=True, observed=True, dropna=False)[columns]

    columns = [_N, _W, _W2, _A, *([_B] if spec.kind == "nps" else [])]
    sums = grouped(columns).sum() if by_cols else work[columns].sum().to_frame().T
    if spec.kind == "mean":
        # Two passes (deviations from each group's mean) rather than Σwx² − (Σwx)²/Σw,
        # which loses precision when the variance is small next to the mean.
        if by_cols:
            totals = grouped([_A, _W]).transform("sum")
            group_mean = (totals[_A] / totals[_W]).to_numpy(dtype="float64", na_value=np.nan)
        else:
            total_w = float(work[_W].sum())
            group_mean = np.full(len(work), work[_A].sum() / total_w if total_w > 0 else np.nan)
        work[_M] = np.nan_to_num(w * (x0 - group_mean) ** 2, nan=0.0)
        sums[_M] = grouped([_M]).sum()[_M] if by_cols else work[_M].sum()

    n = sums[_N].to_numpy(dtype="int64")
    sw = sums[_W].to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = np.where(sw > 0, sw**2 / sums[_W2].to_numpy(dtype="float64"), 0.0)
        a = sums[_A].to_numpy(dtype="float64") / sw
        if spec.kind == "nps":
            b = sums[_B].to_numpy(dtype="float64") / sw
            value = 100.0 * (a - b)
            low, high = nps_interval(a, b, n_eff, confidence=confidence, method=method)
        elif spec.kind == "proportion":
            value = 100.0 * a
            low, high = proportion_interval(a, n_eff, confidence=confidence, method=method)
        else:
            value = a
            var = sums[_M].to_numpy(dtype="float64") / sw * n_eff / (n_eff - 1.0)
            low, high = t_interval(
                a, np.sqrt(np.where(n_eff > 1, var, np.nan)), n_eff, confidence=confidence
            )
    value = np.where(n > 0, value, np.nan)

    out = sums.index.to_frame(index=False) if by_cols else pd.DataFrame(index=range(1))
    out["metric"] = spec.name
    out["value"] = value
    out["ci_low"] = low
    out["ci_high"] = high
    out["n"] = n
    out["n_effective"] = n_eff
    out["confidence"] = confidence
    out["method"] = method
    out["low_base"] = n_eff < min_base
    return out
