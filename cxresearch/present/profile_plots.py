"""Charts an agency deliverable has besides the headline: the NPS mix, trends per group, the
respondent profile.

* :func:`nps_mix_plot` — promoters, passives and detractors of each wave as one stacked
  bar each (0–100 %), the NPS beside it; detractors hatched as well as coloured.
* :func:`group_trend_plot` — a metric over the waves in small multiples, one panel per
  group whose base is large enough in every wave, all panels on one scale.
* :func:`profile_plot` — who answered in the current wave: the share of respondents in
  each group of each breakdown column, on one 0–100 % scale.

They follow :mod:`cxresearch.present.chart_base` (size, type, palette, honest axes, alt
text) and word everything from the ``charts`` section of the label files.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MultipleLocator

from cxresearch.present.chart_base import (
    ACCENT,
    OKABE_ITO,
    OVERALL,
    TEXT_WIDTH_IN,
    ReportFigure,
    chart_style,
    honest_limits,
)
from cxresearch.present.format import (
    base_status,
    format_interval,
    format_number,
    format_percent,
    metric_decimals,
)
from cxresearch.present.labels import Labels

__all__ = ["MIX_PARTS", "group_trend_plot", "nps_mix_plot", "profile_plot"]

#: The NPS groups, left to right, with their colour and hatch (a cue besides colour).
MIX_PARTS = {
    "detractors": (OKABE_ITO["vermillion"], "///"),
    "passives": ("#c8ced6", ""),
    "promoters": (OKABE_ITO["blue"], ""),
}


def _words(labels: Labels, key: str, **fields: object) -> str:
    return labels.fill(f"charts.{key}", **fields)


def _percent_axis(axis: Any, labels: Labels, step: float = 20) -> None:
    axis.set_major_locator(MultipleLocator(step))
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: format_percent(v, labels)))


def nps_mix_plot(mix: pd.DataFrame, labels: Labels) -> Figure | None:
    """Promoters, passives and detractors of each wave, with the NPS (promoters − detractors).

    Parameters
    ----------
    mix
        :meth:`~cxresearch.session.RunSession.nps_mix`: ``wave, promoters, passives,
        detractors`` (percent), ``nps`` and ``n``, oldest wave first.
    labels
        Report language.

    Returns
    -------
    Figure or None
        None when there are no NPS answers (nothing to draw).
    """
    rows = mix.dropna(subset=["nps"]).reset_index(drop=True)
    if rows.empty:
        return None
    y = np.arange(len(rows))[::-1]  # oldest on top, the current wave last
    with chart_style():
        fig = ReportFigure(figsize=(TEXT_WIDTH_IN, 1.5 + 0.5 * len(rows)), layout="constrained")
        ax = fig.subplots()
        left = np.zeros(len(rows))
        for part, (colour, hatch) in MIX_PARTS.items():
            width = rows[part].to_numpy(dtype=float)
            bars = ax.barh(
                y,
                width,
                left=left,
                height=0.62,
                color=colour,
                hatch=hatch,
                edgecolor="white",
                linewidth=0.8,
                label=_words(labels, f"mix_{part}"),
            )
            for bar in bars:
                bar.set_gid(part)
            for yi, x0, w in zip(y, left, width, strict=True):
                if w >= 7:
                    ink = "white" if part != "passives" else "#1f2933"
                    ax.text(
                        x0 + w / 2,
                        yi,
                        format_percent(w, labels),
                        ha="center",
                        va="center",
                        fontsize=9,
                        color=ink,
                        bbox={"facecolor": colour, "edgecolor": "none", "pad": 0.6},
                    )
            left = left + width
        ticks = [
            f"{w}  (n = {format_number(n, labels)})"
            for w, n in zip(rows["wave"], rows["n"], strict=True)
        ]
        ax.set_yticks(y, ticks)
        for yi, value in zip(y, rows["nps"], strict=True):
            ax.annotate(
                f"NPS {format_number(value, labels)}",
                (100, yi),
                xytext=(6, 0),
                textcoords="offset points",
                va="center",
                fontsize=9.5,
                color=OVERALL,
                annotation_clip=False,
            )
        ax.set_xlim(0, 100)
        ax.set_ylim(-0.6, len(rows) - 0.4)
        _percent_axis(ax.xaxis, labels)
        ax.grid(axis="y", visible=False)
        ax.set_xlabel(_words(labels, "mix_axis"))
        ax.set_title(_words(labels, "mix_title"))
        fig.legend(loc="outside lower center", ncol=3, frameon=False)
    items = "; ".join(
        _words(
            labels,
            "mix_alt_item",
            wave=r["wave"],
            nps=format_number(r["nps"], labels),
            promoters=format_percent(r["promoters"], labels),
            passives=format_percent(r["passives"], labels),
            detractors=format_percent(r["detractors"], labels),
            n=format_number(r["n"], labels),
        )
        for r in rows.to_dict("records")
    )
    fig.alt = _words(labels, "mix_alt", items=items)
    return fig


def group_trend_plot(
    frame: pd.DataFrame,
    labels: Labels,
    *,
    group: str,
    waves: Sequence[str],
    min_base: float = 30,
    columns: int = 3,
) -> Figure | None:
    """A metric over the waves, one small panel per group, every panel on one scale.

    Parameters
    ----------
    frame
        ``metric_by(..., by=["wave", group])`` of one metric.
    labels
        Report language.
    group
        The grouping column.
    waves
        Wave order (oldest first).
    min_base
        A group is drawn only when every wave has at least this base (effective n when
        weighted); the alt text names the groups left out.
    columns
        Panels per row.

    Returns
    -------
    Figure or None
        None when no group has the base in every wave (nothing honest to draw).
    """
    metric = str(frame["metric"].iloc[0]) if "metric" in frame and len(frame) else ""
    digits = metric_decimals(metric)
    shown: list[tuple[Any, pd.DataFrame]] = []
    left_out: list[tuple[Any, pd.DataFrame]] = []
    for key, part in frame.groupby(group, sort=False, observed=True):
        part = part.set_index("wave").reindex(list(waves))
        bases = [
            base_status(n, part.loc[w].get("n_effective", math.nan), min_base=min_base)
            for w, n in zip(part.index, part["n"].fillna(0), strict=True)
        ]
        (shown if all(b == "ok" for b in bases) else left_out).append((key, part))
    if not shown:
        return None
    shown.sort(key=lambda kp: -float(kp[1]["value"].iloc[-1]))
    rows = math.ceil(len(shown) / columns)
    # A metric without fixed bounds: up to the highest interval end of the panels drawn.
    highs = np.concatenate([part["ci_high"].to_numpy(float) for _, part in shown])
    low, high = honest_limits(metric, highs)
    with chart_style():
        fig = ReportFigure(figsize=(TEXT_WIDTH_IN, 0.9 + 1.9 * rows), layout="constrained")
        axes = fig.subplots(rows, columns, squeeze=False, sharex=True, sharey=True).ravel()
        x = np.arange(len(waves))
        for ax, (key, part) in zip(axes, shown, strict=False):
            y = part["value"].to_numpy(dtype=float)
            ax.fill_between(
                x,
                part["ci_low"].to_numpy(float),
                part["ci_high"].to_numpy(float),
                color=ACCENT,
                alpha=0.16,
                linewidth=0,
            )
            ax.plot(x, y, color=ACCENT, marker="o", linewidth=1.8, gid="estimate")
            for xi, yi in zip(x, y, strict=True):
                ax.annotate(
                    format_number(yi, labels, decimals=digits),
                    (xi, yi),
                    xytext=(0, 6),
                    textcoords="offset points",
                    ha="center",
                    fontsize=8.5,
                    color=ACCENT,
                )
            ax.axhline(0, color=OVERALL, linewidth=0.8) if low < 0 < high else None
            ax.set_title(labels.value(group, key), fontsize=10, fontweight="bold")
            ax.set_ylim(low, high)
            ax.set_xlim(-0.4, len(waves) - 0.6)
            ax.set_xticks(x, list(waves), fontsize=8.5)
        for ax in axes[len(shown) :]:
            ax.set_visible(False)
        fig.supylabel(labels.scale(metric), fontsize=9.5)
        fig.suptitle(
            _words(
                labels,
                "group_trend_title",
                metric=labels.metric(metric, short=True),
                group=labels.column(group),
            ),
            fontsize=11,
            fontweight="bold",
        )
    items = "; ".join(
        f"{labels.value(group, key)}: "
        + ", ".join(
            f"{w} {format_number(v, labels, decimals=digits)} "
            f"({format_interval(lo, hi, labels, decimals=digits)})"
            for w, v, lo, hi in zip(
                waves, part["value"], part["ci_low"], part["ci_high"], strict=True
            )
        )
        for key, part in shown
    )
    omitted = ", ".join(labels.value(group, k) for k, _ in left_out)
    fig.alt = _words(
        labels,
        "group_trend_alt",
        metric=labels.metric(metric, short=True),
        group=labels.column(group),
        items=items,
        omitted=_words(labels, "group_trend_omitted", groups=omitted) if omitted else "",
    )
    return fig


def profile_plot(profile: pd.DataFrame, labels: Labels, *, columns: int = 2) -> Figure | None:
    """Who answered: the share of respondents in each group of each column (0–100 %).

    Parameters
    ----------
    profile
        :meth:`~cxresearch.session.RunSession.profile`: ``column, group, n, share``
        (percent), groups in the order to show.
    labels
        Report language.

    Returns
    -------
    Figure or None
        None when there is no column to describe.
    """
    if profile.empty:
        return None
    names = list(dict.fromkeys(profile["column"]))
    sizes = [int((profile["column"] == c).sum()) for c in names]
    per_row = [max(sizes[i : i + columns]) for i in range(0, len(names), columns)]
    with chart_style():
        height = 0.5 + sum(0.55 + 0.3 * k for k in per_row)
        fig = ReportFigure(figsize=(TEXT_WIDTH_IN, height), layout="constrained")
        grid = fig.add_gridspec(len(per_row), columns, height_ratios=per_row)
        for i, column in enumerate(names):
            ax = fig.add_subplot(grid[i // columns, i % columns])
            part = profile[profile["column"] == column].reset_index(drop=True)
            y = np.arange(len(part))[::-1]
            ax.barh(y, part["share"], height=0.65, color=ACCENT, gid="share")
            for yi, share, n in zip(y, part["share"], part["n"], strict=True):
                ax.annotate(
                    f"{format_percent(share, labels)} ({format_number(n, labels)})",
                    (share, yi),
                    xytext=(4, 0),
                    textcoords="offset points",
                    va="center",
                    fontsize=8.5,
                    color=OVERALL,
                )
            ax.set_yticks(y, [labels.value(column, g) for g in part["group"]], fontsize=9)
            # Top-aligned: a short list leaves room below, not above, its first bar.
            ax.set_ylim(len(part) - max(per_row[i // columns], len(part)) - 0.6, len(part) - 0.4)
            ax.set_xlim(0, 100)
            _percent_axis(ax.xaxis, labels, step=50)
            ax.tick_params(axis="x", labelsize=8.5)
            ax.grid(axis="y", visible=False)
            ax.set_title(labels.column(column), fontsize=10, fontweight="bold", loc="left")
        fig.suptitle(_words(labels, "profile_title"), fontsize=11, fontweight="bold")
    items = "; ".join(
        f"{labels.column(str(c))}: "
        + ", ".join(
            f"{labels.value(str(c), g)} {format_percent(s, labels)}"
            for g, s in zip(part["group"], part["share"], strict=True)
        )
        for c, part in profile.groupby("column", sort=False)
    )
    fig.alt = _words(labels, "profile_alt", items=items)
    return fig
