"""Whole-column cell parsing (``cxresearch.data.cells``) against Python's per-cell rules."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxresearch.data import validate_responses
from cxresearch.data.cells import PLAIN_NUMBER, number_text, plain_numbers, stripped
from cxresearch.data.prepare import matches
from cxresearch.errors import DataError

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(finite, st.integers(-(10**12), 10**12).map(float)), max_size=30))
def test_number_text_writes_each_value_as_python_does(values: list[float]) -> None:
    series = pd.Series(values + [np.nan], dtype="float64")
    whole = all(v % 1 == 0 for v in values)
    # Python writes -0.0 as "-0"; as an id or an answer it is 0 (documented in number_text).
    expected = [f"{v + 0.0:.0f}" if whole else repr(v) for v in values]
    assert number_text(series).tolist()[:-1] == expected
    assert pd.isna(number_text(series).iloc[-1])
    g = [format(v, "g") if v != 0 else "0" for v in values]  # -0.0 is written "0"
    assert number_text(series, style="g").tolist()[:-1] == g


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.from_regex(r"[+-]?\d{1,6}(\.\d{0,4})?", fullmatch=True),
            st.sampled_from(["", " 7 ", "1e1", "inf", "nan", "7,5", ".5", "5.", "٣", "x"]),
        ),
        max_size=30,
    )
)
def test_plain_numbers_parse_only_plain_ascii_decimals(cells: list[str]) -> None:
    text = stripped(pd.Series(cells, dtype="str"))
    values, parsed = plain_numbers(text)
    for cell, value, ok in zip(text.tolist(), values.tolist(), parsed.tolist(), strict=True):
        plain = re.fullmatch(PLAIN_NUMBER, cell, flags=re.ASCII) is not None
        assert ok == plain, cell
        assert (value == float(cell)) if plain else math.isnan(value), cell


def test_stripped_returns_the_column_itself_when_nothing_is_stripped() -> None:
    clean = pd.Series(["a", "b c", None], dtype="str")
    assert stripped(clean) is clean
    assert stripped(pd.Series([" a", "b\t", None], dtype="str")).tolist()[:2] == ["a", "b"]


def test_digits_of_another_script_are_reported_not_blanked() -> None:
    # RE2 and Python's re disagree on what \d is; a score must never become a silent blank.
    frame = pd.DataFrame({"response_id": ["r1", "r2"], "client": "c", "wave": "w"})
    frame["nps"] = pd.Series(["7", "٣"], dtype="str")
    with pytest.raises(DataError, match=r"row 2 \(response_id 'r2'\): '٣' is not a number"):
        validate_responses(frame)


def test_parquet_yes_no_objects_become_booleans() -> None:
    frame = pd.DataFrame({"response_id": ["r1", "r2", "r3"], "client": "c", "wave": "w"})
    frame["retained"] = pd.Series([True, None, False], dtype=object)
    out = validate_responses(frame)
    assert out["retained"].dtype == "boolean"
    assert out["retained"].tolist() == [True, pd.NA, False]


def test_a_column_wrong_in_every_row_lists_five_rows_and_counts_the_rest() -> None:
    n = 100_000
    frame = pd.DataFrame({"response_id": [f"r{i}" for i in range(n)], "client": "c", "wave": "w"})
    frame["nps"] = pd.Series(["11"] * n, dtype="str")
    frame["journey_stage"] = pd.Series(["x"] * n, dtype="str")
    with pytest.raises(DataError) as caught:
        validate_responses(frame)
    text = str(caught.value)
    assert "column 'nps': 100000 problem(s)" in text
    assert "row 5 (response_id 'r4'): '11' is outside the scale 0–10" in text
    assert "row 6 " not in text and "... and 99995 more" in text
    assert "column 'journey_stage': 100000 problem(s)" in text


def test_matches_compares_numbers_by_value_in_numeric_columns() -> None:
    hits = matches(pd.Series([-99.0, 3.0, np.nan, -1.0]), [-99, -1])
    assert hits.tolist() == [True, False, False, True]
