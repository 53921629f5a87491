"""Qualtrics CSV exports: the current three-header-row layout and the legacy V1…V10 one.

Current layout (Data & Analysis → Export → CSV): row 1 export tags (``Q5``, ``Q7_1``,
``Q9_4_TEXT``, side-by-side ``Q2#1_1``), row 2 question texts in the survey's language,
row 3 ImportIds as JSON (``{"ImportId":"QID5"}``) or, in older exports, as a Python-style
dict (``{'ImportId': 'QID5'}``). Legacy layout (exports before 2017 and "legacy exporter"):
row 1 ``V1``…``V10`` then export tags, row 2 labels (``ResponseID``, ``Status``, …,
question texts), often a byte-order mark and a trailing empty column.

Repeated export tags (a tag reused in two blocks) are told apart by their ImportId: both
become ``"<tag> [<ImportId>]"``. Without distinct ImportIds they are refused.

``Status`` (response type) and ``Finished`` decide which rows are responses: survey
previews, tests and spam are counted in ``excluded`` by reason, unfinished responses as
``"unfinished"``; ``keep`` names the reasons to keep instead.

References
----------
Qualtrics support, "Understanding Your Dataset" and "Data Export Options" (response type
codes 0 IP Address, 1 Survey Preview, 2 Survey Test, 4 Imported, 8 Spam, 9 Survey Preview
Spam, 12 Imported Spam, 16 Offline, 17 Offline Survey Preview). The R package qualtRics
(``read_survey(legacy = TRUE)``) reads the same two layouts.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Collection
from typing import Any

import numpy as np
import pandas as pd

from cxresearch.data.readers.common import keep_rows, quote, refuse_duplicates
from cxresearch.errors import DataError

__all__ = ["exclude_by_status", "import_id", "is_legacy", "is_qualtrics", "qualtrics_columns"]

#: Response-type codes and texts → reason counted in ``Export.excluded`` (None = a response).
_STATUS: dict[str, str | None] = {
    "0": None,
    "ip address": None,
    "4": None,
    "imported": None,
    "16": None,
    "offline": None,
    "1": "preview",
    "survey preview": "preview",
    "17": "preview",
    "offline survey preview": "preview",
    "2": "test",
    "survey test": "test",
    "8": "spam",
    "spam": "spam",
    "9": "spam",
    "survey preview spam": "spam",
    "12": "spam",
    "imported spam": "spam",
}
_FINISHED = {"1": True, "true": True, "0": False, "false": False}
_META_TAGS = {"startdate", "enddate", "responseid", "recordeddate", "status", "finished"}


def import_id(cell: str) -> str | None:
    """The ImportId of a third-row cell (JSON or the older single-quoted dict), else None.

    Examples
    --------
    >>> import_id('{"ImportId":"QID5_TEXT"}'), import_id("{'ImportId': 'QID7'}")
    ('QID5_TEXT', 'QID7')
    """
    text = cell.strip()
    if not (text.startswith("{") and text.endswith("}")):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return None
    if isinstance(value, dict) and isinstance(value.get("ImportId"), str):
        return str(value["ImportId"])
    return None


def is_qualtrics(first: list[list[str]]) -> bool:
    """Three header rows with ImportIds in the third."""
    if len(first) < 3:
        return False
    ids = [import_id(c) for c in first[2]]
    return sum(i is not None for i in ids) >= max(1, len(ids) // 2)


def is_legacy(first: list[list[str]]) -> bool:
    """``V1``, ``V2``, … in row 1 and ``ResponseID`` / ``ResponseSet`` in row 2."""
    if len(first) < 2 or len(first[0]) < 2:
        return False
    return (
        first[0][0].strip() == "V1"
        and first[0][1].strip() == "V2"
        and first[1][0].strip().lower() == "responseid"
    )


def qualtrics_columns(headers: list[list[str]], path: Any) -> tuple[list[str], dict[str, str]]:
    """Column names from the export tags (repeats told apart by ImportId) and their texts."""
    tags = headers[0]
    texts = headers[1]
    ids = [import_id(c) for c in headers[2]] if len(headers) > 2 else [None] * len(tags)
    counts: dict[str, int] = {}
    for tag in tags:
        counts[tag] = counts.get(tag, 0) + 1
    names = []
    for tag, iid in zip(tags, ids, strict=True):
        if counts[tag] > 1 and tag:
            names.append(f"{tag} [{iid}]" if iid else tag)
        else:
            names.append(tag)
    refuse_duplicates(
        names,
        path,
        hint=" (the export tags repeat and their ImportIds do not tell them apart; give the "
        "questions distinct export tags in Qualtrics and export again)",
    )
    labels = {n: t for n, t in zip(names, texts, strict=True) if n and t and t != n}
    return names, labels


def _legacy_role(labels: dict[str, str], role: str) -> str | None:
    for name, text in labels.items():
        if text.strip().lower() == role:
            return name
    return None


def exclude_by_status(
    data: pd.DataFrame,
    labels: dict[str, str],
    path: Any,
    *,
    keep: Collection[str] = (),
    consume: bool = False,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Drop previews, tests, spam and unfinished responses, counted by reason.

    With ``consume`` the columns of ``data`` are handed over as they are filtered (see
    :func:`~cxresearch.data.readers.common.keep_rows`).

    ``Status`` and ``Finished`` are found by name (current exports, SPSS exports from
    Qualtrics) or by their label (legacy ``V7`` "Status", ``V10`` "Finished"). An
    unknown status code is an error rather than a guess.
    """
    status = "Status" if "Status" in data.columns else _legacy_role(labels, "status")
    finished = "Finished" if "Finished" in data.columns else _legacy_role(labels, "finished")
    reasons = np.full(len(data), None, dtype=object)
    if status is not None:
        why = "are not Qualtrics response types; cannot tell responses from previews"
        text = _known(data[status], _STATUS, f"column {status!r} (response type)", path, why)
        reasons = _lookup(text, _STATUS)
    if finished is not None:
        why = "are not True/False or 1/0"
        text = _known(data[finished], _FINISHED, f"column {finished!r}", path, why)
        unfinished = np.array([v is False for v in _lookup(text, _FINISHED)], dtype=bool)
        responses = np.array([r is None for r in reasons], dtype=bool)
        reasons = np.where(responses & unfinished, "unfinished", reasons)
    counts: dict[str, int] = {}
    drop = np.zeros(len(data), dtype=bool)
    for reason in ("preview", "test", "spam", "unfinished"):
        hit = reasons == reason
        n = int(hit.sum())
        if n and reason not in keep:
            counts[reason] = n
            drop |= hit
    if not drop.any():
        return data, counts
    return keep_rows(data, ~drop, consume=consume), counts


def _known(series: pd.Series, table: dict[str, Any], what: str, path: Any, why: str) -> pd.Series:
    """The column as lower-case text; DataError if a value is not a key of ``table``."""
    text = _as_text(series)
    unknown = sorted({v for v in text.unique().tolist() if v not in table and v != ""})
    if unknown:
        shown = ", ".join(quote(v) for v in unknown[:5])
        raise DataError(f"{path}: {what} has value(s) {shown} that {why}")
    return text


def _lookup(text: pd.Series, table: dict[str, Any]) -> np.ndarray:
    # Look up each distinct value once (a million rows hold a handful of statuses).
    codes, uniques = pd.factorize(text)
    found = np.array([table.get(u) for u in uniques] + [None], dtype=object)
    return found[codes]  # code -1 (missing) picks the trailing None


def _as_text(series: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series):
        values = series.astype("Float64")
        return values.map(lambda v: "" if pd.isna(v) else f"{v:g}").astype(str)
    return series.astype("str").str.strip().str.lower().fillna("")
