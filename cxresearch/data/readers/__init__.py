"""Survey-tool exports read as the tool wrote them: :func:`read_export` → :class:`Export`.

One module per tool: :mod:`.qualtrics`, :mod:`.surveymonkey`, :mod:`.google_forms`,
:mod:`.spss`; :mod:`.text` reads delimited text faithfully or refuses it; :mod:`.common`
holds the steps every reader shares. Mapping an export onto the responses schema is the
job of :mod:`cxresearch.data.prepare`; :func:`~cxresearch.data.schema.validate_responses`
stays the one gate into the schema.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Collection
from os import PathLike
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from cxresearch.data.readers import google_forms as gf
from cxresearch.data.readers import qualtrics as qx
from cxresearch.data.readers import surveymonkey as sm
from cxresearch.data.readers.common import (
    TEXT_DTYPE,
    clean_name,
    count_blank_rows,
    drop_unnamed_empty,
    refuse_duplicates,
    split_header,
)
from cxresearch.data.readers.export import FORMATS, Export
from cxresearch.errors import DataError

__all__ = ["FORMATS", "TEXT_SUFFIXES", "Export", "read_export"]

T = TypeVar("T")
#: File suffixes read as delimited text.
TEXT_SUFFIXES = frozenset({".csv", ".txt", ".tsv"})
_TEXT = TEXT_SUFFIXES
_EXCEL = frozenset({".xlsx", ".xlsm"})
_SPSS = frozenset({".sav", ".zsav", ".por"})
_PARQUET = frozenset({".parquet", ".pq"})
_KEEPABLE = frozenset({"preview", "test", "spam", "unfinished"})


def _detect(first: list[list[str]]) -> str:
    if qx.is_qualtrics(first):
        return "qualtrics"
    if qx.is_legacy(first):
        return "qualtrics-legacy"
    if sm.is_surveymonkey(first):
        return "surveymonkey"
    if gf.is_google_forms(first):
        return "google-forms"
    return "plain"


def _excel_records(data: bytes, path: Path, sheet: str | int | None) -> tuple[pd.DataFrame, str]:
    try:
        book = pd.ExcelFile(io.BytesIO(data), engine="openpyxl")
    except Exception as error:  # openpyxl raises zipfile/XML errors of many kinds
        raise DataError(
            f"{path}: cannot read as an Excel workbook: {type(error).__name__}"
        ) from None
    names = [str(n) for n in book.sheet_names]
    chosen: str | int = 0 if sheet is None else sheet
    if isinstance(chosen, str) and chosen not in names:
        raise DataError(f"{path}: no sheet {chosen!r}; sheets found: {names}")
    if isinstance(chosen, int) and not 0 <= chosen < len(names):
        raise DataError(f"{path}: no sheet number {chosen}; the workbook has {len(names)}: {names}")
    records = pd.read_excel(book, sheet_name=chosen, header=None, dtype=str)
    records = records.fillna("").astype("str")
    records.columns = pd.RangeIndex(records.shape[1])
    return records, names[chosen] if isinstance(chosen, int) else chosen


def _finish(export: Export, names: list[str], data: pd.DataFrame, notes: list[str]) -> Export:
    data, names = drop_unnamed_empty(data, names, export.source, notes)
    refuse_duplicates(names, export.source)
    data.columns = pd.Index(names)
    data, blank = count_blank_rows(data)
    if blank:
        export.excluded["blank"] = blank
    export.data = data
    export.details["notes"] = notes
    return export


def _tabular(
    export: Export,
    handed: list[pd.DataFrame],
    *,
    header_rows: int | None,
    keep: Collection[str],
    plain_format: str,
) -> Export:
    # The records come in a list that this function empties, so that no caller keeps a
    # reference: a million-row export's columns are then freed one by one as they are
    # filtered (keep_rows(consume=True)) instead of being held twice.
    records = handed.pop()
    first = [
        ["" if pd.isna(v) else str(v) for v in records.iloc[i].tolist()]
        for i in range(min(3, len(records)))
    ]
    kind = _detect(first) if header_rows is None else "plain"
    notes: list[str] = []
    path = export.source
    if kind == "qualtrics":
        headers, data = split_header(records, 3, path)
        names, labels = qx.qualtrics_columns(
            [[clean_name(c) for c in headers[0]], *headers[1:]], path
        )
        export.format = "qualtrics"
    elif kind == "qualtrics-legacy":
        headers, data = split_header(records, 2, path)
        names = [clean_name(c) for c in headers[0]]
        refuse_duplicates(names, path)
        labels = {n: t for n, t in zip(names, headers[1], strict=True) if n and t and t != n}
        export.format = "qualtrics-legacy"
    elif kind == "surveymonkey":
        headers, data = split_header(records, 2, path)
        names, labels, groups = sm.surveymonkey_columns(headers)
        export.groups.update(groups)
        export.format = "surveymonkey"
    elif kind == "google-forms":
        headers, data = split_header(records, 1, path)
        names = [clean_name(c) for c in headers[0]]
        labels, groups = gf.grid_labels(names)
        export.groups.update(groups)
        export.format = "google-forms"
    else:
        headers, data = split_header(records, header_rows or 1, path)
        names = [clean_name(c) for c in headers[0]]
        labels = {}
        if len(headers) > 1:
            labels = {
                n: t.strip() for n, t in zip(names, headers[1], strict=True) if n and t.strip()
            }
        export.format = plain_format
    del records
    export.details["header_rows"] = len(headers)
    export.details["rows"] = len(data)
    export.labels = labels
    export = _finish(export, names, data, notes)
    data = export.data
    if export.format in ("qualtrics", "qualtrics-legacy"):
        export.data, counts = qx.exclude_by_status(data, labels, path, keep=keep, consume=True)
        del data
        export.excluded.update(counts)
    elif export.format == "surveymonkey":
        for column in sm.DATE_COLUMNS:
            if column in data.columns:
                data[column] = sm.us_datetimes(data[column], column, path)
        for column in [c for c in data.columns if c.startswith("Q")]:
            found = sm.numeric_with_labels(data[column])
            if found is not None:
                data[column], export.value_labels[column] = found
    elif export.format == "google-forms":
        stamp = data.columns[0]
        data[stamp] = gf.form_timestamps(data[stamp], stamp, path)
    return export


def read_export(
    path: str | PathLike[str],
    *,
    format: str = "auto",
    sheet: str | int | None = None,
    header_rows: int | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    keep: Collection[str] = (),
) -> Export:
    """Read a survey export as the tool wrote it.

    Parameters
    ----------
    path : str or path-like
        ``.csv``/``.txt``/``.tsv``, ``.xlsx``/``.xlsm``, ``.sav``/``.zsav``/``.por`` or
        ``.parquet``.
    format : str, optional
        ``"auto"`` (default) detects Qualtrics (current and legacy), SurveyMonkey and
        Google Forms from the header rows, else reads a plain table; or one of
        :data:`FORMATS` to insist (a mismatch is an error).
    sheet : str or int, optional
        Excel sheet name or 0-based position (the first by default).
    header_rows : int, optional
        Rows above the data in a plain export (Webropol, Questback, Typeform, …): the first
        gives the column names, the second (if any) the question texts. Setting it turns
        tool detection off.
    encoding, delimiter : str, optional
        Force the text encoding or the delimiter; both are detected from the file otherwise.
    keep : collection of str, optional
        Qualtrics rows to keep rather than exclude: any of ``"preview"``, ``"test"``,
        ``"spam"``, ``"unfinished"``.

    Returns
    -------
    Export

    Raises
    ------
    DataError
        The file is missing, unreadable, of an unknown type or not the format asked for;
        see :mod:`cxresearch.data.readers.text` for what makes delimited text refused.

    Examples
    --------
    >>> from pathlib import Path
    >>> folder = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "exports"
    >>> export = read_export(folder / "qualtrics.csv")  # doctest: +SKIP
    >>> export.format, export.excluded  # doctest: +SKIP
    ('qualtrics', {'preview': 2, 'test': 1, 'unfinished': 3})
    """
    file = Path(path)
    suffix = file.suffix.lower()
    if format != "auto" and format not in FORMATS:
        raise ValueError(f"format must be 'auto' or one of {list(FORMATS)}, got {format!r}")
    unknown = sorted(set(keep) - _KEEPABLE)
    if unknown:
        raise ValueError(f"keep: {unknown} are not row kinds; use {sorted(_KEEPABLE)}")
    if suffix == ".xls":
        raise DataError(f"{file}: legacy .xls workbooks are not read; save it as .xlsx or .csv")
    supported = _TEXT | _EXCEL | _SPSS | _PARQUET
    if suffix not in supported:
        names = ", ".join(sorted(supported))
        raise DataError(f"{file}: unsupported file type {suffix or '(none)'!r}; use {names}")
    if sheet is not None and suffix not in _EXCEL:
        raise ValueError(f"sheet={sheet!r} applies to Excel files only, not {file}")
    if suffix in _TEXT:
        from cxresearch.data.readers.text import read_text_file, scan_file

        # Text is hashed in one streaming pass and parsed from the file: a million-row
        # export is not held in memory as bytes beside the table parsed from it.
        scan = _read(file, scan_file)
        export = Export(data=pd.DataFrame(), source=str(file), sha256=scan.sha256)
        table = read_text_file(file, scan, encoding=encoding, delimiter=delimiter)
        export.details.update(
            encoding=table.encoding,
            delimiter=table.delimiter,
            ends_with_newline=table.ends_with_newline,
        )
        handed = [table.records]
        del table
        export = _tabular(export, handed, header_rows=header_rows, keep=keep, plain_format="csv")
        return _check_format(export, format, file)
    data = _read(file, Path.read_bytes)
    export = Export(data=pd.DataFrame(), source=str(file), sha256=hashlib.sha256(data).hexdigest())
    if suffix in _SPSS:
        from cxresearch.data.readers.spss import read_spss

        frame, meta = read_spss(file)
        frame.columns = pd.Index([clean_name(c) for c in frame.columns])
        export.format = "spss"
        export.labels, export.value_labels = meta["labels"], meta["value_labels"]
        export.missing, export.groups = meta["missing"], meta["groups"]
        export.details.update(meta["details"], rows=len(frame))
        export = _finish(export, list(frame.columns), frame, [])
        if {"Status", "Finished", "ResponseId"} <= set(export.data.columns):
            export.data, counts = qx.exclude_by_status(export.data, {}, file, keep=keep)
            export.excluded.update(counts)
    elif suffix in _PARQUET:
        file_bytes = [data]
        del data
        frame = _parquet_frame(file_bytes, file)
        export.format = "parquet"
        export.details["rows"] = len(frame)
        export = _finish(export, [clean_name(c) for c in frame.columns], frame, [])
    else:
        records, chosen = _excel_records(data, file, sheet)
        export.details["sheet"] = chosen
        export = _tabular(
            export, [records], header_rows=header_rows, keep=keep, plain_format="excel"
        )
    return _check_format(export, format, file)


def _parquet_frame(handed: list[bytes], file: Path) -> pd.DataFrame:
    """The Parquet file as pandas, read one column at a time.

    Column by column, so that only one column is ever held both as Arrow and as pandas
    (peak memory of a million-row file 1.45 → 1.2 times the frame, measured). Text
    becomes pandas' Arrow-backed ``str``; yes/no columns become nullable ``boolean``
    (``pd.read_parquet`` makes a column with a missing cell Python objects, 33 MiB per
    million rows and slower to check). A range index stored by pandas is restored as
    ``pd.read_parquet`` restores it; a file with a stored index column, repeated or
    dotted column names is read whole.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    def mapped(arrow_type: pa.DataType) -> object:
        if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
            return TEXT_DTYPE
        return pd.BooleanDtype() if pa.types.is_boolean(arrow_type) else None

    try:
        parquet = pq.ParquetFile(pa.py_buffer(handed.pop()))
        names = parquet.schema_arrow.names
        stored = (parquet.schema_arrow.pandas_metadata or {}).get("index_columns", [])
        if (
            any(isinstance(c, str) for c in stored)
            or len(set(names)) < len(names)
            or any("." in n for n in names)
        ):
            return parquet.read().to_pandas(types_mapper=mapped, self_destruct=True)
        described = _column_metadata(parquet.schema_arrow)
        columns = {}
        for name in names:
            part = parquet.read(columns=[name])
            if described is not None:
                part = part.replace_schema_metadata(described(name))
            columns[name] = part.to_pandas(types_mapper=mapped, self_destruct=True)[name]
            del part
        if not columns:
            return parquet.read().to_pandas(types_mapper=mapped)
        return pd.DataFrame(columns, copy=False)
    except Exception as error:  # pyarrow raises ArrowInvalid and OSError variants
        raise DataError(f"{file}: cannot read as Parquet: {type(error).__name__}") from None


def _column_metadata(schema: Any) -> Callable[[str], dict[bytes, bytes]] | None:
    """For each column, the file's metadata with pandas' description of that column only.

    ``to_pandas`` reads pandas' description of *every* column of the file on each call
    (parsing each one's dtype), so converting a column at a time would cost the square
    of the number of columns; with only the column's own entry it restores the same dtype.
    """
    import json

    metadata = dict(schema.metadata or {})
    pandas = schema.pandas_metadata
    if not pandas:
        return None
    entries = {str(c.get("field_name", c.get("name"))): c for c in pandas.get("columns", [])}

    def described(name: str) -> dict[bytes, bytes]:
        own = [entries[name]] if name in entries else []
        return {**metadata, b"pandas": json.dumps({**pandas, "columns": own}).encode()}

    return described


def _read(file: Path, read: Callable[[Path], T]) -> T:
    """``read(file)`` with a missing or unreadable file as a DataError naming it."""
    try:
        return read(file)
    except FileNotFoundError:
        raise DataError(f"{file}: file not found") from None
    except OSError as error:
        raise DataError(f"{file}: cannot read the file: {error.strerror or error}") from None


def _check_format(export: Export, format: str, file: Path) -> Export:
    if format != "auto" and export.format != format:
        raise DataError(
            f"{file}: data.format is {format!r} but the file looks like {export.format!r} "
            "(from its header rows); remove data.format to detect it, or check the file"
        )
    return export
