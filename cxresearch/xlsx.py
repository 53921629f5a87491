"""Excel files written from data: every text cell stays text (no formula injection).

openpyxl stores a string that starts with "=" as a formula, so a respondent's comment
such as ``=HYPERLINK("http://…")`` in a follow-up list or a coder sheet would run in the
reader's Excel. Every workbook the package writes from data goes through :func:`as_text`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd


def as_text(workbook: Any) -> None:
    """Force every string cell of an openpyxl workbook to be stored as text.

    Examples
    --------
    >>> from openpyxl import Workbook
    >>> wb = Workbook()
    >>> wb.active["A1"] = "=1+1"
    >>> as_text(wb)
    >>> wb.active["A1"].data_type
    's'
    """
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.data_type != "s":
                    cell.data_type = "s"


def write_frames(path: str | Path, sheets: Mapping[str, pd.DataFrame]) -> None:
    """Write data frames as the sheets of one ``.xlsx`` file, every text kept as text.

    Examples
    --------
    >>> import tempfile, openpyxl
    >>> path = Path(tempfile.mkdtemp()) / "list.xlsx"
    >>> write_frames(path, {"list": pd.DataFrame({"comment": ["=1+1"]})})
    >>> openpyxl.load_workbook(path)["list"]["A2"].value
    '=1+1'
    >>> openpyxl.load_workbook(path)["list"]["A2"].data_type
    's'
    """
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
        as_text(writer.book)
