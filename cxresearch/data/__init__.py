"""The data layer: the responses schema, loaders, row selection and the demo data.

``load_responses`` reads and validates a survey export, ``validate_responses`` checks a frame
built in memory, ``select_rows`` applies a params filter with a typo guard. The demo data
generator lives in :mod:`cxresearch.data.demo` and is not imported here (it is only needed
to rebuild ``data/demo/responses.csv``).
"""

from __future__ import annotations

from cxresearch.data.loaders import load_responses
from cxresearch.data.schema import (
    CUSTOMER_TYPES,
    JOURNEY_STAGES,
    LANGUAGES,
    SCORE_SCALES,
    validate_responses,
)
from cxresearch.data.select import select_rows

__all__ = [
    "CUSTOMER_TYPES",
    "JOURNEY_STAGES",
    "LANGUAGES",
    "SCORE_SCALES",
    "load_responses",
    "select_rows",
    "validate_responses",
]
