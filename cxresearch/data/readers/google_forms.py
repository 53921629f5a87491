"""Google Forms responses (the linked Sheet downloaded as CSV or XLSX), one header row.

The first column is the submission time, ``Timestamp`` (``Aikaleima`` in a Finnish
account), in the account's locale: ``1/17/2020 12:30:48`` (US, month first) or
``17.1.2020 12.30.48`` (Finnish); it becomes ISO text. A multiple-choice grid or
checkbox grid writes one column per row, headed ``Question [row]``: the question goes to
``Export.labels`` and the columns are kept together in ``Export.groups``. Forms have no
variable ids, so the header text is the column name.

References
----------
Google Docs Editors Help, "Choose where to save form responses" and "Google Forms
question types: Multiple choice grid".
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from cxresearch.errors import DataError

__all__ = ["TIMESTAMP_NAMES", "grid_labels", "is_google_forms", "form_timestamps"]

TIMESTAMP_NAMES = ("timestamp", "aikaleima", "tidsstämpel", "zeitstempel", "horodateur")
_GRID = re.compile(r"^(?P<question>.*\S)\s*\[(?P<item>[^\[\]]+)\]$")
_FORMATS = ("%m/%d/%Y %H:%M:%S", "%d.%m.%Y %H.%M.%S", "%d.%m.%Y %H:%M:%S", "%Y/%m/%d %I:%M:%S %p")


def is_google_forms(first: list[list[str]]) -> bool:
    return bool(first) and bool(first[0]) and first[0][0].strip().lower() in TIMESTAMP_NAMES


def grid_labels(names: list[str]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Question texts of ``Question [item]`` columns and the grid groups."""
    labels: dict[str, str] = {}
    groups: dict[str, list[str]] = {}
    for name in names:
        match = _GRID.match(name)
        if match:
            labels[name] = match["question"]
            groups.setdefault(match["question"], []).append(name)
    return labels, {q: cols for q, cols in groups.items() if len(cols) > 1}


def form_timestamps(series: pd.Series, column: str, path: Any) -> pd.Series:
    """Timestamps as ISO text: the one format (of the known locales) that reads every value."""
    text = series.astype("str").str.strip().fillna("")
    filled = text != ""
    if not filled.any():
        return text
    for fmt in _FORMATS:
        parsed = pd.to_datetime(text.where(filled, None), format=fmt, errors="coerce")
        if not (filled & parsed.isna()).any():
            return parsed.dt.strftime("%Y-%m-%d %H:%M:%S").where(filled, "").astype("str")
    raise DataError(
        f"{path}: column {column!r}: the timestamps are not in one Google Forms format "
        "('1/17/2020 12:30:48' month first, or '17.1.2020 12.30.48' day first)"
    )
