"""Finding rules for the customer-journey results.

Read from :class:`~cxresearch.journey.run.JourneyRun` results, each already one adjusted
family (:func:`~cxresearch.stats.journey.compare_family`):

* **Metric changes** (the scorecard): every model metric whose change since the last
  wave is significant after adjustment across the metrics; when none is, one neutral
  finding says so.
* **Targets** per target group × touchpoint: missed, met, or cannot tell
  (:func:`cxresearch.story.rules.target_findings`, with the journey's metric names).
* **Weak and strong touchpoints**: a touchpoint significantly below the rest of the
  respondents on the first experience metric (NPS), with how many experience measures
  it lags on; the touchpoint furthest above.
* **Value at stake**: what detractors' lower retention is worth, when its interval
  excludes zero.
* **What goes with retention**: the predictor of the retention model with the largest
  odds ratio among those significant after adjusting the model's Wald tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from cxresearch.story.fields import (
    Base,
    Count,
    Field,
    Interval,
    Measure,
    Name,
    Number,
    PValue,
    Text,
)
from cxresearch.story.model import Action, Finding
from cxresearch.story.rules import WEIGHTS, evidence_of, target_findings, touchpoint_action

__all__ = [
    "change_findings",
    "retention_findings",
    "stake_findings",
    "touchpoint_findings",
]


def _measure(
    m: Any, value: float, *, signed: bool = False, magnitude: bool = False, difference: bool = False
) -> Measure:
    """A model metric's value (or difference) in its own form and unit."""
    form = "percent" if m.percent else ("points" if m.metric.family == "nps" else "plain")
    return Measure(
        value,
        decimals=int(m.decimals),
        form=form,
        unit=str(m.spec.unit or ""),
        signed=signed,
        magnitude=magnitude,
        difference=difference,
    )


def change_findings(
    card: pd.DataFrame, metrics: Sequence[Any], *, previous: str | None, current: str
) -> list[Finding]:
    """Significant changes of the model's metrics (the scorecard's adjusted family)."""
    if previous is None or "significant" not in card.columns:
        return []
    by_name = {m.name: m for m in metrics}
    out = []
    changed = card[card["significant"].fillna(False).astype(bool)]
    for row in changed.to_dict("records"):
        m = by_name[str(row["name"])]
        better = (row["difference"] < 0) == m.lower_is_better
        fields: dict[str, Field] = {
            "metric": Name("journey_metric", m.name),
            "before": _measure(m, row["previous"]),
            "value": _measure(m, row["value"]),
            "diff": _measure(m, row["difference"], magnitude=True, difference=True),
            "previous": Text(previous),
            "current": Text(current),
            "change_interval": Interval(
                row["diff_ci_low"],
                row["diff_ci_high"],
                level=row["interval_level"],
                decimals=m.decimals,
            ),
            "test": Name("test", str(row["test"])),
            "p": PValue(row["pvalue_adjusted"], adjusted=True),
        }
        down = row["difference"] < 0
        kind = "journey_change_down" if down else "journey_change_up"
        actions: tuple[Action, ...] = ()
        if not better:
            actions = (
                Action(
                    "investigate_metric",
                    {"metric": Name("journey_metric", m.name), "previous": Text(previous)},
                    "high" if m.level == "outcome" else "medium",
                    f"metric={m.name}",
                ),
            )
        out.append(
            Finding(
                kind,
                fields,
                "positive" if better else "negative",
                WEIGHTS["change_secondary_down" if not better else "change_secondary_up"],
                True,
                analysis="journey",
                actions=actions,
                evidence=evidence_of(row),
            )
        )
    if not out:
        tested = card["pvalue_adjusted"].notna() if "pvalue_adjusted" in card else card.index == -1
        if tested.any():
            fields = {
                "total": Count(int(tested.sum())),
                "previous": Text(previous),
                "method": Name("multiplicity", str(card.loc[tested, "adjust"].iloc[0])),
            }
            out.append(
                Finding(
                    "journey_stable",
                    fields,
                    "neutral",
                    WEIGHTS["no_group_difference"],
                    False,
                    analysis="journey",
                )
            )
    return out


def journey_target_findings(targets: pd.DataFrame, metrics: Sequence[Any]) -> list[Finding]:
    """Targets of the model's metrics, named and valued in the journey's own form."""
    by_name = {m.name: m for m in metrics}

    def value(row: Mapping[Any, Any], number: float, signed: bool) -> Field:
        m = by_name.get(str(row["name"]))
        if m is None:
            return Number(number, str(row["metric"]), signed=signed)
        return _measure(m, number, signed=signed, difference=signed)

    return target_findings(
        targets,
        name=lambda row: Name("journey_metric", str(row["name"])),
        value=value,
    )


def touchpoint_findings(
    gaps: pd.DataFrame, metrics: Sequence[Any], *, waves: Sequence[str] = ()
) -> list[Finding]:
    """Weak and strong touchpoints on the first experience metric (``versus_rest``)."""
    if gaps is None or not len(gaps) or not metrics:
        return []
    first = metrics[0]
    rows = gaps[gaps["name"] == first.name].sort_values("difference", kind="stable")
    significant = gaps[gaps["significant"].fillna(False).astype(bool)]
    out = []

    def fields(row: Mapping[Any, Any]) -> dict[str, Field]:
        lagging = significant[
            (significant["group"] == row["group"]) & (significant["difference"] < 0)
        ]
        return {
            "group": Name("value:touchpoint", str(row["group"])),
            "metric": Name("journey_metric", first.name),
            "value": _measure(first, row["group_value"]),
            "interval": Interval(
                row["group_ci_low"], row["group_ci_high"], decimals=first.decimals
            ),
            "base": Base(row["group_n"]),
            "diff": _measure(first, row["difference"], magnitude=True, difference=True),
            "change_interval": Interval(
                row["ci_low"], row["ci_high"], level=row["interval_level"], decimals=first.decimals
            ),
            "test": Name("test", str(row["test"])),
            "p": PValue(row["pvalue_adjusted"], adjusted=True),
            "count": Count(len(lagging)),
            "total": Count(len(metrics)),
            "waves": Text(", ".join(waves)),
        }

    for rank, row in enumerate(
        r for r in rows.to_dict("records") if r["significant"] and r["difference"] < 0
    ):
        action = touchpoint_action("improve_touchpoint", row["group"], "high")
        out.append(
            Finding(
                "journey_weak_touchpoint",
                fields(row),
                "negative",
                WEIGHTS["weak_touchpoint"] - rank,
                True,
                analysis="journey",
                actions=(action,),
                evidence=evidence_of(row),
            )
        )
    strong = [r for r in rows.to_dict("records")[::-1] if r["significant"] and r["difference"] > 0]
    if strong:
        row = strong[0]
        action = touchpoint_action("share_practice", row["group"], "low")
        out.append(
            Finding(
                "journey_strong_touchpoint",
                fields(row),
                "positive",
                WEIGHTS["strong_touchpoint"],
                True,
                analysis="journey",
                actions=(action,),
                evidence=evidence_of(row),
            )
        )
    return out


def stake_findings(stake: Any, *, currency: str) -> list[Finding]:
    """The value at stake when its interval excludes zero."""
    if stake is None or not np.isfinite(stake.ci_low) or stake.ci_low <= 0 < stake.ci_high:
        return []
    fields: dict[str, Field] = {
        "value": Number(stake.value, decimals=0),
        "interval": Interval(stake.ci_low, stake.ci_high, level=stake.confidence, decimals=0),
        "currency": Text(currency),
        "detractor_share": Measure(100 * stake.detractor_share, form="percent"),
        "detractor_rate": Measure(100 * stake.detractor_rate, form="percent"),
        "passive_rate": Measure(100 * stake.passive_rate, form="percent"),
        "base": Base(stake.n),
    }
    if stake.customers is not None:
        fields["customers"] = Count(stake.customers)
    kind = "value_at_stake" if stake.customers is not None else "value_at_stake_per_customer"
    action = Action("close_loop", {}, "medium", "loop")
    return [
        Finding(
            kind,
            fields,
            "negative",
            WEIGHTS["value_at_stake"],
            True,
            analysis="journey",
            actions=(action,),
            evidence={"ci_low": float(stake.ci_low), "ci_high": float(stake.ci_high)},
        )
    ]


def retention_findings(
    odds: pd.DataFrame | None, *, adjust: str, confidence: float
) -> list[Finding]:
    """The retention model's strongest predictor among those significant after adjustment."""
    from cxresearch.stats.multiplicity import adjust_pvalues

    if odds is None or not len(odds):
        return []
    adjusted = adjust_pvalues(odds["pvalue"].to_numpy(dtype=float), adjust)
    rows = odds.assign(pvalue_adjusted=adjusted)
    rows = rows[(rows["pvalue_adjusted"] < 1 - confidence) & (rows["odds_ratio"] > 1)]
    if not len(rows):
        return []
    row = rows.sort_values("odds_ratio", ascending=False).iloc[0]
    fields: dict[str, Field] = {
        "driver": Name("driver", str(row["predictor"])),
        "odds": Number(row["odds_ratio"], decimals=2),
        "interval": Interval(row["ci_low"], row["ci_high"], level=confidence, decimals=2),
        "p": PValue(row["pvalue_adjusted"], adjusted=True),
        "count": Count(len(odds)),
    }
    return [
        Finding(
            "retention_predictor",
            fields,
            "neutral",
            WEIGHTS["driver_contrast"],
            True,
            analysis="journey",
            evidence={
                "odds_ratio": float(row["odds_ratio"]),
                "pvalue_adjusted": float(row["pvalue_adjusted"]),
            },
        )
    ]
