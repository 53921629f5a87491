"""Raking 1,000,000 rows against weightipy 0.4.2, and weighted NPS with its linearised SE.

Run by ``make bench`` (after ``benchmarks/run.py``) or on its own::

    .venv/bin/python -m pip install --no-deps -r benchmarks/requirements.txt
    .venv/bin/python benchmarks/bench_raking.py [--rows N] [--repeat K] [--seed S]

Both sides rake the same frame (three variables with 2, 5 and 6 levels, the sample's mix
deliberately unlike the margins and the variables associated, so that raking needs many
sweeps) to full convergence: ``cxresearch.rake(..., tol=1e-12)`` and weightipy's
``Rim(convcrit=1e-12)`` (it stops when a sweep no longer improves its weights). Both
weight vectors are normalised to mean 1 and compared: the run fails (exit 1) when they
differ by more than 1e-9. Times are the best of ``--repeat`` calls after one warm-up call,
both sides in this process, one after the other; the ratio is printed with the issue's
aim (at least 5× faster). Weighted NPS with its design-based SE is timed for the
weights-only design (a plain array) and for the raked design (the raked Series).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import pandas as pd

import cxresearch as cx

AIM_RATIO = 5.0
TOLERANCE = 1e-9
MARGINS = {
    "sex": {"f": 0.51, "m": 0.49},
    "age": {"18-29": 0.18, "30-44": 0.24, "45-59": 0.25, "60-74": 0.22, "75+": 0.11},
    "region": {
        "uusimaa": 0.31,
        "pirkanmaa": 0.10,
        "varsinais-suomi": 0.09,
        "pohjois-pohjanmaa": 0.08,
        "keski-suomi": 0.05,
        "muu": 0.37,
    },
}


def make_frame(rows: int, seed: int) -> pd.DataFrame:
    """Respondents whose mix differs from MARGINS, with age and region associated."""
    rng = np.random.Generator(np.random.PCG64(seed))
    sex = rng.choice(["f", "m"], rows, p=[0.62, 0.38])
    age_levels = list(MARGINS["age"])
    age = rng.choice(len(age_levels), rows, p=[0.08, 0.17, 0.27, 0.31, 0.17])
    region_levels = list(MARGINS["region"])
    base = np.array([0.45, 0.12, 0.10, 0.06, 0.05, 0.22])
    # Older respondents live outside Uusimaa more often: region depends on age.
    tilt = np.array([-0.06, 0.0, 0.01, 0.01, 0.01, 0.03])
    probs = np.clip(base + np.outer(age - 2, tilt), 0.01, None)
    probs /= probs.sum(axis=1, keepdims=True)
    region = (probs.cumsum(axis=1) > rng.random(rows)[:, None]).argmax(axis=1)
    nps = np.clip(np.rint(7.0 + 0.4 * (age - 2) + rng.normal(0, 2.2, rows)), 0, 10)
    return pd.DataFrame(
        {
            "row_id": np.arange(rows),
            "sex": sex,
            "age": np.asarray(age_levels)[age],
            "region": np.asarray(region_levels)[region],
            "nps": nps.astype("int64"),
        }
    )


def best_of(call: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    call()  # warm-up: imports, caches
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        best = min(best, time.perf_counter() - started)
    return best, result


def peer_weights(frame: pd.DataFrame) -> np.ndarray:
    import weightipy as wp

    percent = {col: {k: 100.0 * v for k, v in shares.items()} for col, shares in MARGINS.items()}
    scheme = wp.scheme_from_dict(
        percent, name="bench", rim_params={"convcrit": 1e-12, "max_iterations": 1000}
    )
    out = wp.weight_dataframe(frame, scheme, weight_column="w")
    order = np.argsort(out["row_id"].to_numpy())
    return out["w"].to_numpy(dtype="float64")[order]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261129)
    args = parser.parse_args(argv)
    try:
        import weightipy

        peer_version = weightipy.__version__
    except ImportError:
        print(
            "weightipy 0.4.2 is needed: .venv/bin/python -m pip install --no-deps -r "
            "benchmarks/requirements.txt",
            file=sys.stderr,
        )
        return 2
    print(
        f"Raking benchmark: {args.rows:,} rows, 3 variables (2, 5, 6 levels); "
        f"Python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"cxresearch {cx.__version__}, weightipy {peer_version}; load {os.getloadavg()[0]:.1f}"
    )
    frame = make_frame(args.rows, args.seed)
    ours_s, ours = best_of(lambda: cx.rake(frame, MARGINS, tol=1e-12), args.repeat)
    peer_s, peer = best_of(lambda: peer_weights(frame), max(1, args.repeat - 1))
    ours_w = ours.to_numpy() / ours.to_numpy().mean()
    peer_w = peer / peer.mean()
    diff = float(np.max(np.abs(ours_w - peer_w)))
    ratio = peer_s / ours_s
    print(f"  cxresearch.rake        {ours_s:8.3f} s")
    print(f"  weightipy              {peer_s:8.3f} s")
    print(f"  peer / ours            {ratio:8.1f}x   (aim >= {AIM_RATIO:g}x)")
    print(f"  max |diff| (mean 1)    {diff:8.1e}  (must be < {TOLERANCE:g})")
    nps = frame["nps"]
    raw = ours.to_numpy()
    plain_s, plain = best_of(lambda: cx.nps(nps, weights=raw), args.repeat)
    raked_s, raked = best_of(lambda: cx.nps(nps, weights=ours), args.repeat)
    print(
        f"Weighted NPS with linearised SE, {args.rows:,} rows:\n"
        f"  weights-only design    {plain_s:8.3f} s  (NPS {plain.value:.2f}, SE {plain.se:.4f})\n"
        f"  raked design           {raked_s:8.3f} s  (NPS {raked.value:.2f}, SE {raked.se:.4f})"
    )
    met = ratio >= AIM_RATIO
    verdict = "met" if met else "MISSED"
    print(f"\nTarget (issue #13): [{verdict}] raking >= {AIM_RATIO:g}x weightipy")
    if not diff < TOLERANCE:
        print(f"FAILED: weights differ by {diff:.3g}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
