"""Text normalisation for Finnish and English comments: tokens, base forms, language.

Finnish inflects heavily (``lasku``, ``laskun``, ``laskuun``, ``laskussa`` …) and builds
compounds (``pakettiautomaatti``), so the coder matches words on their base forms. Base
forms come from simplemma (MIT, offline, dictionaries shipped in the wheel). It was chosen
over Voikko by measurement (``benchmarks/bench_lemmatiser.py``, README): Voikko is more
accurate and faster, but Debian's libvoikko and its Finnish dictionary voikko-fi are GPL,
which an MIT project cannot depend on at run time. Compounds are handled in the coder by
matching a rule word as the head (end) of a longer base form, which is how Finnish
compounds are built.

simplemma needs a few seconds and about 400 MB to load its Finnish dictionary, so base
forms are cached per project in a JSON file keyed by the simplemma version
(:class:`BaseForms`): a report that meets only known words never loads the dictionary.

Language detection (for rows whose ``language`` is blank) counts the share of a comment's
words that each language's dictionary knows, after a short list of function words that
settle most comments at once; a comment that neither language knows is ``"other"``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = [
    "LANGUAGES",
    "BaseForms",
    "Token",
    "detect_language",
    "normalise_text",
    "tokenise",
]

LANGUAGES = ("fi", "en")
# Letters (any script) with inner apostrophes or hyphens split off; digits are not words.
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _words(text: str) -> frozenset[str]:
    # Word lists are written as text: they read (and diff) better than list literals.
    return frozenset(text.split())


# Function words that decide most comments without a dictionary.
_FUNCTION_WORDS = {
    "fi": _words(
        "ja on ei oli olen en ole että se ne mutta kun jo vain myös tai kuin niin "
        "ovat olisi minä minulle minua meille teidän te kaikki mitään ollut oli "
        "aina vielä hyvin liian koko ihan tosi todella"
    ),
    "en": _words(
        "the and is was not a an of to in it i my you your we our for with on at "
        "this that are be been have has had but or no very too all"
    ),
}


@dataclass(frozen=True)
class Token:
    """A word of a comment: its case-folded text and where it sits in the normalised text."""

    text: str
    start: int
    end: int


def normalise_text(text: Any) -> str:
    """Unicode NFC, control characters removed, whitespace collapsed; None/NaN -> ``""``.

    Examples
    --------
    >>> normalise_text("  Hinta\\u0308  on\\tkova ")
    'Hintä on kova'
    """
    if text is None or (isinstance(text, float) and text != text):
        return ""
    value = unicodedata.normalize("NFC", str(text))
    value = _CONTROL.sub(" ", value)
    return " ".join(value.split())


def tokenise(text: str) -> list[Token]:
    """Case-folded words of a normalised text with their character spans.

    Hyphenated compounds (``hinta-laatusuhde``) give their parts; numbers, punctuation and
    emoji are not words.

    Examples
    --------
    >>> [t.text for t in tokenise("Hinta-laatusuhde EI ole kohdallaan!")]
    ['hinta', 'laatusuhde', 'ei', 'ole', 'kohdallaan']
    """
    return [Token(m.group().casefold(), m.start(), m.end()) for m in _WORD.finditer(text)]


def _simplemma_version() -> str:
    try:
        return metadata.version("simplemma")
    except metadata.PackageNotFoundError:  # pragma: no cover - it is a dependency
        return "unknown"


class BaseForms:
    """Base forms (lemmas) of words per language, cached per project.

    Parameters
    ----------
    cache_dir : path-like, optional
        Folder for the cache file ``baseforms-simplemma-<version>.json`` (the project's
        ``.cache/cxresearch``). None keeps the cache in memory only.

    Notes
    -----
    The cache maps ``"<lang>:<word>"`` to ``[base form, known]`` where ``known`` says
    whether the language's dictionary has the word (used by :func:`detect_language`).
    A new simplemma version uses a new file, so stale base forms are never mixed in.

    Examples
    --------
    >>> forms = BaseForms()
    >>> forms.base_form("laskuun", "fi")
    'lasku'
    """

    def __init__(self, cache_dir: str | os.PathLike[str] | None = None) -> None:
        self.version = _simplemma_version()
        self.path = (
            None
            if cache_dir is None
            else Path(cache_dir) / f"baseforms-simplemma-{self.version}.json"
        )
        self._cache: dict[str, list[Any]] = {}
        self._new = 0
        self.loaded_dictionary = False
        if self.path is not None and self.path.is_file():
            try:
                self._cache = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                # A damaged cache is rebuilt, never trusted.
                self._cache = {}

    def __len__(self) -> int:
        return len(self._cache)

    def _lookup(self, word: str, lang: str) -> list[Any]:
        key = f"{lang}:{word}"
        hit = self._cache.get(key)
        if hit is None:
            import simplemma  # loaded only when a word is not cached (a few seconds)

            self.loaded_dictionary = True
            lemma = simplemma.lemmatize(word, lang=lang).casefold()
            hit = [lemma, bool(simplemma.is_known(word, lang=lang))]
            self._cache[key] = hit
            self._new += 1
        return hit

    def base_form(self, word: str, lang: str) -> str:
        """The base form of a case-folded ``word`` in ``lang`` (``"fi"`` or ``"en"``)."""
        if lang not in LANGUAGES:
            raise ValueError(f"lang must be one of {LANGUAGES}, got {lang!r}")
        return str(self._lookup(word, lang)[0])

    def known(self, word: str, lang: str) -> bool:
        """Whether ``lang``'s dictionary knows ``word`` (any inflected form)."""
        return bool(self._lookup(word, lang)[1])

    def base_forms(self, words: Iterable[str], lang: str) -> list[str]:
        """Base forms of many words (one dictionary load at most)."""
        return [self.base_form(w, lang) for w in words]

    def save(self) -> Path | None:
        """Write the cache if it grew (atomically, so parallel reports never read half a file)."""
        if self.path is None or not self._new:
            return None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        merged = dict(self._cache)
        if self.path.is_file():
            with contextlib.suppress(OSError, ValueError):  # a damaged file is replaced
                merged = {**json.loads(self.path.read_text(encoding="utf-8")), **merged}
        handle, tmp = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(merged, out, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the cache is the project's
        os.replace(tmp, self.path)
        self._new = 0
        return self.path


def detect_language(
    tokens: list[str], forms: BaseForms, *, minimum: float = 0.5
) -> tuple[str | None, float]:
    """Guess whether case-folded words are Finnish or English.

    Parameters
    ----------
    tokens : list of str
        The comment's words (:func:`tokenise`).
    forms : BaseForms
        Dictionary look-ups (cached).
    minimum : float, optional
        Share of words the winning language must know; below it the comment is
        ``"other"`` (a third language, or gibberish).

    Returns
    -------
    language : {"fi", "en", "other"} or None
        None for a comment without words (empty, only emoji or numbers).
    share : float
        The winning language's share of known words (0-1).

    Examples
    --------
    >>> detect_language(["toimitus", "myöhästyi", "taas"], BaseForms())[0]
    'fi'
    """
    if not tokens:
        return None, 0.0
    function: dict[str, int] = {}
    shares: dict[str, float] = {}
    for lang in LANGUAGES:
        words = _FUNCTION_WORDS[lang]
        function[lang] = sum(1 for t in tokens if t in words)
        known = sum(1 for t in tokens if t in words or forms.known(t, lang))
        shares[lang] = known / len(tokens)
    # Function words break ties between dictionaries that both know short words.
    best = max(LANGUAGES, key=lambda lang: (shares[lang] + 0.1 * function[lang], lang == "fi"))
    if shares[best] < minimum:
        return "other", shares[best]
    return best, shares[best]
