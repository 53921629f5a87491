"""Kernels started ahead give the same reports as kernels started by papermill."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from cxresearch.report.executors import LocalExecutor
from cxresearch.report.runner import run_reports

CODE = """\
import pandas as pd

from cxresearch.params import load_params

params = load_params(params_path)
pd.DataFrame({"client": [params.client], "run": [run]})
"""


def test_prestarted_kernels_give_the_same_bytes(
    tmp_path: Path, tiny_project: Any, report_files: Any
) -> None:
    root = tiny_project(tmp_path, ["acme", "beta", "gamma"], CODE)
    plain = run_reports(root=root, executor=LocalExecutor(1), stream=io.StringIO())
    before = report_files(root / "reports")
    # One job: the second and third reports get the kernels started while the first runs.
    ahead = run_reports(
        root=root, executor=LocalExecutor(1, prestart=True), stream=io.StringIO(), force=True
    )
    assert plain.exit_code == ahead.exit_code == 0
    assert [o.status for o in ahead.outcomes] == ["ok", "ok", "ok"]
    after = report_files(root / "reports")
    assert len(after) == 7  # 3 × (ipynb, html) + index.html
    assert after == before
