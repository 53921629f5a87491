"""Every notebook in notebooks/ is committed thin and clean (STYLE.md, "Notebooks").

Parametrised over the folder, so an analysis notebook added later is held to the same
rules without a test of its own.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# ≈10 lines a cell; a call with one keyword per line (as ruff formats it) may take 14.
MAX_CELL_LINES = 14


def test_there_are_notebooks() -> None:
    assert {p.stem for p in NOTEBOOKS} >= {"benchmarking", "drivers"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_clean(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    parameters = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(parameters) == 1 and parameters[0] is code[0]
    assert parameters[0].source == 'params_path = "../params/kotiposti.yaml"\nrun = "all"'
    for cell in code:
        assert not re.search(r"^\s*(def|class) ", cell.source, flags=re.M), cell.source
        assert len(cell.source.splitlines()) <= MAX_CELL_LINES, cell.source
    # Markdown cells are the researcher's notes; the client's words come from the labels.
    markdown = [c for c in nb.cells if c.cell_type == "markdown"]
    assert all("remove-cell" in c.metadata.get("tags", []) for c in markdown)
