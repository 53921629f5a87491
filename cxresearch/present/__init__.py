"""Presentation: wording (fi/en), number formatting, report tables and charts.

This is the only layer that rounds numbers or chooses words. Report text reaches a notebook
only as :class:`SafeMarkdown` (:func:`md`, :func:`heading`, :func:`markdown`,
``Labels.text``), which escapes every value from params or data by construction; see
:mod:`cxresearch.present.escaping`. Charts import matplotlib, which is slow to import,
so :mod:`cxresearch.present.plots` is loaded on first
use of one of its functions.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from cxresearch.present.banner import banner_intro, banner_notes, banner_tables, banner_workbook
from cxresearch.present.blocks import Block, block
from cxresearch.present.escaping import SafeMarkdown, heading, markdown, md
from cxresearch.present.format import (
    LOW_BASE_FLAG,
    NARROW_FLAG,
    base_status,
    change_sentence,
    escape,
    estimate_sentence,
    format_base,
    format_ci_label,
    format_comparison,
    format_estimate,
    format_interval,
    format_number,
    format_percent,
    format_pvalue,
    headline_intro,
    headline_sentences,
    reading_note,
    suppress_threshold,
)
from cxresearch.present.labels import LANGUAGES, Labels, get_labels
from cxresearch.present.tables import (
    Table,
    benchmark_table,
    breakdown_table,
    change_method_note,
    counts_table,
    estimate_table,
    headline_table,
    key_value_table,
    missing_table,
    target_table,
)

# Charts load matplotlib: imported on first use, from the module that has them.
_PLOTS = {
    "benchmark_plot": "cxresearch.present.plots",
    "breakdown_plot": "cxresearch.present.plots",
    "target_plot": "cxresearch.present.plots",
    "trend_plot": "cxresearch.present.plots",
    "group_trend_plot": "cxresearch.present.profile_plots",
    "nps_mix_plot": "cxresearch.present.profile_plots",
    "profile_plot": "cxresearch.present.profile_plots",
}

__all__ = [
    "Block",
    "LANGUAGES",
    "LOW_BASE_FLAG",
    "NARROW_FLAG",
    "Labels",
    "SafeMarkdown",
    "Table",
    "banner_intro",
    "banner_notes",
    "banner_tables",
    "banner_workbook",
    "base_status",
    "benchmark_plot",
    "block",
    "benchmark_table",
    "breakdown_plot",
    "breakdown_table",
    "change_method_note",
    "change_sentence",
    "counts_table",
    "missing_table",
    "escape",
    "estimate_sentence",
    "estimate_table",
    "format_base",
    "format_ci_label",
    "format_comparison",
    "format_estimate",
    "format_interval",
    "format_number",
    "format_percent",
    "format_pvalue",
    "get_labels",
    "group_trend_plot",
    "headline_intro",
    "headline_sentences",
    "headline_table",
    "heading",
    "key_value_table",
    "markdown",
    "md",
    "nps_mix_plot",
    "profile_plot",
    "reading_note",
    "suppress_threshold",
    "target_plot",
    "target_table",
    "trend_plot",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from cxresearch.present.plots import benchmark_plot, breakdown_plot, target_plot, trend_plot
    from cxresearch.present.profile_plots import group_trend_plot, nps_mix_plot, profile_plot


def __getattr__(name: str) -> Any:
    if name in _PLOTS:
        value = getattr(importlib.import_module(_PLOTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'cxresearch.present' has no attribute {name!r}")
