"""The one registry of CX metrics: each metric knows its column, scale, estimator,
linearisation, interval, the test that inverts that interval, and how it is labelled.

Every metric is a weighted mean of a per-respondent score ``z`` (NPS: +1 promoter, 0
passive, −1 detractor; a share: 1 in the top boxes, else 0; a mean: the answer), shown on
its own scale (``factor`` 100 for NPS and shares). So one estimator and one variance route
serve them all: ``θ = Σwz / Σw`` with influence values ``w(z − θ)/Σw`` whose variance comes
from the design (:class:`~cxresearch.stats.design.Design`: unweighted, weights only,
raked, clustered). What differs per metric is only the *interval family*:

* NPS: adjusted Wald (Rocks 2016) on the design's effective n, with the t quantile on
  the design's df (n − 1 unweighted and weights-only; clusters − 1), as R survey's
  ``confint(svymean(...), df = degf(design))`` refers a mean (Lumley 2010). The
  two-sample pair keeps Rocks' z (its type-I error is at or below nominal already).
  From the 99 % level on it is joined as the means' far tail below;
* shares: Wilson score interval on the design's effective n (the inversion of the score
  test, R ``prop.test(correct = FALSE)`` when unweighted); weighted, with the t quantile
  on the design's df in place of z, which is Wilson's formula on Korn & Graubard's (1998)
  df-adjusted effective n ``n*·(z/t)²``. From the 99 % level on (``exact.TAIL_ALPHA``:
  the levels of Holm- or BH-adjusted tables) the interval is the hull of Wilson's at 99 %
  and the exact one at the level (Clopper–Pearson, R ``binom.test``; weighted Korn &
  Graubard's, R ``svyciprop(method = "beta")``), and the test the one that hull inverts
  (:mod:`cxresearch.stats.exact`): Wilson's far tail is heavy near the ends of the scale
  (10 true targets of a 96 % share showed a false verdict in 6.9 % of Holm tables; now
  at most 4.89 % for any share unweighted, docs/coverage.md);
* means: Hall's (1992) skewness-corrected t by default: the studentised mean
  ``t = (θ̂ − μ)/SE`` (design SE) is transformed by the monotone cubic
  ``g(t) = t + κ/6 + κt²/3 + κ²t³/27`` and referred to t on the design's df, where
  ``κ = Σe³/(Σe²)^{3/2}`` is the skewness of the linearised estimator's influence values
  (``γ̂/√n`` unweighted; :meth:`~cxresearch.stats.design.Design.skewness`), so weighted
  and raked designs get the correction too; the interval is its closed-form inverse.
  Ratings piled up at the top of a scale are skewed, and there the plain t interval
  covered 92 % at n = 30 and let 10 true targets show a false "met" in 11 % of tables
  under Holm; Hall's covers 94.3–95.6 % from n = 30 and the tables err in 4.1 % (1–5
  rating) and 5.4 % (CES) (docs/coverage.md, where Johnson's 1978 modified t is measured
  too). ``method="t"`` gives Student t (R ``t.test`` / ``svymean`` + ``confint(df=)``);
  two samples keep Welch (its type-I error is within the aim). From the 99 % level on,
  a mean on a scale (and an NPS) is the union of its interval at the level and the
  interval of the sample plus two answers at each end of the scale
  (:mod:`cxresearch.stats.far_tail`, Agresti & Coull's "plus four" for a bounded
  answer), and the test is the one that union inverts: samples that lack the rare low
  answers have too small an SE and skewness, and 10 true targets of a CES mean showed a
  false verdict in 7.9 % of weighted Holm tables; now at most 5 % for every mean and NPS
  distribution studied (docs/coverage.md, "Far tail of means and NPS").

Weighted designs: the variance and df are the design's small-sample ones by default
(:mod:`cxresearch.stats.design`: CR2 variance and Bell & McCaffrey df for weights only,
the calibration variance with the df of the weights when raked; ``cx.linearized(w)``
for R ``svymean``'s plain linearised variance and ``degf``), chosen by the coverage
study (docs/coverage.md, "Weighted variance").

For each family the test of a value is the pivot the interval inverts, so "significant"
⇔ "the interval excludes the value" by construction (tests/unit/test_verdicts.py checks
it with hypothesis). With weights, the "effective n" of NPS and shares is the design's:
``n* = n σ² / ((n − 1) v)`` with ``σ²`` the per-respondent variance and ``v`` the
linearised variance, which equals ``n`` when all weights are equal (Korn & Graubard 1998).

Adding a metric is one line::

    register(ShareMetric("repurchase_rate", column="repurchased", top=(1,), scale=(0, 1)))
    register(MeanMetric("clv_mean", column="clv", decimals=0))

References
----------
Rocks, B. (2016). Interval estimation for the "Net Promoter Score". *The American
Statistician* 70(4), 365–372. Wilson, E. B. (1927). *JASA* 22, 209–212. Agresti, A. &
Caffo, B. (2000). Simple and effective confidence intervals for proportions and
differences of proportions. *The American Statistician* 54, 280–288. Korn, E. L. &
Graubard, B. I. (1998). Confidence intervals for proportions with small expected number
of positive counts estimated from survey data. *Survey Methodology* 24, 193–201. Lumley, T.
(2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley (``degf``, ``svyciprop``).
Hall, P. (1992). On the removal of skewness by transformation. *JRSS B* 54, 221–228.
Johnson, N. J. (1978). Modified t tests and confidence intervals for asymmetrical
populations. *JASA* 73, 536–544.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from cxresearch.stats.design import Design, small_sample_terms
from cxresearch.stats.design_groups import (
    GroupSums,
    group_sums,
    grouped_by_cells,
    raked_group_moments,
)
from cxresearch.stats.distributions import t_cdf, t_ppf, t_sf
from cxresearch.stats.exact import TAIL_ALPHA, exact_share_bounds, exact_share_pvalue
from cxresearch.stats.far_tail import ends_pivot
from cxresearch.stats.intervals import (
    NPS_METHODS,
    hall_inverse,
    hall_transform,
    nps_pivot,
    nps_variance,
)
from cxresearch.stats.summary_memo import remembered

__all__ = [
    "ALTERNATIVES",
    "REGISTRY",
    "MeanMetric",
    "Metric",
    "NpsMetric",
    "RangeShareMetric",
    "ShareMetric",
    "Summary",
    "TestResult",
    "get_metric",
    "register",
    "register_metric",
]

ALTERNATIVES = ("two-sided", "greater", "less")


@dataclass(frozen=True)
class Summary:
    """A metric summarised for one or many groups (arrays of equal length).

    ``theta`` is the weighted mean of the score (unit scale), ``value = factor · theta``.
    ``weighted_n`` is the sum of the weights (``n`` unweighted). ``var`` is its
    linearised design variance, ``n_star`` the effective n the interval
    family uses (``n`` when unweighted), ``n_effective`` Kish's effective base, ``df`` the
    degrees of freedom of t intervals. ``parts`` holds what the family needs (``p``, ``q``
    for NPS; ``dev2`` and ``skew``, the estimator's skewness κ, for means).
    """

    metric: str
    theta: np.ndarray
    value: np.ndarray
    n: np.ndarray
    weighted_n: np.ndarray
    n_effective: np.ndarray
    n_star: np.ndarray
    var: np.ndarray
    df: np.ndarray
    weighted: bool
    design: str
    parts: dict[str, np.ndarray] = field(default_factory=dict)

    def item(self, i: int = 0) -> Summary:
        """Group ``i`` as a one-element Summary."""
        pick = slice(i, i + 1)
        return Summary(
            self.metric,
            self.theta[pick],
            self.value[pick],
            self.n[pick],
            self.weighted_n[pick],
            self.n_effective[pick],
            self.n_star[pick],
            self.var[pick],
            self.df[pick],
            self.weighted,
            self.design,
            {k: v[pick] for k, v in self.parts.items()},
        )


@dataclass(frozen=True)
class TestResult:
    """A difference with its interval and the test whose inversion the interval is."""

    difference: float
    ci_low: float
    ci_high: float
    statistic: float
    pvalue: float
    se: float
    df: float
    test: str


def check_alternative(alternative: Any) -> str:
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative must be one of {list(ALTERNATIVES)}, got {alternative!r}")
    return str(alternative)


def _critical(confidence: float, alternative: str, df: Any = np.inf) -> np.ndarray:
    level = confidence if alternative != "two-sided" else 0.5 + confidence / 2.0
    return np.asarray(t_ppf(level, df), dtype="float64")


def _pvalue(statistic: Any, alternative: str, df: Any = np.inf) -> np.ndarray:
    stat = np.asarray(statistic, dtype="float64")
    if alternative == "two-sided":
        return np.asarray(2.0 * t_sf(np.abs(stat), df))
    if alternative == "greater":
        return np.asarray(t_sf(stat, df))
    return np.asarray(t_cdf(stat, df))


def _sides(low: np.ndarray, high: np.ndarray, alternative: str) -> tuple[np.ndarray, np.ndarray]:
    if alternative == "greater":
        return low, np.full_like(high, np.inf)
    if alternative == "less":
        return np.full_like(low, -np.inf), high
    return low, high


@dataclass(frozen=True)
class Metric:
    """A CX metric: a weighted mean of a per-respondent score, with its inference.

    Subclasses say how answers become scores and which interval family they use.

    Attributes
    ----------
    name
        ``Estimate.metric`` and the key of its labels and column in tables.
    column
        Default score column of the response schema (None: must be given).
    scale
        Allowed answers (inclusive); None for any finite number.
    integer
        Whether answers must be whole numbers.
    decimals
        Decimals shown in reports.
    percent
        Whether the value is a percentage (0..100).
    method
        Default interval method.
    """

    name: str
    column: str | None = None
    scale: tuple[float, float] | None = None
    integer: bool = False
    decimals: int = 1
    method: str = ""
    factor: ClassVar[float] = 1.0
    percent: ClassVar[bool] = False
    methods: ClassVar[tuple[str, ...]] = ()
    family: ClassVar[str] = ""
    effect_name: ClassVar[str] = ""
    one_sample_effect_name: ClassVar[str] = ""
    #: Whether summaries carry ``parts["skew"]``, the estimator's skewness κ.
    needs_skew: ClassVar[bool] = False
    #: Methods whose far tail (α = 1 − confidence ≤ ``TAIL_ALPHA``, e.g. the levels of a
    #: Holm-adjusted table) joins a second interval: see :meth:`tail_bounds`.
    tail_methods: ClassVar[tuple[str, ...]] = ()

    # -- scores -------------------------------------------------------------------------
    def score(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def unit_variance(self, theta: np.ndarray, parts: dict[str, np.ndarray]) -> np.ndarray:
        """Per-respondent variance of the score (for the effective n of the family)."""
        return np.full_like(theta, np.nan)

    def _parts(
        self, x: np.ndarray, w: np.ndarray, codes: np.ndarray, k: int, sums: GroupSums = None
    ) -> dict[str, np.ndarray]:
        return {}

    def check_method(self, method: str | None) -> str:
        method = self.method if method is None else method
        if method not in self.methods:
            raise ValueError(
                f"method must be one of {list(self.methods)} for {self.name!r}, got {method!r}"
            )
        return method

    def check_value(self, value: Any, what: str = "target") -> float:
        """A target or norm on this metric's scale, as a float (ValueError naming ``what``)."""
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ValueError(f"{what} must be a number, got {value!r}")
        out = float(value)
        if not np.isfinite(out):
            raise ValueError(f"{what} must be finite, got {value!r}")
        low, high = self.value_range()
        if not low <= out <= high:
            raise ValueError(f"{what} for {self.name} must lie in {low:g}..{high:g}, got {value!r}")
        return out

    def value_range(self) -> tuple[float, float]:
        if self.scale is None:
            return -np.inf, np.inf
        return self.scale

    # -- estimation ---------------------------------------------------------------------
    def summarize(
        self, x: np.ndarray, design: Design, codes: np.ndarray | None = None, k: int = 1
    ) -> Summary:
        """Summaries of the answers ``x`` (no missing values) per group code (0..k−1)."""
        return remembered(self, x, design, codes, k, self._summarize)

    def _summarize(
        self, x: np.ndarray, design: Design, codes: np.ndarray | None, k: int
    ) -> Summary:
        codes = np.zeros(x.size, dtype="int64") if codes is None else codes
        w = design.weights
        z = self.score(x)
        # Large raked samples: groups' sums as slices where rows are grouped (equal to
        # bincount's to rounding, several times faster; design_groups._Groups).
        sums = group_sums(codes, k) if grouped_by_cells(design) else None
        total = sums or (lambda values: np.bincount(codes, values, k))
        n = np.bincount(codes, minlength=k).astype("int64")
        sw = total(w)
        with np.errstate(divide="ignore", invalid="ignore"):
            theta = total(w * z) / sw
            kish = np.where(sw > 0, sw**2 / total(w**2), 0.0)
        if design.calibration is None and design.clusters is None:
            # One-stage with-replacement variance per group from sums: n/(n−1) Σ u².
            dev = z - np.nan_to_num(theta)[codes]
            with np.errstate(divide="ignore", invalid="ignore"):
                ss = np.bincount(codes, (w * dev) ** 2, k) / sw**2
                var = np.where(n > 1, n / (n - 1.0) * ss, np.nan)
                if self.needs_skew:
                    # Σu³ / (Σu²)^{3/2} of u = w(z − θ)/Σw, as Design.skewness.
                    cubes = np.bincount(codes, (w * dev) ** 3, k) / sw**3
                    skew = np.where(ss > 0, cubes / ss**1.5, 0.0)
            df = np.where(n > 1, n - 1.0, np.nan)
            if design.corrected:
                # Weights only: CR2 variance Σ a(z − θ)² and Bell–McCaffrey df per group,
                # as Design.variance / Design.inference_df (small_sample_terms).
                a, bm = small_sample_terms(w, codes, k)
                var = np.where(n > 1, np.bincount(codes, a * dev**2, k), np.nan)
                df = np.where(n > 1, bm, np.nan)
        elif grouped_by_cells(design):  # large raked sample: every group at once
            var, df, skew = raked_group_moments(design, z, codes, k, skew=self.needs_skew)
        else:
            var = np.full(k, np.nan)
            df = np.full(k, np.nan)
            skew = np.zeros(k)
            # Each group's rows from one stable sort (in their order), not a mask per group.
            whole = k == 1 and n[0] == codes.size
            order = None if whole else np.argsort(codes, kind="stable")
            ends = np.cumsum(n[:k])
            for g in range(k):
                if not n[g] > 0 or not sw[g] > 0:
                    continue
                if order is None:  # one group: all rows
                    sub, zg = design, z
                else:
                    rows = order[ends[g] - n[g] : ends[g]]
                    sub, zg = design.subset(rows), z[rows]
                _, u = sub.influence(zg)
                var[g] = float(sub.variance(u))
                df[g] = sub.inference_df
                if self.needs_skew:
                    skew[g] = sub.skewness(u)
        parts = self._parts(x, w, codes, k, sums)
        if self.needs_skew:
            parts["skew"] = skew
        sigma2 = self.unit_variance(theta, parts)
        with np.errstate(divide="ignore", invalid="ignore"):
            design_n = n * sigma2 / ((n - 1.0) * var)
        if design.weighted:
            usable = np.isfinite(design_n) & (design_n > 0) & (var > 0)
            n_star = np.where(usable, design_n, kish)
        else:
            n_star = n.astype("float64")
        return Summary(
            self.name,
            theta,
            self.factor * theta,
            n,
            sw,
            kish,
            n_star,
            var,
            df,
            design.weighted,
            design.kind,
            parts,
        )

    # -- inference: interval and the test that inverts it --------------------------------
    def pivot(
        self, s: Summary, method: str, confidence: float, alternative: str
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - abstract
        """Centre (unit scale), SE and df of the family's pivot for ``s``."""
        raise NotImplementedError

    def interval(
        self,
        s: Summary,
        *,
        confidence: float,
        method: str | None = None,
        alternative: str = "two-sided",
    ) -> tuple[np.ndarray, np.ndarray]:
        """Interval of the metric on its own scale (NaN where there is no base)."""
        method = self.check_method(method)
        if self.has_tail(method) and 1.0 - confidence <= TAIL_ALPHA:
            # Beyond the switch level the interval is the hull of the family's interval at
            # the switch level and the tail's at this level; both contain the estimate,
            # so the hull is their union, and :meth:`test` inverts it.
            low_s, high_s = self.family_bounds(s, method, 1.0 - TAIL_ALPHA, alternative)
            tail_low, tail_high = self.tail_bounds(s, method, confidence, alternative)
            low, high = np.fmin(low_s, tail_low), np.fmax(high_s, tail_high)
        else:
            low, high = self.family_bounds(s, method, confidence, alternative)
        low, high = _sides(low, high, alternative)
        empty = ~(s.n > 0)
        return np.where(empty, np.nan, low), np.where(empty, np.nan, high)

    def family_bounds(
        self, s: Summary, method: str, confidence: float, alternative: str
    ) -> tuple[np.ndarray, np.ndarray]:
        """The family's own interval (without the far tail's route), unclipped sides."""
        centre, se, df = self.pivot(s, method, confidence, alternative)
        crit = _critical(confidence, alternative, df)
        return self._bounds(s, method, confidence, alternative, centre, se, crit)

    def _bounds(
        self,
        s: Summary,
        method: str,
        confidence: float,
        alternative: str,
        centre: np.ndarray,
        se: np.ndarray,
        crit: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        low, high = self.factor * (centre - crit * se), self.factor * (centre + crit * se)
        lo, hi = self.value_range()
        return np.clip(low, lo, hi), np.clip(high, lo, hi)

    def test(
        self,
        s: Summary,
        null: float,
        *,
        confidence: float,
        method: str | None = None,
        alternative: str = "two-sided",
    ) -> tuple[np.ndarray, np.ndarray]:
        """Statistic and p-value of ``metric = null``, inverting :meth:`interval`."""
        method = self.check_method(method)
        stat, pvalue = self.family_test(s, method, null, confidence, alternative)
        if self.has_tail(method):
            # The p-value of the hull interval: the family's where it is ≥ TAIL_ALPHA, else
            # the tail's test's, never above TAIL_ALPHA (the hull at α ≤ TAIL_ALPHA keeps
            # the family's interval at TAIL_ALPHA, which excludes such a null).
            tail = pvalue < TAIL_ALPHA
            if tail.any():
                far = self.tail_pvalue(s, method, null, alternative, tail)
                pvalue = np.where(tail, np.fmin(far, TAIL_ALPHA), pvalue)
        return stat, pvalue

    def family_test(
        self, s: Summary, method: str, null: float, confidence: float, alternative: str
    ) -> tuple[np.ndarray, np.ndarray]:
        """Statistic and p-value of the family's own test (without the far tail's route)."""
        centre, se, df = self.pivot(s, method, confidence, alternative)
        null_se = self.null_se(s, method, null / self.factor, se)
        with np.errstate(divide="ignore", invalid="ignore"):
            stat = self.transform(s, method, (centre - null / self.factor) / null_se)
        return stat, _pvalue(stat, alternative, df)

    def has_tail(self, method: str) -> bool:
        """Whether ``method``'s interval changes in the far tail (α ≤ ``TAIL_ALPHA``): one of
        ``tail_methods`` on a bounded scale (a mean without a scale has no ends)."""
        low, high = self.value_range()
        return method in self.tail_methods and bool(np.isfinite(low) and np.isfinite(high))

    # -- the far tail: pseudo-answers at the ends of the scale (means, NPS) ----------------
    def _ends(self, s: Summary) -> tuple[np.ndarray, np.ndarray]:
        low, high = self.value_range()
        sigma2 = self.unit_variance(s.theta, s.parts)
        return ends_pivot(s.theta, sigma2, s.n_star, low / self.factor, high / self.factor)

    def tail_bounds(
        self, s: Summary, method: str, confidence: float, alternative: str
    ) -> tuple[np.ndarray, np.ndarray]:
        """The far tail's interval on the metric's scale (for ``tail_methods``).

        By default the union of the family's interval at ``confidence`` and the interval
        of the sample with two answers added at each end of the scale
        (:mod:`cxresearch.stats.far_tail`); both contain the estimate at these levels.
        Shares override it with the exact interval.
        """
        low_f, high_f = self.family_bounds(s, method, confidence, alternative)
        centre, se = self._ends(s)
        crit = _critical(confidence, alternative, s.df)
        low, high = self.value_range()
        with np.errstate(invalid="ignore"):
            low_e = np.clip(self.factor * (centre - crit * se), low, high)
            high_e = np.clip(self.factor * (centre + crit * se), low, high)
        return np.fmin(low_f, low_e), np.fmax(high_f, high_e)

    def tail_pvalue(
        self, s: Summary, method: str, null: float, alternative: str, where: np.ndarray
    ) -> np.ndarray:
        """The p-value of the test :meth:`tail_bounds` inverts (NaN outside ``where``).

        By default the larger of the family's p and the pseudo-answers' t test's: a null
        lies in the union of the two intervals at level 1 − α exactly when one of the two
        p-values is ≥ α.
        """
        _, family = self.family_test(s, method, null, 1.0 - TAIL_ALPHA, alternative)
        centre, se = self._ends(s)
        with np.errstate(divide="ignore", invalid="ignore"):
            ends = _pvalue((centre - null / self.factor) / se, alternative, s.df)
        return np.where(where, np.fmax(family, ends), np.nan)

    def transform(self, s: Summary, method: str, stat: np.ndarray) -> np.ndarray:
        """The family's statistic from the studentised one (identity unless corrected);
        :meth:`_bounds` must invert the same function."""
        return stat

    def null_se(self, s: Summary, method: str, null: float, se: np.ndarray) -> np.ndarray:
        """SE of the test at the null (the pivot's SE unless the family is a score test)."""
        return se

    def difference(
        self, a: Summary, b: Summary, *, confidence: float, alternative: str = "two-sided"
    ) -> TestResult:
        """``a − b`` between independent samples with its interval and inverting test."""
        centres, ses, dfs, name = self.two_sample_pivot(a, b)
        centre, se, df = float(centres[0]), float(ses[0]), float(dfs[0])
        crit = float(_critical(confidence, alternative, df))
        low, high = _sides(
            np.asarray(self.factor * (centre - crit * se)),
            np.asarray(self.factor * (centre + crit * se)),
            alternative,
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            stat = float(np.divide(centre, se))
        return TestResult(
            float(a.value[0] - b.value[0]),
            float(low),
            float(high),
            float(stat),
            float(_pvalue(stat, alternative, df)),
            float(self.factor * se),
            float(df),
            name,
        )

    def two_sample_pivot(
        self, a: Summary, b: Summary
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:  # pragma: no cover - abstract
        """Centres' difference (unit scale), its SE and df, elementwise over paired groups,
        and the test's name (vectorised so that simulations run many samples at once)."""
        raise NotImplementedError

    def effect(self, a: Summary, b: Summary | None, null: float = 0.0) -> tuple[float, float]:
        """Standardised effect size and its SE (one sample against ``null`` when b is None)."""
        raise NotImplementedError  # pragma: no cover - abstract

    def sd(self, s: Summary) -> np.ndarray:
        """SD of the score on the metric's scale (ddof 1 on Kish's n)."""
        sigma2 = self.unit_variance(s.theta, s.parts)
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.factor * np.sqrt(sigma2 * s.n_effective / (s.n_effective - 1.0))


def _grouped_share(
    mask: np.ndarray, w: np.ndarray, codes: np.ndarray, k: int, sums: GroupSums = None
) -> np.ndarray:
    total = sums or (lambda values: np.bincount(codes, values, k))
    with np.errstate(divide="ignore", invalid="ignore"):
        return total(w * mask) / total(w)


@dataclass(frozen=True)
class NpsMetric(Metric):
    """Net Promoter Score: % promoters (9–10) − % detractors (0–6), −100..100."""

    column: str | None = "nps"
    scale: tuple[float, float] | None = (0, 10)
    integer: bool = True
    decimals: int = 0
    method: str = "adjusted-wald"
    factor: ClassVar[float] = 100.0
    methods: ClassVar[tuple[str, ...]] = NPS_METHODS
    family: ClassVar[str] = "nps"
    tail_methods: ClassVar[tuple[str, ...]] = ("adjusted-wald",)
    effect_name: ClassVar[str] = "Cohen's d (±100 coding)"

    def score(self, x: np.ndarray) -> np.ndarray:
        return (x >= 9).astype("float64") - (x <= 6).astype("float64")

    def value_range(self) -> tuple[float, float]:
        return -100.0, 100.0

    def _parts(
        self, x: np.ndarray, w: np.ndarray, codes: np.ndarray, k: int, sums: GroupSums = None
    ) -> dict[str, np.ndarray]:
        return {
            "p": _grouped_share(x >= 9, w, codes, k, sums),
            "q": _grouped_share(x <= 6, w, codes, k, sums),
        }

    def unit_variance(self, theta: np.ndarray, parts: dict[str, np.ndarray]) -> np.ndarray:
        return nps_variance(parts["p"], parts["q"])

    def pivot(
        self, s: Summary, method: str, confidence: float, alternative: str
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # Referred to t on the design's df (n − 1; clusters − 1), as R survey's
        # confint(svymean(~score, d), df = degf(d)) and svyciprop do for a mean: the
        # variance is estimated, and with z the far tails Holm uses (α/m) are too heavy
        # (10 true NPS targets at n = 100: 5.7 % of tables with a false verdict, 4.7 %
        # with t; docs/coverage.md).
        centre, se = nps_pivot(s.parts["p"], s.parts["q"], s.n_star, method=method)
        return centre, se, s.df

    def two_sample_pivot(
        self, a: Summary, b: Summary
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
        ca, sa = nps_pivot(a.parts["p"], a.parts["q"], a.n_star)
        cb, sb = nps_pivot(b.parts["p"], b.parts["q"], b.n_star)
        se = np.sqrt(sa**2 + sb**2)
        df = np.full_like(se, np.inf)
        return ca - cb, se, df, "two-sample z test, adjusted Wald (Rocks 2016)"

    def effect(self, a: Summary, b: Summary | None, null: float = 0.0) -> tuple[float, float]:
        # Difference over the SD of the +100/0/−100 coding (pooled, ddof 1, for two samples).
        sd_a = float(self.sd(a)[0])
        if b is None:
            with np.errstate(divide="ignore", invalid="ignore"):
                d = float(np.divide(float(a.value[0]) - null, sd_a))
            return d, _d_se(d, float(a.n_effective[0]))
        na, nb = float(a.n_effective[0]), float(b.n_effective[0])
        pooled = _pooled_sd(sd_a, na, float(self.sd(b)[0]), nb)
        with np.errstate(divide="ignore", invalid="ignore"):
            d = float(np.divide(float(a.value[0] - b.value[0]), pooled))
        return d, _d_se(d, na, nb)


@dataclass(frozen=True)
class ShareMetric(Metric):
    """Share (%) of answers among ``top`` (e.g. CSAT 4–5 of 1–5), 0..100."""

    top: tuple[float, ...] = (1.0,)
    method: str = "wilson"
    decimals: int = 0
    factor: ClassVar[float] = 100.0
    percent: ClassVar[bool] = True
    methods: ClassVar[tuple[str, ...]] = ("wilson", "wald", "agresti-coull")
    family: ClassVar[str] = "share"
    effect_name: ClassVar[str] = "Cohen's h"
    tail_methods: ClassVar[tuple[str, ...]] = ("wilson",)

    def score(self, x: np.ndarray) -> np.ndarray:
        return np.isin(x, np.asarray(self.top, dtype="float64")).astype("float64")

    def value_range(self) -> tuple[float, float]:
        return 0.0, 100.0

    def unit_variance(self, theta: np.ndarray, parts: dict[str, np.ndarray]) -> np.ndarray:
        return theta * (1.0 - theta)

    def pivot(
        self, s: Summary, method: str, confidence: float, alternative: str
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        p, n = s.theta, s.n_star
        # Unweighted: z (R prop.test). Weighted: t on the design's df, which is Korn &
        # Graubard's (1998) df-adjusted effective n, n*·(z/t)², in Wilson's formula.
        df = np.where(np.isfinite(s.df), s.df, np.inf) if s.weighted else np.full_like(p, np.inf)
        with np.errstate(divide="ignore", invalid="ignore"):
            if method == "agresti-coull":
                z2 = float(_critical(confidence, alternative)) ** 2
                tilde_n = n + z2
                tilde_p = (p * n + z2 / 2.0) / tilde_n
                return tilde_p, np.sqrt(tilde_p * (1.0 - tilde_p) / tilde_n), df
            return p, np.sqrt(p * (1.0 - p) / n), df

    def _bounds(
        self,
        s: Summary,
        method: str,
        confidence: float,
        alternative: str,
        centre: np.ndarray,
        se: np.ndarray,
        crit: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        if method != "wilson":
            return super()._bounds(s, method, confidence, alternative, centre, se, crit)
        # Wilson (1927): the p0 with |p − p0| ≤ z·sqrt(p0(1 − p0)/n), in closed form.
        p, n, z2 = s.theta, s.n_star, crit**2
        with np.errstate(divide="ignore", invalid="ignore"):
            mid = (p + z2 / (2 * n)) / (1 + z2 / n)
            half = crit / (1 + z2 / n) * np.sqrt(p * (1 - p) / n + z2 / (4 * n**2))
        return 100.0 * np.clip(mid - half, 0, 1), 100.0 * np.clip(mid + half, 0, 1)

    def null_se(self, s: Summary, method: str, null: float, se: np.ndarray) -> np.ndarray:
        if method != "wilson":
            return se
        # The score test: SE under the null, sqrt(p0(1 − p0)/n).
        return np.sqrt(null * (1.0 - null) / s.n_star)

    def _exact_parts(self, s: Summary) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        # Unweighted: n* = n, the exact binomial (R binom.test). Weighted: Korn & Graubard's
        # (1998) df-adjusted effective n on the design's df (R svyciprop(method = "beta")),
        # the effective n truncated at n as the NCHS standards do (Parker et al. 2017): a
        # design effect below 1 comes from samples whose rare answers have small weights,
        # and untruncated it gave weighted 10-target tables false "met"s in 5.5 % of reports.
        if not s.weighted:
            return s.theta, s.n_star, None
        return s.theta, np.fmin(s.n_star, s.n), np.stack([s.n - 1.0, s.df])

    def tail_bounds(
        self, s: Summary, method: str, confidence: float, alternative: str
    ) -> tuple[np.ndarray, np.ndarray]:
        p, n, dfs = self._exact_parts(s)
        low, high = exact_share_bounds(p, n, confidence, alternative, dfs)
        return 100.0 * low, 100.0 * high

    def tail_pvalue(
        self, s: Summary, method: str, null: float, alternative: str, where: np.ndarray
    ) -> np.ndarray:
        p, n, dfs = self._exact_parts(s)
        out = np.full(p.shape, np.nan)
        out[where] = exact_share_pvalue(
            p[where],
            n[where],
            null / self.factor,
            alternative,
            None if dfs is None else dfs[:, where],
        )
        return out

    def two_sample_pivot(
        self, a: Summary, b: Summary
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
        # Agresti & Caffo (2000): one success and one failure added to each sample.
        def adjusted(s: Summary) -> tuple[np.ndarray, np.ndarray]:
            n = s.n_star
            p = (s.theta * n + 1.0) / (n + 2.0)
            return p, p * (1.0 - p) / (n + 2.0)

        pa, va = adjusted(a)
        pb, vb = adjusted(b)
        se = np.sqrt(va + vb)
        return pa - pb, se, np.full_like(se, np.inf), "two-proportion z test, Agresti-Caffo"

    def effect(self, a: Summary, b: Summary | None, null: float = 0.0) -> tuple[float, float]:
        # Cohen (1988), ch. 6: h = 2·asin√p1 − 2·asin√p2; SE sqrt(1/n1 + 1/n2) (1/√n vs p0).
        pa = float(a.theta[0])
        pb = null / 100.0 if b is None else float(b.theta[0])
        h = float(2.0 * np.arcsin(np.sqrt(pa)) - 2.0 * np.arcsin(np.sqrt(pb)))
        na = float(a.n_effective[0])
        se = np.sqrt(1.0 / na) if b is None else np.sqrt(1.0 / na + 1.0 / float(b.n_effective[0]))
        return h, float(se)


@dataclass(frozen=True)
class RangeShareMetric(ShareMetric):
    """Share (%) of answers within ``top = (low, high)`` inclusive (averaged indices)."""

    def score(self, x: np.ndarray) -> np.ndarray:
        low, high = self.top[0], self.top[-1]
        return ((x >= low) & (x <= high)).astype("float64")


@dataclass(frozen=True)
class MeanMetric(Metric):
    """Mean of a rating or any numeric answer: Hall's skewness-corrected t interval on the
    design SE (``method="hall"``, the default) or Student t (``method="t"``).

    Examples
    --------
    >>> from cxresearch.stats.design import Design, small_sample_terms
    >>> x = np.array([5, 5, 5, 5, 4, 5, 4, 5, 5, 1, 5, 4, 5, 5, 3, 5], dtype=float)
    >>> m = MeanMetric("mean", scale=(1, 5))
    >>> s = m.summarize(x, Design(np.ones(x.size)))
    >>> [round(float(b[0]), 3) for b in m.interval(s, confidence=0.95)]
    [2.044, 4.862]
    >>> [round(float(b[0]), 3) for b in m.interval(s, confidence=0.95, method="t")]
    [3.855, 5.0]
    """

    method: str = "hall"
    decimals: int = 1
    methods: ClassVar[tuple[str, ...]] = ("hall", "t")
    family: ClassVar[str] = "mean"
    tail_methods: ClassVar[tuple[str, ...]] = ("hall",)
    needs_skew: ClassVar[bool] = True
    effect_name: ClassVar[str] = "Hedges' g"
    one_sample_effect_name: ClassVar[str] = "Cohen's d"

    def score(self, x: np.ndarray) -> np.ndarray:
        return x

    # -- a sample without spread (every answer the same) ----------------------------------
    # Its SE is 0, so a t interval is the single point [θ̂, θ̂] and every other value is
    # "significant" whatever n is (R's t.test refuses: "data are essentially constant").
    # On a bounded scale the sample says as much as a sample that happens to lack the
    # other answers, so it takes the far tail's pseudo-answer interval at every level
    # (two answers added at each end; :mod:`cxresearch.stats.far_tail`) and the test
    # that interval inverts, with Kish's effective base when weighted. Without a scale
    # nothing bounds the spread: no interval, no test (NaN), as for a base without answers.
    def _flat(self, s: Summary) -> np.ndarray:
        """Groups with a base (n ≥ 2) whose answers are all the same."""
        spread = np.sqrt(np.nan_to_num(s.parts["dev2"], nan=np.inf))
        return (s.n >= 2) & (spread <= 1e-9 * np.maximum(1.0, np.abs(np.nan_to_num(s.theta))))

    def _flat_pivot(self, s: Summary) -> tuple[np.ndarray, np.ndarray]:
        """Centre and SE of the sample with the scale's pseudo-answers (NaN without a scale)."""
        low, high = self.value_range()
        if not (np.isfinite(low) and np.isfinite(high)):
            nan = np.full_like(s.theta, np.nan, dtype="float64")
            return nan, nan
        # The design's effective n is a ratio of variances, 0/0 here: the pseudo-answers
        # enter at the mean weight through Kish's base instead (n when unweighted).
        n = np.fmin(s.n_star, s.n_effective)
        return ends_pivot(s.theta, np.zeros_like(s.theta), n, low, high)

    def interval(
        self,
        s: Summary,
        *,
        confidence: float,
        method: str | None = None,
        alternative: str = "two-sided",
    ) -> tuple[np.ndarray, np.ndarray]:
        low, high = super().interval(
            s, confidence=confidence, method=method, alternative=alternative
        )
        flat = self._flat(s)
        if not flat.any():
            return low, high
        centre, se = self._flat_pivot(s)
        crit = _critical(confidence, alternative, s.df)
        lo, hi = self.value_range()
        with np.errstate(invalid="ignore"):
            # The hull with θ̂: the pseudo-answers' interval can miss θ̂ at low levels
            # (80 %), and an interval without its own estimate would read wrongly.
            flat_low = np.clip(np.fmin(centre - crit * se, s.theta), lo, hi)
            flat_high = np.clip(np.fmax(centre + crit * se, s.theta), lo, hi)
        flat_low = np.where(np.isnan(centre), np.nan, flat_low)
        flat_high = np.where(np.isnan(centre), np.nan, flat_high)
        flat_low, flat_high = _sides(flat_low, flat_high, alternative)
        return np.where(flat, flat_low, low), np.where(flat, flat_high, high)

    def test(
        self,
        s: Summary,
        null: float,
        *,
        confidence: float,
        method: str | None = None,
        alternative: str = "two-sided",
    ) -> tuple[np.ndarray, np.ndarray]:
        stat, pvalue = super().test(
            s, null, confidence=confidence, method=method, alternative=alternative
        )
        flat = self._flat(s)
        if not flat.any():
            return stat, pvalue
        centre, se = self._flat_pivot(s)
        with np.errstate(divide="ignore", invalid="ignore"):
            flat_stat = (centre - null) / se
        flat_p = _pvalue(flat_stat, alternative, s.df)
        # The interval is the hull of the pseudo-answers' interval and θ̂, so a null
        # between θ̂ and the centre lies in it at every level: never rejected.
        between = (null - s.theta) * (null - centre) <= 0
        flat_p = np.where(between & ~np.isnan(centre), 1.0, flat_p)
        return np.where(flat, flat_stat, stat), np.where(flat, flat_p, pvalue)

    def _parts(
        self, x: np.ndarray, w: np.ndarray, codes: np.ndarray, k: int, sums: GroupSums = None
    ) -> dict[str, np.ndarray]:
        total = sums or (lambda values: np.bincount(codes, values, k))
        sw = total(w)
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = total(w * x) / sw
            dev2 = total(w * (x - np.nan_to_num(mean)[codes]) ** 2) / sw
        return {"dev2": dev2}

    def unit_variance(self, theta: np.ndarray, parts: dict[str, np.ndarray]) -> np.ndarray:
        return parts["dev2"]

    def pivot(
        self, s: Summary, method: str, confidence: float, alternative: str
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return s.theta, np.sqrt(s.var), s.df

    def _skew(self, s: Summary, method: str) -> np.ndarray:
        if method != "hall" or "skew" not in s.parts:
            return np.zeros_like(s.theta)
        return np.nan_to_num(s.parts["skew"], nan=0.0, posinf=0.0, neginf=0.0)

    def transform(self, s: Summary, method: str, stat: np.ndarray) -> np.ndarray:
        return hall_transform(stat, self._skew(s, method))

    def _bounds(
        self,
        s: Summary,
        method: str,
        confidence: float,
        alternative: str,
        centre: np.ndarray,
        se: np.ndarray,
        crit: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        # The μ with g((θ̂ − μ)/SE) = ±crit: g is increasing, so the lower bound comes
        # from +crit (κ = 0 gives Student's θ̂ ∓ crit·SE).
        skew = self._skew(s, method)
        with np.errstate(invalid="ignore"):
            low = centre - se * hall_inverse(crit, skew)
            high = centre - se * hall_inverse(-crit, skew)
        lo, hi = self.value_range()
        return np.clip(low, lo, hi), np.clip(high, lo, hi)

    def two_sample_pivot(
        self, a: Summary, b: Summary
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
        va, vb = a.var, b.var
        # Welch–Satterthwaite df on each sample's design df (n − 1 when unweighted).
        with np.errstate(divide="ignore", invalid="ignore"):
            df = (va + vb) ** 2 / (va**2 / a.df + vb**2 / b.df)
        se = np.sqrt(va + vb)
        # Two samples without spread: Welch's t has no SE (R's t.test refuses), so no
        # interval and no test rather than a certain difference from a handful of answers.
        se = np.where(se > 0, se, np.nan)
        return a.theta - b.theta, se, df, "Welch two-sample t test"

    def effect(self, a: Summary, b: Summary | None, null: float = 0.0) -> tuple[float, float]:
        sd_a = float(self.sd(a)[0])
        na = float(a.n_effective[0])
        if b is None:
            with np.errstate(divide="ignore", invalid="ignore"):
                d = float(np.divide(float(a.value[0]) - null, sd_a))
            return d, _d_se(d, na)
        nb = float(b.n_effective[0])
        pooled = _pooled_sd(sd_a, na, float(self.sd(b)[0]), nb)
        with np.errstate(divide="ignore", invalid="ignore"):
            g = float(np.divide(float(a.value[0] - b.value[0]), pooled)) * (
                1.0 - 3.0 / (4.0 * (na + nb) - 9.0)
            )
            se = float(np.sqrt((na + nb) / (na * nb) + g**2 / (2.0 * (na + nb))))
        return g, se


def _pooled_sd(sd_a: float, n_a: float, sd_b: float, n_b: float) -> float:
    """Pooled SD with (n − 1) weights, the denominator of Cohen's d and Hedges' g."""
    df = n_a + n_b - 2.0
    if df <= 0:
        return float("nan")
    return float(np.sqrt(((n_a - 1.0) * sd_a**2 + (n_b - 1.0) * sd_b**2) / df))


def _d_se(d: float, n_a: float, n_b: float | None = None) -> float:
    """Large-sample SE of a standardised difference (Hedges & Olkin 1985, eq. 5.13)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if n_b is None:
            return float(np.sqrt(1.0 / n_a + d**2 / (2.0 * n_a)))
        return float(np.sqrt((n_a + n_b) / (n_a * n_b) + d**2 / (2.0 * (n_a + n_b))))


#: Metric name -> Metric. Extend with :func:`register`.
REGISTRY: dict[str, Metric] = {}


def register(metric: Metric, *, aliases: Iterable[str] = ()) -> Metric:
    """Add ``metric`` to the registry under its name (and ``aliases``) and return it."""
    if not isinstance(metric, Metric):
        raise TypeError(f"metric must be a Metric, got {type(metric).__name__}")
    for key in (metric.name, *aliases):
        REGISTRY[key] = metric
    return metric


def get_metric(metric: Any) -> Metric:
    """The registered :class:`Metric` called ``metric`` (or ``metric`` itself if it is one)."""
    if isinstance(metric, Metric):
        return metric
    if not isinstance(metric, str) or metric not in REGISTRY:
        raise ValueError(f"metric must be one of {sorted(REGISTRY)}, got {metric!r}")
    return REGISTRY[metric]


register(NpsMetric("nps"))
register(
    ShareMetric("csat_top2", column="csat", scale=(1, 5), integer=True, top=(4, 5)),
    aliases=["csat"],
)
register(
    ShareMetric("ces_easy", column="ces", scale=(1, 7), integer=True, top=(5, 6, 7)),
    aliases=["ces"],
)
register(MeanMetric("ces_mean", column="ces", scale=(1, 7), integer=True))
register(MeanMetric("mean"))


#: Public name (``cxresearch.register_metric``).
register_metric = register

# The three NPS groups as shares (%), so the promoter/passive/detractor split of a report
# has the same design-based intervals as every other share.
register(ShareMetric("promoters", column="nps", scale=(0, 10), integer=True, top=(9, 10)))
register(ShareMetric("passives", column="nps", scale=(0, 10), integer=True, top=(7, 8)))
register(
    ShareMetric("detractors", column="nps", scale=(0, 10), integer=True, top=(0, 1, 2, 3, 4, 5, 6))
)
