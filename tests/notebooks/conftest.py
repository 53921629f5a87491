"""Shared fixtures for the notebook tests: each test module sets ``NOTEBOOK``.

The Finnish client (kotiposti) runs as a researcher would in JupyterLab: from the
notebooks/ folder with the notebook's own default parameters. The English client
(northwind) runs as ``cxresearch report`` does: from the project root with an absolute
``params_path`` injected. Both are rendered with the runner's ``render_html``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cxresearch.analyses import ANALYSES
from cxresearch.report.render import render_html

ROOT = Path(__file__).resolve().parents[2]


def execute(notebook: Path, tmp: Path, *, cwd: Path, parameters: dict[str, Any] | None) -> Any:
    import papermill as pm

    return pm.execute_notebook(
        str(notebook),
        str(tmp / "executed.ipynb"),
        parameters=parameters or {},
        kernel_name="python3",
        progress_bar=False,
        cwd=str(cwd),
    )


@pytest.fixture(scope="module")
def finnish(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    notebook = request.module.NOTEBOOK
    nb = execute(notebook, tmp_path_factory.mktemp("fi"), cwd=ROOT / "notebooks", parameters=None)
    return render_html(nb, title="Kotiposti", language="fi")


@pytest.fixture(scope="module")
def english(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    notebook = request.module.NOTEBOOK
    parameters: dict[str, Any] = {
        "params_path": str(ROOT / "params" / "northwind.yaml"),
        "run": "all",
    }
    spec = ANALYSES.get(notebook.stem)
    if spec is not None and spec.exports:  # as the runner does: a file per declared export
        folder = exports_folder(tmp_path_factory, notebook)
        parameters["exports"] = {name: str(folder / name) for name in spec.exports}
    nb = execute(notebook, tmp_path_factory.mktemp("en"), cwd=ROOT, parameters=parameters)
    return render_html(nb, title="Northwind", language="en")


def _load_chromium_helper() -> Any:
    # tests/ is not a package (pytest runs with --import-mode=importlib): load the one
    # Chromium helper by its path, for every browser test.
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "cx_test_chromium", ROOT / "tests" / "chromium.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CHROMIUM_HELPER = _load_chromium_helper()


@pytest.fixture(scope="session")
def chromium() -> Any:
    """tests/chromium.py (``dump_dom``, ``Browser``); skips, saying why, without Chromium."""
    if CHROMIUM_HELPER.CHROMIUM is None:
        pytest.skip(CHROMIUM_HELPER.MISSING)
    return CHROMIUM_HELPER


def exports_folder(tmp_path_factory: pytest.TempPathFactory, notebook: Path) -> Path:
    """Where the English run of ``notebook`` writes its exports (e.g. banner.xlsx)."""
    folder = tmp_path_factory.getbasetemp() / f"exports-{notebook.stem}"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def english_exports(
    english: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The folder holding what the English run exported."""
    return exports_folder(tmp_path_factory, request.module.NOTEBOOK)
