"""Compare an answer or a CX metric between two or more groups, choosing the test from the data.

:func:`compare_groups` is the one entry point. With ``test="auto"`` it looks at the answers
and picks, recording which test and why (``GroupComparison.reason``):

========================================  ===================  ==========================
answers                                   two groups           k groups (pairs after)
========================================  ===================  ==========================
CX metric (``metric="nps"``, ...)         registry pair        design-based Wald F
                                                               (registry pairs)
binary (0/1, True/False)                  two-proportion       chi-square (pairs: the
                                          (Fisher if an        two-proportion pair)
                                          expected count < 5)
whole numbers on ≤ 7 points (ordinal),    Mann–Whitney         Kruskal–Wallis (Dunn)
or heavy-tailed (|skew| > 2 or excess
kurtosis > 7 in a group)
other numbers (interval ratings)          Welch t              Welch ANOVA (Games–Howell)
any of the above **with weights**         design-based t       design-based Wald F
========================================  ===================  ==========================

With weights every test is design-based (Taylor linearisation, R ``survey``): two groups
as R ``svyttest`` (the difference of the domain means with its linearised SE on
``units − 2`` df), k groups as R ``regTermTest(svyglm(y ~ group, design), ~group)`` (the
Wald F of equal domain means on ``k − 1`` and ``units − k`` df) with pairs as
``svycontrast``. Rank and exact tests have no design-based form here and are refused with
weights. A raked Series from :func:`cxresearch.rake` gives the raked design.

Every pair comes with its interval at the level matching the adjusted verdict
(:func:`~cxresearch.stats.multiplicity.adjusted_confidence`), so a pair's interval
excludes 0 exactly when its adjusted p-value is significant; Games–Howell pairs are
family-wise by construction (studentized range) and Dunn pairs have no interval.

References
----------
Lumley, T. (2010). *Complex Surveys*, ch. 5 (``svyttest``, ``regTermTest``). West, S. G.,
Finch, J. F. & Curran, P. J. (1995). Structural equation models with nonnormal variables.
In *Structural Equation Modeling* (Hoyle, ed.), 56–75: |skew| > 2 and kurtosis > 7 as
substantial departures from normality. Cochran, W. G. (1954). Some methods for
strengthening the common χ² tests. *Biometrics* 10, 417–451 (expected counts ≥ 5).
"""

from __future__ import annotations

from dataclasses import asdict
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from cxresearch.errors import DataError
from cxresearch.results import GroupComparison
from cxresearch.stats import group_tests as gt
from cxresearch.stats.design import Design, make_design
from cxresearch.stats.distributions import chi2_sf, f_sf, norm_ppf, t_cdf, t_ppf, t_sf
from cxresearch.stats.inference import comparison
from cxresearch.stats.intervals import check_confidence
from cxresearch.stats.metrics import clean_scores, frame_weights
from cxresearch.stats.multiplicity import adjust_pvalues, adjusted_confidence, check_adjust
from cxresearch.stats.registry import (
    MeanMetric,
    Metric,
    ShareMetric,
    Summary,
    check_alternative,
    get_metric,
)

__all__ = ["POSTHOC_COLUMNS", "TESTS", "compare_groups"]

#: The tests ``test=`` can force.
TESTS = (
    "welch",
    "mann-whitney",
    "two-proportion",
    "chi-square",
    "fisher",
    "welch-anova",
    "kruskal",
)
_TWO_GROUPS = {"welch", "mann-whitney", "two-proportion", "fisher"}
_BINARY = {"two-proportion", "fisher"}
_WEIGHTED = {"welch", "two-proportion", "chi-square", "welch-anova"}
#: Whole-number answers on at most this many distinct points are treated as ordinal.
ORDINAL_MAX_POINTS = 7
#: Columns of ``GroupComparison.posthoc``, one row per pair.
POSTHOC_COLUMNS = (
    "group_a",
    "group_b",
    "n_a",
    "n_b",
    "estimate_a",
    "estimate_b",
    "difference",
    "ci_low",
    "ci_high",
    "se",
    "statistic",
    "df",
    "pvalue",
    "pvalue_adjusted",
    "adjust",
    "significant",
    "confidence",
    "test",
)
_SHARE = ShareMetric("share", scale=(0, 1), integer=True, top=(1.0,))
_MEAN = MeanMetric("mean")


def _column(frame: pd.DataFrame, name: Any, argument: str) -> str:
    if not isinstance(name, str) or name not in frame.columns:
        raise DataError(f"{argument}: column {name!r} is not in the frame {list(frame.columns)}")
    return name


def _values(series: pd.Series, column: str, metric: Metric | None) -> np.ndarray:
    if metric is not None:
        try:
            return clean_scores(
                series, name=f"value: column {column!r}", scale=metric.scale, integer=metric.integer
            )
        except ValueError as err:
            raise DataError(str(err)) from None
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.astype("float64").to_numpy()
    if series.dtype == object and series.dropna().map(lambda v: isinstance(v, bool)).all():
        return series.map(lambda v: np.nan if pd.isna(v) else float(v)).to_numpy(dtype="float64")
    try:
        return clean_scores(series, name=f"value: column {column!r}")
    except ValueError as err:
        raise DataError(str(err)) from None


def _kind(groups: list[np.ndarray]) -> tuple[str, str]:
    """``("binary" | "ordinal" | "heavy" | "interval", reason)`` of the answers."""
    from scipy import stats  # imported when used (stats/distributions.py)

    values = np.concatenate(groups)
    distinct = np.unique(values)
    if distinct.size <= 2:
        return "binary", f"answers take {distinct.size} values (binary)"
    if np.all(values == np.round(values)) and distinct.size <= ORDINAL_MAX_POINTS:
        return "ordinal", f"answers are whole numbers on {distinct.size} points (ordinal)"
    for g in groups:
        if g.size >= 3 and np.std(g) > 0:
            skew = float(stats.skew(g))
            kurt = float(stats.kurtosis(g))
            if abs(skew) > 2 or kurt > 7:
                return "heavy", (
                    f"answers are heavy-tailed (a group has skewness {skew:.2f}, excess "
                    f"kurtosis {kurt:.2f}; limits 2 and 7)"
                )
    return "interval", f"answers are numbers on {distinct.size} distinct values (interval)"


def _auto(kind: str, k: int, table: np.ndarray | None, weighted: bool) -> tuple[str, str]:
    if weighted:
        test = "welch" if k == 2 else "welch-anova"
        return test, "weighted answers: design-based test (rank and exact tests are unweighted)"
    if kind == "binary":
        if k > 2:
            return "chi-square", "binary answers in more than two groups"
        assert table is not None
        expected = gt.chi_square(table).expected
        if expected.min() < 5:
            return "fisher", f"an expected count is {expected.min():.2f} (< 5): Fisher's exact test"
        return "two-proportion", "binary answers in two groups, every expected count ≥ 5"
    if kind in ("ordinal", "heavy"):
        return ("mann-whitney" if k == 2 else "kruskal"), "rank test"
    return ("welch" if k == 2 else "welch-anova"), "means with unequal variances"


def _check_test(test: str, kind: str, k: int, weighted: bool) -> None:
    if test in _TWO_GROUPS and k != 2:
        raise ValueError(f"test={test!r} compares two groups; by has {k} groups")
    if test in _BINARY and kind != "binary":
        raise ValueError(f"test={test!r} needs binary answers (two values), the value has more")
    if weighted and test not in _WEIGHTED:
        raise ValueError(
            f"test={test!r} has no design-based (weighted) version; use 'welch' or "
            "'welch-anova' (design-based t / Wald F), or drop the weights"
        )
    if weighted and test == "chi-square" and kind != "binary":
        raise ValueError(
            "test='chi-square' with weights needs binary answers (Wald test of shares)"
        )


def compare_groups(
    frame: pd.DataFrame,
    value: str | None = None,
    *,
    by: str,
    test: str = "auto",
    metric: str | Metric | None = None,
    weights: str | pd.Series | None = None,
    ids: str | None = None,
    confidence: float = 0.95,
    alternative: str = "two-sided",
    adjust: str = "holm",
    correct: bool = True,
) -> GroupComparison:
    """Compare ``value`` between the groups of ``by``, with the test chosen from the data.

    Parameters
    ----------
    frame : DataFrame
        One row per response.
    value : str, optional
        The answer column; with ``metric`` it defaults to the metric's column.
    by : str
        The grouping column (categorical order kept, else sorted); at least two groups
        with at least two answers each.
    test : {"auto", "welch", "mann-whitney", "two-proportion", "chi-square", "fisher", \
"welch-anova", "kruskal"}
        Force a test, or let ``"auto"`` choose (see the module docstring).
    metric : str or Metric, optional
        Compare a registered CX metric (``"nps"``, ``"csat"``, ``"ces"``, ``"ces_mean"``):
        two groups by the registry's pair (the test and interval the reports show), k
        groups by the design-based Wald F with registry pairs.
    weights : str or Series, optional
        A weight column or a Series indexed like ``frame`` (a raked Series keeps its
        calibration): design-based tests.
    ids : str, optional
        Cluster column (a respondent over pooled waves), for the design-based variance.
    confidence : float
        Level of the intervals (and 1 − α of the verdicts).
    alternative : {"two-sided", "greater", "less"}
        For two groups: ``"greater"`` means the first group is higher. k groups: two-sided.
    adjust : {"holm", "bh", "bonferroni", "none"}
        Adjustment of the k-group pairs' p-values (Games–Howell pairs are family-wise
        already and ignore it).
    correct : bool
        Yates' continuity correction of a 2 × 2 chi-square (R ``chisq.test``'s default).

    Returns
    -------
    GroupComparison
        The test, its statistic, df, p-value, effect size (with its interval where one
        inverts the test), the groups' bases and estimates, ``reason`` and, for k groups,
        ``posthoc`` (columns :data:`POSTHOC_COLUMNS`).

    Raises
    ------
    DataError
        A missing column, text in the value column, bad weights.
    ValueError
        One group, a group with fewer than two answers, identical answers everywhere, a
        test that does not fit the data (e.g. ``"fisher"`` on ratings), a rank or exact
        test with weights, or an unknown option (each message names the argument).

    Examples
    --------
    >>> df = pd.DataFrame({"g": ["a"] * 6 + ["b"] * 6, "y": [1, 2, 2, 3, 3, 4, 3, 4, 4, 5, 5, 5]})
    >>> res = compare_groups(df, "y", by="g")
    >>> res.test, round(res.pvalue, 4)
    ('Mann-Whitney U test', 0.0175)
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    spec = None if metric is None else get_metric(metric)
    if test not in ("auto", *TESTS):
        raise ValueError(f"test must be 'auto' or one of {list(TESTS)}, got {test!r}")
    if spec is not None and test != "auto":
        raise ValueError("test= cannot be combined with metric=: the metric's own test is used")
    confidence = check_confidence(confidence)
    alternative = check_alternative(alternative)
    adjust = check_adjust(adjust)
    by = _column(frame, by, "by")
    if value is None and spec is not None:
        value = spec.column
    value = _column(frame, value, "value")
    if ids is not None:
        ids = _column(frame, ids, "ids")

    x_all = _values(frame[value], value, spec)
    group_col = frame[by]
    keep = ~np.isnan(x_all) & group_col.notna().to_numpy()
    levels = (
        [c for c in group_col.cat.categories if (group_col == c).any()]
        if isinstance(group_col.dtype, pd.CategoricalDtype)
        else sorted(group_col[keep].unique().tolist(), key=str)
    )
    labels = [str(level) for level in levels]
    k = len(levels)
    if k < 2:
        raise ValueError(f"by: column {by!r} has {k} group(s) with answers {labels}; need two")
    position = {level: i for i, level in enumerate(levels)}
    codes_all = (
        group_col.astype(object).map(position).fillna(-1).to_numpy(dtype="float64").astype("int64")
    )
    keep &= codes_all >= 0
    codes = codes_all[keep]
    x = x_all[keep]
    sizes = np.bincount(codes, minlength=k)
    small = [f"{labels[g]!r} (n = {sizes[g]})" for g in range(k) if sizes[g] < 2]
    if small:
        raise ValueError(
            f"by: group(s) {', '.join(small)} have fewer than two answers in {value!r}"
        )
    if k > 2 and alternative != "two-sided":
        raise ValueError(f"alternative must be 'two-sided' for {k} groups, got {alternative!r}")
    given = frame_weights(frame, weights)
    try:
        design = make_design(
            given,
            length=len(frame),
            valid=keep,
            ids=None if ids is None else frame[ids],
            name=f"column {weights!r}" if isinstance(weights, str) else "weights",
            ids_name=f"column {ids!r}",
            index=frame.index,
        )
    except ValueError as err:
        raise DataError(str(err)) from None
    groups = [x[codes == g] for g in range(k)]
    common = {
        "by": by,
        "groups": tuple(labels),
        "n": tuple(int(s) for s in sizes),
        "n_missing": int((~keep).sum()),
    }
    if spec is not None:
        return _metric_groups(spec, x, codes, k, design, confidence, alternative, adjust, common)
    if np.unique(x).size < 2:
        raise ValueError(
            f"value: every answer in {value!r} is {x[0]:g}; there is nothing to compare"
        )
    kind, why = _kind(groups)
    table = _table(groups) if kind == "binary" else None
    if test == "auto":
        test, because = _auto(kind, k, table, design.weighted)
        reason = f"auto: {why}; {because}"
    else:
        reason = f"test={test!r} given; {why}"
    _check_test(test, kind, k, design.weighted)
    args = (x, codes, k, groups, design, confidence, alternative, adjust, common, reason)
    if design.weighted:
        return _design_based(kind, *args)
    if test in ("welch", "two-proportion"):
        metric_ = _MEAN if test == "welch" else _SHARE
        return _metric_groups(
            metric_, x, codes, k, design, confidence, alternative, adjust, common, reason
        )
    if test == "mann-whitney":
        return _mann_whitney(*args)
    if test in ("chi-square", "fisher"):
        return _table_test(test, correct, *args)
    return _omnibus(test, *args)


def _table(groups: list[np.ndarray]) -> np.ndarray:
    """Groups × answers counts, the answers in descending order (yes before no)."""
    levels = np.unique(np.concatenate(groups))[::-1]
    return np.array([[np.sum(g == level) for level in levels] for g in groups], dtype="float64")


def _result(**fields: Any) -> GroupComparison:
    base: dict[str, Any] = {
        "difference": np.nan,
        "ci_low": np.nan,
        "ci_high": np.nan,
        "estimate_a": np.nan,
        "estimate_b": np.nan,
    }
    base.update(fields)
    return GroupComparison(**base)


def _k_fields(common: dict[str, Any], k: int) -> dict[str, Any]:
    return (
        {"n_a": int(sum(common["n"])), "n_b": 0}
        if k > 2
        else {"n_a": common["n"][0], "n_b": common["n"][1]}
    )


def _pairs_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(POSTHOC_COLUMNS))


def _metric_groups(
    spec: Metric,
    x: np.ndarray,
    codes: np.ndarray,
    k: int,
    design: Design,
    confidence: float,
    alternative: str,
    adjust: str,
    common: dict[str, Any],
    reason: str = "",
) -> GroupComparison:
    """Registry metric (or a mean / share): the registry's pair, or Wald F + pairs."""
    s = spec.summarize(x, design, codes, k)
    estimates = tuple(float(v) for v in s.value)
    if k == 2:
        res = spec.difference(s.item(0), s.item(1), confidence=confidence, alternative=alternative)
        cmp = comparison(
            spec, res, s.item(0), s.item(1), confidence=confidence, alternative=alternative
        )
        why = reason or f"metric {spec.name!r}: the registry's two-sample pair"
        return GroupComparison(**asdict(cmp), **common, estimates=estimates, reason=why)
    omnibus = _wald(spec.score(x), codes, k, design)
    pairs = _registry_pairs(spec, s, common, confidence, adjust)
    why = reason or f"metric {spec.name!r} in {k} groups"
    return _wald_f_result(
        spec.name,
        omnibus,
        common,
        confidence=confidence,
        design=s.design,
        n_effective=float(s.n_effective.sum()),
        estimates=estimates,
        reason=why + f"; pairs: {pairs['test'].iloc[0]}, {adjust}-adjusted",
        posthoc=pairs,
    )


def _wald_f_result(
    metric: str,
    omnibus: gt.OmnibusTest,
    common: dict[str, Any],
    *,
    confidence: float,
    design: str,
    n_effective: float,
    estimates: tuple[float, ...],
    reason: str,
    posthoc: pd.DataFrame,
) -> GroupComparison:
    """k groups under a design: the design-based Wald F test and its adjusted pairs."""
    return _result(
        metric=metric,
        statistic=omnibus.statistic,
        pvalue=omnibus.pvalue,
        test="design-based Wald F test",
        effect_size=omnibus.effect,
        effect_size_name=omnibus.effect_name,
        **_k_fields(common, len(common["n"])),
        confidence=confidence,
        df=omnibus.df,
        df2=omnibus.df2,
        design=design,
        n_effective_a=n_effective,
        **common,
        estimates=estimates,
        reason=reason,
        posthoc=posthoc,
    )


def _registry_pairs(
    spec: Metric, s: Summary, common: dict[str, Any], confidence: float, adjust: str
) -> pd.DataFrame:
    pairs = list(combinations(range(s.n.size), 2))

    def table(level: float) -> list[dict[str, Any]]:
        rows = []
        for i, j in pairs:
            res = spec.difference(s.item(i), s.item(j), confidence=level)
            rows.append(
                {
                    "group_a": common["groups"][i],
                    "group_b": common["groups"][j],
                    "n_a": common["n"][i],
                    "n_b": common["n"][j],
                    "estimate_a": float(s.value[i]),
                    "estimate_b": float(s.value[j]),
                    **{
                        f: getattr(res, f)
                        for f in (
                            "difference",
                            "ci_low",
                            "ci_high",
                            "se",
                            "statistic",
                            "df",
                            "pvalue",
                        )
                    },
                    "test": res.test,
                }
            )
        return rows

    return _adjusted(table, confidence, adjust)


def _adjusted(table: Any, confidence: float, adjust: str) -> pd.DataFrame:
    """Pairs with adjusted p-values and intervals at the level agreeing with them."""
    rows = table(confidence)
    level = adjusted_confidence([r["pvalue"] for r in rows], adjust, confidence)
    if level != confidence:
        rows = table(level)
    out = _pairs_frame(rows)
    out["pvalue_adjusted"] = adjust_pvalues(out["pvalue"].to_numpy(dtype="float64"), adjust)
    out["adjust"] = adjust
    out["significant"] = out["pvalue_adjusted"] < 1.0 - confidence
    out["confidence"] = level
    return out


def _domain_influence(
    z: np.ndarray, codes: np.ndarray, k: int, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted domain means and their influence values (n × k), as svyglm's estfun."""
    totals = np.bincount(codes, w, k)
    theta = np.bincount(codes, w * z, k) / totals
    u = np.zeros((z.size, k))
    u[np.arange(z.size), codes] = w * (z - theta[codes]) / totals[codes]
    return theta, u


def _wald(z: np.ndarray, codes: np.ndarray, k: int, design: Design) -> gt.OmnibusTest:
    """R ``regTermTest(svyglm(z ~ g, design), ~g)``: Wald F on k − 1 and units − k df."""
    theta, u = _domain_influence(z, codes, k, design.weights)
    cov = design.covariance(u)
    contrast = np.hstack([-np.ones((k - 1, 1)), np.eye(k - 1)])
    d = contrast @ theta
    wald = float(d @ np.linalg.solve(contrast @ cov @ contrast.T, d))
    df2 = float(design.units - k)
    f = wald / (k - 1)
    pvalue = float(f_sf(f, k - 1, df2)) if df2 > 0 else float(chi2_sf(wald, k - 1))
    w = design.weights
    grand = float(w @ z / w.sum())
    between = float(np.bincount(codes, w, k) @ (theta - grand) ** 2)
    total = float(w @ (z - grand) ** 2)
    eta2 = between / total if total > 0 else float("nan")
    name = "eta squared (weighted)" if design.weighted else "eta squared"
    return gt.OmnibusTest(f, k - 1.0, df2, pvalue, eta2, name)


def _design_based(
    kind: str,
    x: np.ndarray,
    codes: np.ndarray,
    k: int,
    groups: list[np.ndarray],
    design: Design,
    confidence: float,
    alternative: str,
    adjust: str,
    common: dict[str, Any],
    reason: str,
) -> GroupComparison:
    """Weighted answers: R ``svyttest`` (two groups) or Wald F + ``svycontrast`` pairs."""
    factor = 100.0 if kind == "binary" else 1.0
    theta, u = _domain_influence(x, codes, k, design.weights)
    cov = design.covariance(u)
    df = float(design.units - k)
    metric_ = _SHARE if kind == "binary" else _MEAN
    s = metric_.summarize(x, design, codes, k)
    estimates = tuple(float(factor * t) for t in theta)
    pairs = list(combinations(range(k), 2))

    def pair(i: int, j: int, level: float, side: str) -> dict[str, Any]:
        diff = float(theta[i] - theta[j])
        se = float(np.sqrt(cov[i, i] + cov[j, j] - 2.0 * cov[i, j]))
        t = diff / se
        crit = float(t_ppf(level if side != "two-sided" else 0.5 + level / 2.0, df))
        low = -np.inf if side == "less" else factor * (diff - crit * se)
        high = np.inf if side == "greater" else factor * (diff + crit * se)
        p = {
            "two-sided": 2.0 * t_sf(abs(t), df),
            "greater": t_sf(t, df),
            "less": t_cdf(t, df),
        }[side]
        return {
            "group_a": common["groups"][i],
            "group_b": common["groups"][j],
            "n_a": common["n"][i],
            "n_b": common["n"][j],
            "estimate_a": estimates[i],
            "estimate_b": estimates[j],
            "difference": factor * diff,
            "ci_low": low,
            "ci_high": high,
            "se": factor * se,
            "statistic": t,
            "df": df,
            "pvalue": float(p),
            "test": "design-based t test",
        }

    if k == 2:
        row = pair(0, 1, confidence, alternative)
        a, b = s.item(0), s.item(1)
        effect, effect_se = metric_.effect(a, b)
        crit = float(norm_ppf(0.5 + confidence / 2.0))
        return GroupComparison(
            metric_.name,
            row["difference"],
            row["ci_low"],
            row["ci_high"],
            row["statistic"],
            row["pvalue"],
            "design-based t test",
            effect,
            metric_.effect_name,
            common["n"][0],
            common["n"][1],
            confidence=confidence,
            alternative=alternative,
            effect_size_ci_low=effect - crit * effect_se,
            effect_size_ci_high=effect + crit * effect_se,
            estimate_a=estimates[0],
            estimate_b=estimates[1],
            se=row["se"],
            df=df,
            n_effective_a=float(a.n_effective[0]),
            n_effective_b=float(b.n_effective[0]),
            design=design.kind,
            **common,
            estimates=estimates,
            reason=reason,
        )
    omnibus = _wald(x, codes, k, design)
    table = _adjusted(
        lambda level: [pair(i, j, level, "two-sided") for i, j in pairs], confidence, adjust
    )
    return _wald_f_result(
        metric_.name,
        omnibus,
        common,
        confidence=confidence,
        design=design.kind,
        n_effective=design.n_effective,
        estimates=estimates,
        reason=reason + f"; pairs: design-based t tests, {adjust}-adjusted",
        posthoc=table,
    )


def _mann_whitney(
    x: np.ndarray,
    codes: np.ndarray,
    k: int,
    groups: list[np.ndarray],
    design: Design,
    confidence: float,
    alternative: str,
    adjust: str,
    common: dict[str, Any],
    reason: str,
) -> GroupComparison:
    a, b = groups
    res = gt.mann_whitney(a, b, alternative=alternative, confidence=confidence)
    medians = (float(np.median(a)), float(np.median(b)))
    return _result(
        metric="median",
        difference=medians[0] - medians[1],
        statistic=res.statistic,
        pvalue=res.pvalue,
        test="Mann-Whitney U test",
        effect_size=res.effect,
        effect_size_name="rank-biserial correlation",
        n_a=common["n"][0],
        n_b=common["n"][1],
        confidence=confidence,
        alternative=alternative,
        effect_size_ci_low=res.effect_low,
        effect_size_ci_high=res.effect_high,
        estimate_a=medians[0],
        estimate_b=medians[1],
        **common,
        estimates=medians,
        reason=reason,
    )


def _table_test(
    test: str,
    correct: bool,
    x: np.ndarray,
    codes: np.ndarray,
    k: int,
    groups: list[np.ndarray],
    design: Design,
    confidence: float,
    alternative: str,
    adjust: str,
    common: dict[str, Any],
    reason: str,
) -> GroupComparison:
    table = _table(groups)
    binary = table.shape[1] == 2
    shares = tuple(float(100.0 * row[0] / row.sum()) for row in table) if binary else ()
    two = (
        {"estimate_a": shares[0], "estimate_b": shares[1], "difference": shares[0] - shares[1]}
        if binary and k == 2
        else {}
    )
    if test == "fisher":
        res = gt.fisher_2x2(table, alternative=alternative, confidence=confidence)
        return _result(
            metric="share",
            statistic=res.odds_ratio,
            pvalue=res.pvalue,
            test="Fisher's exact test (central)",
            effect_size=res.odds_ratio,
            effect_size_name="odds ratio (conditional MLE)",
            n_a=common["n"][0],
            n_b=common["n"][1],
            confidence=confidence,
            alternative=alternative,
            effect_size_ci_low=res.ci_low,
            effect_size_ci_high=res.ci_high,
            **two,
            **common,
            estimates=shares,
            reason=reason,
        )
    if alternative != "two-sided":
        raise ValueError(
            f"alternative must be 'two-sided' for the chi-square test, got {alternative!r}"
        )
    res_c = gt.chi_square(table, correct=correct)
    small = int((res_c.expected < 5).sum())
    note = (
        f"; {small} of {res_c.expected.size} expected counts < 5: p is approximate" if small else ""
    )
    pairs = None
    if k > 2 and binary:
        s = _SHARE.summarize(x, design, codes, k)
        pairs = _registry_pairs(_SHARE, s, common, confidence, adjust)
        note += f"; pairs: {pairs['test'].iloc[0]}, {adjust}-adjusted"
    name = "chi-square test" + (" with Yates' correction" if res_c.corrected else "")
    return _result(
        metric="share" if binary else "distribution",
        statistic=res_c.statistic,
        pvalue=res_c.pvalue,
        test=name,
        effect_size=res_c.cramers_v,
        effect_size_name="Cramér's V",
        **_k_fields(common, k),
        confidence=confidence,
        df=res_c.df,
        **two,
        **common,
        estimates=shares,
        reason=reason + note,
        posthoc=pairs,
    )


def _omnibus(
    test: str,
    x: np.ndarray,
    codes: np.ndarray,
    k: int,
    groups: list[np.ndarray],
    design: Design,
    confidence: float,
    alternative: str,
    adjust: str,
    common: dict[str, Any],
    reason: str,
) -> GroupComparison:
    if test == "welch-anova":
        if any(g.var(ddof=1) == 0 for g in groups):
            flat = [common["groups"][i] for i, g in enumerate(groups) if g.var(ddof=1) == 0]
            raise ValueError(
                f"value: group(s) {flat} have identical answers; Welch ANOVA needs variance"
            )
        res = gt.welch_anova(groups)
        estimates = tuple(float(g.mean()) for g in groups)
        rows = []
        for r in gt.games_howell(groups, confidence=confidence):
            i, j = int(r["i"]), int(r["j"])
            rows.append(
                {
                    "group_a": common["groups"][i],
                    "group_b": common["groups"][j],
                    "n_a": common["n"][i],
                    "n_b": common["n"][j],
                    "estimate_a": estimates[i],
                    "estimate_b": estimates[j],
                    **{
                        f: r[f]
                        for f in (
                            "difference",
                            "ci_low",
                            "ci_high",
                            "se",
                            "statistic",
                            "df",
                            "pvalue",
                        )
                    },
                    "pvalue_adjusted": r["pvalue"],
                    "adjust": "studentized range",
                    "significant": r["pvalue"] < 1.0 - confidence,
                    "confidence": confidence,
                    "test": "Games-Howell",
                }
            )
        pairs = _pairs_frame(rows)
        name, metric_, pair_name = "Welch ANOVA", "mean", "Games-Howell (family-wise)"
    else:
        res = gt.kruskal_wallis(groups)
        estimates = tuple(float(np.median(g)) for g in groups)
        ranks = dict(zip(range(k), _mean_ranks(groups), strict=True))
        rows = []
        for r in gt.dunn(groups):
            i, j = int(r["i"]), int(r["j"])
            rows.append(
                {
                    "group_a": common["groups"][i],
                    "group_b": common["groups"][j],
                    "n_a": common["n"][i],
                    "n_b": common["n"][j],
                    "estimate_a": ranks[i],
                    "estimate_b": ranks[j],
                    "difference": r["difference"],
                    "ci_low": np.nan,
                    "ci_high": np.nan,
                    "se": r["se"],
                    "statistic": r["statistic"],
                    "df": np.inf,
                    "pvalue": r["pvalue"],
                    "test": "Dunn (mean ranks)",
                }
            )
        pairs = _pairs_frame(rows)
        pairs["pvalue_adjusted"] = adjust_pvalues(pairs["pvalue"].to_numpy(dtype="float64"), adjust)
        pairs["adjust"] = adjust
        pairs["significant"] = pairs["pvalue_adjusted"] < 1.0 - confidence
        pairs["confidence"] = confidence
        name, metric_, pair_name = "Kruskal-Wallis test", "median", f"Dunn, {adjust}-adjusted"
    return _result(
        metric=metric_,
        statistic=res.statistic,
        pvalue=res.pvalue,
        test=name,
        effect_size=res.effect,
        effect_size_name=res.effect_name,
        **_k_fields(common, k),
        confidence=confidence,
        df=res.df,
        df2=res.df2,
        **common,
        estimates=estimates,
        reason=reason + f"; pairs: {pair_name}",
        posthoc=pairs,
    )


def _mean_ranks(groups: list[np.ndarray]) -> list[float]:
    from scipy import stats  # imported when used (stats/distributions.py)

    ranks = stats.rankdata(np.concatenate(groups))
    bounds = np.cumsum([0, *[g.size for g in groups]])
    return [float(ranks[bounds[g] : bounds[g + 1]].mean()) for g in range(len(groups))]
