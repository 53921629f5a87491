"""Comparisons with targets and norms: is the result above its target, above the industry?

A CX result means little on its own; the report sets it against the targets a client
has agreed for a target group × touchpoint, and against published norms (an industry
NPS, a competitor's CSAT). This module does both on the responses of one wave, through
the metric registry (:mod:`cxresearch.stats.registry`), so every status agrees with the
interval printed beside it:

- :func:`target_results` — each target tested on the rows it applies to
  (:func:`target_rows`) with the test that inverts the metric's interval; the table's
  p-values are adjusted for the number of targets (Benjamini–Hochberg by default) and the
  intervals are at the matching level (:func:`~cxresearch.stats.multiplicity.adjusted_confidence`).
- :func:`benchmark_results` — each norm as a second sample when its base is known
  (:func:`norm_summary`): exact for shares and for an NPS given with its promoter and
  detractor shares; an NPS given as value and n only is tested as if the norm had no
  passives (the largest variance it can have), which is conservative, and the row says
  so (``note``); a norm with an ``se`` is compared with a Wald test; a norm without n is a
  fixed value, tested like a target.
- :func:`metric_estimate` — a metric by name that gives an empty estimate, not an error,
  when a group has no answers (a target group may be empty in a segment run).

Pure: frames in, tidy frames out, no I/O, no wording.

References
----------
Rocks, B. (2016). Interval estimation for the "Net Promoter Score". *The American
Statistician* 70(4), 365–372.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from cxresearch.results import Comparison, Estimate
from cxresearch.stats import metrics as _metrics
from cxresearch.stats.inference import comparison, target_test
from cxresearch.stats.multiplicity import adjust_pvalues, adjusted_confidence, check_adjust
from cxresearch.stats.registry import Metric, Summary, TestResult, get_metric

__all__ = [
    "BENCHMARK_COLUMNS",
    "SCORE_COLUMNS",
    "TARGET_COLUMNS",
    "benchmark_results",
    "compare_to_norm",
    "metric_estimate",
    "norm_summary",
    "target_results",
    "target_rows",
]

#: Metric → the score column it is computed from (``"ces_mean"`` reads ``ces``).
SCORE_COLUMNS = {
    name: spec.column for name, spec in _metrics.METRICS.items() if spec.column is not None
}

_COMPARISON_COLUMNS = {
    "difference": "difference",
    "ci_low": "diff_ci_low",
    "ci_high": "diff_ci_high",
    "statistic": "statistic",
    "pvalue": "pvalue",
    "se": "diff_se",
    "test": "test",
    "effect_size": "effect_size",
    "effect_size_name": "effect_size_name",
}
_ESTIMATE_COLUMNS = ["value", "ci_low", "ci_high", "n", "weighted_n", "n_effective"]
_ADJUST_COLUMNS = ["pvalue_adjusted", "adjust", "interval_level", "significant"]

#: Columns of :func:`target_results`, in order.
TARGET_COLUMNS = [
    "label",
    "metric",
    "touchpoint",
    "segment",
    "target",
    *_ESTIMATE_COLUMNS,
    *_COMPARISON_COLUMNS.values(),
    *_ADJUST_COLUMNS,
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
    *[f"client_{c}" for c in _ESTIMATE_COLUMNS],
    *_COMPARISON_COLUMNS.values(),
    *_ADJUST_COLUMNS,
    "norm_kind",
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


def _summary(metric: Metric, scores: pd.Series, weights: Any) -> tuple[Summary | None, Estimate]:
    """The metric's summary of the answered rows (None when none) and its estimate."""
    valid = scores.notna().to_numpy(dtype=bool)
    if not valid.any():
        empty = Estimate(_NAN, _NAN, _NAN, 0, 0.95, "", metric=metric.name, n_effective=0.0)
        return None, empty
    x, design = _metrics.prepare(
        metric, scores[valid], weights=None if weights is None else weights[valid]
    )
    summary = metric.summarize(x, design)
    return summary, _metrics.estimate_from_summary(metric, summary, confidence=0.95)


def metric_estimate(
    scores: Any, metric: str, *, weights: Any = None, confidence: float = 0.95
) -> Estimate:
    """One metric by name, or an empty estimate when there are no answers.

    Parameters
    ----------
    scores : array-like
        Answers on the metric's scale; missing answers are left out.
    metric : str
        A registered metric with a score column (``"nps"``, ``"csat"``, ``"ces"``,
        ``"ces_mean"``, ...).
    weights : array-like or Series, optional
        One weight per score (those of missing answers are ignored); a raked Series keeps
        its calibration.
    confidence : float
        Two-sided confidence level.

    Returns
    -------
    Estimate
        The metric's estimate; without any answer, ``n = 0``, ``n_effective = 0`` and NaN
        value and bounds (a report table should say "no responses" rather than stop).
    """
    name = _check_metric(metric)
    spec = get_metric(name)
    values = scores if isinstance(scores, pd.Series) else pd.Series(scores)
    valid = values.notna().to_numpy(dtype=bool)
    if not valid.any():
        return Estimate(_NAN, _NAN, _NAN, 0, confidence, "", metric=spec.name, n_effective=0.0)
    kept = None
    if weights is not None:
        given = weights if isinstance(weights, pd.Series) else pd.Series(np.asarray(weights))
        if len(given) != len(values):
            raise ValueError(
                f"weights must have one value per score ({len(values)}), got {len(given)}"
            )
        if not isinstance(weights, pd.Series):
            given.index = values.index
        kept = given[valid]
    return _metrics.estimate(spec, values[valid], weights=kept, confidence=confidence)


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


def _rows_weights(rows: pd.DataFrame, weights: Any) -> Any:
    if weights is None:
        return None
    if isinstance(weights, str):
        return rows[weights]
    aligned = weights.loc[rows.index]
    return aligned


def _adjusted_table(
    table: Callable[[float], list[dict[str, Any]]], adjust: str, confidence: float
) -> pd.DataFrame | None:
    """The records of ``table`` adjusted as one family, intervals at the matching level.

    ``table(level)`` computes every record at a two-sided level; it is called again at the
    adjusted level when that differs, so each interval agrees with its adjusted verdict.
    None when there are no records.
    """
    records = table(confidence)
    if not records:
        return None
    pvalues = np.array([r["pvalue"] for r in records], dtype="float64")
    adjusted = adjust_pvalues(pvalues, adjust)
    level = adjusted_confidence(pvalues, adjust, confidence)
    if level != confidence:
        records = table(level)
    out = pd.DataFrame(records)
    out["pvalue_adjusted"] = adjusted
    out["adjust"] = adjust
    out["interval_level"] = level
    out["significant"] = adjusted < 1.0 - confidence
    return out


def target_results(
    responses: pd.DataFrame,
    targets: Sequence[Mapping[str, Any]],
    *,
    weights: str | pd.Series | None = None,
    confidence: float = 0.95,
    suppress_below: float = 15,
    adjust: str = "bh",
) -> pd.DataFrame:
    """Every target against the responses, with a test and a status.

    Parameters
    ----------
    responses : DataFrame
        Responses of the wave the targets are for, with the score columns (``nps``,
        ``csat``, ``ces``) and the targets' touchpoint and segment columns.
    targets : sequence of mappings
        One per target: ``metric`` (``"nps"``, ``"csat"``, ``"ces"``, ``"ces_mean"``, or
        a registry :class:`~cxresearch.stats.registry.Metric`), ``value`` (on the metric's
        scale), and optionally ``touchpoint``, ``segment`` (column → value), ``label``
        (its name in the report, passed through), ``column`` (the score column, default
        the metric's) and ``direction`` (``"lower"`` when a result below the target meets
        it, e.g. a handling time; default ``"higher"``).
    weights : str or Series, optional
        A weight column, or a weights Series indexed like ``responses`` (a raked Series
        keeps its calibration: each target group is then a domain of the raked sample).
    confidence : float
        Two-sided confidence level; a verdict is significant when its adjusted p-value is
        below ``1 − confidence``.
    suppress_below : float
        A base (effective n when weighted) below this is not tested.
    adjust : {"bh", "holm", "bonferroni", "none"}
        Multiplicity adjustment over the tested targets.

    Returns
    -------
    DataFrame
        One row per target, columns :data:`TARGET_COLUMNS`. ``status`` is ``met`` when the
        result is significantly above the target after adjustment, ``not_met`` when below,
        ``inconclusive`` otherwise; the interval columns are at ``interval_level``, the
        level at which they exclude the target exactly for the met/not-met rows.
        ``no_data`` (no answers) and ``suppressed`` (base below ``suppress_below``) rows
        are not tested and have NaN test columns.
    """
    adjust = check_adjust(adjust)
    columns = [_target_column(t) for t in targets]
    _check_columns(
        responses, columns + ([weights] if isinstance(weights, str) else []), "responses"
    )

    prepared = []
    for target, column in zip(targets, columns, strict=True):
        spec = get_metric(target["metric"])
        segment = dict(target.get("segment") or {})
        # The rows of the columns this target reads (a missing one is still named by
        # target_rows), not a copy of every column of a million rows per target.
        wanted = [column, "touchpoint", *segment, *([weights] if isinstance(weights, str) else [])]
        narrow = responses[[c for c in dict.fromkeys(wanted) if c in responses.columns]]
        rows = target_rows(narrow, touchpoint=target.get("touchpoint"), segment=segment)
        scores = rows[column]
        summary, est = _summary(spec, scores, _rows_weights(rows, weights))
        goal = spec.check_value(target["value"])
        prepared.append((target, spec, segment, summary, est, goal))

    def table(level: float) -> list[dict[str, Any]]:
        records = []
        for target, spec, segment, summary, est, goal in prepared:
            record: dict[str, Any] = {
                "label": target.get("label") or "",
                "metric": spec.name,
                "touchpoint": target.get("touchpoint"),
                "segment": segment,
                "target": target["value"],
                **_estimate_fields(spec, summary, est, level),
                **dict.fromkeys(_COMPARISON_COLUMNS.values(), _NAN),
                "test": "",
                "effect_size_name": "",
            }
            base = est.n if np.isnan(est.n_effective) else est.n_effective
            if summary is None:
                record["status"] = "no_data"
            elif base < suppress_below:
                record["status"] = "suppressed"
            else:
                result = target_test(spec, summary, goal, confidence=level)
                cmp = comparison(
                    spec,
                    result,
                    summary,
                    None,
                    confidence=level,
                    alternative="two-sided",
                    estimate_b=goal,
                    null=goal,
                )
                record.update(_comparison_fields(cmp))
                record["status"] = "tested"
            records.append(record)
        return records

    out = _adjusted_table(table, adjust, confidence)
    if out is None:
        return pd.DataFrame(columns=TARGET_COLUMNS)
    significant = out["significant"].to_numpy()
    tested = out["status"] == "tested"
    # A target on a metric where lower is better (a handling time) is met below it.
    lower = np.array([t.get("direction") == "lower" for t in targets], dtype=bool)
    better = np.where(lower, out["difference"] < 0, out["difference"] > 0)
    out.loc[tested, "status"] = np.where(
        significant[tested.to_numpy()],
        np.where(better[tested.to_numpy()], "met", "not_met"),
        "inconclusive",
    )
    return out.reindex(columns=TARGET_COLUMNS)


def _target_column(target: Mapping[str, Any]) -> str:
    """The score column of a target: its ``column``, else its metric's (by name)."""
    if target.get("column") is not None:
        get_metric(target.get("metric"))  # a name or a registry Metric
        return str(target["column"])
    if isinstance(target.get("metric"), Metric):
        column = target["metric"].column
        if column is None:
            raise ValueError(f"target for metric {target['metric'].name!r} needs a column")
        return str(column)
    return SCORE_COLUMNS[_check_metric(target.get("metric"))]


def _estimate_fields(
    spec: Metric, summary: Summary | None, est: Estimate, level: float, prefix: str = ""
) -> dict[str, Any]:
    if summary is not None:
        est = _metrics.estimate_from_summary(spec, summary, confidence=level)
    return {
        f"{prefix}value": est.value,
        f"{prefix}ci_low": est.ci_low,
        f"{prefix}ci_high": est.ci_high,
        f"{prefix}n": est.n,
        f"{prefix}weighted_n": est.weighted_n if summary is not None else 0.0,
        f"{prefix}n_effective": est.n_effective,
    }


def _comparison_fields(cmp: Comparison) -> dict[str, Any]:
    return {column: getattr(cmp, field) for field, column in _COMPARISON_COLUMNS.items()}


#: How a norm is compared (:func:`norm_summary`), the ``norm_kind`` column of the table.
NORM_KINDS = {
    "sample": "the norm is a second sample (its shares and n are known): an exact comparison",
    "conservative": (
        "NPS norm given as value and n only: tested as if it had no passives, the largest "
        "variance an NPS can have, so the test is conservative"
    ),
    "se": "the norm's published standard error: Wald test on the two SEs",
    "fixed": "no base for the norm: compared as a fixed value, like a target",
}


def norm_summary(
    metric: Any,
    value: float,
    *,
    n: float | None = None,
    promoters: float | None = None,
    detractors: float | None = None,
    se: float | None = None,
) -> tuple[Summary | None, str]:
    """A published norm as a second sample, and how it is treated (:data:`NORM_KINDS`).

    Parameters
    ----------
    metric : str or Metric
        The norm's metric.
    value : float
        The norm on the metric's scale.
    n : float, optional
        The norm's base.
    promoters, detractors : float, optional
        An NPS norm's promoter and detractor shares in percent (with ``n``): the norm is
        then an exact second sample.
    se : float, optional
        The norm's standard error on the metric's scale.

    Returns
    -------
    (Summary or None, kind)
        ``kind`` is ``"sample"``, ``"conservative"`` (an NPS with value and n only: no
        passives assumed), ``"se"`` or ``"fixed"`` (no n and no se: ``None`` summary).
    """
    spec = get_metric(metric)
    value = spec.check_value(value, "norm value")
    if n is not None and not (isinstance(n, (int, float)) and not isinstance(n, bool) and n > 1):
        raise ValueError(f"norm n must be a number above 1, got {n!r}")
    if se is not None:
        if not isinstance(se, (int, float)) or isinstance(se, bool) or not se > 0:
            raise ValueError(f"norm se must be a positive number, got {se!r}")
        base = float(n) if n is not None else np.inf
        theta = value / spec.factor
        var = (se / spec.factor) ** 2
        parts = _norm_parts(spec, theta, None, None)
        return _make_summary(spec, theta, base, var, parts, np.inf if n is None else base - 1), "se"
    if n is None:
        return None, "fixed"
    theta = value / spec.factor
    kind = "sample"
    if spec.family == "mean":
        return None, "fixed"
    if spec.family == "nps":
        if promoters is None or detractors is None:
            kind = "conservative"
            promoters, detractors = 50.0 * (1 + theta), 50.0 * (1 - theta)
        elif abs(promoters - detractors - value) > 0.5:
            raise ValueError(
                f"norm promoters {promoters} − detractors {detractors} must equal its value {value}"
            )
    parts = _norm_parts(spec, theta, promoters, detractors)
    sigma2 = spec.unit_variance(np.array([theta]), parts)[0]
    return _make_summary(
        spec, theta, float(n), sigma2 / (float(n) - 1.0), parts, float(n) - 1
    ), kind


def _norm_parts(
    spec: Metric, theta: float, promoters: float | None, detractors: float | None
) -> dict[str, np.ndarray]:
    if spec.family == "nps":
        p = (promoters if promoters is not None else 50.0 * (1 + theta)) / 100.0
        q = (detractors if detractors is not None else 50.0 * (1 - theta)) / 100.0
        return {"p": np.array([p]), "q": np.array([q])}
    if spec.family == "mean":
        return {"dev2": np.array([np.nan])}
    return {}


def _make_summary(
    spec: Metric, theta: float, n: float, var: float, parts: dict[str, np.ndarray], df: float
) -> Summary:
    sigma2 = spec.unit_variance(np.array([theta]), parts)[0]
    n_star = n if np.isfinite(n) else (sigma2 / var if var > 0 else np.inf)
    one = np.array
    return Summary(
        spec.name,
        one([theta]),
        one([spec.factor * theta]),
        one([int(n) if np.isfinite(n) else 0]),
        one([float(n) if np.isfinite(n) else np.nan]),
        one([float(n) if np.isfinite(n) else np.nan]),
        one([float(n_star)]),
        one([var]),
        one([df]),
        False,
        "norm",
        parts,
    )


def compare_to_norm(
    scores: Any,
    value: float,
    *,
    n: float | None = None,
    metric: str = "nps",
    weights: Any = None,
    promoters: float | None = None,
    detractors: float | None = None,
    se: float | None = None,
    confidence: float = 0.95,
) -> tuple[Comparison, str]:
    """Test the scores against a published norm: scores − norm.

    The norm becomes a second sample (:func:`norm_summary`) and the two are compared with
    the metric's two-sample test (NPS: adjusted Wald; shares: Agresti–Caffo), or with a
    Wald test on the two SEs when the norm gives ``se``, or like a target when it has
    neither n nor se.

    Returns
    -------
    (Comparison, kind)
        ``kind`` as :data:`NORM_KINDS`.

    Examples
    --------
    >>> cmp, kind = compare_to_norm([10] * 60 + [7] * 20 + [3] * 20, 20, n=1500)
    >>> kind, round(cmp.difference, 1)
    ('conservative', 20.0)
    """
    spec = get_metric(metric)
    values = scores if isinstance(scores, pd.Series) else pd.Series(scores)
    weights_s = None
    if weights is not None:
        weights_s = (
            weights
            if isinstance(weights, pd.Series)
            else pd.Series(np.asarray(weights), index=values.index)
        )
    client, _ = _summary(spec, values, weights_s)
    if client is None:
        raise ValueError("scores has no non-missing values")
    norm, kind = norm_summary(spec, value, n=n, promoters=promoters, detractors=detractors, se=se)
    return _norm_comparison(spec, client, norm, kind, float(value), confidence), kind


def _norm_comparison(
    spec: Metric, client: Summary, norm: Summary | None, kind: str, value: float, level: float
) -> Comparison:
    if norm is None:
        result = target_test(spec, client, value, confidence=level)
        return comparison(
            spec,
            result,
            client,
            None,
            confidence=level,
            alternative="two-sided",
            estimate_b=value,
            null=value,
        )
    if kind == "se":
        # Wald on both SEs: the client's family SE (its interval's) and the norm's.
        from cxresearch.stats.distributions import norm_ppf, norm_sf

        centre, se_a, _ = spec.pivot(client, spec.method, level, "two-sided")
        se = float(np.sqrt(se_a[0] ** 2 + norm.var[0]))
        diff = float(centre[0] - norm.theta[0])
        crit = float(norm_ppf(0.5 + level / 2.0))
        stat = diff / se
        result = TestResult(
            float(client.value[0] - value),
            spec.factor * (diff - crit * se),
            spec.factor * (diff + crit * se),
            stat,
            float(2 * norm_sf(abs(stat))),
            spec.factor * se,
            np.inf,
            "z test on the published SE of the norm",
        )
        return comparison(
            spec,
            result,
            client,
            None,
            confidence=level,
            alternative="two-sided",
            estimate_b=value,
            null=value,
        )
    result = spec.difference(client, norm, confidence=level)
    return comparison(spec, result, client, norm, confidence=level, alternative="two-sided")


def _optional(mapping: Mapping[str, Any], key: str) -> float:
    found = mapping.get(key)
    return _NAN if found is None else found


def benchmark_results(
    responses: pd.DataFrame,
    benchmarks: Sequence[Mapping[str, Any]],
    *,
    weights: str | pd.Series | None = None,
    confidence: float = 0.95,
    adjust: str = "bh",
) -> pd.DataFrame:
    """The responses against each norm, with the test the norm's figures allow.

    Parameters
    ----------
    responses : DataFrame
        Responses of the wave to compare (the client's current wave).
    benchmarks : sequence of mappings
        One per norm: ``name``, ``metric``, ``value``, and optionally ``n``, ``promoters``
        and ``detractors`` (NPS, percent), ``se``, ``ci_low``, ``ci_high`` (shown only).
    weights : str or Series, optional
        A weight column or a weights Series indexed like ``responses``.
    confidence : float
        Confidence level.
    adjust : {"bh", "holm", "bonferroni", "none"}
        Multiplicity adjustment over the norms tested.

    Returns
    -------
    DataFrame
        One row per norm, columns :data:`BENCHMARK_COLUMNS`; ``norm_kind`` says how the
        norm was treated (:data:`NORM_KINDS`), the intervals are at ``interval_level``.
    """
    adjust = check_adjust(adjust)
    columns = [SCORE_COLUMNS[_check_metric(b.get("metric"))] for b in benchmarks]
    _check_columns(
        responses, columns + ([weights] if isinstance(weights, str) else []), "responses"
    )
    prepared = []
    for bench in benchmarks:
        spec = get_metric(str(bench["metric"]))
        scores = responses[SCORE_COLUMNS[str(bench["metric"])]]
        client, est = _summary(spec, scores, _rows_weights(responses, weights))
        norm, kind = norm_summary(
            spec,
            bench["value"],
            n=bench.get("n"),
            promoters=bench.get("promoters"),
            detractors=bench.get("detractors"),
            se=bench.get("se"),
        )
        prepared.append((bench, spec, client, est, norm, kind))

    def table(level: float) -> list[dict[str, Any]]:
        records = []
        for bench, spec, client, est, norm, kind in prepared:
            record: dict[str, Any] = {
                "name": bench["name"],
                "metric": spec.name,
                "value": bench["value"],
                "ci_low": _optional(bench, "ci_low"),
                "ci_high": _optional(bench, "ci_high"),
                "n": _optional(bench, "n"),
                **_estimate_fields(spec, client, est, level, prefix="client_"),
                **dict.fromkeys(_COMPARISON_COLUMNS.values(), _NAN),
                "test": "",
                "effect_size_name": "",
                "difference": est.value - bench["value"],
                "norm_kind": kind,
            }
            if client is not None:
                cmp = _norm_comparison(spec, client, norm, kind, float(bench["value"]), level)
                record.update(_comparison_fields(cmp))
            records.append(record)
        return records

    out = _adjusted_table(table, adjust, confidence)
    if out is None:
        return pd.DataFrame(columns=BENCHMARK_COLUMNS)
    return out.reindex(columns=BENCHMARK_COLUMNS)
