"""One exception family for everything cxresearch raises on purpose.

Callers (the CLI, notebooks, tests) catch :class:`CxError` to tell a problem with the
user's input from a bug. Messages always name the file, the column or key, and the
offending values or rows, so that the user can fix the input without reading code.
"""

from __future__ import annotations

from collections.abc import Sequence


class CxError(Exception):
    """Base class of every error cxresearch raises deliberately."""


class DataError(CxError, ValueError):
    """The response data cannot be used: unreadable file, missing column, bad values."""


class ParamsError(CxError, ValueError):
    """A params file is invalid: unknown key, wrong type, missing data file, unsafe name."""


class ReportError(CxError, RuntimeError):
    """Rendering a report failed (a notebook cell raised, export failed)."""


def excerpt(text: object, limit: int = 40) -> str:
    """A short excerpt of a value for an error message: personal data masked, shortened.

    Error messages name the file, key and rows; when they quote a value from a file or a
    params key, they quote at most ``limit`` characters of it, with e-mail addresses,
    phone numbers, identity codes and IBANs masked (:func:`~cxresearch.qual.masking.
    mask_personal_data`) and line breaks shown as spaces.

    Examples
    --------
    >>> excerpt("FAKE_API_KEY=sk-abcdefghijklmnopqrstuvwxyz0123456789")
    'FAKE_API_KEY=sk-abcdefghijklmnopqrstuvw…'
    >>> excerpt("nps: matti@example.fi")
    'nps: [email]'
    """
    from cxresearch.qual.masking import mask_personal_data

    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"limit must be a positive integer, got {limit!r}")
    flat = " ".join(str(text)[: limit * 4 + 200].split())
    masked = mask_personal_data(flat)
    return masked if len(masked) <= limit else masked[: limit - 1] + "…"


def excerpts(values: Sequence[object], *, limit: int = 40, items: int = 30) -> str:
    """A list of values (e.g. a file's column names) as short excerpts for a message.

    At most ``items`` values, each through :func:`excerpt`; a file that is not a survey
    export (a key file, a log) then shows a few characters of its first line, not all of it.

    Examples
    --------
    >>> excerpts(["nps", "FAKE_API_KEY=sk-abcdefghijklmnopqrstuvwxyz0123456789"], limit=20)
    "['nps', 'FAKE_API_KEY=sk-abc…']"
    """
    shown = [excerpt(v, limit) for v in list(values)[:items]]
    more = f" and {len(values) - items} more" if len(values) > items else ""
    return f"{shown}{more}"


#: Longest message shown to a person (summary lines, index page, manifest errors).
MAX_MESSAGE_CHARS = 2000


def reader_message(
    text: object, *, names: Sequence[str] = (), limit: int = MAX_MESSAGE_CHARS
) -> str:
    """An error or failure message made fit for a person to read.

    Personal data is masked (e-mail, phone, identity code, IBAN and the params'
    ``privacy.names``) and the message is cut to ``limit`` characters, so that neither a
    respondent's details nor a huge input reach stdout, ``reports/index.html`` or a
    manifest. Line breaks are kept.

    Examples
    --------
    >>> reader_message("row 7: nps 'matti@example.fi' (Anna)", names=["Anna"])
    "row 7: nps '[email]' ([name])"
    """
    from cxresearch.qual.masking import mask_personal_data

    raw = str(text)
    cut = len(raw) > limit * 2
    masked = mask_personal_data(raw[: limit * 2], names=names)
    if cut or len(masked) > limit:
        masked = masked[: limit - 1] + "…"
    return masked
