"""Rendering in worker processes (report/render_pool.py): same bytes, survives, stops."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest

from cxresearch.errors import ReportError
from cxresearch.report.cancel import Cancellation
from cxresearch.report.job import notebook_bytes, render_pages
from cxresearch.report.render_pool import RenderPool


def executed_notebook() -> bytes:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("## Yleiskuva ä\n\nSuositteluhalukkuus."),
        nbformat.v4.new_code_cell(
            "x",
            outputs=[
                nbformat.v4.new_output(
                    "display_data", data={"text/html": "<table><tr><td>42</td></tr></table>"}
                )
            ],
        ),
        nbformat.v4.new_markdown_cell("## Toinen"),
    ]
    return notebook_bytes(nb)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) counts as gone.
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        return stat.read().split(") ", 1)[1][0] != "Z"


def test_pages_from_a_worker_are_the_bytes_rendered_in_process() -> None:
    notebook = executed_notebook()
    here = render_pages(notebook, title="Kotiposti", language="fi", pdf=True)

    def refuse(*args: object) -> None:
        raise AssertionError(f"the render pool changed the parent's environment: {args[1:]}")

    # Workers start with the parent's environment as it is: the pool never changes it, not
    # even for a moment (a distributed executor runs the same code in a shared process).
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(type(os.environ), "__setitem__", refuse)
        patch.setattr(type(os.environ), "__delitem__", refuse)
        pool = RenderPool(1)
        try:
            there = pool.render(notebook, title="Kotiposti", language="fi", pdf=True)
            again = pool.render(notebook, title="Kotiposti", language="fi", pdf=True)
            without_pdf = pool.render(notebook, title="Kotiposti", language="fi", pdf=False)
            (folder,) = pool._folders.values()
            # What the worker loaded is out of its garbage collections from now on.
            assert pool._pool.submit(gc.get_freeze_count).result() > 10_000
            # The worker keeps the fonts it loaded (and WeasyPrint its copies of them).
            assert [p.name[:11] for p in Path(folder).iterdir()] == ["weasyprint-"]
        finally:
            pool.close()
    assert there == here == again
    assert not Path(folder).exists()
    assert here[1] is not None and here[1].startswith(b"%PDF")
    assert without_pdf == (here[0], None)


def test_a_failed_rendering_raises_in_the_batch_and_the_worker_goes_on() -> None:
    pool = RenderPool(1)
    try:
        with pytest.raises(nbformat.reader.NotJSONError):
            pool.render(b"not a notebook", title="x", language="fi", pdf=False)
        # The worker is still there for the next report.
        html, _ = pool.render(executed_notebook(), title="x", language="fi", pdf=False)
    finally:
        pool.close()
    assert b"42" in html


def test_a_dead_worker_is_replaced_and_the_report_still_renders() -> None:
    pool = RenderPool(1)
    try:
        first = list(pool._pool._processes.values())  # type: ignore[attr-defined]
        for process in first:
            process.kill()
            process.join(timeout=10)
        html, _ = pool.render(executed_notebook(), title="x", language="fi", pdf=False)
        now = list(pool._pool._processes.values())  # type: ignore[attr-defined]
    finally:
        pool.close()
    assert b"42" in html
    assert {p.pid for p in now}.isdisjoint(p.pid for p in first)


def test_a_stop_request_returns_at_once_and_close_kills_the_workers() -> None:
    stop = Cancellation()
    pool = RenderPool(2, cancellation=stop)
    workers = [p.pid for p in pool._pool._processes.values()]  # type: ignore[attr-defined]
    pool.render(executed_notebook(), title="x", language="fi", pdf=True)  # fonts loaded
    (folder,) = pool._folders.values()
    assert any(Path(folder).iterdir())
    stop.request("SIGINT")
    started = time.monotonic()
    with pytest.raises(ReportError, match="stopping"):
        pool.render(executed_notebook(), title="x", language="fi", pdf=True)
    pool.close()
    assert time.monotonic() - started < 10
    assert len(workers) == 2 and not any(alive(pid) for pid in workers)
    assert not Path(folder).exists()  # the killed workers' temporary files too


def test_workers_ignore_ctrl_c_and_end_when_the_batch_is_killed() -> None:
    # A batch in its own process group: Ctrl-C reaches every process of the group, as in
    # a terminal; the batch then dies by SIGKILL, which no handler sees.
    script = textwrap.dedent(
        """
        import signal, sys, time
        from cxresearch.report.render_pool import RenderPool
        signal.signal(signal.SIGINT, lambda *_: None)  # the batch's own handler
        pool = RenderPool(2)
        print(*pool._pool._processes, flush=True)
        print(*pool._folders.values(), flush=True)
        time.sleep(600)
        """
    )
    batch = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert batch.stdout is not None
        workers = [int(pid) for pid in batch.stdout.readline().split()]
        folder = Path(batch.stdout.readline().strip())
        assert len(workers) == 2 and folder.is_dir()
        time.sleep(0.5)
        os.killpg(batch.pid, signal.SIGINT)  # the batch itself would handle it
        time.sleep(1.0)
        assert all(alive(pid) for pid in workers)
        batch.kill()
        batch.wait(timeout=30)
        deadline = time.monotonic() + 30
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(alive(pid) for pid in workers)
        assert not folder.exists()  # the workers removed their temporary files
    finally:
        if batch.poll() is None:
            batch.kill()
