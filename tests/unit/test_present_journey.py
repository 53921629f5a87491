"""The journey report's words, tables and charts, on the demo client kotiposti."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxresearch.journey import outcomes as jo
from cxresearch.journey.run import JourneyRun, open_journey
from cxresearch.present import get_labels
from cxresearch.present import journey as pj
from cxresearch.present import journey_outcomes as po
from cxresearch.present.journey_plots import journey_heatmap

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def kp() -> JourneyRun:
    return open_journey(ROOT / "params" / "kotiposti.yaml")


def test_heatmap_greys_small_cells_and_colours_the_rest() -> None:
    labels = get_labels("en")
    cells = pd.DataFrame(
        {
            "touchpoint": ["web", "web", "app", "app"],
            "journey_stage": ["usage", "renewal", "usage", "renewal"],
            "value": [40.0, -10.0, 25.0, 5.0],
            "ci_low": [30.0, -40.0, 10.0, -30.0],
            "ci_high": [50.0, 20.0, 40.0, 40.0],
            "n": [120, 10, 80, 20],
            "n_effective": [120.0, 10.0, 80.0, 20.0],
        }
    )
    fig = journey_heatmap(
        cells, labels, rows="touchpoint", columns="journey_stage", row_order=["web", "app"],
        column_order=["purchase", "usage", "renewal"], title="NPS", centre=20.0, decimals=0,
        min_base=30,
    )  # fmt: skip
    gids = [p.get_gid() for p in fig.axes[0].patches]
    assert gids.count("cell") == 2 and gids.count("low-base") == 2 and gids.count("empty") == 2
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "40" in texts and "5 †" in texts  # n = 20: shown, flagged, grey
    assert "\u221210" not in texts and "n\u00a0=\u00a010" in texts  # n = 10 < 15: value hidden
    low_base = [p for p in fig.axes[0].patches if p.get_gid() == "low-base"]
    assert all(
        np.allclose(p.get_facecolor()[:3], low_base[0].get_facecolor()[:3]) for p in low_base
    )


def test_scorecard_table_fits_and_explains_its_adjustment(kp: JourneyRun) -> None:
    labels = kp.labels
    table = pj.scorecard_table(
        kp.scorecard(), kp.metrics, labels, confidence=kp.confidence, min_base=kp.min_base,
        current="2026Q3", previous="2026Q2",
    )  # fmt: skip
    assert table.frame.shape == (len(kp.metrics), 7)
    result = table.frame.iloc[:, 2]
    # retention of current customers, raked to the population margins (params weighting)
    assert result.iloc[0].startswith("81\u00a0%") and "EUR" in result.iloc[2]
    assert "Benjamini–Hochberg" in table.notes[0] and "13" in table.notes[0]
    status = table.frame.iloc[:, -1]
    assert status.iloc[9] == "12,0 min: saavutettu"  # handling time, lower is better


def test_marks_agree_with_the_adjusted_verdicts(kp: JourneyRun) -> None:
    gaps = kp.versus_rest("touchpoint", kp.experience)
    table = pj.versus_table(gaps, kp.experience, kp.labels, column="touchpoint",
                            confidence=kp.confidence, min_base=kp.min_base)  # fmt: skip
    order = {m.name: i for i, m in enumerate(kp.experience)}
    expected = gaps.assign(_o=gaps["name"].map(order)).sort_values(["group", "_o"])
    marked = table.frame.iloc[:, 4].str.endswith("*").to_numpy()
    assert (marked == expected["significant"].to_numpy()).all()
    assert marked.any() and not marked.all()
    # the interval printed in the header is the adjusted level, not 95 %
    assert "97,5 % lv" in table.frame.columns[4] or "lv" in table.frame.columns[4]
    assert table.frame.columns[4] != table.frame.columns[2]


def test_value_at_stake_words_round_and_state_assumptions(kp: JourneyRun) -> None:
    assert po.significant(4_982_880.4) == 4_980_000.0
    assert po.significant(-0.0123456) == -0.0123
    stake = jo.value_at_stake(kp)
    assert stake is not None
    text = str(po.stake_text(stake, kp)).replace("\u00a0", " ").replace("\\", "")
    # kotiposti is raked to the population margins (params weighting); unweighted it read
    # 4 980 000 EUR (3 480 000–6 480 000)
    assert "**3 620 000 EUR** (95 % lv 2 360 000–4 880 000)" in text
    assert "**Oletukset.**" in text and "delta-menetelmä" in text


def test_loop_and_fatigue_words_hold_counts_only(kp: JourneyRun) -> None:
    loop = jo.loop_summary(kp)
    assert loop is not None
    table = po.owners_table(loop, kp.labels)
    assert list(table.frame.iloc[:, 0]) == ["Asiakaspalvelu", "Digitiimi", "Kuljetuspalvelut"]
    assert table.frame.shape[1] == 6  # owner and counts; no contact or free-text column
    text = str(po.loop_text(loop, kp.labels, current="2026Q3"))
    assert "Suljettu silmukka" in text and "48 tunnin" in text
    fatigue = jo.fatigue(kp)
    assert fatigue is not None
    frame = po.fatigue_table(fatigue, kp.labels, confidence=kp.confidence).frame
    # period, respondents, answers, repeat, over the limit, invited, invitations, rate, over
    assert frame.shape[1] == 9 and frame.iloc[0, 0] == "2026"
