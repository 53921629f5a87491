"""Targets and norms (cxresearch.stats.benchmark) pinned to R 4.2.

The 60 answers are those of the current wave in tests/unit/test_session.py: NPS 30
promoters, 18 passives, 12 detractors (NPS 30); CSAT 39 of 60 top-2 (65 %); CES 24 of 60
"easy" (5–7). R values were printed with ``print(..., digits = 13)``.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from cxresearch.stats.benchmark import benchmark_results, compare_to_norm, target_results


def answers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "nps": [10 if i < 30 else 7 if i < 48 else 3 for i in range(60)],
            "csat": [5 if i < 39 else 2 for i in range(60)],
            "ces": [i % 7 + 1 for i in range(60)],  # 24 of 60 are 5, 6 or 7
            "customer_type": ["current"] * 60,
        }
    )


NORMS = [
    {"name": "CSAT norm", "metric": "csat", "value": 55, "n": 1500},
    {"name": "NPS norm", "metric": "nps", "value": 20, "n": 1000},
    {"name": "NPS hearsay", "metric": "nps", "value": 25},
]


def test_benchmark_results_match_r() -> None:
    norms = benchmark_results(answers(), NORMS).set_index("name")
    csat = norms.loc["CSAT norm"]
    # R: prop.test(c(39, 825), c(60, 1500), correct = FALSE)
    #    X-squared = 2.334770114943, p-value = 0.126513666049
    assert csat["difference"] == pytest.approx(10.0, abs=1e-9)
    assert csat["pvalue"] == pytest.approx(0.126513666049, rel=1e-8)
    nps = norms.loc["NPS norm"]
    # R (Rocks 2016 variance, conservative norm with no passives: 600 promoters, 400
    # detractors of 1000): p1 <- .5; q1 <- .2; p2 <- .6; q2 <- .4
    # se <- sqrt((p1+q1-(p1-q1)^2)/60 + (p2+q2-(p2-q2)^2)/1000); z <- .1/se
    # z = 0.948019916212, 2*pnorm(-z) = 0.343119315283, CI 100*(.1 ± 1.96 se) = −10.674..30.674
    assert nps["difference"] == pytest.approx(10.0, abs=1e-9)
    assert nps["pvalue"] == pytest.approx(0.343119315283, rel=1e-8)
    assert nps["diff_ci_low"] == pytest.approx(-10.674291236120, abs=1e-8)
    assert nps["diff_ci_high"] == pytest.approx(30.674291236120, abs=1e-8)
    hearsay = norms.loc["NPS hearsay"]
    assert hearsay["difference"] == pytest.approx(5.0) and math.isnan(hearsay["pvalue"])


def test_ces_norm_is_the_two_proportion_test_on_the_counts() -> None:
    # R: r <- prop.test(c(24, 400), c(60, 800), correct = FALSE)
    #    r$statistic 2.2329929028908 (X-squared = z²), r$p.value 0.1350919441362
    cmp = compare_to_norm(answers()["ces"], 50, n=800, metric="ces")
    assert cmp.difference == pytest.approx(-10.0, abs=1e-9)
    assert cmp.statistic**2 == pytest.approx(2.2329929028908, rel=1e-9)
    assert cmp.pvalue == pytest.approx(0.1350919441362, rel=1e-8)
    assert (cmp.n_a, cmp.n_b) == (60, 800)


def test_target_status_reads_the_two_sided_test() -> None:
    targets = [
        {"metric": "csat", "value": 50, "segment": {"customer_type": "current"}, "label": "A"},
        {"metric": "csat", "value": 70, "label": "B"},
    ]
    got = target_results(answers(), targets, suppress_below=15)
    # R: r <- prop.test(39, 60, p = 0.5, correct = FALSE)
    #    r$statistic 5.4 (X-squared = z²), r$p.value 0.02013675155035 < 0.05: met
    assert got.loc[0, "statistic"] ** 2 == pytest.approx(5.4, rel=1e-9)
    assert got.loc[0, "pvalue"] == pytest.approx(0.02013675155035, rel=1e-8)
    assert got.loc[0, "difference"] == pytest.approx(15.0, abs=1e-9)
    # R: prop.test(39, 60, p = 0.7, correct = FALSE)$p.value 0.3980247195069 > 0.05
    assert got.loc[1, "pvalue"] == pytest.approx(0.3980247195069, rel=1e-8)
    assert got["status"].tolist() == ["met", "inconclusive"]
    assert got["label"].tolist() == ["A", "B"]
