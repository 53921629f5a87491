"""Every runnable example in the package's docstrings runs and prints what it says.

House style asks for a short example in each public function's docstring; this keeps
them true (examples that need files or a kernel are marked ``# doctest: +SKIP``).
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import cxresearch


def _with_examples() -> list[str]:
    names = sorted(
        info.name
        for info in pkgutil.walk_packages(cxresearch.__path__, prefix="cxresearch.")
        # Importing __main__ would run the command line.
        if not info.name.endswith("__main__")
    )
    finder = doctest.DocTestFinder()
    return [n for n in names if any(t.examples for t in finder.find(importlib.import_module(n)))]


MODULES = _with_examples()


def test_the_package_has_examples() -> None:
    assert len(MODULES) >= 40, MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
