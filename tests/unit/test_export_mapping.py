"""The params data: block: constants, id, mapping, recode, missing, scales, exclude, globs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cxresearch.data import load_responses
from cxresearch.errors import DataError, ParamsError
from cxresearch.params import load_params
from cxresearch.present import get_labels
from cxresearch.session import load_client_data, load_counts, missing_codes

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "exports"
QUALTRICS = {
    "constants": {"client": "acme", "wave": "2026Q3"},
    "id": "ResponseId",
    "mapping": {
        "Q1": "nps",
        "Q2": "csat",
        "Q3_3": "attr_price",
        "Q4": "comment",
        "EndDate": "submitted_at",
    },  # fmt: skip
    "scales": {"attr_price": (1, 5)},
}


def test_qualtrics_export_straight_to_responses() -> None:
    frame = load_responses(FIXTURES / "qualtrics.csv", missing=[-99], **QUALTRICS)  # type: ignore[arg-type]
    assert len(frame) == 72 and frame["response_id"].iloc[0] == "R_0000Ab0000xYz"
    assert set(frame["client"]) == {"acme"} and set(frame["wave"]) == {"2026Q3"}
    assert str(frame["nps"].dtype) == "Int64" and frame["attr_price"].min() >= 1
    # -99 "seen but unanswered" is counted per column, never averaged.
    assert frame.attrs["missing_codes"] == {"attr_price": {"-99": 8}}
    assert frame["attr_price"].isna().sum() == 8
    steps = [(s["step"], s["reason"], s["rows"]) for s in frame.attrs["load_steps"]]
    assert steps == [("file", "qualtrics.csv", 79), ("excluded", "preview", 2),
                     ("excluded", "test", 1), ("excluded", "spam", 1),
                     ("excluded", "unfinished", 3)]  # fmt: skip


def test_negative_codes_without_missing_list_show_the_line_to_add() -> None:
    with pytest.raises(DataError) as info:
        load_responses(FIXTURES / "qualtrics.csv", **QUALTRICS)  # type: ignore[arg-type]
    message = str(info.value)
    assert "column 'attr_price' (from 'Q3_3') holds negative code(s) -99 (8 row(s))" in message
    assert "missing: [-99]" in message and "row 5 (response_id 'R_0004Ab1757xYz')" in message


def test_unknown_mapping_key_lists_the_closest_columns_only() -> None:
    with pytest.raises(DataError) as info:
        load_responses(FIXTURES / "qualtrics.csv", mapping={"Q3-1": "attr_ease"})
    message = str(info.value)
    assert "data.mapping.Q3-1 names column 'Q3-1'" in message
    assert "closest column names: ['Q3_1'" in message and "RecipientEmail" not in message


def test_mapping_keys_match_after_trimming_nbsp_and_bom() -> None:
    frame = load_responses(
        FIXTURES / "qualtrics.csv",
        mapping={"\ufeffQ1\u00a0": "nps", " Q2 ": "csat"},
        constants={"client": "acme", "wave": "w"},
    )
    assert frame["nps"].notna().all() and frame["csat"].notna().all()


def test_generated_ids_are_file_stem_and_row(tmp_path: Path) -> None:
    frame = load_responses(
        FIXTURES / "qualtrics.csv",
        mapping={"Q1": "nps"},
        constants={"client": "acme", "wave": "w"},
    )
    # Row numbers count the file's data rows (excluded rows keep their numbers).
    assert frame["response_id"].iloc[0] == "qualtrics-1"
    again = load_responses(
        FIXTURES / "qualtrics.csv", mapping={"Q1": "nps"}, constants={"client": "acme", "wave": "w"}
    )
    assert frame["response_id"].tolist() == again["response_id"].tolist()


def test_spss_recode_by_value_label_and_user_missing_counts() -> None:
    frame = load_responses(
        FIXTURES / "kysely.sav",
        id="id",
        constants={"client": "kysely"},
        mapping={
            "aalto": "wave",
            "suosittelu": "nps",
            "tyytyv": "csat",
            "asiakas": "customer_type",
        },
        recode={
            "wave": {"2026 kevät": "2026K", "2026 syksy": "2026S"},
            "customer_type": {"Nykyinen asiakas": "current", "Entinen asiakas": "former"},
        },
    )
    assert frame["response_id"].iloc[0] == "242"  # not "242.0"
    assert frame["wave"].value_counts().to_dict() == {"2026S": 50, "2026K": 30}
    assert set(frame["customer_type"]) == {"current", "former"}
    assert frame.attrs["missing_codes"] == {
        "nps": {"user-missing (SPSS)": 2},
        "csat": {"user-missing (SPSS)": 3},
    }
    # The SPSS variable 'weight' (body weight in kg) is not the survey weight unasked.
    assert "weight" not in frame.columns
    assert any("'weight' is not used" in n for n in frame.attrs["ignored_columns"])


def test_weight_is_used_when_mapped(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    path.write_text("response_id,client,wave,nps,weight\nr1,a,w,9,1.5\nr2,a,w,3,0.5\n")
    assert "weight" not in load_responses(path).columns
    assert load_responses(path, mapping={"weight": "weight"})["weight"].tolist() == [1.5, 0.5]


def test_finnish_cp1252_semicolon_decimal_comma_and_text_answers() -> None:
    sat = {"Erittäin tyytymätön": 1, "Melko tyytymätön": 2, "Ei tyytyväinen eikä tyytymätön": 3,
           "Melko tyytyväinen": 4, "Erittäin tyytyväinen": 5}  # fmt: skip
    frame = load_responses(
        FIXTURES / "webropol_fi.csv",
        id="Vastaaja",
        constants={"client": "webropol", "wave": "2026Q3"},
        mapping={
            "Suositteluhalukkuus (0-10)": "nps",
            "Tyytyväisyys palveluun": "csat",
            "Palvelun nopeus (ka.)": "attr_speed",
            "Vastausaika": "submitted_at",
        },  # fmt: skip
        recode={"csat": sat},
        missing=["En osaa sanoa"],
        scales={"attr_speed": (1, 5)},
    )
    assert frame.attrs["encoding"] == "cp1252" and frame.attrs["decimal"] == ","
    assert frame["attr_speed"].iloc[0] % 0.5 == 0 and frame["attr_speed"].max() <= 5
    assert frame.attrs["missing_codes"] == {"csat": {"En osaa sanoa": 4}}
    assert frame["csat"].isna().sum() == 4
    assert str(frame["submitted_at"].iloc[0]) == "2026-08-03 07:45:00"


def test_exclude_rule_is_counted() -> None:
    frame = load_responses(
        FIXTURES / "qualtrics.csv",
        mapping={"Q1": "nps"},
        constants={"client": "acme", "wave": "w"},
        exclude={"Q8": ["No, I used to be"]},
    )
    step = frame.attrs["load_steps"][-1]
    assert step["step"] == "exclude_rule" and step["rows"] == 72 - len(frame) > 0


def test_csat_on_another_scale_needs_a_recode(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("id,q\n1,9\n2,3\n3,10\n")
    options = {"id": "id", "mapping": {"q": "csat"}, "constants": {"client": "a", "wave": "w"}}
    with pytest.raises(
        DataError, match=r"data\.scales\.csat is \['1', '10'\] .* add data\.recode\.csat"
    ):
        load_responses(path, scales={"csat": (1, 10)}, **options)  # type: ignore[arg-type]
    recode = {"csat": {1: 1, 2: 1, 3: 2, 4: 2, 5: 3, 6: 3, 7: 4, 8: 4, 9: 5, 10: 5}}
    frame = load_responses(path, scales={"csat": (1, 10)}, recode=recode, **options)  # type: ignore[arg-type]
    assert frame["csat"].tolist() == [5, 2, 5]


def test_constants_per_file_and_globs(tmp_path: Path) -> None:
    (tmp_path / "params").mkdir()
    (tmp_path / "data").mkdir()
    for wave in ("2026Q2", "2026Q3"):
        shutil.copy(FIXTURES / "surveymonkey.csv", tmp_path / "data" / f"sm_{wave}.csv")
    (tmp_path / "params" / "sm.yaml").write_text(
        "client: sm\ntitle: SM\nlanguage: en\n"
        "data:\n  path: data/sm_*.csv\n"
        "  constants: {client: sm, wave: {sm_2026Q2.csv: 2026Q2, sm_2026Q3: 2026Q3}}\n"
        "  mapping: {Q1: nps, Respondent ID: respondent_id}\n"
        "waves: {current: 2026Q3, previous: [2026Q2]}\n",
        encoding="utf-8",
    )
    params = load_params(tmp_path / "params" / "sm.yaml")
    assert [p.name for p in params.data_paths] == ["sm_2026Q2.csv", "sm_2026Q3.csv"]
    frame = load_client_data(params)
    assert frame["wave"].value_counts().to_dict() == {"2026Q2": 72, "2026Q3": 72}
    assert frame["response_id"].is_unique  # "<stem>-<row>" differs per file
    counts = load_counts(frame, get_labels("en"))
    assert [step["rows"] for step in counts] == [144]
    assert missing_codes(frame).empty


def test_glob_without_match_is_a_params_error(tmp_path: Path) -> None:
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "x.yaml").write_text(
        "client: x\ntitle: X\ndata: {path: data/*.sav}\nwaves: {current: w}\n", encoding="utf-8"
    )
    with pytest.raises(ParamsError, match=r"data\.path: no file matches 'data/\*\.sav'"):
        load_params(tmp_path / "params" / "x.yaml")


def test_a_glob_match_that_leads_outside_the_project_is_refused(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "params").mkdir(parents=True)
    (project / "data").mkdir()
    outside = tmp_path / "secret.csv"
    outside.write_text("response_id,client,wave,nps\nr1,x,w,9\n", encoding="utf-8")
    shutil.copy(FIXTURES / "surveymonkey.csv", project / "data" / "a.csv")
    (project / "data" / "b.csv").symlink_to(outside)
    (project / "params" / "x.yaml").write_text(
        "client: x\ntitle: X\ndata: {path: data/*.csv}\nwaves: {current: w}\n", encoding="utf-8"
    )
    with pytest.raises(ParamsError, match=r"data\.path: .* resolves to a file outside"):
        load_params(project / "params" / "x.yaml")
