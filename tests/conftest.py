"""Fixtures shared by the unit and notebook suites.

``tiny_project`` builds the smallest project a batch can run: one parameterised notebook
(named ``benchmarking.ipynb``, the analysis every client has by default) whose code the test
chooses, a responses file with four rows per client and a params file per client. Used by
the tests of kernels started ahead, kernels forked from the template and the Dask executor.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest

ProjectBuilder = Callable[[Path, list[str], str], Path]


def _tiny_project(root: Path, clients: list[str], code: str) -> Path:
    for folder in ("notebooks", "params", "data"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            'params_path = ""\nrun = "all"', metadata={"tags": ["parameters"]}
        ),
        nbformat.v4.new_code_cell(code),
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


def _report_files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.suffix in (".ipynb", ".html")
    }


@pytest.fixture
def tiny_project() -> ProjectBuilder:
    """``build(root, clients, code)``: the tiny project in ``root``; returns ``root``."""
    return _tiny_project


@pytest.fixture
def report_files() -> Callable[[Path], dict[str, bytes]]:
    """``files(folder)``: every ``.ipynb`` and ``.html`` below ``folder``, by relative path."""
    return _report_files
