"""Kernels started ahead give the same reports as kernels started by papermill."""

from __future__ import annotations

import io
from pathlib import Path

import nbformat

from cxresearch.report.executors import LocalExecutor
from cxresearch.report.runner import run_reports

CODE = """\
import pandas as pd

from cxresearch.params import load_params

params = load_params(params_path)
pd.DataFrame({"client": [params.client], "run": [run]})
"""


def _project(root: Path, clients: list[str]) -> Path:
    for folder in ("notebooks", "params", "data"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            'params_path = ""\nrun = "all"', metadata={"tags": ["parameters"]}
        ),
        nbformat.v4.new_code_cell(CODE),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, str(root / "notebooks" / "benchmarking.ipynb"))
    lines = ["response_id,client,wave,nps"]
    lines += [f"{c}{i},{c},2026Q3,{i + 5}" for c in clients for i in range(4)]
    (root / "data" / "responses.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for client in clients:
        (root / "params" / f"{client}.yaml").write_text(
            f"client: {client}\ntitle: {client.title()}\nlanguage: en\n"
            f"data: {{path: data/responses.csv, filter: {{client: {client}}}}}\n"
            "waves: {current: 2026Q3}\n",
            encoding="utf-8",
        )
    return root


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.suffix in (".ipynb", ".html")
    }


def test_prestarted_kernels_give_the_same_bytes(tmp_path: Path) -> None:
    root = _project(tmp_path, ["acme", "beta", "gamma"])
    plain = run_reports(root=root, executor=LocalExecutor(1), stream=io.StringIO())
    before = _files(root / "reports")
    # One job: the second and third reports get the kernels started while the first runs.
    ahead = run_reports(
        root=root, executor=LocalExecutor(1, prestart=True), stream=io.StringIO(), force=True
    )
    assert plain.exit_code == ahead.exit_code == 0
    assert [o.status for o in ahead.outcomes] == ["ok", "ok", "ok"]
    after = _files(root / "reports")
    assert len(after) == 7  # 3 × (ipynb, html) + index.html
    assert after == before
