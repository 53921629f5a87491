"""One exception family for everything cxresearch raises on purpose.

Callers (the CLI, notebooks, tests) catch :class:`CxError` to tell a problem with the
user's input from a bug. Messages always name the file, the column or key, and the
offending values or rows, so that the user can fix the input without reading code.
"""

from __future__ import annotations


class CxError(Exception):
    """Base class of every error cxresearch raises deliberately."""


class DataError(CxError, ValueError):
    """The response data cannot be used: unreadable file, missing column, bad values."""


class ParamsError(CxError, ValueError):
    """A params file is invalid: unknown key, wrong type, missing data file, unsafe name."""


class ReportError(CxError, RuntimeError):
    """Rendering a report failed (a notebook cell raised, export failed)."""
