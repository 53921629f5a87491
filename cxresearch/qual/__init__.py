"""Comments: masking personal data (and, as they land, codebooks, normalisation, coding).

Public names are imported lazily (PEP 562) like the top-level package, so that importing
``cxresearch.qual`` for :func:`mask_personal_data` does not load pandas.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "PLACEHOLDERS": "cxresearch.qual.masking",
    "PersonalDataSpan": "cxresearch.qual.masking",
    "find_personal_data": "cxresearch.qual.masking",
    "is_valid_hetu": "cxresearch.qual.masking",
    "is_valid_iban": "cxresearch.qual.masking",
    "mask_personal_data": "cxresearch.qual.masking",
}

__all__ = [
    "PLACEHOLDERS",
    "PersonalDataSpan",
    "find_personal_data",
    "is_valid_hetu",
    "is_valid_iban",
    "mask_personal_data",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from cxresearch.qual.masking import (
        PLACEHOLDERS,
        PersonalDataSpan,
        find_personal_data,
        is_valid_hetu,
        is_valid_iban,
        mask_personal_data,
    )


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cxresearch.qual' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
