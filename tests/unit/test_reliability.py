"""Behaviour and bad input of the reliability coefficients (numbers: tests/reference)."""

from __future__ import annotations

import numpy as np
import pytest

from cxresearch.stats.reliability import cohen_kappa, fleiss_kappa, krippendorff_alpha


def _coders(seed: int, n: int = 400, error: float = 0.2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 3, n)
    noisy = [np.where(rng.random(n) < error, rng.integers(0, 3, n), truth) for _ in range(3)]
    return np.array(noisy, dtype=float)


def test_bootstrap_interval_brackets_value_and_is_reproducible():
    data = _coders(1)
    first = krippendorff_alpha(data, bootstrap=300, seed=5)
    again = krippendorff_alpha(data, bootstrap=300, seed=5)
    assert first == again
    assert first.ci_low < first.value < first.ci_high
    assert first.ci_high - first.ci_low < 0.2
    assert "bootstrap" in first.method and first.n == 400
    other = krippendorff_alpha(data, bootstrap=300, seed=6)
    assert other.ci_low != first.ci_low


def test_alpha_perfect_and_undefined():
    assert krippendorff_alpha([[1, 2, 3], [1, 2, 3]], bootstrap=0).value == 1.0
    # no variation at all: alpha is undefined, not 1 and not an error
    assert np.isnan(krippendorff_alpha([[1, 1, 1], [1, 1, 1]], bootstrap=0).value)


def test_alpha_ignores_units_coded_once():
    base = krippendorff_alpha([[1, 2, 1, 2], [1, 2, 2, 2]], bootstrap=0)
    extra = krippendorff_alpha([[1, 2, 1, 2, 3], [1, 2, 2, 2, None]], bootstrap=0)
    assert extra.value == pytest.approx(base.value) and extra.n == 4


def test_alpha_two_coders_close_to_cohen_kappa_in_large_samples():
    data = _coders(2, n=5000)
    alpha = krippendorff_alpha(data[:2], bootstrap=0).value
    kappa = cohen_kappa(data[0], data[1], bootstrap=0).value
    assert alpha == pytest.approx(kappa, abs=0.005)


def test_alpha_bad_input():
    with pytest.raises(ValueError, match="level must be one of"):
        krippendorff_alpha([[1, 2]], level="nominall")
    with pytest.raises(ValueError, match="2-dimensional"):
        krippendorff_alpha([1, 2, 3])
    with pytest.raises(ValueError, match="needs numeric values"):
        krippendorff_alpha([["a", "b"], ["a", "a"]], level="interval")
    with pytest.raises(TypeError, match="bootstrap must be an integer"):
        krippendorff_alpha([[1, 2], [1, 2]], bootstrap=1.5)
    with pytest.raises(ValueError, match="confidence"):
        krippendorff_alpha([[1, 2], [1, 2]], confidence=95)


def test_fleiss_bad_input_names_rows():
    with pytest.raises(ValueError, match=r"units \(0-based rows\) \[1\]"):
        fleiss_kappa([[2, 1], [1, 1], [3, 0]])
    with pytest.raises(ValueError, match="non-negative whole numbers"):
        fleiss_kappa([[2, 1.5], [1, 2]])
    with pytest.raises(ValueError, match="two or more categories"):
        fleiss_kappa([[3], [3]])


def test_fleiss_interval():
    counts = np.stack([(_coders(3) == c).sum(axis=0) for c in range(3)], axis=1)
    estimate = fleiss_kappa(counts, bootstrap=200)
    assert estimate.ci_low < estimate.value < estimate.ci_high
    assert estimate.value == pytest.approx(
        krippendorff_alpha(_coders(3), bootstrap=0).value, abs=0.01
    )


def test_cohen_drops_and_counts_missing_pairs():
    estimate = cohen_kappa([1, 0, 1, None, 1], [1, 0, 0, 1, np.nan], bootstrap=0)
    assert estimate.n == 3
    with pytest.raises(ValueError, match="lengths 2 and 3"):
        cohen_kappa([1, 0], [1, 0, 1])
    with pytest.raises(ValueError, match="weights must be"):
        cohen_kappa([1, 0], [1, 0], weights="cubic")
    with pytest.raises(ValueError, match="needs numeric codes"):
        cohen_kappa(["a", "b"], ["a", "a"], weights="linear")
