"""Every report chart: readable at A4, honest axes, colour-blind safe, described in words.

Each chart function is drawn from the demo data (Kotiposti, Finnish; Northwind, English)
and checked for what a client would notice on paper: text of at least 8 pt at the size
the chart is printed, no two labels on top of each other, value axes on the metric's
whole scale (or a marked break), the same scale on panels that are compared, colours from
the Okabe–Ito palette with a second cue, and an alt text in the report's language that
names the numbers the chart shows.
"""

from __future__ import annotations

import base64
import io
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from IPython.core.formatters import DisplayFormatter
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.colors import to_hex
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.text import Text
from PIL import Image

import cxresearch.present as cx
from cxresearch.journey.run import JourneyRun, open_journey
from cxresearch.present import chart_base
from cxresearch.present import journey as pj
from cxresearch.present.chart_base import (
    CSS_DPI,
    DPI,
    MIN_FONT_PT,
    OKABE_ITO,
    TEXT_WIDTH_IN,
    ReportFigure,
    smallest_text,
)
from cxresearch.present.driver_plots import (
    PRIORITY_COLOURS,
    importance_plot,
    ipa_performance_range,
    ipa_plot,
    share_axis_end,
)
from cxresearch.present.plots import STATUS_COLOURS, STATUS_MARKERS
from cxresearch.session import RunSession, open_run
from cxresearch.stats.drivers import driver_importance, importance_performance
from cxresearch.stats.drivers.rows import driver_base

ROOT = Path(__file__).resolve().parents[2]


@cache
def session(client: str) -> RunSession:
    return open_run(ROOT / "params" / f"{client}.yaml")


@cache
def driver_results(client: str) -> tuple[dict[str, Any], dict[str, Any]]:
    s = session(client)
    d = s.params.drivers
    assert d is not None
    results, ipa = {}, {}
    for outcome in d.outcomes:
        base = driver_base(
            s.responses, outcome=outcome, drivers=d.attributes, current_wave=s.current_wave,
            waves=s.waves,
        )  # fmt: skip
        results[outcome] = driver_importance(
            base.rows, outcome=outcome, drivers=d.attributes,
            method=base.method(d.method, bootstrap=40), bootstrap=40, seed=1, noise_baseline=True,
        )  # fmt: skip
        ipa[outcome] = importance_performance(
            base.rows, outcome=outcome, drivers=d.attributes, importance=results[outcome],
            scale=d.scale,
        )  # fmt: skip
    return results, ipa


def charts(client: str) -> dict[str, ReportFigure]:
    s = session(client)
    labels, head = s.labels, s.headline()
    targets = s.target_results()
    norms = s.benchmark_results()
    results, ipa = driver_results(client)
    end, span = share_axis_end(results), ipa_performance_range(ipa.values())
    figs = {
        "trend": cx.trend_plot(s.by_wave(), labels, waves=s.waves, min_base=s.min_base),
        "breakdown": cx.breakdown_plot(
            s.breakdown("nps", "touchpoint"), labels, overall=head["nps"], min_base=s.min_base
        ),
        "targets": cx.target_plot(
            targets[targets["status"].isin(["met", "not_met", "inconclusive"])], labels
        ),
        "norms": cx.benchmark_plot(
            head["nps"], norms[norms["metric"] == "nps"], labels, client_label="X 2026Q3"
        ),
        "mix": cx.nps_mix_plot(s.nps_mix(), labels),
        "group_trend": cx.group_trend_plot(
            s.group_trend("nps", "touchpoint"), labels, group="touchpoint", waves=s.waves,
            min_base=s.min_base,
        ),
        "profile": cx.profile_plot(s.profile(), labels),
    }  # fmt: skip
    for outcome in results:
        figs[f"importance-{outcome}"] = importance_plot(results[outcome], labels, axis_end=end)
        figs[f"ipa-{outcome}"] = ipa_plot(
            ipa[outcome], results[outcome], labels, performance_range=span
        )
    return figs  # type: ignore[return-value]


@cache
def drawn(client: str) -> dict[str, ReportFigure]:
    figs = charts(client)
    for fig in figs.values():
        fig.draw_without_rendering()
    return figs


NAMES = [
    "trend", "breakdown", "targets", "norms", "mix", "group_trend", "profile",
    "importance-nps", "importance-retained", "ipa-nps", "ipa-retained",
]  # fmt: skip


@pytest.mark.parametrize("client", ["kotiposti", "northwind"])
@pytest.mark.parametrize("name", NAMES)
def test_every_chart_prints_its_text_at_8_pt_or_more_within_the_page(
    client: str, name: str
) -> None:
    fig = drawn(client)[name]
    assert fig.shown_width_in <= TEXT_WIDTH_IN + 1e-9
    assert float(fig.get_figwidth()) <= TEXT_WIDTH_IN + 1e-9  # drawn at the size it prints
    assert smallest_text(fig) >= MIN_FONT_PT, name
    _, meta = fig._repr_png_()
    assert meta["width"] == round(fig.shown_width_in * 96)


def _labels_of(fig: ReportFigure) -> list[Text]:
    """Texts placed inside the plots: value labels, names, quadrant names, legends."""
    found = []
    for ax in fig.axes:
        found += [t for t in ax.texts if t.get_visible() and t.get_text().strip()]
    for legend in fig.legends:
        found += [t for t in legend.get_texts() if t.get_text().strip()]
    return found


@pytest.mark.parametrize("client", ["kotiposti", "northwind"])
@pytest.mark.parametrize("name", NAMES)
def test_no_two_labels_overlap(client: str, name: str) -> None:
    fig = drawn(client)[name]
    boxes = [(t.get_text(), t.get_window_extent()) for t in _labels_of(fig)]
    clashes = [
        (a, b)
        for i, (a, box_a) in enumerate(boxes)
        for b, box_b in boxes[i + 1 :]
        if box_a.overlaps(box_b)
        and min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0) > 1
        and min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0) > 1
    ]
    assert not clashes, clashes


@pytest.mark.parametrize("client", ["kotiposti", "northwind"])
def test_value_axes_run_over_the_whole_scale_and_compared_panels_share_it(client: str) -> None:
    figs = drawn(client)
    nps, csat, ces = figs["trend"].axes
    assert nps.get_ylim() == (-100.0, 100.0)
    assert csat.get_ylim() == ces.get_ylim() == (0.0, 100.0)
    assert figs["breakdown"].axes[0].get_xlim() == (-100.0, 100.0)
    assert figs["norms"].axes[0].get_xlim() == (-100.0, 100.0)
    panels = [ax for ax in figs["group_trend"].axes if ax.get_visible()]
    assert {ax.get_ylim() for ax in panels} == {(-100.0, 100.0)}
    assert figs["mix"].axes[0].get_xlim() == (0.0, 100.0)
    # Importance charts of the two outcomes are read side by side: one scale, from zero.
    ends = {figs[f"importance-{o}"].axes[0].get_xlim() for o in ("nps", "retained")}
    assert len(ends) == 1 and next(iter(ends))[0] == 0.0
    # The IPA maps zoom in on the ratings: one range for both, and the axis says it is cut.
    ranges = {figs[f"ipa-{o}"].axes[0].get_xlim() for o in ("nps", "retained")}
    assert len(ranges) == 1
    cut = session(client).labels.get("charts.axis_cut")
    assert cut in figs["ipa-nps"].axes[0].get_xlabel()


def test_colours_are_colour_blind_safe_with_a_second_cue() -> None:
    safe = set(OKABE_ITO.values())
    assert {to_hex(c) for c in STATUS_COLOURS.values()} <= safe
    assert {to_hex(c) for c in PRIORITY_COLOURS.values()} <= safe
    assert len(set(STATUS_MARKERS.values())) == len(STATUS_MARKERS)  # a shape per status
    # The target chart names each status in words beside its row as well.
    ticks = [t.get_text() for t in drawn("kotiposti")["targets"].axes[0].get_yticklabels()]
    words = {session("kotiposti").labels.status(s) for s in STATUS_COLOURS}
    assert all(any(w in t for w in words) for t in ticks)
    # Detractors are hatched, not only coloured.
    hatches = {p.get_gid(): p.get_hatch() for p in drawn("kotiposti")["mix"].axes[0].patches}
    assert hatches["detractors"] and not hatches["promoters"]


@pytest.mark.parametrize(
    ("client", "words"), [("kotiposti", "kierroksittain"), ("northwind", "by wave")]
)
@pytest.mark.parametrize("name", NAMES)
def test_alt_text_says_what_the_chart_shows_in_the_report_language(
    client: str, words: str, name: str
) -> None:
    fig = drawn(client)[name]
    alt = fig.alt
    assert alt and "No description" not in alt
    assert any(ch.isdigit() for ch in alt)  # the numbers, not just a title
    other = {
        "kotiposti": ("Chart", "chart", " by "),
        "northwind": ("kaavio", "Kaavio", "ryhmittäin"),
    }
    assert not any(w in alt for w in other[client]), alt[:120]
    if name in ("trend", "mix", "group_trend"):
        assert words in alt


def test_group_trends_leave_out_groups_too_small_in_some_wave() -> None:
    s = session("northwind")
    frame = s.group_trend("nps", "journey_stage")
    fig = cx.group_trend_plot(frame, s.labels, group="journey_stage", waves=s.waves, min_base=30)
    assert fig is not None
    shown = {ax.get_title() for ax in fig.axes if ax.get_visible()}
    small = frame[frame["n"] < 30]["journey_stage"].unique()
    assert small.size and not shown & {s.labels.value("journey_stage", g) for g in small}
    assert "left out" in fig.alt
    assert (
        cx.group_trend_plot(frame, s.labels, group="journey_stage", waves=s.waves, min_base=10**6)
        is None
    )


def test_a_metric_without_bounds_gets_an_axis_that_holds_what_is_drawn() -> None:
    # A metric the registry has no scale for (an operational figure such as handling
    # minutes) starts at zero and ends above the highest interval end or target drawn,
    # not at the 0-1.1 fallback of an axis computed without the values.
    import pandas as pd

    s = session("northwind")
    frame = s.group_trend("nps", "journey_stage").assign(metric="handling_minutes")
    fig = cx.group_trend_plot(frame, s.labels, group="journey_stage", waves=s.waves, min_base=30)
    assert fig is not None
    shown = [ax for ax in fig.axes if ax.get_visible() and ax.get_title()]
    top = max(ax.get_ylim()[1] for ax in shown)
    assert shown and top >= frame["ci_high"][frame["n"] >= 30].max() > 1.1
    targets = pd.DataFrame(
        [dict(label="a", metric="handling_minutes", target=12.0, value=9.5, ci_low=8.0,
              ci_high=11.0, status="met")]
    )  # fmt: skip
    (ax,) = cx.target_plot(targets, s.labels).axes
    assert ax.get_xlim() == (0.0, 13.2)


def test_nothing_to_draw_gives_no_chart() -> None:
    import pandas as pd

    labels = session("kotiposti").labels
    assert cx.profile_plot(pd.DataFrame(columns=["column", "group", "n", "share"]), labels) is None
    empty_mix = pd.DataFrame(columns=["wave", "promoters", "passives", "detractors", "nps", "n"])
    assert cx.nps_mix_plot(empty_mix, labels) is None


@cache
def journey(client: str) -> JourneyRun:
    return open_journey(ROOT / "params" / f"{client}.yaml")


def _heatmap(client: str) -> ReportFigure:
    """The journey heatmap (column names above the cells) of the client's first metric."""
    j = journey(client)
    metric = j.experience[0]
    return pj.heatmap(
        j.cells(metric), metric, j.labels, touchpoints=j.touchpoints(), stages=j.stages(),
        overall=j.overall(metric)["value"], min_base=j.min_base,
    )  # type: ignore[return-value]  # fmt: skip


def _fresh_charts(client: str) -> dict[str, ReportFigure]:
    """Every report chart type, built now (not drawn yet)."""
    return charts(client) | {"heatmap": _heatmap(client)}


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


@pytest.mark.parametrize("client", ["kotiposti", "northwind"])
def test_each_chart_is_laid_out_and_drawn_once_per_display_at_its_shown_size(
    client: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    layouts: list[int] = []
    execute = ConstrainedLayoutEngine.execute

    def counted(engine: ConstrainedLayoutEngine, fig: Any) -> Any:
        layouts.append(id(fig))
        return execute(engine, fig)

    monkeypatch.setattr(ConstrainedLayoutEngine, "execute", counted)
    figs = _fresh_charts(client)
    # Built without a draw; the IPA maps are laid out once to place their labels.
    assert sorted(set(layouts)) == sorted(id(f) for n, f in figs.items() if n.startswith("ipa"))
    formatter = DisplayFormatter()  # what a kernel does with a cell's chart
    for name, fig in figs.items():
        draws: list[Any] = []
        fig.canvas.mpl_connect("draw_event", draws.append)
        layouts.clear()
        data, meta = formatter.format(fig)
        assert (len(draws), len(layouts)) == (1, 1), name
        png = data["image/png"]
        png = base64.b64decode(png) if isinstance(png, str) else png
        width, height = Image.open(io.BytesIO(png)).size
        # Agg's canvas: the figure's size at DPI, whole pixels.
        assert (width, height) == (int(fig.get_figwidth() * DPI), int(fig.get_figheight() * DPI))
        # Shown as wide as it was drawn (CSS px), with its alt text.
        assert meta["image/png"]["width"] == round(fig.shown_width_in * CSS_DPI)
        assert abs(width * CSS_DPI / DPI - meta["image/png"]["width"]) <= 1
        assert meta["image/png"]["alt"] == fig.alt
        # In a block (chart and table kept together): drawn once more, at the same size.
        html = cx.block(fig)._repr_html_()
        shown = html.split("base64,", 1)[1].split('"', 1)[0]
        assert len(draws) == 2 and Image.open(io.BytesIO(base64.b64decode(shown))).size == (
            width,
            height,
        )
        assert f'width="{meta["image/png"]["width"]}"' in html


def test_a_chart_shows_the_pixels_savefig_writes() -> None:
    shown = {name: fig.png() for name, fig in _fresh_charts("kotiposti").items()}
    for name, fig in _fresh_charts("kotiposti").items():
        FigureCanvasAgg(fig)  # matplotlib's own canvas and renderer (fonts looked up per text)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=DPI)  # draws twice: laid out, then drawn
        assert np.array_equal(_pixels(shown[name]), _pixels(buffer.getvalue())), name
        assert Image.open(io.BytesIO(shown[name])).mode == "RGB"  # opaque: no alpha written
    # The same chart gives the same bytes.
    assert shown["breakdown"] == _fresh_charts("kotiposti")["breakdown"].png()


def test_a_draw_looks_each_font_up_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from matplotlib.font_manager import fontManager

    looked_up: list[int] = []
    find = fontManager._find_fonts_by_props

    def counted(prop: Any, *args: Any, **kwargs: Any) -> Any:
        looked_up.append(hash(prop))
        return find(prop, *args, **kwargs)

    monkeypatch.setattr(fontManager, "_find_fonts_by_props", counted)
    for name, fig in _fresh_charts("northwind").items():
        looked_up.clear()
        fig.png()
        # Each distinct font once (matplotlib alone: every text measured or drawn, ~200).
        assert looked_up and len(looked_up) == len(set(looked_up)), name
        looked_up.clear()
        fig.png()  # a second draw looks them up again (rcParams may have changed)
        assert looked_up and len(looked_up) == len(set(looked_up)), name


def test_font_heights_are_matplotlibs() -> None:
    from matplotlib.font_manager import FontProperties

    fig = _fresh_charts("northwind")["breakdown"]
    renderer = fig.canvas.get_renderer()
    for prop in (
        FontProperties(family="DejaVu Sans", size=9.5),
        FontProperties(family="DejaVu Sans", size=11, weight="bold"),
    ):
        # matplotlib's own arithmetic on a renderer without the hook: two lines of text
        # are spaced by ascent + descent + line gap.
        plain = Text(0, 0, "Ab\nAb", fontproperties=prop, figure=fig)
        mine = Text(0, 0, "Ab\nAb", fontproperties=prop, figure=fig)
        other = FigureCanvasAgg(ReportFigure(dpi=DPI)).get_renderer()
        assert type(other) is RendererAgg
        _, lines_plain, _ = plain._get_layout(other)
        _, lines_mine, _ = mine._get_layout(renderer)
        assert lines_mine == lines_plain
        ascent, descent, gap = renderer._get_font_height_metrics(prop)
        assert ascent > 0 and descent > 0 and gap >= 0
        assert lines_mine[1][2][1] - lines_mine[0][2][1] == pytest.approx(-(ascent + descent + gap))


def test_titles_sit_where_matplotlib_would_place_them(monkeypatch: pytest.MonkeyPatch) -> None:
    fixed = {name: fig.png() for name, fig in _fresh_charts("northwind").items()}
    monkeypatch.setitem(chart_base._RC, "axes.titley", None)  # matplotlib's own placement
    placed = {name: fig.png() for name, fig in _fresh_charts("northwind").items()}
    for name, png in fixed.items():
        assert np.array_equal(_pixels(png), _pixels(placed[name])), name


def test_a_chart_keeps_its_own_png_where_pyplot_registered_a_printer_for_figures() -> None:
    from types import SimpleNamespace

    from IPython.core.pylabtools import select_figure_formats

    # A kernel in which pyplot has been used: matplotlib's inline backend's printer for
    # every Figure (what JupyterLab has after one plt.plot).
    shell = SimpleNamespace(display_formatter=DisplayFormatter())
    select_figure_formats(shell, {"png"}, bbox_inches="tight")
    fig = _heatmap("northwind")
    _, meta = shell.display_formatter.format(fig)
    assert "width" not in meta.get("image/png", {})  # the inline printer: no size, no alt

    chart_base._keep_own_png(shell)
    chart_base._keep_own_png(shell)  # once is enough; twice changes nothing
    fig = _heatmap("northwind")
    draws: list[Any] = []
    fig.canvas.mpl_connect("draw_event", draws.append)
    data, meta = shell.display_formatter.format(fig)
    assert meta["image/png"] == {"width": round(fig.shown_width_in * CSS_DPI), "alt": fig.alt}
    assert len(draws) == 1
    png = data["image/png"]
    png = base64.b64decode(png) if isinstance(png, str) else png
    assert np.array_equal(_pixels(png), _pixels(_heatmap("northwind").png()))


def test_the_heatmaps_colour_bar_is_linear_where_its_norm_is_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from matplotlib.colors import TwoSlopeNorm

    from cxresearch.present import journey_plots

    fig = _heatmap("kotiposti")
    bar = fig.axes[1]
    assert bar.get_yscale() == "linear"  # not the "function" scale of a TwoSlopeNorm
    # The same pixels as the colour bar of the cells' own TwoSlopeNorm.
    monkeypatch.setattr(journey_plots, "_colourbar_norm", lambda norm: norm)
    two_slopes = _heatmap("kotiposti")
    assert two_slopes.axes[1].get_yscale() == "function"
    assert np.array_equal(_pixels(fig.png()), _pixels(two_slopes.png()))
    monkeypatch.undo()
    # Off centre, the two slopes differ and the bar keeps the norm's own scale.
    skewed = TwoSlopeNorm(vcenter=50.0, vmin=20.0, vmax=60.0)
    assert journey_plots._colourbar_norm(skewed) is skewed
    centred = journey_plots._colourbar_norm(TwoSlopeNorm(vcenter=50.0, vmin=20.0, vmax=80.0))
    assert type(centred).__name__ == "Normalize" and (centred.vmin, centred.vmax) == (20, 80)


def test_the_garbage_collector_is_paused_while_a_chart_is_built_and_drawn() -> None:
    import gc

    seen: list[bool] = []
    fig = _fresh_charts("northwind")["breakdown"]
    fig.canvas.mpl_connect("draw_event", lambda _event: seen.append(gc.isenabled()))
    assert gc.isenabled()
    with chart_base.chart_style():
        seen.append(gc.isenabled())
    fig.png()
    assert seen == [False, False] and gc.isenabled()  # paused in both, running after
    with pytest.raises(RuntimeError), chart_base.chart_style():
        raise RuntimeError("a chart that fails")
    assert gc.isenabled()
    gc.disable()  # switched off by the caller: left off
    try:
        with chart_base.chart_style():
            pass
        fig.png()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_interval_rows_are_drawn_one_errorbar_per_look_with_the_pixels_of_one_per_row(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import pandas as pd

    from cxresearch.present import plots

    s = session("northwind")
    head = s.headline()
    norms = pd.DataFrame(
        {"name": ["A", "B", "C", "D"], "value": [30.0, 25.0, 10.0, 40.0],
         "ci_low": [26.0, np.nan, np.nan, 33.0], "ci_high": [34.0, np.nan, np.nan, 47.0]}
    )  # fmt: skip
    targets = s.target_results()

    def build() -> dict[str, ReportFigure]:
        return {
            "breakdown": cx.breakdown_plot(
                s.breakdown("nps", "touchpoint"), s.labels, overall=head["nps"]
            ),
            "norms": cx.benchmark_plot(head["nps"], norms, s.labels, client_label="X"),
            "targets": cx.target_plot(
                targets[targets["status"].isin(["met", "not_met", "inconclusive"])], s.labels
            ),
        }  # type: ignore[return-value]

    grouped = build()
    # The client (accent) and the norms with intervals (grey squares): two errorbars for
    # three intervals; the two norms without one are one line of markers.
    (ax,) = grouped["norms"].axes
    assert len(ax.containers) == 2
    assert [len(c.lines[0].get_xdata()) for c in ax.containers] == [1, 2]
    in_bars = {id(ln) for c in ax.containers for ln in (c.lines[0], *c.lines[1])}
    alone = [ln for ln in ax.lines if ln.get_gid() == "estimate" and id(ln) not in in_bars]
    assert [list(ln.get_xdata()) for ln in alone] == [[25.0, 10.0]]
    assert alone[0].get_linestyle() == "None"  # markers, not a line between the norms
    # A look is a colour and a marker: the same colour with two markers is two errorbars.
    fig = ReportFigure()
    looks = plots._IntervalRows(fig.subplots())
    for y, marker in enumerate(["o", "s", "o"]):
        looks.add(y, 1.0, 0.5, 1.5, "#000000", "1", marker=marker)
    looks.draw()
    drawn_markers = [c.lines[0].get_marker() for c in fig.axes[0].containers]
    assert drawn_markers == ["o", "s"]
    rows = len(grouped["breakdown"].axes[0].get_yticklabels())
    assert 1 <= len(grouped["breakdown"].axes[0].containers) < rows
    # Drawn row by row (as before): the same pixels.
    add = plots._IntervalRows.add

    def add_and_draw(self: Any, *args: Any, **kwargs: Any) -> None:
        add(self, *args, **kwargs)
        self.draw()

    monkeypatch.setattr(plots._IntervalRows, "add", add_and_draw)
    row_by_row = build()
    assert len(row_by_row["norms"].axes[0].containers) == 3
    for name, fig in grouped.items():
        assert np.array_equal(_pixels(fig.png()), _pixels(row_by_row[name].png())), name
