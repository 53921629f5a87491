"""The corpus-wide coder equals the former comment-by-comment coder, output for output.

:func:`cxresearch.code_comments` reads all comments at once (flat arrays of words,
sentences and emoji, rules looked up once per distinct word). Its definition is still the
simple loop it replaced, kept in ``fixtures/qual_reference_coder.py``: every frame of the
result (codes, evidence in order, sentiment, aspects, language, status, counts) must be
identical on the demo comments, on hostile input (empty, whitespace, None/NaN, emoji,
numbers, a 50,000-character comment, mixed languages, a third language, apostrophe chains,
a lone surrogate) and on seeded random comments that put sentence and clause boundaries,
negators, emoji and phrases next to comment boundaries, with a codebook that also has
regular-expression rules in both languages.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
import yaml

from cxresearch.data.loaders import load_responses
from cxresearch.qual.codebook import Codebook, codebook_from_mapping, load_codebook
from cxresearch.qual.coding import Coding, code_comments
from cxresearch.qual.normalise import BaseForms

ROOT = Path(__file__).resolve().parents[2]
CODEBOOK = ROOT / "params" / "codebooks" / "cx-default.yaml"
FIELDS = (
    "codes",
    "evidence",
    "sentiment",
    "aspects",
    "language",
    "language_detected",
    "mixed_language",
    "status",
    "characters",
)

HOSTILE = [
    "",
    "   ",
    None,
    float("nan"),
    "😡😡",
    "👍 hyvä 😊 mutta 😞",
    "12345 67",
    "Die Lieferung war viel zu spät und teuer",
    "Hinta on liian kova. " * 2500,  # 52,500 characters of one sentence repeated
    "x" * 50_000,  # one 50,000-letter word
    ("Asiakaspalvelu ei vastannut, mutta hinta on hyvä! " * 1000).strip(),
    "Toimitus myöhästyi. The app is clunky.",
    "The price is too high! Hinta on liian kova. Ei katkoja tai ongelmia.",
    "Asiakaspalvelu ei vastannut. Not bad, not good; no outage or problem.",
    "don't   wait\t\tforever...\nnever again",
    "<script>alert(1)</script> laskutus",
    "Laskutuksessa virhe!!! 😡 Laskun summa väärä? Sähköposti: a@b.fi, puh 040 1234567",
    "l'app n'est pas bonne",
    "'''a''b'c'd'e ' f'",
    "ÅÄÖ åäö Ǆ ﬁ ǅ",
    "\u0301a\u0301 e\u0301",
    "a\u200bb hinta",
    "\ud800x hinta kallis",
    ", but the staff were great",
    "Bad. , mutta hyvä",
    "price increase. value for money, but hidden cost",
    "not a single outage or delay or problem or error or fault",  # negation over a list
    "Ei mitään ongelmia tai katkoja tai virheitä tai vikoja, hyvä",
]


def _reference() -> ModuleType:
    name = "qual_reference_coder"
    if name not in sys.modules:  # dataclasses need their module registered
        spec = importlib.util.spec_from_file_location(
            name, Path(__file__).parent / "fixtures" / f"{name}.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="module")
def forms() -> BaseForms:
    return BaseForms()


@pytest.fixture(scope="module")
def book(forms: BaseForms) -> Codebook:
    return load_codebook(CODEBOOK, forms=forms)


@pytest.fixture(scope="module")
def patterned(forms: BaseForms) -> Codebook:
    """cx-default with regular-expression rules in both languages (it has none itself)."""
    raw = yaml.safe_load(CODEBOOK.read_text(encoding="utf-8"))
    extra = {
        "price": {"fi": [r"\d+\s*(?:e|€|euroa)\b"], "en": [r"\d+\s*(?:eur|€)", r"\$\d+"]},
        "communication": {"fi": [r"[\w.]+@[\w.]+"], "en": [r"[\w.]+@[\w.]+", r"\bapp\b"]},
    }
    for node in raw["codes"]:
        for lang, patterns in extra.get(node["code"], {}).items():
            node["rules"][lang]["patterns"] = patterns
    return codebook_from_mapping(raw, forms=forms)


@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    frame = load_responses(ROOT / "data" / "demo" / "responses.csv")
    return frame[frame["comment"].notna()].set_index("response_id")


def assert_same(texts: pd.Series, book: Codebook, forms: BaseForms, language=None) -> Coding:
    expected = _reference().code_comments(texts, book, language=language, forms=forms)
    got = code_comments(texts, book, language=language, forms=forms)
    for name in FIELDS:
        want, have = getattr(expected, name), getattr(got, name)
        if isinstance(want, pd.DataFrame):
            pd.testing.assert_frame_equal(have, want, obj=name)
        else:
            pd.testing.assert_series_equal(have, want, obj=name)
    pd.testing.assert_series_equal(got.counts(), expected.counts())
    return got


@pytest.mark.parametrize("detect", [False, True], ids=["language-given", "language-detected"])
def test_demo_comments(demo, book, forms, detect):
    got = assert_same(demo["comment"], book, forms, None if detect else demo["language"])
    assert len(got.evidence) > 3000 and got.status.eq("coded").sum() > 1500


@pytest.mark.parametrize("language", [None, "fi", "en", "per-row"])
def test_hostile_input(book, patterned, forms, language):
    texts = pd.Series(HOSTILE, index=[f"h{i}" for i in range(len(HOSTILE))], dtype=object)
    if language == "per-row":  # given, blank and both languages side by side
        language = pd.Series(
            [("fi", None, "en", "")[i % 4] for i in range(len(texts))], index=texts.index
        )
    for codebook in (book, patterned):
        got = assert_same(texts, codebook, forms, language)
    assert got.counts()["total"] == len(HOSTILE)
    assert got.counts()["long"] == 3


def _random_comments(demo: pd.DataFrame, n: int, seed: int) -> list[str]:
    """Sentences of demo comments glued with boundaries the tokeniser and splitter meet."""
    rng = np.random.default_rng(seed)
    pieces = [s for c in demo["comment"] for s in str(c).replace("!", ".").split(". ") if s]
    glue = [". ", "! ", "? ", "; ", ", ", ", mutta ", ", but ", " ", ".", "\n", " 😊 ", " 😡 "]
    extras = ["ei", "not", "no", "tai", "or", "don't", "e-mail: a@b.fi", "49 €", "$12", "app"]
    out = []
    for _ in range(n):
        parts = []
        for _ in range(int(rng.integers(1, 5))):
            parts.append(str(rng.choice(pieces)))
            if rng.random() < 0.3:
                parts.append(str(rng.choice(extras)))
            parts.append(str(rng.choice(glue)))
        text = "".join(parts)
        out.append(text[: int(rng.integers(0, len(text) + 1))] if rng.random() < 0.2 else text)
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_random_glued_comments(demo, patterned, forms, seed):
    texts = pd.Series(_random_comments(demo, 1500, seed))
    got = assert_same(texts, patterned, forms)
    assert got.mixed_language.sum() > 0 and (got.evidence["rule"] == "pattern").any()
    assert (got.evidence["rule"] == "phrase").any()


@pytest.mark.parametrize("texts", [[], ["", None, "😊"], ["foo bar baz", "Hund und Katze"]])
def test_no_evidence_at_all(book, forms, texts):
    got = assert_same(pd.Series(texts, dtype=object), book, forms)
    assert got.evidence.empty and got.aspects.empty


def test_a_series_index_is_kept_even_when_it_repeats(book, forms):
    texts = pd.Series(["Hinta on kova.", "", "The app is clunky."], index=["a", "a", 7])
    got = assert_same(texts, book, forms)
    assert list(got.codes.index) == ["a", "a", 7]
