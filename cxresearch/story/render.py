"""Findings and recommendations in the report's words.

Each finding kind has a short title and a sentence in the label files
(``story.findings.<kind>.title`` / ``.text``); each action a sentence
(``story.actions.<kind>``). Their fields are the finding's typed values
(:mod:`cxresearch.story.fields`), worded in the report's language and escaped through
:func:`cxresearch.present.escaping.md`, so findings reach the page by the one escaping
path. Recommendations are a :class:`~cxresearch.present.tables.Table` (priority,
recommendation, the findings it rests on), which escapes its cells.
"""

from __future__ import annotations

import pandas as pd

from cxresearch.present.escaping import SafeMarkdown, escape, heading, markdown, md
from cxresearch.present.labels import Labels
from cxresearch.present.tables import Table
from cxresearch.story.fields import fill_plain
from cxresearch.story.model import Finding, Recommendation, Story

__all__ = [
    "finding_text",
    "findings_section",
    "recommendation_text",
    "recommendations_section",
    "recommendations_table",
]


def _template(labels: Labels, key: str) -> str:
    found = labels.get(key, "")
    if not found:
        raise KeyError(f"the {labels.language} labels have no {key!r}")
    return found


def finding_text(finding: Finding, labels: Labels) -> SafeMarkdown:
    """One finding as "**Title.** Sentence." in the report's language."""
    values = {name: value.plain(labels) for name, value in finding.fields.items()}
    title = fill_plain(
        _template(labels, f"story.findings.{finding.kind}.title"), finding.fields, labels
    )
    title = md("{t}", t=title[:1].upper() + title[1:])
    # Templates may open with a field ("hinta ja tunne osuvat ..."): capitalise the text.
    template = _template(labels, f"story.findings.{finding.kind}.text")
    text = md(template, **values)
    text = SafeMarkdown(text[:1].upper() + text[1:])
    return md("**{title}.** {text}", title=title, text=text)


def recommendation_text(recommendation: Recommendation, labels: Labels) -> str:
    """One recommendation as plain text (a table cell; the table escapes it)."""
    template = _template(labels, f"story.actions.{recommendation.action}")
    return fill_plain(template, recommendation.fields, labels)


def findings_section(story: Story, labels: Labels, *, base: str | None = None) -> SafeMarkdown:
    """ "Keskeiset havainnot" / "Key findings": heading, how they are chosen, numbered list.

    ``base`` is the sentence stating the rows the findings rest on
    (:meth:`~cxresearch.session.RunSession.section_base`); escaped unless already safe.
    """
    items = SafeMarkdown("\n").join(
        md("{number}. {text}", number=str(i), text=finding_text(f, labels))
        for i, f in enumerate(story.findings, start=1)
    )
    body = items if story.findings else md(labels.get("story.no_findings"))
    return markdown(
        heading(labels.get("story.heading_findings")),
        md(labels.get("story.findings_intro")) + (" " + escape(base) if base else ""),
        body,
    )


def recommendations_table(story: Story, labels: Labels) -> Table:
    """Priority, recommendation and the numbers of the findings it rests on."""
    columns = [labels.get(f"story.{c}") for c in ("col_priority", "col_action", "col_findings")]
    rows = [
        [
            labels.get(f"story.priorities.{r.priority}"),
            recommendation_text(r, labels),
            ", ".join(str(n) for n in r.findings),
        ]
        for r in story.recommendations
    ]
    frame = pd.DataFrame(rows, columns=columns)
    return Table(frame, (), (False,) * len(frame), left=2)


def recommendations_section(story: Story, labels: Labels) -> SafeMarkdown:
    """ "Suositukset" / "Recommendations": heading and how to read the priorities."""
    intro = "story.recommendations_intro" if story.recommendations else "story.no_recommendations"
    return markdown(heading(labels.get("story.heading_recommendations")), md(labels.get(intro)))
