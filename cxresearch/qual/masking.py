"""Masking personal data in text that a person reads: the one masking function.

Every place where data or free text reaches a reader (quotes of comments in a report, error
messages on stdout, ``reports/index.html``, manifests, notebook-failure messages) passes it
through :func:`mask_personal_data`. It replaces, in this order of precedence:

=============  ==============  ============================================================
kind           placeholder     what is recognised
=============  ==============  ============================================================
``email``      ``[email]``     ``local@domain.tld`` (Unicode letters allowed)
``iban``       ``[IBAN]``      ``FI21 1234 5600 0007 85``: two letters, two check digits and
                               11–30 letters/digits (spaces allowed) whose ISO 13616 mod-97
                               check holds
``id_code``    ``[id code]``   Finnish personal identity code (henkilötunnus) ``DDMMYYCZZZQ``
                               with a real date, a century sign (``+`` 1800s; ``-`` and the
                               2023 signs ``U``–``Y`` 1900s; ``A``–``F`` 2000s) and a correct
                               check character (DVV's mod-31 table)
``phone``      ``[phone]``     international numbers (``+`` or ``00`` and 9–15 digits;
                               ``358 40 …`` without the plus), Finnish national numbers
                               (``0`` and an area or mobile code, 7–12 digits, groups of at
                               least two digits separated by one space or hyphen, the area
                               code optionally in parentheses)
``name``       ``[name]``      each name given in ``names`` (e.g. the params' list of staff
                               names), whole word, any case, with up to six letters of a
                               Finnish case ending (``Matti`` → ``Mattia``, ``Matille``)
=============  ==============  ============================================================

Not masked, on purpose (false positives would hide what a comment says): dates
(``13.10.2024``, ``2024-05-01``, ``01-02-2024``), amounts (``1 234,50 €``, ``+35``),
NPS and other scores (``9/10``, ``NPS 42``), postcodes (``00100``), years and waves
(``2026Q3``), order numbers that do not start like a phone number, and identity-code
look-alikes whose check character is wrong (``131052-308A``; a real code always has
the right one).

Why hand-written: Google's libphonenumber (Python ``phonenumbers`` 9.0) was tried first.
Its matcher, at the lenient level that finds fictional-but-plausible numbers, also
returns dates (``01.02.2024``, ``2024-05-01``), order numbers (``123456789``) and
amounts (``1 000 000``), and at the strict "valid" level still returns ``01.02.2024``
while missing ``+1 (555) 123-4567``. The rules here are few, documented above and pinned
by ``tests/unit/test_masking.py``. ``python-stdnum`` (hetu and IBAN checks) is LGPL, so
the two checks are written out below against their published definitions.

References
----------
Digital and Population Data Services Agency (DVV), "Personal identity code" (the check
character table and the century signs added on 1 January 2023).
ISO 13616-1:2020, IBAN check digits (mod 97 = 1); the example IBANs of the European
Committee for Banking Standards' IBAN registry.
ITU-T E.164 (at most 15 digits in an international number).

Examples
--------
>>> mask_personal_data("Soita 040 123 4567 tai kirjoita matti.m@example.fi")
'Soita [phone] tai kirjoita [email]'
>>> mask_personal_data("Hetu 131052-308T, tili FI21 1234 5600 0007 85")
'Hetu [id code], tili [IBAN]'
>>> mask_personal_data("Asiakaspalvelija Anna auttoi; kiitos Annalle!", names=["Anna"])
'Asiakaspalvelija [name] auttoi; kiitos [name]!'
>>> mask_personal_data("NPS 42 (13.10.2024), 00100 Helsinki, 1 234,50 €")
'NPS 42 (13.10.2024), 00100 Helsinki, 1 234,50 €'
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = [
    "PLACEHOLDERS",
    "PersonalDataSpan",
    "find_personal_data",
    "is_valid_hetu",
    "is_valid_iban",
    "mask_personal_data",
]

#: The text that replaces each kind of personal data.
PLACEHOLDERS: Mapping[str, str] = {
    "email": "[email]",
    "iban": "[IBAN]",
    "id_code": "[id code]",
    "phone": "[phone]",
    "name": "[name]",
}

# --------------------------------------------------------------------------- e-mail

# Lengths are bounded (RFC 5321: local part 64, label 63) so that a hostile string such as
# "a@" + "b." * 10_000 cannot make the pattern backtrack for long.
_EMAIL = re.compile(
    r"(?<![\w.%+\-])[\w.%+\-]{1,64}@(?:[\w\-]{1,63}\.){1,8}[^\W\d_]{2,24}(?![\w\-])"
)

# --------------------------------------------------------------------------- IBAN

_IBAN_CANDIDATE = re.compile(r"(?<![\w])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,30}")


def is_valid_iban(text: str) -> bool:
    """Whether ``text`` is an IBAN whose ISO 13616 check digits hold (spaces ignored).

    Examples
    --------
    >>> is_valid_iban("FI21 1234 5600 0007 85"), is_valid_iban("FI21 1234 5600 0007 86")
    (True, False)
    """
    compact = text.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", compact):
        return False
    rotated = compact[4:] + compact[:4]
    digits = "".join(str(int(ch, 36)) for ch in rotated)
    return int(digits) % 97 == 1


def _iban_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in _IBAN_CANDIDATE.finditer(text):
        candidate = match.group()
        # The candidate may run into a following code ("FI21…85 1234"): the longest prefix
        # that ends on a letter or digit and passes the check is the IBAN.
        for end in range(len(candidate), 14, -1):
            at_boundary = end == len(candidate) or candidate[end] == " "
            if candidate[end - 1] != " " and at_boundary and is_valid_iban(candidate[:end]):
                spans.append((match.start(), match.start() + end))
                break
    return spans


# --------------------------------------------------------------------------- identity code

_HETU = re.compile(r"(?<![\w+\-])(\d{2})(\d{2})(\d{2})([-+A-Fa-fU-Yu-y])(\d{3})([0-9A-Za-z])(?!\w)")
_HETU_CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"
_CENTURY = {"+": 1800, **dict.fromkeys("-UVWXY", 1900), **dict.fromkeys("ABCDEF", 2000)}


def is_valid_hetu(code: str) -> bool:
    """Whether ``code`` is a Finnish personal identity code with a real date and check character.

    Century signs: ``+`` (1800s), ``-`` and ``U``–``Y`` (1900s), ``A``–``F`` (2000s);
    the new signs were introduced on 1 January 2023. Temporary codes (individual number
    900–999) are identity codes too.

    Examples
    --------
    >>> is_valid_hetu("131052-308T"), is_valid_hetu("131052-308A"), is_valid_hetu("010594Y9021")
    (True, False, True)
    """
    match = _HETU.fullmatch(code.strip())
    return match is not None and _hetu_groups_valid(match)


def _hetu_groups_valid(match: re.Match[str]) -> bool:
    day, month, year, sign, number, check = match.groups()
    try:
        dt.date(_CENTURY[sign.upper()] + int(year), int(month), int(day))
    except ValueError:
        return False
    return _HETU_CHECK[int(day + month + year + number) % 31] == check.upper()


def _hetu_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _HETU.finditer(text) if _hetu_groups_valid(m)]


# --------------------------------------------------------------------------- phone numbers

# A run of digit groups joined by single separators; each group may carry parentheses
# ("(09)", "(0)20"). Phone numbers are searched inside runs group by group.
_PHONE_RUN = re.compile(r"(?<![\w+\-/,])(?<!\d\.)\+?\(?\+?\d[\d()]*(?:[ \-./]\(?\d[\d()]*)*")
_GROUP = re.compile(r"[ \-./]?[^ \-./]+")
_DATE_LIKE = re.compile(r"\d{1,2}([-./])\d{1,2}\1\d{2,4}|\d{4}([-./])\d{1,2}\2\d{1,2}")


def _is_phone(text: str) -> bool:
    """Whether one candidate (digit groups with separators) reads as a phone number."""
    if text.count("(") != text.count(")") or _DATE_LIKE.fullmatch(text):
        return False
    digits = re.sub(r"\D", "", text)
    if text.lstrip("(").startswith("+"):
        return 9 <= len(digits) <= 15 and digits[0] != "0"
    if digits.startswith("00"):
        return 11 <= len(digits) <= 17 and digits[2] != "0"
    groups = [g for g in re.split(r"[ \-./()]+", text) if g]
    if digits.startswith("358") and len(groups) >= 3:
        # "358 40 123 4567": the Finnish country code written without the plus.
        return 10 <= len(digits) <= 12 and digits[3] != "0"
    if not digits.startswith("0") or len(digits) < 2 or digits[1] == "0":
        return False
    # A national number: no dots (13.10.2024 and 09.30 are not numbers), every group at
    # least two digits (so "0 1 2 3 4 5 6 7 8" on a scale description is not one).
    return 7 <= len(digits) <= 12 and "." not in text and all(len(g) >= 2 for g in groups)


def _phone_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for run in _PHONE_RUN.finditer(text):
        groups = [(m.start(), m.end()) for m in _GROUP.finditer(run.group())]
        i = 0
        while i < len(groups):
            start = groups[i][0]
            # The number starts at a group, after its separator.
            while run.group()[start] in " -./":
                start += 1
            head = run.group()[start]
            found = None
            if head in "+(0" or run.group()[start:].startswith("358"):
                for j in range(len(groups) - 1, i - 1, -1):
                    if _is_phone(run.group()[start : groups[j][1]]):
                        found = j
                        break
            if found is None:
                i += 1
                continue
            spans.append((run.start() + start, run.start() + groups[found][1]))
            i = found + 1
    return spans


# --------------------------------------------------------------------------- names


def _inflected(part: str) -> str:
    """A name word as a pattern; Finnish ``-nen`` names also by their stem (Virtase-lle).

    ``Virtanen`` inflects as ``Virtasen``, ``Virtaselle``, ``Virtasta``: the case ending
    follows the stem ``Virtas``, which the ending allowance after the name then covers.
    """
    if len(part) > 4 and part.lower().endswith("nen"):
        return f"(?:{re.escape(part)}|{re.escape(part[:-3])}s(?=[et]))"
    return re.escape(part)


def _name_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    if isinstance(names, str):
        raise TypeError(f"names must be a list of names, not one string: {names!r}")
    words = []
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"names must be strings, got {name!r}")
        parts = name.split()
        if not parts:
            continue
        if len("".join(parts)) < 2:
            raise ValueError(f"name {name!r} is too short to mask (at least two letters)")
        words.append(r"\s+".join(_inflected(p) for p in parts))
    if not words:
        return None
    # Longest first, so that "Matti Meikäläinen" wins over "Matti".
    words.sort(key=len, reverse=True)
    alternatives = "|".join(words)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?:[:\-]?[^\W\d_]{{1,6}})?(?!\w)", re.IGNORECASE)


# --------------------------------------------------------------------------- the function


@dataclass(frozen=True)
class PersonalDataSpan:
    """Where one piece of personal data is in a text: ``text[start:end]`` is of ``kind``.

    The matched text itself is not kept, so a list of spans can be logged or counted.
    """

    start: int
    end: int
    kind: str


def find_personal_data(text: str, *, names: Iterable[str] = ()) -> list[PersonalDataSpan]:
    """Every piece of personal data in ``text``, in order, without overlaps.

    Kinds are found in the order e-mail, IBAN, identity code, phone number, name; a later
    kind is not reported inside an earlier one (the digits of an IBAN are not also a phone
    number). See the module docstring for what each kind recognises.

    Parameters
    ----------
    text
        The text to search.
    names
        Names to find (e.g. staff names listed in params), as whole words in any case.

    Returns
    -------
    list of PersonalDataSpan

    Examples
    --------
    >>> [(s.kind, s.start, s.end) for s in find_personal_data("a@b.fi 040 123 4567")]
    [('email', 0, 6), ('phone', 7, 19)]
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    found: list[PersonalDataSpan] = []

    def add(spans: Iterable[tuple[int, int]], kind: str) -> None:
        for start, end in spans:
            if not any(start < s.end and s.start < end for s in found):
                found.append(PersonalDataSpan(start, end, kind))

    add((m.span() for m in _EMAIL.finditer(text)), "email")
    add(_iban_spans(text), "iban")
    add(_hetu_spans(text), "id_code")
    add(_phone_spans(text), "phone")
    pattern = _name_pattern(names)
    if pattern is not None:
        add((m.span() for m in pattern.finditer(text)), "name")
    return sorted(found, key=lambda s: s.start)


def mask_personal_data(
    text: str, *, names: Iterable[str] = (), placeholders: Mapping[str, str] | None = None
) -> str:
    """``text`` with e-mail addresses, IBANs, identity codes, phone numbers and names masked.

    Parameters
    ----------
    text
        Any text a person will read: a comment quoted in a report, an error message, a
        value from a data row.
    names
        Names to mask as ``[name]`` (whole words, any case, with Finnish case endings).
    placeholders
        Replacement text per kind (``email``, ``iban``, ``id_code``, ``phone``, ``name``);
        by default :data:`PLACEHOLDERS`. A kind left out keeps its default.

    Returns
    -------
    str
        The text with each piece of personal data replaced by its placeholder; everything
        else unchanged.

    Raises
    ------
    TypeError
        ``text`` is not a string, or ``names`` is one string instead of a list.
    ValueError
        A name is shorter than two letters.

    Examples
    --------
    >>> mask_personal_data("Call +44 20 7946 0958 or 0046 8 123 456 78")
    'Call [phone] or [phone]'
    >>> mask_personal_data("p. 040-123 45 67", placeholders={"phone": "[puhelin]"})
    'p. [puhelin]'
    """
    spans = find_personal_data(text, names=names)
    if not spans:
        return text
    words = {**PLACEHOLDERS, **(placeholders or {})}
    parts = []
    position = 0
    for span in spans:
        parts.append(text[position : span.start])
        parts.append(words[span.kind])
        position = span.end
    parts.append(text[position:])
    return "".join(parts)
