"""The journey report's outcome, loop and fatigue numbers for one run.

Functions of a :class:`~cxresearch.journey.run.JourneyRun` that pick rows and settings and
call the statistics: outcome rates by experience group through the metric registry, the
retention model and the value at stake of :mod:`cxresearch.stats.outcomes`, the follow-up
statuses of :mod:`cxresearch.journey.loop` and the fatigue counts of
:mod:`cxresearch.stats.journey`. Nothing here reads contact details or free text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cxresearch.journey.files import params_file, read_params_table, to_numbers
from cxresearch.journey.loop import followup_items, loop_files, read_status
from cxresearch.journey.model import ModelMetric, model_metric, population_mask
from cxresearch.journey.run import JourneyRun
from cxresearch.results import Estimate
from cxresearch.stats.journey import answers_per_period, fatigue_table, loop_status
from cxresearch.stats.metrics import estimate
from cxresearch.stats.outcomes import ValueAtStake, experience_groups
from cxresearch.stats.outcomes import retention_model as fit_retention
from cxresearch.stats.outcomes import value_at_stake as stake
from cxresearch.stats.registry import ShareMetric

__all__ = [
    "GROUPINGS",
    "ThemesByType",
    "fatigue",
    "loop_summary",
    "outcome_rates",
    "retention_model",
    "themes_by_type",
    "value_at_stake",
]

#: Experience groupings outcome rates are shown by (columns of ``experience_groups``).
GROUPINGS = ("nps_group", "csat_level", "ces_level")
_WEIGHT = "_journey_weight"


def _grouped_rows(j: JourneyRun) -> pd.DataFrame:
    rows = j.pooled
    return rows.join(experience_groups(rows))


def outcome_rates(j: JourneyRun) -> pd.DataFrame:
    """Each outcome metric by NPS group, CSAT level and CES level, with intervals.

    Returns
    -------
    DataFrame
        ``name, grouping, group`` and ``metric_by``'s columns, groups best first; only the
        groupings whose score column the data has. Outcome metrics keep their population
        (retention of current customers).
    """
    rows = _grouped_rows(j)
    frames = []
    for m in j.level("outcome"):
        for grouping in GROUPINGS:
            if grouping not in rows.columns:
                continue
            part = j.by(m, grouping, rows)
            # Rows without an answer to the grouping's question form no group here.
            part = part[(part["n"] > 0) & part[grouping].notna()]
            part = part.rename(columns={grouping: "group"})
            part.insert(0, "grouping", grouping)
            part.insert(0, "name", m.name)
            frames.append(part)
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True)
    out["group"] = out["group"].astype("str")
    return out


def _model_inputs(j: JourneyRun, population: dict[str, Any]) -> dict[str, Any]:
    """The rows of a population (pooled waves) and the design arguments of a model."""
    rows = j.pooled
    rows = rows[population_mask(rows, population)]
    weights = j.weights(rows)
    if weights is not None:
        rows = rows.assign(**{_WEIGHT: weights})
    return {
        "rows": rows,
        "weights": None if weights is None else _WEIGHT,
        "clusters": j.ids,
        "confidence": j.confidence,
    }


def retention_model(j: JourneyRun) -> tuple[pd.DataFrame, dict[str, float]] | None:
    """The params' logistic model (``journey.retention_model``) on the pooled rows.

    Clustered by respondent when waves are pooled and people answer more than once; the
    weights, if any, are the run's (a raked calibration is not used by the model's
    sandwich, which makes its intervals conservative). None without the section.
    """
    spec = j.spec.retention_model
    if spec is None:
        return None
    inputs = _model_inputs(j, dict(spec.population))
    return fit_retention(
        inputs.pop("rows"), outcome=spec.outcome, predictors=spec.predictors, **inputs
    )


def value_at_stake(j: JourneyRun) -> ValueAtStake | None:
    """The value at stake (``journey.value_at_stake``) on the pooled rows, or None.

    Scaled to ``journey.value_at_stake.customers`` in the whole-base run; a segment run
    (a run with a filter) reports it per customer, because that count is the whole base's.
    """
    spec = j.spec.value_at_stake
    if spec is None:
        return None
    inputs = _model_inputs(j, dict(spec.population))
    # The params' customer count is the whole base: a segment run reports per customer.
    customers = None if j.session.run.filter else spec.customers
    return stake(
        inputs.pop("rows"),
        outcome=spec.outcome,
        value=spec.value,
        customers=customers,
        **inputs,
    )


def _share(flags: np.ndarray, confidence: float, name: str) -> Estimate:
    metric = ShareMetric(name, scale=(0, 1), integer=True)
    return estimate(metric, flags.astype("float64"), confidence=confidence)


def loop_summary(j: JourneyRun) -> dict[str, Any] | None:
    """Closed-loop rate, time to close against the SLA, and open items by owner.

    Items are the run's follow-up items (:func:`~cxresearch.journey.loop.followup_items`)
    with the statuses last imported. Returns None without ``journey.loop``; otherwise
    ``items`` (count), ``as_of`` (when the statuses were last updated, or None),
    ``closed`` / ``within_sla`` (:class:`~cxresearch.results.Estimate` shares of all items,
    None without items), ``median_hours`` / ``q3_hours`` to close, ``sla_hours``, and
    ``owners``: per owner ``items, open, overdue, closed, within_sla``.
    """
    spec = j.spec.loop
    if spec is None:
        return None
    params = j.session.params
    status = read_status(loop_files(params).status, params=params)
    items = followup_items(params, j.rows, status)
    as_of = status["updated_at"].max() if len(status) else None
    as_of = None if as_of is None or pd.isna(as_of) else pd.Timestamp(as_of)
    state = loop_status(items, closed=spec.closed, sla_hours=spec.sla_hours, as_of=as_of)
    table = items[["owner"]].join(state)
    owners = table.groupby("owner", sort=True).agg(
        items=("is_closed", "size"),
        open=("is_closed", lambda c: int((~c).sum())),
        overdue=("overdue", "sum"),
        closed=("is_closed", "sum"),
        within_sla=("within_sla", "sum"),
    )
    hours = state["hours_to_close"].dropna()
    return {
        "items": len(items),
        "as_of": as_of,
        "sla_hours": spec.sla_hours,
        "closed": _share(state["is_closed"].to_numpy(), j.confidence, "closed_loop")
        if len(items)
        else None,
        "within_sla": _share(state["within_sla"].to_numpy(), j.confidence, "within_sla")
        if len(items)
        else None,
        "median_hours": float(hours.median()) if len(hours) else float("nan"),
        "q3_hours": float(hours.quantile(0.75)) if len(hours) else float("nan"),
        "owners": owners.reset_index().astype(
            {"overdue": "int64", "closed": "int64", "within_sla": "int64"}
        ),  # fmt: skip
        "statuses": items["status"].value_counts().reindex(spec.statuses, fill_value=0),
    }


def fatigue(j: JourneyRun) -> dict[str, Any] | None:
    """Answers (and invitations) per respondent per period, and who was asked too often.

    Returns None without ``journey.fatigue``; otherwise ``table``
    (:func:`~cxresearch.stats.journey.fatigue_table` per period), ``period``,
    ``max_answers``, ``max_invitations`` and, with invitations, ``response_rate`` per
    period (:class:`~cxresearch.results.Estimate`: answers per invitation, each invitation
    a trial).
    """
    spec = j.spec.fatigue
    if spec is None:
        return None
    per = answers_per_period(j.rows, period=spec.period)
    invitations = None
    if spec.invitations is not None:
        inv = spec.invitations
        params = j.session.params
        path = params_file(params, inv.path)
        raw = read_params_table(params, path)
        invitations = pd.DataFrame(
            {
                "respondent_id": raw[inv.key].astype("str"),
                "period": raw[inv.period].astype("str"),
                "invitations": to_numbers(raw, inv.count, path),
            }
        )
        invitations = invitations[invitations["period"].isin(set(per["period"]))]
        if j.session.run.filter:
            # People who never answered cannot be placed in a segment: a segment run
            # counts the invitations of its own respondents only.
            answered = set(j.rows["respondent_id"].dropna())
            invitations = invitations[invitations["respondent_id"].isin(answered)]
    table = fatigue_table(
        per, max_answers=spec.max_answers, invitations=invitations,
        max_invitations=spec.max_invitations,
    )  # fmt: skip
    out: dict[str, Any] = {
        "table": table,
        "period": spec.period,
        "max_answers": spec.max_answers,
        "max_invitations": spec.max_invitations,
    }
    if invitations is not None:
        rates = {}
        for row in table.to_dict("records"):
            asked, answered_n = int(row["invitations"]), int(row["answered_invitations"])
            if asked > 0 and answered_n <= asked:
                trials = np.zeros(asked)
                trials[:answered_n] = 1.0
                rates[str(row["period"])] = _share(trials, j.confidence, "response_rate")
        out["response_rate"] = rates
    return out


def outcome_metric(j: JourneyRun) -> ModelMetric | None:
    """The first share metric of the outcome level (retention in the demo), or None."""
    return next((m for m in j.level("outcome") if isinstance(m.metric, ShareMetric)), None)


@dataclass(frozen=True)
class ThemesByType:
    """Comment themes by customer type (pooled waves): the coding, shares and tests.

    Attributes
    ----------
    coding
        The run's :class:`~cxresearch.qual.run.QualRun` (codebook, coded comments).
    prevalence
        ``theme_prevalence`` by customer type: share of commenters mentioning each theme.
    tests
        Former − current and never − current per theme, one adjusted family
        (:meth:`JourneyRun.compare`): ``name`` is the theme code, ``group`` the type.
    metric
        The share metric the tests use (a theme mentioned: 1, not: 0), for formatting.
    """

    coding: Any
    prevalence: pd.DataFrame
    tests: pd.DataFrame
    metric: ModelMetric


def themes_by_type(j: JourneyRun) -> ThemesByType | None:
    """Themes of the comments by customer type, with tests; None without ``coding:``.

    The comments are coded by the qualitative analysis (:func:`~cxresearch.qual.run.
    open_coding` with the params' codebook). Commenters whose comment could be coded are
    the base; like the rest of the journey view, every wave of the run is pooled and a
    person answering several waves is one cluster.
    """
    if j.session.params.coding is None:
        return None
    from cxresearch.journey.spec import JourneyMetric
    from cxresearch.qual.run import open_coding

    q = open_coding(j.session)
    ids = q.ids(current=j.spec.pool == "current")
    codes = q.coding.codes.loc[ids, q.codebook.themes].astype("float64")
    who = q.comments.loc[ids]
    metric = model_metric(
        JourneyMetric(name="theme", level="experience", column="mentioned", kind="share")
    )
    clusters = who["respondent_id"] if j.ids is not None else None
    pairs = []
    current = (who["customer_type"] == "current").to_numpy()
    for code in q.codebook.themes:
        for kind in ("former", "never"):
            other = (who["customer_type"] == kind).to_numpy()
            if not other.any() or not current.any():
                continue
            pairs.append(
                {
                    "name": code,
                    "group": kind,
                    "metric": metric.metric,
                    "a": codes.loc[other, code],
                    "b": codes.loc[current, code],
                    "ids_a": None if clusters is None else clusters[other],
                    "ids_b": None if clusters is None else clusters[current],
                }
            )
    return ThemesByType(
        coding=q,
        prevalence=q.prevalence(["customer_type"], current=j.spec.pool == "current"),
        tests=j.compare(pairs) if pairs else pd.DataFrame(),
        metric=metric,
    )
