"""The weighted demo reports recover the population NPS of data/demo/README.md.

The demo sample over-represents Uusimaa (whose NPS is lowest), so the unweighted NPS sits
about 5 points under the population's. The params rake each wave to the population's
regional margins; the README's "true (population)" column (exact, from
``cxresearch.data.demo.expected_nps``) is what a raked estimate should find.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import cxresearch as cx
from cxresearch.session import open_run

ROOT = Path(__file__).resolve().parents[2]
# data/demo/README.md, "True NPS": true (population) per client and wave.
POPULATION = {
    "kotiposti": {"2026Q1": 21.46, "2026Q2": 27.33, "2026Q3": 35.10},
    "northwind": {"2026Q1": 42.82, "2026Q2": 39.97, "2026Q3": 31.23},
    "saimaa-energia": {"2026Q1": 9.56, "2026Q2": 12.56, "2026Q3": 5.60},
}


@pytest.mark.parametrize("client", sorted(POPULATION))
def test_raked_waves_cover_the_population_nps(client: str) -> None:
    session = open_run(ROOT / "params" / f"{client}.yaml")
    waves = session.by_wave(["nps"]).set_index("wave")
    assert set(waves["design"]) == {"raked"}
    for wave, truth in POPULATION[client].items():
        row = waves.loc[wave]
        assert row["ci_low"] <= truth <= row["ci_high"], (client, wave, row["value"], truth)
        # the three bases the report shows
        assert row["n"] == len(session.rows(wave))
        assert row["weighted_n"] == pytest.approx(row["n"])  # raked weights have mean 1
        assert row["n_effective"] < row["n"]


def test_raking_moves_nps_to_the_population_column() -> None:
    raked, unweighted, truth = [], [], []
    for client, waves in POPULATION.items():
        session = open_run(ROOT / "params" / f"{client}.yaml")
        by_wave = session.by_wave(["nps"]).set_index("wave")["value"]
        for wave, value in waves.items():
            raked.append(by_wave[wave])
            unweighted.append(cx.nps(session.rows(wave)["nps"]).value)
            truth.append(value)
    raked_error = np.abs(np.subtract(raked, truth)).mean()
    unweighted_error = np.abs(np.subtract(unweighted, truth)).mean()
    # measured: 2.3 points raked against 5.2 unweighted (the design → population shift)
    assert raked_error < 0.6 * unweighted_error
    assert 3 < np.mean(np.subtract(raked, unweighted)) < 8
