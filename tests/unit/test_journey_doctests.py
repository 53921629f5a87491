"""The runnable examples in the journey modules' docstrings (house style: examples that run)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "cxresearch.journey.formula",
    "cxresearch.journey.model",
    "cxresearch.journey.operational",
    "cxresearch.stats.journey",
    "cxresearch.stats.outcomes",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
