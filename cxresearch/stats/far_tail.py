"""The far tail of a mean or an NPS: pseudo-answers at the ends of the scale.

A table adjusted for multiplicity prints its intervals at the adjusted level (99.5 % for
the first of 10 targets under Holm), so its verdicts rest on the tests' far tails (0.25 %
per side). There a mean of ratings piled up at the top of the scale, or an NPS with few
detractors, is anticonservative: samples that happen to lack the rare low answers have a
standard error (and, for Hall's correction, a skewness) that is too small, and 10 true
targets showed a false verdict in up to 7.9 % of Holm tables (docs/coverage.md). No
estimate from such a sample can know about answers it does not contain; what is known is
the scale. So, from the 99 % level on (:data:`cxresearch.stats.exact.TAIL_ALPHA`), the
registry joins the family's interval (Hall's for means, adjusted Wald for NPS) with the
interval of the sample plus :data:`PSEUDO_ANSWERS` answers at each end of the scale, the
mean's analogue of Agresti & Coull's (1998) "add two successes and two failures" (for a
0/1 answer it *is* their interval): the two-point distribution at the ends has the largest
variance any answer on the scale can have, so the added answers keep the standard error
from collapsing, and they pull the centre towards the middle of the scale.

With the effective n ``n*`` (``n`` unweighted; the design's with weights, so that the
pseudo-answers enter with the mean weight and the design's variance keeps its terms), the
estimate ``θ̂``, the per-respondent variance ``σ̂²`` and ends ``a < b``::

    ñ  = n* + 2c
    θ̃  = (n*·θ̂ + c·(a + b)) / ñ
    σ̃² = (n*·(σ̂² + (θ̂ − θ̃)²) + c·((a − θ̃)² + (b − θ̃)²)) / ñ
    interval  θ̃ ± t_{df}·sqrt(σ̃²/ñ),   test  (θ̃ − μ₀)/sqrt(σ̃²/ñ) on t_{df}

(unweighted, ``θ̃`` and ``σ̃²`` are the mean and the divide-by-n variance of the sample
with ``c`` answers added at ``a`` and at ``b``). The interval contains ``θ̂`` whenever the
critical value is at least ``sqrt(2c)`` = 2, i.e. at every level of the far tail, so its
union with the family's interval (which contains ``θ̂`` too) is an interval.

Chosen in the coverage study ("Far tail of means and NPS") over 1, 1.5 pseudo-answers and
Agresti–Coull's level-dependent ``z²/2``: the fewest that bring every mean and NPS
distribution's Holm table under 5 %, weighted or not.

References
----------
Agresti, A. & Coull, B. A. (1998). Approximate is better than "exact" for interval
estimation of binomial proportions. *The American Statistician* 52(2), 119–126.
Brown, L. D., Cai, T. T. & DasGupta, A. (2001). Interval estimation for a binomial
proportion. *Statistical Science* 16(2), 101–133.

Examples
--------
A share of 45/50 (a 0/1 answer, variance 0.9·0.1) gives Agresti–Coull's centre
47/54 and SE ``sqrt(p̃(1 − p̃)/54)``:

>>> centre, se = ends_pivot(np.array([0.9]), np.array([0.09]), np.array([50.0]), 0.0, 1.0)
>>> [round(float(centre[0]), 6), round(float(se[0]), 6)]
[0.87037, 0.04571]
"""

from __future__ import annotations

import numpy as np

__all__ = ["PSEUDO_ANSWERS", "ends_pivot"]

#: Answers added at each end of the scale (Agresti & Coull's "plus four": two each).
PSEUDO_ANSWERS = 2.0


def ends_pivot(
    theta: np.ndarray,
    sigma2: np.ndarray,
    n: np.ndarray,
    low: float,
    high: float,
    pseudo: float = PSEUDO_ANSWERS,
) -> tuple[np.ndarray, np.ndarray]:
    """Centre and SE of the sample with ``pseudo`` answers added at ``low`` and ``high``.

    Parameters
    ----------
    theta, sigma2, n : numpy.ndarray
        Estimate, per-respondent (divide-by-n) variance and effective n of each group, on
        the score's unit scale.
    low, high : float
        Ends of the score's scale (NPS: −1 and 1; a 1–7 rating: 1 and 7).
    pseudo : float
        Answers added at each end.

    Returns
    -------
    (centre, se) : tuple of numpy.ndarray
        The interval at a level is ``centre ± t·se`` on the design's df, and the test of
        ``μ₀`` refers ``(centre − μ₀)/se`` to the same t, so the two agree by construction.
    """
    theta = np.asarray(theta, dtype="float64")
    n = np.asarray(n, dtype="float64")
    total = n + 2.0 * pseudo
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = (n * theta + pseudo * (low + high)) / total
        spread = (
            n * (np.asarray(sigma2, dtype="float64") + (theta - centre) ** 2)
            + pseudo * ((low - centre) ** 2 + (high - centre) ** 2)
        ) / total
        return centre, np.sqrt(spread / total)
