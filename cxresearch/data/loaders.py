"""Read survey exports into a validated responses frame.

:func:`load_responses` reads each file with :func:`~cxresearch.data.readers.read_export`
(the tool's layout, faithfully or refused), maps it with
:func:`~cxresearch.data.prepare.export_to_raw` (the params ``data:`` block) and hands the
result to :func:`~cxresearch.data.schema.validate_responses`, the one gate into the schema.
CSV and Excel cells stay text until validation, so an id such as ``"007"`` keeps its zeros
and a score such as ``"ten"`` or ``"1e1"`` is reported instead of being coerced.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Any

import pandas as pd

from cxresearch.data.prepare import export_to_raw, is_score_column
from cxresearch.data.readers import read_export
from cxresearch.data.schema import FLOAT_COLUMNS, validate_handed
from cxresearch.errors import DataError

__all__ = ["load_responses"]

_DECIMAL_COMMA = re.compile(r"\s*[+-]?\d+,\d+\s*")


def _decimal_commas(frame: pd.DataFrame) -> pd.DataFrame:
    """Turn "3,5" into "3.5" in numeric columns of a file that is not comma-separated."""
    numeric = [c for c in frame.columns if is_score_column(str(c)) or c in FLOAT_COLUMNS]
    for column in numeric:
        if not pd.api.types.is_string_dtype(frame[column].dtype):
            continue
        values = frame[column].astype("str")
        is_decimal = values.str.fullmatch(_DECIMAL_COMMA.pattern).fillna(False).astype(bool)
        if is_decimal.any():
            frame[column] = values.where(~is_decimal, values.str.replace(",", ".", regex=False))
    return frame


def load_responses(
    path: str | PathLike[str] | Sequence[str | PathLike[str]],
    *,
    mapping: Mapping[str, str] | None = None,
    scales: Mapping[str, Sequence[float]] | None = None,
    sheet: str | int | None = None,
    format: str = "auto",
    header_rows: int | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    constants: Mapping[str, Any] | None = None,
    id: str | None = None,
    recode: Mapping[str, Mapping[Any, Any]] | None = None,
    missing: Sequence[Any] | Mapping[str, Sequence[Any]] | None = None,
    exclude: Mapping[str, Any] | None = None,
    keep: Collection[str] = (),
) -> pd.DataFrame:
    """Load one or more survey exports and validate them against the responses schema.

    Parameters
    ----------
    path : path or list of paths
        Exports of one client (often one file per wave), read with
        :func:`~cxresearch.data.readers.read_export`: CSV (UTF-8 with or without BOM,
        UTF-16, cp1252; comma, semicolon or tab; a decimal comma in a semicolon file),
        Excel, SPSS ``.sav``/``.zsav``/``.por``, Parquet; Qualtrics, SurveyMonkey and
        Google Forms layouts are detected.
    mapping : mapping of str to str, optional
        Export column → schema column, e.g. ``{"Q5": "nps"}``.
    scales : mapping of str to (low, high), optional
        Answer scales of ``attr_*`` columns, and of ``nps``/``csat``/``ces`` when they were
        asked on another scale (then ``recode`` must map them onto the metric's scale).
    sheet, format, header_rows, encoding, delimiter, keep
        Passed to :func:`~cxresearch.data.readers.read_export`.
    constants, id, recode, missing, exclude
        The params ``data:`` block, see :func:`~cxresearch.data.prepare.export_to_raw`.

    Returns
    -------
    pandas.DataFrame
        The validated, typed frame. ``frame.attrs`` holds ``source`` (the path(s) as
        given), ``source_sha256`` (of the one file, or of the files' digests in order),
        ``format``, ``load_steps`` (rows read, excluded by reason and by rule),
        ``missing_codes`` (column → {code: cells}), ``ignored_columns`` (notes) and how
        each file was read (``files``).

    Raises
    ------
    DataError
        Unreadable or unfaithful file, a params key naming a column the file lacks (with
        the closest names), negative codes in a score, a column of scores without a single
        answer, or data that break the schema (see
        :func:`~cxresearch.data.schema.validate_responses`).
    """
    paths = [Path(p) for p in ([path] if isinstance(path, str | PathLike) else path)]
    if not paths:
        raise DataError("no data files given")
    return _load(paths, mapping, scales, sheet, format, header_rows, encoding, delimiter,
                 constants, id, recode, missing, exclude, keep)  # fmt: skip


def _load(
    paths: list[Path],
    mapping: Mapping[str, str] | None,
    scales: Mapping[str, Sequence[float]] | None,
    sheet: str | int | None,
    format: str,
    header_rows: int | None,
    encoding: str | None,
    delimiter: str | None,
    constants: Mapping[str, Any] | None,
    id: str | None,
    recode: Mapping[str, Mapping[Any, Any]] | None,
    missing: Sequence[Any] | Mapping[str, Sequence[Any]] | None,
    exclude: Mapping[str, Any] | None,
    keep: Collection[str],
) -> pd.DataFrame:
    frames, steps, files = [], [], []
    missing_codes: dict[str, dict[str, int]] = {}
    ignored: list[str] = []
    sources: dict[str, str] = {}
    formats = []
    for file in paths:
        export = read_export(
            file,
            format=format,
            sheet=sheet,
            header_rows=header_rows,
            encoding=encoding,
            delimiter=delimiter,
            keep=keep,
        )
        raw, record = export_to_raw(
            export,
            mapping=mapping,
            constants=constants,
            id=id,
            recode=recode,
            missing=missing,
            exclude=exclude,
            scales=scales,
        )
        if export.details.get("delimiter", ",") != ",":
            raw = _decimal_commas(raw)
        frames.append(raw)
        steps += record["steps"]
        ignored += [f"{file.name}: {note}" for note in record["ignored"]]
        sources.update(record["sources"])
        for column, codes in record["missing"].items():
            into = missing_codes.setdefault(column, {})
            for code, cells in codes.items():
                into[code] = into.get(code, 0) + cells
        formats.append(export.format)
        files.append(
            {
                "path": str(file),
                "format": export.format,
                "sha256": export.sha256,
                "rows": export.rows_in_file,
                "responses": len(raw),
                **{k: v for k, v in export.details.items() if k != "notes"},
            }
        )
    del export  # the raw frames share its columns; they are let go while validating
    raw = frames.pop() if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    frames.clear()
    source = str(paths[0]) if len(paths) == 1 else ", ".join(str(p) for p in paths)
    attr_scales = {
        str(k): (float(v[0]), float(v[1]))
        for k, v in (scales or {}).items()
        if str(k).startswith("attr_")
    }
    handed = [raw.reset_index(drop=True)]
    del raw
    frame = validate_handed(handed, source=source, scales=attr_scales)
    ignored += _refuse_empty_scores(frame, sources, source)
    digest = (
        files[0]["sha256"]
        if len(files) == 1
        else hashlib.sha256("".join(f["sha256"] for f in files).encode()).hexdigest()
    )
    frame.attrs = {
        **frame.attrs,
        "source": source,
        "source_sha256": digest,
        "format": formats[0] if len(set(formats)) == 1 else "mixed",
        "load_steps": steps,
        "missing_codes": missing_codes,
        "ignored_columns": ignored,
        "column_sources": sources,
        "files": files,
    }
    if len(files) == 1:
        for key in ("encoding", "delimiter", "sheet"):
            if key in files[0]:
                frame.attrs[key] = files[0][key]
        if files[0].get("delimiter", ",") != ",":
            frame.attrs["decimal"] = ","
    return frame


def _refuse_empty_scores(frame: pd.DataFrame, sources: Mapping[str, str], source: str) -> list[str]:
    """A score column without a single answer beside others that have answers is a mapping
    mistake, not a result to leave out of the report silently: an error. When no score
    column has an answer (a comment-only export), the file loads with a note and each
    analysis that needs a score says so at validate."""
    scores = [c for c in frame.columns if is_score_column(str(c))]
    empty = [c for c in scores if frame[c].notna().sum() == 0]
    if not empty or not len(frame):
        return []
    shown = ", ".join(f"{c!r} (from {sources.get(c, c)!r})" for c in empty)
    if len(empty) < len(scores):
        raise DataError(
            f"{source}: score column(s) {shown} have no answer in any of the {len(frame)} rows; "
            "check the mapping and the missing codes, or remove the column from data.mapping"
        )
    return [f"score column(s) {shown} have no answer in any row"]
