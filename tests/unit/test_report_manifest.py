"""Hashes, cache keys, provenance, git state and manifest files."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from cxresearch.params import load_params
from cxresearch.report import manifest as mf


def _params(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "r.csv").write_bytes(b"response_id,client,wave,nps\nr1,acme,2026Q3,9\n")
    (tmp_path / "params").mkdir()
    path = tmp_path / "params" / "acme.yaml"
    path.write_text(
        "client: acme\ntitle: Acme Oy\ndata: {path: data/r.csv}\nwaves: {current: 2026Q3}\n",
        encoding="utf-8",
    )
    return path


def test_file_sha256_matches_the_fips_example(tmp_path: Path) -> None:
    path = tmp_path / "abc.txt"
    path.write_bytes(b"abc")
    # FIPS 180-2, appendix B.1: SHA-256("abc").
    expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert mf.file_sha256(path) == expected


def test_package_versions_lists_every_package() -> None:
    versions = mf.package_versions()
    assert set(versions) == {"python", *mf.PACKAGES, "pdf_fonts"}
    assert versions["cxresearch"] != "not installed"
    # The PDF's font files are named with their digest, so the cache key changes with them.
    assert versions["pdf_fonts"].startswith("DejaVu Sans") and "sha256:" in versions["pdf_fonts"]


KEY_INPUTS = {
    "data_sha256": "d" * 64,
    "params_sha256": "p" * 64,
    "notebook_sha256": "n" * 64,
    "sources_sha256": "s" * 64,
    "versions": {"python": "3.11.7", "pandas": "3.1.1"},
    "run": "all",
    "analysis": "benchmarking",
}


def test_cache_key_is_stable_and_ignores_version_order() -> None:
    key = mf.cache_key(**KEY_INPUTS)  # type: ignore[arg-type]
    reordered = dict(KEY_INPUTS, versions={"pandas": "3.1.1", "python": "3.11.7"})
    assert mf.cache_key(**reordered) == key  # type: ignore[arg-type]
    assert len(key) == 64


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("data_sha256", "D" * 64),
        ("params_sha256", "P" * 64),
        ("notebook_sha256", "N" * 64),
        ("sources_sha256", "S" * 64),
        ("versions", {"python": "3.11.7", "pandas": "3.1.2"}),
        ("run", "north"),
        ("analysis", "drivers"),
    ],
)
def test_cache_key_changes_with_each_input(name: str, value: object) -> None:
    base = mf.cache_key(**KEY_INPUTS)  # type: ignore[arg-type]
    assert mf.cache_key(**dict(KEY_INPUTS, **{name: value})) != base  # type: ignore[arg-type]


def test_sources_digest_follows_code_not_bytecode(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    shutil.copytree(Path(mf.__file__).parent, package / "report")
    first = mf.package_sources_sha256(package)
    (package / "report" / "__pycache__").mkdir(exist_ok=True)
    (package / "report" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    mf._sources_sha256.cache_clear()
    assert mf.package_sources_sha256(package) == first
    css = package / "report" / "templates" / "cxreport" / "report.css"
    css.write_text(css.read_text(encoding="utf-8") + "/* changed */\n", encoding="utf-8")
    mf._sources_sha256.cache_clear()
    assert mf.package_sources_sha256(package) != first


def test_provenance_has_hashes_and_versions_but_no_time_or_commit(tmp_path: Path) -> None:
    params = load_params(_params(tmp_path))
    info = mf.provenance(params)
    assert info["data_sha256"] == mf.file_sha256(tmp_path / "data" / "r.csv")
    assert info["params_sha256"] == mf.file_sha256(tmp_path / "params" / "acme.yaml")
    assert set(info) == {"data_sha256", "params_sha256", "python", *mf.PACKAGES, "pdf_fonts"}
    assert all(isinstance(v, str) for v in info.values())
    assert mf.provenance(params) == info


def test_provenance_rejects_a_path() -> None:
    with pytest.raises(TypeError, match="params must be"):
        mf.provenance("params/acme.yaml")  # type: ignore[arg-type]


def test_git_state_outside_a_repository(tmp_path: Path) -> None:
    assert mf.git_state(tmp_path) == {"commit": None, "dirty": None}


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_state_reports_commit_and_dirty_flag(tmp_path: Path) -> None:
    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()

    git("init", "-q")
    (tmp_path / "a.txt").write_text("a\n", encoding="utf-8")
    assert mf.git_state(tmp_path) == {"commit": None, "dirty": True}  # nothing committed yet
    git("add", "a.txt")
    git("commit", "-q", "-m", "first")
    head = git("rev-parse", "HEAD")
    assert mf.git_state(tmp_path) == {"commit": head, "dirty": False}
    (tmp_path / "a.txt").write_text("b\n", encoding="utf-8")
    assert mf.git_state(tmp_path) == {"commit": head, "dirty": True}


def test_manifest_is_sorted_json_with_trailing_newline(tmp_path: Path) -> None:
    params = load_params(_params(tmp_path))
    entry = {
        "run": "all",
        "analysis": "benchmarking",
        "files": ["all/benchmarking.html"],
        "cache_key": "k",
        "status": "ok",
        "seconds": 1.5,
    }
    data_sha = mf.file_sha256(params.data_path)
    manifest = mf.build_manifest(params, root=tmp_path, reports=[entry], data_sha256=data_sha)
    assert manifest["data"] == {"path": "data/r.csv", "sha256": data_sha}
    assert manifest["params"] == {"path": "params/acme.yaml", "sha256": params.sha256}
    assert manifest["git"] == {"commit": None, "dirty": None}
    assert (manifest["client"], manifest["title"], manifest["language"]) == (
        "acme",
        "Acme Oy",
        "fi",
    )
    path = mf.manifest_path(tmp_path / "reports", "acme")
    mf.write_manifest(path, manifest)
    text = path.read_text(encoding="utf-8")
    assert text == json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert mf.read_manifest(path) == manifest
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind


def test_unreadable_manifest_reads_as_none(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("{not json", encoding="utf-8")
    assert mf.read_manifest(tmp_path / "manifest.json") is None
    assert mf.read_manifest(tmp_path / "missing.json") is None


def test_atomic_write_gives_ordinary_permissions(tmp_path: Path) -> None:
    # mkstemp makes 0600 files; a shared report must get what open() would give.
    umask = os.umask(0o022)
    os.umask(umask)
    path = tmp_path / "sub" / "page.html"
    mf.write_text_atomic(path, "ä\n")
    assert path.read_bytes() == "ä\n".encode()
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
    assert [p.name for p in path.parent.iterdir()] == ["page.html"]
