"""Ctrl-C and SIGTERM stop a real batch cleanly (docs/security.md, F6).

Each test starts ``cxresearch report --jobs 2`` on a copy of the project with one demo
client and six benchmarking reports, waits until the first report is done (one more is
running, the rest queued), sends real signals and checks what a consultant would: exit
code 130, queued reports not rendered, manifest and index written for what finished, no
temporary report file, no kernel process and no kernel connection or socket file left.
Before the fix every queued notebook still rendered (30–47 s), the run then exited without
manifests or index, and SIGTERM left ``.benchmarking.*.tmp.ipynb`` files behind.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNS = ["all", "uusimaa", "pirkanmaa", "medium", "small", "enterprise"]
PARAMS = """client: kotiposti
title: Kotiposti Oy
data: {path: data/responses.csv, filter: {client: kotiposti}}
waves: {current: 2026Q3, previous: [2026Q2]}
runs:
  - {name: all}
  - {name: uusimaa, filter: {region: uusimaa}}
  - {name: pirkanmaa, filter: {region: pirkanmaa}}
  - {name: medium, filter: {size: medium}}
  - {name: small, filter: {size: small}}
  - {name: enterprise, filter: {size: enterprise}}
report: {analyses: [benchmarking]}
"""
# A hang guard only (the batch normally exits within seconds of the signal).
HANG = 120


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for folder in ("notebooks", "params", "data"):
        (tmp_path / folder).mkdir()
    shutil.copy(ROOT / "notebooks" / "benchmarking.ipynb", tmp_path / "notebooks")
    shutil.copy(ROOT / "data" / "demo" / "responses.csv", tmp_path / "data" / "responses.csv")
    (tmp_path / "params" / "kotiposti.yaml").write_text(PARAMS, encoding="utf-8")
    (tmp_path / "tmp").mkdir()  # the batches' TMPDIR (see scratch)
    return tmp_path


def scratch(project: Path) -> dict[str, str]:
    """The environment of a batch of this project: its own temporary folder.

    Kernel files go to the temporary folder, and any ``cxresearch report`` removes a dead
    process's files there; with the shared /tmp another suite's batch running at the same
    time would remove what these tests look for.
    """
    return {**os.environ, "TMPDIR": str(project / "tmp")}


class Batch:
    """``cxresearch report`` in its own process group, its output collected as it comes."""

    def __init__(self, project: Path, *args: str) -> None:
        self.project = project
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cxresearch.cli", "report", "--jobs", "2", *args],
            cwd=project,
            env=scratch(project),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    def wait_for_first_report(self) -> None:
        deadline = time.monotonic() + HANG
        while not any(" ok " in line for line in self.lines):
            assert self.proc.poll() is None, "".join(self.lines)
            assert time.monotonic() < deadline, "no report finished"
            time.sleep(0.1)

    def wait_for_kernel(self) -> None:
        """Until a notebook is running: its kernel's files and its temporary file exist."""
        deadline = time.monotonic() + HANG
        while not (kernel_files(self) and temporaries(self.project)):
            assert self.proc.poll() is None, "".join(self.lines)
            assert time.monotonic() < deadline, "no kernel started"
            time.sleep(0.1)

    def finish(self) -> tuple[int, str, str, float]:
        started = time.monotonic()
        code = self.proc.wait(timeout=HANG)
        seconds = time.monotonic() - started
        self._reader.join(timeout=10)
        stderr = self.proc.stderr.read() if self.proc.stderr else ""
        return code, "".join(self.lines), stderr, seconds


def kernel_processes(pid: int) -> list[int]:
    """Live processes whose command line names a kernel file of batch ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if f"cxresearch-{pid}-".encode() in cmdline:
            found.append(int(entry.name))
    return found


def kernel_files(batch: Batch) -> list[Path]:
    return sorted((batch.project / "tmp").glob(f"cxresearch-{batch.proc.pid}-*"))


def temporaries(project: Path) -> list[Path]:
    return sorted((project / "reports").rglob(".*.tmp*"))


def gone(pid: int) -> bool:
    # Kernels get a grace second after the interrupt and are then killed; allow the
    # process table a moment to show it.
    deadline = time.monotonic() + 10
    while kernel_processes(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    return not kernel_processes(pid)


def assert_clean_stop(project: Path, batch: Batch, name: str, *, finished: int = 1) -> None:
    code, out, err, seconds = batch.finish()
    print(f"{name}: exited {code} {seconds:.1f} s after the signal")
    assert code == 130, out + err
    assert f"Stopped ({name})" in out and "cancelled" in out
    client = project / "reports" / "kotiposti"
    rendered = [r for r in RUNS if (client / r / "benchmarking.html").exists()]
    assert finished <= len(rendered) < len(RUNS)  # the queue was not worked off
    if rendered:
        manifest = json.loads((client / "manifest.json").read_text(encoding="utf-8"))
        assert sorted(e["run"] for e in manifest["reports"]) == sorted(rendered)
        assert all(e["status"] == "ok" for e in manifest["reports"])
    index = (project / "reports" / "index.html").read_text(encoding="utf-8")
    assert all(f"kotiposti/{r}/benchmarking.html" in index for r in rendered)
    assert temporaries(project) == []
    assert not list((project / "reports").rglob("*.failed.ipynb"))
    assert gone(batch.proc.pid), kernel_processes(batch.proc.pid)
    assert kernel_files(batch) == []


@pytest.mark.slow
def test_first_ctrl_c_stops_the_batch_cleanly(project: Path) -> None:
    batch = Batch(project)
    batch.wait_for_first_report()
    os.killpg(batch.proc.pid, signal.SIGINT)  # as the terminal does on Ctrl-C
    assert_clean_stop(project, batch, "SIGINT")


@pytest.mark.slow
def test_sigterm_stops_the_batch_cleanly(project: Path) -> None:
    batch = Batch(project)
    batch.wait_for_kernel()
    batch.proc.send_signal(signal.SIGTERM)  # to the process only
    assert_clean_stop(project, batch, "SIGTERM", finished=0)


@pytest.mark.slow
def test_second_ctrl_c_exits_at_once_and_leaves_nothing(project: Path) -> None:
    batch = Batch(project)
    batch.wait_for_kernel()
    os.killpg(batch.proc.pid, signal.SIGINT)
    time.sleep(0.3)
    os.killpg(batch.proc.pid, signal.SIGINT)
    code, out, err, seconds = batch.finish()
    print(f"second SIGINT: exited {code} {seconds:.1f} s after the first signal")
    assert code == 130, out + err
    assert temporaries(project) == []
    assert gone(batch.proc.pid), kernel_processes(batch.proc.pid)
    assert kernel_files(batch) == []


@pytest.mark.slow
def test_a_later_run_removes_what_a_killed_run_left(project: Path) -> None:
    batch = Batch(project)
    batch.wait_for_kernel()
    left = temporaries(project)
    batch.proc.send_signal(signal.SIGKILL)  # no handler runs: nothing is cleaned up
    batch.finish()
    assert left and temporaries(project), "a running notebook had no temporary file"
    # ipykernel ends a kernel whose parent died; its files stay until someone removes them.
    assert gone(batch.proc.pid)
    assert kernel_files(batch)
    later = subprocess.run(
        [sys.executable, "-m", "cxresearch.cli", "report", "params/missing.yaml"],
        cwd=project,
        env=scratch(project),
        capture_output=True,
        text=True,
        timeout=HANG,
    )
    assert later.returncode == 2  # a bad params file: nothing rendered, but cleaned up
    assert temporaries(project) == []
    assert kernel_files(batch) == []
