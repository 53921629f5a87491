"""Report batches against the papermill floor (``make bench``, issue #18).

Prints, measured in one run on this machine:

- **floor**: papermill executing a trivial notebook with the runner's kernel manager, plus
  nbconvert's HTML export of it — the least any report can cost;
- **analyses**: each registered analysis on the demo clients, broken down into kernel
  (start, stop, messaging), imports, data (``open_run``), computation, charts, HTML and
  PDF, and its ratio to the floor;
- **jobs**: the demo batch (``cxresearch report --force``) with ``--jobs 1`` and ``--jobs 2``;
- **batch**: a batch of synthetic clients (default 30 × 2 runs × 2 analyses), cold and
  warm (nothing changed);
- **load**: a 1,000,000-response client: ``load_responses`` from CSV and Parquet against
  ``pandas.read_csv(engine="pyarrow")`` and ``pandas.read_parquet`` (peak memory against the
  frame's own size); with ``--before REF`` also ``load_responses`` as it was at that ref;
- **big**: the same client: a grouped NPS in DuckDB (when installed) against ``metric_by``, the
  driver bootstrap (1,000 replicates) at 10,000 to 1,000,000 rows, the benchmarking and
  drivers reports with the kernel's peak memory, and the client's batch cold and warm.

Report kernels are forked from the runner's preloaded template (``cxresearch.report.zygote``)
except for the floor, whose kernel starts as papermill starts one; ``--kernels fork spawn``
also measures the analyses with every kernel a fresh interpreter.

Examples
--------
    .venv/bin/python benchmarks/batch.py                 # everything (about 15 minutes)
    .venv/bin/python benchmarks/batch.py --quick         # 6 clients, 200,000 rows
    .venv/bin/python benchmarks/batch.py --only floor analyses
    .venv/bin/python benchmarks/batch.py --only load --before 327f57d   # loading, then and now
    .venv/bin/python benchmarks/batch.py --only big --before ade5e6c    # 1M rows, then and now
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import datetime as dt
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SECTIONS = ("floor", "analyses", "jobs", "batch", "load", "big")
BOOTSTRAP_ROWS = (10_000, 100_000, 1_000_000)
# Every report kernel a fresh interpreter, as papermill starts one (not forked).
SPAWN = {"CXRESEARCH_KERNELS": "spawn"}


# --- running notebooks -----------------------------------------------------------------


def _imports(nb: Any) -> list[str]:
    """The import statements of a notebook's code cells, in order."""
    lines: list[str] = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        lines += [ast.unparse(n) for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    return lines


def _probed(notebook: Path, folder: Path) -> Path:
    """A copy of ``notebook`` with the probe's first and last cells (tagged remove-cell)."""
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    first = (
        f"import sys\nsys.path.insert(0, {str(HERE)!r})\nimport _probe\n"
        f"_probe.install({_imports(nb)!r})"
    )
    tags = {"tags": ["remove-cell"]}
    nb.cells.insert(0, nbformat.v4.new_code_cell(first, metadata=tags))
    nb.cells.append(nbformat.v4.new_code_cell("_probe.report()", metadata=tags))
    path = folder / f"probed-{notebook.name}"
    nbformat.write(nb, str(path))
    return path


def _probe_result(nb: Any) -> dict[str, float]:
    for cell in reversed(nb.cells):
        for output in cell.get("outputs", []):
            for line in str(output.get("text", "")).splitlines():
                if line.startswith("CXBENCH "):
                    result: dict[str, float] = json.loads(line[len("CXBENCH ") :])
                    return result
    raise RuntimeError("the probed notebook printed no CXBENCH line")


def render_once(
    notebook: Path,
    *,
    root: Path,
    params_path: Path | None,
    run: str,
    pdf: bool,
    probe: bool,
    title: str = "benchmark",
    language: str = "en",
) -> dict[str, float]:
    """Execute one notebook as the runner does, render HTML (and PDF), time each step."""
    from cxresearch.report.execute import execute_notebook
    from cxresearch.report.render import render_html, render_pdf

    with tempfile.TemporaryDirectory(prefix="cxbench-") as tmp:
        folder = Path(tmp)
        source = _probed(notebook, folder) if probe else notebook
        output = folder / "out.ipynb"
        parameters = {"params_path": str(params_path or ""), "run": run}
        kernels_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        forked_before = _forked_cpu()
        cpu_before = time.process_time()
        started = time.perf_counter()
        nb, failure = execute_notebook(
            source, output, parameters=parameters, cwd=root, final_path=output
        )
        execute = time.perf_counter() - started
        kernels = resource.getrusage(resource.RUSAGE_CHILDREN)
        kernel_cpu = (kernels.ru_utime - kernels_before.ru_utime) + (
            kernels.ru_stime - kernels_before.ru_stime
        )
        # A kernel forked from the template is the template's child, not this process's.
        kernel_cpu += _forked_cpu() - forked_before
        if failure is not None or nb is None:
            raise RuntimeError(f"{notebook.name} failed: {failure.describe() if failure else ''}")
        result = {"execute": execute}
        if probe:
            result |= _probe_result(nb)
            result["kernel"] = max(execute - result["cells"], 0.0)
        started = time.perf_counter()
        page = render_html(nb, title=title, language=language)
        result["html"] = time.perf_counter() - started
        result["pdf"] = 0.0
        if pdf:
            started = time.perf_counter()
            render_pdf(page)
            result["pdf"] = time.perf_counter() - started
        result["total"] = execute + result["html"] + result["pdf"]
        # CPU seconds of the whole kernel process (start to stop) and of this process
        # (papermill's side, HTML, PDF): on a shared machine these vary less than wall time.
        result["total_cpu"] = kernel_cpu + time.process_time() - cpu_before
    return result


def _forked_cpu() -> float:
    """CPU seconds of this process's ended forked kernels (0 where there are none)."""
    try:
        from cxresearch.report.zygote import kernels_cpu_seconds
    except ImportError:  # a package from before the template
        return 0.0
    return kernels_cpu_seconds()


@contextlib.contextmanager
def kernels(mode: str) -> Iterator[None]:
    """Report kernels started as ``mode`` says (``CXRESEARCH_KERNELS``: fork or spawn)."""
    saved = os.environ.get("CXRESEARCH_KERNELS")
    os.environ["CXRESEARCH_KERNELS"] = mode
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("CXRESEARCH_KERNELS", None)
        else:
            os.environ["CXRESEARCH_KERNELS"] = saved


def _median(rows: Sequence[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(r[key] for r in rows) for key in rows[0]}


def _trivial_notebook(folder: Path) -> Path:
    """A notebook with the parameters cell and one ``print``, written to ``folder``."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            'params_path = ""\nrun = "all"', metadata={"tags": ["parameters"]}
        ),
        nbformat.v4.new_code_cell('print("floor")'),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = folder / "floor.ipynb"
    nbformat.write(nb, str(path))
    return path


def floor(repeat: int, mode: str = "spawn") -> dict[str, float]:
    """papermill on a trivial notebook (parameters + one print) plus its HTML, median.

    ``spawn``: the kernel started as papermill starts one (a fresh interpreter) — the
    floor every ratio is taken against; ``fork``: forked from the runner's preloaded
    template (its start is paid by the untimed first run).
    """
    with kernels(mode), tempfile.TemporaryDirectory(prefix="cxbench-floor-") as tmp:
        path = _trivial_notebook(Path(tmp))
        render_once(path, root=Path(tmp), params_path=None, run="all", pdf=False, probe=False)
        runs = [
            render_once(path, root=Path(tmp), params_path=None, run="all", pdf=False, probe=False)
            for _ in range(repeat)
        ]
    return _median(runs) if runs else {}


def analyses(repeat: int, mode: str = "fork") -> dict[str, dict[str, float]]:
    """Each analysis on each demo client's whole-base run, probed; median per analysis.

    ``mode``: report kernels forked from the template (the runner's default; started by an
    untimed trivial notebook first, as a batch starts it once) or ``spawn``ed.
    """
    with kernels(mode):
        if mode == "fork":
            floor(0, mode)
        return _analyses(repeat)


_WARM: set[tuple[str, Path]] = set()


def _analyses(repeat: int) -> dict[str, dict[str, float]]:
    from cxresearch.analyses import analysis, analysis_names
    from cxresearch.params import load_params

    out = {}
    for name in analysis_names():
        spec = analysis(name)
        runs = []
        for params_path in sorted((REPO / "params").glob("*.yaml")):
            params = load_params(params_path)
            if name not in params.report.analyses:
                continue
            if (name, params_path) not in _WARM:
                # Untimed: fills the project's data cache (validated data, the journey's
                # side files), so that whichever kernel mode runs first does not pay it.
                render_once(
                    spec.notebook_path(REPO), root=REPO, params_path=params_path,
                    run=params.runs[0].name, pdf=False, probe=False,
                )  # fmt: skip
                _WARM.add((name, params_path))
            for _ in range(repeat):
                runs.append(
                    render_once(
                        spec.notebook_path(REPO),
                        root=REPO,
                        params_path=params_path,
                        run=params.runs[0].name,
                        pdf=True,
                        probe=True,
                        title=params.title,
                        language=params.language,
                    )
                )
        if runs:
            out[name] = _median(runs) | {"n": float(len(runs))}
    return out


# --- batches through the command line --------------------------------------------------


_RUSAGE_TAG = "CXBENCH-RUSAGE "
# `cxresearch report` in this interpreter, then its own CPU seconds and its children's
# (reaped kernels and render workers) as the last line of stderr.
_CLI_WITH_RUSAGE = f"""
import json, os, resource, sys
# `python -c` puts "" (the working directory) first on sys.path, ahead of PYTHONPATH: in
# this checkout that would import its own package even when --before asks for another one.
if sys.path and sys.path[0] == "":
    del sys.path[0]
from cxresearch.cli import main
sys.argv[0] = "cxresearch"
if os.environ.get("CXBENCH_PRESTART") == "1":  # kernels started ahead (not a CLI option)
    import cxresearch.report.executors as ex
    default = ex.make_executor
    ex.make_executor = lambda name, **kw: (
        ex.LocalExecutor(kw["jobs"], prestart=True) if name == "local" else default(name, **kw)
    )
try:
    code = main(sys.argv[1:])
finally:
    cpu = {{}}
    for key, who in (("self", resource.RUSAGE_SELF), ("children", resource.RUSAGE_CHILDREN)):
        usage = resource.getrusage(who)
        cpu[key] = usage.ru_utime + usage.ru_stime
    print("{_RUSAGE_TAG}" + json.dumps(cpu), file=sys.stderr, flush=True)
    print("{_RUSAGE_TAG}package " + os.path.dirname(sys.modules["cxresearch"].__file__),
          file=sys.stderr, flush=True)
sys.exit(code)
"""


def cli_batch(
    root: Path,
    *args: str,
    code: Path | None = None,
    prestart: bool = False,
    extra_env: dict[str, str] | None = None,
) -> dict[str, float]:
    """``cxresearch report ARGS`` in ``root``: wall seconds, CPU seconds of it and its kernels.

    ``code``: a folder holding another version of the ``cxresearch`` package, run instead
    of this checkout's (``--before REF``). ``prestart``: the local executor starts each
    report's kernel ahead (``LocalExecutor(prestart=True)``).
    """
    env = dict(os.environ, CXBENCH_PRESTART="1" if prestart else "0", **(extra_env or {}))
    if code is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(code), env.get("PYTHONPATH", "")]).rstrip(":")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _CLI_WITH_RUSAGE, "report", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    summary = done.stdout.strip().splitlines()
    rendered = next((line for line in summary if " report(s) in " in line), "")
    if done.returncode not in (0, 1) or not rendered:
        tail = (done.stdout + done.stderr).strip().splitlines()[-5:]
        raise RuntimeError(f"cxresearch report {' '.join(args)} exited {done.returncode}: {tail}")
    reports = int(rendered.split(" report(s)")[0])
    failed = int(rendered.split(" failed;")[0].rsplit(" ", 1)[-1])
    if failed:  # timed all the same; the table says how many failed
        print(f" ({failed} report(s) failed: {summary[-3:]})", end="", flush=True)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    tagged = [line for line in done.stderr.splitlines() if line.startswith(_RUSAGE_TAG)]
    own = json.loads(tagged[0].removeprefix(_RUSAGE_TAG))
    package = Path(tagged[1].removeprefix(_RUSAGE_TAG + "package "))
    expected = (code if code is not None else REPO) / "cxresearch"
    if package.resolve() != expected.resolve():  # the comparison would be meaningless
        raise RuntimeError(f"the batch ran the package in {package}, not {expected}")
    return {
        "wall": wall,
        "cpu": cpu,
        # The batch's own process (papermill's client side, and HTML/PDF when it renders
        # them) against its children (kernels, and render workers when there are some).
        "parent_cpu": own["self"],
        "children_cpu": own["children"],
        "reports": float(reports),
        "failed": float(failed),
    }


def _drop_data_cache(root: Path) -> None:
    """Remove the project's validated-data cache, so that a "cold" run reads and validates."""
    for folder in ("validated", "checks"):
        shutil.rmtree(root / ".cache" / "cxresearch" / folder, ignore_errors=True)


def jobs_speedup(
    repeat: int, before: str | None = None, prestart: bool = False, spawn: bool = False
) -> dict[str, Any]:
    """The demo batch, forced, with --jobs 1 and --jobs 2 alternately; medians.

    With ``before``, the same batches also run with the ``cxresearch`` package of that git
    ref, alternating with this checkout's (``before_jobs1``, ``before_jobs2``); with
    ``prestart``, also with kernels started ahead (``prestart_jobs1``, ...); with ``spawn``,
    also this checkout with every kernel a fresh interpreter (``spawn_jobs1``, ...).
    """
    with tempfile.TemporaryDirectory(prefix="cxbench-jobs-") as tmp:
        code = _package_at(before, Path(tmp) / "code") if before else None
        output = Path(tmp) / "reports"
        variants: list[tuple[str, Path | None, bool]] = [("", None, False)]
        if code is not None:
            variants.append(("before_", code, False))
        if prestart:
            variants.append(("prestart_", None, True))
        if spawn:
            variants.append(("spawn_", None, False))
        runs: dict[str, list[dict[str, float]]] = {}
        for _ in range(repeat):
            for prefix, package, ahead in variants:
                for jobs in (1, 2):
                    _drop_data_cache(REPO)
                    runs.setdefault(f"{prefix}jobs{jobs}", []).append(
                        cli_batch(
                            REPO, "--force", "--jobs", str(jobs), "--output", str(output),
                            code=package, prestart=ahead,
                            extra_env=SPAWN if prefix == "spawn_" else None,
                        )
                    )  # fmt: skip
    out: dict[str, Any] = {key: _median(value) for key, value in runs.items()}
    for prefix, _, _ in variants:
        out[f"{prefix}speedup"] = out[f"{prefix}jobs1"]["wall"] / out[f"{prefix}jobs2"]["wall"]
    if before:
        out["before"] = before
    return out


def many_batch(clients: int) -> dict[str, Any]:
    """``clients`` synthetic clients, --jobs 2: cold, then warm (nothing changed)."""
    from _synthetic import many_clients

    with tempfile.TemporaryDirectory(prefix="cxbench-batch-") as tmp:
        root = Path(tmp) / "project"
        many_clients(root, clients)
        cold = cli_batch(root, "--jobs", "2")
        warm = cli_batch(root, "--jobs", "2")
    return {"clients": clients, "cold": cold, "warm": warm}


# --- the big client -----------------------------------------------------------------------


def _child(
    kind: str, spec: dict[str, Any], timeout: float = 1_800, code: Path | None = None
) -> dict[str, Any]:
    """Run ``batch.py --child KIND SPEC`` in a fresh interpreter (its peak RSS is its own).

    ``code``: a folder holding another version of the ``cxresearch`` package, imported
    instead of this checkout's (``--before REF``).
    """
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    if code is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(code), env.get("PYTHONPATH", "")]).rstrip(":")
    done = subprocess.run(
        [sys.executable, str(Path(__file__)), "--child", kind, json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return {"error": f"exit {done.returncode}: " + " | ".join(tail)}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def _status_mib(field: str) -> float:
    """``VmHWM`` (peak) or ``VmRSS`` (now) of this process from /proc, in MiB.

    Not ``ru_maxrss``: Linux keeps it across exec, so a child started by a big parent
    would report the parent's peak.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return float(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def _peak_mib() -> float:
    return _status_mib("VmHWM")


def _rss_mib() -> float:
    return _status_mib("VmRSS")


def _child_load(spec: dict[str, Any]) -> dict[str, Any]:
    import pandas as pd

    from cxresearch.data import load_responses

    reader: Callable[[], Any] = {
        "load_responses": lambda: load_responses(spec["path"]),
        "read_csv_pyarrow": lambda: pd.read_csv(spec["path"], engine="pyarrow"),
        "read_csv": lambda: pd.read_csv(spec["path"]),
        "read_parquet": lambda: pd.read_parquet(spec["path"]),
    }[spec["reader"]]
    before = _rss_mib()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    started, cpu = time.perf_counter(), time.process_time()
    frame = reader()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    after = resource.getrusage(resource.RUSAGE_SELF)
    peak = _peak_mib()
    size = float(frame.memory_usage(deep=True).sum()) / 2**20
    return {
        "seconds": seconds,
        "cpu": cpu,
        # CPU split: user time is the work; system time (page faults, the kernel zeroing
        # fresh memory) is what a loaded machine inflates most.
        "user": after.ru_utime - usage.ru_utime,
        "sys": after.ru_stime - usage.ru_stime,
        "peak_mib": peak,
        "delta_mib": peak - before,
        "frame_mib": size,
    }


def _child_grouped(spec: dict[str, Any]) -> dict[str, Any]:
    """Grouped NPS by wave × touchpoint: DuckDB on the Parquet file, or cxresearch."""
    if spec["engine"] == "duckdb":
        import duckdb

        query = (
            "SELECT wave, touchpoint, count(nps) AS n, "
            "100 * (avg((nps >= 9)::INT) - avg((nps <= 6)::INT)) AS nps "
            f"FROM read_parquet('{spec['path']}') WHERE nps IS NOT NULL GROUP BY ALL"
        )
        started = time.perf_counter()
        rows = duckdb.sql(query).fetchall()
        return {"seconds": time.perf_counter() - started, "groups": len(rows)}
    from cxresearch import metric_by
    from cxresearch.data import load_responses

    started = time.perf_counter()
    frame = load_responses(spec["path"])
    loaded = time.perf_counter()
    table = metric_by(frame, "nps", by=["wave", "touchpoint"])
    done = time.perf_counter()
    return {"seconds": done - started, "metric_seconds": done - loaded, "groups": len(table)}


def _child_bootstrap(spec: dict[str, Any]) -> dict[str, Any]:
    import numpy as np
    import pandas as pd

    from cxresearch.stats.drivers import driver_importance

    n, p, binary = spec["n"], 7, spec["binary"]
    rng = np.random.Generator(np.random.PCG64(spec["seed"]))
    x = rng.integers(1, 6, size=(n, p)).astype(float)
    signal = x @ np.linspace(1.0, 0.2, p)
    frame = pd.DataFrame(x, columns=[f"attr_{i}" for i in range(p)])
    if binary:
        z = (signal - signal.mean()) / signal.std()
        frame["y"] = (rng.random(n) < 1 / (1 + np.exp(-(1.2 + z)))).astype(float)
    else:
        frame["y"] = np.clip(np.round(signal / 2 + rng.normal(size=n)), 0, 10)
    before = _rss_mib()
    started, cpu = time.perf_counter(), time.process_time()
    result = driver_importance(
        frame,
        outcome="y",
        drivers=list(frame.columns[:p]),
        method="relative-weights" if binary else "shapley",
        bootstrap=spec["replicates"],
        seed=1,
        noise_baseline=True,
    )
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "seconds": seconds,
        "cpu": cpu,
        "ns_per_replicate_row": cpu / (n * spec["replicates"]) * 1e9,
        "peak_mib": _peak_mib(),
        "delta_mib": _peak_mib() - before,
        "failed": int(result.attrs["bootstrap_failed"]),
    }


def _package_at(ref: str, folder: Path) -> Path:
    """The ``cxresearch`` package as it was at git ``ref``, extracted under ``folder``."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", ref, "cxresearch"], capture_output=True, check=True
    ).stdout
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def loads(rows: int, before: str | None, repeat: int) -> dict[str, Any]:
    """``load_responses`` of a ``rows``-row client from CSV and Parquet against the readers.

    Each reader runs ``repeat`` times, alternating, each time in a fresh process. Each
    measure is the least over the runs (CPU seconds, wall seconds and peak memory each
    their own minimum): other processes on a shared machine only ever add to them, so
    the least is the closest to the reader's own cost, and the ratios compare like with
    like. With ``before``, ``load_responses`` of that git ref is measured too.
    """
    from _synthetic import big_client

    out: dict[str, Any] = {"rows": rows, "before": before}
    with tempfile.TemporaryDirectory(prefix="cxbench-load-") as tmp:
        started = time.perf_counter()
        files = big_client(Path(tmp) / "project", rows)
        out["generate_s"] = time.perf_counter() - started
        out["csv_mib"] = files["csv"].stat().st_size / 2**20
        out["parquet_mib"] = files["parquet"].stat().st_size / 2**20
        code = _package_at(before, Path(tmp)) if before else None
        cases: list[tuple[str, Path, str, Path | None]] = []
        for kind, path, peers in (
            ("csv", files["csv"], (("pandas.read_csv(engine='pyarrow')", "read_csv_pyarrow"),
                                   ("pandas.read_csv", "read_csv"))),
            ("parquet", files["parquet"], (("pandas.read_parquet", "read_parquet"),)),
        ):  # fmt: skip
            cases.append((f"{kind}: load_responses", path, "load_responses", None))
            if code is not None:
                cases.append((f"{kind}: load_responses ({before})", path, "load_responses", code))
            cases += [(f"{kind}: {label}", path, reader, None) for label, reader in peers]
        results: dict[str, list[dict[str, Any]]] = {label: [] for label, *_ in cases}
        for _ in range(repeat):
            for label, path, reader, package in cases:
                results[label].append(
                    _child("load", {"path": str(path), "reader": reader}, code=package)
                )
        out["repeat"] = repeat
        for label, runs in results.items():
            good = [r for r in runs if "error" not in r]
            out[label] = _least(good) if good else runs[-1]
    return out


def _least(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Each measure's minimum over ``runs``, and every run's CPU seconds (``cpu_runs``)."""
    least = {key: min(r[key] for r in runs) for key in runs[0] if key != "frame_mib"}
    least["frame_mib"] = runs[0]["frame_mib"]
    least["cpu_runs"] = sorted(r["cpu"] for r in runs)
    return least


@contextlib.contextmanager
def _package_for_kernels(code: Path | None) -> Iterator[None]:
    """Kernels started inside get ``code``'s ``cxresearch`` first on their path (if given).

    A report kernel's environment is this process's plus the kernel variables, so
    ``PYTHONPATH`` set here reaches it; this process's own imports are not affected.
    """
    if code is None:
        yield
        return
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(code), saved or ""]).rstrip(os.pathsep)
    try:
        yield
    finally:
        if saved is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = saved


def _child_warm(spec: dict[str, Any]) -> dict[str, Any]:
    """Fill a project's validated-data cache (the client's data read and validated once)."""
    from cxresearch.params import load_params
    from cxresearch.session import load_client_data

    started = time.perf_counter()
    frame = load_client_data(load_params(spec["params"]))
    return {"seconds": time.perf_counter() - started, "rows": len(frame)}


def big(rows: int, boot_rows: Sequence[int], before: str | None = None) -> dict[str, Any]:
    """Everything else measured on the big client (its loading: :func:`loads`).

    With ``before``, each report is also rendered with the ``cxresearch`` package of that
    git ref (in its own copy of the project, both with a warm data cache), alternating.
    """
    from _synthetic import big_client

    from cxresearch.analyses import analysis
    from cxresearch.params import load_params

    out: dict[str, Any] = {"rows": rows}
    with tempfile.TemporaryDirectory(prefix="cxbench-big-") as tmp:
        root = Path(tmp) / "project"
        started = time.perf_counter()
        files = big_client(root, rows)
        out["generate_s"] = time.perf_counter() - started
        out["csv_mib"] = files["csv"].stat().st_size / 2**20
        out["parquet_mib"] = files["parquet"].stat().st_size / 2**20
        grouped = {"cxresearch": _child("grouped", {"engine": "cx", "path": str(files["parquet"])})}
        try:
            version("duckdb")
            grouped["duckdb"] = _child(
                "grouped", {"engine": "duckdb", "path": str(files["parquet"])}
            )
        except PackageNotFoundError:
            grouped["duckdb"] = {"error": "duckdb not installed (benchmarks/requirements.txt)"}
        out["grouped"] = grouped
        out["bootstrap"] = {
            f"{kind} n={n:,}": _child(
                "bootstrap", {"n": n, "replicates": 1_000, "binary": kind == "binary", "seed": 3}
            )
            for kind, sizes in (("interval", boot_rows), ("binary", boot_rows[:2]))
            for n in sizes
        }
        params = load_params(files["params"])
        # Each variant in its own copy of the project: the validated-data cache keeps one
        # copy per data file, keyed also by the package's sources, so alternating versions
        # in one project would read the data cold every time. Both start warm.
        variants: list[tuple[str, Path, Path | None]] = [("", root, None)]
        if before:
            old_root = Path(tmp) / "before"
            shutil.copytree(root, old_root, ignore=shutil.ignore_patterns(".cache"))
            variants.append(("before ", old_root, _package_at(before, Path(tmp) / "code")))
        for _, project, code in variants:
            _child("warm", {"params": str(project / files["params"].relative_to(root))}, code=code)
        # This process's first HTML and PDF load nbconvert's templates and WeasyPrint's fonts:
        # paid here, not by whichever report is rendered first.
        render_once(_trivial_notebook(Path(tmp)), root=Path(tmp), params_path=None, run="all",
                    pdf=True, probe=False)  # fmt: skip
        reports = {}
        for name in params.report.analyses:
            for prefix, project, code in variants:
                with _package_for_kernels(code):
                    reports[prefix + name] = render_once(
                        analysis(name).notebook_path(project),
                        root=project,
                        params_path=project / files["params"].relative_to(root),
                        run="all",
                        pdf="pdf" in params.report.formats,
                        probe=True,
                        title=params.title,
                        language=params.language,
                    )
        out["reports"] = reports
        out["before"] = before
        _drop_data_cache(root)  # the reports above filled it
        out["cold"] = cli_batch(root, "--jobs", "2")
        out["warm"] = cli_batch(root, "--jobs", "2")
    return out


# --- printing -------------------------------------------------------------------------------

BREAKDOWN = ("kernel", "imports", "data", "computation", "charts", "html", "pdf")


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], markdown: bool) -> str:
    if markdown:
        lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---:" for _ in headers) + "|"]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def _s(value: float) -> str:
    return f"{value:.2f}"


def print_floor_and_analyses(
    base: dict[str, float] | None, per: dict[str, dict[str, float]], markdown: bool
) -> list[str]:
    lines = []
    if base:
        lines.append(
            f"Floor (papermill on a trivial notebook + HTML, median): {base['total']:.2f} s "
            f"(execute {base['execute']:.2f} s, HTML {base['html']:.2f} s; "
            f"{base['total_cpu']:.2f} CPU s of kernel and runner)"
        )
    if per:
        rows = []
        nan = float("nan")
        for name, r in per.items():
            overhead = r["total"] - r["computation"]
            rows.append(
                [name, _s(r["total"]), *(_s(r[k]) for k in BREAKDOWN), _s(r["total_cpu"]),
                 f"{r['peak_mib']:.0f}",
                 f"{r['total'] / base['total']:.1f}" if base else "-",
                 f"{r['total_cpu'] / base['total_cpu']:.1f}" if base else "-",
                 f"{overhead / base['total']:.1f}" if base else f"{nan}"]
            )  # fmt: skip
        headers = ["analysis", "total s", *(f"{k} s" for k in BREAKDOWN), "CPU s"]
        headers += ["kernel peak MiB", "x floor", "CPU x floor", "(total - computation) x floor"]
        lines.append("\nPer report (median over the demo clients' whole-base runs, with PDF)")
        lines.append(table(headers, rows, markdown))
    return lines


def print_jobs(j: dict[str, Any]) -> list[str]:
    lines = []
    variants = (
        ("", "this checkout"),
        ("before_", j.get("before")),
        ("prestart_", "this checkout, kernels started ahead"),
        ("spawn_", "this checkout, every kernel a fresh interpreter"),
    )
    for prefix, name in variants:
        if f"{prefix}jobs1" not in j:
            continue
        one, two = j[f"{prefix}jobs1"], j[f"{prefix}jobs2"]
        n = one["reports"]
        lines.append(
            f"\nDemo batch ({name}; {n:.0f} reports, --force): --jobs 1 {one['wall']:.1f} s, "
            f"--jobs 2 {two['wall']:.1f} s: speed-up {j[prefix + 'speedup']:.2f}x; CPU s per "
            f"report {one['cpu'] / n:.2f} / {two['cpu'] / n:.2f} (batch process "
            f"{one['parent_cpu'] / n:.2f} / {two['parent_cpu'] / n:.2f}, its children — "
            f"kernels and render workers — {one['children_cpu'] / n:.2f} / "
            f"{two['children_cpu'] / n:.2f}); wall s per report {one['wall'] / n:.2f} / "
            f"{two['wall'] / n:.2f}"
        )
    return lines


def print_loads(result: dict[str, Any], markdown: bool) -> list[str]:
    lines = [
        f"\nLoading a {result['rows']:,}-row client (CSV {result['csv_mib']:.0f} MiB, "
        f"Parquet {result['parquet_mib']:.0f} MiB); {result.get('repeat', 1)} runs of each "
        "reader, alternating, each in a fresh process; each measure is its least over the runs"
    ]
    rows = []
    loads = {k: v for k, v in result.items() if ": " in k}
    peers = {
        "csv": "csv: pandas.read_csv(engine='pyarrow')",
        "parquet": "parquet: pandas.read_parquet",
    }
    for label, r in loads.items():
        if "error" in r:
            rows.append([label, "error", *["-"] * 6])
            continue
        peer = loads.get(peers[label.split(":")[0]], {})
        ratio = r["seconds"] / peer["seconds"] if "seconds" in peer else float("nan")
        cpu_ratio = r["cpu"] / peer["cpu"] if "cpu" in peer else float("nan")
        split = f"{r['user']:.2f} + {r['sys']:.2f}" if "user" in r else "-"
        rows.append(
            [label, _s(r["seconds"]), _s(r["cpu"]), split, f"{ratio:.2f}", f"{cpu_ratio:.2f}",
             f"{r['delta_mib']:.0f}", f"{r['frame_mib']:.0f}",
             f"{r['delta_mib'] / r['frame_mib']:.2f}"]
        )  # fmt: skip
    headers = ["reader", "s", "CPU s", "user + sys", "x peer", "CPU x peer", "peak - before MiB"]
    headers += ["frame MiB", "(peak - before) / frame"]
    lines.append(table(headers, rows, markdown))
    lines.append("CPU s of every run:")
    lines += [
        f"  {label}: " + ", ".join(f"{c:.2f}" for c in r["cpu_runs"])
        for label, r in loads.items()
        if "cpu_runs" in r
    ]
    return lines


def print_big(big_result: dict[str, Any], markdown: bool) -> list[str]:
    lines = [
        f"\nBig client: {big_result['rows']:,} rows (CSV {big_result['csv_mib']:.0f} MiB, "
        f"Parquet {big_result['parquet_mib']:.0f} MiB; "
        f"generated in {big_result['generate_s']:.0f} s)"
    ]
    for engine, r in big_result["grouped"].items():
        text = r.get("error") or f"{r['seconds']:.3f} s for {r['groups']} groups"
        if "metric_seconds" in r:
            text += f" (load + metric_by; metric_by alone {r['metric_seconds']:.3f} s)"
        lines.append(f"grouped NPS by wave x touchpoint from Parquet, {engine}: {text}")
    rows = []
    for label, r in big_result["bootstrap"].items():
        if "error" in r:
            rows.append([label, "error", "-", "-", "-", "-"])
            continue
        rows.append(
            [label, _s(r["seconds"]), _s(r["cpu"]), f"{r['ns_per_replicate_row']:.1f}",
             f"{r['peak_mib']:.0f}", str(r["failed"])]
        )  # fmt: skip
    lines.append("\nDriver bootstrap, 1,000 replicates, 7 drivers + noise (interval: Shapley;")
    lines.append("binary: relative weights with logistic fits)")
    headers = ["case", "s", "CPU s", "CPU ns per replicate-row", "peak MiB", "failed"]
    lines.append(table(headers, rows, markdown))
    rows = []
    for name, r in big_result["reports"].items():
        rows.append(
            [name, _s(r["total"]), *(_s(r[k]) for k in BREAKDOWN), _s(r["total_cpu"]),
             f"{r['peak_mib']:.0f}"]
        )  # fmt: skip
    for name, r in big_result["reports"].items():
        then = big_result["reports"].get(f"before {name}")
        if then:
            lines.append(
                f"{name}: {big_result['before']} -> this checkout: CPU s {then['total_cpu']:.2f}"
                f" -> {r['total_cpu']:.2f} ({then['total_cpu'] / r['total_cpu']:.2f}x), kernel "
                f"peak {then['peak_mib']:.0f} -> {r['peak_mib']:.0f} MiB"
            )
    lines.append("\nBig client's reports (run 'all', with PDF; both variants with a warm cache)")
    lines.append(
        table(
            ["analysis", "total s", *(f"{k} s" for k in BREAKDOWN), "CPU s", "kernel peak MiB"],
            rows,
            markdown,
        )
    )
    cold, warm = big_result["cold"], big_result["warm"]
    lines.append(
        f"big client's batch ({cold['reports']:.0f} reports, --jobs 2): cold {cold['wall']:.1f} s, "
        f"warm (nothing changed) {warm['wall']:.2f} s wall, {warm['cpu']:.2f} CPU s"
    )
    return lines


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def header() -> str:
    one, five, _ = os.getloadavg()
    packages = ("cxresearch", "papermill", "nbconvert", "weasyprint", "pandas", "pyarrow", "duckdb")
    return "\n".join(
        [
            f"date: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC",
            f"machine: {len(os.sched_getaffinity(0))} cores, Python {platform.python_version()}",
            "versions: " + ", ".join(f"{p} {_version(p)}" for p in packages),
            f"load average at start: {one:.2f} (1 min), {five:.2f} (5 min)",
        ]
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="6 clients, 200,000 rows, fewer repeats"
    )
    parser.add_argument("--only", nargs="+", choices=SECTIONS, help="run only these sections")
    parser.add_argument("--clients", type=int, help="synthetic clients in the batch (default 30)")
    parser.add_argument("--rows", type=int, help="rows of the big client (default 1,000,000)")
    parser.add_argument("--repeat", type=int, help="repeats of the floor, analyses and jobs")
    parser.add_argument(
        "--before",
        metavar="REF",
        help=(
            "also measure load_responses, the demo batch (jobs) and the big client's reports "
            "(big) with the package as it was at this git ref (e.g. before a change)"
        ),
    )
    parser.add_argument(
        "--prestart",
        action="store_true",
        help="also run the demo batch (jobs) with kernels started ahead",
    )
    parser.add_argument(
        "--kernels",
        nargs="+",
        choices=("fork", "spawn"),
        default=["fork"],
        help="analyses (and, with spawn, also the jobs batches) with kernels forked from the "
        "template (the runner's default) and/or spawned as fresh interpreters "
        "(CXRESEARCH_KERNELS=spawn)",
    )
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write raw results")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "SPEC"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _analyses_step(repeat: int, mode: str) -> Callable[[], Any]:
    return lambda: analyses(max(1, repeat // 2), mode)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, str(HERE))
    if args.child:
        kind, spec = args.child
        child = {
            "load": _child_load,
            "grouped": _child_grouped,
            "bootstrap": _child_bootstrap,
            "warm": _child_warm,
        }
        print(json.dumps(child[kind](json.loads(spec))))
        return 0
    only = set(args.only or SECTIONS)
    repeat = args.repeat or (2 if args.quick else 5)
    clients = args.clients or (6 if args.quick else 30)
    rows = args.rows or (200_000 if args.quick else 1_000_000)
    boot_rows = [n for n in BOOTSTRAP_ROWS if n <= rows]
    print(header(), flush=True)
    results: dict[str, Any] = {}
    started = time.perf_counter()
    steps: list[tuple[str, Callable[[], Any]]] = [
        ("floor", lambda: floor(repeat)),
        ("floor_forked", lambda: floor(repeat, "fork")),
        *(
            (f"analyses{'' if mode == 'fork' else '_spawn'}", _analyses_step(repeat, mode))
            for mode in args.kernels
        ),
        (
            "jobs",
            lambda: jobs_speedup(
                max(1, repeat // 2), args.before, args.prestart, "spawn" in args.kernels
            ),
        ),
        ("batch", lambda: many_batch(clients)),
        ("load", lambda: loads(rows, args.before, args.repeat or (2 if args.quick else 5))),
        ("big", lambda: big(rows, boot_rows, args.before)),
    ]
    failed = []
    for name, step in steps:
        if name.split("_")[0] in only:
            print(f"  running {name} ...", end="", flush=True)
            t0 = time.perf_counter()
            try:
                results[name] = step()
            except Exception as exc:  # report the others; the run still fails at the end
                failed.append(f"{name}: {type(exc).__name__}: {exc}")
                print(f" FAILED: {failed[-1]}", flush=True)
                continue
            print(f" {time.perf_counter() - t0:.0f} s", flush=True)
            if args.json:  # written after every section, so a later failure loses nothing
                args.json.write_text(json.dumps(results, indent=2))
    lines = print_floor_and_analyses(
        results.get("floor"), results.get("analyses", {}), args.markdown
    )
    if results.get("floor_forked"):
        f = results["floor_forked"]
        lines.append(
            f"The same trivial notebook with the kernel forked from the runner's template: "
            f"{f['total']:.2f} s, {f['total_cpu']:.2f} CPU s"
        )
    if "analyses_spawn" in results:
        lines.append("\nWith every kernel a fresh interpreter (CXRESEARCH_KERNELS=spawn):")
        spawned = print_floor_and_analyses(
            results.get("floor"), results["analyses_spawn"], args.markdown
        )
        lines += spawned[1:] if results.get("floor") else spawned
    if "jobs" in results:
        lines += print_jobs(results["jobs"])
    if "batch" in results:
        b = results["batch"]
        cold, warm = b["cold"], b["warm"]
        per = cold["wall"] / cold["reports"]
        ratio = (
            f" = {per / results['floor']['total']:.1f}x the floor"
            if "floor" in results
            else "; floor not measured in this run"
        )
        lines.append(
            f"{b['clients']}-client batch ({cold['reports']:.0f} reports, --jobs 2): cold "
            f"{cold['wall']:.1f} s ({per:.2f} s per report{ratio}; CPU "
            f"{cold['cpu'] / cold['reports']:.2f} s per report); warm (nothing changed) "
            f"{warm['wall']:.2f} s"
        )
    if "load" in results:
        lines += print_loads(results["load"], args.markdown)
    if "big" in results:
        lines += print_big(results["big"], args.markdown)
    print("\n".join(lines))
    one, five, _ = os.getloadavg()
    total = time.perf_counter() - started
    print(f"\ntotal wall time: {total:.0f} s; load average at the end: {one:.2f}, {five:.2f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    for text in failed:
        print(f"FAILED: {text}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
