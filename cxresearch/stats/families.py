"""Families of comparisons with verdicts that hold up to multiple testing.

A report's findings rest on several tests at once: the change of every headline metric
since the last wave, every group against the rest of the respondents. Read one by one at
5 %, some would look significant by chance alone, so each family is adjusted
(:mod:`cxresearch.stats.multiplicity`) and every comparison is computed again at the
interval level that matches the adjusted verdicts (:func:`adjusted_confidence`): the
interval printed beside a verdict excludes zero exactly when the verdict says
"significant".

:func:`adjusted_family` is the headline case. One comparison may be **primary**: the
metric the study is about, named before the data are seen (NPS in the reports), is
tested on its own at the nominal level, as a primary endpoint is; the **secondary** ones
(CSAT, CES) are adjusted among themselves. :func:`compare_each_to_rest` is the group case:
each group of one or more columns against all other respondents of the same rows, the
whole set adjusted as one family.

References
----------
Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate. *JRSS B* 57,
289–300. Benjamini, Y. & Yekutieli, D. (2005). False discovery rate-adjusted multiple
confidence intervals for selected parameters. *JASA* 100, 71–81. European Medicines
Agency (2017). *Guideline on multiplicity issues in clinical trials*
(EMA/CHMP/44762/2017), section 5: a single primary endpoint needs no adjustment;
secondary endpoints are adjusted among themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields
from typing import Any

import numpy as np
import pandas as pd

from cxresearch.errors import DataError
from cxresearch.results import Comparison
from cxresearch.stats.intervals import check_confidence
from cxresearch.stats.multiplicity import adjust_pvalues, adjusted_confidence, check_adjust

__all__ = ["FAMILY_COLUMNS", "adjusted_family", "compare_each_to_rest"]

_FIELDS = [f.name for f in fields(Comparison)]
#: Columns of :func:`adjusted_family` after ``key`` and ``role``.
FAMILY_COLUMNS = [*_FIELDS, "pvalue_adjusted", "adjust", "interval_level", "significant"]


def _record(key: str, role: str, cmp: Comparison | None) -> dict[str, Any]:
    record: dict[str, Any] = {"key": key, "role": role}
    if cmp is None:
        record.update(dict.fromkeys(_FIELDS, np.nan))
        record.update(metric=key, test="", effect_size_name="", alternative="", design="")
    else:
        record.update({name: getattr(cmp, name) for name in _FIELDS})
    return record


def adjusted_family(
    compute: Callable[[float], Mapping[str, Comparison | None]],
    *,
    primary: str | None = None,
    adjust: str = "bh",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Comparisons of one family with their adjusted p-values and matching intervals.

    Parameters
    ----------
    compute
        ``level -> {key: Comparison or None}``: computes every comparison of the family
        at a two-sided confidence level (called once at ``confidence`` and once more at
        the adjusted level when that differs). None marks a comparison that cannot be
        made (no earlier wave, no answers); it keeps its row with NaN statistics.
    primary
        The key tested on its own at ``confidence`` (not adjusted); None adjusts every
        comparison together.
    adjust
        ``"bh"``, ``"holm"``, ``"bonferroni"`` or ``"none"``, for the secondary ones.
    confidence
        Nominal level; a verdict is significant when the adjusted p-value is below
        ``1 − confidence``.

    Returns
    -------
    DataFrame
        One row per key in ``compute``'s order: ``key``, ``role`` (``"primary"`` or
        ``"secondary"``), every :class:`~cxresearch.results.Comparison` field (the
        interval at ``interval_level``), ``pvalue_adjusted``, ``adjust`` (``"none"`` for
        the primary), ``interval_level`` and ``significant``.

    Examples
    --------
    >>> from cxresearch.stats.inference import compare_samples
    >>> a, b = [10, 9, 9, 7] * 25, [10, 6, 3, 7] * 25
    >>> family = adjusted_family(
    ...     lambda level: {
    ...         "nps": compare_samples(a, b, metric="nps", confidence=level),
    ...         "csat": None,
    ...     },
    ...     primary="nps",
    ... )
    >>> family[["key", "role", "significant"]].to_dict("records")[0]
    {'key': 'nps', 'role': 'primary', 'significant': True}
    """
    confidence = check_confidence(confidence)
    adjust = check_adjust(adjust)
    first = dict(compute(confidence))
    if primary is not None and primary not in first:
        raise ValueError(f"primary {primary!r} is not one of the keys {list(first)}")
    secondary = [k for k in first if k != primary]
    raw = np.array(
        [np.nan if first[k] is None else first[k].pvalue for k in secondary],  # type: ignore[union-attr]
        dtype="float64",
    )
    level = adjusted_confidence(raw, adjust, confidence) if np.isfinite(raw).any() else confidence
    again = dict(compute(level)) if secondary and level != confidence else first
    adjusted = dict(zip(secondary, adjust_pvalues(raw, adjust), strict=True))
    rows = []
    for key in first:
        is_primary = key == primary
        cmp = first[key] if is_primary else again.get(key)
        record = _record(key, "primary" if is_primary else "secondary", cmp)
        p_adj = record["pvalue"] if is_primary else adjusted[key]
        record.update(
            pvalue_adjusted=p_adj,
            adjust="none" if is_primary else adjust,
            interval_level=confidence if is_primary else level,
            significant=bool(np.isfinite(p_adj) and p_adj < 1.0 - confidence),
        )
        rows.append(record)
    return pd.DataFrame(rows, columns=["key", "role", *FAMILY_COLUMNS])


def compare_each_to_rest(
    frame: pd.DataFrame,
    metric: str,
    *,
    by: str | Sequence[str],
    weights: pd.Series | str | None = None,
    confidence: float = 0.95,
    adjust: str = "bh",
    min_base: float = 30,
    column: str | None = None,
) -> pd.DataFrame:
    """Each group's metric against all other rows, adjusted as one family.

    For every column in ``by`` and every group of it, the group's answers are compared
    with the answers of the rest of ``frame`` by
    :func:`~cxresearch.stats.inference.compare_samples` (``difference`` = group − rest).
    Groups (or rests) with fewer than ``min_base`` answers (effective base when weighted)
    are not tested: a finding should not rest on a handful of answers. Every test of
    every column is one family for ``adjust``, and the intervals are computed at the
    matching level.

    Parameters
    ----------
    frame
        Responses (one wave, usually).
    metric
        A registered metric (``"nps"``, ``"csat"``, ...).
    by
        Grouping column(s).
    weights
        A weights Series indexed like ``frame`` (keeps a raked calibration) or a column.
    confidence, adjust
        Nominal level and multiplicity method.
    min_base
        Smallest base tested, on both sides.
    column
        Score column; default the metric's.

    Returns
    -------
    DataFrame
        One row per group: ``column``, ``group``, ``n_a`` (the group's answers), ``n_b``
        (the rest's), every Comparison field, ``pvalue_adjusted``, ``adjust``,
        ``interval_level``, ``significant`` and ``tested``. Untested groups keep their
        row with NaN statistics.

    Examples
    --------
    >>> import pandas as pd
    >>> rows = pd.DataFrame({"nps": [10, 9, 3, 2] * 20, "tp": ["a", "a", "b", "b"] * 20})
    >>> out = compare_each_to_rest(rows, "nps", by="tp")
    >>> out[["group", "difference", "significant"]].to_dict("records")[0]
    {'group': 'a', 'difference': 200.0, 'significant': True}
    """
    from cxresearch.stats.design import effective_sample_size
    from cxresearch.stats.inference import compare_summaries, summarize_sample
    from cxresearch.stats.metrics import frame_weights
    from cxresearch.stats.registry import Summary, get_metric

    spec = get_metric(metric)
    confidence = check_confidence(confidence)
    adjust = check_adjust(adjust)
    columns = [by] if isinstance(by, str) else list(by)
    score = column if column is not None else spec.column
    if score is None:
        raise ValueError(f"column is required for metric {metric!r}")
    missing = [c for c in [*columns, score] if c not in frame.columns]
    if missing:
        raise DataError(f"column(s) {missing} not in the frame {list(frame.columns)}")
    w_all = frame_weights(frame, weights)
    # Only the score and the grouping columns, and each side as row positions: a group
    # and its rest are not copies of the whole frame (a million-row report has dozens).
    answered_at = np.flatnonzero(frame[score].notna().to_numpy())
    answered = frame[list(dict.fromkeys([score, *columns]))].iloc[answered_at]
    w_answered = None if w_all is None else w_all.iloc[answered_at]
    w_values = None if w_answered is None else w_answered.to_numpy(dtype=float)

    def base(at: np.ndarray) -> float:
        if w_values is None:
            return float(at.size)
        return float(effective_sample_size(w_values[at]))

    cells = []
    for name in columns:
        values = answered[name]
        known = values.notna().to_numpy()
        for group in values.dropna().unique():
            inside = values.eq(group).to_numpy(dtype=bool, na_value=False)
            a, b = np.flatnonzero(inside), np.flatnonzero(~inside & known)
            cells.append((name, group, a, b, min(base(a), base(b)) >= min_base))
    scores = answered[score]
    summaries: dict[int, tuple[Summary, Summary]] = {}  # each cell's two sides, at any level

    def summarised(at: np.ndarray, role: str) -> Summary:
        weights_at = None if w_answered is None else w_answered.iloc[at]
        return summarize_sample(spec, scores.iloc[at], weights=weights_at, name=role)

    def sides(i: int, a: np.ndarray, b: np.ndarray) -> tuple[Summary, Summary]:
        if i not in summaries:
            summaries[i] = (summarised(a, "a"), summarised(b, "b"))
        return summaries[i]

    def table(level: float) -> list[dict[str, Any]]:
        rows = []
        for i, (name, group, a, b, tested) in enumerate(cells):
            cmp = None
            if tested:
                cmp = compare_summaries(spec, *sides(i, a, b), confidence=level)
            record = _record(spec.name, "", cmp)
            record.update(column=name, group=group, n_a=a.size, n_b=b.size, tested=tested)
            rows.append(record)
        return rows

    rows = table(confidence)
    raw = np.array([r["pvalue"] for r in rows], dtype="float64")
    level = adjusted_confidence(raw, adjust, confidence) if np.isfinite(raw).any() else confidence
    if level != confidence:
        rows = table(level)
    out = pd.DataFrame(rows)
    head = ["column", "group", "n_a", "n_b"]
    out = out.reindex(columns=[*head, *[f for f in _FIELDS if f not in ("n_a", "n_b")]])
    out["pvalue_adjusted"] = adjust_pvalues(raw, adjust)
    out["adjust"] = adjust
    out["interval_level"] = level
    out["significant"] = out["pvalue_adjusted"] < 1.0 - confidence
    out["tested"] = [r["tested"] for r in rows]
    return out
