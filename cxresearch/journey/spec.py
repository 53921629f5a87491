"""The ``journey:`` section of a params file: the three-level metric model and its settings.

A consultancy measures outcome (retention, repurchase, customer lifetime value),
experience (NPS, CSAT, CES, effectiveness, ease, emotion) and operational metrics
(handling time, first-contact resolution, delivery delay) together. Each metric is one
entry under ``journey.metrics`` with its level, where its numbers come from (a column, a
formula, or a metric of the registry by name), its kind (a share or a mean), its scale,
which direction is good and its targets per target group × touchpoint::

    journey:
      metrics:
        - {name: retention, level: outcome, column: retained, kind: share,
           population: {customer_type: current}, targets: [{value: 80}]}
        - {name: clv, level: outcome, column: clv, kind: mean, unit: EUR}
        - {name: nps, level: experience, targets: [{touchpoint: delivery, value: 20}]}
        - {name: handling_time, level: operational, source: operational,
           column: handling_minutes, kind: mean, direction: lower}
        - {name: on_time, level: operational, source: operational,
           formula: "delivery_delay_days <= 0", kind: share}
      operational: {path: data/demo/operational.csv, key: response_id}
      loop: {sla_hours: 48, owners: {delivery: Logistics}, default_owner: CX team}

Only validation lives here (pydantic models, no pandas); :mod:`cxresearch.journey.model`
turns each metric into a metric of the registry.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cxresearch.journey.formula import FormulaError, parse_formula
from cxresearch.paths import ProjectFile

__all__ = [
    "BUILTIN_METRICS",
    "LEVELS",
    "FatigueSpec",
    "JourneyMetric",
    "JourneySpec",
    "LoopSpec",
    "MetricTarget",
    "OperationalSpec",
]

#: The three levels, in the order the scorecard shows them.
LEVELS = ("outcome", "experience", "operational")
#: Registry metrics a journey metric may name without a column: their column, scale and
#: interval are the registry's (NPS on −100..100, shares in %, CES mean on 1–7).
BUILTIN_METRICS = ("nps", "csat", "ces", "ces_mean")
_NAME = r"^[a-z][a-z0-9_]{0,40}$"
Scalar = str | int | float | bool
FilterSpec = dict[str, Scalar | list[Scalar]]


def _current_customers() -> FilterSpec:
    return {"customer_type": "current"}


class _Strict(BaseModel):
    # As in cxresearch.params: a misspelt key is an error, not a silently ignored setting.
    model_config = ConfigDict(extra="forbid", frozen=True)


class MetricTarget(_Strict):
    """A target of one metric for a target group × touchpoint (both optional)."""

    value: float
    touchpoint: str | None = None
    segment: dict[str, str] = Field(default_factory=dict)
    label: str | None = None


class JourneyMetric(_Strict):
    """One metric of the model.

    Either ``name`` is a registry metric (``nps``, ``csat``, ``ces``, ``ces_mean``) and
    nothing else says where it comes from, or it has exactly one of ``column`` /
    ``formula`` and a ``kind``: ``share`` (the % of rows whose value is in ``top``; a
    yes/no column or a condition counts its yes answers) or ``mean``.
    """

    name: str = Field(pattern=_NAME)
    level: Literal["outcome", "experience", "operational"]
    column: str | None = None
    formula: str | None = None
    kind: Literal["share", "mean"] | None = None
    top: list[float] | None = None
    scale: tuple[float, float] | None = None
    direction: Literal["higher", "lower"] = "higher"
    decimals: int | None = Field(default=None, ge=0, le=4)
    unit: str | None = None
    label: dict[Literal["fi", "en"], str] | None = None
    population: FilterSpec = Field(default_factory=dict)
    source: Literal["responses", "operational"] = "responses"
    targets: list[MetricTarget] = Field(default_factory=list)

    @field_validator("formula")
    @classmethod
    def _parses(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_formula(value)
            except FormulaError as exc:
                raise ValueError(str(exc)) from None
        return value

    @model_validator(mode="after")
    def _defined_once(self) -> JourneyMetric:
        given = [k for k in ("column", "formula") if getattr(self, k) is not None]
        if not given:
            if self.name not in BUILTIN_METRICS:
                raise ValueError(
                    f"metric {self.name!r}: give a column or a formula (and a kind), or use a "
                    f"built-in metric name {list(BUILTIN_METRICS)}"
                )
            if self.kind is not None or self.top is not None or self.scale is not None:
                raise ValueError(
                    f"metric {self.name!r} is built in: its kind, top boxes and scale are fixed"
                )
            if self.source != "responses":
                raise ValueError(f"metric {self.name!r} is built in and read from the responses")
            return self
        if len(given) == 2:
            raise ValueError(f"metric {self.name!r}: give either a column or a formula, not both")
        if self.kind is None:
            raise ValueError(f"metric {self.name!r}: kind (share or mean) is required")
        if self.kind == "mean" and self.top is not None:
            raise ValueError(f"metric {self.name!r}: top applies to shares only")
        if self.scale is not None and not self.scale[0] < self.scale[1]:
            raise ValueError(f"metric {self.name!r}: scale must be (low, high) with low < high")
        if self.formula is not None and self.kind == "share" and self.top is not None:
            raise ValueError(f"metric {self.name!r}: a condition formula has no top boxes")
        return self

    @property
    def columns(self) -> list[str]:
        """The data columns the metric reads (its column, or the formula's names)."""
        if self.formula is not None:
            return sorted(parse_formula(self.formula).columns)
        if self.column is not None:
            return [self.column]
        return []


class OperationalSpec(_Strict):
    """A second file of operational measures, joined to the responses by an id."""

    path: ProjectFile
    key: Literal["response_id", "respondent_id"] = "response_id"
    mapping: dict[str, str] = Field(default_factory=dict)


class ContactsSpec(_Strict):
    """Where contact details for the follow-up list come from (never shown in a report)."""

    path: ProjectFile
    key: Literal["respondent_id", "response_id"] = "respondent_id"
    columns: list[str] = Field(min_length=1)


class LoopSpec(_Strict):
    """Closing the loop: who is followed up, by whom, by when."""

    sla_hours: float = Field(default=48.0, gt=0)
    csat_max: int | None = Field(default=2, ge=1, le=5)
    ces_max: int | None = Field(default=3, ge=1, le=7)
    owners: dict[str, str] = Field(default_factory=dict)
    default_owner: str = "CX"
    folder: ProjectFile | None = None
    contacts: ContactsSpec | None = None
    statuses: list[str] = Field(
        default_factory=lambda: ["open", "in_progress", "closed", "unreachable"], min_length=2
    )
    closed: list[str] = Field(default_factory=lambda: ["closed", "unreachable"], min_length=1)
    done: str = "closed"
    waves: Literal["current", "all"] = "current"

    @model_validator(mode="after")
    def _statuses(self) -> LoopSpec:
        unknown = [s for s in [*self.closed, self.done] if s not in self.statuses]
        if unknown:
            raise ValueError(f"loop: {unknown} are not among the statuses {self.statuses}")
        if self.statuses[0] in self.closed:
            raise ValueError("loop: the first status (given to new items) cannot be a closed one")
        return self

    def folder_for(self, client: str) -> str:
        """The follow-up folder (``followup/<client>`` unless params name one)."""
        return self.folder or f"followup/{client}"


class InvitationsSpec(_Strict):
    """Invitations sent per respondent and period (for response rates and fatigue)."""

    path: ProjectFile
    key: Literal["respondent_id"] = "respondent_id"
    period: str = "period"
    count: str = "invitations"


class FatigueSpec(_Strict):
    """How often people are asked: periods, thresholds, optional invitation counts."""

    period: Literal["wave", "month", "quarter", "year"] = "year"
    max_answers: int = Field(default=2, ge=1)
    invitations: InvitationsSpec | None = None
    max_invitations: int | None = Field(default=None, ge=1)


class TimelinessSpec(_Strict):
    """Asking close to the interaction: answers later than ``late_days`` are 'late'."""

    late_days: float = Field(default=7.0, gt=0)


class RetentionModelSpec(_Strict):
    """The logistic model of an outcome on experience measures (odds ratios per SD)."""

    outcome: str = "retained"
    predictors: list[str] = Field(min_length=1)
    population: FilterSpec = Field(default_factory=_current_customers)

    @field_validator("predictors")
    @classmethod
    def _once(cls, value: list[str]) -> list[str]:
        repeated = sorted({p for p in value if value.count(p) > 1})
        if repeated:
            raise ValueError(f"predictors listed twice: {repeated}")
        return value


class ValueAtStakeSpec(_Strict):
    """Revenue difference if detractors were retained like passives."""

    outcome: str = "retained"
    value: str = "clv"
    customers: int | None = Field(default=None, gt=0)
    population: FilterSpec = Field(default_factory=_current_customers)
    currency: str = "EUR"


class JourneySpec(_Strict):
    """The ``journey:`` section (see the module docstring)."""

    metrics: list[JourneyMetric] = Field(min_length=1)
    pool: Literal["all", "current"] = "all"
    operational: OperationalSpec | None = None
    retention_model: RetentionModelSpec | None = None
    value_at_stake: ValueAtStakeSpec | None = None
    loop: LoopSpec | None = None
    fatigue: FatigueSpec | None = None
    timeliness: TimelinessSpec = Field(default_factory=TimelinessSpec)

    @model_validator(mode="after")
    def _consistent(self) -> JourneySpec:
        names = [m.name for m in self.metrics]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"journey.metrics: names repeat: {repeated}")
        needs = [m.name for m in self.metrics if m.source == "operational"]
        if needs and self.operational is None:
            raise ValueError(
                f"journey.metrics {needs} come from the operational file, but there is no "
                "journey.operational section"
            )
        if not any(m.level == "experience" for m in self.metrics):
            raise ValueError("journey.metrics: at least one experience metric is needed")
        return self

    def response_columns(self) -> dict[str, list[str]]:
        """Columns of the responses the section names, keyed by the params key naming them."""
        need: dict[str, list[str]] = {}
        for i, metric in enumerate(self.metrics):
            if metric.source == "responses" and metric.columns:
                need[f"journey.metrics[{i}] ({metric.name})"] = metric.columns
            need[f"journey.metrics[{i}].population"] = list(metric.population)
            for j, target in enumerate(metric.targets):
                if target.touchpoint is not None:
                    need[f"journey.metrics[{i}].targets[{j}].touchpoint"] = ["touchpoint"]
                need[f"journey.metrics[{i}].targets[{j}].segment"] = list(target.segment)
        if self.retention_model is not None:
            model = self.retention_model
            need["journey.retention_model"] = [model.outcome, *model.predictors]
            need["journey.retention_model.population"] = list(model.population)
        if self.value_at_stake is not None:
            stake = self.value_at_stake
            need["journey.value_at_stake"] = ["nps", stake.outcome, stake.value]
            need["journey.value_at_stake.population"] = list(stake.population)
        return {key: cols for key, cols in need.items() if cols}

    def files(self) -> dict[str, str]:
        """Extra files the section reads for the report (params key → path as written)."""
        out: dict[str, str] = {}
        if self.operational is not None:
            out["journey.operational.path"] = self.operational.path
        if self.fatigue is not None and self.fatigue.invitations is not None:
            out["journey.fatigue.invitations.path"] = self.fatigue.invitations.path
        return out


def metric_by_name(spec: JourneySpec, name: str) -> JourneyMetric:
    """The metric called ``name``; KeyError naming the known ones."""
    for metric in spec.metrics:
        if metric.name == name:
            return metric
    raise KeyError(f"no journey metric {name!r}; have {[m.name for m in spec.metrics]}")
