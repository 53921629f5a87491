"""Finding providers: one per analysis, named in the analysis registry.

A provider is ``provider(session, results) -> list[Finding]``: it gets the report's
:class:`~cxresearch.session.RunSession` and whatever the notebook already computed (a
mapping; missing entries are computed here from the session) and returns candidate
findings from :mod:`cxresearch.story.rules`. ``AnalysisSpec.findings`` in
:mod:`cxresearch.analyses` names it as ``"module:function"``, so an analysis adds its
findings by writing a provider and naming it, and the story code never lists analyses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cxresearch.story.model import Finding

if TYPE_CHECKING:
    from cxresearch.session import RunSession

__all__ = [
    "benchmarking_findings",
    "driver_findings_of",
    "group_changes",
    "group_tests",
    "journey_findings_of",
    "qual_findings_of",
]


def group_tests(session: RunSession, metric: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each group of every breakdown column against the rest (one family), and its estimates.

    Groups smaller than the report's ``min_base`` are not tested.
    """
    from cxresearch.stats.families import compare_each_to_rest

    columns = session.breakdown_columns()
    tests = compare_each_to_rest(
        session.current,
        metric,
        by=columns,
        weights=session.weights,
        confidence=session.confidence,
        adjust=session.multiplicity,
        min_base=session.min_base,
    )
    frames = []
    for column in columns:
        own = session.breakdown(metric, column).rename(columns={column: "group"})
        frames.append(own.assign(column=column, group=own["group"].astype(str)))
    estimates = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return tests, estimates


def group_changes(session: RunSession, metric: str) -> pd.DataFrame | None:
    """The change of every group of every breakdown column since the previous wave.

    All groups of all columns are one family (adjusted with the params' method), so a
    finding picked from any of them holds up to the number of groups looked at; the
    intervals are at the matching level. Groups under the suppression threshold in
    either wave are not tested. None without a previous wave.
    """
    from cxresearch.present.format import suppress_threshold
    from cxresearch.stats.benchmark import SCORE_COLUMNS
    from cxresearch.stats.inference import compare_waves
    from cxresearch.stats.multiplicity import adjust_pvalues, adjusted_confidence

    previous = session.previous_wave
    if previous is None:
        return None
    columns = session.breakdown_columns()
    rows = session.change_rows([*columns, SCORE_COLUMNS.get(metric, metric)])
    smallest = suppress_threshold(session.min_base)

    def table(level: float) -> pd.DataFrame:
        frames = []
        for column in columns:
            part = compare_waves(
                rows,
                metric,
                waves=[previous, session.current_wave],
                by=column,
                weights=session.weights,
                confidence=level,
                adjust="none",
            )
            part = part.rename(columns={column: "group"}).assign(column=column)
            part["group"] = part["group"].astype(str)
            frames.append(part)
        out = pd.concat(frames, ignore_index=True)
        small = np.minimum(out["n_a"], out["n_b"]) < smallest
        out.loc[small, "pvalue"] = np.nan
        return out

    first = table(session.confidence)
    raw = first["pvalue"].to_numpy(dtype="float64")
    if not np.isfinite(raw).any():
        return first.assign(pvalue_adjusted=np.nan, significant=False)
    level = adjusted_confidence(raw, session.multiplicity, session.confidence)
    out = table(level) if level != session.confidence else first
    out["pvalue"] = raw
    out["pvalue_adjusted"] = adjust_pvalues(raw, session.multiplicity)
    out["significant"] = out["pvalue_adjusted"] < 1.0 - session.confidence
    return out


def benchmarking_findings(session: RunSession, results: Mapping[str, Any]) -> list[Finding]:
    """Candidate findings of the benchmarking report.

    ``results`` may hold the notebook's ``headline`` (metric → Estimate), ``changes``
    (:meth:`~cxresearch.session.RunSession.headline_changes`), ``targets`` and ``norms``;
    what is missing is computed from the session.
    """
    from cxresearch.present.format import base_status
    from cxresearch.story import rules

    head = results.get("headline") or session.headline()
    changes = results.get("changes")
    changes = session.headline_changes() if changes is None else changes
    hidden = frozenset(
        m
        for m, e in head.items()
        if base_status(e.n, e.n_effective, min_base=session.min_base) in ("suppressed", "empty")
    )
    found = rules.change_findings(
        head,
        changes,
        current=session.current_wave,
        previous=session.previous_wave,
        hidden=hidden,
    )
    targets = results.get("targets")
    found += rules.target_findings(session.target_results() if targets is None else targets)
    metric = session.primary_metric
    if metric is not None and metric not in hidden:
        tests, estimates = group_tests(session, metric)
        found += rules.group_findings(
            tests, metric=metric, estimates=estimates, min_base=session.min_base
        )
        found += rules.group_change_findings(group_changes(session, metric), metric=metric)
    norms = results.get("norms")
    found += rules.norm_findings(session.benchmark_results() if norms is None else norms)
    return [_tagged(f, "benchmarking") for f in found]


def driver_findings_of(session: RunSession, results: Mapping[str, Any]) -> list[Finding]:
    """Candidate findings of the driver report.

    ``results`` must hold what the notebook computed: ``bases`` (outcome →
    ``DriverBase``), ``importance`` (outcome → ``driver_importance`` result) and ``ipa``
    (outcome → ``importance_performance`` table); the bootstrap is too slow to repeat.
    """
    from cxresearch.story.driver_rules import driver_findings

    missing = [k for k in ("bases", "importance", "ipa") if k not in results]
    if missing:
        raise ValueError(f"driver findings need the notebook's {missing}")
    return driver_findings(results["bases"], results["importance"], results["ipa"])


def journey_findings_of(session: RunSession, results: Mapping[str, Any]) -> list[Finding]:
    """Candidate findings of the customer-journey report.

    ``results`` must hold ``journey`` (the notebook's
    :class:`~cxresearch.journey.run.JourneyRun`) and may hold what the notebook computed:
    ``scorecard``, ``targets``, ``touchpoints`` (``versus_rest("touchpoint", ...)``),
    ``stake`` (value at stake) and ``model`` (the retention model); the rest is computed.
    """
    from cxresearch.journey import outcomes as jo
    from cxresearch.story import journey_rules as jr

    j = results.get("journey")
    if j is None:
        raise ValueError("journey findings need the notebook's JourneyRun as journey=")

    def get(key: str, compute: Any) -> Any:
        return results[key] if key in results else compute()

    card = get("scorecard", j.scorecard)
    found = jr.change_findings(
        card, j.metrics, previous=session.previous_wave, current=session.current_wave
    )
    found += jr.journey_target_findings(get("targets", j.targets), j.metrics)
    found += jr.touchpoint_findings(
        get("touchpoints", lambda: j.versus_rest("touchpoint", j.experience)),
        j.experience,
        waves=j.pooled_waves,
    )
    stake_spec = j.spec.value_at_stake
    currency = str(getattr(stake_spec, "currency", "") or "")
    found += jr.stake_findings(get("stake", lambda: jo.value_at_stake(j)), currency=currency)
    model = get("model", lambda: jo.retention_model(j))
    found += jr.retention_findings(
        model[0] if model else None, adjust=session.multiplicity, confidence=session.confidence
    )
    return [_tagged(f, "journey") for f in found]


def qual_findings_of(session: RunSession, results: Mapping[str, Any]) -> list[Finding]:
    """Candidate findings of the qualitative report.

    ``results`` must hold ``coding`` (the notebook's
    :class:`~cxresearch.qual.run.CodingRun`) and may hold ``impact``, ``prevalence`` and
    ``former``; the rest is computed. Theme names come from the codebook in the report's
    language.
    """
    from cxresearch.present.qual import theme_label
    from cxresearch.story import qual_rules as qr

    q = results.get("coding")
    if q is None:
        raise ValueError("qualitative findings need the notebook's CodingRun as coding=")

    def get(key: str, compute: Any) -> Any:
        return results[key] if key in results else compute()

    def theme(code: str) -> str:
        return theme_label(q.codebook, code, session.labels)

    level = session.confidence
    found = qr.impact_findings(get("impact", q.impact), theme=theme, confidence=level)
    found += qr.former_findings(get("former", q.former_reasons), theme=theme, confidence=level)
    found += qr.prevalence_findings(get("prevalence", q.prevalence), theme=theme, confidence=level)
    return [_tagged(f, "qualitative") for f in found]


def _tagged(finding: Finding, analysis: str) -> Finding:
    from dataclasses import replace

    return finding if finding.analysis else replace(finding, analysis=analysis)
