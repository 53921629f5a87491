"""A heading, a table and a chart shown as one block, so a printed page never splits them.

A report section often reads "heading — table — chart about the same groups". Shown as
three notebook outputs, the PDF may put the table at the foot of one page and its chart on
the next. :func:`block` makes them one output: ``<div class="cx-block">`` with the parts
in order, which the report stylesheet keeps on one page (``break-inside: avoid``).

Every part stays on the escaping path: headings and text are
:class:`~cxresearch.present.escaping.SafeMarkdown` rendered as nbconvert renders a Markdown
cell (:func:`~cxresearch.present.markdown_html.markdown_html`), tables are
:class:`~cxresearch.present.tables.Table` (escaped cells), charts are PNGs inlined as
``data:`` images with their width and an escaped alt text
(:class:`~cxresearch.present.chart_base.ReportFigure`).

Examples
--------
>>> from cxresearch.present.escaping import heading
>>> html = block(heading("Toimitus <b>", 3))._repr_html_()
>>> html.startswith('<div class="cx-block">') and "&lt;b&gt;" in html
True
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from typing import Any

from cxresearch.present.escaping import SafeMarkdown
from cxresearch.present.markdown_html import markdown_html

__all__ = ["Block", "block"]


def _markdown_html(text: SafeMarkdown) -> str:
    # nbconvert's Markdown HTML, built from mistune here: importing nbconvert's filter
    # cost each report kernel about 1.4 CPU s (jsonschema's format checkers).
    return markdown_html(str(text))


def _figure_html(figure: Any) -> str:
    png, meta = figure._repr_png_()
    width = f' width="{int(meta["width"])}"' if "width" in meta else ""
    alt = html.escape(str(meta.get("alt", "")), quote=True)
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<div class="jp-RenderedImage cx-chart"><img src="data:image/png;base64,{data}"'
        f'{width} alt="{alt}"></div>'
    )


@dataclass(frozen=True)
class Block:
    """Parts shown together: SafeMarkdown, tables (``to_html``) and report figures.

    ``None`` parts are left out, so optional parts need no ``if``.
    """

    parts: tuple[Any, ...]

    def _repr_html_(self) -> str:
        pieces = []
        for part in self.parts:
            if part is None:
                continue
            if isinstance(part, SafeMarkdown):
                pieces.append(_markdown_html(part))
            elif hasattr(part, "_repr_png_"):
                pieces.append(_figure_html(part))
            elif hasattr(part, "to_html"):
                pieces.append(str(part.to_html()))
            else:
                kind = type(part).__name__
                raise TypeError(f"a block holds SafeMarkdown, tables and figures, got {kind}")
        return '<div class="cx-block">' + "\n".join(pieces) + "</div>"


def block(*parts: Any) -> Block:
    """Show ``parts`` (headings and text as SafeMarkdown, tables, charts) as one block."""
    return Block(tuple(parts))
