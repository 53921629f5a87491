"""SPSS ``.sav``, ``.zsav`` (compressed) and ``.por`` (portable) files through pyreadstat.

Variable labels go to ``Export.labels`` and value labels to ``Export.value_labels`` as
written (Finnish and other non-ASCII text intact: ReadStat converts from the file's
declared encoding). User-missing values and ranges (``MISSING VALUES q1 (-9, 97 THRU 99)``)
are read as values, set to missing here and counted per column in ``Export.missing``, so a
report can say how many "don't know" answers each question had. Multiple-response sets
(``MRSETS``) become ``Export.groups``.

What pyreadstat cannot do (so neither can this reader): ``.por`` files are read without
their user-missing definitions (ReadStat sets them to missing itself, so they cannot be
counted), ``write_por`` writes neither value labels nor missing values, and no pyreadstat
writer writes multiple-response sets (they are read from files SPSS wrote).

References
----------
pyreadstat documentation, ``read_sav(user_missing=True)`` and the metadata object;
IBM SPSS Statistics Command Syntax Reference, MISSING VALUES and MRSETS.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxresearch.errors import DataError
from cxresearch.qual.masking import mask_personal_data

__all__ = ["read_spss"]

_VARIABLE = re.compile(r"variable\s+['\"]?([A-Za-z@#$][\w.@#$]*)", re.IGNORECASE)


def _user_missing(series: pd.Series, ranges: list[dict[str, Any]]) -> np.ndarray:
    mask = np.zeros(len(series), dtype=bool)
    numeric = pd.api.types.is_numeric_dtype(series.dtype)
    for item in ranges:
        lo, hi = item.get("lo"), item.get("hi")
        if numeric and isinstance(lo, int | float) and isinstance(hi, int | float):
            values = series.to_numpy(dtype=float, na_value=np.nan)
            mask |= (values >= lo) & (values <= hi)
        else:
            mask |= series.astype("str").eq(str(lo)).fillna(False).to_numpy(dtype=bool)
    return mask


def read_spss(path: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The data and what the file says about it (labels, value labels, missing, sets).

    Raises
    ------
    DataError
        pyreadstat cannot read the file; the message names the file and, when ReadStat
        names one, the variable.
    """
    import pyreadstat

    suffix = path.suffix.lower()
    try:
        if suffix == ".por":
            frame, meta = pyreadstat.read_por(str(path))
        else:
            frame, meta = pyreadstat.read_sav(str(path), user_missing=True)
    except Exception as error:  # ReadstatError, PyreadstatError, OSError, UnicodeError
        message = " ".join(mask_personal_data(str(error)).split())[:200]
        variable = _VARIABLE.search(message)
        where = f" (variable {variable.group(1)!r})" if variable else ""
        raise DataError(
            f"{path}: pyreadstat cannot read this SPSS file{where}: "
            f"{type(error).__name__}: {message or 'no detail given'}"
        ) from None
    missing: dict[str, int] = {}
    ranges = getattr(meta, "missing_ranges", None) or {}
    for column, spec in ranges.items():
        if column not in frame.columns or not spec:
            continue
        mask = _user_missing(frame[column], spec)
        if mask.any():
            missing[column] = int(mask.sum())
            frame[column] = frame[column].mask(mask)
    labels = {
        str(k): str(v) for k, v in (meta.column_names_to_labels or {}).items() if v is not None
    }
    value_labels = {
        str(k): dict(v) for k, v in (getattr(meta, "variable_value_labels", None) or {}).items()
    }
    groups: dict[str, list[str]] = {}
    for name, spec in (getattr(meta, "mr_sets", None) or {}).items():
        variables = spec.get("variable_list") if isinstance(spec, dict) else None
        if variables:
            groups[str(name)] = [str(v) for v in variables]
    details = {
        "file_encoding": getattr(meta, "file_encoding", None),
        "file_label": getattr(meta, "file_label", None),
    }
    return frame, {
        "labels": labels,
        "value_labels": value_labels,
        "missing": missing,
        "groups": groups,
        "details": details,
    }
