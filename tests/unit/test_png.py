"""The charts' PNG writer: standard PNG that decoders read back to the same pixels."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from cxresearch.present.png import encode_png


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, data) of every chunk, each chunk's CRC checked."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    found, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length : at + 12 + length])
        assert crc == zlib.crc32(kind + body), kind
        found.append((kind, body))
        at += 12 + length
    return found


def _image(opaque: bool, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, size=(37, 53, 4), dtype=np.uint8)
    pixels[5:20, 10:40] = (29, 78, 137, 255)  # a flat area, as in a chart
    if opaque:
        pixels[:, :, 3] = 255
    return pixels


@pytest.mark.parametrize("opaque", [True, False])
def test_pillow_reads_back_the_same_pixels_and_resolution(opaque: bool) -> None:
    pixels = _image(opaque)
    data = encode_png(pixels, dpi=150)
    image = Image.open(io.BytesIO(data))
    image.verify()  # Pillow's own structural check (chunks, CRCs)
    image = Image.open(io.BytesIO(data))
    assert image.mode == ("RGB" if opaque else "RGBA")  # no alpha channel where all is opaque
    assert np.array_equal(np.asarray(image.convert("RGBA")), pixels)
    # Whole pixels per metre (5,906), as Pillow writes matplotlib's PNGs.
    assert image.info["dpi"] == pytest.approx((150, 150), abs=0.02)
    kinds = [kind for kind, _ in _chunks(data)]
    assert kinds == [b"IHDR", b"pHYs", b"IDAT", b"IEND"]  # nothing time- or version-dependent


def test_same_pixels_same_bytes_and_bad_input_is_refused() -> None:
    assert encode_png(_image(True), dpi=150) == encode_png(_image(True).copy(), dpi=150)
    assert encode_png(_image(True), dpi=150) != encode_png(_image(True, seed=8), dpi=150)
    with pytest.raises(ValueError, match="RGBA"):
        encode_png(_image(True)[:, :, :3], dpi=150)
    with pytest.raises(ValueError, match="RGBA"):
        encode_png(_image(True).astype(np.uint16), dpi=150)
