"""Properties of the all-subsets engine, the Shapley sum and the sampled estimate."""

from __future__ import annotations

import itertools
from math import factorial

import numpy as np
import pytest
import statsmodels.api as sm

from cxresearch.stats.drivers import (
    all_subsets_r2,
    relative_weights,
    sampled_shapley,
    shapley_from_subsets,
)
from cxresearch.stats.drivers.moments import correlation_stack


def random_data(p: int, n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    common = rng.normal(size=(n, 1))
    x = rng.normal(size=(n, p)) + 0.6 * common  # correlated drivers, as ratings are
    y = x @ rng.uniform(-1, 2, size=p) + rng.normal(size=n) * 2
    return x, y


def corr_of(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.corrcoef(np.column_stack([y, x]).T)


def brute_force_r2(x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """R² of every subset model fitted one by one with statsmodels (OLS, or WLS)."""
    p = x.shape[1]
    out = np.zeros(1 << p)
    for mask in range(1, 1 << p):
        cols = [j for j in range(p) if mask >> j & 1]
        design = sm.add_constant(x[:, cols])
        fit = (
            sm.OLS(y, design).fit() if weights is None else sm.WLS(y, design, weights=weights).fit()
        )
        out[mask] = fit.rsquared
    return out


def brute_force_shapley(r2: np.ndarray, p: int) -> np.ndarray:
    """The Shapley value by its definition, looping over subsets."""
    phi = np.zeros(p)
    for j in range(p):
        for mask in range(1 << p):
            if mask >> j & 1:
                continue
            k = bin(mask).count("1")
            phi[j] += (
                factorial(k) * factorial(p - k - 1) / factorial(p) * (r2[mask | 1 << j] - r2[mask])
            )
    return phi


@pytest.mark.parametrize("p", [1, 2, 3, 4, 5, 6])
def test_matches_statsmodels_all_subsets(p):
    x, y = random_data(p, seed=p)
    r2 = all_subsets_r2(corr_of(x, y))
    expected = brute_force_r2(x, y)
    np.testing.assert_allclose(r2, expected, rtol=0, atol=1e-10)
    np.testing.assert_allclose(
        shapley_from_subsets(r2, p), brute_force_shapley(expected, p), atol=1e-10
    )


def test_matches_statsmodels_wls_with_weighted_correlation():
    x, y = random_data(5, seed=11)
    w = np.random.default_rng(1).uniform(0.2, 3.0, size=len(y))
    corr = correlation_stack(np.column_stack([y, x]), w[None, :])[0]
    np.testing.assert_allclose(all_subsets_r2(corr), brute_force_r2(x, y, weights=w), atol=1e-10)


@pytest.mark.parametrize("p", [3, 8, 13])
def test_importances_sum_to_r2(p):
    x, y = random_data(p, n=500, seed=p)
    r2 = all_subsets_r2(corr_of(x, y))
    phi = shapley_from_subsets(r2, p)
    assert r2[0] == 0.0
    assert phi.sum() == pytest.approx(r2[-1], abs=1e-10)
    assert relative_weights(corr_of(x, y)).sum() == pytest.approx(r2[-1], abs=1e-10)


def test_permutation_of_drivers_permutes_importances():
    x, y = random_data(7, seed=3)
    phi = shapley_from_subsets(all_subsets_r2(corr_of(x, y)), 7)
    order = np.array([4, 0, 6, 2, 1, 5, 3])
    permuted = shapley_from_subsets(all_subsets_r2(corr_of(x[:, order], y)), 7)
    np.testing.assert_allclose(permuted, phi[order], atol=1e-12)


def test_chunking_does_not_change_results():
    x, y = random_data(9, seed=5)
    corr = corr_of(x, y)
    whole = all_subsets_r2(corr)
    for chunk in (1, 2, 64, 100):  # 100 is not a power of two
        np.testing.assert_allclose(all_subsets_r2(corr, chunk_size=chunk), whole, atol=1e-13)
        np.testing.assert_allclose(
            shapley_from_subsets(whole, 9, chunk_size=chunk),
            shapley_from_subsets(whole, 9),
            atol=1e-13,
        )


def test_batch_axis_equals_one_at_a_time():
    stack = np.stack([corr_of(*random_data(4, seed=s)) for s in range(6)]).reshape(2, 3, 5, 5)
    batched = all_subsets_r2(stack, chunk_size=32)  # forces several replicate groups
    assert batched.shape == (2, 3, 16)
    for i, j in itertools.product(range(2), range(3)):
        np.testing.assert_allclose(batched[i, j], all_subsets_r2(stack[i, j]), atol=1e-14)
    phi = shapley_from_subsets(batched, 4)
    assert phi.shape == (2, 3, 4)
    np.testing.assert_allclose(phi[1, 2], shapley_from_subsets(batched[1, 2], 4), atol=1e-14)


def test_covariance_input_equals_correlation_input():
    x, y = random_data(4, seed=8)
    cov = np.cov(np.column_stack([y, x * [1, 10, 100, 0.1]]).T)
    np.testing.assert_allclose(all_subsets_r2(cov), all_subsets_r2(corr_of(x, y)), atol=1e-12)


def test_duplicated_driver_splits_its_share_and_stays_finite():
    # Two identical drivers: the second adds nothing once the first is in (as with a
    # generalised inverse), so the copies get equal values and the total is still R².
    x, y = random_data(2, seed=4)
    dup = np.column_stack([x, x[:, 0]])
    r2 = all_subsets_r2(corr_of(dup, y))
    phi = shapley_from_subsets(r2, 3)
    assert np.isfinite(phi).all()
    assert r2[0b101] == pytest.approx(r2[0b001], abs=1e-12)
    assert phi[0] == pytest.approx(phi[2], abs=1e-12)
    assert phi.sum() == pytest.approx(all_subsets_r2(corr_of(x, y))[-1], abs=1e-12)


def test_sampled_shapley_is_unbiased_and_efficient():
    x, y = random_data(6, n=400, seed=9)
    corr = corr_of(x, y)
    exact = shapley_from_subsets(all_subsets_r2(corr), 6)
    mean, se = sampled_shapley(
        corr, n_permutations=3000, rng=np.random.default_rng(2), chunk_size=700
    )
    assert mean.sum() == pytest.approx(all_subsets_r2(corr)[-1], abs=1e-12)
    assert np.all(np.abs(mean - exact) < 5 * se + 1e-12)
    assert np.all(se > 0) and np.all(se < 0.01)
    again, _ = sampled_shapley(corr, n_permutations=3000, rng=np.random.default_rng(2))
    np.testing.assert_allclose(again, mean, atol=1e-14)  # chunking does not change the draws


@pytest.mark.parametrize(
    ("arg", "message"),
    [
        (np.ones((3, 4)), "square"),
        (np.ones((1, 1)), "at least one driver"),
        (np.array([[1.0, np.nan], [np.nan, 1.0]]), "missing"),
        (np.array([[0.0, 0.0], [0.0, 1.0]]), "variance"),
    ],
)
def test_engine_rejects_bad_matrices(arg, message):
    with pytest.raises(ValueError, match=message):
        all_subsets_r2(arg)


def test_shapley_from_subsets_checks_length():
    with pytest.raises(ValueError, match="2\\*\\*p = 8"):
        shapley_from_subsets(np.zeros(4), 3)
    with pytest.raises(ValueError, match="positive integer"):
        shapley_from_subsets(np.zeros(1), 0)
