"""One progress display for a batch of reports, whichever executor renders them.

Each finished report is one line — ``[3/12] acme/all/drivers … ok 2.1 s`` — followed by
the batch's counts: reports done, failed, up to date, the elapsed time and an estimate of
the time left (ETA). The lines read the same in a terminal and in a CI log. In a terminal
(the stream is a TTY) a status line under them is also redrawn every second while reports
run; in a log a status line is written only when no report has finished for a while
(``heartbeat`` seconds), so a long report does not look like a hung batch and the log
does not fill with redraws.

The ETA divides the time since the first report started by the reports rendered so far
(done or failed: the ones that took time) and multiplies by the reports still to come, so
it already accounts for reports running side by side; it is shown once one report has
finished.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import IO

__all__ = ["Progress", "format_duration"]


def format_duration(seconds: float) -> str:
    """``"42 s"``, ``"3:07"`` (m:ss) or ``"1:02:03"`` (h:mm:ss).

    Examples
    --------
    >>> format_duration(42.4), format_duration(187), format_duration(3723)
    ('42 s', '3:07', '1:02:03')
    """
    whole = int(round(max(seconds, 0.0)))
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}:{secs:02d}"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


class Progress:
    """Counts and lines of one batch; safe to call from several threads.

    Parameters
    ----------
    total
        Reports in the batch (up-to-date ones included).
    stream
        Where the lines go.
    live
        Redraw a status line in place; default: whether ``stream`` is a terminal.
    heartbeat
        Without ``live``: seconds without a finished report after which a status line is
        written (and again after as many more).
    clock
        Monotonic seconds (replaceable in tests).

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> with Progress(2, out, live=False) as progress:
    ...     progress.finished("acme/all/drivers", "up to date")
    >>> out.getvalue().splitlines()[0]
    '[1/2] acme/all/drivers … up to date (done 0, failed 0, up to date 1; 0 s elapsed)'
    """

    def __init__(
        self,
        total: int,
        stream: IO[str],
        *,
        live: bool | None = None,
        heartbeat: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self.stream = stream
        if live is None:
            isatty = getattr(stream, "isatty", None)
            live = bool(isatty()) if callable(isatty) else False
        self.live = live
        self.heartbeat = heartbeat
        self.clock = clock
        self.counts = {"ok": 0, "failed": 0, "up to date": 0, "cancelled": 0}
        self.running = 0
        self._started = clock()
        self._first_run: float | None = None
        self._last_line = self._started
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._status_shown = False

    # --- what the runner reports -------------------------------------------------------

    def started(self) -> None:
        """A report began rendering."""
        with self._lock:
            self.running += 1
            if self._first_run is None:
                self._first_run = self.clock()

    def finished(self, label: str, status: str, seconds: float = 0.0, detail: str = "") -> None:
        """A report ended: ``status`` is ``ok``, ``failed``, ``up to date`` or ``cancelled``."""
        with self._lock:
            if status not in self.counts:
                raise ValueError(f"unknown status {status!r}")
            self.counts[status] += 1
            if status in ("ok", "failed", "cancelled") and self.running:
                self.running -= 1
            number = sum(self.counts.values())
            text = {"ok": f"ok {seconds:.1f} s", "failed": f"FAILED {seconds:.1f} s"}.get(
                status, status
            )
            if detail:
                text += f" ({detail})"
            self._write(f"[{number}/{self.total}] {label} … {text} ({self.summary()})")

    # --- text ----------------------------------------------------------------------------

    def eta(self) -> float | None:
        """Seconds left, or None before any report has rendered."""
        rendered = self.counts["ok"] + self.counts["failed"]
        left = self.total - sum(self.counts.values())
        if left <= 0:
            return 0.0
        if not rendered or self._first_run is None:
            return None
        return (self.clock() - self._first_run) / rendered * left

    def summary(self) -> str:
        """``done 3, failed 0, up to date 5; 12 s elapsed, ETA 40 s``."""
        c = self.counts
        text = f"done {c['ok']}, failed {c['failed']}, up to date {c['up to date']}"
        if c["cancelled"]:
            text += f", cancelled {c['cancelled']}"
        text += f"; {format_duration(self.clock() - self._started)} elapsed"
        eta = self.eta()
        if eta is not None and sum(c.values()) < self.total:
            text += f", ETA {format_duration(eta)}"
        return text

    def status_line(self) -> str:
        """The running status: ``… 2 running, 3/12 finished (done 3, ...)``."""
        finished = sum(self.counts.values())
        return f"… {self.running} running, {finished}/{self.total} finished ({self.summary()})"

    # --- output ------------------------------------------------------------------------------

    def _write(self, line: str) -> None:
        # Called with the lock held.
        if self.live and self._status_shown:
            self.stream.write("\r\x1b[K")  # clear the status line, write above it
        self.stream.write(line + "\n")
        self._last_line = self.clock()
        if self.live and self.running:
            self.stream.write(self.status_line())
            self._status_shown = True
        else:
            self._status_shown = False
        self.stream.flush()

    def tick(self) -> None:
        """Redraw the status line (live) or write one after ``heartbeat`` quiet seconds."""
        with self._lock:
            if not self.running:
                return
            if self.live:
                self.stream.write("\r\x1b[K" + self.status_line())
                self._status_shown = True
                self.stream.flush()
            elif self.clock() - self._last_line >= self.heartbeat:
                self.stream.write(self.status_line() + "\n")
                self._last_line = self.clock()
                self.stream.flush()

    def _tick_loop(self) -> None:
        interval = 1.0 if self.live else min(self.heartbeat, 5.0)
        while not self._stop.wait(interval):
            self.tick()

    def __enter__(self) -> Progress:
        self._ticker = threading.Thread(target=self._tick_loop, name="cx-progress", daemon=True)
        self._ticker.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        with self._lock:
            if self.live and self._status_shown:
                self.stream.write("\r\x1b[K")
                self._status_shown = False
                self.stream.flush()
