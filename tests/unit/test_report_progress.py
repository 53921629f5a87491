"""The batch progress display: counts, elapsed time and ETA, terminal and CI log modes."""

from __future__ import annotations

import io

import pytest

from cxresearch.report.progress import Progress, format_duration


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_lines_carry_the_counts_and_an_eta_from_the_rendering_rate() -> None:
    clock, out = Clock(), io.StringIO()
    progress = Progress(5, out, clock=clock)
    assert not progress.live  # a StringIO is no terminal: log mode
    progress.finished("a/all/benchmarking", "up to date")
    progress.started()
    progress.started()
    clock.now += 10
    progress.finished("b/all/benchmarking", "ok", 9.5)
    clock.now += 10
    progress.finished("b/all/drivers", "failed", 19.9, "KeyError")
    lines = out.getvalue().splitlines()
    assert (
        lines[0]
        == "[1/5] a/all/benchmarking … up to date (done 0, failed 0, up to date 1; 0 s elapsed)"
    )
    # 10 s for one rendered report, 3 reports left: 30 s.
    assert lines[1] == (
        "[2/5] b/all/benchmarking … ok 9.5 s "
        "(done 1, failed 0, up to date 1; 10 s elapsed, ETA 30 s)"
    )
    # 20 s for two, 2 left: 20 s.
    assert lines[2] == (
        "[3/5] b/all/drivers … FAILED 19.9 s (KeyError) "
        "(done 1, failed 1, up to date 1; 20 s elapsed, ETA 20 s)"
    )


def test_no_eta_before_a_report_has_rendered_and_none_at_the_end() -> None:
    clock, out = Clock(), io.StringIO()
    progress = Progress(2, out, clock=clock)
    assert progress.eta() is None
    progress.started()
    progress.finished("x/all/a", "cancelled")
    assert "cancelled 1" in out.getvalue() and "ETA" not in out.getvalue()
    progress.finished("x/all/b", "up to date")
    assert progress.eta() == 0.0 and "ETA" not in out.getvalue().splitlines()[-1]


def test_a_log_gets_a_status_line_only_after_a_quiet_heartbeat() -> None:
    clock, out = Clock(), io.StringIO()
    progress = Progress(3, out, heartbeat=60, clock=clock)
    progress.started()
    clock.now += 30
    progress.tick()
    assert out.getvalue() == ""
    clock.now += 31
    progress.tick()
    assert (
        out.getvalue()
        == "… 1 running, 0/3 finished (done 0, failed 0, up to date 0; 1:01 elapsed)\n"
    )
    progress.tick()  # not again at once
    assert out.getvalue().count("\n") == 1


def test_a_terminal_gets_a_status_line_redrawn_in_place() -> None:
    clock, out = Clock(), Tty()
    progress = Progress(3, out, clock=clock)
    assert progress.live
    progress.started()
    progress.started()
    progress.tick()
    assert out.getvalue().startswith("\r\x1b[K… 2 running, 0/3 finished")
    clock.now += 4
    progress.finished("a/all/x", "ok", 4.0)
    text = out.getvalue()
    # The status line is cleared before the report's line and redrawn under it while a
    # report still runs.
    assert "\r\x1b[K[1/3] a/all/x … ok 4.0 s" in text
    assert text.endswith(
        "… 1 running, 1/3 finished (done 1, failed 0, up to date 0; 4 s elapsed, ETA 8 s)"
    )
    with progress:
        pass
    assert out.getvalue().endswith("\r\x1b[K")  # cleared when the batch ends


def test_unknown_status_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown status"):
        Progress(1, io.StringIO()).finished("a", "done")


@pytest.mark.parametrize(
    ("seconds", "text"), [(0.4, "0 s"), (59.6, "1:00"), (61, "1:01"), (3600, "1:00:00")]
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
