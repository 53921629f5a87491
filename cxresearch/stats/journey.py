"""Journey statistics that are counts and durations: follow-up items, timeliness, fatigue.

Pure functions on frames (no I/O, no wording, no rounding). Estimates with intervals go
through the metric registry; this module prepares what they are computed on: who needs a
follow-up, how late each answer came, how often each person was asked.

Examples
--------
>>> import pandas as pd
>>> rows = pd.DataFrame({"nps": [3, 9, 8], "csat": [4, 5, 1], "ces": [6, 7, 7],
...                      "contact_ok": [True, True, True]})
>>> followup_reasons(rows, csat_max=2, ces_max=3).tolist()
['detractor', '', 'low_csat']
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "REASONS",
    "answer_lag_days",
    "answers_per_period",
    "compare_family",
    "fatigue_table",
    "followup_reasons",
    "followup_rows",
    "loop_status",
    "period_of",
]

#: Why a response becomes a follow-up item, in the order they are listed.
REASONS = ("detractor", "low_csat", "low_ces")


def _score(rows: pd.DataFrame, column: str) -> np.ndarray:
    if column not in rows.columns:
        return np.full(len(rows), np.nan)
    return pd.to_numeric(rows[column], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def followup_reasons(
    rows: pd.DataFrame, *, csat_max: int | None = 2, ces_max: int | None = 3
) -> pd.Series:
    """Why each response needs a follow-up: ``detractor`` (NPS 0–6), ``low_csat``, ``low_ces``.

    Several reasons are joined with ``;``; an empty string means none. Consent is not
    checked here (:func:`followup_rows` does).

    Parameters
    ----------
    rows : DataFrame
        Responses with any of ``nps``, ``csat``, ``ces``.
    csat_max, ces_max : int or None
        CSAT (1–5) and CES (1–7) answers at or below these are "low"; None switches the
        reason off.
    """
    flags = {
        "detractor": _score(rows, "nps") <= 6,
        "low_csat": _score(rows, "csat") <= (csat_max if csat_max is not None else -np.inf),
        "low_ces": _score(rows, "ces") <= (ces_max if ces_max is not None else -np.inf),
    }
    stacked = np.array([flags[r] for r in REASONS]).T
    labels = np.array(REASONS, dtype=object)
    reasons = [";".join(labels[row]) for row in stacked]
    return pd.Series(reasons, index=rows.index, dtype="str")


def followup_rows(
    rows: pd.DataFrame, *, csat_max: int | None = 2, ces_max: int | None = 3
) -> pd.DataFrame:
    """Responses to follow up: a reason and ``contact_ok`` true; adds a ``reasons`` column.

    A missing ``contact_ok`` is no consent: nobody is contacted without a yes.
    """
    reasons = followup_reasons(rows, csat_max=csat_max, ces_max=ces_max)
    consent = (
        rows["contact_ok"].fillna(False).astype(bool).to_numpy()
        if "contact_ok" in rows.columns
        else np.zeros(len(rows), dtype=bool)
    )
    keep = consent & reasons.ne("").to_numpy()
    out = rows.loc[keep].copy()
    out["reasons"] = reasons[keep]
    return out


def loop_status(
    items: pd.DataFrame,
    *,
    closed: Sequence[str],
    sla_hours: float,
    as_of: pd.Timestamp | None,
) -> pd.DataFrame:
    """Per item: closed or not, hours to close, within the SLA, overdue at ``as_of``.

    Parameters
    ----------
    items : DataFrame
        ``status``, ``submitted_at``, ``due_at``, ``closed_at`` (NaT when open).
    closed : sequence of str
        Statuses that close the loop.
    sla_hours : float
        Hours from the answer within which an item should be closed.
    as_of : Timestamp or None
        When the statuses were last updated; open items due before it are overdue.

    Returns
    -------
    DataFrame
        ``is_closed`` (bool), ``hours_to_close`` (NaN when open), ``within_sla`` (bool:
        closed within ``sla_hours``), ``overdue`` (bool: open and due before ``as_of``).
    """
    is_closed = items["status"].isin(list(closed)).to_numpy()
    hours = (items["closed_at"] - items["submitted_at"]).dt.total_seconds() / 3600.0
    hours = hours.where(is_closed)
    within = is_closed & (hours <= sla_hours).fillna(False).to_numpy(dtype=bool)
    if as_of is None:
        overdue = np.zeros(len(items), dtype=bool)
    else:
        overdue = ~is_closed & np.asarray(items["due_at"] < as_of, dtype=bool)
    return pd.DataFrame(
        {
            "is_closed": is_closed,
            "hours_to_close": hours.to_numpy(dtype="float64"),
            "within_sla": within,
            "overdue": overdue,
        },
        index=items.index,
    )


def answer_lag_days(rows: pd.DataFrame) -> pd.Series:
    """Days from ``interaction_at`` to ``submitted_at`` (NaN when either is missing).

    A negative lag (an answer before the interaction) is a data error, not a fast answer,
    and is returned as it is for the caller to report.
    """
    seconds = (rows["submitted_at"] - rows["interaction_at"]).dt.total_seconds()
    return (seconds / 86400.0).astype("float64")


def period_of(rows: pd.DataFrame, period: str) -> pd.Series:
    """The period each response falls in: its ``wave``, or the month/quarter/year answered."""
    if period == "wave":
        return rows["wave"].astype("str")
    if period not in ("month", "quarter", "year"):
        raise ValueError(f"period must be wave, month, quarter or year, got {period!r}")
    code = {"month": "M", "quarter": "Q", "year": "Y"}[period]
    stamps = rows["submitted_at"]
    out = stamps.dt.to_period(code).astype("str")
    return out.where(stamps.notna(), None)


def answers_per_period(rows: pd.DataFrame, *, period: str) -> pd.DataFrame:
    """How many answers each respondent gave in each period.

    Returns
    -------
    DataFrame
        ``respondent_id, period, answers``, one row per respondent × period with answers.
        Responses without a respondent id are left out (they cannot be linked).
    """
    known = rows[rows["respondent_id"].notna()]
    frame = pd.DataFrame(
        {"respondent_id": known["respondent_id"].to_numpy(), "period": period_of(known, period)}
    )
    counts = frame.groupby(["respondent_id", "period"], sort=True, dropna=False).size()
    return counts.rename("answers").reset_index()


def fatigue_table(
    per_period: pd.DataFrame,
    *,
    max_answers: int,
    invitations: pd.DataFrame | None = None,
    max_invitations: int | None = None,
) -> pd.DataFrame:
    """Per period: respondents, answers, repeat answerers, respondents over the thresholds.

    Parameters
    ----------
    per_period : DataFrame
        :func:`answers_per_period`.
    max_answers : int
        A respondent answering more often than this in a period is flagged.
    invitations : DataFrame, optional
        ``respondent_id, period, invitations``: invitations sent. With it the table has
        invitations, the response rate's parts and respondents invited too often.
    max_invitations : int, optional
        A respondent invited more often than this in a period is flagged.

    Returns
    -------
    DataFrame
        ``period, respondents, answers, repeat_respondents, over_answers`` and, with
        invitations, ``invited, invitations, answered_invitations, over_invitations``.
    """
    grouped = per_period.groupby("period", sort=True)["answers"]
    table = pd.DataFrame(
        {
            "respondents": grouped.size(),
            "answers": grouped.sum(),
            "repeat_respondents": grouped.apply(lambda a: int((a > 1).sum())),
            "over_answers": grouped.apply(lambda a: int((a > max_answers).sum())),
        }
    )
    if invitations is not None:
        merged = invitations.merge(per_period, on=["respondent_id", "period"], how="outer")
        merged["invitations"] = merged["invitations"].fillna(0.0)
        merged["answers"] = merged["answers"].fillna(0.0)
        by = merged.groupby("period", sort=True)
        limit = np.inf if max_invitations is None else max_invitations
        table = table.join(
            pd.DataFrame(
                {
                    "invited": by["invitations"].apply(lambda v: int((v > 0).sum())),
                    "invitations": by["invitations"].sum(),
                    "answered_invitations": by["answers"].sum(),
                    "over_invitations": by["invitations"].apply(lambda v: int((v > limit).sum())),
                }
            ),
            how="outer",
        )
    return table.reset_index().fillna(0)


def compare_family(
    pairs: Sequence[Mapping[str, Any]],
    *,
    confidence: float = 0.95,
    adjust: str = "bh",
) -> pd.DataFrame:
    """A family of two-sample comparisons, adjusted together for multiplicity.

    Each pair is compared with :func:`~cxresearch.stats.inference.compare_samples`
    (``a − b``); the p-values are adjusted across the family
    (:func:`~cxresearch.stats.multiplicity.adjust_pvalues`) and every interval is
    recomputed at :func:`~cxresearch.stats.multiplicity.adjusted_confidence`, so an
    interval excludes 0 exactly in the rows marked ``significant`` (as
    :func:`~cxresearch.stats.inference.compare_waves` does for waves).

    Parameters
    ----------
    pairs : sequence of mappings
        ``metric`` (name or registry Metric), ``a`` and ``b`` (answers, Series), and
        optionally ``weights_a``/``weights_b``, ``ids_a``/``ids_b``; any other key (e.g.
        ``group``) is copied to the result row. A side without answers gives a row of
        NaN statistics, left out of the adjustment.
    confidence : float
        Two-sided confidence level of the family.
    adjust : {"bh", "holm", "bonferroni", "none"}
        Multiplicity adjustment.

    Returns
    -------
    DataFrame
        The pairs' own keys, every :class:`~cxresearch.results.Comparison` field,
        ``pvalue_adjusted``, ``adjust``, ``significant`` and ``interval_level``.

    Examples
    --------
    >>> import pandas as pd
    >>> pairs = [{"group": "x", "metric": "csat", "a": pd.Series([5, 4, 5, 2] * 20),
    ...           "b": pd.Series([1, 2, 4, 3] * 20)}]
    >>> compare_family(pairs)[["group", "difference", "significant"]].values.tolist()
    [['x', 50.0, True]]
    """
    from cxresearch.results import Comparison
    from cxresearch.stats.inference import compare_samples
    from cxresearch.stats.multiplicity import adjust_pvalues, adjusted_confidence, check_adjust

    adjust = check_adjust(adjust)
    fields = [f.name for f in dataclasses.fields(Comparison)]
    sides = ("metric", "a", "b", "weights_a", "weights_b", "ids_a", "ids_b")

    def row(pair: Mapping[str, Any], level: float) -> dict[str, Any]:
        out = {k: v for k, v in pair.items() if k not in sides}
        a, b = pair["a"].dropna(), pair["b"].dropna()
        if a.empty or b.empty:
            return {**out, **dict.fromkeys(fields, np.nan), "n_a": len(a), "n_b": len(b)}

        def part(key: str, kept: pd.Series) -> Any:
            given = pair.get(key)
            return None if given is None else given.loc[kept.index]

        result = compare_samples(
            a,
            b,
            metric=pair["metric"],
            weights_a=part("weights_a", a),
            weights_b=part("weights_b", b),
            ids_a=part("ids_a", a),
            ids_b=part("ids_b", b),
            confidence=level,
        )
        return {**out, **{f: getattr(result, f) for f in fields}}

    rows = [row(p, confidence) for p in pairs]
    pvalues = np.array([r["pvalue"] for r in rows], dtype="float64")
    level = adjusted_confidence(pvalues, adjust, confidence)
    if level != confidence:
        rows = [row(p, level) for p in pairs]
    out = pd.DataFrame(rows)
    out["pvalue_adjusted"] = adjust_pvalues(out["pvalue"].to_numpy(dtype="float64"), adjust)
    out["adjust"] = adjust
    out["significant"] = out["pvalue_adjusted"] < 1.0 - confidence
    out["interval_level"] = level
    return out
