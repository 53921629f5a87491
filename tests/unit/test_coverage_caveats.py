"""The report's "interval may be too narrow" rule agrees with docs/coverage.md."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from cxresearch.stats.coverage_caveats import narrow_interval

DOC = Path(__file__).resolve().parents[2] / "docs" / "coverage.md"
# The distributions of benchmarks/coverage.py: interval family and the value on its scale.
ROWS = {
    "NPS 0.5/0.3/0.2": ("nps", 30.0),
    "NPS 0.2/0.3/0.5": ("nps", -30.0),
    "NPS 0.8/0.15/0.05": ("nps", 75.0),
    "NPS 0.05/0.15/0.8": ("nps", -75.0),
    "CSAT top-2, 50 %": ("share", 50.0),
    "CSAT top-2 at the ceiling, 90 %": ("share", 90.0),
    "CES easy at the ceiling, 96 %": ("share", 96.0),
    "rating 1–5 mean at the ceiling": ("mean", 4.4),
    "CES mean at the ceiling": ("mean", 6.3),
}


def _table(heading: str) -> list[tuple[str, int, float]]:
    text = DOC.read_text(encoding="utf-8")
    part = text.split(heading, 1)[1].split("\n## ", 1)[0]
    lines = [line for line in part.splitlines() if line.startswith("|")]
    ns = [int(v.replace(",", "")) for v in re.findall(r"n = ([\d,]+)", lines[0])]
    cells = []
    for line in lines[2:]:
        name, *values = [c.strip() for c in line.strip("|").split("|")]
        cells += [(name, n, float(v)) for n, v in zip(ns, values, strict=True)]
    return cells


def _exact_wilson() -> dict[tuple[str, int], float]:
    """Exact coverage of the unweighted Wilson interval per (distribution, n), from the
    study's "Shares: Wilson and the alternatives (exact)" table."""
    text = DOC.read_text(encoding="utf-8")
    part = text.split("### Shares: Wilson and the alternatives (exact)", 1)[1].split("\n#", 1)[0]
    lines = [line for line in part.splitlines() if line.startswith("|")]
    ns = [int(v.replace(",", "")) for v in re.findall(r"n = ([\d,]+)", lines[0])]
    out = {}
    for line in lines[2:]:
        name, *values = [c.strip() for c in line.strip("|").split("|")]
        base, _, method = name.rpartition(": ")
        if method == "wilson":
            out.update({(base, n): float(v) for n, v in zip(ns, values, strict=False)})
    assert len(out) == 3 * len(ns)
    return out


@pytest.mark.parametrize("weighted", [False, True])
def test_every_narrow_cell_of_the_study_is_flagged(weighted: bool) -> None:
    heading = (
        "## Intervals with weights: coverage (%)"
        if weighted
        else ("## Intervals: coverage (%), unweighted")
    )
    cells = _table(heading)
    assert len(cells) == (180 if weighted else 45)
    exact = _exact_wilson()
    narrow = 0
    for name, n, simulated in cells:
        base, _, weights = name.partition("; ")
        family, value = ROWS[base]
        # Unweighted shares: the study's exact (binomial) Wilson coverage, not the
        # simulated one (±0.22 Monte Carlo SE at 10,000 samples; the rule is for the truth).
        coverage = exact.get((base, n), simulated) if not weighted else simulated
        sigma = float(re.search(r"σ = ([\d.]+)", weights).group(1)) if weights else 0.0
        deff = math.exp(sigma**2)  # Kish design effect of lognormal weights
        flagged = narrow_interval(family, n=n, n_effective=n / deff, value=value, weighted=weighted)
        if coverage < 93.5:
            narrow += 1
            assert flagged, (name, n, coverage)
        elif not weighted:
            # unweighted intervals meet the aim (means since Hall's correction): no mark
            assert not flagged, (name, n, coverage)
    assert narrow > 0 if weighted else narrow == 0


def test_good_cells_mostly_stay_unflagged() -> None:
    cells = _table("## Intervals with weights: coverage (%)")
    good = [(name, n) for name, n, coverage in cells if coverage >= 94.5]
    flagged = 0
    for name, n in good:
        base, _, weights = name.partition("; ")
        family, value = ROWS[base]
        sigma = float(re.search(r"σ = ([\d.]+)", weights).group(1))
        flagged += narrow_interval(
            family, n=n, n_effective=n / math.exp(sigma**2), value=value, weighted=True
        )
    assert flagged < 0.4 * len(good)  # a flag that fires everywhere would say nothing


def test_tables_mark_narrow_intervals_and_explain_the_mark() -> None:
    import pandas as pd

    from cxresearch.present import NARROW_FLAG, breakdown_table, estimate_table, get_labels

    labels = get_labels("en")
    # A CSAT share near the top of the scale: flagged with heavy weights only (weighted
    # NPS intervals meet the aim since the small-sample variance and are never flagged).
    frame = pd.DataFrame(
        {
            "g": ["heavy", "light"],
            "metric": ["csat", "csat"],
            "value": [90.0, 88.0],
            "ci_low": [80.0, 84.0],
            "ci_high": [95.0, 91.0],
            "n": [200, 400],
            "n_effective": [80.0, 390.0],  # design effects 2.5 and 1.03
            "confidence": [0.95, 0.95],
        }
    )
    table = estimate_table(frame, labels)
    notes = table.frame[labels.column("note")].tolist()
    assert NARROW_FLAG in notes[0] and NARROW_FLAG not in notes[1]
    assert any(note.startswith(NARROW_FLAG) for note in table.notes)
    shown = breakdown_table(frame, labels).frame.set_index(labels.column("g"))
    cells = shown.iloc[:, 1]  # the CSAT column, after the base column
    assert NARROW_FLAG in cells["heavy"] and NARROW_FLAG not in cells["light"]
    unweighted = estimate_table(frame.assign(n_effective=frame["n"]), labels)
    assert not any(NARROW_FLAG in n for n in unweighted.frame[labels.column("note")])
    nps = estimate_table(frame.assign(metric="nps", value=20.0, ci_low=5.0, ci_high=35.0), labels)
    assert not any(NARROW_FLAG in n for n in nps.frame[labels.column("note")])


def test_every_narrow_raked_cell_of_the_study_is_flagged() -> None:
    # "## Raked designs": cells "raked / weights only" per n, then the mean Kish design
    # effect of the row; a raked estimate is weighted for the rule, with that design effect.
    text = DOC.read_text(encoding="utf-8")
    part = text.split("## Raked designs: coverage (%)", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in part.splitlines() if line.startswith("|")]
    head = [c.strip() for c in lines[0].strip("|").split("|")]
    ns = [int(c[4:].replace(",", "")) for c in head if c.startswith("n = ")]
    checked = 0
    for line in lines[2:]:
        name, *values = [c.strip() for c in line.strip("|").split("|")]
        family, value = ROWS[name]
        deff = float(values[len(ns)])
        for n, cell in zip(ns, values[: len(ns)], strict=True):
            raked = float(cell.split(" / ")[0])
            checked += 1
            if raked < 93.5:
                flagged = narrow_interval(
                    family, n=n, n_effective=n / deff, value=value, weighted=True
                )
                assert flagged, (name, n, raked)
    assert checked == 9 * len(ns)
