"""The journey run: the metric model on the registry, the scorecard, targets, families of
comparisons, outcomes, the loop summary and fatigue, checked against plain computations."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from cxresearch.data import load_responses
from cxresearch.errors import DataError, ParamsError
from cxresearch.journey import outcomes as jo
from cxresearch.journey.model import add_metric_columns, model_metric
from cxresearch.journey.run import NPS_MEAN, JourneyRun, open_journey
from cxresearch.journey.spec import JourneyMetric
from cxresearch.stats.journey import compare_family
from cxresearch.stats.metrics import estimate
from cxresearch.stats.registry import MeanMetric, ShareMetric, get_metric

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"


@pytest.fixture(scope="module")
def kp() -> JourneyRun:
    return open_journey(ROOT / "params" / "kotiposti.yaml")


@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    frame = load_responses(DEMO / "responses.csv")
    return frame[frame["client"] == "kotiposti"]


def test_params_metrics_become_registry_metrics() -> None:
    nps = model_metric(JourneyMetric(name="nps", level="experience"))
    assert nps.metric is get_metric("nps") and nps.column == "nps"
    csat = model_metric(JourneyMetric(name="csat", level="experience",
                                      population={"customer_type": "current"}))  # fmt: skip
    assert csat.metric is get_metric("csat") and csat.column == "_jm_csat"
    kept = model_metric(
        JourneyMetric(name="kept", level="outcome", column="retained", kind="share")
    )
    assert isinstance(kept.metric, ShareMetric) and kept.metric.top == (1.0,)
    ease = model_metric(JourneyMetric(name="ease", level="experience", column="attr_ease",
                                      kind="share", top=[4, 5], scale=(1, 5)))  # fmt: skip
    assert ease.metric.top == (4.0, 5.0) and ease.metric.scale == (1, 5)
    clv = model_metric(JourneyMetric(name="clv", level="outcome", column="clv", kind="mean"))
    assert isinstance(clv.metric, MeanMetric) and clv.decimals == 1


def test_metric_columns_keep_the_population_and_read_formulas() -> None:
    rows = pd.DataFrame(
        {
            "customer_type": ["current", "former", "current", "never"],
            "retained": pd.array([True, False, None, None], dtype="boolean"),
            "delay": [0.0, 2.0, None, -1.0],
        }
    )
    kept = model_metric(
        JourneyMetric(
            name="kept",
            level="outcome",
            column="retained",
            kind="share",
            population={"customer_type": "current"},
        )
    )
    late = model_metric(JourneyMetric(name="on_time", level="operational", formula="delay <= 0",
                                      kind="share"))  # fmt: skip
    out = add_metric_columns(rows, [kept, late])
    assert out[kept.column][0] == 1.0
    assert out[kept.column].isna().tolist() == [False, True, True, True]
    assert out[late.column].tolist()[:2] == [1.0, 0.0] and np.isnan(out[late.column][2])
    missing = model_metric(JourneyMetric(name="gap", level="operational",
                                         formula="delivered - promised", kind="mean"))  # fmt: skip
    with pytest.raises(DataError, match=r"journey.metrics \(gap\).*\['delivered', 'promised'\]"):
        add_metric_columns(rows, [missing])
    odd = model_metric(JourneyMetric(name="odd", level="outcome", column="delay", kind="share"))
    with pytest.raises(DataError, match=r"journey.metrics \(odd\): a share of yes answers"):
        add_metric_columns(rows, [odd])


def test_scorecard_equals_plain_computations(kp: JourneyRun, demo: pd.DataFrame) -> None:
    card = kp.scorecard().set_index("name")
    assert list(card["level"].unique()) == ["outcome", "experience", "operational"]
    assert len(card) == len(kp.metrics)
    q3 = demo[demo["wave"] == "2026Q3"]
    # kotiposti is raked to the population margins (params weighting): weighted means
    w = kp.weights(q3)
    assert w is not None

    def mean(values: pd.Series) -> float:
        return float(np.average(values, weights=w.loc[values.index]))

    current = q3[q3["customer_type"] == "current"]
    retained = current["retained"].dropna().astype(float)
    assert card.loc["retention", "value"] == pytest.approx(100 * mean(retained))
    assert card.loc["retention", "n"] == len(retained)
    ease = q3["attr_ease"].dropna()
    assert card.loc["ease", "value"] == pytest.approx(100 * mean(ease.isin([4, 5])))
    ops = pd.read_csv(DEMO / "operational" / "kotiposti.csv").set_index("response_id")
    minutes = q3["response_id"].map(ops["handling_minutes"]).dropna()
    assert card.loc["handling_time", "value"] == pytest.approx(mean(minutes))
    delay = q3["response_id"].map(ops["delivery_delay_days"]).dropna()
    assert card.loc["on_time", "value"] == pytest.approx(100 * mean(delay <= 0))
    # the change's interval excludes 0 exactly where the adjusted test is significant
    excludes = (card["diff_ci_low"] > 0) | (card["diff_ci_high"] < 0)
    assert (excludes == card["significant"]).all()


def test_targets_read_direction_and_population(kp: JourneyRun) -> None:
    targets = kp.targets()
    handling = targets[targets["name"] == "handling_time"].iloc[0]
    # 9.5 min against a 12 min target where lower is better: met, not "not met"
    assert handling["value"] < handling["target"] and handling["status"] == "met"
    retention = targets[targets["name"] == "retention"].iloc[0]
    assert retention["n"] == kp.current["_jm_retention"].notna().sum()


def test_family_verdicts_agree_with_intervals() -> None:
    rng = np.random.default_rng(4)
    pairs = [
        {"group": i, "metric": "csat", "a": pd.Series(rng.integers(1, 6, 80)),
         "b": pd.Series(rng.integers(1 + (i % 3 == 0), 6, 90))}
        for i in range(12)
    ]  # fmt: skip
    for adjust in ("bh", "holm", "none"):
        out = compare_family(pairs, adjust=adjust)
        excludes = (out["ci_low"] > 0) | (out["ci_high"] < 0)
        assert (excludes == out["significant"]).all(), adjust
    empty = compare_family([{"group": "x", "metric": "nps", "a": pd.Series([9.0]),
                             "b": pd.Series([], dtype=float)}])  # fmt: skip
    assert np.isnan(empty.loc[0, "difference"]) and not empty.loc[0, "significant"]


def test_versus_rest_and_moments(kp: JourneyRun) -> None:
    gaps = kp.versus_rest("touchpoint", [kp.metric("nps")])
    rows = kp.pooled
    delivery = rows[rows["touchpoint"] == "delivery"]["nps"]
    rest = rows[rows["touchpoint"] != "delivery"]["nps"]
    row = gaps.set_index("group").loc["delivery"]
    # with the run's (raked) weights, as the report
    expected = (
        estimate("nps", delivery, weights=kp.weights(rows.loc[delivery.index])).value
        - estimate("nps", rest, weights=kp.weights(rows.loc[rest.index])).value
    )
    assert row["difference"] == pytest.approx(expected)
    assert row["group_n"] == len(delivery)
    moments = kp.moments()
    assert set(moments["group"]) == set(kp.touchpoints())
    assert (moments["outcome"] == "retention").all()


def test_customer_types_include_the_mean_answer(kp: JourneyRun) -> None:
    types = kp.customer_types()
    assert set(types["group"]) == {"former", "never"}
    mean = types[(types["name"] == NPS_MEAN.name) & (types["group"] == "former")].iloc[0]
    rows = kp.pooled
    answers = rows["nps"].astype(float)
    w = kp.weights(rows)
    assert w is not None  # raked to the population margins (params weighting)
    former, current = rows["customer_type"] == "former", rows["customer_type"] == "current"
    plain = np.average(answers[former], weights=w[former]) - np.average(
        answers[current], weights=w[current]
    )
    assert mean["difference"] == pytest.approx(plain)
    stages = kp.stages_by_type()
    assert stages.loc["never", ["purchase", "usage", "renewal"]].sum() == 0
    assert (
        stages["respondents"].sum()
        == rows.groupby("customer_type")["respondent_id"].nunique().sum()
    )


def test_outcomes_loop_and_fatigue(kp: JourneyRun) -> None:
    rates = jo.outcome_rates(kp)
    assert not rates["group"].isin(["nan", "<NA>"]).any()
    promoters = rates[(rates["name"] == "retention") & (rates["group"] == "promoter")].iloc[0]
    detractors = rates[(rates["name"] == "retention") & (rates["group"] == "detractor")].iloc[0]
    assert promoters["ci_low"] > detractors["ci_high"]
    model = jo.retention_model(kp)
    assert model is not None and list(model[0]["predictor"][:2]) == [
        "attr_reliability",
        "attr_price",
    ]
    stake = jo.value_at_stake(kp)
    assert stake is not None and stake.ci_low > 0 and stake.customers == 250_000
    loop = jo.loop_summary(kp)
    status = pd.read_csv(DEMO / "followup" / "kotiposti" / "status.csv")
    assert loop is not None and loop["items"] == len(status)
    assert loop["closed"].n == len(status)
    closed = status["status"].isin(["closed", "unreachable"]).mean()
    assert loop["closed"].value == pytest.approx(100 * closed)
    assert int(loop["owners"]["items"].sum()) == len(status)
    tired = jo.fatigue(kp)
    assert tired is not None
    per = kp.rows.groupby("respondent_id").size()
    assert tired["table"].loc[0, "over_answers"] == int((per > 2).sum())
    invitations = pd.read_csv(DEMO / "invitations" / "kotiposti.csv")
    assert tired["table"].loc[0, "invitations"] == invitations["invitations"].sum()


def test_segment_run_counts_only_its_respondents_invitations() -> None:
    j = open_journey(ROOT / "params" / "kotiposti.yaml", "suuryritykset")
    tired = jo.fatigue(j)
    assert tired is not None
    assert tired["table"].loc[0, "invited"] == j.rows["respondent_id"].nunique()
    stake = jo.value_at_stake(j)  # the params' 250,000 customers are the whole base
    assert stake is not None and stake.customers is None and stake.value == stake.per_customer


def test_operational_metric_naming_a_missing_column(tmp_path: Path) -> None:
    (tmp_path / "params").mkdir()
    shutil.copytree(DEMO, tmp_path / "data" / "demo")
    text = (ROOT / "params" / "kotiposti.yaml").read_text(encoding="utf-8")
    text = text.replace("column: handling_minutes", "column: handling_seconds")
    (tmp_path / "params" / "kotiposti.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ParamsError, match=r"journey.metrics\[9\] \(handling_time\) names "
                       r"column\(s\) \['handling_seconds'\].*operational file"):  # fmt: skip
        open_journey(tmp_path / "params" / "kotiposti.yaml")


def test_no_journey_section(tmp_path: Path) -> None:
    raw = yaml.safe_load((ROOT / "params" / "kotiposti.yaml").read_text(encoding="utf-8"))
    raw.pop("journey")
    raw["report"]["analyses"] = ["benchmarking"]
    (tmp_path / "params").mkdir()
    shutil.copytree(DEMO, tmp_path / "data" / "demo")
    path = tmp_path / "params" / "kotiposti.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ParamsError, match="no journey section"):
        open_journey(path)


def test_themes_by_customer_type(kp: JourneyRun) -> None:
    themes = jo.themes_by_type(kp)
    assert themes is not None
    book = themes.coding.codebook
    assert len(themes.tests) == 2 * len(book.themes)
    codes = themes.coding.coding.codes
    who = themes.coding.comments
    ids = themes.coding.ids(current=False)
    former = who.loc[ids, "customer_type"] == "former"
    share = 100 * codes.loc[ids][former.to_numpy()]["price"].mean()
    row = themes.tests[(themes.tests["name"] == "price") & (themes.tests["group"] == "former")]
    assert row["estimate_a"].iloc[0] == pytest.approx(share)
    excludes = (themes.tests["ci_low"] > 0) | (themes.tests["ci_high"] < 0)
    assert (excludes == themes.tests["significant"]).all()
