"""cxresearch — reproducible customer-experience research.

The public names are imported lazily (PEP 562) so that ``import cxresearch`` stays cheap
for the CLI and for notebooks that need only part of the package; ``dir(cxresearch)``
and static type checkers still see all of them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "CxError": "cxresearch.errors",
    "DataError": "cxresearch.errors",
    "ParamsError": "cxresearch.errors",
    "ReportError": "cxresearch.errors",
    "Estimate": "cxresearch.results",
    "Comparison": "cxresearch.results",
    "GroupComparison": "cxresearch.results",
    "load_responses": "cxresearch.data.loaders",
    "read_export": "cxresearch.data.readers",
    "Export": "cxresearch.data.readers",
    "nps": "cxresearch.stats.metrics",
    "csat": "cxresearch.stats.metrics",
    "ces": "cxresearch.stats.metrics",
    "ces_mean": "cxresearch.stats.metrics",
    "mean_rating": "cxresearch.stats.metrics",
    "metric_by": "cxresearch.stats.metrics",
    "estimate": "cxresearch.stats.metrics",
    "rake": "cxresearch.stats.raking",
    "sample_size": "cxresearch.stats.planning",
    "effective_sample_size": "cxresearch.stats.design",
    "linearized": "cxresearch.stats.design",
    "compare_groups": "cxresearch.stats.groups",
    "compare_nps": "cxresearch.stats.inference",
    "compare_samples": "cxresearch.stats.inference",
    "compare_to_target": "cxresearch.stats.inference",
    "get_metric": "cxresearch.stats.registry",
    "register_metric": "cxresearch.stats.registry",
    "load_params": "cxresearch.params",
    "driver_importance": "cxresearch.stats.drivers",
    "importance_performance": "cxresearch.stats.drivers",
    "open_run": "cxresearch.session",
    "provenance": "cxresearch.report.manifest",
    "mask_personal_data": "cxresearch.qual.masking",
    "cohen_kappa": "cxresearch.stats.reliability",
    "fleiss_kappa": "cxresearch.stats.reliability",
    "krippendorff_alpha": "cxresearch.stats.reliability",
    "load_codebook": "cxresearch.qual.codebook",
    "code_comments": "cxresearch.qual.coding",
}

# Spelled out (not derived from _EXPORTS) so that linters and IDEs can read it;
# tests/unit/test_package.py checks that the two agree.
__all__ = [
    "Comparison",
    "CxError",
    "DataError",
    "Estimate",
    "Export",
    "GroupComparison",
    "ParamsError",
    "ReportError",
    "ces",
    "ces_mean",
    "code_comments",
    "cohen_kappa",
    "compare_groups",
    "compare_nps",
    "compare_samples",
    "compare_to_target",
    "csat",
    "driver_importance",
    "effective_sample_size",
    "estimate",
    "fleiss_kappa",
    "get_metric",
    "importance_performance",
    "krippendorff_alpha",
    "linearized",
    "load_codebook",
    "load_params",
    "load_responses",
    "mask_personal_data",
    "mean_rating",
    "metric_by",
    "nps",
    "open_run",
    "provenance",
    "rake",
    "read_export",
    "register_metric",
    "sample_size",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from cxresearch.data.loaders import load_responses
    from cxresearch.data.readers import Export, read_export
    from cxresearch.errors import CxError, DataError, ParamsError, ReportError
    from cxresearch.params import load_params
    from cxresearch.qual.codebook import load_codebook
    from cxresearch.qual.coding import code_comments
    from cxresearch.qual.masking import mask_personal_data
    from cxresearch.report.manifest import provenance
    from cxresearch.results import Comparison, Estimate, GroupComparison
    from cxresearch.session import open_run
    from cxresearch.stats.design import effective_sample_size, linearized
    from cxresearch.stats.drivers import driver_importance, importance_performance
    from cxresearch.stats.groups import compare_groups
    from cxresearch.stats.inference import compare_nps, compare_samples, compare_to_target
    from cxresearch.stats.metrics import (
        ces,
        ces_mean,
        csat,
        estimate,
        mean_rating,
        metric_by,
        nps,
    )
    from cxresearch.stats.planning import sample_size
    from cxresearch.stats.raking import rake
    from cxresearch.stats.registry import get_metric, register_metric
    from cxresearch.stats.reliability import cohen_kappa, fleiss_kappa, krippendorff_alpha


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cxresearch' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
