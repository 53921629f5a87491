"""One client × run's journey: the rows, the metric model and the numbers the report shows.

``j = open_journey(params_path, run)`` builds on :func:`cxresearch.session.open_run` (the
same rows, counts, labels, weights and settings as every report) and adds what the
journey needs: the operational file joined with its mismatches counted, each model
metric's answer column (:mod:`cxresearch.journey.model`) and the rows of the journey view
(every wave of the run pooled, or the current wave: ``journey.pool``). When waves are
pooled and people answer more than once, ``respondent_id`` is the cluster of every
interval and test (R ``svydesign(ids = ~respondent_id)``).

Every number comes from the metric registry (:func:`~cxresearch.stats.metrics.metric_by`,
:func:`~cxresearch.stats.journey.compare_family`,
:func:`~cxresearch.stats.benchmark.target_results`) or from
:mod:`cxresearch.stats.outcomes`; the methods only choose rows and settings. The scorecard,
journey view and customer types are here; outcomes, the loop and fatigue are in
:mod:`cxresearch.journey.outcomes`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxresearch.data.schema import CUSTOMER_TYPES, JOURNEY_STAGES
from cxresearch.errors import ParamsError
from cxresearch.journey.files import params_file, read_params_table
from cxresearch.journey.model import ModelMetric, add_metric_columns, metric_table, model_metric
from cxresearch.journey.operational import JoinCounts, join_operational
from cxresearch.journey.spec import LEVELS, JourneySpec
from cxresearch.present.format import suppress_threshold
from cxresearch.session import RunSession, open_run
from cxresearch.stats.journey import answer_lag_days, compare_family
from cxresearch.stats.metrics import metric_by
from cxresearch.stats.registry import MeanMetric, ShareMetric

__all__ = ["JourneyRun", "open_journey"]

#: Mean of the 0–10 recommendation answers: customer types differ on it by the latent
#: shift × 2 in the demo (NPS itself is a share difference, not a mean).
NPS_MEAN = MeanMetric("nps_mean", column="nps", scale=(0, 10), integer=True)


@dataclass(frozen=True)
class JourneyRun:
    """The journey of one client × run. Build it with :func:`open_journey`.

    Attributes
    ----------
    session
        The run (:class:`~cxresearch.session.RunSession`): params, labels, counts, weights.
    spec
        The params' ``journey`` section.
    rows
        The run's responses (every wave) with operational columns and metric columns.
    metrics
        The model's metrics in params order.
    join
        How the operational file matched the client's responses (None without one).
    """

    session: RunSession
    spec: JourneySpec
    rows: pd.DataFrame = field(repr=False)
    metrics: tuple[ModelMetric, ...]
    join: JoinCounts | None = None

    # -- settings ---------------------------------------------------------------------
    @property
    def labels(self) -> Any:
        return self.session.labels

    @property
    def confidence(self) -> float:
        return self.session.confidence

    @property
    def min_base(self) -> int:
        return self.session.min_base

    @property
    def suppress_below(self) -> float:
        return suppress_threshold(self.min_base)

    @property
    def adjust(self) -> str:
        return self.session.multiplicity

    @property
    def current(self) -> pd.DataFrame:
        return self.rows[self.rows["wave"] == self.session.current_wave]

    @property
    def pooled(self) -> pd.DataFrame:
        """Rows of the journey view: every wave of the run, or the current one."""
        return self.rows if self.spec.pool == "all" else self.current

    @property
    def pooled_waves(self) -> tuple[str, ...]:
        return self.session.waves if self.spec.pool == "all" else (self.session.current_wave,)

    @property
    def ids(self) -> str | None:
        """The cluster column of pooled estimates: people answering in several waves."""
        rows = self.pooled
        if (
            len(self.pooled_waves) > 1
            and "respondent_id" in rows.columns
            and rows["respondent_id"].notna().all()
            and rows["respondent_id"].duplicated().any()
        ):
            return "respondent_id"
        return None

    def weights(self, rows: pd.DataFrame) -> pd.Series | None:
        """The run's weights of ``rows`` (None when unweighted)."""
        return self.session.weights_for(rows)

    def level(self, level: str) -> list[ModelMetric]:
        """The model's metrics of one level, in params order."""
        return [m for m in self.metrics if m.level == level]

    def metric(self, name: str) -> ModelMetric:
        for m in self.metrics:
            if m.name == name:
                return m
        raise KeyError(f"no journey metric {name!r}")

    @property
    def experience(self) -> list[ModelMetric]:
        return self.level("experience")

    def by(
        self, m: ModelMetric | MeanMetric, by: str | list[str], rows: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """``metric_by`` of a metric on the journey rows (default: the pooled ones)."""
        rows = self.pooled if rows is None else rows
        metric, column = (m.metric, m.column) if isinstance(m, ModelMetric) else (m, m.column)
        pooled = rows is self.pooled or rows["wave"].nunique() > 1
        return metric_by(
            rows,
            metric,
            by=by,
            column=column,
            weights=self.weights(rows),
            ids=self.ids if pooled else None,
            confidence=self.confidence,
            min_base=self.min_base,
        )

    def _pair(
        self, m: ModelMetric | MeanMetric, a: pd.DataFrame, b: pd.DataFrame, **keys: Any
    ) -> dict[str, Any]:
        metric, column = (m.metric, m.column) if isinstance(m, ModelMetric) else (m, m.column)
        ids = self.ids
        pair: dict[str, Any] = {**keys, "metric": metric, "a": a[column], "b": b[column]}
        for side, part in (("a", a), ("b", b)):
            pair[f"weights_{side}"] = self.weights(part)
            pair[f"ids_{side}"] = part[ids] if ids and part["wave"].nunique() > 1 else None
        return pair

    def compare(self, pairs: Sequence[dict[str, Any]]) -> pd.DataFrame:
        """:func:`~cxresearch.stats.journey.compare_family` with the run's settings."""
        return compare_family(pairs, confidence=self.confidence, adjust=self.adjust)

    # -- scorecard --------------------------------------------------------------------
    def scorecard(self) -> pd.DataFrame:
        """Every metric of the model: current wave, change from the previous, overall target.

        Returns
        -------
        DataFrame
            One row per metric, levels in the order outcome, experience, operational:
            ``level, name`` and the current wave's ``value, ci_low, ci_high, n,
            n_effective``; the change (``previous, difference, diff_ci_low, diff_ci_high,
            pvalue_adjusted, significant, test``, adjusted across the metrics); the first
            target without touchpoint or segment (``target, status``).
        """
        from cxresearch.stats.metrics import estimate

        s = self.session
        current = self.current
        rows, pairs = [], []
        for m in sorted(self.metrics, key=lambda m: LEVELS.index(m.level)):
            answers = current[m.column].dropna()
            record: dict[str, Any] = {"level": m.level, "name": m.name, "n": len(answers)}
            if len(answers):
                est = estimate(
                    m.metric, answers, weights=self.weights(answers.to_frame()),
                    confidence=self.confidence,
                )  # fmt: skip
                record.update(
                    value=est.value, ci_low=est.ci_low, ci_high=est.ci_high,
                    n_effective=est.n_effective,
                )  # fmt: skip
            rows.append(record)
            if s.previous_wave is not None:
                previous = self.rows[self.rows["wave"] == s.previous_wave]
                pairs.append(self._pair(m, current, previous, name=m.name))
        out = pd.DataFrame(rows)
        for column in ("value", "ci_low", "ci_high", "n_effective"):
            if column not in out.columns:
                out[column] = np.nan
        if pairs:
            change = self.compare(pairs).set_index("name")
            out = out.join(
                change[["estimate_b", "difference", "ci_low", "ci_high", "pvalue_adjusted",
                        "significant", "test", "adjust", "interval_level"]].rename(
                    columns={"estimate_b": "previous", "ci_low": "diff_ci_low",
                             "ci_high": "diff_ci_high"}
                ),
                on="name",
            )  # fmt: skip
        targets = self.targets()
        overall = targets[targets["touchpoint"].isna() & targets["segment"].map(len).eq(0)]
        first = overall.drop_duplicates("name").set_index("name")
        out["target"] = out["name"].map(first["target"])
        out["status"] = out["name"].map(first["status"])
        return out

    def scorecard_by(self, by: str | list[str]) -> pd.DataFrame:
        """Every model metric by segment in the current wave (:func:`metric_table`)."""
        rows = self.current
        return metric_table(
            rows, self.metrics, by=by, weights=self.weights(rows), confidence=self.confidence,
            min_base=self.min_base,
        )  # fmt: skip

    def targets(self) -> pd.DataFrame:
        """Every metric target per target group × touchpoint against the current wave.

        :func:`~cxresearch.stats.benchmark.target_results` on the metrics' answer columns,
        adjusted together; a lower-is-better metric meets its target below it.
        """
        from cxresearch.stats.benchmark import target_results

        listed, names = [], []
        for m in self.metrics:
            for t in m.spec.targets:
                listed.append(
                    {
                        "metric": m.metric, "column": m.column, "value": t.value,
                        "touchpoint": t.touchpoint, "segment": dict(t.segment),
                        "label": t.label or self._target_label(t.touchpoint, t.segment),
                        "direction": m.spec.direction,
                    }
                )  # fmt: skip
                names.append(m.name)
        out = target_results(
            self.current,
            listed,
            weights=self.weights(self.current),
            confidence=self.confidence,
            suppress_below=self.suppress_below,
            adjust=self.adjust,
        )
        out.insert(0, "name", names)
        return out

    def _target_label(self, touchpoint: str | None, segment: dict[str, str]) -> str:
        L = self.labels
        parts = [L.value("touchpoint", touchpoint)] if touchpoint else []
        parts += [L.value(c, v) for c, v in segment.items()]
        return " · ".join(parts) or L.get("journey.all_customers")

    # -- journey view -----------------------------------------------------------------
    def touchpoints(self) -> list[str]:
        """Touchpoints of the pooled rows, by name."""
        return sorted(self.pooled["touchpoint"].dropna().unique().tolist())

    def stages(self) -> list[str]:
        """Journey stages of the pooled rows, in funnel order."""
        have = set(self.pooled["journey_stage"].dropna())
        return [s for s in JOURNEY_STAGES if s in have]

    def cells(self, m: ModelMetric) -> pd.DataFrame:
        """A metric by touchpoint × journey stage (the heat-map's cells)."""
        return self.by(m, ["touchpoint", "journey_stage"])

    def overall(self, m: ModelMetric | MeanMetric, rows: pd.DataFrame | None = None) -> Any:
        """A metric over all pooled rows (one row of ``metric_by``)."""
        return self.by(m, [], rows).iloc[0]

    def versus_rest(self, column: str, metrics: Sequence[ModelMetric]) -> pd.DataFrame:
        """Each group of ``column`` against the rest of the pooled rows, per metric.

        One family of comparisons (``group − rest``) adjusted together, with each group's
        own estimate; for the touchpoint table (which touchpoints are weak) and channels.
        """
        rows = self.pooled
        groups = sorted(rows[column].dropna().unique().tolist())
        pairs = [
            self._pair(m, rows[rows[column] == g], rows[rows[column] != g], name=m.name, group=g)
            for m in metrics
            for g in groups
        ]
        out = self.compare(pairs)
        levels = {
            m.name: self.by(m, column).set_index(column)[["value", "ci_low", "ci_high", "n"]]
            for m in metrics
        }
        parts = [
            levels[str(name)].loc[group].add_prefix("group_")
            for name, group in zip(out["name"], out["group"], strict=True)
        ]
        return pd.concat([out.reset_index(drop=True), pd.DataFrame(parts).reset_index(drop=True)],
                         axis=1)  # fmt: skip

    def moments(self, outcome: ModelMetric | None = None) -> pd.DataFrame:
        """Moments that matter: how much each touchpoint's experience goes with the outcome.

        Per touchpoint, the outcome (default: the first share metric of the outcome level,
        e.g. retention) of promoters minus that of detractors at the touchpoint, in one
        family of comparisons; with the touchpoint's NPS gap to the other touchpoints it
        shows where a weak experience costs the most.
        """
        outcome = outcome or next(
            (m for m in self.level("outcome") if isinstance(m.metric, ShareMetric)), None
        )
        if outcome is None or "nps" not in self.pooled.columns:
            return pd.DataFrame()
        rows = self.pooled
        score = rows["nps"].astype("float64")
        promoters, detractors = rows[score >= 9], rows[score <= 6]
        pairs = [
            self._pair(
                outcome,
                promoters[promoters["touchpoint"] == tp],
                detractors[detractors["touchpoint"] == tp],
                group=tp,
            )
            for tp in self.touchpoints()
        ]
        out = self.compare(pairs)
        out.insert(0, "outcome", outcome.name)
        return out

    # -- timeliness -------------------------------------------------------------------
    def lags(self) -> pd.Series:
        """Days from interaction to answer of the pooled rows (NaN without both dates)."""
        rows = self.pooled
        if not {"interaction_at", "submitted_at"} <= set(rows.columns):
            return pd.Series(dtype="float64")
        return answer_lag_days(rows)

    def timeliness(self) -> tuple[dict[str, float], pd.DataFrame]:
        """How soon people answered, and whether late answers score differently.

        Returns
        -------
        (dict, DataFrame)
            ``n, median, q1, q3, late_share, late_ci_low, late_ci_high, negative`` (days;
            share in %, answers after ``journey.timeliness.late_days``; ``negative`` counts
            answers dated before the interaction, a data error left out), and per
            experience metric late − timely in one adjusted family.
        """
        from cxresearch.stats.metrics import estimate

        lag = self.lags()
        known = lag.dropna()
        negative = int((known < 0).sum())
        known = known[known >= 0]
        limit = self.spec.timeliness.late_days
        summary = {"n": float(len(known)), "negative": float(negative), "late_days": limit}
        if known.empty:
            return summary, pd.DataFrame()
        late = (known > limit).astype("float64")
        share = estimate(
            ShareMetric("late", scale=(0, 1), integer=True), late,
            weights=self.weights(late.to_frame()), confidence=self.confidence,
        )  # fmt: skip
        summary.update(
            median=float(known.median()), q1=float(known.quantile(0.25)),
            q3=float(known.quantile(0.75)), late_share=share.value,
            late_ci_low=share.ci_low, late_ci_high=share.ci_high,
        )  # fmt: skip
        rows = self.pooled.loc[known.index]
        is_late = (known > limit).to_numpy()
        pairs = [self._pair(m, rows[is_late], rows[~is_late], name=m.name) for m in self.experience]
        return summary, self.compare(pairs)

    # -- customer types ---------------------------------------------------------------
    def customer_types(self) -> pd.DataFrame:
        """Former and never customers against current ones on every experience metric.

        One adjusted family: for each experience metric (and the mean 0–10
        recommendation answer, ``nps_mean``), former − current and never − current.
        """
        rows = self.pooled
        current = rows[rows["customer_type"] == "current"]
        metrics: list[ModelMetric | MeanMetric] = [*self.experience]
        if "nps" in rows.columns:
            metrics.append(NPS_MEAN)
        pairs = [
            self._pair(
                m, rows[rows["customer_type"] == kind], current,
                name=m.name if isinstance(m, ModelMetric) else m.name, group=kind,
            )
            for m in metrics
            for kind in CUSTOMER_TYPES[1:]
            if (rows["customer_type"] == kind).any()
        ]  # fmt: skip
        return self.compare(pairs) if pairs else pd.DataFrame()

    def type_levels(self, m: ModelMetric | MeanMetric) -> pd.DataFrame:
        """A metric by customer type, in the order current, former, never."""
        out = self.by(m, "customer_type")
        order = {t: i for i, t in enumerate(CUSTOMER_TYPES)}
        return out.sort_values("customer_type", key=lambda c: c.map(order)).reset_index(drop=True)

    def stages_by_type(self) -> pd.DataFrame:
        """Share (%) of each customer type's respondents by the furthest stage they reached.

        A person answering several waves counts once, at the furthest stage of any answer.
        """
        rows = self.pooled[["customer_type", "journey_stage"]].copy()
        rank = {s: i for i, s in enumerate(JOURNEY_STAGES)}
        rows["rank"] = rows["journey_stage"].map(rank)
        rows["who"] = np.asarray(self.pooled.get("respondent_id", rows.index))
        furthest = rows.dropna(subset=["rank"]).groupby(["customer_type", "who"])["rank"].max()
        table = furthest.reset_index().pivot_table(
            index="customer_type", columns="rank", values="who", aggfunc="count", fill_value=0
        )
        table.columns = [JOURNEY_STAGES[int(c)] for c in table.columns]
        order = [t for t in CUSTOMER_TYPES if t in table.index]
        table = table.loc[order]
        return table.assign(respondents=table.sum(axis=1))


def open_journey(params_path: str | Path, run: str = "all") -> JourneyRun:
    """Open one run of a client's journey report.

    Raises
    ------
    ParamsError
        No ``journey`` section, or a file named there outside the project.
    DataError
        Bad data, an operational file that does not join (repeated or blank ids, a
        column that is not numeric), or a metric whose column or formula names a column
        the data lacks.
    """
    from cxresearch.data import select_rows
    from cxresearch.session import load_client_data

    session = open_run(params_path, run)
    params = session.params
    spec = params.journey
    if spec is None:
        raise ParamsError(f"{params.path}: no journey section; the journey report needs one")
    rows = session.responses
    join = None
    if spec.operational is not None:
        path = params_file(params, spec.operational.path)
        table = read_params_table(params, path).rename(columns=dict(spec.operational.mapping))
        for i, m in enumerate(spec.metrics):
            missing = [c for c in m.columns if m.source == "operational" and c not in table]
            if missing:
                raise ParamsError(
                    f"{params.path}: journey.metrics[{i}] ({m.name}) names column(s) {missing} "
                    f"that are not in the operational file {path}; it has {list(table.columns)}"
                )
        # The client's rows as the session read them (every data file, the whole data:
        # block, through the validated-data cache), so that the join's row labels are
        # the session's own.
        client = select_rows(
            load_client_data(params), params.data.filter, source=f"{params.path}: data.filter"
        )
        joined, join = join_operational(client, table, key=spec.operational.key, source=path)
        extra = [c for c in joined.columns if c not in client.columns]
        rows = rows.join(joined.loc[rows.index, extra])
    metrics = tuple(model_metric(m) for m in spec.metrics)
    rows = add_metric_columns(rows, metrics)
    return JourneyRun(session=session, spec=spec, rows=rows, metrics=metrics, join=join)
