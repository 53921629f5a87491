"""Kernels started ahead of their notebooks, so that start-up overlaps the running reports.

A report kernel takes about a second to start and one to two more to import what the
notebook imports (pandas, matplotlib, scipy, the package); at ``--jobs 1`` the machine's
other core is idle meanwhile. :class:`KernelStarter` starts the kernel of a report that
is next in line while the current ones run, and runs that notebook's own import
statements in it (silently: no output, no execution count), so that the notebook finds
its kernel ready. Each kernel still serves exactly one notebook — nothing a notebook
computes is seen by another — and it is the same kernel, with the same environment and
working directory, that papermill would have started (the reports are byte-identical,
tested in ``tests/unit/test_report_kernels.py``).

Used by ``LocalExecutor(prestart=True)``; not the default (see
:class:`~cxresearch.report.executors.LocalExecutor`).

A kernel that is not taken (the batch stopped, its report was cancelled) is shut down by
:meth:`KernelStarter.close`; a stop request kills every started kernel, as the runner's
cancellation does for any kernel (:mod:`cxresearch.report.execute`).
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import threading
from collections.abc import Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from cxresearch.report.cancel import Cancellation
from cxresearch.report.execute import report_kernel_manager

__all__ = ["KernelStarter", "import_statements"]

# Seconds a kernel gets to start and import before the starter gives up on it (the
# notebook then starts its own kernel, as without a starter).
_READY_TIMEOUT = 120.0
# Seconds to wait, after a stop request, for a kernel that is still starting to fail.
_STOP_WAIT = 10.0


def import_statements(notebook: Path) -> str:
    """The top-level ``import`` statements of a notebook's code cells, in order.

    Examples
    --------
    >>> import nbformat, tempfile, pathlib
    >>> nb = nbformat.v4.new_notebook()
    >>> nb.cells = [nbformat.v4.new_code_cell("import os\\nx = 1\\nfrom math import pi")]
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "n.ipynb"
    >>> nbformat.write(nb, str(path))
    >>> import_statements(path)
    'import os\\nfrom math import pi'
    """
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    lines: list[str] = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:  # IPython magics: that cell's imports are left to the notebook
            continue
        lines += [ast.unparse(n) for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    return "\n".join(lines)


async def _boot(manager: Any, cwd: Path, code: str) -> None:
    await manager.start_kernel(cwd=str(cwd))
    client = manager.client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=_READY_TIMEOUT)
        if code:
            msg_id = client.execute(code, silent=True, store_history=False, allow_stdin=False)
            while True:
                reply = await client.get_shell_msg(timeout=_READY_TIMEOUT)
                if reply.get("parent_header", {}).get("msg_id") == msg_id:
                    break
    finally:
        client.stop_channels()


class KernelStarter:
    """Starts report kernels in the background, one per report, keyed by the caller.

    Parameters
    ----------
    cwd
        The kernels' working directory (the project folder).
    cancellation
        The batch's: a stop request kills every kernel started here.
    """

    def __init__(self, *, cwd: Path, cancellation: Cancellation | None = None) -> None:
        self.cwd = cwd
        self.cancellation = cancellation
        self._lock = threading.Lock()
        self._kernels: dict[object, Future[Any]] = {}
        self._closed = False
        self._imports: dict[Path, str] = {}

    def prepare(self, key: object, notebook: Path, env: Mapping[str, str] | None = None) -> None:
        """Start the kernel for ``key``'s notebook now, in a background thread."""
        if self.cancellation is not None and self.cancellation.requested:
            return
        with self._lock:
            if self._closed or key in self._kernels:
                return
            future: Future[Any] = Future()
            self._kernels[key] = future
            if notebook not in self._imports:
                self._imports[notebook] = import_statements(notebook)
            code = self._imports[notebook]

        def start() -> None:
            manager = report_kernel_manager(self.cancellation, env)
            try:
                asyncio.run(_boot(manager, self.cwd, code))
            except BaseException as exc:
                _shutdown(manager)
                future.set_exception(exc)
                return
            future.set_result(manager)

        threading.Thread(target=start, name="cx-kernel-start", daemon=True).start()

    def take(self, key: object) -> Any | None:
        """The started kernel manager for ``key`` (waiting for it), or None.

        None when nothing was prepared for ``key`` or the kernel could not start: the
        notebook then starts its own kernel.
        """
        with self._lock:
            future = self._kernels.pop(key, None)
        if future is None:
            return None
        try:
            return future.result(timeout=_READY_TIMEOUT)
        except Exception:
            return None

    def close(self) -> None:
        """Shut down every kernel that was started and not taken."""
        with self._lock:
            self._closed = True
            left = list(self._kernels.values())
            self._kernels.clear()
        # After a stop request the cancellation kills every started kernel, so one that is
        # still starting fails within moments; it is waited for (briefly) all the same, so
        # that no kernel or connection file outlives the batch.
        stopping = self.cancellation is not None and self.cancellation.requested
        for future in left:
            try:
                manager = future.result(timeout=_STOP_WAIT if stopping else _READY_TIMEOUT)
            except Exception:  # it did not start; _boot has shut it down
                continue
            _shutdown(manager)


def _shutdown(manager: Any) -> None:
    with contextlib.suppress(Exception):
        asyncio.run(manager.shutdown_kernel(now=True))
