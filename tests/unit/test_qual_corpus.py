"""build_corpus gives, for every comment, the words, sentences and emoji of the per-comment
functions (tokenise, split_sentences, EMOJI_PATTERN) that stay their definition."""

from __future__ import annotations

import bisect
from pathlib import Path

import numpy as np
import pytest

from cxresearch.data.loaders import load_responses
from cxresearch.qual.corpus import build_corpus
from cxresearch.qual.normalise import normalise_text, tokenise
from cxresearch.qual.sentiment import EMOJI, EMOJI_PATTERN, split_sentences

ROOT = Path(__file__).resolve().parents[2]

EDGE = [
    "",
    "",
    "Hyvä palvelu. Don't wait",
    "😊 ok",
    "a'b'c'd'e",
    "''x'' y'",
    "a.b@example.com. 1.5 euroa!",
    "ok,but then, mutta sitten , however",
    "Kiitos! ! ? ;",
    ". alku",
    "x" * 50_000,
    "\ud800 hinta",
    "Ǆemal ﬁx e\u0301",
    "😡😡😡",
    "12 34",
    "end.",
    "but first",
]


def per_comment(texts: list[str]):
    """Tokens as (comment, start, end, word, sentence) and emoji as (comment, sentence, value)."""
    tokens, emoji, sentences = [], [], []
    for i, text in enumerate(texts):
        starts = [a for a, _ in split_sentences(text)]
        sentences.append(starts)
        for t in tokenise(text):
            k = max(bisect.bisect_right(starts, t.start) - 1, 0)
            tokens.append((i, t.start, t.end, t.text, k))
        for m in EMOJI_PATTERN.finditer(text):
            emoji.append((i, max(bisect.bisect_right(starts, m.start()) - 1, 0), EMOJI[m.group()]))
    return tokens, emoji, sentences


def corpus_wide(texts: list[str]):
    c = build_corpus(texts)
    offset = c.offsets[c.token_comment]
    tokens = list(
        zip(
            c.token_comment.tolist(),
            (c.token_start - offset).tolist(),
            (c.token_end - offset).tolist(),
            [c.words[w] for w in c.token_word],
            c.local_sentence(c.token_sentence, c.token_comment).tolist(),
            strict=True,
        )
    )
    emoji = list(
        zip(
            c.emoji_comment.tolist(),
            c.local_sentence(c.emoji_sentence, c.emoji_comment).tolist(),
            c.emoji_value.tolist(),
            strict=True,
        )
    )
    sentences = [
        (c.sentence_start[c.first_sentence[i] : c.first_sentence[i + 1]] - c.offsets[i]).tolist()
        for i in range(c.n)
    ]
    return tokens, emoji, sentences


def test_edge_cases_match_the_per_comment_functions():
    texts = [normalise_text(t) for t in EDGE]
    assert corpus_wide(texts) == per_comment(texts)
    corpus = build_corpus(texts)
    assert corpus.counts(corpus.token_comment).tolist() == [len(tokenise(t)) for t in texts]
    assert len(corpus.words) == len({t.text for text in texts for t in tokenise(text)})


def test_demo_comments_match_the_per_comment_functions():
    frame = load_responses(ROOT / "data" / "demo" / "responses.csv")
    texts = [normalise_text(t) for t in frame["comment"].dropna()]
    assert corpus_wide(texts) == per_comment(texts)


def test_no_comments_and_only_empty_comments():
    for texts in ([], ["", ""]):
        corpus = build_corpus(texts)
        assert corpus.n == len(texts) and corpus.token_word.size == 0
        assert corpus.first_sentence.tolist() == [0] * (len(texts) + 1)
        assert np.array_equal(corpus.counts(corpus.emoji_comment), np.zeros(len(texts)))


def test_unnormalised_comments_are_refused():
    with pytest.raises(ValueError, match="normalise_text"):
        build_corpus(["two\nlines"])
