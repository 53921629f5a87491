"""Finding rules for the coded comments: which themes explain the scores.

Read from :meth:`cxresearch.qual.run.CodingRun.impact` (each theme's mentioners against the
other commenters, adjusted over the themes with the params' method, intervals at the
matching level) and ``prevalence`` / ``former_reasons``:

* **Themes that pull NPS down** (or up): a theme whose mentioners' NPS differs from the
  other commenters' significantly after the adjustment, the largest effect on the
  overall NPS first;
* **The most mentioned theme**, with its share and interval (a filler when stronger
  findings exist);
* **Former customers' most common complaint**.

A theme's name comes from the client's codebook in the report's language, like a
target's label from the params, so it is passed as text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from cxresearch.story.fields import (
    Base,
    Field,
    Interval,
    Name,
    Number,
    Percent,
    PValue,
    Text,
    lower_first,
)
from cxresearch.story.model import Action, Finding
from cxresearch.story.rules import WEIGHTS

__all__ = ["former_findings", "impact_findings", "prevalence_findings"]


#: Themes named as drags or lifts at most.
LISTED = 2


def impact_findings(
    impact: pd.DataFrame | None, *, theme: Callable[[str], str], confidence: float = 0.95
) -> list[Finding]:
    """Themes whose mentioners' NPS differs significantly (adjusted) from other commenters'."""
    if impact is None or not len(impact):
        return []
    rows = impact.reset_index().rename(columns={"index": "code"})
    significant = rows[rows["pvalue_adjusted"] < 1 - confidence]
    out = []
    drags = significant[significant["difference"] < 0].sort_values("effect_on_nps")
    lifts = significant[significant["difference"] > 0].sort_values("effect_on_nps", ascending=False)
    for rank, row in enumerate(drags.head(LISTED).to_dict("records")):
        fields = _impact_fields(row, theme, confidence)
        action = Action(
            "address_theme",
            {"theme": Text(lower_first(theme(str(row["code"]))))},
            "high",
            f"theme={row['code']}",
        )
        out.append(
            Finding(
                "theme_drags",
                fields,
                "negative",
                WEIGHTS["theme_drags"] - rank,
                True,
                analysis="qualitative",
                actions=(action,),
                evidence=_evidence(row),
            )
        )
    for rank, row in enumerate(lifts.head(1).to_dict("records")):
        action = Action(
            "keep_theme",
            {"theme": Text(lower_first(theme(str(row["code"]))))},
            "low",
            f"theme={row['code']}",
        )
        out.append(
            Finding(
                "theme_lifts",
                _impact_fields(row, theme, confidence),
                "positive",
                WEIGHTS["theme_lifts"] - rank,
                True,
                analysis="qualitative",
                actions=(action,),
                evidence=_evidence(row),
            )
        )
    if not len(significant):
        out.append(
            Finding(
                "themes_no_difference",
                {"count": Number(len(rows), decimals=0)},
                "neutral",
                WEIGHTS["no_group_difference"],
                False,
                analysis="qualitative",
            )
        )
    return out


def _impact_fields(
    row: dict[Any, Any], theme: Callable[[str], str], confidence: float
) -> dict[str, Field]:
    return {
        "theme": Text(theme(str(row["code"]))),
        "prevalence": Percent(float(row["prevalence"])),
        "nps_mentioners": Number(row["nps_mentioners"], "nps"),
        "nps_others": Number(row["nps_others"], "nps"),
        "diff": Number(row["difference"], "nps", signed=True),
        "interval": Interval(
            row["ci_low"], row["ci_high"], "nps", row.get("interval_confidence", confidence)
        ),
        "p": PValue(row["pvalue_adjusted"], adjusted=True),
        "method": Name("multiplicity", str(row.get("adjust", "holm"))),
        "effect": Number(row["effect_on_nps"], "nps", magnitude=True),
        "effect_interval": Interval(
            row["effect_ci_low"],
            row["effect_ci_high"],
            "nps",
            row.get("interval_confidence", confidence),
        ),
        "base": Base(row["mentions"]),
    }


def _evidence(row: dict[Any, Any]) -> dict[str, float]:
    return {
        "difference": float(row["difference"]),
        "ci_low": float(row["ci_low"]),
        "ci_high": float(row["ci_high"]),
        "pvalue_adjusted": float(row["pvalue_adjusted"]),
    }


def prevalence_findings(
    prevalence: pd.DataFrame | None, *, theme: Callable[[str], str], confidence: float = 0.95
) -> list[Finding]:
    """The most mentioned theme among the commenters, with its interval."""
    if prevalence is None or not len(prevalence):
        return []
    row = prevalence.sort_values("share", ascending=False, kind="stable").iloc[0]
    fields: dict[str, Field] = {
        "theme": Text(theme(str(row["code"]))),
        "share": Percent(float(row["share"])),
        "interval": Interval(row["ci_low"], row["ci_high"], level=confidence, share=True),
        "base": Base(row["n"], row.get("n_effective", float("nan"))),
    }
    return [
        Finding("top_theme", fields, "neutral", WEIGHTS["top_theme"], False, analysis="qualitative")
    ]


def former_findings(
    former: pd.DataFrame | None, *, theme: Callable[[str], str], confidence: float = 0.95
) -> list[Finding]:
    """Former customers' most common complaint (every wave of the run)."""
    if former is None or not len(former) or float(former["share"].max()) <= 0:
        return []
    row = former.sort_values("share", ascending=False, kind="stable").iloc[0]
    fields: dict[str, Field] = {
        "theme": Text(theme(str(row["code"]))),
        "share": Percent(float(row["share"])),
        "interval": Interval(row["ci_low"], row["ci_high"], level=confidence, share=True),
        "base": Base(row["n"], row.get("n_effective", float("nan"))),
    }
    action = Action("win_back", {}, "medium", "customer_type=former")
    return [
        Finding(
            "former_complaint",
            fields,
            "negative",
            WEIGHTS["former_complaint"],
            False,
            analysis="qualitative",
            actions=(action,),
        )
    ]
