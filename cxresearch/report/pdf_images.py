"""The report's PNG charts into the PDF without re-encoding what needs none.

WeasyPrint puts a PNG into the PDF by decoding it with Pillow and encoding its pixels as a
new PNG (and, for an image with an alpha channel, the alpha again as a second one, the
soft mask), of which it keeps the compressed pixel rows. For the charts of a benchmarking
report that was a quarter of the PDF's CPU time (0.24 of 1.0 s; 13 charts of 1051 px
width, measured). Two cases print the same pixels for much less:

- **An 8-bit RGB or grey PNG, not interlaced** (:func:`png_pass_through`): its ``IDAT``
  data already is what the PDF needs (a zlib stream of rows with PNG filter bytes, which
  PDF's ``FlateDecode`` with ``/Predictor 15`` reads), so it is copied as it is. Nothing
  is decoded or encoded.
- **An RGBA (or grey + alpha) PNG whose alpha is 255 everywhere**, as matplotlib writes
  an opaque chart: the soft mask would be fully opaque and changes nothing on the page, so
  it is left out, and the colour channels are compressed once (zlib level
  :data:`ZLIB_LEVEL`, no predictor; smaller than WeasyPrint's PNG rows and cheaper).

Everything else (transparent pixels, 16-bit, interlaced, palette, JPEG, an image scaled by
the ``dpi`` option) goes the way WeasyPrint goes. The pages look the same pixel for pixel
(tested: the decoded streams equal WeasyPrint's, and the demo PDFs rendered with
pdftoppm are identical); the PDF's bytes differ from WeasyPrint's own encoding.

:func:`fast_png_images` installs this in WeasyPrint only while a PDF is printed (the
caller holds :data:`cxresearch.report.render._PDF_LOCK`); WeasyPrint's
``RasterImage.get_x_object`` is private API, so a WeasyPrint without the attributes used
here is left untouched.

References
----------
PNG (Third Edition), W3C, 2025: chunk layout, IHDR, filter bytes per row.
ISO 32000-1:2008 (PDF 1.7), 7.4.4.4 (LZW and Flate predictor functions) and 8.9.5
(image dictionaries, ``SMask``).
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

__all__ = ["ZLIB_LEVEL", "PngRows", "fast_png_images", "png_pass_through", "read_png"]

#: zlib level of an opaque RGBA image's colour channels: 3 is as fast as 1 and smaller
#: than WeasyPrint's PNG rows (benchmarking report: 699 vs 733 kB, 0.16 vs 0.24 CPU s).
ZLIB_LEVEL = 3

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHUNK = struct.Struct(">I4s")
_IHDR = struct.Struct(">IIBBBBB")
_COLOR_TYPES = {0: "L", 2: "RGB"}  # grey, truecolour: the ones whose rows PDF reads


@dataclass(frozen=True)
class PngRows:
    """A PNG's header fields and its ``IDAT`` data (the compressed, filtered rows)."""

    width: int
    height: int
    bit_depth: int
    color_type: int
    interlace: int
    transparency: bool
    rows: bytes


def read_png(data: bytes) -> PngRows | None:
    """The header and concatenated ``IDAT`` data of a PNG, or ``None`` if it is not one.

    Every chunk's CRC is checked; a truncated or corrupted file gives ``None`` (and is
    left to WeasyPrint, which reports it), never a PDF stream of broken data.

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> buffer = io.BytesIO()
    >>> Image.new("RGB", (3, 2), "white").save(buffer, format="PNG")
    >>> png = read_png(buffer.getvalue())
    >>> (png.width, png.height, png.bit_depth, png.color_type)
    (3, 2, 8, 2)
    """
    if not data.startswith(_SIGNATURE):
        return None
    header: tuple[int, ...] | None = None
    rows: list[bytes] = []
    transparency = False
    position = len(_SIGNATURE)
    while True:
        if position + _CHUNK.size > len(data):
            return None  # no IEND: truncated
        length, kind = _CHUNK.unpack_from(data, position)
        start = position + _CHUNK.size
        end = start + length
        if end + 4 > len(data):
            return None
        (crc,) = struct.unpack_from(">I", data, end)
        if zlib.crc32(data[position + 4 : end]) != crc:
            return None
        body = data[start:end]
        if kind == b"IHDR":
            if length != _IHDR.size:
                return None
            header = _IHDR.unpack(body)
        elif kind == b"IDAT":
            rows.append(body)
        elif kind == b"tRNS":
            transparency = True
        elif kind == b"IEND":
            break
        position = end + 4
    if header is None or not rows:
        return None
    width, height, bit_depth, color_type, compression, filtering, interlace = header
    if compression != 0 or filtering != 0:
        return None
    return PngRows(width, height, bit_depth, color_type, interlace, transparency, b"".join(rows))


def png_pass_through(data: bytes, mode: str, width: int, height: int) -> bytes | None:
    """The PNG's ``IDAT`` data if the PDF can read it as it is, else ``None``.

    That is an 8-bit, non-interlaced grey or RGB PNG without a transparent colour, whose
    size and mode are what WeasyPrint read (``mode`` is Pillow's: ``"L"`` or ``"RGB"``).
    """
    png = read_png(data)
    if png is None or _COLOR_TYPES.get(png.color_type) != mode:
        return None
    if png.bit_depth != 8 or png.interlace != 0 or png.transparency:
        return None
    if (png.width, png.height) != (width, height):
        return None
    return png.rows


def _opaque_channels(data: bytes, mode: str) -> bytes | None:
    """An RGBA / LA image's colour channels, raw, if its alpha is 255 everywhere."""
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    if image.mode != mode:
        return None
    image.load()
    if image.getchannel("A").getextrema() != (255, 255):
        return None
    return image.convert(mode[:-1]).tobytes()


def _x_object(image: Any, interpolate: bool, dpi_ratio: float) -> Any | None:
    """The image's PDF XObject by one of the two short ways, or ``None``."""
    import pydyf

    if dpi_ratio != 1 or getattr(image, "format", None) != "PNG":
        return None
    mode = image.mode
    data = image.image_data.data
    width, height = image.width, image.height
    extra = pydyf.Dictionary(
        {
            "Type": "/XObject",
            "Subtype": "/Image",
            "Width": width,
            "Height": height,
            "ColorSpace": "/DeviceGray" if mode in ("L", "LA") else "/DeviceRGB",
            "BitsPerComponent": 8,
            "Interpolate": "true" if interpolate else "false",
            "Filter": "/FlateDecode",
        }
    )
    if mode in ("RGB", "L"):
        rows = png_pass_through(data, mode, width, height)
        if rows is None:
            return None
        # As WeasyPrint describes its own PNG rows (images.RasterImage.get_x_object).
        parameters = {"Predictor": 15, "Columns": width}
        if mode == "RGB":
            parameters["Colors"] = 3
        extra["DecodeParms"] = pydyf.Dictionary(parameters)
        stream = rows
    elif mode in ("RGBA", "LA"):
        channels = _opaque_channels(data, mode)
        if channels is None:
            return None
        stream = zlib.compress(channels, ZLIB_LEVEL)
    else:
        return None
    return pydyf.Stream([image.cache_image_data(stream, slot="stream")], extra)


def _supported(raster_image: type) -> bool:
    needed = ("get_x_object", "cache_image_data")
    return all(callable(getattr(raster_image, name, None)) for name in needed)


@contextmanager
def fast_png_images() -> Iterator[None]:
    """While active, WeasyPrint embeds PNGs by :func:`png_pass_through` where it can.

    Not thread-safe by itself: the caller prints one PDF at a time in the process.
    """
    from weasyprint import images

    raster_image = getattr(images, "RasterImage", None)
    if raster_image is None or not _supported(raster_image):
        yield
        return
    original: Callable[..., Any] = raster_image.get_x_object

    def get_x_object(self: Any, interpolate: bool, dpi_ratio: float) -> Any:
        try:
            x_object = _x_object(self, interpolate, dpi_ratio)
        except (AttributeError, OSError, ValueError):  # an image this way cannot read
            x_object = None
        return original(self, interpolate, dpi_ratio) if x_object is None else x_object

    raster_image.get_x_object = get_x_object
    try:
        yield
    finally:
        raster_image.get_x_object = original
