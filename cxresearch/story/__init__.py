"""Key findings and recommendations: what a report says first.

A report opens with three to six findings the statistics support and the
recommendations drawn from them. The pieces:

* :mod:`~cxresearch.story.model` — :class:`Finding`, :class:`Action`,
  :class:`Recommendation`, :class:`Story` and :func:`build_story` (which findings to
  show, how actions merge into recommendations);
* :mod:`~cxresearch.story.rules` and :mod:`~cxresearch.story.driver_rules` — the rules:
  result frames of :mod:`cxresearch.stats` in, findings out, no words and no rounding;
* :mod:`~cxresearch.story.fields` — the typed values a finding holds, worded per language;
* :mod:`~cxresearch.story.providers` — one provider per analysis, named by
  ``AnalysisSpec.findings`` in :mod:`cxresearch.analyses`;
* :mod:`~cxresearch.story.render` — sentences and the recommendations table, from the
  ``story`` section of the label files, through the escaping path.

In a notebook::

    story = cxs.report_story(s, "benchmarking", headline=head, changes=changes)
    display(cxs.findings_section(story, L))
    display(cxs.recommendations_section(story, L))
    cxs.recommendations_table(story, L)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cxresearch.story.model import (
    MAX_FINDINGS,
    MIN_FINDINGS,
    Action,
    Finding,
    Recommendation,
    Story,
    build_story,
)
from cxresearch.story.render import (
    finding_text,
    findings_section,
    recommendation_text,
    recommendations_section,
    recommendations_table,
)

if TYPE_CHECKING:
    from cxresearch.session import RunSession

__all__ = [
    "MAX_FINDINGS",
    "MIN_FINDINGS",
    "Action",
    "Finding",
    "Recommendation",
    "Story",
    "build_story",
    "candidate_findings",
    "finding_text",
    "findings_section",
    "recommendation_text",
    "recommendations_section",
    "recommendations_table",
    "report_story",
]


def candidate_findings(session: RunSession, analysis: str, **results: Any) -> list[Finding]:
    """Every finding the analysis' provider (``AnalysisSpec.findings``) supports.

    ``results`` are what the notebook computed already (see the provider's docstring).
    An analysis without a provider has no findings.
    """
    from cxresearch.analyses import analysis as spec_of

    provider = spec_of(analysis).finding_provider()
    return [] if provider is None else list(provider(session, results))


def report_story(session: RunSession, analysis: str, **results: Any) -> Story:
    """The findings and recommendations a report of ``analysis`` opens with."""
    return build_story(candidate_findings(session, analysis, **results))
