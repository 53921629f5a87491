"""Finding rules for the benchmarking results: what the statistics support, nothing else.

Each rule reads result frames of :mod:`cxresearch.stats` (already adjusted for multiple
testing) and returns :class:`~cxresearch.story.model.Finding` objects. The rules never
word anything (the label files do) and never round; they decide *which* results deserve a
sentence:

* **Change of the headline metrics** (:func:`change_findings`): the primary metric's change
  since the last wave is always a finding — "fell", "rose" only when significant, else
  "did not change significantly"; a secondary metric's change only when significant
  after adjustment among the secondary ones.
* **Targets** (:func:`target_findings`): the targets missed (significantly below, after
  adjustment over all targets), the targets met, or — when neither — that the data cannot
  tell.
* **Groups** (:func:`group_findings`): the touchpoints, and the one other group, that are
  significantly below the rest of the respondents (each group against all others, one
  adjusted family); a touchpoint significantly above; or that no touchpoint differs.
* **Group changes** (:func:`group_change_findings`) and **norms** (:func:`norm_findings`):
  only the significant ones.

Weights rank the candidates (:func:`~cxresearch.story.model.build_story` shows the six
strongest): a significant decline of the primary metric first, then missed targets and
weak touchpoints, the primary metric's level, and strengths and "no difference" findings
last. A result under the report's suppression threshold is never a finding.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from cxresearch.results import Estimate
from cxresearch.story.fields import (
    Base,
    Count,
    Field,
    Interval,
    Items,
    Name,
    Number,
    Part,
    PValue,
    Text,
    Unit,
)
from cxresearch.story.model import Action, Finding, Priority

__all__ = [
    "WEIGHTS",
    "change_findings",
    "evidence_of",
    "group_change_findings",
    "group_findings",
    "norm_findings",
    "target_findings",
    "touchpoint_action",
]

#: Rank of each kind of finding (larger first), shared by every analysis' rules.
WEIGHTS = {
    "change_primary_down": 100,
    "change_primary_up": 98,
    "change_primary_none": 97,
    "targets_missed": 96,
    "fix_first": 95,
    "weak_touchpoint": 90,
    "theme_drags": 89,
    "drivers_top": 87,
    "change_secondary_down": 78,
    "group_change_down": 74,
    "weak_group": 70,
    "driver_contrast": 68,
    "targets_met": 62,
    "theme_lifts": 58,
    "former_complaint": 56,
    "keep_up": 60,
    "norm_below": 58,
    "change_secondary_up": 56,
    "group_change_up": 55,
    "strong_touchpoint": 54,
    "norm_above": 52,
    "value_at_stake": 84,
    "no_clear_priority": 50,
    "no_group_difference": 40,
    "top_theme": 39,
    "targets_inconclusive": 38,
    # Fillers: shown only when fewer than MIN_FINDINGS stronger findings exist.
    "groups_too_small": 36,
    "change_secondary_none": 35,
    "norm_none": 33,
    "drivers_skipped": 30,
}
#: How many missed or met targets a finding names before "and N more".
LISTED_TARGETS = 3


def touchpoint_action(kind: str, touchpoint: object, priority: Priority) -> Action:
    """An action about one touchpoint ("improve", "share what works"), topic ``touchpoint=…``.

    Findings of different rules about the same touchpoint (missed target, lags behind)
    share this topic, so they become one recommendation.
    """
    fields: dict[str, Field] = {
        "touchpoint": Name("value:touchpoint", str(touchpoint)),
        "target_name": Text(""),
    }
    return Action(kind, fields, priority, f"touchpoint={touchpoint}")


def evidence_of(
    row: Mapping[Any, Any], keys: Sequence[str] = ("difference", "pvalue_adjusted")
) -> dict[str, float]:
    """The unrounded numbers a finding rests on, for checks."""
    return {key: float(row[key]) for key in keys}


def _finite(*values: Any) -> bool:
    try:
        return all(math.isfinite(float(v)) for v in values)
    except (TypeError, ValueError):
        return False


def _wave(name: str | None) -> Text:
    return Text(str(name or ""))


def change_findings(
    estimates: Mapping[str, Estimate],
    changes: pd.DataFrame,
    *,
    current: str,
    previous: str | None,
    hidden: frozenset[str] = frozenset(),
) -> list[Finding]:
    """Findings on the headline metrics' change since the previous wave.

    Parameters
    ----------
    estimates
        Metric → current-wave estimate.
    changes
        :func:`~cxresearch.stats.families.adjusted_family` of the changes (``key`` is the
        metric; ``role`` primary or secondary).
    current, previous
        Wave names.
    hidden
        Metrics whose current base is under the suppression threshold: no finding.
    """
    out: list[Finding] = []
    for row in changes.to_dict("records"):
        metric = str(row["key"])
        estimate = estimates.get(metric)
        if metric in hidden or estimate is None or not _finite(estimate.value):
            continue
        primary = row["role"] == "primary"
        level: dict[str, Field] = {
            "metric": Name("metric", metric),
            "short": Name("metric_short", metric),
            "value": Number(estimate.value, metric),
            "interval": Interval(estimate.ci_low, estimate.ci_high, metric, estimate.confidence),
            "base": Base(estimate.n, estimate.n_effective),
            "current": _wave(current),
        }
        if previous is None or not _finite(row["difference"]):
            if primary:
                out.append(
                    Finding("level", level, "neutral", WEIGHTS["change_primary_none"], False)
                )
            continue
        significant = bool(row["significant"])
        direction = "down" if row["difference"] < 0 else "up"
        verdict = direction if significant else "none"
        fields: dict[str, Field] = {
            **level,
            "previous": _wave(previous),
            "before": Number(row["estimate_b"], metric),
            "diff": Number(
                row["difference"], metric, magnitude=significant, signed=not significant
            ),
            "unit": Unit(metric),
            "change_interval": Interval(row["ci_low"], row["ci_high"], metric, row["confidence"]),
            "test": Name("test", str(row["test"])),
            "p": PValue(row["pvalue_adjusted"], adjusted=not primary),
        }
        topic = f"metric={metric}"
        actions: tuple[Action, ...] = ()
        if verdict == "down":
            actions = (
                Action(
                    "investigate_decline",
                    {"metric": Name("metric_short", metric), "previous": _wave(previous)},
                    "high" if primary else "medium",
                    topic,
                ),
            )
        elif verdict == "up":
            actions = (
                Action(
                    "keep_gains",
                    {"metric": Name("metric_short", metric), "previous": _wave(previous)},
                    "low",
                    topic,
                ),
            )
        kind = "change_" + verdict
        weight = WEIGHTS[f"change_{'primary' if primary else 'secondary'}_{verdict}"]
        out.append(
            Finding(
                kind,
                fields,
                "neutral"
                if verdict == "none"
                else ("negative" if verdict == "down" else "positive"),
                weight,
                significant,
                actions=actions,
                evidence={
                    "difference": float(row["difference"]),
                    "ci_low": float(row["ci_low"]),
                    "ci_high": float(row["ci_high"]),
                    "pvalue": float(row["pvalue"]),
                    "pvalue_adjusted": float(row["pvalue_adjusted"]),
                },
            )
        )
    return out


def _target_name(row: Mapping[Any, Any]) -> Text:
    return Text(str(row["label"]))


def _target_topic(row: Mapping[Any, Any]) -> str:
    touchpoint = row.get("touchpoint")
    if isinstance(touchpoint, str) and touchpoint:
        return f"touchpoint={touchpoint}"
    return f"target={row['label']}"


def _default_name(row: Mapping[Any, Any]) -> Field:
    return Name("metric_short", str(row["metric"]))


def _default_value(row: Mapping[Any, Any], number: float, signed: bool) -> Field:
    return Number(number, str(row["metric"]), signed=signed)


def _target_item(row: Mapping[Any, Any], name: Any, value: Any) -> Part:
    metric = str(row["metric"])
    return Part(
        "target_item",
        {
            "target_name": _target_name(row),
            "metric": name(row),
            "value": value(row, row["value"], False),
            "target": value(row, row["target"], False),
            "gap": value(row, row["difference"], True),
            "interval": Interval(
                row["diff_ci_low"], row["diff_ci_high"], metric, row["interval_level"]
            ),
        },
    )


def _listed(rows: list[dict[Any, Any]], name: Any, value: Any) -> dict[str, Field]:
    # "3 more" but never "1 more": one more is listed instead.
    shown = rows if len(rows) <= LISTED_TARGETS + 1 else rows[:LISTED_TARGETS]
    items: list[Any] = [_target_item(r, name, value) for r in shown]
    if len(rows) > len(shown):
        items.append(Part("more", {"count": Count(len(rows) - len(shown))}))
    return {"items": Items(tuple(items)), "count": Count(len(rows))}


def target_findings(
    targets: pd.DataFrame | None,
    *,
    name: Callable[[Mapping[Any, Any]], Field] = _default_name,
    value: Callable[[Mapping[Any, Any], float, bool], Field] = _default_value,
) -> list[Finding]:
    """Findings on the targets (``RunSession.target_results()``).

    Missed targets (status ``not_met``, the largest gap first) make one negative finding
    whose actions improve each one's touchpoint; met targets one positive finding; when
    nothing was met or missed but targets were tested, one neutral finding saying the
    data cannot tell. Untested targets (no answers, too few) are not findings.
    ``name(row)`` and ``value(row, number, signed)`` word a target's metric and numbers
    (the journey names its model metrics and gives their units itself).
    """
    if targets is None or not len(targets):
        return []
    tested = targets[targets["status"].isin(["met", "not_met", "inconclusive"])]
    if not len(tested):
        return []
    records = tested.to_dict("records")
    first = records[0]
    common: dict[str, Field] = {
        "total": Count(len(records)),
        "test": Items(
            tuple(Name("test", t) for t in dict.fromkeys(str(r["test"]) for r in records))
        ),
        "method": Name("multiplicity", str(first["adjust"])),
    }
    missed = sorted(
        (r for r in records if r["status"] == "not_met"), key=lambda r: float(r["difference"])
    )
    met = sorted(
        (r for r in records if r["status"] == "met"), key=lambda r: -float(r["difference"])
    )
    out = []
    if missed:
        actions = tuple(
            Action(
                "improve_touchpoint"
                if _target_topic(r).startswith("touchpoint=")
                else "improve_target",
                {
                    "touchpoint": Name("value:touchpoint", str(r.get("touchpoint") or "")),
                    "target_name": _target_name(r),
                    "metric": name(r),
                },
                "high",
                _target_topic(r),
            )
            for r in missed
        )
        out.append(
            Finding(
                "targets_missed",
                {**common, **_listed(missed, name, value)},
                "negative",
                WEIGHTS["targets_missed"],
                True,
                actions=actions,
                evidence={"missed": float(len(missed))},
            )
        )
    if met:
        out.append(
            Finding(
                "targets_met",
                {**common, **_listed(met, name, value)},
                "positive",
                WEIGHTS["targets_met"],
                True,
                evidence={"met": float(len(met))},
            )
        )
    if not missed and not met:
        out.append(
            Finding(
                "targets_inconclusive",
                common,
                "neutral",
                WEIGHTS["targets_inconclusive"],
                False,
            )
        )
    return out


def _group_fields(
    row: Mapping[Any, Any], estimate: Mapping[Any, Any] | None, metric: str
) -> dict[str, Field]:
    column, group = str(row["column"]), row["group"]
    fields: dict[str, Any] = {
        "column": Name("column", column),
        "column_lower": Name("column_lower", column),
        "group": Name(f"value:{column}", str(group)),
        "metric": Name("metric_short", metric),
        "value": Number(row["estimate_a"], metric),
        "diff": Number(row["difference"], metric, magnitude=True),
        "signed_diff": Number(row["difference"], metric, signed=True),
        "unit": Unit(metric),
        "change_interval": Interval(row["ci_low"], row["ci_high"], metric, row["confidence"]),
        "test": Name("test", str(row["test"])),
        "p": PValue(row["pvalue_adjusted"], adjusted=True),
        "base": Base(row["n_a"]),
    }
    if estimate is not None:
        fields["interval"] = Interval(
            estimate["ci_low"], estimate["ci_high"], metric, estimate.get("confidence", 0.95)
        )
        fields["base"] = Base(estimate["n"], estimate.get("n_effective", float("nan")))
    return fields


def group_findings(
    tests: pd.DataFrame | None,
    *,
    metric: str,
    estimates: pd.DataFrame | None = None,
    touchpoint: str = "touchpoint",
    min_base: float = 30,
) -> list[Finding]:
    """Findings on groups that differ from the rest of the respondents.

    Parameters
    ----------
    tests
        :func:`~cxresearch.stats.families.compare_each_to_rest` over the breakdown columns.
    metric
        The metric tested.
    estimates
        ``column, group, value, ci_low, ci_high, n`` of each group (its own interval for
        the sentence); optional.
    touchpoint
        The column holding touchpoints (their weak ones are findings of their own).

    Returns
    -------
    list of Finding
        Every touchpoint significantly below the rest (weakest first), the one other
        group furthest below the rest, the touchpoint furthest above; or, when no
        touchpoint was tested significant, a neutral finding naming the lowest touchpoint
        and saying it does not differ significantly; when no group at all could be tested
        (every one under ``min_base``), a finding saying so.
    """
    if tests is None or not len(tests):
        return []
    if not tests["tested"].astype(bool).any():
        small: dict[str, Field] = {
            "min_base": Count(min_base),
            "metric": Name("metric_short", metric),
        }
        return [Finding("groups_too_small", small, "neutral", WEIGHTS["groups_too_small"], False)]
    own: dict[tuple[str, str], dict[Any, Any]] = {}
    if estimates is not None:
        for record in estimates.to_dict("records"):
            own[(str(record["column"]), str(record["group"]))] = record
    tested = tests[tests["tested"].astype(bool)]
    rows = tested.sort_values("difference", kind="stable").to_dict("records")

    def worded(row: Mapping[Any, Any]) -> dict[str, Field]:
        return _group_fields(row, own.get((str(row["column"]), str(row["group"]))), metric)

    evidence = ("difference", "ci_low", "ci_high", "pvalue", "pvalue_adjusted")
    out = []
    weak_tp = [
        r for r in rows if r["column"] == touchpoint and r["significant"] and r["difference"] < 0
    ]
    for rank, row in enumerate(weak_tp):
        action = touchpoint_action("improve_touchpoint", row["group"], "high")
        out.append(
            Finding(
                "weak_group",
                worded(row),
                "negative",
                WEIGHTS["weak_touchpoint"] - rank,
                True,
                actions=(action,),
                evidence=evidence_of(row, evidence),
            )
        )
    weak_other = [
        r for r in rows if r["column"] != touchpoint and r["significant"] and r["difference"] < 0
    ]
    if weak_other:
        row = weak_other[0]
        column, group = str(row["column"]), str(row["group"])
        kind = "win_back" if (column, group) == ("customer_type", "former") else "look_into_group"
        action = Action(
            kind,
            {"column": Name("column_lower", column), "group": Name(f"value:{column}", group)},
            "medium",
            f"{column}={group}",
        )
        out.append(
            Finding(
                "weak_group",
                worded(row),
                "negative",
                WEIGHTS["weak_group"],
                True,
                actions=(action,),
                evidence=evidence_of(row, evidence),
            )
        )
    strong_tp = [
        r
        for r in rows[::-1]
        if r["column"] == touchpoint and r["significant"] and r["difference"] > 0
    ]
    if strong_tp:
        row = strong_tp[0]
        action = touchpoint_action("share_practice", row["group"], "low")
        out.append(
            Finding(
                "strong_group",
                worded(row),
                "positive",
                WEIGHTS["strong_touchpoint"],
                True,
                actions=(action,),
                evidence=evidence_of(row, evidence),
            )
        )
    touchpoints = [r for r in rows if r["column"] == touchpoint]
    if touchpoints and not any(r["significant"] for r in touchpoints):
        lowest = touchpoints[0]
        out.append(
            Finding(
                "no_group_difference",
                worded(lowest),
                "neutral",
                WEIGHTS["no_group_difference"],
                False,
                evidence=evidence_of(lowest, evidence),
            )
        )
    return out


def group_change_findings(changes: pd.DataFrame | None, *, metric: str) -> list[Finding]:
    """Significant changes of one group since the previous wave (one adjusted family).

    ``changes`` has ``column, group, wave, previous_wave``, the Comparison fields,
    ``pvalue_adjusted`` and ``significant`` (:func:`cxresearch.story.providers.group_changes`).
    """
    if changes is None or not len(changes):
        return []
    out = []
    rows = changes[changes["significant"].astype(bool)].sort_values("difference", kind="stable")
    for row in rows.to_dict("records"):
        column, group = str(row["column"]), str(row["group"])
        down = row["difference"] < 0
        fields: dict[str, Field] = {
            "column": Name("column", column),
            "group": Name(f"value:{column}", group),
            "metric": Name("metric_short", metric),
            "before": Number(row["estimate_b"], metric),
            "value": Number(row["estimate_a"], metric),
            "diff": Number(row["difference"], metric, magnitude=True),
            "unit": Unit(metric),
            "previous": _wave(row["previous_wave"]),
            "current": _wave(row["wave"]),
            "change_interval": Interval(row["ci_low"], row["ci_high"], metric, row["confidence"]),
            "test": Name("test", str(row["test"])),
            "p": PValue(row["pvalue_adjusted"], adjusted=True),
        }
        actions = (
            (
                Action(
                    "investigate_group_decline",
                    {
                        "column": Name("column_lower", column),
                        "group": Name(f"value:{column}", group),
                    },
                    "high",
                    f"{column}={group}",
                ),
            )
            if down
            else ()
        )
        out.append(
            Finding(
                "group_change_down" if down else "group_change_up",
                fields,
                "negative" if down else "positive",
                WEIGHTS["group_change_down" if down else "group_change_up"],
                True,
                actions=actions,
                evidence={
                    "difference": float(row["difference"]),
                    "pvalue_adjusted": float(row["pvalue_adjusted"]),
                },
            )
        )
    return out


def norm_findings(norms: pd.DataFrame | None) -> list[Finding]:
    """The current wave against each tested norm (``RunSession.benchmark_results()``).

    Significantly above or below; a tested norm the data cannot tell apart is a filler
    finding saying so (shown only when there are few stronger findings).
    """
    if norms is None or not len(norms):
        return []
    out = []
    for row in norms[norms["pvalue"].notna()].to_dict("records"):
        metric = str(row["metric"])
        below = row["difference"] < 0
        fields: dict[str, Field] = {
            "metric": Name("metric_short", metric),
            "value": Number(row["client_value"], metric),
            "norm_name": Text(str(row["name"])),
            "norm": Number(row["value"], metric),
            "diff": Number(row["difference"], metric, magnitude=True),
            "unit": Unit(metric),
            "change_interval": Interval(
                row["diff_ci_low"], row["diff_ci_high"], metric, row["interval_level"]
            ),
            "test": Name("test", str(row["test"])),
            "p": PValue(row["pvalue_adjusted"], adjusted=True),
        }
        fields["signed_diff"] = Number(row["difference"], metric, signed=True)
        significant = bool(row["significant"])
        kind = ("norm_below" if below else "norm_above") if significant else "norm_none"
        out.append(
            Finding(
                kind,
                fields,
                ("negative" if below else "positive") if significant else "neutral",
                WEIGHTS[kind],
                significant,
                evidence={
                    "difference": float(row["difference"]),
                    "pvalue_adjusted": float(row["pvalue_adjusted"]),
                },
            )
        )
    return out
