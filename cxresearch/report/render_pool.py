"""Rendering reports (HTML and PDF) in worker processes of the local batch.

A local batch executes each notebook in a kernel process, driven by a thread of the batch's
own process; the rendering that follows (nbconvert's HTML, WeasyPrint's PDF) is CPU-bound
Python. In threads of one process two reports' renderings contend for one interpreter lock
(and WeasyPrint's process-wide settings allow one PDF at a time: ``render._PDF_LOCK``), so
``--jobs 2`` could not use two cores. :class:`RenderPool` does that work in ``jobs`` worker
processes instead, each rendering one report at a time from the executed notebook's bytes
(:func:`~cxresearch.report.job.render_pages`, the same function a Dask worker runs), and
gives the bytes back; only the batch's process writes them (atomically, as before).

- Ctrl-C: the workers ignore SIGINT (a terminal sends it to the whole process group; the
  batch's process decides what stops), and they are started with SIGINT and SIGTERM
  blocked, so that a signal arriving while one starts cannot kill it half-way. After a stop
  request a waiting report returns at once (``cancelled``) and :meth:`RenderPool.close`
  kills the workers instead of waiting for a page nobody will keep.
- A worker that dies (a crash inside a native library) fails its report, not the batch:
  the pool is replaced, and a report whose worker died while it rendered is tried once more
  on the new pool, so only the report that crashes its worker twice fails.
- A worker whose batch process is gone (SIGKILL) exits within a second: it would otherwise
  wait for work for ever (each worker holds its own end of the pool's queue).
- A worker keeps the report fonts loaded between reports (``render._PrintSetup``), and
  WeasyPrint keeps temporary copies of them while they are loaded. Each pool's workers
  keep their temporary files in a folder of the pool's own
  (``cxresearch-render-<batch pid>-…``), which the pool removes when it closes, also
  after killing workers that were printing; a worker whose batch is gone removes it.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from cxresearch.errors import ReportError
from cxresearch.report.cancel import Cancellation

__all__ = ["RenderPool"]

# How often a waiting thread looks at the cancellation, and a worker at its parent.
_POLL_SECONDS = 0.2
_PARENT_POLL_SECONDS = 1.0
_BLOCKED = {signal.SIGINT, signal.SIGTERM}


def _watch_parent(parent: int, scratch: str) -> None:
    while os.getppid() == parent:
        time.sleep(_PARENT_POLL_SECONDS)
    # The batch is gone: nobody will collect this worker's pages, nor remove its files.
    render = sys.modules.get("cxresearch.report.render")
    if render is not None:
        render.release_print_setup()
    shutil.rmtree(scratch, ignore_errors=True)
    os._exit(0)


def _start_worker(parent: int, scratch: str) -> None:
    """Initializer of each worker process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _BLOCKED)
    # The fonts' temporary copies live as long as the worker (render._PrintSetup): in the
    # pool's folder, the batch removes them even if it has to kill the worker.
    tempfile.tempdir = scratch
    threading.Thread(target=_watch_parent, args=(parent, scratch), daemon=True).start()


_frozen_after_render = False


def _freeze() -> None:
    """Keep what the worker has loaded out of every later garbage collection.

    A worker holds about 200,000 objects of its imports (nbconvert, WeasyPrint, ...), and a
    report's printing allocates enough to start one to three full collections, each of
    which walked all of them: 0.09 of 0.71 CPU s for kotiposti's benchmarking PDF, 0.38 of
    1.29 for its journey (measured with ``gc.callbacks``). Frozen, they are not walked;
    the reports' own garbage is still collected. Nothing else changes (same bytes).
    """
    gc.collect()
    gc.freeze()


def _warm() -> None:
    """Import the renderers once per worker, while the first notebooks execute."""
    import nbconvert  # noqa: F401
    import weasyprint  # noqa: F401

    from cxresearch.report import job  # noqa: F401

    _freeze()


def _render(notebook: bytes, title: str, language: str, pdf: bool) -> tuple[bytes, bytes | None]:
    from cxresearch.report.job import render_pages

    global _frozen_after_render
    pages = render_pages(notebook, title=title, language=language, pdf=pdf)
    if not _frozen_after_render:  # now also what the first report loaded (fonts, caches)
        _frozen_after_render = True
        _freeze()
    return pages


@contextlib.contextmanager
def _signals_blocked() -> Iterator[None]:
    # A process started from this thread inherits the blocked set (fork and exec keep the
    # signal mask); the worker's initializer unblocks them once SIGINT is ignored.
    if hasattr(signal, "pthread_sigmask"):
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, _BLOCKED)
        try:
            yield
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    else:  # pragma: no cover - platforms without signal masks
        yield


class RenderPool:
    """``workers`` processes that render executed notebooks to HTML and PDF.

    Parameters
    ----------
    workers
        Processes (the batch's ``--jobs``: each running report renders in its own).
    cancellation
        The batch's: a stop request makes :meth:`render` return at once.

    Examples
    --------
    >>> pool = RenderPool(1)
    >>> pool.close()
    """

    def __init__(self, workers: int, *, cancellation: Cancellation | None = None) -> None:
        self.workers = workers
        self.cancellation = cancellation
        self._lock = threading.Lock()
        self._closed = False
        self._folders: dict[ProcessPoolExecutor, str] = {}
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        # Not named like the kernel files (cxresearch-<pid>-…): those are files, and what a
        # stopped batch leaves of them is counted and removed by name (cancel.py).
        folder = tempfile.mkdtemp(prefix=f"cxresearch-render-{os.getpid()}-")
        # "spawn": the batch's process runs threads, which fork must not copy.
        pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(os.getpid(), folder),
        )
        self._folders[pool] = folder
        with _signals_blocked():
            for _ in range(self.workers):  # every worker starts now, importing
                pool.submit(_warm)
        return pool

    def _submit(self, *args: Any) -> tuple[ProcessPoolExecutor, Future[Any]]:
        with self._lock:
            if self._closed:
                raise ReportError("the batch is stopping; the report was not rendered")
            pool = self._pool
            with _signals_blocked():
                return pool, pool.submit(_render, *args)

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is broken and not self._closed:
                broken.shutdown(wait=False, cancel_futures=True)
                self._remove_folder(broken)
                self._pool = self._new_pool()

    def _remove_folder(self, pool: ProcessPoolExecutor) -> None:
        folder = self._folders.pop(pool, None)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)

    def render(
        self, notebook: bytes, *, title: str, language: str, pdf: bool
    ) -> tuple[bytes, bytes | None]:
        """The page's HTML and PDF bytes (see :func:`~cxresearch.report.job.render_pages`).

        Raises
        ------
        ReportError
            If rendering fails, its worker died twice, or the batch is stopping.
        """
        for attempt in (1, 2):
            pool = self._pool
            try:
                pool, future = self._submit(notebook, title, language, pdf)
                return self._wait(future)
            except BrokenProcessPool:  # on submit, or while it rendered
                self._replace(pool)
                if attempt == 2:
                    raise ReportError(
                        "the process rendering the report ended unexpectedly (twice)"
                    ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, future: Future[Any]) -> Any:
        while True:
            if self.cancellation is not None and self.cancellation.requested:
                future.cancel()
                raise ReportError("the batch is stopping; the report was not rendered")
            with contextlib.suppress(TimeoutError):
                return future.result(timeout=_POLL_SECONDS)

    def close(self) -> None:
        """Stop the workers: at once after a stop request, else when they are idle."""
        with self._lock:
            self._closed = True
            pool = self._pool
        if self.cancellation is not None and self.cancellation.requested:
            # Pages still printing belong to cancelled reports: end them now rather than
            # make the batch wait for them.
            processes = dict(getattr(pool, "_processes", None) or {})
            pool.shutdown(wait=False, cancel_futures=True)
            for process in processes.values():
                with contextlib.suppress(Exception):
                    process.kill()
            for process in processes.values():
                with contextlib.suppress(Exception):
                    process.join(timeout=5)
        else:
            pool.shutdown(wait=True, cancel_futures=True)
        self._remove_folder(pool)
