"""Where the coverage study found an interval too narrow, so the report can say so beside it.

``benchmarks/coverage.py`` (→ ``docs/coverage.md``) measures how often the reports'
95 % intervals contain the truth. Weighted intervals use the small-sample variance
(:mod:`cxresearch.stats.design`: CR2 and Bell & McCaffrey df), which brought most
weighted cells within 1.5 points (the plain linearised variance had 81–94 % with heavy
weights up to n = 300). These are still below 93.5 % (10,000 samples per cell, ±0.22),
and :func:`narrow_interval` flags estimates like them:

* **means** with weights (ratings piled up at the top of the scale, weights correlated
  negatively with the answers): 92.9–93.4 % up to n = 100 with a design effect of 1.3,
  and with a design effect ≥ 2 92.0–93.4 % up to n = 300 (flagged: weighted n < 300,
  or a design effect ≥ 2 under n = 1,000);
* **shares** near the ends of the scale (≤ 15 % or ≥ 85 %) with a design effect ≥ 2:
  91.8–93.3 % at n = 50–300 (CES easy 96 %, CSAT 90 %) (flagged: near the ends with a
  design effect ≥ 2 under n = 1,000); and **raked** (design effect 1.5): 92.5–93.3 % at
  n = 50–100 (flagged: near the ends with a design effect ≥ 1.4 under n = 300).

Raked designs (the study's "Raked designs" table: two margins, design effect about 1.5)
meet the aim at n ≥ 300; below, raked means (92.8–93.2 % at n = 30–50) are flagged by
the means' rule, raked NPS and mid-range shares cover 93.5–96.1 %.

Weighted NPS intervals and weighted shares away from the ends meet the aim everywhere
(94.9–97.3 %; conservative rather than narrow at n ≤ 100 with heavy weights), and so do
unweighted NPS, share and mean intervals: none of them is flagged. The design effect here
is Kish's, ``n / n_effective``: lognormal weights with σ = 0.5 have 1.28, with σ = 1 2.72.
``tests/unit/test_coverage_caveats.py`` checks the rule against every cell of
``docs/coverage.md`` below 93.5 %.
"""

from __future__ import annotations

import math

__all__ = ["HEAVY_DESIGN_EFFECT", "SMALL_BASE_DESIGN_EFFECT", "narrow_interval"]

#: Kish design effect from which weights count as heavy (σ = 1 lognormal weights: 2.7).
HEAVY_DESIGN_EFFECT = 2.0
#: Under n = 300, the design effect from which a share near the ends is flagged (the raked
#: study's weights: 1.5; σ = 0.5 lognormal weights, 1.28, cover 93.5–94.8 % there).
SMALL_BASE_DESIGN_EFFECT = 1.4


def narrow_interval(
    family: str, *, n: float, n_effective: float, value: float, weighted: bool
) -> bool:
    """Whether the coverage study found intervals like this one narrower than stated.

    Parameters
    ----------
    family : {"nps", "share", "mean"}
        The metric's interval family (``Metric.family``).
    n, n_effective : float
        The answers behind the estimate and Kish's effective base.
    value : float
        The estimate on its own scale (percentages 0..100 for shares).
    weighted : bool
        Whether the estimate is weighted.

    Examples
    --------
    >>> narrow_interval("mean", n=40, n_effective=40, value=6.1, weighted=False)
    False
    >>> narrow_interval("mean", n=200, n_effective=160, value=6.1, weighted=True)
    True
    >>> narrow_interval("nps", n=200, n_effective=80, value=30, weighted=True)
    False
    >>> narrow_interval("share", n=200, n_effective=80, value=96, weighted=True)
    True
    """
    if not n > 0 or not math.isfinite(n_effective) or not n_effective > 0:
        return False
    if not weighted:
        return False
    deff = n / n_effective
    heavy = deff >= HEAVY_DESIGN_EFFECT
    if family == "mean":
        return n < 300 or (heavy and n < 1000)
    if family == "share":
        extreme = value <= 15 or value >= 85
        return extreme and ((heavy and n < 1000) or (deff >= SMALL_BASE_DESIGN_EFFECT and n < 300))
    return False
