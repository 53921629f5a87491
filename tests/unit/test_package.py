"""The package's public names: stable, importable, and cheap to import."""

from __future__ import annotations

import subprocess
import sys

import pytest

import cxresearch
from cxresearch import _EXPORTS


def test_all_lists_every_export() -> None:
    assert sorted(cxresearch.__all__) == sorted(_EXPORTS)


@pytest.mark.parametrize("name", sorted(_EXPORTS))
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(cxresearch, name) is not None


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_thing"):
        cxresearch.no_such_thing  # noqa: B018


def test_error_family() -> None:
    assert issubclass(cxresearch.DataError, cxresearch.CxError)
    assert issubclass(cxresearch.ParamsError, cxresearch.CxError)
    assert issubclass(cxresearch.ReportError, cxresearch.CxError)


def test_import_is_lazy() -> None:
    # `import cxresearch` (CLI start-up, notebooks needing one function) must not pull in
    # the heavy stack: pingouin alone costs 1.5 s (TOOLCHAIN.md).
    code = (
        "import sys, cxresearch; "
        "print(sorted(m for m in ('pandas', 'pingouin', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
