"""Driver importance pinned to R: relaimpo 2.2-7 (LMG, first, betasq), rwa 0.1.0, lm, glm.

relaimpo and rwa are not in Debian's R; their CRAN sources (github.com/cran/relaimpo at
"version 2.2-7", github.com/cran/rwa at "version 0.1.0") were installed into a temporary
library with ``R CMD INSTALL -l /tmp/rlib`` and loaded in R 4.2 with

    .libPaths(c("/tmp/rlib", .libPaths())); library(relaimpo); library(rwa)
    options(digits = 15)

The data files in tests/reference/data were written by R (``write.csv(swiss, ...)``,
``write.csv(mtcars, ...)``, ``write.csv(MASS::birthwt[, c("low", "age", "lwt", "smoke",
"ptl", "ht", "ui", "ftv")], ..., row.names = FALSE)``); data/drivers_reference.R has every
command used for the numbers below. glm fits used ``control = glm.control(epsilon = 1e-14,
maxit = 100)`` so that R's own convergence tolerance does not limit the comparison.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cxresearch.stats.drivers import driver_importance, importance_performance

DATA = Path(__file__).parent / "data"
SWISS = pd.read_csv(DATA / "swiss.csv", index_col=0)
MTCARS = pd.read_csv(DATA / "mtcars.csv", index_col=0)
BIRTHWT = pd.read_csv(DATA / "birthwt.csv")
SWISS_DRIVERS = ["Agriculture", "Examination", "Education", "Catholic", "Infant.Mortality"]
MTCARS_DRIVERS = ["cyl", "disp", "hp", "wt", "qsec", "drat"]
BIRTHWT_DRIVERS = ["age", "lwt", "smoke", "ptl", "ht", "ui", "ftv"]

TOL = 1e-10  # the issue asks for 1e-6; the engine agrees with relaimpo to ~1e-15


def by_driver(result: pd.DataFrame, column: str = "importance") -> pd.Series:
    return result.set_index("driver")[column]


def assert_matches(
    result: pd.DataFrame,
    expected: dict[str, float],
    *,
    column: str = "importance",
    tol: float = TOL,
) -> None:
    got = by_driver(result, column)
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, abs=tol), name


# --- Shapley / LMG ----------------------------------------------------------------------


def test_lmg_swiss():
    # r <- calc.relimp(Fertility ~ ., data = swiss, type = "lmg"); r@lmg; r@R2
    expected = {
        "Agriculture": 0.0570912207680913,
        "Examination": 0.1711730289002341,
        "Education": 0.2601346786243849,
        "Catholic": 0.1055701503734937,
        "Infant.Mortality": 0.1127659229265219,
    }
    result = driver_importance(SWISS, outcome="Fertility", drivers=SWISS_DRIVERS)
    assert_matches(result, expected)
    assert result.attrs["r2"] == pytest.approx(0.706735001592726, abs=TOL)
    assert result["importance"].sum() == pytest.approx(0.706735001592726, abs=TOL)
    assert list(result["driver"][:2]) == ["Education", "Examination"]
    assert result.attrs["exact"] is True


def test_lmg_mtcars():
    # r <- calc.relimp(mpg ~ cyl + disp + hp + wt + qsec + drat, data = mtcars, type = "lmg")
    expected = {
        "cyl": 0.1732390931045448,
        "disp": 0.1640535121453227,
        "hp": 0.1436593554141407,
        "wt": 0.2252107878662621,
        "qsec": 0.0448800923977074,
        "drat": 0.1037795706568457,
    }
    result = driver_importance(MTCARS, outcome="mpg", drivers=MTCARS_DRIVERS)
    assert_matches(result, expected)
    assert result.attrs["r2"] == pytest.approx(0.854822411584823, abs=TOL)  # r@R2


def test_lmg_weighted_swiss():
    # sw <- swiss; sw$w <- sw$Catholic / 100 + 0.5
    # r <- calc.relimp(Fertility ~ Agriculture + Examination + Education + Catholic +
    #                  Infant.Mortality, data = sw, weights = w, type = "lmg")
    expected = {
        "Agriculture": 0.0586473855022145,
        "Examination": 0.1563149953521823,
        "Education": 0.2740973888348284,
        "Catholic": 0.1143099689398303,
        "Infant.Mortality": 0.1046802371127902,
    }
    frame = SWISS.assign(w=SWISS["Catholic"] / 100 + 0.5)
    result = driver_importance(frame, outcome="Fertility", drivers=SWISS_DRIVERS, weights="w")
    assert_matches(result, expected)
    assert result.attrs["r2"] == pytest.approx(0.708049975741846, abs=TOL)


def test_lmg_pairwise_and_listwise_with_missing_values():
    # sw <- swiss; sw$Education[1:5] <- NA; sw$Catholic[10:14] <- NA
    # sw$Agriculture[c(20, 30, 40)] <- NA            (written to data/swiss_missing.csv)
    # calc.relimp(cor(sw, use = "pairwise.complete.obs"), type = "lmg")
    pairwise = {
        "Agriculture": 0.0997665939650469,
        "Examination": 0.1693734197161591,
        "Education": 0.3366819672643398,
        "Catholic": 0.1223316736907219,
        "Infant.Mortality": 0.1124047492556556,
    }
    frame = pd.read_csv(DATA / "swiss_missing.csv", index_col=0)
    result = driver_importance(
        frame, outcome="Fertility", drivers=SWISS_DRIVERS, missing="pairwise"
    )
    assert_matches(result, pairwise)
    assert result.attrs["r2"] == pytest.approx(0.840558403891923, abs=TOL)
    assert result.attrs["n_dropped"] == 0
    # calc.relimp(Fertility ~ ., data = na.omit(sw), type = "lmg")
    listwise = {
        "Agriculture": 0.0947399681556279,
        "Examination": 0.1391319217271409,
        "Education": 0.3022225163576238,
        "Catholic": 0.0925193585260176,
        "Infant.Mortality": 0.0866166193619803,
    }
    result = driver_importance(frame, outcome="Fertility", drivers=SWISS_DRIVERS)
    assert_matches(result, listwise)
    assert result.attrs["r2"] == pytest.approx(0.71523038412839, abs=TOL)
    assert (result.attrs["n"], result.attrs["n_dropped"]) == (34, 13)


# --- first / betasq ---------------------------------------------------------------------


def test_first_and_betasq_swiss():
    # calc.relimp(Fertility ~ ., data = swiss, type = c("first", "betasq")); r@first; r@betasq
    first = {
        "Agriculture": 0.124664909905748,
        "Examination": 0.417164470500591,
        "Education": 0.440615646723924,
        "Catholic": 0.215003501618544,
        "Infant.Mortality": 0.173518927324862,
    }
    betasq = {
        "Agriculture": 0.0979197290413951,
        "Examination": 0.0271518626232265,
        "Education": 0.4494372059668344,
        "Catholic": 0.1208257795658621,
        "Infant.Mortality": 0.0630692785915065,
    }
    assert_matches(
        driver_importance(SWISS, outcome="Fertility", drivers=SWISS_DRIVERS, method="correlation"),
        first,
    )
    assert_matches(
        driver_importance(SWISS, outcome="Fertility", drivers=SWISS_DRIVERS, method="regression"),
        betasq,
    )


def test_first_and_betasq_mtcars():
    # calc.relimp(mpg ~ cyl + disp + hp + wt + qsec + drat, data = mtcars,
    #             type = c("first", "betasq"))
    first = {
        "cyl": 0.726180005093805,
        "disp": 0.718343340489730,
        "hp": 0.602437341423934,
        "wt": 0.752832793658264,
        "qsec": 0.175296320261013,
        "drat": 0.463995167985087,
    }
    betasq = {
        "cyl": 0.0588343815107286,
        "disp": 0.0737375739280528,
        "hp": 0.0416045059472827,
        "wt": 0.4629025434387778,
        "qsec": 0.0141681681082049,
        "drat": 0.0137216308687262,
    }
    assert_matches(
        driver_importance(MTCARS, outcome="mpg", drivers=MTCARS_DRIVERS, method="correlation"),
        first,
    )
    assert_matches(
        driver_importance(MTCARS, outcome="mpg", drivers=MTCARS_DRIVERS, method="regression"),
        betasq,
    )


# --- relative weights ---------------------------------------------------------------------


def test_relative_weights_swiss_rwa():
    # a <- rwa(swiss, "Fertility", c("Agriculture", "Examination", "Education", "Catholic",
    #          "Infant.Mortality"), sort = FALSE); a$result; a$rsquare
    raw = {
        "Agriculture": 0.0484168958119006,
        "Examination": 0.1547082498061601,
        "Education": 0.2719641046459989,
        "Catholic": 0.1146800299475615,
        "Infant.Mortality": 0.1169657213811046,
    }
    rescaled = {  # Rescaled.RelWeight / 100
        "Agriculture": 0.0685078504712321,
        "Examination": 0.2189056003417168,
        "Education": 0.3848176530567884,
        "Catholic": 0.1622673699323138,
        "Infant.Mortality": 0.1655015261979466,
    }
    result = driver_importance(
        SWISS, outcome="Fertility", drivers=SWISS_DRIVERS, method="relative-weights"
    )
    assert_matches(result, raw)
    assert_matches(result, rescaled, column="share")
    assert result.attrs["r2"] == pytest.approx(0.706735001592727, abs=TOL)


def test_relative_weights_mtcars_rwa():
    # b <- rwa(mtcars, "mpg", c("cyl", "disp", "hp", "wt", "qsec", "drat"), sort = FALSE)
    raw = {
        "cyl": 0.1523508602748943,
        "disp": 0.1503487720357853,
        "hp": 0.1408970213471489,
        "wt": 0.2307698595639057,
        "qsec": 0.0577581155838572,
        "drat": 0.1226977827792315,
    }
    result = driver_importance(
        MTCARS, outcome="mpg", drivers=MTCARS_DRIVERS, method="relative-weights"
    )
    assert_matches(result, raw)
    # Rescaled.RelWeight for wt: 26.99623412260134
    assert by_driver(result, "share")["wt"] == pytest.approx(0.2699623412260134, abs=TOL)


# --- coefficients with intervals ------------------------------------------------------------


def test_standardised_regression_coefficients_swiss():
    # f <- lm(Fertility ~ ., data = as.data.frame(scale(swiss)))
    # summary(f)$coefficients; confint(f, level = 0.95)
    expected = {  # estimate, std. error, 2.5 %, 97.5 %, Pr(>|t|)
        "Agriculture": (
            -0.312921282499920,
            0.1278199188915443,
            -0.5710588455398877,
            -0.0547837194599531,
            1.87271543851754e-02,
        ),
        "Education": (
            -0.670400780106075,
            0.1408851452543986,
            -0.9549241030739168,
            -0.3858774571382322,
            2.43060459073791e-05,
        ),
        "Infant.Mortality": (
            0.251135976298711,
            0.0890058053757401,
            0.0713851057352723,
            0.4308868468621490,
            7.33571532060156e-03,
        ),
    }
    result = driver_importance(
        SWISS, outcome="Fertility", drivers=SWISS_DRIVERS, method="regression"
    ).set_index("driver")
    for name, (coef, se, lo, hi, pvalue) in expected.items():
        row = result.loc[name]
        assert row["coefficient"] == pytest.approx(coef, abs=TOL)
        assert row["se"] == pytest.approx(se, abs=TOL)
        assert row["coefficient_ci_low"] == pytest.approx(lo, abs=TOL)
        assert row["coefficient_ci_high"] == pytest.approx(hi, abs=TOL)
        assert row["pvalue"] == pytest.approx(pvalue, rel=1e-8)


def test_weighted_standardised_coefficients_swiss():
    # w <- swiss$Catholic / 100 + 0.5
    # wz <- function(x) { m <- weighted.mean(x, w); (x - m) / sqrt(sum(w * (x - m)^2) / sum(w)) }
    # fw <- lm(Fertility ~ ., data = as.data.frame(lapply(swiss, wz)), weights = w)
    # summary(fw)$coefficients
    expected = {
        "Agriculture": (-0.292761607535953, 0.1348779353700365),
        "Examination": (-0.0840234101896732, 0.1713446743836112),
        "Education": (-0.707084949657333, 0.1505006162131968),
    }
    frame = SWISS.assign(w=SWISS["Catholic"] / 100 + 0.5)
    result = driver_importance(
        frame, outcome="Fertility", drivers=SWISS_DRIVERS, method="regression", weights="w"
    )
    got = result.set_index("driver")
    for name, (coef, se) in expected.items():
        assert got.loc[name, "coefficient"] == pytest.approx(coef, abs=TOL)
        assert got.loc[name, "se"] == pytest.approx(se, abs=TOL)
    assert result.attrs["r2"] == pytest.approx(0.708049975741846, abs=TOL)  # summary(fw)$r.squared


def test_correlation_fisher_z_interval():
    # cor.test(swiss$Fertility, swiss$Education, conf.level = 0.95)
    #   estimate -0.663788857035069, conf.int -0.798707532635390 -0.465320585027717,
    #   p.value 3.65861696596236e-07
    result = driver_importance(
        SWISS, outcome="Fertility", drivers=SWISS_DRIVERS, method="correlation"
    ).set_index("driver")
    row = result.loc["Education"]
    assert row["coefficient"] == pytest.approx(-0.663788857035069, abs=TOL)
    assert row["coefficient_ci_low"] == pytest.approx(-0.798707532635390, abs=TOL)
    assert row["coefficient_ci_high"] == pytest.approx(-0.465320585027717, abs=TOL)
    assert row["pvalue"] == pytest.approx(3.65861696596236e-07, rel=1e-8)
    # cor.test(swiss$Fertility, swiss$Catholic, conf.level = 0.90)
    #   0.463684700651794, conf.int 0.248697556732827 0.635128697396853, p 0.00102852319011814
    result = driver_importance(
        SWISS, outcome="Fertility", drivers=SWISS_DRIVERS, method="correlation", confidence=0.90
    ).set_index("driver")
    row = result.loc["Catholic"]
    assert row["coefficient_ci_low"] == pytest.approx(0.248697556732827, abs=TOL)
    assert row["coefficient_ci_high"] == pytest.approx(0.635128697396853, abs=TOL)
    assert row["pvalue"] == pytest.approx(0.00102852319011814, rel=1e-8)


# --- binary outcome ---------------------------------------------------------------------------


def test_binary_shapley_mcfadden_birthwt():
    # d <- MASS::birthwt; for every subset S of the 7 drivers:
    #   r2[S] <- 1 - logLik(glm(low ~ S, binomial, d)) / logLik(glm(low ~ 1, binomial, d))
    # phi[j] <- sum over S without j of |S|!(p-|S|-1)!/p! * (r2[S + j] - r2[S])
    # (data/drivers_reference.R, ref2 block)
    expected = {
        "age": 0.00895451400837293,
        "lwt": 0.02328341100104108,
        "smoke": 0.01525701348219054,
        "ptl": 0.02047880129030390,
        "ht": 0.02578084216504260,
        "ui": 0.01560598790476224,
        "ftv": 0.00108804129453744,
    }
    result = driver_importance(BIRTHWT, outcome="low", drivers=BIRTHWT_DRIVERS)
    assert result.attrs["outcome_type"] == "binary"
    assert result.attrs["r2_name"] == "McFadden pseudo-R²"
    assert_matches(result, expected, tol=1e-9)
    assert result.attrs["r2"] == pytest.approx(0.110448611146251, abs=1e-9)


def test_binary_shapley_weighted_birthwt():
    # d$w <- 0.5 + d$lwt / 250; weighted log-likelihood sum(w * (y log mu + (1-y) log(1-mu)))
    # of glm(..., weights = w) for every subset of age, smoke, ptl, ht; Shapley as above
    expected = {
        "age": 0.0132596019504616,
        "smoke": 0.0177708877763153,
        "ptl": 0.0271972770668106,
        "ht": 0.0175741361678845,
    }
    frame = BIRTHWT.assign(w=0.5 + BIRTHWT["lwt"] / 250)
    result = driver_importance(
        frame, outcome="low", drivers=["age", "smoke", "ptl", "ht"], weights="w"
    )
    assert_matches(result, expected, tol=1e-9)
    assert result.attrs["r2"] == pytest.approx(0.075801902961472, abs=1e-9)


def test_binary_relative_weights_tonidandel_lebreton():
    # Tonidandel & LeBreton (2010), steps of their RWA-Web logistic code:
    # X <- scale(d[, preds]); s <- svd(X); Z <- scale(s$u %*% t(s$v))
    # Lambda <- solve(crossprod(Z), crossprod(Z, X)); fit <- glm(d$low ~ Z, binomial)
    # b <- coef(fit)[-1]; phat <- fitted(fit); Rsq <- cor(phat, d$low)^2
    # beta <- b * sqrt(Rsq) / sd(qlogis(phat)); eps <- Lambda^2 %*% beta^2
    expected = {
        "age": 0.01279232711758146,
        "lwt": 0.03259969270937484,
        "smoke": 0.01776367243480144,
        "ptl": 0.02265832421600386,
        "ht": 0.02648727422865328,
        "ui": 0.01722020096876586,
        "ftv": 0.00104230536777642,
    }
    result = driver_importance(
        BIRTHWT, outcome="low", drivers=BIRTHWT_DRIVERS, method="relative-weights"
    )
    assert_matches(result, expected, tol=1e-9)
    assert result.attrs["r2"] == pytest.approx(0.130563797042957, abs=1e-9)  # Rsq = sum(eps)


def test_binary_regression_birthwt():
    # g <- glm(low ~ scale(age) + scale(lwt) + scale(smoke) + scale(ptl) + scale(ht) +
    #          scale(ui) + scale(ftv), family = binomial, data = d); summary(g)$coefficients
    # Menard: (coef(g)[-1] * sqrt(cor(fitted(g), d$low)^2) / sd(qlogis(fitted(g))))^2
    expected = {  # estimate, std. error, Pr(>|z|), Menard betasq
        "lwt": (-0.4393475799745349, 0.203495924319954, 3.08502129242952e-02, 0.033426786073215774),
        "ht": (0.4579754485563539, 0.168905986396305, 6.69952521487069e-03, 0.036321396509920494),
        "ftv": (0.0248227762613997, 0.183391166721214, 8.92331783892847e-01, 0.000106703545561074),
    }
    result = driver_importance(BIRTHWT, outcome="low", drivers=BIRTHWT_DRIVERS, method="regression")
    got = result.set_index("driver")
    for name, (coef, se, pvalue, betasq) in expected.items():
        assert got.loc[name, "coefficient"] == pytest.approx(coef, abs=1e-9)
        assert got.loc[name, "se"] == pytest.approx(se, abs=1e-9)
        assert got.loc[name, "pvalue"] == pytest.approx(pvalue, rel=1e-7)
        assert got.loc[name, "importance"] == pytest.approx(betasq, abs=1e-9)
    assert result.attrs["r2"] == pytest.approx(0.110448611146251, abs=1e-9)  # McFadden


# --- importance–performance ---------------------------------------------------------------------


def test_ipa_performance_intervals():
    # Means: Hall's skewness-corrected t interval (the registry's default for means),
    # with hall() and kap() of tests/reference/test_hall.py's R session:
    # gear <- mtcars$gear; hall(mean(gear), sd(gear)/sqrt(32), kap((gear - mean(gear))/32),
    #   31, 3.5)[c("lo", "hi")] -> 3.4393722913696321 3.9759910589397731; mean 3.6875
    #   (t.test(mtcars$gear)$conf.int: 3.42149326807253 3.95350673192747)
    # prop.test(sum(mtcars$gear >= 4), 32, correct = FALSE)$conf.int
    #   -> 0.364495171189747 0.691306128919312 (Wilson score interval)
    # carb <- mtcars$carb; hall(mean(carb), sd(carb)/sqrt(32), kap((carb - mean(carb))/32),
    #   31, 3, conf = 0.90)[c("lo", "hi")] -> 2.381319700726480 3.374723930645049
    imp = driver_importance(MTCARS, outcome="mpg", drivers=["gear", "carb"])
    mean = importance_performance(
        MTCARS, outcome="mpg", drivers=["gear"], importance=imp, scale=(3, 5)
    )
    row = mean.iloc[0]
    assert row["performance"] == pytest.approx(3.6875, abs=TOL)
    assert row["performance_ci_low"] == pytest.approx(3.4393722913696321, abs=TOL)
    assert row["performance_ci_high"] == pytest.approx(3.9759910589397731, abs=TOL)
    top = importance_performance(
        MTCARS,
        outcome="mpg",
        drivers=["gear"],
        importance=imp,
        performance="top2",
        scale=(3, 5),
        top=(4, 5),
    ).iloc[0]
    assert top["performance"] == pytest.approx(100 * 17 / 32, abs=TOL)
    assert top["performance_ci_low"] == pytest.approx(36.4495171189747, abs=1e-9)
    assert top["performance_ci_high"] == pytest.approx(69.1306128919312, abs=1e-9)
    carb = importance_performance(
        MTCARS, outcome="mpg", drivers=["carb"], importance=imp, scale=(1, 8), confidence=0.90
    ).iloc[0]
    assert carb["performance_ci_low"] == pytest.approx(2.381319700726480, abs=TOL)
    assert carb["performance_ci_high"] == pytest.approx(3.374723930645049, abs=TOL)
