"""Read a survey export (CSV, Excel, Parquet) into a validated responses frame.

The loader reads every CSV and Excel cell as text and leaves all conversion to
:func:`~cxresearch.data.schema.validate_responses`, so that an id such as ``"007"`` keeps its
zeros and a score such as ``"ten"`` is reported instead of being coerced to a missing value.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Mapping
from os import PathLike
from pathlib import Path

import pandas as pd

from cxresearch.data.schema import FLOAT_COLUMNS, SCORE_SCALES, validate_responses
from cxresearch.errors import DataError, excerpts

__all__ = ["load_responses"]

_CSV = frozenset({".csv", ".txt", ".tsv"})
_EXCEL = frozenset({".xlsx", ".xlsm"})
_PARQUET = frozenset({".parquet", ".pq"})
_DECIMAL_COMMA = re.compile(r"\s*[+-]?\d+,\d+\s*")
_QUOTED = re.compile(r'"[^"]*"')


def _decode(data: bytes, path: Path) -> tuple[str, str]:
    # UTF-8 (with or without a byte-order mark) is what survey tools export today; Excel's
    # "CSV" on Finnish Windows is still Windows-1252. Latin-1 is not tried: it accepts any
    # bytes and would hide a wrong guess.
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise DataError(f"{path}: cannot read the file as UTF-8 or Windows-1252 (cp1252) text")


def _sniff_delimiter(text: str) -> str:
    """The delimiter used most often in the header line, outside quotes (comma by default).

    :class:`csv.Sniffer` is not used because comments full of commas in the data rows fool
    it; the header line of a survey export has no free text.
    """
    header = _QUOTED.sub("", text.split("\n", 1)[0])
    counts = {delimiter: header.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _read_csv(data: bytes, path: Path) -> pd.DataFrame:
    text, encoding = _decode(data, path)
    delimiter = _sniff_delimiter(text)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,  # "NA" in a comment is text; validation decides per column
            na_values=[],
            skip_blank_lines=True,
        )
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty") from None
    except (pd.errors.ParserError, ValueError) as error:
        raise DataError(f"{path}: cannot parse as CSV ({delimiter!r}-separated): {error}") from None
    frame.attrs.update({"encoding": encoding, "delimiter": delimiter})
    return frame


def _read_excel(data: bytes, path: Path, sheet: str | int | None) -> pd.DataFrame:
    try:
        sheets = pd.ExcelFile(io.BytesIO(data), engine="openpyxl")
    except Exception as error:  # openpyxl raises zipfile/XML errors of many kinds
        raise DataError(f"{path}: cannot read as an Excel workbook: {error}") from None
    names = list(sheets.sheet_names)
    chosen = 0 if sheet is None else sheet
    if isinstance(chosen, str) and chosen not in names:
        raise DataError(f"{path}: no sheet {chosen!r}; sheets found: {names}")
    if isinstance(chosen, int) and not 0 <= chosen < len(names):
        raise DataError(f"{path}: no sheet number {chosen}; the workbook has {len(names)}: {names}")
    frame = pd.read_excel(sheets, sheet_name=chosen, dtype=str)
    frame.attrs["sheet"] = names[chosen] if isinstance(chosen, int) else chosen
    return frame


def _read_parquet(data: bytes, path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(io.BytesIO(data))
    except Exception as error:  # pyarrow raises ArrowInvalid and OSError variants
        raise DataError(f"{path}: cannot read as Parquet: {error}") from None


def _rename(frame: pd.DataFrame, mapping: Mapping[str, str] | None, path: Path) -> pd.DataFrame:
    if not mapping:
        return frame
    if not isinstance(mapping, Mapping):
        raise TypeError(f"mapping must map source column names to canonical names, got {mapping!r}")
    columns = [str(c) for c in frame.columns]
    unknown = [key for key in mapping if key not in columns]
    if unknown:
        raise DataError(
            f"{path}: mapping names column(s) {unknown} that are not in the file; "
            f"columns found: {excerpts(columns)}"
        )
    for key, target in mapping.items():
        if target in columns and target not in mapping and target != key:
            raise DataError(
                f"{path}: mapping renames {key!r} to {target!r}, but the file already has a "
                f"column {target!r}"
            )
    return frame.rename(columns=dict(mapping))


def _decimal_commas(frame: pd.DataFrame) -> pd.DataFrame:
    """Turn "3,5" into "3.5" in numeric columns of a file that is not comma-separated."""
    numeric = [
        c
        for c in frame.columns
        if c in SCORE_SCALES or c in FLOAT_COLUMNS or str(c).startswith("attr_")
    ]
    out = frame.copy()
    for column in numeric:
        values = out[column].astype("str")
        is_decimal = values.str.fullmatch(_DECIMAL_COMMA.pattern).fillna(False).astype(bool)
        if is_decimal.any():
            out[column] = values.where(~is_decimal, values.str.replace(",", ".", regex=False))
    return out


def load_responses(
    path: str | PathLike[str],
    *,
    mapping: Mapping[str, str] | None = None,
    scales: Mapping[str, tuple[float, float]] | None = None,
    sheet: str | int | None = None,
) -> pd.DataFrame:
    """Load a survey export and validate it against the responses schema.

    Parameters
    ----------
    path : str or path-like
        A ``.csv`` (also ``.txt``/``.tsv``), ``.xlsx``/``.xlsm`` or ``.parquet`` file. CSV text
        may be UTF-8 (with or without a byte-order mark) or Windows-1252; the delimiter
        (comma, semicolon or tab) is taken from the header line, and in a semicolon- or
        tab-separated file numeric columns may use a decimal comma (``3,5``).
    mapping : mapping of str to str, optional
        Renames source columns to canonical names, e.g. ``{"Suositteluhalukkuus": "nps"}``.
    scales : mapping of str to (low, high), optional
        Answer scales of ``attr_*`` columns, passed to
        :func:`~cxresearch.data.schema.validate_responses`.
    sheet : str or int, optional
        Excel sheet name or 0-based position; the first sheet by default.

    Returns
    -------
    pandas.DataFrame
        The validated, typed frame. ``frame.attrs`` holds ``source`` (the path as given),
        ``source_sha256`` (hex digest of the file's bytes) and how it was read
        (``encoding``, ``delimiter``, ``decimal`` or ``sheet``).

    Raises
    ------
    DataError
        The file is missing or unreadable, its extension is not supported, a ``mapping`` key
        is not a column of the file, or the data break the schema (see
        :func:`~cxresearch.data.schema.validate_responses`).
    """
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix == ".xls":
        raise DataError(f"{file}: legacy .xls workbooks are not read; save it as .xlsx or .csv")
    if suffix not in _CSV | _EXCEL | _PARQUET:
        supported = ", ".join(sorted(_CSV | _EXCEL | _PARQUET))
        raise DataError(f"{file}: unsupported file type {suffix or '(none)'!r}; use {supported}")
    if sheet is not None and suffix not in _EXCEL:
        raise ValueError(f"sheet={sheet!r} applies to Excel files only, not {file}")
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{file}: file not found") from None
    except OSError as error:
        raise DataError(f"{file}: cannot read the file: {error.strerror or error}") from None

    if suffix in _CSV:
        raw = _read_csv(data, file)
    elif suffix in _EXCEL:
        raw = _read_excel(data, file, sheet)
    else:
        raw = _read_parquet(data, file)
    read_attrs = dict(raw.attrs)
    raw.columns = pd.Index([str(c).strip() for c in raw.columns])
    raw = _rename(raw, mapping, file)
    if read_attrs.get("delimiter", ",") != ",":
        raw = _decimal_commas(raw)
        read_attrs["decimal"] = ","
    frame = validate_responses(raw, source=str(file), scales=scales)
    frame.attrs = {
        **read_attrs,
        **frame.attrs,
        "source": str(file),
        "source_sha256": hashlib.sha256(data).hexdigest(),
    }
    return frame
