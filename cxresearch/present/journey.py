"""Words, tables and charts of the customer-journey report (``notebooks/journey.ipynb``).

Each function turns numbers from :mod:`cxresearch.journey.run` /
:mod:`cxresearch.journey.outcomes` into report Markdown (through the escaping path of
:mod:`cxresearch.present.escaping`), a :class:`~cxresearch.present.tables.Table` or a
figure, in the report's language from the ``journey:`` section of the label files.
Values are formatted per metric: its decimals, % for shares, its unit (``min``, ``EUR``)
for means. Significance marks (*) come from the adjusted p-values of the family each
table tests, and each table's note names the adjustment and the interval level, so a
mark and the interval beside it always agree.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from cxresearch.journey.model import ModelMetric
from cxresearch.present.escaping import SafeMarkdown, md
from cxresearch.present.format import (
    LOW_BASE_FLAG,
    base_cell,
    base_status,
    format_ci_label,
    format_interval,
    format_level,
    format_number,
    format_percent,
    is_missing,
    is_weighted_frame,
)
from cxresearch.present.labels import Labels, fill_plain
from cxresearch.present.tables import Table, p_cell

__all__ = [
    "heatmap",
    "jplain",
    "jtext",
    "metric_label",
    "scorecard_table",
    "target_table",
    "value_text",
]


def jtext(labels: Labels, key: str, /, **fields: object) -> SafeMarkdown:
    """Report Markdown: ``journey.<key>`` with every field escaped."""
    return md(labels.get(f"journey.{key}"), **fields)


def jplain(labels: Labels, key: str, /, **fields: object) -> str:
    """``journey.<key>`` as plain text, for table headers and chart labels."""
    return fill_plain(labels.get(f"journey.{key}"), **fields)


def metric_label(m: ModelMetric | str, labels: Labels, *, short: bool = False) -> str:
    """A metric's name: a model metric's own, or ``journey.metric_names.<name>``."""
    if isinstance(m, ModelMetric):
        return m.label(labels, short=short)
    section = "metric_names_short" if short else "metric_names"
    return labels.get(f"journey.{section}.{m}", "") or labels.metric(m, short=short)


def _decimals(m: ModelMetric | None) -> int:
    return 1 if m is None else m.decimals


def value_text(m: ModelMetric | None, value: float, labels: Labels) -> str:
    """A value in the metric's form: "54 %", "26", "9,5 min", "429 EUR"."""
    if is_missing(value):
        return labels.get("number.missing")
    if m is not None and m.percent:
        return format_percent(value, labels, decimals=m.decimals)
    text = format_number(value, labels, decimals=_decimals(m))
    unit = m.spec.unit if m is not None else None
    return f"{text} {unit}" if unit else text


def _signed(m: ModelMetric | None, value: float, labels: Labels) -> str:
    return format_number(value, labels, decimals=_decimals(m), signed=True)


def _interval(m: ModelMetric | None, low: float, high: float, labels: Labels) -> str:
    return format_interval(low, high, labels, decimals=_decimals(m))


def sig_mark(significant: object) -> str:
    return " *" if bool(significant) and not is_missing(significant) else ""


def result_cell(
    m: ModelMetric | None, row: Mapping[Any, Any], labels: Labels, *, min_base: float
) -> tuple[str, str]:
    """("54 % (50–58)", base status) for a row with value, ci_low, ci_high, n, n_effective."""
    status = base_status(row.get("n", 0), row.get("n_effective", math.nan), min_base=min_base)
    if status in ("empty", "suppressed") or is_missing(row.get("value")):
        return labels.get("number.missing"), status
    flag = f" {LOW_BASE_FLAG}" if status == "low" else ""
    text = value_text(m, row["value"], labels) + flag
    return f"{text} ({_interval(m, row['ci_low'], row['ci_high'], labels)})", status


def _difference_cell(m: ModelMetric | None, row: Mapping[Any, Any], labels: Labels) -> str:
    if is_missing(row.get("difference")):
        return labels.get("number.missing")
    diff = _signed(m, row["difference"], labels)
    interval = _interval(m, row["ci_low"], row["ci_high"], labels)
    return f"{diff} ({interval}){sig_mark(row.get('significant'))}"


def make_table(frame: pd.DataFrame, notes: Sequence[str] = (), muted: Sequence[bool] = (),
           left: int = 1) -> Table:  # fmt: skip
    frame = frame.reset_index(drop=True)
    return Table(frame, tuple(notes), tuple(muted) or (False,) * len(frame), left)


def ci_label(confidence: float, labels: Labels) -> str:
    return format_ci_label(confidence, labels)


def family_fields(frame: pd.DataFrame, labels: Labels) -> dict[str, str]:
    """``m`` (tests), ``method`` (adjustment) and ``level`` (interval %) of a family."""
    tested = frame["pvalue"].notna() if "pvalue" in frame else pd.Series([], dtype=bool)
    first: Mapping[Any, Any] = frame.iloc[0].to_dict() if len(frame) else {}
    return {
        "m": format_number(int(tested.sum()), labels),
        "method": labels.lookup("multiplicity", str(first.get("adjust", "none"))),
        "level": format_level(float(first.get("interval_level", 0.95)), labels),
    }


def family_note(frame: pd.DataFrame, labels: Labels, key: str, /, **fields: object) -> str:
    """A table note naming the adjustment, the number of tests and the interval level."""
    return jplain(labels, key, **family_fields(frame, labels), **fields)


def family_text(frame: pd.DataFrame, labels: Labels, key: str, /, **fields: object) -> SafeMarkdown:
    """Report Markdown ``journey.<key>`` with the family's ``m``, ``method`` and ``level``."""
    return jtext(labels, key, **family_fields(frame, labels), **fields)


# -- scorecard and targets -------------------------------------------------------------


def scorecard_table(
    card: pd.DataFrame,
    metrics: Sequence[ModelMetric],
    labels: Labels,
    *,
    confidence: float,
    min_base: float,
    current: str,
    previous: str | None,
) -> Table:
    """The scorecard: every measure by level with result, change and target status.

    Seven columns, so that it fits an A4 page: level, measure, result with its interval,
    n, change with its (adjusted) interval, adjusted p, and "target: status".
    """
    by_name = {m.name: m for m in metrics}
    has_change = "difference" in card.columns
    missing = labels.get("number.missing")
    weighted = is_weighted_frame(card)
    rows, muted = [], []
    for row in card.to_dict("records"):
        m = by_name[row["name"]]
        cell, status = result_cell(m, row, labels, min_base=min_base)
        record = {
            jplain(labels, "columns.level"): labels.get(f"journey.levels.{row['level']}"),
            jplain(labels, "columns.metric"): metric_label(m, labels, short=True),
            jplain(labels, "columns.result", ci=ci_label(confidence, labels)): cell,
            **_base(row, labels, weighted),
        }
        if has_change:
            show = status not in ("empty", "suppressed") and not is_missing(row["difference"])
            change = {**row, "ci_low": row["diff_ci_low"], "ci_high": row["diff_ci_high"]}
            level = ci_label(row["interval_level"], labels)
            record[jplain(labels, "columns.change", ci=level)] = (
                _difference_cell(m, change, labels) if show else missing
            )
            record[labels.column("pvalue_adjusted")] = (
                p_cell(row["pvalue_adjusted"], labels) if show else missing
            )
        target = float(row.get("target", math.nan))
        record[jplain(labels, "columns.target_status")] = (
            missing
            if is_missing(target)
            else f"{value_text(m, target, labels)}: {labels.status(str(row['status']))}"
        )
        rows.append(record)
        muted.append(status != "ok")
    notes = []
    if has_change:
        tests = "; ".join(labels.test(t) for t in dict.fromkeys(card["test"].dropna()))
        notes.append(
            family_note(
                card.assign(pvalue=card["pvalue_adjusted"]), labels, "scorecard_note",
                current=current, previous=previous or "", tests=tests,
            )
        )  # fmt: skip
    return make_table(pd.DataFrame(rows), notes, muted, left=2)


def _base(row: Mapping[Any, Any], labels: Labels, weighted: bool) -> dict[str, str]:
    """The base column of a row: {"n": "412"}, or under weights {"n (effective n)": "412 (380)"}."""
    header = labels.column("n_with_effective" if weighted else "n")
    return {
        header: base_cell(row["n"], row.get("n_effective", math.nan), labels, weighted=weighted)
    }


def target_table(
    targets: pd.DataFrame, metrics: Sequence[ModelMetric], labels: Labels, *, min_base: float
) -> Table:
    """Every journey target: measure, target group × touchpoint, result, target, status."""
    by_name = {m.name: m for m in metrics}
    level = float(targets["interval_level"].iloc[0]) if len(targets) else 0.95
    weighted = is_weighted_frame(targets)
    rows = []
    muted = []
    for row in targets.to_dict("records"):
        m = by_name[row["name"]]
        cell, status = result_cell(m, row, labels, min_base=min_base)
        rows.append(
            {
                jplain(labels, "columns.metric"): metric_label(m, labels),
                labels.column("target_for"): row["label"],
                jplain(labels, "columns.result", ci=ci_label(level, labels)): cell,
                **_base(row, labels, weighted),
                jplain(labels, "columns.target"): value_text(m, row["target"], labels),
                labels.column("pvalue_adjusted"): p_cell(row.get("pvalue_adjusted"), labels),
                jplain(labels, "columns.status"): labels.status(str(row["status"])),
            }
        )
        muted.append(status != "ok")
    frame = pd.DataFrame(rows)
    note = family_note(targets, labels, "targets_note")
    return make_table(frame, [note], muted, left=2)


def join_sentence(join: Any, labels: Labels) -> SafeMarkdown:
    """How the operational file matched the responses (counts both ways)."""
    if join is None:
        return jtext(labels, "operational_join_none")
    from pathlib import Path

    n = lambda v: format_number(v, labels)  # noqa: E731 - one-line formatter
    return jtext(
        labels, "operational_join", file=Path(join.source).name, rows=n(join.rows),
        matched=n(join.matched), unmatched=n(join.unmatched_ids), key=join.key,
        responses=n(join.responses), with_row=n(join.responses_matched),
    )  # fmt: skip


# -- journey view -----------------------------------------------------------------------


def heatmap(
    cells: pd.DataFrame,
    m: ModelMetric,
    labels: Labels,
    *,
    touchpoints: Sequence[str],
    stages: Sequence[str],
    overall: float,
    min_base: float,
) -> Figure:
    """The stage × touchpoint heat-map of one experience metric."""
    from cxresearch.present.journey_plots import journey_heatmap

    return journey_heatmap(
        cells, labels, rows="touchpoint", columns="journey_stage", row_order=touchpoints,
        column_order=stages, title=jplain(labels, "heatmap_title", metric=metric_label(m, labels)),
        centre=overall, decimals=m.decimals, lower_is_better=m.lower_is_better,
        min_base=min_base,
    )  # fmt: skip


def versus_table(
    frame: pd.DataFrame,
    metrics: Sequence[ModelMetric],
    labels: Labels,
    *,
    column: str,
    confidence: float,
    min_base: float,
) -> Table:
    """Each group (touchpoint, channel) × measure: its result and its gap to the rest."""
    by_name = {m.name: m for m in metrics}
    level = float(frame["interval_level"].iloc[0]) if len(frame) else confidence
    ordered = frame.assign(_order=frame["name"].map({m.name: i for i, m in enumerate(metrics)}))
    ordered = ordered.sort_values(["group", "_order"], kind="stable")
    rows, muted, previous = [], [], None
    weighted = "group_n" in frame.columns and is_weighted_frame(
        frame.rename(columns={"group_n": "n", "group_n_effective": "n_effective"})
    )
    for row in ordered.to_dict("records"):
        m = by_name[row["name"]]
        group = {str(k)[6:]: v for k, v in row.items() if str(k).startswith("group_")}
        cell, status = result_cell(m, group, labels, min_base=min_base)
        hidden = status in ("suppressed", "empty")
        missing = labels.get("number.missing")
        rows.append(
            {
                labels.column(column): "" if row["group"] == previous
                else labels.value(column, row["group"]),
                jplain(labels, "columns.metric"): metric_label(m, labels, short=True),
                jplain(labels, "columns.result", ci=ci_label(confidence, labels)): cell,
                **_base(group, labels, weighted),
                jplain(labels, "columns.versus_rest", ci=ci_label(level, labels)):
                    missing if hidden else _difference_cell(m, row, labels),
                labels.column("pvalue_adjusted"):
                    missing if hidden else p_cell(row["pvalue_adjusted"], labels),
            }
        )  # fmt: skip
        muted.append(status != "ok")
        previous = row["group"]
    return make_table(pd.DataFrame(rows), muted=muted, left=2)


def touchpoint_sentences(frame: pd.DataFrame, m: ModelMetric, labels: Labels) -> SafeMarkdown:
    """Which touchpoints are significantly below / above the others on one metric."""
    part = frame[frame["name"] == m.name]
    sig = part[part["significant"].fillna(False).astype(bool)]
    worse = sig[(sig["difference"] > 0) == m.lower_is_better].sort_values("difference")
    better = sig[(sig["difference"] > 0) != m.lower_is_better].sort_values(
        "difference", ascending=False
    )
    name = metric_label(m, labels, short=True)
    parts = []
    if len(worse):
        names = ", ".join(labels.value("touchpoint", g) for g in worse["group"])
        parts.append(jtext(labels, "weak_touchpoints", touchpoints=names, metric=name))
    if len(better):
        names = ", ".join(labels.value("touchpoint", g) for g in better["group"])
        parts.append(jtext(labels, "strong_touchpoints", touchpoints=names, metric=name))
    if not parts:
        return jtext(labels, "no_weak_touchpoints", metric=name)
    return SafeMarkdown("\n\n").join(parts)


def moments_table(frame: pd.DataFrame, outcome: ModelMetric, labels: Labels,
                  *, min_base: float) -> Table:  # fmt: skip
    """Per touchpoint: the outcome of promoters and detractors and their difference."""
    level = float(frame["interval_level"].iloc[0])
    rows, muted = [], []
    for row in frame.to_dict("records"):
        small = min(row["n_a"], row["n_b"]) < min_base
        rows.append(
            {
                labels.column("touchpoint"): labels.value("touchpoint", row["group"]),
                jplain(labels, "columns.promoters"): value_text(outcome, row["estimate_a"], labels)
                + f" (n = {row['n_a']})",
                jplain(labels, "columns.detractors"): value_text(outcome, row["estimate_b"], labels)
                + f" (n = {row['n_b']})"
                + (f" {LOW_BASE_FLAG}" if small else ""),
                jplain(labels, "columns.gap", ci=ci_label(level, labels)): _difference_cell(
                    outcome, row, labels
                ),
                labels.column("pvalue_adjusted"): p_cell(row["pvalue_adjusted"], labels),
            }
        )
        muted.append(small)
    return make_table(pd.DataFrame(rows), muted=muted, left=1)


def moments_sentence(
    frame: pd.DataFrame, outcome: ModelMetric, labels: Labels, *, min_base: float
) -> SafeMarkdown:
    """The touchpoint with the largest significant outcome gap (both bases ≥ min_base)."""
    sig = frame[
        frame["significant"].fillna(False).astype(bool)
        & (frame[["n_a", "n_b"]].min(axis=1) >= min_base)
    ]
    if sig.empty:
        return jtext(labels, "moments_none")
    top = sig.sort_values("difference", ascending=False).iloc[0]
    return jtext(
        labels, "moments_sentence", touchpoint=labels.value("touchpoint", top["group"]),
        outcome=metric_label(outcome, labels, short=True).lower(),
        gap=format_number(top["difference"], labels, decimals=outcome.decimals),
        unit=labels.plain("unit_percent"),
        interval=f"{format_ci_label(top['interval_level'], labels)} "
        f"{_interval(outcome, top['ci_low'], top['ci_high'], labels)}",
    )  # fmt: skip


def comparison_table(
    frame: pd.DataFrame,
    metrics: Mapping[str, ModelMetric | None],
    labels: Labels,
    *,
    a: str,
    b: str,
    group_names: Mapping[str, str] | None = None,
    names: Mapping[str, str] | None = None,
    min_base: float,
) -> Table:
    """Rows of a comparison family: measure (and group), both sides, difference, p, effect.

    ``metrics`` maps each row's ``name`` to its metric (for formatting); ``names`` gives a
    row's measure name when it is not a metric's (a comment theme's label).
    """
    level = float(frame["interval_level"].iloc[0]) if len(frame) else 0.95
    rows, muted = [], []
    for row in frame.to_dict("records"):
        m = metrics.get(row["name"])
        small = min(row.get("n_a", 0), row.get("n_b", 0)) < min_base
        shown = (names or {}).get(row["name"]) or metric_label(m or row["name"], labels)
        record = {jplain(labels, "columns.metric"): shown}
        if group_names is not None:
            record[jplain(labels, "columns.group")] = group_names.get(row["group"], row["group"])
        flag = f" {LOW_BASE_FLAG}" if small else ""
        record.update(
            {
                a: value_text(m, row["estimate_a"], labels) + f" (n = {row['n_a']}){flag}",
                b: value_text(m, row["estimate_b"], labels) + f" (n = {row['n_b']})",
                jplain(labels, "columns.difference", ci=ci_label(level, labels)): _difference_cell(
                    m, row, labels
                ),
                labels.column("pvalue_adjusted"): p_cell(row["pvalue_adjusted"], labels),
                jplain(labels, "columns.effect"): (
                    f"{labels.effect_size(row['effect_size_name'], form='short')} = "
                    f"{format_number(row['effect_size'], labels, decimals=2, signed=True)}"
                    if not is_missing(row.get("effect_size")) else labels.get("number.missing")
                ),
            }
        )  # fmt: skip
        rows.append(record)
        muted.append(small)
    return make_table(pd.DataFrame(rows), muted=muted, left=2 if group_names is not None else 1)


def timeliness_text(summary: Mapping[str, float], labels: Labels) -> SafeMarkdown:
    """Median and quartiles of the answer lag and the share of late answers."""
    if "median" not in summary:
        return jtext(labels, "timeliness_none")
    days = lambda v: format_number(v, labels, decimals=1)  # noqa: E731
    text = jtext(
        labels, "timeliness_intro", median=days(summary["median"]), q1=days(summary["q1"]),
        q3=days(summary["q3"]), late=format_percent(summary["late_share"], labels),
        interval=f"{format_ci_label(0.95, labels)} "
        f"{format_interval(summary['late_ci_low'], summary['late_ci_high'], labels)}",
        late_days=format_number(summary["late_days"], labels),
    )  # fmt: skip
    if summary.get("negative"):
        text = SafeMarkdown(" ").join(
            [
                text,
                jtext(labels, "timeliness_negative", n=format_number(summary["negative"], labels)),
            ]
        )
    return text


def types_levels_table(levels: Mapping[str, pd.DataFrame], metrics: Mapping[str, Any],
                       labels: Labels, *, confidence: float, min_base: float) -> Table:  # fmt: skip
    """Every experience measure (rows) by customer type (columns), with intervals and n."""
    types = ["current", "former", "never"]
    out: dict[str, list[str]] = {jplain(labels, "columns.metric"): []}
    header = {
        t: f"{labels.value('customer_type', t)} ({ci_label(confidence, labels)})" for t in types
    }
    for t in types:
        out[header[t]] = []
    for name, frame in levels.items():
        m = metrics.get(name)
        out[jplain(labels, "columns.metric")].append(metric_label(m or name, labels))
        by_type = frame.set_index("customer_type")
        for t in types:
            if t not in by_type.index:
                out[header[t]].append(labels.get("number.missing"))
                continue
            row = by_type.loc[t].to_dict()
            cell, _ = result_cell(m, row, labels, min_base=min_base)
            n = format_number(row["n"], labels)
            out[header[t]].append(f"{cell}; n = {n}")
    return make_table(pd.DataFrame(out), left=1)


def types_sentence(frame: pd.DataFrame, m: ModelMetric, labels: Labels) -> SafeMarkdown:
    """Former and never customers against current ones on NPS and the 0–10 mean, in words."""
    part = frame.set_index(["name", "group"])

    def diff(name: str, kind: str) -> float:
        found = part["difference"].get((name, kind))
        return float("nan") if found is None else float(found)

    side = lambda v: labels.get("journey.below" if v < 0 else "journey.above")  # noqa: E731
    former, never = diff(m.name, "former"), diff(m.name, "never")
    return jtext(
        labels, "types_sentence", metric=metric_label(m, labels, short=True),
        former=format_number(abs(former), labels, decimals=m.decimals),
        never=format_number(abs(never), labels, decimals=m.decimals),
        former_side=side(former), never_side=side(never), unit=labels.plain("unit_points"),
        former_mean=format_number(diff("nps_mean", "former"), labels, decimals=2, signed=True),
        never_mean=format_number(diff("nps_mean", "never"), labels, decimals=2, signed=True),
    )  # fmt: skip


def stages_table(table: pd.DataFrame, labels: Labels) -> Table:
    """Share (%) of each customer type by the furthest stage reached, with the base."""
    stages = [c for c in table.columns if c != "respondents"]
    out: dict[str, list[str]] = {jplain(labels, "columns.customer_type"): []}
    for s in stages:
        out[labels.value("journey_stage", s)] = []
    out[jplain(labels, "columns.respondents_total")] = []
    for kind, row in table.iterrows():
        out[jplain(labels, "columns.customer_type")].append(labels.value("customer_type", kind))
        total = row["respondents"]
        for s in stages:
            out[labels.value("journey_stage", s)].append(
                format_percent(100.0 * row[s] / total, labels) if total else "–"
            )
        out[jplain(labels, "columns.respondents_total")].append(format_number(total, labels))
    return make_table(pd.DataFrame(out), left=1)


def intro_text(j: Any) -> SafeMarkdown:
    """The opening paragraph: the three levels, the pooled waves and their base."""
    L = j.labels
    names = {
        level: ", ".join(metric_label(m, L, short=True) for m in j.level(level)) or "–"
        for level in ("outcome", "experience", "operational")
    }
    n = format_number(len(j.pooled), L)
    current = j.session.current_wave
    if len(j.pooled_waves) > 1:
        text = jtext(L, "intro", waves=", ".join(j.pooled_waves), n=n, current=current, **names)
    else:
        text = SafeMarkdown(" ").join(
            [jtext(L, "intro", waves=current, n=n, current=current, **names),
             jtext(L, "pooled_single", current=current, n=n)]
        )  # fmt: skip
    if j.ids is not None:
        people = j.pooled[j.ids]
        repeat = int(people[people.duplicated(keep=False)].nunique())
        text = SafeMarkdown(" ").join(
            [text, jtext(L, "clusters_note", n_people=format_number(repeat, L))]
        )
    return text
