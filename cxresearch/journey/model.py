"""The params metric model as metrics of the registry.

Every entry of ``journey.metrics`` becomes a :class:`ModelMetric`: its params entry, a
:class:`~cxresearch.stats.registry.Metric` (the registry's own NPS/CSAT/CES, or a
:class:`~cxresearch.stats.registry.ShareMetric` / :class:`~cxresearch.stats.registry.MeanMetric`
built from the entry) and the column of the journey rows that holds its answers. That
column is the metric's answers *within its population* and missing elsewhere (retention
only for current customers, a formula's result, a yes/no column as 1/0), so every
estimate, comparison, target and table of the journey report goes through the registry
with nothing but a metric object and a column: no estimator of its own.

Examples
--------
>>> import pandas as pd
>>> from cxresearch.journey.spec import JourneyMetric
>>> m = model_metric(JourneyMetric(name="retention", level="outcome", column="retained",
...                                kind="share", population={"customer_type": "current"}))
>>> rows = pd.DataFrame({"retained": [True, False, None], "customer_type": ["current"] * 2
...                      + ["former"]})
>>> add_metric_columns(rows, [m])[m.column].tolist()
[1.0, 0.0, nan]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxresearch.errors import DataError
from cxresearch.journey.formula import parse_formula
from cxresearch.journey.spec import JourneyMetric
from cxresearch.present.labels import Labels
from cxresearch.stats.registry import MeanMetric, Metric, ShareMetric, get_metric

__all__ = ["ModelMetric", "add_metric_columns", "metric_table", "model_metric", "population_mask"]

_PREFIX = "_jm_"


@dataclass(frozen=True)
class ModelMetric:
    """One metric of the journey model.

    Attributes
    ----------
    spec
        The params entry (level, direction, targets, label, population).
    metric
        The registry metric that estimates, compares and tests it.
    column
        Column of the journey rows with its answers (missing outside its population).
    """

    spec: JourneyMetric
    metric: Metric
    column: str

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def level(self) -> str:
        return self.spec.level

    @property
    def lower_is_better(self) -> bool:
        return self.spec.direction == "lower"

    @property
    def decimals(self) -> int:
        """Decimals shown: the params' ``decimals``, else the registry metric's."""
        if self.spec.decimals is not None:
            return self.spec.decimals
        return 0 if self.metric.family in ("nps", "share") else 1

    @property
    def percent(self) -> bool:
        return bool(self.metric.percent)

    def label(self, labels: Labels, *, short: bool = False) -> str:
        """The metric's name in the report language.

        The params ``label`` first, then ``journey.metric_names.<name>`` of the labels,
        then the registry metric's name (``nps`` → "Suositteluindeksi (NPS)").
        """
        if self.spec.label and labels.language in self.spec.label:
            return self.spec.label[labels.language]  # type: ignore[index,unused-ignore]
        section = "metric_names_short" if short else "metric_names"
        known = labels.get(f"journey.{section}.{self.name}", "")
        return known or labels.metric(self.metric.name, short=short)


def model_metric(spec: JourneyMetric) -> ModelMetric:
    """The registry metric of one params entry (see the module docstring)."""
    if spec.column is None and spec.formula is None:
        builtin = get_metric(spec.name)
        own = builtin.column or spec.name
        return ModelMetric(spec, builtin, _PREFIX + spec.name if spec.population else own)
    column = _PREFIX + spec.name
    if spec.kind == "mean":
        metric: Metric = MeanMetric(spec.name, column=column, scale=spec.scale)
    elif spec.top is None:
        # A yes/no column or a condition: the share of yes (1) answers.
        metric = ShareMetric(spec.name, column=column, scale=(0, 1), integer=True, top=(1.0,))
    else:
        metric = ShareMetric(
            spec.name, column=column, scale=spec.scale, integer=False, top=tuple(spec.top)
        )
    return ModelMetric(spec, metric, column)


def population_mask(rows: pd.DataFrame, population: dict[str, object]) -> np.ndarray:
    """Rows in a metric's population (each column equal to its value or one of its list)."""
    mask = np.ones(len(rows), dtype=bool)
    for column, wanted in population.items():
        values = wanted if isinstance(wanted, list) else [wanted]
        if column not in rows.columns:
            raise DataError(f"population: column {column!r} is not in the data")
        mask &= rows[column].isin(values).to_numpy(dtype=bool, na_value=False)
    return mask


def _source_values(rows: pd.DataFrame, spec: JourneyMetric) -> pd.Series:
    if spec.formula is not None:
        try:
            return parse_formula(spec.formula).evaluate(rows)
        except KeyError as exc:
            raise DataError(f"journey.metrics ({spec.name}): {exc.args[0]}") from None
        except ValueError as exc:
            raise DataError(f"journey.metrics ({spec.name}): {exc}") from None
    column = spec.column or spec.name
    if column not in rows.columns:
        raise DataError(f"journey.metrics ({spec.name}): column {column!r} is not in the data")
    series = rows[column]
    if series.dtype == object and series.dropna().map(lambda v: isinstance(v, bool)).all():
        series = series.astype("boolean")
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.astype("Float64").astype("float64")
    if not pd.api.types.is_numeric_dtype(series.dtype):
        raise DataError(
            f"journey.metrics ({spec.name}): column {column!r} must hold numbers or yes/no"
        )
    return series.astype("float64")


def add_metric_columns(rows: pd.DataFrame, metrics: Sequence[ModelMetric]) -> pd.DataFrame:
    """``rows`` with each metric's answer column (missing outside its population).

    Raises
    ------
    DataError
        A metric's column or formula names a column the rows lack, or a share metric of a
        yes/no column or condition has other values than 0 and 1.
    """
    out = rows.copy()
    for m in metrics:
        if m.column in rows.columns and not m.spec.population and m.spec.formula is None:
            continue  # a registry metric read from its own column
        values = _source_values(rows, m.spec)
        inside = population_mask(rows, dict(m.spec.population))
        values = values.where(inside)
        if isinstance(m.metric, ShareMetric) and m.metric.scale == (0, 1):
            odd = values.notna() & ~values.isin([0.0, 1.0])
            if odd.any():
                shown = values[odd].unique()[:5].tolist()
                raise DataError(
                    f"journey.metrics ({m.name}): a share of yes answers needs yes/no (1/0) "
                    f"values; found {shown}"
                )
        out[m.column] = values.astype("float64")
    return out


def metric_table(
    rows: pd.DataFrame,
    metrics: Sequence[ModelMetric],
    *,
    by: str | list[str],
    weights: pd.Series | None = None,
    ids: str | None = None,
    confidence: float = 0.95,
    min_base: float = 30,
) -> pd.DataFrame:
    """Every model metric by group (a scorecard by segment), stacked as one tidy frame.

    ``metric_by`` of each metric on its answer column (``rows`` must have the columns of
    :func:`add_metric_columns`), with ``name`` and ``level`` in front.

    Examples
    --------
    >>> import pandas as pd
    >>> from cxresearch.journey.spec import JourneyMetric
    >>> m = [model_metric(JourneyMetric(name="nps", level="experience"))]
    >>> rows = pd.DataFrame({"region": ["a", "a", "b"], "nps": [10, 3, 9]})
    >>> metric_table(rows, m, by="region")[["name", "region", "value", "n"]].values.tolist()
    [['nps', 'a', 0.0, 2], ['nps', 'b', 100.0, 1]]
    """
    from cxresearch.stats.metrics import metric_by

    frames = []
    for m in metrics:
        part = metric_by(
            rows, m.metric, by=by, column=m.column, weights=weights, ids=ids,
            confidence=confidence, min_base=min_base,
        )  # fmt: skip
        part.insert(0, "level", m.level)
        part.insert(0, "name", m.name)
        frames.append(part)
    return pd.concat(frames, ignore_index=True)
