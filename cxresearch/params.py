"""Validated params files: one YAML per client (``params/<client>.yaml``).

A params file says which data to read, which waves to compare, which runs (segments) to
render, the targets and norms to compare against and which analyses to include. It is
validated completely before any notebook runs, so a typo fails in a second with a message
naming the file and the key instead of halfway through a batch.

The schema follows DESIGN.md, with one change: ``drivers.outcomes`` is a list (drivers of
NPS *and* of retention are reported side by side); ``drivers.outcome`` is still accepted.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from cxresearch.analyses import ANALYSES, AnalysisSpec, analysis, analysis_names
from cxresearch.errors import ParamsError
from cxresearch.journey.spec import JourneySpec

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
ReportFormat = Literal["html", "pdf"]
Scalar = str | int | float | bool
FilterSpec = dict[str, Scalar | list[Scalar]]


class _Strict(BaseModel):
    # Unknown keys are errors: a misspelt key silently ignored is a wrong report.
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataSpec(_Strict):
    path: str
    mapping: dict[str, str] = Field(default_factory=dict)
    filter: FilterSpec = Field(default_factory=dict)
    scales: dict[str, tuple[float, float]] = Field(default_factory=dict)


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
    margins: dict[str, dict[str, float]]
    trim: tuple[float, float] | None = None

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
    value: float
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
    value: float
    n: int | None = Field(default=None, gt=0)
    ci_low: float | None = None
    ci_high: float | None = None
    # An NPS norm's promoter and detractor shares (percent) make it an exact second sample;
    # se: the norm's published standard error on the metric's scale.
    promoters: float | None = Field(default=None, ge=0, le=100)
    detractors: float | None = Field(default=None, ge=0, le=100)
    se: float | None = Field(default=None, gt=0)

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
    bootstrap: int = Field(default=1000, ge=0, le=100_000)
    scale: tuple[float, float] = (1.0, 5.0)
    top: list[float] = Field(default_factory=lambda: [4.0, 5.0])

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
    codebook: str


def _registered(name: str) -> str:
    analysis(name)  # ValueError naming the known analyses
    return name


def _default_analyses() -> list[str]:
    return ["benchmarking"]


def _default_formats() -> list[ReportFormat]:
    return ["html"]


class ReportSpec(_Strict):
    # Names from the analysis registry (cxresearch.analyses), one notebook each.
    analyses: list[Annotated[str, AfterValidator(_registered)]] = Field(
        default_factory=_default_analyses, min_length=1
    )
    formats: list[ReportFormat] = Field(default_factory=_default_formats, min_length=1)
    confidence: float = Field(default=0.95, gt=0.5, lt=1.0)
    min_base: int = Field(default=30, ge=1)
    # Multiplicity adjustment of every table that tests several cells.
    multiplicity: Literal["bh", "holm", "bonferroni", "none"] = "bh"
    seed: int = 20261123

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
        """Absolute path of the data file (relative paths are relative to the project root)."""
        return resolve_data_path(self._path, self.data.path)

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
    path = Path(data_path)
    return path if path.is_absolute() else (project_root(params_path) / path).resolve()


def _format_validation_error(path: Path, error: ValidationError) -> str:
    lines = [f"{path}: invalid params"]
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"]) or "(top level)"
        if item["type"] == "extra_forbidden":
            lines.append(f"  {key}: unknown key")
        elif item["type"] == "missing":
            lines.append(f"  {key}: required key is missing")
        else:
            lines.append(f"  {key}: {item['msg']} (got {item.get('input')!r})")
    return "\n".join(lines)


def load_params(path: str | Path, *, check_data_file: bool = True) -> Params:
    """Read and validate one params file.

    Parameters
    ----------
    path
        The YAML file, read with ``yaml.safe_load`` (no arbitrary Python objects).
    check_data_file
        Also require the data file named under ``data.path`` to exist.

    Raises
    ------
    ParamsError
        Unreadable file, invalid YAML, unknown key, wrong type, unsafe client name or a
        missing data file; the message names the file and the key.
    """
    path = Path(path)
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise ParamsError(f"{path}: cannot read params file ({exc.strerror})") from exc
    try:
        raw = yaml.safe_load(raw_bytes.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ParamsError(f"{path}: not valid UTF-8 YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ParamsError(f"{path}: expected a mapping of keys at the top level")
    try:
        params = Params.model_validate(raw)
    except ValidationError as exc:
        raise ParamsError(_format_validation_error(path, exc)) from None
    params._path = path
    params._sha256 = hashlib.sha256(raw_bytes).hexdigest()
    if check_data_file and not params.data_path.is_file():
        raise ParamsError(f"{path}: data.path: data file {params.data_path} does not exist")
    return params


def find_params(folder: str | Path = "params") -> list[Path]:
    """Every client params file in ``folder`` (``*.yaml``/``*.yml``), sorted by name."""
    folder = Path(folder)
    return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
