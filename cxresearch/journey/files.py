"""Reading the journey's side files (operational data, contacts, invitations, follow-up lists).

Every cell is read as text so that an id such as ``"007"`` keeps its zeros; the caller
converts the columns it uses and names the file, column and rows of anything that does not
convert. Files named in params lie inside the project folder (or the data root): ``load_params``
confines every field typed :data:`~cxresearch.paths.ProjectFile`.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cxresearch.errors import DataError

if TYPE_CHECKING:
    from cxresearch.params import Params

__all__ = ["journey_inputs", "params_file", "read_table", "to_numbers", "to_timestamps"]

_CSV = frozenset({".csv", ".txt"})
_EXCEL = frozenset({".xlsx", ".xlsm"})
_PARQUET = frozenset({".parquet", ".pq"})


def params_file(params: Params, written: str) -> Path:
    """A file named in params, resolved as ``data.path`` is (from the project root).

    ``load_params`` has already confined every such path (fields typed
    :data:`~cxresearch.paths.ProjectFile`) to the project folder or the data root.
    """
    from cxresearch.params import resolve_data_path

    return resolve_data_path(params.path, written)


def journey_inputs(params: Params) -> dict[str, Path]:
    """Files the journey report reads besides the data, by the params key naming them.

    The operational and invitation files must exist (``cxresearch validate`` says so); the
    follow-up status file is listed only once an import has written it.
    """
    spec = params.journey
    if spec is None:
        return {}
    found = {key: params_file(params, written) for key, written in spec.files().items()}
    if spec.loop is not None:
        folder = params_file(params, spec.loop.folder_for(params.client))
        if (folder / "status.csv").is_file():
            found["journey.loop.folder"] = folder / "status.csv"
    return found


def read_table(path: Path) -> pd.DataFrame:
    """A CSV (UTF-8 or Windows-1252, comma or semicolon), Excel or Parquet file as text cells.

    Raises
    ------
    DataError
        Naming the file: missing, unreadable, empty, unsupported type, repeated column names.
    """
    suffix = path.suffix.lower()
    if suffix not in _CSV | _EXCEL | _PARQUET:
        supported = ", ".join(sorted(_CSV | _EXCEL | _PARQUET))
        raise DataError(f"{path}: unsupported file type {suffix or '(none)'!r}; use {supported}")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except OSError as error:
        raise DataError(f"{path}: cannot read the file: {error.strerror or error}") from None
    try:
        if suffix in _CSV:
            frame = _read_csv(data, path)
        elif suffix in _EXCEL:
            frame = pd.read_excel(io.BytesIO(data), dtype=str, engine="openpyxl")
        else:
            frame = pd.read_parquet(io.BytesIO(data))
    except DataError:
        raise
    except Exception as error:  # parsers raise many kinds; the message names the file
        raise DataError(f"{path}: cannot read the file: {type(error).__name__}: {error}") from None
    names = [str(c).strip() for c in frame.columns]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise DataError(f"{path}: repeated column name(s) {repeated}")
    frame.columns = pd.Index(names)
    for column in frame.columns:
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column].dtype):
            text = frame[column].astype("str").str.strip()
            frame[column] = text.where(frame[column].notna() & text.ne(""), None)
    return frame


def _read_csv(data: bytes, path: Path) -> pd.DataFrame:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise DataError(f"{path}: cannot read the file as UTF-8 or Windows-1252 text")
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    try:
        return pd.read_csv(
            io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False, na_values=[]
        )
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty") from None


def _rows(mask: pd.Series, ids: pd.Series | None) -> str:
    where = mask[mask].index[:5]
    if ids is None:
        return ", ".join(f"row {int(i) + 1}" for i in where)
    return ", ".join(f"row {int(i) + 1} ({ids.loc[i]!r})" for i in where)


def to_numbers(
    frame: pd.DataFrame, column: str, source: Path, *, ids: pd.Series | None = None
) -> pd.Series:
    """A text column as float (blank → NaN); DataError naming file, column and rows otherwise.

    ``true``/``false`` (and ``yes``/``no``, ``kyllä``/``ei``) read as 1/0, so a yes/no
    column can be a share metric. A decimal comma (``3,5``) is accepted.
    """
    raw = frame[column]
    if pd.api.types.is_numeric_dtype(raw.dtype) or pd.api.types.is_bool_dtype(raw.dtype):
        return raw.astype("float64")
    if raw.isna().all():
        return pd.Series(np.nan, index=raw.index, dtype="float64")
    text = raw.astype("string").str.strip().str.lower()
    words = {"true": "1", "false": "0", "yes": "1", "no": "0", "kyllä": "1", "ei": "0"}
    text = text.replace(words).str.replace(r"^([+-]?\d+),(\d+)$", r"\1.\2", regex=True)
    numbers = pd.to_numeric(text, errors="coerce")
    bad = numbers.isna() & raw.notna()
    if bad.any():
        raise DataError(
            f"{source}: column {column!r} must hold numbers; {int(bad.sum())} row(s) do not: "
            f"{_rows(bad, ids)} (rows count from 1 after the header)"
        )
    return numbers.astype("float64")


def to_timestamps(
    frame: pd.DataFrame, column: str, source: Path, *, ids: pd.Series | None = None
) -> pd.Series:
    """A text column as datetimes (ISO 8601 or ``d.m.yyyy [HH:MM]``); DataError otherwise."""
    raw = frame[column]
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        return raw
    text = raw.astype("str").str.strip().where(raw.notna(), None)
    parsed = pd.to_datetime(text, errors="coerce", format="ISO8601")
    for fmt in ("%d.%m.%Y %H:%M", "%d.%m.%Y"):
        retry = parsed.isna() & text.notna()
        if retry.any():
            parsed = parsed.where(~retry, pd.to_datetime(text, errors="coerce", format=fmt))
    bad = parsed.isna() & text.notna()
    if bad.any():
        raise DataError(
            f"{source}: column {column!r} must hold dates (YYYY-MM-DD HH:MM or d.m.yyyy); "
            f"{int(bad.sum())} row(s) do not: {_rows(bad, ids)}"
        )
    return parsed
