"""Report charts: estimates with their intervals, readable without the code behind them.

Every chart shows intervals (a band over waves, bars around points), labels every axis
from :class:`~cxresearch.present.labels.Labels`, greys small bases with the same rule as
the tables (:func:`~cxresearch.present.format.base_status`), and uses one palette (the
report stylesheet's accent blue; seaborn's colour-blind palette when several series share
a chart). Nothing is random (no jitter), sizes are fixed by the number of rows, and each
function returns a :class:`matplotlib.figure.Figure` made without pyplot: nothing is left
open in pyplot's figure list and nothing is shown twice in a notebook. The figure renders
itself as a PNG in Jupyter (``_repr_png_``) at a fixed resolution.

Styling is applied by :func:`chart_style` (``seaborn.axes_style``/``matplotlib.rc_context``)
while the figure is drawn, so the caller's global matplotlib settings are not changed.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator

from cxresearch.present.format import (
    LOW_BASE_FLAG,
    base_status,
    format_number,
    metric_bounds,
    metric_decimals,
)
from cxresearch.present.labels import Labels
from cxresearch.results import Estimate
from cxresearch.stats.metrics import METRICS

ACCENT = "#1d4e89"  # report.css --cx-accent
MUTED = "#9aa5b1"
OVERALL = "#52606d"
TARGET = "#c2410c"
STATUS_COLOURS = {"met": "#1b7f3b", "not_met": "#b42318", "inconclusive": "#52606d"}
DPI = 110
# text.parse_math off: category names come from data, and "$5 $10" must print as written,
# not as mathtext (a malformed "$\frac$" would stop the chart).
_RC: dict[str, Any] = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "text.parse_math": False,
}


# Margin (inches) the constrained layout keeps between the figure's edge and its labels:
# its default 3/72 plus the 0.1 that ``bbox_inches="tight"`` used to add around it.
_PAD = 3 / 72 + 0.1


class ReportFigure(Figure):
    """A Figure that shows itself as a PNG in Jupyter at the report's resolution.

    The PNG is the figure at its own size (8 inches at 110 dpi = 880 px, the width the
    HTML shows it at), drawn once. Every chart uses the constrained layout, which keeps all
    labels inside the figure, so ``bbox_inches="tight"`` is not used: it draws the figure a
    second time only to measure it (measured: about 30 % of a chart's rendering time).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        engine = self.get_layout_engine()
        if isinstance(engine, ConstrainedLayoutEngine):
            engine.set(w_pad=_PAD, h_pad=_PAD)

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=DPI)
        return buffer.getvalue()


@contextmanager
def chart_style() -> Iterator[None]:
    """The report's chart style while a figure is drawn: ``with chart_style(): ...``.

    Seaborn's ``whitegrid`` axes with the report's font sizes and bold titles, applied
    through ``seaborn.axes_style`` and ``matplotlib.rc_context`` so the caller's global
    matplotlib settings are back as they were when the block ends. Every report chart
    (here and in :mod:`cxresearch.present.driver_plots`) is drawn inside it, so charts of
    different analyses look alike.

    References
    ----------
    Waskom, M. (2021). seaborn: statistical data visualization. *Journal of Open Source
    Software* 6(60), 3021 (``axes_style``).
    """
    with sns.axes_style("whitegrid"), mpl.rc_context(_RC):  # type: ignore[arg-type]
        yield


def _metric_name(metric: str) -> str:
    # Callers say "csat"; metric_by's rows say "csat_top2". Accept both.
    return METRICS[metric].name if metric in METRICS else metric


def _limits(metric: str, values: np.ndarray) -> tuple[float, float]:
    """Axis range covering every value with some air, inside the metric's scale."""
    finite = values[np.isfinite(values)]
    bounds = metric_bounds(metric)
    if finite.size == 0:
        return bounds if bounds is not None else (0.0, 1.0)
    low, high = float(finite.min()), float(finite.max())
    minimum_span = 20.0 if bounds is not None else 1.0
    pad = max((high - low) * 0.15, (minimum_span - (high - low)) / 2, minimum_span / 20)
    low, high = low - pad, high + pad
    if bounds is not None:
        low, high = max(low, bounds[0]), min(high, bounds[1])
    return low, high


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


def _interval_row(
    ax: Axes,
    y: float,
    value: float,
    low: float,
    high: float,
    colour: str,
    text: str,
    *,
    above: bool = False,
) -> None:
    """One horizontal point with its interval bar and its value to the right (or above)."""
    if math.isfinite(low) and math.isfinite(high):
        ax.errorbar(
            [value],
            [y],
            xerr=[[value - low], [high - value]],
            fmt="o",
            color=colour,
            ecolor=colour,
            elinewidth=2,
            capsize=3,
            markersize=7,
            gid="estimate",
        )
        right = high
    else:
        ax.plot([value], [y], marker="o", color=colour, markersize=7, gid="estimate")
        right = value
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
        )
        return
    ax.annotate(
        text, (right, y), textcoords="offset points", xytext=(6, -3), fontsize=9, color=colour
    )


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
    """Metric(s) over waves with interval bands, one panel per metric.

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
        Column with one line per group (colour-blind palette); default: one line.
    min_base, suppress_below
        Small-base rule: small bases get hollow markers and †; suppressed ones are omitted.

    Returns
    -------
    Figure
        One axes per metric; its estimate line carries ``gid="estimate"``.
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
        fig = ReportFigure(figsize=(4.4 * len(names), 3.6), layout="constrained")
        axes = fig.subplots(1, len(names), squeeze=False)[0]
        for ax, name in zip(axes, names, strict=True):
            part = frame if not name or "metric" not in frame else frame[frame["metric"] == name]
            if name and part.empty:
                raise ValueError(f"no rows for metric {name!r} in frame")
            _trend_axes(ax, part, labels, name, order, group, min_base, suppress_below)
    return fig


def _trend_axes(
    ax: Axes,
    part: pd.DataFrame,
    labels: Labels,
    name: str,
    order: list[str],
    group: str | None,
    min_base: float,
    suppress_below: float | None,
) -> None:
    position = {w: i for i, w in enumerate(order)}
    keys: list[Any] = list(dict.fromkeys(part[group])) if group is not None else [None]
    colours = [ACCENT] if group is None else sns.color_palette("colorblind", len(keys))
    digits = metric_decimals(name)
    for key, colour in zip(keys, colours, strict=True):
        rows = part if group is None else part[part[group] == key]
        rows = rows[rows["wave"].astype(str).isin(list(position))]
        rows = rows.assign(_x=rows["wave"].astype(str).map(position)).sort_values("_x")
        status = np.array(_statuses(rows, min_base, suppress_below))
        keep = np.isin(status, ["ok", "low"])
        x = rows["_x"].to_numpy(dtype=float)[keep]
        y = rows["value"].to_numpy(dtype=float)[keep]
        lo = rows["ci_low"].to_numpy(dtype=float)[keep]
        hi = rows["ci_high"].to_numpy(dtype=float)[keep]
        small = status[keep] == "low"
        ax.fill_between(x, lo, hi, color=colour, alpha=0.18, linewidth=0)
        label = None if group is None else labels.value(group, key)
        ax.plot(x, y, color=colour, linewidth=2, marker="o", label=label, gid="estimate")
        if small.any():
            # Hollow markers: a small base is visible without reading the footnote.
            ax.plot(
                x[small],
                y[small],
                linestyle="none",
                marker="o",
                markersize=7,
                markerfacecolor="white",
                markeredgecolor=colour,
            )
        for xi, yi, is_small in zip(x, y, small, strict=True):
            text = format_number(yi, labels, decimals=digits)
            text += f" {LOW_BASE_FLAG}" if is_small else ""
            ax.annotate(
                text,
                (xi, yi),
                textcoords="offset points",
                xytext=(0, 8),
                ha="center",
                fontsize=9,
                color=colour,
            )
    ax.set_xticks(range(len(order)), order)
    ax.set_xlim(-0.5, len(order) - 0.5)
    bounds = np.concatenate([part["ci_low"].to_numpy(float), part["ci_high"].to_numpy(float)])
    ax.set_ylim(*_limits(name, bounds))
    _number_axis(ax.yaxis, name, labels)
    ax.set_title(labels.metric(name) if name else "")
    ax.set_xlabel(labels.column("wave"))
    ax.set_ylabel(labels.scale(name) if name else labels.column("value"))
    if group is not None:
        ax.legend(title=labels.column(group), fontsize=8, title_fontsize=8, frameon=False)


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
        The whole sample's result, drawn as a dashed vertical line.
    targets
        Group value → target, drawn as orange diamonds.
    min_base, suppress_below
        Small bases are grey with † after the name; suppressed groups are listed at the
        bottom with their n and the words "too few responses" instead of a point.

    Returns
    -------
    Figure
        Tick labels read "name (n = 412)"; the points carry ``gid="estimate"``.
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
        fig = ReportFigure(figsize=(8.0, 1.3 + 0.42 * max(len(records), 1)), layout="constrained")
        ax = fig.subplots()
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
                _interval_row(
                    ax, y, value, float(row["ci_low"]), float(row["ci_high"]), colour, text
                )
            else:
                ax.annotate(
                    labels.status("suppressed"),
                    (0.01, y),
                    xycoords=("axes fraction", "data"),
                    va="center",
                    fontsize=9,
                    color=MUTED,
                    style="italic",
                )
        ax.set_yticks(range(len(records)), ticks)
        for tick, row in zip(ax.get_yticklabels(), records, strict=True):
            if row["_status"] != "ok":
                tick.set_color(MUTED)
        marks = [
            (target_map[str(r[group])], y)
            for y, r in enumerate(records)
            if str(r[group]) in target_map
        ]
        if marks:
            ax.plot(
                [m[0] for m in marks],
                [m[1] for m in marks],
                linestyle="none",
                marker="D",
                color=TARGET,
                markersize=7,
                label=labels.plain("target_marker"),
                gid="target",
            )
            ax.legend(loc="lower right", fontsize=8, frameon=False)
        values = np.concatenate(
            [
                ordered.loc[shown, "ci_low"].to_numpy(float),
                ordered.loc[shown, "ci_high"].to_numpy(float),
                np.array([m[0] for m in marks], dtype=float),
            ]
        )
        if overall is not None:
            level = overall.value if isinstance(overall, Estimate) else float(overall)
            values = np.append(values, level)
            ax.axvline(level, color=OVERALL, linestyle="--", linewidth=1)
            ax.annotate(
                f"{labels.plain('overall')} {format_number(level, labels, decimals=digits)}",
                (level, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(3, -12),
                textcoords="offset points",
                fontsize=8,
                color=OVERALL,
            )
        low, high = _limits(name, values)
        ax.set_xlim(low, high + (high - low) * 0.08)  # room for the value labels
        ax.set_ylim(-0.6, len(records) - 0.4)
        _number_axis(ax.xaxis, name, labels)
        title = f"{labels.metric(name)}: {labels.column(group)}" if name else labels.column(group)
        ax.set_title(title)
        ax.set_xlabel(labels.scale(name) if name else labels.column("value"))
        ax.grid(axis="y", visible=False)
    return fig


def target_plot(frame: pd.DataFrame, labels: Labels) -> Figure:
    """Each target's actual result with its interval (coloured by status) and the target.

    ``frame`` is ``RunSession.target_results()``; rows without a result (no data,
    suppressed) are left out, as the target table lists them. One panel per metric,
    because NPS and percentages do not share a scale.
    """
    rows = frame[frame["status"].isin(list(STATUS_COLOURS))].reset_index(drop=True)
    metrics = [str(m) for m in dict.fromkeys(rows["metric"])] or [""]
    per_panel = max([int((rows["metric"] == m).sum()) for m in metrics] + [1])
    with chart_style():
        fig = ReportFigure(
            figsize=(8.0, (1.5 + 0.42 * per_panel) * len(metrics)), layout="constrained"
        )
        axes = fig.subplots(len(metrics), 1, squeeze=False)[:, 0]
        for ax, name in zip(axes, metrics, strict=True):
            part = rows[rows["metric"] == name].iloc[::-1].to_dict("records")
            digits = metric_decimals(name)
            for y, row in enumerate(part):
                colour = STATUS_COLOURS[str(row["status"])]
                value = float(row["value"])
                text = format_number(value, labels, decimals=digits)
                _interval_row(
                    ax,
                    y,
                    value,
                    float(row["ci_low"]),
                    float(row["ci_high"]),
                    colour,
                    text,
                    above=True,
                )
                ax.plot(
                    [float(row["target"])],
                    [y],
                    marker="D",
                    color=TARGET,
                    markersize=7,
                    linestyle="none",
                    gid="target",
                )
            ticks = [f"{r['label']} — {labels.status(str(r['status']))}" for r in part]
            ax.set_yticks(range(len(part)), ticks)
            for tick, r in zip(ax.get_yticklabels(), part, strict=True):
                tick.set_color(STATUS_COLOURS[str(r["status"])])
            values = np.array(
                [v for r in part for v in (r["ci_low"], r["ci_high"], r["target"])], dtype=float
            )
            low, high = _limits(name, values)
            ax.set_xlim(low, high + (high - low) * 0.08)
            ax.set_ylim(-0.6, len(part) - 0.4)
            _number_axis(ax.xaxis, name, labels)
            ax.set_title(labels.metric(name) if name else "")
            ax.set_xlabel(labels.scale(name) if name else labels.column("value"))
            ax.grid(axis="y", visible=False)
            handle = Line2D([], [], marker="D", color=TARGET, linestyle="none")
            ax.legend([handle], [labels.plain("target_marker")], loc="lower right", fontsize=8)
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
        The client on top in the accent colour, norms below in grey-blue.
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
        fig = ReportFigure(figsize=(8.0, 1.3 + 0.5 * len(names)), layout="constrained")
        ax = fig.subplots()
        for i, (value, low, high) in enumerate(zip(values, lows, highs, strict=True)):
            colour = ACCENT if i == 0 else OVERALL
            text = format_number(value, labels, decimals=digits)
            _interval_row(ax, len(names) - 1 - i, value, low, high, colour, text)
        ax.set_yticks(range(len(names)), names[::-1])
        ax.get_yticklabels()[-1].set_color(ACCENT)
        ax.set_ylim(-0.6, len(names) - 0.4)
        low, high = _limits(client.metric, np.array(lows + highs + values, dtype=float))
        ax.set_xlim(low, high + (high - low) * 0.08)
        _number_axis(ax.xaxis, client.metric, labels)
        ax.set_title(labels.metric(client.metric))
        ax.set_xlabel(labels.scale(client.metric))
        ax.grid(axis="y", visible=False)
    return fig
