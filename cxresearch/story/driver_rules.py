"""Finding rules for the key-driver results: priorities only where the data can tell.

Read from :func:`~cxresearch.stats.drivers.driver_importance` results (with the noise
baseline and bootstrap intervals) and
:func:`~cxresearch.stats.drivers.importance_performance` tables (their ``status``):

* **What matters most** per outcome: the largest shares among the drivers that stand out
  from the random baseline (the interval of importance − baseline lies above zero), and
  how many do not.
* **Fix first / keep up** only for a driver whose status is ``clear``: it stands out from
  the noise and neither its importance nor its performance interval crosses a quadrant
  line. A quadrant that the intervals leave open becomes "no clear priority", never
  "fix first".
* **A contrast between outcomes**: a driver whose share intervals for two outcomes do not
  overlap (e.g. price matters for retention, hardly for recommendation).
* An outcome that could not be analysed is said so, with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from cxresearch.stats.drivers.rows import DriverBase
from cxresearch.story.fields import Count, Field, Interval, Items, Name, Number, Part, Percent
from cxresearch.story.model import Action, Finding
from cxresearch.story.rules import WEIGHTS

__all__ = ["driver_findings"]

#: Drivers named in "what matters most".
TOP = 3


def _share_part(row: Mapping[Any, Any], level: float) -> Part:
    return Part(
        "driver_share",
        {
            "driver": Name("driver", str(row["driver"])),
            "share": Percent(float(row["share"])),
            "interval": Interval(
                row["share_ci_low"], row["share_ci_high"], level=level, share=True
            ),
        },
    )


def _drivers(result: pd.DataFrame) -> pd.DataFrame:
    rows = result[~result["is_noise"].astype(bool)]
    return rows.sort_values("share", ascending=False, kind="stable")


def _top_finding(outcome: str, result: pd.DataFrame, level: float, rank: int) -> Finding:
    rows = _drivers(result)
    above = rows[rows["above_noise"].astype(bool)] if "above_noise" in rows else rows.iloc[:0]
    name = Name("outcome", outcome)
    if not len(above):
        return Finding(
            "drivers_none",
            {"outcome": name, "total": Count(len(rows))},
            "neutral",
            WEIGHTS["drivers_top"] - rank,
            False,
            analysis="drivers",
        )
    shown = above.head(TOP).to_dict("records")
    noise = len(rows) - len(above)
    fields: dict[str, Field] = {
        "outcome": name,
        "items": Items(tuple(_share_part(r, level) for r in shown)),
        "noise_count": Count(noise),
        "total": Count(len(rows)),
    }
    return Finding(
        "drivers_top" if noise == 0 else "drivers_top_noise",
        fields,
        "neutral",
        WEIGHTS["drivers_top"] - rank,
        True,
        analysis="drivers",
        evidence={"above": float(len(above)), "noise": float(noise)},
    )


def _ipa_fields(
    outcome: str, row: Mapping[Any, Any], ipa: pd.DataFrame, shares: pd.DataFrame, level: float
) -> dict[str, Any]:
    own = shares.loc[row["driver"]]
    return {
        "outcome": Name("outcome", outcome),
        "driver": Name("driver", str(row["driver"])),
        "share": Percent(float(own["share"])),
        "share_interval": Interval(
            own["share_ci_low"], own["share_ci_high"], level=level, share=True
        ),
        "mean": Number(row["performance"], decimals=2),
        "mean_interval": Interval(
            row["performance_ci_low"], row["performance_ci_high"], level=level, decimals=2
        ),
        "cut": Number(float(ipa.attrs["performance_cut"]), decimals=2),
    }


def _ipa_findings(
    outcome: str, ipa: pd.DataFrame, result: pd.DataFrame, level: float
) -> list[Finding]:
    out = []
    shares = result.set_index("driver")
    records = ipa.to_dict("records")
    fix = [r for r in records if r["status"] == "clear" and r["priority"] == "fix first"]
    for i, row in enumerate(fix):
        driver = str(row["driver"])
        action = Action(
            "improve_driver", {"driver": Name("driver", driver)}, "high", f"driver={driver}"
        )
        out.append(
            Finding(
                "fix_first",
                _ipa_fields(outcome, row, ipa, shares, level),
                "negative",
                WEIGHTS["fix_first"] - 0.1 * i,
                True,
                analysis="drivers",
                actions=(action,),
                evidence={"performance": float(row["performance"]), "share": float(row["share"])},
            )
        )
    keep = [r for r in records if r["status"] == "clear" and r["priority"] == "keep up"]
    for i, row in enumerate(keep[:1]):
        driver = str(row["driver"])
        action = Action(
            "keep_driver", {"driver": Name("driver", driver)}, "medium", f"driver={driver}"
        )
        out.append(
            Finding(
                "keep_up",
                _ipa_fields(outcome, row, ipa, shares, level),
                "positive",
                WEIGHTS["keep_up"] - 0.1 * i,
                True,
                analysis="drivers",
                actions=(action,),
            )
        )
    if not fix and any(r["status"] != "noise" for r in records):
        leaning = [r for r in records if r["priority"] == "fix first"]
        items = Items(tuple(Name("driver", str(r["driver"])) for r in leaning))
        kind = "no_clear_priority" if leaning else "no_fix_first"
        action = Action(
            "confirm_priorities", {"outcome": Name("outcome", outcome)}, "low", f"outcome={outcome}"
        )
        out.append(
            Finding(
                kind,
                {"outcome": Name("outcome", outcome), "items": items},
                "neutral",
                WEIGHTS["no_clear_priority"],
                False,
                analysis="drivers",
                actions=(action,) if leaning else (),
            )
        )
    return out


def _contrast(results: Mapping[str, pd.DataFrame], level: float) -> list[Finding]:
    """The driver whose share intervals for two outcomes are furthest apart (not overlapping)."""
    outcomes = [o for o, r in results.items() if "share_ci_low" in r.columns]
    best: tuple[float, dict[str, Any]] | None = None
    for i, first in enumerate(outcomes):
        for second in outcomes[i + 1 :]:
            a = _drivers(results[first]).set_index("driver")
            b = _drivers(results[second]).set_index("driver")
            for driver in a.index.intersection(b.index):
                ra, rb = a.loc[driver], b.loc[driver]
                high, low = (ra, rb) if ra["share"] >= rb["share"] else (rb, ra)
                gap = float(high["share_ci_low"] - low["share_ci_high"])
                if not np.isfinite(gap) or gap <= 0 or not bool(high.get("above_noise", False)):
                    continue
                outs = (first, second) if high is ra else (second, first)
                if best is None or gap > best[0]:
                    best = (gap, {"driver": driver, "outcomes": outs, "high": high, "low": low})
    if best is None:
        return []
    found = best[1]
    high_row, low_row = dict(found["high"]), dict(found["low"])
    fields: dict[str, Field] = {
        "driver": Name("driver", str(found["driver"])),
        "outcome_high": Name("outcome", found["outcomes"][0]),
        "outcome_low": Name("outcome", found["outcomes"][1]),
        "share_high": Percent(float(high_row["share"])),
        "interval_high": Interval(
            high_row["share_ci_low"], high_row["share_ci_high"], level=level, share=True
        ),
        "share_low": Percent(float(low_row["share"])),
        "interval_low": Interval(
            low_row["share_ci_low"], low_row["share_ci_high"], level=level, share=True
        ),
    }
    return [
        Finding(
            "driver_contrast",
            fields,
            "neutral",
            WEIGHTS["driver_contrast"],
            True,
            analysis="drivers",
        )
    ]


def _skipped(base: DriverBase, rank: int) -> Finding:
    fields: dict[str, Field] = {}
    for key, value in base.skip_fields.items():
        if key == "drivers":
            names = value if isinstance(value, list) else [str(value)]
            fields[key] = Items(tuple(Name("driver", str(d)) for d in names))
        else:
            fields[key] = Count(float(value))  # type: ignore[arg-type]
    reason = Part(f"drivers.{base.skip or 'skip_no_answers'}", fields)
    return Finding(
        "drivers_skipped",
        {"outcome": Name("outcome", base.outcome), "reason": reason},
        "neutral",
        WEIGHTS["drivers_skipped"] - rank,
        False,
        analysis="drivers",
    )


def driver_findings(
    bases: Mapping[str, DriverBase],
    results: Mapping[str, pd.DataFrame],
    ipa: Mapping[str, pd.DataFrame],
) -> list[Finding]:
    """Findings of the driver report: per outcome, then one contrast between outcomes.

    Parameters
    ----------
    bases
        Outcome → its :class:`~cxresearch.stats.drivers.rows.DriverBase` (skipped outcomes
        become a finding saying why).
    results
        Outcome → ``driver_importance`` result of the analysed outcomes.
    ipa
        Outcome → ``importance_performance`` table built from that result.
    """
    out: list[Finding] = []
    for rank, (outcome, base) in enumerate(bases.items()):
        result = results.get(outcome)
        if result is None:
            out.append(_skipped(base, rank))
            continue
        level = float(result.attrs.get("confidence", 0.95))
        out.append(_top_finding(outcome, result, level, rank))
        if outcome in ipa and "status" in ipa[outcome].columns:
            out.extend(_ipa_findings(outcome, ipa[outcome], result, level))
    levels = [float(r.attrs.get("confidence", 0.95)) for r in results.values()]
    out.extend(_contrast(results, levels[0] if levels else 0.95))
    return out
