"""The raked design's domain covariance from cell totals equals the row-by-row computation.

``Calibration.domain_covariance`` (used by ``Design.covariance`` for a raked design without
clusters) runs the calibration residuals' backfitting on cell totals and adds the rows
outside the domain through their cells' weight sums; ``Calibration.residuals`` does it row
by row over the whole raked sample, as R ``svyrecvar``. The two must agree to rounding for
one and for several margins (several margins need many sweeps), by wave, for domains of
every size, for several estimators at once and for rescaled weights. Raked samples up to
``ROW_BY_ROW_MAX`` rows keep the row-by-row sums exactly (the demo reports' bytes).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cxresearch.stats.design as design_module
from cxresearch.stats.design import ROW_BY_ROW_MAX, Design, calibration_of, make_design
from cxresearch.stats.metrics import metric_by
from cxresearch.stats.raking import rake


def _row_by_row(design: Design, u: np.ndarray) -> np.ndarray:
    """``Design.covariance`` as it was computed before cell totals: residuals of all rows."""
    cal = design.calibration
    assert cal is not None and design.positions is not None
    full = np.zeros((cal.index.size, u.shape[1]))
    full[design.positions] = u
    x = cal.residuals(full)
    centred = x - x.mean(axis=0)
    m = x.shape[0]
    return np.asarray(m / (m - 1.0) * (centred.T @ centred))


def _sample(seed: int, rows: int = 3_000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    region = rng.choice(["a", "b", "c", "d"], rows, p=[0.5, 0.2, 0.2, 0.1])
    # size depends on region, so the margins are not independent and backfitting takes
    # many sweeps
    size = np.where(
        (region == "a") & (rng.random(rows) < 0.7), "large", rng.choice(["small", "large"], rows)
    )
    return pd.DataFrame(
        {
            "wave": rng.choice(["w1", "w2"], rows),
            "region": region,
            "size": size,
            "age": rng.choice(["y", "m", "o"], rows),
            "nps": rng.integers(0, 11, rows),
            "csat": rng.integers(1, 6, rows).astype(float),
        },
        index=pd.RangeIndex(rows) * 3 + 7,  # labels that are not positions
    )


MARGINS = {
    "one": {"region": {"a": 0.3, "b": 0.3, "c": 0.2, "d": 0.2}},
    "three": {
        "region": {"a": 0.3, "b": 0.3, "c": 0.2, "d": 0.2},
        "size": {"small": 0.6, "large": 0.4},
        "age": {"y": 0.3, "m": 0.3, "o": 0.4},
    },
}


def test_small_raked_samples_keep_the_row_by_row_sums() -> None:
    frame = _sample(14, rows=500)
    weights = rake(frame, MARGINS["three"])
    design = make_design(weights, length=len(frame), valid=np.ones(len(frame), bool))
    u = np.random.default_rng(3).normal(size=(len(frame), 2))
    assert len(frame) <= ROW_BY_ROW_MAX
    assert np.array_equal(design.covariance(u), _row_by_row(design, u))


@pytest.mark.parametrize("margins", sorted(MARGINS))
@pytest.mark.parametrize("by", [None, "wave"])
def test_domain_covariance_equals_the_residuals_of_every_row(margins: str, by: str | None) -> None:
    frame = _sample(11)
    weights = rake(frame, MARGINS[margins], trim=(0.3, 3.0), by=by)
    rng = np.random.default_rng(5)
    for share in (1.0, 0.5, 0.05, 0.002):
        valid = rng.random(len(frame)) < share
        valid[0] = valid[1] = True
        design = make_design(weights, length=len(frame), valid=valid)
        assert design.calibration is not None
        u = rng.normal(size=(int(valid.sum()), 3))
        assert design.positions is not None
        fast = design.calibration.domain_covariance(design.positions, u)
        slow = _row_by_row(design, u)
        np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=1e-12 * np.abs(slow).max())


def test_domain_covariance_of_rescaled_weights_and_one_estimator() -> None:
    frame = _sample(12)
    weights = rake(frame, MARGINS["three"], by="wave") * 2.5  # keeps the calibration
    valid = (frame["region"] == "b").to_numpy()
    design = make_design(weights, length=len(frame), valid=valid)
    assert design.calibration is not None
    assert design.positions is not None
    _, u = design.influence(frame["csat"].to_numpy()[valid])
    fast = design.calibration.domain_covariance(design.positions, u[:, None])
    assert fast[0, 0] == pytest.approx(_row_by_row(design, u[:, None])[0, 0], rel=1e-9)


def test_metric_by_on_a_raked_sample_equals_each_domain_row_by_row(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(design_module, "ROW_BY_ROW_MAX", 0)  # cell totals for every sample
    frame = _sample(13)
    weights = rake(frame, MARGINS["three"], by="wave")
    table = metric_by(frame, "nps", by=["wave", "size"], weights=weights)
    z = (frame["nps"] >= 9).astype(float) - (frame["nps"] <= 6).astype(float)
    for row in table.itertuples():
        valid = ((frame["wave"] == row.wave) & (frame["size"] == row.size)).to_numpy()
        design = make_design(weights, length=len(frame), valid=valid)
        _, u = design.influence(z.to_numpy()[valid])
        se = 100 * np.sqrt(_row_by_row(design, u[:, None])[0, 0])
        assert row.se == pytest.approx(se, rel=1e-9)
    assert calibration_of(weights) is not None


@pytest.mark.parametrize("margins", sorted(MARGINS))
def test_domain_skewness_from_cells_equals_the_residuals_of_every_row(
    margins: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Hall's mean interval needs the estimator's skewness; on a large raked sample it comes
    # from the cells' sums of w, w², w³ as the variance does.
    frame = _sample(15)
    weights = rake(frame, MARGINS[margins], by="wave")
    rng = np.random.default_rng(6)
    for share in (1.0, 0.3, 0.01):
        valid = rng.random(len(frame)) < share
        valid[0] = valid[1] = True
        design = make_design(weights, length=len(frame), valid=valid)
        _, u = design.influence(frame["csat"].to_numpy()[valid])
        slow = design.skewness(u)  # 3,000 rows: row by row
        monkeypatch.setattr(design_module, "ROW_BY_ROW_MAX", 0)
        fast = design.skewness(u)
        monkeypatch.setattr(design_module, "ROW_BY_ROW_MAX", 20_000)
        assert fast == pytest.approx(slow, rel=1e-9, abs=1e-12)
        assert slow != 0.0
