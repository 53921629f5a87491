"""Key-driver charts: importance with its noise baseline, and importance–performance (IPA).

The charts of the driver report, drawn from
:func:`~cxresearch.stats.drivers.driver_importance` and
:func:`~cxresearch.stats.drivers.importance_performance` results and worded by
:mod:`cxresearch.present.drivers` (driver, outcome and priority names, the ``drivers``
section of the label files). They follow :mod:`cxresearch.present.chart_base`: the A4
text width, no text under 8 pt, Okabe–Ito colours with a marker shape per priority,
alt text in the report's language, no pyplot. The importance axis starts at zero (and
takes a common end when charts of several outcomes are compared); the IPA map zooms in
on the ratings and marks its performance axis as cut. Kept apart from the wording and
tables so that importing those does not load matplotlib.

References
----------
Martilla, J. A. & James, J. C. (1977). Importance-performance analysis. *Journal of
Marketing* 41(1), 77–79.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator
from matplotlib.transforms import Bbox

from cxresearch.present.chart_base import (
    ACCENT,
    MUTED,
    OKABE_ITO,
    OVERALL,
    TEXT_WIDTH_IN,
    ReportFigure,
    chart_style,
    mark_axis_break,
)
from cxresearch.present.drivers import (
    driver_label,
    driver_plain,
    outcome_label,
    priority_label,
    status_label,
)
from cxresearch.present.format import (
    format_ci_label,
    format_interval,
    format_number,
    format_percent,
)
from cxresearch.present.labels import Labels

__all__ = [
    "PRIORITY_COLOURS",
    "importance_plot",
    "ipa_performance_range",
    "ipa_plot",
    "share_axis_end",
]

# Okabe–Ito colours, and a marker shape per priority as well (colour-blind readers).
PRIORITY_COLOURS = {
    "fix first": OKABE_ITO["vermillion"],
    "keep up": OKABE_ITO["blue"],
    "possible overkill": OKABE_ITO["orange"],
    "low priority": OKABE_ITO["grey"],
}
#: Bars of the importance chart: light, so the interval's dark whisker shows on them.
BAR = "#8fb4dc"
_MARKERS = {"fix first": "o", "keep up": "s", "possible overkill": "^", "low priority": "v"}
# Where each quadrant's name sits (axes fraction, alignment).
_CORNERS = {
    "fix first": (0.01, 0.99, "left", "top"),
    "keep up": (0.99, 0.99, "right", "top"),
    "possible overkill": (0.99, 0.01, "right", "bottom"),
    "low priority": (0.07, 0.01, "left", "bottom"),  # clear of the axis-break mark
}


def _words(labels: Labels, key: str, **fields: object) -> str:
    return labels.fill(f"charts.{key}", **fields)


def share_axis_end(results: Any) -> float:
    """The end (percent) of a share axis common to importance charts compared side by side."""
    tops = [
        100 * float(np.nanmax(r.get("share_ci_high", r["share"]).to_numpy(float)))
        for r in results.values()
    ]
    return max([*tops, 1.0]) * 1.18


def _percent_axis(axis: Any, labels: Labels) -> None:
    axis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10], integer=True))
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: format_number(v, labels)))


def importance_plot(
    result: pd.DataFrame,
    labels: Labels,
    *,
    title: str | None = None,
    axis_end: float | None = None,
) -> Figure:
    """Horizontal bars of each driver's share with its bootstrap interval, largest on top.

    Parameters
    ----------
    result
        A :func:`~cxresearch.stats.drivers.driver_importance` result, ideally with
        ``bootstrap`` and ``noise_baseline=True``.
    labels
        Report language.
    title
        Chart title; default: the outcome's name.
    axis_end
        End of the share axis in percent (:func:`share_axis_end` of every outcome, so
        that charts read side by side share their scale); default: this chart's own.

    Returns
    -------
    Figure
        Bars (``gid="importance"``, one per driver, the noise baseline excluded) in light
        blue with a dark interval whisker, grey when the driver does not stand out from
        the noise; the baseline's interval as a shaded band (``gid="noise"``), or a line
        at its share without bootstrap; each bar labelled with its share beyond the whisker.
        The axis starts at zero.
    """
    rows = result[~result["is_noise"].astype(bool)].reset_index(drop=True)
    noise = result[result["is_noise"].astype(bool)]
    has_ci = "share_ci_low" in result.columns
    above = (
        rows["above_noise"].astype(bool).to_numpy()
        if "above_noise" in rows
        else np.ones(len(rows), bool)
    )
    share = 100 * rows["share"].to_numpy(float)
    lo = 100 * rows["share_ci_low"].to_numpy(float) if has_ci else share
    hi = 100 * rows["share_ci_high"].to_numpy(float) if has_ci else share
    y = np.arange(len(rows))[::-1]  # rank 1 on top
    # driver_importance records its level; the same default as the tables when it does not.
    confidence = float(result.attrs.get("confidence", 0.95))
    ci = format_ci_label(confidence, labels)
    noise_text = labels.get("number.missing")
    with chart_style():
        fig = ReportFigure(figsize=(TEXT_WIDTH_IN, 1.5 + 0.34 * len(rows)), layout="constrained")
        ax = fig.subplots()
        handles: list[Any] = []
        if len(noise):
            n_lo = 100 * float(noise["share_ci_low"].iloc[0]) if has_ci else np.nan
            n_hi = 100 * float(noise["share_ci_high"].iloc[0]) if has_ci else np.nan
            if has_ci:
                band = ax.axvspan(n_lo, n_hi, color=MUTED, alpha=0.35, linewidth=0, gid="noise")
                ax.axvline(n_hi, color=OVERALL, linestyle=":", linewidth=1.2)
                band.set_label(driver_plain(labels, "noise_band", ci=ci))
                handles.append(band)
                noise_text = f"{ci} {format_interval(n_lo, n_hi, labels)} %"
            else:
                at = 100 * float(noise["share"].iloc[0])
                line = ax.axvline(at, color=OVERALL, linestyle=":", linewidth=1.5, gid="noise")
                line.set_label(labels.get("drivers.noise"))
                handles.append(line)
                noise_text = format_percent(at, labels)
        colours = [BAR if a else MUTED for a in above]
        bars = ax.barh(y, share, height=0.62, color=colours, zorder=2)
        for bar, a in zip(bars, above, strict=True):
            bar.set_gid("importance")
            if not a:  # grey and hatched: not told apart from noise by colour alone
                bar.set_hatch("//")
                bar.set_edgecolor("white")
        if has_ci:
            ax.errorbar(
                share,
                y,
                xerr=[share - lo, hi - share],
                fmt="none",
                ecolor="#1f2933",
                elinewidth=1.8,
                capsize=4,
                capthick=1.8,
                zorder=3,
            )
        for yi, right, value, a in zip(y, hi, share, above, strict=True):
            ax.annotate(
                format_percent(value, labels),
                (right, yi),
                textcoords="offset points",
                xytext=(6, 0),
                va="center",
                fontsize=9,
                color=ACCENT if a else OVERALL,
            )
        ax.set_yticks(y, [driver_label(str(d), labels) for d in rows["driver"]])
        for tick, a in zip(ax.get_yticklabels(), above, strict=True):
            tick.set_color(ACCENT if a else OVERALL)
        if not above.all():
            handles.append(
                Patch(
                    facecolor=MUTED,
                    hatch="//",
                    edgecolor="white",
                    label=driver_plain(labels, "not_above_noise"),
                )
            )
        top = float(np.nanmax(np.append(hi, 1.0))) * 1.18
        ax.set_xlim(0, axis_end if axis_end is not None and axis_end >= top / 1.18 else top)
        ax.set_ylim(-0.6, len(rows) - 0.4)
        _percent_axis(ax.xaxis, labels)
        ax.set_xlabel(driver_plain(labels, "axis_share"))
        outcome = outcome_label(str(result.attrs.get("outcome", "")), labels)
        ax.set_title(title if title is not None else outcome)
        ax.grid(axis="y", visible=False)
        if handles:
            fig.legend(handles=handles, loc="outside lower center", ncol=2, frameon=False)
    items = "; ".join(
        _words(
            labels,
            "importance_alt_item",
            driver=driver_label(str(d), labels),
            share=format_percent(v, labels),
            interval=f"{ci} {format_interval(a, b, labels)}" if has_ci else "",
            flag="" if ok else _words(labels, "importance_alt_flag"),
        )
        for d, v, a, b, ok in zip(rows["driver"], share, lo, hi, above, strict=True)
    )
    fig.alt = _words(labels, "importance_alt", outcome=outcome, items=items, noise=noise_text)
    return fig


def _overlap(a: Any, b: Any) -> float:
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.y1, b.y1) - max(a.y0, b.y0)
    return max(width, 0.0) * max(height, 0.0)


# Label positions tried around a point, in points: right, left, above, below.
_OFFSETS = (
    (8, 2, "left", "bottom"),
    (8, -2, "left", "top"),
    (-8, 2, "right", "bottom"),
    (-8, -2, "right", "top"),
    (0, 8, "center", "bottom"),
    (0, -8, "center", "top"),
    # Further out, when everything near the point is taken.
    (10, 12, "left", "bottom"),
    (10, -12, "left", "top"),
    (-10, 12, "right", "bottom"),
    (-10, -12, "right", "top"),
    (0, 18, "center", "bottom"),
    (0, -18, "center", "top"),
)


def _place_labels(
    fig: Figure, ax: Any, points: list[tuple[float, float, str, str]], lines: list[Any]
) -> None:
    """Name each point where its label covers the least of what is drawn (first fit wins).

    Deterministic (no jitter): points are labelled in the given order and each label
    tries the positions of ``_OFFSETS``. Covering another label, a marker or the quadrant
    names costs ten times more than covering a whisker or a cut line (``lines``, data
    bounding boxes ``(x0, y0, x1, y1)``).
    """
    # Laid out, not drawn (the chart is drawn once, when it is shown), so the extents
    # below are where the points will be: labels placed inside the axes do not change
    # the layout, which the draw computes again.
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.execute(fig)
    frame = ax.get_window_extent()
    solid = [t.get_window_extent() for t in ax.texts]
    for x, y, _, _ in points:
        px, py = ax.transData.transform((x, y))
        solid.append(Bbox.from_extents(px - 6, py - 6, px + 6, py + 6))
    thin = []
    for x0, y0, x1, y1 in lines:
        (a, b), (c, d) = ax.transData.transform([(x0, y0), (x1, y1)])
        thin.append(
            Bbox.from_extents(min(a, c) - 1.5, min(b, d) - 1.5, max(a, c) + 1.5, max(b, d) + 1.5)
        )
    for x, y, text, colour in points:
        best: tuple[float, Any] | None = None
        for dx, dy, ha, va in _OFFSETS:
            note = ax.annotate(
                text,
                (x, y),
                xytext=(dx, dy),
                textcoords="offset points",
                ha=ha,
                va=va,
                fontsize=9,
                color=colour,
                gid="driver-label",
            )
            box = note.get_window_extent()
            outside = (
                box.x0 < frame.x0 or box.x1 > frame.x1 or box.y0 < frame.y0 or box.y1 > frame.y1
            )
            cost = (
                10 * sum(_overlap(box, other) for other in solid)
                + sum(_overlap(box, other) for other in thin)
                + (1e9 if outside else 0.0)
            )
            if best is None or cost < best[0]:
                if best is not None:
                    best[1].remove()
                best = (cost, note)
            else:
                note.remove()
            if cost == 0:
                break
        if best is not None:
            solid.append(best[1].get_window_extent())


def ipa_plot(
    ipa: pd.DataFrame,
    result: pd.DataFrame,
    labels: Labels,
    *,
    performance_range: tuple[float, float] | None = None,
) -> Figure:
    """Importance–performance chart: mean rating across, importance share up, four quadrants.

    Parameters
    ----------
    ipa
        An :func:`~cxresearch.stats.drivers.importance_performance` result.
    result
        The ``driver_importance`` result behind it (share and its bootstrap interval).
    labels
        Report language.
    performance_range
        The performance axis (mean rating) to use, e.g. the same for every outcome's map;
        default: the ratings' own range with some air. The axis does not start at the
        scale's bottom, so it carries a break mark and says so.

    Returns
    -------
    Figure
        One point per driver (``gid="driver"``) with whiskers on both axes, shaped by
        priority and coloured by it when the driver's priority is clear, hollow when it is
        uncertain, grey when it cannot be told apart from noise; named beside it, where
        the name covers no other mark; dashed cut lines (``gid="cut"``) at the mean rating
        and at the mean importance (as a share); the quadrant names in the corners.
    """
    shares = result.set_index("driver")
    total = float(result["importance"].sum())
    drivers = [str(d) for d in ipa["driver"]]
    y = 100 * shares.loc[drivers, "share"].to_numpy(float)
    has_ci = "share_ci_low" in shares.columns
    y_lo = 100 * shares.loc[drivers, "share_ci_low"].to_numpy(float) if has_ci else y
    y_hi = 100 * shares.loc[drivers, "share_ci_high"].to_numpy(float) if has_ci else y
    x = ipa["performance"].to_numpy(float)
    x_lo = ipa["performance_ci_low"].to_numpy(float)
    x_hi = ipa["performance_ci_high"].to_numpy(float)
    x_cut = float(ipa.attrs["performance_cut"])
    # The cut is the mean importance; shares are importance / total, so the same scaling.
    y_cut = 100 * float(ipa.attrs["importance_cut"]) / total
    scale = tuple(ipa.attrs.get("scale", (1, 5)))
    low, high = (format_number(v, labels) for v in scale)
    with chart_style():
        fig = ReportFigure(figsize=(TEXT_WIDTH_IN, 5.0), layout="constrained")
        ax = fig.subplots()
        points: list[tuple[float, float, str, str]] = []
        lines: list[tuple[float, float, float, float]] = []
        statuses = (
            ipa["status"].astype(str).tolist() if "status" in ipa.columns else ["clear"] * len(ipa)
        )
        for i, driver in enumerate(drivers):
            priority, status = str(ipa["priority"].iloc[i]), statuses[i]
            # Filled: a clear priority; hollow: uncertain; grey and hollow: not above noise.
            colour = PRIORITY_COLOURS[priority] if status in ("clear", "uncertain") else MUTED
            face = colour if status == "clear" else "white"
            xerr = [[x[i] - x_lo[i]], [x_hi[i] - x[i]]] if np.isfinite(x_lo[i]) else None
            yerr = [[y[i] - y_lo[i]], [y_hi[i] - y[i]]] if np.isfinite(y_lo[i]) else None
            drawn = ax.errorbar(
                [x[i]],
                [y[i]],
                xerr=xerr,
                yerr=yerr,
                fmt=_MARKERS[priority],
                color=colour,
                ecolor=colour,
                markerfacecolor=face,
                markeredgewidth=1.6,
                elinewidth=1.4,
                alpha=0.95,
                capsize=3,
                markersize=8,
                zorder=3,
            )
            drawn.lines[0].set_gid("driver")
            suffix = {"uncertain": " (?)"}.get(status, "")
            name = driver_label(driver, labels) + suffix
            points.append((float(x[i]), float(y[i]), name, OVERALL if colour == MUTED else colour))
            lines += [(x_lo[i], y[i], x_hi[i], y[i]), (x[i], y_lo[i], x[i], y_hi[i])]
        ax.axvline(x_cut, color=OVERALL, linestyle="--", linewidth=1, gid="cut")
        ax.axhline(y_cut, color=OVERALL, linestyle="--", linewidth=1, gid="cut")
        if performance_range is None:
            performance_range = ipa_performance_range([ipa])
        ax.set_xlim(*performance_range)
        mark_axis_break(ax, "x")
        ax.set_ylim(0, float(np.nanmax(np.concatenate([y_hi, y, [y_cut]]))) * 1.22)
        for priority, (fx, fy, ha, va) in _CORNERS.items():
            ax.text(
                fx,
                fy,
                priority_label(priority, labels),
                transform=ax.transAxes,
                ha=ha,
                va=va,
                fontsize=10,
                fontweight="bold",
                color=PRIORITY_COLOURS[priority],
                gid="quadrant",
            )
        ax.xaxis.set_major_formatter(
            FuncFormatter(lambda v, _pos: format_number(v, labels, decimals=1))
        )
        _percent_axis(ax.yaxis, labels)
        cut = _words(labels, "axis_cut")
        ax.set_xlabel(driver_plain(labels, "axis_performance", low=low, high=high) + f" ({cut})")
        ax.set_ylabel(driver_plain(labels, "axis_importance"))
        ax.set_title(outcome_label(str(result.attrs.get("outcome", "")), labels))
        x_range, y_range = ax.get_xlim(), ax.get_ylim()
        lines += [(x_cut, y_range[0], x_cut, y_range[1]), (x_range[0], y_cut, x_range[1], y_cut)]
        finite = [b for b in lines if np.isfinite(b).all()]
        handles = [
            Line2D([], [], marker="o", color=OVERALL, markerfacecolor=OVERALL, linestyle="none"),
            Line2D([], [], marker="o", color=OVERALL, markerfacecolor="white", linestyle="none"),
            Line2D([], [], marker="o", color=MUTED, markerfacecolor="white", linestyle="none"),
        ]
        names = [driver_plain(labels, f"ipa_legend_{k}") for k in ("clear", "uncertain", "noise")]
        fig.legend(
            handles,
            names,
            loc="outside lower center",
            ncol=3,
            fontsize=9,
            frameon=False,
        )
        _place_labels(fig, ax, points, finite)
    ci = format_ci_label(float(result.attrs.get("confidence", 0.95)), labels)
    items = "; ".join(
        _words(
            labels,
            "ipa_alt_item",
            driver=driver_label(d, labels),
            share=f"{format_percent(yi, labels)} ({ci} {format_interval(a, b, labels)})",
            mean=format_number(xi, labels, decimals=2),
            label=status_label(row, labels),
        )
        for d, yi, a, b, xi, row in zip(
            drivers, y, y_lo, y_hi, x, ipa.to_dict("records"), strict=True
        )
    )
    fig.alt = _words(
        labels,
        "ipa_alt",
        outcome=outcome_label(str(result.attrs.get("outcome", "")), labels),
        items=items,
        cut_x=format_number(x_cut, labels, decimals=2),
        cut_y=format_percent(y_cut, labels),
    )
    return fig


def ipa_performance_range(tables: Any) -> tuple[float, float]:
    """A performance axis covering every IPA table's ratings and cut lines (shared scale)."""
    xs = np.concatenate(
        [
            np.concatenate(
                [
                    t["performance_ci_low"].to_numpy(float),
                    t["performance_ci_high"].to_numpy(float),
                    [float(t.attrs["performance_cut"])],
                ]
            )
            for t in tables
        ]
    )
    span = float(np.nanmax(xs) - np.nanmin(xs)) or 1.0
    return float(np.nanmin(xs) - 0.22 * span), float(np.nanmax(xs) + 0.22 * span)
