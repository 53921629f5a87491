"""Input checks and design diagnostics for driver analysis.

Every problem the issue lists gets either a :class:`~cxresearch.errors.DataError` naming
the columns involved (outcome among the drivers, duplicate or missing names, non-numeric
columns, no usable rows, fewer rows than drivers + 2, a constant driver, drivers that are a
linear combination of each other) or a coded warning that the report words (fewer than 10
responses per driver, a large condition number or VIF, few events for a binary outcome);
:data:`WARNING_FIELDS` lists every warning code of driver analysis with its numbers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cxresearch.errors import DataError
from cxresearch.stats.weighting import validate_weights

__all__ = [
    "CONDITION_WARN",
    "MIN_PER_DRIVER",
    "VIF_WARN",
    "WARNING_FIELDS",
    "Prepared",
    "collinearity",
    "design_warnings",
    "prepare",
    "resolve_outcome_type",
    "warning_text",
]

#: Condition number (of the standardised drivers) above which the report warns: Belsley,
#: Kuh & Welsch (1980), *Regression Diagnostics*, Wiley, p. 105, call 30 and more "moderate
#: to strong" dependencies.
CONDITION_WARN = 30.0
#: Variance inflation factor above which the report warns (the common rule of thumb, e.g.
#: Hair et al. (2019), *Multivariate Data Analysis*, 8th ed., p. 316).
VIF_WARN = 10.0
#: Smallest eigenvalue of the driver correlation matrix, relative to the largest, below
#: which the drivers are treated as linearly dependent (condition number above 1e5): the
#: importances would be driven by rounding error.
SINGULAR_TOL = 1e-10
#: Responses per driver below which the report warns (a common minimum for stable
#: regression weights; Green (1991), Multivariate Behavioral Research 26(3), 499–510).
MIN_PER_DRIVER = 10

#: Every warning ``driver_importance`` can give (``attrs["warning_codes"]``), with the
#: numbers each carries besides ``code``. The report words them from these numbers
#: (labels ``drivers.warnings.<code>``), so rewording the English text breaks nothing.
#: ``p`` counts the drivers analysed, the noise baseline included.
WARNING_FIELDS: dict[str, tuple[str, ...]] = {
    # fewer than MIN_PER_DRIVER rows per driver (n is the n behind the analytic intervals)
    "low_n_per_driver": ("n", "p", "per_driver", "needed"),
    # condition number above CONDITION_WARN; with the largest VIF and its driver
    "collinearity": ("condition_number", "limit", "max_vif", "driver"),
    # drivers with a VIF above VIF_WARN (vifs: driver → VIF, largest first)
    "high_vif": ("vifs", "limit", "max_vif", "driver"),
    # rarer category of a binary outcome below MIN_PER_DRIVER per driver (Peduzzi et al. 1996)
    "few_events": ("events", "p", "per_driver", "needed"),
    # more drivers than max_exact: Shapley values from random orders of entry
    "fallback_sampled": ("p", "max_exact", "n_permutations"),
    # bootstrap replicates that could not be computed (left out of the intervals)
    "bootstrap_failed": ("failed", "bootstrap"),
    # noise_baseline=True without bootstrap: no interval to compare with
    "noise_without_bootstrap": (),
    # logistic fits that did not converge (point estimate and replicates together)
    "not_converged": ("count",),
}


@dataclass(frozen=True)
class Prepared:
    """Rows and columns ready for analysis.

    ``values`` has the outcome in column 0 and the drivers after it (NaN only for
    ``missing="pairwise"`` drivers); ``weights`` has one non-negative weight per row.
    """

    values: np.ndarray
    weights: np.ndarray
    drivers: list[str]
    n_input: int
    n_dropped: int
    weighted: bool


def _check_names(frame: pd.DataFrame, outcome: Any, drivers: Any) -> list[str]:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    if not isinstance(outcome, str):
        raise TypeError(f"outcome must be a column name (str), got {outcome!r}")
    if isinstance(drivers, str) or not hasattr(drivers, "__iter__"):
        raise TypeError(f"drivers must be a list of column names, got {drivers!r}")
    names = list(drivers)
    if not names:
        raise ValueError("drivers must name at least one column, got an empty list")
    bad_type = [d for d in names if not isinstance(d, str)]
    if bad_type:
        raise TypeError(f"drivers must be column names (str); got {bad_type[:5]}")
    duplicates = sorted(d for d, k in Counter(names).items() if k > 1)
    if duplicates:
        raise ValueError(f"drivers lists {duplicates} more than once")
    if outcome in names:
        raise ValueError(f"outcome {outcome!r} is also listed among the drivers")
    absent = [c for c in [outcome, *names] if c not in frame.columns]
    if absent:
        raise DataError(f"columns not found in the data: {absent}")
    return names


def _numeric(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    bad = {
        c: str(frame[c].dtype)
        for c in columns
        if not (
            pd.api.types.is_numeric_dtype(frame[c].dtype)
            or pd.api.types.is_bool_dtype(frame[c].dtype)
        )
    }
    if bad:
        listed = ", ".join(f"{c!r} ({t})" for c, t in bad.items())
        raise DataError(f"driver analysis needs numeric columns; not numeric: {listed}")
    out = np.column_stack([frame[c].to_numpy(dtype="float64", na_value=np.nan) for c in columns])
    infinite = [c for j, c in enumerate(columns) if np.isinf(out[:, j]).any()]
    if infinite:
        raise DataError(f"columns contain infinite values: {infinite}")
    return out


def prepare(
    frame: pd.DataFrame, *, outcome: str, drivers: Any, weights: Any, missing: str
) -> Prepared:
    """Validate names, types and weights; drop rows with missing values (and count them).

    ``missing="listwise"`` keeps rows where the outcome and every driver are present;
    ``"pairwise"`` keeps rows where the outcome is present and leaves driver NaNs in place.
    """
    names = _check_names(frame, outcome, drivers)
    values = _numeric(frame, [outcome, *names])
    n_input = values.shape[0]
    if weights is None:
        w = np.ones(n_input)
    elif isinstance(weights, str):
        if weights not in frame.columns:
            raise DataError(f"weights column {weights!r} not found in the data")
        w = validate_weights(frame[weights], length=n_input, name=f"weights column {weights!r}")
    else:
        w = validate_weights(weights, length=n_input, name="weights")
    if missing == "listwise":
        keep = ~np.isnan(values).any(axis=1)
    else:
        keep = ~np.isnan(values[:, 0]) & ~np.isnan(values[:, 1:]).all(axis=1)
    keep &= w > 0  # a zero weight removes a row from every estimate
    if not keep.any():
        counts = np.isnan(values).sum(axis=0)
        worst = [f"{c!r}: {int(k)}" for c, k in zip([outcome, *names], counts, strict=True) if k]
        raise DataError(
            f"no row has the outcome {outcome!r} and "
            f"{'every' if missing == 'listwise' else 'any'} driver present (with a positive "
            f"weight); missing values per column: {', '.join(worst) or 'none'}"
        )
    return Prepared(
        values=values[keep],
        weights=w[keep],
        drivers=names,
        n_input=n_input,
        n_dropped=int(n_input - keep.sum()),
        weighted=weights is not None,
    )


def resolve_outcome_type(y: np.ndarray, outcome_type: str, outcome: str) -> str:
    """``"binary"`` for a 0/1 outcome under ``"auto"``; check a requested ``"binary"``."""
    levels = np.unique(y[~np.isnan(y)])
    is01 = bool(np.isin(levels, [0.0, 1.0]).all())
    if outcome_type == "auto":
        return "binary" if is01 else "interval"
    if outcome_type == "binary" and not is01:
        shown = levels[~np.isin(levels, [0.0, 1.0])][:5].tolist()
        raise DataError(
            f"outcome {outcome!r} must be coded 0/1 for a binary analysis; found {shown}"
        )
    return outcome_type


def check_variation(values: np.ndarray, columns: list[str]) -> None:
    """Raise when the outcome or a driver takes a single value in the rows analysed."""
    constant = []
    for j, name in enumerate(columns):
        col = values[:, j]
        col = col[~np.isnan(col)]
        if col.size and np.ptp(col) == 0:
            constant.append(f"{name!r} (always {col[0]:g})")
    if constant:
        raise DataError(
            f"constant columns cannot explain or be explained: {', '.join(constant)}; "
            "drop them from the analysis"
        )


def collinearity(rxx: np.ndarray, drivers: list[str]) -> tuple[float, dict[str, float]]:
    """Condition number and VIFs of the drivers; raise if they are linearly dependent.

    The condition number is √(λ_max/λ_min) of the driver correlation matrix (the condition
    index of the standardised design, Belsley, Kuh & Welsch 1980); VIF_j is the j-th
    diagonal element of its inverse.
    """
    values, vectors = np.linalg.eigh(rxx)
    if values[0] <= SINGULAR_TOL * values[-1]:
        loadings = np.abs(vectors[:, 0])
        involved = [d for d, a in zip(drivers, loadings, strict=True) if a > 0.05]
        raise DataError(
            f"drivers {involved} are (nearly) a linear combination of each other "
            f"(smallest eigenvalue of their correlation matrix {values[0]:.3g}); "
            "their separate importances are not identified: drop or combine one of them"
        )
    condition = float(np.sqrt(values[-1] / values[0]))
    vif = np.diag(np.linalg.inv(rxx))
    return condition, {d: float(v) for d, v in zip(drivers, vif, strict=True)}


def _vif_fields(vif: dict[str, float]) -> dict[str, Any]:
    driver = max(vif, key=lambda d: vif[d])
    return {"max_vif": float(vif[driver]), "driver": driver}


def design_warnings(
    *,
    n: int,
    drivers: list[str],
    condition: float,
    vif: dict[str, float],
    binary_events: float | None = None,
) -> list[dict[str, Any]]:
    """Coded warnings about the design, in the order the report shows them.

    Each is a dict with a ``code`` from :data:`WARNING_FIELDS` and that code's numbers
    (plain ``int``/``float``/``str``, so the list can be written to JSON); the English
    sentence is :func:`warning_text` of it.
    """
    out: list[dict[str, Any]] = []
    p = len(drivers)
    needed = MIN_PER_DRIVER * p
    if n < needed:
        out.append(
            {
                "code": "low_n_per_driver",
                "n": int(n),
                "p": p,
                "per_driver": MIN_PER_DRIVER,
                "needed": needed,
            }
        )
    if condition > CONDITION_WARN:
        out.append(
            {
                "code": "collinearity",
                "condition_number": float(condition),
                "limit": CONDITION_WARN,
                **_vif_fields(vif),
            }
        )
    high = {d: float(v) for d, v in sorted(vif.items(), key=lambda t: -t[1]) if v > VIF_WARN}
    if high:
        out.append({"code": "high_vif", "vifs": high, "limit": VIF_WARN, **_vif_fields(high)})
    if binary_events is not None and binary_events < needed:
        out.append(
            {
                "code": "few_events",
                "events": float(binary_events),
                "p": p,
                "per_driver": MIN_PER_DRIVER,
                "needed": needed,
            }
        )
    return out


def warning_text(warning: Mapping[str, Any]) -> str:
    """The English sentence of a coded warning (``attrs["warnings"]``, for researchers).

    Raises
    ------
    ValueError
        If ``warning["code"]`` is not one of :data:`WARNING_FIELDS`.
    """
    code = warning.get("code")
    if code not in WARNING_FIELDS:
        raise ValueError(f"warning code must be one of {sorted(WARNING_FIELDS)}, got {code!r}")
    w = warning
    if code == "low_n_per_driver":
        return (
            f"n = {w['n']} is below {w['per_driver']} responses per driver ({w['needed']} "
            f"for {w['p']} drivers): importances are unstable; read the intervals"
        )
    if code == "collinearity":
        return (
            f"condition number {w['condition_number']:.1f} exceeds {w['limit']:g}: the drivers "
            "are strongly inter-correlated, so their shares are uncertain"
        )
    if code == "high_vif":
        listed = ", ".join(f"{d} ({v:.1f})" for d, v in w["vifs"].items())
        return f"variance inflation factor above {w['limit']:g}: {listed}"
    if code == "few_events":
        return (
            f"only {w['events']:g} responses in the rarer outcome category, below "
            f"{w['per_driver']} per driver (Peduzzi et al. 1996): logistic estimates are unstable"
        )
    if code == "fallback_sampled":
        return (
            f"{w['p']} drivers exceed max_exact = {w['max_exact']}: Shapley values are "
            f"estimated from {w['n_permutations']} random orders of entry; mc_se is their "
            "Monte-Carlo error"
        )
    if code == "bootstrap_failed":
        return (
            f"{w['failed']} of {w['bootstrap']} bootstrap replicates could not be computed (a "
            "column was constant in the resample) and were left out of the intervals"
        )
    if code == "noise_without_bootstrap":
        return "noise baseline without bootstrap: only point estimates can be compared"
    return (
        f"{w['count']} logistic fits did not converge (the drivers may separate the "
        "outcome perfectly); their pseudo-R² is the limit approached"
    )
