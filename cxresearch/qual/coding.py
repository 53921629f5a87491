"""Automatic coding of comments with a codebook: themes, evidence and sentiment.

:func:`code_comments` reads each comment once: normalise, split into sentences and words,
find each sentence's language (so a mixed Finnish/English comment is coded in both), take
base forms, then match the codebook's rules:

- a rule word matches a word with the same base form, and (in Finnish) a compound whose
  head or modifier it is, when the rest is at least three letters (``automaatti`` matches
  ``pakettiautomaatilla``, ``laskutus`` matches ``laskutusvirhe``);
- a phrase matches its base forms in order (``ei vastata`` covers ``ei vastattu``);
- a pattern is a regular expression searched in the normalised text.

All comments are read together (:mod:`cxresearch.qual.corpus`, rules matched in
:mod:`cxresearch.qual.matching`): words, sentences and
emoji become flat arrays, and everything that depends on a word alone (its base form, the
rules it matches, its sentiment value, whether it negates) is computed once per distinct
word and language and mapped to the words by index; language shares, sentence scores and
code flags are numpy sums. Only what is sequential stays a Python loop, over the few
places it applies: the negation window in sentences that hold a negator, phrases at words
that start one, and patterns in comments with a sentence in their language. The results
are those of the former comment-by-comment loop, which is kept in the tests as the
reference (``tests/unit/fixtures/qual_reference_coder.py``). Every match is kept as
evidence (comment, code, rule, matched text) so a researcher can audit why a comment was
coded. A parent code is true when any of its children is.

Nothing is dropped: empty and emoji-only comments, comments in a third language and very
long comments are kept in every output with a status and counted (:meth:`Coding.counts`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxresearch.qual.codebook import Codebook
from cxresearch.qual.corpus import Corpus, build_corpus
from cxresearch.qual.matching import Hits, find_hits, rule_tables, word_tables
from cxresearch.qual.normalise import _FUNCTION_WORDS, LANGUAGES, BaseForms, normalise_text
from cxresearch.qual.sentiment import COORDINATORS, NEGATION_WINDOW

__all__ = ["LONG_COMMENT", "STATUSES", "Coding", "code_comments"]

#: Comments longer than this many characters are coded in full and counted as long.
LONG_COMMENT = 5_000
STATUSES = ("coded", "uncoded", "empty", "other-language")


@dataclass(frozen=True)
class Coding:
    """The result of :func:`code_comments`; every frame is indexed like the input texts.

    Attributes
    ----------
    codes : DataFrame of bool
        One column per code of the codebook (parents true when a child is).
    evidence : DataFrame
        Long: ``id`` (the text's index label), ``code``, ``rule`` (word/phrase/pattern),
        ``rule_text``, ``matched`` (the words as written), ``sentence`` (0-based).
    sentiment : DataFrame
        ``score`` (sum of sentence scores), ``label`` (positive/negative/mixed/neutral).
    aspects : DataFrame
        Long: ``id``, ``code``, ``sentiment`` of each code mention (positive/negative/
        mixed/neutral): the sentiment of the sentences where the code matched, or the
        code's own direction when those sentences carry none.
    language : Series
        The language each comment was coded in (given, else detected; None when empty).
    language_detected : Series of bool
        Whether the language came from detection.
    mixed_language : Series of bool
        Comments with sentences in both languages.
    status : Series
        ``coded``, ``uncoded`` (words but no code), ``empty`` (no words: blank, emoji or
        numbers only) or ``other-language`` (neither Finnish nor English).
    characters : Series of int
        Length of each normalised comment.
    """

    codes: pd.DataFrame
    evidence: pd.DataFrame
    sentiment: pd.DataFrame
    aspects: pd.DataFrame
    language: pd.Series
    language_detected: pd.Series
    mixed_language: pd.Series
    status: pd.Series
    characters: pd.Series
    codebook: str = ""

    def counts(self) -> pd.Series:
        """How many comments fell in each status, plus detected/mixed/long counts."""
        out = {s: int((self.status == s).sum()) for s in STATUSES}
        out["total"] = len(self.status)
        out["language_detected"] = int(self.language_detected.sum())
        out["mixed_language"] = int(self.mixed_language.sum())
        out["long"] = int((self.characters > LONG_COMMENT).sum())
        return pd.Series(out, name="comments")

    def top_level(self, book: Codebook) -> pd.DataFrame:
        """The codes frame restricted to the codebook's top-level themes."""
        return self.codes[book.themes]


def _as_series(texts: Any) -> pd.Series:
    if isinstance(texts, pd.Series):
        return texts
    if isinstance(texts, str):
        raise TypeError("texts must be a sequence of comments, not a single string")
    return pd.Series(list(texts))


def _languages(language: Any, index: pd.Index) -> pd.Series:
    if language is None:
        return pd.Series([None] * len(index), index=index, dtype=object)
    if isinstance(language, str):
        if language not in LANGUAGES:
            raise ValueError(f"language must be one of {LANGUAGES} or None, got {language!r}")
        return pd.Series([language] * len(index), index=index, dtype=object)
    series = language if isinstance(language, pd.Series) else pd.Series(list(language))
    if len(series) != len(index):
        raise ValueError(f"language has {len(series)} values for {len(index)} texts")
    values = series.to_numpy(dtype=object)
    out = [
        None if (v is None or (isinstance(v, float) and np.isnan(v)) or v == "") else v
        for v in values
    ]
    bad = sorted({v for v in out if v is not None and v not in LANGUAGES})
    if bad:
        raise ValueError(f"language has values {bad}; expected {LANGUAGES} or blank")
    return pd.Series(out, index=index, dtype=object)


_FI, _EN, _OTHER, _NONE = 0, 1, 2, -1  # language codes in arrays (LANGUAGES order, then other)
_LANGUAGE_NAMES = (*LANGUAGES, "other")
_SENTIMENTS = np.array(["neutral", "positive", "negative", "mixed"], dtype=object)
_DIRECTIONS = {None: 0, "positive": 1, "negative": 2}


def _labels(positive: np.ndarray, negative: np.ndarray) -> np.ndarray:
    """Vectorised :func:`_label`: counts of positive and negative parts -> label."""
    return _SENTIMENTS[(positive > 0).astype(np.int64) + 2 * (negative > 0).astype(np.int64)]


def _detect(
    corpus: Corpus, word: np.ndarray, group: np.ndarray, groups: int, forms: BaseForms
) -> np.ndarray:
    """:func:`~cxresearch.qual.normalise.detect_language` for groups of tokens at once.

    ``word`` and ``group`` give each token's word id and group (a comment or a sentence,
    0 … groups - 1, every group non-empty). Returns ``_FI``, ``_EN`` or ``_OTHER`` per group
    with the same arithmetic (shares of known words plus 0.1 per function word, Finnish
    on a tie, "other" below half).
    """
    count = np.bincount(group, minlength=groups).astype(float)
    needed = np.unique(word).tolist()
    keys = []
    shares = []
    for lang in LANGUAGES:
        function_words = _FUNCTION_WORDS[lang]
        function = np.zeros(len(corpus.words), dtype=bool)
        known = np.zeros(len(corpus.words), dtype=bool)
        for w in needed:
            text = corpus.words[w]
            function[w] = text in function_words
            known[w] = function[w] or forms.known(text, lang)
        in_function = np.bincount(group, weights=function[word], minlength=groups)
        share = np.bincount(group, weights=known[word], minlength=groups) / count
        keys.append(share + 0.1 * in_function)
        shares.append(share)
    finnish = keys[_FI] >= keys[_EN]
    best = np.where(finnish, _FI, _EN)
    return np.where(np.where(finnish, shares[_FI], shares[_EN]) < 0.5, _OTHER, best)


def _negated_scores(
    sentences: np.ndarray, corpus: Corpus, value: np.ndarray, negator: np.ndarray
) -> dict[int, int]:
    """Scores of sentences holding a negator: the negation window runs word by word."""
    coordinator = np.array([w in COORDINATORS for w in corpus.words], dtype=bool)
    is_coordinator = coordinator[corpus.token_word].tolist() if corpus.words else []
    lows = np.searchsorted(corpus.token_sentence, sentences, side="left").tolist()
    highs = np.searchsorted(corpus.token_sentence, sentences, side="right").tolist()
    values = value.tolist()
    negators = negator.tolist()
    out: dict[int, int] = {}
    for sentence, low, high in zip(sentences.tolist(), lows, highs, strict=True):
        total, negated_until = 0, -1
        for j in range(low, high):
            if negators[j]:
                negated_until = j + NEGATION_WINDOW
            elif is_coordinator[j] and j <= negated_until:
                # "no outage or problem": the negation carries over a coordinated list
                negated_until = j + 2
            elif values[j]:
                total += -values[j] if j <= negated_until else values[j]
        out[sentence] = total
    return out


def _aspects(
    hits: Hits,
    closure: list[list[int]],
    direction: np.ndarray,
    sentence_score: np.ndarray,
    codes: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sentiment of each (comment, code) mention, in the order the codes were first met.

    A mention's sentences are those of its hits (a parent's: those of its children's);
    positive/negative/mixed from their scores, else the code's own direction when the
    hits carry exactly one.
    """
    lengths = np.array([len(c) for c in closure], np.int64)
    targets = np.array([t for c in closure for t in c], np.int64)
    offsets = np.cumsum(lengths) - lengths
    per_hit = lengths[hits.code]
    hit = np.repeat(np.arange(hits.code.size), per_hit)
    within = np.arange(hit.size) - np.repeat(np.cumsum(per_hit) - per_hit, per_hit)
    target = targets[offsets[hits.code[hit]] + within]
    key = hits.comment[hit] * codes + target
    keys, first = np.unique(key, return_index=True)
    place = np.searchsorted(keys, key)
    sentences = np.unique(place * sentence_score.size + hits.sentence[hit])
    owner, sentence = np.divmod(sentences, sentence_score.size)
    positive = np.bincount(owner, weights=sentence_score[sentence] > 0, minlength=keys.size)
    negative = np.bincount(owner, weights=sentence_score[sentence] < 0, minlength=keys.size)
    label = _labels(positive, negative)
    way = direction[hits.code[hit]]
    ways = np.unique(place[way > 0] * 3 + way[way > 0])
    n_ways = np.bincount(ways // 3, minlength=keys.size)
    single = np.zeros(keys.size, np.int64)
    single[ways // 3] = ways % 3
    fallback = (label == "neutral") & (n_ways == 1)
    label[fallback] = np.array(["", "positive", "negative"], dtype=object)[single[fallback]]
    order = np.argsort(first, kind="stable")
    comment, code = np.divmod(keys[order], codes)
    return comment, code, label[order]


def _frame(columns: dict[str, list[Any]]) -> pd.DataFrame:
    """A frame from equal-length columns; with no rows, object columns (not float)."""
    if not next(iter(columns.values())):
        return pd.DataFrame(columns=list(columns))
    return pd.DataFrame(columns)


def code_comments(
    texts: Any,
    codebook: Codebook,
    *,
    language: Any = None,
    forms: BaseForms | None = None,
    cache_dir: str | Path | None = None,
) -> Coding:
    """Code comments with a codebook: themes, evidence, sentiment, language.

    Parameters
    ----------
    texts : Series or sequence of str
        The comments; a Series keeps its index in every output. None/NaN count as empty.
    codebook : Codebook
        From :func:`cxresearch.load_codebook`.
    language : {"fi", "en"}, Series or None, optional
        The language of every comment, or one per comment (blank = detect), or None to
        detect all.
    forms : BaseForms, optional
        Base-form look-ups to reuse; by default one is made with ``cache_dir``.
    cache_dir : path-like, optional
        Folder of the project's base-form cache (e.g. ``<project>/.cache/cxresearch``).

    Returns
    -------
    Coding

    Examples
    --------
    >>> from cxresearch.qual.codebook import codebook_from_mapping
    >>> book = codebook_from_mapping({"name": "demo", "codes": [
    ...     {"code": "billing", "label": {"en": "Billing"},
    ...      "rules": {"fi": {"words": ["laskutus", "lasku"]}, "en": {"words": ["invoice"]}}}]})
    >>> coding = code_comments(["Laskussa oli virhe.", "Invoices are late", ""], book)
    >>> coding.codes["billing"].tolist(), coding.status.tolist()
    ([True, True, False], ['coded', 'coded', 'empty'])
    """
    if not isinstance(codebook, Codebook):
        raise TypeError(f"codebook must be a Codebook (load_codebook), got {type(codebook)}")
    series = _as_series(texts)
    given = _languages(language, series.index)
    forms = forms if forms is not None else BaseForms(cache_dir)
    names = codebook.names
    position = {name: j for j, name in enumerate(names)}
    closure = [[position[name], *(position[a] for a in codebook.ancestors(name))] for name in names]
    direction = np.array([_DIRECTIONS[c.sentiment] for c in codebook], np.int64)
    n = len(series)
    ids = series.index.tolist()

    texts_ = [normalise_text(raw) for raw in series.tolist()]
    corpus = build_corpus(texts_)
    characters = np.fromiter(map(len, texts_), dtype=np.int64, count=n)
    has_words = corpus.counts(corpus.token_comment) > 0

    # Language of each comment: given, else detected from its words.
    lang = np.full(n, _NONE, dtype=np.int64)
    given_code = np.array(
        [_NONE if v is None else LANGUAGES.index(v) for v in given.tolist()], np.int64
    )
    lang[has_words] = given_code[has_words]
    detected = has_words & (given_code == _NONE)
    if detected.any():
        chosen = np.flatnonzero(detected)
        in_chosen = detected[corpus.token_comment]
        group = np.searchsorted(chosen, corpus.token_comment[in_chosen])
        lang[chosen] = _detect(corpus, corpus.token_word[in_chosen], group, chosen.size, forms)
    coded = (lang == _FI) | (lang == _EN)

    # Each sentence in its own language when it clearly is the other one.
    sentence_comment = corpus.sentence_comment
    sentence_lang = lang[sentence_comment]
    multi = coded & (np.diff(corpus.first_sentence) > 1)
    sentence_words = np.bincount(corpus.token_sentence, minlength=sentence_comment.size)
    candidates = np.flatnonzero(multi[sentence_comment] & (sentence_words >= 2))
    if candidates.size:
        in_candidate = np.zeros(sentence_comment.size, dtype=bool)
        in_candidate[candidates] = True
        tokens = in_candidate[corpus.token_sentence]
        group = np.searchsorted(candidates, corpus.token_sentence[tokens])
        guess = _detect(corpus, corpus.token_word[tokens], group, candidates.size, forms)
        switch = (guess != _OTHER) & (guess != sentence_lang[candidates])
        sentence_lang[candidates[switch]] = guess[switch]
    in_multi = multi[sentence_comment]
    mixed = np.ones(n, dtype=bool)
    for code in (_FI, _EN):  # sentences in both languages (all may have switched)
        mixed &= np.bincount(sentence_comment[in_multi & (sentence_lang == code)], minlength=n) > 0

    used = sorted({int(v) for v in sentence_lang[coded[sentence_comment]]})
    tables = {LANGUAGES[v]: rule_tables(codebook, LANGUAGES[v], forms) for v in used}
    coded_token = coded[corpus.token_comment]
    pair = np.where(coded_token, corpus.token_word * 2 + sentence_lang[corpus.token_sentence], 0)
    seen = np.bincount(pair[coded_token], minlength=2 * len(corpus.words))
    words = word_tables(corpus, np.flatnonzero(seen), tables, forms, position)

    # Sentiment: lexicon sums per sentence; sentences with a negator word by word.
    value = np.where(coded_token, words.value[pair], 0)
    negator = coded_token & words.negator[pair]
    negated = np.unique(corpus.token_sentence[negator])
    plain = coded_token & ~np.isin(corpus.token_sentence, negated)
    sentence_score = np.bincount(
        corpus.token_sentence[plain], weights=value[plain], minlength=sentence_comment.size
    )
    for sentence, total in _negated_scores(negated, corpus, value, negator).items():
        sentence_score[sentence] = total
    emoji_coded = coded[corpus.emoji_comment]
    sentence_score += np.bincount(
        corpus.emoji_sentence[emoji_coded],
        weights=corpus.emoji_value[emoji_coded],
        minlength=sentence_comment.size,
    )
    in_coded = coded[sentence_comment]
    # float, also when there are no sentences (bincount gives int64 for no weights at all)
    score = np.bincount(
        sentence_comment[in_coded], weights=sentence_score[in_coded], minlength=n
    ).astype(float)
    positive = np.bincount(
        sentence_comment, weights=in_coded & (sentence_score > 0), minlength=n
    ).astype(float)
    negative = np.bincount(
        sentence_comment, weights=in_coded & (sentence_score < 0), minlength=n
    ).astype(float)
    # Comments without words: their emoji alone.
    emoji_empty = ~has_words[corpus.emoji_comment]
    where, values = corpus.emoji_comment[emoji_empty], corpus.emoji_value[emoji_empty]
    score += np.bincount(where, weights=values, minlength=n)
    positive += np.bincount(where, weights=values > 0, minlength=n)
    negative += np.bincount(where, weights=values < 0, minlength=n)
    labels = _labels(positive, negative)

    hits = find_hits(corpus, coded_token, pair, words, coded, sentence_lang, tables, position)
    direct = np.zeros((n, len(names)), dtype=np.int64)
    direct[hits.comment, hits.code] = 1
    closure_matrix = np.zeros((len(names), len(names)), dtype=np.int64)
    for j, targets in enumerate(closure):
        closure_matrix[j, targets] = 1
    matrix = (direct @ closure_matrix) > 0
    any_hit = direct.any(axis=1)

    status = np.full(n, "empty", dtype=object)
    status[has_words & (lang == _OTHER)] = "other-language"
    status[coded & any_hit] = "coded"
    status[coded & ~any_hit] = "uncoded"
    used_language = [_LANGUAGE_NAMES[v] if v != _NONE else None for v in lang.tolist()]

    name_of = np.array(names, dtype=object)
    a_comment, a_code, a_label = _aspects(hits, closure, direction, sentence_score, len(names))
    aspects = {
        "id": [ids[i] for i in a_comment.tolist()],
        "code": name_of[a_code].tolist(),
        "sentiment": a_label.tolist(),
    }
    # Column by column: a list of row tuples cost about 75 MB more at 100,000 comments.
    joined = corpus.joined
    evidence = {
        "id": [ids[i] for i in hits.comment.tolist()],
        "code": name_of[hits.code].tolist(),
        "rule": hits.rule.tolist(),
        "rule_text": hits.source.tolist(),
        "matched": [
            joined[a:b] for a, b in zip(hits.start.tolist(), hits.end.tolist(), strict=True)
        ],
        "sentence": (hits.sentence - corpus.first_sentence[hits.comment]).tolist(),
    }
    del hits, corpus, joined
    forms.save()
    index = series.index
    return Coding(
        codes=pd.DataFrame(matrix, index=index, columns=names),
        evidence=_frame(evidence).drop_duplicates(ignore_index=True),
        sentiment=pd.DataFrame({"score": score, "label": labels.tolist()}, index=index),
        aspects=_frame(aspects),
        language=pd.Series(used_language, index=index, dtype=object, name="language"),
        language_detected=pd.Series(detected, index=index, name="language_detected"),
        mixed_language=pd.Series(mixed, index=index, name="mixed_language"),
        status=pd.Series(status.tolist(), index=index, dtype=object, name="status"),
        characters=pd.Series(characters, index=index, name="characters"),
        codebook=codebook.name,
    )


def codes_from_lists(
    lists: Mapping[Any, Iterable[str]] | pd.Series, codebook: Codebook
) -> pd.DataFrame:
    """A boolean codes frame (parents filled in) from lists of codes per comment.

    Used for reference codings and coder sheets, so every coding is compared on the same
    footing as :func:`code_comments`' output.

    Raises
    ------
    ValueError
        A code that is not in the codebook (named, with the first ids that use it).
    """
    series = lists if isinstance(lists, pd.Series) else pd.Series(dict(lists), dtype=object)
    names = codebook.names
    known = set(names)
    frame = pd.DataFrame(False, index=series.index, columns=names)
    unknown: dict[str, list[Any]] = {}
    for key, codes in series.items():
        for code in codes or ():
            if code not in known:
                unknown.setdefault(code, []).append(key)
                continue
            frame.at[key, code] = True
            for parent in codebook.ancestors(code):
                frame.at[key, parent] = True
    if unknown:
        detail = "; ".join(f"{c!r} (ids {ids[:5]})" for c, ids in sorted(unknown.items()))
        raise ValueError(f"codes not in codebook {codebook.name!r}: {detail}")
    return frame
