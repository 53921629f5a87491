"""The :class:`Export`: a survey tool's export as the tool wrote it, before any mapping."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["FORMATS", "Export"]

#: Formats :func:`~cxresearch.data.readers.read_export` knows, as named in ``Export.format``.
FORMATS: tuple[str, ...] = (
    "qualtrics",
    "qualtrics-legacy",
    "surveymonkey",
    "google-forms",
    "spss",
    "csv",
    "excel",
    "parquet",
)


@dataclass
class Export:
    """One export file, read faithfully: one row per response, nothing mapped yet.

    Attributes
    ----------
    data
        One row per response; the tool's own unique variable ids as column names (Qualtrics
        export tags, SPSS variable names; SurveyMonkey and Google Forms have no ids, see
        their readers). CSV and Excel cells are text, SPSS and Parquet keep their types.
    labels
        Column → question text, where the file has one.
    value_labels
        Column → {code: label} (SPSS value labels, SurveyMonkey "5: strongly agree").
    format
        One of :data:`FORMATS`.
    excluded
        Reason → number of rows of the file not taken as responses (``"preview"``,
        ``"test"``, ``"spam"``, ``"unfinished"``, ``"blank"``). Nothing is dropped
        without being counted here.
    missing
        Column → number of cells the file itself declares missing (SPSS user-missing
        values and ranges), set to missing when read.
    groups
        Question → its columns, for questions that span several columns (matrix rows,
        grids, multiple-response sets); kept together in this order.
    source, sha256
        The file as given and the sha256 of its bytes.
    details
        How it was read: ``encoding``, ``delimiter``, ``header_rows``, ``sheet``, ``rows``
        (data rows in the file, before exclusions) and notes for ``cxresearch inspect``.
    """

    data: pd.DataFrame
    labels: dict[str, str] = field(default_factory=dict)
    value_labels: dict[str, dict[Any, str]] = field(default_factory=dict)
    format: str = "csv"
    excluded: dict[str, int] = field(default_factory=dict)
    missing: dict[str, int] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)
    source: str = ""
    sha256: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def rows_in_file(self) -> int:
        """Data rows in the file: the responses kept plus every excluded row."""
        return len(self.data) + sum(self.excluded.values())

    def __repr__(self) -> str:
        excluded = ", ".join(f"{k} {v}" for k, v in self.excluded.items()) or "none"
        return (
            f"Export({self.format}, {self.source!r}: {len(self.data)} responses × "
            f"{self.data.shape[1]} columns; excluded: {excluded})"
        )
