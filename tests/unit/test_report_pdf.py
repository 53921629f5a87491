"""The PDF is made on purpose: title page, running title and numbers, appendix, pinned fonts.

Printed from a small executed notebook shaped like a report (no kernel). The layout is
read from WeasyPrint's own page boxes; the font test prints the same page in two fresh
processes, one with the machine's fonts and one with no system font at all, and compares
the bytes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from cxresearch.present import get_labels
from cxresearch.report.pdf_fonts import FAMILY, font_digest, font_files
from cxresearch.report.render import mark_appendix, render_html, render_pdf

FI = get_labels("fi")


def _table(rows: int) -> str:
    body = "".join(f"<tr><td>ryhmä {i}</td><td>{i} † −1 ▲</td></tr>" for i in range(rows))
    return (
        f"<table><thead><tr><th>Ryhmä</th><th>p‑arvo</th></tr></thead><tbody>{body}</tbody></table>"
    )


def report_notebook() -> nbformat.NotebookNode:
    nb = new_notebook()
    cells = [
        new_markdown_cell("# Kotiposti Oy — asiakaskokemus 2026\n\n**Vertailuraportti** · 2026Q3"),
        new_markdown_cell(
            "## Keskeiset havainnot\n\n1. **NPS laski.** Sattumaa ei voi sulkea pois."
        ),
        new_markdown_cell("## Suositukset\n\nKorkea prioriteetti."),
    ]
    for i in range(3):
        cell = new_code_cell("", execution_count=1)
        cell.outputs = [new_output("display_data", data={"text/html": _table(25)})]
        cells += [new_markdown_cell(f"## Osio {i}\n\nTekstiä ääkkösin."), cell]
    cells.append(new_markdown_cell(f"## {FI.get('text.heading_provenance')}\n\nsha256 …"))
    nb.cells = cells
    return nb


@pytest.fixture(scope="module")
def page() -> str:
    return render_html(report_notebook(), title="Kotiposti", language="fi")


def _pages_text(page: str) -> list[str]:
    """The text on each printed page, from WeasyPrint's layout (with the pinned fonts)."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    from cxresearch.report.pdf_fonts import font_css

    fonts = FontConfiguration()
    css = weasyprint.CSS(string=font_css(), font_config=fonts)
    document = weasyprint.HTML(string=mark_appendix(page)).render(
        stylesheets=[css], font_config=fonts
    )

    def texts(box: object) -> list[str]:
        found = [box.text] if hasattr(box, "text") and isinstance(box.text, str) else []
        for child in getattr(box, "children", []) or []:
            found += texts(child)
        return found

    pages = []
    for printed in document.pages:
        pages.append(" ".join(texts(printed._page_box)))
    return pages


def test_title_page_contents_then_findings_page_numbers_and_appendix(page: str) -> None:
    pages = _pages_text(page)
    assert len(pages) >= 4
    title = pages[0]
    assert "Kotiposti Oy — asiakaskokemus 2026" in title and "Keskeiset havainnot" in title  # TOC
    assert "/" not in title.split("Osio")[-1]  # no page number on the title page
    # The findings start the second page, which carries the running title and its number.
    assert pages[1].index("Keskeiset havainnot") < pages[1].index("Suositukset")
    assert "Kotiposti Oy — asiakaskokemus 2026" in pages[1] and f"2 / {len(pages)}" in pages[1]
    # The provenance is an appendix on a page of its own.
    appendix = FI.get("text.heading_provenance")
    assert appendix in pages[-1] and "Osio" not in pages[-1]
    assert all(appendix not in p for p in pages[1:-1])
    # A long table continues on the next page with its header repeated.
    assert sum("Ryhmä" in p for p in pages) >= 3


_PRINT = """
import sys
from pathlib import Path
from cxresearch.report.render import render_pdf
sys.stdout.buffer.write(render_pdf(Path(sys.argv[1]).read_text(encoding="utf-8")))
"""


def _print_in_fresh_process(page_file: Path, env: dict[str, str]) -> bytes:
    done = subprocess.run(
        [sys.executable, "-c", _PRINT, str(page_file)],
        capture_output=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return done.stdout


@pytest.mark.slow
def test_pdf_bytes_do_not_depend_on_the_installed_fonts(page: str, tmp_path: Path) -> None:
    page_file = tmp_path / "page.html"
    page_file.write_text(page, encoding="utf-8")
    with_system_fonts = _print_in_fresh_process(page_file, dict(os.environ))
    # A fontconfig that knows no font directory at all: only the pinned files remain.
    conf = tmp_path / "fonts.conf"
    cache = f"<cachedir>{tmp_path / 'cache'}</cachedir>"
    conf.write_text(f'<?xml version="1.0"?>\n<fontconfig>{cache}</fontconfig>\n', encoding="utf-8")
    without = _print_in_fresh_process(page_file, {**os.environ, "FONTCONFIG_FILE": str(conf)})
    assert with_system_fonts.startswith(b"%PDF") and with_system_fonts == without


def test_the_pinned_fonts_are_named_and_digested() -> None:
    files = font_files()
    assert {face[0] for face in files} >= {FAMILY}
    assert all(path.is_file() and path.suffix == ".ttf" for path in files.values())
    assert font_digest().startswith("DejaVu Sans") and len(font_digest().split("sha256:")[1]) == 64


def test_pdf_embeds_only_the_pinned_faces(page: str) -> None:
    import re
    import zlib

    pdf = render_pdf(page)
    streams = [pdf]
    for match in re.finditer(rb"stream\r?\n", pdf):
        try:  # font descriptors sit in compressed object streams
            streams.append(zlib.decompressobj().decompress(pdf[match.end() :]))
        except zlib.error:
            continue
    names = set(re.findall(rb"/FontName\s*/[A-Z]{6}\+([A-Za-z0-9-]+)", b"\n".join(streams)))
    # WeasyPrint names an @font-face font after its family: only the pinned family is there.
    pinned = FAMILY.replace(" ", "-").encode()
    assert names and all(name.startswith(pinned) for name in names), names
