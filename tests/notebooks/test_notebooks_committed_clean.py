"""Every notebook in notebooks/ is committed thin and clean (STYLE.md, "Notebooks").

Parametrised over the folder, so an analysis notebook added later is held to the same
rules without a test of its own: among them that report text reaches the page only through
``cxresearch.present``'s escaping path (``cx.markdown``, ``cx.heading``, ``cx.md`` with a
literal template, ``Labels.text``), never through ``IPython.display.Markdown``/``HTML``,
f-strings or ``str.format`` (see cxresearch/present/escaping.py).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

from cxresearch.analyses import ANALYSES

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# ≈10 lines a cell; a call with one keyword per line (as ruff formats it) may take 14.
MAX_CELL_LINES = 14


# Display classes that would put text into the page without escaping it.
UNESCAPED_DISPLAY = frozenset(
    {"Markdown", "HTML", "Javascript", "Latex", "SVG", "IFrame", "Math", "SafeMarkdown"}
)


def text_rule_violations(source: str) -> list[str]:
    """Ways a notebook cell could put params or data text into the report unescaped."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.JoinedStr):
            found.append("f-string: fill a label or cx.md template instead")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("IPython"):
            bad = [a.name for a in node.names if a.name in UNESCAPED_DISPLAY | {"*"}]
            if bad:
                found.append(f"imports {bad} from {node.module}: use cx.markdown / cx.heading")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            if isinstance(node.left, ast.Constant) and isinstance(node.left.value, str):
                found.append("%-formatting of a string: use cx.md")
        elif isinstance(node, ast.Attribute) and node.attr in {"style", "format"}:
            found.append(f".{node.attr}: use cx tables (escaped) and cx.md templates")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in UNESCAPED_DISPLAY | {"publish_display_data"}:
                found.append(f"{name}(...): use cx.markdown / cx.heading")
            if name == "md" and not (
                node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.append("cx.md(...) with a template that is not a string literal")
            if any(k.arg == "raw" for k in node.keywords):
                found.append("display(..., raw=True) bypasses the escaping path")
    return found


@pytest.mark.parametrize(
    "source",
    [
        'from IPython.display import Markdown\nMarkdown("# " + s.title)',
        "import IPython.display as d\nd.HTML(s.title)",
        'cx.markdown(f"# {s.title}")',
        'cx.markdown("# {}".format(s.title))',
        'cx.markdown("# %s" % s.title)',
        "cx.md(s.title)",
        "cx.SafeMarkdown(s.title)",
        "display({'text/html': s.title}, raw=True)",
        "frame.style",
    ],
)
def test_unescaped_text_is_caught(source: str) -> None:
    assert text_rule_violations(source)


def test_the_escaping_path_passes() -> None:
    source = (
        'kind = cx.md("{kind} · {wave}", kind=L.text("report_kind"), wave=s.current_wave)\n'
        'display(cx.markdown(cx.heading(s.title, 1), kind, s.base_sentence() + " "))'
    )
    assert text_rule_violations(source) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_report_text_only_through_the_escaping_path(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert text_rule_violations(cell.source) == [], cell.source


def test_there_are_notebooks() -> None:
    assert {p.stem for p in NOTEBOOKS} >= {"benchmarking", "drivers"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_clean(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    parameters = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(parameters) == 1 and parameters[0] is code[0]
    expected = 'params_path = "../params/kotiposti.yaml"\nrun = "all"'
    spec = ANALYSES.get(path.stem)
    if spec is not None and spec.exports:  # the runner passes temporary files for exports
        expected += "\nexports = None"
    assert parameters[0].source == expected
    for cell in code:
        assert not re.search(r"^\s*(def|class) ", cell.source, flags=re.M), cell.source
        assert len(cell.source.splitlines()) <= MAX_CELL_LINES, cell.source
    # Markdown cells are the researcher's notes; the client's words come from the labels.
    markdown = [c for c in nb.cells if c.cell_type == "markdown"]
    assert all("remove-cell" in c.metadata.get("tags", []) for c in markdown)
