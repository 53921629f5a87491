"""The journey's building blocks: formulas, the params section, the operational join,
follow-up reasons, answer lags, fatigue counts and the demo's journey files."""

from __future__ import annotations

import filecmp
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxresearch.data import load_responses
from cxresearch.data.demo import DEFAULT_SEED
from cxresearch.data.demo_journey import OWNERS, UNMATCHED_ROWS, write_journey_files
from cxresearch.errors import DataError, ParamsError
from cxresearch.journey.files import read_table, to_numbers, to_timestamps
from cxresearch.journey.formula import FormulaError, parse_formula
from cxresearch.journey.operational import join_operational
from cxresearch.params import load_params
from cxresearch.stats.journey import (
    answer_lag_days,
    answers_per_period,
    fatigue_table,
    followup_reasons,
    followup_rows,
    loop_status,
    period_of,
)

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"


# --- formulas ---------------------------------------------------------------------------


def test_formula_arithmetic_conditions_and_missing_values() -> None:
    frame = pd.DataFrame({"a": [1.0, 2.0, None, 4.0], "b": [2.0, 0.0, 1.0, 1.0]})
    assert parse_formula("a - b").evaluate(frame).tolist()[:2] == [-1.0, 2.0]
    assert np.isnan(parse_formula("a - b").evaluate(frame)[2])
    ratio = parse_formula("a / b").evaluate(frame)
    assert np.isnan(ratio[1])  # division by zero is missing, not inf
    condition = parse_formula("a >= 2 and not b > 1")
    assert condition.boolean
    out = condition.evaluate(frame)
    assert out[0] == 0.0 and out[1] == 1.0 and np.isnan(out[2]) and out[3] == 1.0
    assert parse_formula("-(a + 1) * 2").evaluate(frame)[0] == -4.0
    assert parse_formula("0 < a <= 2").evaluate(frame).tolist()[:2] == [1.0, 1.0]


@pytest.mark.parametrize(
    "text",
    ["__import__('os').system('x')", "a.b", "a[0]", "a ** 2", "'x' == a", "", "1 + 2",
     "(a > 1) + 1", "a +", "lambda: a", "-(a > 1)"],
)  # fmt: skip
def test_formula_outside_the_whitelist_is_refused(text: str) -> None:
    with pytest.raises(FormulaError):
        parse_formula(text)


def test_formula_names_missing_columns() -> None:
    with pytest.raises(KeyError, match=r"names column\(s\) \['delivered'\]"):
        parse_formula("delivered - promised").evaluate(pd.DataFrame({"promised": [1]}))


# --- params -----------------------------------------------------------------------------

BASE = """\
client: acme
title: Acme
data: {path: data/r.csv}
waves: {current: w1}
"""


def params_with(tmp_path: Path, journey: str) -> Path:
    (tmp_path / "params").mkdir(exist_ok=True)
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "data" / "r.csv").write_text("response_id,client,wave,nps\n", encoding="utf-8")
    path = tmp_path / "params" / "acme.yaml"
    path.write_text(BASE + "journey:\n" + textwrap.indent(journey, "  "), encoding="utf-8")
    return path


def test_metric_model_loads(tmp_path: Path) -> None:
    params = load_params(
        params_with(
            tmp_path,
            """\
metrics:
  - {name: retention, level: outcome, column: retained, kind: share,
     population: {customer_type: current}, targets: [{value: 80}]}
  - {name: nps, level: experience, targets: [{touchpoint: web, value: 20}]}
  - {name: on_time, level: operational, source: operational,
     formula: "delay_days <= 0", kind: share}
operational: {path: data/ops.csv}
""",
        )
    )
    assert params.journey is not None
    assert [m.level for m in params.journey.metrics] == ["outcome", "experience", "operational"]
    assert params.journey.metrics[2].columns == ["delay_days"]
    assert params.journey.response_columns()["journey.metrics[0] (retention)"] == ["retained"]
    assert params.journey.files() == {"journey.operational.path": "data/ops.csv"}


@pytest.mark.parametrize(
    ("journey", "message"),
    [
        ("metrics: [{name: nps, level: experience, column: nps, formula: 'nps > 8', kind: share}]",
         "either a column or a formula"),
        ("metrics: [{name: speed, level: experience, column: attr_speed}]", "kind"),
        ("metrics: [{name: handling, level: experience}]", "give a column or a formula"),
        ("metrics: [{name: nps, level: experience, kind: share}]", "built in"),
        ("metrics: [{name: x, level: experience, formula: 'open(a)', kind: mean}]",
         "Call is not allowed"),
        ("metrics: [{name: x, level: operational, source: operational, column: h, kind: mean},"
         " {name: nps, level: experience}]", "no journey.operational section"),
        ("metrics: [{name: nps, level: experience}, {name: nps, level: experience}]",
         "names repeat"),
        ("metrics: [{name: retention, level: outcome, column: retained, kind: share}]",
         "at least one experience metric"),
        ("metrics: [{name: nps, level: sideways}]", "level"),
        ("metrics: [{name: nps, level: experience, colour: red}]", "unknown key"),
    ],
)  # fmt: skip
def test_bad_metric_models_name_the_key(tmp_path: Path, journey: str, message: str) -> None:
    with pytest.raises(ParamsError) as info:
        load_params(params_with(tmp_path, journey))
    assert message in str(info.value) and "journey" in str(info.value)


# --- files and the operational join -------------------------------------------------------


def test_read_table_and_conversions(tmp_path: Path) -> None:
    path = tmp_path / "ops.csv"
    path.write_text("id;minutes;ok;when\n007;3,5;true;1.2.2026 10:30\n008;;no;\n", "cp1252")
    table = read_table(path)
    assert table["id"].tolist() == ["007", "008"]
    assert to_numbers(table, "minutes", path).tolist()[0] == 3.5
    assert to_numbers(table, "ok", path).tolist() == [1.0, 0.0]
    stamps = to_timestamps(table, "when", path)
    assert stamps[0] == pd.Timestamp("2026-02-01 10:30") and pd.isna(stamps[1])
    path.write_text("id,minutes\n1,fast\n2,3\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"ops.csv: column 'minutes' must hold numbers.*row 1"):
        to_numbers(read_table(path), "minutes", path)
    with pytest.raises(DataError, match="unsupported file type"):
        read_table(tmp_path / "ops.json")
    with pytest.raises(DataError, match="file not found"):
        read_table(tmp_path / "none.csv")


def test_operational_join_counts_both_ways() -> None:
    responses = load_responses(DEMO / "responses.csv")
    kp = responses[responses["client"] == "kotiposti"]
    ops = read_table(DEMO / "operational" / "kotiposti.csv")
    joined, counts = join_operational(kp, ops, source="ops.csv")
    assert counts.unmatched_ids == UNMATCHED_ROWS
    assert counts.matched == len(ops) - UNMATCHED_ROWS
    with_row = joined["handling_minutes"].notna() | joined["delivery_delay_days"].notna()
    assert counts.responses_matched == int(with_row.sum())
    assert counts.responses_without == len(kp) - counts.responses_matched
    assert joined.index.equals(kp.index) and len(joined) == len(kp)
    support = joined[joined["touchpoint"] == "support"]
    assert support["handling_minutes"].notna().all()
    assert set(joined["first_contact_resolved"].dropna()) == {0.0, 1.0}
    assert "examples" not in counts.to_frame().columns


def test_operational_join_refuses_repeated_and_blank_keys() -> None:
    responses = pd.DataFrame({"response_id": ["a", "b"], "nps": [9, 3]})
    ops = pd.DataFrame({"response_id": ["a", "a"], "minutes": ["1", "2"]})
    with pytest.raises(DataError, match=r"ops.csv: column 'response_id' repeats 1 id"):
        join_operational(responses, ops, source="ops.csv")
    ops = pd.DataFrame({"response_id": ["a", None], "minutes": ["1", "2"]})
    with pytest.raises(DataError, match=r"blank in 1 row\(s\): rows \[2\]"):
        join_operational(responses, ops, source="ops.csv")
    ops = pd.DataFrame({"response_id": ["a"], "nps": ["1"]})
    with pytest.raises(DataError, match="in both the responses and the operational file"):
        join_operational(responses, ops, source="ops.csv")


# --- follow-up, lags, fatigue ---------------------------------------------------------------


def test_followup_reasons_and_consent() -> None:
    rows = pd.DataFrame(
        {
            "nps": [3, 9, 8, 6, 10],
            "csat": [4, 1, 3, None, 5],
            "ces": [7, 7, 2, 7, 7],
            "contact_ok": pd.array([True, True, True, None, False], dtype="boolean"),
        }
    )
    reasons = followup_reasons(rows, csat_max=2, ces_max=3)
    assert reasons.tolist() == ["detractor", "low_csat", "low_ces", "detractor", ""]
    assert followup_reasons(rows, csat_max=None, ces_max=None).tolist()[1] == ""
    items = followup_rows(rows)
    assert items.index.tolist() == [0, 1, 2]  # row 3 has no consent (missing), row 4 said no


def test_loop_status_hours_sla_and_overdue() -> None:
    t = pd.Timestamp("2026-07-01 10:00")
    items = pd.DataFrame(
        {
            "status": ["closed", "closed", "open", "open"],
            "submitted_at": [t] * 4,
            "due_at": [t + pd.Timedelta(hours=48)] * 4,
            "closed_at": [t + pd.Timedelta(hours=20), t + pd.Timedelta(hours=60), pd.NaT, pd.NaT],
        }
    )
    out = loop_status(items, closed=["closed"], sla_hours=48, as_of=t + pd.Timedelta(days=3))
    assert out["hours_to_close"].tolist()[:2] == [20.0, 60.0]
    assert out["within_sla"].tolist() == [True, False, False, False]
    assert out["overdue"].tolist() == [False, False, True, True]
    assert not loop_status(items, closed=["closed"], sla_hours=48, as_of=None)["overdue"].any()


def test_answer_lag_and_periods() -> None:
    rows = pd.DataFrame(
        {
            "interaction_at": pd.to_datetime(["2026-01-01 10:00", "2026-03-30 12:00"]),
            "submitted_at": pd.to_datetime(["2026-01-03 22:00", "2026-04-02 12:00"]),
            "wave": ["Q1", "Q1"],
        }
    )
    assert answer_lag_days(rows).tolist() == [2.5, 3.0]
    assert period_of(rows, "quarter").tolist() == ["2026Q1", "2026Q2"]
    assert period_of(rows, "month").tolist() == ["2026-01", "2026-04"]
    assert period_of(rows, "wave").tolist() == ["Q1", "Q1"]
    with pytest.raises(ValueError, match="period must be"):
        period_of(rows, "week")


def test_fatigue_counts_answers_and_invitations() -> None:
    rows = pd.DataFrame(
        {
            "respondent_id": ["p1", "p1", "p1", "p2", "p3", None],
            "wave": ["a", "b", "c", "a", "a", "a"],
            "submitted_at": pd.to_datetime(
                ["2026-01-05"] * 3 + ["2026-02-01"] * 2 + ["2026-03-01"]
            ),
        }
    )
    per = answers_per_period(rows, period="year")
    assert per.set_index("respondent_id")["answers"].to_dict() == {"p1": 3, "p2": 1, "p3": 1}
    invitations = pd.DataFrame(
        {"respondent_id": ["p1", "p2", "p4"], "period": ["2026"] * 3, "invitations": [5.0, 1, 2]}
    )
    table = fatigue_table(per, max_answers=2, invitations=invitations, max_invitations=4)
    row = table.iloc[0]
    assert (row["respondents"], row["answers"], row["repeat_respondents"]) == (3, 5, 1)
    assert row["over_answers"] == 1 and row["over_invitations"] == 1
    assert (row["invited"], row["invitations"], row["answered_invitations"]) == (3, 8, 5)


# --- demo files -----------------------------------------------------------------------------


def test_committed_journey_files_equal_a_fresh_generation(tmp_path: Path) -> None:
    frame = load_responses(DEMO / "responses.csv")
    written = write_journey_files(tmp_path, frame, seed=DEFAULT_SEED)
    assert len(written) == 12
    for path in written:
        committed = DEMO / path.relative_to(tmp_path)
        assert filecmp.cmp(path, committed, shallow=False), committed


def test_demo_params_name_the_demo_owners() -> None:
    for client, owners in OWNERS.items():
        params = load_params(ROOT / "params" / f"{client}.yaml")
        assert params.journey is not None and params.journey.loop is not None
        assert params.journey.loop.owners == owners


# --- the analysis registry's inputs: validated, and part of the cache key --------------------


def test_missing_journey_input_is_a_validation_error(tmp_path: Path) -> None:
    import shutil

    from cxresearch.report.runner import validate_client

    shutil.copytree(DEMO, tmp_path / "data" / "demo")
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    (tmp_path / "params").mkdir()
    shutil.copy(ROOT / "params" / "northwind.yaml", tmp_path / "params")
    # the params name the qualitative report's codebook too
    shutil.copytree(ROOT / "params" / "codebooks", tmp_path / "params" / "codebooks")
    assert validate_client(tmp_path / "params" / "northwind.yaml", root=tmp_path).ok
    (tmp_path / "data" / "demo" / "operational" / "northwind.csv").unlink()
    check = validate_client(tmp_path / "params" / "northwind.yaml", root=tmp_path)
    assert check.error is not None
    assert "journey.operational.path" in check.error and "does not exist" in check.error


def test_journey_inputs_change_the_cache_key() -> None:
    from cxresearch.report.manifest import cache_key

    fields = {
        "data_sha256": "d", "params_sha256": "p", "notebook_sha256": "n",
        "sources_sha256": "s", "versions": {"x": "1"}, "run": "all", "analysis": "journey",
    }  # fmt: skip
    plain = cache_key(**fields)  # type: ignore[arg-type]
    assert cache_key(**fields, inputs={}) == plain  # type: ignore[arg-type]
    one = cache_key(**fields, inputs={"journey.operational.path": "a"})  # type: ignore[arg-type]
    two = cache_key(**fields, inputs={"journey.operational.path": "b"})  # type: ignore[arg-type]
    assert len({plain, one, two}) == 3
