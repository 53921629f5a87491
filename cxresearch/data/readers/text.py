"""Delimited text read faithfully or refused: encoding, delimiter and one record per row.

The fast path hands the bytes to Apache Arrow's CSV parser with every column as text
(nothing inferred, so ``007`` keeps its zeros and ``1e1`` stays the text ``1e1``). Arrow
refuses a row with more or fewer fields than the first; when it does, or when the file ends
inside a quoted field, a slow pass with :mod:`csv` finds the physical line to name, so the
error path is exact and the common path is fast. Error messages name lines and counts, never
the content of a row (it may hold personal data).

Encoding is decided from the whole file, not from its first bytes:

- a byte-order mark says UTF-8, UTF-16 LE or UTF-16 BE ("Unicode text" from Excel);
- otherwise, no byte-order mark but NUL bytes in every other position says UTF-16;
- a file that is valid UTF-8 throughout is UTF-8;
- a file with no UTF-8 multi-byte character at all and bytes above 127 is Windows-1252
  (Excel's "CSV" on Finnish Windows);
- a file with both UTF-8 characters and bytes that are not UTF-8 is an error naming the
  first lines with the stray bytes: switching it to cp1252 would turn every "ä" into "Ã¤".
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from cxresearch.data.readers.common import TEXT_DTYPE
from cxresearch.errors import DataError

__all__ = [
    "FileScan",
    "TextTable",
    "decode_to_utf8",
    "read_records",
    "read_text_file",
    "scan_file",
    "sniff_delimiter",
]

_CHUNK = 1 << 24
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")
_DELIMITERS = (",", ";", "\t")
_SHOW_LINES = 5


@dataclass
class TextTable:
    """Every record of a delimited file as text, header rows included (columns 0..n-1)."""

    records: pd.DataFrame
    encoding: str
    delimiter: str
    ends_with_newline: bool


@dataclass
class FileScan:
    """What one streaming pass over a text file learns without keeping the file in memory."""

    sha256: str
    head: bytes  # the first MiB
    quotes: int  # number of '"' bytes in the whole file
    ends_with_newline: bool | None  # None: the file ends with 4 KiB or more of NUL bytes


def scan_file(path: Path) -> FileScan:
    """Digest, first MiB, quote count and last byte of ``path``, reading 16 MiB at a time.

    Raises ``OSError`` (``FileNotFoundError``) as :func:`open` does.
    """
    digest, quotes, head, tail, total = hashlib.sha256(), 0, b"", b"", 0
    with path.open("rb") as handle:
        # A small file gets a small buffer (a zeroed 16 MiB would cost more than the file).
        buffer = bytearray(max(1, min(_CHUNK, os.fstat(handle.fileno()).st_size + 1)))
        view = memoryview(buffer)
        while size := handle.readinto(buffer):
            digest.update(view[:size])
            quotes += buffer.count(b'"', 0, size)
            total += size
            if not head:
                head = bytes(view[: min(size, 1 << 20)])
            tail = (tail + bytes(view[max(0, size - 4096) : size]))[-4096:]
    # As read_records decides it: the last byte that is not NUL is a line break.
    kept = tail.rstrip(b"\x00")
    ends: bool | None = kept.endswith((b"\n", b"\r"))
    if not kept and total > len(tail):
        ends = None  # 4 KiB of NUL at the end: read_records looks at the whole file
    return FileScan(digest.hexdigest(), head, quotes, ends)


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _lines_with_bad_utf8(data: bytes) -> list[int]:
    lines = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            lines.append(number)
    return lines


def _valid_utf8(data: bytes) -> int | None:
    """Offset of the first byte that is not UTF-8, or None; decodes in chunks (low memory)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    for start in range(0, len(data), _CHUNK):
        try:
            decoder.decode(data[start : start + _CHUNK], final=start + _CHUNK >= len(data))
        except UnicodeDecodeError as error:
            return start + error.start
    return None


def _decode_strict(data: bytes, encoding: str, path: Path, what: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        line = _line_of(data, error.start) if encoding.startswith("utf-16") is False else None
        where = f" on line {line}" if line else f" at byte {error.start}"
        raise DataError(
            f"{path}: the file is not valid {what}{where} (byte 0x{data[error.start]:02X}); "
            "save it again from the survey tool or set data.encoding"
        ) from None


def decode_to_utf8(data: bytes, path: Path, *, encoding: str | None = None) -> tuple[bytes, str]:
    """The file's text as UTF-8 bytes (byte-order mark removed) and the encoding it had.

    Parameters
    ----------
    data : bytes
        The whole file.
    path : Path
        Named in error messages.
    encoding : str, optional
        Forces an encoding (any Python codec name); the file must decode in full.

    Raises
    ------
    DataError
        The file is binary, mixes UTF-8 with other bytes (naming the first lines), or does
        not decode in the forced encoding (naming the line).

    Examples
    --------
    >>> decode_to_utf8("nps;kommentti\\n9;hyvä\\n".encode("cp1252"), Path("x.csv"))[1]
    'cp1252'
    """
    if encoding is not None:
        name = codecs.lookup(encoding).name
        text = _decode_strict(data, encoding, path, name)
        return text.lstrip("\ufeff").encode("utf-8"), name
    if data.startswith(codecs.BOM_UTF8):
        body = data[len(codecs.BOM_UTF8) :]
        bad = _valid_utf8(body)
        if bad is not None:
            _raise_mixed(body, path, bom=True)
        return body, "utf-8-sig"
    for bom, name in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            text = _decode_strict(data[len(bom) :], name, path, "UTF-16")
            return text.encode("utf-8"), "utf-16"
    head = data[:4096]
    if head.count(b"\x00"):
        even, odd = head[0::2].count(b"\x00"), head[1::2].count(b"\x00")
        if odd > len(head) // 4 and even == 0:
            return _decode_strict(data, "utf-16-le", path, "UTF-16").encode("utf-8"), "utf-16"
        if even > len(head) // 4 and odd == 0:
            return _decode_strict(data, "utf-16-be", path, "UTF-16").encode("utf-8"), "utf-16"
        line = _line_of(data, head.index(b"\x00"))
        raise DataError(
            f"{path}: the file holds NUL bytes (line {line}); it is not a text export "
            "(a workbook saved with a .csv name?)"
        )
    if _valid_utf8(data) is None:
        return data, "utf-8"
    if _UTF8_MULTIBYTE.search(data):
        _raise_mixed(data, path, bom=False)
    text = _decode_strict(data, "cp1252", path, "UTF-8 or Windows-1252 (cp1252) text")
    return text.encode("utf-8"), "cp1252"


def _raise_mixed(data: bytes, path: Path, *, bom: bool) -> None:
    lines = _lines_with_bad_utf8(data)
    shown = ", ".join(str(n) for n in lines[:_SHOW_LINES])
    more = f" and {len(lines) - _SHOW_LINES} more" if len(lines) > _SHOW_LINES else ""
    why = "starts with a UTF-8 byte-order mark" if bom else "has UTF-8 characters"
    raise DataError(
        f"{path}: the file {why} but line(s) {shown}{more} hold bytes that are not UTF-8 "
        f"({len(lines)} line(s) in all). Reading it as Windows-1252 would garble every "
        "other non-ASCII letter, so it is not read; fix those lines, or set data.encoding "
        "if the whole file is in another encoding"
    )


def _first_records(text: str, delimiter: str, count: int) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=False)
    out = []
    for record in reader:
        out.append(record)
        if len(out) >= count:
            break
    return out


def sniff_delimiter(head: str) -> str:
    """The delimiter used most in the first line outside quotes (comma when none is used).

    :class:`csv.Sniffer` is not used: comments full of commas in data rows fool it, while a
    header line has no free text.
    """
    first = re.sub(r'"[^"]*"', "", head.split("\n", 1)[0])
    counts = {d: first.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _diagnose(utf8: bytes, path: Path, delimiter: str) -> DataError:
    """The exact problem of a file the fast parser refused: lines with a wrong field count."""
    text = utf8.decode("utf-8")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    expected = None
    bad: list[tuple[int, int]] = []
    last_start, last_count, records = 0, 0, 0
    previous_end = 0
    for record in reader:
        start = previous_end + 1
        previous_end = reader.line_num
        records += 1
        if expected is None:
            expected = len(record)
            continue
        last_start, last_count = start, len(record)
        if len(record) != expected and record != [] and record != [""]:
            bad.append((start, len(record)))
    expected = expected or 0
    if not bad:
        return DataError(f"{path}: cannot parse as {delimiter!r}-separated text")
    data_rows = records - 1
    if len(bad) == data_rows and all(n == expected + 1 for _, n in bad):
        return DataError(
            f"{path}: every data row has {expected + 1} fields but the header (line 1) has "
            f"{expected} (a delimiter at the end of every data row?); line {bad[0][0]} is "
            "the first. Export again, or remove the trailing delimiters"
        )
    cut = bad[-1][0] == last_start and not text.endswith("\n") and last_count < expected
    if cut and len(bad) == 1:
        return DataError(
            f"{path}: the file ends mid-row: the last line ({last_start}) has {last_count} "
            f"of {expected} fields. Was the file cut off? Export it again"
        )
    shown = "; ".join(f"line {line}: {n} fields" for line, n in bad[:_SHOW_LINES])
    more = f"; ... and {len(bad) - _SHOW_LINES} more" if len(bad) > _SHOW_LINES else ""
    return DataError(
        f"{path}: {len(bad)} row(s) do not have the header's {expected} fields "
        f"({delimiter!r}-separated): {shown}{more}. A row with fewer or more fields than the "
        "header would shift or blank answers, so the file is not read"
    )


def _unclosed_quote(utf8: bytes, path: Path, delimiter: str) -> DataError | None:
    """A quoted field never closed (the file was cut inside it), or None."""
    if utf8.count(b'"') % 2 == 0:
        return None
    text = utf8.decode("utf-8")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    start = 1
    try:
        for _ in reader:
            start = reader.line_num + 1
    except csv.Error:
        return DataError(
            f"{path}: a quoted field starting on line {start} is never closed (the file ends "
            "inside it, or a quote is stray). Was the file cut off? Export it again"
        )
    return DataError(f"{path}: unbalanced quotes; a quoted field near line {start} is not closed")


def _string_dtype(arrow_type: object) -> object:
    import pyarrow as pa

    return TEXT_DTYPE if arrow_type == pa.large_string() else None


_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _parse(utf8: bytes | Path, delimiter: str, width: int, *, check_utf8: bool) -> Any:
    """Arrow's CSV parser, every column as text; raises ArrowInvalid on a wrong row.

    ``utf8`` is the text, or the path of a file that is UTF-8 without a byte-order mark
    (Arrow then reads it in blocks, so the file is never held whole beside the table).
    The table is allocated from a pool that gives its pages back to the system as soon
    as validation frees a column (:func:`~cxresearch.data.arrow_text.memory_returned`).
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from cxresearch.data.arrow_text import memory_returned

    names = [f"f{i}" for i in range(width)]
    with memory_returned():
        return pacsv.read_csv(
            pa.OSFile(str(utf8)) if isinstance(utf8, Path) else pa.py_buffer(utf8),
            # Blocks of 4 MiB let both cores parse (16 MiB blocks left one idle on 2 cores).
            read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 22),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(
                # large_string is pandas' own Arrow string storage: no copy when converting.
                column_types={name: pa.large_string() for name in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                null_values=[],
                check_utf8=check_utf8,
            ),
        )


def read_records(
    data: bytes,
    path: Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> TextTable:
    """Every record of a delimited text file, all cells as text.

    Parameters
    ----------
    data : bytes
        The whole file.
    path : Path
        Named in error messages.
    encoding, delimiter : str, optional
        Force the encoding or the delimiter (``","``, ``";"`` or tab); detected otherwise.

    Raises
    ------
    DataError
        Empty file, undecidable encoding, a row with a different number of fields than the
        first record, a quoted field never closed. The message names the lines.
    """
    import pyarrow as pa

    # The common case, a plain UTF-8 file, is parsed as it is and Arrow checks the UTF-8
    # while parsing (in parallel); only a file that fails that check, or has a byte-order
    # mark or NUL bytes, or a forced encoding, goes through decode_to_utf8 first.
    plain = encoding is None and not data.startswith(_BOMS) and b"\x00" not in data[:4096]
    utf8, found = (data, "utf-8") if plain else decode_to_utf8(data, path, encoding=encoding)
    if not utf8 or utf8.isspace():
        raise DataError(f"{path}: the file is empty")
    head = utf8[: 1 << 20].decode("utf-8", errors="ignore")
    chosen = delimiter or sniff_delimiter(head)
    first = _first_records(head, chosen, 1)
    if not first:
        raise DataError(f"{path}: the file is empty")
    width = len(first[0])
    try:
        table = _parse(utf8, chosen, width, check_utf8=plain)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        if plain and "utf8" in str(error).lower():
            utf8, found = decode_to_utf8(data, path)  # cp1252, or an error naming lines
            table = None
        else:
            if plain:
                decode_to_utf8(data, path)  # a bad byte is named before a bad row
            unclosed = _unclosed_quote(utf8, path, chosen)
            raise unclosed or _diagnose(utf8, path, chosen) from None
    unclosed = _unclosed_quote(utf8, path, chosen)
    if unclosed is not None:
        raise unclosed
    if table is None:
        try:
            table = _parse(utf8, chosen, width, check_utf8=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            raise _diagnose(utf8, path, chosen) from None
    del utf8
    records = table.to_pandas(types_mapper=_string_dtype, self_destruct=True)
    del table
    records.columns = pd.RangeIndex(width)
    return TextTable(
        records=records,
        encoding=found,
        delimiter=chosen,
        ends_with_newline=data.rstrip(b"\x00").endswith((b"\n", b"\r")),
    )


def read_text_file(
    path: Path,
    scan: FileScan,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> TextTable:
    """:func:`read_records` of the file at ``path``, without holding the whole file.

    The common case, a UTF-8 file (with or without a byte-order mark) whose quotes pair
    up, is parsed by Arrow straight from the file (it checks the UTF-8 as it parses), so
    memory holds the parsed table and not the file's bytes besides. Anything else --
    another encoding, a UTF-16 byte-order mark, NUL bytes, an odd number of quotes, a row
    Arrow refuses -- is read by :func:`read_records` from the file's bytes, which decides
    and names the problem exactly as before.

    Parameters
    ----------
    path : Path
        The file (also named in error messages).
    scan : FileScan
        :func:`scan_file` of that file.
    encoding, delimiter : str, optional
        As for :func:`read_records`.
    """
    import pyarrow as pa

    # Excel's "CSV UTF-8" starts with a byte-order mark, which Arrow's parser skips (a
    # test compares it with the bytes path); UTF-16 marks go the bytes path.
    bom = scan.head.startswith(codecs.BOM_UTF8)
    head = scan.head[len(codecs.BOM_UTF8) :] if bom else scan.head
    plain = (
        encoding is None
        and not head.startswith(_BOMS)
        and b"\x00" not in head[:4096]
        and scan.quotes % 2 == 0
        and scan.ends_with_newline is not None
        and bool(head.strip())
    )
    text = head.decode("utf-8", errors="ignore")
    chosen = delimiter or sniff_delimiter(text)
    first = _first_records(text, chosen, 1) if plain else []
    if first:
        try:
            table = _parse(path, chosen, len(first[0]), check_utf8=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            table = None  # another encoding or a bad row: the exact path names it
        if table is not None:
            records = table.to_pandas(types_mapper=_string_dtype, self_destruct=True)
            del table
            records.columns = pd.RangeIndex(len(first[0]))
            found = "utf-8-sig" if bom else "utf-8"
            return TextTable(records, found, chosen, bool(scan.ends_with_newline))
    return read_records(path.read_bytes(), path, encoding=encoding, delimiter=delimiter)
