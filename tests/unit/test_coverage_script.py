"""benchmarks/coverage.py runs on a tiny configuration and its truths are right."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "coverage.py"


@pytest.fixture(scope="module")
def coverage() -> ModuleType:
    spec = importlib.util.spec_from_file_location("coverage_study", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["coverage_study"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_tiny_run_writes_every_table(coverage: ModuleType, tmp_path: Path) -> None:
    out = tmp_path / "coverage.md"
    assert coverage.main(["--reps", "200", "--n", "30", "50", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    for heading in (
        "## Aims and where they are missed",
        "## Intervals: coverage (%), unweighted",
        "## Two-sample tests: type-I error (%), unweighted",
        "## Intervals with weights: coverage (%)",
        "## Two-sample tests with weights: type-I error (%)",
        "## A target table of 10 true targets",
    ):
        assert heading in text, heading
    rows = [r for r in text.splitlines() if r.startswith("| NPS 0.5/0.3/0.2 |")]
    # the unweighted coverage and type-I tables, then the target-table row (one per
    # distribution since the study split the Holm family error by metric and side)
    assert len(rows) == 3
    family = [float(v) for v in re.findall(r"\| (\d+\.\d) ", rows[2] + " ")]
    assert len(family) == 5 and family[1] <= family[0]  # Holm never rejects more than none
    rows = rows[:2]
    values = [float(v) for r in rows for v in re.findall(r"\| (\d+\.\d) ", r + " ")]
    assert len(values) == 4 and all(0 <= v <= 100 for v in values)
    assert values[0] > 80 and values[2] < 20  # coverage near 95, type-I near 5


def test_weighted_truth_is_the_weighted_population_value(coverage: ModuleType) -> None:
    rng = np.random.Generator(np.random.PCG64(7))
    for dist in coverage.DISTRIBUTIONS[:1] + coverage.DISTRIBUTIONS[-1:]:
        for weights in ((-0.4, 1.0), (0.4, 0.5)):
            x, w = coverage._draw(dist, 1, 2_000_000, rng, weights)
            z = dist.metric.score(x)
            simulated = dist.metric.factor * float(w @ z / w.sum())
            assert coverage.truth(dist, weights) == pytest.approx(
                simulated, abs=0.02 * dist.metric.factor
            )
