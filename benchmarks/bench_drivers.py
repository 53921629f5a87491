"""Driver importance cases: cxresearch against dominance-analysis 1.1.9 (issue #8).

Each case runs in a child process of its own (``run.py`` starts ``python bench_drivers.py
--child '<json spec>'``) so that the peak resident memory it reports, ``ru_maxrss``, belongs
to that case alone. Inside the child both sides see the same frame and are timed with
``time.perf_counter`` in the same process: ours first (the best of ``repeat`` calls, after
an untimed warm-up that loads every module), then the peer. The child prints one JSON
object as its last line of output.

The data are synthetic: ``p`` correlated normal drivers (correlation ``0.3 + 0.7 *
0.5**|i - j|``, a common factor plus neighbours that move together, as survey attributes
do) drawn with ``numpy.random.Generator(PCG64(seed))``, and a linear outcome with
decreasing weights plus noise for a population R² of 0.4.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
import tracemalloc
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
import pandas as pd

# Our Shapley values and the peer's must agree to this (absolute, R² units): both are
# exact computations of the same 2^p least-squares fits, so only rounding may differ.
TOLERANCE = 1e-8
DEFAULT_SEED = 20260801
OUTCOME = "y"
RELATIVE_WEIGHTS_METHOD = "relative-weights"

T = TypeVar("T")


def driver_names(p: int) -> list[str]:
    """Names ``x01 .. xPP``: sortable and free of spaces (the peer needs the latter)."""
    return [f"x{j + 1:02d}" for j in range(p)]


def make_frame(n: int, p: int, *, seed: int = DEFAULT_SEED, r2: float = 0.4) -> pd.DataFrame:
    """Seeded synthetic drivers and outcome, the same for both sides of a case."""
    if n < p + 2:
        raise ValueError(f"n: need at least p + 2 = {p + 2} rows, got {n}")
    rng = np.random.Generator(np.random.PCG64(seed))
    lag = np.abs(np.subtract.outer(np.arange(p), np.arange(p)))
    sigma = 0.3 + 0.7 * 0.5**lag
    x = rng.standard_normal((n, p)) @ np.linalg.cholesky(sigma).T
    beta = np.linspace(1.0, 0.2, p)
    explained = float(beta @ sigma @ beta)
    noise_sd = np.sqrt(explained * (1.0 - r2) / r2)
    y = x @ beta + noise_sd * rng.standard_normal(n)
    frame = pd.DataFrame(x, columns=driver_names(p))
    frame[OUTCOME] = y
    return frame


def _peak_rss_mib() -> float:
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _best_of(call: Callable[[], T], repeat: int) -> tuple[float, T]:
    best = float("inf")
    result: Any = None
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        result = call()
        best = min(best, time.perf_counter() - start)
    return best, result


def _traced_peak_mib(call: Callable[[], object]) -> float:
    # numpy reports its data buffers to tracemalloc, so this is the peak of what one call
    # allocates on top of what is already alive, Python objects and arrays alike.
    tracemalloc.start()
    try:
        call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def _warm_up() -> None:
    import cxresearch

    small = make_frame(50, 3, seed=1)
    cxresearch.driver_importance(small, outcome=OUTCOME, drivers=driver_names(3))


def _engine(frame: pd.DataFrame, drivers: Sequence[str]) -> np.ndarray:
    from cxresearch.stats.drivers import all_subsets_r2, shapley_from_subsets

    # The engine wants the outcome first.
    corr = np.corrcoef(frame.loc[:, [OUTCOME, *drivers]].to_numpy(), rowvar=False)
    r2_all = all_subsets_r2(corr)
    return np.asarray(shapley_from_subsets(r2_all, len(drivers)))


def case_shapley(spec: dict[str, Any]) -> dict[str, Any]:
    """Exact Shapley (LMG) importance: ours, our engine alone, and optionally the peer."""
    import cxresearch

    n, p = int(spec["n"]), int(spec["p"])
    drivers = driver_names(p)
    frame = make_frame(n, p, seed=int(spec["seed"]))
    _warm_up()
    rss_before = _peak_rss_mib()

    def ours() -> pd.DataFrame:
        return cxresearch.driver_importance(
            frame, outcome=OUTCOME, drivers=drivers, method="shapley"
        )

    ours_s, table = _best_of(ours, int(spec["repeat"]))
    rss_after = _peak_rss_mib()
    engine_s, engine_values = _best_of(lambda: _engine(frame, drivers), int(spec["repeat"]))
    importance = table.set_index("driver").loc[drivers, "importance"].to_numpy(dtype=float)
    out: dict[str, Any] = {
        "kind": "shapley",
        "n": n,
        "p": p,
        "repeat": int(spec["repeat"]),
        "ours_s": ours_s,
        "engine_s": engine_s,
        "rss_before_mib": rss_before,
        "peak_rss_mib": rss_after,
        "r2": float(table.attrs["r2"]),
        # Shapley values add up to the full model's R² (efficiency): a check that needs no
        # peer, so it covers the sizes the peer cannot reach.
        "efficiency_gap": abs(float(importance.sum()) - float(table.attrs["r2"])),
        "engine_gap": float(np.max(np.abs(engine_values - importance))),
    }
    if spec.get("traced"):
        out["traced_peak_mib"] = _traced_peak_mib(ours)
    if spec.get("peer"):
        from _peer_shim import load_peer, peer_shapley

        load_peer()
        peer_s, peer = _best_of(
            lambda: peer_shapley(frame, outcome=OUTCOME, drivers=drivers),
            int(spec["peer_repeat"]),
        )
        diffs = np.abs(peer.to_numpy() - importance[:, None])
        out.update(peer_s=peer_s, peer_repeat=int(spec["peer_repeat"]))
        out["max_abs_diff"] = float(diffs.max())
    return out


def case_bootstrap(spec: dict[str, Any]) -> dict[str, Any]:
    """Shapley importance with percentile bootstrap intervals."""
    import cxresearch

    n, p, replicates = int(spec["n"]), int(spec["p"]), int(spec["bootstrap"])
    drivers = driver_names(p)
    frame = make_frame(n, p, seed=int(spec["seed"]))
    _warm_up()
    rss_before = _peak_rss_mib()
    seconds, table = _best_of(
        lambda: cxresearch.driver_importance(
            frame, outcome=OUTCOME, drivers=drivers, bootstrap=replicates, seed=int(spec["seed"])
        ),
        int(spec["repeat"]),
    )
    inside = (table["ci_low"] <= table["importance"]) & (table["importance"] <= table["ci_high"])
    width = (table["ci_high"] - table["ci_low"]).to_numpy(dtype=float)
    return {
        "kind": "bootstrap",
        "n": n,
        "p": p,
        "replicates": replicates,
        "repeat": int(spec["repeat"]),
        "ours_s": seconds,
        "rss_before_mib": rss_before,
        "peak_rss_mib": _peak_rss_mib(),
        "estimates_inside_ci": int(inside.sum()),
        # What the call reports it did: replicates used and failed, and real intervals.
        "replicates_reported": int(table.attrs["bootstrap"]),
        "replicates_failed": int(table.attrs.get("bootstrap_failed", 0)),
        "min_ci_width": float(width.min()),
    }


def case_relative_weights(spec: dict[str, Any]) -> dict[str, Any]:
    """Johnson's relative weights, the approximation for many drivers."""
    import cxresearch

    n, p = int(spec["n"]), int(spec["p"])
    drivers = driver_names(p)
    frame = make_frame(n, p, seed=int(spec["seed"]))
    _warm_up()
    rss_before = _peak_rss_mib()
    seconds, table = _best_of(
        lambda: cxresearch.driver_importance(
            frame, outcome=OUTCOME, drivers=drivers, method=RELATIVE_WEIGHTS_METHOD
        ),
        int(spec["repeat"]),
    )
    return {
        "kind": "relative_weights",
        "n": n,
        "p": p,
        "repeat": int(spec["repeat"]),
        "ours_s": seconds,
        "rss_before_mib": rss_before,
        "peak_rss_mib": _peak_rss_mib(),
        "efficiency_gap": abs(float(table["importance"].sum()) - float(table.attrs["r2"])),
    }


CASES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "shapley": case_shapley,
    "bootstrap": case_bootstrap,
    "relative_weights": case_relative_weights,
}


def child_main(argv: Sequence[str] | None = None) -> int:
    """Run one case from a JSON spec and print its result as the last line of stdout."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", required=True, metavar="JSON", help="case spec")
    args = parser.parse_args(argv)
    spec = json.loads(args.child)
    kind = spec.get("kind")
    if kind not in CASES:
        raise SystemExit(f"--child: unknown kind {kind!r}; expected one of {sorted(CASES)}")
    result = CASES[kind](spec)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    # Started as a script, so this folder is on sys.path and _peer_shim imports.
    raise SystemExit(child_main())
