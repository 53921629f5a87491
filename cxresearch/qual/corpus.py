"""All comments as one corpus: words, sentences and emoji as flat arrays.

:func:`cxresearch.code_comments` used to walk each comment word by word in Python. Here
the comments are joined into one string (with ``"\\n"`` between them: a normalised
comment never holds a line break, because :func:`~cxresearch.qual.normalise.normalise_text`
collapses white space), and every word, sentence and emoji of every comment is found in
one pass over that string, giving flat arrays (comment, position, word id) that numpy can
group and look up. The distinct words of 100,000 comments are a few thousand, so
everything that depends on a word alone (its base form, its rule matches, its sentiment)
is computed once per distinct word and mapped to the tokens by index.

The results are those of the per-comment functions, which stay the definition:

- words are :func:`~cxresearch.qual.normalise.tokenise`'s (letters with one inner
  apostrophe, case-folded); positions come from classifying each character with the
  same regular expression, and the word texts from that expression's ``findall``;
- sentences are :func:`~cxresearch.qual.sentiment.split_sentences`' spans: its boundary
  expression finds the same boundaries in the joined string, where every ``"\\n"`` is a
  boundary of its own (no boundary inside a comment can reach its end, as a normalised
  comment neither starts nor ends with white space);
- a token or emoji belongs to the last sentence starting at or before it (the first
  sentence when none does), as in the coder.

``tests/unit/test_qual_corpus.py`` checks these equalities on edge cases and on the demo
comments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxresearch.qual.normalise import _WORD
from cxresearch.qual.sentiment import _BOUNDARY, EMOJI, EMOJI_PATTERN

__all__ = ["SEPARATOR", "Corpus", "build_corpus"]

#: Put between comments in the joined text; never inside a normalised comment.
SEPARATOR = "\n"
# One character of a word: the class _WORD repeats (letters; no digits, no underscore).
_LETTER = re.compile(r"[^\W\d_]")
_APOSTROPHE = ord("'")
_BLOCK = 10_000  # comments whose words are read into Python strings at a time
_EMOJI_FIRST = np.array(sorted({ord(e[0]) for e in EMOJI}), dtype=np.uint32)


@dataclass(frozen=True)
class Corpus:
    """Normalised comments with their tokens, sentences and emoji as flat arrays.

    Positions are in :attr:`joined`; ``offsets[i]`` is where comment ``i`` starts there.
    Tokens, sentences and emoji are in text order (so each comment's are contiguous).
    """

    texts: list[str]
    joined: str
    offsets: np.ndarray
    words: list[str]  # distinct case-folded words; token_word indexes it
    token_comment: np.ndarray
    token_start: np.ndarray
    token_end: np.ndarray
    token_word: np.ndarray
    token_sentence: np.ndarray  # global sentence id (index into sentence_start)
    sentence_start: np.ndarray
    sentence_comment: np.ndarray
    first_sentence: np.ndarray  # n + 1: comment i's sentences are first[i]:first[i + 1]
    emoji_comment: np.ndarray
    emoji_sentence: np.ndarray
    emoji_value: np.ndarray

    @property
    def n(self) -> int:
        return len(self.texts)

    def counts(self, comment_of: np.ndarray) -> np.ndarray:
        """How many items (tokens, sentences, emoji) each comment has."""
        return np.bincount(comment_of, minlength=self.n).astype(np.int64)

    def local_sentence(self, sentence: np.ndarray, comment: np.ndarray) -> np.ndarray:
        """0-based sentence numbers within each item's comment."""
        return sentence - self.first_sentence[comment]


def _codepoints(text: str) -> np.ndarray:
    if not text:
        return np.zeros(0, dtype=np.uint32)
    # surrogatepass: a lone surrogate from a badly decoded export is a character, not an error
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")


def _classify(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per character: is it a word letter, is it white space (as ``str.strip`` sees it)."""
    if not codes.size:
        return np.zeros(0, dtype=bool), np.zeros(0, dtype=bool)
    present = np.flatnonzero(np.bincount(codes))
    letter = np.zeros(int(present[-1]) + 1, dtype=bool)
    space = np.zeros(int(present[-1]) + 1, dtype=bool)
    for point in present.tolist():
        char = chr(point)
        letter[point] = _LETTER.match(char) is not None
        space[point] = char.isspace()
    return letter[codes], space[codes]


def _token_spans(codes: np.ndarray, letter: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end of each match of ``_WORD`` from the letter runs.

    ``_WORD`` takes a whole run of letters and, when an apostrophe and another run follow,
    that run too; the run after it starts a new word even if another apostrophe joins it.
    So along a chain of runs joined by single apostrophes, runs pair up from the left.
    """
    padded = np.zeros(letter.size + 2, dtype=np.int8)  # int8: one byte per character
    padded[1:-1] = letter
    edges = np.diff(padded)
    run_start = np.flatnonzero(edges == 1)
    run_end = np.flatnonzero(edges == -1)
    runs = run_start.size
    if runs == 0:
        return run_start.astype(np.int64), run_end.astype(np.int64)
    joins = np.zeros(runs, dtype=bool)
    if runs > 1:
        joins[:-1] = (run_start[1:] == run_end[:-1] + 1) & (codes[run_end[:-1]] == _APOSTROPHE)
    chain_start = np.ones(runs, dtype=bool)
    chain_start[1:] = ~joins[:-1]
    order = np.arange(runs)
    first_of_chain = np.maximum.accumulate(np.where(chain_start, order, 0))
    leading = (order - first_of_chain) % 2 == 0
    merged_end = np.where(joins, run_end[np.minimum(order + 1, runs - 1)], run_end)
    return run_start[leading].astype(np.int64), merged_end[leading].astype(np.int64)


def _word_ids(joined: str, offsets: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """The case-folded word id of every ``_WORD`` match, and the distinct words.

    Read a block of comments at a time, so that only one block's words are ever held as
    Python strings (all 100,000 comments' at once took about 50 MB).
    """
    index: dict[str, int] = {}
    ids = []
    bounds = [*offsets[::_BLOCK].tolist(), len(joined)]
    for start, end in zip(bounds[:-1], bounds[1:], strict=True):
        # a block starts at a comment, so no word crosses its edges
        written = _WORD.findall(joined, start, end)
        if not written:
            continue
        raw, uniques = pd.factorize(np.asarray(written, dtype=object))
        fold = np.array([index.setdefault(str(u).casefold(), len(index)) for u in uniques])
        ids.append(fold[raw])
    token_word = np.concatenate(ids).astype(np.int64) if ids else np.zeros(0, np.int64)
    return token_word, list(index)


def build_corpus(texts: list[str]) -> Corpus:
    """Tokens, sentences and emoji of normalised comments (see the module docstring).

    Examples
    --------
    >>> corpus = build_corpus(["Hyvä palvelu. Don't wait", "", "😊 ok"])
    >>> [corpus.words[w] for w in corpus.token_word]
    ['hyvä', 'palvelu', "don't", 'wait', 'ok']
    >>> corpus.token_comment.tolist(), corpus.first_sentence.tolist()
    ([0, 0, 0, 0, 2], [0, 2, 2, 3])
    """
    if any(SEPARATOR in t for t in texts):
        raise ValueError("comments must be normalised (normalise_text) before build_corpus")
    n = len(texts)
    joined = SEPARATOR.join(texts)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    offsets = np.concatenate(([0], np.cumsum(lengths + 1)[:-1])) if n else np.zeros(0, np.int64)
    codes = _codepoints(joined)
    letter, space = _classify(codes)

    start, end = _token_spans(codes, letter)
    # where an emoji can start; then the code points (4 bytes a character) are let go
    emoji_comments = np.unique(
        np.searchsorted(offsets, np.flatnonzero(np.isin(codes, _EMOJI_FIRST)), side="right") - 1
    )
    del codes, letter
    token_word, words = _word_ids(joined, offsets)
    if token_word.size != start.size:  # pragma: no cover - the two readings of _WORD agree
        raise AssertionError(f"tokeniser mismatch: {token_word.size} words, {start.size} spans")
    token_comment = np.searchsorted(offsets, start, side="right").astype(np.int64) - 1

    # Sentences: the segments between boundaries that hold more than white space.
    cuts = (x for m in _BOUNDARY.finditer(joined) for x in m.span())  # no list of tuples
    bounds = np.fromiter(cuts, dtype=np.int64).reshape(-1, 2)
    seg_start = np.concatenate(([0], bounds[:, 1]))
    seg_end = np.concatenate((bounds[:, 0], [len(joined)]))
    # A boundary swallows the white space after it, so a segment that does not start with
    # white space holds more than white space; the others are checked as split_sentences does.
    keep = seg_end > seg_start
    keep[keep] = ~space[seg_start[keep]]
    for j in np.flatnonzero((seg_end > seg_start) & ~keep).tolist():
        keep[j] = bool(joined[seg_start[j] : seg_end[j]].strip())
    sentence_start = seg_start[keep]
    sentence_comment = np.searchsorted(offsets, sentence_start, side="right").astype(np.int64) - 1
    per_comment = np.bincount(sentence_comment, minlength=n) if n else np.zeros(0, np.int64)
    first_sentence = np.concatenate(([0], np.cumsum(per_comment))).astype(np.int64)

    def sentence_of(position: np.ndarray, comment: np.ndarray) -> np.ndarray:
        found = np.searchsorted(sentence_start, position, side="right").astype(np.int64) - 1
        return np.maximum(found, first_sentence[comment])  # before the first: the first

    # Emoji are searched only in the comments holding a character that can start one.
    found_emoji = []
    for i in emoji_comments.tolist():
        offset = int(offsets[i])
        found_emoji += [
            (offset + m.start(), EMOJI[m.group()]) for m in EMOJI_PATTERN.finditer(texts[i])
        ]
    emoji = np.asarray(found_emoji, dtype=np.int64).reshape(-1, 2)
    emoji_comment = np.searchsorted(offsets, emoji[:, 0], side="right").astype(np.int64) - 1
    return Corpus(
        texts=texts,
        joined=joined,
        offsets=offsets.astype(np.int64),
        words=words,
        token_comment=token_comment,
        token_start=start,
        token_end=end,
        token_word=token_word,
        token_sentence=sentence_of(start, token_comment),
        sentence_start=sentence_start,
        sentence_comment=sentence_comment,
        first_sentence=first_sentence,
        emoji_comment=emoji_comment,
        emoji_sentence=sentence_of(emoji[:, 0], emoji_comment),
        emoji_value=emoji[:, 1],
    )
