"""Outcome, loop and fatigue tables and words of the customer-journey report.

The second half of :mod:`cxresearch.present.journey` (same conventions): outcome rates by
experience group, the retention model's odds ratios, the value at stake with its
assumptions, the follow-up statuses by owner and the fatigue counts. Nothing here shows a
contact detail or free text: the follow-up summary is counts and durations only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from cxresearch.journey.model import ModelMetric
from cxresearch.present.drivers import lower_first
from cxresearch.present.escaping import SafeMarkdown
from cxresearch.present.format import (
    LOW_BASE_FLAG,
    format_ci_label,
    format_interval,
    format_number,
    format_percent,
)
from cxresearch.present.journey import (
    ci_label,
    jplain,
    jtext,
    make_table,
    metric_label,
    result_cell,
    sig_mark,
)
from cxresearch.present.labels import Labels
from cxresearch.present.tables import Table, p_cell
from cxresearch.results import Estimate

__all__ = [
    "fatigue_table",
    "fatigue_text",
    "input_digests",
    "loop_text",
    "model_text",
    "odds_plot",
    "odds_table",
    "outcome_table",
    "population_words",
    "owners_table",
    "reading_text",
    "stake_text",
]


# -- outcomes ---------------------------------------------------------------------------


def outcome_table(rates: pd.DataFrame, metrics: Mapping[str, ModelMetric], labels: Labels,
                  *, confidence: float, min_base: float) -> Table:  # fmt: skip
    """Outcome measures (columns) by experience group (rows), with intervals and n."""
    groups = list(dict.fromkeys(zip(rates["grouping"], rates["group"], strict=True)))
    names = list(dict.fromkeys(rates["name"]))
    first = jplain(labels, "columns.group")
    out: dict[str, list[str]] = {first: []}
    for name in names:
        out[f"{metric_label(metrics[name], labels)} ({ci_label(confidence, labels)})"] = []
    indexed = rates.set_index(["name", "grouping", "group"])
    muted = []
    for grouping, group in groups:
        out[first].append(
            f"{labels.get(f'journey.groups.{grouping}')}: {labels.get(f'journey.groups.{group}')}"
        )
        row_muted = False
        for name in names:
            column = f"{metric_label(metrics[name], labels)} ({ci_label(confidence, labels)})"
            key = (name, grouping, group)
            if key not in indexed.index:
                out[column].append(labels.get("number.missing"))
                continue
            row = indexed.loc[[key]].iloc[0].to_dict()
            cell, status = result_cell(metrics[name], row, labels, min_base=min_base)
            out[column].append(f"{cell}; n = {format_number(row['n'], labels)}")
            row_muted |= status != "ok"
        muted.append(row_muted)
    return make_table(pd.DataFrame(out), muted=muted, left=1)


def odds_table(model: pd.DataFrame, labels: Labels, *, confidence: float) -> Table:
    """Odds ratios per SD with Wald intervals and p-values, largest first."""
    from cxresearch.present.drivers import driver_label

    rows = []
    for row in model.to_dict("records"):
        ratio = format_number(row["odds_ratio"], labels, decimals=2)
        interval = format_interval(row["ci_low"], row["ci_high"], labels, decimals=2)
        mark = sig_mark(row["ci_low"] > 1 or row["ci_high"] < 1)
        rows.append(
            {
                jplain(labels, "columns.predictor"): driver_label(row["predictor"], labels),
                jplain(labels, "columns.odds_ratio", ci=ci_label(confidence, labels)):
                    f"{ratio} ({interval}){mark}",
                labels.column("pvalue"): p_cell(row["pvalue"], labels),
            }
        )  # fmt: skip
    return make_table(pd.DataFrame(rows), left=1)


def odds_plot(model: pd.DataFrame, labels: Labels) -> Figure:
    """Odds ratios with intervals on a log axis, largest on top, 1 dashed."""
    from cxresearch.present.drivers import driver_label
    from cxresearch.present.journey_plots import estimate_plot

    frame = model.assign(value=model["odds_ratio"], n=np.inf, n_effective=np.inf)
    fig = estimate_plot(
        frame, labels, names=[driver_label(p, labels) for p in model["predictor"]],
        title=jplain(labels, "odds_title"), axis_label=jplain(labels, "axis_odds"),
        decimals=2, reference=1.0,
    )  # fmt: skip
    ax = fig.axes[0]
    ax.set_xscale("log")
    low, high = ax.get_xlim()
    nice = [v for v in (0.25, 0.33, 0.5, 0.67, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)
            if low <= v <= high]  # fmt: skip
    ax.xaxis.set_major_locator(FixedLocator(nice))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: format_number(v, labels, decimals=2)))
    return fig


def significant(value: float, digits: int = 3) -> float:
    """``value`` rounded to ``digits`` significant figures (4 982 880 → 4 980 000).

    A what-if sum printed to the euro would claim a precision its interval denies.
    """
    if not np.isfinite(value) or value == 0:
        return value
    return float(round(value, digits - 1 - int(np.floor(np.log10(abs(value))))))


def population_words(population: Mapping[str, Any], labels: Labels) -> str:
    """A population filter in words: ``{customer_type: current}`` → "current customer"."""
    parts = []
    for column, wanted in population.items():
        values = wanted if isinstance(wanted, list) else [wanted]
        parts.append(", ".join(labels.value(column, v) for v in values))
    return "; ".join(parts) or labels.get("journey.all_customers")


def model_text(result: tuple[pd.DataFrame, Mapping[str, float]], j: Any) -> SafeMarkdown:
    """What the retention model is, its fit and its strongest significant links."""
    from cxresearch.present.drivers import driver_label, outcome_label

    model, fit = result
    labels, spec = j.labels, j.spec.retention_model
    outcome = lower_first(outcome_label(spec.outcome, labels))
    population = population_words(spec.population, labels)
    clustered, confidence = j.ids is not None, j.confidence
    n = lambda v: format_number(v, labels)  # noqa: E731
    parts = [
        jtext(
            labels, "model_intro", outcome=outcome, population=population, n=n(fit["n"]),
            events=n(fit["events"]), dropped=n(fit["n_dropped"]),
            ci_long=format_ci_label(confidence, labels, long=True),
            clusters=labels.get("journey.model_clustered") if clustered else "",
        ),
        jtext(labels, "model_fit", r2=format_number(fit["mcfadden_r2"], labels, decimals=2)),
    ]  # fmt: skip
    top = model[(model["ci_low"] > 1)].head(3)
    if len(top):
        drivers = ", ".join(
            f"{driver_label(str(p), labels)} {format_number(float(r), labels, decimals=2)}"
            for p, r in zip(top["predictor"], top["odds_ratio"], strict=True)
        )
        parts.append(jtext(labels, "model_top", drivers=drivers))
    if not fit.get("converged", 1.0):
        parts.append(jtext(labels, "model_not_converged"))
    return SafeMarkdown(" ").join(parts)


def stake_text(v: Any, j: Any) -> SafeMarkdown:
    """The value at stake with its interval, its parts and its assumptions."""
    from cxresearch.present.drivers import outcome_label

    labels, spec = j.labels, j.spec.value_at_stake
    currency, population = spec.currency, population_words(spec.population, labels)
    value_column = lower_first(outcome_label(spec.value, labels))
    money = lambda x: format_number(significant(x), labels)  # noqa: E731
    result = jtext(
        labels, "stake_result", value=money(v.value), currency=currency,
        ci=format_ci_label(v.confidence, labels),
        interval=format_interval(significant(v.ci_low), significant(v.ci_high), labels),
        share=format_percent(100 * v.detractor_share, labels),
        population=population, rate_d=format_percent(100 * v.detractor_rate, labels),
        rate_p=format_percent(100 * v.passive_rate, labels),
        worth=money(v.retained_detractor_value),
    )  # fmt: skip
    if v.customers is not None:
        scale = jtext(labels, "stake_scale_customers", customers=format_number(v.customers, labels))
    elif j.session.run.filter and spec.customers is not None:
        scale = jtext(labels, "stake_scale_segment")
    else:
        scale = jtext(labels, "stake_scale_per_customer")
    method = labels.get("journey.stake_method")
    assumptions = jtext(labels, "stake_assumptions", value_column=value_column, method=method)
    return SafeMarkdown("\n\n").join([SafeMarkdown(" ").join([result, scale]), assumptions])


# -- loop and fatigue -------------------------------------------------------------------


def _share_text(e: Estimate | None, labels: Labels) -> tuple[str, str]:
    if e is None:
        return labels.get("number.missing"), labels.get("number.missing")
    interval = (
        f"{format_ci_label(e.confidence, labels)} {format_interval(e.ci_low, e.ci_high, labels)}"
    )
    return format_percent(e.value, labels), interval


def loop_text(summary: Mapping[str, Any], labels: Labels, *, current: str) -> SafeMarkdown:
    """Items, closed-loop rate and time to close against the SLA, in words."""
    if not summary["items"]:
        return jtext(labels, "loop_none")
    as_of = summary["as_of"]
    when = as_of.strftime("%Y-%m-%d %H:%M") if as_of is not None else labels.get("number.missing")
    sla = format_number(summary["sla_hours"], labels)
    items = format_number(summary["items"], labels)
    intro = jtext(labels, "loop_intro", current=current, items=items, sla=sla, as_of=when)
    if as_of is None:
        return SafeMarkdown("\n\n").join([intro, jtext(labels, "loop_no_status")])
    closed, closed_i = _share_text(summary["closed"], labels)
    within, within_i = _share_text(summary["within_sla"], labels)
    hours = lambda v: format_number(v, labels)  # noqa: E731
    result = jtext(
        labels, "loop_result", closed=closed, closed_interval=closed_i, within=within,
        within_interval=within_i, sla=sla, median=hours(summary["median_hours"]),
        q3=hours(summary["q3_hours"]),
    )  # fmt: skip
    return SafeMarkdown("\n\n").join([intro, result])


def owners_table(summary: Mapping[str, Any], labels: Labels) -> Table:
    """Open, overdue and closed items by owner (no contact detail, no free text)."""
    owners = summary["owners"]
    frame = pd.DataFrame(
        {
            jplain(labels, "columns.owner"): owners["owner"].astype("str"),
            jplain(labels, "columns.items"): [format_number(v, labels) for v in owners["items"]],
            jplain(labels, "columns.open"): [format_number(v, labels) for v in owners["open"]],
            jplain(labels, "columns.overdue"): [
                format_number(v, labels) for v in owners["overdue"]
            ],
            jplain(labels, "columns.closed"): [format_number(v, labels) for v in owners["closed"]],
            jplain(labels, "columns.within_sla"): [
                format_number(v, labels) for v in owners["within_sla"]
            ],
        }
    )
    as_of = summary["as_of"]
    when = as_of.strftime("%Y-%m-%d %H:%M") if as_of is not None else labels.get("number.missing")
    return make_table(frame, [jplain(labels, "loop_note", as_of=when)], left=1)


def fatigue_table(result: Mapping[str, Any], labels: Labels, *, confidence: float) -> Table:
    """Per period: respondents, answers, repeat answerers, invitations, response rate, flags."""
    table = result["table"]
    n = lambda v: format_number(v, labels)  # noqa: E731
    out: dict[str, list[str]] = {
        jplain(labels, "columns.period"): table["period"].astype("str").tolist(),
        jplain(labels, "columns.respondents"): [n(v) for v in table["respondents"]],
        jplain(labels, "columns.answers"): [n(v) for v in table["answers"]],
        jplain(labels, "columns.repeat"): [n(v) for v in table["repeat_respondents"]],
        jplain(labels, "columns.over_answers", limit=result["max_answers"]): [
            n(v) for v in table["over_answers"]
        ],
    }
    if "invitations" in table.columns:
        rates = result.get("response_rate", {})
        out[jplain(labels, "columns.invited")] = [n(v) for v in table["invited"]]
        out[jplain(labels, "columns.invitations")] = [n(v) for v in table["invitations"]]
        column = jplain(labels, "columns.response_rate", ci=ci_label(confidence, labels))
        out[column] = []
        for period in table["period"].astype("str"):
            e = rates.get(period)
            out[column].append(
                labels.get("number.missing") if e is None
                else f"{format_percent(e.value, labels, decimals=1)} "
                f"({format_interval(e.ci_low, e.ci_high, labels, decimals=1)})"
            )  # fmt: skip
        if result.get("max_invitations") is not None:
            out[jplain(labels, "columns.over_invitations", limit=result["max_invitations"])] = [
                n(v) for v in table["over_invitations"]
            ]
    return make_table(pd.DataFrame(out), left=1)


def reading_text(
    labels: Labels, *, confidence: float, min_base: float, adjust: str
) -> SafeMarkdown:
    """How to read the report: intervals and bases, many comparisons, association."""
    from cxresearch.present.format import suppress_threshold

    return jtext(
        labels, "reading", ci_long=format_ci_label(confidence, labels, long=True),
        flag=LOW_BASE_FLAG, min_base=format_number(min_base, labels),
        suppress=format_number(suppress_threshold(min_base), labels),
        method=labels.lookup("multiplicity", adjust),
    )  # fmt: skip


def fatigue_text(result: Mapping[str, Any], j: Any) -> SafeMarkdown:
    """What the fatigue table counts: the period, the thresholds, the invitations."""
    labels = j.labels
    period = labels.get(f"journey.period_names.{result['period']}")
    parts = [jtext(labels, "fatigue_intro", period=period, max_answers=result["max_answers"])]
    if "response_rate" in result:
        limit = result["max_invitations"]
        parts.append(jtext(labels, "fatigue_invitations", max_invitations=limit if limit else "–"))
        if j.session.run.filter:
            parts.append(jtext(labels, "fatigue_segment"))
    return SafeMarkdown(" ").join(parts)


def input_digests(j: Any) -> dict[str, str]:
    """Provenance rows for the files the journey read besides the data (name → sha256)."""
    from pathlib import Path

    from cxresearch.journey.files import journey_inputs
    from cxresearch.report.manifest import file_sha256

    return {
        f"{key}: {Path(path).name} (SHA-256)": file_sha256(path)
        for key, path in journey_inputs(j.session.params).items()
    }


def themes_table(themes: Any, labels: Labels, *, min_base: float) -> Table:
    """Former and never − current customers per comment theme (``themes_by_type``)."""
    from cxresearch.present.journey import comparison_table
    from cxresearch.present.qual import theme_label

    book = themes.coding.codebook
    names = {code: theme_label(book, code, labels) for code in themes.tests["name"]}
    return comparison_table(
        themes.tests,
        dict.fromkeys(names, themes.metric),
        labels,
        names=names,
        group_names={k: labels.value("customer_type", k) for k in ("former", "never")},
        a=jplain(labels, "columns.group_result"),
        b=labels.value("customer_type", "current"),
        min_base=min_base,
    )
