"""What every report chart shares: size, type, palette, honest axes and alt text.

* **Size.** Charts are drawn at most :data:`TEXT_WIDTH_IN` wide (the A4 text column:
  210 mm less 2 × 16 mm margins) and shown at their own size: the PNG carries its width in
  CSS pixels (96 per inch), so a 10 pt label prints at 10 pt. No text is smaller than
  :data:`MIN_FONT_PT` (tested on every chart).
* **Palette.** Okabe & Ito's colour-blind-safe colours, and never colour alone: a status
  or priority also has its own marker shape and its name in words.
* **Axes.** A percentage runs 0–100 %, a mean over its whole rating scale, NPS from
  −100 to 100 (:func:`honest_limits`): a dip that is not significant does not look like
  a cliff. Where a chart must zoom in (the importance–performance map), the axis shows a
  break mark (:func:`mark_axis_break`).
* **Drawn once.** A chart is laid out and drawn once, when it is shown, at its printed
  size: :meth:`ReportFigure._repr_png_` draws on the figure's own Agg canvas (constrained
  layout runs inside that one draw) and writes the PNG with :func:`~cxresearch.present.png.
  encode_png`. ``savefig`` would draw twice (a layout pass with drawing switched off, then
  the picture), and matplotlib's automatic title placement measured both axes' tick labels
  for every title in every pass (titles sit at ``axes.titley`` 1.0 instead, where that
  placement put them anyway; the heatmap, with its column names above, keeps it).
* **Fonts looked up once per draw.** The chart's canvas draws with :class:`_ChartRenderer`,
  which finds each font once per draw; matplotlib (3.11) looked the font file up again
  and read its height tables for every text measured or drawn, ~200 times per chart.
* **Alt text.** Each chart says in the report's language what it shows and its numbers
  (:attr:`ReportFigure.alt`); the notebook output carries it as the image's metadata and
  the report template writes it into ``<img alt>``.

References
----------
Okabe, M. & Ito, K. (2008). *Color Universal Design (CUD): how to make figures and
presentations that are friendly to colorblind people*. https://jfly.uni-koeln.de/color/
W3C (2023). *WCAG 2.2*, success criterion 1.1.1 (non-text content) and 1.4.1 (use of
colour).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, fontManager, get_font
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.text import Text

from cxresearch.collector import collector_paused
from cxresearch.present.format import metric_bounds
from cxresearch.present.png import encode_png

__all__ = [
    "ACCENT",
    "CSS_DPI",
    "DPI",
    "MIN_FONT_PT",
    "MUTED",
    "OKABE_ITO",
    "OVERALL",
    "TEXT_WIDTH_IN",
    "ReportFigure",
    "chart_style",
    "honest_limits",
    "mark_axis_break",
    "smallest_text",
]

#: The A4 text column: 210 mm − 2 × 16 mm margins (report.css ``@page``), in inches.
TEXT_WIDTH_IN = 178 / 25.4
#: No chart text is smaller than this, in points, at the size the chart is printed.
MIN_FONT_PT = 8.0
#: Pixels per inch of the PNG (sharp on screens and in print) and of CSS (fixed by CSS).
DPI, CSS_DPI = 150, 96

ACCENT = "#1d4e89"  # report.css --cx-accent
MUTED = "#9aa5b1"
OVERALL = "#52606d"
#: Okabe & Ito (2008): distinguishable with every common colour-vision deficiency.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#e69f00",
    "sky": "#56b4e9",
    "green": "#009e73",
    "yellow": "#f0e442",
    "blue": "#0072b2",
    "vermillion": "#d55e00",
    "purple": "#cc79a7",
    "grey": "#7b8794",
}

# text.parse_math off: category names come from data, and "$5 $10" must print as written,
# not as mathtext (a malformed "$\frac$" would stop the chart).
_RC: dict[str, Any] = {
    "font.family": "DejaVu Sans",  # shipped with matplotlib: the PNG never depends on fonts
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "xtick.labelsize": 9.5,
    "ytick.labelsize": 9.5,
    "legend.fontsize": 9,
    "legend.title_fontsize": 9,
    "text.parse_math": False,
    # The title at the top of its axes, not placed automatically: matplotlib's placement
    # measures both axes' tick labels for every title at every layout pass and draw (a
    # tenth of a chart's drawing) to move it only above tick labels or an offset text at
    # the top; report charts have their tick labels below and no offset text (fixed or
    # formatted ticks, the metric's whole scale), so it stayed at 1.0. The heatmap, whose
    # column names are on top, creates its axes with ``axes.titley`` None.
    "axes.titley": 1.0,
}
# seaborn's ``axes_style("whitegrid")`` (seaborn 0.13), written out: importing seaborn costs
# a report kernel ~0.2 CPU s and imports scipy.stats and statsmodels (~0.6 s more), for a
# dict of rc settings. tests/unit/test_import_cost.py checks it equals seaborn's but for
# "image.cmap": "rocket", a map only seaborn registers (every report chart names its own).
_WHITEGRID: dict[str, Any] = {
    "figure.facecolor": "white",
    "axes.labelcolor": ".15",
    "xtick.direction": "out",
    "ytick.direction": "out",
    "xtick.color": ".15",
    "ytick.color": ".15",
    "axes.axisbelow": True,
    "grid.linestyle": "-",
    "text.color": ".15",
    "font.family": ["sans-serif"],
    "font.sans-serif": [
        "Arial",
        "DejaVu Sans",
        "Liberation Sans",
        "Bitstream Vera Sans",
        "sans-serif",
    ],
    "lines.solid_capstyle": "round",
    "patch.edgecolor": "w",
    "patch.force_edgecolor": True,
    "xtick.top": False,
    "ytick.right": False,
    "axes.grid": True,
    "axes.facecolor": "white",
    "axes.edgecolor": ".8",
    "grid.color": ".8",
    "axes.spines.left": True,
    "axes.spines.bottom": True,
    "axes.spines.right": True,
    "axes.spines.top": True,
    "xtick.bottom": False,
    "ytick.left": False,
}
# Margin (inches) the constrained layout keeps between the figure's edge and its labels.
_PAD = 3 / 72 + 0.1


class _ChartRenderer(RendererAgg):
    """Agg's renderer that finds each font once per draw: the same pixels, less lookup.

    matplotlib (3.11) resolves a text's font file (``fontManager._find_fonts_by_props``,
    which reads eleven rcParams per call) for every text it measures or draws, and
    measuring a text also reads the font's OS/2 (or hhea) and head tables to get its line
    height. A chart measures its tick labels in every layout pass and again when drawn:
    about 200 lookups per chart for a dozen distinct fonts. Both answers are kept here,
    per font properties (their hash, as matplotlib's own font cache keys them), until the
    next draw clears the canvas.
    """

    def __init__(self, width: float, height: float, dpi: float, figure: Figure) -> None:
        super().__init__(width, height, dpi)
        self._figure = figure
        self._fonts: dict[int, Any] = {}
        self._heights: dict[int, tuple[float, float, float] | tuple[None, None, None]] = {}

    def clear(self) -> None:
        """Clear the pixels and forget the fonts (rcParams may differ at the next draw)."""
        super().clear()
        self._fonts.clear()
        self._heights.clear()

    def _prepare_font(self, font_prop: FontProperties) -> Any:
        # RendererAgg._prepare_font's contract: the FT2Font, its buffer cleared, sized.
        key = hash(font_prop)
        font = self._fonts.get(key)
        if font is None:
            font = self._fonts[key] = get_font(fontManager._find_fonts_by_props(font_prop))
        font.clear()
        font.set_size(font_prop.get_size_in_points(), self.dpi)
        return font

    def _get_font_height_metrics(
        self, prop: FontProperties
    ) -> tuple[float, float, float] | tuple[None, None, None]:
        """(ascent, descent, line gap) in pixels, as ``Text._get_layout`` computes them.

        matplotlib 3.11 asks the renderer first and otherwise reads the tables itself for
        every text measured; the same arithmetic here, once per font. (None, None, None)
        lets matplotlib compute it (a text measured at another dpi than the renderer's).
        """
        dpi = self._figure.dpi
        if dpi != self.dpi:
            return None, None, None
        key = hash(prop)
        found = self._heights.get(key)
        if found is None:
            found = self._heights[key] = _font_height_metrics(self._prepare_font(prop), prop, dpi)
        return found


def _font_height_metrics(
    font: Any, prop: FontProperties, dpi: float
) -> tuple[float, float, float] | tuple[None, None, None]:
    """A font's ascent, descent and line gap at ``prop``'s size: matplotlib 3.11's arithmetic.

    The typographic metrics of the OS/2 table, else the hhea table's (``Text._get_layout``).
    """
    for table_name, gap_key, ascent_key, descent_key in (
        ("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
        ("hhea", "lineGap", "ascent", "descent"),
    ):
        table = font.get_sfnt_table(table_name)
        if table is None:
            continue
        units_per_em = font.get_sfnt_table("head")["unitsPerEm"]
        scale = 1 / units_per_em * prop.get_size_in_points() * dpi / 72
        return table[ascent_key] * scale, -table[descent_key] * scale, table[gap_key] * scale
    return None, None, None


class _ChartCanvas(FigureCanvasAgg):
    """Agg's canvas drawing with :class:`_ChartRenderer` (one per size and dpi, as Agg's)."""

    def get_renderer(self) -> RendererAgg:
        width, height = self.get_width_height(physical=True)
        key = width, height, self.figure.dpi
        if self._lastKey != key:
            self.renderer = _ChartRenderer(width, height, self.figure.dpi, self.figure)
            self._lastKey = key
        return self.renderer


class ReportFigure(Figure):
    """A Figure that shows itself as a PNG at its own printed size, with its alt text.

    ``_repr_png_`` returns the PNG (:meth:`png`: drawn once, at :data:`DPI`) and the
    display metadata ``{"width": <CSS px>, "alt": <text>}``: the report shows the chart
    exactly as wide as it was drawn (at most the A4 text column), so its type prints at
    the size it was set in, and the image's ``alt`` says what the chart shows. Charts set
    :attr:`alt`.
    """

    alt: str = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Drawn at the PNG's resolution from the start: labels placed while the chart is
        # built (driver_plots._place_labels) see the same layout as the saved image.
        kwargs.setdefault("dpi", DPI)
        super().__init__(*args, **kwargs)
        # Its own Agg canvas: extents asked for while the chart is built share one cached
        # renderer (a plain Figure makes a new one, with a new pixel buffer, per question),
        # and the PNG is that canvas's one draw (fonts looked up once: _ChartRenderer).
        _ChartCanvas(self)
        _keep_own_png(_ipython_shell())
        engine = self.get_layout_engine()
        if isinstance(engine, ConstrainedLayoutEngine):
            engine.set(w_pad=_PAD, h_pad=_PAD)

    @property
    def shown_width_in(self) -> float:
        """Width the chart is shown at: its own, or the text column when wider."""
        return min(float(self.get_figwidth()), TEXT_WIDTH_IN)

    def png(self) -> bytes:
        """The chart as PNG bytes: laid out and drawn once, at :data:`DPI`.

        The same pixels as ``savefig(format="png", dpi=DPI)``, which draws the figure
        twice; the same chart always gives the same bytes.
        """
        if self.dpi != DPI:
            self.set_dpi(DPI)
        canvas = self.canvas
        if not isinstance(canvas, FigureCanvasAgg):  # a caller attached another canvas
            canvas = FigureCanvasAgg(self)
        with collector_paused():
            canvas.draw()  # runs the layout engine once, then draws every artist
        return encode_png(np.asarray(canvas.buffer_rgba()), dpi=DPI)

    def _repr_png_(self) -> tuple[bytes, dict[str, Any]]:
        metadata: dict[str, Any] = {"width": round(self.shown_width_in * CSS_DPI)}
        if self.alt:
            metadata["alt"] = self.alt
        return self.png(), metadata


def _ipython_shell() -> Any:
    """The running IPython shell, if any (IPython is not imported for the question)."""
    ipython = sys.modules.get("IPython")
    return ipython.get_ipython() if ipython is not None else None


def _keep_own_png(shell: Any) -> None:
    """Show a ReportFigure through :meth:`ReportFigure._repr_png_` in ``shell``.

    Once pyplot is used in a kernel (in JupyterLab, any ``plt.plot``), matplotlib's inline
    backend registers a PNG printer for every Figure, which IPython asks before any
    ``_repr_png_``: a report chart was then drawn twice more (``bbox_inches="tight"``), shown
    at its pixel width instead of its printed width and without its alt text. A printer
    registered for this class is found first (IPython looks along the class's MRO); where
    no other printer is registered it gives what ``_repr_png_`` gives.
    """
    if shell is None:
        return
    formatter = shell.display_formatter.formatters["image/png"]
    if formatter.type_printers.get(ReportFigure) is not _own_png:
        formatter.for_type(ReportFigure, _own_png)


def _own_png(fig: ReportFigure) -> tuple[bytes, dict[str, Any]]:
    return fig._repr_png_()


@contextmanager
def chart_style() -> Iterator[None]:
    """The report's chart style while a figure is drawn: ``with chart_style(): ...``.

    Seaborn's ``whitegrid`` axes (its ``axes_style("whitegrid")`` settings) with the report's
    type sizes (none under :data:`MIN_FONT_PT`) and bold titles, applied through
    ``matplotlib.rc_context``, so the caller's global matplotlib settings are back as they
    were when the block ends. Every report chart is drawn inside it. Python's cyclic
    garbage collector is paused in the block (a chart's many new objects are not walked
    again and again while it is built) and runs again after it.

    References
    ----------
    Waskom, M. (2021). seaborn: statistical data visualization. *Journal of Open Source
    Software* 6(60), 3021 (``axes_style``).
    """
    with collector_paused(), mpl.rc_context(_WHITEGRID), mpl.rc_context(_RC):  # type: ignore[arg-type]
        yield


def honest_limits(metric: str, values: Any = ()) -> tuple[float, float]:
    """An axis range that does not exaggerate differences: the metric's whole scale.

    Percentages 0–100, NPS −100…100, a mean its rating scale (the registry's bounds). A
    metric without bounds starts at zero and ends above the largest value.

    Examples
    --------
    >>> honest_limits("csat_top2")
    (0.0, 100.0)
    >>> honest_limits("unbounded", [3.0, 12.0])
    (0.0, 13.2)
    """
    bounds = metric_bounds(metric)
    if bounds is not None:
        return float(bounds[0]), float(bounds[1])
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    top = float(finite.max()) if finite.size else 1.0
    return 0.0, round(max(top, 0.0) * 1.1, 10) or 1.0


def mark_axis_break(ax: Any, axis: str = "x") -> None:
    """Two short slanted strokes at the start of an axis that does not start at its zero.

    The convention for a broken axis (Cleveland 1985): the reader sees that the scale is
    cut and reads positions, not lengths from the edge.
    """
    kwargs = {"transform": ax.transAxes, "color": OVERALL, "clip_on": False, "linewidth": 1.2}
    d = 0.012
    for offset in (0.0, 0.012):
        if axis == "x":
            ax.plot((0.03 + offset - d, 0.03 + offset + d), (-d * 1.6, d * 1.6), **kwargs)
        else:
            ax.plot((-d * 1.6, d * 1.6), (0.03 + offset - d, 0.03 + offset + d), **kwargs)


def smallest_text(fig: ReportFigure) -> float:
    """The smallest visible text of a drawn figure, in points at the size it is shown."""
    fig.draw_without_rendering()
    scale = fig.shown_width_in / float(fig.get_figwidth())
    sizes = [
        float(t.get_fontsize()) * scale
        for t in fig.findobj(Text)
        if t.get_visible() and t.get_text().strip()
    ]
    return min(sizes) if sizes else float("inf")
