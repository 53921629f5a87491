"""Result objects returned by the statistics layer.

Single results are frozen dataclasses with ``to_frame()`` and a readable ``_repr_html_``
(house style, as scipy.stats result objects); grouped results are tidy DataFrames with the
same column names. Nothing here rounds for storage: rounding happens only in ``present``.
"""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass

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

    def to_frame(self) -> pd.DataFrame:
        """One-row tidy frame with the same column names as grouped results."""
        return pd.DataFrame([asdict(self)])

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

    Attributes
    ----------
    metric
        The metric compared, e.g. ``"nps"``.
    difference, ci_low, ci_high
        ``a − b`` (or ``a − target``) on the metric's scale, with its interval.
    statistic, pvalue
        Test statistic and p-value for ``alternative``.
    test
        Name of the test, e.g. ``"z test, Rocks (2016) variance"``.
    effect_size, effect_size_name
        Standardised effect (e.g. Cohen's h, Cohen's d) and its name.
    n_a, n_b
        Bases of the two sides; ``n_b`` is 0 when comparing with a fixed value.
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

    def to_frame(self) -> pd.DataFrame:
        """One-row tidy frame."""
        return pd.DataFrame([asdict(self)])

    def _repr_html_(self) -> str:
        level = f"{self.confidence:.0%}"
        return (
            f"<p><b>{html.escape(self.metric)}</b> difference {self.difference:.1f} "
            f"({level} CI {self.ci_low:.1f} to {self.ci_high:.1f}); "
            f"{html.escape(self.test)}: statistic {self.statistic:.2f}, p = {self.pvalue:.3g}; "
            f"{html.escape(self.effect_size_name)} = {self.effect_size:.2f}</p>"
        )
