"""The batch runner end to end on fixture notebooks (4 notebook executions in all).

The steps share one project folder and build on each other (first render → cached →
forced → failing), so each step is a module fixture that snapshots what the tests check.
"""

from __future__ import annotations

import html
import io
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import nbformat
import pytest

from cxresearch.report import manifest as mf
from cxresearch.report.runner import BatchResult, run_reports, validate_clients

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"
ACME_TITLE = "Acme <Oy> — asiakaskokemus 2026"


def make_project(root: Path) -> Path:
    """Two good clients (acme: HTML + PDF, beta: HTML), a bad params file and a bad filter."""
    for folder in ("notebooks", "params", "data"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / "report_ok.ipynb", root / "notebooks" / "benchmarking.ipynb")
    lines = ["response_id,client,wave,nps,region"]
    for client, scores in {"acme": [10, 9, 6, 3], "beta": [9, 9, 8, 0]}.items():
        for i, score in enumerate(scores):
            region = "north" if i % 2 else "south"
            lines.append(f"{client}{i},{client},2026Q3,{score},{region}")
    (root / "data" / "responses.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    files = {
        "acme.yaml": f'client: acme\ntitle: "{ACME_TITLE}"\nlanguage: fi\n'
        "data: {path: data/responses.csv, filter: {client: acme}}\n"
        "waves: {current: 2026Q3}\nreport: {formats: [html, pdf]}\n",
        "beta.yaml": "client: beta\ntitle: Beta Ltd\nlanguage: en\n"
        "data: {path: data/responses.csv, filter: {client: beta}}\n"
        "waves: {current: 2026Q3}\n",
        # unknown key: fails in load_params
        "broken.yaml": "client: gamma\ntitle: G\ndata: {path: data/responses.csv}\n"
        "waves: {current: 2026Q3}\ncolour: blue\n",
        # a run filter value that never occurs: fails when the data is checked
        "typo.yaml": "client: delta\ntitle: D\n"
        "data: {path: data/responses.csv, filter: {client: acme}, clients: [acme]}\n"
        "waves: {current: 2026Q3}\nruns: [{name: east, filter: {region: esat}}]\n",
    }
    for name, text in files.items():
        (root / "params" / name).write_text(text, encoding="utf-8")
    return root


@dataclass
class Step:
    result: BatchResult
    output: str
    files: dict[str, bytes]  # report files (relative to reports/) -> bytes
    mtimes: dict[str, int]


def _run(root: Path, paths: list[Path] | None = None, **options: object) -> Step:
    stream = io.StringIO()
    result = run_reports(paths, root=root, stream=stream, **options)  # type: ignore[arg-type]
    reports = root / "reports"
    found = sorted(p for p in reports.rglob("*") if p.is_file())
    rel = {p.relative_to(reports).as_posix(): p for p in found}
    return Step(
        result,
        stream.getvalue(),
        {k: p.read_bytes() for k, p in rel.items()},
        {k: p.stat().st_mtime_ns for k, p in rel.items()},
    )


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("project"))


@pytest.fixture(scope="module")
def first(root: Path) -> Step:
    # The batch must leave the parent process alone (a distributed executor runs the same
    # code in workers): no chdir, no change to os.environ, while two kernels run at once.
    environ, cwd = dict(os.environ), os.getcwd()

    def refuse_chdir(path: str) -> None:
        # papermill's local file handler "changes" to the current directory: a no-op.
        if Path(path).resolve() != Path(cwd).resolve():
            raise AssertionError(f"the report batch changed the working directory to {path}")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "chdir", refuse_chdir)
        step = _run(root, jobs=2)
    assert dict(os.environ) == environ and os.getcwd() == cwd
    return step


@pytest.fixture(scope="module")
def cached(first: Step, root: Path) -> Step:
    return _run(root, [root / "params" / "acme.yaml", root / "params" / "beta.yaml"])


@pytest.fixture(scope="module")
def forced(cached: Step, root: Path) -> Step:
    return _run(root, [root / "params" / "acme.yaml"], force=True)


@pytest.fixture(scope="module")
def failing(forced: Step, root: Path) -> Step:
    shutil.copy(FIXTURES / "report_fail.ipynb", root / "notebooks" / "benchmarking.ipynb")
    return _run(root, [root / "params" / "acme.yaml"])


ACME = "acme/all/benchmarking"


def test_bad_params_exit_2_while_good_clients_render(first: Step) -> None:
    assert first.result.exit_code == 2
    assert {f"{ACME}.{ext}" for ext in ("ipynb", "html", "pdf")} <= set(first.files)
    assert {"beta/all/benchmarking.ipynb", "beta/all/benchmarking.html"} <= set(first.files)
    # The analysis' declared export, written into the runner's scratch folder, moved here.
    assert first.files["acme/all/banner.xlsx"] == b"export of all"
    assert "beta/all/benchmarking.pdf" not in first.files  # beta asks for HTML only
    assert {"acme/manifest.json", "beta/manifest.json", "index.html"} <= set(first.files)
    assert not [f for f in first.files if Path(f).name.startswith(".")]  # no temporary files
    assert "broken.yaml" in first.output and "colour: unknown key" in first.output
    assert "typo.yaml" in first.output and "'esat'" in first.output
    progress = re.findall(r"^\[(\d)/2\] (\S+) … ok \d+\.\d s \(done ", first.output, re.MULTILINE)
    assert sorted(progress) == [("1", ACME), ("2", "beta/all/benchmarking")] or sorted(
        progress
    ) == [("1", "beta/all/benchmarking"), ("2", ACME)]


def test_kernels_start_in_the_project_with_the_report_environment(first: Step, root: Path) -> None:
    nb = nbformat.reads(first.files[f"{ACME}.ipynb"].decode("utf-8"), as_version=4)
    printed = "".join(
        output.get("text", "") for cell in nb.cells for output in cell.get("outputs", [])
    )
    # The kernel ran in the project root, which the record writes as "." (no machine paths).
    assert "kernel cwd: .\n" in printed
    # Set for the kernel through its kernelspec, unless the parent exported its own value.
    expected = os.environ.get("PYTHONHASHSEED", "0")
    assert f"kernel PYTHONHASHSEED: {expected}" in printed


def test_html_is_client_facing_and_self_contained(first: Step) -> None:
    page = first.files[f"{ACME}.html"].decode("utf-8")
    assert '<html lang="fi">' in page
    assert f"<title>{html.escape(ACME_TITLE, quote=False)}</title>" in page
    assert "load_params(" not in page and "plt.subplots" not in page  # no code
    assert "params_path" not in page and "injected-parameters" not in page
    assert "REMOVED-CELL-OUTPUT" not in page  # cell tagged remove-cell
    assert "run: all" in page  # printed output stays
    assert "data:image/png;base64," in page  # the chart, inlined
    assert re.search(r"https?://", page) is None  # nothing loaded from the web
    ids = [html.unescape(i) for i in re.findall(r'<h2 id="([^"]*)"', page)]
    toc = re.search(r'<nav class="cx-toc">(.*?)</nav>', page, re.DOTALL)
    assert toc is not None
    assert [unquote(h) for h in re.findall(r'href="#([^"]*)"', toc.group(1))] == ids
    assert ids[0] == "Yleiskuva-%E2%80%94-asiakkaat-%C3%A4%C3%B6"  # "—", "ä", "ö" quoted
    english = first.files["beta/all/benchmarking.html"].decode("utf-8")
    assert '<html lang="en">' in english and "<title>Beta Ltd</title>" in english


def test_executed_notebook_is_kept_without_times(first: Step) -> None:
    nb = nbformat.reads(first.files[f"{ACME}.ipynb"].decode("utf-8"), as_version=4)
    meta = nb.metadata["papermill"]
    assert meta["start_time"] is None and meta["duration"] is None
    assert meta["output_path"].endswith("reports/acme/all/benchmarking.ipynb")
    assert meta["parameters"]["run"] == "all"
    # Project-relative: the record names no folder of this machine (security finding 7).
    assert meta["parameters"]["params_path"] == "params/acme.yaml"
    assert str(first.result.checks[0].path.parents[1]) not in first.files[f"{ACME}.ipynb"].decode()
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert [c["id"] for c in injected] == ["papermill-1"]
    assert all(c.metadata.get("papermill", {}).get("end_time") is None for c in nb.cells)


def test_manifest_records_inputs_versions_and_reports(first: Step, root: Path) -> None:
    text = first.files["acme/manifest.json"].decode("utf-8")
    manifest = json.loads(text)
    assert text == json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert manifest["client"] == "acme" and manifest["title"] == ACME_TITLE
    assert manifest["language"] == "fi"
    assert manifest["data"] == {
        "path": "data/responses.csv",
        "sha256": mf.file_sha256(root / "data" / "responses.csv"),
    }
    assert manifest["params"] == {
        "path": "params/acme.yaml",
        "sha256": mf.file_sha256(root / "params" / "acme.yaml"),
    }
    assert set(manifest["git"]) == {"commit", "dirty"}
    assert set(manifest["versions"]) == {"python", *mf.PACKAGES, "pdf_fonts"}
    (entry,) = manifest["reports"]
    assert entry["run"] == "all" and entry["analysis"] == "benchmarking"
    assert entry["status"] == "ok" and entry["seconds"] > 0
    assert entry["files"] == [
        "all/benchmarking.ipynb",
        "all/benchmarking.html",
        "all/benchmarking.pdf",
        "all/banner.xlsx",
    ]
    assert re.fullmatch(r"[0-9a-f]{64}", entry["cache_key"])


def test_index_lists_clients_and_bad_params(first: Step) -> None:
    page = first.files["index.html"].decode("utf-8")
    assert 'href="acme/all/benchmarking.html"' in page
    assert 'href="beta/all/benchmarking.html"' in page
    assert "<h2>Acme &lt;Oy&gt; — asiakaskokemus 2026</h2>" in page
    assert "broken.yaml" in page  # listed under params files with errors
    # delta: params fine, filter wrong (its section is in its reports' language, Finnish)
    assert "Params-tiedosto tai aineisto on korjattava" in page


def test_unchanged_inputs_are_not_rerun(first: Step, cached: Step) -> None:
    assert cached.result.exit_code == 0
    assert [o.status for o in cached.result.outcomes] == ["up to date", "up to date"]
    assert f"[1/2] {ACME} … up to date" in cached.output
    for name in (f"{ACME}.html", f"{ACME}.pdf", f"{ACME}.ipynb", "beta/all/benchmarking.html"):
        assert cached.mtimes[name] == first.mtimes[name]


def test_force_rerenders_byte_identical_outputs(first: Step, forced: Step) -> None:
    assert [o.status for o in forced.result.outcomes] == ["ok"]
    assert forced.mtimes[f"{ACME}.html"] != first.mtimes[f"{ACME}.html"]
    # Same data + params + notebook + versions -> the same bytes, from a fresh kernel.
    for name in (f"{ACME}.html", f"{ACME}.pdf", f"{ACME}.ipynb", "acme/all/banner.xlsx"):
        assert forced.files[name] == first.files[name], name


def test_failure_keeps_good_report_and_names_the_cell(forced: Step, failing: Step) -> None:
    assert failing.result.exit_code == 1
    for name in (f"{ACME}.html", f"{ACME}.pdf", f"{ACME}.ipynb", "acme/all/banner.xlsx"):
        assert failing.files[name] == forced.files[name], name  # earlier report untouched
    kept = nbformat.reads(failing.files[f"{ACME}.failed.ipynb"].decode("utf-8"), as_version=4)
    assert any(o.get("ename") == "KeyError" for c in kept.cells for o in c.get("outputs", []))
    assert re.search(
        rf"^\[1/1\] {ACME} … FAILED \d+\.\d s \(KeyError\) \(done 0, failed 1,",
        failing.output,
        re.M,
    )
    # Cell 3 of notebooks/benchmarking.ipynb (0-based; the injected cell is not counted).
    summary = failing.output.split("Failed:")[1]
    assert f"{ACME}: cell 3 `values = {{\"present\": 1}}`: KeyError: 'missing'" in summary
    assert "reports/acme/all/benchmarking.failed.ipynb" in summary
    manifest = json.loads(failing.files["acme/manifest.json"])
    (entry,) = manifest["reports"]
    assert entry["status"] == "failed"
    assert entry["error"] == {
        "cell_index": 3,
        "source_line": 'values = {"present": 1}',
        "ename": "KeyError",
        "evalue": "'missing'",
    }
    assert entry["files"] == ["all/benchmarking.failed.ipynb"]
    index = failing.files["index.html"].decode()
    assert 'class="cx-status-failed">✗ epäonnistui — solu 3' in index  # acme reports in Finnish


def test_validation_reports_each_bad_file(root: Path) -> None:
    checks = validate_clients(sorted((root / "params").glob("*.yaml")), root=root)
    assert {c.path.name: c.ok for c in checks} == {
        "acme.yaml": True,
        "beta.yaml": True,
        "broken.yaml": False,
        "typo.yaml": False,
    }


def test_jobs_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="jobs must be a positive integer, got 0"):
        run_reports([], root=tmp_path, jobs=0)
