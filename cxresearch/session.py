"""One report run: a client's params, the rows it covers and the numbers every notebook needs.

Every analysis notebook starts with ``s = open_run(params_path, run)``. The session reads
and validates the params and the data once, applies the params' ``data.filter`` and the
run's ``filter``, keeps the waves the params name, and records how many rows each step kept
(``s.counts``) so the report can state its base: no row disappears without being counted.

The methods are thin compositions of :mod:`cxresearch.stats` with the run's confidence
level, minimum base and weights, so that notebook cells stay one call long and the drivers,
journey and qualitative notebooks compute their bases the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxresearch.errors import DataError, ParamsError
from cxresearch.params import Params, Run, Target, load_params
from cxresearch.present.format import base_status
from cxresearch.present.labels import Labels, get_labels
from cxresearch.results import Comparison, Estimate

HEADLINE_METRICS = ("nps", "csat", "ces")
# metric key → function in cxresearch.stats.metrics computing it from one score column.
_SCORE_COLUMN = {"nps": "nps", "csat": "csat", "ces": "ces", "ces_mean": "ces"}


def _resolve(params_path: str | Path) -> Path:
    """The params file, also when a notebook opened from ``notebooks/`` passes a root path."""
    path = Path(params_path).expanduser()
    if path.is_absolute() or path.exists():
        return path
    # JupyterLab starts kernels in the notebook's folder; "params/x.yaml" then means the
    # project root's params folder, one or two levels up.
    for parent in list(Path.cwd().parents)[:2]:
        if (parent / path).exists():
            return parent / path
    return path


@dataclass(frozen=True)
class RunSession:
    """The rows and settings of one run of one client's report. Build it with :func:`open_run`.

    Attributes
    ----------
    params
        The validated params.
    run
        The run (``params.runs`` entry) being reported.
    responses
        Rows of the client after ``data.filter`` and the run's filter, in the params' waves.
    labels
        Wording in the report's language (``params.language``).
    counts
        One row per selection step: ``step`` (key), ``description`` (report language),
        ``rows`` kept and ``dropped``.
    waves
        The params' waves that have rows, oldest first.
    """

    params: Params
    run: Run
    responses: pd.DataFrame = field(repr=False)
    labels: Labels = field(repr=False)
    counts: pd.DataFrame = field(repr=False)
    waves: tuple[str, ...]

    @property
    def current_wave(self) -> str:
        return self.params.waves.current

    @property
    def previous_wave(self) -> str | None:
        """The latest earlier wave that has rows, or None."""
        earlier = [w for w in self.waves if w != self.current_wave]
        return earlier[-1] if earlier else None

    @property
    def current(self) -> pd.DataFrame:
        """Rows of the current wave."""
        return self.rows(self.current_wave)

    @property
    def confidence(self) -> float:
        return self.params.report.confidence

    @property
    def min_base(self) -> int:
        return self.params.report.min_base

    @property
    def weights(self) -> str | None:
        """The weight column when the data has one (analysis weights), else None."""
        return "weight" if "weight" in self.responses.columns else None

    @property
    def title(self) -> str:
        """The report title: the params title, plus the run's title for a segment run."""
        if self.run.title:
            return f"{self.params.title} — {self.run.title}"
        if self.run.name == "all":
            return self.params.title
        return f"{self.params.title} — {self.run.name}"

    def rows(self, wave: str | None = None) -> pd.DataFrame:
        """Rows of one wave (all waves when ``wave`` is None)."""
        if wave is None:
            return self.responses
        if wave not in self.params.waves.ordered:
            raise ValueError(f"wave {wave!r} is not one of the params' waves {self.waves}")
        return self.responses[self.responses["wave"] == wave]

    def metrics(self, candidates: Sequence[str] = HEADLINE_METRICS) -> list[str]:
        """The metrics among ``candidates`` that have answers in the current wave."""
        current = self.current
        return [
            m
            for m in candidates
            if _SCORE_COLUMN.get(m, m) in current.columns
            and current[_SCORE_COLUMN.get(m, m)].notna().any()
        ]

    def estimate(self, metric: str, rows: pd.DataFrame | None = None) -> Estimate:
        """``metric`` on ``rows`` (default: the current wave) with the run's settings.

        Rows without an answer give an Estimate with ``n = 0`` and NaN value, so that a
        table can say "no responses" instead of the report stopping.
        """
        from cxresearch.stats import metrics as m

        data = self.current if rows is None else rows
        column = _SCORE_COLUMN.get(metric, metric)
        valid = data[column].notna()
        weights = data.loc[valid, self.weights] if self.weights else None
        if not valid.any():
            name = m.metric_spec(metric).name
            nan = float("nan")
            return Estimate(nan, nan, nan, 0, self.confidence, "", metric=name, n_effective=0.0)
        function = getattr(m, metric)
        result: Estimate = function(
            data.loc[valid, column], weights=weights, confidence=self.confidence
        )
        return result

    def headline(self, metrics: Sequence[str] | None = None) -> dict[str, Estimate]:
        """Current-wave estimates of the headline metrics (those with answers)."""
        return {metric: self.estimate(metric) for metric in (metrics or self.metrics())}

    def change(self, metric: str) -> Comparison | None:
        """Current wave − previous wave (:func:`~cxresearch.stats.inference.compare_groups`)."""
        from cxresearch.stats.inference import compare_groups

        previous = self.previous_wave
        if previous is None:
            return None
        column = _SCORE_COLUMN.get(metric, metric)
        a, b = self.current, self.rows(previous)
        a, b = a[a[column].notna()], b[b[column].notna()]
        if a.empty or b.empty:
            return None
        return compare_groups(
            a[column],
            b[column],
            metric=metric,
            confidence=self.confidence,
            weights_a=a[self.weights] if self.weights else None,
            weights_b=b[self.weights] if self.weights else None,
        )

    def changes(self, metrics: Sequence[str] | None = None) -> dict[str, Comparison | None]:
        """:meth:`change` for each headline metric."""
        return {metric: self.change(metric) for metric in (metrics or self.metrics())}

    def by_wave(self, metrics: Sequence[str] | None = None) -> pd.DataFrame:
        """``metric_by(..., by="wave")`` of each metric stacked, waves oldest first."""
        from cxresearch.stats.metrics import metric_by

        frames = []
        for metric in metrics or self.metrics():
            frame = metric_by(
                self.responses,
                metric,
                by="wave",
                weights=self.weights,
                confidence=self.confidence,
                min_base=self.min_base,
            )
            frame = frame[frame["wave"].isin(self.waves)]
            order = frame["wave"].map({w: i for i, w in enumerate(self.waves)})
            frames.append(frame.iloc[np.argsort(order.to_numpy(), kind="stable")])
        return pd.concat(frames, ignore_index=True)

    def breakdown(self, metric: str, by: str) -> pd.DataFrame:
        """``metric_by`` of the current wave by one column, in the column's natural order.

        Customer types and journey stages keep their funnel order; other columns sort by
        name. Groups with no answer to ``metric`` are dropped here (they have no result to
        show) but keep a row with ``n = 0`` in the tables that count bases.
        """
        from cxresearch.data.schema import CUSTOMER_TYPES, JOURNEY_STAGES
        from cxresearch.stats.metrics import metric_by

        if by not in self.responses.columns:
            raise DataError(f"breakdown: column {by!r} is not in the data of {self.params.path}")
        frame = metric_by(
            self.current,
            metric,
            by=by,
            weights=self.weights,
            confidence=self.confidence,
            min_base=self.min_base,
        )
        frame = frame[frame["n"] > 0]
        natural = {"customer_type": CUSTOMER_TYPES, "journey_stage": JOURNEY_STAGES}.get(by)
        if natural is not None:
            rank = {v: i for i, v in enumerate(natural)}
            keys = frame[by].map(lambda v: rank.get(v, len(rank)))
            frame = frame.iloc[np.argsort(keys.to_numpy(), kind="stable")]
        return frame.reset_index(drop=True)

    def breakdown_columns(self) -> list[str]:
        """Columns to break results down by.

        Customer type, journey stage, touchpoint, channel and the params' segments, those
        with at least two groups in the current wave (a segment run's own filter column
        has one group and is left out).
        """
        wanted = ["customer_type", "journey_stage", "touchpoint", "channel", *self.params.segments]
        current = self.current
        return [
            c for c in dict.fromkeys(wanted) if c in current.columns and current[c].nunique() > 1
        ]

    def breakdowns(self, by: str, metrics: Sequence[str] | None = None) -> pd.DataFrame:
        """:meth:`breakdown` of each headline metric, stacked (for ``breakdown_table``)."""
        frames = [self.breakdown(metric, by) for metric in (metrics or self.metrics())]
        return pd.concat(frames, ignore_index=True)

    def breakdown_changes(self, metric: str, by: str) -> pd.DataFrame | None:
        """Change of ``metric`` per group from the previous wave, Holm-adjusted.

        :func:`~cxresearch.stats.inference.compare_waves` over the groups of ``by``; None
        when there is no previous wave.
        """
        from cxresearch.stats.inference import compare_waves

        previous = self.previous_wave
        if previous is None:
            return None
        rows = self.responses[self.responses["wave"].isin([previous, self.current_wave])]
        return compare_waves(
            rows,
            metric,
            waves=[previous, self.current_wave],
            by=by,
            weights=self.weights,
            confidence=self.confidence,
        )

    @property
    def client_name(self) -> str:
        """The client's name for charts: the params title up to its first dash."""
        for dash in (" — ", " – ", " - "):
            if dash in self.params.title:
                return self.params.title.split(dash, 1)[0].strip()
        return self.params.title

    def target_rows(self, target: Target) -> pd.DataFrame:
        """Current-wave rows a target applies to (its touchpoint and segment)."""
        rows = self.current
        where: dict[str, Any] = dict(target.segment)
        if target.touchpoint is not None:
            where["touchpoint"] = target.touchpoint
        mask = np.ones(len(rows), dtype=bool)
        for column, value in where.items():
            mask &= (rows[column] == value).to_numpy(dtype=bool, na_value=False)
        return rows[mask]

    def target_label(self, target: Target) -> str:
        """A target's name: its ``label``, else touchpoint and segment values in words."""
        if target.label:
            return target.label
        parts = [self.labels.value("touchpoint", target.touchpoint)] if target.touchpoint else []
        parts += [self.labels.value(c, v) for c, v in target.segment.items()]
        return " · ".join(parts) or self.labels.text("target_all")

    def target_results(self) -> pd.DataFrame:
        """Every params target against the current wave, with a test and a status.

        The status reads the two-sided test at the report's confidence: ``met`` when the
        result is significantly above the target, ``not_met`` when significantly below,
        ``inconclusive`` when the interval of the gap contains zero; ``suppressed`` or
        ``no_data`` when the base is too small to show a result (see
        :func:`cxresearch.present.format.base_status`).

        Returns
        -------
        DataFrame
            ``label, metric, touchpoint, segment, target, value, ci_low, ci_high, n,
            n_effective, difference, diff_ci_low, diff_ci_high, statistic, pvalue, test,
            effect_size, effect_size_name, status``.
        """
        from cxresearch.stats.inference import compare_to_target

        records = []
        for target in self.params.targets:
            rows = self.target_rows(target)
            est = self.estimate(target.metric, rows)
            record: dict[str, Any] = {
                "label": self.target_label(target),
                "metric": est.metric,
                "touchpoint": target.touchpoint,
                "segment": dict(target.segment),
                "target": target.value,
                "value": est.value,
                "ci_low": est.ci_low,
                "ci_high": est.ci_high,
                "n": est.n,
                "n_effective": est.n_effective,
            }
            status = base_status(est.n, est.n_effective, min_base=self.min_base)
            nan = float("nan")
            record.update(
                difference=nan,
                diff_ci_low=nan,
                diff_ci_high=nan,
                statistic=nan,
                pvalue=nan,
                test="",
                effect_size=nan,
                effect_size_name="",
            )
            if status in ("empty", "suppressed"):
                record["status"] = "no_data" if status == "empty" else "suppressed"
            else:
                column = _SCORE_COLUMN.get(target.metric, target.metric)
                valid = rows[rows[column].notna()]
                cmp = compare_to_target(
                    valid[column],
                    target.value,
                    metric=target.metric,
                    weights=valid[self.weights] if self.weights else None,
                    confidence=self.confidence,
                )
                record.update(
                    difference=cmp.difference,
                    diff_ci_low=cmp.ci_low,
                    diff_ci_high=cmp.ci_high,
                    statistic=cmp.statistic,
                    pvalue=cmp.pvalue,
                    test=cmp.test,
                    effect_size=cmp.effect_size,
                    effect_size_name=cmp.effect_size_name,
                )
                significant = cmp.pvalue < 1.0 - self.confidence
                record["status"] = (
                    "inconclusive"
                    if not significant
                    else "met"
                    if cmp.difference > 0
                    else "not_met"
                )
            records.append(record)
        return pd.DataFrame(records, columns=_TARGET_COLUMNS)

    def benchmark_results(self) -> pd.DataFrame:
        """The current wave against each params benchmark (norm).

        A norm with a base ``n`` is tested with
        :func:`~cxresearch.stats.inference.compare_groups` against a norm sample rebuilt
        from its published figures: for a percentage, ``round(value/100 · n)`` top answers
        out of ``n``, which gives exactly the two-proportion test on the counts; for NPS,
        where a norm is usually published without its promoter and detractor shares, the
        shares ``(1 ± NPS/100)/2`` with no passives, the largest variance an NPS of that
        value can have, so the test is conservative (its p-value is never smaller than
        the test with the true shares would give). A norm without ``n`` is shown without
        a test.

        Returns
        -------
        DataFrame
            ``name, metric, value, ci_low, ci_high, n, client_value, client_ci_low,
            client_ci_high, client_n, difference, diff_ci_low, diff_ci_high, pvalue,
            test, effect_size, effect_size_name``.
        """
        from cxresearch.stats.inference import compare_groups

        records = []
        for bench in self.params.benchmarks:
            column = _SCORE_COLUMN.get(bench.metric, bench.metric)
            est = self.estimate(bench.metric)
            nan = float("nan")
            record: dict[str, Any] = {
                "name": bench.name,
                "metric": est.metric,
                "value": bench.value,
                "ci_low": nan if bench.ci_low is None else bench.ci_low,
                "ci_high": nan if bench.ci_high is None else bench.ci_high,
                "n": nan if bench.n is None else bench.n,
                "client_value": est.value,
                "client_ci_low": est.ci_low,
                "client_ci_high": est.ci_high,
                "client_n": est.n,
                "difference": est.value - bench.value,
                "diff_ci_low": nan,
                "diff_ci_high": nan,
                "pvalue": nan,
                "test": "",
                "effect_size": nan,
                "effect_size_name": "",
            }
            if bench.n is not None and est.n > 0 and bench.metric in ("nps", "csat", "ces"):
                rows = self.current[self.current[column].notna()]
                norm = norm_sample(bench.metric, bench.value, bench.n)
                cmp = compare_groups(
                    rows[column],
                    norm,
                    metric=bench.metric,
                    confidence=self.confidence,
                    weights_a=rows[self.weights] if self.weights else None,
                    weights_b=np.ones(len(norm)) if self.weights else None,
                )
                record.update(
                    difference=cmp.difference,
                    diff_ci_low=cmp.ci_low,
                    diff_ci_high=cmp.ci_high,
                    pvalue=cmp.pvalue,
                    test=cmp.test,
                    effect_size=cmp.effect_size,
                    effect_size_name=cmp.effect_size_name,
                )
            records.append(record)
        return pd.DataFrame(records, columns=_BENCHMARK_COLUMNS)

    def base_sentence(self) -> str:
        """Who answered: rows kept, waves, current-wave base and the filters, in words."""
        from cxresearch.present.format import escape, format_number

        described = describe_filter({**self.params.data.filter, **self.run.filter}, self.labels)
        return self.labels.text(
            "base_sentence",
            n_kept=format_number(len(self.responses), self.labels),
            waves=", ".join(self.waves),
            current=self.current_wave,
            n_current=format_number(len(self.current), self.labels),
            filters=escape(described) if described else self.labels.text("base_no_filter"),
        )


_TARGET_COLUMNS = [
    "label",
    "metric",
    "touchpoint",
    "segment",
    "target",
    "value",
    "ci_low",
    "ci_high",
    "n",
    "n_effective",
    "difference",
    "diff_ci_low",
    "diff_ci_high",
    "statistic",
    "pvalue",
    "test",
    "effect_size",
    "effect_size_name",
    "status",
]
_BENCHMARK_COLUMNS = [
    "name",
    "metric",
    "value",
    "ci_low",
    "ci_high",
    "n",
    "client_value",
    "client_ci_low",
    "client_ci_high",
    "client_n",
    "difference",
    "diff_ci_low",
    "diff_ci_high",
    "pvalue",
    "test",
    "effect_size",
    "effect_size_name",
]


def describe_filter(where: Mapping[str, Any], labels: Labels) -> str:
    """A params filter in words: ``{size: [medium, enterprise]}`` → "Asiakkaan koko: keskisuuri
    yritys, suuryritys"; conditions joined by "; "."""
    parts = []
    for column, wanted in where.items():
        values = wanted if isinstance(wanted, list) else [wanted]
        parts.append(
            f"{labels.column(column)}: " + ", ".join(labels.value(column, v) for v in values)
        )
    return "; ".join(parts)


def norm_sample(metric: str, value: float, n: int) -> np.ndarray:
    """Answers reproducing a published norm's figures, for a test against it.

    Parameters
    ----------
    metric
        ``"nps"``, ``"csat"`` or ``"ces"``.
    value
        The norm (NPS −100..100, or percent 0..100).
    n
        The norm's base.

    Returns
    -------
    numpy.ndarray
        ``n`` answers. For ``"csat"``/``"ces"``: ``round(value/100 · n)`` top answers (5 or
        7) and the rest 1. For ``"nps"``: promoters (10) and detractors (0) in the shares
        ``(1 ± value/100)/2``, rounded to whole respondents; no passives, the largest
        variance an NPS of ``value`` can have, so tests against it are conservative.
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if metric == "nps":
        if not -100.0 <= value <= 100.0:
            raise ValueError(f"value for NPS must lie in -100..100, got {value!r}")
        promoters = int(round(n * (1.0 + value / 100.0) / 2.0))
        return np.array([10] * promoters + [0] * (n - promoters), dtype=float)
    if metric in ("csat", "ces"):
        if not 0.0 <= value <= 100.0:
            raise ValueError(f"value for {metric} must lie in 0..100, got {value!r}")
        top = int(round(n * value / 100.0))
        high = 5 if metric == "csat" else 7
        return np.array([high] * top + [1] * (n - top), dtype=float)
    raise ValueError(f"metric must be 'nps', 'csat' or 'ces' for a norm test, got {metric!r}")


def _count(rows: list[dict[str, Any]], step: str, description: str, kept: int) -> None:
    before = rows[-1]["rows"] if rows else kept
    rows.append({"step": step, "description": description, "rows": kept, "dropped": before - kept})


def _check_targets(params: Params, client_rows: pd.DataFrame) -> None:
    # A target whose touchpoint or segment value never occurs in the client's data is a
    # typo; in one run it may legitimately have no rows (and then shows "no responses").
    for i, target in enumerate(params.targets):
        checks = dict(target.segment)
        if target.touchpoint is not None:
            checks["touchpoint"] = target.touchpoint
        for column, value in checks.items():
            key = (
                "touchpoint"
                if column == "touchpoint" and target.touchpoint
                else f"segment.{column}"
            )
            if not client_rows[column].eq(value).fillna(False).any():
                seen = sorted(client_rows[column].dropna().astype(str).unique().tolist())
                raise ParamsError(
                    f"{params.path}: targets[{i}].{key}: value {value!r} does not occur in the "
                    f"client's data (column {column!r} has {seen})"
                )


def open_run(params_path: str | Path, run: str = "all") -> RunSession:
    """Read a client's params and data and select the rows of one run.

    Parameters
    ----------
    params_path
        The params file. A relative path is taken from the working directory, or from
        the project root when a notebook runs inside ``notebooks/``.
    run
        Name of a run under the params' ``runs``.

    Returns
    -------
    RunSession

    Raises
    ------
    ParamsError
        Invalid params, an unknown run, or a column or target value the data lacks.
    DataError
        Invalid data, a filter value that does not occur, or no rows in the current wave.
    """
    from cxresearch.data import load_responses, select_rows

    params = load_params(_resolve(params_path))
    selected_run = params.run(run)
    labels = get_labels(params.language)
    frame = load_responses(params.data_path, mapping=params.data.mapping, scales=params.data.scales)
    params.check_columns(list(frame.columns))
    steps: list[dict[str, Any]] = []
    _count(steps, "read", labels.count_step("read", file=params.data_path.name), len(frame))
    if params.data.filter:
        frame = select_rows(frame, params.data.filter, source=f"{params.path}: data.filter")
        what = describe_filter(params.data.filter, labels)
        _count(steps, "data_filter", labels.count_step("filter", what=what), len(frame))
    _check_targets(params, frame)
    if selected_run.filter:
        frame = select_rows(
            frame, selected_run.filter, source=f"{params.path}: runs[{selected_run.name}].filter"
        )
        what = describe_filter(selected_run.filter, labels)
        _count(steps, "run_filter", labels.count_step("filter", what=what), len(frame))
    wanted = params.waves.ordered
    frame = frame[frame["wave"].isin(wanted)]
    waves = tuple(w for w in wanted if frame["wave"].eq(w).any())
    _count(steps, "waves", labels.count_step("waves", waves=", ".join(waves)), len(frame))
    if params.waves.current not in waves:
        raise DataError(
            f"{params.path}: waves.current: no responses in wave {params.waves.current!r} "
            f"after the filters of run {selected_run.name!r} (data {params.data_path})"
        )
    counts = pd.DataFrame(steps, columns=["step", "description", "rows", "dropped"])
    return RunSession(
        params=params,
        run=selected_run,
        responses=frame.copy(),
        labels=labels,
        counts=counts,
        waves=waves,
    )
