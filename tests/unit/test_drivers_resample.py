"""Bootstrap draw counts drawn a chunk of rows at a time, and the one-pass correlations.

The counts must be exactly the ordinary bootstrap's Multinomial(n; 1/n, ..., 1/n) whatever
the chunking, reproducible from the seed, and the same whether rows are visited for all
replicates together or block by block.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from cxresearch.stats.drivers import BootstrapDraws
from cxresearch.stats.drivers.moments import bootstrap_correlations, correlation_stack
from cxresearch.stats.drivers.resample import REPLICATE_BLOCK, ROW_CHUNK


def _pattern_frequencies(counts: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Observed and expected frequencies of every possible count vector."""
    outcomes = [c for c in itertools.product(range(n + 1), repeat=n) if sum(c) == n]
    index = {c: i for i, c in enumerate(outcomes)}
    observed = np.zeros(len(outcomes))
    seen, times = np.unique(counts, axis=0, return_counts=True)
    for row, k in zip(map(tuple, seen.tolist()), times, strict=True):
        observed[index[row]] = k
    pmf = np.array(
        [math.factorial(n) / math.prod(math.factorial(k) for k in c) / n**n for c in outcomes]
    )
    return observed, pmf * counts.shape[0]


@pytest.mark.parametrize(("row_chunk", "block"), [(1, 4_000), (2, 16), (3, 999), (4, 4_000)])
def test_counts_are_multinomial_whatever_the_chunking(row_chunk: int, block: int) -> None:
    # n = 4 rows: 35 possible count vectors with known multinomial probabilities. A wrong
    # binomial split (e.g. m / n instead of m / rows left) fails this by a wide margin.
    n, reps = 4, 40_000
    seed = np.random.SeedSequence(11)
    draws = BootstrapDraws(seed, n=n, replicates=reps, row_chunk=row_chunk, block=block)
    counts = draws.counts()
    assert counts.shape == (reps, n) and (counts.sum(axis=1) == n).all()
    observed, expected = _pattern_frequencies(counts, n)
    assert stats.chisquare(observed, expected).pvalue > 1e-3


def test_marginal_moments_match_the_bootstrap() -> None:
    # Each row's count is Binomial(n, 1/n): mean 1, variance 1 - 1/n; two rows' counts
    # have covariance -1/n. n spans several chunks so the binomial split is exercised.
    n, reps = 50, 20_000
    seed = np.random.SeedSequence(3)
    counts = BootstrapDraws(seed, n=n, replicates=reps, row_chunk=7, block=1_000).counts()
    assert counts.mean() == pytest.approx(1.0, abs=0.01)
    assert counts.var(axis=0, ddof=1).mean() == pytest.approx(1 - 1 / n, abs=0.02)
    cov = np.cov(counts, rowvar=False)
    off = cov[~np.eye(n, dtype=bool)]
    assert off.mean() == pytest.approx(-1 / n, abs=0.005)


def test_seeded_reproducible_and_the_same_by_rows_or_by_block() -> None:
    n, reps = 2 * ROW_CHUNK + 123, 2 * REPLICATE_BLOCK + 5
    draws = BootstrapDraws(np.random.SeedSequence(5), n=n, replicates=reps)
    by_block = draws.counts()
    by_rows = np.concatenate([c.copy() for _, c in draws.by_rows()], axis=1)
    np.testing.assert_array_equal(by_block, by_rows)
    np.testing.assert_array_equal(by_block, draws.counts())  # the seed is not consumed
    other = BootstrapDraws(np.random.SeedSequence(6), n=n, replicates=reps).counts()
    assert not np.array_equal(by_block, other)
    assert (by_block.sum(axis=1) == n).all()
    # Blocks use the seed's children: spawning them does not change the parent seed.
    seed = np.random.SeedSequence(5)
    BootstrapDraws(seed, n=n, replicates=reps).counts()
    assert seed.n_children_spawned == 0


def test_invalid_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        BootstrapDraws(np.random.SeedSequence(1), n=0, replicates=3)


@pytest.mark.parametrize("missing", [False, True])
def test_one_pass_correlations_equal_the_weighted_stack(missing: bool) -> None:
    rng = np.random.default_rng(8)
    n = ROW_CHUNK + 500  # two chunks of rows
    values = rng.normal(size=(n, 4)) @ np.array(
        [[1, 0.5, 0.2, 0], [0, 1, 0.3, 0.1], [0, 0, 1, 0.4], [0, 0, 0, 1]]
    )
    values += 100.0  # large means: the centring must keep the moments accurate
    if missing:
        values[rng.random(values.shape) < 0.1] = np.nan
    w = rng.uniform(0.5, 2.0, size=n)
    draws = BootstrapDraws(np.random.SeedSequence(2), n=n, replicates=20)
    got = bootstrap_correlations(values, w, draws)
    expected = correlation_stack(values, draws.counts() * w)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    # Replicate 0 against numpy on the resampled rows themselves.
    if not missing:
        rows = np.repeat(np.arange(n), draws.counts()[0])
        cov = np.cov(values[rows], aweights=w[rows], rowvar=False)
        sd = np.sqrt(np.diag(cov))
        np.testing.assert_allclose(got[0], cov / np.outer(sd, sd), atol=1e-12)


def test_one_pass_correlations_check_their_inputs() -> None:
    draws = BootstrapDraws(np.random.SeedSequence(2), n=10, replicates=3)
    with pytest.raises(ValueError, match="do not fit"):
        bootstrap_correlations(np.ones((11, 2)), np.ones(11), draws)
