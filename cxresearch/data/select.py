"""Row selection for params filters such as ``filter: {client: acme, wave: [2026Q2, 2026Q3]}``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from cxresearch.errors import DataError

__all__ = ["select_rows"]

_LIST_LIMIT = 20  # values listed in a "does not occur" message


def _values(column: str, value: Any, source: str) -> list[Any]:
    values = list(value) if isinstance(value, list | tuple | set | frozenset) else [value]
    if not values:
        raise DataError(f"{source}: the list of values for column {column!r} is empty")
    for item in values:
        if item is None or item is pd.NA or (isinstance(item, float) and np.isnan(item)):
            raise DataError(
                f"{source}: column {column!r}: a missing value cannot be selected; "
                "list the values to keep"
            )
        if isinstance(item, Mapping | list | tuple | set):
            raise DataError(f"{source}: column {column!r}: {item!r} is not a single value")
    return values


def _describe(observed: list[Any]) -> str:
    shown = ", ".join(repr(v) for v in observed[:_LIST_LIMIT])
    more = len(observed) - _LIST_LIMIT
    return shown + (f", ... ({more} more)" if more > 0 else "")


def select_rows(
    frame: pd.DataFrame,
    where: Mapping[str, Any],
    *,
    source: str = "filter",
) -> pd.DataFrame:
    """Keep the rows whose columns equal the given values.

    Each key of ``where`` is a column; its value is a single value (keep rows equal to it) or
    a list (keep rows equal to any of them). Conditions on several columns must all hold.
    Every requested value must occur in the data: a value that never occurs is almost
    always a typo in a params file (``client: acem``) and would otherwise produce an empty or
    quietly smaller report.

    Parameters
    ----------
    frame : pandas.DataFrame
        Responses, e.g. from :func:`~cxresearch.data.load_responses`.
    where : mapping of str to scalar or list
        ``{column: value}`` or ``{column: [value, ...]}``; an empty mapping keeps every row.
    source : str, optional
        Where the filter came from (e.g. ``"params/acme.yaml: data.filter"``), used in
        error messages.

    Returns
    -------
    pandas.DataFrame
        The matching rows (a copy, original index kept). ``attrs`` are kept and
        ``attrs["selections"]`` gains an entry with the filter and the row counts before
        and after, so a report can say how many rows each filter left out.

    Raises
    ------
    DataError
        A column is not in the frame (the message lists the columns), a value does not
        occur in its column (the message lists the values that do), a value list is empty
        or holds a missing value, or the conditions together match no row.
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    if not isinstance(where, Mapping):
        raise TypeError(f"where must map column names to values, got {type(where).__name__}")
    mask = np.ones(len(frame), dtype=bool)
    for column, wanted in where.items():
        if column not in frame.columns:
            available = ", ".join(str(c) for c in frame.columns)
            raise DataError(f"{source}: unknown column {column!r}; available columns: {available}")
        values = _values(column, wanted, source)
        series = frame[column]
        absent = [v for v in values if not series.isin([v]).any()]
        if absent:
            observed = sorted(series.dropna().unique().tolist(), key=str)
            shown = absent[0] if len(absent) == 1 else absent
            raise DataError(
                f"{source}: column {column!r} has no rows with value {shown!r}; "
                f"values that occur: {_describe(observed)}"
            )
        mask &= series.isin(values).fillna(False).to_numpy(dtype=bool)
    if where and not mask.any():
        raise DataError(
            f"{source}: no row matches all of {dict(where)!r} together "
            "(each value occurs, but not in the same rows)"
        )
    # Copy-on-write (pandas 3): the selection is a new frame that no later change reaches
    # in either direction. When every row matches (a client's own file), it shares the
    # columns instead of copying every cell of a million rows.
    selected = frame.copy(deep=False) if mask.all() else frame.loc[mask]
    selected.attrs = {
        **frame.attrs,
        "selections": [
            *frame.attrs.get("selections", []),
            {"where": dict(where), "n_before": len(frame), "n_after": int(mask.sum())},
        ],
    }
    return selected
