"""Loading and validating survey exports: formats, encodings, mapping and bad input."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxresearch.data import load_responses, validate_responses
from cxresearch.data.schema import CUSTOMER_TYPES, JOURNEY_STAGES, SCORE_SCALES
from cxresearch.errors import DataError

HEADER = (
    "response_id,client,wave,customer_type,nps,csat,ces,attr_ease,retained,submitted_at,comment"
)
GOOD = [
    "r-001,acme,2026Q3,current,9,5,6,4,true,2026-08-01 10:00,Hyvä palvelu",
    "r-002,acme,2026Q3,former,3,2,2,2,false,2026-08-02 11:30,Liian kallis",
    "r-003,acme,2026Q3,never,7,4,5,3,,2026-08-03 12:15,",
]


def write(
    tmp_path: Path, lines: list[str], name: str = "export.csv", encoding: str = "utf-8"
) -> Path:
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def with_cell(column: str, value: str, row: int = 1) -> list[str]:
    """GOOD with one cell of data row ``row`` (0-based) replaced."""
    names = HEADER.split(",")
    rows = [line.split(",") for line in GOOD]
    rows[row][names.index(column)] = value
    return [HEADER, *(",".join(r) for r in rows)]


def test_good_file_types_and_values(tmp_path: Path) -> None:
    frame = load_responses(write(tmp_path, [HEADER, *GOOD]))
    assert len(frame) == 3  # nothing dropped
    assert str(frame["nps"].dtype) == "Int64"
    assert str(frame["retained"].dtype) == "boolean"
    assert frame["attr_ease"].dtype == np.float64
    assert pd.api.types.is_datetime64_any_dtype(frame["submitted_at"])
    assert pd.api.types.is_string_dtype(frame["client"])
    assert frame["nps"].tolist() == [9, 3, 7]
    assert frame["retained"].tolist() == [True, False, pd.NA]
    assert frame["submitted_at"].iloc[1] == pd.Timestamp("2026-08-02 11:30")
    assert frame["comment"].tolist()[:2] == ["Hyvä palvelu", "Liian kallis"]
    assert pd.isna(frame["comment"].iloc[2])


def test_attrs_record_source_and_sha256(tmp_path: Path) -> None:
    path = write(tmp_path, [HEADER, *GOOD])
    frame = load_responses(path)
    assert frame.attrs["source"] == str(path)
    assert frame.attrs["source_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_leading_zero_ids_are_kept(tmp_path: Path) -> None:
    lines = [HEADER, *(line.replace("r-00", "00") for line in GOOD)]
    frame = load_responses(write(tmp_path, lines))
    assert frame["response_id"].tolist() == ["001", "002", "003"]


def test_blank_scores_stay_missing(tmp_path: Path) -> None:
    lines = with_cell("nps", "", row=0)
    lines = [lines[0], lines[1], GOOD[1].replace(",2,2,2,", ",NA,,2,"), GOOD[2]]
    frame = load_responses(write(tmp_path, lines))
    assert len(frame) == 3
    assert frame["nps"].isna().tolist() == [True, False, False]
    assert frame["csat"].isna().tolist() == [False, True, False]  # "NA" token = missing
    assert frame["ces"].isna().tolist() == [False, True, False]
    assert str(frame["nps"].dtype) == "Int64"


def test_na_token_is_text_in_a_comment(tmp_path: Path) -> None:
    frame = load_responses(write(tmp_path, with_cell("comment", "NA", row=0)))
    assert frame["comment"].iloc[0] == "NA"


@pytest.mark.parametrize(
    ("column", "value", "fragment"),
    [
        ("nps", "11", "outside the scale 0–10"),
        ("nps", "ten", "is not a number"),
        ("nps", "7.5", "not a whole number"),
        ("csat", "6", "outside the scale 1–5"),
        ("ces", "0", "outside the scale 1–7"),
        ("customer_type", "formr", "is not one of current, former, never"),
        ("customer_type", "", "blank"),
        ("retained", "maybe", "not a yes/no value"),
        ("submitted_at", "31.2.2026", "is not a date"),
        ("attr_ease", "good", "is not a number"),
    ],
)
def test_bad_value_names_file_column_row_id_and_value(
    tmp_path: Path, column: str, value: str, fragment: str
) -> None:
    path = write(tmp_path, with_cell(column, value, row=1), name="kysely_2026.csv")
    with pytest.raises(DataError) as info:
        load_responses(path)
    message = str(info.value)
    assert "kysely_2026.csv" in message
    assert f"column {column!r}" in message
    assert "row 2 (response_id 'r-002')" in message
    assert repr(value) in message or fragment == "blank"
    assert fragment in message


@pytest.mark.parametrize(
    ("column", "value", "fragment"),
    [
        ("journey_stage", "usage2", "is not one of awareness, consideration"),
        ("language", "sv", "is not one of fi, en"),
        ("weight", "0", "is not positive"),
        ("weight", "-1.5", "is not positive"),
        ("weight", "", "every row needs a weight"),
        ("contact_ok", "joo", "not a yes/no value"),
        ("interaction_at", "yesterday", "is not a date"),
        ("clv", "1 200", "is not a number"),
    ],
)
def test_bad_optional_column_value(tmp_path: Path, column: str, value: str, fragment: str) -> None:
    good = {
        "journey_stage": "usage",
        "language": "fi",
        "weight": "1.2",
        "contact_ok": "yes",
        "interaction_at": "2026-08-01",
        "clv": "100",
    }[column]
    lines = [f"{HEADER},{column}", *(f"{line},{good}" for line in GOOD)]
    lines[2] = lines[2].rsplit(",", 1)[0] + f",{value}"
    # A weight column is the survey weight only when the params map it (see test_exports).
    mapping = {"weight": "weight"} if column == "weight" else None
    with pytest.raises(DataError) as info:
        load_responses(write(tmp_path, lines), mapping=mapping)
    message = str(info.value)
    assert "export.csv" in message
    assert f"column {column!r}" in message
    assert "row 2 (response_id 'r-002')" in message
    assert fragment in message


def test_duplicate_response_id(tmp_path: Path) -> None:
    lines = [HEADER, *GOOD, GOOD[1].replace("r-002", "r-004"), GOOD[0]]
    with pytest.raises(DataError) as info:
        load_responses(write(tmp_path, lines))
    message = str(info.value)
    assert "column 'response_id'" in message
    assert "row 5 (response_id 'r-001'): duplicate of row 1" in message


def test_blank_response_id(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"row 3: blank; every response needs one"):
        load_responses(write(tmp_path, with_cell("response_id", "", row=2)))


def test_missing_required_column_lists_columns_found(tmp_path: Path) -> None:
    lines = [",".join(c for c in line.split(",") if c != "2026Q3") for line in [HEADER, *GOOD]]
    lines[0] = lines[0].replace(",wave", "")
    with pytest.raises(DataError) as info:
        load_responses(write(tmp_path, lines, name="no_wave.csv"))
    message = str(info.value)
    assert "no_wave.csv" in message
    assert "missing required column(s) ['wave']" in message
    assert "columns found: ['response_id', 'client', 'customer_type'" in message


def test_no_score_column_loads(tmp_path: Path) -> None:
    # A comment-only export loads; an analysis that needs a score says so at validate
    # (tests/unit/test_consistency.py).
    lines = ["response_id,client,wave,comment", "r1,acme,2026Q3,Hyvä palvelu"]
    frame = load_responses(write(tmp_path, lines))
    assert frame["comment"].tolist() == ["Hyvä palvelu"]


def test_all_problems_of_all_columns_in_one_error(tmp_path: Path) -> None:
    lines = [HEADER, *GOOD]
    lines[1] = lines[1].replace(",9,5,6,", ",11,9,6,")
    lines[3] = lines[3].replace(",7,4,5,", ",ten,4,5,")
    with pytest.raises(DataError) as info:
        load_responses(write(tmp_path, lines))
    message = str(info.value)
    assert "invalid responses in 2 column(s)" in message
    assert "column 'nps': 2 problem(s)" in message
    assert "row 1 (response_id 'r-001'): '11'" in message
    assert "row 3 (response_id 'r-003'): 'ten'" in message
    assert "column 'csat': 1 problem(s)" in message


def test_only_first_five_rows_listed(tmp_path: Path) -> None:
    lines = [HEADER] + [f"id{i},acme,2026Q3,current,12,5,6,4,true,2026-08-01,x" for i in range(8)]
    with pytest.raises(DataError) as info:
        load_responses(write(tmp_path, lines))
    message = str(info.value)
    assert "8 problem(s)" in message
    assert "'id4'" in message and "'id5'" not in message
    assert "... and 3 more" in message


def test_scales_check_attribute_range(tmp_path: Path) -> None:
    path = write(tmp_path, with_cell("attr_ease", "7", row=2))
    assert load_responses(path)["attr_ease"].iloc[2] == 7.0  # no declared scale: accepted
    with pytest.raises(
        DataError, match=r"row 3 \(response_id 'r-003'\): '7' is outside the scale 1–5"
    ):
        load_responses(path, scales={"attr_ease": (1, 5)})
    with pytest.raises(DataError, match=r"scales names column 'attr_speed'"):
        load_responses(path, scales={"attr_speed": (1, 5)})
    with pytest.raises(ValueError, match=r"low < high"):
        load_responses(path, scales={"attr_ease": (5, 1)})


def test_customer_type_defaults_to_current_only_when_column_absent(tmp_path: Path) -> None:
    lines = [
        ",".join(c for i, c in enumerate(line.split(",")) if i != 3) for line in [HEADER, *GOOD]
    ]
    frame = load_responses(write(tmp_path, lines))
    assert frame["customer_type"].tolist() == ["current"] * 3
    assert frame.attrs["defaults_filled"] == {"customer_type": "current"}


def test_categories_are_case_insensitive_and_bools_accept_finnish(tmp_path: Path) -> None:
    lines = [f"{HEADER},language,contact_ok", *(f"{line},FI,Kyllä" for line in GOOD)]
    lines[1] = lines[1].replace(",current,", ",Current,").replace(",true,", ",YES,")
    lines[2] = lines[2].replace(",false,", ",ei,").rsplit(",", 1)[0] + ",0"
    frame = load_responses(write(tmp_path, lines))
    assert frame["customer_type"].iloc[0] == "current"
    assert frame["language"].tolist() == ["fi"] * 3
    assert frame["retained"].tolist()[:2] == [True, False]
    assert frame["contact_ok"].tolist() == [True, False, True]


def test_finnish_day_first_dates(tmp_path: Path) -> None:
    frame = load_responses(write(tmp_path, with_cell("submitted_at", "2.8.2026 11:30", row=1)))
    assert frame["submitted_at"].iloc[1] == pd.Timestamp("2026-08-02 11:30")


def test_utf8_bom(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + ("\n".join([HEADER, *GOOD]) + "\n").encode("utf-8"))
    frame = load_responses(path)
    assert frame.columns[0] == "response_id"
    assert frame.attrs["encoding"] == "utf-8-sig"
    assert frame["comment"].iloc[0] == "Hyvä palvelu"


def test_cp1252(tmp_path: Path) -> None:
    lines = with_cell("comment", "Hinta ja laatu eivät kohtaa; öisin hidas", row=0)
    path = write(tmp_path, lines, encoding="cp1252")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # the fixture really is not UTF-8
    frame = load_responses(path)
    assert frame.attrs["encoding"] == "cp1252"
    assert frame["comment"].iloc[0] == "Hinta ja laatu eivät kohtaa; öisin hidas"


def test_semicolon_and_decimal_comma(tmp_path: Path) -> None:
    lines = [
        "response_id;client;wave;nps;attr_ease;clv;comment",
        "r1;acme;2026Q3;9;3,5;1234,50;Hinta 3,5 euroa, ok",
        "r2;acme;2026Q3;6;4;99;",
    ]
    frame = load_responses(write(tmp_path, lines, name="fi_export.csv"))
    assert frame.attrs["delimiter"] == ";"
    assert frame["attr_ease"].tolist() == [3.5, 4.0]
    assert frame["clv"].tolist() == [1234.5, 99.0]
    assert frame["comment"].iloc[0] == "Hinta 3,5 euroa, ok"  # text is never converted
    assert frame["nps"].tolist() == [9, 6]


def test_decimal_comma_in_comma_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"'3,5' is not a number \(a decimal comma"):
        load_responses(write(tmp_path, with_cell("attr_ease", '"3,5"', row=0)))


def test_mapping_renames_source_columns(tmp_path: Path) -> None:
    lines = [HEADER.replace("nps", "Suositteluhalukkuus").replace("response_id", "Vastaus"), *GOOD]
    path = write(tmp_path, lines)
    frame = load_responses(path, mapping={"Suositteluhalukkuus": "nps", "Vastaus": "response_id"})
    assert frame["nps"].tolist() == [9, 3, 7]
    assert frame["response_id"].iloc[0] == "r-001"


def test_unknown_mapping_key(tmp_path: Path) -> None:
    path = write(tmp_path, [HEADER, *GOOD], name="kysely.csv")
    with pytest.raises(DataError) as info:
        load_responses(path, mapping={"Suosittelu": "nps"})
    message = str(info.value)
    assert "kysely.csv" in message and "'Suosittelu'" in message
    assert "closest column names: ['submitted_at']" in message  # not every column


def test_mapping_onto_existing_column(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"already has a column 'nps'"):
        load_responses(write(tmp_path, [HEADER, *GOOD]), mapping={"csat": "nps"})


def test_missing_file_unknown_extension_and_unreadable(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"nope\.csv: file not found"):
        load_responses(tmp_path / "nope.csv")
    (tmp_path / "data.json").write_text("{}")
    with pytest.raises(DataError, match=r"data\.json: unsupported file type '\.json'"):
        load_responses(tmp_path / "data.json")
    (tmp_path / "fake.xlsx").write_text("not a workbook")
    with pytest.raises(DataError, match=r"fake\.xlsx: cannot read as an Excel workbook"):
        load_responses(tmp_path / "fake.xlsx")
    (tmp_path / "fake.parquet").write_text("not parquet")
    with pytest.raises(DataError, match=r"fake\.parquet: cannot read as Parquet"):
        load_responses(tmp_path / "fake.parquet")
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(DataError, match=r"empty\.csv: the file is empty"):
        load_responses(tmp_path / "empty.csv")
    (tmp_path / "binary.csv").write_bytes(b"response_id\x81\x8d\n")
    with pytest.raises(
        DataError, match=r"binary\.csv: the file is not valid UTF-8 or Windows-1252"
    ):
        load_responses(tmp_path / "binary.csv")
    (tmp_path / "folder.csv").mkdir()
    with pytest.raises(DataError, match=r"folder\.csv: cannot read the file"):
        load_responses(tmp_path / "folder.csv")
    (tmp_path / "old.xls").write_bytes(b"")
    with pytest.raises(DataError, match=r"old\.xls: legacy \.xls"):
        load_responses(tmp_path / "old.xls")


def test_xlsx_round_trip(tmp_path: Path) -> None:
    csv_frame = load_responses(write(tmp_path, [HEADER, *GOOD]))
    raw = pd.read_csv(tmp_path / "export.csv", dtype=str, keep_default_na=False)
    raw["nps"] = raw["nps"].astype(int)  # numbers as Excel stores them
    raw["submitted_at"] = pd.to_datetime(raw["submitted_at"])
    path = tmp_path / "export.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        pd.DataFrame({"note": ["cover sheet"]}).to_excel(writer, sheet_name="Info", index=False)
        raw.to_excel(writer, sheet_name="Vastaukset", index=False)
    frame = load_responses(path, sheet="Vastaukset")
    pd.testing.assert_frame_equal(frame, csv_frame, check_dtype=True, check_index_type=False)
    assert load_responses(path, sheet=1)["nps"].tolist() == [9, 3, 7]
    with pytest.raises(
        DataError, match=r"no sheet 'Answers'; sheets found: \['Info', 'Vastaukset'\]"
    ):
        load_responses(path, sheet="Answers")
    with pytest.raises(DataError, match=r"missing required column"):
        load_responses(path)  # first sheet is the cover sheet


def test_parquet_round_trip_and_typed_columns(tmp_path: Path) -> None:
    csv_frame = load_responses(write(tmp_path, [HEADER, *GOOD]))
    path = tmp_path / "export.parquet"
    csv_frame.to_parquet(path)
    pd.testing.assert_frame_equal(load_responses(path), csv_frame, check_index_type=False)
    typed = pd.DataFrame(
        {
            "response_id": ["a", "b"],
            "client": ["acme", "acme"],
            "wave": ["w1", "w1"],
            "nps": [10.0, np.nan],
            "retained": [True, False],
        }
    )
    typed.to_parquet(path)
    frame = load_responses(path)
    assert frame["nps"].tolist() == [10, pd.NA]
    assert frame["retained"].tolist() == [True, False]
    typed["nps"] = [10.5, 3.0]
    typed.to_parquet(path)
    with pytest.raises(DataError, match=r"row 1 \(response_id 'a'\): 10.5 is not a whole number"):
        load_responses(path)


def test_validate_in_memory_frame_keeps_index_and_does_not_mutate() -> None:
    raw = pd.DataFrame(
        {"response_id": ["x", "y"], "client": ["c", "c"], "wave": ["w", "w"], "nps": ["5", "6"]},
        index=[10, 20],
    )
    before = raw.copy()
    frame = validate_responses(raw)
    pd.testing.assert_frame_equal(raw, before)
    assert frame.index.tolist() == [10, 20]
    assert frame["nps"].tolist() == [5, 6]
    stacked = validate_responses(pd.concat([raw, raw.assign(response_id=["z", "w"])]))
    assert stacked.index.tolist() == [10, 20, 10, 20]  # repeated labels are fine
    assert stacked["response_id"].tolist() == ["x", "y", "z", "w"]
    with pytest.raises(DataError, match=r"<frame>: duplicate column name"):
        validate_responses(pd.DataFrame([[1, 2]], columns=["nps", "nps"]))
    with pytest.raises(TypeError, match=r"frame must be a pandas DataFrame"):
        validate_responses([1, 2])  # type: ignore[arg-type]


def test_exported_constants() -> None:
    assert SCORE_SCALES == {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
    assert CUSTOMER_TYPES == ("current", "former", "never")
    assert JOURNEY_STAGES == ("awareness", "consideration", "purchase", "usage", "renewal")
