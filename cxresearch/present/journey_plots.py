"""Journey charts: the stage × touchpoint heat-map, and estimates with intervals by group.

The heat-map colours a metric's cells by how far each lies from the whole sample's result
(blue above, red below; reversed for metrics where lower is better), and writes in each
cell its value, interval and base. A cell whose base is under ``min_base`` is grey, not
coloured, and flagged †; under the suppression threshold it shows only its n. Drawn
without pyplot inside :func:`~cxresearch.present.plots.chart_style`, as every report chart.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.colors import Normalize, TwoSlopeNorm
from matplotlib.figure import Figure

from cxresearch.present.chart_base import TEXT_WIDTH_IN
from cxresearch.present.format import LOW_BASE_FLAG, base_status, format_interval, format_number
from cxresearch.present.labels import Labels
from cxresearch.present.plots import ACCENT, MUTED, OVERALL, ReportFigure, chart_style
from cxresearch.present.plots import _chart_words as chart_words

__all__ = ["estimate_plot", "journey_heatmap"]

_GREY_CELL = "#e4e7eb"
_EMPTY_CELL = "#ffffff"
_CMAP = "RdBu"


def journey_heatmap(
    cells: pd.DataFrame,
    labels: Labels,
    *,
    rows: str,
    columns: str,
    row_order: Sequence[object],
    column_order: Sequence[object],
    title: str,
    centre: float,
    decimals: int,
    lower_is_better: bool = False,
    min_base: float = 30,
    suppress_below: float | None = None,
    value_range: tuple[float, float] | None = None,
) -> Figure:
    """One metric by two groupings (e.g. touchpoint × journey stage) as an annotated heat-map.

    Parameters
    ----------
    cells : DataFrame
        One row per cell: the ``rows`` and ``columns`` keys, ``value``, ``ci_low``,
        ``ci_high``, ``n`` and ``n_effective`` (as ``metric_by`` returns them).
    labels : Labels
        Report language (category names, number format).
    rows, columns : str
        The grouping columns drawn as rows and columns.
    row_order, column_order : sequence
        Keys in the order drawn; combinations without a row in ``cells`` stay white.
    title : str
        Chart title (plain text).
    centre : float
        The value shown white (e.g. the whole sample's result).
    decimals : int
        Decimals of values and intervals.
    lower_is_better : bool
        Reverse the colours (a long handling time is red).
    min_base, suppress_below : float
        Small-base rule of :func:`~cxresearch.present.format.base_status`.
    value_range : (float, float), optional
        Colour scale limits; default symmetric around ``centre`` over the shown values.

    Returns
    -------
    Figure
        Coloured cells carry ``gid="cell"``, grey ones ``gid="low-base"``.
    """
    lookup = {(str(r[rows]), str(r[columns])): r for r in cells.to_dict("records")}
    nrows, ncols = len(row_order), len(column_order)
    values = np.full((nrows, ncols), np.nan)
    status = np.full((nrows, ncols), "empty", dtype=object)
    for i, rk in enumerate(row_order):
        for j, ck in enumerate(column_order):
            cell = lookup.get((str(rk), str(ck)))
            if cell is None:
                continue
            status[i, j] = base_status(
                cell["n"], cell.get("n_effective", math.nan), min_base=min_base,
                suppress_below=suppress_below,
            )  # fmt: skip
            values[i, j] = cell["value"]
    coloured = status == "ok"
    shown = values[coloured & np.isfinite(values)]
    spread = float(np.max(np.abs(shown - centre))) if shown.size else 1.0
    low, high = value_range or (centre - max(spread, 1e-9), centre + max(spread, 1e-9))
    norm = TwoSlopeNorm(vcenter=centre, vmin=min(low, centre - 1e-9), vmax=max(high, centre + 1e-9))
    cmap = mpl.colormaps[_CMAP + ("_r" if lower_is_better else "")]
    with chart_style():
        # At most the A4 text width, so the cells' text prints at its size (8 pt or more).
        width = min(TEXT_WIDTH_IN, 1.7 + 1.55 * ncols)
        fig = ReportFigure(figsize=(width, 1.2 + 0.85 * nrows), layout="constrained")
        # The column names are above the cells: matplotlib places the title above them
        # (axes.titley None, where the axes is made and where its title is set).
        with mpl.rc_context({"axes.titley": None}):
            ax = fig.subplots()
        for i, rk in enumerate(row_order):
            for j, ck in enumerate(column_order):
                state = status[i, j]
                face = (
                    cmap(norm(values[i, j]))
                    if state == "ok"
                    else (_EMPTY_CELL if state == "empty" else _GREY_CELL)
                )
                gid = "cell" if state == "ok" else ("empty" if state == "empty" else "low-base")
                ax.add_patch(
                    mpl.patches.Rectangle(
                        (j, i), 1, 1, facecolor=face, edgecolor="white", linewidth=2, gid=gid
                    )
                )
                if state == "empty":
                    continue
                cell = lookup[(str(rk), str(ck))]
                _annotate(ax, i, j, cell, state, labels, decimals, face)
        ax.set_xlim(0, ncols)
        ax.set_ylim(nrows, 0)
        ax.set_xticks(np.arange(ncols) + 0.5, [labels.value(columns, c) for c in column_order])
        ax.set_yticks(np.arange(nrows) + 0.5, [labels.value(rows, r) for r in row_order])
        ax.tick_params(length=0)
        ax.xaxis.tick_top()
        ax.grid(False)
        for side in ax.spines.values():
            side.set_visible(False)
        with mpl.rc_context({"axes.titley": None}):
            ax.set_title(title, pad=12)
        scalar = mpl.cm.ScalarMappable(norm=_colourbar_norm(norm), cmap=cmap)
        bar = fig.colorbar(scalar, ax=ax, shrink=0.8, pad=0.02)
        bar.ax.axhline(centre, color=OVERALL, linewidth=1)
        bar.ax.yaxis.set_major_formatter(
            mpl.ticker.FuncFormatter(lambda v, _p: format_number(v, labels, decimals=decimals))
        )
    items = []
    for i, rk in enumerate(row_order):
        for j, ck in enumerate(column_order):
            if status[i, j] in ("ok", "low"):
                cell = lookup[(str(rk), str(ck))]
                value = format_number(cell["value"], labels, decimals=decimals)
                band = format_interval(cell["ci_low"], cell["ci_high"], labels, decimals=decimals)
                items.append(
                    f"{labels.value(rows, rk)} × {labels.value(columns, ck)} {value} ({band})"
                )
    fig.alt = chart_words(labels, "heatmap_alt", title=title, items="; ".join(items))
    return fig


def _colourbar_norm(norm: TwoSlopeNorm) -> Normalize:
    """The colour bar's scale: linear where the cells' two slopes are one line.

    A colour bar of a ``TwoSlopeNorm`` gets a "function" scale that sends every tick,
    label and pixel row through the norm and its inverse on masked arrays (a tenth of
    drawing a heat-map); centred in its range, the norm is the straight line from vmin to
    vmax, so a linear ``Normalize`` draws the same bar, ticks and colours.
    """
    if norm.vmin is None or norm.vmax is None:
        return norm
    vmin, vcentre, vmax = float(norm.vmin), float(norm.vcenter), float(norm.vmax)
    if math.isclose(vcentre - vmin, vmax - vcentre, rel_tol=1e-9, abs_tol=0.0):
        return Normalize(vmin=vmin, vmax=vmax)
    return norm


def _annotate(
    ax: Any,
    i: int,
    j: int,
    cell: Mapping[Any, Any],
    state: str,
    labels: Labels,
    decimals: int,
    face: Any,
) -> None:
    n_text = labels.get("number.base").format(n=format_number(cell["n"], labels))
    red, green, blue = mpl.colors.to_rgb(face)
    # White text on dark cells (relative luminance, ITU-R BT.709), dark text elsewhere.
    dark = state == "ok" and 0.2126 * red + 0.7152 * green + 0.0722 * blue < 0.5
    ink = "white" if dark else ("#323f4b" if state == "ok" else "#616e7c")
    if state == "suppressed":
        lines = [labels.get("number.missing"), n_text]
    else:
        value = format_number(cell["value"], labels, decimals=decimals)
        flag = f" {LOW_BASE_FLAG}" if state == "low" else ""
        interval = format_interval(cell["ci_low"], cell["ci_high"], labels, decimals=decimals)
        lines = [value + flag, f"({interval})", n_text]
    sizes = [11, 8, 8] if len(lines) == 3 else [11, 8]
    offsets = [-0.2, 0.08, 0.3] if len(lines) == 3 else [-0.08, 0.22]
    # Out of the layout: centred in its cell, well inside the axes, a cell's text never
    # widens the chart's bounds, and measuring 75 texts in each layout pass cost a fifth
    # of drawing the heatmap.
    for text, size, dy in zip(lines, sizes, offsets, strict=True):
        ax.text(
            j + 0.5, i + 0.5 + dy, text, ha="center", va="center", fontsize=size, color=ink,
            fontweight="bold" if size == 11 else "normal", in_layout=False,
        )  # fmt: skip


def estimate_plot(
    frame: pd.DataFrame,
    labels: Labels,
    *,
    names: Sequence[str],
    title: str,
    axis_label: str,
    decimals: int,
    reference: float | None = None,
    reference_label: str | None = None,
    min_base: float = 30,
    suppress_below: float | None = None,
) -> Figure:
    """Estimates with intervals, one row each (top to bottom in ``frame``'s order).

    ``frame`` has ``value, ci_low, ci_high, n`` (and ``n_effective``); ``names`` are the
    row labels. A small base is grey with †; a suppressed one shows no point.
    ``reference`` draws a dashed vertical line (e.g. an odds ratio of 1, or the overall).
    """
    records = frame.reset_index(drop=True).to_dict("records")
    with chart_style():
        fig = ReportFigure(
            figsize=(TEXT_WIDTH_IN, 1.2 + 0.42 * max(len(records), 1)), layout="constrained"
        )
        ax = fig.subplots()
        finite: list[float] = []
        for k, row in enumerate(records):
            y = len(records) - 1 - k
            state = base_status(
                row["n"], row.get("n_effective", math.nan), min_base=min_base,
                suppress_below=suppress_below,
            )  # fmt: skip
            if state in ("suppressed", "empty") or not np.isfinite(row["value"]):
                continue
            colour = ACCENT if state == "ok" else MUTED
            low, high, value = float(row["ci_low"]), float(row["ci_high"]), float(row["value"])
            ax.errorbar(
                [value], [y], xerr=[[value - low], [high - value]], fmt="o", color=colour,
                ecolor=colour, elinewidth=2, capsize=3, markersize=7, gid="estimate",
            )  # fmt: skip
            text = format_number(value, labels, decimals=decimals)
            if state == "low":
                text += f" {LOW_BASE_FLAG}"
            ax.annotate(text, (high, y), textcoords="offset points", xytext=(6, -3),
                        fontsize=9, color=colour)  # fmt: skip
            finite += [low, high]
        ax.set_yticks(range(len(records)), list(reversed(list(names))))
        if reference is not None:
            ax.axvline(reference, color=OVERALL, linestyle="--", linewidth=1)
            finite.append(reference)
            if reference_label:
                ax.annotate(reference_label, (reference, 1.0), xycoords=("data", "axes fraction"),
                            xytext=(3, -12), textcoords="offset points", fontsize=8,
                            color=OVERALL)  # fmt: skip
        if finite:
            lo, hi = min(finite), max(finite)
            pad = max(hi - lo, 1e-9) * 0.12
            ax.set_xlim(lo - pad, hi + 2 * pad)
        ax.set_ylim(-0.6, len(records) - 0.4)
        ax.xaxis.set_major_formatter(
            mpl.ticker.FuncFormatter(lambda v, _p: format_number(v, labels, decimals=decimals))
        )
        ax.set_title(title)
        ax.set_xlabel(axis_label)
        ax.grid(axis="y", visible=False)
    shown = [
        f"{name} {format_number(r['value'], labels, decimals=decimals)} "
        f"({format_interval(r['ci_low'], r['ci_high'], labels, decimals=decimals)})"
        for name, r in zip(names, records, strict=True)
        if np.isfinite(r["value"])
    ]
    fig.alt = chart_words(labels, "estimate_alt", title=title, items="; ".join(shown))
    return fig
