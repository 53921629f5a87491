"""``compare_groups`` pinned to R 4.2.2 (base R, survey 4.1.1, rstatix 0.7.2).

Unweighted data: tests/reference/data/groups.csv (43 answers in groups a, b, c: a 1–5
``rating``, a continuous ``score``, a yes/no ``flag``). Weighted data: design.csv as in
tests/reference/test_design.py. Every R session starts with

    options(digits = 15)
    d <- read.csv("tests/reference/data/groups.csv")
    ab <- subset(d, group != "c"); ab$group <- factor(ab$group)
    ac <- subset(d, group != "b"); ac$group <- factor(ac$group)

and, for the survey values, the designs ``w`` (weights only), ``r`` (raked) and ``cl``
(clustered by respondent) of tests/reference/test_design.py's docstring, with
``d$z <- (d$nps >= 9) - (d$nps <= 6)``.

Tolerance 1e-6 absolute on every statistic, p-value, df and bound (observed agreement
1e-10 or better, Games–Howell bounds 1e-10 through scipy's studentized range).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import cxresearch as cx

HERE = Path(__file__).parent / "data"
D = pd.read_csv(HERE / "groups.csv")
AB = D[D["group"] != "c"]
AC = D[D["group"] != "b"]
W = pd.read_csv(HERE / "design.csv")
MARGINS = {
    "region": {"uusimaa": 0.31, "pirkanmaa": 0.10, "muu": 0.59},
    "size": {"small": 0.6, "large": 0.4},
    "age": {"18-34": 0.25, "35-54": 0.35, "55+": 0.40},
}
TOL = 1e-6


def approx(value: float) -> object:
    return pytest.approx(value, abs=TOL)


def test_welch_matches_t_test() -> None:
    # R: r <- t.test(score ~ group, ab); t -1.7938994200163518, df 23.7631375877998856,
    #    p 0.0855649830044571, conf.int -3.0215056606405075 0.2122619631615150
    res = cx.compare_groups(AB, "score", by="group")
    assert res.test == "Welch two-sample t test" and "interval" in res.reason
    assert res.statistic == approx(-1.7938994200163518)
    assert res.df == approx(23.7631375877998856)
    assert res.pvalue == approx(0.0855649830044571)
    assert (res.ci_low, res.ci_high) == (approx(-3.0215056606405075), approx(0.2122619631615150))
    assert (res.estimate_a, res.estimate_b) == (
        approx(6.5071428571428571),
        approx(7.9117647058823533),
    )
    # R: t.test(score ~ group, ab, alternative = "greater"): p 0.957217508497771,
    #    conf.int -2.744777107977155 Inf
    res = cx.compare_groups(AB, "score", by="group", test="welch", alternative="greater")
    assert res.pvalue == approx(0.957217508497771)
    assert res.ci_low == approx(-2.744777107977155) and res.ci_high == float("inf")


def test_mann_whitney_matches_wilcox_test() -> None:
    # R: wilcox.test(rating ~ group, ab, correct = TRUE, exact = FALSE): W 74.5,
    #    p 0.0581429002158076; alternative = "less": p 0.0290714501079038
    res = cx.compare_groups(AB, "rating", by="group")
    assert res.test == "Mann-Whitney U test" and "ordinal" in res.reason
    assert res.statistic == approx(74.5) and res.pvalue == approx(0.0581429002158076)
    less = cx.compare_groups(AB, "rating", by="group", test="mann-whitney", alternative="less")
    assert less.pvalue == approx(0.0290714501079038)
    # R: wilcox.test(score ~ group, ab, correct = TRUE, exact = FALSE): W 77.5,
    #    p 0.103395137944312
    res = cx.compare_groups(AB, "score", by="group", test="mann-whitney")
    assert res.statistic == approx(77.5) and res.pvalue == approx(0.103395137944312)
    # rank-biserial r = 2W/(n_a n_b) − 1 = 2 · 77.5 / (14 · 17) − 1
    assert res.effect_size == approx(2 * 77.5 / (14 * 17) - 1)
    assert res.effect_size_ci_low < 0 < res.effect_size_ci_high  # p > 0.05


def test_two_proportion_is_the_agresti_caffo_pair() -> None:
    # R: x <- tapply(ab$flag, ab$group, sum); n <- tapply(ab$flag, ab$group, length)
    #    p1 <- (x[1]+1)/(n[1]+2); p2 <- (x[2]+1)/(n[2]+2)
    #    se <- sqrt(p1*(1-p1)/(n[1]+2) + p2*(1-p2)/(n[2]+2)); (p1-p2)/se -0.788142612790114
    #    2*pnorm(-abs((p1-p2)/se)) 0.430613292093245
    #    p1-p2 + c(-1,1)*qnorm(.975)*se -0.458791299271127 0.195633404534285
    res = cx.compare_groups(AB, "flag", by="group")
    assert res.test == "two-proportion z test, Agresti-Caffo"
    assert res.statistic == approx(-0.788142612790114)
    assert res.pvalue == approx(0.430613292093245)
    assert (res.ci_low, res.ci_high) == (approx(-45.8791299271127), approx(19.5633404534285))
    assert (res.estimate_a, res.estimate_b) == (approx(50.0), approx(100 * 11 / 17))


@pytest.mark.parametrize(
    ("correct", "statistic", "pvalue"),
    [
        # R: chisq.test(table(ab$group, ab$flag), correct = TRUE) 0.211659663865546, df 1,
        #    p 0.645469674949591; prop.test(x, n, correct = TRUE) the same X-squared and p
        (True, 0.211659663865546, 0.645469674949591),
        # R: chisq.test(..., correct = FALSE) 0.681875314228255, p 0.408941713492964;
        #    prop.test(x, n, correct = FALSE) the same
        (False, 0.681875314228255, 0.408941713492964),
    ],
)
def test_chi_square_matches_chisq_test_and_prop_test(
    correct: bool, statistic: float, pvalue: float
) -> None:
    res = cx.compare_groups(AB, "flag", by="group", test="chi-square", correct=correct)
    assert res.statistic == approx(statistic) and res.pvalue == approx(pvalue)
    assert res.df == 1 and ("Yates" in res.test) is correct
    assert res.difference == approx(50.0 - 100 * 11 / 17)  # prop.test estimate 0.5, 0.647


def test_chi_square_in_three_groups_matches_chisq_test() -> None:
    # R: chisq.test(table(d$group, d$flag)): X-squared 6.6268755328218250, df 2,
    #    p 0.0363908552095161
    res = cx.compare_groups(D, "flag", by="group")
    assert res.test == "chi-square test" and res.df == 2
    assert res.statistic == approx(6.6268755328218250) and res.pvalue == approx(0.0363908552095161)
    assert list(res.posthoc["test"].unique()) == ["two-proportion z test, Agresti-Caffo"]
    # R: chisq.test(table(d$group, d$rating)): X-squared 11.895870848339335, df 8,
    #    p 0.155910691151478
    res = cx.compare_groups(D, "rating", by="group", test="chi-square")
    assert res.statistic == approx(11.895870848339335) and res.df == 8
    assert res.pvalue == approx(0.155910691151478)
    assert "expected counts < 5" in res.reason


def test_fisher_matches_fisher_test() -> None:
    # R: tf <- table(ac$group, ac$flag)[, c("1", "0")]  # a: 7 yes 7 no; c: 2 yes 10 no
    #    fisher.test(tf, alternative = "less")$p.value 0.9878260869565217
    #    fisher.test(tf, alternative = "greater")$p.value 0.0846681922196797
    #    central two-sided p: min(1, 2 * min(less, greater)) 0.1693363844393593
    #    (fisher.test(tf)$p.value, the minimum-likelihood p, is 0.110022883295195)
    res = cx.compare_groups(AC, "flag", by="group")
    assert res.test == "Fisher's exact test (central)" and "expected count is 4.15" in res.reason
    assert res.pvalue == approx(0.1693363844393593)
    # R: fisher.test(tf)$estimate 4.689317554709138, conf.int 0.628791402672491
    #    59.690997343932814 — R's uniroot stops at tol ~1e-4; its own code (mnhyper,
    #    pnhyper of stats:::fisher.test) with uniroot(tol = 1e-14) gives 4.68930110105732
    #    and 0.62879120246578 59.66421823394052
    assert res.effect_size == approx(4.68930110105732)
    assert res.effect_size == pytest.approx(4.689317554709138, rel=1e-4)
    assert res.effect_size_ci_low == approx(0.62879120246578)
    assert res.effect_size_ci_high == pytest.approx(59.66421823394052, rel=1e-9)
    # R: fisher.test(tf, alternative = "greater"): p 0.0846681922196797; lower bound by the
    #    same code at alpha 0.05: 0.806845142602351
    res = cx.compare_groups(AC, "flag", by="group", test="fisher", alternative="greater")
    assert res.pvalue == approx(0.0846681922196797)
    assert res.effect_size_ci_low == approx(0.806845142602351)


def test_welch_anova_and_games_howell_match_oneway_test_and_rstatix() -> None:
    # R: oneway.test(score ~ group, d): F 3.5290776734285001, num df 2,
    #    denom df 23.1844510618134372, p 0.0459195379971721
    res = cx.compare_groups(D, "score", by="group")
    assert res.test == "Welch ANOVA" and (res.n_a, res.n_b) == (43, 0)
    assert res.statistic == approx(3.5290776734285001) and res.df == 2
    assert res.df2 == approx(23.1844510618134372) and res.pvalue == approx(0.0459195379971721)
    # R: library(rstatix); games_howell_test(d, score ~ group, detailed = TRUE): estimate
    #    (group2 − group1) 1.404621848739496 -0.423809523809524 -1.828431372549020;
    #    conf.low -0.55201519283796 -1.44010367112730 -3.65002704949165; conf.high
    #    3.36125889031695202 0.59248462350824727 -0.00683569560638575; df 23.7631375877999
    #    17.9495203991862 17.7506262978410; p.adj (rounded by rstatix; its formula
    #    ptukey(abs(statistic) * sqrt(2), 3, df, lower.tail = FALSE)) 0.1931843774003981
    #    0.5473951148226086 0.0490605680554211. Our difference is group_a − group_b.
    gh = res.posthoc
    assert gh["group_a"].tolist() == ["a", "a", "b"] and gh["group_b"].tolist() == ["b", "c", "c"]
    for got, want in zip(
        gh.to_dict("records"),
        [
            (
                1.404621848739496,
                -0.55201519283796,
                3.36125889031695202,
                23.7631375877999,
                0.1931843774003981,
            ),
            (
                -0.423809523809524,
                -1.44010367112730,
                0.59248462350824727,
                17.9495203991862,
                0.5473951148226086,
            ),
            (
                -1.828431372549020,
                -3.65002704949165,
                -0.00683569560638575,
                17.7506262978410,
                0.0490605680554211,
            ),
        ],
        strict=True,
    ):
        diff, low, high, df, p = want
        assert got["difference"] == approx(-diff)
        assert (got["ci_low"], got["ci_high"]) == (approx(-high), approx(-low))
        assert got["df"] == approx(df) and got["pvalue_adjusted"] == approx(p)
    assert gh["significant"].tolist() == [False, False, True]


def test_kruskal_and_dunn_match_kruskal_test_and_rstatix() -> None:
    # R: kruskal.test(rating ~ group, d): chi-squared 4.220963248687456, df 2,
    #    p 0.121179589336407
    res = cx.compare_groups(D, "rating", by="group")
    assert res.test == "Kruskal-Wallis test"
    assert res.statistic == approx(4.220963248687456) and res.df == 2
    assert res.pvalue == approx(0.121179589336407)
    # R: kruskal.test(score ~ group, d): 5.9060105689138656, p 0.0521826463662358
    res_s = cx.compare_groups(D, "score", by="group", test="kruskal")
    assert res_s.statistic == approx(5.9060105689138656)
    assert res_s.pvalue == approx(0.0521826463662358)
    # R: dunn_test(d, rating ~ group, p.adjust.method = "holm", detailed = TRUE):
    #    estimate (mean rank group2 − group1) 7.77941176470588 0.625 -7.15441176470588;
    #    statistic 1.839916924881200 0.135610028631697 -1.619697232378523;
    #    p 0.0657804348098853 0.8921295769959930 0.1052973310239813;
    #    p.adj 0.197341304429656 0.892129576995993 0.210594662047963
    dunn = res.posthoc
    assert dunn["difference"].tolist() == [
        approx(-7.77941176470588),
        approx(-0.625),
        approx(7.15441176470588),
    ]
    assert dunn["statistic"].tolist() == [
        approx(-1.8399169248812),
        approx(-0.135610028631697),
        approx(1.619697232378523),
    ]
    assert dunn["pvalue"].tolist() == [
        approx(0.0657804348098853),
        approx(0.892129576995993),
        approx(0.1052973310239813),
    ]
    assert dunn["pvalue_adjusted"].tolist() == [
        approx(0.197341304429656),
        approx(0.892129576995993),
        approx(0.210594662047963),
    ]


@pytest.mark.parametrize(
    ("design", "t", "df", "p", "low", "high"),
    [
        # R: svyttest(nps ~ touchpoint, w): t 0.02582046424996132, df 238,
        #    p 0.97942217544800336, difference (web − app) 0.00783237676635546,
        #    conf.int -0.58974160225545202 0.60540635578816304
        (
            "weights",
            0.02582046424996132,
            238,
            0.97942217544800336,
            -0.58974160225545202,
            0.60540635578816304,
        ),
        # R: svyttest(nps ~ touchpoint, r): t 0.1208585753449392, df 238,
        #    p 0.9039050242475588, conf.int -0.6092660824403747 0.6889092782193059
        (
            "raked",
            0.1208585753449392,
            238,
            0.9039050242475588,
            -0.6092660824403747,
            0.6889092782193059,
        ),
        # R: svyttest(nps ~ touchpoint, cl): t 0.02617443597268465, df 118,
        #    p 0.97916241991920949, conf.int -0.58473964168898995 0.60040439522170097
        (
            "clusters",
            0.02617443597268465,
            118,
            0.97916241991920949,
            -0.58473964168898995,
            0.60040439522170097,
        ),
    ],
)
def test_weighted_two_groups_match_svyttest(
    design: str, t: float, df: float, p: float, low: float, high: float
) -> None:
    weights = cx.rake(W, MARGINS, tol=1e-12) if design == "raked" else "w"
    ids = "respondent" if design == "clusters" else None
    res = cx.compare_groups(W, "nps", by="touchpoint", weights=weights, ids=ids)
    assert res.test == "design-based t test" and "weighted" in res.reason
    # svyttest's difference is the second level minus the first; ours app − web.
    assert res.statistic == approx(-t) and res.df == df and res.pvalue == approx(p)
    assert (res.ci_low, res.ci_high) == (approx(-high), approx(-low))


@pytest.mark.parametrize(
    ("design", "f", "ddf", "p", "contrast", "se"),
    [
        # R: m <- svyglm(nps ~ region, w); regTermTest(m, ~region): F 0.460576148720427,
        #    df 2, ddf 237, p 0.631483543891986; svycontrast(m, c(0, 1, -1)) (pirkanmaa −
        #    uusimaa) 0.264930085349428, SE 0.397472997204760
        (
            "weights",
            0.460576148720427,
            237,
            0.631483543891986,
            0.264930085349428,
            0.397472997204760,
        ),
        # R: the same with r: F 1.038179083359581, ddf 237, p 0.355703512246036;
        #    contrast -0.0262671869443046, SE 0.4385112464212119
        (
            "raked",
            1.038179083359581,
            237,
            0.355703512246036,
            -0.0262671869443046,
            0.4385112464212119,
        ),
        # R: the same with cl: F 0.513294756094610, ddf 117, p 0.599861820609028;
        #    contrast 0.264930085349428, SE 0.378998153519009
        (
            "clusters",
            0.513294756094610,
            117,
            0.599861820609028,
            0.264930085349428,
            0.378998153519009,
        ),
    ],
)
def test_weighted_k_groups_match_regtermtest_and_svycontrast(
    design: str, f: float, ddf: float, p: float, contrast: float, se: float
) -> None:
    weights = cx.rake(W, MARGINS, tol=1e-12) if design == "raked" else "w"
    ids = "respondent" if design == "clusters" else None
    res = cx.compare_groups(W, "nps", by="region", weights=weights, ids=ids)
    assert res.test == "design-based Wald F test" and res.groups == ("muu", "pirkanmaa", "uusimaa")
    assert res.statistic == approx(f) and (res.df, res.df2) == (2, ddf)
    assert res.pvalue == approx(p)
    pair = res.posthoc.iloc[2]
    assert (pair["group_a"], pair["group_b"]) == ("pirkanmaa", "uusimaa")
    assert pair["difference"] == approx(contrast) and pair["se"] == approx(se)
    assert pair["df"] == ddf


@pytest.mark.parametrize(
    ("weights", "f", "p"),
    [
        # R: u <- svydesign(ids = ~1, weights = ~1, data = d)
        #    regTermTest(svyglm(z ~ region, u), ~region): F 0.606850455385096, ddf 237,
        #    p 0.545909608625741
        (None, 0.606850455385096, 0.545909608625741),
        # R: regTermTest(svyglm(z ~ region, w), ~region): 0.288184949877630, p 0.749885243625726
        ("w", 0.288184949877630, 0.749885243625726),
        # R: regTermTest(svyglm(z ~ region, r), ~region): 0.501370345678547, p 0.606341035943049
        ("raked", 0.501370345678547, 0.606341035943049),
    ],
)
def test_nps_in_k_groups_is_the_design_based_wald_test(
    weights: str | None, f: float, p: float
) -> None:
    w = cx.rake(W, MARGINS, tol=1e-12) if weights == "raked" else weights
    res = cx.compare_groups(W, by="region", metric="nps", weights=w)
    assert res.statistic == approx(f) and res.df2 == 237 and res.pvalue == approx(p)
    assert res.posthoc["test"].iloc[0] == "two-sample z test, adjusted Wald (Rocks 2016)"
