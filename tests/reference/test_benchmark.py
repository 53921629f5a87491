"""Targets and norms (cxresearch.stats.benchmark) pinned to R 4.2.

The 60 answers are those of the current wave in tests/unit/test_session.py: NPS 30
promoters, 18 passives, 12 detractors (NPS 30); CSAT 39 of 60 top-2 (65 %); CES 24 of 60
"easy" (5–7). R values were printed with ``print(..., digits = 13)``.
"""

from __future__ import annotations

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


# Agresti–Caffo and adjusted-Wald pairs written out in R:
# ac <- function(x1, n1, x2, n2, conf = .95) { p1 <- (x1 + 1) / (n1 + 2)
#   p2 <- (x2 + 1) / (n2 + 2); se <- sqrt(p1*(1-p1)/(n1+2) + p2*(1-p2)/(n2+2))
#   z <- (p1 - p2) / se; q <- qnorm(.5 + conf / 2)
#   c(z = z, p = 2 * pnorm(-abs(z)), lo = 100*(p1-p2-q*se), hi = 100*(p1-p2+q*se)) }
# adj <- function(d, pa, pr) { n <- d + pa + pr; p <- (pr + .75) / (n + 3)
#   q <- (d + .75) / (n + 3); c(c = p - q, se = sqrt((p + q - (p - q)^2) / (n + 3))) }


def test_benchmark_results_match_r() -> None:
    norms = benchmark_results(answers(), NORMS, adjust="none").set_index("name")
    csat = norms.loc["CSAT norm"]
    # R: ac(39, 60, 825, 1500) -> z 1.533307953020008, p 0.125199995987413,
    #    lo −2.649796752458530, hi 21.695370396202350
    assert csat["difference"] == pytest.approx(10.0, abs=1e-9)
    assert csat["pvalue"] == pytest.approx(0.125199995987413, rel=1e-9)
    assert csat["diff_ci_low"] == pytest.approx(-2.649796752458530, abs=1e-8)
    assert csat["diff_ci_high"] == pytest.approx(21.695370396202350, abs=1e-8)
    assert csat["norm_kind"] == "sample"
    nps = norms.loc["NPS norm"]
    # Conservative norm with no passives (600 promoters, 400 detractors of 1000), R:
    # a <- adj(12, 18, 30); b <- adj(400, 0, 600); se <- sqrt(a[2]^2 + b[2]^2)
    # z <- (a[1] - b[1]) / se -> 0.837548929899292, p 0.402284085536080,
    # CI −11.566899073435774 .. 28.829397293062609
    assert nps["difference"] == pytest.approx(10.0, abs=1e-9)
    assert nps["pvalue"] == pytest.approx(0.402284085536080, rel=1e-9)
    assert nps["diff_ci_low"] == pytest.approx(-11.566899073435774, abs=1e-8)
    assert nps["diff_ci_high"] == pytest.approx(28.829397293062609, abs=1e-8)
    assert nps["norm_kind"] == "conservative"
    hearsay = norms.loc["NPS hearsay"]
    # Without n the norm is a fixed value: the one-sample adjusted-Wald test, as a target.
    assert hearsay["norm_kind"] == "fixed" and hearsay["difference"] == pytest.approx(5.0)
    assert hearsay["test"] == "one-sample t test, adjusted Wald (Rocks 2016)"
    # With BH over the three norms, none significant: intervals at 1 − 0.05/3.
    adjusted = benchmark_results(answers(), NORMS).set_index("name")
    assert adjusted["interval_level"].iloc[0] == pytest.approx(1 - 0.05 / 3)
    assert adjusted.loc["CSAT norm", "diff_ci_low"] < csat["diff_ci_low"]
    assert not adjusted["significant"].any()


def test_ces_norm_is_the_agresti_caffo_test_on_the_counts() -> None:
    # R: ac(24, 60, 400, 800) -> z −1.494517276052616, p 0.135040469866878,
    #    lo −22.368736947949596, hi 3.013898238272172
    cmp, kind = compare_to_norm(answers()["ces"], 50, n=800, metric="ces")
    assert kind == "sample"
    assert cmp.difference == pytest.approx(-10.0, abs=1e-9)
    assert cmp.statistic == pytest.approx(-1.494517276052616, rel=1e-9)
    assert cmp.pvalue == pytest.approx(0.135040469866878, rel=1e-9)
    assert (cmp.ci_low, cmp.ci_high) == pytest.approx(
        (-22.368736947949596, 3.013898238272172), abs=1e-8
    )
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
    # BH over the two targets: 0.0403 and 0.398; the first is still met.
    assert got["pvalue_adjusted"].tolist() == pytest.approx(
        [2 * 0.02013675155035, 0.3980247195069], rel=1e-8
    )
    assert got["status"].tolist() == ["met", "inconclusive"]
    assert got["label"].tolist() == ["A", "B"]
