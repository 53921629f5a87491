"""Kernel-side timers for ``benchmarks/batch.py``: where a report notebook spends its time.

The benchmark copies a report notebook, adds a first cell that calls :func:`install` and a
last cell that calls :func:`report`, and executes the copy exactly as the runner does
(same kernel manager, same environment). :func:`install` imports what the notebook imports
(timed as *imports*) and wraps, by module attribute, the functions that the notebook then
picks up by name:

- *data*: ``cxresearch.session.open_run`` (reading, validating and selecting the rows);
- *charts*: every ``*_plot`` function (and the journey's ``heatmap``) of the chart modules
  (:data:`CHART_MODULES`: building the figure) and ``ReportFigure._repr_png_`` (laying it
  out, drawing it and writing the PNG that Jupyter shows and nbconvert embeds), nested calls
  counted once.

Everything else the cells do is *computation* (statistics and tables). :func:`report` prints
one ``CXBENCH {json}`` line: those seconds, the seconds from install to report (the cells),
the kernel's CPU seconds and its peak resident memory (``VmHWM``).
"""

from __future__ import annotations

import functools
import importlib
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

_TIMES = {"imports": 0.0, "data": 0.0, "charts": 0.0}
_STATE = {"depth": 0, "t0": 0.0, "cpu0": 0.0}
# Until 2026-11-30 07:00 UTC only plots and driver_plots: the profile charts, the journey's
# heatmaps and estimate charts and the qualitative impact chart were counted as computation
# while they were built (their PNGs were always charts).
CHART_MODULES = (
    "cxresearch.present.plots",
    "cxresearch.present.driver_plots",
    "cxresearch.present.profile_plots",
    "cxresearch.present.journey_plots",
    "cxresearch.present.journey",
    "cxresearch.present.journey_outcomes",
    "cxresearch.present.qual",
)


def _timed(key: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if key == "charts" and _STATE["depth"]:
            return fn(*args, **kwargs)  # a chart function called by another: counted once
        _STATE["depth"] += key == "charts"
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            _TIMES[key] += time.perf_counter() - start
            _STATE["depth"] -= key == "charts"

    return wrapper


def install(import_lines: Sequence[str]) -> None:
    """Time the notebook's imports, then wrap the data and chart functions."""
    _STATE["t0"] = time.perf_counter()
    _STATE["cpu0"] = time.process_time()
    namespace: dict[str, Any] = {}
    exec("\n".join(import_lines), namespace)  # the notebook's own import statements
    _TIMES["imports"] = time.perf_counter() - _STATE["t0"]
    session = importlib.import_module("cxresearch.session")
    session.open_run = _timed("data", session.open_run)  # type: ignore[attr-defined]
    present = importlib.import_module("cxresearch.present")
    for name in CHART_MODULES:
        module = importlib.import_module(name)
        for attr in dir(module):
            value = getattr(module, attr)
            chart = attr.endswith("_plot") or attr == "heatmap"
            if chart and callable(value) and getattr(value, "__module__", None) == name:
                wrapped = _timed("charts", value)
                setattr(module, attr, wrapped)
                if attr in getattr(present, "__all__", ()):
                    setattr(present, attr, wrapped)
    plots = importlib.import_module("cxresearch.present.plots")
    figure = plots.ReportFigure
    figure._repr_png_ = _timed("charts", figure._repr_png_)


def report() -> None:
    """Print the timings as one ``CXBENCH`` line (parsed by ``batch.py``)."""
    cells = time.perf_counter() - _STATE["t0"]
    out = dict(_TIMES)
    out["cells"] = cells
    out["computation"] = max(cells - sum(_TIMES.values()), 0.0)
    out["cpu"] = time.process_time() - _STATE["cpu0"]
    # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so a kernel started by a
    # big parent process would report the parent's peak.
    status = Path("/proc/self/status").read_text().splitlines()
    hwm = next(line for line in status if line.startswith("VmHWM:"))
    out["peak_mib"] = float(hwm.split()[1]) / 1024
    print("CXBENCH " + json.dumps(out))
