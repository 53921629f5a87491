"""Rows for a key-driver analysis: which wave(s), which customers, and whether it can run.

:func:`driver_base` chooses the rows one outcome's driver analysis uses — the current wave
when it has enough complete responses, else every wave of the run pooled; current
customers only for retention — and says, as a reason code with its numbers, why an
outcome cannot be analysed. Pure: frames in, a frozen :class:`DriverBase` out, no I/O
and no wording (:func:`cxresearch.present.drivers.driver_summary` turns a base into
sentences).

References
----------
Peduzzi, P. et al. (1996). A simulation study of the number of events per variable in
logistic regression analysis. *Journal of Clinical Epidemiology* 49(12), 1373–1379.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cxresearch.stats.drivers.checks import MIN_PER_DRIVER
from cxresearch.stats.drivers.core import METHODS

__all__ = ["CURRENT_CUSTOMER_OUTCOMES", "SKIP_REASONS", "DriverBase", "driver_base"]

#: Outcomes that only current customers can have: a former customer has left before the
#: survey (retained is False by definition, and the ratings come after the outcome), a
#: never-customer has nothing to retain.
CURRENT_CUSTOMER_OUTCOMES = frozenset({"retained"})
#: The codes of ``DriverBase.skip``; the report words each from the ``drivers`` label of
#: the same name.
SKIP_REASONS = (
    "skip_no_answers",
    "skip_too_few",
    "skip_one_group",
    "skip_too_few_events",
    "skip_constant",
)


def _binary(values: pd.Series) -> bool:
    present = pd.to_numeric(values.dropna(), errors="coerce").astype(float)
    return bool(present.size) and bool(np.isin(present.unique(), [0.0, 1.0]).all())


def _complete(rows: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return rows[rows[columns].notna().all(axis=1)]


@dataclass(frozen=True)
class DriverBase:
    """The rows one outcome's driver analysis uses, and why. Build it with :func:`driver_base`.

    Attributes
    ----------
    outcome, drivers
        The outcome and driver columns.
    rows
        The rows passed to ``driver_importance`` (incomplete rows included: the analysis
        drops and counts them), with the columns it reads: ``wave``, the outcome and the
        drivers (the index is the responses' own, for ``RunSession.weights_for``).
    pooled
        True when the current wave had too few responses and every wave is used.
    waves
        The waves in ``rows``.
    binary
        Whether the outcome is yes/no (0/1).
    n_current, needed
        Complete responses (for a binary outcome: in the smaller outcome group) in the
        current wave, and the number that would have been enough.
    population
        ``"current"`` when only current customers count (retention), else None.
    n_excluded
        Rows left out by ``population``.
    skip, skip_fields
        Why the outcome cannot be analysed (one of :data:`SKIP_REASONS`) and its numbers
        (``n`` and ``needed``, or the constant ``drivers``); None and empty when it can.
    """

    outcome: str
    drivers: tuple[str, ...]
    rows: pd.DataFrame = field(repr=False)
    pooled: bool
    current_wave: str
    waves: tuple[str, ...]
    binary: bool
    n_current: int
    needed: int
    population: str | None = None
    n_excluded: int = 0
    skip: str | None = None
    skip_fields: Mapping[str, object] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the outcome can be analysed."""
        return self.skip is None

    def method(self, requested: str = "shapley", *, bootstrap: int = 0) -> str:
        """The importance method for this outcome in a report.

        Shapley values of a binary outcome need a logistic fit for each of the 2^p driver
        subsets in every bootstrap replicate: measured here on 900–1,400 current customers
        with 7 drivers and the noise baseline, 200 replicates took 21–35 s (so 1,000 take
        minutes), against 0.5–2.6 s for 1,000 replicates of relative weights, whose
        shares agreed with Shapley's within 0.03. With bootstrap a binary outcome
        therefore uses ``"relative-weights"``; everything else keeps ``requested``.
        """
        if requested not in METHODS:
            raise ValueError(f"requested must be one of {list(METHODS)}, got {requested!r}")
        if self.binary and requested == "shapley" and bootstrap > 0:
            return "relative-weights"
        return requested


def driver_base(
    responses: pd.DataFrame,
    *,
    outcome: str,
    drivers: Sequence[str],
    current_wave: str,
    waves: Sequence[str] | None = None,
    noise_baseline: bool = True,
) -> DriverBase:
    """Choose the rows for one outcome's driver analysis.

    The current wave is what a client acts on, so it is used when it has enough complete
    responses for stable importances: :data:`~cxresearch.stats.drivers.checks.
    MIN_PER_DRIVER` (10) per analysed variable (the drivers plus the noise baseline) or,
    for a binary outcome, as many in the smaller outcome group (Peduzzi et al. 1996). These
    are the thresholds below which ``driver_importance`` warns. Otherwise all waves of the
    run are pooled (a respondent who answered two waves then counts twice). For
    ``retained`` only current customers count (:data:`CURRENT_CUSTOMER_OUTCOMES`).

    Parameters
    ----------
    responses
        The run's rows of every wave (``RunSession.responses``); needs ``wave``.
    outcome, drivers
        The outcome and driver columns.
    current_wave
        The wave the report is about.
    waves
        Order of the waves for the text (default: order of appearance).
    noise_baseline
        Whether the analysis adds the noise driver (it counts as a variable).

    Returns
    -------
    DriverBase
        With ``skip`` set when the chosen rows cannot be analysed: no complete response,
        fewer than drivers + 3 complete responses, a binary outcome with fewer than one
        response per variable in its smaller group, one outcome group only, or a driver
        rated the same by everyone.
    """
    names = list(drivers)
    missing = [c for c in ["wave", outcome, *names] if c not in responses.columns]
    if missing:
        raise ValueError(f"responses lack column(s) {missing}")
    # Only the columns the analysis reads: the rows of every column (texts included),
    # copied for each outcome, were most of a 1,000,000-row client's drivers report's memory.
    rows, population = responses[list(dict.fromkeys(["wave", outcome, *names]))], None
    if outcome in CURRENT_CUSTOMER_OUTCOMES and "customer_type" in responses.columns:
        current_customers = responses["customer_type"].eq("current").fillna(False)
        rows = rows[current_customers.to_numpy(dtype=bool)]
        population = "current"
    binary = _binary(rows[outcome])
    k = len(names) + int(noise_baseline)
    needed = MIN_PER_DRIVER * k
    columns = [outcome, *names]

    def _size(frame: pd.DataFrame) -> int:
        done = _complete(frame[columns], columns)
        if not binary:
            return len(done)
        y = done[outcome].astype(float)
        return int(min((y == 1).sum(), (y == 0).sum()))

    now = rows[rows["wave"] == current_wave]
    n_current = _size(now)
    pooled = n_current < needed and len(rows) > len(now)
    chosen = rows if pooled else now
    # Distinct waves without a Python loop over the rows; the completeness checks below
    # read only the outcome and driver columns (no copy of every column of the rows).
    present = set(chosen["wave"].unique())
    in_waves = responses["wave"].isin(present) if pooled else responses["wave"].eq(current_wave)
    excluded = int(in_waves.sum()) - len(chosen)
    order = list(waves) if waves is not None else list(rows["wave"].unique())
    used = tuple(w for w in order if w in present)
    done = _complete(chosen[columns], columns)
    skip: str | None = None
    fields: dict[str, object] = {}
    constant = [d for d in names if done[d].nunique() == 1]
    if done.empty:
        skip = "skip_no_answers"
    elif len(done) < k + 2:
        skip, fields = "skip_too_few", {"n": len(done), "needed": k + 2}
    elif done[outcome].nunique() < 2:
        skip = "skip_one_group"
    elif binary and _size(chosen) < k:
        skip, fields = "skip_too_few_events", {"n": _size(chosen), "needed": k}
    elif constant:
        skip, fields = "skip_constant", {"drivers": constant}
    return DriverBase(
        outcome=outcome,
        drivers=tuple(names),
        rows=chosen,
        pooled=pooled,
        current_wave=current_wave,
        waves=used,
        binary=binary,
        n_current=n_current,
        needed=needed,
        population=population,
        n_excluded=excluded,
        skip=skip,
        skip_fields=fields,
    )
