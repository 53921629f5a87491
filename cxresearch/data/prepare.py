"""From an :class:`~cxresearch.data.readers.Export` to a raw responses frame (params ``data:``).

The steps, in order, each counted in ``frame.attrs`` so that the report's base table can
show them (:func:`load_steps`):

1. rows the reader did not take as responses (previews, tests, spam, unfinished, blank);
2. ``exclude`` rules (``{Finished: [false]}``), counted per rule;
3. schema columns with a meaning (``weight``, ``language``, ``channel``, …) present in a
   tool's export under the schema's own name are ignored unless ``mapping`` names them,
   and ``weight`` is ignored unmapped in every format: an SPSS variable ``weight`` holding
   body weight in kg must not become the survey weight unasked;
4. ``id`` (the response id column) or ``"<file stem>-<row>"``, the row as the file numbers
   its data rows, so ids stay stable across runs;
5. ``mapping`` (keys match after trimming spaces, NBSP and U+FEFF; an unknown key lists
   the closest column names), then ``constants``;
6. ``missing`` codes set to missing, counted per column and code;
7. ``recode`` (answers written as text, or SPSS value labels, to codes);
8. negative codes left in a score or ``attr_*`` column are refused with the ``missing:``
   line to add; a score asked on another scale than the metric's must be recoded onto it.

:func:`~cxresearch.data.schema.validate_responses` then checks and types the result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxresearch.data.arrow_text import holds_byte, text_chunks
from cxresearch.data.cells import is_numeric, number_text, plain_numbers, stripped
from cxresearch.data.readers import Export
from cxresearch.data.readers.common import clean_name, closest, keep_rows
from cxresearch.data.schema import (
    BOOL_COLUMNS,
    DATETIME_COLUMNS,
    FLOAT_COLUMNS,
    REQUIRED_COLUMNS,
    SCORE_SCALES,
    TEXT_COLUMNS,
)
from cxresearch.errors import DataError, excerpts

__all__ = [
    "SCHEMA_COLUMNS",
    "SPSS_USER_MISSING",
    "TOOL_FORMATS",
    "export_to_raw",
    "is_score_column",
]

#: The code under which SPSS user-missing cells are counted in ``attrs["missing_codes"]``.
SPSS_USER_MISSING = "user-missing (SPSS)"

#: Formats written by a survey tool (their columns carry the tool's names, not the schema's).
TOOL_FORMATS = frozenset({"qualtrics", "qualtrics-legacy", "surveymonkey", "google-forms", "spss"})
#: Canonical columns with a fixed meaning in the schema.
SCHEMA_COLUMNS = frozenset(
    {
        *REQUIRED_COLUMNS,
        *SCORE_SCALES,
        *BOOL_COLUMNS,
        *DATETIME_COLUMNS,
        *FLOAT_COLUMNS,
        *TEXT_COLUMNS,
        "customer_type",
        "journey_stage",
        "language",
    }
)
_TRUE = frozenset({"true", "1", "1.0", "yes", "kyllä"})
_FALSE = frozenset({"false", "0", "0.0", "no", "ei"})


def is_score_column(name: str) -> bool:
    """``nps``, ``csat``, ``ces`` or an ``attr_*`` rating."""
    return name in SCORE_SCALES or name.startswith("attr_")


def _text(series: pd.Series) -> pd.Series:
    if is_numeric(series):
        return number_text(series, style="g").fillna("")
    return series.astype("str").str.strip().fillna("")


def matches(series: pd.Series, values: Sequence[Any]) -> np.ndarray:
    """Cells equal to any of ``values``: numbers by value, yes/no by meaning, text by text.

    Examples
    --------
    >>> matches(pd.Series(["-99", "3", "-99.0", "En osaa sanoa"]), [-99, "en osaa sanoa"])
    array([ True, False,  True,  True])
    """
    text = _text(series)
    lowered = text.str.casefold()
    hit = np.zeros(len(series), dtype=bool)
    numbers: pd.Series | None = None
    for value in values:
        if isinstance(value, bool):
            tokens = _TRUE if value else _FALSE
            hit |= lowered.isin(tokens).to_numpy(dtype=bool)
        elif isinstance(value, int | float):
            if numbers is None:
                numbers = pd.to_numeric(text.where(text.str.fullmatch(r"[+-]?\d+(\.\d*)?"), None))
            hit |= (numbers == value).fillna(False).to_numpy(dtype=bool)
        else:
            hit |= lowered.eq(str(value).strip().casefold()).fillna(False).to_numpy(dtype=bool)
    return hit


def _find(name: str, columns: Sequence[str], source: str, key: str) -> str:
    wanted = clean_name(name)
    if wanted in columns:
        return wanted
    near = closest(wanted, columns)
    if near:
        hint = f"; closest column names: {near}"
    elif len(columns) <= 12:
        hint = f"; columns found: {excerpts(columns)}"
    else:
        hint = f"; the file has {len(columns)} columns (`cxresearch inspect` lists them)"
    raise DataError(f"{source}: {key} names column {name!r}, which is not in the file{hint}")


def _constant(value: Any, path: Path, key: str, source: str) -> Any:
    if not isinstance(value, Mapping):
        return value
    for name in (path.name, path.stem):
        if name in value:
            return value[name]
    raise DataError(
        f"{source}: {key} gives a value per file but none for {path.name!r} "
        f"(files named: {sorted(map(str, value))})"
    )


def export_to_raw(
    export: Export,
    *,
    mapping: Mapping[str, str] | None = None,
    constants: Mapping[str, Any] | None = None,
    id: str | None = None,
    recode: Mapping[str, Mapping[Any, Any]] | None = None,
    missing: Sequence[Any] | Mapping[str, Sequence[Any]] | None = None,
    exclude: Mapping[str, Any] | None = None,
    scales: Mapping[str, Sequence[float]] | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """One export as a raw frame with schema names, and what each step counted.

    Returns
    -------
    frame : DataFrame
        Schema-named columns (plus every unmapped column of the export under its own
        name, for segments and filters); cells as read, not yet validated.
    record : dict
        ``steps`` (list of ``{"step", "reason", "rows"}``), ``missing`` (column → {code:
        cells}), ``ignored`` (notes on columns not taken), ``sources`` (schema column →
        export column).
    """
    source = export.source
    path = Path(source)
    data = export.data
    columns = [str(c) for c in data.columns]
    steps: list[dict[str, Any]] = [
        {"step": "file", "reason": path.name, "rows": export.rows_in_file}
    ]
    for reason, count in export.excluded.items():
        steps.append({"step": "excluded", "reason": reason, "rows": count})

    for column, values in (exclude or {}).items():
        found = _find(column, columns, source, f"data.exclude.{column}")
        wanted = values if isinstance(values, list | tuple) else [values]
        hit = matches(data[found], wanted)
        shown = ", ".join(str(v) for v in wanted)
        steps.append(
            {"step": "exclude_rule", "reason": f"{found} = {shown}", "rows": int(hit.sum())}
        )
        data = keep_rows(data, ~hit)

    mapping = {clean_name(k): str(v) for k, v in (mapping or {}).items()}
    sources: dict[str, str] = {}
    for key in mapping:
        _find(key, columns, source, f"data.mapping.{key}")
    ignored: list[str] = []
    drop = []
    for column in columns:
        if column in mapping:
            continue
        meaningful = column in SCHEMA_COLUMNS and column not in REQUIRED_COLUMNS
        if column == "weight" or (meaningful and export.format in TOOL_FORMATS):
            drop.append(column)
            ignored.append(
                f"column {column!r} is not used as the schema's {column!r} because data.mapping "
                f"does not name it (add {column}: {column} under data.mapping to use it)"
            )
    frame = data.drop(columns=drop)
    targets = list(mapping.values())
    repeated = sorted({t for t in targets if targets.count(t) > 1})
    if repeated:
        raise DataError(f"{source}: data.mapping maps several columns onto {repeated}")
    for key, target in mapping.items():
        if target in frame.columns and target not in mapping:
            raise DataError(
                f"{source}: data.mapping renames {key!r} to {target!r}, but the file already has "
                f"a column {target!r}"
            )
        sources[target] = key
    frame = frame.rename(columns=mapping)

    if id is not None:
        found = _find(id, columns, source, "data.id")
        frame["response_id"] = _text(data[found]).to_numpy()
        sources["response_id"] = found
    elif "response_id" not in frame.columns:
        rows = np.asarray(data.index, dtype=np.int64) + 1
        frame.insert(0, "response_id", [f"{path.stem}-{r}" for r in rows.tolist()])
    for column, value in (constants or {}).items():
        if column in frame.columns:
            raise DataError(
                f"{source}: data.constants.{column}: the data already has a column {column!r}; "
                "remove the constant or the mapping"
            )
        frame[column] = str(_constant(value, path, f"data.constants.{column}", source))

    counted: dict[str, dict[str, int]] = {}
    for column, cells in export.missing.items():
        target = next((t for t, s in sources.items() if s == column), column)
        if target in frame.columns:
            counted.setdefault(target, {})[SPSS_USER_MISSING] = cells
    if missing:
        if isinstance(missing, Mapping):
            per = {mapping.get(clean_name(k), clean_name(k)): list(v) for k, v in missing.items()}
            absent = [c for c in per if c not in frame.columns]
            if absent:
                raise DataError(f"{source}: data.missing names column(s) {absent}, not in the data")
        else:
            fixed = {"response_id", *(constants or {})}
            per = {
                str(c): list(missing)
                for c in frame.columns
                if (c in sources or c in SCHEMA_COLUMNS) and c not in fixed
            }
        for column, codes in per.items():
            series = frame[column]
            for code in codes:
                hit = matches(series, [code])
                if hit.any():
                    counted.setdefault(column, {})[str(code)] = int(hit.sum())
                    series = series.mask(hit)
            frame[column] = series

    declared = {str(k): tuple(float(x) for x in v) for k, v in (scales or {}).items()}
    for column, scale in SCORE_SCALES.items():
        if column in declared and declared[column] != tuple(map(float, scale)):
            _check_declared(frame, column, declared[column], scale, source, recode or {})
    for column, table in (recode or {}).items():
        if column not in frame.columns:
            raise DataError(
                f"{source}: data.recode.{column}: no column {column!r} in the data after mapping; "
                f"mapped columns: {sorted(sources)}"
            )
        frame[column] = _recode(
            frame[column], table, export.value_labels.get(sources.get(column, column), {})
        )

    for column in [str(c) for c in frame.columns if is_score_column(str(c))]:
        _check_negative(frame, column, sources.get(column, column), source, declared)
    record = {"steps": steps, "missing": counted, "ignored": ignored, "sources": sources}
    return frame, record


def _recode(
    series: pd.Series, table: Mapping[Any, Any], value_labels: Mapping[Any, str]
) -> pd.Series:
    out = series.astype(object).copy()
    done = np.zeros(len(series), dtype=bool)
    by_label: dict[str, list[Any]] = {}
    for code, label in value_labels.items():
        by_label.setdefault(str(label).strip().casefold(), []).append(code)
    for key, value in table.items():
        hit = matches(series, [key])
        if isinstance(key, str) and key.strip().casefold() in by_label:
            hit |= matches(series, by_label[key.strip().casefold()])
        hit &= ~done
        out[hit] = value
        done |= hit
    return out


def _numbers(series: pd.Series) -> pd.Series:
    """Plain decimals as floats (NaN for anything else), parsed a whole column at a time."""
    if series.dtype == np.float64:
        values = series.to_numpy(dtype=float)
        return pd.Series(np.where(np.isfinite(values), values, np.nan), index=series.index)
    if is_numeric(series):  # Parquet and SPSS numbers: no round trip through text
        values = series.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        return pd.Series(np.where(np.isfinite(values), values, np.nan), index=series.index)
    values, _ = plain_numbers(stripped(series))
    return pd.Series(values, index=series.index)


def _check_declared(
    frame: pd.DataFrame,
    column: str,
    declared: tuple[float, ...],
    scale: tuple[int, int],
    source: str,
    recode: Mapping[str, Any],
) -> None:
    """A score asked on another scale: answers inside it, and a recode onto the metric's."""
    if column not in recode:
        raise DataError(
            f"{source}: data.scales.{column} is {[f'{v:g}' for v in declared]} but {column} is "
            f"reported on {scale[0]}–{scale[1]}; add data.recode.{column} mapping each answer "
            f"onto {scale[0]}–{scale[1]} (see the README, 'Scores on another scale')"
        )
    if column not in frame.columns:
        return
    numbers = _numbers(frame[column])
    outside = numbers[(numbers < declared[0]) | (numbers > declared[1])]
    if len(outside):
        rows = [int(i) + 1 for i in outside.index[:5]]
        raise DataError(
            f"{source}: column {column!r}: {len(outside)} answer(s) outside the declared scale "
            f"{declared[0]:g}–{declared[1]:g} (file data rows {rows})"
        )


def _check_negative(
    frame: pd.DataFrame,
    column: str,
    origin: str,
    source: str,
    declared: Mapping[str, tuple[float, ...]],
) -> None:
    """Negative codes in a score column are refused with the ``missing:`` line to add."""
    low = declared.get(column, (0.0,))[0]
    if low < 0:
        return
    series = frame[column]
    if series.dtype == np.float64 and not (series.to_numpy() < 0).any():
        return  # numbers, none below zero (NaN compares false)
    if not is_numeric(series):
        chunks = text_chunks(series)
        if chunks is not None and not holds_byte(chunks, b"-"):
            return  # no minus sign anywhere in the column's text
        # Only cells starting with a minus sign can be negative: parse just those.
        signed = stripped(series).str.startswith("-").fillna(False).to_numpy(dtype=bool)
        if not signed.any():
            return
        series = series[signed]
    numbers = _numbers(series)
    negative = numbers[numbers < 0]
    if not len(negative):
        return
    ids = frame["response_id"] if "response_id" in frame.columns else None
    first = [
        f"row {int(i) + 1}" + (f" (response_id {ids.loc[i]!r})" if ids is not None else "")
        for i in negative.index[:3]
    ]
    codes = negative.value_counts().sort_index()
    shown = ", ".join(f"{v:g} ({n} row(s))" for v, n in codes.items())
    line = "missing: [" + ", ".join(f"{v:g}" for v in codes.index) + "]"
    raise DataError(
        f"{source}: column {column!r} (from {origin!r}) holds negative code(s) {shown}; "
        f"first: {', '.join(first)}. "
        "Survey tools write such codes for 'seen but not answered' or 'no basis to judge' "
        "(Qualtrics -99, -1); they are not scores. If they mean no answer, add this line "
        f"to the params' data block:\n  {line}"
    )
