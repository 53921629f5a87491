"""Banner tables: metrics and answer categories by segment, with column-letter significance.

A banner crosses rows (CX metrics from the registry, and the answer categories of a
question as shares) with columns (the levels of segment variables, each variable a
*span*, plus the total). Every column gets a letter (A, B, C, ... across the table); in
each row the columns of one span are compared pairwise with the registry's two-sample pair
(adjusted-Wald NPS, Agresti–Caffo shares, Welch means; design-based with weights), the
p-values of every pair of the whole table are adjusted together (Benjamini–Hochberg by
default), and a cell carries the letter of each column it is significantly *higher* than:
upper case when the adjusted p-value is below ``strict`` (0.001), lower case when below
``1 − confidence`` (0.05) — Displayr's convention.

Columns whose effective base is below ``suppress_below`` (30) are not shown and not
tested; below ``caution_below`` (100) they are shown with a caution flag. Both thresholds,
the adjustment and the levels are recorded on the :class:`Banner`.

The pairs (``Banner.pairs``) keep their differences with intervals at the level that
agrees with the adjusted verdicts (:func:`~cxresearch.stats.multiplicity.adjusted_confidence`),
so a letter is shown exactly when its pair's interval excludes 0.

References
----------
Displayr (2024). How to read tables and interpret statistical tests: column comparisons
(upper case at 0.001, lower case at 0.05). Benjamini & Hochberg (1995).
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from cxresearch.errors import DataError
from cxresearch.stats.design import Design, make_design
from cxresearch.stats.intervals import check_confidence
from cxresearch.stats.metrics import clean_scores, frame_weights
from cxresearch.stats.multiplicity import adjust_pvalues, adjusted_confidence, check_adjust
from cxresearch.stats.registry import REGISTRY, Metric, ShareMetric, Summary, get_metric

__all__ = ["Banner", "banner", "column_letters"]

TOTAL = "total"
_CELL_COLUMNS = [
    "row",
    "metric",
    "answer",
    "span",
    "column",
    "letter",
    "value",
    "ci_low",
    "ci_high",
    "n",
    "weighted_n",
    "n_effective",
    "status",
    "higher_than",
]
_PAIR_COLUMNS = [
    "row",
    "span",
    "column_a",
    "column_b",
    "letter_a",
    "letter_b",
    "estimate_a",
    "estimate_b",
    "difference",
    "ci_low",
    "ci_high",
    "statistic",
    "pvalue",
    "pvalue_adjusted",
    "significant",
    "strict",
    "test",
    "confidence",
]


@dataclass(frozen=True)
class Banner:
    """A banner table's numbers (formatting lives in :mod:`cxresearch.present.banner`).

    Attributes
    ----------
    cells
        One row per table row × column: ``row`` (key), ``metric``, ``answer`` (for answer
        rows), ``span`` (segment variable; ``""`` for the total), ``column`` (level),
        ``letter``, ``value``, ``ci_low``, ``ci_high``, ``n``, ``weighted_n``,
        ``n_effective``, ``status`` (``ok``, ``caution``, ``suppressed``, ``empty``) and
        ``higher_than`` (letters of the columns this cell is significantly above).
    pairs
        Every tested pair of columns within a span, per row, with the difference, its
        interval, statistic, p-value, adjusted p-value and verdicts.
    bases
        One row per column: ``span``, ``column``, ``letter``, ``n`` (unweighted),
        ``weighted_n``, ``n_effective`` (Kish) and ``status``.
    rows
        Row keys in display order (metric names, then ``column=answer`` rows).
    """

    cells: pd.DataFrame
    pairs: pd.DataFrame
    bases: pd.DataFrame
    rows: tuple[str, ...]
    spans: tuple[str, ...]
    confidence: float
    strict: float
    adjust: str
    caution_below: float
    suppress_below: float
    weighted: bool
    design: str
    interval_level: float


def column_letters(count: int) -> list[str]:
    """A, B, ..., Z, AA, AB, ... for ``count`` columns."""
    out = []
    for i in range(count):
        label, k = "", i
        while True:
            label = string.ascii_uppercase[k % 26] + label
            k = k // 26 - 1
            if k < 0:
                break
        out.append(label)
    return out


def _levels(series: pd.Series, order: Sequence[Any] | None) -> list[Any]:
    present = series.dropna()
    if isinstance(series.dtype, pd.CategoricalDtype):
        return [c for c in series.cat.categories if (present == c).any()]
    found = list(pd.unique(present))
    if order:
        rank = {v: i for i, v in enumerate(order)}
        return sorted(found, key=lambda v: (rank.get(v, len(rank)), str(v)))
    return sorted(found, key=str)


def _status(n: float, n_effective: float, caution: float, suppress: float) -> str:
    if not n > 0:
        return "empty"
    if n_effective < suppress:
        return "suppressed"
    return "caution" if n_effective < caution else "ok"


def _answer_metric(column: str, value: float) -> ShareMetric:
    scale = next((m.scale for m in REGISTRY.values() if m.column == column and m.scale), None)
    label = f"{column}={value:g}"
    return ShareMetric(label, column=column, scale=scale, integer=False, top=(value,))


def banner(
    frame: pd.DataFrame,
    *,
    columns: Sequence[str],
    metrics: Sequence[str | Metric] = ("nps", "csat", "ces"),
    answers: Sequence[str] = (),
    weights: str | pd.Series | None = None,
    confidence: float = 0.95,
    strict: float = 0.001,
    adjust: str = "bh",
    caution_below: float = 100,
    suppress_below: float = 30,
    orders: dict[str, Sequence[Any]] | None = None,
) -> Banner:
    """Metrics and answer categories by the levels of ``columns``, with significance letters.

    Parameters
    ----------
    frame : DataFrame
        Responses (e.g. one wave), one row each.
    columns : sequence of str
        Segment variables; each becomes a span of columns (its levels).
    metrics : sequence
        Registered metrics shown as rows (``"nps"``, ``"csat"``, ``"ces"``, ...).
    answers : sequence of str
        Columns whose answer categories become rows (the share giving each answer).
    weights : str or Series, optional
        A weight column or a (raked) weights Series indexed like ``frame``.
    confidence : float
        1 − α of the lower-case letters (and the level of the cells' intervals).
    strict : float
        Adjusted p-value under which letters are upper case (Displayr: 0.001).
    adjust : {"bh", "holm", "bonferroni", "none"}
        Adjustment over every pair tested in the table.
    caution_below, suppress_below : float
        Effective bases under which a column is flagged, or hidden and not tested.
    orders : dict, optional
        Level order per column (e.g. the funnel order of ``customer_type``).

    Returns
    -------
    Banner

    Examples
    --------
    >>> df = pd.DataFrame({"g": ["a"] * 40 + ["b"] * 40, "nps": [10] * 30 + [3] * 50})
    >>> b = banner(df, columns=["g"], metrics=["nps"], caution_below=10, suppress_below=5)
    >>> b.cells.set_index("column").loc["a", "higher_than"]
    'B'
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    confidence = check_confidence(confidence)
    adjust = check_adjust(adjust)
    if not 0 < strict < (1 - confidence) * (1 - 1e-9):
        raise ValueError(f"strict must lie between 0 and {1 - confidence:g}, got {strict!r}")
    if not 0 <= suppress_below <= caution_below:
        raise ValueError(
            f"suppress_below ({suppress_below!r}) must be between 0 and caution_below "
            f"({caution_below!r})"
        )
    spans = list(dict.fromkeys(columns))
    if not spans:
        raise ValueError("columns must name at least one segment variable")
    missing = [c for c in [*spans, *answers] if c not in frame.columns]
    if missing:
        raise DataError(f"banner: column(s) {missing} not in the data {list(frame.columns)}")
    given = frame_weights(frame, weights)
    specs: list[tuple[str, Metric, str | None]] = []
    for metric in metrics:
        spec = get_metric(metric)
        if spec.column is None or spec.column not in frame.columns:
            raise DataError(f"banner: metric {spec.name!r} needs column {spec.column!r}")
        specs.append((spec.name, spec, None))
    for column in answers:
        values = clean_scores(frame[column], name=f"banner: column {column!r}")
        for value in np.unique(values[~np.isnan(values)]):
            spec = _answer_metric(column, float(value))
            specs.append((spec.name, spec, f"{value:g}"))

    layout: list[tuple[str, Any, str | None]] = [(TOTAL, TOTAL, None)]
    for span in spans:
        layout += [(span, level, span) for level in _levels(frame[span], (orders or {}).get(span))]
    letters = dict(
        zip([(s, c) for s, c, _ in layout[1:]], column_letters(len(layout) - 1), strict=True)
    )
    bases = _bases(frame, given, layout, letters, caution_below, suppress_below)

    # Each span's level codes and each score column's answers once for the whole table
    # (not once per row of the table), and each (column, span) design once.
    span_levels: dict[str, list[Any]] = {}
    span_codes: dict[str, np.ndarray] = {}
    for span in [TOTAL, *spans]:
        levels = [c for s, c, _ in layout if s == span]
        span_levels[span] = levels
        span_codes[span] = (
            np.zeros(len(frame), "int64")
            if span == TOTAL
            else frame[span]
            .map({v: i for i, v in enumerate(levels)})
            .fillna(-1)
            .to_numpy()
            .astype("int64")
        )
    answers_of: dict[tuple[str, Any], np.ndarray] = {}
    designs: dict[tuple[str, Any, str], tuple[np.ndarray, Design]] = {}

    cells: list[dict[str, Any]] = []
    pair_table: list[tuple[str, str, Metric, Summary, list[tuple[Any, str]], list[int]]] = []
    design_kind = "unweighted"
    for row, spec, answer in specs:
        assert spec.column is not None
        if (spec.column, spec.scale) not in answers_of:
            answers_of[spec.column, spec.scale] = clean_scores(
                frame[spec.column], name=f"banner: column {spec.column!r}", scale=spec.scale
            )
        x = answers_of[spec.column, spec.scale]
        for span in [TOTAL, *spans]:
            levels = span_levels[span]
            codes_all = span_codes[span]
            key = (spec.column, spec.scale, span)
            if key not in designs:
                valid = ~np.isnan(x) & (codes_all >= 0)
                designs[key] = (valid, _design(given, valid, frame))
            valid, design = designs[key]
            design_kind = design.kind
            s = spec.summarize(x[valid], design, codes_all[valid], len(levels))
            low, high = spec.interval(s, confidence=confidence)
            usable = []
            for g, label in enumerate(levels):
                status = _status(
                    float(s.n[g]), float(s.n_effective[g]), caution_below, suppress_below
                )
                cells.append(
                    {
                        "row": row,
                        "metric": spec.name,
                        "answer": answer,
                        "span": "" if span == TOTAL else span,
                        "column": label,
                        "letter": letters.get((span, label), ""),
                        "value": float(s.value[g]) if s.n[g] > 0 else np.nan,
                        "ci_low": float(low[g]),
                        "ci_high": float(high[g]),
                        "n": int(s.n[g]),
                        "weighted_n": float(s.weighted_n[g]),
                        "n_effective": float(s.n_effective[g]),
                        "status": status,
                        "higher_than": "",
                    }
                )
                if status in ("ok", "caution"):
                    usable.append(g)
            if span != TOTAL:
                pair_table.append(
                    (row, span, spec, s, [(lv, letters[(span, lv)]) for lv in levels], usable)
                )

    def pairs_at(level: float) -> list[dict[str, Any]]:
        out = []
        for row, span, spec, s, named, usable in pair_table:
            for i, j in combinations(usable, 2):
                res = spec.difference(s.item(i), s.item(j), confidence=level)
                out.append(
                    {
                        "row": row,
                        "span": span,
                        "column_a": named[i][0],
                        "column_b": named[j][0],
                        "letter_a": named[i][1],
                        "letter_b": named[j][1],
                        "estimate_a": float(s.value[i]),
                        "estimate_b": float(s.value[j]),
                        "difference": res.difference,
                        "ci_low": res.ci_low,
                        "ci_high": res.ci_high,
                        "statistic": res.statistic,
                        "pvalue": res.pvalue,
                        "test": res.test,
                    }
                )
        return out

    rows = pairs_at(confidence)
    level = adjusted_confidence([r["pvalue"] for r in rows], adjust, confidence)
    if level != confidence:
        rows = pairs_at(level)
    pairs = pd.DataFrame(
        rows,
        columns=[
            c
            for c in _PAIR_COLUMNS
            if c not in ("pvalue_adjusted", "significant", "strict", "confidence")
        ],
    )
    pairs["pvalue_adjusted"] = adjust_pvalues(pairs["pvalue"].to_numpy(dtype="float64"), adjust)
    pairs["significant"] = pairs["pvalue_adjusted"] < 1.0 - confidence
    pairs["strict"] = pairs["pvalue_adjusted"] < strict
    pairs["confidence"] = level
    pairs = pairs[_PAIR_COLUMNS]
    table = pd.DataFrame(cells, columns=_CELL_COLUMNS)
    _letters(table, pairs)
    return Banner(
        table,
        pairs,
        bases,
        tuple(dict.fromkeys(name for name, _, _ in specs)),
        tuple(spans),
        confidence,
        float(strict),
        adjust,
        float(caution_below),
        float(suppress_below),
        given is not None,
        design_kind,
        level,
    )


def _design(given: Any, valid: np.ndarray, frame: pd.DataFrame) -> Design:
    if given is None:
        return Design(np.ones(int(valid.sum())))
    try:
        return make_design(given, length=len(frame), valid=valid, index=frame.index)
    except ValueError as err:
        raise DataError(f"banner: {err}") from None


def _bases(
    frame: pd.DataFrame,
    given: Any,
    layout: list[tuple[str, Any, str | None]],
    letters: dict[tuple[str, Any], str],
    caution: float,
    suppress: float,
) -> pd.DataFrame:
    w = np.ones(len(frame)) if given is None else np.asarray(given, dtype="float64")
    out = []
    for span, level, _ in layout:
        mask = (
            np.ones(len(frame), bool)
            if span == TOTAL
            else (frame[span] == level).to_numpy(bool, na_value=False)
        )
        sw = float(w[mask].sum())
        n_eff = sw**2 / float((w[mask] ** 2).sum()) if sw > 0 else 0.0
        out.append(
            {
                "span": "" if span == TOTAL else span,
                "column": level,
                "letter": letters.get((span, level), ""),
                "n": int(mask.sum()),
                "weighted_n": sw,
                "n_effective": n_eff,
                "status": _status(float(mask.sum()), n_eff, caution, suppress),
            }
        )
    return pd.DataFrame(out)


def _letters(cells: pd.DataFrame, pairs: pd.DataFrame) -> None:
    """Fill ``higher_than``: the letters of the columns each cell is significantly above."""
    found: dict[tuple[str, str, Any], list[str]] = {}
    for pair in pairs[pairs["significant"]].to_dict("records"):
        # The interval (at the adjusted level) excludes 0 exactly for significant pairs; its
        # side says which column is higher.
        higher, lower = ("a", "b") if pair["ci_low"] > 0 else ("b", "a")
        letter = pair[f"letter_{lower}"]
        key = (pair["row"], pair["span"], pair[f"column_{higher}"])
        found.setdefault(key, []).append(letter if pair["strict"] else letter.lower())
    if not found:
        return
    keys = list(zip(cells["row"], cells["span"], cells["column"], strict=True))
    order = {letter: i for i, letter in enumerate(column_letters(702))}
    cells["higher_than"] = [
        "".join(sorted(found.get(k, []), key=lambda s: order[s.upper()])) for k in keys
    ]
