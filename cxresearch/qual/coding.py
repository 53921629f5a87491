"""Automatic coding of comments with a codebook: themes, evidence and sentiment.

:func:`code_comments` reads each comment once: normalise, split into sentences and words,
find each sentence's language (so a mixed Finnish/English comment is coded in both), take
base forms, then match the codebook's rules:

- a rule word matches a word with the same base form, and (in Finnish) a compound whose
  head or modifier it is, when the rest is at least three letters (``automaatti`` matches
  ``pakettiautomaatilla``, ``laskutus`` matches ``laskutusvirhe``);
- a phrase matches its base forms in order (``ei vastata`` covers ``ei vastattu``);
- a pattern is a regular expression searched in the normalised text.

Matching is done once per distinct base form and memoised, so 100,000 comments cost
about as much as their distinct words. Every match is kept as evidence (comment, code,
rule, matched text) so a researcher can audit why a comment was coded. A parent code is
true when any of its children is.

Nothing is dropped: empty and emoji-only comments, comments in a third language and very
long comments are kept in every output with a status and counted (:meth:`Coding.counts`).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxresearch.qual.codebook import Codebook
from cxresearch.qual.normalise import (
    LANGUAGES,
    BaseForms,
    detect_language,
    normalise_text,
    tokenise,
)
from cxresearch.qual.sentiment import (
    COORDINATORS,
    EMOJI,
    EMOJI_PATTERN,
    LEXICON,
    NEGATION_WINDOW,
    NEGATORS,
    split_sentences,
)

__all__ = ["LONG_COMMENT", "STATUSES", "Coding", "code_comments"]

#: Comments longer than this many characters are coded in full and counted as long.
LONG_COMMENT = 5_000
STATUSES = ("coded", "uncoded", "empty", "other-language")
_MIN_COMPOUND_PART = 3  # letters left over when a rule word is a compound's head/modifier
_MIN_COMPOUND_RULE = 4  # shorter rule words match whole words only


@dataclass
class _Language:
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


def _tables(book: Codebook, lang: str, forms: BaseForms) -> _Language:
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
    return _Language(words, compounds, phrases, patterns, surface, base_scores, negators)


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


def _remember(memo: dict[str, dict[str, str]], forms: BaseForms, word: str, lang: str) -> str:
    # A plain dict per language in front of the cache: most words repeat many times.
    base = memo[lang][word] = forms.base_form(word, lang)
    return base


def _label(positive: int, negative: int) -> str:
    if positive and negative:
        return "mixed"
    if positive:
        return "positive"
    return "negative" if negative else "neutral"


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
    tables: dict[str, _Language] = {}
    names = codebook.names
    position = {name: j for j, name in enumerate(names)}
    ancestors = {name: [position[a] for a in codebook.ancestors(name)] for name in names}
    direction = {c.code: c.sentiment for c in codebook}

    n = len(series)
    memo: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
    matrix = np.zeros((n, len(names)), dtype=bool)
    evidence: list[tuple[Any, ...]] = []
    aspects: list[tuple[Any, str, str]] = []
    score = np.zeros(n)
    labels: list[str] = ["neutral"] * n
    used_language: list[str | None] = [None] * n
    detected = np.zeros(n, dtype=bool)
    mixed = np.zeros(n, dtype=bool)
    status = ["empty"] * n
    characters = np.zeros(n, dtype=np.int64)
    ids = series.index.tolist()

    for i, raw in enumerate(series.tolist()):
        text = normalise_text(raw)
        characters[i] = len(text)
        tokens = tokenise(text)
        emoji = [(m.start(), EMOJI[m.group()]) for m in EMOJI_PATTERN.finditer(text)]
        if not tokens:
            status[i] = "empty"
            positive = sum(s > 0 for _, s in emoji)
            negative = sum(s < 0 for _, s in emoji)
            score[i] = sum(s for _, s in emoji)
            labels[i] = _label(positive, negative)
            continue
        words = [t.text for t in tokens]
        lang: str | None = given.iat[i]  # type: ignore[assignment]
        if lang is None:
            lang, _ = detect_language(words, forms)
            detected[i] = True
        used_language[i] = lang
        if lang is None or lang == "other":
            status[i] = "other-language"
            continue
        spans = split_sentences(text)
        starts = [a for a, _ in spans]
        sentence_of = [max(bisect.bisect_right(starts, t.start) - 1, 0) for t in tokens]
        # Each sentence in its own language when it clearly is the other one.
        sentence_lang = [lang] * len(spans)
        if len(spans) > 1:
            by_sentence: list[list[str]] = [[] for _ in spans]
            for w, k in zip(words, sentence_of, strict=True):
                by_sentence[k].append(w)
            for s, own in enumerate(by_sentence):
                guess, _ = detect_language(own, forms) if len(own) >= 2 else (None, 0.0)
                if guess in LANGUAGES and guess != lang:
                    sentence_lang[s] = guess
            mixed[i] = len(set(sentence_lang)) > 1
        base = [
            memo[sentence_lang[k]].get(w) or _remember(memo, forms, w, sentence_lang[k])
            for w, k in zip(words, sentence_of, strict=True)
        ]
        # plain lists: numpy on a handful of numbers per comment costs more than it saves
        sentence_scores = [0.0] * len(spans)
        hits: list[tuple[str, str, str, int, int, int]] = []
        negated_until = -1
        current = -1
        for j, (token, b, k) in enumerate(zip(tokens, base, sentence_of, strict=True)):
            table = tables.get(sentence_lang[k])
            if table is None:
                table = tables[sentence_lang[k]] = _tables(codebook, sentence_lang[k], forms)
            if k != current:
                current, negated_until = k, -1
            found = table.word_matches(b)
            if token.text != b:  # the word as written too (the dictionary may over-cut it)
                found = tuple(dict.fromkeys((*found, *table.word_matches(token.text))))
            for code, source in found:
                hits.append((code, "word", source, token.start, token.end, k))
            for phrase, code, source in table.phrases.get(b, ()):
                end = j + len(phrase)
                if tuple(base[j:end]) == phrase and all(sentence_of[m] == k for m in range(j, end)):
                    hits.append((code, "phrase", source, token.start, tokens[end - 1].end, k))
            value = table.lexicon_surface.get(token.text) or table.lexicon_base.get(b, 0)
            if token.text in table.negators:
                negated_until = j + NEGATION_WINDOW
            elif token.text in COORDINATORS and j <= negated_until:
                # "no outage or problem": the negation carries over a coordinated list
                negated_until = j + 2
            elif value:
                sentence_scores[k] += -value if j <= negated_until else value
        for start, value in emoji:
            sentence_scores[max(bisect.bisect_right(starts, start) - 1, 0)] += value
        for lang_k in set(sentence_lang):
            table = tables.get(lang_k) or tables.setdefault(
                lang_k, _tables(codebook, lang_k, forms)
            )
            for pattern, code, source in table.patterns:
                for m in pattern.finditer(text):
                    k = max(bisect.bisect_right(starts, m.start()) - 1, 0)
                    if sentence_lang[k] == lang_k:
                        hits.append((code, "pattern", source, m.start(), m.end(), k))
        positive = sum(v > 0 for v in sentence_scores)
        negative = sum(v < 0 for v in sentence_scores)
        score[i] = float(sum(sentence_scores))
        labels[i] = _label(positive, negative)
        if not hits:
            status[i] = "uncoded"
            continue
        status[i] = "coded"
        mentions: dict[str, set[int]] = {}
        directions: dict[str, set[str]] = {}
        for code, rule, source, start, end, k in hits:
            evidence.append((ids[i], code, rule, source, text[start:end], k))
            for target in (position[code], *ancestors[code]):
                matrix[i, target] = True
                mentions.setdefault(names[target], set()).add(k)
                way = direction[code]
                if way is not None:
                    directions.setdefault(names[target], set()).add(way)
        for name, sentences in mentions.items():
            values = [sentence_scores[k] for k in sentences]
            label = _label(sum(v > 0 for v in values), sum(v < 0 for v in values))
            if label == "neutral" and len(directions.get(name, ())) == 1:
                label = next(iter(directions[name]))
            aspects.append((ids[i], name, label))
    forms.save()
    index = series.index
    return Coding(
        codes=pd.DataFrame(matrix, index=index, columns=names),
        evidence=pd.DataFrame(
            evidence, columns=["id", "code", "rule", "rule_text", "matched", "sentence"]
        ).drop_duplicates(ignore_index=True),
        sentiment=pd.DataFrame({"score": score, "label": labels}, index=index),
        aspects=pd.DataFrame(aspects, columns=["id", "code", "sentiment"]),
        language=pd.Series(used_language, index=index, dtype=object, name="language"),
        language_detected=pd.Series(detected, index=index, name="language_detected"),
        mixed_language=pd.Series(mixed, index=index, name="mixed_language"),
        status=pd.Series(status, index=index, dtype=object, name="status"),
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
