"""PNG charts into the PDF without re-encoding (report/pdf_images.py): same pixels, or no change.

Each image is given to WeasyPrint's own ``RasterImage.get_x_object`` and to the short way;
both PDF image streams are decoded here (zlib, PNG row filters per ISO 32000-1 7.4.4.4,
soft mask as alpha) and must give the same pixels. Images the short way cannot take must
be left to WeasyPrint.
"""

from __future__ import annotations

import base64
import io
import struct
import zlib
from typing import Any

import numpy as np
import pytest
from PIL import Image

from cxresearch.report.pdf_images import _x_object, fast_png_images, png_pass_through, read_png
from cxresearch.report.render import render_pdf

weasyprint = pytest.importorskip("weasyprint")
from weasyprint import images as wp_images  # noqa: E402


def _pixels(channels: int, *, opaque: bool = True, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, size=(23, 41, channels), dtype=np.uint8)
    pixels[4:15, 6:30] = 200  # a flat area, as in a chart
    if channels in (2, 4) and opaque:
        pixels[:, :, -1] = 255
    return pixels


def _pillow_png(pixels: np.ndarray, **options: Any) -> bytes:
    modes = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}
    image = Image.fromarray(pixels.squeeze(), modes[pixels.shape[2]])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", **options)
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _unfiltered_png(pixels: np.ndarray) -> bytes:
    """A PNG with filter 0 on every row, as cxresearch's chart writer makes them."""
    height, width, channels = pixels.shape
    rows = np.zeros((height, 1 + width * channels), dtype=np.uint8)
    rows[:, 1:] = pixels.reshape(height, width * channels)
    colour = {1: 0, 3: 2, 4: 6}[channels]
    header = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)),
            _chunk(b"IEND", b""),
        ]
    )


def _raster(data: bytes) -> Any:
    uri = "data:image/png;base64," + base64.b64encode(data).decode()
    image = wp_images.get_image_from_uri(
        cache={}, url_fetcher=weasyprint.urls.URLFetcher(), options=weasyprint.DEFAULT_OPTIONS,
        url=uri,
    )  # fmt: skip
    assert isinstance(image, wp_images.RasterImage)
    return image


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def _decoded(stream: Any) -> np.ndarray:
    """Pixels (height × width × channels) of a PDF image stream made by WeasyPrint or us."""
    extra = stream.extra
    width, height = extra["Width"], extra["Height"]
    channels = 3 if extra["ColorSpace"] == "/DeviceRGB" else 1
    assert extra["Filter"] == "/FlateDecode" and extra["BitsPerComponent"] == 8
    raw = zlib.decompress(b"".join(part.data for part in stream.stream))
    parameters = extra.get("DecodeParms")
    if parameters is None:
        out = np.frombuffer(raw, dtype=np.uint8).reshape(height, width, channels)
    else:  # PNG predictors: a filter byte, then the row (ISO 32000-1, 7.4.4.4)
        assert parameters["Predictor"] >= 10 and parameters["Columns"] == width
        assert parameters.get("Colors", 1) == channels
        stride = width * channels
        previous = bytearray(stride)
        rows = []
        for y in range(height):
            start = y * (stride + 1)
            kind, row = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
            for x in range(stride):
                left = row[x - channels] if x >= channels else 0
                up = previous[x]
                corner = previous[x - channels] if x >= channels else 0
                add = [0, left, up, (left + up) // 2, _paeth(left, up, corner)][kind]
                row[x] = (row[x] + add) & 0xFF
            rows.append(bytes(row))
            previous = row
        out = np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(height, width, channels)
    mask = extra.get("SMask")
    if mask is None:
        return np.concatenate([out, np.full((height, width, 1), 255, np.uint8)], axis=2)
    alpha = _decoded(mask)[:, :, :1]
    return np.concatenate([out, alpha], axis=2)


def _weasyprints_own(data: bytes) -> Any:
    return wp_images.RasterImage.get_x_object(_raster(data), False, 1)


def _palette_png() -> bytes:
    image = Image.fromarray(_pixels(3) // 64 * 64, "RGB").convert("P")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


CASES = {
    "rgb, unfiltered rows (the charts)": _unfiltered_png(_pixels(3)),
    "rgb, Pillow's filters": _pillow_png(_pixels(3)),
    "grey": _unfiltered_png(_pixels(1)),
    "rgba, opaque (matplotlib)": _pillow_png(_pixels(4)),
    "grey + alpha, opaque": _pillow_png(_pixels(2)),
    # WeasyPrint turns a palette image into an RGB PNG of its own, which is then copied.
    "palette": _palette_png(),
}


@pytest.mark.parametrize("name", CASES)
def test_the_short_way_gives_weasyprints_pixels(name: str) -> None:
    data = CASES[name]
    own = _weasyprints_own(data)
    short = _x_object(_raster(data), False, 1)
    assert short is not None
    assert np.array_equal(_decoded(short), _decoded(own))
    assert "SMask" not in short.extra  # fully opaque: nothing to mask
    # The image's description is WeasyPrint's, but for how the rows are stored.
    described = {k: v for k, v in own.extra.items() if k not in ("SMask", "DecodeParms")}
    assert {k: v for k, v in short.extra.items() if k != "DecodeParms"} == described


def test_rgb_rows_are_copied_as_they_are() -> None:
    data = CASES["rgb, unfiltered rows (the charts)"]
    short = _x_object(_raster(data), True, 1)
    png = read_png(data)
    assert png is not None and short.stream[0].data == png.rows
    assert dict(short.extra["DecodeParms"]) == {"Predictor": 15, "Columns": 41, "Colors": 3}
    assert short.extra["Interpolate"] == "true"


@pytest.mark.parametrize("channels", [4, 2])
def test_transparent_images_are_left_to_weasyprint(channels: int) -> None:
    data = _pillow_png(_pixels(channels, opaque=False))  # they need the soft mask
    assert _x_object(_raster(data), False, 1) is None
    # Scaled by the ``dpi`` option: WeasyPrint's way too.
    assert _x_object(_raster(CASES["rgb, unfiltered rows (the charts)"]), False, 0.5) is None


def _with_ihdr(data: bytes, **fields: int) -> bytes:
    """The PNG with IHDR fields replaced (CRC recomputed)."""
    names = ["width", "height", "bit_depth", "color_type", "compression", "filtering", "interlace"]
    values = dict(zip(names, struct.unpack(">IIBBBBB", data[16:29]), strict=True))
    values.update(fields)
    header = struct.pack(">IIBBBBB", *(values[n] for n in names))
    return data[:8] + _chunk(b"IHDR", header) + data[33:]


def test_pass_through_refuses() -> None:
    rgb = _unfiltered_png(_pixels(3))
    assert png_pass_through(rgb, "RGB", 41, 23) is not None
    assert png_pass_through(rgb, "L", 41, 23) is None  # not what WeasyPrint read
    assert png_pass_through(rgb, "RGB", 40, 23) is None
    assert png_pass_through(_with_ihdr(rgb, interlace=1), "RGB", 41, 23) is None
    assert png_pass_through(_with_ihdr(rgb, bit_depth=16), "RGB", 41, 23) is None
    trns = rgb[:-12] + _chunk(b"tRNS", b"\x00\x00\x00\x00\x00\x00") + rgb[-12:]
    assert png_pass_through(trns, "RGB", 41, 23) is None
    assert png_pass_through(_palette_png(), "RGB", 41, 23) is None  # colour type 3
    # Broken files are not copied into a PDF.
    broken = bytearray(rgb)
    broken[60] ^= 0xFF  # inside IDAT: its CRC no longer matches
    assert read_png(bytes(broken)) is None
    assert read_png(rgb[:-20]) is None  # truncated
    assert read_png(b"GIF89a") is None


def test_render_pdf_embeds_chart_rows_unchanged_and_restores_weasyprint() -> None:
    chart = _unfiltered_png(_pixels(3, seed=5))
    opaque_rgba = _pillow_png(_pixels(4, seed=6))
    page = (
        "<html><head><title>t</title></head><body>"
        f'<img src="data:image/png;base64,{base64.b64encode(chart).decode()}">'
        f'<img src="data:image/png;base64,{base64.b64encode(opaque_rgba).decode()}">'
        "</body></html>"
    )
    before = wp_images.RasterImage.get_x_object
    pdf = render_pdf(page)
    png = read_png(chart)
    assert png is not None and png.rows in pdf  # the chart's own compressed rows
    assert b"/SMask" not in pdf  # neither image needed a soft mask
    assert wp_images.RasterImage.get_x_object is before
    with fast_png_images():
        assert wp_images.RasterImage.get_x_object is not before
    assert wp_images.RasterImage.get_x_object is before
