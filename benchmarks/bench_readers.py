"""Reading survey exports: cxresearch.read_export against the plain readers (issue 14).

Cases, each run in a fresh process so that peak memory (ru_maxrss) belongs to one reader:

- a Qualtrics-shaped CSV (three header rows, 17 metadata + 43 question columns = 60,
  ratings with -99 codes, choice text, comments with commas, quotes and line breaks, 1 %
  previews), 1,000,000 rows: ``read_export`` against ``pandas.read_csv(path,
  skiprows=[1, 2])`` (the plain reader, letting pandas infer types);
- a 200,000-row ``.sav`` (60 variables with labels, value labels and user-missing
  ranges): ``read_export`` against ``pyreadstat.read_sav(path)``.

``read_export`` does more than the peers: it decides the encoding from the whole file,
refuses rows with a wrong field count, keeps every cell as written (text), reads the three
header rows and counts previews; for SPSS it also counts and sets user-missing values.
Ratios are ours / peer in the same run; the aim (issue 14) is within 1.5×.

Examples
--------
    .venv/bin/python benchmarks/bench_readers.py              # 1,000,000 and 200,000 rows
    .venv/bin/python benchmarks/bench_readers.py --rows 100000 --sav-rows 20000 --repeat 1
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 14
BLOCK = 20_000
META = ["StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)",
        "Finished", "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName",
        "RecipientEmail", "ExternalReference", "LocationLatitude", "LocationLongitude",
        "DistributionChannel", "UserLanguage"]  # fmt: skip
COMMENTS = ["", "", "Fast delivery, thanks!", 'The "track" page was slow', "Hyvä palvelu",
            "Line one\nline two", "Too expensive"]  # fmt: skip


def _block(rng: np.random.Generator, start: int) -> pd.DataFrame:
    n = BLOCK
    stamps = pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 8e6, n), unit="s")
    cols: dict[str, object] = {
        "StartDate": stamps.strftime("%Y-%m-%d %H:%M:%S"),
        "EndDate": (stamps + pd.Timedelta(minutes=5)).strftime("%Y-%m-%d %H:%M:%S"),
        "Status": np.where(rng.random(n) < 0.01, "Survey Preview", "IP Address"),
        "IPAddress": [f"192.0.2.{i % 250}" for i in range(n)],
        "Progress": "100",
        "Duration (in seconds)": rng.integers(30, 900, n).astype(str),
        "Finished": "True",
        "RecordedDate": stamps.strftime("%Y-%m-%d %H:%M:%S"),
        "ResponseId": [f"R_{start + i:09d}" for i in range(n)],
        "RecipientLastName": "", "RecipientFirstName": "", "RecipientEmail": "",
        "ExternalReference": "", "LocationLatitude": "60.1699", "LocationLongitude": "24.9384",
        "DistributionChannel": "anonymous", "UserLanguage": "FI",
        "Q1": rng.integers(0, 11, n).astype(str),
    }  # fmt: skip
    for q in range(2, 31):
        values = rng.integers(1, 6, n).astype(str)
        values[rng.random(n) < 0.05] = "-99"
        cols[f"Q{q}"] = values
    for q in range(31, 41):
        cols[f"Q{q}"] = rng.choice(["Web", "Phone", "Chat", "Shop"], n)
    for q in range(41, 44):
        cols[f"Q{q}_TEXT"] = rng.choice(COMMENTS, n)
    return pd.DataFrame(cols)


def write_qualtrics(path: Path, rows: int) -> None:
    rng = np.random.default_rng(SEED)
    names = [*META, "Q1", *(f"Q{q}" for q in range(2, 41)), *(f"Q{q}_TEXT" for q in range(41, 44))]
    assert len(names) == 60
    texts = [n.replace("Q", "Question ") for n in names]
    ids = [json.dumps({"ImportId": f"QID{i}"}, separators=(",", ":")) for i in range(60)]
    with path.open("w", encoding="utf-8", newline="") as out:
        pd.DataFrame([texts, ids], columns=names).to_csv(out, index=False)
        done = 0
        while done < rows:
            block = _block(rng, done).iloc[: rows - done]
            block.to_csv(out, index=False, header=False)
            done += len(block)


def write_sav(path: Path, rows: int) -> None:
    import pyreadstat

    rng = np.random.default_rng(SEED)
    frame = pd.DataFrame({f"q{i}": rng.integers(1, 6, rows).astype(float) for i in range(58)})
    frame.loc[rng.random(rows) < 0.05, "q1"] = 99.0
    frame.insert(0, "id", np.arange(rows, dtype=float))
    frame["comment"] = rng.choice(["", "Hyvä palvelu", "Liian kallis"], rows)
    pyreadstat.write_sav(
        frame,
        path,
        column_labels={f"q{i}": f"Kysymys {i}" for i in range(58)},
        variable_value_labels={
            f"q{i}": {1.0: "Erittäin huono", 5.0: "Erittäin hyvä"} for i in range(58)
        },
        missing_ranges={f"q{i}": [{"lo": 97.0, "hi": 99.0}] for i in range(58)},
    )


CHILD = r"""
import resource, sys, time
kind, path = sys.argv[1], sys.argv[2]
started = time.perf_counter()
if kind == "ours":
    from cxresearch.data.readers import read_export
    frame = read_export(path).data
elif kind == "pandas":
    import pandas as pd
    frame = pd.read_csv(path, skiprows=[1, 2])
else:
    import pyreadstat
    frame, _ = pyreadstat.read_sav(path)
seconds = time.perf_counter() - started
print(seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, len(frame), frame.shape[1])
"""


def measure(kind: str, path: Path, repeat: int) -> dict[str, float]:
    best: dict[str, float] = {}
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", CHILD, kind, str(path)],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "OMP_NUM_THREADS": "2"},
        ).stdout.split()
        seconds, peak_kib, n, k = float(out[0]), float(out[1]), int(out[2]), int(out[3])
        if not best or seconds < best["seconds"]:
            best = {"seconds": seconds, "peak_mib": peak_kib / 1024, "rows": n, "columns": k}
    return best


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="CSV data rows")
    parser.add_argument("--sav-rows", type=int, default=200_000, help=".sav rows")
    parser.add_argument("--repeat", type=int, default=2, help="best of N runs per reader")
    args = parser.parse_args(argv)
    print(f"Readers benchmark (issue 14): {os.cpu_count()} CPUs; best of {args.repeat}; "
          f"load {os.getloadavg()[0]:.1f}")  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        csv_path, sav_path = Path(folder) / "qualtrics.csv", Path(folder) / "survey.sav"
        started = time.perf_counter()
        write_qualtrics(csv_path, args.rows)
        write_sav(sav_path, args.sav_rows)
        size = csv_path.stat().st_size / 2**20
        print(f"  wrote the files in {time.perf_counter() - started:.0f} s "
              f"(CSV {size:.0f} MiB, .sav {sav_path.stat().st_size / 2**20:.0f} MiB)")  # fmt: skip
        rows = []
        for label, path, peer in (
            (f"Qualtrics CSV {args.rows:,} × 60", csv_path, "pandas"),
            (f"SPSS .sav {args.sav_rows:,} × 60", sav_path, "pyreadstat"),
        ):
            ours = measure("ours", path, args.repeat)
            theirs = measure(peer, path, args.repeat)
            rows.append((label, peer, ours, theirs))
    print()
    print(f"  {'case':<28} {'peer':<11} {'ours s':>7} {'peer s':>7} {'time ×':>7} "
          f"{'ours MiB':>9} {'peer MiB':>9} {'memory ×':>9}")  # fmt: skip
    for label, peer, ours, theirs in rows:
        print(
            f"  {label:<28} {peer:<11} {ours['seconds']:7.2f} {theirs['seconds']:7.2f} "
            f"{ours['seconds'] / theirs['seconds']:7.2f} {ours['peak_mib']:9.0f} "
            f"{theirs['peak_mib']:9.0f} {ours['peak_mib'] / theirs['peak_mib']:9.2f}"
        )
    print("\n  ours = cxresearch.read_export (all cells as text, strict field counts, encoding")
    print("  from the whole file, header rows, exclusions); peak = the process's max RSS.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
