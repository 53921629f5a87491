"""Fast answers about an Arrow-backed text column, read from its buffers with numpy.

Validation asks the same few questions of every column of a million-row export: is any
cell padded with whitespace, which cells are empty, is every cell a plain decimal, is every cell
one of a few tokens, is every cell a date written ``YYYY-MM-DD HH:MM``. Arrow's string
kernels answer them by building a new array per question (a strip copies the column to
learn that nothing needed stripping). Here they are answered from the column's offsets and
data buffers without a copy: a numpy gather of the first and last byte of each cell, one
pass over the data bytes.

Every function is a *fast path* that may decline: it returns ``None`` (or ``True`` for
"maybe padded") whenever the cheap test cannot decide, and the caller then takes the exact,
slower path it always had. The fast paths accept only what the exact path accepts and
give the same values (``tests/unit/test_arrow_text.py`` compares them cell by cell), so a
fast path changes the time a file takes, never what it means.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "memory_returned",
    "blank_cells",
    "codes",
    "decimal_numbers",
    "fixed_datetimes",
    "maybe_padded",
    "member_codes",
    "text_chunks",
    "with_blanks_missing",
]

# A cell whose first or last byte is a control character, a space, DEL or any byte of a
# non-ASCII character may start or end with whitespace (NBSP, U+2028, ...): "maybe".
_EDGE_OK = np.zeros(256, dtype=bool)
_EDGE_OK[0x21:0x7F] = True
_DIGIT = np.zeros(256, dtype=bool)
_DIGIT[ord("0") : ord("9") + 1] = True
_DECIMAL = _DIGIT.copy()
_DECIMAL[ord(".")] = True


@contextmanager
def memory_returned() -> Iterator[None]:
    """Arrow allocates from its jemalloc pool inside the block, where the platform has it.

    Loading frees the raw text column by column while numpy allocates the typed columns.
    Arrow's default allocator (mimalloc) keeps freed pages for Arrow's own reuse, so the
    process would hold both; jemalloc gives them back to the system (peak memory of a
    million-row CSV load 2.5 → 1.7 times the frame, measured). Buffers remember the pool
    they came from, so arrays made here are freed correctly after the block.
    """
    import pyarrow as pa

    try:
        pool = pa.jemalloc_memory_pool()
    except NotImplementedError:  # pragma: no cover - a pyarrow built without jemalloc
        yield
        return
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pool)
    try:
        yield
    finally:
        pa.set_memory_pool(previous)
        pool.release_unused()


def text_chunks(text: pd.Series) -> list[Any] | None:
    """The Arrow ``large_string``/``string`` chunks behind an Arrow-backed ``str`` column."""
    if text.dtype != "str" or not hasattr(text.array, "__arrow_array__"):
        return None
    import pyarrow as pa

    array = pa.array(text.array)
    chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    if not all(pa.types.is_large_string(c.type) or pa.types.is_string(c.type) for c in chunks):
        return None
    return list(chunks)


def _layout(chunk: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Offsets (``len + 1``, into ``data``), data bytes and validity (None: no nulls)."""
    import pyarrow as pa

    n = len(chunk)
    buffers = chunk.buffers()
    width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    if buffers[1] is None or n == 0:
        return np.zeros(n + 1, dtype=np.int64), np.empty(0, np.uint8), None
    offsets = np.frombuffer(buffers[1], dtype=width, count=chunk.offset + n + 1)
    offsets = offsets[chunk.offset :].astype(np.int64, copy=False)
    data = (
        np.frombuffer(buffers[2], dtype=np.uint8)
        if buffers[2] is not None
        else np.empty(0, np.uint8)
    )
    valid = None
    if chunk.null_count:
        valid = np.asarray(chunk.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    return offsets, data, valid


def _one_chunk(chunks: list[Any]) -> list[Any]:
    """The column as one chunk: a column about to be converted is copied once (a few MiB)
    rather than checked in ~200 pieces of a few thousand cells, each paying numpy's and
    Arrow's per-call cost."""
    import pyarrow as pa

    if len(chunks) <= 1:
        return chunks
    return [pa.chunked_array(chunks, type=chunks[0].type).combine_chunks()]


def _present(offsets: np.ndarray, valid: np.ndarray | None) -> np.ndarray:
    """Cells that hold at least one byte (valid and not empty)."""
    filled = offsets[1:] > offsets[:-1]
    return filled if valid is None else filled & valid


def blank_cells(chunks: list[Any]) -> np.ndarray:
    """Cells that are missing or empty, as one boolean array over all chunks."""
    parts = [~_present(o, v) for o, _, v in map(_layout, chunks)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


def maybe_padded(chunks: list[Any]) -> bool:
    """False when no cell can start or end with whitespace (so a strip changes nothing)."""
    for chunk in chunks:
        offsets, data, valid = _layout(chunk)
        present = _present(offsets, valid)
        if not present.any():
            continue
        first = data[offsets[:-1][present]]
        last = data[offsets[1:][present] - 1]
        if not (_EDGE_OK[first].all() and _EDGE_OK[last].all()):
            return True
    return False


def with_blanks_missing(text: pd.Series, chunks: list[Any], blank: np.ndarray) -> pd.Series:
    """``text`` with the ``blank`` cells missing, sharing the text's buffers (no copy)."""
    import pyarrow as pa
    from pandas.arrays import ArrowStringArray

    out, start = [], 0
    for chunk in chunks:
        out.append(_with_validity(chunk, ~blank[start : start + len(chunk)]))
        start += len(chunk)
    array = pa.chunked_array(out, type=chunks[0].type if chunks else pa.large_string())
    if not pa.types.is_large_string(array.type):
        array = array.cast(pa.large_string())
    values = ArrowStringArray(array, dtype=text.dtype)  # type: ignore[call-arg]  # stubs lag
    return pd.Series(values, index=text.index, copy=False)


def decimal_numbers(chunks: list[Any]) -> np.ndarray | None:
    """Cells written ``123`` or ``123.45`` as floats (NaN for blank cells), or None.

    None when any cell is anything else (a sign, an exponent, a comma, a space, a missing
    value token, ``.5``): the caller parses the column in full.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    parts = []
    for chunk in _one_chunk(chunks):
        offsets, data, valid = _layout(chunk)
        present = _present(offsets, valid)
        used = data[offsets[0] : offsets[-1]]
        if not _DECIMAL[used].all():
            return None
        if not _DIGIT[used].all():
            # Digits on both ends: "5.", ".5" are left to the exact path. A cell with two
            # points ("1.2.3") is no number to Arrow's parser either: the cast below fails.
            starts, ends = offsets[:-1][present], offsets[1:][present]
            if not (_DIGIT[data[starts]].all() and _DIGIT[data[ends - 1]].all()):
                return None
        parts.append(chunk if present.all() else _with_validity(chunk, present))
    if not parts:
        return np.zeros(0)
    try:  # one call for the whole column: the per-call cost of ~200 chunks adds up
        parsed = pc.cast(pa.chunked_array(parts, type=parts[0].type), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # the exact path decides
        return None
    return np.array(parsed.to_numpy(), dtype=float)  # writable: callers blank bad cells


def _with_validity(chunk: Any, valid: np.ndarray) -> Any:
    """``chunk`` with the cells where ``valid`` is False missing (buffers shared)."""
    import pyarrow as pa

    bits = np.packbits(np.concatenate([np.zeros(chunk.offset, bool), valid]), bitorder="little")
    buffers = chunk.buffers()
    return pa.Array.from_buffers(
        chunk.type,
        len(chunk),
        [pa.py_buffer(bits), buffers[1], buffers[2]],
        null_count=int(len(valid) - valid.sum()),
        offset=chunk.offset,
    )


def codes(chunks: list[Any]) -> np.ndarray | None:
    """Equal cells get equal codes (0, 1, ... in order of first appearance); missing -1.

    None when no two present cells are equal (nothing is repeated). Arrow's hash table
    over all chunks at once, about twice as fast as ``pd.factorize`` of the same column.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    array = pa.chunked_array(chunks, type=chunks[0].type)
    # Ids in increasing order (exports numbered as they arrive) are all distinct: one
    # comparison of neighbours instead of a hash table of every id.
    increasing = len(array) > 1 and not array.null_count
    if increasing and not pc.any(pc.less_equal(array[1:], array[:-1])).as_py():
        return None
    encoded = pc.dictionary_encode(array)
    present = sum(len(c) - c.null_count for c in chunks)
    if not encoded.chunks or len(encoded.chunks[-1].dictionary) == present:
        return None
    parts = [
        np.asarray(pc.fill_null(c.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
        for c in encoded.chunks
    ]
    return np.concatenate(parts)


def member_codes(chunks: list[Any], values: tuple[str, ...]) -> np.ndarray | None:
    """Each cell's position in ``values`` (-1 for a missing cell), or None.

    None when a cell that is not missing is not exactly one of ``values``.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    array = pa.chunked_array(chunks, type=chunks[0].type) if chunks else None
    if array is None:
        return np.zeros(0, np.int64)
    value_set = pa.array(list(values), type=array.type)
    found = pc.index_in(array, value_set=value_set)
    if found.null_count != array.null_count:
        return None
    return np.asarray(pc.fill_null(found, -1).to_numpy(), dtype=np.int64)


# "2026-03-31 13:45" and "2026-03-31 13:45:07" (also with "T"): the layouts survey tools
# and this project write; the digits' positions and the separators between them.
_DATE_SEPARATORS = {4: b"-", 7: b"-", 10: b" T", 13: b":"}
_STAMPS = {
    16: ((0, 4, 5, 7, 8, 10, 11, 13, 14, 16), _DATE_SEPARATORS),
    19: ((0, 4, 5, 7, 8, 10, 11, 13, 14, 16, 17, 19), {**_DATE_SEPARATORS, 16: b":"}),
}


def fixed_datetimes(chunks: list[Any]) -> np.ndarray | None:
    """Cells written ``YYYY-MM-DD HH:MM[:SS]`` as ``datetime64[us]`` (NaT for blanks), or None.

    None when any present cell has another layout or an impossible value (31 April, hour
    24, a year outside 1900–2199): the exact parser then decides, and reports.
    """
    parts, widths = [], set()
    for chunk in _one_chunk(chunks):
        offsets, data, valid = _layout(chunk)
        present = _present(offsets, valid)
        starts = offsets[:-1][present]
        lengths = offsets[1:][present] - starts
        out = np.full(len(chunk), np.datetime64("NaT", "us"))
        if len(starts):
            widths.add(int(lengths[0]))
            if len(widths) > 1 or not (lengths == lengths[0]).all():
                return None
            stamp = _stamps(data, starts, int(lengths[0]), offsets)
            if stamp is None:
                return None
            out[present] = stamp
        parts.append(out)
    # A column without a single date is left to the exact parser (it decides the unit).
    return np.concatenate(parts) if widths else None


def _stamps(data: np.ndarray, starts: np.ndarray, width: int, offsets: np.ndarray) -> Any:
    """The cells of ``width`` bytes at ``starts`` as ``datetime64[us]``, or None."""
    if width not in _STAMPS:
        return None
    fields, separators = _STAMPS[width]
    if offsets[-1] - offsets[0] == width * len(starts):
        # Present cells back to back (blank ones hold no bytes): a (cells × width) view.
        cells = data[offsets[0] : offsets[-1]].reshape(-1, width)
    else:
        cells = np.stack([data[starts + at] for at in range(width)], axis=1)
    for at, allowed in separators.items():
        found = cells[:, at]
        ok = (
            found == allowed[0]
            if len(allowed) == 1
            else (found == allowed[0]) | (found == allowed[1])
        )
        if not ok.all():
            return None
    numbers = []
    for begin, end in zip(fields[::2], fields[1::2], strict=True):
        digits = cells[:, begin:end]
        if not _DIGIT[digits].all():
            return None
        # The bytes weighted by place value, less the weighted "0"s: no per-digit arrays.
        place = 10 ** np.arange(end - begin - 1, -1, -1, dtype=np.int32)
        numbers.append((digits @ place).astype(np.int64) - ord("0") * int(place.sum()))
    return _to_datetime(*numbers)


def _to_datetime(
    year: np.ndarray, month: np.ndarray, day: np.ndarray, hour: np.ndarray, minute: np.ndarray,
    second: np.ndarray | None = None,
) -> np.ndarray | None:  # fmt: skip
    """Calendar fields as ``datetime64[us]``, or None when any is out of range."""
    second = np.zeros_like(year) if second is None else second
    if not (
        ((year >= 1900) & (year < 2200)).all()
        and ((month >= 1) & (month <= 12)).all()
        and (day >= 1).all()
        and (hour < 24).all()
        and (minute < 60).all()
        and (second < 60).all()
    ):
        return None
    months = ((year - 1970) * 12 + month - 1).astype("datetime64[M]")
    first = months.astype("datetime64[D]")
    days_in_month = ((months + 1).astype("datetime64[D]") - first).astype(np.int64)
    if (day > days_in_month).any():
        return None
    seconds = (first + (day - 1)).astype("datetime64[s]") + (hour * 3600 + minute * 60 + second)
    return seconds.astype("datetime64[us]")
