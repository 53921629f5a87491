"""Codebook rules matched against a whole corpus of comments at once.

The rules of one codebook in one language (:class:`RuleTables`): rule words by base form,
Finnish compound heads and modifiers, phrases by their first base form, regular
expressions, and the sentiment lexicon. :func:`word_tables` looks up everything that
depends on a word alone (base form, rule matches, sentiment value, negator) once per
distinct (word, language) of the corpus, and :func:`find_hits` turns those tables into
every rule match of every comment, in the order the evidence lists them: by comment, then
word and phrase hits by word, then pattern hits. Used by
:func:`cxresearch.qual.coding.code_comments`.

The matching itself:

- a rule word matches a word with the same base form, and (in Finnish) a compound whose
  head or modifier it is, when the rest is at least three letters (``automaatti`` matches
  ``pakettiautomaatilla``); a word is also matched as written, because the dictionary
  may over-cut it;
- a phrase matches its base forms in order within one sentence;
- a pattern is searched in the normalised comment, and counts in the sentences of its
  language.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cxresearch.qual.codebook import Codebook
from cxresearch.qual.corpus import Corpus
from cxresearch.qual.normalise import LANGUAGES, BaseForms
from cxresearch.qual.sentiment import LEXICON, NEGATORS

__all__ = ["Hits", "RuleTables", "WordTables", "find_hits", "rule_tables", "word_tables"]

_MIN_COMPOUND_PART = 3  # letters left over when a rule word is a compound's head/modifier
_MIN_COMPOUND_RULE = 4  # shorter rule words match whole words only


@dataclass
class RuleTables:
    """Matching tables of one codebook in one language, filled lazily per base form."""

    words: dict[str, list[tuple[str, str]]]
    compound_rules: list[tuple[str, str, str]]
    phrases: dict[str, list[tuple[tuple[str, ...], str, str]]]
    patterns: list[tuple[Any, str, str]]
    lexicon_surface: dict[str, int]
    lexicon_base: dict[str, int]
    negators: frozenset[str]
    memo: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)

    def word_matches(self, base: str) -> tuple[tuple[str, str], ...]:
        hit = self.memo.get(base)
        if hit is None:
            found = list(self.words.get(base, ()))
            for rule, code, source in self.compound_rules:
                if len(base) - len(rule) >= _MIN_COMPOUND_PART and (
                    base.endswith(rule) or base.startswith(rule)
                ):
                    found.append((code, source))
            hit = self.memo[base] = tuple(dict.fromkeys(found))
        return hit


def rule_tables(book: Codebook, lang: str, forms: BaseForms) -> RuleTables:
    words: dict[str, list[tuple[str, str]]] = {}
    compounds: list[tuple[str, str, str]] = []
    phrases: dict[str, list[tuple[tuple[str, ...], str, str]]] = {}
    patterns: list[tuple[Any, str, str]] = []
    for code in book:
        rules = code.rules.get(lang)
        if rules is None:
            continue
        for base, source in zip(rules.words, rules.word_sources, strict=True):
            words.setdefault(base, []).append((code.code, source))
            if lang == "fi" and len(base) >= _MIN_COMPOUND_RULE:
                compounds.append((base, code.code, source))
        for phrase, source in zip(rules.phrases, rules.phrase_sources, strict=True):
            phrases.setdefault(phrase[0], []).append((phrase, code.code, source))
        patterns += [(p, code.code, p.pattern) for p in rules.patterns]
    surface = LEXICON[lang]
    # Dictionary forms first: a base form shared with another word (ongelmitta -> ongelma)
    # must not override the word's own polarity.
    base_scores: dict[str, int] = dict(surface)
    for word, score in surface.items():
        base_scores.setdefault(forms.base_form(word, lang), score)
    # Negators are matched as written: their base forms ("isn't" -> "be") are not negations.
    negators = NEGATORS[lang]
    return RuleTables(words, compounds, phrases, patterns, surface, base_scores, negators)


@dataclass
class WordTables:
    """What each (word, language) pair of the corpus means, indexed by ``2 * word + lang``."""

    base: np.ndarray  # id of the base form (index into base_forms), -1 when not looked up
    base_forms: list[str]
    value: np.ndarray
    negator: np.ndarray
    found_start: np.ndarray
    found_count: np.ndarray
    found_code: np.ndarray
    found_source: np.ndarray


def word_tables(
    corpus: Corpus,
    pairs: np.ndarray,
    tables: dict[str, RuleTables],
    forms: BaseForms,
    position: Mapping[str, int],
) -> WordTables:
    """Base form, rule matches and sentiment of each distinct (word, language) once."""
    size = 2 * len(corpus.words)
    value = np.zeros(size, dtype=np.int64)
    negator = np.zeros(size, dtype=bool)
    start = np.zeros(size, dtype=np.int64)
    count = np.zeros(size, dtype=np.int64)
    codes: list[int] = []
    sources: list[str] = []
    base_id = np.full(size, -1, dtype=np.int64)
    base_forms: dict[str, int] = {}
    for pair in pairs.tolist():
        word, lang_code = corpus.words[pair // 2], pair % 2
        lang = LANGUAGES[lang_code]
        table = tables[lang]
        base = forms.base_form(word, lang)
        base_id[pair] = base_forms.setdefault(base, len(base_forms))
        found = table.word_matches(base)
        if word != base:  # the word as written too (the dictionary may over-cut it)
            found = tuple(dict.fromkeys((*found, *table.word_matches(word))))
        start[pair], count[pair] = len(codes), len(found)
        codes += [position[code] for code, _ in found]
        sources += [source for _, source in found]
        value[pair] = table.lexicon_surface.get(word) or table.lexicon_base.get(base, 0)
        negator[pair] = word in table.negators
    return WordTables(
        base_id,
        list(base_forms),
        value,
        negator,
        start,
        count,
        np.asarray(codes, dtype=np.int64),
        np.asarray(sources, dtype=object),
    )


@dataclass
class Hits:
    """Rule matches in evidence order (comment, then word/phrase by token, then patterns)."""

    comment: np.ndarray
    code: np.ndarray
    rule: np.ndarray
    source: np.ndarray
    start: np.ndarray
    end: np.ndarray
    sentence: np.ndarray  # global sentence id


def _phrase_hits(
    corpus: Corpus,
    coded_token: np.ndarray,
    pair: np.ndarray,
    words: WordTables,
    tables: dict[str, RuleTables],
) -> list[tuple[int, int, str, str, int]]:
    """Phrases: their base forms in order within one sentence, found phrase by phrase.

    Rows are (first token, the phrase's place among those starting with its first base
    form, code, rule text, end), which is the order the per-word loop listed them in.
    """
    rows: list[tuple[int, int, str, str, int]] = []
    index = {base: j for j, base in enumerate(words.base_forms)}
    token_base = np.where(coded_token, words.base[pair], -1)
    token_lang = pair % 2
    sentence = corpus.token_sentence
    size = token_base.size
    for lang, table in tables.items():
        in_lang = coded_token & (token_lang == LANGUAGES.index(lang))
        for first, entries in table.phrases.items():
            if first not in index:
                continue
            starts = np.flatnonzero(in_lang & (token_base == index[first]))
            for sub, (phrase, code, source) in enumerate(entries):
                ids = [index.get(base, -2) for base in phrase]
                found = starts[starts + len(phrase) <= size]
                for m in range(1, len(phrase)):
                    found = found[
                        (token_base[found + m] == ids[m]) & (sentence[found + m] == sentence[found])
                    ]
                end = corpus.token_end[found + len(phrase) - 1]
                rows += [
                    (j, sub, code, source, e)
                    for j, e in zip(found.tolist(), end.tolist(), strict=True)
                ]
    return rows


def _token_hits(
    corpus: Corpus,
    coded_token: np.ndarray,
    pair: np.ndarray,
    words: WordTables,
    tables: dict[str, RuleTables],
) -> list[tuple[np.ndarray, ...]]:
    """Word hits (vectorised) and phrase hits (only at words that start a phrase)."""
    count = np.where(coded_token, words.found_count[pair], 0)
    token = np.repeat(np.arange(count.size), count)
    within = np.arange(token.size) - np.repeat(np.cumsum(count) - count, count)
    flat = words.found_start[pair[token]] + within
    parts: list[tuple[np.ndarray, ...]] = [
        (
            token,
            np.zeros(token.size, np.int64),
            within,
            words.found_code[flat],
            np.full(token.size, "word", dtype=object),
            words.found_source[flat],
            corpus.token_end[token],
        )
    ]
    rows = _phrase_hits(corpus, coded_token, pair, words, tables)
    if rows:
        token_p, sub_p, code_p, source_p, end_p = map(list, zip(*rows, strict=True))
        parts.append(
            (
                np.asarray(token_p, np.int64),
                np.ones(len(rows), np.int64),
                np.asarray(sub_p, np.int64),
                np.asarray(code_p, dtype=object),
                np.full(len(rows), "phrase", dtype=object),
                np.asarray(source_p, dtype=object),
                np.asarray(end_p, np.int64),
            )
        )
    return parts


def _pattern_hits(
    corpus: Corpus, coded: np.ndarray, sentence_lang: np.ndarray, tables: dict[str, RuleTables]
) -> list[tuple[Any, ...]]:
    """Regular-expression hits, searched in the comments with a sentence in their language.

    The languages are taken in ``LANGUAGES`` order (the per-comment loop used a set, whose
    order changed with Python's string hashing from one process to the next).
    """
    rows: list[tuple[Any, ...]] = []
    with_patterns = [lang for lang in LANGUAGES if lang in tables and tables[lang].patterns]
    if not with_patterns:
        return rows
    for i in np.flatnonzero(coded).tolist():
        first, last = int(corpus.first_sentence[i]), int(corpus.first_sentence[i + 1])
        offset = int(corpus.offsets[i])
        starts = (corpus.sentence_start[first:last] - offset).tolist()
        langs = sentence_lang[first:last].tolist()
        order = 0
        for lang in with_patterns:
            code_of = LANGUAGES.index(lang)
            if code_of not in langs:
                continue
            for pattern, code, source in tables[lang].patterns:
                for m in pattern.finditer(corpus.texts[i]):
                    k = max(bisect.bisect_right(starts, m.start()) - 1, 0)
                    if langs[k] == code_of:
                        start, end = m.start() + offset, m.end() + offset
                        rows.append((i, order, code, source, start, end, first + k))
                        order += 1
    return rows


def find_hits(
    corpus: Corpus,
    coded_token: np.ndarray,
    pair: np.ndarray,
    words: WordTables,
    coded: np.ndarray,
    sentence_lang: np.ndarray,
    tables: dict[str, RuleTables],
    position: Mapping[str, int],
) -> Hits:
    """Every rule match, sorted as the evidence lists them."""
    comment, phase, seq, kind, sub, code, rule, source, start, end, sentence = (
        [] for _ in range(11)
    )
    for token, kind_t, sub_t, code_t, rule_t, source_t, end_t in _token_hits(
        corpus, coded_token, pair, words, tables
    ):
        comment.append(corpus.token_comment[token])
        phase.append(np.zeros(token.size, np.int64))
        seq.append(token)
        kind.append(kind_t)
        sub.append(sub_t)
        code.append(
            code_t if code_t.dtype != object else np.array([position[c] for c in code_t], np.int64)
        )
        rule.append(rule_t)
        source.append(source_t)
        start.append(corpus.token_start[token])
        end.append(end_t)
        sentence.append(corpus.token_sentence[token])
    patterns = _pattern_hits(corpus, coded, sentence_lang, tables)
    if patterns:
        i_p, order_p, code_p, source_p, start_p, end_p, sentence_p = map(
            np.asarray, zip(*patterns, strict=True)
        )
        size = len(patterns)
        comment.append(i_p.astype(np.int64))
        phase.append(np.ones(size, np.int64))
        seq.append(order_p.astype(np.int64))
        kind.append(np.zeros(size, np.int64))
        sub.append(np.zeros(size, np.int64))
        code.append(np.array([position[c] for c in code_p.tolist()], np.int64))
        rule.append(np.full(size, "pattern", dtype=object))
        source.append(source_p.astype(object))
        start.append(start_p.astype(np.int64))
        end.append(end_p.astype(np.int64))
        sentence.append(sentence_p.astype(np.int64))
    joined = [np.concatenate(v) for v in (comment, phase, seq, kind, sub)]
    order = np.lexsort(joined[::-1])
    return Hits(
        *(np.concatenate(v)[order] for v in (comment, code, rule, source, start, end, sentence))
    )
