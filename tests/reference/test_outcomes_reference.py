"""Retention model and value at stake pinned to R 4.2: ``glm``, ``survey`` 4.1-1.

tests/reference/data/outcomes_reference.R wrote data/outcomes.csv (kotiposti's current
customers from the demo data, with a deterministic weight ``w`` = 0.7 in Uusimaa, 1.3
elsewhere) and printed every number below; it is run from the project root with
``Rscript tests/reference/data/outcomes_reference.R``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cxresearch.stats.outcomes import retention_model, value_at_stake

DATA = pd.read_csv(Path(__file__).parent / "data" / "outcomes.csv")
PREDICTORS = ["attr_effectiveness", "attr_ease", "attr_reliability", "attr_price"]
TOL = 1e-8


def by_predictor(table: pd.DataFrame, column: str) -> dict[str, float]:
    return dict(zip(table["predictor"], table[column], strict=True))


def test_glm_coefficients_errors_and_wald_odds_ratio_intervals() -> None:
    # z <- scale(cc[, preds]); fit <- glm(retained ~ ., binomial, z); coef(summary(fit))
    table, fit = retention_model(DATA, outcome="retained", predictors=PREDICTORS)
    coef = {"attr_effectiveness": 0.345768822474943, "attr_ease": 0.381228480653811,
            "attr_reliability": 0.796278077984897, "attr_price": 0.729238224365584}  # fmt: skip
    se = {"attr_effectiveness": 0.0907044890974305, "attr_ease": 0.0898590199284286,
          "attr_reliability": 0.0905160246384413, "attr_price": 0.0885598274902949}  # fmt: skip
    z = {"attr_effectiveness": 3.81203649252172, "attr_ease": 4.24251767888693,
         "attr_reliability": 8.79709511288816, "attr_price": 8.23441333425700}  # fmt: skip
    pvalue = {"attr_effectiveness": 1.37826521615879e-04, "attr_ease": 2.21026123838924e-05,
              "attr_reliability": 1.40403300339825e-18,
              "attr_price": 1.80439682612584e-16}  # fmt: skip
    # exp(confint.default(fit))
    low = {"attr_effectiveness": 1.18292630803387, "attr_ease": 1.22765769136745,
           "attr_reliability": 1.85682850895365, "attr_price": 1.74309828264442}  # fmt: skip
    high = {"attr_effectiveness": 1.68800330539124, "attr_ease": 1.74603748000717,
            "attr_reliability": 2.64768646418392, "attr_price": 2.46652998056860}  # fmt: skip
    for column, expected in (("coef", coef), ("se", se), ("z", z), ("ci_low", low),
                             ("ci_high", high)):  # fmt: skip
        got = by_predictor(table, column)
        for name, value in expected.items():
            assert got[name] == pytest.approx(value, rel=TOL), (column, name)
    got_p = by_predictor(table, "pvalue")
    for name, value in pvalue.items():
        assert got_p[name] == pytest.approx(value, rel=1e-6), name
    # 1 - logLik(fit) / logLik(update(fit, . ~ 1))
    assert fit["mcfadden_r2"] == pytest.approx(0.289190141452955, rel=TOL)
    assert fit["n"] == 1341  # nrow(cc)
    assert fit["n_dropped"] == len(DATA) - 1341
    assert list(table["predictor"][:2]) == ["attr_reliability", "attr_price"]  # by odds ratio


def test_weighted_model_equals_svyglm_sandwich() -> None:
    # svyglm(retained ~ ..., svydesign(ids = ~1, weights = ~w), quasibinomial(),
    #        control = glm.control(epsilon = 1e-14, maxit = 100));
    # predictors scaled by the weighted mean and SD (Bessel on Kish's n), see the R file
    table, _ = retention_model(DATA, outcome="retained", predictors=PREDICTORS, weights="w")
    coef = {"attr_effectiveness": 0.370098692017780, "attr_ease": 0.358710000571538,
            "attr_reliability": 0.788558104640902, "attr_price": 0.741404200092311}  # fmt: skip
    se = {"attr_effectiveness": 0.1025097839694270, "attr_ease": 0.0943278499766983,
          "attr_reliability": 0.0952360558817022, "attr_price": 0.0922948192086984}  # fmt: skip
    for column, expected in (("coef", coef), ("se", se)):
        got = by_predictor(table, column)
        for name, value in expected.items():
            assert got[name] == pytest.approx(value, rel=TOL), (column, name)


def test_clustered_model_equals_svyglm_with_respondent_clusters() -> None:
    # svyglm(..., svydesign(ids = ~respondent_id, data = z), quasibinomial(),
    #        control = glm.control(epsilon = 1e-14, maxit = 100))
    table, _ = retention_model(
        DATA, outcome="retained", predictors=PREDICTORS, clusters="respondent_id"
    )
    se = {"attr_effectiveness": 0.0959430917129273, "attr_ease": 0.0936140155568548,
          "attr_reliability": 0.0918927772079124, "attr_price": 0.0865713601437770}  # fmt: skip
    got = by_predictor(table, "se")
    for name, value in se.items():
        assert got[name] == pytest.approx(value, rel=TOL), name
    # the coefficients are glm's: clusters change only the covariance
    assert by_predictor(table, "coef")["attr_price"] == pytest.approx(0.729238224365584, rel=TOL)


@pytest.mark.parametrize(
    ("options", "value", "se"),
    [
        # svycontrast(svymean(~D + P + DR + PR + DRC, svydesign(ids = ~1, data = v)), stake)
        ({}, 19.93152121388205, 3.01887173363551),
        # ... svydesign(ids = ~1, weights = ~w, data = v)
        ({"weights": "w"}, 18.32229576013830, 2.99011936610464),
        # ... svydesign(ids = ~respondent_id, data = v)
        ({"clusters": "respondent_id"}, 19.93152121388205, 3.05749917319735),
    ],
)
def test_value_at_stake_equals_svycontrast(
    options: dict[str, str], value: float, se: float
) -> None:
    result = value_at_stake(DATA, **options)
    assert result.per_customer == pytest.approx(value, rel=1e-12)
    assert result.per_customer_se == pytest.approx(se, rel=1e-12)
    # qnorm(0.975) * SE either side, scaled by the customer base
    scaled = value_at_stake(DATA, customers=25_000, **options)
    assert scaled.value == pytest.approx(25_000 * value, rel=1e-12)
    assert scaled.ci_high - scaled.value == pytest.approx(25_000 * 1.959963984540054 * se)
