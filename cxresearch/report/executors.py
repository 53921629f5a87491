"""Where report notebooks run: a local pool of threads, or a Dask cluster.

The runner decides what to render (cache keys are compared before anything is submitted,
so only stale reports travel), then hands an executor a list of
:class:`~cxresearch.report.job.RenderTask` — plain, picklable descriptions of one
client × run × analysis. The executor calls
:func:`~cxresearch.report.job.render_task` for each, somewhere, and gives every
:class:`~cxresearch.report.job.Rendered` result (the report's bytes, never files) back to
the runner in the parent process, which alone writes into the reports folder, atomically.

- :class:`LocalExecutor` — today's pool: ``jobs`` threads, each driving one kernel process.
- :class:`DaskExecutor` — the same tasks on a Dask ``distributed`` cluster
  (``cxresearch report --executor dask --scheduler tcp://host:8786``), one task per report,
  executed and rendered in a worker process. Install with ``pip install cxresearch[dask]``.
  Workers must see the project at the same path (a shared or identical checkout) and have
  the same package versions; without ``--scheduler`` a local cluster of ``jobs`` worker
  processes is started for the batch.

Both honour the batch's :class:`~cxresearch.report.cancel.Cancellation` the same way: no
new report starts, running kernels are interrupted and killed (on Dask through a
``distributed.Event`` that every task watches), and the reports that did not finish come
back ``cancelled``. A task that raises, or a Dask worker that dies, becomes a ``failed``
report; the other reports go on.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import Any, Protocol

from cxresearch.report import manifest as mf
from cxresearch.report import zygote
from cxresearch.report.cancel import Cancellation
from cxresearch.report.execute import import_execution_modules
from cxresearch.report.job import Rendered, RenderTask, failed_result, render_task
from cxresearch.report.kernels import KernelStarter
from cxresearch.report.render_pool import RenderPool

__all__ = ["DaskExecutor", "Executor", "LocalExecutor", "make_executor"]

#: Seconds the executors wait, after a stop request, for running reports to come back
#: (their kernels are interrupted at once and killed a second later).
STOP_GRACE_SECONDS = 10.0

OnStart = Callable[[int], None]
OnDone = Callable[[int, Rendered], None]


class Executor(Protocol):
    """Runs render tasks and reports each start and result (in the calling thread or not)."""

    name: str

    def run(
        self,
        tasks: Sequence[RenderTask],
        *,
        on_start: OnStart,
        on_done: OnDone,
        cancellation: Cancellation,
    ) -> None:
        """Render every task; return when each has a result (``cancelled`` ones included)."""


def _cancelled(task: RenderTask) -> Rendered:
    return Rendered(task.label, "cancelled")


class LocalExecutor:
    """``jobs`` notebooks at a time in threads of this process (each kernel is a process).

    Their HTML and PDF are rendered in ``jobs`` worker processes
    (:class:`~cxresearch.report.render_pool.RenderPool`; ``render_processes=False``
    renders them in the threads, as before).

    Each kernel is forked from this process's preloaded template
    (:mod:`~cxresearch.report.zygote`), which ends with the batch.

    With ``prestart`` the kernel of the report that is next in line is started, with its
    notebook's imports, while the current ones run
    (:class:`~cxresearch.report.kernels.KernelStarter`). It is off by default: in one run
    of the real-signal tests under heavy load a Ctrl-C during a kernel's start ended with
    the batch itself killed (exit -9), and the cause was not found in time.
    """

    name = "local"

    def __init__(
        self, jobs: int = 1, *, prestart: bool = False, render_processes: bool = True
    ) -> None:
        if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
            raise ValueError(f"jobs must be a positive integer, got {jobs!r}")
        self.jobs = jobs
        self.prestart = prestart
        self.render_processes = render_processes

    def run(
        self,
        tasks: Sequence[RenderTask],
        *,
        on_start: OnStart,
        on_done: OnDone,
        cancellation: Cancellation,
    ) -> None:
        import_execution_modules()  # once, before any thread imports them
        # HTML and PDF in worker processes: in this process's threads two reports'
        # rendering would take turns on one interpreter lock (render_pool).
        pages = None
        if self.render_processes and tasks:
            pages = RenderPool(min(self.jobs, len(tasks)), cancellation=cancellation)
        starter = None
        if self.prestart and tasks:
            starter = KernelStarter(cwd=tasks[0].root, cancellation=cancellation)

        def prepare(index: int) -> None:
            if starter is not None and index < len(tasks):
                starter.prepare(index, tasks[index].notebook, dict(tasks[index].env))

        def one(index: int) -> Rendered:
            if cancellation.requested:
                return _cancelled(tasks[index])
            on_start(index)
            task = tasks[index]
            # The report that starts when one of the `jobs` running now ends: its kernel
            # starts now, so that it is ready by then.
            prepare(index + self.jobs)
            kernel = starter.take(index) if starter is not None else None
            try:
                # papermill writes the running notebook beside the report, as a temporary
                # file that a later batch removes if this one is killed.
                with mf.temporary_beside(task.final) as scratch:
                    return render_task(
                        task,
                        cancellation=cancellation,
                        scratch=scratch,
                        kernel_manager=kernel,
                        renderer=pages.render if pages is not None else None,
                    )
            except Exception as exc:  # a bug or a disk problem: this report fails alone
                return failed_result(task, exc, cancellation)

        pool = ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="cx-report")
        futures = {pool.submit(one, i): i for i in range(len(tasks))}
        pending = set(futures)
        try:
            # Polled rather than waited on, so that a stop request (from a signal handler or
            # another thread) is seen within a fraction of a second.
            while pending and not cancellation.requested:
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                for future in done:
                    on_done(futures[future], future.result())
            if pending:
                for future in pending:
                    future.cancel()
                done, pending = wait(pending, timeout=STOP_GRACE_SECONDS)
                for future in [*done, *pending]:
                    index = futures[future]
                    finished = future.done() and not future.cancelled()
                    on_done(index, future.result() if finished else _cancelled(tasks[index]))
        finally:
            # After a stop, a notebook that did not end in time is abandoned (its kernel is
            # killed); waiting for its thread would delay the exit.
            pool.shutdown(wait=not cancellation.requested, cancel_futures=True)
            if starter is not None:
                starter.close()
            if pages is not None:
                pages.close()
            # The kernel template ends with the batch (and is reaped here, so that its
            # kernels' CPU time counts as this process's children's).
            zygote.shutdown()


def _dask_render(task: RenderTask, index: int, stop_event: str, start_topic: str) -> Rendered:
    """Runs in a Dask worker: render one report; stop when the batch's event is set."""
    from distributed import Event, get_client, get_worker

    stop = Cancellation()
    # Bound to the worker's client here: the watcher thread below has no Dask context.
    event = Event(stop_event, client=get_client())
    finished = threading.Event()

    def watch() -> None:
        # The batch sets the event on Ctrl-C/SIGTERM; this kernel is then stopped as a
        # local one would be (interrupted, killed a second later, its files removed).
        while not finished.is_set():
            try:
                if event.wait(timeout=0.5):
                    stop.request("the batch was stopped")
                    return
            except Exception:  # the scheduler is gone: nothing will ask to stop any more
                return

    watcher = threading.Thread(target=watch, name="cx-stop-watch", daemon=True)
    watcher.start()
    try:
        if stop.requested:
            return _cancelled(task)
        with contextlib.suppress(Exception):
            get_worker().log_event(start_topic, index)
        return render_task(task, cancellation=stop)
    except Exception as exc:
        return failed_result(task, exc, stop)
    finally:
        finished.set()


class DaskExecutor:
    """Each report a task on a Dask ``distributed`` cluster.

    Parameters
    ----------
    scheduler
        The scheduler's address (``tcp://host:8786``), or an existing
        ``distributed.Client``. None starts a local cluster of ``workers`` processes (one
        thread each) for the batch and closes it afterwards.
    workers
        Worker processes of that local cluster.
    """

    name = "dask"

    def __init__(self, scheduler: Any = None, *, workers: int = 2) -> None:
        try:
            import distributed  # noqa: F401
        except ImportError:  # pragma: no cover - depends on the installation
            raise RuntimeError(
                "--executor dask needs Dask: pip install 'cxresearch[dask]'"
            ) from None
        self.scheduler = scheduler
        self.workers = workers

    @contextlib.contextmanager
    def _client(self) -> Any:
        from distributed import Client, LocalCluster

        if self.scheduler is not None and not isinstance(self.scheduler, str):
            yield self.scheduler  # the caller's client: theirs to close
            return
        with contextlib.ExitStack() as stack:
            if self.scheduler is None:
                cluster = stack.enter_context(
                    LocalCluster(
                        n_workers=self.workers,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=None,
                        # The batch's own progress lines are the output; the cluster's
                        # start/stop chatter is not.
                        silence_logs=logging.ERROR,
                    )
                )
                address = cluster.scheduler_address
            else:
                address = self.scheduler
            yield stack.enter_context(Client(address, timeout="30s"))

    def run(
        self,
        tasks: Sequence[RenderTask],
        *,
        on_start: OnStart,
        on_done: OnDone,
        cancellation: Cancellation,
    ) -> None:
        from distributed import Event
        from distributed import wait as dask_wait

        batch = uuid.uuid4().hex[:12]
        with self._client() as client:
            stop_event = f"cxresearch-stop-{batch}"
            start_topic = f"cxresearch-start-{batch}"
            event = Event(stop_event, client=client)
            client.subscribe_topic(start_topic, lambda message: on_start(int(message[1])))
            futures = {
                client.submit(
                    _dask_render,
                    task,
                    index,
                    stop_event,
                    start_topic,
                    key=f"cxresearch-{batch}-{index}",
                    pure=False,
                ): index
                for index, task in enumerate(tasks)
            }
            pending = set(futures)
            try:
                while pending and not cancellation.requested:
                    try:
                        done, pending = dask_wait(
                            pending, timeout=0.2, return_when="FIRST_COMPLETED"
                        )
                    except TimeoutError:
                        continue
                    for future in done:
                        on_done(futures[future], self._result(future, tasks[futures[future]]))
                if pending:
                    # The tasks watch this event: their kernels stop as local ones would.
                    event.set()
                    with contextlib.suppress(TimeoutError):
                        dask_wait(pending, timeout=STOP_GRACE_SECONDS)
                    for future in pending:
                        index = futures[future]
                        if future.status == "finished":
                            on_done(index, self._result(future, tasks[index]))
                        else:
                            on_done(index, _cancelled(tasks[index]))
                    client.cancel(list(pending), force=True)
            finally:
                with contextlib.suppress(Exception):
                    client.unsubscribe_topic(start_topic)
                with contextlib.suppress(Exception):
                    event.set()  # so no straggler waits on a batch that has ended

    @staticmethod
    def _result(future: Any, task: RenderTask) -> Rendered:
        try:
            result: Rendered = future.result()
        except Exception as exc:  # the task's worker died (KilledWorker), lost connection...
            return failed_result(task, exc)
        return result


def make_executor(name: str, *, jobs: int = 1, scheduler: str | None = None) -> Executor:
    """``local`` (threads) or ``dask`` (``scheduler`` address, else a local cluster of
    ``jobs`` worker processes)."""
    if name == "local":
        if scheduler is not None:
            raise ValueError("--scheduler is for --executor dask")
        return LocalExecutor(jobs)
    if name == "dask":
        return DaskExecutor(scheduler, workers=jobs)
    raise ValueError(f"unknown executor {name!r}; use 'local' or 'dask'")
