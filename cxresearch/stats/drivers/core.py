"""``driver_importance``: which experience attributes move the outcome, with intervals."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from cxresearch.errors import DataError
from cxresearch.stats.drivers.checks import (
    check_variation,
    collinearity,
    design_warnings,
    prepare,
    resolve_outcome_type,
    warning_text,
)
from cxresearch.stats.drivers.logistic import LogisticDesign, fit_logistic
from cxresearch.stats.drivers.methods import (
    Spec,
    estimate,
    estimate_from_correlation,
    replicate_chunk,
)
from cxresearch.stats.drivers.moments import bootstrap_correlations, correlation_stack, pair_counts
from cxresearch.stats.drivers.resample import BootstrapDraws

__all__ = ["MAX_EXACT", "MAX_EXACT_BINARY", "METHODS", "NOISE_DRIVER", "driver_importance"]

METHODS = ("shapley", "relative-weights", "correlation", "regression")
#: Largest number of drivers for which ``method="shapley"`` is exact for an interval
#: outcome: 2^24 subset R² values take about 3 s and under 0.4 GB here. Above it the Shapley
#: values are estimated from random orders of entry (with a warning and Monte-Carlo SEs).
MAX_EXACT = 24
#: The same limit for a binary outcome, where every subset is a logistic fit
#: (2^12 fits on 2,000 rows take about 3 s).
MAX_EXACT_BINARY = 12
#: Name of the random driver added by ``noise_baseline=True``.
NOISE_DRIVER = "(noise)"

_R2_NAMES = {
    ("interval", "shapley"): "R²",
    ("interval", "relative-weights"): "R²",
    ("interval", "correlation"): "R²",
    ("interval", "regression"): "R²",
    ("binary", "shapley"): "McFadden pseudo-R²",
    ("binary", "relative-weights"): "R²_O (squared correlation of fitted and observed)",
    ("binary", "correlation"): "McFadden pseudo-R²",
    ("binary", "regression"): "McFadden pseudo-R²",
}


def _check_options(
    method: str,
    missing: str,
    outcome_type: str,
    bootstrap: Any,
    confidence: Any,
    max_exact: Any,
    n_permutations: Any,
) -> None:
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
    if missing not in ("listwise", "pairwise"):
        raise ValueError(f"missing must be 'listwise' or 'pairwise', got {missing!r}")
    if outcome_type not in ("auto", "interval", "binary"):
        raise ValueError(
            f"outcome_type must be 'auto', 'interval' or 'binary', got {outcome_type!r}"
        )
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, (int, np.integer)) or bootstrap < 0:
        raise ValueError(f"bootstrap must be a whole number of replicates >= 0, got {bootstrap!r}")
    if bootstrap == 1:
        raise ValueError("bootstrap must be 0 (no intervals) or at least 2 replicates, got 1")
    if not isinstance(confidence, (float, int)) or not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}")
    if max_exact is not None and (not isinstance(max_exact, (int, np.integer)) or max_exact < 1):
        raise ValueError(f"max_exact must be a positive integer or None, got {max_exact!r}")
    if not isinstance(n_permutations, (int, np.integer)) or n_permutations < 2:
        raise ValueError(f"n_permutations must be an integer >= 2, got {n_permutations!r}")


def _kish(w: np.ndarray) -> float:
    return float(w.sum() ** 2 / np.square(w).sum())


def _coefficients(
    method: str,
    kind: str,
    values: np.ndarray,
    w: np.ndarray,
    corr: np.ndarray,
    n_model: int,
    confidence: float,
) -> dict[str, np.ndarray]:
    """Signed coefficient columns with analytic intervals for "correlation"/"regression"."""
    p = corr.shape[0] - 1
    if method == "correlation":
        # Per driver: rows where it and the outcome are present; Kish's n when weighted.
        both = ~np.isnan(values[:, 1:]) & ~np.isnan(values[:, [0]])
        n_j = np.array([_kish(w[both[:, j]]) for j in range(p)])
        r = corr[1:, 0]
        z = special.ndtri(0.5 + confidence / 2)
        half = z / np.sqrt(np.maximum(n_j - 3, np.finfo(float).tiny))
        t = r * np.sqrt((n_j - 2) / np.maximum(1 - r**2, np.finfo(float).tiny))
        return {
            "coefficient": r,
            "coefficient_ci_low": np.tanh(np.arctanh(r) - half),
            "coefficient_ci_high": np.tanh(np.arctanh(r) + half),
            "pvalue": 2 * special.stdtr(n_j - 2, -np.abs(t)),
        }
    if method != "regression":
        return {}
    if kind == "binary":
        # Log-odds per standard deviation of the driver (sd with n − 1, as R's scale()).
        x, y = values[:, 1:], values[:, 0]
        total = w.sum()
        mean = (w @ x) / total
        sd = np.sqrt((w @ (x - mean) ** 2) / total * len(w) / (len(w) - 1))
        fit = fit_logistic((x - mean) / sd, y, masks=np.ones((1, p), bool), weights=w)
        coef = fit.coef[0, 1:]
        se = np.sqrt(np.diag(fit.covariance[0])[1:])
        crit = special.ndtri(0.5 + confidence / 2)
        pvalue = 2 * special.ndtr(-np.abs(coef / se))
    else:
        # Standardised OLS/WLS coefficients from the correlation matrix: identical to lm() on
        # z-scored data (tests pin this to R) and also defined for pairwise matrices.
        inv = np.linalg.inv(corr[1:, 1:])
        coef = inv @ corr[1:, 0]
        r2 = float(corr[1:, 0] @ coef)
        df = n_model - p - 1
        se = np.sqrt(np.maximum(1 - r2, 0.0) / df * np.diag(inv))
        crit = special.stdtrit(df, 0.5 + confidence / 2)
        pvalue = 2 * special.stdtr(df, -np.abs(coef / se))
    return {
        "coefficient": coef,
        "se": se,
        "coefficient_ci_low": coef - crit * se,
        "coefficient_ci_high": coef + crit * se,
        "pvalue": pvalue,
    }


def _bootstrap(
    spec: Spec,
    values: np.ndarray,
    w: np.ndarray,
    draws: BootstrapDraws,
    perm_rng: np.random.Generator,
    start: np.ndarray | None,
    design: LogisticDesign | None = None,
) -> tuple[np.ndarray, int]:
    """Importances for the ``draws`` row resamples, shape (replicates, p), and non-converged fits.

    Resampling rows with replacement is the same as giving each row its draw count as a
    frequency weight. For an interval outcome every replicate's correlation matrix comes
    from one pass over the rows (sufficient statistics per chunk of rows, all replicates at
    once); the estimators then run on chunks of those small matrices. A binary outcome
    needs logistic fits on every row of a replicate, so it runs a block of replicates at a
    time with the same draw counts, its fits starting from the full sample's (``start``).
    """
    p = values.shape[1] - 1
    out = np.empty((draws.replicates, p))
    bad = 0
    if spec.outcome_type == "interval":
        corr = bootstrap_correlations(values, w, draws)
        chunk = replicate_chunk(spec, p)
        for first in range(0, draws.replicates, chunk):
            batch = estimate_from_correlation(spec, corr[first : first + chunk], perm_rng)
            out[first : first + chunk] = batch.importance
        return out, 0
    # Correlations (relative weights, point-biserial) come from one pass for all replicates
    # (the rows' products built once); the logistic fits share one prepared design.
    needs_corr = spec.method in ("relative-weights", "correlation")
    corr_all = bootstrap_correlations(values, w, draws) if needs_corr else None
    if design is None:
        design = LogisticDesign.standardised(values[:, 1:], values[:, 0])
    for index, block in enumerate(draws.blocks):
        batch = estimate(
            spec,
            values,
            draws.block_counts(index) * w,
            perm_rng,
            start=start,
            corr=None if corr_all is None else corr_all[block.start : block.stop],
            design=design,
        )
        out[block.start : block.stop] = batch.importance
        bad += batch.not_converged
    return out, bad


def driver_importance(
    frame: pd.DataFrame,
    *,
    outcome: str,
    drivers: Any,
    method: str = "shapley",
    weights: Any = None,
    bootstrap: int = 0,
    confidence: float = 0.95,
    seed: int | None = None,
    missing: str = "listwise",
    outcome_type: str = "auto",
    noise_baseline: bool = False,
    max_exact: int | None = None,
    n_permutations: int = 2000,
) -> pd.DataFrame:
    """Relative importance of drivers (experience attributes) for an outcome.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per response.
    outcome : str
        Outcome column, e.g. ``"nps"`` (0–10, treated as interval), ``"csat"`` or a 0/1 or
        boolean column such as ``"retained"`` (binary).
    drivers : list of str
        Driver columns (numeric ratings). Distinct, not including ``outcome``.
    method : {"shapley", "relative-weights", "correlation", "regression"}
        ``"shapley"``: exact Shapley value / LMG decomposition of R² over all 2^p subsets
        (Lindeman, Merenda & Gold 1980; Grömping 2007); importance sums to R².
        ``"relative-weights"``: Johnson's (2000) relative weights; importance sums to R².
        ``"correlation"``: importance = r² of the driver with the outcome (relaimpo
        ``"first"``); signed r with a Fisher-z interval in ``coefficient``. Does not sum
        to R² when drivers are correlated.
        ``"regression"``: importance = squared standardised coefficient (relaimpo
        ``"betasq"``); the coefficient with its t interval (OLS; WLS with weights) in
        ``coefficient``/``se``. Does not sum to R².
    weights : str or array-like, optional
        Survey weights: a column name or one non-negative value per row. Correlations,
        R² and fits are weighted (relaimpo's ``weights`` convention, ``cov.wt``);
        analytic intervals use Kish's effective n for correlations and WLS for coefficients.
        Rows with zero weight are dropped (and counted in ``n_dropped``).
    bootstrap : int
        Number of bootstrap replicates (0 = none; reports use 1,000). Rows are resampled
        with replacement and every method is recomputed; intervals are percentile
        intervals (numpy's default linear quantile, R ``type = 7``). Replicates are batched
        (draw counts as frequency weights), so 1,000 replicates of exact Shapley for 10
        drivers take well under a second; for a binary outcome ``"shapley"`` costs 2^p
        logistic fits per replicate (seconds to minutes), ``"relative-weights"`` one.
    confidence : float
        Level of all intervals.
    seed : int, optional
        Seeds ``numpy.random.Generator(PCG64)``; the same seed gives identical output.
        Without a seed a fresh one is drawn and recorded in ``attrs["seed"]``.
    missing : {"listwise", "pairwise"}
        Listwise drops rows with any missing value (counted in ``attrs["n_dropped"]``);
        pairwise (interval outcomes only) computes each correlation on the rows where both
        are present and drops only rows missing the outcome; n for the regression
        intervals is then the smallest pairwise count (``attrs["n_model"]``).
    outcome_type : {"auto", "interval", "binary"}
        ``"auto"``: a 0/1 or boolean outcome is binary, anything else interval (so NPS 0–10
        is analysed as an interval score; the choice is in ``attrs["outcome_type"]``).
        Binary outcomes: ``"shapley"`` decomposes McFadden's pseudo-R² over all subset
        logistic regressions (exact up to ``MAX_EXACT_BINARY`` drivers);
        ``"relative-weights"`` uses Tonidandel & LeBreton (2010), summing to R²_O;
        ``"regression"`` squares Menard's (2004) fully standardised coefficients and reports
        log-odds per SD in ``coefficient``; ``"correlation"`` uses the point-biserial r.
    noise_baseline : bool
        Add a seeded N(0, 1) driver named ``"(noise)"`` (flagged ``is_noise``). With
        ``bootstrap`` the frame gets ``noise_diff_ci_low``/``noise_diff_ci_high``: the paired
        percentile interval of (importance − noise importance), and ``above_noise`` when that
        interval lies above zero.
    max_exact : int, optional
        Drivers above which ``"shapley"`` switches to a sampled estimate from
        ``n_permutations`` random orders of entry, with Monte-Carlo SEs in ``mc_se`` and a
        warning. Defaults to ``MAX_EXACT`` (24) for interval and ``MAX_EXACT_BINARY`` (12)
        for binary outcomes.
    n_permutations : int
        Random orders of entry for the sampled Shapley estimate.

    Returns
    -------
    pandas.DataFrame
        One row per driver sorted by rank: ``driver, importance, share, rank, is_noise``;
        with bootstrap ``ci_low, ci_high`` (importance) and ``share_ci_low, share_ci_high``;
        method-specific ``coefficient, se, coefficient_ci_low, coefficient_ci_high, pvalue``;
        ``mc_se`` for a sampled Shapley estimate. ``attrs``: ``r2`` (the fit statistic the
        importances decompose) and ``r2_name``; ``n`` (rows used), ``n_model`` (n behind
        the analytic intervals), ``n_dropped``, ``n_effective`` (Kish); ``method``,
        ``outcome``, ``outcome_type``, ``missing``, ``weighted``; ``bootstrap``,
        ``bootstrap_failed``, ``confidence``, ``seed``; ``exact``, ``n_permutations``;
        ``warnings`` (English sentences for the researcher) and ``warning_codes`` (the
        same warnings as dicts, ``{"code": "low_n_per_driver", "n": 75, "p": 8, ...}``,
        one per sentence in the same order; codes and their numbers are listed in
        :data:`~cxresearch.stats.drivers.checks.WARNING_FIELDS`), ``vif`` (dict),
        ``condition_number``.

    Raises
    ------
    DataError
        Missing or non-numeric columns, no usable rows, fewer rows than drivers + 2, a
        constant column, linearly dependent drivers (named).
    ValueError
        Invalid options, duplicate drivers, the outcome among the drivers.

    References
    ----------
    Grömping, U. (2006). Relative importance for linear regression in R: the package
    relaimpo. *Journal of Statistical Software* 17(1). Validated against relaimpo 2.2-7
    and rwa 0.1.0 in tests/reference/test_drivers_reference.py.
    Johnson, J. W. (2000). *Multivariate Behavioral Research* 35(1), 1–19.
    Tonidandel, S. & LeBreton, J. M. (2010). *Organizational Research Methods* 13(4), 767–781.
    """
    _check_options(method, missing, outcome_type, bootstrap, confidence, max_exact, n_permutations)
    data = prepare(frame, outcome=outcome, drivers=drivers, weights=weights, missing=missing)
    values, w = data.values, data.weights
    kind = resolve_outcome_type(values[:, 0], outcome_type, outcome)
    if kind == "binary" and missing == "pairwise":
        raise ValueError(
            "missing='pairwise' is for interval outcomes: the logistic fits of a binary "
            "outcome need complete rows; use missing='listwise'"
        )
    seed_seq = np.random.SeedSequence(seed)
    noise_ss, perm_ss, boot_ss = seed_seq.spawn(3)
    names = list(data.drivers)
    if noise_baseline:
        if NOISE_DRIVER in names:
            raise ValueError(f"a driver is already called {NOISE_DRIVER!r}; rename it")
        noise = np.random.Generator(np.random.PCG64(noise_ss)).standard_normal(len(w))
        values = np.column_stack([values, noise])
        names.append(NOISE_DRIVER)
    p = len(names)

    # After listwise deletion every pair of columns has all the rows; counting them would be
    # a pass over the data for nothing.
    n_model = int(pair_counts(values).min()) if missing == "pairwise" else values.shape[0]
    if n_model < p + 2:
        raise DataError(
            f"{n_model} usable rows for {p} drivers: at least drivers + 2 = {p + 2} are needed "
            f"({data.n_dropped} of {data.n_input} rows dropped for missing values)"
        )
    check_variation(values, [outcome, *names])
    corr = correlation_stack(values, w[None, :])[0]
    if missing == "pairwise" and np.linalg.eigvalsh(corr)[0] < -1e-10:
        raise DataError(
            "the pairwise correlation matrix is not positive semi-definite (too different "
            "missing-value patterns); use missing='listwise'"
        )
    condition, vif = collinearity(corr[1:, 1:], names)
    events = None
    if kind == "binary":
        events = float(min(values[:, 0].sum(), (1 - values[:, 0]).sum()))
    codes = design_warnings(
        n=n_model, drivers=names, condition=condition, vif=vif, binary_events=events
    )
    limit = (
        max_exact
        if max_exact is not None
        else (MAX_EXACT if kind == "interval" else MAX_EXACT_BINARY)
    )
    exact = method != "shapley" or p <= limit
    if not exact:
        codes.append(
            {
                "code": "fallback_sampled",
                "p": p,
                "max_exact": int(limit),
                "n_permutations": int(n_permutations),
            }
        )
    spec = Spec(method=method, outcome_type=kind, exact=exact, n_permutations=int(n_permutations))
    perm_rng = np.random.Generator(np.random.PCG64(perm_ss))
    design: LogisticDesign | None = None
    if kind == "interval":
        # Every interval-outcome method is a function of the correlation matrix, which the
        # checks above needed anyway: reuse it rather than pass over the rows a second time.
        point = estimate_from_correlation(spec, corr[None], perm_rng)
    else:
        # One standardised design (and its per-row products) for the fit and its bootstrap.
        design = LogisticDesign.standardised(values[:, 1:], values[:, 0])
        point = estimate(spec, values, w[None, :], perm_rng, design=design)
    importance = point.importance[0]
    columns: dict[str, Any] = {
        "driver": names,
        "importance": importance,
        "share": importance / importance.sum(),
        "is_noise": [d == NOISE_DRIVER and noise_baseline for d in names],
    }
    if point.mc_se is not None:
        columns["mc_se"] = point.mc_se[0]
    columns.update(_coefficients(method, kind, values, w, corr, n_model, confidence))
    not_converged = point.not_converged

    failed = 0
    if bootstrap:
        draws = BootstrapDraws(boot_ss, n=values.shape[0], replicates=int(bootstrap))
        start = None if point.coef is None else point.coef[0]
        reps, bad = _bootstrap(spec, values, w, draws, perm_rng, start, design)
        not_converged += bad
        ok = np.isfinite(reps).all(axis=1)
        failed = int((~ok).sum())
        if ok.sum() < 2:
            raise DataError(
                f"only {int(ok.sum())} of {bootstrap} bootstrap replicates could be computed "
                "(a driver or the outcome is constant in most resamples)"
            )
        reps = reps[ok]
        alpha = (1 - confidence) / 2
        lo, hi = np.quantile(reps, [alpha, 1 - alpha], axis=0)
        shares = reps / reps.sum(axis=1, keepdims=True)
        slo, shi = np.quantile(shares, [alpha, 1 - alpha], axis=0)
        columns.update(ci_low=lo, ci_high=hi, share_ci_low=slo, share_ci_high=shi)
        if failed:
            codes.append(
                {"code": "bootstrap_failed", "failed": failed, "bootstrap": int(bootstrap)}
            )
        if noise_baseline:
            diff = reps - reps[:, [p - 1]]
            dlo, dhi = np.quantile(diff, [alpha, 1 - alpha], axis=0)
            is_noise = np.arange(p) == p - 1
            columns.update(
                noise_diff_ci_low=np.where(is_noise, np.nan, dlo),
                noise_diff_ci_high=np.where(is_noise, np.nan, dhi),
                above_noise=(dlo > 0) & ~is_noise,
            )
    elif noise_baseline:
        codes.append({"code": "noise_without_bootstrap"})
    if not_converged:
        codes.append({"code": "not_converged", "count": int(not_converged)})

    result = pd.DataFrame(columns)
    result = result.sort_values("importance", ascending=False, kind="stable")
    result.insert(3, "rank", np.arange(1, p + 1))
    result = result.reset_index(drop=True)
    result.attrs.update(
        r2=float(point.r2[0]),
        r2_name=_R2_NAMES[(kind, method)],
        n=int(values.shape[0]),
        n_model=n_model,
        n_dropped=data.n_dropped,
        n_effective=_kish(w),
        method=method,
        outcome=outcome,
        outcome_type=kind,
        bootstrap=int(bootstrap),
        bootstrap_failed=failed,
        confidence=float(confidence),
        seed=seed if seed is not None else seed_seq.entropy,
        missing=missing,
        weighted=data.weighted,
        exact=exact,
        n_permutations=None if exact else int(n_permutations),
        warnings=[warning_text(c) for c in codes],
        warning_codes=codes,
        vif=vif,
        condition_number=condition,
    )
    return result
