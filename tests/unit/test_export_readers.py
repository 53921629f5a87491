"""read_export on each tool's layout (fixtures in tests/fixtures/exports, see its README)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cxresearch.data.readers import read_export
from cxresearch.data.readers.qualtrics import import_id
from cxresearch.errors import DataError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "exports"


def test_qualtrics_three_header_rows_and_status() -> None:
    export = read_export(FIXTURES / "qualtrics.csv")
    assert export.format == "qualtrics"
    assert export.details["header_rows"] == 3
    # 79 data rows: 2 previews, 1 test, 1 spam, 3 unfinished counted, never silently dropped.
    assert export.excluded == {"preview": 2, "test": 1, "spam": 1, "unfinished": 3}
    assert export.rows_in_file == 79 and len(export.data) == 72
    assert set(export.data["Status"]) == {"IP Address"}
    assert export.labels["Q1"].startswith("How likely are you to recommend")
    # _TEXT and side-by-side columns keep the tool's ids; a comment keeps its line break.
    assert {"Q5_4_TEXT", "Q6#1_1", "Q6#2_1"} <= set(export.data.columns)
    assert export.data["Q4"].str.contains("\n").any()
    # Index = the row's position among the file's data rows (stable generated ids).
    assert export.data.index[0] == 0 and export.data.index[-1] == 71  # 72nd data row


def test_qualtrics_repeated_tags_told_apart_by_import_id() -> None:
    export = read_export(FIXTURES / "qualtrics.csv")
    assert "Q7 [QID7]" in export.data.columns and "Q7 [QID17]" in export.data.columns
    assert not any(c.endswith(".1") for c in export.data.columns)  # no pandas renaming
    assert export.labels["Q7 [QID17]"].startswith("How easy was it to find")


def test_qualtrics_repeated_tags_without_distinct_ids_are_refused(tmp_path: Path) -> None:
    text = (FIXTURES / "qualtrics.csv").read_text(encoding="utf-8")
    path = tmp_path / "dup.csv"
    path.write_text(text.replace('{""ImportId"":""QID17""}', '{""ImportId"":""QID7""}'))
    with pytest.raises(
        DataError, match=r"repeated column name\(s\): 'Q7 \[QID7\]' in columns 28, 29"
    ):
        read_export(path)


def test_qualtrics_keep_switch() -> None:
    export = read_export(FIXTURES / "qualtrics.csv", keep=["unfinished"])
    assert "unfinished" not in export.excluded and len(export.data) == 75


def test_import_id_json_and_old_dict_style() -> None:
    assert import_id('{"ImportId":"QID5_TEXT"}') == "QID5_TEXT"
    assert import_id("{'ImportId': 'QID7'}") == "QID7"
    assert import_id('{"ImportId":"startDate","timeZone":"Europe/Helsinki"}') == "startDate"
    assert import_id("Q5") is None and import_id("{not json}") is None


def test_qualtrics_old_dict_style_third_row(tmp_path: Path) -> None:
    lines = [
        "StartDate,ResponseId,Status,Finished,Q1",
        "Start Date,Response ID,Response Type,Finished,Kuinka todennäköisesti suosittelisit?",
        "\"{'ImportId': 'startDate'}\",\"{'ImportId': '_recordId'}\",\"{'ImportId': 'status'}\","
        "\"{'ImportId': 'finished'}\",\"{'ImportId': 'QID1'}\"",
        "2026-01-01 10:00:00,R_1,0,1,9",
        "2026-01-01 11:00:00,R_2,1,1,3",
    ]
    path = tmp_path / "old.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    export = read_export(path)
    assert export.format == "qualtrics"
    assert export.data["ResponseId"].tolist() == ["R_1"]  # numeric status 1 = preview
    assert export.excluded == {"preview": 1}


def test_qualtrics_legacy_v1_v10_bom_trailing_column() -> None:
    export = read_export(FIXTURES / "qualtrics_legacy.csv")
    assert export.format == "qualtrics-legacy"
    assert export.details["encoding"] == "utf-8-sig"
    assert list(export.data.columns[:3]) == ["V1", "V2", "V3"]  # BOM not in the first name
    assert "" not in export.data.columns  # trailing empty column dropped, and said so
    assert any("no name and no values" in n for n in export.details["notes"])
    assert export.labels["V1"] == "ResponseID" and export.labels["V7"] == "Status"
    assert export.excluded == {"preview": 2, "unfinished": 1}


def test_surveymonkey_two_header_rows() -> None:
    export = read_export(FIXTURES / "surveymonkey.csv")
    assert export.format == "surveymonkey"
    assert export.groups == {
        "Q3": ["Q3_1", "Q3_2", "Q3_3"],
        "Q4": ["Q4_1", "Q4_2", "Q4_3", "Q4_4"],
    }
    assert export.labels["Q3_2"] == "Please rate the following: — Speed"
    assert export.labels["Q4_4"] == "How did you contact us? — Other (please specify)"
    assert export.labels["Q5"] == "What could we do better?"  # "Open-Ended Response" dropped
    # US 12-hour dates become ISO; labelled end points become numbers with value labels.
    assert export.data["Start Date"].iloc[0] == "2026-01-17 00:30:48"
    assert export.value_labels["Q2"] == {5: "Very satisfied", 1: "Very dissatisfied"}
    assert set(export.data["Q2"]) <= {"1", "2", "3", "4", "5"}


def test_surveymonkey_xlsx_reads_as_the_csv() -> None:
    a = read_export(FIXTURES / "surveymonkey.csv")
    b = read_export(FIXTURES / "surveymonkey.xlsx")
    assert b.format == "surveymonkey" and b.details["sheet"] == "Sheet"
    pd.testing.assert_frame_equal(a.data, b.data)


def test_surveymonkey_bad_date_is_named(tmp_path: Path) -> None:
    text = (FIXTURES / "surveymonkey.csv").read_text(encoding="utf-8")
    path = tmp_path / "sm.csv"
    path.write_text(text.replace("01/17/2026 12:30:48 AM", "17.1.2026 0.30", 1), encoding="utf-8")
    with pytest.raises(DataError, match=r"column 'Start Date': 1 value\(s\) are not US date-times"):
        read_export(path)


def test_google_forms_grid_and_timestamps() -> None:
    export = read_export(FIXTURES / "google_forms.csv")
    assert export.format == "google-forms"
    grid = ["Rate our services [Opening hours]", "Rate our services [Staff]",
            "Rate our services [E-books]"]  # fmt: skip
    assert export.groups == {"Rate our services": grid}
    assert export.labels[grid[1]] == "Rate our services"
    assert export.data["Timestamp"].iloc[0] == "2026-03-02 09:05:07"
    assert export.details["ends_with_newline"] is False  # as Google Sheets writes it


def test_google_forms_finnish_timestamps(tmp_path: Path) -> None:
    path = tmp_path / "lomake.csv"
    path.write_text("Aikaleima,Suosittelisitko?\n17.1.2026 12.30.48,9\n2.2.2026 8.05.00,7\n")
    export = read_export(path)
    assert export.format == "google-forms"
    assert export.data["Aikaleima"].tolist() == ["2026-01-17 12:30:48", "2026-02-02 08:05:00"]


@pytest.mark.parametrize("name", ["kysely.sav", "kysely.zsav"])
def test_spss_labels_value_labels_and_user_missing(name: str) -> None:
    export = read_export(FIXTURES / name)
    assert export.format == "spss" and len(export.data) == 80
    assert export.labels["suosittelu"].startswith("Kuinka todennäköisesti")
    assert export.value_labels["tyytyv"][5.0] == "Erittäin tyytyväinen"
    assert export.value_labels["aalto"] == {1.0: "2026 kevät", 2.0: "2026 syksy"}
    # -9 (value) and 97–99 (range) are user-missing: set to missing and counted per column.
    assert export.missing == {"suosittelu": 2, "tyytyv": 3}
    assert export.data["suosittelu"].isna().sum() == 2
    assert not export.data["tyytyv"].eq(-9).any()


def test_spss_portable_file() -> None:
    export = read_export(FIXTURES / "kysely.por")
    assert export.format == "spss" and len(export.data) == 80
    assert "SUOSIT" in export.data.columns  # portable files store names in capitals


def test_spss_unreadable_file_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.sav"
    path.write_bytes((FIXTURES / "kysely.sav").read_bytes()[:700])
    with pytest.raises(DataError, match=r"broken\.sav: pyreadstat cannot read this SPSS file"):
        read_export(path)


def test_excel_sheet_and_header_rows() -> None:
    export = read_export(FIXTURES / "questback.xlsx", sheet="Vastaukset", header_rows=2)
    assert export.format == "excel" and len(export.data) == 72
    assert export.labels["q1"] == "Kuinka todennäköisesti suosittelisit meitä?"
    with pytest.raises(
        DataError, match=r"no sheet 'Answers'; sheets found: \['Tiedot', 'Vastaukset'\]"
    ):
        read_export(FIXTURES / "questback.xlsx", sheet="Answers")


def test_duplicate_column_names_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("id,nps,nps\n1,9,8\n")
    with pytest.raises(DataError, match=r"repeated column name\(s\): 'nps' in columns 2, 3"):
        read_export(path)


def test_format_mismatch_is_named() -> None:
    with pytest.raises(DataError, match=r"data\.format is 'surveymonkey' but the file looks like"):
        read_export(FIXTURES / "qualtrics.csv", format="surveymonkey")


def test_blank_rows_are_counted(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_text("id,nps\n1,9\n,\n\n2,7\n")
    export = read_export(path)
    assert export.data["id"].tolist() == ["1", "2"]
    assert export.excluded == {"blank": 2}


def test_spss_multiple_response_sets_become_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    # pyreadstat reads MRSETS from files SPSS wrote but cannot write them, so the metadata
    # of a real file is stood in for: the reader must keep the set's variables together.
    import pyreadstat

    frame, meta = pyreadstat.read_sav(FIXTURES / "kysely.sav", user_missing=True)
    meta.mr_sets = {
        "$kanavat": {"type": "D", "is_dichotomy": True, "counted_value": 1,
                     "label": "Kanavat", "variable_list": ["helppous", "nopeus"]},
    }  # fmt: skip
    monkeypatch.setattr(pyreadstat, "read_sav", lambda *a, **k: (frame.copy(), meta))
    export = read_export(FIXTURES / "kysely.sav")
    assert export.groups == {"$kanavat": ["helppous", "nopeus"]}


def test_params_formats_are_the_readers_formats() -> None:
    # params.ExportFormat is a Literal (for pydantic's messages); it must list FORMATS.
    from typing import get_args

    from cxresearch.data.readers import FORMATS
    from cxresearch.params import ExportFormat

    assert get_args(ExportFormat) == ("auto", *FORMATS)


def test_unknown_qualtrics_status_is_refused(tmp_path: Path) -> None:
    text = (FIXTURES / "qualtrics.csv").read_text(encoding="utf-8")
    path = tmp_path / "q.csv"
    path.write_text(text.replace(",Survey Test,", ",Mystery,", 1), encoding="utf-8")
    with pytest.raises(
        DataError, match=r"column 'Status' \(response type\) has value\(s\) 'mystery'"
    ):
        read_export(path)
