"""open_run and RunSession: filters, counts, waves, errors and the numbers notebooks show."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pandas as pd
import pytest

import cxresearch
from cxresearch.errors import DataError, ParamsError
from cxresearch.present import get_labels
from cxresearch.present.escaping import rendered_text
from cxresearch.session import describe_filter, open_run
from cxresearch.stats.benchmark import benchmark_results, target_results
from cxresearch.stats.design import calibration_of
from cxresearch.stats.inference import compare_samples, compare_to_target

COLUMNS = ["response_id", "client", "wave", "customer_type", "touchpoint", "channel", "region",
           "size", "nps", "csat", "ces"]  # fmt: skip


def _current_wave() -> list[dict[str, object]]:
    """2026Q3 of acme: 60 rows with counts chosen for hand and R checks.

    NPS: 30 promoters, 18 passives, 12 detractors (NPS 30). CSAT: 39 of 60 top-2 (65 %).
    Customer types: 34 current, 20 former, 6 never.
    """
    rows = []
    for i in range(60):
        rows.append(
            {
                "customer_type": "current" if i < 34 else "former" if i < 54 else "never",
                "touchpoint": "web" if i % 2 == 0 else "support",
                "channel": "web" if i % 2 == 0 else "phone",
                "region": "north" if i % 4 == 0 else "south",
                "size": "enterprise" if i % 3 == 0 else "small",
                "nps": 10 if i < 30 else 7 if i < 48 else 3,
                "csat": 5 if i < 39 else 2,
                "ces": i % 7 + 1,
            }
        )
    return rows


def _other_wave(n: int, shift: int) -> list[dict[str, object]]:
    return [
        {
            "customer_type": ("current", "former")[i % 2],
            "touchpoint": ("web", "support")[i % 2],
            "channel": ("web", "phone")[i % 2],
            "region": ("north", "south")[i % 2],
            "size": ("enterprise", "small")[(i // 2) % 2],
            "nps": (i + shift) % 11,
            "csat": (i + shift) % 5 + 1,
            "ces": (i + shift) % 7 + 1,
        }
        for i in range(n)
    ]


PARAMS = """\
client: acme
title: Acme Oy — asiakaskokemus 2026
language: fi
data: {path: data/responses.csv, filter: {client: acme}}
waves: {current: 2026Q3, previous: [2026Q2, 2026Q1]}
segments: [region, size]
runs:
  - {name: all}
  - {name: ent, filter: {size: enterprise}, title: Suuryritykset}
targets:
  - {metric: nps, touchpoint: web, segment: {customer_type: current}, value: -50}
  - {metric: nps, segment: {customer_type: former}, value: 50, label: Entiset}
  - {metric: csat, touchpoint: web, segment: {customer_type: current}, value: 95}
  - {metric: nps, segment: {customer_type: never}, value: 0}
benchmarks:
  - {name: CSAT norm, metric: csat, value: 55, n: 1500}
  - {name: NPS norm, metric: nps, value: 20, n: 1000}
  - {name: NPS hearsay, metric: nps, value: 25}
report: {min_base: 14}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder with params/acme.yaml and data/responses.csv (acme and another client)."""
    waves = [("2025Q4", _other_wave(10, 3)), ("2026Q1", _other_wave(40, 1)),
             ("2026Q2", _other_wave(50, 2)), ("2026Q3", _current_wave())]  # fmt: skip
    records = []
    for wave, rows in waves:
        for i, row in enumerate(rows):
            records.append({"response_id": f"A-{wave}-{i}", "client": "acme", "wave": wave, **row})
    for i, row in enumerate(_other_wave(20, 5)):
        records.append({"response_id": f"O-{i}", "client": "other", "wave": "2026Q3", **row})
    (tmp_path / "data").mkdir()
    with (tmp_path / "data" / "responses.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(records)
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "acme.yaml").write_text(PARAMS, encoding="utf-8")
    return tmp_path


def write_params(project: Path, text: str) -> Path:
    path = project / "params" / "acme.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_rows_waves_and_counts(project: Path) -> None:
    s = open_run(project / "params" / "acme.yaml")
    # 2025Q4 has rows but is not listed.
    assert s.waves == ("2026Q1", "2026Q2", "2026Q3")
    assert s.current_wave == "2026Q3" and s.previous_wave == "2026Q2"
    assert len(s.responses) == 150 and set(s.responses["client"]) == {"acme"}
    assert len(s.current) == 60 and set(s.current["wave"]) == {"2026Q3"}
    # The counts start from the client's own rows (160 of the file's 180).
    assert s.counts["step"].tolist() == ["client", "waves"]
    assert s.counts["rows"].tolist() == [160, 150]
    assert s.counts["dropped"].tolist() == [0, 10]
    assert s.counts["description"].tolist() == [
        "Asiakkaan vastaukset aineistossa responses.csv (Asiakas: acme)",
        "Raportin mittauskierroksilla (2026Q1, 2026Q2, 2026Q3)",
    ]
    assert 180 not in s.counts["rows"].tolist()
    assert s.labels == get_labels("fi")
    assert (s.confidence, s.min_base, s.weights) == (0.95, 14, None)
    assert s.title == "Acme Oy — asiakaskokemus 2026" and s.client_name == "Acme Oy"


def test_segment_run_filters_and_counts(project: Path) -> None:
    s = open_run(project / "params" / "acme.yaml", "ent")
    assert set(s.responses["size"]) == {"enterprise"}
    assert len(s.current) == 20  # i % 3 == 0 for i < 60
    assert s.counts["step"].tolist() == ["client", "run_filter", "waves"]
    # enterprise rows: i % 3 == 0 in 2026Q3 (20); rows i with (i // 2) even elsewhere:
    # 2026Q1 20 of 40, 2026Q2 26 of 50, 2025Q4 6 of 10 (dropped by the waves step).
    assert s.counts["rows"].tolist()[1:] == [20 + 20 + 26 + 6, 20 + 20 + 26]
    assert s.counts["description"].iloc[1] == "Rajaus – Asiakkaan koko: suuryritys"
    assert s.title == "Acme Oy — asiakaskokemus 2026 — Suuryritykset"
    assert "size" not in s.breakdown_columns()  # one group only in this run
    assert "Asiakkaan koko: suuryritys" in rendered_text(s.base_sentence())


def test_base_sentence(project: Path) -> None:
    s = open_run(project / "params" / "acme.yaml")
    assert rendered_text(s.base_sentence()) == (
        "Raportti perustuu 150 vastaukseen mittauskierroksilta 2026Q1, 2026Q2, 2026Q3. "
        "Nykyinen kierros on 2026Q3 (60 vastausta). Rajaus (Asiakas: acme)."
    )


def test_unknown_run_is_a_params_error(project: Path) -> None:
    with pytest.raises(
        ParamsError, match=r"no run named 'pk' under 'runs' \(have \['all', 'ent'\]\)"
    ):
        open_run(project / "params" / "acme.yaml", "pk")


def test_filter_typo_names_the_params_file_and_value(project: Path) -> None:
    path = write_params(project, PARAMS.replace("filter: {client: acme}", "filter: {client: acem}"))
    with pytest.raises(
        DataError, match=rf"{path}: data.filter: column 'client' has no rows with value 'acem'"
    ):
        open_run(path)
    path = write_params(project, PARAMS.replace("{size: enterprise}", "{size: huge}"))
    with pytest.raises(DataError, match=r"runs\[ent\]\.filter: column 'size' has no rows"):
        open_run(path, "ent")


def test_target_typo_is_a_params_error(project: Path) -> None:
    path = write_params(
        project,
        PARAMS.replace(
            "touchpoint: web, segment: {customer_type: current}, value: -50",
            "touchpoint: wbe, value: -50",
        ),
    )
    with pytest.raises(ParamsError, match=r"targets\[0\]\.touchpoint: value 'wbe' does not occur"):
        open_run(path)


def test_missing_segment_column_is_a_params_error(project: Path) -> None:
    path = write_params(project, PARAMS.replace("segments: [region, size]", "segments: [area]"))
    with pytest.raises(ParamsError, match=r"segments names column\(s\) \['area'\]"):
        open_run(path)


def test_current_wave_without_rows_is_a_params_error(project: Path) -> None:
    path = write_params(project, PARAMS.replace("current: 2026Q3", "current: 2026Q4"))
    with pytest.raises(ParamsError, match=r"waves.current: wave '2026Q4' has no rows"):
        open_run(path)


def test_weighting_rakes_each_wave_and_every_estimate_uses_the_raked_design(
    project: Path,
) -> None:
    path = write_params(
        project, PARAMS + "weighting: {margins: {region: {north: 0.3, south: 0.7}}}\n"
    )
    s = open_run(path)
    weights = s.weights
    assert weights is not None and calibration_of(weights) is not None
    for wave in s.waves:
        rows = s.rows(wave)
        w = weights.loc[rows.index]
        assert w[rows["region"] == "north"].sum() / w.sum() == pytest.approx(0.3, abs=1e-8)
    head = s.headline()
    assert head["nps"].design == "raked" and head["nps"].weighted
    assert head["nps"].weighted_n == pytest.approx(weights.loc[s.current.index].sum())
    assert s.breakdown("nps", "touchpoint")["design"].eq("raked").all()
    bad = write_params(project, PARAMS + "weighting: {margins: {region: {north: 1.0}}}\n")
    with pytest.raises(ParamsError, match=r"weighting: .*margin 'region': data levels \['south'\]"):
        open_run(bad)


def test_relative_paths_from_the_root_and_from_notebooks(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "notebooks").mkdir()
    monkeypatch.chdir(project)
    assert len(open_run("params/acme.yaml").current) == 60
    monkeypatch.chdir(project / "notebooks")
    assert len(open_run("../params/acme.yaml").current) == 60  # JupyterLab's default cwd
    assert len(open_run("params/acme.yaml").current) == 60  # a root-relative path still works
    with pytest.raises(ParamsError, match="cannot read params file"):
        open_run("params/nobody.yaml")


def test_headline_equals_the_metrics_on_the_current_rows(project: Path) -> None:
    s = open_run(project / "params" / "acme.yaml")
    head = s.headline()
    assert list(head) == ["nps", "csat", "ces"]
    assert head["nps"] == cxresearch.nps(s.current["nps"])
    assert head["nps"].value == pytest.approx(30.0, abs=1e-12)  # (30 − 12) / 60
    assert head["csat"].value == pytest.approx(65.0, abs=1e-12)  # 39 / 60
    change = s.change("nps")
    previous = s.rows("2026Q2")
    assert change == compare_samples(s.current["nps"], previous["nps"], metric="nps")


def test_metric_without_answers_gives_an_empty_estimate(project: Path) -> None:
    s = open_run(project / "params" / "acme.yaml")
    empty = s.estimate("nps", s.current.iloc[:0])
    assert empty.n == 0 and math.isnan(empty.value)


def test_breakdowns_keep_the_funnel_order(project: Path) -> None:
    s = open_run(project / "params" / "acme.yaml")
    frame = s.breakdown("nps", "customer_type")
    assert frame["customer_type"].tolist() == ["current", "former", "never"]
    assert frame["n"].tolist() == [34, 20, 6]
    assert s.breakdown_columns() == ["customer_type", "touchpoint", "channel", "region", "size"]
    stacked = s.breakdowns("touchpoint")
    assert stacked["metric"].unique().tolist() == ["nps", "csat_top2", "ces_easy"]
    changes = s.breakdown_changes("nps", "touchpoint")
    assert changes is not None and "pvalue_adjusted" in changes.columns
    assert set(changes["previous_wave"]) == {"2026Q2"}
    with pytest.raises(DataError, match="breakdown: column 'colour'"):
        s.breakdown("nps", "colour")


def test_target_results_status_follows_the_test(project: Path) -> None:
    s = open_run(project / "params" / "acme.yaml")
    results = s.target_results()
    assert results["status"].tolist() == ["met", "not_met", "inconclusive", "suppressed"]
    assert results["label"].tolist() == [
        "verkkosivut · nykyinen asiakas", "Entiset", "verkkosivut · nykyinen asiakas",
        "ei-asiakas",
    ]  # fmt: skip
    web_current = s.current[
        (s.current["touchpoint"] == "web") & (s.current["customer_type"] == "current")
    ]
    expected = compare_to_target(web_current["nps"], -50, metric="nps")
    assert results.loc[0, "difference"] == expected.difference
    assert results.loc[0, "pvalue"] == expected.pvalue
    assert results.loc[0, "n"] == 17
    # 17 of 17 satisfied against 95 %: the score test that the Wilson interval inverts,
    # R: prop.test(17, 17, p = 0.95, correct = FALSE)$p.value 0.344196888496; inconclusive,
    # and the Wilson interval (80.5 to 100) contains 95.
    assert results.loc[2, "test"] == "one-sample score test, Wilson interval"
    assert results.loc[2, "pvalue"] == pytest.approx(0.344196888496, rel=1e-9)
    assert math.isnan(results.loc[3, "pvalue"]) and results.loc[3, "n"] == 6


def test_benchmark_results_are_the_stats_function_on_the_current_wave(project: Path) -> None:
    s = open_run(project / "params" / "acme.yaml")
    norms = s.benchmark_results()
    expected = benchmark_results(s.current, [b.model_dump() for b in s.params.benchmarks])
    pd.testing.assert_frame_equal(norms, expected)
    assert norms["name"].tolist() == ["CSAT norm", "NPS norm", "NPS hearsay"]
    # Agresti–Caffo on 39/60 against 825/1500, R:
    # p1 <- 40/62; p2 <- 826/1502; z <- (p1 - p2) / sqrt(p1*(1-p1)/62 + p2*(1-p2)/1502)
    # 2 * pnorm(-abs(z))  # 0.125199995987
    assert norms.loc[0, "pvalue"] == pytest.approx(0.125199995987, rel=1e-8)


# A weight column is the survey weight only when data.mapping names it (issue 14).
WEIGHT_MAPPED = "path: data/responses.csv, mapping: {weight: weight},"


def test_weighted_targets_and_norms_pass_the_run_settings(project: Path) -> None:
    path = project / "data" / "responses.csv"
    frame = pd.read_csv(path, dtype=str)
    frame["weight"] = ["2.0" if i % 3 == 0 else "0.5" for i in range(len(frame))]
    frame.to_csv(path, index=False)
    mapped = PARAMS.replace("path: data/responses.csv,", WEIGHT_MAPPED)
    write_params(project, mapped.replace("{min_base: 14}", "{min_base: 14, confidence: 0.9}"))
    s = open_run(project / "params" / "acme.yaml")
    targets = [{**t.model_dump(), "label": s.target_label(t)} for t in s.params.targets]
    expected = target_results(
        s.current,
        targets,
        weights="weight",
        confidence=0.9,
        suppress_below=7,  # ceil(14 / 2)
    )
    pd.testing.assert_frame_equal(s.target_results(), expected)
    assert s.target_results()["status"].tolist()[3] == "suppressed"  # never: n_eff < 7
    benchmarks = [b.model_dump() for b in s.params.benchmarks]
    norms = benchmark_results(s.current, benchmarks, weights="weight", confidence=0.9)
    pd.testing.assert_frame_equal(s.benchmark_results(), norms)


def test_describe_filter() -> None:
    en = get_labels("en")
    assert describe_filter({"size": ["medium", "enterprise"]}, en) == (
        "Customer size: medium-sized business, enterprise"
    )
    assert describe_filter({"client": "x", "region": "oulu"}, en) == "Client: x; Region: oulu"
    assert describe_filter({}, en) == ""


def test_session_frame_is_not_a_view(project: Path) -> None:
    s = open_run(project / "params" / "acme.yaml")
    assert isinstance(s.responses, pd.DataFrame)
    with pytest.raises(AttributeError):
        s.params = None  # type: ignore[misc]  # frozen


def test_a_weight_column_is_used_everywhere(project: Path) -> None:
    path = project / "data" / "responses.csv"
    frame = pd.read_csv(path, dtype=str)
    frame["weight"] = ["2.0" if i % 3 == 0 else "0.5" for i in range(len(frame))]
    frame.to_csv(path, index=False)
    write_params(project, PARAMS.replace("path: data/responses.csv,", WEIGHT_MAPPED))
    s = open_run(project / "params" / "acme.yaml")
    assert s.weights is not None and s.weights.equals(s.responses["weight"])
    weights = s.current["weight"]
    head = s.headline()
    assert head["nps"] == cxresearch.nps(s.current["nps"], weights=weights)
    assert head["nps"].weighted and head["nps"].n_effective < head["nps"].n
    by_wave = s.by_wave(["nps"])
    current = by_wave[by_wave["wave"] == "2026Q3"].iloc[0]
    assert current["value"] == pytest.approx(head["nps"].value, abs=1e-9)
    assert current["n_effective"] == pytest.approx(head["nps"].n_effective, rel=1e-12)
    previous = s.rows("2026Q2")
    assert s.change("nps") == compare_samples(
        s.current["nps"], previous["nps"], metric="nps", weights_a=weights,
        weights_b=previous["weight"],
    )  # fmt: skip
