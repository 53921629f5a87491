"""Key-driver analysis: relative importance of experience attributes for an outcome.

Which parts of the experience move recommendation, satisfaction and retention, and which
should be fixed first? Correlations and regression betas mislead when attributes are
correlated (they always are), so the answers here are relative-importance methods:

- :func:`driver_importance` — exact Shapley value / LMG decomposition of R² (all-subsets
  engine that works from the correlation matrix, exact to 24 drivers), Johnson's relative
  weights, correlations and standardised coefficients; bootstrap intervals, a noise
  baseline, weights, binary outcomes (logistic), listwise or pairwise missing data.
- :func:`importance_performance` — importance–performance quadrants and a priority list.
- :func:`all_subsets_r2`, :func:`shapley_from_subsets`, :func:`sampled_shapley`,
  :func:`relative_weights` — the array-level engines; :class:`BootstrapDraws` — the seeded
  bootstrap resamples as draw counts, drawn a chunk of rows at a time.
"""

from cxresearch.stats.drivers.core import (
    MAX_EXACT,
    MAX_EXACT_BINARY,
    METHODS,
    NOISE_DRIVER,
    driver_importance,
)
from cxresearch.stats.drivers.ipa import PRIORITIES, importance_performance
from cxresearch.stats.drivers.relative_weights import logistic_relative_weights, relative_weights
from cxresearch.stats.drivers.resample import BootstrapDraws
from cxresearch.stats.drivers.subsets import all_subsets_r2, sampled_shapley, shapley_from_subsets

__all__ = [
    "MAX_EXACT",
    "MAX_EXACT_BINARY",
    "METHODS",
    "NOISE_DRIVER",
    "PRIORITIES",
    "BootstrapDraws",
    "all_subsets_r2",
    "driver_importance",
    "importance_performance",
    "logistic_relative_weights",
    "relative_weights",
    "sampled_shapley",
    "shapley_from_subsets",
]
