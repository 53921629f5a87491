"""The analyses a report can include: one registry instead of per-analysis branches.

Each analysis is a notebook ``notebooks/<name>.ipynb`` run per client × run. What an
analysis needs (a params section, columns of the data, at least one score column), how it
is called in a report's language and which notebook renders it are written once, here; the
params model, ``cxresearch validate``, the runner and the index page read them from this
registry. Adding an analysis is one :func:`register` call and a notebook (and its labels).

Wording lives in the label files: an analysis' name in the report language is
``analyses.<name>`` (:meth:`AnalysisSpec.label`).

Examples
--------
>>> from cxresearch.analyses import analysis, analysis_names
>>> analysis_names()[:2]
('benchmarking', 'drivers')
>>> analysis("drivers").section
'drivers'
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # params imports this module to validate names: no import cycle at run time
    from cxresearch.params import Params
    from cxresearch.present.labels import Labels

__all__ = [
    "ANALYSES",
    "AnalysisSpec",
    "SCORE_COLUMNS",
    "analysis",
    "analysis_names",
    "register",
]

#: Columns that hold an experience score; an analysis with ``needs_scores`` needs one of them.
SCORE_COLUMNS = ("nps", "csat", "ces")


def _no_columns(params: Params) -> dict[str, list[str]]:
    return {}


def _no_inputs(params: Params) -> dict[str, Path]:
    return {}


def _no_check(params: Params, root: Path) -> None:
    return None


@dataclass(frozen=True)
class AnalysisSpec:
    """What one analysis is and needs.

    Attributes
    ----------
    name
        The name used in params (``report.analyses``), file names and manifests.
    notebook
        The notebook's file name under the project's ``notebooks/`` folder.
    section
        The params section the analysis cannot run without (e.g. ``"drivers"``), or None.
    columns
        ``params -> {params key: [columns]}``: data columns the analysis needs, keyed by the
        params key that names them, so a missing column is reported against that key.
    needs_scores
        Whether the data must have at least one of :data:`SCORE_COLUMNS` with answers.
    inputs
        ``params -> {params key: path}``: files besides the data that the notebook reads
        (e.g. an operational file); their digests are part of the report's cache key, so a
        changed file renders the report again.
    description
        One line for ``cxresearch validate`` and the README.
    check
        ``(params, project root) -> None``: validates the files the analysis' params
        section names (e.g. a codebook) before any notebook runs; raises ParamsError or
        DataError naming the file.
    findings
        Its finding provider as ``"module:function"`` (see
        :mod:`cxresearch.story.providers`): ``provider(session, results) -> [Finding]``,
        the findings and recommendations the analysis' report opens with. Named, not
        imported, so reading the registry stays cheap. None: no findings.
    exports
        Files the notebook may write beside the report (e.g. an Excel banner): the runner
        passes the notebook ``exports = {name: temporary path}``, moves what it wrote next
        to the report once everything has rendered, and lists it in the manifest.
    """

    name: str
    notebook: str
    section: str | None = None
    columns: Callable[[Params], dict[str, list[str]]] = field(default=_no_columns, repr=False)
    needs_scores: bool = True
    inputs: Callable[[Params], dict[str, Path]] = field(default=_no_inputs, repr=False)
    description: str = ""
    check: Callable[[Params, Path], None] = field(default=_no_check, repr=False)
    findings: str | None = None
    exports: tuple[str, ...] = ()

    def notebook_path(self, root: str | Path) -> Path:
        """``<root>/notebooks/<notebook>``."""
        return Path(root) / "notebooks" / self.notebook

    def label(self, labels: Labels) -> str:
        """The analysis' name in the report language (``analyses.<name>`` in the labels)."""
        return labels.get(f"analyses.{self.name}", self.name)

    def finding_provider(self) -> Callable[..., list[Any]] | None:
        """The function named by :attr:`findings`, imported on first use; None if unnamed."""
        if self.findings is None:
            return None
        module, _, name = self.findings.partition(":")
        provider = getattr(importlib.import_module(module), name, None)
        if not callable(provider):
            raise ValueError(f"analysis {self.name!r}: findings {self.findings!r} is not callable")
        return provider


ANALYSES: dict[str, AnalysisSpec] = {}


def register(spec: AnalysisSpec) -> AnalysisSpec:
    """Add an analysis to the registry; a name registered twice is a programming error."""
    if spec.name in ANALYSES:
        raise ValueError(f"analysis {spec.name!r} is registered already")
    ANALYSES[spec.name] = spec
    return spec


def analysis_names() -> tuple[str, ...]:
    """Registered analysis names, in registration order (the order reports are listed)."""
    return tuple(ANALYSES)


def analysis(name: str) -> AnalysisSpec:
    """The :class:`AnalysisSpec` called ``name``; ValueError naming the known ones if none."""
    try:
        return ANALYSES[name]
    except KeyError:
        raise ValueError(
            f"unknown analysis {name!r}; known analyses: {', '.join(analysis_names())}"
        ) from None


def _driver_columns(params: Params) -> dict[str, list[str]]:
    if params.drivers is None:
        return {}
    return {
        "drivers.attributes": list(params.drivers.attributes),
        "drivers.outcomes": list(params.drivers.outcomes),
    }


def _banner_columns(params: Params) -> dict[str, list[str]]:
    banner = params.report.banner
    need = {"report.banner.answers": list(banner.answers)}
    if banner.columns is not None:
        need["report.banner.columns"] = list(banner.columns)
    return need


register(
    AnalysisSpec(
        name="benchmarking",
        notebook="benchmarking.ipynb",
        columns=_banner_columns,
        exports=("banner.xlsx",),
        description="headline NPS/CSAT/CES with intervals, waves, breakdowns, targets, norms",
        findings="cxresearch.story.providers:benchmarking_findings",
    )
)
register(
    AnalysisSpec(
        name="drivers",
        notebook="drivers.ipynb",
        section="drivers",
        columns=_driver_columns,
        needs_scores=False,  # its outcomes and attributes are checked as columns
        description="key drivers of the outcomes (Shapley/LMG, relative weights), IPA",
        findings="cxresearch.story.providers:driver_findings_of",
    )
)


def _journey_columns(params: Params) -> dict[str, list[str]]:
    return {} if params.journey is None else params.journey.response_columns()


def _journey_inputs(params: Params) -> dict[str, Path]:
    from cxresearch.journey.files import journey_inputs

    # The journey report shows comment themes by customer type when params code comments.
    return {**journey_inputs(params), **_coding_inputs(params)}


def _coding_columns(params: Params) -> dict[str, list[str]]:
    return {"coding": ["comment"]} if params.coding is not None else {}


def _check_coding(params: Params, root: Path) -> None:
    # Imported here: validating other analyses must not load the text tools.
    from cxresearch.qual.codebook import load_codebook
    from cxresearch.qual.normalise import BaseForms
    from cxresearch.qual.sheets import read_reference, read_sheet

    files = params.input_files()
    if "coding.codebook" not in files:
        return
    forms = BaseForms(Path(root) / ".cache" / "cxresearch")
    book = load_codebook(files["coding.codebook"], forms=forms)
    forms.save()
    if "coding.reference" in files:
        read_reference(files["coding.reference"], book)
    for key, path in files.items():
        if key.startswith("coding.coders"):
            read_sheet(path, book)


def _coding_inputs(params: Params) -> dict[str, Path]:
    files = params.input_files(existing=False)
    return {key: path for key, path in files.items() if key.startswith("coding.")}


register(
    AnalysisSpec(
        name="journey",
        notebook="journey.ipynb",
        section="journey",
        columns=_journey_columns,
        inputs=_journey_inputs,
        check=_check_coding,
        description="three-level scorecard, journey heat-maps, customer types (and their "
        "comment themes), outcomes and value at stake, closing the loop, feedback fatigue",
        findings="cxresearch.story.providers:journey_findings_of",
    )
)
register(
    AnalysisSpec(
        name="qualitative",
        notebook="qualitative.ipynb",
        section="coding",
        columns=_coding_columns,
        needs_scores=False,  # themes and quotes need comments; NPS impact is shown when present
        description="coded comments: themes, coding quality, reliability, NPS impact, quotes",
        inputs=_coding_inputs,
        check=_check_coding,
        findings="cxresearch.story.providers:qual_findings_of",
    )
)
