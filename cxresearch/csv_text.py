"""CSV files written from data for people to open in a spreadsheet: no formula injection.

A spreadsheet that opens a CSV file treats a cell starting with ``=``, ``+``, ``-`` or
``@`` (and, in some, a leading tab or carriage return) as a formula, so a respondent's
comment such as ``=HYPERLINK("http://…","see")`` in a follow-up list, a coder sheet or a
disagreements file would run in the reader's Excel or LibreOffice ("CSV injection",
OWASP). The ``.xlsx`` twins keep such text as text (:mod:`cxresearch.xlsx`); a CSV file has
no cell types, so every CSV the package writes for people goes through :func:`write_csv`:

- a cell starting with one of those characters is written with a leading apostrophe,
  which spreadsheets show and keep as text (``'=HYPERLINK(…)``);
- a cell that already starts with an apostrophe gets one more, so the rule can be undone
  exactly: :func:`read_csv` gives back every cell as it was before writing, and the
  package's importers (follow-up lists, coder sheets, decisions, reference codings) read
  CSV through it.

Nothing else in a cell changes; the files' README sections say so.

References
----------
OWASP Foundation, "CSV Injection", https://owasp.org/www-community/attacks/CSV_Injection.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

#: First characters a spreadsheet may read as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_MARK = "'"


def guard(text: str) -> str:
    """The cell as written to a CSV file for people: formula-like text marked as text.

    Examples
    --------
    >>> guard("=1+1"), guard("-2 stars"), guard("'quoted"), guard("fine")
    ("'=1+1", "'-2 stars", "''quoted", 'fine')
    """
    if text.startswith(FORMULA_STARTS) or text.startswith(_MARK):
        return _MARK + text
    return text


def unguard(text: str) -> str:
    """Undo :func:`guard`: the cell as it was before writing.

    A cell :func:`guard` would not have written (an apostrophe before ordinary text, as a
    person may type it) is returned unchanged.

    Examples
    --------
    >>> unguard("'=1+1"), unguard("''quoted"), unguard("'fine"), unguard("fine")
    ('=1+1', "'quoted", "'fine", 'fine')
    """
    if text.startswith(_MARK) and text[1:].startswith((*FORMULA_STARTS, _MARK)):
        return text[1:]
    return text


def _text_cells(frame: pd.DataFrame, change: Callable[[str], str]) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            out[column] = values.map(lambda v: change(v) if isinstance(v, str) else v)
    return out


def write_csv(frame: pd.DataFrame, path: str | Path, *, encoding: str = "utf-8") -> None:
    """Write a frame as CSV (no index, ``\\n`` line ends) with every text cell guarded.

    Parameters
    ----------
    frame : DataFrame
    path : path
    encoding : str
        ``"utf-8-sig"`` for files meant for Excel on Windows (coder sheets).

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "list.csv"
    >>> write_csv(pd.DataFrame({"comment": ["=1+1", "ok"]}), path)
    >>> path.read_text()
    "comment\\n'=1+1\\nok\\n"
    >>> read_csv(path)["comment"].tolist()
    ['=1+1', 'ok']
    """
    guarded = _text_cells(frame, guard)
    guarded.to_csv(path, index=False, lineterminator="\n", encoding=encoding)


def read_csv(path: str | Path, *, encoding: str = "utf-8") -> pd.DataFrame:
    """Read a CSV file written by :func:`write_csv` (and filled in by people) as text.

    Every cell is a string (blank → ``""``); guarded cells are given back as they were.
    ``encoding="utf-8-sig"`` also reads files without a byte-order mark.
    """
    table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
    return unguard_frame(table)


def unguard_frame(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`unguard` every text cell of a table read from a guarded CSV file."""
    return _text_cells(table, unguard)
