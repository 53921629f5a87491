"""Seeded mutations of demo-data slices: every file is read faithfully or refused.

Each case cuts a slice of ``data/demo/responses.csv`` (header + 20–40 rows from a random
offset), applies one mutation and loads it. The oracle: a mutation that keeps the file's
meaning (another encoding, delimiter, line ending or a byte-order mark) must load exactly
what the slice holds; a mutation that breaks it (a field lost or added, rows merged, a cut,
trailing delimiters, stray bytes, ``1e1`` for a score, an emptied score column, a repeated
column name) must raise DataError. Anything else is a silent misread and fails the test.

One case is undetectable by design and is checked separately: a file cut exactly inside
the last field of its last row has the right field count and, like a Google Sheets export,
no final line break. It loads with ``ends_with_newline`` False (``cxresearch inspect``
warns), every other cell equal.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxresearch.data import load_responses
from cxresearch.data.readers import read_export
from cxresearch.errors import DataError

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo" / "responses.csv"
SEED = 20261129
PER_KIND = 8  # 14 kinds: 112 mutated files, about 15 s on 2 cores
with DEMO.open(encoding="utf-8", newline="") as _file:
    RECORDS = list(csv.reader(_file))
HEADER, BODY = RECORDS[0], RECORDS[1:]
SCORES = ("nps", "csat", "ces")

Mutation = Callable[[list[str], np.random.Generator], bytes]


def _join(records: list[list[str]], newline: str = "\n", delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=newline).writerows(records)
    return out.getvalue()


def _row(rng: np.random.Generator, records: list[list[str]]) -> int:
    return int(rng.integers(1, len(records)))


def drop_field(records: list[list[str]], rng: np.random.Generator) -> bytes:
    i = _row(rng, records)
    cells = list(records[i])
    del cells[int(rng.integers(len(cells)))]
    return _join([*records[:i], cells, *records[i + 1 :]]).encode()


def add_field(records: list[list[str]], rng: np.random.Generator) -> bytes:
    i = _row(rng, records)
    cells = list(records[i])
    cells.insert(int(rng.integers(len(cells) + 1)), "x")
    return _join([*records[:i], cells, *records[i + 1 :]]).encode()


def merge_rows(records: list[list[str]], rng: np.random.Generator) -> bytes:
    lines = _join(records).split("\n")
    i = int(rng.integers(1, len(records) - 1))
    return "\n".join([*lines[:i], lines[i] + lines[i + 1], *lines[i + 2 :]]).encode()


def trailing_delimiters(records: list[list[str]], rng: np.random.Generator) -> bytes:
    lines = _join(records).rstrip("\n").split("\n")
    return ("\n".join([lines[0], *(line + "," for line in lines[1:])]) + "\n").encode()


def stray_byte(records: list[list[str]], rng: np.random.Generator) -> bytes:
    i = _row(rng, records)
    cells = list(records[i])
    cells[HEADER.index("touchpoint")] += "\udce4"  # a lone cp1252 "ä" byte, see below
    data = _join([*records[:i], cells, *records[i + 1 :]])
    return data.encode("utf-8", errors="surrogateescape")


def exponent_score(records: list[list[str]], rng: np.random.Generator) -> bytes:
    i = _row(rng, records)
    cells = list(records[i])
    column = HEADER.index(str(rng.choice(["nps", "ces"])))
    cells[column] = "1e1" if cells[column] else "1e0"
    return _join([*records[:i], cells, *records[i + 1 :]]).encode()


def empty_score_column(records: list[list[str]], rng: np.random.Generator) -> bytes:
    column = HEADER.index(str(rng.choice(SCORES)))
    out = [records[0]]
    for cells in records[1:]:
        out.append([*cells[:column], "", *cells[column + 1 :]])
    return _join(out).encode()


def repeated_name(records: list[list[str]], rng: np.random.Generator) -> bytes:
    names = list(HEADER)
    names[int(rng.integers(1, len(names)))] = names[0]
    return _join([names, *records[1:]]).encode()


def cut_mid_row(records: list[list[str]], rng: np.random.Generator) -> bytes:
    data = _join(records).encode()
    last = data.rstrip(b"\n").rfind(b"\n") + 1
    fields = [last + k for k, b in enumerate(data[last:]) if b == ord(",")]
    # Cut before the last delimiter of the last row: the row has too few fields.
    return data[: int(rng.integers(last + 1, fields[-1] + 1))]


KEEPING: dict[str, Mutation] = {
    "cp1252": lambda records, rng: _join(records).encode("cp1252"),
    "utf-8-bom": lambda records, rng: codecs.BOM_UTF8 + _join(records).encode(),
    "utf-16": lambda records, rng: _join(records).encode("utf-16"),
    "crlf": lambda records, rng: _join(records, "\r\n").encode(),
    "semicolon": lambda records, rng: _join(records, delimiter=";").encode(),
}
BREAKING: dict[str, Mutation] = {
    "drop_field": drop_field,
    "add_field": add_field,
    "merge_rows": merge_rows,
    "trailing_delimiters": trailing_delimiters,
    "stray_byte": stray_byte,
    "exponent_score": exponent_score,
    "empty_score_column": empty_score_column,
    "repeated_name": repeated_name,
    "cut_mid_row": cut_mid_row,
}


def _slice(rng: np.random.Generator) -> list[list[str]]:
    size = int(rng.integers(20, 41))
    start = int(rng.integers(0, len(BODY) - size))
    return [HEADER, *BODY[start : start + size]]


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))


def test_demo_slices_hold_finnish_letters() -> None:
    # stray_byte relies on the file having UTF-8 letters, so a lone cp1252 byte is "mixed".
    assert any("ä" in cell for cells in BODY[:40] for cell in cells)


def test_mutations_are_read_faithfully_or_refused(tmp_path: Path) -> None:
    rng = np.random.default_rng(SEED)
    outcomes: Counter[str] = Counter()
    silent: list[str] = []
    for kind, mutate in [*KEEPING.items(), *BREAKING.items()]:
        for case in range(PER_KIND):
            records = _slice(rng)
            path = tmp_path / f"{kind}-{case}.csv"
            path.write_bytes(mutate(records, rng))
            try:
                loaded = load_responses(path)
            except DataError:
                outcomes[f"{kind}: refused"] += 1
                if kind in KEEPING:
                    silent.append(f"{kind}-{case}: a valid file was refused")
                continue
            outcomes[f"{kind}: read"] += 1
            if kind in BREAKING:
                silent.append(f"{kind}-{case}: loaded {len(loaded)} rows without an error")
                continue
            (tmp_path / "slice.csv").write_text(_join(records), encoding="utf-8")
            try:
                _same(loaded, load_responses(tmp_path / "slice.csv"))
            except AssertionError as error:
                silent.append(f"{kind}-{case}: read differently: {str(error)[:200]}")
    assert not silent, "\n".join(silent[:10])
    assert sum(outcomes.values()) == PER_KIND * (len(KEEPING) + len(BREAKING))


@pytest.mark.parametrize("seed", range(3))
def test_a_cut_inside_the_last_field_is_the_known_undetectable_case(
    tmp_path: Path, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    data = _join(_slice(rng)).encode()
    cut = data.rstrip(b"\n").rfind(b",") + 1  # right after the last delimiter
    path = tmp_path / "cut.csv"
    path.write_bytes(data[:cut])
    assert read_export(path).details["ends_with_newline"] is False
    try:
        loaded = load_responses(path)
    except DataError:
        return  # e.g. a blank last field that the schema does not allow
    (tmp_path / "whole.csv").write_bytes(data)
    truth = load_responses(tmp_path / "whole.csv")
    last = HEADER[-1]
    _same(loaded.drop(columns=[last]), truth.drop(columns=[last]))
    _same(loaded.iloc[:-1], truth.iloc[:-1])
