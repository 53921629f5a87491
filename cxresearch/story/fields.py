"""Typed values of a finding, worded in the report's language only when the report is written.

A finding rule never formats a number or chooses a word: it records *what* a value is — a
metric's result, an interval at a level, a p-value, a category of a column, a driver's
name — as one of the small frozen classes below. :meth:`Field.plain` turns each into text
with :class:`~cxresearch.present.labels.Labels` (decimal comma, "95 % lv", the Finnish
category name), so the same finding reads right in Finnish and English and the rules stay
language-free. The finding's template (``story.findings.<kind>`` in the label files) is
then filled through :func:`cxresearch.present.escaping.md`, which escapes every value.

Examples
--------
>>> from cxresearch.present import get_labels
>>> Interval(-19.0, -0.9, metric="nps", level=0.95).plain(get_labels("en"))
'95% CI −19 – −1'
>>> Name("value:touchpoint", "delivery").plain(get_labels("fi"))
'toimitus'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from cxresearch.present.format import (
    format_base,
    format_ci_label,
    format_interval,
    format_number,
    format_percent,
    format_pvalue,
    is_percent_metric,
    metric_decimals,
)
from cxresearch.present.labels import Labels
from cxresearch.present.labels import fill_plain as labels_fill_plain

__all__ = [
    "Base",
    "Count",
    "Field",
    "Interval",
    "Items",
    "Measure",
    "Name",
    "Number",
    "PValue",
    "Part",
    "Percent",
    "Text",
    "Unit",
    "fill_plain",
    "lower_first",
]


class Field(Protocol):
    """Anything a finding's template can hold: it words itself for one language."""

    def plain(self, labels: Labels) -> str:  # pragma: no cover - protocol
        ...


@dataclass(frozen=True)
class Number:
    """A result on a metric's scale, rounded as the metric's tables round it.

    ``signed`` shows "+" on a rise; ``magnitude`` drops the sign ("fell by 10 points").
    """

    value: float
    metric: str = ""
    signed: bool = False
    magnitude: bool = False
    decimals: int | None = None

    def plain(self, labels: Labels) -> str:
        value = abs(self.value) if self.magnitude else self.value
        digits = metric_decimals(self.metric) if self.decimals is None else self.decimals
        return format_number(value, labels, decimals=digits, signed=self.signed)


@dataclass(frozen=True)
class Measure:
    """A value in a metric's own form: "54 %", "26", "9,5 min", "429 EUR".

    ``form`` is ``"percent"``, ``"points"`` (NPS) or ``"plain"`` (a mean, with the
    params' ``unit``). A ``difference`` is said in its unit: percentage points, points, or
    the unit ("−2,5 min").
    """

    value: float
    decimals: int = 0
    form: str = "plain"
    unit: str = ""
    signed: bool = False
    magnitude: bool = False
    difference: bool = False

    def plain(self, labels: Labels) -> str:
        value = abs(self.value) if self.magnitude else self.value
        text = format_number(value, labels, decimals=self.decimals, signed=self.signed)
        if self.difference and self.form in ("percent", "points"):
            word = "unit_percent" if self.form == "percent" else "unit_points"
            return f"{text} {labels.plain(word)}"
        if self.form == "percent":
            return labels.get("number.percent", "{value}%").format(value=text)
        return f"{text} {self.unit}" if self.unit else text


@dataclass(frozen=True)
class Count:
    """A count of things (targets, areas, answers): a whole number."""

    value: float

    def plain(self, labels: Labels) -> str:
        return format_number(self.value, labels)


@dataclass(frozen=True)
class Percent:
    """A share given on the 0..1 scale, shown as a whole percentage ("23 %")."""

    share: float

    def plain(self, labels: Labels) -> str:
        return format_percent(100.0 * self.share, labels)


@dataclass(frozen=True)
class Interval:
    """An interval with its level: "95 % lv 20–32"; ``percent`` for 0..1 shares."""

    low: float
    high: float
    metric: str = ""
    level: float = 0.95
    share: bool = False
    decimals: int | None = None

    def plain(self, labels: Labels) -> str:
        low, high = (100 * self.low, 100 * self.high) if self.share else (self.low, self.high)
        digits = 0 if self.share else metric_decimals(self.metric)
        digits = digits if self.decimals is None else self.decimals
        return (
            f"{format_ci_label(self.level, labels)} "
            f"{format_interval(low, high, labels, decimals=digits)}"
        )


@dataclass(frozen=True)
class Base:
    """A base: "n = 610" (with the effective n when weighted)."""

    n: float
    n_effective: float = float("nan")

    def plain(self, labels: Labels) -> str:
        weighted = not math.isnan(self.n_effective) and abs(self.n_effective - self.n) > 1e-9
        return format_base(self.n, labels, n_effective=self.n_effective, weighted=weighted)


@dataclass(frozen=True)
class PValue:
    """A p-value; adjusted ones are said to be ("adjusted p = 0.07")."""

    pvalue: float
    adjusted: bool = False

    def plain(self, labels: Labels) -> str:
        text = format_pvalue(self.pvalue, labels)
        if not self.adjusted:
            return text
        return labels.fill("story.words.p_adjusted", p=text)


@dataclass(frozen=True)
class Unit:
    """The unit of a difference of ``metric``: points, or percentage points."""

    metric: str

    def plain(self, labels: Labels) -> str:
        return labels.plain("unit_percent" if is_percent_metric(self.metric) else "unit_points")


@dataclass(frozen=True)
class Text:
    """Text from params or data (a target's label, a norm's name), shown as it is."""

    text: str

    def plain(self, labels: Labels) -> str:
        return str(self.text)


def lower_first(name: str) -> str:
    """A name inside a sentence: "Hinta" → "hinta", but "NPS" stays as it is."""
    return name[:1].lower() + name[1:] if name[1:2].islower() else name


def _driver(key: str, labels: Labels) -> str:
    from cxresearch.present.drivers import driver_label

    return lower_first(driver_label(key, labels))


def _outcome(key: str, labels: Labels) -> str:
    from cxresearch.present.drivers import outcome_label

    return lower_first(outcome_label(key, labels))


def _journey_metric(key: str, labels: Labels) -> str:
    from cxresearch.present.journey import metric_label

    return metric_label(key, labels, short=True)


def _priority(key: str, labels: Labels) -> str:
    from cxresearch.present.drivers import priority_label

    return priority_label(key, labels)


_LOOKUPS: dict[str, Any] = {
    "metric": lambda key, labels: labels.metric(key),
    "metric_short": lambda key, labels: labels.metric(key, short=True),
    "column": lambda key, labels: labels.column(key),
    "column_lower": lambda key, labels: lower_first(labels.column(key)),
    "test": lambda key, labels: labels.test(key, short=True),
    "multiplicity": lambda key, labels: labels.lookup("multiplicity", key),
    "story": lambda key, labels: labels.get(f"story.words.{key}"),
    "driver": _driver,
    "outcome": _outcome,
    "priority": _priority,
    "journey_metric": _journey_metric,
}


@dataclass(frozen=True)
class Name:
    """A name looked up in the labels: ``Name("metric", "nps")``, ``Name("value:touchpoint",
    "delivery")`` (a category of a column), ``Name("driver", "attr_price")``, ``"test"``,
    ``"column"``, ``"outcome"``, ``"priority"``, ``"multiplicity"``, ``"story"`` (a word of
    the ``story.words`` section). Unknown keys show as they are."""

    kind: str
    key: str

    def plain(self, labels: Labels) -> str:
        if self.kind.startswith("value:"):
            return labels.value(self.kind.split(":", 1)[1], self.key)
        lookup = _LOOKUPS.get(self.kind)
        if lookup is None:
            raise ValueError(f"unknown name kind {self.kind!r}; known: {sorted(_LOOKUPS)}")
        return str(lookup(self.key, labels))


def fill_plain(template: str, fields: Mapping[str, Field], labels: Labels) -> str:
    """``template`` with each field worded (plain text: tables and nested parts)."""
    values = {name: value.plain(labels) for name, value in fields.items()}
    return labels_fill_plain(template, **values)


@dataclass(frozen=True)
class Part:
    """A phrase of its own template (``story.parts.<key>``), e.g. one item of a list.

    A key with a dot names any label (``drivers.skip_too_few``), so a finding can reuse
    another section's sentence.
    """

    key: str
    fields: Mapping[str, Field] = field(default_factory=dict)

    def plain(self, labels: Labels) -> str:
        key = self.key if "." in self.key else f"story.parts.{self.key}"
        return fill_plain(labels.get(key), self.fields, labels)


@dataclass(frozen=True)
class Items:
    """Several fields as one list: "a, b and c" / "a, b ja c"."""

    items: tuple[Field, ...]

    def plain(self, labels: Labels) -> str:
        words = [item.plain(labels) for item in self.items]
        if len(words) <= 1:
            return "".join(words)
        last = labels.get("story.words.and")
        return ", ".join(words[:-1]) + f" {last} " + words[-1]
