"""Executed notebook → self-contained client HTML (and PDF from the same HTML).

Both conversions run in-process: nbconvert's command line costs about 2.6 s of start-up
per notebook, the in-process export 0.1–0.3 s (measured on this project's reports).
The HTML has no code, no prompts, no parameters cell and no reference to any web address,
so that it opens offline, can be mailed as one file and prints the same everywhere.

References
----------
nbconvert HTMLExporter and TagRemovePreprocessor:
https://nbconvert.readthedocs.io/en/latest/removing_cells.html
WeasyPrint ``HTML.write_pdf``: https://doc.courtbouillon.org/weasyprint/stable/
"""

from __future__ import annotations

import copy
import html
import logging
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from cxresearch.errors import ReportError

TEMPLATE_DIR = Path(__file__).parent / "templates"
TEMPLATE_NAME = "cxreport"
CSS_PATH = TEMPLATE_DIR / TEMPLATE_NAME / "report.css"

# Cells that must never reach a client: papermill's parameter cells and error banner, and
# cells the notebook author tagged for removal.
REMOVE_CELL_TAGS = frozenset(
    {"parameters", "injected-parameters", "papermill-error-cell-tag", "remove-cell"}
)
REMOVE_OUTPUT_TAGS = frozenset({"remove-output"})

# nbconvert's markdown renderer gives each heading an id and a pilcrow anchor link.
_H2 = re.compile(r'<h2 id="(?P<id>[^"]*)"[^>]*>(?P<inner>.*?)</h2>', re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


def report_css() -> str:
    """The report stylesheet (also used by the index page)."""
    return CSS_PATH.read_text(encoding="utf-8")


def render_html(nb: Any, *, title: str, language: str = "fi") -> str:
    """Render an executed notebook as a self-contained client HTML page.

    Parameters
    ----------
    nb
        The executed notebook (an ``nbformat.NotebookNode``); it is not modified.
    title
        Page ``<title>`` (the params ``title``; escaped here).
    language
        ISO 639-1 code for ``<html lang=...>`` (``"fi"`` or ``"en"``).

    Returns
    -------
    str
        The page. Code cells' inputs, prompts and the cells tagged ``parameters``,
        ``injected-parameters``, ``papermill-error-cell-tag`` and ``remove-cell`` are left
        out; a table of contents of the ``h2`` headings is added when there are two or
        more.

    Raises
    ------
    ReportError
        If nbconvert fails on the notebook.
    """
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    if not isinstance(title, str):
        raise TypeError(f"title must be a str, got {type(title).__name__}")
    # nbconvert only logs a warning for a bad code and writes it into <html lang> anyway.
    if not isinstance(language, str) or not _LANGUAGE.match(language):
        raise ValueError(
            f"language must be a two- or three-letter code like 'fi', got {language!r}"
        )
    config = Config()
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = set(REMOVE_CELL_TAGS)
    config.TagRemovePreprocessor.remove_all_outputs_tags = set(REMOVE_OUTPUT_TAGS)
    # Pygments styles only code, and the report shows no code.
    config.CSSHTMLHeaderPreprocessor.enabled = False
    exporter = HTMLExporter(
        config=config,
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATE_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        # Markdown images by relative path would break a mailed file: inline them.
        embed_images=True,
    )
    exporter.language_code = language
    # The template takes <title> from the notebook metadata; set it on a copy only.
    nb = copy.deepcopy(nb)
    nb.metadata["title"] = title
    try:
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    except Exception as exc:
        raise ReportError(f"nbconvert could not render the notebook {title!r}: {exc}") from exc
    return add_toc(body)


def add_toc(page: str) -> str:
    """Insert a table of contents of the ``h2`` headings before the first of them.

    nbconvert URL-quotes heading ids: "Yleiskuva ä" gets ``id="Yleiskuva-%C3%A4"``. A link
    ``href="#Yleiskuva-%C3%A4"`` works in browsers (they try the fragment as written) but
    not in WeasyPrint, which percent-decodes every fragment first and then finds no
    ``Yleiskuva-ä``. So each link percent-encodes the id once more: decoding it gives the
    id exactly, which both browsers (HTML's "decoded fragment" rule) and WeasyPrint match.
    A page with fewer than two ``h2`` headings is returned unchanged.
    """
    headings = list(_H2.finditer(page))
    if len(headings) < 2:
        return page
    items = []
    for match in headings:
        # Inner HTML is escaped text plus nbconvert's anchor link: drop the tags.
        text = _TAG.sub("", match["inner"]).replace("¶", "").strip()
        href = quote(html.unescape(match["id"]), safe="")
        items.append(f'<li><a href="#{href}">{text}</a></li>')
    nav = '<nav class="cx-toc">\n<ol>\n' + "\n".join(items) + "\n</ol>\n</nav>\n"
    first = headings[0].start()
    return page[:first] + nav + page[first:]


# One PDF at a time: the settings below are process-wide, and WeasyPrint is CPU-bound
# Python, so threads would not print faster anyway.
_PDF_LOCK = threading.Lock()


@contextmanager
def _reproducible_weasyprint() -> Iterator[None]:
    # fontTools stamps each embedded font subset's `head.modified` with the current time
    # unless SOURCE_DATE_EPOCH is set (measured: without it every PDF differs). A value the
    # user already set is respected, as the reproducible-builds convention asks.
    logger = logging.getLogger("weasyprint")
    level = logger.level
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    # WeasyPrint logs one warning per CSS property it does not implement; those are not
    # problems of the report and would bury real messages in the batch output.
    logger.setLevel(logging.ERROR)
    os.environ["SOURCE_DATE_EPOCH"] = saved if saved is not None else "0"
    try:
        yield
    finally:
        logger.setLevel(level)
        if saved is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)


def render_pdf(page: str, *, base_url: str | Path | None = None) -> bytes:
    """Print an HTML page (from :func:`render_html`) to an A4 PDF with WeasyPrint.

    The PDF has no creation or modification date (the page carries no ``dcterms`` dates
    and WeasyPrint adds none of its own) and its embedded fonts carry a fixed timestamp, so
    the same HTML gives the same PDF bytes.

    Parameters
    ----------
    page
        The HTML text.
    base_url
        Folder that relative references resolve against (none in a rendered report).

    Raises
    ------
    ReportError
        If WeasyPrint fails.
    """
    import weasyprint

    try:
        with _PDF_LOCK, _reproducible_weasyprint():
            document = weasyprint.HTML(
                string=page, base_url=str(base_url) if base_url is not None else None
            )
            pdf = document.write_pdf()
    except Exception as exc:
        raise ReportError(f"WeasyPrint could not print the report to PDF: {exc}") from exc
    if not isinstance(pdf, bytes):  # write_pdf() without a target returns the bytes
        raise ReportError("WeasyPrint returned no PDF bytes")
    return pdf
