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
    # distribution since the study split the Holm family error by metric and side), the
    # far tail's three rows (Holm, coverage at 99 / 99.5, width), then the raked designs'
    # row: "raked / weights only" per n, design effect, df ("–": no n = 100 in this run)
    assert len(rows) == 7
    raked = re.findall(r"(\d+\.\d) / (\d+\.\d)", rows[6])
    assert len(raked) == 2 and all(80 < float(v) <= 100 for pair in raked for v in pair)
    assert rows[6].endswith("| – |")
    assert "### Far tail of means and NPS: answers added at the ends of the scale" in text
    holm = [float(v) for v in re.findall(r"\| (\d+\.\d) ", rows[3] + " ")]
    assert len(holm) == 5 and all(0 <= v <= 100 for v in holm)
    cover = [float(v) for v in re.findall(r"(\d+\.\d\d) / (\d+\.\d\d)", rows[4])[0]]
    assert 90 < cover[0] <= cover[1] <= 100  # 99.5 % intervals contain the 99 % ones
    widths = [float(v) for v in re.findall(r"\| (\d+\.\d\d) ", rows[5] + " ")]
    assert len(widths) == 4 and all(w >= 1.0 for w in widths)  # a union is never narrower
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


def test_far_tail_candidate_chosen_is_the_registry(coverage: ModuleType) -> None:
    # The study's formula for "c answers at each end", with c = PSEUDO_ANSWERS, gives the
    # registry's p-values: the candidate measured is the one the reports use.
    rng = np.random.Generator(np.random.PCG64(3))
    for dist in coverage.DISTRIBUTIONS:
        if dist.metric.family not in ("mean", "nps"):
            continue
        for weights in (None, (-0.4, 0.5)):
            goal = coverage.truth(dist, weights)
            s = coverage._summaries(dist, 4000, 100, rng, weights)
            metric = dist.metric
            _, family = metric.family_test(s, metric.method, goal, 0.95, "two-sided")
            ends = coverage._ends_pvalue(metric, s, goal, coverage.PSEUDO_ANSWERS)
            far = family < coverage.TAIL_ALPHA
            assert far.any()
            route = np.where(far, np.fmin(np.fmax(family, ends), coverage.TAIL_ALPHA), family)
            registry = metric.test(s, goal, confidence=0.95)[1]
            np.testing.assert_allclose(registry, route, rtol=1e-12, atol=0)
