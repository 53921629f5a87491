"""The Dask executor on a LocalCluster of two worker processes, against the local executor.

One demo client's whole-base run (benchmarking and drivers, HTML and PDF) renders to the
same bytes on Dask as locally; a failing client fails alone with exit code 1; a stop
request (what Ctrl-C and SIGTERM do in the CLI) cancels the batch with exit code 130 and
kills the kernel on the worker, as locally.
"""

from __future__ import annotations

import io
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from cxresearch.report.cancel import Cancellation
from cxresearch.report.executors import DaskExecutor, LocalExecutor
from cxresearch.report.runner import BatchResult, run_reports

distributed = pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster() -> object:
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as local:
        yield local


def _demo_project(root: Path) -> Path:
    """The repository's notebooks and demo data; kotiposti's whole-base run, two analyses."""
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    shutil.copytree(ROOT / "data" / "demo", root / "data" / "demo")
    params = yaml.safe_load((ROOT / "params" / "kotiposti.yaml").read_text(encoding="utf-8"))
    params["runs"] = [{"name": "all"}]
    params["report"]["analyses"] = ["benchmarking", "drivers"]  # two demo-sized reports
    (root / "params").mkdir()
    text = yaml.safe_dump(params, allow_unicode=True, sort_keys=False)
    (root / "params" / "kotiposti.yaml").write_text(text, encoding="utf-8")
    return root


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.suffix in (".ipynb", ".html", ".pdf") and p.name != "index.html"
    }


def test_dask_renders_the_demo_client_with_the_same_bytes_as_a_local_run(
    tmp_path: Path, cluster: object
) -> None:
    root = _demo_project(tmp_path)
    local = run_reports(root=root, executor=LocalExecutor(2), stream=io.StringIO())
    local_files = _files(root / "reports")
    stream = io.StringIO()
    # The same reports folder (its path is recorded in the executed notebook), forced.
    dask = run_reports(
        root=root,
        executor=DaskExecutor(cluster.scheduler_address),  # type: ignore[attr-defined]
        stream=stream,
        force=True,
    )
    dask_files = _files(root / "reports")
    assert local.exit_code == dask.exit_code == 0, stream.getvalue()
    labels = [(o.job.label, o.status) for o in dask.outcomes]
    assert [o.status for o in dask.outcomes] == ["ok", "ok"], (labels, stream.getvalue())
    expected = {
        f"kotiposti/all/{name}.{ext}"
        for name in ("benchmarking", "drivers")
        for ext in ("ipynb", "html", "pdf")
    }
    assert set(dask_files) == set(local_files) == expected
    different = [name for name in expected if dask_files[name] != local_files[name]]
    assert different == []
    # The progress display is the same one: counts, elapsed time and the summary.
    assert "(done 1, failed 0, up to date 0;" in stream.getvalue()
    assert "2 report(s) in" in stream.getvalue()


# --- failure isolation and stopping, on a tiny notebook ---------------------------------

NOTEBOOK_CODE = """\
import time

from cxresearch.params import load_params

params = load_params(params_path)
if params.client == "beta":
    values = {"present": 1}
    values["missing"]
if params.client == "slow":
    time.sleep(120)
print(params.client, run)
"""


def test_a_failing_client_fails_alone_on_dask(
    tmp_path: Path, cluster: object, tiny_project: Any
) -> None:
    root = tiny_project(tmp_path, ["acme", "beta"], NOTEBOOK_CODE)
    stream = io.StringIO()
    result = run_reports(
        root=root,
        executor=DaskExecutor(cluster.scheduler_address),  # type: ignore[attr-defined]
        stream=stream,
    )
    text = stream.getvalue()
    assert result.exit_code == 1, text
    status = {o.job.params.client: o.status for o in result.outcomes}
    assert status == {"acme": "ok", "beta": "failed"}
    reports = root / "reports"
    assert (reports / "acme" / "all" / "benchmarking.html").is_file()
    assert not (reports / "beta" / "all" / "benchmarking.html").exists()
    assert (reports / "beta" / "all" / "benchmarking.failed.ipynb").is_file()
    assert "beta/all/benchmarking: cell 1 `import time`: KeyError: 'missing'" in text
    assert not [p for p in reports.rglob(".*.tmp*")]  # nothing half-written


def _worker_kernels(client: object) -> list[int]:
    """Kernel processes started by the cluster's workers (their files name the worker pid)."""
    pids = set(client.run(os.getpid).values())  # type: ignore[attr-defined]
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if any(f"cxresearch-{pid}-".encode() in cmdline for pid in pids):
            found.append(int(entry.name))
    return found


class _Started(DaskExecutor):
    """Notes when a report has started on a worker."""

    def __init__(self, address: str) -> None:
        super().__init__(address)
        self.started = threading.Event()

    def run(self, tasks, *, on_start, on_done, cancellation):  # type: ignore[no-untyped-def]
        def started(index: int) -> None:
            self.started.set()
            on_start(index)

        super().run(tasks, on_start=started, on_done=on_done, cancellation=cancellation)


def test_a_stop_request_cancels_the_dask_batch_and_kills_its_kernel(
    tmp_path: Path, cluster: object, tiny_project: Any
) -> None:
    root = tiny_project(tmp_path, ["slow"], NOTEBOOK_CODE)
    executor = _Started(cluster.scheduler_address)  # type: ignore[attr-defined]
    stop = Cancellation()
    box: dict[str, BatchResult] = {}
    stream = io.StringIO()
    batch = threading.Thread(
        target=lambda: box.setdefault(
            "result",
            run_reports(root=root, executor=executor, stream=stream, cancellation=stop),
        )
    )
    batch.start()
    assert executor.started.wait(120), stream.getvalue()
    time.sleep(2)  # the kernel is up and sleeping in its cell
    started = time.monotonic()
    stop.request("SIGINT")
    batch.join(60)
    assert not batch.is_alive()
    assert time.monotonic() - started < 30
    result = box["result"]
    assert result.exit_code == 130
    assert [o.status for o in result.outcomes] == ["cancelled"]
    reports = root / "reports"
    assert not (reports / "slow" / "all" / "benchmarking.html").exists()
    assert (reports / "index.html").is_file()  # the index is written for what finished
    assert "Stopped (SIGINT)" in stream.getvalue()
    with distributed.Client(cluster.scheduler_address) as client:  # type: ignore[attr-defined]
        deadline = time.monotonic() + 15
        while _worker_kernels(client) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _worker_kernels(client) == []
