"""Survey-tool exports to rendered reports with only a params file (issue 14).

One project in a temporary folder holds every fixture of tests/fixtures/exports. Four
clients start from ``cxresearch init`` (Qualtrics, SurveyMonkey, SPSS and a Finnish cp1252
semicolon/decimal-comma export), the others from the worked examples in
tests/fixtures/exports/params (the README's "From your survey tool"); ``cxresearch
validate`` passes for all and one ``cxresearch report`` batch renders them (benchmarking
only, HTML only, to keep the suite short).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cxresearch import cli
from cxresearch.data import load_responses
from cxresearch.params import load_params

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "exports"
INIT = {
    "qualtrics-init": "qualtrics.csv",
    "monkey-init": "surveymonkey.csv",
    "spss-init": "kysely.sav",
    "finnish-init": "webropol_fi.csv",
}
WORKED = ["qualtrics", "qualtrics_legacy", "surveymonkey", "google_forms", "spss",
          "webropol_fi", "questback"]  # fmt: skip


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("exports-project")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    shutil.copytree(
        FIXTURES, root / "data" / "exports", ignore=shutil.ignore_patterns("*.py", "params")
    )
    (root / "params").mkdir()
    for name in WORKED:
        shutil.copy(FIXTURES / "params" / f"{name}.yaml", root / "params" / f"{name}.yaml")
    return root


@pytest.fixture(scope="module")
def rendered(project: Path) -> dict[str, str]:
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.chdir(project)
    try:
        for client, file in INIT.items():
            code = cli.main(["init", client, "--data", f"data/exports/{file}", "--wave", "2026Q3"])
            assert code == 0, f"init {client}"
        assert cli.main(["validate"]) == 0
        assert cli.main(["report", "--jobs", "2"]) == 0
    finally:
        monkeypatch.undo()
    pages = {}
    for path in sorted((project / "params").glob("*.yaml")):
        client = load_params(path).client
        pages[path.stem] = (project / "reports" / client / "all" / "benchmarking.html").read_text(
            encoding="utf-8"
        )
    return pages


def test_every_export_renders(rendered: dict[str, str]) -> None:
    assert sorted(rendered) == sorted([*INIT, *WORKED])
    for name, html in rendered.items():
        assert "<table" in html, name


def test_the_report_counts_the_rows_not_taken(rendered: dict[str, str]) -> None:
    html = rendered["qualtrics"]
    steps = ["Survey previews left out", "Test responses left out",
             "Responses flagged as spam left out", "Unfinished responses left out"]  # fmt: skip
    assert all(step in html for step in steps)
    # -99 "seen but unanswered" is shown as counted "no answer" (8 answers), not averaged.
    assert 'These answers were counted as "no answer"' in html
    assert "<td" in html.split("These answers were counted")[1].split("-99")[0]
    assert ">8<" in html.split("-99", 1)[1][:200]


def test_spss_user_missing_counted_in_the_finnish_report(rendered: dict[str, str]) -> None:
    after = rendered["spss"].split("SPSS-tiedostossa puuttuvaksi merkitty", 2)
    assert len(after) == 3  # nps and csat rows
    assert ">2<" in after[1][:200] and ">3<" in after[2][:200]


def test_finnish_cp1252_export_reads_its_decimal_commas(project: Path) -> None:
    frame = load_responses(
        project / "data" / "exports" / "webropol_fi.csv",
        **load_params(project / "params" / "webropol_fi.yaml").data.options(),
    )
    assert frame["attr_speed"].dropna().mod(0.5).eq(0).all()
    assert frame.attrs["encoding"] == "cp1252"
