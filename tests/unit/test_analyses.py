"""The analysis registry: names, notebooks, labels, and what params and data must provide."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxresearch.analyses import ANALYSES, AnalysisSpec, analysis, analysis_names, register
from cxresearch.errors import ParamsError
from cxresearch.params import load_params
from cxresearch.present.labels import get_labels
from cxresearch.report.runner import validate_client

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", analysis_names())
def test_every_analysis_has_its_notebook_and_labels(name: str) -> None:
    spec = analysis(name)
    assert spec.notebook_path(ROOT).is_file()
    for language in ("fi", "en"):
        labels = get_labels(language)
        assert spec.label(labels) != name or language == "en" and name.istitle()
        assert labels.get(f"analyses.{name}", "") != ""


def test_unknown_analysis_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown analysis 'journey-map'; known analyses: "):
        analysis("journey-map")


def test_registering_a_name_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="registered already"):
        register(AnalysisSpec(name="benchmarking", notebook="other.ipynb"))
    assert ANALYSES["benchmarking"].notebook == "benchmarking.ipynb"


def _project(tmp_path: Path, data: str, report: str, extra: str = "") -> Path:
    (tmp_path / "params").mkdir()
    (tmp_path / "data").mkdir()
    (tmp_path / "notebooks").mkdir()
    for name in analysis_names():
        (tmp_path / "notebooks" / analysis(name).notebook).write_text("{}")
    (tmp_path / "data" / "d.csv").write_text(data, encoding="utf-8")
    path = tmp_path / "params" / "acme.yaml"
    path.write_text(
        "client: acme\ntitle: Acme\ndata: {path: data/d.csv}\nwaves: {current: w1}\n"
        f"report: {report}\n{extra}",
        encoding="utf-8",
    )
    return path


def test_params_list_only_registered_analyses(tmp_path: Path) -> None:
    path = _project(tmp_path, "response_id,client,wave,nps\n1,acme,w1,9\n", "{analyses: [maps]}")
    with pytest.raises(ParamsError, match=r"report\.analyses\.0: .*unknown analysis 'maps'"):
        load_params(path)


def test_an_analysis_without_its_params_section_is_refused(tmp_path: Path) -> None:
    path = _project(tmp_path, "response_id,client,wave,nps\n1,acme,w1,9\n", "{analyses: [drivers]}")
    with pytest.raises(ParamsError, match="includes 'drivers' but there is no 'drivers' section"):
        load_params(path)


def test_the_columns_an_analysis_needs_are_checked_against_its_key(tmp_path: Path) -> None:
    data = "response_id,client,wave,nps,attr_a\n1,acme,w1,9,3\n"
    drivers = "drivers: {outcomes: [nps], attributes: [attr_a, attr_b]}\n"
    path = _project(tmp_path, data, "{analyses: [drivers]}", drivers)
    check = validate_client(path, root=tmp_path)
    assert check.error is not None
    assert "drivers.attributes names column(s) ['attr_b']" in check.error


def test_an_analysis_that_needs_scores_says_so_at_validate(tmp_path: Path) -> None:
    # A score column that is there but has no answer (a comment-only export mapped onto
    # the schema): it loads, but the benchmarking report would have nothing to show.
    data = "response_id,client,wave,nps,comment\n1,acme,w1,,Hyvä palvelu\n"
    path = _project(tmp_path, data, "{analyses: [benchmarking]}")
    check = validate_client(path, root=tmp_path)
    assert check.error is not None
    assert "report.analyses lists 'benchmarking', which needs answers to at least one of" in (
        check.error
    )
