"""Findings and recommendations: what a report says first, as data.

A :class:`Finding` is one statement the statistics support, recorded by a rule
(:mod:`cxresearch.story.rules`) as a kind plus typed fields
(:mod:`cxresearch.story.fields`): no words, no rounding. A finding can carry an
*action*: what to do about it, with a priority. :func:`build_story` picks the findings a
report opens with (the strongest first, three to six of them) and turns their actions
into :class:`Recommendation` objects; findings with the same topic and action (a
touchpoint that misses its target *and* lags behind the others) become one
recommendation that cites both. Wording happens in :mod:`cxresearch.story.render`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from cxresearch.story.fields import Field

__all__ = [
    "FILLER_WEIGHT",
    "MAX_FINDINGS",
    "MIN_FINDINGS",
    "PRIORITIES",
    "Action",
    "Finding",
    "Recommendation",
    "Story",
    "build_story",
]

Tone = Literal["negative", "positive", "neutral"]
Priority = Literal["high", "medium", "low"]
#: Recommendation priorities, most urgent first.
PRIORITIES: tuple[Priority, ...] = ("high", "medium", "low")
MIN_FINDINGS, MAX_FINDINGS = 3, 6
#: Findings weighing less are fillers: shown only to reach :data:`MIN_FINDINGS`.
FILLER_WEIGHT = 40


@dataclass(frozen=True)
class Action:
    """What a finding asks to be done: ``story.actions.<kind>`` with its values.

    Actions of the shown findings with the same ``kind`` and ``topic`` (e.g.
    ``"touchpoint=delivery"``) become one :class:`Recommendation`.
    """

    kind: str
    fields: Mapping[str, Field]
    priority: Priority
    topic: str = ""

    def __post_init__(self) -> None:
        if self.priority not in PRIORITIES:
            raise ValueError(f"priority must be one of {PRIORITIES}, got {self.priority!r}")


@dataclass(frozen=True)
class Finding:
    """One statement the statistics support.

    Attributes
    ----------
    kind
        Its template: ``story.findings.<kind>`` in the label files.
    fields
        The template's values, typed (:mod:`cxresearch.story.fields`).
    tone
        ``"negative"`` (a problem), ``"positive"`` (a strength) or ``"neutral"`` (no
        difference, cannot tell).
    weight
        Rank among the candidates; larger first (see :mod:`cxresearch.story.rules`).
    significant
        Whether it rests on a significant, multiplicity-adjusted verdict. A finding that
        is not (``"did not change significantly"``) must say so in its wording.
    analysis
        The analysis that found it (``"benchmarking"``, ``"drivers"``...).
    actions
        What to do about it (:class:`Action`); none for a finding that needs no action.
    evidence
        The numbers behind it, unrounded (value, interval, p-value...), for checks.
    """

    kind: str
    fields: Mapping[str, Field]
    tone: Tone
    weight: float
    significant: bool
    analysis: str = ""
    actions: tuple[Action, ...] = ()
    evidence: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.tone not in ("negative", "positive", "neutral"):
            raise ValueError(f"tone must be negative, positive or neutral, got {self.tone!r}")


@dataclass(frozen=True)
class Recommendation:
    """What to do, with its priority and the findings (1-based numbers) it rests on."""

    action: str
    fields: Mapping[str, Field]
    priority: Priority
    findings: tuple[int, ...]
    topic: str = ""


@dataclass(frozen=True)
class Story:
    """The findings a report opens with and the recommendations drawn from them."""

    findings: tuple[Finding, ...]
    recommendations: tuple[Recommendation, ...]
    candidates: int = 0


def build_story(
    candidates: Sequence[Finding],
    *,
    max_findings: int = MAX_FINDINGS,
) -> Story:
    """Pick the findings to show and derive the recommendations.

    Parameters
    ----------
    candidates
        Every finding the providers produced.
    max_findings
        At most this many are shown (the strongest, by ``weight``; ties keep the
        providers' order). Fillers (weight under :data:`FILLER_WEIGHT`: "no significant
        difference from the norm", "groups too small to compare") are shown only while
        fewer than :data:`MIN_FINDINGS` others are.

    Returns
    -------
    Story
        Findings by weight; recommendations by priority, then by the first finding they
        cite. Actions with the same ``kind`` and ``topic`` share a recommendation, at the
        highest priority among them, citing every finding they come from.

    Examples
    --------
    >>> from cxresearch.story.fields import Text
    >>> fix = Action("improve", {"t": Text("a")}, "high", topic="tp=a")
    >>> a = Finding("x", {}, "negative", 2, True, actions=(fix,))
    >>> b = Finding("y", {}, "negative", 1, True, actions=(fix,))
    >>> story = build_story([b, a])
    >>> [f.kind for f in story.findings], story.recommendations[0].findings
    (['x', 'y'], (1, 2))
    """
    if max_findings < 1:
        raise ValueError(f"max_findings must be at least 1, got {max_findings!r}")
    order = sorted(range(len(candidates)), key=lambda i: (-candidates[i].weight, i))
    strong = [i for i in order if candidates[i].weight >= FILLER_WEIGHT]
    fillers = [i for i in order if candidates[i].weight < FILLER_WEIGHT]
    picked = strong[:max_findings]
    picked += fillers[: max(0, min(MIN_FINDINGS, max_findings) - len(picked))]
    chosen = tuple(candidates[i] for i in picked)
    grouped: dict[tuple[str, str], list[tuple[int, Action]]] = {}
    for number, finding in enumerate(chosen, start=1):
        for action in finding.actions:
            cited = grouped.setdefault((action.kind, action.topic), [])
            if number not in [n for n, _ in cited]:
                cited.append((number, action))
    recommendations = []
    for (kind, topic), cited in grouped.items():
        priority = min((a.priority for _, a in cited), key=PRIORITIES.index)
        numbers = tuple(n for n, _ in cited)
        recommendations.append(Recommendation(kind, cited[0][1].fields, priority, numbers, topic))
    recommendations.sort(key=lambda r: (PRIORITIES.index(r.priority), r.findings[0]))
    return Story(chosen, tuple(recommendations), len(candidates))
