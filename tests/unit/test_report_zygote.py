"""Kernels forked from the preloaded template behave as kernels started by jupyter_client.

Each test runs the same thing with ``CXRESEARCH_KERNELS=spawn`` (every kernel a fresh
``python -m ipykernel_launcher``) and with the template (the default), and checks that the
template was really used: a kernel's view of its process (hash seed, environment, working
directory, ``sys.argv``/``sys.path``, matplotlib's backend, threads) and the reports' bytes
are the same; a kernel that dies, one killed from outside, an interrupt and a stopped
batch end as they do without the template; a template that dies falls back.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest

from cxresearch.report import zygote
from cxresearch.report.cancel import Cancellation
from cxresearch.report.execute import execute_notebook, kernel_environment, report_kernel_manager
from cxresearch.report.executors import LocalExecutor
from cxresearch.report.runner import run_reports

# What a kernel can see of how it was started. JPY_PARENT_PID is this process in both.
PROBE = """\
import json, os, sys, tempfile, threading
import matplotlib
import matplotlib.pyplot as plt
names = ["PYTHONHASHSEED", "SOURCE_DATE_EPOCH", "MATPLOTLIBRC", "OMP_NUM_THREADS",
         "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "MPLBACKEND", "JE_ARROW_MALLOC_CONF",
         "CXRESEARCH_RUN_RECORD", "CXRESEARCH_PROBE"]
fig, ax = plt.subplots()
ax.plot([1, 2, 3])
print(json.dumps({
    "hash": hash("cxresearch"),
    "env": {n: os.environ.get(n) for n in names},
    "parent_is_batch": os.environ.get("JPY_PARENT_PID") == str(os.getppid())
    or os.environ.get("JPY_PARENT_PID") == os.environ.get("PROBE_BATCH_PID"),
    "cwd": os.getcwd(),
    "argv0": os.path.basename(sys.argv[0]),
    "argv_rest": sys.argv[1:2],
    "path": sys.path,
    "backend": matplotlib.get_backend(),
    "stdin": sys.stdin.read() if sys.stdin else None,
    "tempdir": tempfile.gettempdir(),
    "main": sys.modules["__main__"].__name__,
    "session_leader": os.getsid(0) == os.getpid(),
}, sort_keys=True))
"""
# Import-time state of the libraries the template preloads: every pandas option (pandas
# chooses display defaults by whether it is imported in a kernel) and matplotlib setting.
OPTIONS = """import json
import matplotlib
import pandas as pd
from pandas._config.config import _registered_options
options = {k: repr(pd.get_option(k)) for k in sorted(_registered_options)}
params = {k: repr(v) for k, v in sorted(matplotlib.rcParams.items())}
print(json.dumps({"pandas": options, "matplotlib": params}, sort_keys=True))
pd.DataFrame({f"column {i}": [i * 1000, i] for i in range(30)})
"""


KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def _notebook(path: Path, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell('params_path = ""', metadata={"tags": ["parameters"]}),
        *(nbformat.v4.new_code_cell(c) for c in cells),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, str(path))
    return path


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The kernels the template forked (the template is shut down afterwards)."""
    made: list[Any] = []
    real = zygote.launch

    def spy(*args: Any, **kwargs: Any) -> Any:
        kernel = real(*args, **kwargs)
        made.append(kernel)
        return kernel

    monkeypatch.setattr(zygote, "launch", spy)
    yield made
    zygote.shutdown()


def _run(notebook: Path, tmp: Path, mode: str, monkeypatch: pytest.MonkeyPatch, **kw: Any):
    monkeypatch.setenv(zygote.MODE_VARIABLE, mode)
    out = tmp / f"{mode}.ipynb"
    nb, failure = execute_notebook(
        notebook,
        out,
        parameters={"params_path": "x"},
        cwd=tmp,
        final_path=out,
        env={"CXRESEARCH_PROBE": "per-kernel"},
        **kw,
    )
    return nb, failure


def _text(nb: Any, name: str = "stdout") -> str:
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    return "".join(o.get("text", "") for o in outputs if o.get("name") == name)


def test_a_forked_kernel_sees_what_a_started_kernel_sees(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forks: list[Any]
) -> None:
    notebook = _notebook(tmp_path / "probe.ipynb", PROBE)
    monkeypatch.setenv("PROBE_BATCH_PID", str(os.getpid()))
    spawned, failure = _run(notebook, tmp_path, "spawn", monkeypatch)
    assert failure is None
    assert forks == []  # spawn: the template is not asked
    forked, failure = _run(notebook, tmp_path, "fork", monkeypatch)
    assert failure is None
    assert isinstance(forks[-1], zygote.ForkedKernel)
    seen_spawned, seen_forked = json.loads(_text(spawned)), json.loads(_text(forked))
    assert seen_forked == seen_spawned
    # The report environment's seed (0, or what the parent exports: the full suite runs
    # with a random one), fixed in the template when it started.
    assert seen_forked["env"]["PYTHONHASHSEED"] == kernel_environment()["PYTHONHASHSEED"]
    assert seen_forked["env"]["CXRESEARCH_PROBE"] == "per-kernel"
    assert seen_forked["env"]["JE_ARROW_MALLOC_CONF"] is None  # the template's own only
    assert seen_forked["cwd"] == "."  # the project folder, as the kept notebook writes it
    assert seen_forked["argv0"] == "ipykernel_launcher.py"
    assert seen_forked["session_leader"] and seen_forked["parent_is_batch"]
    # The whole executed notebooks are equal (outputs, figures, metadata).
    assert nbformat.writes(forked) == nbformat.writes(spawned).replace("spawn.ipynb", "fork.ipynb")


def test_preloaded_libraries_are_configured_as_in_a_started_kernel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forks: list[Any]
) -> None:
    notebook = _notebook(tmp_path / "options.ipynb", OPTIONS)
    spawned, failure = _run(notebook, tmp_path, "spawn", monkeypatch)
    assert failure is None
    forked, failure = _run(notebook, tmp_path, "fork", monkeypatch)
    assert failure is None and isinstance(forks[-1], zygote.ForkedKernel)
    seen, expected = json.loads(_text(forked)), json.loads(_text(spawned))
    for library in ("pandas", "matplotlib"):
        differ = {
            k: (seen[library].get(k), expected[library].get(k))
            for k in seen[library].keys() | expected[library].keys()
            if seen[library].get(k) != expected[library].get(k)
        }
        assert differ == {}, library
    assert seen["pandas"]["display.max_columns"] == "20"  # a kernel's, not a terminal's
    # The wide frame's text and HTML forms (kept in the .ipynb) are equal too.
    assert forked.cells[-1].outputs[-1] == spawned.cells[-1].outputs[-1]


# A full garbage collection in the kernel, and how much of its memory became its own.
COLLECT = """\
import gc

def private_mib():
    with open("/proc/self/smaps_rollup") as f:
        lines = [line for line in f if line.startswith(("Private_Dirty", "Private_Clean"))]
    return sum(int(line.split()[1]) for line in lines) / 1024

before = private_mib()
gc.collect()
print(gc.get_freeze_count(), round(private_mib() - before, 1))
"""


def test_a_kernels_garbage_collection_does_not_copy_the_template(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forks: list[Any]
) -> None:
    # The template's objects are frozen (gc.freeze): collections in a kernel skip them, so
    # the pages holding them stay shared instead of being copied into every kernel.
    notebook = _notebook(tmp_path / "collect.ipynb", COLLECT)
    nb, failure = _run(notebook, tmp_path, "fork", monkeypatch)
    assert failure is None and isinstance(forks[-1], zygote.ForkedKernel)
    frozen, copied_mib = _text(nb).split()
    assert float(copied_mib) < 16, copied_mib  # without the freeze: 25-30 MiB
    assert int(frozen) > 100_000


# The notebook prints a set's order and a string's hash: both depend on the hash seed.
HASH_CODE = (
    "import pandas as pd\nfrom cxresearch.params import load_params\n"
    "params = load_params(params_path)\n"
    "print(sorted({'b', 'a', params.client, 'c'}), hash(params.client))\n"
    'pd.DataFrame({"client": [params.client], "run": [run]})'
)


def test_a_batch_gives_the_same_bytes_with_forked_kernels(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    forks: list[Any],
    tiny_project: Any,
    report_files: Any,
) -> None:
    root = tiny_project(tmp_path, ["acme", "beta", "gamma"], HASH_CODE)
    monkeypatch.setenv(zygote.MODE_VARIABLE, "spawn")
    plain = run_reports(root=root, executor=LocalExecutor(2), stream=io.StringIO())
    before = report_files(root / "reports")
    monkeypatch.setenv(zygote.MODE_VARIABLE, "fork")
    forked = run_reports(root=root, executor=LocalExecutor(2), stream=io.StringIO(), force=True)
    assert plain.exit_code == forked.exit_code == 0
    assert [o.status for o in forked.outcomes] == ["ok", "ok", "ok"]
    assert sum(isinstance(k, zygote.ForkedKernel) for k in forks) == 3
    assert report_files(root / "reports") == before
    assert zygote._template is None  # the batch ended its template ...
    templates = [k for k in forks if k is not None]
    for kernel in templates:  # ... and its kernels are gone
        with pytest.raises(ProcessLookupError):
            os.kill(kernel.pid, 0)


def test_a_kernel_that_dies_fails_its_notebook_as_a_started_one_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forks: list[Any]
) -> None:
    notebook = _notebook(tmp_path / "dies.ipynb", "print('before')", "import os\nos._exit(3)")
    results = {}
    for mode in ("spawn", "fork"):
        nb, failure = _run(notebook, tmp_path, mode, monkeypatch)
        assert failure is not None and failure.cell_index is None
        results[mode] = (failure.ename, _text(nb) if nb is not None else None)
    assert isinstance(forks[-1], zygote.ForkedKernel)
    assert forks[-1].poll() == 3  # the template reaped it and sent its status
    assert results["fork"] == results["spawn"]
    assert results["fork"][0] == "DeadKernelError"


def _kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv(zygote.MODE_VARIABLE, "fork")
    manager = report_kernel_manager()
    asyncio.run(manager.start_kernel(cwd=str(tmp_path)))
    return manager


def _execute(manager: Any, code: str, timeout: float = 60) -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        client = manager.client()
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=timeout)
            reply: dict[str, Any] = await client.execute(code, reply=True, timeout=timeout)
            return reply
        finally:
            client.stop_channels()

    return asyncio.run(go())


def test_an_interrupt_reaches_the_forked_kernel_and_it_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forks: list[Any]
) -> None:
    manager = _kernel(tmp_path, monkeypatch)
    try:
        process = manager.provisioner.process
        assert isinstance(process, zygote.ForkedKernel)
        assert os.getpgid(process.pid) == process.pid  # its own group, as launch_kernel's
        # `ps` shows it as the kernel it is, named by its connection file.
        cmdline = Path(f"/proc/{process.pid}/cmdline").read_bytes().split(b"\0")
        assert cmdline[1:3] == [b"-m", b"ipykernel_launcher"]
        assert manager.connection_file.encode() in cmdline

        def interrupt() -> None:
            time.sleep(2)
            asyncio.run(manager.interrupt_kernel())

        thread = threading.Thread(target=interrupt)
        thread.start()
        reply = _execute(manager, "import time\ntime.sleep(60)")
        thread.join()
        assert reply["content"]["status"] == "error"
        assert reply["content"]["ename"] == "KeyboardInterrupt"
        assert _execute(manager, "1 + 1")["content"]["status"] == "ok"  # still alive
        assert process.poll() is None
    finally:
        asyncio.run(manager.shutdown_kernel(now=True))
    assert process.poll() is not None


def test_a_kernel_killed_from_outside_is_seen_dead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forks: list[Any]
) -> None:
    manager = _kernel(tmp_path, monkeypatch)
    process = manager.provisioner.process
    assert isinstance(process, zygote.ForkedKernel)
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL
    assert not asyncio.run(manager.is_alive())
    asyncio.run(manager.shutdown_kernel(now=True))


def test_a_stop_request_kills_a_running_forked_kernel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forks: list[Any]
) -> None:
    notebook = _notebook(tmp_path / "slow.ipynb", "import time\ntime.sleep(120)")
    stop = Cancellation()
    timer = threading.Timer(8.0, stop.request, args=("test",))
    timer.start()
    started = time.monotonic()
    try:
        nb, failure = _run(notebook, tmp_path, "fork", monkeypatch, cancellation=stop)
    finally:
        timer.cancel()
    assert time.monotonic() - started < 60
    assert failure is not None
    kernel = forks[-1]
    assert isinstance(kernel, zygote.ForkedKernel)
    assert kernel.wait(timeout=10) is not None
    with pytest.raises(ProcessLookupError):
        os.kill(kernel.pid, 0)


def test_a_dead_template_falls_back_to_started_kernels_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forks: list[Any], caplog: Any
) -> None:
    notebook = _notebook(tmp_path / "n.ipynb", "print(hash('x'))")
    monkeypatch.setattr(zygote, "_failures", 0)
    monkeypatch.setattr(zygote, "_logged", set())
    monkeypatch.setattr(zygote, "_MAX_FAILURES", 1)
    nb, failure = _run(notebook, tmp_path, "fork", monkeypatch)
    assert failure is None and isinstance(forks[-1], zygote.ForkedKernel)
    expected = _text(nb)
    template = zygote._template
    assert template is not None
    template.process.kill()
    template.process.wait(timeout=30)
    with caplog.at_level(logging.WARNING, logger="cxresearch.report.zygote"):
        for _ in range(2):
            nb, failure = _run(notebook, tmp_path, "fork", monkeypatch)
            assert failure is None and forks[-1] is None  # started the usual way
            assert _text(nb) == expected
    said = [r.getMessage() for r in caplog.records if "template" in r.getMessage()]
    assert said == [
        "cxresearch: report kernels start without the template: the template process ended"
    ]


def test_spawn_mode_and_foreign_commands_are_not_forked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(zygote.MODE_VARIABLE, "spawn")
    assert not zygote.enabled()
    assert zygote.launch(["python", "-m", "ipykernel_launcher"], {}, None) is None
    monkeypatch.setenv(zygote.MODE_VARIABLE, "fork")
    assert zygote.enabled()
    monkeypatch.setattr(zygote.sys, "platform", "darwin")  # fork, /proc: Linux only
    assert not zygote.enabled()
    monkeypatch.setattr(zygote.sys, "platform", "linux")
    assert zygote.launch(["/usr/bin/R", "--slave"], {}, None) is None
    assert (
        zygote.launch(
            ["python", "-m", "ipykernel_launcher"], {}, None, per_kernel=frozenset({"PYTHONPATH"})
        )
        is None
    )
