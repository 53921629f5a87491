"""Classical tests between groups of unweighted answers, each pinned to R.

The building blocks of :func:`cxresearch.compare_groups` when no weights are given: plain
functions on arrays (one per group) that return small result records. Every one is pinned
to R in ``tests/reference/test_groups.py``:

* :func:`mann_whitney` — R ``wilcox.test(exact = FALSE, correct = TRUE)`` (the normal
  approximation with the tie correction R uses whenever answers are tied);
* :func:`welch_anova` — R ``oneway.test(var.equal = FALSE)``;
* :func:`games_howell` — R ``rstatix::games_howell_test``;
* :func:`kruskal_wallis` — R ``kruskal.test``; :func:`dunn` — R ``rstatix::dunn_test``;
* :func:`chi_square` — R ``chisq.test`` (Yates' correction on 2 × 2 when asked) and
  ``prop.test``, which is the same test for two proportions;
* :func:`fisher_2x2` — R ``fisher.test``: the conditional maximum-likelihood odds ratio and
  its exact interval, with the *central* two-sided p-value (twice the smaller one-sided
  p), the p-value whose test that interval inverts.

References
----------
Welch, B. L. (1951). On the comparison of several mean values: an alternative approach.
*Biometrika* 38, 330–336. Games, P. A. & Howell, J. F. (1976). Pairwise multiple comparison
procedures with unequal n's and/or variances. *J. Educ. Statist.* 1, 113–125. Kruskal, W.
H. & Wallis, W. A. (1952). *JASA* 47, 583–621. Dunn, O. J. (1964). Multiple comparisons
using rank sums. *Technometrics* 6, 241–252. Agresti, A. (2013). *Categorical Data
Analysis*, 3rd ed., §3.5 (exact conditional inference for 2 × 2 tables). Kerby, D. S.
(2014). The simple difference formula: an approach to teaching nonparametric correlation.
*Comprehensive Psychology* 3, 11.IT.3.1 (rank-biserial correlation).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

from cxresearch.stats.distributions import chi2_sf, f_sf, norm_cdf, norm_ppf, norm_sf

__all__ = [
    "ChiSquare",
    "Fisher",
    "MannWhitney",
    "OmnibusTest",
    "chi_square",
    "dunn",
    "fisher_2x2",
    "games_howell",
    "kruskal_wallis",
    "mann_whitney",
    "welch_anova",
]


@dataclass(frozen=True)
class MannWhitney:
    """Wilcoxon–Mann–Whitney test of group ``a`` against ``b``.

    ``statistic`` is R's W (the U of ``a``: pairs with a > b, ties counting one half);
    ``effect`` the rank-biserial correlation ``2W/(n_a n_b) − 1`` (positive when ``a``
    tends higher), with the interval that inverts the test (its null variance and
    continuity correction), so the interval excludes 0 exactly when p < α.
    """

    statistic: float
    z: float
    pvalue: float
    effect: float
    effect_low: float
    effect_high: float


@dataclass(frozen=True)
class OmnibusTest:
    """A k-group test: statistic, its df (``df2`` for F tests), p-value and effect size."""

    statistic: float
    df: float
    df2: float
    pvalue: float
    effect: float
    effect_name: str


@dataclass(frozen=True)
class ChiSquare:
    """Pearson's chi-square test of a groups × answers table."""

    statistic: float
    df: float
    pvalue: float
    cramers_v: float
    expected: np.ndarray
    corrected: bool


@dataclass(frozen=True)
class Fisher:
    """Fisher's exact test of a 2 × 2 table: conditional MLE odds ratio and exact interval."""

    pvalue: float
    odds_ratio: float
    ci_low: float
    ci_high: float


def _side_p(z: float, alternative: str) -> float:
    if alternative == "two-sided":
        return float(2.0 * norm_sf(abs(z)))
    if alternative == "greater":
        return float(norm_sf(z))
    return float(norm_cdf(z))


def _tie_term(ranks_or_values: np.ndarray) -> float:
    """Σ (t³ − t) over the tied groups."""
    _, counts = np.unique(ranks_or_values, return_counts=True)
    t = counts.astype("float64")
    return float(np.sum(t**3 - t))


def mann_whitney(
    a: np.ndarray, b: np.ndarray, *, alternative: str = "two-sided", confidence: float = 0.95
) -> MannWhitney:
    """R ``wilcox.test(a, b, exact = FALSE, correct = TRUE)`` with the rank-biserial effect.

    Examples
    --------
    >>> round(mann_whitney(np.array([1., 2, 3, 4]), np.array([3., 4, 5, 6])).pvalue, 4)
    0.1081
    """
    from scipy import stats  # imported when used (stats/distributions.py)

    na, nb = a.size, b.size
    ranks = stats.rankdata(np.concatenate([a, b]))
    w = float(ranks[:na].sum() - na * (na + 1) / 2.0)
    n = na + nb
    mu = na * nb / 2.0
    sigma = float(np.sqrt(na * nb / 12.0 * ((n + 1) - _tie_term(ranks) / (n * (n - 1)))))
    if not sigma > 0:
        raise ValueError("value: every answer is the same, the rank test has nothing to compare")
    correction = {"two-sided": np.sign(w - mu) * 0.5, "greater": 0.5, "less": -0.5}[alternative]
    z = float((w - mu - correction) / sigma)
    level = confidence if alternative != "two-sided" else 0.5 + confidence / 2.0
    half = float(norm_ppf(level)) * sigma + 0.5
    pairs = float(na * nb)
    low = -1.0 if alternative == "less" else max(-1.0, 2.0 * (w - half) / pairs - 1.0)
    high = 1.0 if alternative == "greater" else min(1.0, 2.0 * (w + half) / pairs - 1.0)
    return MannWhitney(w, z, _side_p(z, alternative), 2.0 * w / pairs - 1.0, low, high)


def welch_anova(groups: list[np.ndarray]) -> OmnibusTest:
    """R ``oneway.test(var.equal = FALSE)``: Welch's F for k means with unequal variances.

    The effect size is η² (between-group over total sum of squares), as
    ``pingouin.welch_anova``'s ``np2``.

    Examples
    --------
    >>> res = welch_anova([np.array([1., 2, 3]), np.array([2., 4, 6]), np.array([5., 6, 8])])
    >>> round(res.statistic, 4), round(res.df2, 4)
    (7.2918, 3.6978)
    """
    k = len(groups)
    n = np.array([g.size for g in groups], dtype="float64")
    means = np.array([g.mean() for g in groups])
    var = np.array([g.var(ddof=1) for g in groups])
    w = n / var
    total = w.sum()
    grand = float((w * means).sum() / total)
    a = float((w * (means - grand) ** 2).sum() / (k - 1))
    tmp = float(((1.0 - w / total) ** 2 / (n - 1.0)).sum())
    b = 1.0 + 2.0 * (k - 2.0) / (k**2 - 1.0) * tmp
    f = a / b
    df2 = (k**2 - 1.0) / (3.0 * tmp)
    values = np.concatenate(groups)
    ss_total = float(((values - values.mean()) ** 2).sum())
    ss_between = float((n * (means - values.mean()) ** 2).sum())
    eta2 = ss_between / ss_total if ss_total > 0 else float("nan")
    return OmnibusTest(f, k - 1.0, df2, float(f_sf(f, k - 1.0, df2)), eta2, "eta squared")


def games_howell(groups: list[np.ndarray], *, confidence: float = 0.95) -> list[dict[str, float]]:
    """Games–Howell pairs: Welch t per pair judged on the studentized range of k groups.

    For each pair ``(i, j)``, ``i < j``: ``difference = mean_i − mean_j``, its SE
    ``sqrt(s_i²/n_i + s_j²/n_j)``, Welch df, the p-value ``P(q > |t|·√2)`` from the
    studentized range with k groups, and the interval ``difference ± q_crit/√2 · SE``,
    which excludes 0 exactly when p < 1 − confidence (family-wise, so no further
    adjustment). R ``rstatix::games_howell_test`` gives ``p.adj`` = this p.
    """
    from scipy import stats  # imported when used (stats/distributions.py)

    k = len(groups)
    out = []
    for i, j in combinations(range(k), 2):
        a, b = groups[i], groups[j]
        va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
        se = float(np.sqrt(va + vb))
        df = float((va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1)))
        diff = float(a.mean() - b.mean())
        t = diff / se
        q_crit = float(stats.studentized_range.ppf(confidence, k, df))
        out.append(
            {
                "i": i,
                "j": j,
                "difference": diff,
                "se": se,
                "df": df,
                "statistic": t,
                "pvalue": float(stats.studentized_range.sf(abs(t) * np.sqrt(2.0), k, df)),
                "ci_low": diff - q_crit / np.sqrt(2.0) * se,
                "ci_high": diff + q_crit / np.sqrt(2.0) * se,
            }
        )
    return out


def kruskal_wallis(groups: list[np.ndarray]) -> OmnibusTest:
    """R ``kruskal.test``: the tie-corrected H statistic on k − 1 df.

    The effect size is ε² = H / (n − 1) (Tomczak & Tomczak 2014, the rank analogue of η²).
    """
    from scipy import stats  # imported when used (stats/distributions.py)

    h, p = stats.kruskal(*groups)
    n = sum(g.size for g in groups)
    return OmnibusTest(
        float(h), len(groups) - 1.0, float("nan"), float(p), float(h) / (n - 1.0), "epsilon squared"
    )


def dunn(groups: list[np.ndarray]) -> list[dict[str, float]]:
    """Dunn's (1964) pairwise z tests on the mean ranks of the pooled sample, tie-corrected.

    ``difference`` is the mean rank of ``i`` minus that of ``j``; p-values are unadjusted
    two-sided (the caller adjusts). R ``rstatix::dunn_test``.
    """
    from scipy import stats  # imported when used (stats/distributions.py)

    values = np.concatenate(groups)
    ranks = stats.rankdata(values)
    n = values.size
    sizes = [g.size for g in groups]
    bounds = np.cumsum([0, *sizes])
    mean_ranks = [float(ranks[bounds[g] : bounds[g + 1]].mean()) for g in range(len(groups))]
    s2 = n * (n + 1) / 12.0 - _tie_term(ranks) / (12.0 * (n - 1))
    out = []
    for i, j in combinations(range(len(groups)), 2):
        se = float(np.sqrt(s2 * (1.0 / sizes[i] + 1.0 / sizes[j])))
        diff = mean_ranks[i] - mean_ranks[j]
        z = diff / se
        out.append(
            {
                "i": i,
                "j": j,
                "difference": diff,
                "se": se,
                "statistic": z,
                "pvalue": _side_p(z, "two-sided"),
            }
        )
    return out


def chi_square(table: np.ndarray, *, correct: bool = True) -> ChiSquare:
    """Pearson's chi-square test of independence of an r × c table of counts.

    With ``correct`` a 2 × 2 table gets Yates' continuity correction as R applies it
    (``|O − E|`` reduced by ``min(0.5, |O − E|)``). Cramér's V is from the uncorrected
    statistic.
    """
    observed = np.asarray(table, dtype="float64")
    n = observed.sum()
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / n
    gap = np.abs(observed - expected)
    yates = correct and observed.shape == (2, 2)
    if yates:
        gap = gap - np.minimum(0.5, gap)
    statistic = float((gap**2 / expected).sum())
    plain = float(((observed - expected) ** 2 / expected).sum())
    df = float((observed.shape[0] - 1) * (observed.shape[1] - 1))
    v = float(np.sqrt(plain / (n * (min(observed.shape) - 1))))
    return ChiSquare(statistic, df, float(chi2_sf(statistic, df)), v, expected, yates)


def _noncentral_hypergeometric(table: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Support, log-density at odds ratio 1 and observed count of the conditional law."""
    from scipy import stats  # imported when used (stats/distributions.py)

    x = table[0, 0]
    m = table[:, 0].sum()  # first column: "success"
    nn = table[:, 1].sum()
    k = table[0, :].sum()  # first row: group a
    support = np.arange(max(0.0, k - nn), min(k, m) + 1.0)
    logdc = stats.hypergeom.logpmf(support, m + nn, m, k)
    return support, logdc, float(x)


def fisher_2x2(
    table: np.ndarray, *, alternative: str = "two-sided", confidence: float = 0.95
) -> Fisher:
    """Fisher's exact test of a 2 × 2 table (rows: groups a, b; columns: yes, no).

    The odds ratio is the conditional maximum-likelihood estimate and its interval the
    exact conditional one (R ``fisher.test``'s ``estimate`` and ``conf.int``, here solved to
    1e-12 where R's ``uniroot`` stops at about 1e-4). The two-sided p-value is the central
    one, ``min(1, 2 · min(p_less, p_greater))`` from R's one-sided ``fisher.test`` p-values:
    the test this interval inverts, so "significant" agrees with the interval excluding 1.
    (R's default two-sided p sums the tables no more likely than the observed one; it can
    be smaller than the central p and then contradict the printed interval.)
    """
    observed = np.asarray(table, dtype="float64")
    support, logdc, x = _noncentral_hypergeometric(observed)

    def density(log_or: float) -> np.ndarray:
        d = logdc + log_or * support
        d = np.exp(d - d.max())
        return d / d.sum()

    def p_upper(log_or: float) -> float:  # P(X >= x)
        return float(density(log_or)[support >= x].sum())

    def p_lower(log_or: float) -> float:  # P(X <= x)
        return float(density(log_or)[support <= x].sum())

    def solve(f: object, target: float) -> float:
        from scipy import optimize  # with scipy.stats: imported when used

        g = lambda t: f(t) - target  # type: ignore[operator]  # noqa: E731
        lo, hi = -1.0, 1.0
        while g(lo) * g(hi) > 0 and hi < 700:
            lo, hi = lo * 2, hi * 2
        return float(np.exp(optimize.brentq(g, lo, hi, xtol=1e-13, rtol=1e-14)))

    lo_s, hi_s = support[0], support[-1]
    if x == lo_s:
        estimate = 0.0
    elif x == hi_s:
        estimate = float("inf")
    else:
        estimate = solve(lambda t: float((density(t) * support).sum()), x)
    p_less, p_greater = p_lower(0.0), p_upper(0.0)
    alpha = 1.0 - confidence
    tail = alpha / 2.0 if alternative == "two-sided" else alpha
    low = 0.0 if x == lo_s or alternative == "less" else solve(p_upper, tail)
    high = float("inf") if x == hi_s or alternative == "greater" else solve(p_lower, tail)
    pvalue = {
        "two-sided": min(1.0, 2.0 * min(p_less, p_greater)),
        "greater": p_greater,
        "less": p_less,
    }[alternative]
    return Fisher(pvalue, estimate, low, high)
