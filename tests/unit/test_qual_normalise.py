"""Normalisation: Finnish inflection and compounds, tokens, language, the base-form cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cxresearch.qual.codebook import codebook_from_mapping
from cxresearch.qual.coding import code_comments
from cxresearch.qual.normalise import BaseForms, detect_language, normalise_text, tokenise

BOOK = {
    "name": "t",
    "codes": [
        {
            "code": "billing",
            "label": {"fi": "Laskutus", "en": "Billing"},
            "rules": {"fi": {"words": ["laskutus", "lasku"]}, "en": {"words": ["invoice", "bill"]}},
        },
        {
            "code": "locker",
            "label": {"fi": "Pakettiautomaatti", "en": "Parcel locker"},
            "rules": {"fi": {"words": ["pakettiautomaatti"]}, "en": {"phrases": ["parcel locker"]}},
        },
        {
            "code": "delivery",
            "label": {"fi": "Toimitus", "en": "Delivery"},
            "rules": {"fi": {"words": ["automaatti", "toimitus"]}},
        },
    ],
}


@pytest.fixture(scope="module")
def forms() -> BaseForms:
    return BaseForms()


@pytest.fixture(scope="module")
def book(forms: BaseForms):
    return codebook_from_mapping(BOOK, forms=forms)


@pytest.mark.parametrize(
    "text",
    [
        "Laskutus on sekavaa.",
        "Laskutuksessa oli virhe.",
        "Laskun summa oli väärä.",
        "Laskuun tuli lisämaksu.",
        "Laskuissa on aina jotain.",
        "LASKUTUKSEN kanssa ongelmia",
    ],
)
def test_finnish_billing_inflections(book, forms, text):
    # The examples: laskutus, laskutuksessa, laskun, laskuun -> billing
    coding = code_comments([text], book, language="fi", forms=forms)
    assert coding.codes["billing"].iat[0], text


@pytest.mark.parametrize(
    "text",
    [
        "Hain paketin pakettiautomaatilla.",
        "Pakettiautomaatti oli täynnä.",
        "Pakettiautomaatista ei löytynyt lähetystä.",
    ],
)
def test_finnish_parcel_locker_inflections_and_compound_head(book, forms, text):
    coding = code_comments([text], book, language="fi", forms=forms)
    assert coding.codes["locker"].iat[0], text
    # "automaatti" is the head of the compound: the delivery rule finds it too
    assert coding.codes["delivery"].iat[0], text
    matched = coding.evidence.loc[coding.evidence["code"] == "delivery", "matched"].str.lower()
    assert matched.str.startswith("pakettiautomaat").any()


def test_short_rule_word_does_not_match_inside_longer_words(forms):
    book = codebook_from_mapping(
        {
            "name": "t",
            "codes": [{"code": "x", "label": {"fi": "X"}, "rules": {"fi": {"words": ["tie"]}}}],
        },
        forms=forms,
    )
    coding = code_comments(
        ["Tietokone ei toimi.", "Tie oli huono."], book, language="fi", forms=forms
    )
    assert coding.codes["x"].tolist() == [False, True]


def test_english_phrase_and_inflection(book, forms):
    coding = code_comments(
        ["Both invoices were wrong", "The parcel lockers are full"],
        book,
        language="en",
        forms=forms,
    )
    assert coding.codes["billing"].tolist() == [True, False]
    assert coding.codes["locker"].tolist() == [False, True]


def test_normalise_and_tokenise():
    assert normalise_text(None) == "" and normalise_text(float("nan")) == ""
    assert normalise_text("A\u0308\x00b\n\n c") == "Ä b c"
    tokens = tokenise("Hinta-laatusuhde 10/10 😀 don't")
    assert [t.text for t in tokens] == ["hinta", "laatusuhde", "don't"]
    assert tokens[0].start == 0 and tokens[1].end == len("Hinta-laatusuhde")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Toimitus myöhästyi taas viikolla", "fi"),
        ("The delivery was late again", "en"),
        ("Die Lieferung kam leider viel zu spät an", "other"),
        ("😀 123", None),
    ],
)
def test_detect_language(forms, text, expected):
    assert detect_language([t.text for t in tokenise(text)], forms)[0] == expected


def test_base_form_cache_is_written_keyed_by_version_and_reused(tmp_path: Path):
    first = BaseForms(tmp_path)
    assert first.base_form("laskuun", "fi") == "lasku"
    path = first.save()
    assert path is not None and path.name == f"baseforms-simplemma-{first.version}.json"
    stored = json.loads(path.read_text(encoding="utf-8"))
    assert stored["fi:laskuun"][0] == "lasku"
    second = BaseForms(tmp_path)
    assert second.base_form("laskuun", "fi") == "lasku"
    assert second.save() is None  # nothing new: the file is not rewritten


def test_damaged_cache_is_rebuilt(tmp_path: Path):
    forms = BaseForms(tmp_path)
    forms.path.write_text("{not json", encoding="utf-8")  # type: ignore[union-attr]
    again = BaseForms(tmp_path)
    assert len(again) == 0 and again.base_form("laskun", "fi") == "lasku"


def test_bad_language(forms):
    with pytest.raises(ValueError, match="lang must be one of"):
        forms.base_form("x", "sv")


def test_coding_with_an_empty_project_cache_fills_it(tmp_path: Path, book):
    # An empty BaseForms is falsy (len 0): it must still be the one used and saved.
    forms = BaseForms(tmp_path)
    code_comments(["Laskutuksessa oli virhe."], book, language="fi", forms=forms)
    assert forms.path is not None and forms.path.is_file()
    assert "fi:laskutuksessa" in json.loads(forms.path.read_text(encoding="utf-8"))
