"""The `cxresearch` command line: parsing, delegation, exit codes, clean errors."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import cxresearch
from cxresearch import cli
from cxresearch.report import runner
from cxresearch.report.executors import DaskExecutor, LocalExecutor


def _project(root: Path, *, bad: bool = False) -> None:
    (root / "notebooks").mkdir()
    (root / "notebooks" / "benchmarking.ipynb").write_text("{}", encoding="utf-8")
    (root / "data").mkdir()
    (root / "data" / "r.csv").write_text(
        "response_id,client,wave,nps\nr1,acme,2026Q3,9\nr2,acme,2026Q3,3\n", encoding="utf-8"
    )
    (root / "params").mkdir()
    (root / "params" / "acme.yaml").write_text(
        "client: acme\ntitle: Acme\ndata: {path: data/r.csv, filter: {client: acme}}\n"
        "waves: {current: 2026Q3}\n",
        encoding="utf-8",
    )
    if bad:
        (root / "params" / "bad.yaml").write_text(
            "client: bad\ntitle: Bad\ndata: {path: data/r.csv, filter: {client: acem}}\n"
            "waves: {current: 2026Q3}\n",
            encoding="utf-8",
        )


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"cxresearch {cxresearch.__version__}"


def test_report_options_parse() -> None:
    args = cli.build_parser().parse_args(["report"])
    assert (args.params, args.jobs, args.output, args.force) == ([], 1, Path("reports"), False)
    args = cli.build_parser().parse_args(
        ["report", "params/a.yaml", "params/b.yaml", "--jobs", "2", "--output", "out", "--force"]
    )
    assert args.params == [Path("params/a.yaml"), Path("params/b.yaml")]
    assert (args.jobs, args.output, args.force) == (2, Path("out"), True)


@pytest.mark.parametrize("argv", [[], ["report", "--jobs", "0"], ["report", "-j", "two"], ["x"]])
def test_bad_command_lines_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    assert "usage: cxresearch" in capsys.readouterr().err


def test_report_passes_options_and_returns_exit_code(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def fake_run_reports(paths: Any, **options: Any) -> SimpleNamespace:
        seen.update(paths=paths, **options)
        return SimpleNamespace(exit_code=1)

    monkeypatch.setattr(runner, "run_reports", fake_run_reports)
    assert (
        cli.main(["report", "p.yaml", "-j", "2", "--force", "-o", "out", "--data-root", "d"]) == 1
    )
    stop = seen.pop("cancellation")
    assert not stop.requested  # the Ctrl-C / SIGTERM handlers request it
    executor = seen.pop("executor")
    assert isinstance(executor, LocalExecutor) and executor.jobs == 2  # the default
    assert seen == {
        "paths": [Path("p.yaml")], "output": Path("out"), "jobs": 2, "force": True,
        "data_root": Path("d"),
    }  # fmt: skip
    cli.main(["report"])
    assert seen["paths"] is None  # the runner then takes every params/*.yaml
    cli.main(["report", "--executor", "dask", "--scheduler", "tcp://10.0.0.5:8786"])
    assert isinstance(seen["executor"], DaskExecutor)
    assert seen["executor"].scheduler == "tcp://10.0.0.5:8786"
    cli.main(["report", "--executor", "dask", "-j", "3"])  # a local cluster of 3 workers
    assert seen["executor"].scheduler is None and seen["executor"].workers == 3


def test_a_scheduler_without_the_dask_executor_is_an_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["report", "--scheduler", "tcp://10.0.0.5:8786"]) == 2
    assert "--scheduler is for --executor dask" in capsys.readouterr().err


def test_user_error_is_one_clean_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no params/ folder here
    assert cli.main(["report"]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("cxresearch report: error: no params files (*.yaml) in ")
    assert "Traceback" not in captured.err
    assert captured.err.count("\n") == 1


def test_validate_reports_each_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _project(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["validate"]) == 0
    assert "ok      params/acme.yaml: acme, 1 run(s) × 1 analysis(es), 2 rows" in (
        capsys.readouterr().out
    )


def test_validate_with_a_bad_filter_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _project(tmp_path, bad=True)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["validate", "params/bad.yaml", "params/acme.yaml"]) == 2
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("invalid params/bad.yaml: data.filter")
    assert "'acem'" in out[0]
    assert out[1].startswith("ok      params/acme.yaml")


def test_demo_delegates_to_the_data_generator(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = pytest.importorskip("cxresearch.data.demo")
    calls: list[list[str]] = []
    monkeypatch.setattr(demo, "main", lambda argv: calls.append(list(argv)) or 0)
    assert cli.main(["demo", "--output", "x.csv", "--seed", "7"]) == 0
    assert cli.main(["demo"]) == 0
    assert calls == [["--output", "x.csv", "--seed", "7"], []]
