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
        "## Candidates measured",
        "### Means: Student t, Johnson (1978), Hall (1992)",
        "### Shares: Wilson and the alternatives (exact)",
    ):
        assert heading in text, heading
    rows = [r for r in text.splitlines() if r.startswith("| NPS 0.5/0.3/0.2 |")]
    # the unweighted coverage and type-I tables, then the target-table row (one per
    # distribution since the study split the Holm family error by metric and side), then
    # the raked designs' row: "raked / weights only" per n, design effect, df ("–": no
    # n = 100 in this run)
    assert len(rows) == 4
    raked = re.findall(r"(\d+\.\d) / (\d+\.\d)", rows[3])
    assert len(raked) == 2 and all(80 < float(v) <= 100 for pair in raked for v in pair)
    assert rows[3].endswith("| – |")
    assert "## Raked designs: coverage (%)" in text
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


def test_share_candidates_are_exact_as_r(coverage: ModuleType) -> None:
    # R: n <- 50; p0 <- 0.96; x <- 0:n; f <- dbinom(x, n, p0)
    #    pw <- sapply(x, function(k) prop.test(k, n, p0, correct = FALSE)$p.value)
    #    pc <- sapply(x, function(k) prop.test(k, n, p0, correct = TRUE)$p.value)
    #    pm <- pmin(1, 2 * pmin(pbinom(x, n, p0) - f/2, pbinom(x - 1, n, p0, FALSE) - f/2))
    #    100 * (1 - sum(f[pw < .05])) -> 95.1028528115487; pc, pm -> 98.5589600430688
    #    n <- 100 (same steps), 100 * (1 - (1 - sum(f[p < .005]))^10):
    #    Wilson 6.6374509771599, mid-p 2.21613009714317
    #    registry: pc <- pmin(1, 2 * pmin(pbinom(x, n, p0), pbinom(x - 1, n, p0, FALSE)))
    #    ph <- ifelse(pw >= 0.01, pw, pmin(pc, 0.01)) -> 2.21613009714317
    out = coverage.share_candidates(0.96, [50])
    assert out["wilson"][0] == pytest.approx(95.1028528115487, abs=1e-9)
    assert out["wilson-cc"][0] == pytest.approx(98.5589600430688, abs=1e-9)
    assert out["mid-p"][0] == pytest.approx(98.5589600430688, abs=1e-9)
    assert out["wilson"][1] == pytest.approx(6.6374509771599, abs=1e-9)
    assert out["mid-p"][1] == pytest.approx(2.21613009714317, abs=1e-9)
    # the registry: Wilson at 95 %, the exact test in the far tail Holm uses
    assert out["registry"][0] == pytest.approx(95.1028528115487, abs=1e-9)
    assert out["registry"][1] == pytest.approx(2.21613009714317, abs=1e-9)
