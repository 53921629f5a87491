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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cxresearch.data.arrow_text import (
    codes,
    decimal_numbers,
    fixed_datetimes,
    member_codes,
    text_chunks,
)
from cxresearch.data.cells import (
    blank_to_missing,
    is_numeric,
    number_text,
    plain_numbers,
    positions,
    stripped,
    value_at,
)
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
# The same tokens in a fixed order (true, false, missing) for the whole-column fast path.
_BOOL_ORDER = (*sorted(_TRUE_TOKENS), *sorted(_FALSE_TOKENS), *sorted(_MISSING_TOKENS))
# Finnish survey tools export day-first dates; ISO 8601 is tried first.
_DAY_FIRST_FORMATS = ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y")
_SHOW = 5  # offending rows listed per column
_DECIMAL_COMMA = re.compile(r"\s*[+-]?\d+,\d+\s*")


@dataclass
class _Found:
    """Rows of one column with one kind of problem; the message is made only for shown rows."""

    positions: np.ndarray
    message: Callable[[int], str]


@dataclass
class _Problems:
    """Problems found so far, grouped by column, in the order the columns were found.

    Rows are kept as position arrays and messages as functions of the position, so a
    column where every one of a million cells is wrong costs an array, not a million
    strings; only the first :data:`_SHOW` rows per column are put into words.
    """

    ids: pd.Series
    by_column: dict[str, list[_Found]] = field(default_factory=dict)

    def add(self, column: str, rows: np.ndarray, message: Callable[[int], str]) -> None:
        if len(rows):
            found = _Found(np.asarray(rows, dtype=np.int64), message)
            self.by_column.setdefault(column, []).append(found)

    def rows(self, column: str) -> np.ndarray:
        found = self.by_column.get(column, [])
        return np.concatenate([f.positions for f in found]) if found else np.empty(0, np.int64)

    def where(self, position: int) -> str:
        rid = self.ids.iloc[position] if position < len(self.ids) else None
        rid = "" if pd.isna(rid) else str(rid)
        return f"row {position + 1}" + (f" (response_id {rid!r})" if rid else "")

    def _first(self, found: list[_Found]) -> tuple[int, list[tuple[int, str]]]:
        rows = np.concatenate([f.positions for f in found])
        owner = np.concatenate([np.full(len(f.positions), i) for i, f in enumerate(found)])
        # File order; a row with two problems keeps the order they were found in.
        order = np.lexsort((owner, rows))[:_SHOW]
        return len(rows), [(int(rows[i]), found[owner[i]].message(int(rows[i]))) for i in order]

    def raise_if_any(self, source: str) -> None:
        if not self.by_column:
            return
        lines = [
            f"{source}: invalid responses in {len(self.by_column)} column(s) "
            "(rows count from 1 at the first row after the header)"
        ]
        for column, found in self.by_column.items():
            count, shown = self._first(found)
            lines.append(f"  column {column!r}: {count} problem(s)")
            lines.extend(f"    {self.where(pos)}: {msg}" for pos, msg in shown)
            if count > _SHOW:
                lines.append(f"    ... and {count - _SHOW} more")
        raise DataError("\n".join(lines))


def _text(series: pd.Series) -> pd.Series:
    """Stripped strings; empty cells become missing. Keeps the index.

    Text columns keep tokens such as ``"NA"`` literally (a comment may say "NA"); only empty
    cells and real missing values are missing. Numbers (SPSS and Parquet ids) become their
    text: 242, not "242.0".
    """
    if is_numeric(series):
        return number_text(series)
    return blank_to_missing(stripped(series))


def _tokens(series: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Stripped strings of a non-text column and the mask of cells that mean "missing"."""
    text = stripped(series)
    lowered = text.str.lower()
    missing = text.isna().to_numpy() | lowered.isin(_MISSING_TOKENS).to_numpy()
    return text, missing


def _number_hint(text: Any) -> str:
    if isinstance(text, str) and _DECIMAL_COMMA.fullmatch(text):
        return " (a decimal comma is read only from semicolon-separated files)"
    if isinstance(text, str) and re.fullmatch(r"[+-]?[\d.]+[eE][+-]?\d+", text):
        return " (exponent notation is not read as an answer)"
    return ""


def _decimal_cells(series: pd.Series) -> np.ndarray | None:
    chunks = text_chunks(series)
    return decimal_numbers(chunks) if chunks is not None else None


def _numbers(series: pd.Series, column: str, problems: _Problems) -> np.ndarray:
    """Float values (NaN = missing); unparseable or infinite cells are reported."""
    n = len(series)
    if pd.api.types.is_bool_dtype(series.dtype):
        problems.add(column, np.arange(n), lambda pos: "a yes/no value, not a number")
        return np.full(n, np.nan)
    if series.dtype == np.float64:  # Parquet's and SPSS's numbers: NaN is already missing
        out = series.to_numpy(dtype=float, copy=True)
        bad = np.isinf(out)
        shown = series
    elif pd.api.types.is_numeric_dtype(series.dtype):
        values = pd.to_numeric(series, errors="coerce").astype("Float64")
        out = np.array(values.to_numpy(dtype=float, na_value=np.nan))
        bad = np.isinf(out)
        shown = series
    elif (whole := _decimal_cells(series)) is not None:
        # Every cell "123" or "123.45" or blank: nothing to strip, no missing-value token,
        # no exponent possible, so the column needs no text steps.
        out, bad, shown = whole, np.isinf(whole), series
    else:
        # Plain decimals only: pandas would read "1e1" as 10 and "inf" as infinity, and a
        # score of "1e1" is a typo or a spreadsheet's doing, not an NPS of 10.
        text, missing = _tokens(series)
        out, plain = plain_numbers(text)
        out[missing] = np.nan
        bad = (~missing & ~plain) | np.isinf(out)
        shown = text

    def message(pos: int) -> str:
        value = value_at(shown, pos)
        return f"{value!r} is not a number{_number_hint(value)}"

    problems.add(column, positions(bad), message)
    out[bad] = np.nan
    return out


def _score(
    series: pd.Series, column: str, scale: tuple[float, float], problems: _Problems, *, whole: bool
) -> np.ndarray:
    """Numbers on a scale; values off the scale are reported (and blanked in the result)."""
    values = _numbers(series, column, problems)
    low, high = scale
    valid = ~np.isnan(values)
    fractional = valid & (values != np.floor(values)) if whole else np.zeros(len(values), bool)
    outside = valid & ~fractional & ((values < low) | (values > high))
    problems.add(
        column,
        positions(fractional),
        lambda pos: f"{value_at(series, pos)!r} is not a whole number",
    )
    problems.add(
        column,
        positions(outside),
        lambda pos: f"{value_at(series, pos)!r} is outside the scale {low:g}–{high:g}",
    )
    values[fractional | outside] = np.nan
    return values


def _check_weights(series: pd.Series, values: np.ndarray, problems: _Problems) -> None:
    # A weight is either given for every row or the column is left out (raking comes later).
    reported = np.zeros(len(values), dtype=bool)
    reported[problems.rows("weight")] = True
    blank = np.isnan(values) & ~reported
    negative = ~np.isnan(values) & ~(values > 0) & ~reported
    problems.add("weight", positions(blank), lambda pos: "blank; every row needs a weight")
    problems.add(
        "weight", positions(negative), lambda pos: f"{value_at(series, pos)!r} is not positive"
    )


def _bools(series: pd.Series, column: str, problems: _Problems) -> pd.Series:
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.astype("boolean")
    if series.dtype == object and pd.api.types.infer_dtype(series, skipna=True) == "boolean":
        # Parquet's nullable yes/no columns arrive as Python True/False/None objects.
        return series.astype("boolean")
    chunks = text_chunks(series)
    codes = member_codes(chunks, _BOOL_ORDER) if chunks is not None else None
    if codes is not None:  # every cell exactly one of the tokens: nothing to report
        is_true = (codes >= 0) & (codes < len(_TRUE_TOKENS))
        is_false = (codes >= len(_TRUE_TOKENS)) & (codes < len(_TRUE_TOKENS) + len(_FALSE_TOKENS))
        return _boolean(is_true, is_false, series.index)
    text, missing = _tokens(series)
    lowered = text.str.lower()
    is_true = lowered.isin(_TRUE_TOKENS).to_numpy(dtype=bool)
    is_false = lowered.isin(_FALSE_TOKENS).to_numpy(dtype=bool)
    problems.add(
        column,
        positions(~missing & ~is_true & ~is_false),
        lambda pos: (
            f"{value_at(text, pos)!r} is not a yes/no value (true/false, 1/0, yes/no, kyllä/ei)"
        ),
    )
    return _boolean(is_true, is_false, series.index)


def _boolean(is_true: np.ndarray, is_false: np.ndarray, index: pd.Index) -> pd.Series:
    values = pd.array(is_true, dtype="boolean")
    values[~(is_true | is_false)] = pd.NA
    return pd.Series(values, index=index)


# An ISO time followed by a UTC offset: the offset is dropped, keeping the wall-clock time.
_OFFSET = r"((?:T|\s)\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$"


def _iso(text: pd.Series) -> pd.Series:
    try:
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
    except (ValueError, TypeError):
        # Mixed UTC offsets make pandas give up on the whole column. The respondent's
        # wall-clock time is what is kept, so the offsets are dropped and parsing retried.
        local = text.str.replace(_OFFSET, r"\1", regex=True)
        try:
            parsed = pd.to_datetime(local, format="ISO8601", errors="coerce")
        except (ValueError, TypeError):
            parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
    if getattr(parsed.dt, "tz", None) is not None:
        # Keep the wall-clock time the respondent saw; zones are not expected in a survey.
        parsed = parsed.dt.tz_localize(None)
    return parsed


def _datetimes(series: pd.Series, column: str, problems: _Problems) -> pd.Series:
    chunks = text_chunks(series)
    stamps = fixed_datetimes(chunks) if chunks is not None else None
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        parsed = pd.Series(series, copy=True)
    elif stamps is not None:  # every cell "YYYY-MM-DD HH:MM[:SS]" and a real time, or blank
        parsed = pd.Series(stamps, index=series.index)
    else:
        text, missing = _tokens(series)
        kept = text.mask(missing, None)
        parsed = _iso(kept)
        failed = ~missing & parsed.isna().to_numpy()
        # Finnish survey tools write day-first dates: each format in turn, on what is left.
        for fmt in _DAY_FIRST_FORMATS:
            if not failed.any():
                break
            rows = positions(failed)
            again = pd.to_datetime(kept.iloc[rows], format=fmt, errors="coerce")
            found = again.notna().to_numpy()
            if found.any():
                if parsed.dt.unit != again.dt.unit:
                    again = again.dt.as_unit(parsed.dt.unit)
                parsed.iloc[rows[found]] = again[found].to_numpy()
                failed[rows[found]] = False
        problems.add(
            column,
            positions(failed),
            lambda pos: f"{value_at(text, pos)!r} is not a date (use ISO 2026-03-31 13:45)",
        )
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    return parsed


def _enum(
    series: pd.Series, column: str, allowed: tuple[str, ...], problems: _Problems, *, blank_ok: bool
) -> pd.Series:
    text = _text(series)
    chunks = text_chunks(text)
    codes = member_codes(chunks, allowed) if chunks is not None else None
    if codes is not None:  # every cell already one of the allowed values, or blank
        lowered, blank, unknown = text, codes < 0, np.zeros(len(codes), dtype=bool)
    else:
        lowered = text.str.lower()
        blank = lowered.isna().to_numpy()
        unknown = ~blank & ~lowered.isin(allowed).to_numpy(dtype=bool)
    choices = ", ".join(allowed)
    if not blank_ok:
        problems.add(column, positions(blank), lambda pos: f"blank; must be one of {choices}")
    problems.add(
        column,
        positions(unknown),
        lambda pos: f"{value_at(text, pos)!r} is not one of {choices}",
    )
    return lowered


def _duplicates(ids: pd.Series) -> tuple[np.ndarray, Callable[[int], str]] | None:
    """Rows of each repeated ``response_id`` after its first row, and their message."""
    chunks = text_chunks(ids)
    if chunks:
        repeated_codes = codes(chunks)
        if repeated_codes is None:  # every id differs from every other
            return None
        found = repeated_codes
    else:
        found, _ = pd.factorize(ids, use_na_sentinel=True)
    seen = found >= 0
    if not seen.any():
        return None
    first = np.full(int(found.max(initial=-1)) + 1, -1, dtype=np.int64)
    # Positions in reverse: the last write for each id is its first row.
    order = np.flatnonzero(seen)[::-1]
    first[found[order]] = order
    repeated = positions(seen & (first[np.where(seen, found, 0)] != np.arange(len(found))))
    return repeated, lambda pos: f"duplicate of row {first[found[pos]] + 1}"


def _release_arrow_memory() -> None:
    """Hand the memory Arrow freed (raw text columns) back to the system.

    Arrow's allocator keeps freed pages for reuse, but the typed columns that follow are
    numpy's: without this, the freed text would still count in the process's memory.
    """
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return
    pa.default_memory_pool().release_unused()


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
    return validate_handed([frame], source=source, scales=scales)


def validate_handed(
    handed: list[pd.DataFrame],
    *,
    source: str = "<frame>",
    scales: Mapping[str, tuple[float, float]] | None = None,
) -> pd.DataFrame:
    """:func:`validate_responses` of the one frame in ``handed``, which it empties.

    Each raw column is let go as soon as its typed column is made, so when the caller
    keeps no other reference to the frame (``load_responses``), a million-row export's
    text is not held beside the whole typed frame.
    """
    frame = handed.pop()
    columns = [str(c) for c in frame.columns]
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if duplicated:
        raise DataError(
            f"{source}: duplicate column name(s) {duplicated}; columns found: {excerpts(columns)}"
        )
    # Work on positions: a concatenated frame may repeat index labels, which would break
    # column assignment; the caller's index is restored at the end.
    index, attrs = frame.index, dict(frame.attrs)
    raw = frame.reset_index(drop=True)
    del frame
    raw.columns = pd.Index(columns)
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if missing:
        raise DataError(
            f"{source}: missing required column(s) {missing}; columns found: {excerpts(columns)}"
        )
    attr_scales = _check_scales(raw, scales, source)

    out = pd.DataFrame(index=raw.index)
    problems = _Problems(ids=_text(raw["response_id"]))
    for column in list(raw.columns):
        series = raw.pop(column)
        if column in REQUIRED_COLUMNS:
            out[column] = problems.ids if column == "response_id" else _text(series)
            problems.add(
                column,
                positions(out[column].isna().to_numpy()),
                lambda pos: "blank; every response needs one",
            )
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

        del series
        _release_arrow_memory()

    duplicates = _duplicates(problems.ids)
    if duplicates is not None:
        problems.add("response_id", *duplicates)
    problems.raise_if_any(source)

    out.index = index
    out.attrs = attrs
    if "customer_type" not in out.columns:
        out["customer_type"] = pd.Series(CUSTOMER_TYPES[0], index=out.index, dtype="str")
        out.attrs["defaults_filled"] = {"customer_type": CUSTOMER_TYPES[0]}
    return out
