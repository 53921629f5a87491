"""The fonts loaded once per process (render._PrintSetup) print the bytes of a fresh setup."""

from __future__ import annotations

import base64
import io

import matplotlib
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from PIL import Image

from cxresearch.report import render
from cxresearch.report.render import release_print_setup, render_html, render_pdf


def _chart(seed: int) -> str:
    image = Image.effect_noise((120, 60), 40 + seed).convert("RGBA")  # opaque, like a chart
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def _page(name: str, rows: int, seed: int) -> str:
    nb = new_notebook()
    table = "".join(f"<tr><td>{name} {i}</td><td>{i * seed} †</td></tr>" for i in range(rows))
    cells = [
        new_markdown_cell(f"# {name} — raportti\n\n**Lihavoitu** ja *kursiivi* · `koodi`"),
        new_markdown_cell(f"## Tulokset\n\nÄäkköset ja − ▲ ≤ {seed}"),
        new_code_cell("", execution_count=1),
        new_markdown_cell("## Liite\n\n```\nsha256 0123\n```"),
    ]
    cells[2].outputs = [
        new_output("display_data", data={"text/html": f"<table>{table}</table>"}),
        new_output("display_data", data={"image/png": _chart(seed)}),
    ]
    nb.cells = cells
    return render_html(nb, title=name, language="fi")


@pytest.fixture(scope="module")
def pages() -> tuple[str, str]:
    return _page("Kotiposti", 30, 3), _page("Saimaa Energia", 12, 7)


def _fresh(page: str) -> bytes:
    release_print_setup()
    return render_pdf(page)


def test_shared_fonts_print_the_bytes_of_fresh_ones_in_either_order(
    pages: tuple[str, str],
) -> None:
    first, second = pages
    alone = _fresh(first), _fresh(second)
    assert alone[0] != alone[1]
    release_print_setup()
    printed = [render_pdf(first)]
    setup = render._print_setup
    printed += [render_pdf(second), render_pdf(first)]
    assert render._print_setup is setup is not None  # loaded once, used three times
    assert printed == [alone[0], alone[1], alone[0]]
    release_print_setup()
    assert [render_pdf(second), render_pdf(first)] == [alone[1], alone[0]]


def test_a_page_with_its_own_fonts_does_not_share_them(pages: tuple[str, str]) -> None:
    first, second = pages
    expected = _fresh(second)
    render_pdf(first)
    setup = render._print_setup
    assert setup is not None and not setup.spoiled()
    font = (
        matplotlib.get_data_path() + "/fonts/ttf/STIXSizTwoSymBol.ttf"  # 12 kB
    )
    with open(font, "rb") as file:
        data = base64.b64encode(file.read()).decode()
    own = first.replace(
        "</style>",
        f'@font-face {{ font-family: "Own"; src: url(data:font/ttf;base64,{data}); }}\n</style>',
        1,
    )
    assert render_pdf(own).startswith(b"%PDF")
    assert setup.spoiled()
    # The next report gets fonts of its own, and the bytes a fresh process would print.
    assert render_pdf(second) == expected
    assert render._print_setup is not setup
