"""The journey's side files go through the validated-data cache as the responses do: the
first report reads and checks each file once, every later one (another run, a warm batch)
hashes the files and reads nothing; a changed file is read again; the cache off reads
everything every time and gives the same frames."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import cxresearch.data as data_package
import cxresearch.data.readers as readers
from cxresearch.data.cache import CACHE_VARIABLE
from cxresearch.journey import outcomes as jo
from cxresearch.journey.run import open_journey

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "data" / "demo", tmp_path / "data" / "demo")
    params = yaml.safe_load((ROOT / "params" / "kotiposti.yaml").read_text(encoding="utf-8"))
    (tmp_path / "params").mkdir()
    text = yaml.safe_dump(params, allow_unicode=True, sort_keys=False)
    (tmp_path / "params" / "kotiposti.yaml").write_text(text, encoding="utf-8")
    return tmp_path / "params" / "kotiposti.yaml"


@pytest.fixture()
def reads(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Every reading-and-validation of a file, by file name (responses and side files)."""
    counts: Counter[str] = Counter()
    load_responses, read_export = data_package.load_responses, readers.read_export

    def counted_load(paths: Any, *args: Any, **kwargs: Any) -> pd.DataFrame:
        for path in paths if isinstance(paths, list | tuple) else [paths]:
            counts[Path(path).name] += 1
        return load_responses(paths, *args, **kwargs)

    def counted_export(path: Any, *args: Any, **kwargs: Any) -> Any:
        counts[f"{Path(path).parent.name}/{Path(path).name}"] += 1
        return read_export(path, *args, **kwargs)

    monkeypatch.setattr(data_package, "load_responses", counted_load)
    monkeypatch.setattr(readers, "read_export", counted_export)
    return counts


def _journey(params: Path, run: str = "all") -> dict[str, Any]:
    """What the journey notebook reads from files: the run, its loop summary and fatigue."""
    j = open_journey(params, run)
    return {"rows": j.rows, "loop": jo.loop_summary(j), "fatigue": jo.fatigue(j)}


SIDE_FILES = {"operational/kotiposti.csv", "invitations/kotiposti.csv", "kotiposti/status.csv"}


def test_each_file_is_read_once_and_a_warm_run_reads_none(
    project: Path, reads: Counter[str]
) -> None:
    first = _journey(project)
    # The responses once (the session and the operational join share the cached copy),
    # each side file once.
    assert reads == Counter({"responses.csv": 1, **dict.fromkeys(SIDE_FILES, 1)})
    reads.clear()
    again = _journey(project)
    second_run = _journey(project, "suuryritykset")
    assert reads == Counter()  # hashes only
    pd.testing.assert_frame_equal(again["rows"], first["rows"])
    assert again["loop"]["items"] == first["loop"]["items"]
    pd.testing.assert_frame_equal(again["fatigue"]["table"], first["fatigue"]["table"])
    assert len(second_run["rows"]) < len(first["rows"])

    # A changed side file is read again (and only that file).
    operational = project.parent.parent / "data" / "demo" / "operational" / "kotiposti.csv"
    operational.write_text(operational.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    _journey(project)
    assert reads == Counter({"operational/kotiposti.csv": 1})


def test_without_the_cache_every_run_reads_every_file_and_gives_the_same_frames(
    project: Path, reads: Counter[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cached = _journey(project)
    cached_again = _journey(project)
    monkeypatch.setenv(CACHE_VARIABLE, "off")
    reads.clear()
    plain = _journey(project)
    _journey(project)
    # Without the cache the operational join also reads the responses itself.
    assert reads == Counter({"responses.csv": 4, **dict.fromkeys(SIDE_FILES, 2)})
    for got in (cached, cached_again):
        pd.testing.assert_frame_equal(got["rows"], plain["rows"])
        pd.testing.assert_frame_equal(got["fatigue"]["table"], plain["fatigue"]["table"])
        assert got["loop"]["items"] == plain["loop"]["items"]
