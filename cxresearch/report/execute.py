"""Notebook execution for the report runner: papermill, the kernel, failures, clean-up.

:func:`execute_notebook` runs one notebook with papermill and turns a failing cell into an
:class:`ExecutionFailure` (the cell's index in the notebook the author edits, its first
line and the exception) instead of an exception. The executed notebook is stabilised (no
times, no random cell ids) so that an unchanged report's ``.ipynb`` is byte-identical.
:data:`KERNEL_ENVIRONMENT` is given to each kernel through its kernelspec and the
working directory through nbclient's ``resources`` path: nothing changes the parent
process's environment or working directory, so notebooks can run from threads, or from
worker processes of another executor, side by side.

References
----------
papermill 2.7: ``papermill.execute_notebook`` and ``PapermillExecutionError`` (ename, evalue,
cell_index, source); jupyter_client ``AsyncKernelManager`` (its ``transport`` and ``ip``
traits) and ipykernel's own kernelspec (``ipykernel.kernelspec.get_kernel_dict``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import tempfile
import threading
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from cxresearch.report import manifest as mf
from cxresearch.report.cancel import KERNEL_FILE_PREFIX, Cancellation
from cxresearch.report.render import TEMPLATE_DIR

__all__ = [
    "KERNEL_ENVIRONMENT",
    "RUN_RECORD_MIMETYPE",
    "ExecutionFailure",
    "kernel_environment",
    "execute_notebook",
    "import_execution_modules",
    "report_kernel_manager",
    "write_notebook",
]


@dataclass(frozen=True)
class ExecutionFailure:
    """Why a report failed: the failing cell (index in ``notebooks/<analysis>.ipynb``,
    0-based, None when no cell is to blame) and its first line, and the exception."""

    cell_index: int | None
    source_line: str
    ename: str
    evalue: str

    def describe(self) -> str:
        where = (
            f"cell {self.cell_index} `{self.source_line}`: " if self.cell_index is not None else ""
        )
        return f"{where}{self.ename}: {self.evalue}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def masked(self, *, names: tuple[str, ...] = ()) -> ExecutionFailure:
        """The failure with personal data masked and its message bounded, for readers."""
        from cxresearch.errors import reader_message

        return ExecutionFailure(
            self.cell_index,
            reader_message(self.source_line, names=names, limit=100),
            reader_message(self.ename, limit=100),
            reader_message(self.evalue, names=names, limit=1000),
        )


# Seconds a kernel gets to stop after an interrupt before it is killed.
_INTERRUPT_GRACE = 1.0


@lru_cache(maxsize=8)
def _kernel_manager_class(
    cancellation: Cancellation | None = None, extra_env: tuple[tuple[str, str], ...] = ()
) -> type:
    # Built on first use so that `cxresearch validate` does not import jupyter_client; one
    # class per batch (cancellation) and extra environment, as papermill takes a class.
    from ipykernel.kernelspec import RESOURCES, get_kernel_dict
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    from cxresearch.report import zygote

    class ReportKernelManager(AsyncKernelManager):
        """The ``python3`` kernel of *this* interpreter, over IPC.

        A ``python3`` kernelspec found first on the Jupyter path (e.g. one a user
        registered in ~/.local) could start another Python with other packages; the spec
        here is ipykernel's own for ``sys.executable``, so nothing is registered anywhere.
        IPC sockets also avoid ipykernel 7's "running over TCP without encryption" line per
        kernel. Each kernel gets its own socket path: jupyter_client's default ("kernel-ipc"
        in the working directory) is shared by kernels started at the same time, and two
        kernels on one socket fail with "Invalid Signature" (measured with --jobs 2).
        """

        @default("transport")
        def _default_transport(self) -> str:
            return "ipc" if os.name == "posix" else "tcp"

        @default("ip")
        def _default_ip(self) -> str:
            if self.transport != "ipc":
                return "127.0.0.1"
            return os.path.join(tempfile.gettempdir(), f"{self._file_stem}-ipc")

        @default("connection_file")
        def _default_connection_file(self) -> str:
            # Named like the sockets (not jupyter_client's anonymous tmpXXXX.json), so that
            # a later run can remove the files of a killed batch (cancel.remove_stale_files).
            return os.path.join(tempfile.gettempdir(), f"{self._file_stem}-kernel.json")

        @property
        def _file_stem(self) -> str:
            if not hasattr(self, "_stem"):
                self._stem = f"{KERNEL_FILE_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:12]}"
            return self._stem

        @property
        def kernel_spec(self) -> KernelSpec:
            # The spec's env is laid over the inherited environment for this kernel only.
            env = {**kernel_environment(), **dict(extra_env)}
            return KernelSpec(resource_dir=RESOURCES, env=env, **get_kernel_dict())

        async def _async_pre_start_kernel(self, **kw: Any) -> Any:
            # The kernel is forked from this process's preloaded template when it can be
            # (cxresearch.report.zygote), else started as jupyter_client starts it.
            if self.provisioner is None and zygote.enabled():
                self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
                provisioner = zygote.provisioner_class()(
                    kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self
                )
                provisioner.per_kernel = frozenset(name for name, _ in extra_env)
                self.provisioner = provisioner
            return await super()._async_pre_start_kernel(**kw)

        async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]
            if cancellation is None:
                await super().start_kernel(**kw)
                return
            if cancellation.requested:
                raise RuntimeError("the batch is stopping; the kernel was not started")
            # Subscribed before the start: a stop while the kernel starts (which can take
            # seconds when the kernel template is starting too) still removes its
            # connection files, and the kernel is killed as soon as it exists.
            self._unsubscribe = cancellation.on_request(self._stop_now)
            await super().start_kernel(**kw)
            if cancellation.requested:
                self._stop_now(True)
                raise RuntimeError("the batch is stopping; the kernel was stopped")

        def _stop_now(self, hard: bool) -> None:
            # Called from the thread that handles the signal: interrupt the kernel's process
            # group, kill it after a short grace (at once when the process is exiting), and
            # remove its connection and socket files.
            process = getattr(self.provisioner, "process", None)
            if process is None or process.poll() is not None:
                self._remove_files()
                return
            if not hard:
                with contextlib.suppress(OSError):
                    os.killpg(process.pid, signal.SIGINT)
                timer = threading.Timer(_INTERRUPT_GRACE, self._kill, args=(process,))
                timer.daemon = True
                timer.start()
            else:
                self._kill(process)

        def _kill(self, process: Any) -> None:
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except OSError:
                    process.kill()
            self._remove_files()

        def _remove_files(self) -> None:
            self.cleanup_connection_file()
            self.cleanup_ipc_files()

        async def _async_cleanup_resources(self, restart: bool = False) -> None:
            unsubscribe = getattr(self, "_unsubscribe", None)
            if unsubscribe is not None:
                unsubscribe()
            await super()._async_cleanup_resources(restart=restart)

    return ReportKernelManager


# Per-cell and per-notebook times papermill records; cleared so that an unchanged report's
# .ipynb is byte-identical too.
_TIMING_KEYS = ("start_time", "end_time", "duration")
# Written by cxresearch.session.open_run in a report kernel (kept equal to its constants,
# without importing pandas here): the digest of the data bytes the notebook analysed.
RUN_RECORD_MIMETYPE = "application/vnd.cxresearch.run+json"
RUN_RECORD_VARIABLE = "CXRESEARCH_RUN_RECORD"
# The parameters cell keeps the notebook's defaults (a demo client's params path); in an
# executed report they would name another client, so the cell says where the values are.
_PARAMETERS_NOTE = "# Parameters of this report: see the injected-parameters cell below."


def _strip_root(value: Any, prefix: str) -> Any:
    # "<root>/data/x.csv" -> "data/x.csv"; the root itself -> "."
    if isinstance(value, str):
        return value.replace(prefix, "").replace(prefix.rstrip(os.sep), ".")
    if isinstance(value, list):
        return [_strip_root(v, prefix) for v in value]
    return value


def _merged_streams(outputs: list[Any]) -> list[Any]:
    """Consecutive stream outputs of one name (stdout, stderr) as one output.

    A kernel sends what a cell prints in as many messages as its output thread flushed, so
    ``print("params sha256", digest)`` can arrive as ``"params sha256"`` and
    ``" 422e…"`` when the machine is busy; nbconvert renders each stream output as its own
    ``<pre>``, so the same report came out as different bytes (seen as
    test_force_rerenders_byte_identical_outputs failing under load). The text is kept
    whole, as Jupyter shows it and as nbconvert's CoalesceStreamsPreprocessor joins it.
    """
    merged: list[Any] = []
    for output in outputs:
        last = merged[-1] if merged else None
        if (
            last is not None
            and output.get("output_type") == "stream"
            and last.get("output_type") == "stream"
            and last.get("name") == output.get("name")
        ):
            last["text"] = last.get("text", "") + output.get("text", "")
        else:
            merged.append(output)
    return merged


def _stabilise(nb: Any, final_path: Path, root: Path | None = None) -> Any:
    meta = nb.metadata.setdefault("papermill", {})
    for key in _TIMING_KEYS:
        if key in meta:
            meta[key] = None
    prefix = f"{root}{os.sep}" if root is not None else ""
    meta["output_path"] = mf.display_path(final_path, root) if root else str(final_path)
    if root is not None:
        # Paths as the project knows them: no folder of this machine in the record.
        if isinstance(meta.get("input_path"), str):
            meta["input_path"] = mf.display_path(meta["input_path"], root)
        if isinstance(meta.get("parameters"), dict):
            meta["parameters"] = {k: _strip_root(v, prefix) for k, v in meta["parameters"].items()}
    added = 0
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if "parameters" in tags and cell.get("cell_type") == "code":
            cell["source"] = _PARAMETERS_NOTE
            cell["outputs"] = []
        if cell.get("outputs"):
            cell["outputs"] = _merged_streams(cell["outputs"])
        if prefix:
            for output in cell.get("outputs", []):
                for key in ("text", "evalue", "traceback"):
                    if key in output:
                        output[key] = _strip_root(output[key], prefix)
                data = output.get("data", {})
                for mime in ("text/plain", "text/markdown", "text/html"):
                    if mime in data:
                        data[mime] = _strip_root(data[mime], prefix)

        cell_meta = cell.get("metadata", {}).get("papermill", {})
        for key in _TIMING_KEYS:
            if key in cell_meta:
                cell_meta[key] = None
        # papermill gives the cells it adds (parameters; error banners at the top and above
        # the failing cell) a random id each run.
        if "injected-parameters" in tags or "papermill-error-cell-tag" in tags:
            added += 1
            cell["id"] = f"papermill-{added}"
    return nb


def write_notebook(nb: Any, path: Path) -> None:
    """Write a notebook atomically (temporary file in the same folder, then rename)."""
    import nbformat

    with mf.temporary_beside(path) as tmp:
        nbformat.write(nb, str(tmp))
        os.replace(tmp, path)


def _failure_from(exc: Any, nb: Any) -> ExecutionFailure:
    # papermill counts cells in the executed notebook, which has the injected-parameters
    # cell; the author edits notebooks/<analysis>.ipynb, which does not.
    cells = [c for c in nb.cells if "papermill-error-cell-tag" not in c.metadata.get("tags", [])]
    injected = sum(
        "injected-parameters" in c.metadata.get("tags", []) for c in cells[: exc.cell_index]
    )
    lines = [line.strip() for line in str(exc.source or "").splitlines() if line.strip()]
    first = lines[0] if lines else ""
    evalue = " ".join(str(exc.evalue).split())
    return ExecutionFailure(exc.cell_index - injected, first[:100], str(exc.ename), evalue)


def run_record(nb: Any) -> dict[str, Any]:
    """The run record a report kernel wrote (:data:`RUN_RECORD_MIMETYPE`), or ``{}``."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            record = output.get("data", {}).get(RUN_RECORD_MIMETYPE)
            if isinstance(record, dict):
                return dict(record)
    return {}


@lru_cache(maxsize=1)
def _papermill_without_cwd() -> None:
    """Replace papermill's local file handler with one that never changes directory.

    papermill wraps every run in ``local_file_io_cwd()``, which stores the process's
    working directory in one handler object shared by all threads and restores the
    *previous* value at the end. Two runs overlapping in threads can leave a stale folder
    stored there for good (run A stores None back while B is inside; B then restores A's
    folder); every later read or write of that process then ``chdir``s into it — into a
    deleted temporary folder, a failure seen as flaky runner tests under load. The runner
    passes absolute paths only, so a handler that ignores the working directory reads and
    writes the same files without touching process state.
    """
    from papermill.iorw import LocalHandler, papermill_io

    class AbsolutePathHandler(LocalHandler):
        def cwd(self, new_path: Any) -> None:
            # Never stored: reads and writes then skip papermill's chdir(None) no-op.
            return None

    papermill_io.register("local", AbsolutePathHandler())


def import_execution_modules() -> None:
    """Import papermill, nbclient and jupyter_client here, before threads use them.

    Two threads importing jupyter_client at the same moment (one starting a kernel ahead,
    one running papermill) can see a partially initialised module and fail with
    "cannot import name 'AsyncKernelManager'" (measured under load); one import in the
    batch's thread first avoids that.
    """
    import nbclient  # noqa: F401
    import nbformat  # noqa: F401
    import papermill  # noqa: F401

    _kernel_manager_class()
    _papermill_without_cwd()


def _env_key(env: Mapping[str, str] | None) -> tuple[tuple[str, str], ...]:
    return tuple(sorted({RUN_RECORD_VARIABLE: "1", **(env or {})}.items()))


def report_kernel_manager(
    cancellation: Cancellation | None = None, env: Mapping[str, str] | None = None
) -> Any:
    """A kernel manager (not started) exactly like the one :func:`execute_notebook` uses.

    For starting a report's kernel ahead of time (:mod:`cxresearch.report.kernels`).
    """
    return _kernel_manager_class(cancellation, _env_key(env))(kernel_name="python3")


def execute_notebook(
    notebook: Path,
    output: Path,
    *,
    parameters: dict[str, Any],
    cwd: Path,
    final_path: Path,
    cancellation: Cancellation | None = None,
    env: Mapping[str, str] | None = None,
    kernel_manager: Any | None = None,
) -> tuple[Any, ExecutionFailure | None]:
    """Run ``notebook`` with papermill into ``output``.

    Returns the executed, stabilised notebook (None if papermill produced none) and the
    failure, if any. A failing cell is not an exception here: it is an outcome to report.

    Parameters
    ----------
    cancellation
        When it is requested, the kernel is interrupted, killed after a second, and its
        connection files removed; the notebook then ends as a failure.
    env
        Variables for this kernel on top of :func:`kernel_environment`.
    kernel_manager
        A kernel already started for this notebook (:func:`report_kernel_manager`, with
        the same ``cancellation`` and ``env``, working directory ``cwd``); it is shut down
        afterwards. By default papermill starts one.
    """
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    _papermill_without_cwd()
    notebook, output = Path(notebook).resolve(), Path(output).resolve()
    # papermill passes `km` to nbclient, which then uses that kernel instead of starting one
    # (and leaves it running: it is shut down below).
    started = {} if kernel_manager is None else {"km": kernel_manager}
    try:
        nb = pm.execute_notebook(
            str(notebook),
            str(output),
            parameters=parameters,
            kernel_name="python3",
            progress_bar=False,
            # The kernel starts in `cwd` (nbclient's resources path); papermill's own `cwd`
            # option would chdir this whole process, which threads share.
            resources={"metadata": {"path": str(cwd)}},
            record_timing=False,
            kernel_manager_class=_kernel_manager_class(cancellation, _env_key(env)),
            # The outputs are collected; a graceful shutdown only adds waiting (and under
            # load jupyter_client's SIGINT fallback prints a KeyboardInterrupt traceback).
            shutdown_kernel="immediate",
            **started,
        )
    except PapermillExecutionError as exc:
        nb = nbformat.read(str(output), as_version=4)
        return _stabilise(nb, final_path, cwd), _failure_from(exc, nb)
    except Exception as exc:  # kernel died, timeout, unreadable notebook: still an outcome
        evalue = " ".join(str(exc).split())
        partial = None
        if output.is_file() and output.stat().st_size > 0:
            partial = _stabilise(nbformat.read(str(output), as_version=4), final_path, cwd)
        return partial, ExecutionFailure(None, "", type(exc).__name__, evalue)
    finally:
        if kernel_manager is not None:
            with contextlib.suppress(Exception):
                asyncio.run(kernel_manager.shutdown_kernel(now=True))
    return _stabilise(nb, final_path, cwd), None


# Set for every report kernel (a value exported in the parent's environment wins).
# PYTHONHASHSEED fixes set iteration order of strings; SOURCE_DATE_EPOCH fixes the dates
# matplotlib writes into SVG/PDF; MATPLOTLIBRC supplies svg.hashsalt (otherwise SVG ids are
# random per run) while a matplotlibrc in the project root still wins; one BLAS thread per
# kernel keeps float reductions in one order and avoids oversubscribing 2 cores with --jobs.
KERNEL_ENVIRONMENT = {
    "PYTHONHASHSEED": "0",
    "SOURCE_DATE_EPOCH": "0",
    "MATPLOTLIBRC": str(TEMPLATE_DIR / "matplotlibrc"),
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


def kernel_environment() -> dict[str, str]:
    """The variables a report kernel gets on top of the parent's environment.

    :data:`KERNEL_ENVIRONMENT`, except where the parent exports a variable of the same
    name (a user's deliberate setting wins). Read when each kernel starts.
    """
    return {name: os.environ.get(name, value) for name, value in KERNEL_ENVIRONMENT.items()}
