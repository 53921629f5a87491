"""Comparisons with targets and norms: is the result above its target, above the industry?

A CX result means little on its own; the report sets it against the targets a client
has agreed for a target group × touchpoint, and against published norms (an industry
NPS, a competitor's CSAT). This module does both on the responses of one wave:

- :func:`target_results` — each target tested with
  :func:`~cxresearch.stats.inference.compare_to_target` on the rows it applies to
  (:func:`target_rows`), with a status read from the two-sided test.
- :func:`benchmark_results` — each norm tested with
  :func:`~cxresearch.stats.inference.compare_groups` against a sample rebuilt from its
  published figures (:func:`norm_sample`, :func:`compare_to_norm`).
- :func:`metric_estimate` — a metric by name that gives an empty estimate, not an error,
  when a group has no answers (a target group may be empty in a segment run).

Pure: frames in, tidy frames out, no I/O, no wording. The targets' and norms' names come
from the caller (``RunSession`` words them in the report language).

References
----------
Rocks, B. (2016). Interval estimation for the "Net Promoter Score". *The American
Statistician* 70(4), 365–372.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from cxresearch.results import Comparison, Estimate
from cxresearch.stats import metrics as _metrics
from cxresearch.stats.inference import compare_groups, compare_to_target

__all__ = [
    "BENCHMARK_COLUMNS",
    "SCORE_COLUMNS",
    "TARGET_COLUMNS",
    "benchmark_results",
    "compare_to_norm",
    "metric_estimate",
    "norm_sample",
    "target_results",
    "target_rows",
]

#: Metric → the score column it is computed from (``"ces_mean"`` reads ``ces``).
SCORE_COLUMNS = {
    name: spec.column for name, spec in _metrics.METRICS.items() if spec.column is not None
}
# The metrics a norm can be rebuilt for from its published value and n: a share fixes the
# sample, an NPS a conservative one (see norm_sample); a mean would need its SD as well.
_NORM_METRICS = ("nps", "csat", "ces")

#: Columns of :func:`target_results`, in order.
TARGET_COLUMNS = [
    "label",
    "metric",
    "touchpoint",
    "segment",
    "target",
    "value",
    "ci_low",
    "ci_high",
    "n",
    "n_effective",
    "difference",
    "diff_ci_low",
    "diff_ci_high",
    "statistic",
    "pvalue",
    "test",
    "effect_size",
    "effect_size_name",
    "status",
]
#: Columns of :func:`benchmark_results`, in order.
BENCHMARK_COLUMNS = [
    "name",
    "metric",
    "value",
    "ci_low",
    "ci_high",
    "n",
    "client_value",
    "client_ci_low",
    "client_ci_high",
    "client_n",
    "difference",
    "diff_ci_low",
    "diff_ci_high",
    "pvalue",
    "test",
    "effect_size",
    "effect_size_name",
]
_NAN = float("nan")


def _check_metric(metric: Any) -> str:
    if metric not in SCORE_COLUMNS:
        raise ValueError(f"metric must be one of {sorted(SCORE_COLUMNS)}, got {metric!r}")
    return str(metric)


def _check_columns(frame: Any, columns: Sequence[str], argument: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{argument} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in dict.fromkeys(columns) if c not in frame.columns]
    if missing:
        raise ValueError(f"{argument} lacks column(s) {missing}")


def metric_estimate(
    scores: Any, metric: str, *, weights: Any = None, confidence: float = 0.95
) -> Estimate:
    """One metric by name, or an empty estimate when there are no answers.

    Parameters
    ----------
    scores : array-like
        Answers on the metric's scale; missing answers are left out.
    metric : {"nps", "csat", "ces", "ces_mean"}
        :func:`~cxresearch.stats.metrics.nps`, :func:`~cxresearch.stats.metrics.csat`,
        :func:`~cxresearch.stats.metrics.ces` or :func:`~cxresearch.stats.metrics.ces_mean`.
    weights : array-like, optional
        One weight per score (those of missing answers are ignored).
    confidence : float
        Two-sided confidence level.

    Returns
    -------
    Estimate
        The metric's estimate; without any answer, ``n = 0``, ``n_effective = 0`` and NaN
        value and bounds (the metric functions refuse an empty sample, but a report table
        should say "no responses" rather than stop).
    """
    name = _check_metric(metric)
    values = scores if isinstance(scores, pd.Series) else pd.Series(scores)
    valid = values.notna().to_numpy(dtype=bool)
    if not valid.any():
        spec = _metrics.metric_spec(name)
        return Estimate(_NAN, _NAN, _NAN, 0, confidence, "", metric=spec.name, n_effective=0.0)
    kept = None
    if weights is not None:
        given = weights if isinstance(weights, pd.Series) else pd.Series(np.asarray(weights))
        if len(given) != len(values):
            raise ValueError(
                f"weights must have one value per score ({len(values)}), got {len(given)}"
            )
        kept = given[valid]
    function = getattr(_metrics, name)
    result: Estimate = function(values[valid], weights=kept, confidence=confidence)
    return result


def target_rows(
    responses: pd.DataFrame,
    *,
    touchpoint: str | None = None,
    segment: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """The rows a target applies to: its touchpoint and every ``segment`` column value.

    Parameters
    ----------
    responses : DataFrame
        Responses, one row each (usually the current wave).
    touchpoint : str, optional
        Value of the ``touchpoint`` column; None for every touchpoint.
    segment : mapping, optional
        Column → value, e.g. ``{"customer_type": "current"}``.

    Returns
    -------
    DataFrame
        The matching rows (a missing value matches nothing).
    """
    where: dict[str, Any] = dict(segment or {})
    if touchpoint is not None:
        where["touchpoint"] = touchpoint
    _check_columns(responses, list(where), "responses")
    mask = np.ones(len(responses), dtype=bool)
    for column, value in where.items():
        mask &= (responses[column] == value).to_numpy(dtype=bool, na_value=False)
    return responses[mask]


def _scores_and_weights(
    rows: pd.DataFrame, metric: str, weights: str | None
) -> tuple[pd.Series, pd.Series | None]:
    column = SCORE_COLUMNS[metric]
    valid = rows[rows[column].notna()]
    return valid[column], (valid[weights] if weights is not None else None)


def target_results(
    responses: pd.DataFrame,
    targets: Sequence[Mapping[str, Any]],
    *,
    weights: str | None = None,
    confidence: float = 0.95,
    suppress_below: float = 15,
) -> pd.DataFrame:
    """Every target against the responses, with a test and a status.

    Parameters
    ----------
    responses : DataFrame
        Responses of the wave the targets are for, with the score columns (``nps``,
        ``csat``, ``ces``) and the targets' touchpoint and segment columns.
    targets : sequence of mappings
        One per target: ``metric`` (``"nps"``, ``"csat"``, ``"ces"``, ``"ces_mean"``),
        ``value`` (on the metric's scale), and optionally ``touchpoint``, ``segment``
        (column → value) and ``label`` (its name in the report, passed through).
    weights : str, optional
        Name of a weight column.
    confidence : float
        Two-sided confidence level of the intervals; a test is significant when its
        p-value is below ``1 − confidence``.
    suppress_below : float
        A base (effective n when weighted) below this is not tested. The report passes
        :func:`cxresearch.present.format.suppress_threshold` of its ``min_base``; the
        default 15 is that of the default ``min_base`` 30.

    Returns
    -------
    DataFrame
        One row per target, in order: ``label, metric, touchpoint, segment, target, value,
        ci_low, ci_high, n, n_effective, difference, diff_ci_low, diff_ci_high, statistic,
        pvalue, test, effect_size, effect_size_name, status``. ``status`` reads the
        two-sided test: ``met`` when the result is significantly above the target,
        ``not_met`` when significantly below, ``inconclusive`` when the interval of the
        gap contains zero; ``no_data`` (no answers) and ``suppressed`` (base below
        ``suppress_below``) rows are not tested and have NaN test columns.
    """
    columns = [SCORE_COLUMNS[_check_metric(t.get("metric"))] for t in targets]
    _check_columns(responses, columns + ([weights] if weights else []), "responses")
    records = []
    for target in targets:
        metric = str(target["metric"])
        segment = dict(target.get("segment") or {})
        rows = target_rows(responses, touchpoint=target.get("touchpoint"), segment=segment)
        scores, rows_weights = _scores_and_weights(rows, metric, weights)
        est = metric_estimate(scores, metric, weights=rows_weights, confidence=confidence)
        record: dict[str, Any] = {
            "label": target.get("label") or "",
            "metric": est.metric,
            "touchpoint": target.get("touchpoint"),
            "segment": segment,
            "target": target["value"],
            "value": est.value,
            "ci_low": est.ci_low,
            "ci_high": est.ci_high,
            "n": est.n,
            "n_effective": est.n_effective,
            "difference": _NAN,
            "diff_ci_low": _NAN,
            "diff_ci_high": _NAN,
            "statistic": _NAN,
            "pvalue": _NAN,
            "test": "",
            "effect_size": _NAN,
            "effect_size_name": "",
        }
        # The effective base when known, as present.format.base_status reads it.
        base = est.n if np.isnan(est.n_effective) else est.n_effective
        if est.n <= 0:
            record["status"] = "no_data"
        elif base < suppress_below:
            record["status"] = "suppressed"
        else:
            cmp = compare_to_target(
                scores,
                target["value"],
                metric=metric,
                weights=rows_weights,
                confidence=confidence,
            )
            record.update(_comparison_fields(cmp), statistic=cmp.statistic)
            significant = cmp.pvalue < 1.0 - confidence
            record["status"] = (
                "inconclusive" if not significant else "met" if cmp.difference > 0 else "not_met"
            )
        records.append(record)
    return pd.DataFrame(records, columns=TARGET_COLUMNS)


def _comparison_fields(cmp: Comparison) -> dict[str, Any]:
    return {
        "difference": cmp.difference,
        "diff_ci_low": cmp.ci_low,
        "diff_ci_high": cmp.ci_high,
        "pvalue": cmp.pvalue,
        "test": cmp.test,
        "effect_size": cmp.effect_size,
        "effect_size_name": cmp.effect_size_name,
    }


def norm_sample(metric: str, value: float, n: int) -> np.ndarray:
    """Answers reproducing a published norm's figures, for a test against it.

    Parameters
    ----------
    metric : {"nps", "csat", "ces"}
        The norm's metric.
    value : float
        The norm (NPS −100..100, or percent 0..100).
    n : int
        The norm's base.

    Returns
    -------
    numpy.ndarray
        ``n`` answers. For ``"csat"``/``"ces"``: ``round(value/100 · n)`` top answers (5 or
        7) and the rest 1. For ``"nps"``: promoters (10) and detractors (0) in the shares
        ``(1 ± value/100)/2``, rounded to whole respondents; no passives, the largest
        variance an NPS of ``value`` can have (Rocks 2016: ``p + q − (p − q)²`` is largest
        when ``p + q = 1``), so tests against it are conservative.
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if metric == "nps":
        if not -100.0 <= value <= 100.0:
            raise ValueError(f"value for NPS must lie in -100..100, got {value!r}")
        promoters = int(round(n * (1.0 + value / 100.0) / 2.0))
        return np.array([10] * promoters + [0] * (n - promoters), dtype=float)
    if metric in ("csat", "ces"):
        if not 0.0 <= value <= 100.0:
            raise ValueError(f"value for {metric} must lie in 0..100, got {value!r}")
        top = int(round(n * value / 100.0))
        high = 5 if metric == "csat" else 7
        return np.array([high] * top + [1] * (n - top), dtype=float)
    raise ValueError(f"metric must be 'nps', 'csat' or 'ces' for a norm test, got {metric!r}")


def compare_to_norm(
    scores: Any,
    value: float,
    *,
    n: int,
    metric: str = "nps",
    weights: Any = None,
    confidence: float = 0.95,
) -> Comparison:
    """Test the scores against a published norm with base ``n``: scores − norm.

    The norm's answers are rebuilt with :func:`norm_sample` and the two samples compared
    with :func:`~cxresearch.stats.inference.compare_groups`. For a percentage this is
    exactly the two-proportion test on the counts (R's ``prop.test(correct = FALSE)``);
    for NPS, published without its promoter and detractor shares, the rebuilt norm has no
    passives, so the test is conservative (its p-value is never smaller than the test
    with the true shares would give).

    Parameters
    ----------
    scores : array-like
        The client's answers (missing answers are left out).
    value : float
        The norm (NPS −100..100, or percent 0..100).
    n : int
        The norm's base.
    metric : {"nps", "csat", "ces"}
        The metric of the norm.
    weights : array-like, optional
        Weights of ``scores``; the norm's answers then weigh 1 each.
    confidence : float
        Confidence level of the interval of the difference.

    Returns
    -------
    Comparison
        As :func:`~cxresearch.stats.inference.compare_groups`, with ``n_b = n``.
    """
    norm = norm_sample(metric, value, n)
    return compare_groups(
        scores,
        norm,
        metric=metric,
        confidence=confidence,
        weights_a=weights,
        # compare_groups wants both samples weighted or neither.
        weights_b=None if weights is None else np.ones(len(norm)),
    )


def _optional(mapping: Mapping[str, Any], key: str) -> float:
    found = mapping.get(key)
    return _NAN if found is None else found


def benchmark_results(
    responses: pd.DataFrame,
    benchmarks: Sequence[Mapping[str, Any]],
    *,
    weights: str | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """The responses against each norm, tested when the norm's base is known.

    Parameters
    ----------
    responses : DataFrame
        Responses of the wave to compare (the client's current wave).
    benchmarks : sequence of mappings
        One per norm: ``name``, ``metric`` (``"nps"``, ``"csat"``, ``"ces"``,
        ``"ces_mean"``), ``value``, and optionally ``n``, ``ci_low``, ``ci_high`` (the
        norm's published base and interval).
    weights : str, optional
        Name of a weight column.
    confidence : float
        Confidence level of the intervals.

    Returns
    -------
    DataFrame
        One row per norm, in order: ``name, metric, value, ci_low, ci_high, n,
        client_value, client_ci_low, client_ci_high, client_n, difference, diff_ci_low,
        diff_ci_high, pvalue, test, effect_size, effect_size_name``. A norm with ``n`` of
        NPS or a percentage is tested (:func:`compare_to_norm`); otherwise ``difference``
        is the plain gap and the test columns are NaN/empty.
    """
    columns = [SCORE_COLUMNS[_check_metric(b.get("metric"))] for b in benchmarks]
    _check_columns(responses, columns + ([weights] if weights else []), "responses")
    records = []
    for bench in benchmarks:
        metric = str(bench["metric"])
        scores, rows_weights = _scores_and_weights(responses, metric, weights)
        est = metric_estimate(scores, metric, weights=rows_weights, confidence=confidence)
        record: dict[str, Any] = {
            "name": bench["name"],
            "metric": est.metric,
            "value": bench["value"],
            "ci_low": _optional(bench, "ci_low"),
            "ci_high": _optional(bench, "ci_high"),
            "n": _optional(bench, "n"),
            "client_value": est.value,
            "client_ci_low": est.ci_low,
            "client_ci_high": est.ci_high,
            "client_n": est.n,
            "difference": est.value - bench["value"],
            "diff_ci_low": _NAN,
            "diff_ci_high": _NAN,
            "pvalue": _NAN,
            "test": "",
            "effect_size": _NAN,
            "effect_size_name": "",
        }
        if bench.get("n") is not None and est.n > 0 and metric in _NORM_METRICS:
            cmp = compare_to_norm(
                scores,
                bench["value"],
                n=bench["n"],
                metric=metric,
                weights=rows_weights,
                confidence=confidence,
            )
            record.update(_comparison_fields(cmp))
        records.append(record)
    return pd.DataFrame(records, columns=BENCHMARK_COLUMNS)
