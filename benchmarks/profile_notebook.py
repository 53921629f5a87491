"""Run a report notebook's code in this process, cell by cell, to see where its time goes.

papermill runs a notebook in a kernel, where a profiler cannot look. This runs the same
code cells in a plain Python process, with the kernel's environment (one BLAS thread, as
:data:`cxresearch.report.execute.KERNEL_ENVIRONMENT` gives every report kernel; several
BLAS threads on a shared machine make a vector product 100× slower in CPU seconds), and
formats every displayed object and every cell's last value as the kernel would (HTML,
PNG). It prints each cell's wall and CPU seconds and the process's peak memory (VmHWM)
after it, a digest of everything displayed (two runs that show the same report print the
same digest), and with ``--profile`` the functions that took the time (cProfile).

Usage (from the project that holds the params file; the data cache is used as in a report)::

    python benchmarks/profile_notebook.py notebooks/benchmarking.ipynb params/x.yaml
    python benchmarks/profile_notebook.py notebooks/drivers.ipynb params/x.yaml --profile d.prof
    python benchmarks/profile_notebook.py ... --package-at 91274e8   # the package at a git ref

``--package-at REF`` runs the code against the ``cxresearch`` package as it was at a git
ref of this repository (extracted with ``git archive``), for before/after figures.
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")  # before numpy is imported, as in a report kernel
os.environ.setdefault("PYTHONHASHSEED", "0")

import argparse  # noqa: E402
import ast  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def peak_mib() -> float:
    """VmHWM of this process in MiB (not ru_maxrss, which Linux keeps across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return float(line.split()[1]) / 1024
    return float("nan")


def code_cells(notebook: Path, parameters: dict[str, Any]) -> list[str]:
    """The notebook's code cells, the ``parameters`` cell replaced by ``parameters``."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    cells = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            source = "\n".join(f"{k} = {v!r}" for k, v in parameters.items())
        cells.append(source)
    return cells


def run(notebook: Path, parameters: dict[str, Any], profile: Path | None) -> dict[str, Any]:
    """Execute the cells in one namespace; time, measure and digest each."""
    import cProfile

    import IPython.core.display_functions as display_functions
    import IPython.display
    from IPython.core.formatters import DisplayFormatter

    formatter = DisplayFormatter()
    text, images = hashlib.sha256(), hashlib.sha256()

    def display(*objects: Any, raw: bool = False, **_: Any) -> None:
        for obj in objects:
            if raw:
                continue
            data, _meta = formatter.format(obj)
            for kind in sorted(data):
                digest = images if kind.startswith("image/") else text
                digest.update(repr(data[kind]).encode())

    IPython.display.display = display  # type: ignore[assignment]
    display_functions.display = display  # type: ignore[assignment]
    profiler = cProfile.Profile() if profile else None
    namespace: dict[str, Any] = {"__name__": "__main__"}
    rows = []
    started, cpu_started = time.perf_counter(), time.process_time()
    for i, source in enumerate(code_cells(notebook, parameters)):
        tree = ast.parse(source)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        wall, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        exec(compile(tree, f"<cell {i}>", "exec"), namespace)
        if last is not None:
            value = eval(compile(ast.Expression(last.value), f"<cell {i}>", "eval"), namespace)
            if value is not None:
                display(value)
        if profiler:
            profiler.disable()
        first_line = source.strip().splitlines()[0] if source.strip() else ""
        rows.append(
            {
                "cell": i,
                "seconds": time.perf_counter() - wall,
                "cpu": time.process_time() - cpu,
                "peak_mib": peak_mib(),
                "first_line": first_line[:70],
            }
        )
    if profiler and profile:
        profiler.dump_stats(str(profile))
    return {
        "cells": rows,
        "seconds": time.perf_counter() - started,
        "cpu": time.process_time() - cpu_started,
        "peak_mib": peak_mib(),
        "text_sha256": text.hexdigest(),
        "images_sha256": images.hexdigest(),
        "load_average": os.getloadavg()[0],
    }


def package_at(ref: str, folder: Path) -> Path:
    """This repository's ``cxresearch`` package at ``ref``, extracted under ``folder``."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", ref, "cxresearch"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("params", help="params file, relative to the project root")
    parser.add_argument("--run", default="all")
    parser.add_argument("--profile", type=Path, help="write cProfile statistics here")
    parser.add_argument("--top", type=int, default=30, help="functions to print (--profile)")
    parser.add_argument("--package-at", metavar="REF", help="the package at this git ref")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    notebook = args.notebook.resolve()
    root = Path(args.params).resolve().parent.parent
    if args.package_at:
        # A child process with the old package first on the path, so nothing of this
        # checkout's package is imported in it.
        with tempfile.TemporaryDirectory(prefix="cxprofile-") as tmp:
            package_at(args.package_at, Path(tmp))
            env = {**os.environ, "PYTHONPATH": tmp}
            rest = [a for a in (argv or sys.argv[1:]) if a not in ("--package-at", args.package_at)]
            return subprocess.run(
                [sys.executable, __file__, *rest], env=env, check=False
            ).returncode
    os.chdir(root)
    parameters = {"params_path": str(Path(args.params).resolve()), "run": args.run}
    if "exports" in (notebook.read_text(encoding="utf-8")):
        parameters["exports"] = {"banner.xlsx": str(Path(tempfile.mkdtemp()) / "banner.xlsx")}
    result = run(notebook, parameters, args.profile)
    for row in result["cells"]:
        print(
            f"cell {row['cell']:2d} {row['seconds']:7.2f} s {row['cpu']:7.2f} CPU s "
            f"peak {row['peak_mib']:6.0f} MiB | {row['first_line']}"
        )
    print(
        f"total {result['seconds']:.2f} s, {result['cpu']:.2f} CPU s, peak "
        f"{result['peak_mib']:.0f} MiB, load average {result['load_average']:.1f}; "
        f"shown: text {result['text_sha256'][:16]}, images {result['images_sha256'][:16]}"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    if args.profile:
        import pstats

        pstats.Stats(str(args.profile)).sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
