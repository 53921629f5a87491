"""Import and call the peer, dominance-analysis 1.1.9, on current numpy and IPython.

dominance-analysis 1.1.9 (2023) does not import as shipped here, for two reasons measured
on numpy 2.4 / IPython 9:

* it pins bokeh 2.4.3, whose ``bokeh.core.property.primitive`` reads ``np.bool8``, an alias
  numpy 2 removed (``AttributeError: module 'numpy' has no attribute 'bool8'``);
* it calls ``bokeh.io.output_notebook()`` at import time, and bokeh 2.4.3 calls IPython's
  ``publish_display_data`` with a signature IPython 9 no longer accepts (``TypeError:
  publish_display_data() takes from 1 to 2 positional arguments ...``).

Both are patched here, before the import and outside any timed code: ``np.bool8`` becomes
``np.bool_`` and ``output_notebook`` a no-op. Plotly's ``init_notebook_mode``, which the
peer also calls at import, is made a no-op too: it works, but only prints a blob of
notebook HTML to stdout in a script. None of the patched names is used by the code path
that is timed (``Dominance(...)`` and ``incremental_rsquare()`` fit scikit-learn
``LinearRegression`` models and average the R² increments).

The peer prints progress text and tqdm bars; :func:`peer_shapley` sends them to a buffer so
that the benchmark's table stays readable.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

PEER_VERSION = "1.1.9"
INSTALL_HINT = (
    "install the peer with: .venv/bin/python -m pip install --no-deps "
    "-r benchmarks/requirements.txt"
)

_dominance_class: Any = None


def _noop(*args: object, **kwargs: object) -> None:
    return None


def load_peer() -> Any:
    """Return the peer's ``Dominance`` class, applying the shims once.

    Raises
    ------
    RuntimeError
        When dominance-analysis (or one of the packages it imports) is not installed, or
        is not version 1.1.9, with the command that installs it.
    """
    global _dominance_class
    if _dominance_class is not None:
        return _dominance_class

    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("dominance-analysis")
    except PackageNotFoundError:
        raise RuntimeError(f"dominance-analysis is not installed; {INSTALL_HINT}") from None
    if found != PEER_VERSION:
        raise RuntimeError(
            f"dominance-analysis {found} is installed, the benchmark is written for "
            f"{PEER_VERSION}; {INSTALL_HINT}"
        )

    # numpy 2 removed the alias; bokeh 2.4.3 only uses it to list boolean dtypes.
    if not hasattr(np, "bool8"):
        np.bool8 = np.bool_  # type: ignore[attr-defined]
    try:
        import bokeh.io
        import plotly.offline

        bokeh.io.output_notebook = _noop
        plotly.offline.init_notebook_mode = _noop
        with warnings.catch_warnings():
            # plotly 5 sets a pandas option that pandas 3 deprecates; not our concern.
            warnings.filterwarnings("ignore", message=".*mode.chained_assignment.*")
            from dominance_analysis import Dominance
    except ImportError as exc:
        raise RuntimeError(f"cannot import dominance-analysis ({exc}); {INSTALL_HINT}") from exc
    _dominance_class = Dominance
    return Dominance


def peer_shapley(frame: pd.DataFrame, *, outcome: str, drivers: Sequence[str]) -> pd.DataFrame:
    """Run the peer's dominance analysis of a linear model, as its README shows.

    Parameters
    ----------
    frame : DataFrame
        Holds ``outcome`` and ``drivers``; driver names must not contain spaces, because
        the peer keys its sub-models by the space-joined names.
    outcome, drivers : str, sequence of str
        Column names.

    Returns
    -------
    DataFrame
        Indexed by driver in the order given, with ``incremental_r2`` (the peer's
        ``incremental_rsquare()``: the mean of the individual, every average partial and
        the conditional dominance, i.e. the general dominance / LMG / Shapley R² share)
        and ``total_dominance`` (``dominance_stats()["Total Dominance"]``, the same
        average written another way).

    References
    ----------
    Budescu (1993), "Dominance analysis: a new approach to the problem of relative
    importance of predictors in multiple regression", Psychological Bulletin 114(3).
    """
    names = list(drivers)
    bad = [name for name in names if " " in name]
    if bad:
        raise ValueError(f"drivers: the peer cannot handle names with spaces, got {bad!r}")
    dominance_class = load_peer()
    data = frame.loc[:, [*names, outcome]].copy()
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        # top_k defaults to min(p, 15); pass p so that it never drops a driver.
        model = dominance_class(data=data, target=outcome, top_k=len(names), objective=1)
        incremental = model.incremental_rsquare()
        stats = model.dominance_stats()
    return pd.DataFrame(
        {
            "incremental_r2": [float(incremental[name]) for name in names],
            "total_dominance": stats.loc[names, "Total Dominance"].to_numpy(dtype=float),
        },
        index=pd.Index(names, name="driver"),
    )
