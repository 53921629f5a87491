"""The validated-data cache changes no report: the demo client's reports read through it
(the batch's check writes it, each kernel reads it) have the same bytes as reports made
with the cache turned off."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
import yaml

from cxresearch.data.cache import CACHE_VARIABLE
from cxresearch.report.runner import run_reports

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.suffix in (".ipynb", ".html", ".pdf")
    }


def test_the_demo_reports_have_the_same_bytes_with_and_without_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    shutil.copytree(ROOT / "data" / "demo", tmp_path / "data" / "demo")
    params = yaml.safe_load((ROOT / "params" / "kotiposti.yaml").read_text(encoding="utf-8"))
    params["runs"] = [{"name": "all"}]
    params["report"]["analyses"] = ["benchmarking"]
    (tmp_path / "params").mkdir()
    text = yaml.safe_dump(params, allow_unicode=True, sort_keys=False)
    (tmp_path / "params" / "kotiposti.yaml").write_text(text, encoding="utf-8")
    cache = tmp_path / ".cache" / "cxresearch" / "validated"

    with monkeypatch.context() as patch:
        patch.setenv(CACHE_VARIABLE, "off")
        plain = run_reports(root=tmp_path, jobs=1, stream=io.StringIO())
    assert plain.exit_code == 0 and not cache.exists()
    expected = _files(tmp_path / "reports")
    # The same folders (the executed notebook records them), forced, through the cache.
    cached = run_reports(root=tmp_path, jobs=1, stream=io.StringIO(), force=True)
    assert cached.exit_code == 0 and len(list(cache.glob("*.parquet"))) == 1
    assert [o.status for o in cached.outcomes] == ["ok"]
    got = _files(tmp_path / "reports")
    assert set(got) == set(expected) and len(got) == 4  # index, ipynb, html, pdf
    assert [name for name in got if got[name] != expected[name]] == []
