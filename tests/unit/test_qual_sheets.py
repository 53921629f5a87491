"""Human coding round trip: blind sheets written (Excel and CSV), filled, read back, merged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxresearch.errors import DataError
from cxresearch.qual.codebook import codebook_from_mapping
from cxresearch.qual.coding import code_comments
from cxresearch.qual.normalise import BaseForms
from cxresearch.qual.quality import agreement_by_code
from cxresearch.qual.sheets import (
    CODE_PREFIX,
    adjudicate,
    auto_sheet,
    disagreements,
    read_reference,
    read_sheet,
    sample_for_coding,
    write_reference,
    write_sheets,
)
from cxresearch.stats.reliability import krippendorff_alpha

BOOK = {
    "name": "t",
    "codes": [
        {
            "code": "price",
            "label": {"fi": "Hinta", "en": "Price"},
            "rules": {
                "fi": {"words": ["hinta", "kallis"]},
                "en": {"words": ["price", "expensive"]},
            },
            "children": [
                {"code": "price.fees", "label": {"en": "Fees"}, "rules": {"en": {"words": ["fee"]}}}
            ],
        },
        {
            "code": "service",
            "label": {"fi": "Palvelu", "en": "Service"},
            "rules": {"fi": {"words": ["palvelu"]}, "en": {"words": ["service"]}},
        },
    ],
}
TEXTS = pd.Series(
    {
        f"R{i:03d}": t
        for i, t in enumerate(
            [
                "Liian kallis.",
                "Hyvä palvelu.",
                "Price is fine, service slow.",
                "Nothing to add.",
                "Extra fee again!",
                "Palvelu ja hinta ok.",
                "Meh.",
                "Great service",
            ]
            * 5
        )
    }
)


@pytest.fixture(scope="module")
def book():
    return codebook_from_mapping(BOOK, forms=BaseForms())


def fill(path: Path, marks: dict[str, list[str]], *, none: tuple[str, ...] = ()) -> None:
    """Fill a written sheet as a coder would (in its own format)."""
    frame = (
        pd.read_excel(path, dtype=str, keep_default_na=False)
        if path.suffix == ".xlsx"
        else pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    )
    for i, rid in enumerate(frame["response_id"]):
        for code in marks.get(rid, []):
            frame.loc[i, CODE_PREFIX + code] = "x"
        if rid in none:
            frame.loc[i, "no_code"] = "1"
    if path.suffix == ".xlsx":
        frame.to_excel(path, index=False)
    else:
        frame.to_csv(path, index=False, encoding="utf-8-sig")


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_round_trip_written_filled_and_read_back(book, tmp_path, fmt):
    written = write_sheets(
        TEXTS, book, ["anna", "ville"], tmp_path, sample=12, seed=3, formats=[fmt]
    )
    anna_path, ville_path = written["anna"][0], written["ville"][0]
    assert anna_path.name == f"anna.{fmt}" and anna_path.is_file()
    sample = sample_for_coding(TEXTS.index.tolist(), size=12, seed=3)
    anna_raw = (
        pd.read_excel(anna_path, dtype=str, keep_default_na=False)
        if fmt == "xlsx"
        else pd.read_csv(anna_path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    )
    # blind: the same sample, no codes filled in, each coder in their own order
    assert sorted(anna_raw["response_id"]) == sorted(sample)
    code_columns = [c for c in anna_raw if c.startswith(CODE_PREFIX)]
    assert code_columns == [CODE_PREFIX + c for c in book.names]
    assert (anna_raw[code_columns + ["no_code", "note"]] == "").all().all()
    assert anna_raw["comment"].tolist() == TEXTS[anna_raw["response_id"]].tolist()
    ville_raw = (
        pd.read_excel(ville_path, dtype=str)
        if fmt == "xlsx"
        else pd.read_csv(ville_path, dtype=str, encoding="utf-8-sig")
    )
    assert ville_raw["response_id"].tolist() != anna_raw["response_id"].tolist()

    fill(
        anna_path,
        {sample[0]: ["price"], sample[1]: ["price.fees", "service"]},
        none=tuple(sample[2:10]),
    )
    fill(
        ville_path,
        {sample[0]: ["price"], sample[1]: ["service"], sample[2]: ["service"]},
        none=tuple(sample[3:11]),
    )
    anna = read_sheet(anna_path, book, sample=sample)
    ville = read_sheet(ville_path, book, sample=sample)
    assert anna.coder == "anna" and len(anna.codes) == 10 and len(anna.not_coded) == 2
    assert anna.codes.loc[sample[1], "price"]  # parent of price.fees filled in
    assert anna.codes.loc[sample[0]].tolist() == [True, False, False]
    assert set(anna.not_coded) == set(sample[10:])

    diff = disagreements([anna, ville], book)
    assert set(map(tuple, diff[["response_id", "code"]].to_numpy())) == {
        (sample[1], "price"),
        (sample[1], "price.fees"),
        (sample[2], "service"),
    }
    with pytest.raises(ValueError, match="tie"):
        adjudicate([anna, ville], book)
    final = adjudicate(
        [anna, ville],
        book,
        decisions={
            (sample[1], "price"): True,
            (sample[1], "price.fees"): True,
            (sample[2], "service"): False,
        },
    )
    assert final.loc[sample[1], "price.fees"] and not final.loc[sample[2], "service"]

    agreement = agreement_by_code(
        {"anna": anna.codes, "ville": ville.codes}, codes=["price", "service"], bootstrap=0
    )
    ids = sorted(set(anna.codes.index) | set(ville.codes.index))
    data = np.array(
        [[float(s.codes["service"].get(i, np.nan)) for i in ids] for s in (anna, ville)]
    )
    assert agreement.loc["service", "alpha"] == pytest.approx(
        krippendorff_alpha(data, bootstrap=0).value
    )
    assert agreement.loc["service", "units"] == 10  # ids 0-9 coded by both


def test_auto_coder_is_a_coder(book):
    coding = code_comments(TEXTS, book, forms=BaseForms())
    sample = sample_for_coding(TEXTS.index.tolist(), size=8, seed=1)
    auto = auto_sheet(coding, sample, book)
    assert auto.coder == "auto" and list(auto.codes.index) == sample
    assert auto.codes.loc[sample].equals(coding.codes.loc[sample, book.names])


def write_csv(path: Path, rows: list[dict]) -> Path:
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [{"response_id": "R1", "code:price": "x", "code:nope": ""}],
            r"code column\(s\) \['code:nope'\] are not codes",
        ),
        (
            [{"response_id": "R1", "code:price": "x"}, {"response_id": "", "code:price": ""}],
            r"response_id is blank on row\(s\) \[3\]",
        ),
        (
            [{"response_id": "R1", "code:price": "x"}, {"response_id": "R1", "code:price": ""}],
            r"repeats \['R1'\] on row\(s\) \[2, 3\]",
        ),
        (
            [{"response_id": "R1", "code:price": "maybe"}],
            r"column 'code:price' has unreadable mark\(s\) \['maybe'\] on row\(s\) \[2\]",
        ),
        ([{"response_id": "R1", "code:price": "x", "no_code": "x"}], "both a code and no_code"),
        ([{"code:price": "x"}], "no 'response_id' column"),
    ],
)
def test_bad_sheets_name_file_and_rows(book, tmp_path, rows, message):
    path = write_csv(tmp_path / "coder.csv", rows)
    with pytest.raises(DataError, match=message) as info:
        read_sheet(path, book)
    assert str(path) in str(info.value)


def test_sheet_ids_outside_sample_and_extra_columns(book, tmp_path):
    path = write_csv(
        tmp_path / "c.csv",
        [{"response_id": "R9", "code:price": "1", "my notes": "hm", "no_code": ""}],
    )
    with pytest.raises(DataError, match=r"\['R9'\] on row\(s\) \[2\] were not in the sample"):
        read_sheet(path, book, sample=["R1"])
    sheet = read_sheet(path, book)
    assert sheet.ignored_columns == ("my notes",)
    with pytest.raises(DataError, match="is .xlsx or .csv"):
        read_sheet(tmp_path / "c.txt", book)


def test_reference_round_trip_and_errors(book, tmp_path):
    codes = pd.DataFrame(
        {"price": [True, False], "price.fees": [True, False], "service": [False, False]},
        index=["R1", "R2"],
    )
    sentiment = pd.DataFrame({"id": ["R1"], "code": ["price"], "sentiment": ["negative"]})
    path = write_reference(codes, tmp_path / "ref.csv", sentiment=sentiment)
    back, aspects = read_reference(path, book)
    pd.testing.assert_frame_equal(back, codes[book.names], check_names=False)
    assert aspects.to_dict("records") == [{"id": "R1", "code": "price", "sentiment": "negative"}]
    bad = write_csv(tmp_path / "bad.csv", [{"response_id": "R1", "code": "prize", "sentiment": ""}])
    with pytest.raises(DataError, match=r"\['prize'\] on row\(s\) \[2\]"):
        read_reference(bad, book)
    rep = write_csv(tmp_path / "rep.csv", [{"response_id": "R1", "code": "price"}] * 2)
    with pytest.raises(DataError, match="repeats"):
        read_reference(rep, book)


def test_write_sheets_validates(book, tmp_path):
    with pytest.raises(ValueError, match="distinct"):
        write_sheets(TEXTS, book, ["a", "a"], tmp_path)
    with pytest.raises(ValueError, match="plain names"):
        write_sheets(TEXTS, book, ["../evil"], tmp_path)
    with pytest.raises(ValueError, match=".xlsx or .csv"):
        write_sheets(TEXTS, book, ["a"], tmp_path, formats=["ods"])
