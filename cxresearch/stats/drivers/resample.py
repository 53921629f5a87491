"""Bootstrap draw counts for many replicates, generated a chunk of rows at a time.

The ordinary (Efron) bootstrap draws n rows with replacement, so one replicate's draw
counts ``c = (c_1, ..., c_n)`` are Multinomial(n; 1/n, ..., 1/n), and a weighted statistic
with weights ``c_i · w_i`` equals the statistic on the resampled rows. Drawing all n
indices of a replicate at once needs the replicate's whole row range in memory, which made
the driver bootstrap process one replicate at a time above a million rows.

Here the counts are drawn row chunk by row chunk, for every replicate at once, and still
exactly multinomial: given that ``D`` draws are left for the ``N`` rows not yet visited,
the number that fall in the next chunk of ``m`` rows is Binomial(D, m / N), and those
draws fall uniformly on the chunk's rows (the multinomial's conditional and marginal
distributions). A pass over the data then holds (replicates × chunk rows) counts, and a
weighted sum over rows becomes one matrix product per chunk for all replicates.

Replicates are grouped in blocks of :data:`REPLICATE_BLOCK`, each with its own generator
(child ``i`` of the seed sequence), so a block's counts are the same whether the rows are
visited for all replicates together (interval outcomes) or block by block (logistic fits,
which need every row of a replicate at once). :data:`ROW_CHUNK` and
:data:`REPLICATE_BLOCK` are part of the seeded stream: changing them changes which
resamples a seed gives, not their distribution.

References
----------
Efron, B. & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*, ch. 6. Chapman
& Hall. Johnson, N. L., Kotz, S. & Balakrishnan, N. (1997). *Discrete Multivariate
Distributions*, ch. 35 (conditional binomials of the multinomial). Wiley.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

__all__ = ["REPLICATE_BLOCK", "ROW_CHUNK", "BootstrapDraws"]

#: Rows per chunk: (1,000 replicates × 8,192 rows) float64 weights are 64 MB.
ROW_CHUNK = 8192
#: Replicates per generator: a logistic bootstrap materialises one block's weights for all
#: rows at once (16 × 1,000,000 rows = 128 MB).
REPLICATE_BLOCK = 16


class _BlockStream:
    """One block's generator and how many draws each of its replicates has left."""

    def __init__(self, seed: np.random.SeedSequence, size: int, n: int) -> None:
        self.rng = np.random.Generator(np.random.PCG64(seed))
        self.left = np.full(size, n, dtype=np.int64)
        self.rows_left = n
        self.offsets = np.arange(size, dtype=np.int64)

    def next(self, m: int) -> np.ndarray:
        """Counts (block size, m) for the next m rows."""
        if m < self.rows_left:
            k = self.rng.binomial(self.left, m / self.rows_left)
        else:  # the last chunk takes every draw left
            k = self.left.copy()
        draws = self.rng.integers(0, m, size=int(k.sum()), dtype=np.uint32)
        cells = np.repeat(self.offsets * m, k)
        cells += draws
        counts = np.bincount(cells, minlength=self.offsets.size * m)
        self.left -= k
        self.rows_left -= m
        return counts.reshape(self.offsets.size, m)


@dataclass(frozen=True)
class BootstrapDraws:
    """Seeded draw counts of ``replicates`` ordinary bootstrap resamples of ``n`` rows.

    Parameters
    ----------
    seed : numpy.random.SeedSequence
        Block ``i`` uses the child with spawn key ``seed.spawn_key + (i,)`` (what
        ``seed.spawn`` would give, without changing ``seed``).
    n : int
        Rows resampled; every replicate draws n of them with replacement.
    replicates : int
        Number of resamples.
    row_chunk, block : int
        Rows per chunk and replicates per generator; the defaults define the stream
        ``driver_importance`` uses.

    Examples
    --------
    >>> import numpy as np
    >>> draws = BootstrapDraws(np.random.SeedSequence(1), n=5, replicates=3)
    >>> draws.counts().sum(axis=1).tolist()
    [5, 5, 5]
    """

    seed: np.random.SeedSequence
    n: int
    replicates: int
    row_chunk: int = ROW_CHUNK
    block: int = REPLICATE_BLOCK

    def __post_init__(self) -> None:
        if self.n < 1 or self.replicates < 1 or self.row_chunk < 1 or self.block < 1:
            raise ValueError(
                "n, replicates, row_chunk and block must be positive, got "
                f"{self.n}, {self.replicates}, {self.row_chunk}, {self.block}"
            )

    @property
    def blocks(self) -> list[range]:
        """Replicate indices of each block."""
        return [
            range(start, min(start + self.block, self.replicates))
            for start in range(0, self.replicates, self.block)
        ]

    @property
    def chunks(self) -> list[slice]:
        """Row slices visited in order."""
        return [
            slice(start, min(start + self.row_chunk, self.n))
            for start in range(0, self.n, self.row_chunk)
        ]

    def _stream(self, index: int, size: int) -> _BlockStream:
        child = np.random.SeedSequence(
            self.seed.entropy,
            spawn_key=(*self.seed.spawn_key, index),
            pool_size=self.seed.pool_size,
        )
        return _BlockStream(child, size, self.n)

    def by_rows(self, weights: np.ndarray | None = None) -> Iterator[tuple[slice, np.ndarray]]:
        """Each row chunk with every replicate's weights there, shape (replicates, rows).

        The weights are the draw counts times ``weights`` (survey weights, shape (n,)), or
        the counts themselves, as float64. The array is reused for the next chunk: use it
        before asking for the next one.
        """
        streams = [self._stream(i, len(b)) for i, b in enumerate(self.blocks)]
        buffer = np.empty((self.replicates, min(self.row_chunk, self.n)))
        for rows in self.chunks:
            out = buffer[:, : rows.stop - rows.start]
            w = None if weights is None else weights[rows]
            for stream, block in zip(streams, self.blocks, strict=True):
                target = out[block.start : block.stop]
                if w is None:
                    target[...] = stream.next(out.shape[1])
                else:
                    np.multiply(stream.next(out.shape[1]), w, out=target)
            yield rows, out

    def block_counts(self, index: int) -> np.ndarray:
        """Counts of block ``index`` on every row, shape (block size, n)."""
        stream = self._stream(index, len(self.blocks[index]))
        return np.concatenate([stream.next(r.stop - r.start) for r in self.chunks], axis=1)

    def counts(self) -> np.ndarray:
        """All counts, shape (replicates, n): for tests and small data."""
        return np.concatenate([self.block_counts(i) for i in range(len(self.blocks))])
