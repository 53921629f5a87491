"""Raking (iterative proportional fitting) to population margins.

:func:`rake` returns weights that remember their calibration (``Series.attrs``), so that
every estimate and test given those weights uses the raked-design variance of R's
``rake()`` + ``svymean`` instead of the weights-only one.

What keeps the calibration: the Series itself and anything pandas derives from it with
its index (``w[mask]``, ``w.loc[rows]``, ``w.iloc[...]``, ``w * 2``). What loses it (the
weights-only variance is used then, which is usually a little wider): ``w.to_numpy()``,
``np.asarray(w)``, ``list(w)``, ``w.values``, storing it as a DataFrame column and reading
the column back (``df["w"] = w; df["w"]``), and ``reset_index``. Frame-level functions
(:func:`~cxresearch.stats.metrics.metric_by` etc.) therefore take the Series itself as
``weights=`` as well as a column name.

References
----------
Deming, W. E. & Stephan, F. F. (1940). On a least squares adjustment of a sampled frequency
table when the expected marginal totals are known. *Ann. Math. Statist.* 11, 427–444.
Lumley, T. (2010). *Complex Surveys*, ch. 7 (R ``survey::rake``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cxresearch.stats.design import CALIBRATION_ATTR, Calibration
from cxresearch.stats.weighting import validate_weights

__all__ = ["RakingError", "check_margins", "rake"]


class RakingError(ValueError):
    """Raking could not reach the margins (non-convergence, empty cells)."""


def check_margins(
    frame: pd.DataFrame, margins: Mapping[str, Mapping[Any, float]], *, tol: float = 1e-6
) -> dict[str, dict[Any, float]]:
    """Validate raking margins against the data and return them as plain dicts.

    Every margin must name a column of ``frame``; its levels must be exactly the levels
    found in the column (no missing, no extra level); shares must be positive and sum to 1
    (within ``tol``); the column must have no missing value.

    Raises
    ------
    ValueError
        Naming the margin, the levels and the rows at fault.
    """
    return _coded_margins(frame, margins, tol=tol)[0]


def _coded_margins(
    frame: pd.DataFrame, margins: Mapping[str, Mapping[Any, float]], *, tol: float = 1e-6
) -> tuple[dict[str, dict[Any, float]], list[np.ndarray]]:
    """:func:`check_margins` and every row's level code (position in its margin) per margin."""
    if not isinstance(margins, Mapping) or not margins:
        raise ValueError(
            f"margins must be a non-empty mapping column -> {{level: share}}, got {margins!r:.80}"
        )
    out: dict[str, dict[Any, float]] = {}
    coded: list[np.ndarray] = []
    for column, shares in margins.items():
        if column not in frame.columns:
            raise ValueError(f"margin {column!r}: no such column (have {list(frame.columns)})")
        if not isinstance(shares, Mapping) or not shares:
            raise ValueError(
                f"margin {column!r} must map each level to its share, got {shares!r:.80}"
            )
        values = frame[column]
        missing = values.isna().to_numpy()
        if missing.any():
            rows = values.index[missing].tolist()[:5]
            raise ValueError(
                f"margin {column!r}: the column has missing values (first rows {rows})"
            )
        clean: dict[Any, float] = {}
        for level, share in shares.items():
            if isinstance(share, bool) or not isinstance(
                share, (int, float, np.integer, np.floating)
            ):
                raise ValueError(
                    f"margin {column!r} level {level!r}: share must be a number, got {share!r}"
                )
            if not 0.0 < float(share) <= 1.0:
                raise ValueError(
                    f"margin {column!r} level {level!r}: share must be in (0, 1], got {share!r}"
                )
            clean[level] = float(share)
        total = sum(clean.values())
        if abs(total - 1.0) > tol:
            raise ValueError(f"margin {column!r}: shares sum to {total:.6g}, not 1")
        codes = _level_codes(values, list(clean))
        unknown = codes < 0
        if unknown.any():
            absent = sorted(map(str, set(pd.unique(values[unknown]).tolist())))
            rows = values.index[unknown].tolist()[:5]
            raise ValueError(
                f"margin {column!r}: data levels {absent} have no share in the margins "
                f"(first rows {rows})"
            )
        counts = np.bincount(codes, minlength=len(clean))
        extra = sorted(str(level) for level, k in zip(clean, counts, strict=True) if k == 0)
        if extra:
            raise ValueError(
                f"margin {column!r}: levels {extra} are in the margins but not in the data"
            )
        out[str(column)] = clean
        coded.append(codes)
    return out, coded


def _level_codes(values: pd.Series, levels: list[Any]) -> np.ndarray:
    """Each row's position in ``levels`` (−1 for a value that is not one of them).

    Arrow strings are matched in Arrow (``pyarrow.compute.index_in``) and categoricals by
    their categories, without hashing a million Python objects; anything else through
    :func:`pandas.factorize`.
    """
    position = {level: i for i, level in enumerate(levels)}
    if isinstance(values.dtype, pd.CategoricalDtype):
        known = np.array([position.get(c, -1) for c in values.cat.categories.tolist()], "int64")
        return np.append(known, -1)[values.cat.codes.to_numpy()]
    arrow = getattr(values.array, "_pa_array", None)
    if arrow is not None and all(isinstance(level, str) for level in levels):
        import pyarrow as pa
        import pyarrow.compute as pc

        found = pc.index_in(arrow, value_set=pa.array(levels, type=pa.string()))
        return np.asarray(found.fill_null(-1).combine_chunks()).astype("int64")
    found, uniques = pd.factorize(values)
    mapping = np.array([position.get(u, -1) for u in uniques.tolist()], dtype="int64")
    return mapping[found]


@dataclass(frozen=True)
class _Cells:
    """Respondents grouped by their combination of margin levels.

    Raking multiplies every weight by one factor per margin level, so all rows of a cell
    (one level of every margin) get the same factor: IPF can run on the cells' totals and
    the factors be applied to the rows once, which makes raking a million rows a few
    passes over the rows instead of several per sweep.
    """

    index: np.ndarray  # cell of every row
    codes: tuple[np.ndarray, ...]  # level of every cell, per margin
    size: int


def _cells(codes: Sequence[np.ndarray], sizes: Sequence[int]) -> _Cells:
    n = codes[0].size if codes else 0
    dense = float(np.prod([float(s) for s in sizes]))
    if dense <= max(4.0 * n, 1024.0):
        index = np.ravel_multi_index(tuple(codes), tuple(sizes))
        levels = np.unravel_index(np.arange(int(dense)), tuple(sizes))
        return _Cells(index.astype("int64"), tuple(lv.astype("int64") for lv in levels), int(dense))
    if dense < 2.0**62:
        combined = np.ravel_multi_index(tuple(codes), tuple(sizes))
        index, uniques = pd.factorize(combined)
        levels = np.unravel_index(np.asarray(uniques), tuple(sizes))
        return _Cells(
            index.astype("int64"), tuple(lv.astype("int64") for lv in levels), len(uniques)
        )
    table = pd.DataFrame({i: c for i, c in enumerate(codes)})
    grouped = table.groupby(list(table.columns), sort=False)
    index = grouped.ngroup().to_numpy().astype("int64")
    first = grouped.head(1)
    order = np.argsort(index[first.index.to_numpy()])
    levels = tuple(first[c].to_numpy()[order].astype("int64") for c in table.columns)
    return _Cells(index, levels, int(index.max()) + 1 if n else 0)


def _ipf(
    cells: _Cells,
    targets: Sequence[np.ndarray],
    start: np.ndarray,
    *,
    max_iter: int,
    tol: float,
) -> tuple[np.ndarray, int, float]:
    """Iterative proportional fitting: weights whose shares per margin equal ``targets``.

    The sweeps run on the cells' totals (:class:`_Cells`); the result is each row's start
    weight times its cell's factor, the same weights as sweeping over the rows.
    """
    totals = np.bincount(cells.index, start, cells.size)
    fitted = totals.copy()
    gap = np.inf
    used = max_iter
    with np.errstate(divide="ignore", invalid="ignore"):
        for iteration in range(1, max_iter + 1):
            for code, target in zip(cells.codes, targets, strict=True):
                sums = np.bincount(code, fitted, target.size)
                fitted *= (target * fitted.sum() / sums)[code]
            total = fitted.sum()
            gap = max(
                float(np.max(np.abs(np.bincount(c, fitted, t.size) / total - t)))
                for c, t in zip(cells.codes, targets, strict=True)
            )
            if gap < tol:
                used = iteration
                break
        factor = np.where(totals > 0, fitted / totals, 0.0)
    if not np.isfinite(gap):
        gap = np.inf
    return start * factor[cells.index], used, gap


def rake(
    frame: pd.DataFrame,
    margins: Mapping[str, Mapping[Any, float]],
    *,
    weights: Any = None,
    max_iter: int = 100,
    tol: float = 1e-8,
    trim: tuple[float, float] | None = None,
    ids: Any = None,
    by: str | None = None,
) -> pd.Series:
    """Weights that make the sample's shares equal the population margins (mean 1).

    Parameters
    ----------
    frame : DataFrame
        One row per respondent with the margin columns (no missing values there).
    margins : mapping
        Column → {level: population share}; every level of the column present, shares
        summing to 1, e.g. ``{"region": {"uusimaa": 0.31, ..., "muu": 0.42}}``.
    weights : array-like, optional
        Base (design) weights to start from; ones by default.
    max_iter : int
        Most sweeps over the margins.
    tol : float
        Largest allowed gap between a weighted share and its margin.
    trim : (low, high), optional
        Bounds of the weights relative to their mean, e.g. ``(0.3, 3.0)``: weights are
        clipped to them and raked again until both the margins and the bounds hold.
    ids : array-like, optional
        Cluster of every row (respondent over pooled waves), kept for the variance.

    Returns
    -------
    pandas.Series
        Named ``"weight"``, indexed like ``frame``, mean 1. ``attrs`` carries the
        calibration, so estimates given this Series use the raked-design variance (see
        the module docstring for what keeps and what loses it).

    Raises
    ------
    ValueError
        For bad margins (:func:`check_margins`) or bad base weights.
    RakingError
        When the margins are not reached in ``max_iter`` sweeps (e.g. a margin level whose
        rows all have zero base weight, or bounds that cannot be met together).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"sex": ["f", "f", "m", "m", "m"], "age": ["y", "o", "y", "o", "o"]})
    >>> w = rake(df, {"sex": {"f": 0.5, "m": 0.5}, "age": {"y": 0.5, "o": 0.5}})
    >>> round(float(w[df.sex == "f"].sum() / w.sum()), 6)
    0.5

    References
    ----------
    Deming & Stephan (1940); R ``survey::rake`` (Lumley 2010, ch. 7), to which the weights
    are pinned in tests/reference/test_design.py.
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    if len(frame) == 0:
        raise ValueError("frame has no rows to rake")
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}")
    if not isinstance(tol, (int, float)) or not tol > 0:
        raise ValueError(f"tol must be a positive number, got {tol!r}")
    clean, level_codes = _coded_margins(frame, margins)
    codes: list[np.ndarray] = []
    sizes: list[int] = []
    targets: list[np.ndarray] = []
    if by is not None:
        if by not in frame.columns or frame[by].isna().any():
            raise ValueError(f"by: column {by!r} must exist and have no missing values")
        group, group_levels = pd.factorize(frame[by], sort=True)
        group_share = np.bincount(group) / len(frame)
        for label in group_levels:
            # The margins' columns of the group's rows only (every margin names a column:
            # checked above), not a copy of every column of a million rows.
            part = frame.loc[(frame[by] == label).to_numpy(), list(margins)]
            try:
                check_margins(part, margins)
            except ValueError as err:
                raise ValueError(f"{by} {label!r}: {err}") from None
    else:
        group, group_share = np.zeros(len(frame), dtype="int64"), np.ones(1)
    for (_column, shares), level in zip(clean.items(), level_codes, strict=True):
        levels = list(shares)
        codes.append(level if by is None else group * len(levels) + level)
        sizes.append(group_share.size * len(levels))
        targets.append(np.outer(group_share, [shares[lv] for lv in levels]).ravel())
    start = (
        np.ones(len(frame))
        if weights is None
        else validate_weights(weights, length=len(frame), name="weights")
    )
    if not start.sum() > 0:
        raise ValueError("weights are all zero")
    start = start / start.mean()
    if trim is not None:
        low, high = _check_trim(trim)
    cells = _cells(codes, sizes)
    w, used, gap = _ipf(cells, targets, start, max_iter=max_iter, tol=tol)
    if gap >= tol:
        raise RakingError(
            f"raking did not converge in {used} iterations (largest gap to a margin {gap:.3g}); "
            "check for margin levels with (almost) no respondents"
        )
    if trim is not None:
        for _ in range(max_iter):
            mean = w.mean()
            if w.min() >= low * mean * (1 - 1e-9) and w.max() <= high * mean * (1 + 1e-9):
                break
            w = np.clip(w, low * mean, high * mean)
            w, used, gap = _ipf(cells, targets, w, max_iter=max_iter, tol=tol)
        else:
            raise RakingError(
                f"trim bounds {trim} and the margins cannot both be met in {max_iter} rounds"
            )
        if gap >= tol:
            raise RakingError(f"raking did not converge after trimming (gap {gap:.3g})")
    w = w / w.mean()
    clusters = None
    if ids is not None:
        ids_series = pd.Series(np.asarray(ids))
        if len(ids_series) != len(frame) or ids_series.isna().any():
            raise ValueError("ids must have one non-missing value per row of frame")
        clusters = pd.factorize(ids_series, sort=True)[0].astype("int64")
    out = pd.Series(w, index=frame.index, name="weight")
    out.attrs[CALIBRATION_ATTR] = Calibration(
        frame.index.copy(), tuple(codes), w.copy(), clusters, tuple(clean)
    )
    return out


def _check_trim(trim: Any) -> tuple[float, float]:
    if (
        not isinstance(trim, (tuple, list))
        or len(trim) != 2
        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in trim)
        or not 0 < trim[0] < 1 < trim[1]
    ):
        raise ValueError(f"trim must be (low, high) with 0 < low < 1 < high, got {trim!r}")
    return float(trim[0]), float(trim[1])
