"""Client reports: papermill runner, nbconvert/WeasyPrint rendering, manifest, index page.

``cxresearch report`` (:func:`run_reports`) executes ``notebooks/<analysis>.ipynb`` for every
client × run in the params files and writes ``reports/<client>/<run>/<analysis>.{ipynb,html,pdf}``,
``reports/<client>/manifest.json`` and ``reports/index.html``. Notebooks call
:func:`provenance` for their footer.
"""

from __future__ import annotations

from cxresearch.report.index import build_index, headline_nps, write_index
from cxresearch.report.manifest import (
    cache_key,
    file_sha256,
    git_state,
    package_sources_sha256,
    package_versions,
    provenance,
)
from cxresearch.report.render import add_toc, render_html, render_pdf
from cxresearch.report.runner import (
    BatchResult,
    ClientCheck,
    ExecutionFailure,
    run_reports,
    validate_client,
    validate_clients,
)

__all__ = [
    "BatchResult",
    "ClientCheck",
    "ExecutionFailure",
    "add_toc",
    "build_index",
    "cache_key",
    "file_sha256",
    "git_state",
    "headline_nps",
    "package_sources_sha256",
    "package_versions",
    "provenance",
    "render_html",
    "render_pdf",
    "run_reports",
    "validate_client",
    "validate_clients",
    "write_index",
]
