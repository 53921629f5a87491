"""Params files: what load_params accepts and how it refuses bad input.

Every refusal must be a ParamsError whose message names the file and the key, so a typo
fails in a second with a message the user can act on.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from cxresearch.errors import ParamsError
from cxresearch.params import find_params, load_params, project_root, resolve_data_path

ROOT = Path(__file__).resolve().parents[2]

VALID = """\
client: acme
title: Acme Oy — asiakaskokemus 2026
language: fi
data: {path: data/responses.csv, filter: {client: acme}}
waves: {current: 2026Q3, previous: [2026Q2, 2026Q1]}
segments: [region, size]
runs:
  - {name: all}
  - {name: yritykset, filter: {size: enterprise}, title: Suuryritykset}
targets:
  - {metric: nps, touchpoint: support, segment: {customer_type: current}, value: 40}
benchmarks:
  - {name: Industry norm 2025, metric: nps, value: 32, n: 1200}
drivers: {outcome: nps, attributes: [attr_ease, attr_speed], bootstrap: 200}
report: {analyses: [benchmarking], formats: [html], confidence: 0.9, min_base: 25}
"""


def write(project: Path, text: str, *, name: str = "acme.yaml", data: bool = True) -> Path:
    """A project folder with params/<name> and (optionally) its data file."""
    (project / "params").mkdir(exist_ok=True)
    if data:
        (project / "data").mkdir(exist_ok=True)
        (project / "data" / "responses.csv").write_text("response_id,client,wave\n")
    path = project / "params" / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def edit(**changes: object) -> str:
    raw = yaml.safe_load(VALID)
    for key, value in changes.items():
        if value is None:
            raw.pop(key)
        else:
            raw[key] = value
    return yaml.safe_dump(raw, allow_unicode=True, sort_keys=False)


def test_valid_file_loads_with_its_values(tmp_path: Path) -> None:
    path = write(tmp_path, VALID)
    params = load_params(path)
    assert params.client == "acme"
    assert params.waves.ordered == ["2026Q1", "2026Q2", "2026Q3"]
    assert params.run("yritykset").filter == {"size": "enterprise"}
    assert params.targets[0].segment == {"customer_type": "current"}
    assert params.benchmarks[0].n == 1200
    assert params.drivers is not None and params.drivers.outcomes == ["nps"]
    assert params.report.confidence == 0.9 and params.report.min_base == 25
    assert params.data_path == (tmp_path / "data" / "responses.csv").resolve()
    assert params.path == path
    assert len(params.sha256) == 64


def test_defaults_are_filled(tmp_path: Path) -> None:
    minimal = edit(
        segments=None, runs=None, targets=None, benchmarks=None, drivers=None, report=None
    )
    params = load_params(write(tmp_path, minimal))
    assert [r.name for r in params.runs] == ["all"]
    assert params.report.analyses == ["benchmarking"]
    assert params.report.formats == ["html"]
    assert params.report.confidence == 0.95 and params.report.min_base == 30


def test_sha256_changes_with_the_bytes(tmp_path: Path) -> None:
    first = load_params(write(tmp_path, VALID)).sha256
    second = load_params(write(tmp_path, VALID + "# a comment\n")).sha256
    assert first != second


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (VALID + "colour: blue\n", "colour: unknown key"),
        (VALID.replace("segments:", "segmnts:"), "segmnts: unknown key"),
        (VALID.replace("report: {analyses", "report: {analyse"), "report.analyse: unknown key"),
        (VALID.replace("{name: all}", "{name: all, filtr: {}}"), "runs.0.filtr: unknown key"),
    ],
)
def test_unknown_keys_are_named(tmp_path: Path, text: str, key: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ParamsError) as info:
        load_params(path)
    assert str(path) in str(info.value)
    assert key in str(info.value)


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"language": "sv"}, "language"),
        ({"waves": {"current": "2026Q3", "previous": "2026Q2"}}, "waves.previous"),
        ({"report": {"confidence": 1.5}}, "report.confidence"),
        ({"report": {"min_base": "thirty"}}, "report.min_base"),
        ({"report": {"analyses": ["journey-map"]}}, "report.analyses.0"),
        ({"report": {"formats": ["docx"]}}, "report.formats.0"),
        ({"targets": [{"metric": "nps", "value": "high"}]}, "targets.0.value"),
        ({"targets": [{"metric": "happiness", "value": 3}]}, "targets.0.metric"),
        ({"benchmarks": [{"name": "x", "metric": "nps", "value": 1, "n": 0}]}, "benchmarks.0.n"),
        ({"drivers": {"attributes": ["attr_ease"]}}, "drivers.attributes"),
    ],
)
def test_wrong_types_and_values_are_named(
    tmp_path: Path, change: dict[str, object], key: str
) -> None:
    path = write(tmp_path, edit(**change))
    with pytest.raises(ParamsError) as info:
        load_params(path)
    message = str(info.value)
    assert str(path) in message
    assert f"  {key}:" in message


def test_missing_required_key_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, edit(waves=None))
    with pytest.raises(ParamsError, match=r"waves: required key is missing"):
        load_params(path)


def test_missing_data_file_names_the_key_and_path(tmp_path: Path) -> None:
    path = write(tmp_path, VALID, data=False)
    with pytest.raises(ParamsError) as info:
        load_params(path)
    message = str(info.value)
    assert str(path) in message and "data.path" in message
    assert str(tmp_path / "data" / "responses.csv") in message
    # The check can be skipped (e.g. to validate params before the data arrives).
    assert load_params(path, check_data_file=False).client == "acme"


@pytest.mark.parametrize("client", ["../x", "acme/../../etc", "Acme", ".hidden", "a b", ""])
def test_unsafe_client_names_are_refused(tmp_path: Path, client: str) -> None:
    path = write(tmp_path, edit(client=client))
    with pytest.raises(ParamsError) as info:
        load_params(path)
    assert "client" in str(info.value) and str(path) in str(info.value)


@pytest.mark.parametrize("name", ["../all", "All", "a/b"])
def test_unsafe_run_names_are_refused(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, edit(runs=[{"name": name}]))
    with pytest.raises(ParamsError, match=r"runs\.0\.name"):
        load_params(path)


def test_duplicate_runs_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, edit(runs=[{"name": "all"}, {"name": "all", "filter": {"size": "x"}}]))
    with pytest.raises(ParamsError, match=r"run names repeat: \['all'\]"):
        load_params(path)


def test_repeated_waves_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, edit(waves={"current": "2026Q3", "previous": ["2026Q3"]}))
    with pytest.raises(ParamsError, match="waves repeat a wave"):
        load_params(path)


def test_drivers_analysis_needs_a_drivers_section(tmp_path: Path) -> None:
    path = write(tmp_path, edit(drivers=None, report={"analyses": ["benchmarking", "drivers"]}))
    with pytest.raises(ParamsError, match="no 'drivers' section"):
        load_params(path)


def test_drivers_outcome_and_outcomes_not_both(tmp_path: Path) -> None:
    drivers = {"outcome": "nps", "outcomes": ["nps"], "attributes": ["attr_a", "attr_b"]}
    with pytest.raises(ParamsError, match="either 'outcome' or 'outcomes'"):
        load_params(write(tmp_path, edit(drivers=drivers)))


def test_python_object_tags_are_not_executed(tmp_path: Path) -> None:
    # yaml.load with the full loader would call os.system here; safe_load must refuse.
    marker = tmp_path / "pwned"
    text = VALID + f"extra: !!python/object/apply:os.system ['touch {marker}']\n"
    path = write(tmp_path, text)
    with pytest.raises(ParamsError) as info:
        load_params(path)
    assert str(path) in str(info.value) and "not valid UTF-8 YAML" in str(info.value)
    assert not marker.exists()


def test_python_object_tag_in_a_value_fails(tmp_path: Path) -> None:
    path = write(tmp_path, VALID.replace("title: Acme", "title: !!python/object:builtins.str Acme"))
    with pytest.raises(ParamsError, match="not valid UTF-8 YAML"):
        load_params(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"client: [unclosed\n", "not valid UTF-8 YAML"),
        (b"- a\n- list\n", "expected a mapping of keys at the top level"),
        (b"\xff\xfe not utf-8", "not valid UTF-8 YAML"),
        (b"", "expected a mapping of keys at the top level"),
    ],
)
def test_unparsable_files_name_the_file(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    with pytest.raises(ParamsError) as info:
        load_params(path)
    assert str(path) in str(info.value) and message in str(info.value)


def test_unreadable_file_is_a_params_error(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    with pytest.raises(ParamsError, match=rf"{path}: cannot read params file"):
        load_params(path)


def test_unknown_run_lists_the_known_ones(tmp_path: Path) -> None:
    params = load_params(write(tmp_path, VALID))
    with pytest.raises(ParamsError, match=r"no run named 'pk' .*\['all', 'yritykset'\]"):
        params.run("pk")


def test_check_columns_names_the_key_and_the_column(tmp_path: Path) -> None:
    params = load_params(write(tmp_path, VALID))
    columns = ["client", "wave", "region", "size", "customer_type", "touchpoint", "attr_ease"]
    params.check_columns([*columns, "attr_speed", "nps"])
    with pytest.raises(
        ParamsError, match=r"drivers\.attributes names column\(s\) \['attr_speed'\]"
    ):
        params.check_columns([*columns, "nps"])
    with pytest.raises(ParamsError, match=r"segments names column\(s\) \['size'\]"):
        params.check_columns([c for c in columns if c != "size"])


def test_relative_data_paths_start_at_the_project_root(tmp_path: Path) -> None:
    in_params = tmp_path / "params" / "x.yaml"
    elsewhere = tmp_path / "other" / "x.yaml"
    assert project_root(in_params) == tmp_path.resolve()
    assert project_root(elsewhere) == (tmp_path / "other").resolve()
    assert resolve_data_path(elsewhere, "d.csv") == (tmp_path / "other" / "d.csv").resolve()
    assert resolve_data_path(elsewhere, "/abs/d.csv") == Path("/abs/d.csv")


def test_find_params_lists_yaml_files_sorted(tmp_path: Path) -> None:
    for name in ("b.yaml", "a.yml", "notes.txt"):
        (tmp_path / name).write_text("x: 1\n")
    assert [p.name for p in find_params(tmp_path)] == ["a.yml", "b.yaml"]


@pytest.mark.parametrize("name", ["kotiposti", "northwind", "saimaa-energia"])
def test_demo_params_files_are_valid(name: str) -> None:
    params = load_params(ROOT / "params" / f"{name}.yaml")
    assert params.client == name
    assert params.path.stem == params.client  # reports/<client>/ matches the file name
    assert [r.name for r in params.runs][0] == "all" and len(params.runs) >= 2
    assert params.report.min_base == 30
    assert {t.metric for t in params.targets} >= {"nps", "csat"}
    assert params.benchmarks and all(b.n for b in params.benchmarks)
    assert params.drivers is not None and len(params.drivers.attributes) == 7


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("targets", [{"metric": "nps", "value": 120}], r"targets\.0.*120 is outside \[-100, 100\]"),
        ("targets", [{"metric": "csat", "value": 100}], r"targets\.0.*100 is outside \(0, 100\)"),
        ("targets", [{"metric": "ces_mean", "value": 0.5}], r"targets\.0.*outside \[1, 7\]"),
        ("benchmarks", [{"name": "x", "metric": "ces", "value": 0}], r"benchmarks\.0.*outside"),
        (
            "benchmarks",
            [{"name": "x", "metric": "nps", "value": 30, "ci_low": 32, "ci_high": 40}],
            r"benchmarks\.0.*does not contain the value 30",
        ),
        (
            "benchmarks",
            [{"name": "x", "metric": "nps", "value": 30, "ci_low": 20}],
            r"benchmarks\.0.*both ci_low and ci_high",
        ),
    ],
)
def test_target_and_norm_values_must_fit_their_metric(
    tmp_path: Path, key: str, value: object, message: str
) -> None:
    path = write(tmp_path, edit(**{key: value}))
    with pytest.raises(ParamsError, match=message) as info:
        load_params(path)
    assert str(path) in str(info.value)


def test_weighting_margins_and_trim_are_read(tmp_path: Path) -> None:
    margins = {"region": {"north": 0.5, "south": 0.5}}
    path = write(tmp_path, edit(weighting={"margins": margins, "trim": [0.3, 3.0]}))
    params = load_params(path)
    assert params.weighting is not None and params.weighting.margins == margins
    assert params.weighting.trim == (0.3, 3.0)
    assert params.report.multiplicity == "bh"
    bad = write(tmp_path, edit(weighting={"margins": {"region": {"north": 0.5, "south": 0.6}}}))
    with pytest.raises(ParamsError, match="must be positive shares summing to 1"):
        load_params(bad)
