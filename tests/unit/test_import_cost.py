"""What report kernels import instead of scipy.stats, statsmodels and seaborn: same values.

A report kernel imports neither scipy.stats (~0.5 CPU s), statsmodels.stats.multitest nor
seaborn (which import scipy.stats) unless an analysis needs them; these helpers stand in
for the few functions the reports called, and must give the same bits:
``cxresearch.stats.distributions`` for scipy.stats' t, normal, F and chi-square functions,
``multiplicity._multipletests`` for statsmodels' ``multipletests`` and
``chart_base._WHITEGRID`` for seaborn's ``axes_style("whitegrid")`` and
``plots._colorblind_palette`` for its ``color_palette("colorblind", n)``.
"""

from __future__ import annotations

import doctest
import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from scipy import stats

from cxresearch.stats import distributions as dist

INF, NAN = np.inf, np.nan
PROBABILITIES = np.array(
    [0.0, 1e-300, 1e-12, 0.001, 0.025, 0.05, 0.1, 0.3, 0.5, 0.7, 0.9, 0.95, 0.975, 0.995]
    + [1 - 1e-12, 1.0, -0.1, 1.1, NAN, -0.0]
)
POINTS = np.array(
    [-INF, -1e6, -40.0, -3.2, -1.96, -1.0, -1e-9, -0.0, 0.0, 1e-9, 0.5, 1.0, 1.96, 3.2]
    + [40.0, 1e6, INF, NAN]
)
DFS = np.array([-1.0, 0.0, 0.4, 1.0, 2.0, 3.5, 9.0, 30.0, 120.0, 1e6, INF, NAN])


def _same(ours: Any, theirs: Any) -> None:
    assert type(ours) is type(theirs)
    np.testing.assert_array_equal(ours, theirs)
    # assert_array_equal takes 0.0 == -0.0: compare the signs too.
    np.testing.assert_array_equal(np.signbit(ours), np.signbit(theirs))


def test_docstring_examples_run() -> None:
    result = doctest.testmod(dist)
    assert result.attempted >= 2 and result.failed == 0


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [(dist.t_ppf, stats.t.ppf)],
)
def test_t_quantile_equals_scipy_stats(
    ours: Callable[..., Any], theirs: Callable[..., Any]
) -> None:
    q, df = np.meshgrid(PROBABILITIES, DFS)
    _same(ours(q, df), theirs(q, df))
    for p in PROBABILITIES:
        for d in DFS:
            _same(ours(p, d), theirs(p, d))
            _same(
                ours(float(p), int(d) if np.isfinite(d) else d),
                theirs(float(p), int(d) if np.isfinite(d) else d),
            )


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [(dist.t_cdf, stats.t.cdf), (dist.t_sf, stats.t.sf)],
)
def test_t_tails_equal_scipy_stats(ours: Callable[..., Any], theirs: Callable[..., Any]) -> None:
    x, df = np.meshgrid(POINTS, DFS)
    _same(ours(x, df), theirs(x, df))
    for point in POINTS:
        for d in DFS:
            _same(ours(point, d), theirs(point, d))


@pytest.mark.parametrize(
    ("ours", "theirs", "grid"),
    [
        (dist.norm_ppf, stats.norm.ppf, PROBABILITIES),
        (dist.norm_cdf, stats.norm.cdf, POINTS),
        (dist.norm_sf, stats.norm.sf, POINTS),
    ],
)
def test_normal_equals_scipy_stats(
    ours: Callable[..., Any], theirs: Callable[..., Any], grid: np.ndarray
) -> None:
    _same(ours(grid), theirs(grid))
    _same(ours(grid.reshape(2, -1)), theirs(grid.reshape(2, -1)))
    for value in grid:
        _same(ours(value), theirs(value))
        _same(ours(float(value)), theirs(float(value)))
    _same(ours(1), theirs(1))
    _same(ours([0.2, 0.4]), theirs([0.2, 0.4]))


def test_f_and_chi2_tails_equal_scipy_stats() -> None:
    x, dfn, dfd = np.meshgrid(POINTS, DFS, DFS)
    _same(dist.f_sf(x, dfn, dfd), stats.f.sf(x, dfn, dfd))
    x2, df = np.meshgrid(POINTS, DFS)
    _same(dist.chi2_sf(x2, df), stats.chi2.sf(x2, df))
    for point in POINTS:
        for d in DFS:
            _same(dist.chi2_sf(point, d), stats.chi2.sf(point, d))
            _same(dist.f_sf(point, 3, d), stats.f.sf(point, 3, d))
            _same(dist.f_sf(float(point), d, 40.0), stats.f.sf(float(point), d, 40.0))


@pytest.mark.parametrize("method", ["fdr_bh", "holm", "bonferroni"])
def test_multiple_testing_adjustment_equals_statsmodels(
    method: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    from statsmodels.stats.multitest import multipletests

    # statsmodels' Holm branch calls gc.collect() on every call: seconds each in a test
    # process holding the whole suite's objects. It frees memory, it does not change values.
    monkeypatch.setattr(gc, "collect", lambda *args: 0)

    from cxresearch.stats.multiplicity import ADJUSTMENTS, _multipletests

    assert method in ADJUSTMENTS.values()
    rng = np.random.default_rng(20261130)
    for size in [1, 2, 3, 5, 8, 13, 40, 200]:
        for draw in range(20):
            p = rng.uniform(0, 1, size) ** rng.uniform(0.2, 5)
            if draw % 3 == 0:  # ties, zeros and ones
                p = np.round(p, 1)
            if draw % 5 == 0:
                p[: size // 2] = p[0]
            ours, theirs = _multipletests(p.copy(), method), multipletests(p, method=method)[1]
            assert ours.tobytes() == theirs.tobytes(), (method, p)


def test_chart_style_is_seaborns_whitegrid() -> None:
    import seaborn as sns

    from cxresearch.present.chart_base import _WHITEGRID

    # All but the default colour map, which only seaborn registers: report charts name theirs.
    assert {**sns.axes_style("whitegrid")} == {**_WHITEGRID, "image.cmap": "rocket"}


def test_trend_palette_is_seaborns_colorblind() -> None:
    import seaborn as sns

    from cxresearch.present.plots import _colorblind_palette

    for n in range(1, 25):
        assert list(sns.color_palette("colorblind", n)) == _colorblind_palette(n)


def test_report_kernel_imports_leave_out_nbconvert_scipy_stats_statsmodels_seaborn() -> None:
    # What the report notebooks import, then a block with Markdown, an interval, an
    # adjusted family and a chart's style: none of it may import nbconvert (and jsonschema
    # with it, ~1.4 CPU s), scipy.stats (~0.5), statsmodels or seaborn (benchmarks/README.md,
    # issue 18). Checked in a fresh interpreter, where sys.modules starts empty.
    code = """
import json, sys
import cxresearch.present as cx
import cxresearch.story as cxs
from cxresearch.report.manifest import provenance
from cxresearch.session import open_run
from cxresearch.journey.run import open_journey
from cxresearch.qual.run import open_coding
from cxresearch.stats.drivers import driver_importance, importance_performance
from cxresearch.present import driver_plots, drivers, journey, journey_outcomes, qual
from cxresearch.present import journey_plots, plots, profile_plots
from cxresearch.present.blocks import block
from cxresearch.present.escaping import heading, md
from cxresearch.stats.intervals import nps_interval, t_interval
from cxresearch.stats.multiplicity import adjust_pvalues
block(heading("Otsikko", 3), md("**{x}**", x="y"))._repr_html_()
t_interval(3.0, 1.2, 10, confidence=0.9)
nps_interval(0.4, 0.2, 50)
adjust_pvalues([0.01, 0.2, 0.03], "holm")
with plots.chart_style():
    pass
heavy = {"nbconvert", "nbformat", "jsonschema", "lark", "statsmodels", "seaborn"}
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in heavy or m == "scipy.stats")))
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
