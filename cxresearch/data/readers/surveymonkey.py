"""SurveyMonkey "All individual responses" exports (CSV and XLSX), two header rows.

Row 1 holds the metadata names (``Respondent ID``, ``Collector ID``, ``Start Date``,
``End Date``, ``IP Address``, ``Email Address``, ``First Name``, ``Last Name``,
``Custom Data 1``) and then each question's text once, with blank cells over the further
columns of the same question. Row 2 is blank under the metadata and names each column of a
question: ``Response``, ``Open-Ended Response``, ``Other (please specify)``, a choice of a
multiple-choice question or a row of a matrix.

SurveyMonkey has no variable ids, so questions are numbered as they appear: ``Q1`` for a
one-column question, ``Q3_1``, ``Q3_2``, … for the columns of a multi-column one (kept
together in ``Export.groups``); ``Export.labels`` holds "question — sub-label". Dates are US
12-hour (``01/17/2020 12:30:48 AM``) and become ISO text. A rating column whose answers are
numbers with labelled end points (``5: strongly agree``) becomes numbers, the labels going
to ``Export.value_labels``.

References
----------
SurveyMonkey Help Center, "Exporting responses" (All individual responses, CSV/XLSX,
"Actual answer text" or "Numerical value").
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from cxresearch.errors import DataError

__all__ = ["DATE_COLUMNS", "is_surveymonkey", "numeric_with_labels", "surveymonkey_columns"]

DATE_COLUMNS = ("Start Date", "End Date")
_SUBLABEL_PLAIN = {"response", "open-ended response"}
_LABELLED = re.compile(r"^\s*([+-]?\d+)\s*(?:[:\-–]\s*(.*?))?\s*$")
_US_DATETIME = "%m/%d/%Y %I:%M:%S %p"


def is_surveymonkey(first: list[list[str]]) -> bool:
    if len(first) < 2:
        return False
    names = {c.strip().lower() for c in first[0]}
    subs = {c.strip().lower() for c in first[1]}
    return "respondent id" in names and bool(subs & _SUBLABEL_PLAIN | {"response"} & subs)


def surveymonkey_columns(
    headers: list[list[str]],
) -> tuple[list[str], dict[str, str], dict[str, list[str]]]:
    """Names, labels and multi-column groups from the two header rows."""
    top, sub = headers[0], headers[1]
    names: list[str] = []
    labels: dict[str, str] = {}
    spans: list[tuple[str, list[int]]] = []  # question text, column positions
    for i, (text, label) in enumerate(zip(top, sub, strict=True)):
        text, label = text.strip(), label.strip()
        if text and not label:
            spans.append(("", [i]))  # metadata column: its own name
        elif text:
            spans.append((text, [i]))
        elif spans and spans[-1][0]:
            spans[-1][1].append(i)
        else:
            spans.append(("", [i]))
    groups: dict[str, list[str]] = {}
    names = [""] * len(top)
    number = 0
    for text, positions in spans:
        if not text:
            names[positions[0]] = top[positions[0]].strip()
            continue
        number += 1
        base = f"Q{number}"
        cols = (
            [base] if len(positions) == 1 else [f"{base}_{j}" for j in range(1, len(positions) + 1)]
        )
        for col, pos in zip(cols, positions, strict=True):
            names[pos] = col
            label = sub[pos].strip()
            plain = label.lower() in _SUBLABEL_PLAIN
            labels[col] = text if plain or not label else f"{text} — {label}"
        if len(cols) > 1:
            groups[base] = cols
    return names, labels, groups


def numeric_with_labels(series: pd.Series) -> tuple[pd.Series, dict[int, str]] | None:
    """``"5: strongly agree"`` → ``"5"`` with {5: "strongly agree"}, when every answer fits.

    Returns None when any non-blank answer is not a whole number with an optional label,
    or no answer carries a label (a plain number column needs no change).
    """
    text = series.astype("str").str.strip().fillna("")
    filled = text[text != ""]
    if filled.empty:
        return None
    parts = filled.str.extract(_LABELLED)
    if parts[0].isna().any() or parts[1].fillna("").eq("").all():
        return None
    labels = {
        int(code): label for code, label in zip(parts[0], parts[1].fillna(""), strict=True) if label
    }
    out = text.copy()
    out.loc[filled.index] = parts[0].astype(int).astype(str)
    return out, labels


def us_datetimes(series: pd.Series, column: str, path: Any) -> pd.Series:
    """US 12-hour date-times as ISO text; a value in another form is an error."""
    text = series.astype("str").str.strip().fillna("")
    filled = text != ""
    parsed = pd.to_datetime(text.where(filled, None), format=_US_DATETIME, errors="coerce")
    bad = filled & parsed.isna()
    if bad.any():
        rows = (bad[bad].index[:5] + 1).tolist()
        raise DataError(
            f"{path}: column {column!r}: {int(bad.sum())} value(s) are not US date-times like "
            f"'01/17/2020 12:30:48 AM' (data rows {rows})"
        )
    iso = parsed.dt.strftime("%Y-%m-%d %H:%M:%S")
    return iso.where(filled, "").astype("str")
