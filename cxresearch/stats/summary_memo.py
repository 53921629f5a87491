"""The same metric summarised twice on a large raked sample is computed once.

A benchmarking report asks for one estimate from several tables: the current wave's NPS
by segment for the breakdown, the banner and the findings; each group against the rest
and the wave comparison both summarise each group's rows; the trend and the NPS mix both
summarise every wave. On a 1,000,000-row raked sample about half of the report's ~240
summaries repeat one made before, each a pass over up to a million rows.

:func:`remembered` keys a summary by what it is a function of: the metric (its class and
fields), the number of groups, the design's kind and options, its calibration (the raked
sample, held weakly: the memo goes when the session's data goes) and a SHA-256 of the
answers, weights, group codes and the rows' positions in the raked sample. Hashing them
costs about as much as one of the thirty-odd passes a summary makes. Only large raked
designs are remembered (those whose variances come from cell totals): smaller ones cost
little. The caller gets its own copy of the arrays.
"""

from __future__ import annotations

import hashlib
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from cxresearch.stats.design import Calibration, Design
from cxresearch.stats.design_groups import grouped_by_cells

if TYPE_CHECKING:
    from cxresearch.stats.registry import Metric, Summary

__all__ = ["remembered"]

#: Summaries kept per raked sample (least recently used go first); each is a few arrays
#: of one value per group.
KEEP = 1024

_MEMO: weakref.WeakKeyDictionary[Calibration, OrderedDict[Any, Summary]] = (
    weakref.WeakKeyDictionary()
)


def remembered(
    metric: Metric,
    x: np.ndarray,
    design: Design,
    codes: np.ndarray | None,
    k: int,
    compute: Callable[[np.ndarray, Design, np.ndarray | None, int], Summary],
) -> Summary:
    """``compute(x, design, codes, k)``, or a copy of its result for the same inputs."""
    if not grouped_by_cells(design):
        return compute(x, design, codes, k)
    key = _key(metric, x, design, codes, k)
    if key is None:
        return compute(x, design, codes, k)
    assert design.calibration is not None
    memo = _MEMO.setdefault(design.calibration, OrderedDict())
    found = memo.get(key)
    if found is None:
        found = compute(x, design, codes, k)
        memo[key] = found
        while len(memo) > KEEP:
            memo.popitem(last=False)
    else:
        memo.move_to_end(key)
    return _copy(found)


def _key(
    metric: Metric, x: np.ndarray, design: Design, codes: np.ndarray | None, k: int
) -> tuple[Any, ...] | None:
    try:
        hash(metric)
    except TypeError:  # a metric with an unhashable field: not remembered
        return None
    digest = hashlib.sha256()
    cal, positions = design.calibration, design.positions
    weights: np.ndarray | None = design.weights
    if (
        cal is not None
        and positions is not None
        and np.array_equal(design.weights, cal.weights[positions])
    ):
        weights = None  # the raked weights of these rows: the positions say which
    parts = (_small(x), weights, _narrow(codes), _narrow(positions), design.clusters)
    for part in parts:
        if part is None:
            digest.update(b"none")
            continue
        array = np.ascontiguousarray(part)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(array.data.cast("B"))
    return (
        type(metric),
        metric,
        x.dtype.str,  # answers given as uint8 255 and as float -1.0 hash alike in _small
        int(k),
        design.weighted,
        design.small_sample,
        design.kind,
        digest.digest(),
    )


def _small(x: np.ndarray) -> np.ndarray:
    """Answers that are small whole numbers as int8 (an eighth of the bytes to hash), when
    that keeps every bit (the float64 array is marked apart from a true int8 one)."""
    if x.dtype != np.float64 or not x.size or not (x.min() >= -128 and x.max() <= 127):
        return x
    small = x.astype(np.int8)
    if not np.array_equal(small.astype(np.float64).view(np.int64), x.view(np.int64)):
        return x
    return small.view(np.uint8)  # the key also holds the answers' own dtype


def _narrow(codes: np.ndarray | None) -> np.ndarray | None:
    """Integer codes in the smallest integer type that holds them (fewer bytes to hash;
    the same values, so the same key for the same codes)."""
    if codes is None or codes.dtype.kind not in "iu" or codes.size == 0:
        return codes
    low, high = int(codes.min()), int(codes.max())
    for kind in ("int8", "int16", "int32"):
        info = np.iinfo(kind)
        if info.min <= low and high <= info.max:
            return codes.astype(kind)
    return codes.astype("int64", copy=False)


def _copy(s: Summary) -> Summary:
    arrays = {
        name: getattr(s, name).copy()
        for name in ("theta", "value", "n", "weighted_n", "n_effective", "n_star", "var", "df")
    }
    return replace(s, **arrays, parts={key: v.copy() for key, v in s.parts.items()})
