"""The params' coding block: files confined, checked, numbered, and part of the cache key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from cxresearch.errors import ParamsError
from cxresearch.params import load_params
from cxresearch.report.runner import plan_jobs, validate_clients

ROOT = Path(__file__).resolve().parents[2]


def project(tmp_path: Path, coding: dict) -> Path:
    (tmp_path / "params" / "codebooks").mkdir(parents=True)
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "data").mkdir()
    shutil.copy(
        ROOT / "params" / "codebooks" / "cx-default.yaml", tmp_path / "params" / "codebooks"
    )
    shutil.copy(ROOT / "notebooks" / "qualitative.ipynb", tmp_path / "notebooks")
    shutil.copy(ROOT / "data" / "demo" / "responses.csv", tmp_path / "data")
    for name in ("anna.csv", "ville.csv"):
        (tmp_path / "data" / name).write_text("response_id,code:price\n", encoding="utf-8")
    params = {
        "client": "kotiposti",
        "title": "T",
        "data": {"path": "data/responses.csv", "filter": {"client": "kotiposti"}},
        "waves": {"current": "2026Q3", "previous": ["2026Q2"]},
        "coding": coding,
        "report": {"analyses": ["qualitative"]},
    }
    path = tmp_path / "params" / "kotiposti.yaml"
    path.write_text(yaml.safe_dump(params), encoding="utf-8")
    return path


def test_coder_files_are_numbered_and_checked(tmp_path):
    path = project(tmp_path, {"codebook": "params/codebooks/cx-default.yaml",
                              "coders": ["data/anna.csv", "data/ville.csv"]})  # fmt: skip
    files = load_params(path).input_files()
    assert files["coding.coders[0]"].name == "anna.csv"
    assert files["coding.coders[1]"].name == "ville.csv"
    assert files["coding.codebook"].name == "cx-default.yaml"


@pytest.mark.parametrize(
    ("coding", "message"),
    [({"codebook": "../../etc/passwd"}, "outside the project"),
     ({"codebook": "params/codebooks/cx-default.yaml", "coders": ["a/x.csv", "b/x.csv"]},
      "distinct file names")],
)  # fmt: skip
def test_bad_coding_files(tmp_path, coding, message):
    with pytest.raises(ParamsError, match=message):
        load_params(project(tmp_path, coding))


def test_changed_codebook_changes_the_cache_key(tmp_path):
    path = project(tmp_path, {"codebook": "params/codebooks/cx-default.yaml"})

    def key() -> str:
        checks = validate_clients([path], root=tmp_path)
        assert checks[0].ok, checks[0].error
        return plan_jobs(checks, root=tmp_path, output=tmp_path / "reports")[0].key

    before = key()
    book = tmp_path / "params" / "codebooks" / "cx-default.yaml"
    book.write_text(book.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert key() != before


def test_invalid_codebook_fails_validation_naming_the_code(tmp_path):
    path = project(tmp_path, {"codebook": "params/codebooks/cx-default.yaml"})
    book = tmp_path / "params" / "codebooks" / "cx-default.yaml"
    text = book.read_text(encoding="utf-8").replace("code: price.fees", "code: price.level", 1)
    book.write_text(text, encoding="utf-8")
    check = validate_clients([path], root=tmp_path)[0]
    assert not check.ok and "code 'price.level' is defined twice" in str(check.error)


def test_missing_codebook_is_a_validation_error(tmp_path):
    path = project(tmp_path, {"codebook": "params/codebooks/missing.yaml"})
    load_params(path)  # the params themselves are fine: the file is checked at validation
    check = validate_clients([path], root=tmp_path)[0]
    assert not check.ok and "coding.codebook: file" in str(check.error)
    assert "does not exist" in str(check.error)
