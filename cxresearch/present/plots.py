"""Benchmarking charts: estimates with their intervals, readable without the code behind them.

Every chart shows intervals (a band over waves, bars around points), labels every axis
from :class:`~cxresearch.present.labels.Labels`, greys small bases with the same rule as
the tables (:func:`~cxresearch.present.format.base_status`) and follows
:mod:`cxresearch.present.chart_base`: drawn at the A4 text width and shown at that size
(no text under 8 pt), the metric's whole scale on the value axis (a non-significant dip
does not look like a cliff, and charts that are compared share their scale), colour-blind
safe colours with a second cue (a marker shape, the status in words), value labels placed
where they cover no line, and an alt text in the report's language. Nothing is random (no
jitter), and each function returns a :class:`matplotlib.figure.Figure` made without
pyplot: nothing is left open in pyplot's figure list and nothing is shown twice in a
notebook.

Styling is applied by :func:`chart_style` (seaborn's whitegrid in ``matplotlib.rc_context``)
while the figure is drawn, so the caller's global matplotlib settings are not changed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator

from cxresearch.present.chart_base import (
    ACCENT,
    DPI,
    MUTED,
    OKABE_ITO,
    OVERALL,
    TEXT_WIDTH_IN,
    ReportFigure,
    chart_style,
    honest_limits,
)
from cxresearch.present.format import (
    LOW_BASE_FLAG,
    base_status,
    format_base,
    format_ci_label,
    format_interval,
    format_number,
    metric_decimals,
)
from cxresearch.present.labels import Labels
from cxresearch.results import Estimate
from cxresearch.stats.metrics import METRICS

__all__ = [
    "ACCENT",
    "DPI",
    "MUTED",
    "OVERALL",
    "STATUS_COLOURS",
    "STATUS_MARKERS",
    "TARGET",
    "ReportFigure",
    "benchmark_plot",
    "breakdown_plot",
    "chart_style",
    "target_plot",
    "trend_plot",
]

TARGET = OKABE_ITO["black"]
#: Target statuses: colour-blind-safe colours and a marker shape each (and the word).
STATUS_COLOURS = {
    "met": OKABE_ITO["blue"],
    "not_met": OKABE_ITO["vermillion"],
    "inconclusive": OKABE_ITO["grey"],
}
STATUS_MARKERS = {"met": "^", "not_met": "v", "inconclusive": "o"}


def _metric_name(metric: str) -> str:
    # Callers say "csat"; metric_by's rows say "csat_top2". Accept both.
    return METRICS[metric].name if metric in METRICS else metric


def _chart_words(labels: Labels, key: str, **fields: object) -> str:
    """``charts.<key>`` filled as plain text (alt texts and chart words)."""
    return labels.fill(f"charts.{key}", **fields)


def _value_ci(
    value: float, low: float, high: float, labels: Labels, digits: int, level: float = 0.95
) -> str:
    """ "26 (95 % lv 20–32)" for alt texts."""
    text = format_number(value, labels, decimals=digits)
    if math.isfinite(low) and math.isfinite(high):
        interval = format_interval(low, high, labels, decimals=digits)
        text += f" ({format_ci_label(level, labels)} {interval})"
    return text


def _number_axis(axis: Any, metric: str, labels: Labels) -> None:
    """Tick labels in the report's number format (decimal comma in Finnish)."""
    digits = metric_decimals(metric)
    if digits == 0:
        axis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    axis.set_major_formatter(
        FuncFormatter(lambda v, _pos: format_number(v, labels, decimals=digits))
    )


def _statuses(frame: pd.DataFrame, min_base: float, suppress_below: float | None) -> list[str]:
    n_eff = frame["n_effective"] if "n_effective" in frame else pd.Series(np.nan, frame.index)
    return [
        base_status(n, ne, min_base=min_base, suppress_below=suppress_below)
        for n, ne in zip(frame["n"], n_eff, strict=True)
    ]


class _IntervalRows:
    """Points with their interval bars, one row each, drawn with one errorbar per look.

    :meth:`add` labels the row at once (its value to the right of the bar, or above it)
    and keeps the point; :meth:`draw` draws the points of each colour and marker together,
    in the order the looks first appear: one ``errorbar`` (a marker line, a bar collection
    and two cap lines) per look instead of per row, the same pixels (rows lie apart), and
    a third to a half less of a row chart's building and drawing (``benchmarks/charts.py``).
    """

    def __init__(self, ax: Axes) -> None:
        self.ax = ax
        self._groups: dict[tuple[Any, str, bool], list[tuple[float, float, float, float]]] = {}

    def add(
        self,
        y: float,
        value: float,
        low: float,
        high: float,
        colour: str,
        text: str,
        *,
        above: bool = False,
        marker: str = "o",
    ) -> None:
        """One horizontal point with its interval and its value to the right (or above)."""
        finite = math.isfinite(low) and math.isfinite(high)
        self._groups.setdefault((colour, marker, finite), []).append((y, value, low, high))
        ax = self.ax
        if above:
            # Beside the bar the label could hide under a target marker drawn there.
            ax.annotate(
                text,
                (value, y),
                textcoords="offset points",
                xytext=(0, 7),
                ha="center",
                fontsize=9,
                color=colour,
                annotation_clip=False,
            )
            return
        ax.annotate(
            text,
            (high if finite else value, y),
            textcoords="offset points",
            xytext=(6, 0),
            va="center",
            fontsize=9,
            color=colour,
            annotation_clip=False,
        )

    def draw(self) -> None:
        """Every point added, with its bar where its interval is known."""
        for (colour, marker, finite), rows in self._groups.items():
            ys, values, lows, highs = np.array(rows, dtype=float).T
            if finite:
                self.ax.errorbar(
                    values,
                    ys,
                    xerr=[values - lows, highs - values],
                    fmt=marker,
                    color=colour,
                    ecolor=colour,
                    elinewidth=2,
                    capsize=3.5,
                    markersize=7.5,
                    gid="estimate",
                )
            else:
                self.ax.plot(
                    values,
                    ys,
                    linestyle="none",
                    marker=marker,
                    color=colour,
                    markersize=7.5,
                    gid="estimate",
                )
        self._groups.clear()


def trend_plot(
    frame: pd.DataFrame,
    labels: Labels,
    *,
    metric: str | Sequence[str] | None = None,
    waves: Sequence[str] | None = None,
    group: str | None = None,
    min_base: float = 30,
    suppress_below: float | None = None,
) -> Figure:
    """Metric(s) over waves with interval bands, one panel per metric, each on its full scale.

    Parameters
    ----------
    frame
        ``metric_by(..., by="wave")`` output (or ``by=["wave", group]``); several metrics
        may be stacked (``pd.concat``) and are told apart by the ``metric`` column.
    labels
        Report language (titles, axis labels, number format).
    metric
        Metric(s) to draw (``"nps"``, ``"csat"``... or metric_by's names); default: every
        metric in the frame, in order.
    waves
        Wave order on the x axis (oldest first); default: order of appearance.
    group
        Column with one line per group (colour-blind palette and a marker each);
        default: one line.
    min_base, suppress_below
        Small-base rule: small bases get hollow markers and †; suppressed ones are omitted.

    Returns
    -------
    Figure
        One axes per metric, its y axis the metric's whole scale (NPS −100…100,
        percentages 0–100) so that a change looks as large as it is; the estimate line
        carries ``gid="estimate"``. Each value is labelled on the side away from the line.
    """
    for column in ("wave", "value", "ci_low", "ci_high", "n"):
        if column not in frame.columns:
            raise ValueError(f"frame lacks column {column!r}; expected metric_by(by='wave') output")
    if group is not None and group not in frame.columns:
        raise ValueError(f"group {group!r} is not a column of frame")
    if metric is None:
        names = list(dict.fromkeys(frame["metric"])) if "metric" in frame else [""]
    else:
        names = [_metric_name(m) for m in ([metric] if isinstance(metric, str) else metric)]
    order = list(waves) if waves is not None else list(dict.fromkeys(frame["wave"].astype(str)))
    with chart_style():
        fig = ReportFigure(figsize=(TEXT_WIDTH_IN, 3.1), layout="constrained")
        axes = fig.subplots(1, len(names), squeeze=False)[0]
        items = []
        for ax, name in zip(axes, names, strict=True):
            part = frame if not name or "metric" not in frame else frame[frame["metric"] == name]
            if name and part.empty:
                raise ValueError(f"no rows for metric {name!r} in frame")
            points = _trend_axes(ax, part, labels, name, order, group, min_base, suppress_below)
            items.append(
                _chart_words(
                    labels,
                    "trend_alt_item",
                    metric=labels.metric(name, short=True) if name else "",
                    points=points,
                )
            )
    fig.alt = _chart_words(labels, "trend_alt", items="; ".join(items))
    return fig


def _label_side(y: np.ndarray, i: int) -> tuple[float, float, str, str]:
    """Offset (points) and alignment for point ``i``'s label: the side away from the line."""
    left = y[i - 1] - y[i] if i > 0 else None
    right = y[i + 1] - y[i] if i + 1 < len(y) else None
    sides = [d for d in (left, right) if d is not None]
    if not sides or all(d <= 0 for d in sides):
        return 0, 8, "center", "bottom"  # a peak (or alone): above
    if all(d >= 0 for d in sides):
        return 0, -8, "center", "top"  # a valley: below
    if left is not None and left < 0:  # rising: the line runs lower-left to upper-right
        return -6, 6, "right", "bottom"
    return 6, 6, "left", "bottom"  # falling: upper right is free


# seaborn's "colorblind" palette (seaborn.palettes.SEABORN_PALETTES, 0.13), written out so
# that a chart does not import seaborn (and scipy.stats and statsmodels with it, ~0.8 CPU s).
_COLORBLIND = (
    "#0173B2", "#DE8F05", "#029E73", "#D55E00", "#CC78BC",
    "#CA9161", "#FBAFE4", "#949494", "#ECE133", "#56B4E9",
)  # fmt: skip


def _colorblind_palette(n: int) -> list[tuple[float, float, float]]:
    """``seaborn.color_palette("colorblind", n)``: its ten colours, repeated past ten."""
    return [to_rgb(_COLORBLIND[i % len(_COLORBLIND)]) for i in range(n)]


def _trend_axes(
    ax: Axes,
    part: pd.DataFrame,
    labels: Labels,
    name: str,
    order: list[str],
    group: str | None,
    min_base: float,
    suppress_below: float | None,
) -> str:
    """Draw one metric's lines; return its values in words for the alt text."""
    position = {w: i for i, w in enumerate(order)}
    keys: list[Any] = list(dict.fromkeys(part[group])) if group is not None else [None]
    colours = [ACCENT] if group is None else _colorblind_palette(len(keys))
    markers = ["o", "s", "^", "D", "v", "P", "X"]
    digits = metric_decimals(name)
    said = []
    for k, (key, colour) in enumerate(zip(keys, colours, strict=True)):
        rows = part if group is None else part[part[group] == key]
        rows = rows[rows["wave"].astype(str).isin(list(position))]
        rows = rows.assign(_x=rows["wave"].astype(str).map(position)).sort_values("_x")
        status = np.array(_statuses(rows, min_base, suppress_below))
        keep = np.isin(status, ["ok", "low"])
        x = rows["_x"].to_numpy(dtype=float)[keep]
        y = rows["value"].to_numpy(dtype=float)[keep]
        lo = rows["ci_low"].to_numpy(dtype=float)[keep]
        hi = rows["ci_high"].to_numpy(dtype=float)[keep]
        n = rows["n"].to_numpy(dtype=float)[keep]
        small = status[keep] == "low"
        marker = markers[k % len(markers)]
        ax.fill_between(x, lo, hi, color=colour, alpha=0.18, linewidth=0)
        label = None if group is None else labels.value(group, key)
        ax.plot(x, y, color=colour, linewidth=2, marker=marker, label=label, gid="estimate")
        if small.any():
            # Hollow markers: a small base is visible without reading the footnote.
            ax.plot(
                x[small],
                y[small],
                linestyle="none",
                marker=marker,
                markersize=7,
                markerfacecolor="white",
                markeredgecolor=colour,
            )
        for i, (xi, yi, is_small) in enumerate(zip(x, y, small, strict=True)):
            text = format_number(yi, labels, decimals=digits)
            text += f" {LOW_BASE_FLAG}" if is_small else ""
            dx, dy, ha, va = _label_side(y, i)
            ax.annotate(
                text,
                (xi, yi),
                textcoords="offset points",
                xytext=(dx, dy),
                ha=ha,
                va=va,
                fontsize=9,
                color=colour,
            )
        waves = [order[int(v)] for v in x]
        said.append(
            (f"{label}: " if label else "")
            + ", ".join(
                f"{w} {_value_ci(v, a, b, labels, digits)}; {format_base(m, labels)}"
                for w, v, a, b, m in zip(waves, y, lo, hi, n, strict=True)
            )
        )
    ax.set_xticks(range(len(order)), order)
    # Panels side by side are narrow: little room outside the first and last wave, so the
    # wave names have room between them.
    ax.set_xlim(-0.3, len(order) - 0.7)
    ax.tick_params(axis="x", labelsize=8.5)
    low, high = honest_limits(name, part["ci_high"].to_numpy(float))
    ax.set_ylim(low, high)
    if low < 0 < high:
        ax.axhline(0, color=OVERALL, linewidth=0.8, zorder=0)
    _number_axis(ax.yaxis, name, labels)
    ax.set_title(labels.metric(name, short=True) if name else "")
    ax.set_xlabel(labels.column("wave"))
    ax.set_ylabel(labels.scale(name) if name else labels.column("value"))
    if group is not None:
        ax.legend(title=labels.column(group), frameon=False)
    return " / ".join(said)


def breakdown_plot(
    frame: pd.DataFrame,
    labels: Labels,
    *,
    group: str | None = None,
    overall: Estimate | float | None = None,
    targets: Mapping[str, float] | None = None,
    min_base: float = 30,
    suppress_below: float | None = None,
) -> Figure:
    """Horizontal point-and-interval chart of one metric by group, best group on top.

    Parameters
    ----------
    frame
        ``metric_by(..., by=group)`` output for one metric.
    labels
        Report language.
    group
        The grouping column; default: the frame's first non-statistics column.
    overall
        The whole sample's result, drawn as a dashed vertical line (named in the legend,
        where it covers no point).
    targets
        Group value → target, drawn as black diamonds.
    min_base, suppress_below
        Small bases are grey with † after the name; suppressed groups are listed at the
        bottom with their n and the words "too few responses" instead of a point.

    Returns
    -------
    Figure
        Tick labels read "name (n = 412)"; the points carry ``gid="estimate"``. The x axis
        is the metric's whole scale, the same in every breakdown chart of a report.
    """
    from cxresearch.present.tables import group_columns

    if group is None:
        found = group_columns(frame)
        group = str(found[0]) if found else ""
    if group not in frame.columns:
        raise ValueError(f"group {group!r} is not a column of frame {list(frame.columns)}")
    metrics = list(dict.fromkeys(frame["metric"])) if "metric" in frame else [""]
    if len(metrics) > 1:
        raise ValueError(f"frame holds several metrics {metrics}; pass one metric's rows")
    name = str(metrics[0])
    rows = frame.reset_index(drop=True)
    rows = rows.assign(_status=_statuses(rows, min_base, suppress_below))
    shown = rows["_status"].isin(["ok", "low"])
    # Hidden groups at the bottom, then shown groups by value so the best ends on top
    # (matplotlib draws y = 0 at the bottom).
    ordered = pd.concat([rows[~shown], rows[shown].sort_values("value", kind="stable")])
    records = ordered.to_dict("records")
    digits = metric_decimals(name)
    target_map = {str(k): float(v) for k, v in (targets or {}).items()}
    with chart_style():
        fig = ReportFigure(
            figsize=(TEXT_WIDTH_IN, 1.5 + 0.4 * max(len(records), 1)), layout="constrained"
        )
        ax = fig.subplots()
        points = _IntervalRows(ax)
        ticks = []
        for y, row in enumerate(records):
            status = str(row["_status"])
            n_text = labels.get("number.base").format(n=format_number(row["n"], labels))
            flag = f" {LOW_BASE_FLAG}" if status == "low" else ""
            ticks.append(f"{labels.value(group, row[group])} ({n_text}){flag}")
            if status in ("ok", "low"):
                colour = MUTED if status == "low" else ACCENT
                value = float(row["value"])
                text = format_number(value, labels, decimals=digits)
                points.add(y, value, float(row["ci_low"]), float(row["ci_high"]), colour, text)
            else:
                ax.annotate(
                    labels.status("suppressed"),
                    (0.01, y),
                    xycoords=("axes fraction", "data"),
                    va="center",
                    fontsize=9,
                    color=OVERALL,
                    style="italic",
                )
        points.draw()
        ax.set_yticks(range(len(records)), ticks)
        for tick, row in zip(ax.get_yticklabels(), records, strict=True):
            if row["_status"] != "ok":
                tick.set_color(OVERALL)
        marks = [
            (target_map[str(r[group])], y)
            for y, r in enumerate(records)
            if str(r[group]) in target_map
        ]
        handles: list[Any] = []
        if marks:
            handles += ax.plot(
                [m[0] for m in marks],
                [m[1] for m in marks],
                linestyle="none",
                marker="D",
                color=TARGET,
                markersize=7,
                label=labels.plain("target_marker"),
                gid="target",
            )
        level = None
        if overall is not None:
            level = overall.value if isinstance(overall, Estimate) else float(overall)
            line = ax.axvline(level, color=OVERALL, linestyle="--", linewidth=1.2)
            line.set_label(
                _chart_words(
                    labels, "overall_line", value=format_number(level, labels, decimals=digits)
                )
            )
            handles.append(line)
        if handles:
            fig.legend(handles=handles, loc="outside lower center", ncol=2, frameon=False)
        low, high = honest_limits(name, ordered["ci_high"].to_numpy(float))
        ax.set_xlim(low, high)
        if low < 0 < high:
            ax.axvline(0, color=OVERALL, linewidth=0.8, zorder=0)
        ax.set_ylim(-0.6, len(records) - 0.4)
        _number_axis(ax.xaxis, name, labels)
        title = f"{labels.metric(name)}: {labels.column(group)}" if name else labels.column(group)
        ax.set_title(title)
        ax.set_xlabel(labels.scale(name) if name else labels.column("value"))
        ax.grid(axis="y", visible=False)
    items = "; ".join(
        f"{labels.value(group, r[group])} "
        + (
            _value_ci(float(r["value"]), float(r["ci_low"]), float(r["ci_high"]), labels, digits)
            if r["_status"] in ("ok", "low")
            else labels.status("suppressed")
        )
        + f" ({format_base(r['n'], labels)})"
        for r in records[::-1]
    )
    said = (
        _chart_words(
            labels, "breakdown_alt_overall", value=format_number(level, labels, decimals=digits)
        )
        if level is not None
        else ""
    )
    fig.alt = _chart_words(
        labels,
        "breakdown_alt",
        metric=labels.metric(name, short=True),
        group=labels.column(group).lower(),
        items=items,
        overall=said,
    )
    return fig


def target_plot(frame: pd.DataFrame, labels: Labels) -> Figure:
    """Each target's actual result with its interval and the target, per metric.

    ``frame`` is ``RunSession.target_results()``; rows without a result (no data,
    suppressed) are left out, as the target table lists them. One panel per metric on
    the metric's whole scale, because NPS and percentages do not share a scale. A
    status has its colour, its marker (▲ met, ▼ not met, ● cannot tell) and its name.
    """
    rows = frame[frame["status"].isin(list(STATUS_COLOURS))].reset_index(drop=True)
    metrics = [str(m) for m in dict.fromkeys(rows["metric"])] or [""]
    per_panel = max([int((rows["metric"] == m).sum()) for m in metrics] + [1])
    said = []
    with chart_style():
        fig = ReportFigure(
            figsize=(TEXT_WIDTH_IN, (1.4 + 0.42 * per_panel) * len(metrics) + 0.3),
            layout="constrained",
        )
        axes = fig.subplots(len(metrics), 1, squeeze=False)[:, 0]
        for ax, name in zip(axes, metrics, strict=True):
            part = rows[rows["metric"] == name].iloc[::-1].to_dict("records")
            digits = metric_decimals(name)
            points = _IntervalRows(ax)
            for y, row in enumerate(part):
                status = str(row["status"])
                colour = STATUS_COLOURS[status]
                value = float(row["value"])
                text = format_number(value, labels, decimals=digits)
                points.add(
                    y,
                    value,
                    float(row["ci_low"]),
                    float(row["ci_high"]),
                    colour,
                    text,
                    above=True,
                    marker=STATUS_MARKERS[status],
                )
            points.draw()
            # Each row's target after the points (a diamond over its own row's bar).
            ax.plot(
                [float(row["target"]) for row in part],
                list(range(len(part))),
                marker="D",
                color=TARGET,
                markerfacecolor="white",
                markeredgewidth=1.6,
                markersize=7,
                linestyle="none",
                gid="target",
            )
            ticks = [f"{r['label']} — {labels.status(str(r['status']))}" for r in part]
            ax.set_yticks(range(len(part)), ticks)
            for tick, r in zip(ax.get_yticklabels(), part, strict=True):
                tick.set_color(STATUS_COLOURS[str(r["status"])])
            # A metric without fixed bounds: up to the highest interval end or target drawn.
            drawn = [float(r["ci_high"]) for r in part] + [float(r["target"]) for r in part]
            low, high = honest_limits(name, np.array(drawn, dtype=float))
            ax.set_xlim(low, high)
            if low < 0 < high:
                ax.axvline(0, color=OVERALL, linewidth=0.8, zorder=0)
            ax.set_ylim(-0.6, len(part) - 0.4)
            _number_axis(ax.xaxis, name, labels)
            ax.set_title(labels.metric(name) if name else "")
            ax.set_xlabel(labels.scale(name) if name else labels.column("value"))
            ax.grid(axis="y", visible=False)
            for r in part[::-1]:
                level = float(r.get("interval_level", 0.95))
                said.append(
                    _chart_words(
                        labels,
                        "target_alt_item",
                        label=f"{r['label']} ({labels.metric(name, short=True)})",
                        value=format_number(r["value"], labels, decimals=digits),
                        interval=f"{format_ci_label(level, labels)} "
                        + format_interval(r["ci_low"], r["ci_high"], labels, decimals=digits),
                        target=format_number(r["target"], labels, decimals=digits),
                        status=labels.status(str(r["status"])),
                    )
                )
        handle = Line2D(
            [], [], marker="D", color=TARGET, markerfacecolor="white", markeredgewidth=1.6,
            linestyle="none",
        )  # fmt: skip
        fig.legend(
            [handle], [labels.plain("target_marker")], loc="outside lower center", frameon=False
        )
    fig.alt = _chart_words(labels, "target_alt", items="; ".join(said))
    return fig


def benchmark_plot(
    client: Estimate, benchmarks: pd.DataFrame, labels: Labels, *, client_label: str
) -> Figure:
    """The client's result next to norms, each with its interval when known.

    Parameters
    ----------
    client
        The client's estimate (current wave).
    benchmarks
        Rows with ``name, value`` and optionally ``ci_low, ci_high`` (params benchmarks of
        the client's metric).
    labels
        Report language.
    client_label
        How the client's row is named, e.g. "Kotiposti Oy 2026Q3".

    Returns
    -------
    Figure
        The client on top in the accent colour, norms below in grey, on the metric's
        whole scale.
    """
    for column in ("name", "value"):
        if column not in benchmarks.columns:
            raise ValueError(f"benchmarks lacks column {column!r}")
    nan = pd.Series(np.nan, index=benchmarks.index)
    names = [client_label, *benchmarks["name"].astype(str)]
    values = [client.value, *benchmarks["value"].astype(float)]
    lows = [client.ci_low, *benchmarks.get("ci_low", nan).astype(float)]
    highs = [client.ci_high, *benchmarks.get("ci_high", nan).astype(float)]
    digits = metric_decimals(client.metric)
    with chart_style():
        fig = ReportFigure(figsize=(TEXT_WIDTH_IN, 1.3 + 0.5 * len(names)), layout="constrained")
        ax = fig.subplots()
        points = _IntervalRows(ax)
        for i, (value, low, high) in enumerate(zip(values, lows, highs, strict=True)):
            colour = ACCENT if i == 0 else OVERALL
            marker = "o" if i == 0 else "s"
            text = format_number(value, labels, decimals=digits)
            points.add(len(names) - 1 - i, value, low, high, colour, text, marker=marker)
        points.draw()
        ax.set_yticks(range(len(names)), names[::-1])
        ax.get_yticklabels()[-1].set_color(ACCENT)
        ax.set_ylim(-0.6, len(names) - 0.4)
        low, high = honest_limits(client.metric, np.array(highs + values, dtype=float))
        ax.set_xlim(low, high)
        if low < 0 < high:
            ax.axvline(0, color=OVERALL, linewidth=0.8, zorder=0)
        _number_axis(ax.xaxis, client.metric, labels)
        ax.set_title(labels.metric(client.metric))
        ax.set_xlabel(labels.scale(client.metric))
        ax.grid(axis="y", visible=False)
    items = "; ".join(
        f"{n} {_value_ci(v, lo, hi, labels, digits, client.confidence)}"
        for n, v, lo, hi in zip(names, values, lows, highs, strict=True)
    )
    fig.alt = _chart_words(
        labels, "benchmark_alt", metric=labels.metric(client.metric, short=True), items=items
    )
    return fig
