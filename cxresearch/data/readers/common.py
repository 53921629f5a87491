"""Steps every reader shares: header rows to names, unnamed and blank columns, blank rows."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from cxresearch.data.arrow_text import blank_cells, maybe_padded, text_chunks
from cxresearch.errors import DataError, excerpt

__all__ = [
    "TEXT_DTYPE",
    "keep_rows",
    "clean_name",
    "quote",
    "closest",
    "count_blank_rows",
    "drop_unnamed_empty",
    "refuse_duplicates",
    "split_header",
]


def _text_dtype() -> Any:
    # pandas' "str" (Arrow storage, NaN for missing) as pandas 3 reads text by default;
    # pandas 2.2 has no na_value argument and gets the Arrow string dtype with pd.NA.
    try:
        return pd.StringDtype("pyarrow", na_value=np.nan)
    except TypeError:  # pragma: no cover - pandas < 2.3
        return pd.StringDtype("pyarrow")


#: The dtype of text cells read from CSV and Excel.
TEXT_DTYPE = _text_dtype()

# Whitespace a spreadsheet or a byte-order mark leaves around names: ordinary spaces,
# non-breaking spaces (U+00A0, U+202F), zero-width no-break space (U+FEFF).
_EDGE = re.compile(r"^[\s\u00a0\u202f\ufeff]+|[\s\u00a0\u202f\ufeff]+$")


def quote(value: Any, *, limit: int = 40) -> str:
    """A value from a file as an error message may show it: masked, one line, short."""
    return repr(excerpt(value, limit))


def clean_name(name: Any) -> str:
    """A column name with surrounding whitespace, NBSP and U+FEFF removed."""
    return _EDGE.sub("", "" if name is None or name is pd.NA else str(name))


def closest(name: str, names: Iterable[str], *, n: int = 5) -> list[str]:
    """Up to ``n`` of ``names`` closest to ``name`` (case-insensitive), for "did you mean"."""
    pool = list(dict.fromkeys(str(x) for x in names))
    lowered = {x.lower(): x for x in pool}
    hits = difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=0.5)
    found = [lowered[h] for h in hits]
    if len(found) < n:
        # Prefix and substring matches catch "Q7" for "Q7_1" that difflib ranks low.
        extra = [x for x in pool if name.lower() in x.lower() and x not in found]
        found += extra[: n - len(found)]
    return [excerpt(x, 60) for x in found]


def split_header(
    records: pd.DataFrame, header_rows: int, path: Any
) -> tuple[list[list[str]], pd.DataFrame]:
    """The first ``header_rows`` records as lists of text, and the rest as data rows."""
    if header_rows < 1:
        raise ValueError(f"header_rows must be at least 1, got {header_rows}")
    if len(records) < header_rows:
        raise DataError(
            f"{path}: the file has {len(records)} row(s) but {header_rows} header row(s) "
            "were expected; it holds no responses"
        )
    headers = [
        ["" if pd.isna(v) else str(v) for v in records.iloc[i].tolist()] for i in range(header_rows)
    ]
    data = records.iloc[header_rows:].reset_index(drop=True)
    return headers, data


def refuse_duplicates(names: Sequence[str], path: Any, *, hint: str = "") -> None:
    """DataError naming repeated column names (pandas would rename them ``x.1``)."""
    seen: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        seen.setdefault(name, []).append(i + 1)
    repeated = {k: v for k, v in seen.items() if len(v) > 1 and k != ""}
    if repeated:
        shown = "; ".join(
            f"{quote(k)} in columns {', '.join(map(str, v))}" for k, v in list(repeated.items())[:5]
        )
        raise DataError(
            f"{path}: repeated column name(s): {shown}. A mapping could take any one of them, "
            f"so the file is not read{hint}"
        )


def _blank(series: pd.Series) -> np.ndarray:
    chunks = text_chunks(series)
    if chunks is not None and not maybe_padded(chunks):  # no strip needed: read the offsets
        return blank_cells(chunks)
    if pd.api.types.is_string_dtype(series.dtype) or series.dtype == object:
        text = series.astype("str").str.strip()
        return np.asarray(text.isna() | text.eq(""), dtype=bool)
    return np.asarray(series.isna(), dtype=bool)


def drop_unnamed_empty(
    data: pd.DataFrame, names: list[str], path: Any, notes: list[str]
) -> tuple[pd.DataFrame, list[str]]:
    """Remove columns without a name and without a value (a trailing delimiter everywhere).

    A column without a name that holds values is refused: its answers would have nowhere
    to go.
    """
    keep = []
    for i, name in enumerate(names):
        if name:
            keep.append(i)
            continue
        filled = int((~_blank(data.iloc[:, i])).sum())
        if filled:
            raise DataError(
                f"{path}: column {i + 1} has no name in the header but {filled} row(s) have a "
                "value in it; name it or remove it"
            )
        notes.append(f"column {i + 1} has no name and no values (a trailing delimiter); ignored")
    out = data.iloc[:, keep]
    out.columns = pd.Index([names[i] for i in keep])
    return out, [names[i] for i in keep]


def keep_rows(data: pd.DataFrame, keep: np.ndarray, *, consume: bool = False) -> pd.DataFrame:
    """The rows where ``keep`` is True, index kept; Arrow's filter for Arrow-backed text.

    pandas takes Arrow-backed columns through an index array, which was the slowest step of
    reading a large export (1.7 s of 6 s for 200,000 × 60); Arrow's filter is about five
    times faster. With ``consume`` each column is removed from ``data`` as soon as it is
    filtered, so a million-row export is not held twice (the caller must not use ``data``
    afterwards).
    """
    if keep.all():
        return data
    arrow = all(isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"
                for dtype in data.dtypes)  # fmt: skip
    if not arrow or data.empty:
        return data.loc[keep]
    import pyarrow as pa
    import pyarrow.compute as pc

    mask = pa.array(keep)
    index = data.index[keep]
    out: dict[Any, pd.Series] = {}
    for name in list(data.columns):
        column = pa.array(data[name].array)  # the Arrow data itself, not a copy
        if consume:
            del data[name]
        table = pa.table({"c": pc.filter(column, mask)})
        del column
        out[name] = table.to_pandas(types_mapper=_text_mapper, self_destruct=True)["c"]
    frame = pd.DataFrame(out, copy=False)
    frame.index = index
    return frame


def _text_mapper(arrow_type: Any) -> Any:
    import pyarrow as pa

    return TEXT_DTYPE if arrow_type == pa.large_string() else None


def count_blank_rows(data: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Rows with every cell blank removed, and how many there were."""
    if data.empty:
        return data, 0
    blank = np.ones(len(data), dtype=bool)
    for column in data.columns:
        blank &= _blank(data[column])
        if not blank.any():
            return data, 0
    # The index keeps each row's position among the file's data rows (0-based), so a
    # generated id or an error can name the row as the file numbers it.
    return keep_rows(data, ~blank, consume=True), int(blank.sum())
