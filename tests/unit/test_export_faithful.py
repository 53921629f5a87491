"""Read faithfully or refuse: field counts, cut files, encodings, exponents, empty scores."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from cxresearch.data import load_responses
from cxresearch.data.readers import read_export
from cxresearch.data.readers.text import decode_to_utf8
from cxresearch.errors import DataError

HEADER = "response_id,client,wave,nps,comment"
ROWS = ["r1,acme,2026Q3,9,Hyvä palvelu", "r2,acme,2026Q3,7,Ihan ok", "r3,acme,2026Q3,3,Huono"]


def write(tmp_path: Path, text: str | bytes, name: str = "x.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def test_short_row_is_an_error_naming_the_line(tmp_path: Path) -> None:
    # pandas fills a short row with blanks; this is refused, naming the physical line.
    path = write(tmp_path, "\n".join([HEADER, ROWS[0], "r2,acme,2026Q3,7", ROWS[2]]) + "\n")
    with pytest.raises(
        DataError, match=r"1 row\(s\) do not have the header's 5 fields .*line 3: 4"
    ):
        read_export(path)


def test_long_row_is_an_error_naming_the_line(tmp_path: Path) -> None:
    # An extra field on the first data row would make pandas shift every column.
    path = write(tmp_path, "\n".join([HEADER, ROWS[0] + ",extra", *ROWS[1:]]) + "\n")
    with pytest.raises(DataError, match=r"line 2: 6 fields"):
        read_export(path)


def test_multiline_comment_counts_physical_lines(tmp_path: Path) -> None:
    rows = [ROWS[0], 'r2,acme,2026Q3,7,"rivi 1\nrivi 2"', "r3,acme,2026Q3,3"]
    path = write(tmp_path, "\n".join([HEADER, *rows]) + "\n")
    with pytest.raises(DataError, match=r"line 5: 4 fields"):
        read_export(path)


def test_file_cut_mid_row(tmp_path: Path) -> None:
    path = write(tmp_path, "\n".join([HEADER, *ROWS])[:-12])
    with pytest.raises(DataError, match=r"ends mid-row: the last line \(4\) has 3 of 5 fields"):
        read_export(path)


def test_file_cut_inside_a_quoted_comment(tmp_path: Path) -> None:
    path = write(tmp_path, "\n".join([HEADER, *ROWS[:2], 'r3,acme,2026Q3,3,"Huono, koska']))
    with pytest.raises(DataError, match=r"quoted field starting on line 4 is never closed"):
        read_export(path)


def test_trailing_delimiter_on_every_data_row(tmp_path: Path) -> None:
    path = write(tmp_path, "\n".join([HEADER, *(r + "," for r in ROWS)]) + "\n")
    with pytest.raises(
        DataError, match=r"every data row has 6 fields but the header \(line 1\) has 5"
    ):
        read_export(path)


def test_trailing_delimiter_everywhere_is_an_empty_column(tmp_path: Path) -> None:
    path = write(tmp_path, "\n".join([HEADER + ",", *(r + "," for r in ROWS)]) + "\n")
    export = read_export(path)
    assert list(export.data.columns) == HEADER.split(",")


def test_stray_bytes_in_utf8_name_the_lines(tmp_path: Path) -> None:
    good = "\n".join([HEADER, *ROWS]).encode("utf-8")
    bad = good + "\nr4,acme,2026Q3,8,Hyvä".encode("cp1252") + b"\n"
    with pytest.raises(DataError, match=r"has UTF-8 characters but line\(s\) 5 hold bytes"):
        read_export(write(tmp_path, bad))


def test_cp1252_is_read_when_the_whole_file_is_cp1252(tmp_path: Path) -> None:
    text = "\n".join([HEADER.replace(",", ";"), *(r.replace(",", ";") for r in ROWS)]) + "\n"
    export = read_export(write(tmp_path, text.encode("cp1252")))
    assert export.details["encoding"] == "cp1252" and export.details["delimiter"] == ";"
    assert export.data["comment"].iloc[0] == "Hyvä palvelu"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_unicode_text_from_excel(tmp_path: Path, codec: str) -> None:
    text = "\n".join([HEADER.replace(",", "\t"), *(r.replace(",", "\t") for r in ROWS)]) + "\n"
    data = text.encode(codec)
    if codec == "utf-16-le":  # Excel's "Unicode text" has a BOM; without one it is detected
        data = codecs.BOM_UTF16_LE + data
    export = read_export(write(tmp_path, data, "x.txt"))
    assert export.details["encoding"] == "utf-16"
    assert export.data["comment"].tolist() == ["Hyvä palvelu", "Ihan ok", "Huono"]


def test_forced_encoding_that_does_not_fit_names_the_line() -> None:
    data = "a\nä\n".encode("cp1252")
    with pytest.raises(DataError, match=r"not valid utf-8 on line 2"):
        decode_to_utf8(data, Path("x.csv"), encoding="utf-8")


def test_exponent_is_not_a_score(tmp_path: Path) -> None:
    path = write(tmp_path, "\n".join([HEADER, ROWS[0], "r2,acme,2026Q3,1e1,x"]) + "\n")
    with pytest.raises(DataError, match=r"row 2 \(response_id 'r2'\): '1e1' is not a number"):
        load_responses(path)


def test_empty_score_column_is_reported(tmp_path: Path) -> None:
    rows = [r.replace(",9,", ",,5,").replace(",7,", ",,4,").replace(",3,", ",,2,") for r in ROWS]
    path = write(tmp_path, "\n".join([HEADER.replace(",nps,", ",nps,csat,"), *rows]) + "\n")
    with pytest.raises(DataError, match=r"score column\(s\) 'nps' \(from 'nps'\) have no answer"):
        load_responses(path)
    # Without any answered score (a comment-only export) it loads with a note; an analysis
    # that needs a score says so at validate (tests/unit/test_analyses.py).
    only = write(tmp_path, "\n".join([HEADER, *(r.replace(",9,", ",,") for r in ROWS[:1])]) + "\n")
    frame = load_responses(only)
    assert frame.attrs["ignored_columns"] == [
        "score column(s) 'nps' (from 'nps') have no answer in any row"
    ]


def test_leading_zeros_and_na_text_survive(tmp_path: Path) -> None:
    path = write(tmp_path, "\n".join([HEADER, "007,acme,2026Q3,9,NA"]) + "\n")
    frame = load_responses(path)
    assert frame["response_id"].tolist() == ["007"] and frame["comment"].tolist() == ["NA"]


def test_nul_bytes_are_not_text(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"holds NUL bytes"):
        read_export(write(tmp_path, b"PK\x03\x04\x00\x00abc\x00def\n"))
