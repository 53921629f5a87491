"""Theme prevalence and impact on NPS: what the coded comments mean for the scores.

- :func:`theme_prevalence`: share of commenters mentioning each theme, overall or by
  segment, customer type or touchpoint, with Wilson intervals (Kish's effective n when
  weighted), and each group's base.
- :func:`theme_impact`: per theme, the NPS of commenters who mention it against
  commenters who do not (difference, interval, z test with Rocks' variance, from
  :func:`cxresearch.stats.inference.compare_nps`, p-values adjusted over the themes,
  Benjamini-Hochberg by default, with intervals at the matching level), the share of
  detractors among mentioners, and the theme's effect on the overall NPS: the NPS of
  all respondents minus the NPS of the respondents without the theme's comments, with a
  percentile bootstrap interval over respondents.

Everything comes from the package's estimators (:func:`cxresearch.nps`,
:func:`~cxresearch.stats.metrics.top_box` for shares, design-based when weighted,
:func:`~cxresearch.stats.inference.compare_nps`); nothing here rounds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cxresearch.results import Estimate
from cxresearch.stats.inference import compare_nps
from cxresearch.stats.intervals import check_confidence
from cxresearch.stats.metrics import nps, top_box
from cxresearch.stats.multiplicity import adjust_pvalues, adjusted_confidence

__all__ = ["theme_impact", "theme_prevalence"]


def _weights(weights: pd.Series | None, index: pd.Index) -> np.ndarray:
    if weights is None:
        return np.ones(len(index))
    missing = index.difference(weights.index)
    if len(missing):
        raise ValueError(f"weights have no value for {list(missing[:5])}")
    values = weights.loc[index].to_numpy(float)
    if not np.isfinite(values).all() or (values < 0).any():
        raise ValueError("weights must be non-negative numbers")
    return values


def _share(hit: np.ndarray, weights: np.ndarray | None, confidence: float) -> Estimate:
    """Share of True in ``hit`` with the package's share estimator (Wilson; design-based
    variance when weighted), so prevalence intervals are computed like every other share."""
    return top_box(hit.astype(float), top=(1.0,), weights=weights, confidence=confidence)


def theme_prevalence(
    codes: pd.DataFrame,
    frame: pd.DataFrame | None = None,
    *,
    by: Sequence[str] = (),
    themes: Sequence[str] | None = None,
    weights: pd.Series | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Share of commenters who mention each theme, with intervals, overall or by group.

    Parameters
    ----------
    codes : DataFrame of bool
        Coded comments (rows = the base: commenters whose comment could be coded).
    frame : DataFrame, optional
        Responses indexed like ``codes`` with the ``by`` columns.
    by : sequence of str, optional
        Grouping columns of ``frame``, e.g. ``["customer_type"]``.
    themes : sequence of str, optional
        Columns of ``codes`` to report (default all).
    weights : Series, optional
        Respondent weights indexed like ``codes`` (a superset is fine); shares are
        weighted with the package's design-based variance (weights-only design).
    confidence : float, optional

    Returns
    -------
    DataFrame
        Tidy: ``by`` columns, ``code``, ``mentions``, ``n`` (commenters in the group),
        ``n_effective``, ``share``, ``ci_low``, ``ci_high`` (shares 0-1).

    Examples
    --------
    >>> codes = pd.DataFrame({"price": [True, False, True, False]})
    >>> theme_prevalence(codes)[["code", "mentions", "n", "share"]].to_dict("records")
    [{'code': 'price', 'mentions': 2, 'n': 4, 'share': 0.5}]
    """
    confidence = check_confidence(confidence)
    names = list(themes) if themes is not None else list(codes.columns)
    by = list(by)
    if by and frame is None:
        raise ValueError("give frame for by=")
    data = codes[names].copy()
    if frame is not None and by:
        missing = [c for c in by if c not in frame]
        if missing:
            raise ValueError(f"by columns {missing} are not in the frame")
        data = data.join(frame.loc[codes.index, by])
    data["_w"] = _weights(weights, codes.index)
    groups = data.groupby(by, dropna=False, sort=True) if by else [((), data)]
    rows = []
    for key, group in groups:
        key = key if isinstance(key, tuple) else (key,)
        w = group["_w"].to_numpy(float) if weights is not None else None
        for code in names:
            hit = group[code].to_numpy(bool)
            share = _share(hit, w, confidence)
            rows.append(
                {
                    **dict(zip(by, key, strict=True)),
                    "code": code,
                    "mentions": int(hit.sum()),
                    "n": len(group),
                    "n_effective": share.n_effective,
                    "share": share.value / 100,
                    "ci_low": share.ci_low / 100,
                    "ci_high": share.ci_high / 100,
                }
            )
    return pd.DataFrame(rows)


def _nps_value(promoter: np.ndarray, detractor: np.ndarray, w: np.ndarray) -> np.ndarray:
    """NPS (points) of bootstrap replicates: w is replicates × respondents."""
    total = w.sum(axis=-1)
    return 100.0 * (w @ promoter - w @ detractor) / total


def _bootstrap_effects(
    promoter: np.ndarray,
    detractor: np.ndarray,
    w: np.ndarray,
    masks: dict[str, np.ndarray],
    bootstrap: int,
    seed: int,
    chunk: int = 100,
) -> dict[str, np.ndarray]:
    """Bootstrap replicates of NPS(all) - NPS(without the theme), respondents resampled.

    Replicates are drawn in chunks so that memory stays at chunk × respondents.
    """
    rng = np.random.Generator(np.random.PCG64(seed))
    n = len(promoter)
    out: dict[str, list[np.ndarray]] = {code: [] for code in masks}
    for start in range(0, bootstrap, chunk):
        size = min(chunk, bootstrap - start)
        replicate = rng.multinomial(n, np.full(n, 1 / n), size=size) * w
        overall = _nps_value(promoter, detractor, replicate)
        for code, mask in masks.items():
            keep = ~mask
            if keep.any() and mask.any():
                with np.errstate(invalid="ignore", divide="ignore"):
                    without = _nps_value(promoter[keep], detractor[keep], replicate[:, keep])
                out[code].append(overall - without)
    return {code: np.concatenate(v) if v else np.array([]) for code, v in out.items()}


def theme_impact(
    scores: pd.Series,
    codes: pd.DataFrame,
    *,
    themes: Sequence[str] | None = None,
    weights: pd.Series | None = None,
    confidence: float = 0.95,
    bootstrap: int = 1000,
    seed: int = 20261123,
    adjust: str = "bh",
) -> pd.DataFrame:
    """How each theme relates to NPS.

    Parameters
    ----------
    scores : Series
        NPS answers (0-10) of every respondent of the run, indexed by response id
        (respondents without a comment included: they are part of the overall NPS).
    codes : DataFrame of bool
        Coded comments, indexed by response id (a subset of ``scores``' index).
    themes : sequence of str, optional
        Columns of ``codes`` to report (default all).
    weights : Series, optional
        Respondent weights, indexed like ``scores``.
    confidence : float, optional
    bootstrap : int, optional
        Resamples of respondents for the interval of the effect on overall NPS.
    seed : int, optional
    adjust : {"bh", "holm", "bonferroni", "none"}, optional
        Multiplicity adjustment over the themes (the params' ``report.multiplicity``).
        The difference and effect intervals are printed at
        :func:`~cxresearch.stats.multiplicity.adjusted_confidence` (``interval_confidence``)
        so that each interval excludes 0 exactly when the adjusted p-value is below
        ``1 - confidence``.

    Returns
    -------
    DataFrame
        One row per theme: ``mentions``, ``nps_mentioners``, ``nps_others`` (commenters
        who do not mention it), ``difference`` with ``ci_low``/``ci_high``, ``pvalue``,
        ``pvalue_adjusted``, ``adjust``, ``interval_confidence``, ``test``;
        ``detractor_share`` of mentioners with its interval;
        ``effect_on_nps`` (overall NPS minus NPS without the mentioners) with
        ``effect_ci_low``/``effect_ci_high``; ``prevalence`` among commenters.
    """
    confidence = check_confidence(confidence)
    names = list(themes) if themes is not None else list(codes.columns)
    outside = codes.index.difference(scores.index)
    if len(outside):
        raise ValueError(f"coded comments {list(outside[:5])} have no score in scores")
    valid = scores.dropna()
    w_all = np.ones(len(valid)) if weights is None else weights.reindex(valid.index).to_numpy(float)
    values = valid.to_numpy(float)
    promoter = (values >= 9).astype(float)
    detractor = (values <= 6).astype(float)
    commenters = codes.index.intersection(valid.index)
    overall = _nps_value(promoter, detractor, w_all[None, :])[0]
    masks = {
        code: valid.index.isin(commenters[codes.loc[commenters, code].to_numpy(bool)])
        for code in names
    }
    effects = _bootstrap_effects(promoter, detractor, w_all, masks, bootstrap, seed)
    tail = (1 - confidence) / 2
    groups: dict[str, tuple[Any, Any, Any, Any]] = {}
    rows = []
    for code in names:
        mentioned = codes.loc[commenters, code].to_numpy(bool)
        ids_m = commenters[mentioned]
        ids_o = commenters[~mentioned]
        row: dict[str, Any] = {
            "code": code,
            "mentions": int(mentioned.sum()),
            "commenters": len(commenters),
            "prevalence": float(mentioned.mean()) if len(commenters) else np.nan,
        }
        wm = None if weights is None else weights.loc[ids_m]
        wo = None if weights is None else weights.loc[ids_o]
        if len(ids_m) >= 2 and len(ids_o) >= 2:
            groups[code] = (valid.loc[ids_m], valid.loc[ids_o], wm, wo)
            comparison = compare_nps(
                valid.loc[ids_m],
                valid.loc[ids_o],
                weights_a=wm,
                weights_b=wo,
                confidence=confidence,
            )
            row.update(
                nps_mentioners=nps(valid.loc[ids_m], weights=wm).value,
                nps_others=nps(valid.loc[ids_o], weights=wo).value,
                difference=comparison.difference,
                ci_low=comparison.ci_low,
                ci_high=comparison.ci_high,
                pvalue=comparison.pvalue,
                test=comparison.test,
            )
        else:
            row.update(
                nps_mentioners=np.nan,
                nps_others=np.nan,
                difference=np.nan,
                ci_low=np.nan,
                ci_high=np.nan,
                pvalue=np.nan,
                test="too few answers",
            )
        in_theme = masks[code]
        if in_theme.any():
            share = _share(
                detractor[in_theme].astype(bool),
                None if weights is None else w_all[in_theme],
                confidence,
            )
            row.update(
                detractor_share=share.value / 100,
                detractor_ci_low=share.ci_low / 100,
                detractor_ci_high=share.ci_high / 100,
            )
        else:
            row.update(detractor_share=np.nan, detractor_ci_low=np.nan, detractor_ci_high=np.nan)
        keep = ~in_theme
        if keep.any() and in_theme.any():
            without = _nps_value(promoter[keep], detractor[keep], w_all[None, keep])[0]
            row["effect_on_nps"] = overall - without
            if bootstrap:
                low_e, high_e = np.nanquantile(effects[code], [tail, 1 - tail])
                row.update(effect_ci_low=float(low_e), effect_ci_high=float(high_e))
        row.setdefault("effect_on_nps", np.nan)
        row.setdefault("effect_ci_low", np.nan)
        row.setdefault("effect_ci_high", np.nan)
        rows.append(row)
    table = pd.DataFrame(rows).set_index("code")
    # Many themes are tested at once: adjust the p-values and print every interval at the
    # level whose intervals agree with the adjusted verdicts (cxresearch.stats.multiplicity).
    tested = table["pvalue"].notna().to_numpy()
    pvalues = table["pvalue"].to_numpy(float)[tested]
    table["pvalue_adjusted"] = np.nan
    table.loc[tested, "pvalue_adjusted"] = adjust_pvalues(pvalues, adjust)
    level = adjusted_confidence(pvalues, adjust, confidence) if tested.any() else confidence
    table["adjust"] = adjust
    table["interval_confidence"] = level
    if level != confidence:
        for code, (a, b, wa, wb) in groups.items():
            again = compare_nps(a, b, weights_a=wa, weights_b=wb, confidence=level)
            table.loc[code, ["ci_low", "ci_high"]] = [again.ci_low, again.ci_high]
        for code, boot in effects.items():
            if boot.size and np.isfinite(
                table["effect_on_nps"].to_numpy(float)[table.index.get_loc(code)]
            ):
                low_e, high_e = np.nanquantile(boot, [(1 - level) / 2, (1 + level) / 2])
                table.loc[code, ["effect_ci_low", "effect_ci_high"]] = [low_e, high_e]
    table["overall_nps"] = overall
    table["respondents"] = len(valid)
    return table
