"""Reliability coefficients pinned to published worked examples and to R.

R values come from base-R transcriptions of the ``irr`` package's formulas (irr 0.84.1,
``kappam.fleiss`` and ``kappa2``; irr is not in Debian, so its formulas were typed out), run
with ``Rscript`` 4.2 and ``options(digits = 15)``; the script is quoted beside each value.
"""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import cohens_kappa as sm_cohens_kappa
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from cxresearch.stats.reliability import cohen_kappa, fleiss_kappa, krippendorff_alpha

NAN = np.nan
# Krippendorff (2011), section C: four observers, 12 units, nominal values with missing data.
EXAMPLE_C = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
    [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
]
# Krippendorff (2011), section A: two observers, ten units, binary, no missing data.
EXAMPLE_A = [[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]]

# Fleiss (1971), Table 1 (also irr's `diagnoses`): 30 patients, 6 psychiatrists, 5 diagnoses.
DIAGNOSES = np.array(
    [
        [4, 4, 4, 4, 4, 4],
        [2, 2, 2, 5, 5, 5],
        [2, 3, 3, 3, 3, 5],
        [5, 5, 5, 5, 5, 5],
        [2, 2, 2, 4, 4, 4],
        [1, 1, 3, 3, 3, 3],
        [3, 3, 3, 3, 5, 5],
        [1, 1, 3, 3, 3, 4],
        [1, 1, 4, 4, 4, 4],
        [5, 5, 5, 5, 5, 5],
        [1, 4, 4, 4, 4, 4],
        [1, 2, 4, 4, 4, 4],
        [2, 2, 2, 3, 3, 3],
        [1, 4, 4, 4, 4, 4],
        [2, 2, 4, 4, 4, 5],
        [3, 3, 3, 3, 3, 5],
        [1, 1, 1, 4, 5, 5],
        [1, 1, 1, 1, 1, 2],
        [2, 2, 4, 4, 4, 4],
        [1, 3, 3, 5, 5, 5],
        [5, 5, 5, 5, 5, 5],
        [2, 4, 4, 4, 4, 4],
        [2, 2, 4, 5, 5, 5],
        [1, 1, 4, 4, 4, 4],
        [1, 4, 4, 4, 4, 5],
        [2, 2, 2, 2, 2, 4],
        [1, 1, 1, 1, 5, 5],
        [2, 2, 4, 4, 4, 4],
        [1, 3, 3, 3, 3, 3],
        [5, 5, 5, 5, 5, 5],
    ]
)


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        # Krippendorff (2011), p. 4-7: alpha_nominal = .743, alpha_ordinal = .815,
        # alpha_interval = .849, alpha_ratio = .797 (the exact fractions as computed from
        # the paper's coincidence matrices; the paper prints three decimals).
        ("nominal", 0.743421052631579),
        ("ordinal", 0.8153875037548814),
        ("interval", 0.8491071428571428),
        ("ratio", 0.7974027747116121),
    ],
)
def test_krippendorff_2011_example_c(level, expected):
    estimate = krippendorff_alpha(EXAMPLE_C, level=level, bootstrap=0)
    assert estimate.value == pytest.approx(expected, abs=1e-12)
    assert (
        round(estimate.value, 3)
        == {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}[level]
    )
    # unit 12 has a single value (not pairable): 11 pairable units
    assert estimate.n == 11


def test_krippendorff_2011_example_c_nominal_exact_fraction():
    # Paper, p. 5: alpha = 1 - (n - 1) * sum(o_ck, c != k) / sum(n_c n_k, c != k)
    #                   = 1 - 39 * 4 / 608 = 0.743 with n = 40 pairable values.
    assert krippendorff_alpha(EXAMPLE_C, bootstrap=0).value == pytest.approx(1 - 39 * 4 / 608)


def test_krippendorff_2011_example_a_binary():
    # Paper, p. 2: alpha = 1 - (20 - 1) * 8 / (2 * 14 * 6) = 0.095
    value = krippendorff_alpha(EXAMPLE_A, bootstrap=0).value
    assert value == pytest.approx(1 - 19 * 8 / (2 * 14 * 6), abs=1e-12)
    assert round(value, 3) == 0.095


def test_alpha_text_codes_equal_numeric_codes():
    letters = [[None if np.isnan(v) else "abcde"[int(v) - 1] for v in row] for row in EXAMPLE_C]
    assert krippendorff_alpha(letters, bootstrap=0).value == pytest.approx(0.743421052631579)


def test_fleiss_1971_table1():
    # Fleiss (1971), p. 381: kappa = .430.
    # R: agreeP <- sum((rowSums(ttab^2) - nr)/(nr*(nr-1))/ns)
    #    chanceP <- sum(colSums(ttab)^2)/(ns*nr)^2
    #    (agreeP - chanceP)/(1 - chanceP)  -> 0.430244520060141   (irr::kappam.fleiss formula)
    counts, _ = aggregate_raters(DIAGNOSES)
    estimate = fleiss_kappa(counts, bootstrap=0)
    assert estimate.value == pytest.approx(0.430244520060141, abs=1e-12)
    assert estimate.value == pytest.approx(sm_fleiss_kappa(counts), abs=1e-12)
    assert estimate.n == 30


def test_fleiss_wikipedia_table_and_statsmodels():
    # The 10 subjects × 14 raters example (Wikipedia "Fleiss' kappa"): kappa = 0.210;
    # statsmodels' own test uses the same table.
    table = [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
    value = fleiss_kappa(table, bootstrap=0).value
    assert round(value, 3) == 0.210
    assert value == pytest.approx(sm_fleiss_kappa(np.array(table)), abs=1e-12)


def test_cohen_sas_example_and_statsmodels():
    # SAS PROC FREQ example used by statsmodels' tests: kappa 0.4842 for this 3 × 3 table.
    table = np.array([[0, 4, 1], [0, 8, 0], [0, 1, 5]])
    a = np.repeat(np.repeat(np.arange(3), 3), table.ravel())
    b = np.repeat(np.tile(np.arange(3), 3), table.ravel())
    value = cohen_kappa(a, b, bootstrap=0).value
    assert round(value, 4) == 0.4842
    assert value == pytest.approx(sm_cohens_kappa(table).kappa, abs=1e-12)


A16 = [1, 2, 3, 3, 2, 1, 4, 1, 2, 5, 1, 3, 2, 4, 4, 1]
B16 = [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, 1, 3, 3, 4, 5, 2]


@pytest.mark.parametrize(
    ("weights", "expected"),
    [
        # R (irr::kappa2 formulas): t <- table(factor(a, lev), factor(b, lev)) / length(a)
        #   W <- outer(lev, lev, function(x, y) w(x - y)); e <- outer(rowSums(t), colSums(t))
        #   1 - sum(W * t) / sum(W * e)
        (None, 0.681592039800995),  # w = function(x) x != 0
        ("linear", 0.825136612021858),  # w = function(x) abs(x)
        ("quadratic", 0.9236276849642),  # w = function(x) x^2
    ],
)
def test_cohen_weighted_against_r(weights, expected):
    value = cohen_kappa(A16, B16, weights=weights, bootstrap=0).value
    assert value == pytest.approx(expected, abs=1e-12)
    table = np.zeros((5, 5))
    np.add.at(table, (np.array(A16) - 1, np.array(B16) - 1), 1)
    sm = sm_cohens_kappa(
        table, wt={None: None, "linear": "linear", "quadratic": "quadratic"}[weights]
    ).kappa
    assert value == pytest.approx(sm, abs=1e-12)
