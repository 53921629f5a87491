"""Synthetic projects for ``benchmarks/batch.py``: many demo-like clients, or one big one.

A project is a folder with ``notebooks/`` (copied from this repository), ``params/`` and
``data/``. Clients are the three demo clients (``params/*.yaml`` of this repository, their
data from :func:`cxresearch.data.demo.simulate_demo` with other seeds) renamed
``<demo client>-<k>``, each with its own CSV file; the big client is ``kotiposti`` at a
larger scale (1,600 rows per scale step), as CSV and as Parquet.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from cxresearch.data.demo import _as_text, simulate_demo

REPO = Path(__file__).resolve().parent.parent
BASE_CLIENTS = ("kotiposti", "northwind", "saimaa-energia")
ROWS_PER_SCALE = 1_600  # kotiposti's rows at scale 1


def _base_params(client: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO / "params" / f"{client}.yaml").read_text())
    return loaded


def _write_csv(rows: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        _as_text(rows).to_csv(handle, index=False, lineterminator="\n")


def _write_params(
    root: Path, base: str, client: str, data: str, *, weighting: bool = False, **changes: Any
) -> Path:
    params = _base_params(base)
    # The journey report's side files (operational data, contacts, invitations) are keyed
    # to the demo clients' response ids; synthetic clients get benchmarking and drivers.
    params.pop("journey", None)
    if not weighting:
        # Raking margins are set for the demo clients' own samples; another seed's small
        # sample may not reach them within the trim bounds (a refused report, not a
        # measurement).
        params.pop("weighting", None)
    params["report"]["analyses"] = [
        a for a in params["report"]["analyses"] if a in ("benchmarking", "drivers")
    ]
    params["client"] = client
    params["data"]["path"] = data
    params["data"]["filter"] = {"client": client}
    params.update(changes)
    path = root / "params" / f"{client}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(params, allow_unicode=True, sort_keys=False))
    return path


def new_project(root: Path) -> Path:
    """An empty project at ``root`` with this repository's notebooks."""
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    (root / "params").mkdir()
    return root


def many_clients(root: Path, clients: int, *, seed: int = 20_261_101) -> list[Path]:
    """``clients`` demo-like clients (cycling through the three demo clients), one CSV each."""
    new_project(root)
    paths = []
    frames: dict[int, pd.DataFrame] = {}
    for i in range(clients):
        k, base = divmod(i, len(BASE_CLIENTS))
        if k not in frames:
            frames[k] = simulate_demo(seed=seed + k)
        name = f"{BASE_CLIENTS[base]}-{k + 1:02d}"
        rows = frames[k][frames[k]["client"] == BASE_CLIENTS[base]].copy()
        rows["client"] = name
        _write_csv(rows, root / "data" / f"{name}.csv")
        paths.append(_write_params(root, BASE_CLIENTS[base], name, f"data/{name}.csv"))
    return paths


def big_client(root: Path, rows: int, *, seed: int = 20_261_102) -> dict[str, Path]:
    """One client ``iso`` with ``rows`` responses (kotiposti's design and raking), CSV and Parquet.

    Returns the paths of the params file (reading the CSV), the CSV and the Parquet file.
    """
    new_project(root)
    scale = max(1, -(-rows // ROWS_PER_SCALE))
    frame = simulate_demo(seed=seed, scale=scale)
    frame = frame[frame["client"] == "kotiposti"]
    if len(frame) > rows:  # an even thinning keeps every wave and touchpoint
        keep = np.linspace(0, len(frame) - 1, rows).round().astype(int)
        frame = frame.iloc[keep]
    frame = frame.assign(client="iso")
    csv = root / "data" / "iso.csv"
    _write_csv(frame, csv)
    parquet = root / "data" / "iso.parquet"
    frame.drop(columns="themes").to_parquet(parquet, index=False)
    # Raked like kotiposti (its regional margins): a big sample reaches them, and the
    # raked design's variances are what a weighted client's reports compute.
    params = _write_params(
        root, "kotiposti", "iso", "data/iso.csv", weighting=True, title="Iso Oy — 1M"
    )
    return {"params": params, "csv": csv, "parquet": parquet}
