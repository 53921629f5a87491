"""The validated-data cache: the same frame as loading afresh, invalidated by what matters."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import cxresearch.data as data_package
from cxresearch.data import load_responses
from cxresearch.data.cache import CACHE_VARIABLE, load_validated
from cxresearch.errors import DataError
from cxresearch.report.index import build_index
from cxresearch.report.runner import validate_clients

HEADER = (
    "response_id,client,wave,customer_type,nps,csat,attr_ease,retained,submitted_at,"
    "weight,region,comment"
)
ROWS = [
    "r1,acme,2026Q2,current,9,5,4,true,2026-05-01 10:00,1.5,north,Hyvä palvelu",
    "r2,acme,2026Q3,former,3,2,2,false,2026-08-02T11:30:00+03:00,0.5,south,",
    "r3,acme,2026Q3,never,,4,3,,02.08.2026,1.0,north,Liian kallis",
    "r4,beta,2026Q3,current,10,,5,yes,,2.0,south,NA",
]


def write(path: Path, rows: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def cached_files(cache: Path) -> list[Path]:
    return sorted((cache / "validated").glob("*.parquet"))


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the real reads and validations (the cache calls cxresearch.data's function)."""
    calls: list[int] = []
    real = data_package.load_responses

    def counting(*args: Any, **kwargs: Any) -> pd.DataFrame:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(data_package, "load_responses", counting)
    return calls


def assert_same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got, expected, check_exact=True, check_index_type=True)
    assert list(got.dtypes) == list(expected.dtypes)
    assert got.attrs == expected.attrs
    # Key order too: the report's tables list missing codes in the order they were found.
    assert json.dumps(got.attrs) == json.dumps(expected.attrs)


OPTIONS: list[dict[str, Any]] = [
    {},
    {"scales": {"attr_ease": (1.0, 5.0)}, "missing": {"nps": [10], "csat": [5]}},
    {"mapping": {"region": "area"}, "exclude": {"client": ["beta"]}},
]


@pytest.mark.parametrize("options", OPTIONS)
def test_a_cached_frame_is_the_frame_load_responses_gives(
    tmp_path: Path, options: dict[str, Any], counted: list[int]
) -> None:
    path = write(tmp_path / "data.csv", ROWS)
    expected = load_responses([path], **options)
    first = load_validated([path], options, cache_dir=tmp_path / "cache")
    again = load_validated([path], options, cache_dir=tmp_path / "cache")
    assert_same(first, expected)
    assert_same(again, expected)
    assert len(counted) == 1  # the first cached call read the file; the second read Parquet
    assert len(cached_files(tmp_path / "cache")) == 1


def test_parquet_input_with_numbers_and_times_round_trips(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "response_id": [101, 102, 103],
            "client": "acme",
            "wave": "2026Q3",
            "nps": [9.0, None, 0.0],
            "retained": pd.Series([True, None, False], dtype=object),
            "submitted_at": pd.to_datetime(["2026-08-01 10:00", None, "2026-08-03 00:00"]),
            "visits": [3, 4, 5],  # a numeric column outside the schema is kept as it is
        }
    )
    path = tmp_path / "data.parquet"
    frame.to_parquet(path)
    expected = load_responses(path)
    load_validated([path], {}, cache_dir=tmp_path / "cache")
    assert_same(load_validated([path], {}, cache_dir=tmp_path / "cache"), expected)


def test_a_changed_cell_reads_and_validates_again_and_replaces_the_old_copy(
    tmp_path: Path, counted: list[int]
) -> None:
    path = write(tmp_path / "data.csv", ROWS)
    cache = tmp_path / "cache"
    before = load_validated([path], {}, cache_dir=cache)
    old = cached_files(cache)
    write(path, [ROWS[0].replace(",9,", ",8,"), *ROWS[1:]])
    after = load_validated([path], {}, cache_dir=cache)
    assert (before["nps"].iloc[0], after["nps"].iloc[0]) == (9, 8)
    assert after.attrs["source_sha256"] != before.attrs["source_sha256"]
    assert len(counted) == 2
    assert len(cached_files(cache)) == 1 and cached_files(cache) != old


def test_changed_options_read_again_and_errors_are_never_cached(
    tmp_path: Path, counted: list[int]
) -> None:
    path = write(tmp_path / "data.csv", ROWS)
    cache = tmp_path / "cache"
    load_validated([path], {}, cache_dir=cache)
    scaled = load_validated([path], {"scales": {"attr_ease": (1.0, 5.0)}}, cache_dir=cache)
    assert len(counted) == 2 and len(cached_files(cache)) == 2  # two ways of reading a file
    assert scaled["attr_ease"].tolist() == [4.0, 2.0, 3.0, 5.0]
    for _ in range(2):
        with pytest.raises(DataError, match=r"(?s)'attr_ease'.*outside the scale 1–3"):
            load_validated([path], {"scales": {"attr_ease": (1.0, 3.0)}}, cache_dir=cache)
    assert len(counted) == 4 and len(cached_files(cache)) == 2


def test_a_damaged_cache_file_is_read_afresh_and_replaced(
    tmp_path: Path, counted: list[int]
) -> None:
    path = write(tmp_path / "data.csv", ROWS)
    cache = tmp_path / "cache"
    expected = load_validated([path], {}, cache_dir=cache)
    (stored,) = cached_files(cache)
    stored.write_bytes(stored.read_bytes()[:100])
    assert_same(load_validated([path], {}, cache_dir=cache), expected)
    assert_same(load_validated([path], {}, cache_dir=cache), expected)
    assert len(counted) == 2


def test_the_cache_can_be_turned_off(
    tmp_path: Path, counted: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_VARIABLE, "off")
    path = write(tmp_path / "data.csv", ROWS)
    for _ in range(2):
        load_validated([path], {}, cache_dir=tmp_path / "cache")
    assert len(counted) == 2 and not (tmp_path / "cache").exists()


# --- the batch's check of each client ------------------------------------------------------


def project(root: Path) -> Path:
    (root / "notebooks").mkdir(parents=True)
    fixture = Path(__file__).parent / "fixtures" / "notebooks" / "report_ok.ipynb"
    (root / "notebooks" / "benchmarking.ipynb").write_bytes(fixture.read_bytes())
    write(root / "data" / "responses.csv", ROWS)
    (root / "params").mkdir()
    for client in ("acme", "beta"):
        (root / "params" / f"{client}.yaml").write_text(
            f"client: {client}\ntitle: {client.title()} Oy\nlanguage: fi\n"
            f"data: {{path: data/responses.csv, filter: {{client: {client}}}}}\n"
            "waves: {current: 2026Q3}\n",
            encoding="utf-8",
        )
    return root


def test_a_warm_check_reads_no_data_and_keeps_no_frame(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(tmp_path)
    paths = sorted((root / "params").glob("*.yaml"))
    cold = validate_clients(paths, root=root)
    assert all(c.ok and c.frame is None for c in cold), [c.error for c in cold]
    cold_index = build_index(root / "reports", checks=cold, root=root)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a warm check read the data")

    with monkeypatch.context() as patch:
        patch.setattr("cxresearch.session.load_client_data", refuse)
        warm = validate_clients(paths, root=root)
    assert [(c.ok, c.rows, c.headline, c.notes, c.data_sha256) for c in warm] == [
        (c.ok, c.rows, c.headline, c.notes, c.data_sha256) for c in cold
    ]
    assert [c.rows for c in warm] == [3, 1]
    assert "NPS" in cold_index and build_index(root / "reports", checks=warm, root=root) == (
        cold_index
    )

    # A changed data file, or changed params, are checked against the data again.
    write(root / "data" / "responses.csv", [*ROWS, "r5,beta,2026Q3,current,0,,,,,1.0,x,"])
    params = root / "params" / "acme.yaml"
    params.write_text(params.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    again = validate_clients(paths, root=root)
    assert [c.rows for c in again] == [3, 2]
    # A notebook removed since is noticed without the data.
    (root / "notebooks" / "benchmarking.ipynb").unlink()
    gone = validate_clients(paths, root=root)
    assert not gone[0].ok and "benchmarking.ipynb" in str(gone[0].error)
