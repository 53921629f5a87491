"""Representative quotes per theme: short, varied, in the right language, masked.

:func:`representative_quotes` picks, for one code, a few comments a reader can trust to
stand for the theme:

- the theme's *typical* voice: comments whose sentiment about the theme is the most
  common one among its mentions come first (with ``sentiment=`` a direction can be
  asked for instead, e.g. complaints only);
- *focused*: a comment about this theme alone ranks above one that lists five themes;
- *short*: a comment is cut to the sentences where the theme was found, marked with
  ``…``, and at most ``max_chars`` characters;
- *varied*: no two quotes with the same text, sub-themes taken in turn, and, with
  ``vary_by``, groups (e.g. customer types) taken in turn;
- *safe*: personal data masked with :func:`cxresearch.qual.masking.mask_personal_data`
  (e-mails, phone numbers, personal identity codes, IBANs, names from params). HTML
  escaping is the presenter's job (:mod:`cxresearch.present`), so a quote is plain text.

Ties are broken by a seeded shuffle, so the same inputs give the same quotes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cxresearch.qual.codebook import Codebook
from cxresearch.qual.coding import Coding
from cxresearch.qual.masking import mask_personal_data
from cxresearch.qual.normalise import normalise_text
from cxresearch.qual.sentiment import split_sentences

__all__ = ["excerpt", "representative_quotes"]

_ELLIPSIS = "…"


def excerpt(text: str, sentences: Sequence[int], *, max_chars: int = 200) -> str:
    """The given sentences of a text (0-based), with ``…`` where text was left out.

    Examples
    --------
    >>> excerpt("Hyvä palvelu. Toimitus myöhästyi. Kiitos.", [1])
    '… Toimitus myöhästyi. …'
    """
    spans = split_sentences(text)
    if not spans:
        return text[:max_chars]
    chosen = sorted({s for s in sentences if 0 <= s < len(spans)}) or [0]
    parts: list[str] = []
    previous = -1
    for s in chosen:
        if s != previous + 1:
            parts.append(_ELLIPSIS)
        parts.append(text[spans[s][0] : spans[s][1]].strip())
        previous = s
    if previous != len(spans) - 1:
        parts.append(_ELLIPSIS)
    out = " ".join(parts)
    if len(out) > max_chars:
        cut = out[: max_chars - 1].rsplit(" ", 1)[0]
        out = cut + " " + _ELLIPSIS
    return out


def representative_quotes(
    texts: pd.Series,
    coding: Coding,
    codebook: Codebook,
    code: str,
    *,
    n: int = 3,
    language: str | None = None,
    sentiment: str | None = None,
    frame: pd.DataFrame | None = None,
    vary_by: str | None = None,
    names: Sequence[str] = (),
    max_chars: int = 200,
    seed: int = 20261123,
) -> pd.DataFrame:
    """A few representative, masked quotes for one code.

    Parameters
    ----------
    texts : Series
        The comments, indexed like ``coding``.
    coding : Coding
        From :func:`cxresearch.code_comments`.
    codebook : Codebook
    code : str
        The code (theme or sub-theme) to quote.
    n : int, optional
        How many quotes at most.
    language : {"fi", "en"}, optional
        Prefer comments in this language (others only when too few are left).
    sentiment : {"positive", "negative"}, optional
        Only mentions with this sentiment; default the most common one comes first.
    frame : DataFrame, optional
        Responses indexed like ``texts`` (for ``vary_by``); its column is returned too.
    vary_by : str, optional
        Column of ``frame`` whose groups are taken in turn (e.g. ``"customer_type"``).
    names : sequence of str, optional
        Names to mask (staff names from params).
    max_chars : int, optional
        Longest quote.
    seed : int, optional

    Returns
    -------
    DataFrame
        ``id``, ``quote`` (masked, plain text), ``sentiment``, ``language``, ``sub_code``
        (the sub-theme that matched, if any) and ``vary_by``'s column when given.
    """
    if code not in codebook.names:
        raise ValueError(f"code {code!r} is not in codebook {codebook.name!r}")
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    mentioned = coding.codes.index[coding.codes[code].to_numpy(bool)]
    if vary_by is not None and (frame is None or vary_by not in frame):
        raise ValueError(f"vary_by={vary_by!r} needs a frame with that column")
    aspects = coding.aspects[coding.aspects["code"] == code].set_index("id")["sentiment"]
    family = {code, *[c for c in codebook.names if code in codebook.ancestors(c)]}
    evidence = coding.evidence[coding.evidence["code"].isin(family)]
    rows = []
    for rid in mentioned:
        mood = aspects.get(rid, "neutral")
        if sentiment is not None and mood != sentiment:
            continue
        own = evidence[evidence["id"] == rid]
        # Masked before anything is cut, so a cut can never leave half an e-mail address
        # unrecognised (placeholders hold no sentence end, so sentence numbers still hold).
        text = mask_personal_data(normalise_text(texts.loc[rid]), names=tuple(names))
        subs = [c for c in own["code"] if c != code]
        focus = int(coding.codes.loc[rid, codebook.themes].sum())
        rows.append(
            {
                "id": rid,
                "text": text,
                "sentences": sorted(set(own["sentence"].tolist())),
                "sentiment": mood,
                "language": coding.language.loc[rid],
                "sub_code": subs[0] if subs else "",
                "focus": focus,
                "group": frame.loc[rid, vary_by]
                if vary_by is not None and frame is not None
                else "",
            }
        )
    columns = ["id", "quote", "sentiment", "language", "sub_code", *([vary_by] if vary_by else [])]
    if not rows:
        return pd.DataFrame(columns=columns)
    table = pd.DataFrame(rows)
    rng = np.random.Generator(np.random.PCG64(seed))
    table["tie"] = rng.permutation(len(table))
    typical = table["sentiment"].value_counts().idxmax() if sentiment is None else sentiment
    table["rank_language"] = 0 if language is None else (table["language"] != language).astype(int)
    table["rank_sentiment"] = (table["sentiment"] != typical).astype(int)
    table["length"] = table["text"].str.len()
    table["rank_length"] = (table["length"] > max_chars).astype(int) + (table["length"] < 25)
    table = table.sort_values(["rank_language", "rank_sentiment", "focus", "rank_length", "tie"])
    chosen: list[dict[str, Any]] = []
    seen_text: set[str] = set()
    used_sub: dict[str, int] = {}
    used_group: dict[Any, int] = {}
    candidates = table.to_dict("records")
    while len(chosen) < n and candidates:
        # take the best candidate from the least-used sub-theme and group
        best = min(
            range(len(candidates)),
            key=lambda k: (
                used_group.get(candidates[k]["group"], 0),
                used_sub.get(candidates[k]["sub_code"], 0),
                k,
            ),
        )
        row = candidates.pop(best)
        # Only the sentences about the theme: a quote speaks to one theme, and sentences
        # about something else (a phone number, another theme) stay out.
        whole = len(split_sentences(row["text"])) == len(row["sentences"])
        short = (
            row["text"]
            if whole and row["length"] <= max_chars
            else excerpt(row["text"], row["sentences"], max_chars=max_chars)
        )
        quote = short
        # No two quotes alike: the same sentence cut from two comments is one quote.
        key = quote.replace(_ELLIPSIS, "").strip().casefold()
        if key in seen_text:
            continue
        seen_text.add(key)
        used_sub[row["sub_code"]] = used_sub.get(row["sub_code"], 0) + 1
        used_group[row["group"]] = used_group.get(row["group"], 0) + 1
        out = {
            "id": row["id"],
            "quote": quote,
            "sentiment": row["sentiment"],
            "language": row["language"],
            "sub_code": row["sub_code"],
        }
        if vary_by:
            out[vary_by] = row["group"]
        chosen.append(out)
    return pd.DataFrame(chosen, columns=columns)
