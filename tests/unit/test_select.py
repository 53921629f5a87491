"""Row selection for params filters, with the typo guard."""

from __future__ import annotations

import pandas as pd
import pytest

from cxresearch.data import select_rows, validate_responses
from cxresearch.errors import DataError


@pytest.fixture
def frame() -> pd.DataFrame:
    raw = pd.DataFrame(
        {
            "response_id": [f"r{i}" for i in range(6)],
            "client": ["acme", "acme", "acme", "globex", "globex", "initech"],
            "wave": ["2026Q2", "2026Q3", "2026Q3", "2026Q2", "2026Q3", "2026Q3"],
            "size": ["small", "enterprise", "small", "enterprise", "", "small"],
            "nps": ["10", "9", "3", "7", "", "8"],
            "contact_ok": ["yes", "no", "yes", "", "no", "yes"],
        }
    )
    out = validate_responses(raw)
    out.attrs["source"] = "demo.csv"
    return out


def test_scalar_value(frame: pd.DataFrame) -> None:
    out = select_rows(frame, {"client": "acme"})
    assert out["response_id"].tolist() == ["r0", "r1", "r2"]
    assert out.index.tolist() == [0, 1, 2]


def test_list_value_and_several_columns(frame: pd.DataFrame) -> None:
    out = select_rows(frame, {"client": ["acme", "globex"], "wave": "2026Q3"})
    assert out["response_id"].tolist() == ["r1", "r2", "r4"]


def test_typed_columns_and_missing_values_never_match(frame: pd.DataFrame) -> None:
    assert select_rows(frame, {"nps": [9, 10]})["response_id"].tolist() == ["r0", "r1"]
    assert select_rows(frame, {"contact_ok": True})["response_id"].tolist() == ["r0", "r2", "r5"]
    assert select_rows(frame, {"size": "small"})["response_id"].tolist() == ["r0", "r2", "r5"]


def test_empty_where_keeps_everything(frame: pd.DataFrame) -> None:
    out = select_rows(frame, {})
    pd.testing.assert_frame_equal(out, frame)


def test_counts_recorded_and_input_untouched(frame: pd.DataFrame) -> None:
    before = frame.copy()
    out = select_rows(select_rows(frame, {"client": "acme"}), {"size": "small"})
    pd.testing.assert_frame_equal(frame, before)
    assert out.attrs["source"] == "demo.csv"
    assert out.attrs["selections"] == [
        {"where": {"client": "acme"}, "n_before": 6, "n_after": 3},
        {"where": {"size": "small"}, "n_before": 3, "n_after": 2},
    ]
    assert "selections" not in frame.attrs


def test_unknown_column_lists_available(frame: pd.DataFrame) -> None:
    with pytest.raises(DataError) as info:
        select_rows(frame, {"clinet": "acme"}, source="params/acme.yaml: data.filter")
    message = str(info.value)
    assert message.startswith("params/acme.yaml: data.filter: unknown column 'clinet'")
    assert "available columns: response_id, client, wave, size" in message


def test_value_that_never_occurs_lists_values(frame: pd.DataFrame) -> None:
    with pytest.raises(DataError) as info:
        select_rows(frame, {"client": "acem"})
    message = str(info.value)
    assert "filter: column 'client' has no rows with value 'acem'" in message
    assert "values that occur: 'acme', 'globex', 'initech'" in message


def test_one_typo_in_a_list_is_an_error(frame: pd.DataFrame) -> None:
    with pytest.raises(DataError, match=r"column 'wave' has no rows with value '2026Q4'"):
        select_rows(frame, {"wave": ["2026Q3", "2026Q4"]})
    with pytest.raises(DataError, match=r"no rows with value \['x', 'y'\]"):
        select_rows(frame, {"wave": ["x", "y"]})


def test_wrong_type_value_is_reported(frame: pd.DataFrame) -> None:
    # YAML may read `wave: 2026` as an int; the message shows what does occur.
    with pytest.raises(DataError, match=r"no rows with value 2026; values that occur: '2026Q2'"):
        select_rows(frame, {"wave": 2026})


def test_empty_list_missing_value_and_no_common_rows(frame: pd.DataFrame) -> None:
    with pytest.raises(DataError, match=r"list of values for column 'client' is empty"):
        select_rows(frame, {"client": []})
    with pytest.raises(DataError, match=r"a missing value cannot be selected"):
        select_rows(frame, {"size": None})
    with pytest.raises(DataError, match=r"no row matches all of"):
        select_rows(frame, {"client": "initech", "wave": "2026Q2"})


def test_argument_types(frame: pd.DataFrame) -> None:
    with pytest.raises(TypeError, match=r"where must map column names"):
        select_rows(frame, [("client", "acme")])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"frame must be a pandas DataFrame"):
        select_rows({"client": ["acme"]}, {"client": "acme"})  # type: ignore[arg-type]


def test_many_values_are_truncated_in_message() -> None:
    raw = pd.DataFrame(
        {
            "response_id": [f"r{i:02d}" for i in range(30)],
            "client": [f"c{i:02d}" for i in range(30)],
            "wave": "w",
            "nps": "5",
        }
    )
    with pytest.raises(DataError, match=r"'c19', \.\.\. \(10 more\)"):
        select_rows(validate_responses(raw), {"client": "zzz"})
