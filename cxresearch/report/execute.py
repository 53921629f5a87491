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

import os
import tempfile
import uuid
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from cxresearch.report import manifest as mf
from cxresearch.report.render import TEMPLATE_DIR

__all__ = [
    "KERNEL_ENVIRONMENT",
    "ExecutionFailure",
    "kernel_environment",
    "execute_notebook",
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


@lru_cache(maxsize=1)
def _kernel_manager_class() -> type:
    # Built on first use so that `cxresearch validate` does not import jupyter_client.
    from ipykernel.kernelspec import RESOURCES, get_kernel_dict
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

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
            name = f"cxresearch-{os.getpid()}-{uuid.uuid4().hex[:12]}-ipc"
            return os.path.join(tempfile.gettempdir(), name)

        @property
        def kernel_spec(self) -> KernelSpec:
            # The spec's env is laid over the inherited environment for this kernel only.
            return KernelSpec(resource_dir=RESOURCES, env=kernel_environment(), **get_kernel_dict())

    return ReportKernelManager


# Per-cell and per-notebook times papermill records; cleared so that an unchanged report's
# .ipynb is byte-identical too.
_TIMING_KEYS = ("start_time", "end_time", "duration")


def _stabilise(nb: Any, final_path: Path) -> Any:
    meta = nb.metadata.setdefault("papermill", {})
    for key in _TIMING_KEYS:
        if key in meta:
            meta[key] = None
    meta["output_path"] = str(final_path)
    added = 0
    for cell in nb.cells:
        cell_meta = cell.get("metadata", {}).get("papermill", {})
        for key in _TIMING_KEYS:
            if key in cell_meta:
                cell_meta[key] = None
        tags = cell.get("metadata", {}).get("tags", [])
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


def execute_notebook(
    notebook: Path,
    output: Path,
    *,
    parameters: dict[str, Any],
    cwd: Path,
    final_path: Path,
) -> tuple[Any, ExecutionFailure | None]:
    """Run ``notebook`` with papermill into ``output``.

    Returns the executed, stabilised notebook (None if papermill produced none) and the
    failure, if any. A failing cell is not an exception here: it is an outcome to report.
    """
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

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
            kernel_manager_class=_kernel_manager_class(),
            # The outputs are collected; a graceful shutdown only adds waiting (and under
            # load jupyter_client's SIGINT fallback prints a KeyboardInterrupt traceback).
            shutdown_kernel="immediate",
        )
    except PapermillExecutionError as exc:
        nb = nbformat.read(str(output), as_version=4)
        return _stabilise(nb, final_path), _failure_from(exc, nb)
    except Exception as exc:  # kernel died, timeout, unreadable notebook: still an outcome
        evalue = " ".join(str(exc).split())
        partial = None
        if output.is_file() and output.stat().st_size > 0:
            partial = _stabilise(nbformat.read(str(output), as_version=4), final_path)
        return partial, ExecutionFailure(None, "", type(exc).__name__, evalue)
    return _stabilise(nb, final_path), None


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
