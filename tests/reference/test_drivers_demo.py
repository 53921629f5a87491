"""Driver importance recovers the documented ground truth of the demo data.

The demo generator (cxresearch/data/demo.py, documented in data/demo/README.md) draws NPS
from seven latent attributes with true weights NPS_WEIGHTS (effectiveness 0.33 > ease 0.25
> reliability 0.18 > emotion 0.13 > communication 0.07 > speed 0.03 > price 0.01) and
retention of current customers from RETENTION_WEIGHTS (reliability 0.90 > price 0.70 > the
rest at 0.35 and below). ``write_demo`` writes exactly ``generate_demo()`` to
data/demo/responses.csv; both are tested.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cxresearch.data.demo import NPS_WEIGHTS, RETENTION_WEIGHTS, generate_demo
from cxresearch.stats.drivers import driver_importance

CSV = Path(__file__).parents[2] / "data" / "demo" / "responses.csv"


def true_order(weights: dict[str, float]) -> list[str]:
    return [f"attr_{a}" for a in sorted(weights, key=weights.__getitem__, reverse=True)]


@pytest.fixture(scope="module")
def generated() -> pd.DataFrame:
    return generate_demo()


def demo_frame(source: str, generated: pd.DataFrame) -> pd.DataFrame:
    if source == "generated":
        return generated
    if not CSV.exists():
        pytest.skip(f"{CSV} has not been written yet (make demo)")
    return pd.read_csv(CSV)


@pytest.mark.parametrize("source", ["generated", "csv"])
@pytest.mark.parametrize("method", ["shapley", "relative-weights"])
def test_nps_driver_order_matches_true_weights_per_client(source, method, generated):
    frame = demo_frame(source, generated)
    truth = true_order(NPS_WEIGHTS)
    for client, rows in frame.groupby("client"):
        result = driver_importance(rows, outcome="nps", drivers=sorted(truth), method=method)
        assert list(result["driver"]) == truth, client
        assert result.attrs["outcome_type"] == "interval"  # NPS 0–10 as interval
        assert result.attrs["n_dropped"] > 0  # the demo has ~2 % missing attributes


def test_retention_top_drivers_match_true_weights(generated):
    # Only the two large weights are separable at these sample sizes (about 900-1,300
    # current customers per client); the others differ by 0.05-0.2 log-odds per SD.
    current = generated[generated["customer_type"] == "current"]
    for client, rows in current.groupby("client"):
        result = driver_importance(rows, outcome="retained", drivers=true_order(RETENTION_WEIGHTS))
        assert result.attrs["outcome_type"] == "binary"
        assert list(result["driver"][:2]) == ["attr_reliability", "attr_price"], client
