"""environment.yml and pyproject.toml must list the same dependencies with the same bounds.

conda cannot be exercised on this machine (TOOLCHAIN.md), so this test is what keeps the
conda route honest.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10 has no tomllib; tomli is its backport
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[2]
# conda-forge names that differ from PyPI names
CONDA_TO_PYPI: dict[str, str] = {}
NOT_PACKAGES = {"python", "pip"}


def _split(requirement: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement)
    if match is None:
        raise ValueError(f"cannot parse requirement {requirement!r}")
    name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
    return CONDA_TO_PYPI.get(name, name), match.group(2).replace(" ", "")


def _pyproject() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        requirements += extra
    return dict(_split(r) for r in requirements)


def _environment() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    found: dict[str, str] = {}
    for item in env["dependencies"]:
        if isinstance(item, str):
            name, spec = _split(item)
            if name not in NOT_PACKAGES:
                found[name] = spec
    return found


def test_environment_and_pyproject_list_the_same_dependencies() -> None:
    pyproject, environment = _pyproject(), _environment()
    assert sorted(pyproject) == sorted(environment), (
        f"only in pyproject.toml: {sorted(set(pyproject) - set(environment))}; "
        f"only in environment.yml: {sorted(set(environment) - set(pyproject))}"
    )
    differing = {
        k: (pyproject[k], environment[k]) for k in pyproject if pyproject[k] != environment[k]
    }
    assert not differing, f"version bounds differ (pyproject, environment): {differing}"


def test_environment_installs_the_package_itself() -> None:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip_sections = [item["pip"] for item in env["dependencies"] if isinstance(item, dict)]
    assert ["-e ."] in pip_sections


def test_split_normalises_names() -> None:
    assert _split("types-PyYAML>=6.0") == ("types-pyyaml", ">=6.0")
    assert _split("pandas_stubs >= 2.2") == ("pandas-stubs", ">=2.2")
