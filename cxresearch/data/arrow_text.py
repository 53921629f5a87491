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
    "holds_byte",
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


# Arrow's release builds configure jemalloc with this decay (``dirty_decay_ms:1000``).
_ARROW_JEMALLOC_DECAY_MS = 1000


@contextmanager
def memory_returned() -> Iterator[None]:
    """Arrow allocates from its jemalloc pool inside the block, set to give freed pages back.

    Used around the parse of delimited text: loading then frees the raw text column by
    column while the typed columns are made. Arrow's default allocator (mimalloc) keeps
    freed pages for its own reuse, and jemalloc as Arrow configures it keeps them for a
    second (``dirty_decay_ms:1000``; a purge only marks them ``MADV_FREE``, still counted
    in the process's memory), so the process would hold the text and the typed frame
    both. Arenas created inside the block decay at once (peak memory of a million-row CSV
    load 1.75 → 1.4 times the frame, measured); only the parse allocates here, so the
    temporaries of validation keep reusing the default pool's pages (immediate decay
    there cost 0.2 CPU s of page faults). Buffers remember the pool they came from, so
    arrays made here are freed correctly after the block.
    """
    import pyarrow as pa

    try:
        pool = pa.jemalloc_memory_pool()
    except NotImplementedError:  # pragma: no cover - a pyarrow built without jemalloc
        yield
        return
    previous = pa.default_memory_pool()
    pa.jemalloc_set_decay_ms(0)  # applies to arenas created from here on
    pa.set_memory_pool(pool)
    try:
        yield
    finally:
        pa.set_memory_pool(previous)
        pa.jemalloc_set_decay_ms(_ARROW_JEMALLOC_DECAY_MS)


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


def _present(offsets: np.ndarray, valid: np.ndarray | None) -> np.ndarray:
    """Cells that hold at least one byte (valid and not empty)."""
    filled = offsets[1:] > offsets[:-1]
    return filled if valid is None else filled & valid


def blank_cells(chunks: list[Any]) -> np.ndarray:
    """Cells that are missing or empty, as one boolean array over all chunks."""
    parts = [~_present(o, v) for o, _, v in map(_layout, chunks)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


def maybe_padded(chunks: list[Any]) -> bool:
    """False when no cell can start or end with whitespace (so a strip changes nothing).

    Each cell's first byte is read at its start offset and its last byte just before its
    end offset, for every cell at once without first picking the cells that hold bytes:
    an empty or missing cell of no bytes points at the first byte of the next cell that
    has bytes, or just after the last byte of the one before -- bytes that are checked
    anyway -- and offsets past either end are clipped to the data. So the extra bytes
    looked at can only turn the answer into "maybe" (the exact strip then runs), never
    hide a padded cell.
    """
    for chunk in chunks:
        offsets, data, _ = _layout(chunk)
        if not len(data) or offsets[-1] == offsets[0]:
            continue  # no cell holds a byte
        first = data.take(offsets[:-1], mode="clip")
        last = data.take(offsets[1:] - 1, mode="clip")
        if not (_EDGE_OK.take(first).all() and _EDGE_OK.take(last).all()):
            return True
    return False


def holds_byte(chunks: list[Any], byte: bytes) -> bool:
    """Whether any cell's text holds ``byte`` (one ASCII byte), e.g. a minus sign."""
    wanted = ord(byte)
    for chunk in chunks:
        offsets, data, _ = _layout(chunk)
        if (data[offsets[0] : offsets[-1]] == wanted).any():
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

    parts = []
    for chunk in chunks:
        offsets, data, valid = _layout(chunk)
        used = data[offsets[0] : offsets[-1]]
        if not _DECIMAL.take(used).all():
            return None
        present = _present(offsets, valid)
        if not _DIGIT.take(used).all():
            # Digits on both ends: "5.", ".5" are left to the exact path. A cell with two
            # points ("1.2.3") is no number to Arrow's parser either: the cast below fails.
            starts, ends = offsets[:-1][present], offsets[1:][present]
            if not (_DIGIT.take(data[starts]).all() and _DIGIT.take(data[ends - 1]).all()):
                return None
        parts.append(chunk if present.all() else _with_validity(chunk, present))
    # Writable (callers blank bad cells); blank cells NaN. A cell with two points ("1.2.3")
    # is no number to Arrow's parser either: the cast fails and the exact path decides.
    return _cast_into(parts, pa.float64(), np.empty(sum(map(len, parts)), dtype=float))


_PIECE_ROWS = 1 << 16  # rows cast at a time: the per-call cost is small beside 64 Ki cells


def _cast_into(parts: list[Any], arrow_type: Any, out: np.ndarray) -> np.ndarray | None:
    """``parts`` cast to ``arrow_type`` piece by piece into ``out``; None if a cast fails.

    A piece at a time, so that the column's values are held once (in ``out``) rather than
    also as a whole Arrow array and its copy: at the start of validation the raw text is
    all still held, and this is the moment of peak memory.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    start, pieces = 0, iter(parts)
    for group in iter(lambda: _take_rows(pieces, _PIECE_ROWS), []):
        try:
            cast = pc.cast(pa.chunked_array(group, type=group[0].type), arrow_type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
        values = cast.to_numpy()
        out[start : start + len(values)] = values
        start += len(values)
    return out


def _take_rows(pieces: Any, rows: int) -> list[Any]:
    """The next pieces from ``pieces`` holding about ``rows`` rows (all when fewer are left)."""
    group, count = [], 0
    for piece in pieces:
        group.append(piece)
        count += len(piece)
        if count >= rows:
            break
    return group


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
# and this project write. Digits everywhere but at the separators' positions.
_DATE_SEPARATORS = {4: b"-", 7: b"-", 10: b" T", 13: b":"}
_SEPARATORS = {16: _DATE_SEPARATORS, 19: {**_DATE_SEPARATORS, 16: b":"}}
# Years the exact path's calendar accepts here, 1900-2199, as microseconds since 1970.
_FIRST_US = np.datetime64("1900-01-01T00:00", "us")
_END_US = np.datetime64("2200-01-01T00:00", "us")


def fixed_datetimes(chunks: list[Any]) -> np.ndarray | None:
    """Cells written ``YYYY-MM-DD HH:MM[:SS]`` as ``datetime64[us]`` (NaT for blanks), or None.

    None when any present cell has another layout or an impossible value (31 April, hour
    24, a year outside 1900–2199): the exact parser then decides, and reports.

    The layout is checked byte by byte here (every present cell the same width, digits
    and separators in their places); Arrow's ISO 8601 cast then reads the values and
    refuses an impossible calendar day or time, which declines the whole column.
    """
    import pyarrow as pa

    parts, widths = [], set()
    for chunk in chunks:
        offsets, data, valid = _layout(chunk)
        present = _present(offsets, valid)
        if not present.any():
            parts.append(chunk if not chunk.null_count else _with_validity(chunk, present))
            continue
        lengths = offsets[1:][present] - offsets[:-1][present]
        widths.add(int(lengths[0]))
        if len(widths) > 1 or not (lengths == lengths[0]).all():
            return None
        if not _stamp_layout(data, offsets[:-1][present], int(lengths[0]), offsets):
            return None
        parts.append(chunk if present.all() else _with_validity(chunk, present))
    if not widths:  # not a single date: the exact parser decides the unit
        return None
    # 31 April, 24:00: the cast fails and the exact path decides.
    out = _cast_into(parts, pa.timestamp("us"), np.empty(sum(map(len, parts)), "datetime64[us]"))
    if out is None:
        return None
    # NaT is int64's least value: the least present stamp is the least of the others.
    ticks, nat = out.view(np.int64), np.iinfo(np.int64).min
    first = ticks.min(where=ticks != nat, initial=np.iinfo(np.int64).max)
    if first < _FIRST_US.astype(np.int64) or ticks.max() >= _END_US.astype(np.int64):
        return None
    return out


def _stamp_layout(data: np.ndarray, starts: np.ndarray, width: int, offsets: np.ndarray) -> bool:
    """Whether every cell of ``width`` bytes at ``starts`` is a date in a known layout."""
    separators = _SEPARATORS.get(width)
    if separators is None:
        return False
    if offsets[-1] - offsets[0] == width * len(starts):
        # Present cells back to back (blank ones hold no bytes): a (cells × width) view.
        cells = data[offsets[0] : offsets[-1]].reshape(-1, width)
    else:
        cells = np.stack([data[starts + at] for at in range(width)], axis=1)
    digit_at = np.ones(width, dtype=bool)
    digit_at[list(separators)] = False
    # Digits exactly where digits belong (so no separator is a digit either) ...
    if not (_DIGIT.take(cells) == digit_at).all():
        return False
    # ... and the right separator at each separator's place.
    for at, allowed in separators.items():
        found = cells[:, at]
        ok = (
            found == allowed[0]
            if len(allowed) == 1
            else (found == allowed[0]) | (found == allowed[1])
        )
        if not ok.all():
            return False
    return True
