"""Experience tied to outcomes: a logistic model of retention, and the value at stake.

- :func:`experience_groups` — NPS group (promoter/passive/detractor), CSAT level and CES
  level of each response, the groups outcome rates are compared across;
- :func:`retention_model` — logistic regression of a yes/no outcome (retention) on
  experience measures scaled to one standard deviation, with odds ratios and Wald
  intervals (R ``glm`` + ``confint.default``; with weights, the design-based sandwich of
  R ``survey::svyglm``);
- :func:`value_at_stake` — the revenue difference if detractors were retained like
  passives, with a delta-method interval (R ``survey::svycontrast``).

Pure functions: frames in, frames or result objects out; nothing is rounded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from cxresearch.errors import DataError
from cxresearch.stats.distributions import norm_sf
from cxresearch.stats.drivers.logistic import fit_logistic, null_loglik
from cxresearch.stats.intervals import check_confidence, z_critical

__all__ = [
    "CES_LEVELS",
    "CSAT_LEVELS",
    "NPS_GROUPS",
    "ValueAtStake",
    "experience_groups",
    "retention_model",
    "value_at_stake",
]

NPS_GROUPS = ("promoter", "passive", "detractor")
CSAT_LEVELS = ("satisfied", "neutral", "dissatisfied")  # 4–5, 3, 1–2
CES_LEVELS = ("easy", "neutral", "difficult")  # 5–7, 4, 1–3


def _numbers(rows: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(rows[column], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def _grouped(values: np.ndarray, cuts: Sequence[tuple[float, float]], names: Sequence[str]) -> Any:
    out = np.full(values.size, None, dtype=object)
    for (low, high), name in zip(cuts, names, strict=True):
        out[(values >= low) & (values <= high)] = name
    return pd.Categorical(out, categories=list(names), ordered=True)


def experience_groups(rows: pd.DataFrame) -> pd.DataFrame:
    """NPS group, CSAT level and CES level of each response (missing where unanswered).

    Promoters answer 9–10, passives 7–8, detractors 0–6 (Reichheld 2003); CSAT 4–5 is
    satisfied, 3 neutral, 1–2 dissatisfied; CES 2.0 5–7 is easy, 4 neutral, 1–3 difficult
    (Dixon, Freeman & Toman 2010). Ordered categoricals, best first.

    Examples
    --------
    >>> import pandas as pd
    >>> experience_groups(pd.DataFrame({"nps": [10, 7, 2]}))["nps_group"].tolist()
    ['promoter', 'passive', 'detractor']
    """
    out = pd.DataFrame(index=rows.index)
    if "nps" in rows.columns:
        cuts = [(9, 10), (7, 8), (0, 6)]
        out["nps_group"] = _grouped(_numbers(rows, "nps"), cuts, NPS_GROUPS)
    if "csat" in rows.columns:
        out["csat_level"] = _grouped(_numbers(rows, "csat"), [(4, 5), (3, 3), (1, 2)], CSAT_LEVELS)
    if "ces" in rows.columns:
        out["ces_level"] = _grouped(_numbers(rows, "ces"), [(5, 7), (4, 4), (1, 3)], CES_LEVELS)
    return out


def _weights(rows: pd.DataFrame, weights: str | None) -> np.ndarray:
    if weights is None:
        return np.ones(len(rows))
    w = _numbers(rows, weights)
    if not (np.isfinite(w).all() and (w > 0).all()):
        raise DataError(f"weights: column {weights!r} must be positive on every row used")
    return w


def _cluster_sum(values: np.ndarray, clusters: np.ndarray | None) -> tuple[np.ndarray, int]:
    """Influence values (rows × k) summed per cluster, and the number of clusters.

    Without clusters every row is its own; with them (a respondent answering several
    pooled waves) the rows of one cluster are summed, as R ``survey`` does for ``ids=``.
    """
    if clusters is None:
        return values, values.shape[0]
    codes, uniques = pd.factorize(clusters)
    summed = np.zeros((len(uniques), values.shape[1]))
    np.add.at(summed, codes, values)
    return summed, len(uniques)


def _clusters(rows: pd.DataFrame, clusters: str | None) -> np.ndarray | None:
    if clusters is None:
        return None
    if clusters not in rows.columns:
        raise DataError(f"clusters: column {clusters!r} not in the data")
    ids = rows[clusters]
    if ids.isna().any():
        raise DataError(f"clusters: column {clusters!r} is blank on {int(ids.isna().sum())} rows")
    return ids.astype("str").to_numpy()


def _binary(rows: pd.DataFrame, column: str) -> np.ndarray:
    series = rows[column]
    values = pd.to_numeric(series.astype("Float64") if series.dtype == "boolean" else series,
                           errors="coerce").to_numpy(dtype="float64", na_value=np.nan)  # fmt: skip
    bad = ~np.isnan(values) & ~np.isin(values, (0.0, 1.0))
    if bad.any():
        raise DataError(f"column {column!r} must be yes/no (true/false or 1/0); found other values")
    return values


def retention_model(
    rows: pd.DataFrame,
    *,
    outcome: str,
    predictors: Sequence[str],
    weights: str | None = None,
    clusters: str | None = None,
    confidence: float = 0.95,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Logistic regression of a yes/no outcome on experience measures, per SD of each.

    Each predictor is standardised on the rows in the model (mean 0, SD 1: R ``scale()``,
    SD with n − 1; with weights the weighted mean and SD, Bessel-corrected on Kish's n),
    so an odds ratio is the change in the odds of the outcome per standard deviation of the
    measure, comparable across measures on different scales. Rows missing the outcome or
    any predictor are left out (counted in ``n_dropped``).

    Parameters
    ----------
    rows : DataFrame
        Responses (e.g. current customers only).
    outcome : str
        Yes/no column (boolean or 0/1).
    predictors : sequence of str
        Numeric experience columns.
    weights : str, optional
        Weight column. Coefficients are then the weighted MLE.
    clusters : str, optional
        Cluster column (``respondent_id`` when waves are pooled and people answer more
        than once).
    confidence : float
        Level of the Wald intervals.

    With weights or clusters the covariance is the design-based sandwich of
    ``survey::svyglm`` (with-replacement, ``ids = ~clusters`` or ``~1``); otherwise the
    model-based inverse information of ``glm``.

    Returns
    -------
    (DataFrame, dict)
        One row per predictor, largest odds ratio first: ``predictor, coef, se, z,
        pvalue, odds_ratio, ci_low, ci_high, sd`` (``sd`` = the predictor's SD used to
        scale it; interval bounds on the odds-ratio scale), and the fit: ``n``,
        ``events``, ``n_dropped``, ``mcfadden_r2``, ``converged`` (1.0/0.0),
        ``confidence``.

    References
    ----------
    Hosmer, D. W., Lemeshow, S. & Sturdivant, R. X. (2013). *Applied Logistic Regression*,
    3rd ed. Wiley. Lumley, T. (2010). *Complex Surveys*, ch. 6 (svyglm). Pinned to R in
    tests/reference/test_outcomes_reference.py.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=400)
    >>> df = pd.DataFrame({"x": x, "y": rng.random(400) < 1 / (1 + np.exp(-x))})
    >>> table, fit = retention_model(df, outcome="y", predictors=["x"])
    >>> bool(table["ci_low"].iloc[0] > 1), fit["n"]
    (True, 400.0)
    """
    confidence = check_confidence(confidence)
    predictors = list(predictors)
    missing = [c for c in [outcome, *predictors] if c not in rows.columns]
    if missing:
        raise DataError(f"retention model: column(s) {missing} not in the data")
    y = _binary(rows, outcome)
    x = np.column_stack([_numbers(rows, c) for c in predictors])
    keep = ~np.isnan(y) & ~np.isnan(x).any(axis=1)
    w_all = _weights(rows.loc[keep], weights) if weights else np.ones(int(keep.sum()))
    groups = _clusters(rows.loc[keep], clusters)
    y, x = y[keep], x[keep]
    n = int(keep.sum())
    events = float((w_all * y).sum()) if weights else float(y.sum())
    if n < len(predictors) + 2 or y.min() == y.max():
        raise DataError(
            f"retention model: {n} complete rows with {int(y.sum()) if n else 0} events; "
            "both outcomes are needed and more rows than predictors"
        )
    mean = np.average(x, axis=0, weights=w_all)
    kish = w_all.sum() ** 2 / (w_all**2).sum()
    sd = np.sqrt(np.average((x - mean) ** 2, axis=0, weights=w_all) * kish / (kish - 1.0))
    constant = [p for p, s in zip(predictors, sd, strict=True) if not s > 0]
    if constant:
        raise DataError(f"retention model: {constant} have the same value on every row")
    z = (x - mean) / sd
    fits = fit_logistic(z, y, masks=np.ones((1, len(predictors)), bool), weights=w_all)
    coef = fits.coef[0]
    if weights is None and clusters is None:
        cov = fits.covariance[0]
    else:
        design = np.column_stack([np.ones(n), z])
        mu = 1.0 / (1.0 + np.exp(-(design @ coef)))
        scores, m = _cluster_sum((w_all * (y - mu))[:, None] * design, groups)
        scores -= scores.mean(axis=0)
        meat = m / (m - 1.0) * scores.T @ scores
        cov = fits.covariance[0] @ meat @ fits.covariance[0]
    se = np.sqrt(np.diag(cov))[1:]
    b = coef[1:]
    crit = z_critical(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = b / se
    table = pd.DataFrame(
        {
            "predictor": predictors,
            "coef": b,
            "se": se,
            "z": stat,
            "pvalue": 2.0 * norm_sf(np.abs(stat)),
            "odds_ratio": np.exp(b),
            "ci_low": np.exp(b - crit * se),
            "ci_high": np.exp(b + crit * se),
            "sd": sd,
        }
    )
    table = table.sort_values("odds_ratio", ascending=False, kind="stable", ignore_index=True)
    ll0 = float(null_loglik(y, w_all)[0])
    fit = {
        "n": float(n),
        "events": events,
        "n_dropped": float(len(rows) - n),
        "mcfadden_r2": 1.0 - float(fits.loglik[0]) / ll0 if ll0 < 0 else float("nan"),
        "converged": float(bool(fits.converged[0])),
        "confidence": confidence,
    }
    return table, fit


@dataclass(frozen=True)
class ValueAtStake:
    """The value at stake and what it is made of.

    Attributes
    ----------
    value, ci_low, ci_high, se
        Per customer of the population (``customers`` is None) or in total (× customers),
        in the value column's unit; delta-method interval.
    per_customer, per_customer_se
        The same per customer, always.
    customers
        The customer base it is scaled to (None: per customer).
    detractor_share, detractor_rate, passive_rate, retained_detractor_value
        The parts: share of detractors, retention rate of detractors and of passives, mean
        value of a retained detractor (all weighted when weights are given).
    n, n_detractors, n_passives, n_retained_detractors, n_dropped
        Rows used; rows left out for a missing NPS, outcome or value.
    confidence, method
    """

    value: float
    ci_low: float
    ci_high: float
    se: float
    per_customer: float
    per_customer_se: float
    customers: int | None
    detractor_share: float
    detractor_rate: float
    passive_rate: float
    retained_detractor_value: float
    n: int
    n_detractors: int
    n_passives: int
    n_retained_detractors: int
    n_dropped: int
    confidence: float
    method: str = "delta method (linearisation), normal interval"

    def to_frame(self) -> pd.DataFrame:
        """One-row tidy frame."""
        return pd.DataFrame([asdict(self)])


def value_at_stake(
    rows: pd.DataFrame,
    *,
    outcome: str = "retained",
    value: str = "clv",
    nps: str = "nps",
    weights: str | None = None,
    clusters: str | None = None,
    customers: int | None = None,
    confidence: float = 0.95,
) -> ValueAtStake:
    """Revenue difference if detractors were retained like passives, with its interval.

    With D = detractor (NPS 0–6), P = passive (7–8), R = retained, C = value (e.g. CLV)
    and means taken over the population's rows,

        θ = E[D] · (E[PR]/E[P] − E[DR]/E[D]) · E[DRC]/E[DR],

    the share of detractors × the retention gap between passives and detractors × the mean
    value of a retained detractor: the value per customer that would be kept if detractors
    stayed as often as passives do. ``customers`` scales it to a customer base (taken as
    known). The interval is the delta method on the five means (their linearised
    covariance, with-replacement, as R ``survey::svymean`` + ``svycontrast``), so weights
    are design weights.

    Assumptions (the report prints them): the association is causal (improving the
    detractors' experience to the passives' level would raise their retention to the
    passives' rate); a retained detractor is worth what retained detractors are worth now;
    the customer base is known exactly; the interval covers sampling error only.

    Parameters
    ----------
    rows : DataFrame
        Responses of the population (e.g. current customers).
    outcome, value, nps : str
        Yes/no outcome column, value column (e.g. CLV in EUR), 0–10 NPS column.
    weights : str, optional
        Weight column.
    clusters : str, optional
        Cluster column (e.g. ``respondent_id`` over pooled waves).
    customers : int, optional
        Size of the customer base to scale to.
    confidence : float
        Level of the interval.

    Returns
    -------
    ValueAtStake

    Raises
    ------
    DataError
        A column is missing, or there are no detractors, no passives or no retained
        detractors (the value is then undefined).

    References
    ----------
    Lumley, T. (2010). *Complex Surveys*, 2.4 (linearisation); pinned to
    ``svycontrast(svymean(~D + P + DR + PR + DRC, design), quote(D * (PR/P - DR/D) * DRC/DR))``
    in tests/reference/test_outcomes_reference.py.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"nps": [3, 4, 8, 7, 10, 2], "retained": [1, 0, 1, 1, 1, 1],
    ...                    "clv": [100.0, 50.0, 120.0, 80.0, 200.0, 60.0]})
    >>> round(value_at_stake(df).per_customer, 2)  # 0.5 * (1 - 2/3) * 80
    13.33
    """
    confidence = check_confidence(confidence)
    missing = [c for c in (nps, outcome, value) if c not in rows.columns]
    if missing:
        raise DataError(f"value at stake: column(s) {missing} not in the data")
    score = _numbers(rows, nps)
    retained = _binary(rows, outcome)
    worth = _numbers(rows, value)
    keep = ~np.isnan(score) & ~np.isnan(retained) & ~np.isnan(worth)
    w = _weights(rows.loc[keep], weights)
    groups = _clusters(rows.loc[keep], clusters)
    score, retained, worth = score[keep], retained[keep], worth[keep]
    d = (score <= 6).astype("float64")
    p = ((score >= 7) & (score <= 8)).astype("float64")
    parts = np.column_stack([d, p, d * retained, p * retained, d * retained * worth])
    n = int(keep.sum())
    counts = {
        "n_detractors": int(d.sum()),
        "n_passives": int(p.sum()),
        "n_retained_detractors": int((d * retained).sum()),
    }
    if min(counts.values()) == 0:
        raise DataError(
            "value at stake: needs detractors, passives and retained detractors; found "
            + ", ".join(f"{k[2:]} {v}" for k, v in counts.items())
        )
    total = w.sum()
    means = (w @ parts) / total
    md, mp, mdr, mpr, mdrc = means
    theta = md * (mpr / mp - mdr / md) * mdrc / mdr
    gradient = np.array(
        [
            mpr * mdrc / (mp * mdr),
            -md * mpr * mdrc / (mp**2 * mdr),
            -md * mpr * mdrc / (mp * mdr**2),
            md * mdrc / (mp * mdr),
            md * mpr / (mp * mdr) - 1.0,
        ]
    )
    # Influence values of the five weighted means; with-replacement variance m/(m−1) Σ u²
    # over the m clusters (rows when there are none).
    influence = ((w[:, None] * (parts - means)) / total @ gradient)[:, None]
    summed, m = _cluster_sum(influence, groups)
    summed -= summed.mean(axis=0)
    se = float(np.sqrt(m / (m - 1.0) * np.sum(summed**2)))
    scale = float(customers) if customers is not None else 1.0
    half = z_critical(confidence) * se * scale
    return ValueAtStake(
        value=float(theta * scale),
        ci_low=float(theta * scale - half),
        ci_high=float(theta * scale + half),
        se=se * scale,
        per_customer=float(theta),
        per_customer_se=se,
        customers=customers,
        detractor_share=float(md),
        detractor_rate=float(mdr / md),
        passive_rate=float(mpr / mp),
        retained_detractor_value=float(mdrc / mdr),
        n=n,
        n_detractors=counts["n_detractors"],
        n_passives=counts["n_passives"],
        n_retained_detractors=counts["n_retained_detractors"],
        n_dropped=int(len(rows) - n),
        confidence=confidence,
    )
