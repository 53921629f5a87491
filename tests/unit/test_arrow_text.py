"""The fast paths of ``cxresearch.data.arrow_text`` change the time, never the result.

Each test validates the same frame twice: as loaded (Arrow-backed text, fast paths on) and
with every fast path switched off (``text_chunks`` answering None, so the exact path of
before runs), and requires the same typed frame or the same error message. The reader's
file path is compared with its bytes path the same way.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxresearch.data import arrow_text, cells, schema
from cxresearch.data.arrow_text import (
    blank_cells,
    codes,
    decimal_numbers,
    fixed_datetimes,
    holds_byte,
    maybe_padded,
    member_codes,
    text_chunks,
)
from cxresearch.data.cells import PLAIN_NUMBER
from cxresearch.data.readers import common
from cxresearch.data.readers.text import read_records, read_text_file, scan_file
from cxresearch.errors import DataError

SPACES = [" ", "\t", "\u00a0", "\u2028", "\u3000", "\x1c", "\x85", "\u202f", "\ufeff"]
NUMBERS = ["7", "10", "0", "007", "7.0", "7.5", "455.55", "-1", "+3", ".5", "5.", "1e1",
           "inf", "nan", "NA", "n/a", "", " 7", "7 ", "1.2.3", "٣", "x", "9999", "3,5"]  # fmt: skip
BOOLS = ["true", "false", "1", "0", "1.0", "yes", "no", "kyllä", "ei", "", "NA", "TRUE",
         "Yes", " true", "maybe", "none"]  # fmt: skip
STAGES = ["awareness", "purchase", "usage", "", "Usage", " usage", "bogus", "renewal"]
DATES = ["2026-01-13 15:27", "2026-01-13T15:27", "2026-01-13 15:27:59", "2024-02-29 00:00",
         "2025-02-29 10:00", "2026-04-31 10:00", "2026-13-01 10:00", "2026-01-01 24:00",
         "2026-01-01 23:60", "13.01.2026 15:27", "2026-01-13", "", "NA", "1899-12-31 10:00",
         "2026-1-13 15:27", "2026-01-13 15:27+02:00", "2026-01-13 15:27:07.5"]  # fmt: skip
# The tokens of a clean export, where every fast path is taken.
CLEAN = {
    "numbers": ["7", "10", "0", "007", "7.0", "455.55", "3", ""],
    "bools": ["true", "false", "1", "0", "yes", "ei", ""],
    "stages": ["awareness", "purchase", "usage", ""],
    "dates": ["2026-01-13 15:27", "2024-02-29T00:00", "2026-12-31 23:59", ""],
}
TEXT = ["hyvä", "ok", "", "  padded ", "tab\t", "\u00a0nbsp", "é", "kiitos!", "NA"]


def _chunked(cells_: Sequence[str | None], cuts: list[int]) -> pd.Series:
    """A ``str`` column whose Arrow data is in several chunks, the first one a slice."""
    import pyarrow as pa
    from pandas.arrays import ArrowStringArray

    bounds = sorted({0, len(cells_), *cuts})
    parts = [pa.array(list(cells_[a:b]), pa.large_string()) for a, b in pairwise(bounds)]
    if parts and len(parts[0]):  # a slice of a longer chunk, as after the header row
        parts[0] = pa.array(["header", *cells_[: len(parts[0])]], pa.large_string())[1:]
    array = pa.chunked_array(parts, type=pa.large_string())
    dtype = pd.Series([], dtype="str").dtype
    return pd.Series(ArrowStringArray(array, dtype=dtype), copy=False)  # type: ignore[call-arg]


def _exact(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every fast path off: the modules see no Arrow chunks."""
    for module in (arrow_text, cells, schema, common):
        monkeypatch.setattr(module, "text_chunks", lambda text: None)


def _outcome(frame: pd.DataFrame) -> pd.DataFrame | str:
    try:
        return schema.validate_responses(frame, source="f.csv")
    except DataError as error:
        return str(error)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_validation_with_fast_paths_equals_the_exact_path(data: st.DataObject) -> None:
    rows = data.draw(st.integers(1, 12))

    def column(pool: list[str], clean: str) -> pd.Series:
        chosen = CLEAN[clean] if clean and data.draw(st.booleans()) else pool
        cells_ = data.draw(st.lists(st.sampled_from(chosen), min_size=rows, max_size=rows))
        # A CSV column arrives in many chunks, some of them slices: cut it at random.
        cuts = data.draw(st.lists(st.integers(0, rows), max_size=3))
        return _chunked(cells_, cuts)

    ids = [f"r{i}" for i in range(rows)]
    if data.draw(st.booleans()):  # repeated and blank ids
        ids = data.draw(
            st.lists(st.sampled_from(["r1", "r2", "r3", ""]), min_size=rows, max_size=rows)
        )
    frame = pd.DataFrame({"response_id": ids, "client": "c", "wave": "w"})
    frame = frame.astype("str")
    for name, pool, clean in (
        ("nps", NUMBERS, "numbers"), ("attr_ease", NUMBERS, "numbers"),
        ("clv", NUMBERS, "numbers"), ("retained", BOOLS, "bools"),
        ("journey_stage", STAGES, "stages"), ("submitted_at", DATES, "dates"),
        ("comment", TEXT, ""),
    ):  # fmt: skip
        if data.draw(st.booleans()):
            frame[name] = column(pool, clean)
    fast = _outcome(frame)
    with pytest.MonkeyPatch.context() as patch:
        _exact(patch)
        exact = _outcome(frame)
    if isinstance(exact, str) or isinstance(fast, str):
        assert fast == exact
    else:
        pd.testing.assert_frame_equal(fast, exact, check_exact=True)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.text(alphabet=["a", "ä", "1", *SPACES], max_size=4), min_size=1, max_size=20),
    st.lists(st.integers(0, 21), max_size=3),
)
def test_a_column_not_maybe_padded_has_nothing_to_strip(cells_: list[str], cuts: list[int]) -> None:
    text = _chunked([*cells_, None], cuts)
    chunks = text_chunks(text)
    assert chunks is not None
    if not maybe_padded(chunks):
        assert text.str.strip().equals(text)
        assert all(c == c.strip() for c in cells_)
    assert blank_cells(chunks).tolist() == [c == "" for c in cells_] + [True]


def test_maybe_padded_sees_a_padded_cell_beside_empty_and_missing_ones() -> None:
    import pyarrow as pa

    for cells_ in (["", " a"], ["a ", ""], [None, "a", "", "b\t"], ["\u00a0x", None]):
        assert maybe_padded([pa.array(cells_, pa.large_string())]), cells_
    assert not maybe_padded([pa.array(["", None, "a", ""], pa.large_string())])
    # A missing cell that still holds bytes (Arrow allows it) only makes the answer "maybe".
    text = pa.array([" x", "y"], pa.large_string())
    held = pa.Array.from_buffers(
        pa.large_string(), 2, [pa.py_buffer(b"\x02"), *text.buffers()[1:]], null_count=1
    )
    assert held.to_pylist() == [None, "y"]
    assert maybe_padded([held])


def test_holds_byte_looks_only_at_the_cells_text() -> None:
    import pyarrow as pa

    chunk = pa.array(["-5", "7", "x-y"], pa.large_string())
    assert holds_byte([chunk], b"-")
    assert not holds_byte([chunk.slice(1, 1)], b"-")  # "7" alone, inside the same buffers
    assert not holds_byte([pa.array(["1", "", None], pa.large_string())], b"-")


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(alphabet=["0", "1", "9", ".", "-", "+", "e", " "], max_size=5), max_size=20)
)
def test_decimal_numbers_accept_only_plain_decimals(cells_: list[str]) -> None:
    values = decimal_numbers(text_chunks(pd.Series(cells_, dtype="str")) or [])
    if values is None:
        return
    for cell, value in zip(cells_, values.tolist(), strict=True):
        if cell == "":
            assert np.isnan(value)
        else:
            assert re.fullmatch(PLAIN_NUMBER, cell, flags=re.ASCII), cell
            assert value == float(cell)


def test_member_codes_decline_a_cell_outside_the_values() -> None:
    chunks = text_chunks(pd.Series(["a", None, "b"], dtype="str"))
    assert chunks is not None
    assert member_codes(chunks, ("b", "a")).tolist() == [1, -1, 0]
    assert member_codes(chunks, ("a",)) is None


@pytest.mark.parametrize(
    "cells_",
    [
        ["2026-01-13 15:27", "", "2024-02-29T23:59"],
        ["2026-01-13 15:27:07", None],
        ["2026-04-31 10:00"],  # no 31 April: left to the exact parser, which reports it
        ["2026-01-01 23:59:60"],  # no leap seconds
        ["2026-01-13 15:27+02"],  # a UTC offset in 19 bytes: not the layout
        ["2026-01-13 15:2700"],
        ["1899-12-31 23:59", "2026-01-13 15:27"],  # outside 1900-2199: declined
        ["2200-01-01 00:00"],
        ["1900-01-01 00:00", "2199-12-31 23:59:59"],  # two layouts
        ["1900-01-01 00:00", "2199-12-31 23:59"],
        ["2026-01-13 15:27", "2026-01-13 15:27:07"],  # two layouts: declined
        ["", None],  # no date at all: declined
    ],
)
def test_fixed_datetimes_agree_with_pandas_or_decline(cells_: list[str | None]) -> None:
    stamps = fixed_datetimes(text_chunks(pd.Series(cells_, dtype="str")) or [])
    valid = {"2026-01-13 15:27", "2024-02-29T23:59", "2026-01-13 15:27:07", "", None,
             "1900-01-01 00:00", "2199-12-31 23:59"}  # fmt: skip
    lengths = {len(c) for c in cells_ if c}
    if not set(cells_) <= valid or len(lengths) != 1:
        assert stamps is None
        return
    assert stamps is not None
    expected = pd.to_datetime(pd.Series([c or None for c in cells_]), format="ISO8601")
    assert stamps.dtype == expected.dtype
    assert pd.Series(stamps).equals(expected)


@pytest.mark.parametrize(
    "content",
    [
        b'id,nps,comment\n1,7,"two\nlines"\n2,8,"a ""quote"""\n',
        b"id,nps\n1,7\n2,8",  # no final line break
        b"id;nps\n1;7\n",
        "id,kommentti\n1,hyvä\n".encode(),
        "id,kommentti\n1,hyvä\n".encode("cp1252"),  # another encoding: the bytes path
        b"\xef\xbb\xbfid,nps\n1,7\n",  # Excel's "CSV UTF-8": a byte-order mark
        b'\xef\xbb\xbf"i,d",nps\n1,7\n',  # ... before a quoted name holding the delimiter
        "\ufeffid;kommentti\n1;hyvä\n".encode(),
        b"\xef\xbb\xbf\n",  # a mark and nothing else: empty
        b"\xef\xbb\xbfid,nps\n1,\xe4\n",  # a mark, then a byte that is not UTF-8
        b"\xef\xbb\xbfid,nps\n1,7\n2\n",  # a mark and a short row
        b"\xff\xfei\x00d\x00\n\x001\x00\n\x00",  # UTF-16: the bytes path
        b"id,nps\n" + b"1,7\n" * 2000 + b"\x00" * 5000,  # NUL bytes after the first 4 KiB
        b"id,nps\n" + b"1,7\n" * 2000 + b"2,\x00\n",
    ],
)
def test_reading_from_the_file_equals_reading_its_bytes(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    scan = scan_file(path)
    assert scan.sha256 == hashlib.sha256(content).hexdigest()
    try:
        from_bytes = read_records(content, path)
    except DataError as error:
        with pytest.raises(DataError) as same:
            read_text_file(path, scan)
        assert str(same.value) == str(error)
        return
    from_file = read_text_file(path, scan)
    pd.testing.assert_frame_equal(from_file.records, from_bytes.records)
    assert (from_file.encoding, from_file.delimiter, from_file.ends_with_newline) == (
        from_bytes.encoding,
        from_bytes.delimiter,
        from_bytes.ends_with_newline,
    )


@pytest.mark.parametrize(
    "content",
    [b"id,nps\n1,7\n2,8,9\n", b'id,nps\n1,"7\n', b"id,nps\n1,7\n2\n"],
)
def test_a_bad_file_gets_the_same_error_from_the_file_as_from_its_bytes(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    with pytest.raises(DataError) as from_bytes:
        read_records(content, path)
    with pytest.raises(DataError) as from_file:
        read_text_file(path, scan_file(path))
    assert str(from_file.value) == str(from_bytes.value)


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        (["a1", "a2", "b1"], None),  # increasing: distinct without a hash table
        (["b1", "a2", "a1"], None),  # distinct, in no order
        (["a1", "a1"], [0, 0]),
        (["b", "a", None, "b", "a"], [0, 1, -1, 0, 1]),
        (["a", "b", "b"], [0, 1, 1]),  # not strictly increasing
    ],
)
def test_codes_are_none_only_when_every_id_is_distinct(
    ids: list[str | None], expected: list[int] | None
) -> None:
    found = codes(text_chunks(pd.Series(ids, dtype="str")) or [])
    assert (found if found is None else found.tolist()) == expected


def test_parquet_read_a_column_at_a_time_equals_the_whole_table(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from cxresearch.data.readers import _parquet_frame

    frame = pd.DataFrame(
        {
            "id": pd.Series(["a", None, "c"], dtype="str"),
            "n": pd.array([1, None, 3], dtype="Int64"),
            "u": np.array([1, 2, 3], dtype=np.uint8),
            "x": [0.5, np.nan, 2.0],
            "ok": pd.array([True, None, False], dtype="boolean"),
            "flag": [True, False, True],
            "seg": pd.Categorical(["b", "a", "b"]),
            "at": pd.to_datetime(["2026-01-01 10:00", None, "2026-03-01 00:00"]),
            "tz": pd.to_datetime(["2026-01-01 10:00", None, "2026-03-01 00:00"]).tz_localize("UTC"),
            "text": pd.array(["x", None, "z"], dtype="string"),
        },
        index=pd.RangeIndex(5, 8),
    )
    path = tmp_path / "x.parquet"
    frame.to_parquet(path)

    def mapped(arrow_type: pa.DataType) -> object:
        if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
            return common.TEXT_DTYPE
        return pd.BooleanDtype() if pa.types.is_boolean(arrow_type) else None

    whole = pq.read_table(path).to_pandas(types_mapper=mapped)
    by_column = _parquet_frame([path.read_bytes()], path)
    pd.testing.assert_frame_equal(by_column, whole, check_exact=True)
    assert str(by_column["n"].dtype) == "Int64" and list(by_column.index) == [5, 6, 7]


def test_a_utf8_file_with_a_byte_order_mark_is_parsed_from_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cxresearch.data.readers import text

    path = tmp_path / "x.csv"
    content = "\ufeffid;kommentti\n1;hyvä\n".encode()
    path.write_bytes(content)
    expected = read_records(content, path)
    monkeypatch.setattr(text, "read_records", lambda *a, **k: pytest.fail("bytes path"))
    table = read_text_file(path, scan_file(path))
    assert (table.encoding, table.delimiter) == ("utf-8-sig", ";")
    pd.testing.assert_frame_equal(table.records, expected.records)
    assert table.records.iloc[0].tolist() == ["id", "kommentti"]


def test_a_long_column_in_many_chunks_is_cast_piece_by_piece_exactly() -> None:
    rng = np.random.default_rng(7)
    n = 150_000  # more than one piece (arrow_text._PIECE_ROWS)
    numbers = [str(v) if v % 17 else "" for v in rng.integers(0, 1000, n)]
    numbers[-1] = "12.5"
    stamps = pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 10**6, n), unit="min")
    dates = [s.strftime("%Y-%m-%d %H:%M") if i % 13 else "" for i, s in enumerate(stamps)]
    cuts = list(range(0, n, 7_000))
    values = decimal_numbers(text_chunks(_chunked(numbers, cuts)) or [])
    assert values is not None
    expected = np.array([float(v) if v else np.nan for v in numbers])
    np.testing.assert_array_equal(values, expected)
    parsed = fixed_datetimes(text_chunks(_chunked(dates, cuts)) or [])
    assert parsed is not None
    expected_dates = pd.to_datetime(pd.Series([d or None for d in dates]), format="ISO8601")
    assert pd.Series(parsed).equals(expected_dates)
    # One bad cell in the last piece declines the whole column.
    assert decimal_numbers(text_chunks(_chunked([*numbers[:-1], "1.2.3"], cuts)) or []) is None
    late = [*dates[:-1], "2026-04-31 10:00"]
    assert fixed_datetimes(text_chunks(_chunked(late, cuts)) or []) is None
    early = ["1899-12-31 23:59", *dates[1:]]
    assert fixed_datetimes(text_chunks(_chunked(early, cuts)) or []) is None
