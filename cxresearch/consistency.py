"""Params ↔ data checks: what the params promise that the data must hold.

Run by ``cxresearch validate`` (and so before every report batch) and by
:func:`cxresearch.session.open_run`, on the client's rows after ``data.filter``. Each check
names the params key, so a typo fails in a second with exit code 2 instead of as a wrong or
silently thinner report (a previous wave not in the data used to disappear from the report
without a word) or as a notebook failing in an unrelated cell.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from cxresearch.analyses import SCORE_COLUMNS, analysis
from cxresearch.errors import ParamsError
from cxresearch.params import Params

__all__ = ["check_against_data"]


def _seen(frame: pd.DataFrame, column: str) -> list[str]:
    values = sorted(frame[column].dropna().astype(str).unique().tolist())
    return values[:20] + ([f"... ({len(values) - 20} more)"] if len(values) > 20 else [])


def _check_waves(params: Params, frame: pd.DataFrame) -> None:
    waves = set(frame["wave"].dropna().astype(str).unique().tolist())
    if params.waves.current not in waves:
        raise ParamsError(
            f"{params.path}: waves.current: wave {params.waves.current!r} has no rows in the "
            f"client's data (waves in the data: {sorted(waves)})"
        )
    for i, wave in enumerate(params.waves.previous):
        if wave not in waves:
            raise ParamsError(
                f"{params.path}: waves.previous[{i}]: wave {wave!r} has no rows in the client's "
                f"data (waves in the data: {sorted(waves)}); remove it or add its data file"
            )


def _check_targets(params: Params, frame: pd.DataFrame) -> None:
    # A target whose touchpoint or segment value never occurs in the client's data is a
    # typo; in one run it may legitimately have no rows (and then shows "no responses").
    # Each column's distinct values as text, once (not every row per target).
    seen: dict[str, set[str]] = {}
    for i, target in enumerate(params.targets):
        checks: list[tuple[str, str, Any]] = [
            (f"segment.{c}", c, v) for c, v in target.segment.items()
        ]
        if target.touchpoint is not None:
            checks.insert(0, ("touchpoint", "touchpoint", target.touchpoint))
        for key, column, value in checks:
            if column not in frame.columns:
                raise ParamsError(
                    f"{params.path}: targets[{i}].{key}: the data has no column {column!r}"
                )
            if column not in seen:
                distinct = frame[column].dropna().drop_duplicates()  # same dtype, same text
                seen[column] = set(distinct.astype("str").tolist())
            if str(value) not in seen[column]:
                raise ParamsError(
                    f"{params.path}: targets[{i}].{key}: value {value!r} does not occur in the "
                    f"client's data (column {column!r} has {_seen(frame, column)})"
                )


def _check_analyses(params: Params, frame: pd.DataFrame) -> None:
    # What each analysis needs comes from the registry (cxresearch.analyses); the runner's
    # check_analyses also checks the notebooks exist.
    for name in params.report.analyses:
        if analysis(name).needs_scores and not any(
            c in frame.columns and frame[c].notna().any() for c in SCORE_COLUMNS
        ):
            raise ParamsError(
                f"{params.path}: report.analyses lists {name!r}, which needs answers to at least "
                f"one of {list(SCORE_COLUMNS)}, and the data has none; map a score column under "
                "data.mapping or remove the analysis"
            )


def _check_scales(params: Params, frame: pd.DataFrame) -> None:
    # An attr_* rating mapped from an export without a declared scale cannot be checked,
    # and a code such as 99 ("no answer" in many SPSS files) would be averaged as an
    # answer: every mapped attr_* column needs its scale. (A file already in the schema's
    # layout, such as the demo data, is the consultant's own and is not held to this.)
    mapped = set(params.data.mapping.values())
    undeclared = [
        str(c)
        for c in frame.columns
        if str(c).startswith("attr_") and c in mapped and c not in params.data.scales
    ]
    if undeclared:
        example = ", ".join(f"{c}: [1, 5]" for c in undeclared[:2])
        raise ParamsError(
            f"{params.path}: data.scales: attr_* column(s) {undeclared} have no declared "
            f"answer scale; add them, e.g. scales: {{{example}}}"
        )


def check_against_data(params: Params, frame: pd.DataFrame) -> None:
    """Raise ParamsError when a params key promises what the data does not hold.

    Parameters
    ----------
    params : Params
        The client's params.
    frame : DataFrame
        The client's rows after ``data.filter`` (all waves).

    Raises
    ------
    ParamsError
        Naming the key: a column the data lacks (segments, filters, drivers, targets), the
        current or a previous wave without rows, a target's touchpoint or segment value that
        never occurs, an analysis that needs a score column the data does not have, an
        ``attr_*`` column without a declared scale.
    """
    params.check_columns(list(frame.columns))
    _check_scales(params, frame)
    _check_waves(params, frame)
    _check_targets(params, frame)
    _check_analyses(params, frame)
