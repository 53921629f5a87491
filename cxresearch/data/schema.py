"""The canonical responses schema and its validation.

One row per response. :func:`validate_responses` turns a raw frame (typically every cell a
string, as :func:`cxresearch.data.load_responses` reads CSV files) into typed columns, and
refuses bad input with one :class:`~cxresearch.errors.DataError` that lists, per column, the
first offending rows with their ``response_id`` and value. Nothing is dropped or coerced
silently.

Rules that are choices rather than facts (documented here and in ``data/demo/README.md``):

- Rows are numbered from 1 at the first row after the header, as a spreadsheet user counts
  data rows; "row 3" is the third answer in the file.
- Text cells are stripped of surrounding whitespace; an empty cell is missing (``NA``).
- In numeric, boolean and date columns the tokens ``NA``, ``N/A``, ``NaN``, ``null`` and
  ``None`` (any case) also mean missing, because R and SPSS exports write them.
- ``customer_type``: when the column is absent every row is ``"current"`` (recorded in
  ``frame.attrs["defaults_filled"]``); a *blank cell* in an existing column is an error,
  because guessing "current" for a row the survey tool left empty would hide the former and
  never customers whose views matter most.
- ``journey_stage`` and ``language`` may be blank (``language`` is detected from the comment
  later); other values must come from :data:`JOURNEY_STAGES` / :data:`LANGUAGES`, any case.
- Scores must be whole numbers on their scale (``"7.0"`` is accepted, ``"7.5"`` is not).
  ``attr_*`` columns are numeric (averaged indices may be fractional); with ``scales`` their
  range is checked.
- ``weight``, when present, must be given and positive on every row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cxresearch.errors import DataError, excerpts

__all__ = [
    "BOOL_COLUMNS",
    "CUSTOMER_TYPES",
    "DATETIME_COLUMNS",
    "JOURNEY_STAGES",
    "LANGUAGES",
    "REQUIRED_COLUMNS",
    "SCORE_SCALES",
    "validate_responses",
]

#: Fixed answer scales of the three experience metrics, inclusive.
SCORE_SCALES: dict[str, tuple[int, int]] = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
#: Allowed values of ``customer_type`` (the default when the column is absent comes first).
CUSTOMER_TYPES: tuple[str, ...] = ("current", "former", "never")
#: Allowed values of ``journey_stage``, in funnel order.
JOURNEY_STAGES: tuple[str, ...] = ("awareness", "consideration", "purchase", "usage", "renewal")
#: Allowed values of ``language``.
LANGUAGES: tuple[str, ...] = ("fi", "en")
REQUIRED_COLUMNS: tuple[str, ...] = ("response_id", "client", "wave")
BOOL_COLUMNS: tuple[str, ...] = ("retained", "repurchased", "contact_ok")
DATETIME_COLUMNS: tuple[str, ...] = ("submitted_at", "interaction_at")
FLOAT_COLUMNS: tuple[str, ...] = ("clv", "weight")
#: Text columns of the schema; any other non-numeric column is kept as a free segment string.
TEXT_COLUMNS: tuple[str, ...] = ("respondent_id", "touchpoint", "channel", "comment")

_ENUMS: dict[str, tuple[str, ...]] = {
    "customer_type": CUSTOMER_TYPES,
    "journey_stage": JOURNEY_STAGES,
    "language": LANGUAGES,
}
_MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none"})
_TRUE_TOKENS = frozenset({"true", "1", "1.0", "yes", "kyllä"})
_FALSE_TOKENS = frozenset({"false", "0", "0.0", "no", "ei"})
# Finnish survey tools export day-first dates; ISO 8601 is tried first.
_DAY_FIRST_FORMATS = ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y")
_SHOW = 5  # offending rows listed per column
_DECIMAL_COMMA = re.compile(r"\s*[+-]?\d+,\d+\s*")
_PLAIN_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"


@dataclass
class _Problems:
    """Problems found so far, grouped by column, in the order they were found."""

    ids: list[str]
    by_column: dict[str, list[tuple[int, str]]] = field(default_factory=dict)

    def add(self, column: str, position: int, message: str) -> None:
        self.by_column.setdefault(column, []).append((position, message))

    def where(self, position: int) -> str:
        rid = self.ids[position] if position < len(self.ids) else ""
        return f"row {position + 1}" + (f" (response_id {rid!r})" if rid else "")

    def raise_if_any(self, source: str) -> None:
        if not self.by_column:
            return
        lines = [
            f"{source}: invalid responses in {len(self.by_column)} column(s) "
            "(rows count from 1 at the first row after the header)"
        ]
        for column, items in self.by_column.items():
            lines.append(f"  column {column!r}: {len(items)} problem(s)")
            lines.extend(f"    {self.where(pos)}: {msg}" for pos, msg in items[:_SHOW])
            if len(items) > _SHOW:
                lines.append(f"    ... and {len(items) - _SHOW} more")
        raise DataError("\n".join(lines))


def _text(series: pd.Series) -> pd.Series:
    """Stripped strings; empty cells become missing. Keeps the index.

    Text columns keep tokens such as ``"NA"`` literally (a comment may say "NA"); only empty
    cells and real missing values are missing.
    """
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series):
        # SPSS and Parquet ids are numbers: 242, not "242.0".
        values = series.astype("Float64")
        whole = bool(((values % 1 == 0) | values.isna()).all())
        text = values.map(lambda v: None if pd.isna(v) else (f"{v:.0f}" if whole else f"{v!r}"))
        return text.astype("str")
    text = series.astype("str").str.strip()
    return text.mask(text.eq("").fillna(False), None).astype("str")


def _tokens(series: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Stripped strings of a non-text column and the mask of cells that mean "missing"."""
    text = series.astype("str").str.strip()
    missing = text.isna().to_numpy() | text.str.lower().isin(_MISSING_TOKENS).to_numpy()
    return text, missing


def _numbers(series: pd.Series, column: str, problems: _Problems) -> np.ndarray:
    """Float values (NaN = missing); unparseable or infinite cells are reported."""
    if pd.api.types.is_bool_dtype(series.dtype):
        for pos in range(len(series)):
            problems.add(column, pos, "a yes/no value, not a number")
        return np.full(len(series), np.nan)
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = pd.to_numeric(series, errors="coerce").astype("Float64")
        out = np.array(values.to_numpy(dtype=float, na_value=np.nan))
        bad = np.isinf(out)
        raw = series.tolist()
    else:
        text, missing = _tokens(series)
        # Plain decimals only: pandas would read "1e1" as 10 and "inf" as infinity, and a
        # score of "1e1" is a typo or a spreadsheet's doing, not an NPS of 10.
        plain = text.str.fullmatch(_PLAIN_NUMBER).fillna(False).to_numpy(dtype=bool)
        parsed = pd.to_numeric(text.mask(missing | ~plain, None), errors="coerce")
        out = np.array(parsed, dtype=float)
        bad = (~missing & np.isnan(out)) | np.isinf(out)
        raw = text.tolist()
    for pos in np.flatnonzero(bad).tolist():
        hint = ""
        if isinstance(raw[pos], str) and _DECIMAL_COMMA.fullmatch(raw[pos]):
            hint = " (a decimal comma is read only from semicolon-separated files)"
        elif isinstance(raw[pos], str) and re.fullmatch(r"[+-]?[\d.]+[eE][+-]?\d+", raw[pos]):
            hint = " (exponent notation is not read as an answer)"
        problems.add(column, pos, f"{raw[pos]!r} is not a number{hint}")
    out[bad] = np.nan
    return out


def _score(
    series: pd.Series, column: str, scale: tuple[float, float], problems: _Problems, *, whole: bool
) -> np.ndarray:
    """Numbers on a scale; values off the scale are reported (and blanked in the result)."""
    before = len(problems.by_column.get(column, []))
    values = _numbers(series, column, problems)
    low, high = scale
    raw = series.tolist()
    valid = ~np.isnan(values)
    fractional = valid & (values != np.floor(values)) if whole else np.zeros(len(values), bool)
    outside = valid & ~fractional & ((values < low) | (values > high))
    for pos in np.flatnonzero(fractional).tolist():
        problems.add(column, pos, f"{raw[pos]!r} is not a whole number")
    for pos in np.flatnonzero(outside).tolist():
        problems.add(column, pos, f"{raw[pos]!r} is outside the scale {low:g}–{high:g}")
    if len(problems.by_column.get(column, [])) > before:
        # Keep problem rows in file order even though they were found in separate passes.
        problems.by_column[column].sort(key=lambda item: item[0])
    values[fractional | outside] = np.nan
    return values


def _check_weights(series: pd.Series, values: np.ndarray, problems: _Problems) -> None:
    # A weight is either given for every row or the column is left out (raking comes later).
    reported = {pos for pos, _ in problems.by_column.get("weight", [])}
    raw = series.tolist()
    for pos in np.flatnonzero(~(values > 0)).tolist():
        if pos in reported:
            continue
        reason = "blank; every row needs a weight" if np.isnan(values[pos]) else "is not positive"
        problems.add("weight", pos, reason if np.isnan(values[pos]) else f"{raw[pos]!r} {reason}")
    problems.by_column.get("weight", []).sort(key=lambda item: item[0])


def _bools(series: pd.Series, column: str, problems: _Problems) -> pd.Series:
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.astype("boolean")
    text, missing = _tokens(series)
    lowered = text.str.lower()
    is_true = lowered.isin(_TRUE_TOKENS).to_numpy()
    is_false = lowered.isin(_FALSE_TOKENS).to_numpy()
    raw = text.tolist()
    for pos in np.flatnonzero(~missing & ~is_true & ~is_false).tolist():
        problems.add(
            column,
            pos,
            f"{raw[pos]!r} is not a yes/no value (true/false, 1/0, yes/no, kyllä/ei)",
        )
    values = pd.array(is_true, dtype="boolean")
    values[~(is_true | is_false)] = pd.NA
    return pd.Series(values, index=series.index)


def _datetimes(series: pd.Series, column: str, problems: _Problems) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        parsed = pd.Series(series, copy=True)
    else:
        text, missing = _tokens(series)
        kept = text.mask(missing, None)
        try:
            parsed = pd.to_datetime(kept, format="ISO8601", errors="coerce")
        except (ValueError, TypeError):
            # Mixed UTC offsets make the vectorised parser give up; go cell by cell.
            parsed = pd.Series(pd.NaT, index=series.index, dtype="datetime64[us]")
        if getattr(parsed.dt, "tz", None) is not None:
            # Keep the wall-clock time the respondent saw; zones are not expected in a survey.
            parsed = parsed.dt.tz_localize(None)
        failed = np.flatnonzero(~missing & parsed.isna().to_numpy())
        raw = text.tolist()
        for pos in failed.tolist():
            stamp = _parse_datetime(raw[pos])
            if stamp is pd.NaT:
                problems.add(column, pos, f"{raw[pos]!r} is not a date (use ISO 2026-03-31 13:45)")
            else:
                parsed.iloc[pos] = stamp
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    return parsed


def _parse_datetime(text: str) -> Any:
    for fmt in ("ISO8601", *_DAY_FIRST_FORMATS):
        try:
            stamp = pd.Timestamp(pd.to_datetime(text, format=fmt))
        except (ValueError, TypeError):
            continue
        return stamp.tz_localize(None) if stamp.tzinfo is not None else stamp
    return pd.NaT


def _enum(
    series: pd.Series, column: str, allowed: tuple[str, ...], problems: _Problems, *, blank_ok: bool
) -> pd.Series:
    text = _text(series)
    lowered = text.str.lower()
    for pos, (raw, value) in enumerate(zip(text.tolist(), lowered.tolist(), strict=True)):
        if pd.isna(value):
            if not blank_ok:
                problems.add(column, pos, f"blank; must be one of {', '.join(allowed)}")
        elif value not in allowed:
            problems.add(column, pos, f"{raw!r} is not one of {', '.join(allowed)}")
    return lowered


def _check_scales(
    frame: pd.DataFrame, scales: Mapping[str, Any] | None, source: str
) -> dict[str, tuple[float, float]]:
    if scales is None:
        return {}
    if not isinstance(scales, Mapping):
        raise TypeError(
            f"scales must map attr_* columns to (low, high), got {type(scales).__name__}"
        )
    checked: dict[str, tuple[float, float]] = {}
    for column, scale in scales.items():
        if not str(column).startswith("attr_"):
            raise ValueError(
                f"scales: {column!r} is not an attr_* column; fixed scores use SCORE_SCALES"
            )
        if column not in frame.columns:
            raise DataError(
                f"{source}: scales names column {column!r}, which is not in the data; "
                f"attr_* columns found: {[c for c in frame.columns if str(c).startswith('attr_')]}"
            )
        try:
            low, high = (float(v) for v in scale)
        except (TypeError, ValueError):
            raise ValueError(f"scales[{column!r}] must be (low, high), got {scale!r}") from None
        if not low < high:
            raise ValueError(f"scales[{column!r}] must have low < high, got {scale!r}")
        checked[str(column)] = (low, high)
    return checked


def validate_responses(
    frame: pd.DataFrame,
    *,
    source: str = "<frame>",
    scales: Mapping[str, tuple[float, float]] | None = None,
) -> pd.DataFrame:
    """Check a responses frame against the canonical schema and return it typed.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per response, canonical column names (rename with ``mapping`` in
        :func:`~cxresearch.data.load_responses` first). Cells may be strings.
    source : str, optional
        Name of the file (or other origin) used in error messages.
    scales : mapping of str to (low, high), optional
        Answer scale of ``attr_*`` columns, e.g. ``{"attr_ease": (1, 5)}``; values outside are
        errors. Without it ``attr_*`` columns are only checked to be numeric.

    Returns
    -------
    pandas.DataFrame
        A new frame with the same rows, index and column order: ids, categories and free
        text as ``str``; ``nps``, ``csat``, ``ces`` as nullable ``Int64``; ``attr_*``,
        ``clv``, ``weight`` as ``float64``; ``retained``, ``repurchased``, ``contact_ok`` as
        nullable ``boolean``; ``submitted_at``, ``interaction_at`` as ``datetime64``.
        ``customer_type`` is added as ``"current"`` when absent.

    Raises
    ------
    DataError
        Naming ``source``, each failing column, and the first five offending rows (row number,
        ``response_id``, value): missing required column, blank or duplicate
        ``response_id``, score out of range or not a whole number, non-numeric values,
        unknown category, unparseable yes/no value or date, weight missing or not positive.

    References
    ----------
    The schema is the one in the project's ``DESIGN.md`` ("Canonical responses schema").
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    columns = [str(c) for c in frame.columns]
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if duplicated:
        raise DataError(
            f"{source}: duplicate column name(s) {duplicated}; columns found: {excerpts(columns)}"
        )
    # Work on positions: a concatenated frame may repeat index labels, which would break
    # column assignment; the caller's index is restored at the end.
    raw = frame.reset_index(drop=True)
    raw.columns = pd.Index(columns)
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if missing:
        raise DataError(
            f"{source}: missing required column(s) {missing}; columns found: {excerpts(columns)}"
        )
    attr_scales = _check_scales(raw, scales, source)

    out = pd.DataFrame(index=raw.index)
    ids = _text(raw["response_id"])
    problems = _Problems(ids=[("" if pd.isna(v) else str(v)) for v in ids.tolist()])
    for column in raw.columns:
        series = raw[column]
        if column in REQUIRED_COLUMNS:
            out[column] = _text(series)
            for pos in np.flatnonzero(out[column].isna().to_numpy()).tolist():
                problems.add(column, pos, "blank; every response needs one")
        elif column in SCORE_SCALES:
            values = _score(series, column, SCORE_SCALES[column], problems, whole=True)
            out[column] = pd.Series(values, index=raw.index).astype("Int64")
        elif column.startswith("attr_"):
            scale = attr_scales.get(column, (-np.inf, np.inf))
            out[column] = _score(series, column, scale, problems, whole=False)
        elif column in FLOAT_COLUMNS:
            values = _numbers(series, column, problems)
            if column == "weight":
                _check_weights(series, values, problems)
            out[column] = values
        elif column in BOOL_COLUMNS:
            out[column] = _bools(series, column, problems)
        elif column in DATETIME_COLUMNS:
            out[column] = _datetimes(series, column, problems)
        elif column in _ENUMS:
            blank_ok = column != "customer_type"
            out[column] = _enum(series, column, _ENUMS[column], problems, blank_ok=blank_ok)
        elif column in TEXT_COLUMNS or not pd.api.types.is_numeric_dtype(series.dtype):
            # Free text and segment columns (region, size, ...) declared later in params.
            out[column] = _text(series)
        else:
            out[column] = series.copy()

    seen: dict[str, int] = {}
    for pos, rid in enumerate(problems.ids):
        if not rid:
            continue
        if rid in seen:
            problems.add("response_id", pos, f"duplicate of row {seen[rid] + 1}")
        else:
            seen[rid] = pos
    if "response_id" in problems.by_column:
        problems.by_column["response_id"].sort(key=lambda item: item[0])
    problems.raise_if_any(source)

    out.index = frame.index
    out.attrs = dict(frame.attrs)
    if "customer_type" not in out.columns:
        out["customer_type"] = pd.Series(CUSTOMER_TYPES[0], index=out.index, dtype="str")
        out.attrs["defaults_filled"] = {"customer_type": CUSTOMER_TYPES[0]}
    return out
