"""papermill's file I/O in a process that runs notebooks from several threads."""

from __future__ import annotations

from pathlib import Path

import pytest
from papermill.iorw import local_file_io_cwd, papermill_io

from cxresearch.report.execute import import_execution_modules


def test_overlapping_runs_leave_no_working_directory_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two runs in threads overlap like this: A enters, B enters, A leaves, B leaves.
    # papermill's own handler then keeps A's working directory for good, and every later
    # read chdirs into it; here that folder is a deleted temporary one (FileNotFoundError
    # with papermill's handler, seen as flaky runner tests under load).
    import_execution_modules()
    notebook = tmp_path / "nb.ipynb"
    notebook.write_text('{"cells": []}', encoding="utf-8")
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    run_a, run_b = local_file_io_cwd(), local_file_io_cwd()
    run_a.__enter__()
    run_b.__enter__()
    run_a.__exit__(None, None, None)
    run_b.__exit__(None, None, None)
    monkeypatch.chdir(tmp_path)
    gone.rmdir()
    assert papermill_io.read(str(notebook)) == '{"cells": []}'
    papermill_io.write('{"cells": [1]}', str(notebook))
    assert notebook.read_text(encoding="utf-8") == '{"cells": [1]}'
