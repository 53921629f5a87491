"""Comments: codebooks, normalisation, automatic coding, coder sheets, quotes, masking.

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
    "Codebook": "cxresearch.qual.codebook",
    "load_codebook": "cxresearch.qual.codebook",
    "read_qdc": "cxresearch.qual.codebook",
    "write_qdc": "cxresearch.qual.codebook",
    "Coding": "cxresearch.qual.coding",
    "code_comments": "cxresearch.qual.coding",
    "BaseForms": "cxresearch.qual.normalise",
    "detect_language": "cxresearch.qual.normalise",
    "evaluate_codes": "cxresearch.qual.quality",
    "evaluate_sentiment": "cxresearch.qual.quality",
    "agreement_by_code": "cxresearch.qual.quality",
    "theme_prevalence": "cxresearch.qual.impact",
    "theme_impact": "cxresearch.qual.impact",
    "representative_quotes": "cxresearch.qual.quotes",
    "suggest_themes": "cxresearch.qual.suggest",
    "write_sheets": "cxresearch.qual.sheets",
    "read_sheet": "cxresearch.qual.sheets",
    "adjudicate": "cxresearch.qual.sheets",
    "disagreements": "cxresearch.qual.sheets",
    "read_reference": "cxresearch.qual.sheets",
    "write_reference": "cxresearch.qual.sheets",
}

__all__ = [
    "BaseForms",
    "Codebook",
    "Coding",
    "PLACEHOLDERS",
    "PersonalDataSpan",
    "adjudicate",
    "agreement_by_code",
    "code_comments",
    "detect_language",
    "disagreements",
    "evaluate_codes",
    "evaluate_sentiment",
    "find_personal_data",
    "is_valid_hetu",
    "is_valid_iban",
    "load_codebook",
    "mask_personal_data",
    "read_qdc",
    "read_reference",
    "read_sheet",
    "representative_quotes",
    "suggest_themes",
    "theme_impact",
    "theme_prevalence",
    "write_qdc",
    "write_reference",
    "write_sheets",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from cxresearch.qual.codebook import Codebook, load_codebook, read_qdc, write_qdc
    from cxresearch.qual.coding import Coding, code_comments
    from cxresearch.qual.impact import theme_impact, theme_prevalence
    from cxresearch.qual.masking import (
        PLACEHOLDERS,
        PersonalDataSpan,
        find_personal_data,
        is_valid_hetu,
        is_valid_iban,
        mask_personal_data,
    )
    from cxresearch.qual.normalise import BaseForms, detect_language
    from cxresearch.qual.quality import agreement_by_code, evaluate_codes, evaluate_sentiment
    from cxresearch.qual.quotes import representative_quotes
    from cxresearch.qual.sheets import (
        adjudicate,
        disagreements,
        read_reference,
        read_sheet,
        write_reference,
        write_sheets,
    )
    from cxresearch.qual.suggest import suggest_themes


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cxresearch.qual' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
