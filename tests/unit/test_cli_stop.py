"""A stopped ``cxresearch report`` leaves at once, with 130, and leaves no kernel file.

``tests/notebooks/test_stop_signals.py`` checks this on a real batch, where whether the
second Ctrl-C lands while the batch is still stopping or after it has stopped is timing.
Here both are forced: the batch is stopped by a real SIGINT, a kernel's connection file
appears after the stop (a start the stop overtook), and a second SIGINT follows the
batch's return. Before the fix the process then died from SIGINT (-2: Python's own
handler was back) and the connection file stayed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import os, signal, sys, tempfile, time
    from pathlib import Path

    import cxresearch.report.runner as runner
    from cxresearch import cli

    class Stopped:
        exit_code = 130

    def stopped_batch(*args, cancellation, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)  # the first Ctrl-C
        deadline = time.monotonic() + 60
        while not cancellation.requested and time.monotonic() < deadline:
            time.sleep(0.01)
        name = f"cxresearch-{os.getpid()}-0123456789ab-kernel.json"
        Path(tempfile.gettempdir(), name).write_text("{}")
        return Stopped()

    runner.run_reports = stopped_batch
    cli.main(["report"])
    os.kill(os.getpid(), signal.SIGINT)  # a second Ctrl-C once the batch has returned
    time.sleep(5)
    sys.exit(99)
    """
)


def test_a_stopped_batch_exits_130_inside_its_handlers_and_removes_its_kernel_files(
    tmp_path: Path,
) -> None:
    other = tmp_path / "cxresearch-1-0123456789ab-kernel.json"  # another process's file
    other.write_text("{}")
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=tmp_path,
        env={**os.environ, "TMPDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 130, done.stderr
    assert "SIGINT: stopping" in done.stderr
    assert sorted(p.name for p in tmp_path.glob("cxresearch-*")) == [other.name]
