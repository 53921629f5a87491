"""Where the coverage study found an interval too narrow, so the report can say so beside it.

``benchmarks/coverage.py`` (→ ``docs/coverage.md``) measures how often the reports'
95 % intervals contain the truth. Most cells are within 1.5 points of 95 %; these are not
(20,000 samples per cell), and :func:`narrow_interval` flags estimates like them:

* **means** of ratings piled up at the top of the scale with weights (Hall's
  skewness-corrected interval): 91.1–93.1 % up to n = 100 with a design effect of 1.3,
  and with a design effect ≥ 2 82.4–93.5 % up to n = 300 and 93.1 % even at n = 1,000
  (flagged: weighted n < 300 or a design effect ≥ 2). Unweighted they now meet the aim
  (94.3–95.6 % from n = 30; the plain t interval had 92.1–92.9 % at n = 30–50, which
  were flagged);
* **shares** with weights: near the ends of the scale (≤ 15 % or ≥ 85 %) 91.4–93.4 % up
  to n = 100 with a design effect of 1.3, and with a design effect ≥ 2 below 93.5 % up
  to n = 100 anywhere and up to n = 1,000 near the ends (CES easy 96 %: 93.0 %) (flagged:
  near the ends under n = 300 or with a design effect ≥ 2; otherwise with a design effect
  ≥ 2 under n = 1,000);
* **NPS** with weights and a design effect ≥ 2: 89.9–93.3 % up to n = 300 (flagged under
  n = 1,000).

Unweighted NPS, share and mean intervals meet the aim (Wilson and adjusted Wald are, if
anything, conservative at the scale's ends). The design effect here is Kish's,
``n / n_effective``: lognormal weights with σ = 0.5 have 1.28, with σ = 1 2.72.
``tests/unit/test_coverage_caveats.py`` checks the rule against every cell of
``docs/coverage.md`` below 93.5 %.
"""

from __future__ import annotations

import math

__all__ = ["HEAVY_DESIGN_EFFECT", "narrow_interval"]

#: Kish design effect from which weights count as heavy (σ = 1 lognormal weights: 2.7).
HEAVY_DESIGN_EFFECT = 2.0


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
    >>> narrow_interval("nps", n=200, n_effective=190, value=30, weighted=True)
    False
    """
    if not n > 0 or not math.isfinite(n_effective) or not n_effective > 0:
        return False
    deff = n / n_effective if weighted else 1.0
    heavy = weighted and deff >= HEAVY_DESIGN_EFFECT
    if family == "mean":
        return (heavy or n < 300) if weighted else False
    if not weighted:
        return False
    if family == "share":
        extreme = value <= 15 or value >= 85
        return (extreme and (heavy or n < 300)) or (heavy and n < 1000)
    if family == "nps":
        return heavy and n < 1000
    return False
