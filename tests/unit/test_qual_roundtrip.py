"""``cxresearch coding export|import|adjudicate``: sheets written, filled, read back, merged.

A small project is built in a temporary folder from the demo's kotiposti rows (one
comment planted with an e-mail address, a phone number and a name from ``privacy.names``).
Two coders' sheets are exported (Excel and CSV), filled here by rule — both mark
``price`` where a comment says ``hinta``/``hinn…``; only anna also marks ``service`` where
it says ``palvelu`` — written back, imported, and adjudicated with decisions; every
file is read back and compared with what the rule implies.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from cxresearch import cli
from cxresearch.qual.codebook import load_codebook
from cxresearch.qual.sheets import CODE_PREFIX, read_reference

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
PLANTED = "Soittakaa Matti Virtaselle 040 1234567 tai matti.virtanen@example.com, hinta!"

PARAMS = """\
client: kotiposti
title: Kotiposti
language: fi
data: {path: data/responses.csv, filter: {client: kotiposti}}
waves: {current: 2026Q3, previous: [2026Q2]}
coding: {codebook: params/codebooks/cx-default.yaml, bootstrap: 50}
privacy: {names: [Matti Virtanen]}
"""


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    (tmp_path / "params" / "codebooks").mkdir(parents=True)
    rows = pd.read_csv(DEMO / "responses.csv", dtype=str, keep_default_na=False)
    rows = rows[(rows["client"] == "kotiposti") & rows["wave"].isin(["2026Q2", "2026Q3"])]
    first = rows.index[(rows["comment"] != "") & (rows["wave"] == "2026Q3")][0]
    rows.loc[first, "comment"] = PLANTED
    rows.to_csv(tmp_path / "data" / "responses.csv", index=False)
    shutil.copy(
        ROOT / "params" / "codebooks" / "cx-default.yaml", tmp_path / "params" / "codebooks"
    )
    (tmp_path / "params" / "kotiposti.yaml").write_text(PARAMS, encoding="utf-8")
    return tmp_path


def run(*argv: str | Path) -> int:
    return cli.main([str(a) for a in argv])


def fill(frame: pd.DataFrame, *, service: bool) -> pd.DataFrame:
    """Mark price on 'hinta' comments; with ``service`` also service on 'palvelu' ones."""
    out = frame.copy()
    text = out["comment"].str.casefold()
    price = text.str.contains("hinta|hinn|price")
    out[CODE_PREFIX + "price"] = price.map({True: "x", False: ""})
    serv = text.str.contains("palvelu") if service else pd.Series(False, index=out.index)
    out[CODE_PREFIX + "service"] = serv.map({True: "1", False: ""})
    out["no_code"] = (~price & ~serv).map({True: "x", False: ""})
    return out


def export_and_fill(project: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path, Path]:
    params = project / "params" / "kotiposti.yaml"
    code = run("coding", "export", params, "--coders", "anna", "ville", "--sample", "40",
               "--format", "xlsx", "--format", "csv")  # fmt: skip
    assert code == 0, capsys.readouterr().err
    folder = project / "coding" / "kotiposti"
    anna = pd.read_excel(folder / "anna.xlsx", dtype=str, keep_default_na=False)
    fill(anna, service=True).to_excel(folder / "anna.xlsx", index=False, sheet_name="coding")
    ville = pd.read_csv(folder / "ville.csv", dtype=str, keep_default_na=False)
    fill(ville, service=False).to_csv(folder / "ville.csv", index=False)
    return params, folder / "anna.xlsx", folder / "ville.csv"


def test_export_writes_blind_sheets_with_one_masked_sample(project, capsys):
    params = project / "params" / "kotiposti.yaml"
    assert run("coding", "export", params, "--coders", "anna", "ville", "--sample", "100000",
               "--format", "xlsx", "--format", "csv") == 0  # fmt: skip
    out = capsys.readouterr().out
    folder = project / "coding" / "kotiposti"
    assert f"wrote {folder / 'anna.xlsx'}" in out and "seed 20261123" in out
    sample = pd.read_csv(folder / "sample.csv", dtype=str)["response_id"].tolist()
    frames = {
        "anna": pd.read_excel(folder / "anna.xlsx", dtype=str, keep_default_na=False),
        "ville": pd.read_csv(folder / "ville.csv", dtype=str, keep_default_na=False),
    }
    rows = pd.read_csv(project / "data" / "responses.csv", dtype=str, keep_default_na=False)
    commented = rows.loc[rows["comment"].str.strip() != "", "response_id"]
    assert sorted(sample) == sorted(commented) == sorted(frames["anna"]["response_id"])
    assert sorted(frames["ville"]["response_id"]) == sorted(sample)
    assert frames["anna"]["response_id"].tolist() != frames["ville"]["response_id"].tolist()
    book = load_codebook(ROOT / "params" / "codebooks" / "cx-default.yaml")
    for frame in frames.values():  # blind: every mark column empty
        marks = [CODE_PREFIX + c for c in book.names] + ["no_code", "note"]
        assert list(frame.columns) == ["response_id", "comment", *marks]
        assert (frame[marks] == "").all().all()
    text = "\n".join(frames["anna"]["comment"])
    for secret in ("040 1234567", "matti.virtanen@example.com", "Virtaselle"):
        assert secret not in text
    assert "hinta!" in text  # the rest of the planted comment is kept


def test_round_trip_import_and_adjudicate(project, capsys):
    params, anna, ville = export_and_fill(project, capsys)
    capsys.readouterr()
    assert run("coding", "import", params, anna, ville) == 0
    out = capsys.readouterr().out
    assert "anna: 40 coded, 0 not coded yet" in out and "ville: 40 coded" in out
    assert "price: alpha 1.00" in out  # both coders mark price by the same rule
    listed = pd.read_csv(anna.parent / "disagreements.csv", dtype=str, keep_default_na=False)
    frame = pd.read_excel(anna, dtype=str, keep_default_na=False)
    serv = frame.loc[frame["comment"].str.casefold().str.contains("palvelu"), "response_id"]
    # anna's service marks (and their no_code differences) are the only disagreements
    assert set(listed.loc[listed["code"] == "service", "response_id"]) == set(serv)
    assert set(listed["code"]) <= {"service"} and (listed["yes"] == "anna").all()
    assert (listed["decision"] == "").all() and len(listed) == len(serv) > 0
    by_id = frame.set_index("response_id")["comment"]
    assert listed["comment"].tolist() == by_id[listed["response_id"]].tolist()
    assert listed.columns.tolist() == ["response_id", "code", "yes", "no", "comment", "decision"]
    assert f"{len(listed)} disagreement(s)" in out

    # Two coders who disagree are a tie: refused until decided, naming the file.
    assert run("coding", "adjudicate", params, anna, ville) == 2
    err = capsys.readouterr().err
    assert "tie(s) need a decision" in err and "disagreements.csv" in err
    assert not (anna.parent / "adjudicated.csv").exists()

    decided = listed["response_id"].iloc[0]
    listed["decision"] = "0"
    listed.loc[listed.index[0], "decision"] = "x"
    listed.to_csv(anna.parent / "disagreements.csv", index=False)
    assert run("coding", "adjudicate", params, anna, ville) == 0
    assert "final codes of 40 comments" in capsys.readouterr().out
    codes, _ = read_reference(
        anna.parent / "adjudicated.csv",
        load_codebook(ROOT / "params" / "codebooks" / "cx-default.yaml"),
    )
    assert len(codes) == 40
    price = (
        frame.set_index("response_id")["comment"].str.casefold().str.contains("hinta|hinn|price")
    )
    assert codes["price"].to_dict() == price.reindex(codes.index).to_dict()
    assert codes.index[codes["service"]].tolist() == [decided]
    assert not codes.loc[decided, "service.attitude"]  # the decision marks the parent only

    # Decisions are not overwritten by a new import, nor the output by a new adjudication.
    assert run("coding", "import", params, anna, ville) == 2
    assert "already holds decisions" in capsys.readouterr().err
    assert run("coding", "adjudicate", params, anna, ville) == 2
    assert "already exist" in capsys.readouterr().err
    assert run("coding", "adjudicate", params, anna, ville, "--force") == 0


def test_sheets_not_filled_yet(project, capsys):
    params = project / "params" / "kotiposti.yaml"
    assert run("coding", "export", params, "--coders", "anna", "ville", "--sample", "5") == 0
    sheets = [project / "coding" / "kotiposti" / f"{c}.xlsx" for c in ("anna", "ville")]
    capsys.readouterr()
    assert run("coding", "import", params, *sheets) == 0
    out = capsys.readouterr().out
    assert "anna: 0 coded, 5 not coded yet" in out and "price: no comment coded by two" in out
    assert run("coding", "adjudicate", params, *sheets) == 2
    assert "no comment is coded yet" in capsys.readouterr().err


def test_export_refuses_to_overwrite_filled_sheets(project, capsys):
    params, anna, _ = export_and_fill(project, capsys)
    before = anna.read_bytes()
    assert run("coding", "export", params, "--coders", "anna", "--sample", "40") == 2
    assert "anna.xlsx" in capsys.readouterr().err and anna.read_bytes() == before


def test_bad_sheets_are_refused_naming_file_column_and_rows(project, capsys):
    params, anna, ville = export_and_fill(project, capsys)
    capsys.readouterr()
    frame = pd.read_csv(ville, dtype=str, keep_default_na=False)
    frame.loc[3, "response_id"] = "KP-NOT-SENT"
    frame.to_csv(ville, index=False)
    assert run("coding", "import", params, anna, ville) == 2
    err = capsys.readouterr().err
    assert "ville.csv" in err and "KP-NOT-SENT" in err and "row(s) [5]" in err
    frame.loc[3, "response_id"] = frame.loc[4, "response_id"]
    frame[CODE_PREFIX + "hintaa"] = ""
    frame.to_csv(ville, index=False)
    assert run("coding", "import", params, ville) == 2
    assert "code:hintaa" in capsys.readouterr().err


def test_paths_outside_the_project_or_in_reports_are_refused(project, tmp_path_factory, capsys):
    params, anna, _ = export_and_fill(project, capsys)
    capsys.readouterr()
    outside = tmp_path_factory.mktemp("elsewhere") / "anna.xlsx"
    shutil.copy(anna, outside)
    assert run("coding", "import", params, outside) == 2
    assert "outside the project folder" in capsys.readouterr().err
    assert run("coding", "export", params, "--coders", "x", "--folder", project / "reports") == 2
    assert "inside reports/" in capsys.readouterr().err
    assert not (project / "reports").exists()
    link = project / "coding" / "link.xlsx"
    link.symlink_to(outside)
    assert run("coding", "import", params, link) == 2  # a symlink out counts as outside
    assert "outside the project folder" in capsys.readouterr().err


def test_params_without_coding_section(project, capsys):
    params = project / "params" / "kotiposti.yaml"
    params.write_text(
        PARAMS.replace("coding: {codebook: params/codebooks/cx-default.yaml, bootstrap: 50}\n", ""),
        encoding="utf-8",
    )
    assert run("coding", "export", params, "--coders", "anna") == 2
    assert "'coding:' section" in capsys.readouterr().err


def test_unreadable_or_unknown_decisions_are_refused(project, capsys):
    params, anna, ville = export_and_fill(project, capsys)
    assert run("coding", "import", params, anna, ville) == 0
    listed = anna.parent / "disagreements.csv"
    table = pd.read_csv(listed, dtype=str, keep_default_na=False)
    table.loc[1, "decision"] = "maybe"
    other = project / "coding" / "my-decisions.csv"
    table.to_csv(other, index=False)
    capsys.readouterr()
    assert run("coding", "adjudicate", params, anna, ville, "--decisions", other) == 2
    err = capsys.readouterr().err
    assert "my-decisions.csv" in err and "'maybe'" in err and "row(s) [3]" in err
    table["decision"] = "1"
    table.loc[0, "response_id"] = "KP-UNKNOWN"
    table.to_csv(other, index=False)
    assert run("coding", "adjudicate", params, anna, ville, "--decisions", other) == 2
    assert "KP-UNKNOWN" in capsys.readouterr().err
    assert not (anna.parent / "adjudicated.csv").exists()
