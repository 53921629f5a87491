"""Executed notebook → self-contained client HTML (and PDF from the same HTML).

Both conversions run in-process: nbconvert's command line costs about 2.6 s of start-up
per notebook, the in-process export 0.1–0.3 s (measured on this project's reports).
The HTML has no code, no prompts, no parameters cell and no reference to any web address,
so that it opens offline, can be mailed as one file and prints the same everywhere. Its
Content-Security-Policy forbids every script and every load but inline images, styles and
fonts, so that even a piece of markup that slipped through the escaping
(:mod:`cxresearch.present.escaping`) could not run or fetch anything. The PDF is printed
offline: WeasyPrint's URL fetcher (:func:`offline_url_fetcher`) refuses everything but the
page's own ``data:`` URIs and images (taken out of the page before it is parsed and served
from memory: :mod:`cxresearch.report.pdf_page`) and files inside the report's own folder,
when one is given.

References
----------
nbconvert HTMLExporter and TagRemovePreprocessor:
https://nbconvert.readthedocs.io/en/latest/removing_cells.html
WeasyPrint ``HTML.write_pdf``: https://doc.courtbouillon.org/weasyprint/stable/
"""

from __future__ import annotations

import atexit
import copy
import html
import logging
import os
import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from cxresearch.collector import collector_paused
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

#: The page's Content-Security-Policy: no scripts, no requests; inline styles and data: images.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; "
    "base-uri 'none'; form-action 'none'"
)
_RUN_RECORD_MIMETYPE = "application/vnd.cxresearch.run+json"  # cxresearch.session

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
    for cell in nb.cells:
        # The run record (which data bytes were analysed) is for the runner, not the reader.
        if cell.get("outputs"):
            cell["outputs"] = [
                o for o in cell["outputs"] if _RUN_RECORD_MIMETYPE not in o.get("data", {})
            ]
    try:
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    except Exception as exc:
        raise ReportError(f"nbconvert could not render the notebook {title!r}: {exc}") from exc
    return add_toc(_with_csp(body))


def _with_csp(page: str) -> str:
    meta = f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">'
    head = page.find("<head>")
    if head < 0:
        raise ReportError("the rendered page has no <head> for its security policy")
    at = head + len("<head>")
    return page[:at] + "\n" + meta + page[at:]


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


_H2_OPEN = re.compile(r"<h2 id=\"(?P<id>[^\"]*)\"(?P<rest>[^>]*)>(?P<inner>.*?)</h2>", re.DOTALL)


def appendix_headings() -> frozenset[str]:
    """The ``h2`` texts that start a report's appendix, in every report language."""
    from cxresearch.present.labels import LANGUAGES, get_labels

    return frozenset(get_labels(lang).get("text.heading_provenance") for lang in LANGUAGES)


def mark_appendix(page: str) -> str:
    """Give the appendix's ``h2`` (provenance) the class ``cx-appendix``.

    The print stylesheet starts it on a new page: hashes and package versions are a record
    for the curious, not part of the report a client reads.
    """
    titles = appendix_headings()

    def mark(match: re.Match[str]) -> str:
        text = html.unescape(_TAG.sub("", match["inner"]).replace("¶", "")).strip()
        if text not in titles:
            return match.group(0)
        return f'<h2 id="{match["id"]}" class="cx-appendix"{match["rest"]}>{match["inner"]}</h2>'

    return _H2_OPEN.sub(mark, page)


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


class RefusedURL(Exception):
    """A URL the report tried to load while printing; the report is not printed."""


def offline_url_fetcher(
    folder: str | Path | None = None,
    *,
    files: Iterable[str | Path] = (),
    images: Mapping[str, tuple[str, bytes]] | None = None,
) -> Any:
    """A WeasyPrint URL fetcher that loads only what belongs to the report itself.

    ``data:`` URIs (the report's inlined charts) are decoded by WeasyPrint's own fetcher.
    ``images`` are the page's own images taken out of it before printing
    (:func:`cxresearch.report.pdf_page.detach_images`): each of their URLs is served from
    memory, with its media type. ``file:`` URLs are read only when the file resolves (after
    symlinks) to one of ``files`` (the pinned fonts, :mod:`cxresearch.report.pdf_fonts`)
    or, when ``folder`` is given, to a file inside it. Every other URL (``http``,
    ``https``, ``ftp``, ``file`` elsewhere, a ``cx-image:`` URL it was not given, ...)
    raises :class:`RefusedURL` and is recorded in the fetcher's ``refused`` list, so that
    no request leaves the machine and no file is attached.
    """
    from urllib.parse import unquote, urlsplit

    from weasyprint import urls

    allowed = Path(folder).resolve() if folder is not None else None
    named = {Path(f).resolve() for f in files}
    memory = dict(images or {})
    refused: list[str] = []

    def permitted(url: str) -> str | None:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "data":
            return url
        if scheme == "file" and parts.netloc in ("", "localhost"):
            target = Path(unquote(parts.path)).resolve()
            inside = allowed is not None and target.is_relative_to(allowed)
            if (target in named or inside) and target.is_file():
                return target.as_uri()
        refused.append(url)
        return None

    def refuse(url: str) -> RefusedURL:
        return RefusedURL(f"refused to load {url[:80]!r}: reports print offline")

    if hasattr(urls, "URLFetcher"):  # WeasyPrint 68 and later: a fetcher class

        class OfflineFetcher(urls.URLFetcher):
            def fetch(self, url: str, headers: Any = None) -> Any:
                if url in memory:
                    mime_type, data = memory[url]
                    return urls.URLFetcherResponse(url, data, {"Content-Type": mime_type})
                target = permitted(url)
                if target is None:
                    raise refuse(url)
                return super().fetch(target, headers)

        fetcher: Any = OfflineFetcher(allowed_protocols=("data", "file"), allow_redirects=False)
    else:  # earlier versions: a function

        def fetcher(url: str, *args: Any, **kwargs: Any) -> Any:
            if url in memory:
                mime_type, data = memory[url]
                return {"string": data, "mime_type": mime_type, "redirected_url": url}
            target = permitted(url)
            if target is None:
                raise refuse(url)
            return urls.default_url_fetcher(target, *args, **kwargs)

    fetcher.refused = refused
    return fetcher


class _PrintSetup:
    """What every PDF of a process shares: the pinned fonts, loaded once.

    Parsing the font stylesheet and loading its five faces into a fresh fontconfig
    configuration cost about 0.02 CPU s per report (and Pango's caches of those faces
    start cold each time); the PDF's bytes do not depend on whether they were loaded
    before (tested: two reports in either order give the bytes of a fresh setup). The
    fonts embedded in a PDF are still subset per document, from the glyphs it uses.

    A page that declares ``@font-face`` rules of its own adds faces to the configuration;
    such a setup is not used again (:meth:`spoiled`), so no page's fonts reach another.
    """

    def __init__(self) -> None:
        import weasyprint
        from weasyprint.text.fonts import FontConfiguration

        from cxresearch.report.pdf_fonts import font_css, font_files

        class CountingFonts(FontConfiguration):
            faces = 0

            def add_font_face(self, rule_descriptors: Any, url_fetcher: Any) -> Any:
                self.faces += 1
                return super().add_font_face(rule_descriptors, url_fetcher)

        self.files = tuple(font_files().values())
        self.fonts = CountingFonts()
        fetcher = offline_url_fetcher(files=self.files)
        self.css = weasyprint.CSS(string=font_css(), font_config=self.fonts, url_fetcher=fetcher)
        self.pinned_faces = self.fonts.faces

    def spoiled(self) -> bool:
        """Whether a printed page added font faces of its own."""
        return bool(self.fonts.faces != self.pinned_faces)


_print_setup: _PrintSetup | None = None


def _shared_print_setup() -> _PrintSetup:
    """The process's :class:`_PrintSetup` (the caller holds :data:`_PDF_LOCK`)."""
    global _print_setup
    if _print_setup is None or _print_setup.spoiled():
        _print_setup = _PrintSetup()
    return _print_setup


def release_print_setup() -> None:
    """Drop the shared fonts (WeasyPrint then deletes its temporary copies of them).

    Called at exit, and by a render worker that exits because its batch is gone. Without
    the lock: a PDF being printed keeps its own reference, and the next one loads anew.
    """
    global _print_setup
    _print_setup = None


atexit.register(release_print_setup)


def render_pdf(page: str, *, base_url: str | Path | None = None) -> bytes:
    """Print an HTML page (from :func:`render_html`) to an A4 PDF with WeasyPrint.

    The PDF has no creation or modification date (the page carries no ``dcterms`` dates
    and WeasyPrint adds none of its own), its embedded fonts carry a fixed timestamp and
    are the pinned files of :mod:`cxresearch.report.pdf_fonts`, so the same HTML gives the
    same PDF bytes whatever else is installed. The provenance section becomes an appendix
    on its own pages (:func:`mark_appendix`). The fonts are loaded once per process
    (:class:`_PrintSetup`; the bytes are those of a fresh load), the charts' base64 text
    is not parsed and the tables' style blocks are one sheet
    (:mod:`cxresearch.report.pdf_page`), PNG charts go into the PDF
    without being decoded and encoded again where that is not needed
    (:mod:`cxresearch.report.pdf_images`; the same pixels), and Python's garbage
    collector pauses while WeasyPrint works (:func:`cxresearch.collector.collector_paused`).

    Nothing is fetched from the network or from files outside ``base_url``'s folder but
    the pinned fonts (:func:`offline_url_fetcher`); a page that tries is not printed.

    Parameters
    ----------
    page
        The HTML text.
    base_url
        Folder that relative references resolve against and the only folder files may be
        read from (none in a rendered report: everything is inlined).

    Raises
    ------
    ReportError
        If WeasyPrint fails, or the page asked for anything but its own inline data.
    """
    import weasyprint

    from cxresearch.report.pdf_images import fast_png_images
    from cxresearch.report.pdf_page import detach_images, merge_styles

    base = Path(base_url).resolve().as_uri() + "/" if base_url is not None else None
    # The charts' base64 text is not parsed: WeasyPrint reads their bytes from memory.
    # The tables' style blocks are one sheet (the same cascade, fewer sheets to match).
    page, images = detach_images(page)
    page = merge_styles(page)
    try:
        with _PDF_LOCK, _reproducible_weasyprint(), fast_png_images(), collector_paused():
            # The pinned fonts (cxresearch.report.pdf_fonts), loaded once per process:
            # the bytes do not depend on the fonts the machine happens to have.
            setup = _shared_print_setup()
            fetcher = offline_url_fetcher(base_url, files=setup.files, images=images)
            document = weasyprint.HTML(
                string=mark_appendix(page), base_url=base, url_fetcher=fetcher
            )
            pdf = document.write_pdf(stylesheets=[setup.css], font_config=setup.fonts)
    except Exception as exc:
        raise ReportError(f"WeasyPrint could not print the report to PDF: {exc}") from exc
    if fetcher.refused:
        shown = ", ".join(repr(url[:80]) for url in fetcher.refused[:3])
        raise ReportError(
            f"the report asked to load {len(fetcher.refused)} resource(s) from outside itself "
            f"({shown}); reports print offline, so the PDF was not written"
        )
    if not isinstance(pdf, bytes):  # write_pdf() without a target returns the bytes
        raise ReportError("WeasyPrint returned no PDF bytes")
    return pdf
