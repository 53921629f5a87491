"""CX metrics with confidence intervals: NPS, CSAT top-2-box, CES, mean ratings.

Each metric returns an :class:`~cxresearch.results.Estimate` that carries its interval and
bases; :func:`metric_by` returns the same numbers for many groups as a tidy frame. Every
function here goes through the one registry (:mod:`cxresearch.stats.registry`): the
metric's scores, its design-based variance and its interval family live there.

Scores are validated at the boundary: out-of-range or non-integer answers raise
``ValueError`` naming the argument (or column) and the bad values; missing answers are
excluded and the base ``n`` counts only the answers used.

Weights are analysis weights. With weights, shares and means are weighted and variances
are linearised (Taylor) as in R's ``survey``: weights-only design for a plain array, the
raked design for weights made by :func:`~cxresearch.stats.raking.rake` (see
:mod:`cxresearch.stats.design`); ``ids=`` declares clusters (a respondent in several
pooled waves). ``n_effective`` on every result is Kish's effective base.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from cxresearch.errors import DataError
from cxresearch.results import Estimate
from cxresearch.stats.design import Design, make_design
from cxresearch.stats.intervals import check_confidence
from cxresearch.stats.registry import REGISTRY, MeanMetric, Metric, ShareMetric, Summary, get_metric

__all__ = [
    "METRICS",
    "STAT_COLUMNS",
    "ces",
    "ces_mean",
    "clean_scores",
    "csat",
    "estimate",
    "estimate_from_summary",
    "mean_rating",
    "metric_by",
    "nps",
    "prepare",
    "top_box",
]

#: Statistics columns of :func:`metric_by` (after the grouping columns), in order.
STAT_COLUMNS = (
    "metric",
    "value",
    "ci_low",
    "ci_high",
    "n",
    "weighted_n",
    "n_effective",
    "se",
    "df",
    "confidence",
    "method",
    "design",
    "low_base",
)

#: The registry of metrics (name -> :class:`~cxresearch.stats.registry.Metric`).
METRICS = REGISTRY


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

    def rows(mask: Any) -> str:
        return f" (first rows {series.index[np.asarray(mask)][:5].tolist()})"

    if pd.api.types.is_numeric_dtype(series.dtype):
        # Numbers already (float, int, nullable Int64): nothing to coerce, one conversion.
        values = series.to_numpy(dtype="float64", na_value=np.nan)
    else:
        # Text is refused even when it looks like a number ("7"): a score column read as
        # text points at a loading or mapping problem that should be fixed where it happens.
        not_numeric = series.map(lambda v: isinstance(v, (str, bytes, bool, np.bool_)))
        numeric = pd.to_numeric(series.mask(not_numeric), errors="coerce")
        not_numeric |= numeric.isna() & series.notna()
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


def prepare(
    metric: Metric,
    scores: Any,
    *,
    weights: Any = None,
    ids: Any = None,
    name: str = "scores",
    weights_name: str = "weights",
) -> tuple[np.ndarray, Design]:
    """Validate answers (and weights, clusters) and keep the answered rows.

    Returns the answers without missing values and the :class:`~cxresearch.stats.design.Design`
    of those rows. Raises ``ValueError`` naming ``name``/``weights_name`` for bad values,
    mismatched lengths, no answers, or weights that are all zero on the answered rows.
    """
    values = clean_scores(scores, name=name, scale=metric.scale, integer=metric.integer)
    valid = ~np.isnan(values)
    if not valid.any():
        raise ValueError(f"{name} has no non-missing values (length {values.size})")
    index = scores.index if isinstance(scores, pd.Series) else None
    design = make_design(
        weights,
        length=values.size,
        valid=valid,
        ids=ids,
        name=weights_name,
        index=index,
    )
    return values[valid], design


def estimate_from_summary(
    metric: Metric, summary: Summary, *, confidence: float, method: str | None = None
) -> Estimate:
    """The :class:`Estimate` of a one-group :class:`Summary`."""
    method = metric.check_method(method)
    low, high = metric.interval(summary, confidence=confidence, method=method)
    return Estimate(
        float(summary.value[0]),
        float(low[0]),
        float(high[0]),
        int(summary.n[0]),
        confidence,
        method,
        metric=metric.name,
        n_effective=float(summary.n_effective[0]),
        weighted=summary.weighted,
        weighted_n=float(summary.weighted_n[0]),
        se=float(metric.factor * np.sqrt(summary.var[0])),
        df=float(summary.df[0]),
        design=summary.design,
    )


def estimate(
    metric: Any,
    scores: Any,
    *,
    weights: Any = None,
    ids: Any = None,
    confidence: float = 0.95,
    method: str | None = None,
) -> Estimate:
    """Any registered metric of ``scores`` with its interval (the generic form of :func:`nps`).

    Parameters
    ----------
    metric : str or Metric
        A name in :data:`METRICS` (``"nps"``, ``"csat"``, ``"ces"``, ``"ces_mean"``,
        ``"mean"``, ...) or a :class:`~cxresearch.stats.registry.Metric`.
    scores : array-like
        Answers; missing values are excluded.
    weights : array-like or Series, optional
        Analysis weights; a Series from :func:`cxresearch.rake` gives the raked design.
    ids : array-like, optional
        Cluster of every answer (respondents over pooled waves).
    confidence : float
        Two-sided confidence level.
    method : str, optional
        Interval method of the metric's family (default: the metric's).

    Examples
    --------
    >>> round(estimate("nps", [10, 9, 7, 3, 10]).value, 1)
    40.0
    """
    spec = get_metric(metric)
    confidence = check_confidence(confidence)
    method = spec.check_method(method)
    x, design = prepare(spec, scores, weights=weights, ids=ids)
    return estimate_from_summary(
        spec, spec.summarize(x, design), confidence=confidence, method=method
    )


def nps(
    scores: Any,
    *,
    weights: Any = None,
    ids: Any = None,
    confidence: float = 0.95,
    method: str = "adjusted-wald",
) -> Estimate:
    """Net Promoter Score with a confidence interval, on the −100..100 scale.

    NPS = % promoters (9–10) − % detractors (0–6).

    Parameters
    ----------
    scores : array-like of int 0–10
        Likelihood-to-recommend answers; missing values are excluded and not counted.
    weights : array-like or Series, optional
        Non-negative weights, one per score. Shares are weighted and the variance is
        linearised: the weights-only design (R ``svydesign(ids = ~1, weights = ~w)``), or
        the raked design for weights from :func:`cxresearch.rake`. The adjusted-Wald
        interval then uses the design's effective n (see :mod:`cxresearch.stats.registry`).
    ids : array-like, optional
        Cluster of every score (a respondent answering several pooled waves).
    confidence : float
        Two-sided confidence level.
    method : {"adjusted-wald", "wald"}
        Interval method, see :func:`cxresearch.stats.intervals.nps_interval`; the
        quantile is t on the design's df (n − 1 unweighted; see
        :mod:`cxresearch.stats.registry`), so a single answer has no interval. The
        adjusted-Wald interval is centred on the adjusted score, so it is not symmetric
        around ``value``; small bases are flagged as low by :func:`metric_by`. Both are
        clipped to [−100, 100].

    Returns
    -------
    Estimate
        ``metric="nps"``; ``se`` is the design-based SE of the NPS in points.

    Examples
    --------
    >>> est = nps([10, 9, 9, 8, 7, 6, 3, 10, 9, 0])
    >>> round(est.value, 1), est.n
    (20.0, 10)

    References
    ----------
    Rocks, B. (2016). Interval estimation for the "Net Promoter Score". *The American
    Statistician* 70(4), 365–372. Validated in tests/reference/test_nps.py and, weighted
    and raked, against R ``survey`` in tests/reference/test_design.py.
    """
    return estimate("nps", scores, weights=weights, ids=ids, confidence=confidence, method=method)


def top_box(
    scores: Any,
    *,
    top: Iterable[float],
    weights: Any = None,
    ids: Any = None,
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
    weights : array-like or Series, optional
        Non-negative weights; the share is weighted and its variance linearised.
    ids : array-like, optional
        Cluster of every answer.
    confidence : float
        Two-sided confidence level.
    method : {"wilson", "wald", "agresti-coull"}
        Wilson (default; R ``prop.test(correct = FALSE)``), Wald or Agresti–Coull, on the
        design's effective n when weighted.
    metric : str
        Name stored on the result.
    scale : (low, high), optional
        When given, answers must be whole numbers in this range and ``top`` must lie in it.

    Returns
    -------
    Estimate
        Value and bounds in percent (0..100).

    Examples
    --------
    >>> top_box([5, 4, 3, 5], top=(4, 5)).value
    75.0

    References
    ----------
    Wilson (1927); Agresti & Coull (1998); Brown, Cai & DasGupta (2001).
    """
    top_values = _check_top(top, scale)
    spec = ShareMetric(
        metric, scale=scale, integer=scale is not None, top=tuple(top_values.tolist())
    )
    return estimate(spec, scores, weights=weights, ids=ids, confidence=confidence, method=method)


def csat(
    scores: Any,
    *,
    weights: Any = None,
    ids: Any = None,
    confidence: float = 0.95,
    method: str = "wilson",
    top: Iterable[float] = (4, 5),
) -> Estimate:
    """CSAT top-2-box: % of 1–5 answers that are 4 or 5 (``metric="csat_top2"``).

    See :func:`top_box` for the parameters and the interval methods.

    Examples
    --------
    >>> csat([5, 4, 3, 2]).value
    50.0
    """
    return top_box(
        scores,
        top=top,
        weights=weights,
        ids=ids,
        confidence=confidence,
        method=method,
        metric="csat_top2",
        scale=(1, 5),
    )


def ces(
    scores: Any,
    *,
    weights: Any = None,
    ids: Any = None,
    confidence: float = 0.95,
    method: str = "wilson",
    easy: Iterable[float] = (5, 6, 7),
) -> Estimate:
    """Customer Effort Score 2.0: % of 1–7 answers that are "easy" (5–7), ``metric="ces_easy"``.

    See :func:`top_box` for the parameters and the interval methods.

    Examples
    --------
    >>> ces([7, 5, 2, 1]).value
    50.0
    """
    return top_box(
        scores,
        top=easy,
        weights=weights,
        ids=ids,
        confidence=confidence,
        method=method,
        metric="ces_easy",
        scale=(1, 7),
    )


def mean_rating(
    scores: Any,
    *,
    weights: Any = None,
    ids: Any = None,
    confidence: float = 0.95,
    scale: tuple[float, float] | None = None,
    method: str | None = None,
) -> Estimate:
    """Mean rating with Hall's skewness-corrected t interval (``metric="mean"``).

    Parameters
    ----------
    scores : array-like of numbers
        Ratings; missing values are excluded and not counted.
    weights : array-like or Series, optional
        Non-negative weights. The mean is weighted; its SE is the linearised design SE
        (R ``svymean``) with df = n − 1 (clusters − 1 with ``ids``).
    ids : array-like, optional
        Cluster of every answer.
    confidence : float
        Two-sided confidence level.
    scale : (low, high), optional
        When given, every answer must lie in this range.
    method : {"hall", "t"}, optional
        ``"hall"`` (default): Hall's (1992) transformation of the studentised mean, which
        removes the skewness of ratings piled up at one end of the scale (the plain t
        interval covers about 92 % there at n = 30; docs/coverage.md); its skewness is the
        design-based one of the estimator (:meth:`~cxresearch.stats.design.Design.skewness`).
        ``"t"``: Student t, R ``t.test`` / ``svymean`` + ``confint(df = degf)``.

    Returns
    -------
    Estimate
        Bounds are NaN when fewer than two answers.

    Examples
    --------
    >>> x = [5, 5, 4, 5, 3, 5, 5, 4, 2, 5, 4, 5, 5, 3, 5, 4, 5, 5, 4, 5]
    >>> est = mean_rating(x, scale=(1, 5))
    >>> est.value, est.method, round(est.ci_low, 2), round(est.ci_high, 2)
    (4.4, 'hall', 3.83, 4.74)
    >>> t = mean_rating(x, method="t")
    >>> round(t.ci_low, 2), round(t.ci_high, 2)
    (3.99, 4.81)

    References
    ----------
    Hall, P. (1992). On the removal of skewness by transformation. *JRSS B* 54, 221–228
    (tests/reference/test_hall.py, computed in R). Student (1908): ``method="t"`` equals
    R's ``t.test`` (tests/reference/test_proportions_means.py); weighted, R's ``svymean``
    (tests/reference/test_design.py).
    """
    if scale is not None and (
        not isinstance(scale, tuple) or len(scale) != 2 or not scale[0] < scale[1]
    ):
        raise ValueError(f"scale must be a (low, high) tuple with low < high, got {scale!r}")
    spec = MeanMetric("mean", scale=scale)
    return estimate(spec, scores, weights=weights, ids=ids, confidence=confidence, method=method)


def ces_mean(
    scores: Any,
    *,
    weights: Any = None,
    ids: Any = None,
    confidence: float = 0.95,
    method: str | None = None,
) -> Estimate:
    """Mean CES on the 1–7 scale with Hall's skewness-corrected t interval (``method=
    "t"``: Student t); answers must be whole numbers 1–7.

    The estimate's ``metric`` is ``"ces_mean"``, as in :func:`metric_by`'s ``"ces_mean"``
    rows. See :func:`mean_rating` for the interval.

    Examples
    --------
    >>> ces_mean([7, 5, 6]).value
    6.0
    """
    return estimate(
        "ces_mean", scores, weights=weights, ids=ids, confidence=confidence, method=method
    )


def _check_columns(frame: pd.DataFrame, names: list[str], argument: str) -> None:
    missing = [c for c in names if c not in frame.columns]
    if missing:
        raise DataError(f"{argument}: column(s) {missing} not in the frame {list(frame.columns)}")


def frame_weights(frame: pd.DataFrame, weights: Any) -> Any:
    """The weights a frame-level function was given: a column's values or a Series.

    A Series (e.g. from :func:`cxresearch.rake`) is aligned to ``frame``'s index and keeps
    its calibration; a column name gives that column (a plain weights-only design).
    """
    if weights is None:
        return None
    if isinstance(weights, pd.Series):
        if not weights.index.equals(frame.index):
            missing = frame.index.difference(weights.index)
            if len(missing):
                raise DataError(f"weights: no weight for rows {missing[:5].tolist()}")
            aligned = weights.loc[frame.index]
            aligned.attrs = weights.attrs
            return aligned
        return weights
    if isinstance(weights, str):
        _check_columns(frame, [weights], "weights")
        return frame[weights]
    raise TypeError(
        f"weights must be a column name or a pandas Series, got {type(weights).__name__}"
    )


def metric_by(
    frame: pd.DataFrame,
    metric: str | Metric,
    *,
    by: str | list[str],
    weights: str | pd.Series | None = None,
    ids: str | None = None,
    confidence: float = 0.95,
    min_base: float = 30,
    column: str | None = None,
    method: str | None = None,
) -> pd.DataFrame:
    """A metric with its interval for every group, as a tidy frame.

    Computed from group sums in one pass for unweighted and weights-only data; the
    numbers equal those of :func:`estimate` (:func:`nps`, :func:`csat`, ...) on each group.
    For a raked or clustered design each group is a domain of the whole sample (R
    ``svyby``), which the single-sample functions also give for a subset of a raked Series.

    Parameters
    ----------
    frame : DataFrame
        Responses, one row each.
    metric : str
        A registered metric (``"nps"``, ``"csat"``, ``"ces"``, ``"ces_mean"``, ``"mean"``, ...).
    by : str or list of str
        Grouping column(s); an empty list gives one overall row.
    weights : str or Series, optional
        A weight column, or a weights Series indexed like ``frame`` (a raked Series keeps
        its calibration this way; a column of a frame does not).
    ids : str, optional
        Cluster column (respondent over pooled waves).
    confidence : float
        Two-sided confidence level.
    min_base : float
        Groups whose effective base is below this are flagged ``low_base``.
    column : str, optional
        Score column; defaults to the metric's column, required for ``"mean"``.
    method : str, optional
        Interval method; defaults to the metric's.

    Returns
    -------
    DataFrame
        One row per observed group, sorted by the group keys (categorical order is kept,
        missing keys form their own group, last), columns ``<by...>, metric, value, ci_low,
        ci_high, n, weighted_n, n_effective, se, df, confidence, method, design,
        low_base`` with ``low_base = n_effective < min_base``. A group with no valid
        answers keeps its row, with ``n = 0`` and NaN value and bounds.

    Raises
    ------
    DataError
        For missing columns or bad scores or weights (naming the column).

    Examples
    --------
    >>> df = pd.DataFrame({"g": ["a", "a", "b"], "nps": [10, 0, 9]})
    >>> metric_by(df, "nps", by="g")["value"].tolist()
    [0.0, 100.0]
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    spec = get_metric(metric)
    confidence = check_confidence(confidence)
    by_cols = [by] if isinstance(by, str) else list(by)
    _check_columns(frame, by_cols, "by")
    column = column if column is not None else spec.column
    if column is None:
        raise ValueError(f"column is required for metric {metric!r}")
    _check_columns(frame, [column], "column")
    if ids is not None:
        _check_columns(frame, [ids], "ids")
    if isinstance(min_base, bool) or not isinstance(min_base, (int, float)) or min_base < 0:
        raise ValueError(f"min_base must be a non-negative number, got {min_base!r}")
    method = spec.check_method(method)
    given = frame_weights(frame, weights)
    wname = f"column {weights!r}" if isinstance(weights, str) else "weights"
    try:
        x = clean_scores(
            frame[column], name=f"column {column!r}", scale=spec.scale, integer=spec.integer
        )
        valid = ~np.isnan(x)
        if given is not None and not valid.any():
            design = Design(np.zeros(0), True)
        else:
            design = make_design(
                given,
                length=x.size,
                valid=valid,
                ids=None if ids is None else frame[ids],
                name=wname,
                ids_name=f"column {ids!r}",
                index=frame.index,
            )
    except ValueError as err:
        raise DataError(str(err)) from None

    if by_cols:
        keys = frame[by_cols].copy()
        grouped = keys.groupby(by_cols, sort=True, observed=True, dropna=False)
        group_index = grouped.ngroup().to_numpy()
        out = grouped.size().index.to_frame(index=False)
        k = len(out)
    else:
        group_index = np.zeros(len(frame), dtype="int64")
        out = pd.DataFrame(index=range(1))
        k = 1
    summary = spec.summarize(x[valid], design, group_index[valid].astype("int64"), k)
    low, high = spec.interval(summary, confidence=confidence, method=method)
    out["metric"] = spec.name
    out["value"] = np.where(summary.n > 0, summary.value, np.nan)
    out["ci_low"] = low
    out["ci_high"] = high
    out["n"] = summary.n
    out["weighted_n"] = summary.weighted_n
    out["n_effective"] = summary.n_effective
    out["se"] = spec.factor * np.sqrt(summary.var)
    out["df"] = summary.df
    out["confidence"] = confidence
    out["method"] = method
    out["design"] = summary.design
    out["low_base"] = summary.n_effective < min_base
    return out
