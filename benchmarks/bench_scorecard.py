"""The journey scorecard by segment on 1,000,000 responses from Parquet, against plain pandas.

Issue #16 asks for "the scorecard by segment on 1,000,000 responses in seconds from
Parquet, measured against plain pandas". Both sides start from the same Parquet file and
are timed with ``time.perf_counter`` in this process, each the best of ``--repeat`` runs:

- **ours**: ``cxresearch.load_responses`` (reads the Parquet file and validates every
  column against the responses schema), the three-level metric model of the demo params
  (``model_metric`` + ``add_metric_columns``) and ``metric_table`` by segment: for every
  metric and segment the estimate, its interval (adjusted Wald for NPS, Wilson for shares,
  t for means, each with the registry's linearised variance), n and effective n.
- **pandas**: ``pandas.read_parquet`` and one ``groupby(...).agg`` per metric with the
  textbook Wald / t interval an analyst would write by hand (no validation, no design).

The point estimates and bases of both sides must agree (to 1e-9); the means' t intervals
too. The data are synthetic, seeded: 15 segments (region × size), three waves, customer
types, NPS/CSAT/CES, retention for current customers, CLV, handling time on 30 % of rows.

    .venv/bin/python benchmarks/bench_scorecard.py               # 1,000,000 rows
    .venv/bin/python benchmarks/bench_scorecard.py --rows 200000 --repeat 1
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

DEFAULT_SEED = 20261116
BY = "segment"
TOLERANCE = 1e-9


def make_frame(n: int, *, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """Seeded synthetic responses in the canonical schema (typed, as a survey tool exports)."""
    rng = np.random.Generator(np.random.PCG64(seed))
    regions = np.array(["uusimaa", "pirkanmaa", "varsinais-suomi", "pohjois-pohjanmaa", "muu"])
    sizes = np.array(["small", "medium", "enterprise"])
    region = regions[rng.integers(0, 5, n)]
    size = sizes[rng.integers(0, 3, n)]
    kind = np.array(["current", "former", "never"])[rng.choice(3, n, p=[0.75, 0.15, 0.10])]
    latent = rng.normal(0, 1, n) - 0.6 * (kind == "former") - 0.4 * (kind == "never")
    nps = np.clip(np.rint(8 + 2 * latent), 0, 10)
    csat = np.clip(np.rint(3.6 + latent), 1, 5)
    ces = np.clip(np.rint(4.8 + 1.3 * latent), 1, 7)
    current = kind == "current"
    retained = pd.array(
        np.where(current, rng.random(n) < 1 / (1 + np.exp(-(1.6 + latent))), False),
        dtype="boolean",
    )
    retained[kind == "never"] = pd.NA
    handling = np.where(
        rng.random(n) < 0.3, np.exp(2.2 - 0.2 * latent + rng.normal(0, 0.5, n)), np.nan
    )
    return pd.DataFrame(
        {
            "response_id": [f"R{i:07d}" for i in range(n)],
            "client": "bench",
            "wave": np.array(["2026Q1", "2026Q2", "2026Q3"])[rng.integers(0, 3, n)],
            "customer_type": kind,
            "region": region,
            "size": size,
            BY: np.char.add(np.char.add(region, "/"), size),
            "nps": nps.astype("int64"),
            "csat": csat.astype("int64"),
            "ces": ces.astype("int64"),
            "retained": retained,
            "clv": np.round(np.exp(6 + 0.2 * latent + rng.normal(0, 0.4, n)), 2),
            "handling_minutes": handling,
        }
    )


def model() -> list[Any]:
    """The metric model: the demo params' three levels on the synthetic columns."""
    from cxresearch.journey.model import model_metric
    from cxresearch.journey.spec import JourneyMetric

    entries = [
        {
            "name": "retention",
            "level": "outcome",
            "column": "retained",
            "kind": "share",
            "population": {"customer_type": "current"},
        },
        {"name": "clv", "level": "outcome", "column": "clv", "kind": "mean"},
        {"name": "nps", "level": "experience"},
        {"name": "csat", "level": "experience"},
        {"name": "ces", "level": "experience"},
        {
            "name": "handling_time",
            "level": "operational",
            "column": "handling_minutes",
            "kind": "mean",
            "direction": "lower",
        },
    ]
    return [model_metric(JourneyMetric.model_validate(e)) for e in entries]


def ours(path: Path, parts: dict[str, float] | None = None) -> pd.DataFrame:
    """load_responses (validated) + metric columns + metric_table by segment.

    ``parts`` receives the seconds of the two steps: ``load`` (read and validate) and
    ``table`` (metric columns and the table).
    """
    from cxresearch.data import load_responses
    from cxresearch.journey.model import add_metric_columns, metric_table

    metrics = model()
    start = time.perf_counter()
    frame = load_responses(path)
    loaded = time.perf_counter()
    rows = add_metric_columns(frame, metrics)
    table = metric_table(rows, metrics, by=BY)
    if parts is not None:
        parts["load"] = min(parts.get("load", float("inf")), loaded - start)
        parts["table"] = min(parts.get("table", float("inf")), time.perf_counter() - loaded)
    return table


def _wald(share: pd.Series, n: pd.Series) -> tuple[pd.Series, pd.Series]:
    half = 1.959963984540054 * np.sqrt(share * (1 - share) / n)
    return 100 * (share - half), 100 * (share + half)


def pandas_peer(path: Path) -> pd.DataFrame:
    """What an analyst writes with pandas alone: read, group, aggregate, Wald / t intervals."""
    df = pd.read_parquet(path)
    out = []
    current = df[df["customer_type"] == "current"]
    kept = current.dropna(subset=["retained"]).assign(r=lambda d: d["retained"].astype(float))
    g = kept.groupby(BY)["r"].agg(["mean", "count"])
    low, high = _wald(g["mean"], g["count"])
    out.append(
        pd.DataFrame(
            {
                "name": "retention",
                "value": 100 * g["mean"],
                "n": g["count"],
                "ci_low": low,
                "ci_high": high,
            }
        )
    )
    for name, column in (("clv", "clv"), ("handling_time", "handling_minutes")):
        g = df.groupby(BY)[column].agg(["mean", "std", "count"])
        half = stats.t.ppf(0.975, g["count"] - 1) * g["std"] / np.sqrt(g["count"])
        out.append(
            pd.DataFrame(
                {
                    "name": name,
                    "value": g["mean"],
                    "n": g["count"],
                    "ci_low": g["mean"] - half,
                    "ci_high": g["mean"] + half,
                }
            )
        )
    flags = df.assign(
        promoter=df["nps"] >= 9,
        detractor=df["nps"] <= 6,
        satisfied=df["csat"] >= 4,
        easy=df["ces"] >= 5,
    )
    g = flags.groupby(BY).agg(p=("promoter", "mean"), q=("detractor", "mean"), n=("nps", "count"))
    se = np.sqrt((g["p"] + g["q"] - (g["p"] - g["q"]) ** 2) / g["n"])
    nps = 100 * (g["p"] - g["q"])
    out.append(
        pd.DataFrame(
            {
                "name": "nps",
                "value": nps,
                "n": g["n"],
                "ci_low": nps - 196 * se,
                "ci_high": nps + 196 * se,
            }
        )
    )
    for name, flag, column in (("csat", "satisfied", "csat"), ("ces", "easy", "ces")):
        g = flags.groupby(BY).agg(share=(flag, "mean"), n=(column, "count"))
        low, high = _wald(g["share"], g["n"])
        out.append(
            pd.DataFrame(
                {
                    "name": name,
                    "value": 100 * g["share"],
                    "n": g["n"],
                    "ci_low": low,
                    "ci_high": high,
                }
            )
        )
    return pd.concat(out).reset_index()


def _best(call: Callable[[], pd.DataFrame], repeat: int) -> tuple[float, pd.DataFrame]:
    best, result = float("inf"), pd.DataFrame()
    for _ in range(repeat):
        start = time.perf_counter()
        result = call()
        best = min(best, time.perf_counter() - start)
    return best, result


def compare(a: pd.DataFrame, b: pd.DataFrame) -> dict[str, float]:
    """Largest differences of value and n (all metrics) and of the means' t intervals."""
    left = a.set_index(["name", BY]).sort_index()
    right = b.set_index(["name", BY]).sort_index()
    if not left.index.equals(right.index):
        raise AssertionError("the two sides report different metric × segment cells")
    means = left.index.get_level_values("name").isin(["clv", "handling_time"])
    return {
        "max_value_diff": float((left["value"] - right["value"]).abs().max()),
        "max_n_diff": float((left["n"] - right["n"]).abs().max()),
        "max_mean_ci_diff": float(
            np.abs(
                left.loc[means, ["ci_low", "ci_high"]].to_numpy()
                - right.loc[means, ["ci_low", "ci_high"]].to_numpy()
            ).max()
        ),
        "cells": float(len(left)),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--json", action="store_true", help="print one JSON line only")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "responses.parquet"
        start = time.perf_counter()
        make_frame(args.rows, seed=args.seed).to_parquet(path, index=False)
        made = time.perf_counter() - start
        ours(path)  # warm-up: imports and the file cache, untimed
        parts: dict[str, float] = {}
        ours_s, result = _best(lambda: ours(path, parts), args.repeat)
        peer_s, peer = _best(lambda: pandas_peer(path), args.repeat)
        size_mib = path.stat().st_size / 2**20
    check = compare(result, peer)
    record = {
        "rows": args.rows,
        "segments": int(result[BY].nunique()),
        "metrics": len(model()),
        "parquet_mib": size_mib,
        "make_s": made,
        "ours_s": ours_s,
        "pandas_s": peer_s,
        "ratio": ours_s / peer_s,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        **check,
    }
    ok = check["max_value_diff"] <= TOLERANCE and check["max_n_diff"] == 0
    ok &= check["max_mean_ci_diff"] <= 1e-6
    if args.json:
        print(json.dumps(record))
    else:
        print(
            f"scorecard by segment: {args.rows:,} rows, {record['segments']} segments, "
            f"{record['metrics']} metrics ({int(check['cells'])} cells), Parquet "
            f"{size_mib:.1f} MiB\n"
            f"  ours   (load_responses + metric model + metric_table): {ours_s:.2f} s "
            f"(best parts: read and validate {parts['load']:.2f} s, metric columns and "
            f"table {parts['table']:.2f} s)\n"
            f"  pandas (read_parquet + groupby.agg + Wald/t by hand): {peer_s:.2f} s\n"
            f"  ours / pandas: {ours_s / peer_s:.1f}x; peak RSS {record['peak_rss_mib']:.0f} MiB\n"
            f"  agreement: value {check['max_value_diff']:.1e}, n {check['max_n_diff']:.0f}, "
            f"mean intervals {check['max_mean_ci_diff']:.1e}"
        )
    if not ok:
        print("FAILED: the two sides disagree", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
