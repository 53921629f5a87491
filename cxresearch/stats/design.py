"""Survey designs and their linearised (Taylor) variance, as R's ``survey`` package.

Every metric in :mod:`cxresearch.stats.registry` is a weighted mean of a per-respondent
score (NPS: +1/0/−1, a share: 1/0, a mean: the rating). Its variance comes from one place,
:meth:`Design.variance`, given the estimator's influence values
``u_i = w_i (z_i − θ) / Σw``:

* **unweighted**: all weights 1; ``n/(n − 1) Σ u²`` is then exactly ``s²/n``;
* **weights only** (R ``svydesign(ids = ~1, weights = ~w)`` + ``svymean``): the same
  with-replacement formula on the weighted influence values;
* **raked** (R ``rake()`` + ``svymean``): the influence values are first replaced by
  their residuals from the raking margins (the calibration "g-residuals"), which is why a
  raked estimate of something the margins explain is more precise than a weights-only one;
* **clusters** (``ids=``): influence values are summed per cluster first (a respondent who
  answers several pooled waves is one cluster).

**Small-sample correction** (the default; :func:`linearized` marks weights for the plain
linearised variance above). With unequal weights the linearised variance is biased low
and, worse, far more variable than its n − 1 degrees of freedom say: a few large weights
carry it (their leverage ``h_i = w_i / Σw`` is large). So, for a metric's estimate:

* **weights only**: the CR2 (bias-reduced linearisation) variance of Bell & McCaffrey
  (2002), ``Σ u_i² / c_i`` with ``c_i = 1 − 2h_i + Σh²`` — for an intercept-only
  regression with these weights and each respondent its own cluster, exactly R
  ``clubSandwich::vcovCR(lm(z ~ 1, weights = w), cluster = 1:n, type = "CR2")``;
  unweighted it is ``s²/n`` again;
* **weights only and raked**: the degrees of freedom are Bell & McCaffrey's Satterthwaite
  df of that variance under independent, equal-variance answers (clubSandwich
  ``coef_test(..., test = "Satterthwaite")``), ``tr(B)² / tr(B²)`` with
  ``B = M'AM``, ``M = I − 1h'``, ``A = diag(h²/c)``; it depends on the weights only (n − 1
  when they are equal, about 22 instead of 299 for 300 lognormal σ = 1 weights). Raked
  designs keep their calibration variance (R ``svymean``) and take the df of their
  weights (the margins' own leverage is left out);
* **clusters**: no correction (R ``degf``: clusters − 1).

Measured in ``benchmarks/coverage.py`` (docs/coverage.md, "Weighted variance: candidates"):
the plain linearised interval covered 81–94 % at n ≤ 300 with σ = 1 lognormal weights
correlated with the answers; with the correction most cells are within 1.5 points from
n = 100.

Kish's effective n stays the reported effective base (:func:`effective_sample_size`); it is
not used for variances.

References
----------
Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley, ch. 2 and 7.
Bell, R. M. & McCaffrey, D. F. (2002). Bias reduction in standard errors for linear
regression with multi-stage samples. *Survey Methodology* 28(2), 169–181. Pustejovsky,
J. E. & Tipton, E. (2018). Small-sample methods for cluster-robust variance estimation and
hypothesis testing in fixed effects models. *JBES* 36(4), 672–683.
Deville, J.-C. & Särndal, C.-E. (1992). Calibration estimators in survey sampling. *JASA*
87, 376–382. Kish, L. (1965). *Survey Sampling*. Wiley, 11.7.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from cxresearch.stats.weighting import kish_effective_n as effective_sample_size
from cxresearch.stats.weighting import validate_weights

__all__ = [
    "CALIBRATION_ATTR",
    "VARIANCE_ATTR",
    "Calibration",
    "Design",
    "calibration_of",
    "effective_sample_size",
    "linearized",
    "make_design",
    "small_sample_terms",
]

#: Key under which :func:`cxresearch.rake` stores its :class:`Calibration` in ``Series.attrs``.
CALIBRATION_ATTR = "cxresearch.calibration"
#: Key under which :func:`linearized` marks weights for the plain linearised variance.
VARIANCE_ATTR = "cxresearch.variance"

# Backfitting of the calibration residuals stops when no residual moves by more than this
# (relative to the largest residual), or after _MAX_SWEEPS sweeps.
_SWEEP_TOL = 1e-13
_MAX_SWEEPS = 1000
#: Raked samples up to this many rows get their domain variances row by row, as R
#: ``svyrecvar`` (a pass over every row of the raked sample for each estimate); larger ones
#: from cell totals (:meth:`Calibration.domain_covariance`), which agree to rounding (about
#: 1e-15 relative: the sums run in another order) and cost the domain's rows only. Small
#: samples keep the row-by-row sums so that their reports stay the same to the last bit.
ROW_BY_ROW_MAX = 20_000


@dataclass(frozen=True, eq=False)
class Calibration:
    """What :func:`cxresearch.rake` remembers so that variances can use its margins.

    Attributes
    ----------
    index
        Row labels of the raked frame.
    codes
        One integer array per raking variable: the level code of every row.
    weights
        The raked weights of every row (mean 1).
    clusters
        Optional cluster code of every row (respondents over pooled waves).
    """

    index: pd.Index
    codes: tuple[np.ndarray, ...]
    weights: np.ndarray
    clusters: np.ndarray | None = None
    margins: tuple[str, ...] = field(default=())

    def __deepcopy__(self, memo: dict[int, Any]) -> Calibration:
        # pandas deep-copies Series.attrs on most operations; the calibration is immutable,
        # so share it instead of copying a million-row array every time.
        return self

    def residuals(self, u: np.ndarray) -> np.ndarray:
        """Residuals of ``u`` (n × k) from the raking margins, as R ``svyrecvar``.

        R replaces each column ``x`` by ``x − w · ave(x / w, margin)`` for every margin in
        turn (ten sweeps); the sweeps are backfitting of the least-squares projection of
        ``x / w`` on the margins' indicators, so here they run until they stop moving.
        """
        w = np.where(self.weights > 0, self.weights, 1.0)
        y = u / w[:, None]
        counts = [np.bincount(c) for c in self.codes]
        scale = float(np.max(np.abs(y))) if y.size else 0.0
        for _ in range(_MAX_SWEEPS):
            moved = 0.0
            for code, count in zip(self.codes, counts, strict=True):
                sums = np.stack(
                    [np.bincount(code, y[:, j], count.size) for j in range(y.shape[1])], 1
                )
                means = sums / np.maximum(count, 1)[:, None]
                step = means[code]
                y = y - step
                moved = max(moved, float(np.max(np.abs(step))) if step.size else 0.0)
            if moved <= _SWEEP_TOL * max(scale, 1e-300):
                break
        return y * w[:, None]

    @cached_property
    def _cells(self) -> _Cells:
        return _Cells.of(self)

    def domain_covariance(self, positions: np.ndarray, u: np.ndarray) -> np.ndarray:
        """:meth:`residuals` + the with-replacement covariance for a domain, without clusters.

        ``u`` (rows × k) holds the influence values of the raked frame's rows at
        ``positions``; every other row's are zero. The backfitting of :meth:`residuals`
        only ever subtracts one value per *cell* (a combination of the margins' levels),
        so it runs on the cells' totals here, and the rows outside the domain enter the
        covariance through their cells' sums of weights and squared weights: the cost is
        that of the domain's rows, not of the whole raked sample, with the same sweeps
        and stopping rule (the numbers agree with the row-by-row computation to rounding).
        """
        inside, fitted, rest_w, rest_w2, _ = self._domain_fit(positions, u)
        k = inside.shape[1]
        m = int(self._cells.cell.size)
        if m < 2:
            return np.full((k, k), np.nan)
        cross = inside.T @ inside + (fitted * rest_w2[:, None]).T @ fitted
        total_x = inside.sum(axis=0) - rest_w @ fitted
        return np.asarray(m / (m - 1.0) * (cross - np.outer(total_x, total_x) / m))

    def domain_skewness(self, positions: np.ndarray, u: np.ndarray) -> float:
        """``Σe³ / (Σe²)^{3/2}`` of the centred calibration residuals of one estimator's
        influence values ``u`` (a domain at ``positions``) over every raked row, from the
        cells as :meth:`domain_covariance` (a row outside the domain in cell c has the
        residual ``−fitted_c · w``)."""
        inside, fitted, rest_w, rest_w2, rest_w3 = self._domain_fit(positions, u[:, None])
        f, e = fitted[:, 0], inside[:, 0]
        m = float(self._cells.cell.size)
        s1 = float(e.sum() - rest_w @ f)
        s2 = float(e @ e + rest_w2 @ f**2)
        s3 = float(np.sum(e**3) - rest_w3 @ f**3)
        mean = s1 / m
        ss = s2 - m * mean**2
        cubes = s3 - 3.0 * mean * s2 + 2.0 * m * mean**3
        return float(cubes / ss**1.5) if ss > 0 else 0.0

    def _domain_fit(
        self, positions: np.ndarray, u: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Residuals of the domain's rows, the fitted value per cell, and the sums of w, w²
        and w³ per cell over the rows outside the domain."""
        cells = self._cells
        x = np.asarray(u, dtype="float64")
        k = x.shape[1]
        cell = cells.cell[positions]
        w = cells.w[positions]
        y = x / w[:, None]
        sums = [
            np.stack([np.bincount(codes[cell], y[:, j], size) for j in range(k)], 1)
            for codes, size in zip(cells.codes, cells.sizes, strict=True)
        ]
        fitted = np.zeros((cells.n.size, k))
        scale = float(np.max(np.abs(y))) if y.size else 0.0
        for _ in range(_MAX_SWEEPS):
            moved = 0.0
            for codes, size, count, total in zip(
                cells.codes, cells.sizes, cells.counts, sums, strict=True
            ):
                taken = np.stack(
                    [np.bincount(codes, cells.n * fitted[:, j], size) for j in range(k)], 1
                )
                step = ((total - taken) / np.maximum(count, 1)[:, None])[codes]
                fitted = fitted + step
                moved = max(moved, float(np.max(np.abs(step))) if step.size else 0.0)
            if moved <= _SWEEP_TOL * max(scale, 1e-300):
                break
        inside = (y - fitted[cell]) * w[:, None]
        rest_w = cells.w_sum - np.bincount(cell, w, cells.n.size)
        rest_w2 = cells.w2_sum - np.bincount(cell, w * w, cells.n.size)
        rest_w3 = cells.w3_sum - np.bincount(cell, w**3, cells.n.size)
        return inside, fitted, rest_w, rest_w2, rest_w3


@dataclass(frozen=True, eq=False)
class _Cells:
    """The raked rows grouped by their combination of margin levels (see ``domain_covariance``).

    ``cell`` is every row's cell, ``codes`` each margin's level of every cell, ``sizes``
    and ``counts`` each margin's number of levels and rows per level, ``n`` the rows per
    cell, ``w`` the weights as :meth:`Calibration.residuals` uses them (zero replaced by
    one) and ``w_sum`` / ``w2_sum`` / ``w3_sum`` their per-cell sums of powers 1–3.
    """

    cell: np.ndarray
    codes: tuple[np.ndarray, ...]
    sizes: tuple[int, ...]
    counts: tuple[np.ndarray, ...]
    n: np.ndarray
    w: np.ndarray
    w_sum: np.ndarray
    w2_sum: np.ndarray
    w3_sum: np.ndarray

    @classmethod
    def of(cls, calibration: Calibration) -> _Cells:
        codes = [np.asarray(c, dtype="int64") for c in calibration.codes]
        counts = tuple(np.bincount(c) for c in codes)
        sizes = tuple(int(c.size) for c in counts)
        rows = calibration.weights.size
        if codes and float(np.prod([float(s) for s in sizes])) < 2.0**62:
            key = np.zeros(rows, dtype="int64")
            for c, size in zip(codes, sizes, strict=True):
                key = key * size + c
            _, first, cell = np.unique(key, return_index=True, return_inverse=True)
        else:
            stacked = np.stack(codes, 1) if codes else np.zeros((rows, 1), dtype="int64")
            _, first, cell = np.unique(stacked, axis=0, return_index=True, return_inverse=True)
        cell = np.asarray(cell, dtype="int64").reshape(-1)
        w = np.where(calibration.weights > 0, calibration.weights, 1.0)
        count = np.bincount(cell).astype("float64")
        return cls(
            cell,
            tuple(c[first] for c in codes),
            sizes,
            counts,
            count,
            w,
            np.bincount(cell, w, count.size),
            np.bincount(cell, w * w, count.size),
            np.bincount(cell, w**3, count.size),
        )


def calibration_of(weights: Any) -> Calibration | None:
    """The :class:`Calibration` a weights Series carries, or None."""
    if isinstance(weights, pd.Series):
        found = weights.attrs.get(CALIBRATION_ATTR)
        if isinstance(found, Calibration):
            return found
    return None


@dataclass(frozen=True, eq=False)
class Design:
    """The weights of one sample's answered rows and how they were made.

    Build it with :func:`make_design`. ``weights`` are those of the answered rows in their
    order; ``positions`` places them in the raked frame when ``calibration`` is set.
    """

    weights: np.ndarray
    weighted: bool = False
    clusters: np.ndarray | None = None
    calibration: Calibration | None = None
    positions: np.ndarray | None = None
    small_sample: bool = True

    @property
    def n(self) -> int:
        return int(self.weights.size)

    @property
    def kind(self) -> str:
        """``"unweighted"``, ``"weights"`` or ``"raked"`` (``+clusters`` when clustered)."""
        base = (
            "raked"
            if self.calibration is not None
            else ("weights" if self.weighted else "unweighted")
        )
        return base + ("+clusters" if self.clusters is not None else "")

    @property
    def n_effective(self) -> float:
        """Kish's effective sample size of these weights (the reported effective base)."""
        total = float(self.weights.sum())
        return total**2 / float(np.square(self.weights).sum()) if total > 0 else 0.0

    @property
    def df(self) -> float:
        """Degrees of freedom: primary sampling units − 1 (R ``degf``).

        For a raked design they are those of the whole raked sample, as in R, because the
        domain's variance is computed in the whole sample.
        """
        if self.calibration is not None:
            full = self.calibration.clusters
            units = self.calibration.index.size if full is None else np.unique(full).size
        elif self.clusters is not None:
            units = np.unique(self.clusters).size
        else:
            units = self.n
        return float(units - 1)

    @property
    def corrected(self) -> bool:
        """Whether the small-sample correction applies (weighted, unclustered, not marked
        :func:`linearized`)."""
        cal = self.calibration
        return (
            self.small_sample
            and self.weighted
            and self.clusters is None
            and (cal is None or cal.clusters is None)
        )

    @property
    def inference_df(self) -> float:
        """Degrees of freedom of a metric's interval: Bell & McCaffrey's Satterthwaite df of
        these weights when :attr:`corrected`, else :attr:`df` (R ``degf``)."""
        if not self.corrected:
            return self.df
        used = self.weights
        if used.size < 2:
            return float("nan")
        return float(small_sample_terms(used, np.zeros(used.size, dtype="int64"), 1)[1][0])

    def subset(self, mask: np.ndarray) -> Design:
        """The design of the rows where ``mask`` is true, or at positions ``mask`` (a domain)."""
        return Design(
            self.weights[mask],
            self.weighted,
            None if self.clusters is None else self.clusters[mask],
            self.calibration,
            None if self.positions is None else self.positions[mask],
            self.small_sample,
        )

    def influence(self, z: np.ndarray) -> tuple[float, np.ndarray]:
        """Weighted mean of ``z`` and its influence values ``w (z − θ) / Σw``."""
        total = float(self.weights.sum())
        theta = float(self.weights @ z) / total
        return theta, self.weights * (z - theta) / total

    def variance(self, u: np.ndarray) -> np.ndarray:
        """Variance of weighted means with influence values ``u`` (n or n × k).

        ``u`` holds one column per estimator (a weighted mean of these rows, as the
        registry's metrics) for this design's rows. Returns one variance per column: the
        CR2 variance ``Σ u²/c`` for a weights-only design (:attr:`corrected`; see the
        module docstring), else the linearised one (:meth:`covariance` gives the whole
        linearised matrix, for any estimator).
        """
        x = np.asarray(u, dtype="float64")
        single = x.ndim == 1
        if self.corrected and self.calibration is None:
            c = _leverage_factors(self.weights)
            out = np.sum((x[:, None] if single else x) ** 2 / c[:, None], axis=0)
            if self.n < 2:
                out = np.full_like(out, np.nan)
            return out[0:1].reshape(()) if single else out
        out = np.diagonal(self.covariance(x[:, None] if single else x)).copy()
        return out[0:1].reshape(()) if single else out

    def covariance(self, u: np.ndarray) -> np.ndarray:
        """Linearised covariance matrix (k × k) of estimators with influence values ``u``.

        As R ``svyrecvar``: residuals from the raking margins when calibrated, totals per
        cluster, then the with-replacement formula ``m/(m − 1) Σ (x − x̄)(x − x̄)'`` over
        the ``m`` primary units (all rows of the raked sample for a raked domain).
        """
        x = np.asarray(u, dtype="float64")
        if self._by_cells:
            assert self.calibration is not None and self.positions is not None
            return self.calibration.domain_covariance(self.positions, x)
        x = self._unit_totals(x)
        m = x.shape[0]
        if m < 2:
            return np.full((x.shape[1], x.shape[1]), np.nan)
        centred = x - x.mean(axis=0)
        return np.asarray(m / (m - 1.0) * (centred.T @ centred))

    def skewness(self, u: np.ndarray) -> float:
        """Skewness of the linearised estimator: ``Σe³ / (Σe²)^{3/2}``.

        ``e`` are the centred totals per primary unit of the influence values ``u`` (one
        estimator), taken as :meth:`covariance` takes them (calibration residuals when
        raked, cluster totals when clustered). Unweighted this is ``γ̂ / √n`` with ``γ̂``
        the moment skewness of the answers, the quantity Hall's (1992) transformation of
        the studentised mean needs; under weights it is its design-based analogue.
        0 when the variance is 0.

        Examples
        --------
        >>> d = Design(np.ones(4))
        >>> round(d.skewness(d.influence(np.array([1.0, 5.0, 5.0, 5.0]))[1]), 6)
        -0.57735
        """
        if self._by_cells:
            assert self.calibration is not None and self.positions is not None
            return self.calibration.domain_skewness(self.positions, np.asarray(u, float))
        x = self._unit_totals(np.asarray(u, dtype="float64")[:, None])[:, 0]
        e = x - x.mean() if x.size else x
        ss = float(np.sum(e**2))
        return float(np.sum(e**3) / ss**1.5) if ss > 0 else 0.0

    @property
    def _by_cells(self) -> bool:
        """Whether a raked domain's moments come from cell totals (large, unclustered)."""
        cal = self.calibration
        return cal is not None and cal.clusters is None and cal.index.size > ROW_BY_ROW_MAX

    def _unit_totals(self, u: np.ndarray) -> np.ndarray:
        """Influence values (n × k) as the variance sees them: calibration residuals when
        raked, summed per primary unit when clustered."""
        x = np.asarray(u, dtype="float64")
        clusters = self.clusters
        if self.calibration is not None:
            cal = self.calibration
            assert self.positions is not None
            full = np.zeros((cal.index.size, x.shape[1]))
            full[self.positions] = x
            x = cal.residuals(full)
            clusters = cal.clusters
        if clusters is not None:
            codes = np.unique(clusters, return_inverse=True)[1]
            x = np.stack([np.bincount(codes, x[:, j]) for j in range(x.shape[1])], 1)
        return x

    @property
    def units(self) -> int:
        """Primary units with a positive weight among these rows (R ``degf`` + 1)."""
        used = self.weights > 0
        clusters = self.clusters
        cal = self.calibration
        if clusters is None and cal is not None and cal.clusters is not None:
            assert self.positions is not None
            clusters = cal.clusters[self.positions]
        if clusters is not None:
            return int(np.unique(clusters[used]).size)
        return int(used.sum())


def _leverage_factors(w: np.ndarray) -> np.ndarray:
    """``c_i = 1 − 2h_i + Σh²`` with ``h = w/Σw`` (1 where it would be 0: one row holds
    every weight, and then there is no variance anyway)."""
    h = w / float(w.sum())
    c = 1.0 - 2.0 * h + float(h @ h)
    return np.where(c > 0, c, 1.0)


def small_sample_terms(
    w: np.ndarray,
    codes: np.ndarray,
    k: int,
    *,
    sums: Callable[[np.ndarray], np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """CR2 coefficients and Bell–McCaffrey df of weighted means, per group.

    For rows with weights ``w`` in groups ``codes`` (0..k−1), returns ``a_i = h_i²/c_i``
    (``h_i = w_i/Σ_g w``, ``c_i = 1 − 2h_i + Σ_g h²``), so that a group's CR2 variance is
    ``Σ a_i (z_i − θ_g)²``, and each group's Satterthwaite df ``tr(B)²/tr(B²)`` of that
    variance under independent equal-variance answers, ``B = M'AM``, ``M = I − 1h'``,
    ``A = diag(a)``. ``B = A − ah' − ha' + S·hh'`` (``S = Σa``) is a diagonal plus rank-one
    terms, so both traces come from sums over the rows (O(n), no n × n matrix).
    ``sums(values)`` gives the per-group sums of a row array (default
    ``np.bincount(codes, values, k)``, which adds each group's rows in their order).

    Examples
    --------
    >>> a, df = small_sample_terms(np.ones(5), np.zeros(5, dtype="int64"), 1)
    >>> round(float(df[0]), 12), round(float(a.sum() * 5), 12)  # n − 1 and 1/(n − 1)·n
    (4.0, 1.25)
    """
    group_sum = sums if sums is not None else (lambda values: np.bincount(codes, values, k))
    sw = group_sum(w)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = w / sw[codes]
        h = np.nan_to_num(h)
        h2 = group_sum(h * h)
        c = 1.0 - 2.0 * h + h2[codes]
        a = np.where(c > 0, h * h / np.where(c > 0, c, 1.0), 0.0)
        total = group_sum(a)
        ah = group_sum(a * h)
        aa = group_sum(a * a)
        aah = group_sum(a * a * h)
        ahh = group_sum(a * h * h)
        trace = total - 2.0 * ah + total * h2
        square = (
            aa
            - 4.0 * aah
            + 2.0 * total * ahh
            + 2.0 * aa * h2
            + 2.0 * ah**2
            + total**2 * h2**2
            - 4.0 * total * ah * h2
        )
        df = trace**2 / square
    return a, np.where(np.isfinite(df) & (df > 0), df, np.nan)


def linearized(weights: Any) -> pd.Series:
    """The same weights, marked for the plain linearised variance (R ``svymean``).

    By default a weighted metric's variance and df carry the small-sample correction
    (module docstring); weights passed through this function give R ``survey``'s
    linearised SE and ``degf`` df instead (a raked Series keeps its calibration).

    Examples
    --------
    >>> import cxresearch as cx
    >>> w = pd.Series([1.0, 2.0, 1.0, 4.0])
    >>> x = pd.Series([9, 10, 3, 7])
    >>> round(cx.nps(x, weights=linearized(w)).df, 6), round(cx.nps(x, weights=w).df, 6)
    (3.0, 1.343207)
    """
    out = (
        weights.copy()
        if isinstance(weights, pd.Series)
        else pd.Series(np.asarray(weights, dtype="float64"))
    )
    out.attrs[VARIANCE_ATTR] = "linearized"
    return out


def make_design(
    weights: Any,
    *,
    length: int,
    valid: np.ndarray,
    ids: Any = None,
    name: str = "weights",
    ids_name: str = "ids",
    index: pd.Index | None = None,
) -> Design:
    """The design of the rows where ``valid`` is true.

    Parameters
    ----------
    weights : array-like, Series or None
        None for unweighted data. A Series made by :func:`cxresearch.rake` (or any subset
        of it with its index labels kept) gives the raked design; any other weights the
        weights-only design.
    length : int
        Number of answers the weights belong to.
    valid : boolean array
        The answered rows.
    ids : array-like, optional
        Cluster of every row (e.g. the respondent id over pooled waves).
    index : pandas.Index, optional
        Row labels of the answers, used to place a raked Series' rows when the weights are
        not a Series themselves.

    Raises
    ------
    ValueError
        Naming ``name`` for missing, negative, infinite or non-numeric weights, or when
        the answered rows have no positive weight; naming ``ids_name`` for missing ids.
    """
    clusters = None
    if ids is not None:
        ids_series = ids if isinstance(ids, pd.Series) else pd.Series(np.asarray(ids))
        if len(ids_series) != length:
            raise ValueError(
                f"{ids_name} has length {len(ids_series)} but there are {length} scores"
            )
        kept = ids_series.iloc[np.flatnonzero(valid)]
        if kept.isna().any():
            raise ValueError(f"{ids_name} has missing values where there are answers")
        clusters = pd.factorize(kept, sort=True)[0].astype("int64")
    if weights is None:
        return Design(np.ones(int(valid.sum())), False, clusters)
    w = validate_weights(weights, length=length, name=name, where=valid)
    if not w.sum() > 0:
        raise ValueError(f"{name} are all zero for the answered rows")
    calibration = calibration_of(weights)
    positions = None
    if calibration is not None:
        labels = weights.index if isinstance(weights, pd.Series) else index
        positions = _positions(calibration, labels, valid, w)
        if positions is None:
            calibration = None
    small_sample = not (
        isinstance(weights, pd.Series) and weights.attrs.get(VARIANCE_ATTR) == "linearized"
    )
    return Design(w, True, clusters, calibration, positions, small_sample)


def _positions(
    calibration: Calibration, labels: pd.Index | None, valid: np.ndarray, w: np.ndarray
) -> np.ndarray | None:
    """Rows of the raked frame for the answered rows, if the weights are still the raked ones.

    The weights must be the raked weights of those rows up to one common factor (a
    rescaled copy is fine); otherwise the calibration no longer describes them and the
    weights-only design is used.
    """
    if labels is None or not labels.is_unique or not calibration.index.is_unique:
        return None
    index = calibration.index
    if isinstance(index, pd.RangeIndex) and index.step == 1 and labels.dtype.kind in "iu":
        # Row labels 0..n−1 (shifted): a label's position is arithmetic, as get_indexer
        # finds it, without a hash table of a million labels per estimate.
        if isinstance(labels, pd.RangeIndex) and labels.step == 1 and valid.dtype == bool:
            positions = np.flatnonzero(valid) + (labels.start - index.start)
        else:
            positions = np.asarray(labels, dtype="int64")[valid] - index.start
        if positions.size and (positions.min() < 0 or positions.max() >= len(index)):
            return None
    else:
        positions = index.get_indexer(labels[valid])
        if (positions < 0).any():
            return None
    raked = calibration.weights[positions]
    if np.array_equal(w, raked):  # the raked weights themselves (w.sum() > 0: checked)
        return positions.astype("int64", copy=False)
    ratio = float(w.sum() / raked.sum()) if raked.sum() > 0 else np.nan
    # np.allclose(w, raked * ratio, rtol=1e-9, atol=0) for finite values, without its
    # temporaries: every |w − r| ≤ 1e-9 |r|.
    scaled = raked * ratio
    if not np.isfinite(ratio) or not (np.abs(w - scaled) <= 1e-9 * np.abs(scaled)).all():
        return None
    return positions.astype("int64", copy=False)
