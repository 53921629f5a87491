"""Lexicon sentiment for Finnish and English comments, sentence by sentence.

The method (documented so a reader can predict it):

1. The comment is split into sentences at ``. ! ? ;`` and line breaks, and into clauses
   at a contrast (``…, mutta …``, ``…, but …``).
2. Each word's base form is looked up in :data:`LEXICON` (+1 / -1, a few ±2 for strong
   words); emoji in :data:`EMOJI` count too.
3. A negator (``ei``, ``en``, … ``not``, ``no``, ``never``, ``without`` …) flips the
   polarity of the sentiment words in the next :data:`NEGATION_WINDOW` words (carried
   over ``or``/``tai`` lists, :data:`COORDINATORS`), so
   ``ei yhtään katkosta`` and ``not a single outage`` are praise and ``ei osannut auttaa``
   is a complaint.
4. A sentence is positive (score > 0), negative (< 0) or neutral; the comment is
   ``positive`` or ``negative`` when its sentences lean one way only, ``mixed`` when
   both occur, ``neutral`` when none carries sentiment.

The lexicon is a short CX vocabulary written for this package (service, speed, price,
ease, reliability, delivery and communication words in both languages), not a general
sentiment dictionary; :func:`cxresearch.code_comments` uses it per code mention (the
sentences where a code matched) and falls back to the code's own ``sentiment`` direction
when those sentences carry none.
"""

from __future__ import annotations

import re


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


__all__ = ["COORDINATORS", "EMOJI", "LEXICON", "NEGATION_WINDOW", "NEGATORS", "split_sentences"]

NEGATION_WINDOW = 4
# A sentence ends at . ! ? ; followed by white space (not inside "example.com" or "1.5"),
# or at a line break; a contrast ("…, mutta …", "…, but …") starts a new clause, because the
# two halves usually judge different things.
_BOUNDARY = re.compile(r"(?<=[.!?;])\s+|\n+|(?<=,)\s*(?=(?:mutta|but|however|kuitenkin)\b)", re.I)

_FI_POSITIVE = """
hyvä hyvin erinomainen loistava mahtava upea kiva mukava ihana ystävällinen asiantunteva
osaava avulias auttaa apu nopea nopeasti ripeä sujuva sujuvasti helppo helposti
helppokäyttöinen vaivaton vaivattomasti selkeä selkeästi reilu kohtuullinen edullinen
luotettava luotettavasti toimiva toimia tyytyväinen kiitos kiittää suositella ylittää onnistua
ratketa hoitua hoitaa täsmällinen ongelmitta ajallaan ajantasainen asiallinen kohdallaan
sovitusti perillä
"""
_FI_NEGATIVE = """
huono huonosti kehno surkea kamala hidas hitaasti kallis liikaa liian kauan vaikea hankala
sekava kankea monimutkainen epäselvä ristiriitainen tyly välinpitämätön töykeä virhe vika
ongelma katko katkos myöhästyä myöhässä kadota puutteellinen väärä pettynyt pettymys
valittaa valittaminen mahdoton joutua jonottaa pompotella lisämaksu ikuisuus turha turhan yllättää
epäonnistua kestää huijaus kohtuuton rikki rikkinäinen
"""
_EN_POSITIVE = """
good great excellent fantastic friendly knowledgeable helpful help quick quickly fast
smooth smoothly easy easily effortless clear fair reasonable cheap affordable reliable
reliably satisfied happy thanks thank lovely exceed recommend solve solved work works
expert arrive delivered agreed
"""
_EN_NEGATIVE = """
bad poor terrible awful slow slowly expensive wait long forever hard difficult confusing
clunky complicated needlessly unclear contradictory rude indifferent error fault problem
outage outages late lost wrong incomplete disappointed disappointing complaint complaints
impossible surprise fee fees unanswered hitch fail failed nobody useless
"""
_STRONG = {
    "erinomainen": 2,
    "loistava": 2,
    "mahtava": 2,
    "surkea": -2,
    "kamala": -2,
    "excellent": 2,
    "fantastic": 2,
    "terrible": -2,
    "awful": -2,
    "huijaus": -2,
}

#: Surface words per language with their polarity; lemmatised on first use.
LEXICON: dict[str, dict[str, int]] = {
    "fi": {**{w: 1 for w in _FI_POSITIVE.split()}, **{w: -1 for w in _FI_NEGATIVE.split()}},
    "en": {**{w: 1 for w in _EN_POSITIVE.split()}, **{w: -1 for w in _EN_NEGATIVE.split()}},
}
for _lang in LEXICON:
    LEXICON[_lang].update({w: s for w, s in _STRONG.items() if w in LEXICON[_lang]})

#: Words that flip the polarity of the next few sentiment words (base forms).
NEGATORS: dict[str, frozenset[str]] = {
    "fi": _words("ei en et emme ette eivät eikä ilman kukaan mikään"),
    "en": _words(
        "not no never without nothing none cannot can't don't didn't isn't wasn't "
        "aren't won't couldn't doesn't hardly"
    ),
}

#: Words over which a negation carries on to the next item ("ei katkoja tai vikoja").
COORDINATORS = frozenset({"or", "nor", "tai", "eikä", "eli"})

#: Emoji with a clear polarity.
EMOJI: dict[str, int] = {
    "😊": 1,
    "🙂": 1,
    "😀": 1,
    "😃": 1,
    "😄": 1,
    "😍": 2,
    "👍": 1,
    "❤": 1,
    "❤️": 1,
    "⭐": 1,
    "🙁": -1,
    "☹": -1,
    "😞": -1,
    "😠": -1,
    "😡": -2,
    "👎": -1,
    "😤": -1,
    "😢": -1,
    "🤬": -2,
}
EMOJI_PATTERN = re.compile("|".join(sorted(map(re.escape, EMOJI), key=len, reverse=True)))


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences (and contrast clauses) of a normalised text.

    Examples
    --------
    >>> text = "Hyvä palvelu. Toimitus myöhästyi! Kirjoita: a.b@example.com."
    >>> [text[a:b].strip() for a, b in split_sentences(text)]
    ['Hyvä palvelu.', 'Toimitus myöhästyi!', 'Kirjoita: a.b@example.com.']
    """
    spans = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        if match.start() > start and text[start : match.start()].strip():
            spans.append((start, match.start()))
        start = match.end()
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans
