"""Banner tables: letters agree with the adjusted pairs, bases, thresholds, Excel export."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

import cxresearch as cx
from cxresearch.errors import DataError
from cxresearch.present import banner_tables, banner_workbook, get_labels
from cxresearch.stats.crosstab import banner, column_letters


def _frame(seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 900
    group = rng.choice(["north", "south", "east", "west"], n, p=[0.4, 0.35, 0.2, 0.05])
    size = rng.choice(["small", "large"], n)
    shift = pd.Series(group).map({"north": 2.0, "south": 0.0, "east": -0.5, "west": 0.0})
    nps = np.clip(np.rint(7 + shift.to_numpy() + rng.normal(0, 2, n)), 0, 10)
    csat = np.clip(np.rint(3.5 + 0.4 * shift.to_numpy() + rng.normal(0, 1, n)), 1, 5)
    ces = rng.integers(1, 8, n).astype(float)
    return pd.DataFrame({"region": group, "size": size, "nps": nps, "csat": csat, "ces": ces})


def test_letters_mark_exactly_the_significant_pairs_on_the_higher_side() -> None:
    b = banner(_frame(), columns=["region", "size"], answers=["csat"])
    assert column_letters(3) == ["A", "B", "C"] and column_letters(28)[-2:] == ["AA", "AB"]
    assert b.pairs["significant"].any() and not b.pairs["significant"].all()
    # every significant pair's interval (at the adjusted level) excludes 0, others do not
    excludes = (b.pairs["ci_low"] > 0) | (b.pairs["ci_high"] < 0)
    assert (excludes == b.pairs["significant"]).all()
    assert (b.pairs["strict"] <= b.pairs["significant"]).all()
    cells = b.cells.set_index(["row", "span", "column"])
    for pair in b.pairs.to_dict("records"):
        high, low = ("a", "b") if pair["difference"] > 0 else ("b", "a")
        letters = cells.loc[(pair["row"], pair["span"], pair[f"column_{high}"]), "higher_than"]
        letter = pair[f"letter_{low}"]
        if pair["strict"]:
            assert letter in letters
        elif pair["significant"]:
            assert letter.lower() in letters
        else:
            assert letter not in letters.upper()
    # one adjustment over the whole table
    assert b.adjust == "bh" and b.interval_level > b.confidence
    assert set(b.rows) >= {"nps", "csat_top2", "ces_easy", "csat=1", "csat=5"}


def test_small_columns_are_flagged_or_hidden_and_not_tested() -> None:
    b = banner(_frame(), columns=["region"], caution_below=200, suppress_below=60)
    bases = b.bases.set_index("column")
    assert bases.loc["west", "status"] == "suppressed"  # about 45 answers
    assert bases.loc["east", "status"] == "caution"  # about 180 answers
    assert "west" not in set(b.pairs["column_a"]) | set(b.pairs["column_b"])
    table = dict(banner_tables(b, get_labels("en")))["region"].frame
    west = [c for c in table.columns if c.lower().startswith("west")][0]
    assert set(table[west].iloc[1:]) == {"–"}  # the base row keeps its n
    assert table[west].iloc[0] == str(int(bases.loc["west", "n"]))


def test_weighted_banner_shows_three_bases_and_uses_the_raked_design() -> None:
    df = _frame()
    w = cx.rake(df, {"size": {"small": 0.3, "large": 0.7}})
    b = banner(df, columns=["region"], metrics=["nps"], weights=w)
    assert b.weighted and b.design == "raked"
    total = b.bases.iloc[0]
    assert total["n"] == len(df) and total["weighted_n"] == pytest.approx(len(df))
    assert total["n_effective"] == pytest.approx(cx.effective_sample_size(w))
    table = dict(banner_tables(b, get_labels("en")))["region"].frame
    assert list(table.iloc[:3, 0]) == ["Base (n)", "Weighted base", "Effective base"]
    north = b.cells[(b.cells["row"] == "nps") & (b.cells["column"] == "north")].iloc[0]
    rows = df.index[df["region"] == "north"]
    est = cx.nps(df.loc[rows, "nps"], weights=w.loc[rows])
    assert north["value"] == pytest.approx(est.value)
    assert (north["ci_low"], north["ci_high"]) == pytest.approx((est.ci_low, est.ci_high))


def test_workbook_has_the_report_letters_and_the_same_bytes_every_time() -> None:
    labels = get_labels("fi")
    b = banner(_frame(), columns=["region", "size"], answers=["csat"])
    data = banner_workbook(b, labels, title="Testi", provenance={"params": "x.yaml"})
    assert data == banner_workbook(b, labels, title="Testi", provenance={"params": "x.yaml"})
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Ryhmät", "Vertailut", "Huomiot"]
    sheet = wb["Ryhmät"]
    letters_in_excel = {
        (sheet.cell(r, 1).value, sheet.cell(4, c - 1).value): sheet.cell(r, c).value or ""
        for r in range(6, sheet.max_row + 1)
        for c in range(3, sheet.max_column + 1, 2)
        if sheet.cell(r, 1).value
    }
    tables = dict(banner_tables(b, labels))
    checked, lettered = 0, 0
    for table in tables.values():
        for _, row in table.frame.iterrows():
            for header in table.frame.columns[2:]:
                shown = row[header].split(" ")[1:] if " " in row[header] else []
                letters = "".join(s for s in shown if s != "†")
                key = (row.iloc[0], header)
                if key in letters_in_excel:
                    assert letters_in_excel[key].replace("†", "").strip() == letters, key
                    checked += 1
                    lettered += bool(letters)
    assert checked == (len(b.rows) + 1) * (len(b.bases) - 1) and lettered > 0  # + base row
    pairs = wb["Vertailut"]
    assert pairs.max_row == len(b.pairs) + 1


def test_workbook_keeps_text_from_the_data_as_text() -> None:
    df = _frame()
    df["region"] = df["region"].replace({"north": '=HYPERLINK("http://x.example","n")'})
    b = banner(df, columns=["region"], metrics=["nps"])
    wb = load_workbook(io.BytesIO(banner_workbook(b, get_labels("en"), title="=1+1")))
    texts = [c for s in wb.worksheets for r in s.iter_rows() for c in r if c.value]
    assert any(str(c.value).startswith("=HYPERLINK") for c in texts)
    assert all(c.data_type != "f" for c in texts)


def test_bad_input() -> None:
    df = _frame()
    with pytest.raises(DataError, match=r"column\(s\) \['nope'\]"):
        banner(df, columns=["nope"])
    with pytest.raises(ValueError, match="suppress_below"):
        banner(df, columns=["region"], caution_below=20, suppress_below=30)
    with pytest.raises(ValueError, match="strict must lie"):
        banner(df, columns=["region"], strict=0.05)
    with pytest.raises(ValueError, match="columns must name"):
        banner(df, columns=[])
    with pytest.raises(ValueError, match="metric must be one of"):
        banner(df, columns=["region"], metrics=["bogus"])


def test_params_banner_section_is_validated() -> None:
    from pydantic import ValidationError

    from cxresearch.params import BannerSpec

    assert BannerSpec().caution_below == 100 and BannerSpec().suppress_below == 30
    with pytest.raises(ValidationError, match=r"unknown metric\(s\) \['bogus'\]"):
        BannerSpec(metrics=["nps", "bogus"])
    with pytest.raises(ValidationError, match="must not exceed caution_below"):
        BannerSpec(caution_below=10, suppress_below=30)
    with pytest.raises(ValidationError, match="strict"):
        BannerSpec(strict=0.05)
