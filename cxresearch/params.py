"""Validated params files: one YAML per client (``params/<client>.yaml``).

A params file says which data to read, which waves to compare, which runs (segments) to
render, the targets and norms to compare against and which analyses to include. It is
validated completely before any notebook runs, so a typo fails in a second with a message
naming the file and the key instead of halfway through a batch.

The schema follows DESIGN.md, with one change: ``drivers.outcomes`` is a list (drivers of
NPS *and* of retention are reported side by side); ``drivers.outcome`` is still accepted.

What a params file may do is bounded (docs/security.md): numbers are numbers (``true`` is
not 1, ``"1e9"`` is not a number), the YAML may not expand to more than
:data:`MAX_PARAMS_NODES` values (alias bombs), error messages quote at most a short excerpt
of a bad value, and every file it names (fields typed :data:`ProjectFile`: ``data.path``,
``coding.codebook``, ...) must resolve, after symlinks, inside the project folder or a data
root the consultant names (``--data-root`` / ``CXRESEARCH_DATA_ROOT``).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from fnmatch import fnmatch
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    Strict,
    ValidationError,
    field_validator,
    model_validator,
)

from cxresearch.analyses import ANALYSES, AnalysisSpec, analysis, analysis_names
from cxresearch.errors import ParamsError, excerpt
from cxresearch.journey.spec import JourneySpec
from cxresearch.paths import ProjectFile, is_project_file

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
ReportFormat = Literal["html", "pdf"]
Scalar = str | int | float | bool
FilterSpec = dict[str, Scalar | list[Scalar]]
# Numbers are numbers: YAML's `true` is not 1 and the string "1e9" is not 10**9 (PyYAML
# reads 1e9 without a dot as a string). An int is accepted where a float is expected.
Number = Annotated[float, Strict()]
Count = Annotated[int, Strict()]


#: Values a params file may expand to (after YAML aliases); real params have a few hundred.
MAX_PARAMS_NODES = 100_000
#: Largest params file read (bytes); real params are a few kilobytes.
MAX_PARAMS_BYTES = 1_000_000
#: Environment variable naming an extra folder that data files may be in (``--data-root``).
DATA_ROOT_VARIABLE = "CXRESEARCH_DATA_ROOT"


class _Strict(BaseModel):
    # Unknown keys are errors: a misspelt key silently ignored is a wrong report.
    model_config = ConfigDict(extra="forbid", frozen=True)


ExportFormat = Literal[
    "auto",
    "qualtrics",
    "qualtrics-legacy",
    "surveymonkey",
    "google-forms",
    "spss",
    "csv",
    "excel",
    "parquet",
]
Code = str | int | float | bool


class DataSpec(_Strict):
    """The ``data:`` block: which export(s) to read and how they map onto the schema.

    See :func:`cxresearch.data.load_responses` for what each key does; the README's
    "From your survey tool" section shows one worked example per tool.
    """

    path: ProjectFile | list[ProjectFile] = Field(description="a file, a list or globs")
    format: ExportFormat = "auto"
    sheet: str | int | None = None
    header_rows: int | None = Field(default=None, ge=1, le=50)
    encoding: str | None = None
    delimiter: Literal[",", ";", "\t"] | None = None
    constants: dict[str, Scalar | dict[str, Scalar]] = Field(default_factory=dict)
    id: str | None = None
    mapping: dict[str, str] = Field(default_factory=dict)
    recode: dict[str, dict[Code, Code]] = Field(default_factory=dict)
    missing: list[Code] | dict[str, list[Code]] = Field(default_factory=list)
    scales: dict[str, tuple[Number, Number]] = Field(default_factory=dict)
    exclude: dict[str, Code | list[Code]] = Field(default_factory=dict)
    keep: list[Literal["preview", "test", "spam", "unfinished"]] = Field(default_factory=list)
    filter: FilterSpec = Field(default_factory=dict)
    # The values of the data's `client` column this report may use; by default only the
    # params' own `client`. "any" says explicitly that rows of every client belong in it.
    clients: list[str] | Literal["any"] | None = None

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str | None) -> str | None:
        import codecs

        if value is not None:
            try:
                codecs.lookup(value)
            except LookupError:
                raise ValueError(
                    f"unknown encoding {value!r} (e.g. utf-8, cp1252, utf-16)"
                ) from None
        return value

    @field_validator("scales")
    @classmethod
    def _ordered(cls, value: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
        for column, (low, high) in value.items():
            if not low < high:
                raise ValueError(
                    f"scales.{column}: low must be below high, got [{low:g}, {high:g}]"
                )
        return value

    def options(self) -> dict[str, Any]:
        """Keyword arguments of :func:`cxresearch.data.load_responses` for this block."""
        return {
            "format": self.format,
            "sheet": self.sheet,
            "header_rows": self.header_rows,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "constants": self.constants or None,
            "id": self.id,
            "mapping": self.mapping or None,
            "recode": self.recode or None,
            "missing": self.missing or None,
            "scales": self.scales or None,
            "exclude": self.exclude or None,
            "keep": tuple(self.keep),
        }


class Waves(_Strict):
    current: str
    previous: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _distinct(self) -> Waves:
        waves = [self.current, *self.previous]
        if len(set(waves)) != len(waves):
            raise ValueError(f"waves repeat a wave: {waves}")
        return self

    @property
    def ordered(self) -> list[str]:
        """Waves oldest first, current last (``previous`` is listed newest first)."""
        return [*reversed(self.previous), self.current]


class Run(_Strict):
    name: str
    filter: FilterSpec = Field(default_factory=dict)
    title: str | None = None

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError(f"run name {value!r} is not a plain slug (a-z, 0-9, '-', '_')")
        return value


class Weighting(_Strict):
    margins: dict[str, dict[str, Number]]
    trim: tuple[Number, Number] | None = None

    @field_validator("margins")
    @classmethod
    def _sum_to_one(cls, value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for column, shares in value.items():
            total = sum(shares.values())
            if abs(total - 1.0) > 1e-6 or any(s <= 0 for s in shares.values()):
                raise ValueError(
                    f"margins for {column!r} must be positive shares summing to 1, got {total:.6g}"
                )
        return value


# What a target or norm value may be, per metric: NPS points, percentages (a test against
# 0 % or 100 % is degenerate, so those ends are open), CES mean on its 1–7 scale.
_VALUE_RANGE: dict[str, tuple[float, float, bool]] = {
    "nps": (-100.0, 100.0, True),
    "csat": (0.0, 100.0, False),
    "ces": (0.0, 100.0, False),
    "ces_mean": (1.0, 7.0, True),
}


def _check_value(metric: str, value: float, what: str) -> None:
    low, high, closed = _VALUE_RANGE[metric]
    inside = low <= value <= high if closed else low < value < high
    if not inside:
        bounds = f"[{low:g}, {high:g}]" if closed else f"({low:g}, {high:g})"
        raise ValueError(f"{what} {value:g} is outside {bounds}, the range of {metric}")


class Target(_Strict):
    metric: Literal["nps", "csat", "ces", "ces_mean"]
    value: Number
    touchpoint: str | None = None
    segment: dict[str, str] = Field(default_factory=dict)
    label: str | None = None

    @model_validator(mode="after")
    def _in_range(self) -> Target:
        _check_value(self.metric, self.value, "target value")
        return self


class Benchmark(_Strict):
    name: str
    metric: Literal["nps", "csat", "ces", "ces_mean"]
    value: Number
    n: Count | None = Field(default=None, gt=0)
    ci_low: Number | None = None
    ci_high: Number | None = None
    # An NPS norm's promoter and detractor shares (percent) make it an exact second sample;
    # se: the norm's published standard error on the metric's scale.
    promoters: Number | None = Field(default=None, ge=0, le=100)
    detractors: Number | None = Field(default=None, ge=0, le=100)
    se: Number | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _in_range(self) -> Benchmark:
        _check_value(self.metric, self.value, "norm value")
        if (self.ci_low is None) != (self.ci_high is None):
            raise ValueError("give both ci_low and ci_high, or neither")
        if (
            self.ci_low is not None
            and self.ci_high is not None
            and not self.ci_low <= self.value <= self.ci_high
        ):
            raise ValueError(
                f"the interval {self.ci_low:g} to {self.ci_high:g} does not contain the "
                f"value {self.value:g}"
            )
        return self


class Drivers(_Strict):
    outcomes: list[str] = Field(default_factory=lambda: ["nps"], min_length=1)
    attributes: list[str] = Field(min_length=2)
    method: Literal["shapley", "relative-weights", "correlation", "regression"] = "shapley"
    bootstrap: Count = Field(default=1000, ge=0, le=100_000)
    scale: tuple[Number, Number] = (1.0, 5.0)
    top: list[Number] = Field(default_factory=lambda: [4.0, 5.0])

    @model_validator(mode="before")
    @classmethod
    def _single_outcome(cls, data: Any) -> Any:
        # DESIGN.md's form `outcome: nps` stays valid.
        if isinstance(data, Mapping) and "outcome" in data:
            data = dict(data)
            if "outcomes" in data:
                raise ValueError("give either 'outcome' or 'outcomes', not both")
            data["outcomes"] = [data.pop("outcome")]
        return data

    @model_validator(mode="after")
    def _no_overlap(self) -> Drivers:
        for name in (self.attributes, self.outcomes):
            duplicates = sorted({a for a in name if name.count(a) > 1})
            if duplicates:
                raise ValueError(f"listed twice: {duplicates}")
        both = sorted(set(self.outcomes) & set(self.attributes))
        if both:
            raise ValueError(f"{both} are both an outcome and an attribute")
        return self


class Coding(_Strict):
    """The ``coding:`` block: what the qualitative report codes comments with.

    Files are :data:`ProjectFile` (confined to the project) and part of the reports' cache
    key (:meth:`Params.input_files`). Names to mask in quotes come from ``privacy.names``.
    """

    codebook: ProjectFile
    reference: ProjectFile | None = None  # long CSV/xlsx: response_id, code, sentiment
    coders: list[ProjectFile] = Field(default_factory=list)  # filled coder sheets
    quotes: int = Field(default=3, ge=1, le=10)  # quotes per theme
    suggestions: int = Field(default=5, ge=0, le=20)  # candidate new themes (0 = none)
    bootstrap: int = Field(default=1000, ge=0, le=100_000)

    @field_validator("coders")
    @classmethod
    def _distinct_coders(cls, value: list[str]) -> list[str]:
        stems = [Path(v).stem for v in value]
        repeated = sorted({s for s in stems if stems.count(s) > 1})
        if repeated:
            raise ValueError(f"coder sheets must have distinct file names, repeated: {repeated}")
        return value


class Privacy(_Strict):
    """Who must not be named where a person reads data (see cxresearch.qual.masking)."""

    # Staff or customer names masked as [name] in quotes, error messages and the index.
    names: list[str] = Field(default_factory=list)

    @field_validator("names")
    @classmethod
    def _long_enough(cls, value: list[str]) -> list[str]:
        short = [name for name in value if len("".join(name.split())) < 2]
        if short:
            raise ValueError(f"names shorter than two letters cannot be masked: {short}")
        return value


def _registered(name: str) -> str:
    analysis(name)  # ValueError naming the known analyses
    return name


def _default_analyses() -> list[str]:
    return ["benchmarking"]


def _default_formats() -> list[ReportFormat]:
    return ["html"]


class BannerSpec(_Strict):
    """The benchmarking report's banner table (:func:`cxresearch.stats.crosstab.banner`)."""

    # Segment variables as column spans; default: customer type and the params' segments.
    columns: list[str] | None = None
    # Metric rows (default: the headline metrics) and questions shown by answer category.
    metrics: list[str] | None = None
    answers: list[str] = Field(default_factory=list)
    # Effective bases under which a column is flagged (caution) or hidden and not tested.
    caution_below: float = Field(default=100, ge=0)
    suppress_below: float = Field(default=30, ge=0)
    # Adjusted p under which letters are upper case (Displayr's convention: 0.001).
    strict: float = Field(default=0.001, gt=0, lt=0.05)
    # Half-width (points) the sample-size note plans for, shown where bases are small.
    margin: float = Field(default=10, gt=0, le=50)

    @field_validator("metrics")
    @classmethod
    def _registered_metrics(cls, value: list[str] | None) -> list[str] | None:
        from cxresearch.stats.registry import REGISTRY

        unknown = [m for m in value or [] if m not in REGISTRY]
        if unknown:
            raise ValueError(f"unknown metric(s) {unknown}; known: {sorted(REGISTRY)}")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> BannerSpec:
        if self.suppress_below > self.caution_below:
            raise ValueError(
                f"suppress_below ({self.suppress_below:g}) must not exceed caution_below "
                f"({self.caution_below:g})"
            )
        return self


class ReportSpec(_Strict):
    # Names from the analysis registry (cxresearch.analyses), one notebook each.
    analyses: list[Annotated[str, AfterValidator(_registered)]] = Field(
        default_factory=_default_analyses, min_length=1
    )
    formats: list[ReportFormat] = Field(default_factory=_default_formats, min_length=1)
    confidence: Number = Field(default=0.95, gt=0.5, lt=1.0)
    min_base: Count = Field(default=30, ge=1)
    # Multiplicity adjustment of every table that tests several cells.
    multiplicity: Literal["bh", "holm", "bonferroni", "none"] = "bh"
    seed: Count = 20261123
    banner: BannerSpec = Field(default_factory=BannerSpec)

    @field_validator("analyses")
    @classmethod
    def _listed_once(cls, value: list[str]) -> list[str]:
        repeated = sorted({n for n in value if value.count(n) > 1})
        if repeated:
            raise ValueError(f"analyses listed twice: {repeated}")
        return value


class Params(_Strict):
    """A validated params file. Build it with :func:`load_params`."""

    client: str
    title: str
    language: Literal["fi", "en"] = "fi"
    data: DataSpec
    waves: Waves
    segments: list[str] = Field(default_factory=list)
    runs: list[Run] = Field(default_factory=lambda: [Run(name="all")], min_length=1)
    weighting: Weighting | None = None
    targets: list[Target] = Field(default_factory=list)
    benchmarks: list[Benchmark] = Field(default_factory=list)
    drivers: Drivers | None = None
    coding: Coding | None = None
    journey: JourneySpec | None = None
    privacy: Privacy = Field(default_factory=Privacy)
    report: ReportSpec = Field(default_factory=ReportSpec)

    _path: Path = PrivateAttr(default=Path("<memory>"))
    _sha256: str = PrivateAttr(default="")

    @field_validator("client")
    @classmethod
    def _client_slug(cls, value: str) -> str:
        # The client name becomes a folder under reports/: nothing that can escape it.
        if not SLUG.match(value):
            raise ValueError(
                f"client {value!r} is not a plain slug (lower-case a-z, 0-9, '-', '_'; "
                "no slashes or dots)"
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Params:
        names = [run.name for run in self.runs]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"run names repeat: {repeated}")
        for name in self.report.analyses:
            section = analysis(name).section
            if section is not None and getattr(self, section, None) is None:
                raise ValueError(
                    f"report.analyses includes {name!r} but there is no {section!r} section"
                )
        return self

    @property
    def path(self) -> Path:
        """The params file this was read from."""
        return self._path

    @property
    def sha256(self) -> str:
        """sha256 of the params file's bytes (recorded in every report)."""
        return self._sha256

    @property
    def data_path(self) -> Path:
        """The (first) data file; relative paths are relative to the project root."""
        return self.data_paths[0]

    def _glob_matches(self) -> list[Path]:
        entries = [self.data.path] if isinstance(self.data.path, str) else list(self.data.path)
        root = project_root(self._path)
        found: list[Path] = []
        for entry in entries:
            if any(ch in entry for ch in "*?["):
                absolute = Path(entry).is_absolute()
                base = Path("/") if absolute else root
                pattern = str(Path(entry).relative_to("/")) if absolute else entry
                found += sorted(p for p in base.glob(pattern) if p.is_file())
        return found

    @property
    def data_paths(self) -> list[Path]:
        """Every data file of ``data.path`` (a file, a list, or globs), in a stable order.

        Each file goes through :func:`resolve_data_path`, so a list or a glob is confined
        exactly as a single path is. A glob matching nothing is a ParamsError.
        """
        entries = [self.data.path] if isinstance(self.data.path, str) else list(self.data.path)
        if not entries:
            raise ParamsError(f"{self._path}: data.path: the list of files is empty")
        paths: list[Path] = []
        for entry in entries:
            if any(ch in entry for ch in "*?["):
                found = [
                    p
                    for p in self._glob_matches()
                    if p.match(entry) or fnmatch(str(p), str(project_root(self._path) / entry))
                ]
                if not found:
                    raise ParamsError(f"{self._path}: data.path: no file matches {entry!r}")
                paths += [resolve_data_path(self._path, str(p)) for p in found]
            else:
                paths.append(resolve_data_path(self._path, entry))
        repeated = sorted({str(p) for p in paths if paths.count(p) > 1})
        if repeated:
            raise ParamsError(f"{self._path}: data.path names a file twice: {repeated}")
        return paths

    @property
    def allowed_clients(self) -> list[str] | None:
        """Values of the data's ``client`` column this report may use; None means any."""
        if self.data.clients == "any":
            return None
        return list(self.data.clients) if self.data.clients else [self.client]

    def check_one_client(self, frame: Any) -> None:
        """Raise ParamsError if ``frame`` (the rows after ``data.filter``) mixes clients.

        When the data has a ``client`` column, every row a report uses must carry one of
        :attr:`allowed_clients` (by default the params' ``client``); an empty client
        counts as another client. ``data.clients: any`` switches the check off.
        """
        allowed = self.allowed_clients
        if allowed is None or "client" not in frame.columns:
            return
        values = frame["client"]
        other = values[~values.astype("string").isin(allowed).fillna(False).astype(bool)]
        if len(other) == 0:
            return
        counts = other.astype("string").fillna("(empty)").value_counts()
        shown = ", ".join(f"{excerpt(v, 40)!r}: {n} rows" for v, n in counts.head(5).items())
        more = f" and {len(counts) - 5} more" if len(counts) > 5 else ""
        raise ParamsError(
            f"{self._path}: data.filter: the rows of this report include other clients' rows "
            f"({shown}{more}; this report is for {allowed}). Keep one client per report "
            f"with data.filter: {{client: {self.client}}}, or list the client values whose rows "
            'belong in it under data.clients ("any" for every client)'
        )

    def files(self) -> dict[str, str]:
        """Every file this params file names, keyed by its dotted key (``data.path``...).

        Found from the model's fields typed :data:`ProjectFile`, so a new file key is
        confined to the project as soon as it is declared with that type.
        """
        return dict(_project_files(self, ""))

    def check_files(self, *, data_root: str | Path | None = None) -> None:
        """Raise ParamsError if a file named in the params lies outside the allowed folders.

        Relative paths start at the project root (:func:`project_root`). After symlinks are
        resolved, each file must be inside the project root or inside ``data_root``
        (default: the :data:`DATA_ROOT_VARIABLE` environment variable, if set).
        """
        root = project_root(self._path)
        allowed = [root]
        extra = data_root if data_root is not None else os.environ.get(DATA_ROOT_VARIABLE)
        if extra:
            allowed.append(Path(extra).expanduser().resolve())
        # A glob is checked file by file as it expands (a match may be a symlink that
        # leads outside), besides the pattern itself.
        globbed = [("data.path", str(p)) for p in self._glob_matches()]
        for key, value in [*self.files().items(), *globbed]:
            resolved = resolve_data_path(self._path, value)
            if not any(resolved.is_relative_to(folder) for folder in allowed):
                where = " or ".join(str(f) for f in allowed)
                raise ParamsError(
                    f"{self._path}: {key}: {excerpt(value, 120)!r} resolves to a file outside "
                    f"the project folder ({where}); keep data under the project, or name its "
                    "folder with --data-root"
                )

    def input_files(self, *, existing: bool = True) -> dict[str, Path]:
        """Files other than the data file that the params name, by params key.

        Every :data:`ProjectFile` field that names an existing file (a codebook, a
        reference coding, coder sheets, a journey's operational file ...): they are part of
        every report's cache key, so a changed codebook re-runs the reports, and their
        checksums are recorded in the provenance. Folders (e.g. a follow-up folder) and, by
        default, missing files are left out; ``existing=False`` keeps missing files.
        """
        pairs = _project_files(self, "")
        total = {key: sum(k == key for k, _ in pairs) for key, _ in pairs}
        seen: dict[str, int] = {}
        out: dict[str, Path] = {}
        for key, value in pairs:
            # several files under one key (coding.coders) are numbered: coding.coders[0], ...
            seen[key] = seen.get(key, -1) + 1
            name = f"{key}[{seen[key]}]" if total[key] > 1 else key
            path = resolve_data_path(self._path, value)
            if key != "data.path" and (path.is_file() or not existing):
                out[name] = path
        return out

    def run(self, name: str) -> Run:
        """The run called ``name``; ParamsError naming the file if there is none."""
        for run in self.runs:
            if run.name == name:
                return run
        known = [r.name for r in self.runs]
        raise ParamsError(f"{self._path}: no run named {name!r} under 'runs' (have {known})")

    def analyses_used(self) -> list[AnalysisSpec]:
        """Analyses the report lists, plus those whose params section is present.

        A section given without its analysis listed (e.g. ``drivers:`` kept while the
        analysis is switched off) is still checked against the data, so that switching it
        back on cannot fail later on a column typo.
        """
        names = set(self.report.analyses)
        names |= {
            spec.name
            for spec in ANALYSES.values()
            if spec.section is not None and getattr(self, spec.section, None) is not None
        }
        return [ANALYSES[name] for name in analysis_names() if name in names]

    def required_columns(self) -> dict[str, list[str]]:
        """Columns the data must have, keyed by the params key that names them."""
        need: dict[str, list[str]] = {"segments": list(self.segments)}
        need["data.filter"] = list(self.data.filter)
        for i, run in enumerate(self.runs):
            need[f"runs[{i}].filter"] = list(run.filter)
        for i, target in enumerate(self.targets):
            need[f"targets[{i}].segment"] = list(target.segment)
            if target.touchpoint is not None:
                need[f"targets[{i}].touchpoint"] = ["touchpoint"]
        for spec in self.analyses_used():
            need.update(spec.columns(self))
        if self.weighting is not None:
            need["weighting.margins"] = list(self.weighting.margins)
        return need

    def check_columns(self, columns: list[str]) -> None:
        """Raise ParamsError if a key names a column the data does not have."""
        have = set(columns)
        for key, wanted in self.required_columns().items():
            missing = [c for c in wanted if c not in have]
            if missing:
                raise ParamsError(
                    f"{self._path}: {key} names column(s) {missing} that are not in the data "
                    f"{self.data_path}; available: {sorted(have)}"
                )


def project_root(params_path: Path) -> Path:
    """The folder relative data paths start from.

    A params file kept in a ``params/`` folder (the usual layout) belongs to the project
    one level up; a params file anywhere else is read relative to its own folder.
    """
    folder = params_path.resolve().parent
    return folder.parent if folder.name == "params" else folder


def resolve_data_path(params_path: Path, data_path: str) -> Path:
    """A file named in params as an absolute path with symlinks resolved.

    Relative paths start at :func:`project_root`; ``~`` is not expanded (a params file
    names files of the project, not of a user's home).
    """
    path = Path(data_path)
    return (path if path.is_absolute() else project_root(params_path) / path).resolve()


def _project_files(model: BaseModel, prefix: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        key = f"{prefix}{name}"
        if is_project_file(info.metadata, info.annotation):
            values = value if isinstance(value, list) else [value]
            found.extend((key, v) for v in values if isinstance(v, str))
        elif isinstance(value, BaseModel):
            found.extend(_project_files(value, key + "."))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    found.extend(_project_files(item, f"{key}[{i}]."))
    return found


# Validation messages listed at most; a params file with thousands of errors is one mistake.
_MAX_ERRORS = 20


def _format_validation_error(path: Path, error: ValidationError) -> str:
    lines = [f"{path}: invalid params"]
    items = error.errors()
    for item in items[:_MAX_ERRORS]:
        key = ".".join(str(part) for part in item["loc"]) or "(top level)"
        if item["type"] == "extra_forbidden":
            lines.append(f"  {key}: unknown key")
        elif item["type"] == "missing":
            lines.append(f"  {key}: required key is missing")
        else:
            # The input is quoted short: pydantic's own message would echo it whole.
            got = excerpt(repr(item.get("input")), 80)
            lines.append(f"  {excerpt(key, 120)}: {item['msg']} (got {got})")
    if len(items) > _MAX_ERRORS:
        lines.append(f"  … and {len(items) - _MAX_ERRORS} more problems")
    return "\n".join(lines)


def _expanded_size(node: yaml.Node, sizes: dict[int, int]) -> int:
    # Values the document expands to, counting each alias as a full copy of its target;
    # memoised per node, so a billion-laughs document is measured in linear time.
    known = sizes.get(id(node))
    if known is not None:
        return known
    sizes[id(node)] = MAX_PARAMS_NODES + 1  # a self-referencing node is too big anyway
    if isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(child, sizes) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        size = 1 + sum(_expanded_size(k, sizes) + _expanded_size(v, sizes) for k, v in node.value)
    else:
        size = 1
    sizes[id(node)] = min(size, MAX_PARAMS_NODES + 1)
    return sizes[id(node)]


def _read_yaml(path: Path, raw_bytes: bytes) -> Any:
    if len(raw_bytes) > MAX_PARAMS_BYTES:
        raise ParamsError(
            f"{path}: the params file is {len(raw_bytes):,} bytes; params files are small "
            f"(at most {MAX_PARAMS_BYTES:,} bytes)"
        )
    try:
        text = raw_bytes.decode("utf-8")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        if node is not None and _expanded_size(node, {}) > MAX_PARAMS_NODES:
            raise ParamsError(
                f"{path}: the params expand to more than {MAX_PARAMS_NODES:,} values "
                "(YAML anchors and aliases repeated inside each other?)"
            )
        return yaml.safe_load(text)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ParamsError(f"{path}: not valid UTF-8 YAML: {excerpt(str(exc), 300)}") from exc


def read_yaml(path: Path, what: str) -> tuple[Any, bytes]:
    """A small YAML file (params, a codebook) read safely, and its bytes.

    The same guards as the params file (size, alias expansion, ``yaml.safe_load``); a file
    that cannot be read is a ParamsError naming it (``what`` says what it is).
    """
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise ParamsError(f"{path}: cannot read {what} ({exc.strerror})") from exc
    return _read_yaml(path, raw_bytes), raw_bytes


def load_params(
    path: str | Path, *, check_data_file: bool = True, data_root: str | Path | None = None
) -> Params:
    """Read and validate one params file.

    Parameters
    ----------
    path
        The YAML file, read with ``yaml.safe_load`` (no arbitrary Python objects); at most
        :data:`MAX_PARAMS_BYTES` bytes expanding to at most :data:`MAX_PARAMS_NODES` values.
    check_data_file
        Also require the data file named under ``data.path`` to exist.
    data_root
        A folder outside the project that files named in the params may also be in
        (default: the ``CXRESEARCH_DATA_ROOT`` environment variable; see
        :meth:`Params.check_files`).

    Raises
    ------
    ParamsError
        Unreadable, oversized or alias-bomb file, invalid YAML, unknown key, wrong type
        (``true`` or ``"1e9"`` where a number belongs), unsafe client name, a file outside
        the project, or a missing data file; the message names the file and the key.
    """
    path = Path(path)
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise ParamsError(f"{path}: cannot read params file ({exc.strerror})") from exc
    raw = _read_yaml(path, raw_bytes)
    if not isinstance(raw, dict):
        raise ParamsError(f"{path}: expected a mapping of keys at the top level")
    try:
        params = Params.model_validate(raw)
    except ValidationError as exc:
        raise ParamsError(_format_validation_error(path, exc)) from None
    params._path = path
    params._sha256 = hashlib.sha256(raw_bytes).hexdigest()
    params.check_files(data_root=data_root)
    if check_data_file:
        for data_path in params.data_paths:
            if not data_path.is_file():
                raise ParamsError(f"{path}: data.path: data file {data_path} does not exist")
    return params


def find_params(folder: str | Path = "params") -> list[Path]:
    """Every client params file in ``folder`` (``*.yaml``/``*.yml``), sorted by name."""
    folder = Path(folder)
    return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
