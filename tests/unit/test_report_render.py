"""HTML and PDF rendering of executed notebooks (no kernel: notebooks are built in memory)."""

from __future__ import annotations

import base64
import html
import logging
import re
import zlib
from urllib.parse import unquote

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from cxresearch.report.render import add_toc, render_html, render_pdf

# A 1×1 transparent PNG.
PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
    )
).decode("ascii")


def _inflated(pdf: bytes) -> bytes:
    """The PDF with its Flate streams decompressed (page objects sit in object streams)."""
    parts = [pdf]
    for match in re.finditer(rb"stream\r?\n", pdf):
        try:
            parts.append(zlib.decompressobj().decompress(pdf[match.end() :]))
        except zlib.error:
            continue
    return b"\n".join(parts)


def _cell(source: str, tags: list[str], outputs: list | None = None) -> nbformat.NotebookNode:
    cell = new_code_cell(source, outputs=outputs or [], execution_count=1)
    cell.metadata["tags"] = tags
    return cell


def executed_notebook() -> nbformat.NotebookNode:
    """An executed notebook shaped as papermill leaves it."""
    nb = new_notebook()
    nb.cells = [
        _cell(
            "", ["papermill-error-cell-tag"]
        ),  # replaced below by a markdown banner as papermill writes it
        new_markdown_cell("# Asiakaskokemus\n\nJohdanto."),
        _cell('params_path = ""\nrun = "all"', ["parameters"]),
        _cell(
            'params_path = "/secret/INJECTED.yaml"',
            ["injected-parameters"],
            [new_output("stream", name="stdout", text="INJECTED-OUTPUT\n")],
        ),
        new_markdown_cell("## Yleiskuva ä"),
        _cell(
            "frame = UNIQUE_CODE_TOKEN()",
            [],
            [
                new_output(
                    "execute_result",
                    data={
                        "text/html": "<table><tbody><tr><td>42</td></tr></tbody></table>",
                        "text/plain": "42",
                    },
                    execution_count=1,
                )
            ],
        ),
        _cell(
            "plot()",
            [],
            [new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"})],
        ),
        _cell("hidden()", ["remove-cell"], [new_output("stream", name="stdout", text="GONE\n")]),
        new_markdown_cell("## Tulokset & johtopäätökset"),
        _cell("print('x')", [], [new_output("stream", name="stdout", text="VISIBLE-OUTPUT\n")]),
    ]
    banner = new_markdown_cell('<span style="color:red">An Exception was encountered</span>')
    banner.metadata["tags"] = ["papermill-error-cell-tag"]
    nb.cells[0] = banner
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"  # nbformat draws random ids; a saved notebook has fixed ones
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


@pytest.fixture(scope="module")
def page() -> str:
    return render_html(executed_notebook(), title="Acme <Oy> & co", language="fi")


def test_code_prompts_and_parameter_cells_are_left_out(page: str) -> None:
    assert "UNIQUE_CODE_TOKEN" not in page  # inputs hidden
    assert "INJECTED" not in page  # injected-parameters cell and its output
    assert "params_path" not in page  # parameters cell
    assert "An Exception was encountered" not in page  # papermill's error banner
    assert "GONE" not in page  # remove-cell
    assert "In&nbsp;[" not in page and "Out[" not in page  # prompts
    assert "VISIBLE-OUTPUT" in page
    assert "<td>42</td>" in page
    assert f"data:image/png;base64,{PNG}" in page


def test_page_is_self_contained(page: str) -> None:
    # No CDN script, stylesheet, font or link: not one http(s) URL anywhere in the page.
    assert re.search(r"https?://", page) is None
    assert "<script src" not in page
    assert "@import" not in page


def test_language_and_escaped_title(page: str) -> None:
    assert '<html lang="fi">' in page
    assert "<title>Acme &lt;Oy&gt; &amp; co</title>" in page
    english = render_html(executed_notebook(), title="T", language="en")
    assert '<html lang="en">' in english


def test_unknown_language_is_rejected() -> None:
    with pytest.raises(ValueError, match="language"):
        render_html(executed_notebook(), title="T", language="Finnish")


def test_table_of_contents_links_match_heading_ids(page: str) -> None:
    toc = re.search(r'<nav class="cx-toc">(.*?)</nav>', page, re.DOTALL)
    assert toc is not None
    links = re.findall(r'<a href="#([^"]*)">([^<]*)</a>', toc.group(1))
    ids = [html.unescape(i) for i in re.findall(r'<h2 id="([^"]*)"', page)]
    # nbconvert URL-quotes ids ("ä" -> %C3%A4) ...
    assert ids == ["Yleiskuva-%C3%A4", "Tulokset-&-johtop%C3%A4%C3%A4t%C3%B6kset"]
    # ... and a fragment is matched after percent-decoding (HTML standard, "decoded
    # fragment"; WeasyPrint decodes always), so each link decodes to its heading's id.
    assert [unquote(href) for href, _ in links] == ids
    assert links[0][0] == "Yleiskuva-%25C3%25A4"
    assert [text for _, text in links] == ["Yleiskuva ä", "Tulokset &amp; johtopäätökset"]
    # Placed just before the first section heading, after the introduction.
    assert page.index('<nav class="cx-toc">') < page.index('<h2 id="Yleiskuva')
    assert page.index("Johdanto") < page.index('<nav class="cx-toc">')


def test_rendering_is_byte_identical(page: str) -> None:
    again = render_html(executed_notebook(), title="Acme <Oy> & co", language="fi")
    assert again == page


def test_notebook_is_not_modified() -> None:
    nb = executed_notebook()
    before = nbformat.writes(nb)
    render_html(nb, title="T")
    assert nbformat.writes(nb) == before


def test_add_toc_needs_two_headings() -> None:
    one = '<h2 id="A">A<a class="anchor-link" href="#A">¶</a></h2>'
    assert add_toc(one) == one
    two = one + '<p>x</p><h2 id="B-%C3%B6">B <em>ö</em></h2>'
    out = add_toc(two)
    assert out.startswith('<nav class="cx-toc">')
    assert '<li><a href="#A">A</a></li>' in out
    assert '<li><a href="#B-%25C3%25B6">B ö</a></li>' in out


def test_pdf_is_a4_deterministic_and_undated(page: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="weasyprint"):
        first = render_pdf(page)
    # Every table-of-contents link found its heading.
    assert not [r.getMessage() for r in caplog.records if "anchor" in r.getMessage()]
    second = render_pdf(page)
    assert first.startswith(b"%PDF-")
    assert first == second  # fonts' timestamps pinned, no creation date
    assert b"/CreationDate" not in first and b"/ModDate" not in first
    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", _inflated(first))
    assert box is not None
    # ISO 216 A4 = 210 mm x 297 mm = 595.276 pt x 841.890 pt (1 pt = 25.4/72 mm).
    assert float(box.group(1)) == pytest.approx(595.276, abs=0.01)
    assert float(box.group(2)) == pytest.approx(841.890, abs=0.01)
