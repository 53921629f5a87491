"""Automatic coding: codes and parents, evidence, sentiment, bad input counted not dropped."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxresearch.qual.codebook import load_codebook
from cxresearch.qual.coding import code_comments, codes_from_lists
from cxresearch.qual.normalise import BaseForms

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def forms() -> BaseForms:
    return BaseForms()


@pytest.fixture(scope="module")
def book(forms):
    return load_codebook(ROOT / "params" / "codebooks" / "cx-default.yaml", forms=forms)


def code(texts, book, forms, **kw):
    return code_comments(
        pd.Series(texts, index=[f"r{i}" for i in range(len(texts))]), book, forms=forms, **kw
    )


def test_child_sets_parent_and_evidence_names_the_rule(book, forms):
    coding = code(["Toimitusmaksu on kohtuuton."], book, forms, language="fi")
    row = coding.codes.loc["r0"]
    assert row["price.fees"] and row["price"]
    assert not row["price.level"]
    hit = coding.evidence[coding.evidence["code"] == "price.fees"].iloc[0]
    assert (hit["id"], hit["rule"], hit["matched"]) == ("r0", "word", "Toimitusmaksu")
    assert coding.sentiment.loc["r0", "label"] == "negative"


def test_index_is_kept_and_statuses_count_everything(book, forms):
    long = "Hinta on liian kova. " * 2500  # 52,500 characters
    texts = [
        "",
        "   ",
        None,
        "😡😡",
        "12345",
        "Die Lieferung war viel zu spät und teuer",
        long,
        "Kaikki meni hyvin.",
        "Toimitus myöhästyi. The app is clunky.",
    ]
    coding = code(texts, book, forms)
    assert list(coding.codes.index) == [f"r{i}" for i in range(len(texts))]
    assert coding.status.tolist() == [
        "empty",
        "empty",
        "empty",
        "empty",
        "empty",
        "other-language",
        "coded",
        "uncoded",
        "coded",
    ]
    counts = coding.counts()
    assert counts["total"] == len(texts) and counts["long"] == 1 and counts["mixed_language"] == 1
    assert counts[["coded", "uncoded", "empty", "other-language"]].sum() == len(texts)
    assert coding.sentiment.loc["r3", "label"] == "negative"  # emoji only: still read
    assert coding.codes.loc["r6", "price"]
    mixed = coding.codes.loc["r8"]
    assert mixed["delivery"] and mixed["ease"]  # each sentence in its own language
    assert coding.language.loc["r5"] == "other" and coding.language.loc["r0"] is None


@pytest.mark.parametrize(
    ("text", "lang", "label"),
    [
        ("Ei yhtään katkosta tai ongelmaa koko vuonna.", "fi", "positive"),
        ("Not a single outage or problem all year.", "en", "positive"),
        ("Asiakaspalvelija ei osannut auttaa.", "fi", "negative"),
        ("The agent could not help me.", "en", "negative"),
        ("Ei valittamista.", "fi", "positive"),
        ("Hyvä palvelu, mutta toimitus myöhästyi.", "fi", "mixed"),
        ("Palvelu on hyvä. Toimitus myöhästyi.", "fi", "mixed"),
        ("Soitin tiistaina.", "fi", "neutral"),
    ],
)
def test_sentiment_with_negation(book, forms, text, lang, label):
    assert code([text], book, forms, language=lang).sentiment["label"].iat[0] == label


def test_aspect_sentiment_per_sentence_and_direction_fallback(book, forms):
    coding = code(
        ["Asiakaspalvelu oli ystävällistä. Toimitus myöhästyi.", "Kukaan ei kertonut mitään."],
        book,
        forms,
        language="fi",
    )
    aspects = coding.aspects.set_index(["id", "code"])["sentiment"]
    assert aspects["r0", "service"] == "positive"
    assert aspects["r0", "delivery"] == "negative"
    # no sentiment word: the sub-theme's own direction (communication.lacking: negative)
    assert aspects["r1", "communication"] == "negative"


def test_language_argument_validation(book, forms):
    with pytest.raises(ValueError, match="language must be one of"):
        code(["x"], book, forms, language="sv")
    with pytest.raises(ValueError, match="1 values for 2 texts"):
        code(["x", "y"], book, forms, language=["fi"])
    with pytest.raises(ValueError, match=r"values \['de'\]"):
        code(["x"], book, forms, language=pd.Series(["de"]))
    with pytest.raises(TypeError, match="not a single string"):
        code_comments("Hinta on kova", book, forms=forms)
    with pytest.raises(TypeError, match="Codebook"):
        code_comments(["x"], {"name": "x"}, forms=forms)  # type: ignore[arg-type]
    given = code(
        ["Price is high", "Hinta on kova"], book, forms, language=pd.Series(["en", np.nan])
    )
    assert given.language_detected.tolist() == [False, True]


def test_codes_from_lists(book):
    frame = codes_from_lists({"a": ["price.fees"], "b": []}, book)
    assert frame.loc["a", "price"] and not frame.loc["b"].any()
    with pytest.raises(ValueError, match=r"'nope' \(ids \['a'\]\)"):
        codes_from_lists({"a": ["nope"]}, book)


def test_same_input_same_output(book, forms):
    texts = ["Hinnat nousivat.", "Sovellus on sekava.", "Great service!"]
    first, second = code(texts, book, forms), code(texts, book, forms)
    pd.testing.assert_frame_equal(first.codes, second.codes)
    pd.testing.assert_frame_equal(first.evidence, second.evidence)
