"""The page WeasyPrint is given: base64 images detached and served from memory, same PDF.

``detach_images`` must find exactly the ``src`` of ``<img>`` tags holding base64 raster
data (never text a reader sees, another attribute, or an SVG), give equal bytes one URL,
and decode as urllib's ``data:`` handler does; the print's fetcher serves those URLs and
refuses any other ``cx-image:`` URL; and a report printed that way is the PDF of the page
as it was, but for the images' names (WeasyPrint names an image by an MD5 of its URL).
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import zlib

import pytest
from PIL import Image

from cxresearch.errors import ReportError
from cxresearch.report import pdf_page
from cxresearch.report.pdf_page import IMAGE_SCHEME, detach_images
from cxresearch.report.render import offline_url_fetcher, render_pdf


def _png(colour: str, size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


RED, BLUE = _png("red"), _png("blue")


def _url(data: bytes) -> str:
    return f"{IMAGE_SCHEME}:{hashlib.sha256(data).hexdigest()}"


def test_img_sources_are_detached_decoded_and_shared_by_equal_bytes() -> None:
    page = (
        f'<p>a</p><img src="data:image/png;base64,{_b64(RED)}" width="40" alt="r">'
        f"<IMG class=x SRC = 'data:image/PNG;base64,{_b64(BLUE)}'>"
        f'<img alt="again" src="data:image/png;base64,{_b64(RED)}">'
    )
    detached, images = detach_images(page)
    assert detached == (
        f'<p>a</p><img src="{_url(RED)}" width="40" alt="r">'
        f"<IMG class=x SRC = '{_url(BLUE)}'>"
        f'<img alt="again" src="{_url(RED)}">'
    )
    assert images == {_url(RED): ("image/png", RED), _url(BLUE): ("image/png", BLUE)}
    assert "base64" not in detached


def test_only_img_sources_with_base64_raster_data_are_touched() -> None:
    data = _b64(RED)
    untouched = [
        # text a reader sees: its "<" is escaped, so it is no tag
        f'<p>&lt;img src="data:image/png;base64,{data}"&gt;</p>',
        # another attribute, another element, or src= inside another attribute's value
        f'<img data-src="data:image/png;base64,{data}"><a href="data:image/png;base64,{data}">',
        f"<img alt='see src=\"data:image/png;base64,{data}\"'>",
        f'<img title="src=&quot;data:image/png;base64,{data}&quot;">',
        # an SVG (references resolve against its URL), not base64, parameters, bad padding
        f'<img src="data:image/svg+xml;base64,{_b64(b"<svg/>")}">',
        '<img src="data:image/png,%89PNG">',
        f'<img src="data:image/png;charset=utf-8;base64,{data}">',
        f'<img src="data:image/png;base64,{data[:-1]}">',
        '<img src="data:image/png;base64,iVBOR w==">',
    ]
    for page in untouched:
        assert detach_images(page) == (page, {}), page
    # The real src after a decoy in another attribute is still found.
    page = f'<img alt=\'src="x"\' src="data:image/jpeg;base64,{data}">'
    assert detach_images(page) == (f"<img alt='src=\"x\"' src=\"{_url(RED)}\">", {
        _url(RED): ("image/jpeg", RED)
    })  # fmt: skip


def test_decoding_is_urllibs() -> None:
    import urllib.request

    # Padding in the middle, as base64.decodebytes (and so urllib's data: handler) reads it.
    odd = _b64(b"\x89PNG") + _b64(b"\r\n")
    _, images = detach_images(f'<img src="data:image/png;base64,{odd}">')
    ((mime, data),) = images.values()
    with urllib.request.urlopen(f"data:image/png;base64,{odd}") as response:
        assert data == response.read() and mime == response.headers.get_content_type()


def test_fetcher_serves_the_detached_images_and_refuses_other_image_urls() -> None:
    images = {_url(RED): ("image/png", RED)}
    fetcher = offline_url_fetcher(images=images)
    response = fetcher.fetch(_url(RED)) if hasattr(fetcher, "fetch") else fetcher(_url(RED))
    body = response.read() if hasattr(response, "read") else response["string"]
    assert body == RED
    with pytest.raises(Exception, match="reports print offline"):
        fetcher(_url(BLUE))
    assert fetcher.refused == [_url(BLUE)]
    # A page naming an image URL it does not carry is not printed.
    with pytest.raises(ReportError, match="outside itself"):
        render_pdf(f'<html><body><p>x</p><img src="{_url(BLUE)}"></body></html>')


def _streams(pdf: bytes) -> list[bytes]:
    """Every stream of the PDF, inflated, but the cross-reference (offsets of objects)."""
    found = []
    for match in re.finditer(rb"stream\r?\n", pdf):
        if b"/XRef" in pdf[pdf.rfind(b" obj", 0, match.start()) : match.start()]:
            continue
        try:
            found.append(zlib.decompressobj().decompress(pdf[match.end() :]))
        except zlib.error:
            found.append(pdf[match.end() : match.end() + 64])
    return found


def test_a_page_prints_as_it_did_with_its_images_inline(monkeypatch: pytest.MonkeyPatch) -> None:
    sources = [f"data:image/png;base64,{_b64(c)}" for c in (RED, BLUE, RED)]
    page = (
        '<html><head><meta charset="utf-8"></head><body><h1>Otsikko</h1>'
        + "".join(f'<p>kuva {i}</p><img src="{s}" width="40">' for i, s in enumerate(sources))
        + "</body></html>"
    )
    parsed: list[str] = []
    import weasyprint

    real_html = weasyprint.HTML

    def spy(*args: object, **kwargs: object) -> object:
        parsed.append(str(kwargs.get("string")))
        return real_html(*args, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(weasyprint, "HTML", spy)
        detached = render_pdf(page)
        patched.setattr(pdf_page, "detach_images", lambda page: (page, {}))
        inline = render_pdf(page)
    assert "base64" not in parsed[0] and "base64" in parsed[1]
    # WeasyPrint names an image "i" + the MD5 of its URL: that is the only difference.
    names = {
        hashlib.md5(f"data:image/png;base64,{_b64(d)}".encode()).hexdigest().encode():
        hashlib.md5(_url(d).encode()).hexdigest().encode()
        for d in (RED, BLUE)
    }  # fmt: skip
    renamed = []
    for stream in _streams(inline):
        for old, new in names.items():
            stream = stream.replace(old, new)
        renamed.append(stream)
    assert detached != inline and _streams(detached) == renamed
    assert any(new in stream for stream in renamed for new in names.values())
    # Equal images are embedded once, as they were.
    assert detached.count(b"/Subtype /Image") == inline.count(b"/Subtype /Image") == 2


STYLED = (
    '<html><head><meta charset="utf-8"><style>td { color: black }</style></head><body>'
    "<p>alku<style>#a td { color: red }\n#a td.c1 { text-align: left }</style> teksti</p>"
    '<table id="a"><tr><td>1</td><td class="c1">2</td></tr></table>'
    '<style type="text/css">#a td { color: blue }  </style>'
    '<table id="b"><tr><td>3</td></tr></table><style></style>'
    "<style>\n#b td { color: green }\n#a td { text-align: center }\n</style></body></html>"
)


def test_the_bodys_style_blocks_become_one_sheet_in_their_order() -> None:
    merged = pdf_page.merge_styles(STYLED)
    assert merged == (
        '<html><head><meta charset="utf-8"><style>td { color: black }</style></head><body>'
        '<p>alku<style type="text/css">\n#a td { color: red }\n#a td.c1 { text-align: left }'
        "\n#a td { color: blue }\n#b td { color: green }\n#a td { text-align: center }\n"
        '</style> teksti</p><table id="a"><tr><td>1</td><td class="c1">2</td></tr></table>'
        '<table id="b"><tr><td>3</td></tr></table></body></html>'
    )


def test_style_blocks_that_could_cascade_differently_are_left_alone() -> None:
    body = "<style>#a td { color: red }</style>{}<style>#b td { color: blue }</style>"
    page = "<html><head></head><body>" + body + "</body></html>"
    assert pdf_page.merge_styles(page.replace("{}", "")) != page.replace("{}", "")
    around = [  # something a <style> could hide in, or a block that is not plain
        "<!-- <style>p { color: red }</style> -->",
        "<script>x = '<style>'</script>",
        "<textarea><style>p{}</style></textarea>",
        "<svg><style>circle { fill: red }</style></svg>",
        '<style media="screen">p { color: red }</style>',
        "<STYLE>p { color: red }</STYLE>",
        "<style>p { color: red };</style>",
        "<style>p { color: red } p</style>",
        "<style>p { color: red </style>",
        "<style>p } { color: red }</style>",
        "<style>} p {{ color: red }</style>",
        "<style>@import 'x.css';</style>",
        "<style>p { content: '}' }</style>",
        "<style>/* } */ p { color: red }</style>",
        "<style>p { background: url(x{.png) }</style>",
        "<style>p { content: \\7d }</style>",
    ]
    for extra in around:
        unchanged = page.replace("{}", extra)
        assert pdf_page.merge_styles(unchanged) == unchanged, extra
    single = "<html><head></head><body><style>p{}</style><p>x</p></body></html>"
    assert pdf_page.merge_styles(single) == single
    assert pdf_page.merge_styles(body) == body  # no <head>: not a page


def test_merged_sheets_print_the_same_pdf(monkeypatch: pytest.MonkeyPatch) -> None:
    assert pdf_page.merge_styles(STYLED) != STYLED
    merged = render_pdf(STYLED)
    with monkeypatch.context() as patched:
        patched.setattr(pdf_page, "merge_styles", lambda page: page)
        separate = render_pdf(STYLED)
    assert merged == separate
    # The rules' order decides between equal selectors: reversing it shows in the PDF.
    blocks = re.findall(r"<style[^>]*>[^<]*</style>", STYLED)[1:]
    swapped = STYLED.replace(blocks[0], "\0").replace(blocks[1], blocks[0])
    swapped = swapped.replace("\0", blocks[1])
    with monkeypatch.context() as patched:
        patched.setattr(pdf_page, "merge_styles", lambda page: page)
        assert render_pdf(swapped) != separate
