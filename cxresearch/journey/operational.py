"""Operational measures from a second file, joined to the responses by an id.

Handling times, first-contact resolution and delivery delays live in a contact-centre or
logistics system, not in the survey. :func:`join_operational` joins such a file to the
responses by ``response_id`` (one row per response) or ``respondent_id`` (one row per
person) and counts what did not match, both ways: operational rows whose id has no
response (a different sample, a test batch, a typo in the id) and responses without an
operational row. Nothing is dropped silently: the counts go into the report beside the
operational metrics, and a key repeated in the operational file, or a blank key, is an
error naming the file, column and rows.

Examples
--------
>>> import pandas as pd
>>> responses = pd.DataFrame({"response_id": ["a", "b", "c"], "nps": [9, 3, 7]})
>>> ops = pd.DataFrame({"response_id": ["a", "b", "x"], "handling_minutes": ["4", "12", "6"]})
>>> joined, counts = join_operational(responses, ops, key="response_id", source="ops.csv")
>>> joined["handling_minutes"].tolist()
[4.0, 12.0, nan]
>>> counts.responses_without, counts.unmatched_ids
(1, 1)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from cxresearch.errors import DataError
from cxresearch.journey.files import to_numbers

__all__ = ["JoinCounts", "join_operational"]


@dataclass(frozen=True)
class JoinCounts:
    """How the operational file matched the responses.

    Attributes
    ----------
    source
        The operational file.
    key
        The id joined on.
    rows
        Rows in the operational file.
    matched
        Operational rows whose id has a response.
    unmatched_ids
        Operational rows whose id has no response (not used; counted).
    responses
        Responses the file was joined to.
    responses_matched, responses_without
        Responses with / without an operational row.
    examples
        Up to five unmatched ids, for the message to the analyst (never shown in a report).
    """

    source: str
    key: str
    rows: int
    matched: int
    unmatched_ids: int
    responses: int
    responses_matched: int
    responses_without: int
    examples: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One row; ``examples`` is left out (ids are not for reports)."""
        fields = {k: v for k, v in asdict(self).items() if k != "examples"}
        return pd.DataFrame([fields])


def join_operational(
    responses: pd.DataFrame,
    operational: pd.DataFrame,
    *,
    key: str = "response_id",
    source: str | Path = "<operational>",
    columns: list[str] | None = None,
) -> tuple[pd.DataFrame, JoinCounts]:
    """Join operational columns to the responses by ``key`` and count the mismatches.

    Parameters
    ----------
    responses : DataFrame
        The responses (must have ``key``).
    operational : DataFrame
        The operational file as text cells (:func:`~cxresearch.journey.files.read_table`)
        or typed; one row per ``key``.
    key : {"response_id", "respondent_id"}
        The id both files share.
    source : str or Path
        The operational file's name, for messages.
    columns : list of str, optional
        Operational columns to join (converted to numbers); default every column but the key.

    Returns
    -------
    (DataFrame, JoinCounts)
        The responses with the operational columns added (NaN where no row matched), in
        the responses' order and index, and the match counts.

    Raises
    ------
    DataError
        The key column is missing from either file, blank in the operational file or
        repeated there; a joined column is missing or not numeric; an operational column
        has the same name as a response column.
    """
    src = Path(source)
    for frame, what in ((responses, "the responses"), (operational, str(src))):
        if key not in frame.columns:
            raise DataError(f"{src}: the key column {key!r} is not in {what}")
    ids = operational[key].astype("str").str.strip().where(operational[key].notna(), None)
    blank = ids.isna() | ids.eq("")
    if blank.any():
        rows = [int(i) + 1 for i in blank[blank].index[:5]]
        raise DataError(f"{src}: column {key!r} is blank in {int(blank.sum())} row(s): rows {rows}")
    repeated = ids.duplicated(keep=False)
    if repeated.any():
        first = ids[repeated].drop_duplicates().head(5).tolist()
        raise DataError(
            f"{src}: column {key!r} repeats {int(ids[repeated].nunique())} id(s), e.g. {first}; "
            "the file must have one row per id"
        )
    wanted = [c for c in operational.columns if c != key] if columns is None else list(columns)
    missing = [c for c in wanted if c not in operational.columns]
    if missing:
        raise DataError(
            f"{src}: column(s) {missing} not in the operational file; it has "
            f"{list(operational.columns)}"
        )
    clash = [c for c in wanted if c in responses.columns]
    if clash:
        raise DataError(
            f"{src}: column(s) {clash} are in both the responses and the operational file; "
            "rename them in journey.operational.mapping"
        )
    typed = pd.DataFrame(
        {c: to_numbers(operational, c, src, ids=ids).to_numpy() for c in wanted}, index=ids
    )
    response_ids = responses[key].astype("str")
    joined = responses.copy()
    for column in wanted:
        joined[column] = response_ids.map(typed[column]).astype("float64")
    known = set(response_ids.dropna())
    has_response = ids.isin(known)
    has_row = response_ids.isin(set(ids))
    counts = JoinCounts(
        source=str(src),
        key=key,
        rows=len(ids),
        matched=int(has_response.sum()),
        unmatched_ids=int((~has_response).sum()),
        responses=len(responses),
        responses_matched=int(has_row.sum()),
        responses_without=int((~has_row).sum()),
        examples=tuple(ids[~has_response].head(5).tolist()),
    )
    return joined, counts
