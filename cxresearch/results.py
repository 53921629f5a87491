"""Result objects returned by the statistics layer.

Single results are frozen dataclasses with ``to_frame()`` and a readable ``_repr_html_``
(house style, as scipy.stats result objects); grouped results are tidy DataFrames with the
same column names. Nothing here rounds for storage: rounding happens only in ``present``.
"""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its confidence interval and base.

    Attributes
    ----------
    value, ci_low, ci_high
        Estimate and interval on the metric's own scale (NPS −100..100, percentages 0..100,
        means on the rating scale).
    n
        Number of valid (non-missing) responses used.
    confidence
        Confidence level of the interval, e.g. 0.95.
    method
        Interval method, e.g. ``"adjusted-wald"``, ``"wilson"``, ``"t"``.
    metric
        What was estimated, e.g. ``"nps"``, ``"csat_top2"``.
    n_effective
        Kish effective sample size; equals ``n`` when unweighted.
    weighted
        Whether weights were used.
    weighted_n
        Sum of the weights of the answers used (``n`` when unweighted).
    se
        Design-based standard error of ``value`` (linearised; ``s/√n`` unweighted).
    df
        Degrees of freedom of the design (n − 1, or clusters − 1).
    design
        ``"unweighted"``, ``"weights"`` (weights only) or ``"raked"``, ``+clusters``.
    """

    value: float
    ci_low: float
    ci_high: float
    n: int
    confidence: float
    method: str
    metric: str = ""
    n_effective: float = float("nan")
    weighted: bool = False
    weighted_n: float = float("nan")
    se: float = float("nan")
    df: float = float("nan")
    design: str = "unweighted"

    def to_frame(self) -> pd.DataFrame:
        """One-row tidy frame with the same column names as grouped results."""
        return pd.DataFrame([asdict(self)], columns=[f.name for f in fields(self)])

    def _repr_html_(self) -> str:
        level = f"{self.confidence:.0%}"
        base = f"n = {self.n}"
        if self.weighted:
            base += f", effective n = {self.n_effective:.0f}"
        name = html.escape(self.metric or "estimate")
        return (
            f"<p><b>{name}</b> {self.value:.1f} "
            f"({level} CI {self.ci_low:.1f} to {self.ci_high:.1f}; {base}; "
            f"{html.escape(self.method)})</p>"
        )


@dataclass(frozen=True)
class Comparison:
    """A test comparing two estimates (or one estimate with a fixed value).

    The interval and the test are one pair: the interval is the inversion of the test, so
    ``pvalue < 1 − confidence`` exactly when the interval excludes 0 (for
    ``alternative="two-sided"``; one-sided intervals have one infinite bound).

    Attributes
    ----------
    metric
        The metric compared, e.g. ``"nps"``.
    difference, ci_low, ci_high
        ``a − b`` (or ``a − target``) on the metric's scale, with its interval.
    statistic, pvalue
        Test statistic and p-value for ``alternative``.
    test
        Name of the test (and interval), e.g. ``"Welch two-sample t test"``.
    effect_size, effect_size_name
        Standardised effect (e.g. Cohen's h, Hedges' g) and its name.
    n_a, n_b
        Bases of the two sides; ``n_b`` is 0 when comparing with a fixed value.
    confidence, alternative
        Level of the interval and the alternative hypothesis.
    effect_size_ci_low, effect_size_ci_high
        Interval of the effect size.
    estimate_a, estimate_b
        The two estimates (``estimate_b`` is the target or norm for one sample).
    se, df
        SE of the difference on the metric's scale and the test's degrees of freedom
        (``inf`` for z tests).
    n_effective_a, n_effective_b
        Kish effective bases of the two sides.
    design
        Variance route: ``"unweighted"``, ``"weights"``, ``"raked"`` (``+clusters``).
    """

    metric: str
    difference: float
    ci_low: float
    ci_high: float
    statistic: float
    pvalue: float
    test: str
    effect_size: float
    effect_size_name: str
    n_a: int
    n_b: int
    confidence: float = 0.95
    alternative: str = "two-sided"
    effect_size_ci_low: float = float("nan")
    effect_size_ci_high: float = float("nan")
    estimate_a: float = float("nan")
    estimate_b: float = float("nan")
    se: float = float("nan")
    df: float = float("nan")
    n_effective_a: float = float("nan")
    n_effective_b: float = float("nan")
    design: str = "unweighted"

    @property
    def significant(self) -> bool:
        """``pvalue < 1 − confidence``: the interval printed beside it excludes 0."""
        return bool(self.pvalue < 1.0 - self.confidence)

    def to_frame(self) -> pd.DataFrame:
        """One-row tidy frame with one column per field."""
        return pd.DataFrame([asdict(self)], columns=[f.name for f in fields(self)])

    def _repr_html_(self) -> str:
        level = f"{self.confidence:.0%}"
        return (
            f"<p><b>{html.escape(self.metric)}</b> difference {self.difference:.1f} "
            f"({level} CI {self.ci_low:.1f} to {self.ci_high:.1f}); "
            f"{html.escape(self.test)}: statistic {self.statistic:.2f}, p = {self.pvalue:.3g}; "
            f"{html.escape(self.effect_size_name)} = {self.effect_size:.2f}</p>"
        )


@dataclass(frozen=True)
class GroupComparison(Comparison):
    """A comparison of two or more groups (:func:`cxresearch.compare_groups`).

    Adds to :class:`Comparison` what a k-group test needs. For two groups ``a`` and ``b``
    are the first and second group, as in R's ``t.test(y ~ g)``. For more groups the
    single-difference fields (``difference``, ``ci_low``, ``ci_high``, ``estimate_a/b``)
    are NaN, ``n_a`` is the total base and ``n_b`` 0; the groups' own figures are in the
    tuples below and the pairs in ``posthoc``.

    Attributes
    ----------
    by
        The grouping column.
    groups, n, estimates
        Group labels (in order), their bases and their estimates (mean, median, % or NPS).
    df2
        Denominator degrees of freedom of an F statistic (NaN otherwise).
    reason
        Why this test was used (the data's type, the expected counts, a forced ``test=``).
    n_missing
        Rows left out because the value or the group was missing.
    posthoc
        For k > 2 groups: one row per pair with its difference, interval, statistic,
        p-value and adjusted p-value (None for two groups). Not part of :meth:`to_frame`.
    """

    by: str = ""
    groups: tuple[str, ...] = ()
    n: tuple[int, ...] = ()
    estimates: tuple[float, ...] = ()
    df2: float = float("nan")
    reason: str = ""
    n_missing: int = 0
    posthoc: Any = field(default=None, compare=False, repr=False)

    def to_frame(self) -> pd.DataFrame:
        """One-row tidy frame with one column per field (without ``posthoc``)."""
        names = [f.name for f in fields(self) if f.name != "posthoc"]
        return pd.DataFrame([{name: getattr(self, name) for name in names}], columns=names)
