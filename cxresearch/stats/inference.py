"""Tests for CX metrics: against a target, between two samples, and across waves.

Every test returns a :class:`~cxresearch.results.Comparison` (or, for waves, a tidy frame
with the same fields) carrying the difference with its interval, the statistic, the
p-value, a standardised effect size with its interval, both estimates, the SE and df.

Every metric goes through the registry (:mod:`cxresearch.stats.registry`), which pairs
each interval with the test whose inversion it is, so a verdict can never contradict the
interval beside it:

* NPS against a target: adjusted-Wald t test and interval (Rocks 2016; t on the design's
  df as R survey's ``svyciprop``) on the design's effective n; between samples: z;
* shares against a target: score test and Wilson interval (R ``prop.test(correct =
  FALSE)`` when unweighted); between samples: Agresti–Caffo z test and interval;
* means against a target: Hall's (1992) skewness-corrected t test and the interval it
  inverts (design SE and skewness; ``method="t"``: R ``t.test``); between samples: Welch,
  R ``t.test(var.equal = FALSE)``.

Conventions: ``difference`` is ``a − b`` (or ``estimate − target``) on the metric's own
scale; for ``alternative="greater"``/``"less"`` the interval is one-sided, with an
infinite bound, as in R's ``t.test``. With weights the variance is linearised (weights-only
or raked design, see :mod:`cxresearch.stats.design`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cxresearch.errors import DataError
from cxresearch.results import Comparison, Estimate
from cxresearch.stats.distributions import norm_ppf, t_ppf
from cxresearch.stats.intervals import check_confidence
from cxresearch.stats.metrics import clean_scores, prepare
from cxresearch.stats.registry import (
    Metric,
    Summary,
    TestResult,
    check_alternative,
    get_metric,
)
from cxresearch.stats.weighting import validate_weights

__all__ = [
    "compare_nps",
    "compare_samples",
    "compare_summaries",
    "compare_to_target",
    "compare_waves",
    "comparison",
    "hedges_g",
    "summarize_sample",
]


def _two_sided_level(confidence: float, alternative: str) -> float:
    if alternative != "two-sided" and confidence <= 0.5:
        raise ValueError(f"confidence must exceed 0.5 for a one-sided test, got {confidence}")
    return confidence


def _summary(metric: Metric, scores: Any, weights: Any, ids: Any, name: str, wname: str) -> Summary:
    x, design = prepare(metric, scores, weights=weights, ids=ids, name=name, weights_name=wname)
    return metric.summarize(x, design)


def comparison(
    metric: Metric,
    result: TestResult,
    a: Summary,
    b: Summary | None,
    *,
    confidence: float,
    alternative: str,
    estimate_b: float = float("nan"),
    null: float = 0.0,
) -> Comparison:
    """A :class:`Comparison` from a registry test result and the two summaries."""
    effect, effect_se = metric.effect(a, b, null)
    if metric.family == "mean" and b is not None:
        # Hedges' g: interval with t(n_a + n_b − 2) as pingouin.compute_esci.
        crit = float(
            t_ppf(0.5 + confidence / 2.0, float(a.n_effective[0] + b.n_effective[0]) - 2.0)
        )
    else:
        crit = float(norm_ppf(0.5 + confidence / 2.0))
    design = a.design if b is None or b.design == a.design else f"{a.design}/{b.design}"
    return Comparison(
        metric.name,
        result.difference,
        result.ci_low,
        result.ci_high,
        result.statistic,
        result.pvalue,
        result.test,
        float(effect),
        (metric.one_sample_effect_name or metric.effect_name) if b is None else metric.effect_name,
        int(a.n[0]),
        0 if b is None else int(b.n[0]),
        confidence=confidence,
        alternative=alternative,
        effect_size_ci_low=float(effect - crit * effect_se),
        effect_size_ci_high=float(effect + crit * effect_se),
        estimate_a=float(a.value[0]),
        estimate_b=float(b.value[0]) if b is not None else estimate_b,
        se=result.se,
        df=result.df,
        n_effective_a=float(a.n_effective[0]),
        n_effective_b=float(b.n_effective[0]) if b is not None else float("nan"),
        design=design,
    )


def target_test(
    metric: Metric,
    s: Summary,
    target: float,
    *,
    confidence: float,
    alternative: str = "two-sided",
    method: str | None = None,
) -> TestResult:
    """``estimate − target`` with the metric's interval shifted by the target and its test."""
    low, high = metric.interval(s, confidence=confidence, method=method, alternative=alternative)
    stat, pvalue = metric.test(
        s, target, confidence=confidence, method=method, alternative=alternative
    )
    name = {
        "nps": "one-sample t test, adjusted Wald (Rocks 2016)",
        "share": "one-sample score test, Wilson interval",
        "mean": "one-sample t test",
    }.get(metric.family, f"one-sample test ({metric.family})")
    if metric.family == "mean" and metric.check_method(method) == "hall":
        name = "one-sample t test, Hall's skewness correction (1992)"
    return TestResult(
        float(s.value[0] - target),
        float(low[0] - target),
        float(high[0] - target),
        float(stat[0]),
        float(pvalue[0]),
        float(metric.factor * np.sqrt(s.var[0])),
        float(s.df[0]) if metric.family in ("mean", "nps") or s.weighted else float("inf"),
        name,
    )


def compare_to_target(
    scores: Any,
    target: float,
    *,
    metric: str | Metric = "nps",
    weights: Any = None,
    ids: Any = None,
    confidence: float = 0.95,
    alternative: str = "two-sided",
    method: str | None = None,
) -> Comparison:
    """Test whether a metric differs from (or exceeds) a target value.

    Parameters
    ----------
    scores : array-like
        Answers on the metric's scale (missing values are excluded).
    target : float
        Target on the metric's scale: NPS points, percent for shares, rating points for
        means.
    metric : str
        A registered metric (``"nps"``, ``"csat"``, ``"ces"``, ``"ces_mean"``, ``"mean"``).
    weights : array-like or Series, optional
        Analysis weights (weights-only design; raked design for :func:`cxresearch.rake`).
    ids : array-like, optional
        Cluster of every answer.
    confidence : float
        Confidence level of the interval of ``estimate − target``.
    alternative : {"two-sided", "greater", "less"}
        ``"greater"`` tests whether the metric is above the target.
    method : str, optional
        The metric's interval method (default its registry default; means: ``"hall"`` or
        ``"t"``).

    Returns
    -------
    Comparison
        ``n_b`` is 0, ``estimate_b`` the target. The interval is the metric's own interval
        minus the target and the test is its inversion (see the module docstring): NPS
        adjusted-Wald t (design df), shares the score test (Wilson), means Hall's
        skewness-corrected t test (``method="t"``: Student's). Effect sizes:
        Cohen's d (NPS on the ±100 coding, means), Cohen's h (shares).

    Examples
    --------
    >>> cmp = compare_to_target([10] * 20, 90, metric="nps")
    >>> cmp.significant, cmp.ci_low <= 0 <= cmp.ci_high
    (False, True)

    References
    ----------
    Rocks (2016), *The American Statistician* 70(4), 365–372. Wilson (1927). Hall (1992),
    *JRSS B* 54, 221–228. Cohen (1988), *Statistical Power Analysis for the Behavioral
    Sciences*.
    """
    spec = get_metric(metric)
    confidence = _two_sided_level(check_confidence(confidence), check_alternative(alternative))
    goal = spec.check_value(target)
    if spec.family == "share" and not 0.0 < goal < 100.0:
        raise ValueError(f"target for a percentage must lie strictly in 0..100, got {target!r}")
    s = _summary(spec, scores, weights, ids, "scores", "weights")
    result = target_test(
        spec, s, goal, confidence=confidence, alternative=alternative, method=method
    )
    return comparison(
        spec,
        result,
        s,
        None,
        confidence=confidence,
        alternative=alternative,
        estimate_b=goal,
        null=goal,
    )


def compare_samples(
    a: Any,
    b: Any,
    *,
    metric: str | Metric = "nps",
    weights_a: Any = None,
    weights_b: Any = None,
    ids_a: Any = None,
    ids_b: Any = None,
    confidence: float = 0.95,
    alternative: str = "two-sided",
) -> Comparison:
    """Compare a metric between two independent samples (e.g. this wave vs the last one).

    Parameters
    ----------
    a, b : array-like
        Answers of the two samples; ``difference`` is metric(a) − metric(b).
    metric : str
        A registered metric (``"nps"``, ``"csat"``, ``"ces"``, ``"ces_mean"``, ``"mean"``).
    weights_a, weights_b : array-like or Series, optional
        Weights of each sample (give both or neither for a like-for-like comparison); each
        sample has its own design (weights-only, or raked for :func:`cxresearch.rake`).
    ids_a, ids_b : array-like, optional
        Clusters within each sample.
    confidence : float
        Confidence level of the interval of the difference.
    alternative : {"two-sided", "greater", "less"}
        ``"greater"``: metric(a) > metric(b).

    Returns
    -------
    Comparison
        Test and interval by metric (one pair each, the interval inverts the test):

        * NPS: z test on the difference of the adjusted-Wald NPS (Rocks 2016) of each
          sample, SE the root sum of their variances. Effect: Cohen's d (±100 coding).
        * Shares: Agresti–Caffo z test and interval (one success and one failure added
          to each sample). Effect: Cohen's h.
        * Means: Welch t test and interval (R ``t.test``; weighted: design SEs with
          Welch–Satterthwaite df). Effect: Hedges' g.

    Examples
    --------
    >>> cmp = compare_samples([5, 5, 4, 3] * 10, [3, 2, 4, 1] * 10, metric="csat")
    >>> round(cmp.difference, 1)
    50.0

    References
    ----------
    Rocks (2016). Agresti, A. & Caffo, B. (2000). *The American Statistician* 54,
    280–288. Welch, B. L. (1947). *Biometrika* 34, 28–35. Hedges & Olkin (1985).
    """
    spec = get_metric(metric)
    confidence = _two_sided_level(check_confidence(confidence), check_alternative(alternative))
    sa = _summary(spec, a, weights_a, ids_a, "a", "weights_a")
    sb = _summary(spec, b, weights_b, ids_b, "b", "weights_b")
    return compare_summaries(spec, sa, sb, confidence=confidence, alternative=alternative)


def compare_summaries(
    metric: Metric, a: Summary, b: Summary, *, confidence: float, alternative: str = "two-sided"
) -> Comparison:
    """:func:`compare_samples` of two samples already summarised (one group each).

    A table adjusted for multiplicity compares the same samples again at the adjusted
    level; their summaries (the pass over the rows) do not depend on the level, so the
    tables summarise each sample once and call this for each level.

    Examples
    --------
    >>> from cxresearch.stats.registry import get_metric
    >>> csat = get_metric("csat")
    >>> a = summarize_sample(csat, [5, 5, 4, 3] * 10)
    >>> b = summarize_sample(csat, [3, 2, 4, 1] * 10, name="b")
    >>> round(compare_summaries(csat, a, b, confidence=0.95).difference, 1)
    50.0
    """
    result = metric.difference(a, b, confidence=confidence, alternative=alternative)
    return comparison(metric, result, a, b, confidence=confidence, alternative=alternative)


def summarize_sample(
    metric: Metric, scores: Any, *, weights: Any = None, name: str = "a", weights_name: str = ""
) -> Summary:
    """The :class:`Summary` :func:`compare_samples` makes of one sample (for
    :func:`compare_summaries`); errors name ``name`` and ``weights_name``."""
    return _summary(metric, scores, weights, None, name, weights_name or f"weights_{name}")


def compare_nps(
    a: Any,
    b: Any,
    *,
    weights_a: Any = None,
    weights_b: Any = None,
    confidence: float = 0.95,
    alternative: str = "two-sided",
) -> Comparison:
    """NPS of ``a`` − NPS of ``b`` between two independent samples (see :func:`compare_samples`).

    Examples
    --------
    >>> cmp = compare_nps([10, 9, 9, 7] * 25, [10, 6, 3, 7] * 25)
    >>> cmp.difference, cmp.significant
    (100.0, True)
    """
    return compare_samples(
        a,
        b,
        metric="nps",
        weights_a=weights_a,
        weights_b=weights_b,
        confidence=confidence,
        alternative=alternative,
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

    Examples
    --------
    >>> round(hedges_g([1, 2, 3, 4], [2, 3, 4, 5]).value, 3)
    -0.674

    References
    ----------
    Hedges, L. V. & Olkin, I. (1985). *Statistical Methods for Meta-Analysis*, ch. 5.
    """
    confidence = check_confidence(confidence)
    spec = get_metric("mean")
    sa = _summary(spec, a, weights_a, None, "a", "weights_a")
    sb = _summary(spec, b, weights_b, None, "b", "weights_b")
    g, se = spec.effect(sa, sb)
    na, nb = float(sa.n_effective[0]), float(sb.n_effective[0])
    crit = float(t_ppf(0.5 + confidence / 2.0, na + nb - 2.0))
    return Estimate(
        g,
        g - crit * se,
        g + crit * se,
        int(sa.n[0] + sb.n[0]),
        confidence,
        "normal approximation",
        metric="hedges_g",
        n_effective=na + nb,
        weighted=sa.weighted or sb.weighted,
    )


#: Comparison fields kept in each row of :func:`compare_waves`.
_WAVE_FIELDS = [f for f in Comparison.__dataclass_fields__ if f not in ("n_a", "n_b")]


def compare_waves(
    frame: pd.DataFrame,
    metric: str,
    *,
    wave_column: str = "wave",
    waves: list[str],
    by: str | list[str] | None = None,
    weights: str | pd.Series | None = None,
    confidence: float = 0.95,
    alternative: str = "two-sided",
    column: str | None = None,
    adjust: str = "bh",
) -> pd.DataFrame:
    """Change of a metric from each wave to the next, per group, with adjusted p-values.

    Each wave in ``waves`` (in the given order, oldest first) is compared with the wave
    before it by :func:`compare_samples` (``difference = wave − previous_wave``).

    A report shows many such tests at once, so by chance alone some will look
    "significant": ``pvalue_adjusted`` adjusts across all rows of the result (every group
    and wave pair) and ``significant`` reads it (``pvalue_adjusted < 1 − confidence``).
    The intervals are at the level of
    :func:`~cxresearch.stats.multiplicity.adjusted_confidence` (the ``confidence``
    column), so each interval excludes 0 exactly in the rows marked significant.

    Parameters
    ----------
    frame : DataFrame
        Responses, one row each.
    metric : str
        A registered metric.
    wave_column : str
        Column holding the wave label.
    waves : list
        Wave labels in chronological order, at least two.
    by : str or list of str, optional
        Grouping column(s); groups are sorted (categorical order kept).
    weights : str or Series, optional
        A weight column, or a weights Series indexed like ``frame`` (keeps a raked
        calibration).
    confidence : float
        Two-sided confidence level of the differences.
    alternative : {"two-sided", "greater", "less"}
        Passed to every test.
    column : str, optional
        Score column; defaults after the metric (required for ``"mean"``).
    adjust : {"bh", "holm", "bonferroni", "none"}
        Multiplicity adjustment across the rows (:mod:`cxresearch.stats.multiplicity`).

    Returns
    -------
    DataFrame
        Columns ``<by...>, wave, previous_wave, n_a, n_b``, every other
        :class:`~cxresearch.results.Comparison` field, ``pvalue_adjusted``, ``adjust`` and
        ``significant``. A pair where either wave has no valid answers keeps its row with
        NaN statistics (and is left out of the adjustment).

    References
    ----------
    Benjamini & Hochberg (1995); Holm (1979) (R ``p.adjust``).
    """
    from cxresearch.stats.metrics import frame_weights
    from cxresearch.stats.multiplicity import adjust_pvalues, adjusted_confidence, check_adjust

    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    spec = get_metric(metric)
    confidence = check_confidence(confidence)
    alternative = check_alternative(alternative)
    adjust = check_adjust(adjust)
    if isinstance(waves, str) or not isinstance(waves, (list, tuple)) or len(waves) < 2:
        raise ValueError(f"waves must be a list of at least two wave labels, got {waves!r}")
    if len(set(waves)) != len(waves):
        raise ValueError(f"waves must not repeat a label, got {waves!r}")
    by_cols = [] if by is None else [by] if isinstance(by, str) else list(by)
    column = column if column is not None else spec.column
    if column is None:
        raise ValueError(f"column is required for metric {metric!r}")
    needed = [*by_cols, wave_column, column, *([weights] if isinstance(weights, str) else [])]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise DataError(f"column(s) {missing} not in the frame {list(frame.columns)}")
    w_all = frame_weights(frame, weights)
    try:
        x = clean_scores(
            frame[column], name=f"column {column!r}", scale=spec.scale, integer=spec.integer
        )
        if w_all is not None:
            name = f"column {weights!r}" if isinstance(weights, str) else "weights"
            validate_weights(w_all, name=name, where=~np.isnan(x))
    except ValueError as err:
        raise DataError(str(err)) from None

    # Each group's rows as positions (one grouping, no copies of the frame per group), each
    # wave's answered rows as a mask: a side of a test is a slice of the score column.
    keys: list[tuple[Any, ...]]
    if by_cols:
        grouped = frame[by_cols].groupby(by_cols, sort=True, observed=True, dropna=False)
        codes = grouped.ngroup().to_numpy()
        labels = grouped.size().index
        keys = [k if isinstance(k, tuple) else (k,) for k in labels]
        ends = np.cumsum(np.bincount(codes, minlength=len(keys)))
        # Stable order of the group codes; as int16 (when they fit) numpy sorts them by
        # radix, ten times faster than int64 at a million rows, with the same order.
        small = codes.astype(np.int16) if len(keys) < 2**15 else codes
        members = np.split(np.argsort(small, kind="stable"), ends[:-1])
    else:
        keys, members = [()], [np.arange(len(frame))]
    answered = ~np.isnan(x)
    in_wave = {
        wave: (frame[wave_column] == wave).to_numpy(dtype=bool, na_value=False) & answered
        for wave in waves
    }
    scores = frame[column]
    summaries: dict[tuple[int, Any, str], Summary] = {}  # the same sides at every level

    def summary(g: int, wave: Any, side: np.ndarray, role: str) -> Summary:
        if (g, wave, role) not in summaries:
            summaries[g, wave, role] = summarize_sample(
                spec,
                scores.iloc[side],
                weights=None if w_all is None else w_all.iloc[side],
                name=role,
            )
        return summaries[g, wave, role]

    def table(level: float) -> list[dict[str, Any]]:
        return [
            _wave_row(g, at, key, previous, current, level)
            for g, (key, at) in enumerate(zip(keys, members, strict=True))
            for previous, current in zip(waves[:-1], waves[1:], strict=True)
        ]

    def _wave_row(
        g: int, at: np.ndarray, key: tuple[Any, ...], previous: Any, current: Any, level: float
    ) -> dict[str, Any]:
        sides = [at[in_wave[wave][at]] for wave in (current, previous)]
        row: dict[str, Any] = dict(zip(by_cols, key, strict=True))
        row.update(wave=current, previous_wave=previous, n_a=sides[0].size, n_b=sides[1].size)
        if sides[0].size and sides[1].size:
            res = compare_summaries(
                spec,
                summary(g, current, sides[0], "a"),
                summary(g, previous, sides[1], "b"),
                confidence=_two_sided_level(level, alternative),
                alternative=alternative,
            )
            row.update({f: getattr(res, f) for f in _WAVE_FIELDS})
        else:
            row.update({f: np.nan for f in _WAVE_FIELDS})
            row.update(metric=spec.name, confidence=level, alternative=alternative)
        return row

    rows = table(confidence)
    pvalues = np.array([r["pvalue"] for r in rows], dtype="float64")
    level = adjusted_confidence(pvalues, adjust, confidence)
    if level != confidence:
        rows = table(level)
    head = [*by_cols, "wave", "previous_wave", "n_a", "n_b"]
    out = pd.DataFrame(rows, columns=[*head, *_WAVE_FIELDS])
    for col in by_cols:  # keep the caller's dtypes (e.g. categorical order)
        out[col] = out[col].astype(frame[col].dtype)
    out["n_a"] = out["n_a"].astype("int64")
    out["n_b"] = out["n_b"].astype("int64")
    out["pvalue_adjusted"] = adjust_pvalues(out["pvalue"].to_numpy(dtype="float64"), adjust)
    out["adjust"] = adjust
    out["significant"] = out["pvalue_adjusted"] < 1.0 - confidence
    out["interval_level"] = level
    return out
