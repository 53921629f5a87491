"""Stopping a batch cleanly: the runner's cancellation and the Ctrl-C / SIGTERM handlers.

A :class:`Cancellation` belongs to one batch (:func:`~cxresearch.report.runner.run_reports`
creates it or takes the caller's). Whatever executes notebooks subscribes to it: the
kernel manager of :mod:`cxresearch.report.execute` interrupts and then kills its kernel
and removes its connection and socket files; the runner stops handing out queued jobs,
waits briefly for the running ones, and writes manifests and the index for what finished.
Another executor (e.g. one on other machines) plugs in the same way, by subscribing with
:meth:`Cancellation.on_request`.

:func:`stop_on_signals` connects SIGINT and SIGTERM to a cancellation: the first signal
requests a clean stop (the batch then exits 130 within a few seconds); a second one
removes the batch's temporary files, kills its kernels and exits 130 at once.
:func:`remove_stale_files` lets a later run remove temporary report files and kernel files
left by a process that no longer exists (killed with SIGKILL, power loss).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

__all__ = [
    "EXIT_INTERRUPTED",
    "Cancellation",
    "KERNEL_FILE_PREFIX",
    "remove_own_kernel_files",
    "pid_alive",
    "remove_stale_files",
    "stop_on_signals",
]

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report an interrupted command
#: Prefix of every kernel connection and IPC socket file a report kernel creates in /tmp:
#: ``cxresearch-<pid>-<random>-...``, so that a later run can tell whose they are.
KERNEL_FILE_PREFIX = "cxresearch-"
_KERNEL_FILE = re.compile(rf"^{KERNEL_FILE_PREFIX}(?P<pid>\d+)-[0-9a-f]+-")
# Temporary report files: ".<stem>.<pid>-<random>.tmp<suffix>" (manifest.temporary_beside);
# before pids were in the name: ".<stem>.<random>.tmp<suffix>".
_REPORT_TEMPORARY = re.compile(r"^\..+\.(?:(?P<pid>\d+)-)?[^.]+\.tmp(?:\.[^.]+)?$")
# A temporary file without a pid is taken as abandoned when it is older than this.
_UNTAGGED_AGE_SECONDS = 15 * 60

Callback = Callable[[bool], None]


class Cancellation:
    """A request to stop one batch, observable from any thread.

    Examples
    --------
    >>> stop = Cancellation()
    >>> seen = []
    >>> remove = stop.on_request(seen.append)
    >>> stop.request("SIGINT"); stop.requested, stop.reason, seen
    (True, 'SIGINT', [False])
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: dict[int, Callback] = {}
        self._next = 0
        self.reason = ""

    @property
    def requested(self) -> bool:
        """Whether a stop was requested."""
        return self._event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until a stop is requested (or ``timeout`` seconds pass); True if requested."""
        return self._event.wait(timeout)

    def request(self, reason: str = "stop requested", *, hard: bool = False) -> None:
        """Request the stop and run every subscriber's callback with ``hard``.

        ``hard`` means the process is about to exit: callbacks must not wait (kill rather
        than interrupt). A callback's own error is ignored so that the others still run.
        """
        with self._lock:
            first = not self._event.is_set()
            if first:
                self.reason = reason
                self._event.set()
            callbacks = list(self._callbacks.values())
        if first or hard:
            for callback in callbacks:
                with contextlib.suppress(Exception):
                    callback(hard)

    def on_request(self, callback: Callback) -> Callable[[], None]:
        """Call ``callback(hard)`` when a stop is requested (at once if it already was).

        Returns a function that unsubscribes the callback.
        """
        with self._lock:
            key = self._next
            self._next += 1
            self._callbacks[key] = callback
            already = self._event.is_set()
        if already:
            with contextlib.suppress(Exception):
                callback(False)

        def remove() -> None:
            with self._lock:
                self._callbacks.pop(key, None)

        return remove


@contextmanager
def stop_on_signals(
    cancellation: Cancellation,
    *,
    on_hard_exit: Callable[[], None] | None = None,
    stream: IO[str] | None = None,
) -> Iterator[Cancellation]:
    """SIGINT and SIGTERM stop the batch: the first cleanly, the second at once.

    Only in the main thread (Python delivers signals there); elsewhere this does nothing.
    The previous handlers are restored afterwards.

    Parameters
    ----------
    cancellation
        Requested by the first signal.
    on_hard_exit
        Run on the second signal before the process exits with 130 (remove temporary
        files); the cancellation's subscribers are called with ``hard=True`` first.
    stream
        Where the one-line notice goes (default stderr).
    """
    if threading.current_thread() is not threading.main_thread():
        yield cancellation
        return
    out = stream if stream is not None else sys.stderr
    count = 0

    def handle(signum: int, frame: object) -> None:
        nonlocal count
        count += 1
        name = signal.Signals(signum).name
        if count == 1:
            with contextlib.suppress(Exception):
                print(
                    f"\ncxresearch: {name}: stopping; finished reports are kept "
                    "(send it again to quit at once)",
                    file=out,
                    flush=True,
                )
            cancellation.request(name)
            return
        cancellation.request(name, hard=True)
        if on_hard_exit is not None:
            with contextlib.suppress(Exception):
                on_hard_exit()
        with contextlib.suppress(Exception):
            out.flush()
        os._exit(EXIT_INTERRUPTED)

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield cancellation
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def remove_own_kernel_files() -> list[Path]:
    """Remove this process's kernel connection, socket and scratch files.

    For a stopped batch that is leaving: its kernels are killed or being killed, and a
    kernel whose start the stop overtook can have had its connection file written after
    its manager last cleaned up. Only files named with this process's id
    (``cxresearch-<pid>-…`` in the temporary folder) are touched; returns them.

    Examples
    --------
    >>> remove_own_kernel_files()  # nothing of this process's is left
    []
    """
    removed = []
    for path in Path(tempfile.gettempdir()).glob(f"{KERNEL_FILE_PREFIX}{os.getpid()}-*"):
        with contextlib.suppress(OSError):
            path.unlink()
            removed.append(path)
    return removed


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (this process counts)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_files(output: Path, *, now: float | None = None) -> list[Path]:
    """Remove temporary report files and kernel files whose process no longer exists.

    Looks for ``.<name>.<pid>-<random>.tmp.<ext>`` under ``output`` (and pid-less ones
    older than 15 minutes, from earlier versions) and for ``cxresearch-<pid>-…`` kernel
    connection and socket files in the temporary folder. Files of running processes, a
    concurrent batch among them, are left alone. Returns what was removed.
    """
    removed = []
    moment = time.time() if now is None else now
    candidates: list[tuple[Path, re.Match[str] | None]] = []
    if output.is_dir():
        candidates += [(p, _REPORT_TEMPORARY.match(p.name)) for p in output.rglob(".*.tmp*")]
    temp = Path(tempfile.gettempdir())
    candidates += [(p, _KERNEL_FILE.match(p.name)) for p in temp.glob(f"{KERNEL_FILE_PREFIX}*")]
    for path, match in candidates:
        if match is None:
            continue
        pid = match.group("pid")
        try:
            if pid is not None:
                stale = not pid_alive(int(pid))
            else:
                stale = moment - path.lstat().st_mtime > _UNTAGGED_AGE_SECONDS
            if stale:
                path.unlink()
                removed.append(path)
        except OSError:
            continue
    return removed
