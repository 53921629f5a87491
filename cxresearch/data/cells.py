"""Whole-column cell parsing for validation and the params ``data:`` steps.

Every function here works on a whole column at once (Arrow compute or numpy), never with a
Python function per cell: a million-row export is parsed in about the time Arrow takes to
read it. Problems come back as *positions* (numpy arrays); the messages that quote a cell
look up only the few cells they show (:func:`value_at`).

Text columns read from CSV, Excel and Parquet are pandas' Arrow-backed ``str``; other
columns (numbers from Parquet or SPSS, an in-memory frame of Python objects) are converted
with pandas' own vectorised conversions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cxresearch.data.arrow_text import (
    blank_cells,
    decimal_numbers,
    maybe_padded,
    text_chunks,
    with_blanks_missing,
)

__all__ = [
    "PLAIN_NUMBER",
    "blank_to_missing",
    "is_numeric",
    "number_text",
    "plain_numbers",
    "positions",
    "stripped",
    "value_at",
]

#: Decimals as people write them: no exponent, no ``inf``/``nan`` (RE2 and Python syntax).
PLAIN_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
# Floats beyond this are printed by numpy rather than through int64 (no overflow).
_INT64_SAFE = 2.0**62


def is_numeric(series: pd.Series) -> bool:
    """Numbers (not yes/no): their text is made by :func:`number_text`."""
    dtype = series.dtype
    return bool(pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype))


def positions(mask: Any) -> np.ndarray:
    """Positions (0-based, int64) where ``mask`` is true; missing counts as false."""
    return np.flatnonzero(np.asarray(mask, dtype=bool))


def value_at(series: pd.Series, position: int) -> Any:
    """The cell at ``position`` as a plain Python value (``10.5``, not ``np.float64(10.5)``)."""
    value = series.iloc[int(position)]
    return value.item() if isinstance(value, np.generic) else value


def stripped(series: pd.Series) -> pd.Series:
    """Text with surrounding whitespace removed (``str`` dtype, missing stays missing).

    The column is returned as it is (no copy) when no cell has whitespace to remove.
    """
    text = series if series.dtype == "str" else series.astype("str")
    chunks = text_chunks(text)
    if chunks is not None and not maybe_padded(chunks):
        return text
    trimmed = text.str.strip()
    # Stripping only removes characters: equal byte counts mean nothing was removed.
    if _utf8_bytes(trimmed) == _utf8_bytes(text):
        return text
    return trimmed


def _arrow(text: pd.Series) -> Any:
    """The Arrow array behind an Arrow-backed ``str`` column (no copy), else None."""
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return None
    array = text.array
    return pa.array(array) if hasattr(array, "__arrow_array__") else None


def _utf8_bytes(text: pd.Series) -> int:
    arrow = _arrow(text)
    if arrow is None:
        return int(text.str.len().sum())
    import pyarrow.compute as pc

    return int(pc.sum(pc.binary_length(arrow)).as_py() or 0)


def blank_to_missing(text: pd.Series) -> pd.Series:
    """Empty strings become missing (``str`` dtype in, ``str`` dtype out)."""
    chunks = text_chunks(text)
    if chunks is not None:
        blank = blank_cells(chunks)
        if int(blank.sum()) == int(text.isna().sum()):
            return text
        return with_blanks_missing(text, chunks, blank)
    empty = text.eq("").fillna(False).to_numpy(dtype=bool)
    return text.mask(empty, None) if empty.any() else text


def number_text(series: pd.Series, *, style: str = "repr") -> pd.Series:
    """Numbers as text, missing as missing: whole numbers without ``.0``.

    ``style="repr"``: when every value is whole, ``242`` (ids from SPSS or Parquet are
    numbers: 242, not "242.0"); otherwise each value as Python's ``repr`` writes it.
    ``style="g"``: each value as ``format(v, "g")`` (answers compared as text).
    A negative zero is written ``0``.

    Examples
    --------
    >>> number_text(pd.Series([242.0, None, 7.0])).tolist()
    ['242', nan, '7']
    >>> number_text(pd.Series([2.5, 3.0])).tolist()
    ['2.5', '3.0']
    """
    values = series.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    valid = ~np.isnan(values)
    whole = valid & (np.mod(values, 1, where=valid, out=np.zeros_like(values)) == 0)
    out = np.full(len(values), None, dtype=object)
    if style == "g":
        small = whole & (np.abs(values) < 1e6)  # %g switches to exponents at 1e6
        out[small] = values[small].astype(np.int64).astype(str)
        rest = valid & ~small
        if rest.any():
            out[rest] = np.char.mod("%g", values[rest])
    elif bool(whole[valid].all()):
        exact = whole & (np.abs(values) < _INT64_SAFE)
        out[exact] = values[exact].astype(np.int64).astype(str)
        huge = valid & ~exact
        if huge.any():
            out[huge] = np.char.mod("%.0f", values[huge])
    else:
        # numpy prints float64 with the shortest repr that round-trips, as Python does.
        out[valid] = values[valid].astype(str)
    return pd.Series(out, index=series.index, dtype="str")


def _digits(text: pd.Series) -> np.ndarray:
    """Cells made of decimal digits 0-9 only (a cheap test that needs no regex)."""
    arrow = _arrow(text)
    if arrow is not None:
        import pyarrow.compute as pc

        ascii_digits = pc.and_(pc.utf8_is_digit(arrow), pc.string_is_ascii(arrow))
        return np.asarray(pc.fill_null(ascii_digits, False), dtype=bool)
    return text.str.fullmatch(r"\d+").fillna(False).to_numpy(dtype=bool)


def plain_numbers(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Stripped text parsed as plain decimals: ``(values, parsed)``.

    ``values`` holds the numbers (NaN where a cell is missing or not a plain decimal);
    ``parsed`` marks the cells that are plain decimals. Exponents (``1e1``), ``inf`` and
    ``nan`` are not plain decimals.
    """
    chunks = text_chunks(text)
    simple = decimal_numbers(chunks) if chunks is not None else None
    if simple is not None:  # every cell "123", "123.45" or blank
        return simple, ~np.isnan(simple)
    plain = _digits(text)
    blank = text.isna().to_numpy(dtype=bool) | text.eq("").fillna(False).to_numpy(dtype=bool)
    if not (plain | blank).all():  # more than whole numbers and blanks: the full pattern
        plain = text.str.fullmatch(PLAIN_NUMBER).fillna(False).to_numpy(dtype=bool)
    values = np.full(len(text), np.nan)
    if plain.any():
        kept = text[plain]
        try:
            import pyarrow as pa
            import pyarrow.compute as pc

            arrow = pa.array(kept.array) if kept.dtype == "str" else None
            parsed = pc.cast(arrow, pa.float64()) if arrow is not None else None
        except (ImportError, ValueError, TypeError):  # pyarrow refuses: pandas parses
            parsed = None
        if parsed is not None:
            values[plain] = parsed.to_numpy()
        else:
            values[plain] = pd.to_numeric(kept, errors="coerce").to_numpy(dtype=float)
        # A cell the pattern accepts but no parser reads (digits of another script) is not
        # a plain decimal: it is reported, never turned into a silent blank.
        plain = plain & ~np.isnan(values)
    return values, plain
