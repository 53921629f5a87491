"""Tests for CX metrics: against a target, between two groups, and across waves.

Every test returns a :class:`~cxresearch.results.Comparison` (or, for waves, a tidy frame
with the same fields) carrying the difference with its interval, the statistic, the
p-value, a standardised effect size with its name, and the name of the test.

Conventions:

* ``difference`` is ``a − b`` (or ``estimate − target``) on the metric's own scale: NPS
  points, percentage points, or rating points.
* For ``alternative="greater"``/``"less"`` the interval is one-sided, with an infinite
  bound, as in R's ``t.test``.
* With weights, shares and means are weighted and Kish's effective n replaces n in the
  standard errors (an approximation that ignores strata and clusters).
* Degenerate samples are reported, not refused: when every answer falls in one category
  the Wald standard error is 0 and the statistic is ±inf (p = 0) or NaN (0/0). Such
  tiny, uniform groups are what :func:`~cxresearch.stats.metrics.metric_by` flags as
  ``low_base``; read their adjusted-Wald interval from
  :func:`~cxresearch.stats.metrics.nps` instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from cxresearch.errors import DataError
from cxresearch.results import Comparison, Estimate
from cxresearch.stats.intervals import check_confidence, nps_variance, proportion_interval
from cxresearch.stats.metrics import (
    MetricSpec,
    Sample,
    clean_scores,
    metric_spec,
    prepare_sample,
)
from cxresearch.stats.weighting import validate_weights

__all__ = ["compare_groups", "compare_to_target", "compare_waves", "hedges_g"]

ALTERNATIVES = ("two-sided", "greater", "less")

# statsmodels spells the one-sided alternatives differently.
_SM_ALTERNATIVE = {"two-sided": "two-sided", "greater": "larger", "less": "smaller"}

# Below this expected count (n·p0 or n·(1 − p0)) the normal approximation of the one-sample
# proportion test is poor, so an unweighted test switches to the exact binomial test.
_MIN_EXPECTED = 5.0


def _check_alternative(alternative: Any) -> str:
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative must be one of {list(ALTERNATIVES)}, got {alternative!r}")
    return str(alternative)


def _two_sided_level(confidence: float, alternative: str) -> float:
    """Two-sided level whose one side is the one-sided bound at ``confidence``."""
    if alternative == "two-sided":
        return confidence
    if confidence <= 0.5:
        raise ValueError(f"confidence must exceed 0.5 for a one-sided test, got {confidence}")
    return 2.0 * confidence - 1.0


def _one_side(low: float, high: float, alternative: str) -> tuple[float, float]:
    if alternative == "greater":
        return low, float("inf")
    if alternative == "less":
        return float("-inf"), high
    return low, high


def _z_test(
    diff: float, se: float, confidence: float, alternative: str
) -> tuple[float, float, float, float]:
    """Wald z test and interval: statistic, p-value, ci_low, ci_high."""
    with np.errstate(divide="ignore", invalid="ignore"):
        z = float(np.divide(diff, se))
    if alternative == "two-sided":
        pvalue = float(2.0 * stats.norm.sf(abs(z)))
    elif alternative == "greater":
        pvalue = float(stats.norm.sf(z))
    else:
        pvalue = float(stats.norm.cdf(z))
    half = float(stats.norm.ppf(0.5 + _two_sided_level(confidence, alternative) / 2.0)) * se
    low, high = _one_side(diff - half, diff + half, alternative)
    return z, pvalue, low, high


def _t_test(
    diff: float, se: float, df: float, confidence: float, alternative: str
) -> tuple[float, float, float, float]:
    """t test and interval from a difference, its SE and df (used with weights)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t = float(np.divide(diff, se))
    if alternative == "two-sided":
        pvalue = float(2.0 * stats.t.sf(abs(t), df))
    elif alternative == "greater":
        pvalue = float(stats.t.sf(t, df))
    else:
        pvalue = float(stats.t.cdf(t, df))
    level = _two_sided_level(confidence, alternative)
    half = float(stats.t.ppf(0.5 + level / 2.0, df)) * se
    low, high = _one_side(diff - half, diff + half, alternative)
    return t, pvalue, low, high


def _comparison(
    metric: str,
    numbers: tuple[float, float, float, float, float],
    test: str,
    effect: float,
    effect_name: str,
    n_a: int,
    n_b: int,
    *,
    confidence: float,
    alternative: str,
    effect_se: float = float("nan"),
    effect_ci: tuple[float, float] | None = None,
) -> Comparison:
    """Build a Comparison with plain floats (not numpy scalars) in its numeric fields.

    The effect size's interval is ``effect_ci`` when given, else the normal approximation
    ``effect ± z·effect_se`` (two-sided, at ``confidence``).
    """
    diff, low, high, stat, pvalue = (float(v) for v in numbers)
    if effect_ci is None:
        half = float(stats.norm.ppf(0.5 + confidence / 2.0)) * effect_se
        effect_ci = (float(effect) - half, float(effect) + half)
    return Comparison(
        metric,
        diff,
        low,
        high,
        stat,
        pvalue,
        test,
        float(effect),
        effect_name,
        int(n_a),
        int(n_b),
        confidence=confidence,
        alternative=alternative,
        effect_size_ci_low=float(effect_ci[0]),
        effect_size_ci_high=float(effect_ci[1]),
    )


def _nps_parts(sample: Sample) -> tuple[float, float]:
    """NPS (−100..100) and the SD of the per-respondent score coded +100/0/−100."""
    p = sample.share(sample.values >= 9)
    q = sample.share(sample.values <= 6)
    return 100.0 * (p - q), 100.0 * float(np.sqrt(nps_variance(p, q)))


def _d_se(d: float, n_a: float, n_b: float | None = None) -> float:
    """Large-sample SE of a standardised mean difference.

    Hedges & Olkin (1985), eq. 5.13: sqrt((n_a + n_b)/(n_a n_b) + d²/(2 (n_a + n_b)));
    one sample (``n_b`` None): sqrt(1/n + d²/(2n)).
    """
    if n_b is None:
        return float(np.sqrt(1.0 / n_a + d**2 / (2.0 * n_a)))
    return float(np.sqrt((n_a + n_b) / (n_a * n_b) + d**2 / (2.0 * (n_a + n_b))))


def _cohens_h(p1: float, p2: float) -> float:
    # Cohen (1988), Statistical Power Analysis, ch. 6: h = 2·asin√p1 − 2·asin√p2.
    return float(2.0 * np.arcsin(np.sqrt(p1)) - 2.0 * np.arcsin(np.sqrt(p2)))


def _sample(spec: MetricSpec, scores: Any, weights: Any, name: str, wname: str) -> Sample:
    return prepare_sample(
        scores,
        weights=weights,
        scale=spec.scale,
        integer=spec.integer,
        name=name,
        weights_name=wname,
    )


def _check_target(target: Any, spec: MetricSpec) -> float:
    if isinstance(target, bool) or not isinstance(target, (int, float, np.integer, np.floating)):
        raise ValueError(f"target must be a number, got {target!r}")
    value = float(target)
    if not np.isfinite(value):
        raise ValueError(f"target must be finite, got {target!r}")
    if spec.kind == "nps" and not -100.0 <= value <= 100.0:
        raise ValueError(f"target for NPS must lie in -100..100, got {target!r}")
    if spec.kind == "proportion" and not 0.0 < value < 100.0:
        raise ValueError(f"target for a percentage must lie strictly in 0..100, got {target!r}")
    return value


def compare_to_target(
    scores: Any,
    target: float,
    *,
    metric: str = "nps",
    weights: Any = None,
    confidence: float = 0.95,
    alternative: str = "two-sided",
) -> Comparison:
    """Test whether a metric differs from (or exceeds) a target value.

    Parameters
    ----------
    scores : array-like
        Answers on the metric's scale (missing values are excluded).
    target : float
        Target on the metric's scale: NPS points, percent for ``"csat"``/``"ces"``, rating
        points for means.
    metric : {"nps", "csat", "ces", "ces_mean", "mean"}
        Which metric to test.
    weights : array-like, optional
        Non-negative weights; Kish's effective n replaces n.
    confidence : float
        Confidence level of the interval of ``estimate − target``.
    alternative : {"two-sided", "greater", "less"}
        ``"greater"`` tests whether the metric is above the target.

    Returns
    -------
    Comparison
        ``n_b`` is 0. Tests and effect sizes by metric:

        * NPS: z test with Rocks' (2016) variance ``(p + q − (p − q)²)/n``; Wald interval.
          Effect size: difference / SD of the per-respondent score coded +100/0/−100
          ("Cohen's d (±100 coding)").
        * Percentages: score z test with the null variance ``p0(1 − p0)/n`` (R's
          ``prop.test(correct = FALSE)``; the statistic is z, and z² is R's X-squared) and
          the Wilson interval it inverts. Unweighted samples with ``n·p0`` or
          ``n·(1 − p0)`` below 5 use the exact binomial test with the Clopper–Pearson
          interval instead (the statistic is then the count of top answers, as in R's
          ``binom.test``). Effect size: Cohen's h.
        * Means: one-sample t test (``scipy.stats.ttest_1samp``; with weights the same
          formula with df = n_eff − 1). Effect size: Cohen's d = difference / SD.

    References
    ----------
    Rocks (2016), *The American Statistician* 70(4), 365–372. Wilson (1927). Clopper &
    Pearson (1934). Cohen (1988), *Statistical Power Analysis for the Behavioral Sciences*.
    """
    spec = metric_spec(metric)
    confidence = check_confidence(confidence)
    alternative = _check_alternative(alternative)
    goal = _check_target(target, spec)
    sample = _sample(spec, scores, weights, "scores", "weights")
    n_eff = sample.n_effective

    if spec.kind == "nps":
        value, sd = _nps_parts(sample)
        diff = value - goal
        stat, pvalue, low, high = _z_test(diff, sd / np.sqrt(n_eff), confidence, alternative)
        with np.errstate(divide="ignore", invalid="ignore"):
            effect = float(np.divide(diff, sd))
        test, effect_name = "one-sample z test, Rocks (2016) variance", "Cohen's d (±100 coding)"
    elif spec.kind == "proportion":
        share = sample.share(np.isin(sample.values, spec.top))
        p0 = goal / 100.0
        diff = 100.0 * (share - p0)
        effect, effect_name = _cohens_h(share, p0), "Cohen's h"
        exact = not sample.weighted and min(sample.n * p0, sample.n * (1 - p0)) < _MIN_EXPECTED
        if exact:
            count = int(np.isin(sample.values, spec.top).sum())
            res = stats.binomtest(count, sample.n, p0, alternative=alternative)
            ci = res.proportion_ci(confidence_level=confidence, method="exact")
            stat, pvalue = float(count), float(res.pvalue)
            low, high = 100.0 * (ci.low - p0), 100.0 * (ci.high - p0)
            test = "exact binomial test, Clopper-Pearson interval"
        else:
            zstat, pval = proportions_ztest(
                share * n_eff,
                n_eff,
                value=p0,
                alternative=_SM_ALTERNATIVE[alternative],
                prop_var=p0,
            )
            stat, pvalue = float(zstat), float(pval)
            lo, hi = proportion_interval(
                share, n_eff, confidence=_two_sided_level(confidence, alternative)
            )
            low, high = _one_side(float(lo) - goal, float(hi) - goal, alternative)
            test = "one-sample z test (score), Wilson interval"
    else:
        mean, sd = sample.mean(), sample.sd()
        diff = mean - goal
        if sample.weighted:
            se = sd / np.sqrt(n_eff)
            stat, pvalue, low, high = _t_test(diff, se, n_eff - 1.0, confidence, alternative)
        else:
            res_t = stats.ttest_1samp(sample.values, goal, alternative=alternative)
            ci_t = res_t.confidence_interval(confidence_level=confidence)
            stat, pvalue = float(res_t.statistic), float(res_t.pvalue)
            low, high = float(ci_t.low) - goal, float(ci_t.high) - goal
        with np.errstate(divide="ignore", invalid="ignore"):
            effect = float(np.divide(diff, sd))
        test, effect_name = "one-sample t test", "Cohen's d"
    return _comparison(
        spec.name,
        (diff, low, high, stat, pvalue),
        test,
        effect,
        effect_name,
        sample.n,
        0,
        confidence=confidence,
        alternative=alternative,
        # Cohen's h against a fixed p0 has SE 1/sqrt(n) (Cohen 1988, ch. 6).
        effect_se=(
            float(1.0 / np.sqrt(n_eff)) if spec.kind == "proportion" else _d_se(effect, n_eff)
        ),
    )


def _pooled_sd(sd_a: float, n_a: float, sd_b: float, n_b: float) -> float:
    """Pooled SD with (n − 1) weights, the denominator of Cohen's d and Hedges' g."""
    df = n_a + n_b - 2.0
    if df <= 0:
        return float("nan")
    return float(np.sqrt(((n_a - 1.0) * sd_a**2 + (n_b - 1.0) * sd_b**2) / df))


def _hedges_correction(n_a: float, n_b: float) -> float:
    # Hedges & Olkin (1985), p. 81: J ≈ 1 − 3 / (4(n_a + n_b) − 9); pingouin uses the same.
    return 1.0 - 3.0 / (4.0 * (n_a + n_b) - 9.0)


def compare_groups(
    a: Any,
    b: Any,
    *,
    metric: str = "nps",
    weights_a: Any = None,
    weights_b: Any = None,
    confidence: float = 0.95,
    alternative: str = "two-sided",
) -> Comparison:
    """Compare a metric between two independent samples (e.g. this wave vs the last one).

    Parameters
    ----------
    a, b : array-like
        Answers of the two groups; ``difference`` is metric(a) − metric(b).
    metric : {"nps", "csat", "ces", "ces_mean", "mean"}
        Which metric to compare.
    weights_a, weights_b : array-like, optional
        Weights of each sample (give both or neither for a like-for-like comparison).
    confidence : float
        Confidence level of the interval of the difference.
    alternative : {"two-sided", "greater", "less"}
        ``"greater"``: metric(a) > metric(b).

    Returns
    -------
    Comparison
        Tests and effect sizes by metric:

        * NPS: z test with the sum of the two Rocks (2016) variances (his R package's
          two-sample ``nps_test``); Wald interval. Effect size: difference / pooled SD
          of the +100/0/−100 coding ("Cohen's d (±100 coding)").
        * Percentages: two-proportion z test with the pooled variance
          (``statsmodels.stats.proportion.proportions_ztest``; z² equals R's
          ``prop.test(correct = FALSE)`` X-squared); Newcombe's hybrid score interval
          for the difference (method 10, ``confint_proportions_2indep(method="newcomb")``).
          Effect size: Cohen's h.
        * Means: Welch t test (``scipy.stats.ttest_ind(equal_var=False)``; with weights the
          same formulas on effective n). Effect size: Hedges' g; its interval is given by
          :func:`hedges_g`.

    References
    ----------
    Rocks (2016), *The American Statistician* 70(4), 365–372. Newcombe, R. G. (1998).
    Interval estimation for the difference between independent proportions. *Statistics
    in Medicine* 17, 873–890. Welch, B. L. (1947). *Biometrika* 34, 28–35. Hedges &
    Olkin (1985), *Statistical Methods for Meta-Analysis*.
    """
    spec = metric_spec(metric)
    confidence = check_confidence(confidence)
    alternative = _check_alternative(alternative)
    sa = _sample(spec, a, weights_a, "a", "weights_a")
    sb = _sample(spec, b, weights_b, "b", "weights_b")
    na, nb = sa.n_effective, sb.n_effective

    effect_ci: tuple[float, float] | None = None
    if spec.kind == "nps":
        value_a, sd_a = _nps_parts(sa)
        value_b, sd_b = _nps_parts(sb)
        diff = value_a - value_b
        se = float(np.sqrt(sd_a**2 / na + sd_b**2 / nb))
        stat, pvalue, low, high = _z_test(diff, se, confidence, alternative)
        # The ±100 SDs are population (ddof 0) SDs; rescale to ddof 1 before pooling.
        pooled = _pooled_sd(
            sd_a * np.sqrt(na / (na - 1.0)) if na > 1 else np.nan,
            na,
            sd_b * np.sqrt(nb / (nb - 1.0)) if nb > 1 else np.nan,
            nb,
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            effect = float(np.divide(diff, pooled))
        test, effect_name = "two-sample z test, Rocks (2016) variance", "Cohen's d (±100 coding)"
    elif spec.kind == "proportion":
        pa = sa.share(np.isin(sa.values, spec.top))
        pb = sb.share(np.isin(sb.values, spec.top))
        diff = 100.0 * (pa - pb)
        with np.errstate(divide="ignore", invalid="ignore"):
            zstat, pval = proportions_ztest(
                np.array([pa * na, pb * nb]),
                np.array([na, nb]),
                alternative=_SM_ALTERNATIVE[alternative],
            )
        stat, pvalue = float(zstat), float(pval)
        lo, hi = confint_proportions_2indep(
            pa * na,
            na,
            pb * nb,
            nb,
            method="newcomb",
            alpha=1.0 - _two_sided_level(confidence, alternative),
        )
        low, high = _one_side(100.0 * float(lo), 100.0 * float(hi), alternative)
        effect, effect_name = _cohens_h(pa, pb), "Cohen's h"
        test = "two-proportion z test (pooled), Newcombe hybrid score interval"
    else:
        diff = sa.mean() - sb.mean()
        if sa.weighted or sb.weighted:
            va, vb = sa.sd() ** 2 / na, sb.sd() ** 2 / nb
            se = float(np.sqrt(va + vb))
            # Welch–Satterthwaite degrees of freedom on effective sample sizes.
            df = (va + vb) ** 2 / (va**2 / (na - 1.0) + vb**2 / (nb - 1.0))
            stat, pvalue, low, high = _t_test(diff, se, df, confidence, alternative)
        else:
            res = stats.ttest_ind(sa.values, sb.values, equal_var=False, alternative=alternative)
            ci = res.confidence_interval(confidence_level=confidence)
            stat, pvalue, low, high = (
                float(res.statistic),
                float(res.pvalue),
                float(ci.low),
                float(ci.high),
            )
        g = _hedges(sa, sb, confidence)
        effect, effect_ci = g.value, (g.ci_low, g.ci_high)
        test, effect_name = "Welch two-sample t test", "Hedges' g"
    return _comparison(
        spec.name,
        (diff, low, high, stat, pvalue),
        test,
        effect,
        effect_name,
        sa.n,
        sb.n,
        confidence=confidence,
        alternative=alternative,
        # Cohen's h: SE sqrt(1/n_a + 1/n_b) (Cohen 1988, ch. 6); NPS d: Hedges & Olkin.
        effect_se=(
            float(np.sqrt(1.0 / na + 1.0 / nb))
            if spec.kind == "proportion"
            else _d_se(effect, na, nb)
        ),
        effect_ci=effect_ci,
    )


def hedges_g(
    a: Any,
    b: Any,
    *,
    weights_a: Any = None,
    weights_b: Any = None,
    confidence: float = 0.95,
) -> Estimate:
    """Hedges' g for the difference of two means, with its confidence interval.

    ``g = J · (mean_a − mean_b) / s_pooled`` with ``J = 1 − 3/(4(n_a + n_b) − 9)``; the
    interval is ``g ± t(n_a + n_b − 2) · SE`` with
    ``SE = sqrt((n_a + n_b)/(n_a·n_b) + g²/(2(n_a + n_b)))``, as ``pingouin.compute_esci``.
    With weights, means and SDs are weighted and n is Kish's effective n.

    Returns
    -------
    Estimate
        ``metric="hedges_g"``, ``method="normal approximation"``, ``n = n_a + n_b``.

    References
    ----------
    Hedges, L. V. & Olkin, I. (1985). *Statistical Methods for Meta-Analysis*, ch. 5.
    """
    confidence = check_confidence(confidence)
    spec = metric_spec("mean")
    sa = _sample(spec, a, weights_a, "a", "weights_a")
    sb = _sample(spec, b, weights_b, "b", "weights_b")
    return _hedges(sa, sb, confidence)


def _hedges(sa: Sample, sb: Sample, confidence: float) -> Estimate:
    na, nb = sa.n_effective, sb.n_effective
    pooled = _pooled_sd(sa.sd(), na, sb.sd(), nb)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = float(np.divide(sa.mean() - sb.mean(), pooled)) * _hedges_correction(na, nb)
        se = float(np.sqrt((na + nb) / (na * nb) + g**2 / (2.0 * (na + nb))))
        crit = float(stats.t.ppf(0.5 + confidence / 2.0, na + nb - 2.0))
    return Estimate(
        g,
        g - crit * se,
        g + crit * se,
        sa.n + sb.n,
        confidence,
        "normal approximation",
        metric="hedges_g",
        n_effective=na + nb,
        weighted=sa.weighted or sb.weighted,
    )


_WAVE_COLUMNS = [
    "metric",
    "wave",
    "previous_wave",
    "difference",
    "ci_low",
    "ci_high",
    "statistic",
    "pvalue",
    "test",
    "effect_size",
    "effect_size_name",
    "n_a",
    "n_b",
]


def compare_waves(
    frame: pd.DataFrame,
    metric: str,
    *,
    wave_column: str = "wave",
    waves: list[str],
    by: str | list[str] | None = None,
    weights: str | None = None,
    confidence: float = 0.95,
    column: str | None = None,
) -> pd.DataFrame:
    """Change of a metric from each wave to the next, per group, with Holm-adjusted p-values.

    Each wave in ``waves`` (in the given order, oldest first) is compared with the wave
    before it by :func:`compare_groups` (``difference = wave − previous_wave``).

    A report shows many such tests at once, so by chance alone some will look
    "significant": ``pvalue_adjusted`` applies Holm's step-down correction across all
    rows of the result (every group and wave pair); read significance from it.

    Parameters
    ----------
    frame : DataFrame
        Responses, one row each.
    metric : {"nps", "csat", "ces", "ces_mean", "mean"}
        Which metric to compare.
    wave_column : str
        Column holding the wave label.
    waves : list
        Wave labels in chronological order, at least two.
    by : str or list of str, optional
        Grouping column(s); groups are sorted (categorical order kept).
    weights : str, optional
        Name of a weight column.
    confidence : float
        Two-sided confidence level of the differences.
    column : str, optional
        Score column; defaults after the metric (required for ``"mean"``).

    Returns
    -------
    DataFrame
        Columns ``<by...>, metric, wave, previous_wave, difference, ci_low, ci_high,
        statistic, pvalue, test, effect_size, effect_size_name, n_a, n_b,
        pvalue_adjusted``. A pair where either wave has no valid answers keeps its row
        with NaN statistics (and is left out of the Holm adjustment).

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure.
    *Scandinavian Journal of Statistics* 6, 65–70 (``statsmodels multipletests``,
    equal to R's ``p.adjust(method = "holm")``).
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    spec = metric_spec(metric)
    confidence = check_confidence(confidence)
    if isinstance(waves, str) or not isinstance(waves, (list, tuple)) or len(waves) < 2:
        raise ValueError(f"waves must be a list of at least two wave labels, got {waves!r}")
    if len(set(waves)) != len(waves):
        raise ValueError(f"waves must not repeat a label, got {waves!r}")
    by_cols = [] if by is None else [by] if isinstance(by, str) else list(by)
    column = column if column is not None else spec.column
    if column is None:
        raise ValueError(f"column is required for metric {metric!r}")
    needed = [*by_cols, wave_column, column, *([weights] if weights else [])]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise DataError(f"column(s) {missing} not in the frame {list(frame.columns)}")
    try:
        x = clean_scores(
            frame[column], name=f"column {column!r}", scale=spec.scale, integer=spec.integer
        )
        if weights:
            validate_weights(frame[weights], name=f"column {weights!r}", where=~np.isnan(x))
    except ValueError as err:
        raise DataError(str(err)) from None

    groups: list[tuple[tuple[Any, ...], pd.DataFrame]]
    if by_cols:
        grouped = frame.groupby(by_cols, sort=True, observed=True, dropna=False)
        groups = [(k if isinstance(k, tuple) else (k,), g) for k, g in grouped]
    else:
        groups = [((), frame)]
    rows: list[dict[str, Any]] = []
    for key, part in groups:
        for previous, current in zip(waves[:-1], waves[1:], strict=True):
            sides = []
            for wave in (current, previous):
                rows_w = part[(part[wave_column] == wave).to_numpy(dtype=bool, na_value=False)]
                rows_w = rows_w[rows_w[column].notna()]
                sides.append(rows_w)
            row: dict[str, Any] = dict(zip(by_cols, key, strict=True))
            if len(sides[0]) and len(sides[1]):
                res = compare_groups(
                    sides[0][column],
                    sides[1][column],
                    metric=metric,
                    weights_a=sides[0][weights] if weights else None,
                    weights_b=sides[1][weights] if weights else None,
                    confidence=confidence,
                )
                row.update({f: getattr(res, f) for f in _WAVE_COLUMNS if hasattr(res, f)})
            else:
                row.update({f: np.nan for f in _WAVE_COLUMNS})
                row.update(n_a=len(sides[0]), n_b=len(sides[1]), metric=spec.name)
            row.update(wave=current, previous_wave=previous)
            rows.append(row)
    out = pd.DataFrame(rows, columns=[*by_cols, *_WAVE_COLUMNS])
    for col in by_cols:  # keep the caller's dtypes (e.g. categorical order)
        out[col] = out[col].astype(frame[col].dtype)
    out["n_a"] = out["n_a"].astype("int64")
    out["n_b"] = out["n_b"].astype("int64")
    pvalues = out["pvalue"].to_numpy(dtype="float64")
    adjusted = np.full(pvalues.shape, np.nan)
    ok = np.isfinite(pvalues)
    if ok.any():
        adjusted[ok] = multipletests(pvalues[ok], method="holm")[1]
    out["pvalue_adjusted"] = adjusted
    return out
