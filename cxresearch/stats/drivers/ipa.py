"""Importance–performance analysis (IPA): what to fix first.

Each driver is placed by its importance for the outcome (from :func:`driver_importance`)
and by how well it performs (mean rating or top-box share). Cut lines at the average
importance and the average performance split the plane into the four quadrants of Martilla
& James (1977); the "data-centred" cut lines follow Bacon (2003). Plotting is left to
``cxresearch.present``; this module returns the tidy table.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cxresearch.errors import DataError
from cxresearch.stats.drivers.core import driver_importance
from cxresearch.stats.weighting import validate_weights

__all__ = ["PRIORITIES", "QUADRANTS", "STATUSES", "importance_performance"]

#: Priority labels in the order a report lists them.
PRIORITIES = ("fix first", "keep up", "possible overkill", "low priority")
#: Martilla & James (1977) quadrant names, by priority.
QUADRANTS = {
    "fix first": "concentrate here",
    "keep up": "keep up the good work",
    "possible overkill": "possible overkill",
    "low priority": "low priority",
}
#: How sure a driver's quadrant is, most certain first: ``clear`` (stands out from the
#: noise baseline and no interval crosses a cut line), ``uncertain`` (stands out, but an
#: interval crosses a cut line), ``noise`` (cannot be told apart from the noise baseline),
#: ``untested`` (no bootstrap intervals or no noise baseline to judge by).
STATUSES = ("clear", "uncertain", "noise", "untested")
RULE = (
    "Martilla & James (1977) quadrants with data-centred cut lines (Bacon 2003): a driver "
    "is high-importance when its importance is at least the mean importance of the drivers "
    "and high-performance when its performance is at least their mean performance. "
    "High importance & low performance = fix first; high & high = keep up; low importance "
    "& high performance = possible overkill; low & low = low priority. 'uncertain' marks a "
    "driver whose interval on either axis crosses the cut line. A priority is given only to "
    "a driver whose importance stands out from the noise baseline and that is not uncertain "
    "(status 'clear')."
)


def _performance(
    x: np.ndarray,
    w: np.ndarray,
    *,
    kind: str,
    top: tuple[float, float],
    confidence: float,
    weighted: bool = False,
) -> tuple[float, float, float, int]:
    """Performance of one driver with its interval, through the metric registry.

    A mean rating (Hall's skewness-corrected t interval on the design SE) or the top-box
    share within ``top`` (Wilson interval on the design's effective n), exactly as
    :func:`~cxresearch.stats.metrics.mean_rating` and the share metrics give them, so IPA
    and the metric tables agree. ``top`` is a *range* (inclusive): averaged indices have
    half points.
    """
    # Imported here: scipy.stats adds about 0.6 s to importing the drivers package, which
    # driver_importance does not need.
    from cxresearch.stats.design import Design
    from cxresearch.stats.metrics import estimate_from_summary
    from cxresearch.stats.registry import MeanMetric, RangeShareMetric

    present = ~np.isnan(x)
    x, w = x[present], w[present]
    n = int(x.size)
    if n == 0:
        return np.nan, np.nan, np.nan, 0
    metric = MeanMetric("mean") if kind == "mean" else RangeShareMetric("top_box", top=top)
    summary = metric.summarize(x, Design(w, weighted))
    est = estimate_from_summary(metric, summary, confidence=confidence)
    return est.value, est.ci_low, est.ci_high, n


def importance_performance(
    frame: pd.DataFrame,
    *,
    outcome: str,
    drivers: Any,
    importance: pd.DataFrame | None = None,
    performance: str = "mean",
    scale: tuple[float, float] = (1, 5),
    top: tuple[float, float] = (4, 5),
    weights: Any = None,
    confidence: float = 0.95,
    method: str = "shapley",
    bootstrap: int = 0,
    seed: int | None = None,
    importance_cut: float | None = None,
    performance_cut: float | None = None,
) -> pd.DataFrame:
    """Importance–performance table with quadrants and a priority per driver.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per response.
    outcome : str
        Outcome column (used when ``importance`` is not given).
    drivers : list of str
        Driver columns, rated on ``scale``.
    importance : pandas.DataFrame, optional
        A :func:`driver_importance` result to reuse (its ``ci_low``/``ci_high`` become the
        importance interval). Computed with ``method``, ``bootstrap`` and ``seed`` if omitted.
    performance : {"mean", "top2"}
        Mean rating with Hall's skewness-corrected t interval, or the percentage rating
        within ``top`` (inclusive) with a Wilson interval. Each driver uses the rows where
        it is rated.
    scale : (float, float)
        Lowest and highest valid rating; values outside raise DataError.
    top : (float, float)
        Range counted as top box for ``performance="top2"``.
    weights : str or array-like, optional
        Survey weights (column name or values); intervals then use Kish's effective n.
    confidence : float
        Level of the performance (and computed importance) intervals.
    method, bootstrap, seed
        Passed to :func:`driver_importance` when ``importance`` is None.
    importance_cut, performance_cut : float, optional
        Cut lines; default to the mean over the drivers (data-centred, Bacon 2003).

    Returns
    -------
    pandas.DataFrame
        ``driver, importance, importance_ci_low, importance_ci_high, share, performance,
        performance_ci_low, performance_ci_high, n, quadrant, priority, uncertain, status,
        label``, sorted by priority (:data:`PRIORITIES` order) then importance. ``status``
        is one of :data:`STATUSES`; ``label`` is the priority for a ``clear`` driver and
        the status otherwise ("uncertain", "noise", "untested"), so a priority is never
        shown for a driver the data cannot place. ``attrs`` hold the cut lines, ``rule``
        (the text above) and the settings.

    References
    ----------
    Martilla, J. A. & James, J. C. (1977). Importance-performance analysis. *Journal of
    Marketing* 41(1), 77–79.
    Bacon, D. R. (2003). A comparison of approaches to importance-performance analysis.
    *International Journal of Market Research* 45(1), 55–71.
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. *JASA* 22(158), 209–212.
    """
    if performance not in ("mean", "top2"):
        raise ValueError(f"performance must be 'mean' or 'top2', got {performance!r}")
    if len(scale) != 2 or not scale[0] < scale[1]:
        raise ValueError(f"scale must be (lowest, highest) with lowest < highest, got {scale!r}")
    if len(top) != 2 or not scale[0] <= top[0] <= top[1] <= scale[1]:
        raise ValueError(f"top must be a range inside scale {tuple(scale)}, got {top!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}")
    if importance is None:
        importance = driver_importance(
            frame,
            outcome=outcome,
            drivers=drivers,
            method=method,
            weights=weights,
            bootstrap=bootstrap,
            confidence=confidence,
            seed=seed,
        )
    names = list(drivers)
    if "driver" not in importance.columns or "importance" not in importance.columns:
        raise ValueError("importance must be a driver_importance() result (driver, importance)")
    imp = importance.set_index("driver")
    absent = [d for d in names if d not in imp.index]
    if absent:
        raise DataError(f"importance has no row for drivers {absent}")
    imp = imp.loc[names]
    if isinstance(weights, str):
        w = validate_weights(frame[weights], length=len(frame), name=f"weights column {weights!r}")
    elif weights is not None:
        w = validate_weights(weights, length=len(frame), name="weights")
    else:
        w = np.ones(len(frame))
    weighted = weights is not None

    rows = []
    for d in names:
        if not pd.api.types.is_numeric_dtype(frame[d].dtype):
            raise DataError(f"driver {d!r} must be numeric ratings, got dtype {frame[d].dtype}")
        x = frame[d].to_numpy(dtype="float64", na_value=np.nan)
        outside = x[(x < scale[0]) | (x > scale[1])]
        if outside.size:
            raise DataError(
                f"column {d!r} has ratings outside the scale {tuple(scale)}: "
                f"{np.unique(outside)[:5].tolist()}"
            )
        rows.append(
            _performance(x, w, kind=performance, top=top, confidence=confidence, weighted=weighted)
        )
    perf = np.array([r[:3] for r in rows], dtype=float)

    values = imp["importance"].to_numpy(dtype=float)
    i_cut = float(values.mean()) if importance_cut is None else float(importance_cut)
    p_cut = float(np.nanmean(perf[:, 0])) if performance_cut is None else float(performance_cut)
    nan = np.full(len(names), np.nan)
    i_lo = imp["ci_low"].to_numpy(dtype=float) if "ci_low" in imp else nan
    i_hi = imp["ci_high"].to_numpy(dtype=float) if "ci_high" in imp else nan
    high_imp = values >= i_cut
    high_perf = perf[:, 0] >= p_cut
    priority = np.where(
        high_imp,
        np.where(high_perf, "keep up", "fix first"),
        np.where(high_perf, "possible overkill", "low priority"),
    )
    uncertain = ((i_lo < i_cut) & (i_hi > i_cut)) | ((perf[:, 1] < p_cut) & (perf[:, 2] > p_cut))
    # A priority needs a driver that stands out from the noise baseline (driver_importance
    # with noise_baseline and bootstrap) and a quadrant no interval leaves in doubt.
    judged = "above_noise" in imp.columns and bool(np.isfinite(i_lo).all())
    above = imp["above_noise"].to_numpy(dtype=bool) if judged else np.zeros(len(names), bool)
    status = np.where(
        not judged,
        "untested",
        np.where(~above, "noise", np.where(uncertain, "uncertain", "clear")),
    )
    out = pd.DataFrame(
        {
            "driver": names,
            "importance": values,
            "importance_ci_low": i_lo,
            "importance_ci_high": i_hi,
            "share": imp["share"].to_numpy(dtype=float)
            if "share" in imp
            else values / values.sum(),
            "performance": perf[:, 0],
            "performance_ci_low": perf[:, 1],
            "performance_ci_high": perf[:, 2],
            "n": [r[3] for r in rows],
            "quadrant": [QUADRANTS[str(p)] for p in priority],
            "priority": priority.astype(object),
            "uncertain": uncertain,
            "status": status.astype(object),
            "label": np.where(status == "clear", priority, status).astype(object),
        }
    )
    order = out["priority"].map({p: i for i, p in enumerate(PRIORITIES)})
    out = (
        out.assign(_order=order, _neg=-out["importance"])
        .sort_values(["_order", "_neg"], kind="stable")
        .drop(columns=["_order", "_neg"])
        .reset_index(drop=True)
    )
    out.attrs.update(
        importance_cut=i_cut,
        performance_cut=p_cut,
        performance=performance,
        scale=tuple(scale),
        top=tuple(top),
        confidence=float(confidence),
        rule=RULE,
        importance_method=importance.attrs.get("method"),
        r2=importance.attrs.get("r2"),
        n=importance.attrs.get("n"),
    )
    return out
