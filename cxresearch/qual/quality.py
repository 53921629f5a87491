"""How good a coding is: against a reference (precision, recall, F1) and between coders.

:func:`evaluate_codes` compares a coding with a reference coding of the same comments
(a gold standard, adjudicated human codes or the demo's true themes) code by code;
:func:`evaluate_sentiment` compares the sentiment of the code mentions both found;
:func:`agreement_by_code` measures agreement among any number of coders (people or the
auto-coder) per code with Krippendorff's alpha (and Cohen's kappa for two coders).

Precision and recall are proportions of their own bases (predicted and reference
mentions), so each carries a Wilson interval; F1 is their harmonic mean.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from cxresearch.stats.intervals import proportion_interval
from cxresearch.stats.reliability import cohen_kappa, krippendorff_alpha

__all__ = ["agreement_by_code", "evaluate_codes", "evaluate_sentiment"]


def _f1(precision: float, recall: float) -> float:
    total = precision + recall
    return float("nan") if not np.isfinite(total) or total == 0 else 2 * precision * recall / total


def _scores(tp: int, fp: int, fn: int, confidence: float) -> dict[str, float]:
    out: dict[str, float] = {"tp": tp, "fp": fp, "fn": fn, "support": tp + fn}
    for name, hit, base in (("precision", tp, tp + fp), ("recall", tp, tp + fn)):
        share = hit / base if base else float("nan")
        low, high = proportion_interval(share, base, confidence=confidence, method="wilson")
        out[name] = share
        # proportion_interval works in percentages; precision and recall are shares
        out[f"{name}_ci_low"], out[f"{name}_ci_high"] = float(low) / 100, float(high) / 100
    out["f1"] = _f1(out["precision"], out["recall"])
    return out


def evaluate_codes(
    predicted: pd.DataFrame,
    reference: pd.DataFrame,
    *,
    codes: Sequence[str] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Precision, recall and F1 per code against a reference coding.

    Parameters
    ----------
    predicted, reference : DataFrame of bool
        Comments × codes; only comments in both are compared (``n`` says how many).
    codes : sequence of str, optional
        Codes to evaluate (default: the reference's columns that are also predicted).
    confidence : float, optional
        Level of the Wilson intervals of precision and recall.

    Returns
    -------
    DataFrame
        One row per code plus ``macro`` (unweighted mean of the codes' precision, recall
        and F1) and ``micro`` (pooled counts): ``tp``, ``fp``, ``fn``, ``support``,
        ``precision``, ``recall``, ``f1`` with ``*_ci_low``/``*_ci_high`` and ``n``.

    Examples
    --------
    >>> p = pd.DataFrame({"a": [True, True, False, False]})
    >>> r = pd.DataFrame({"a": [True, False, False, True]})
    >>> evaluate_codes(p, r).loc["a", ["precision", "recall"]].tolist()
    [0.5, 0.5]
    """
    common = predicted.index.intersection(reference.index)
    if common.empty:
        raise ValueError("predicted and reference share no comments (compare their indexes)")
    names = list(codes) if codes is not None else [c for c in reference if c in predicted]
    missing = [c for c in names if c not in predicted or c not in reference]
    if missing:
        raise ValueError(f"codes {missing} are not in both codings")
    p = predicted.loc[common, names].to_numpy(bool)
    r = reference.loc[common, names].to_numpy(bool)
    rows = {}
    for j, code in enumerate(names):
        tp = int((p[:, j] & r[:, j]).sum())
        rows[code] = _scores(
            tp, int((p[:, j] & ~r[:, j]).sum()), int((~p[:, j] & r[:, j]).sum()), confidence
        )
    table = pd.DataFrame.from_dict(rows, orient="index")
    macro = {k: float("nan") for k in table.columns}
    macro.update({k: float(table[k].mean()) for k in ("precision", "recall", "f1")})
    macro["support"] = float(table["support"].sum())
    micro = _scores(
        int(table["tp"].sum()), int(table["fp"].sum()), int(table["fn"].sum()), confidence
    )
    table.loc["macro"] = pd.Series(macro)
    table.loc["micro"] = pd.Series(micro)
    table["n"] = len(common)
    return table


def evaluate_sentiment(
    predicted: pd.DataFrame,
    reference: pd.DataFrame,
    *,
    codes: Sequence[str] | None = None,
    classes: Sequence[str] = ("positive", "negative"),
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Sentiment of code mentions against a reference, for mentions both codings found.

    Parameters
    ----------
    predicted, reference : DataFrame
        Long frames with ``id``, ``code``, ``sentiment`` (``Coding.aspects`` and the
        reference's aspects).
    codes : sequence of str, optional
        Restrict to these codes (e.g. the reference's themes).
    classes : sequence of str
        The reference's classes; a predicted ``neutral`` or ``mixed`` counts as a miss.

    Returns
    -------
    DataFrame
        One row per class plus ``macro``: precision, recall, F1 with intervals; ``n`` is
        the number of mentions compared, ``accuracy`` the share labelled right.
    """
    keys = ["id", "code"]
    ref = reference.assign(id=reference["id"].astype(str))
    pred = predicted.assign(id=predicted["id"].astype(str))
    if codes is not None:
        ref = ref[ref["code"].isin(list(codes))]
    both = ref.merge(pred, on=keys, suffixes=("_reference", "_predicted"))
    truth = both["sentiment_reference"].to_numpy()
    guess = both["sentiment_predicted"].to_numpy()
    rows = {}
    for label in classes:
        tp = int(((guess == label) & (truth == label)).sum())
        fp = int(((guess == label) & (truth != label)).sum())
        fn = int(((guess != label) & (truth == label)).sum())
        rows[label] = _scores(tp, fp, fn, confidence)
    table = pd.DataFrame.from_dict(rows, orient="index")
    macro = {k: float("nan") for k in table.columns}
    macro.update({k: float(table[k].mean()) for k in ("precision", "recall", "f1")})
    table.loc["macro"] = pd.Series(macro)
    table["n"] = len(both)
    table["accuracy"] = float((truth == guess).mean()) if len(both) else float("nan")
    return table


def agreement_by_code(
    codings: Mapping[str, pd.DataFrame],
    *,
    codes: Sequence[str] | None = None,
    confidence: float = 0.95,
    bootstrap: int = 1000,
    seed: int = 20261123,
) -> pd.DataFrame:
    """Agreement among coders per code (multi-label coding as one yes/no per code).

    Parameters
    ----------
    codings : mapping
        Coder name -> boolean frame (comments × codes); comments a coder did not code are
        simply absent from that coder's frame (missing values for alpha).
    codes : sequence of str, optional
        Codes to compare (default: columns common to all codings).
    confidence, bootstrap, seed
        For the bootstrap intervals of alpha and kappa.

    Returns
    -------
    DataFrame
        One row per code: ``alpha`` (nominal Krippendorff's alpha) with its interval,
        ``kappa`` (Cohen's, two coders only) with its interval, ``agreement`` (share of
        comments on which all coders who coded them agree), ``prevalence`` (share of yes
        marks) and ``units`` (comments coded by two coders or more).
    """
    names = list(codings)
    if len(names) < 2:
        raise ValueError(f"agreement needs two coders or more, got {names}")
    columns = (
        list(codes)
        if codes is not None
        else [
            c for c in next(iter(codings.values())).columns if all(c in f for f in codings.values())
        ]
    )
    ids = sorted(set().union(*(f.index.astype(str) for f in codings.values())))
    rows = []
    for code in columns:
        data = np.full((len(names), len(ids)), np.nan)
        for k, name in enumerate(names):
            frame = codings[name]
            values = pd.Series(frame[code].to_numpy(float), index=frame.index.astype(str))
            data[k] = values.reindex(ids).to_numpy()
        alpha = krippendorff_alpha(data, confidence=confidence, bootstrap=bootstrap, seed=seed)
        pairable = (~np.isnan(data)).sum(axis=0) >= 2
        coded = data[:, pairable]
        same = np.array([len(set(col[~np.isnan(col)])) == 1 for col in coded.T])
        row = {
            "code": code,
            "alpha": alpha.value,
            "alpha_ci_low": alpha.ci_low,
            "alpha_ci_high": alpha.ci_high,
            "kappa": float("nan"),
            "kappa_ci_low": float("nan"),
            "kappa_ci_high": float("nan"),
            "agreement": float(same.mean()) if same.size else float("nan"),
            "prevalence": float(np.nanmean(coded)) if coded.size else float("nan"),
            "units": int(pairable.sum()),
        }
        if len(names) == 2:
            kappa = cohen_kappa(
                data[0], data[1], confidence=confidence, bootstrap=bootstrap, seed=seed
            )
            row.update(kappa=kappa.value, kappa_ci_low=kappa.ci_low, kappa_ci_high=kappa.ci_high)
        rows.append(row)
    return pd.DataFrame(rows).set_index("code")
