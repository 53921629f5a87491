"""Reading the journey's side files (operational data, contacts, invitations, follow-up lists).

Every cell is read as text so that an id such as ``"007"`` keeps its zeros; the caller
converts the columns it uses and names the file, column and rows of anything that does not
convert. Files named in params lie inside the project folder (or the data root): ``load_params``
confines every field typed :data:`~cxresearch.paths.ProjectFile`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cxresearch.errors import DataError

if TYPE_CHECKING:
    from cxresearch.params import Params

__all__ = [
    "journey_inputs",
    "params_file",
    "read_params_table",
    "read_table",
    "to_numbers",
    "to_timestamps",
]

# Side files are plain tables: the readers' format per file type (no survey-tool detection).
_FORMATS = {
    ".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "excel", ".xlsm": "excel",
    ".parquet": "parquet", ".pq": "parquet",
}  # fmt: skip


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
    """A CSV, Excel or Parquet side file as text cells (blank → None), read as a plain table.

    Reading is :func:`cxresearch.data.readers.read_export`'s (encoding and delimiter
    detection, faithful text cells, repeated or unnamed columns refused), with the tool
    detection off: an operational or follow-up file is a plain table, never a survey export.

    Raises
    ------
    DataError
        Naming the file: missing, unreadable, empty, unsupported type, repeated column names.
    """
    from cxresearch.data.readers import read_export

    kind = _FORMATS.get(path.suffix.lower())
    if kind is None:
        supported = ", ".join(sorted(_FORMATS))
        suffix = path.suffix or "(none)"
        raise DataError(f"{path}: unsupported file type {suffix!r}; use {supported}")
    frame = read_export(path, format=kind).data.copy()
    frame.columns = pd.Index([str(c).strip() for c in frame.columns])
    for column in frame.columns:
        if pd.api.types.is_string_dtype(frame[column].dtype) or frame[column].dtype == object:
            text = frame[column].astype("str").str.strip()
            frame[column] = text.where(frame[column].notna() & text.ne(""), None)
    return frame


def read_params_table(params: Params, path: Path) -> pd.DataFrame:
    """:func:`read_table` of a side file named in ``params``, through the project's cache.

    The journey report's operational, invitations and status files are read and checked
    once per batch and hashed, not re-read, on a warm run, as the responses are
    (:func:`cxresearch.data.cache.load_table` in ``<project>/.cache/cxresearch``).
    """
    from cxresearch.data.cache import load_table
    from cxresearch.session import cache_folder

    return load_table(path, read_table, reader="journey.read_table", cache_dir=cache_folder(params))


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
