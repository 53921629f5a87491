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

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxresearch.errors import DataError, ParamsError
from cxresearch.params import Params, Run, Target, load_params, project_root
from cxresearch.present.escaping import SafeMarkdown
from cxresearch.present.format import suppress_threshold
from cxresearch.present.labels import Labels, get_labels
from cxresearch.results import Comparison, Estimate

HEADLINE_METRICS = ("nps", "csat", "ces")
#: Mimetype of the record a report kernel writes when :func:`open_run` reads the data: the
#: digest of the bytes the notebook analysed (read by the runner for the manifest).
RUN_RECORD_MIMETYPE = "application/vnd.cxresearch.run+json"
#: Set in report kernels (by the runner) so that open_run writes its record; unset in
#: JupyterLab, where the record would only be an empty output.
RUN_RECORD_VARIABLE = "CXRESEARCH_RUN_RECORD"


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
        ``rows`` kept and ``dropped``. The first step is the client's rows in the data
        file (``client``, after ``data.filter``; ``read`` when there is no filter), never
        the file's total, which would reveal other clients' volumes.
    waves
        The params' waves that have rows, oldest first.
    data_sha256
        sha256 of the data file's bytes as read for this report (what was analysed, not
        what the file holds by the time someone looks).
    missing
        Answers counted as "no answer" when loading (``data.missing`` codes, SPSS
        user-missing values): ``column, code, cells``.
    """

    params: Params
    run: Run
    responses: pd.DataFrame = field(repr=False)
    labels: Labels = field(repr=False)
    counts: pd.DataFrame = field(repr=False)
    waves: tuple[str, ...]
    raked: pd.Series | None = field(default=None, repr=False)
    data_sha256: str = ""
    missing: pd.DataFrame = field(
        repr=False, default_factory=lambda: pd.DataFrame(columns=["column", "code", "cells"])
    )

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

    @cached_property
    def weights(self) -> pd.Series | None:
        """The run's weights, indexed like :attr:`responses`, or None (unweighted).

        With params ``weighting``, the client's rows are raked to the margins within each
        wave (:func:`~cxresearch.stats.raking.rake`, before any run filter, so a segment
        run is a domain of the raked sample) and the Series keeps its calibration, so
        every estimate and test uses the raked-design variance. Without ``weighting``, a
        ``weight`` column in the data is used as analysis weights (weights-only design).
        """
        if self.raked is not None:
            # Computed once per session (a label look-up over every row), like rows().
            return self.raked.loc[self.responses.index]
        if "weight" in self.responses.columns:
            return self.responses["weight"]
        return None

    def weights_for(self, rows: pd.DataFrame | pd.Series) -> pd.Series | None:
        """The run's weights of ``rows`` (a subset of :attr:`responses`), or None."""
        weights = self.weights
        return None if weights is None else weights.loc[rows.index]

    @property
    def multiplicity(self) -> str:
        """The multiplicity adjustment of multi-cell tables (params ``report.multiplicity``)."""
        return self.params.report.multiplicity

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
        # Each wave's rows are selected once per session (a report asks for the current
        # wave dozens of times; with a million rows each selection copies every column).
        # Callers get a shallow copy: adding or changing a column does not reach the cache.
        responses = self.responses
        return self._memo(("rows", wave), lambda: responses[responses["wave"] == wave], rows=True)

    def metrics(self, candidates: Sequence[str] = HEADLINE_METRICS) -> list[str]:
        """The metrics among ``candidates`` that have answers in the current wave."""
        from cxresearch.stats.benchmark import SCORE_COLUMNS

        current = self.current
        return [
            m
            for m in candidates
            if SCORE_COLUMNS.get(m, m) in current.columns
            and current[SCORE_COLUMNS.get(m, m)].notna().any()
        ]

    def estimate(self, metric: str, rows: pd.DataFrame | None = None) -> Estimate:
        """``metric`` on ``rows`` (default: the current wave) with the run's settings.

        Rows without an answer give an Estimate with ``n = 0`` and NaN value, so that a
        table can say "no responses" instead of the report stopping
        (:func:`~cxresearch.stats.benchmark.metric_estimate`).
        """
        from cxresearch.stats.benchmark import SCORE_COLUMNS, metric_estimate

        data = self.current if rows is None else rows
        column = SCORE_COLUMNS.get(metric, metric)
        weights = None if self.weights is None else self.weights.loc[data.index]
        return metric_estimate(data[column], metric, weights=weights, confidence=self.confidence)

    def headline(self, metrics: Sequence[str] | None = None) -> dict[str, Estimate]:
        """Current-wave estimates of the headline metrics (those with answers)."""
        return {metric: self.estimate(metric) for metric in (metrics or self.metrics())}

    def change(self, metric: str) -> Comparison | None:
        """Current wave − previous wave (:func:`~cxresearch.stats.inference.compare_samples`)."""
        from cxresearch.stats.benchmark import SCORE_COLUMNS
        from cxresearch.stats.inference import compare_samples

        previous = self.previous_wave
        if previous is None:
            return None
        column = SCORE_COLUMNS.get(metric, metric)
        a, b = self.current[column], self.rows(previous)[column]
        a, b = a[a.notna()], b[b.notna()]
        if a.empty or b.empty:
            return None
        weights = self.weights
        return compare_samples(
            a,
            b,
            metric=metric,
            confidence=self.confidence,
            weights_a=None if weights is None else weights.loc[a.index],
            weights_b=None if weights is None else weights.loc[b.index],
        )

    def changes(self, metrics: Sequence[str] | None = None) -> dict[str, Comparison | None]:
        """:meth:`change` for each headline metric."""
        return {metric: self.change(metric) for metric in (metrics or self.metrics())}

    @property
    def primary_metric(self) -> str | None:
        """The report's primary metric: the first headline metric with answers (NPS)."""
        metrics = self.metrics()
        return metrics[0] if metrics else None

    def headline_changes(self, metrics: Sequence[str] | None = None) -> pd.DataFrame:
        """Changes of the headline metrics from the previous wave, as one adjusted family.

        The primary metric (:attr:`primary_metric`, NPS) is tested on its own at the
        report's confidence; the others are adjusted among themselves with the params'
        multiplicity method, and their intervals are at the matching level
        (:func:`~cxresearch.stats.families.adjusted_family`), so every verdict agrees with
        the interval beside it. Rows of metrics that cannot be compared (no previous
        wave, no answers) have NaN statistics.
        """
        from cxresearch.stats.benchmark import SCORE_COLUMNS
        from cxresearch.stats.families import adjusted_family
        from cxresearch.stats.inference import compare_samples

        chosen = list(metrics or self.metrics())
        previous = self.previous_wave

        def compute(level: float) -> dict[str, Comparison | None]:
            out: dict[str, Comparison | None] = {}
            for metric in chosen:
                column = SCORE_COLUMNS.get(metric, metric)
                out[metric] = None
                if previous is None:
                    continue
                a, b = self.current[column], self.rows(previous)[column]
                a, b = a[a.notna()], b[b.notna()]
                if len(a) and len(b):
                    out[metric] = compare_samples(
                        a,
                        b,
                        metric=metric,
                        confidence=level,
                        weights_a=self.weights_for(a),
                        weights_b=self.weights_for(b),
                    )
            return out

        primary = chosen[0] if chosen else None
        return adjusted_family(
            compute, primary=primary, adjust=self.multiplicity, confidence=self.confidence
        )

    def nps_mix(self) -> pd.DataFrame:
        """Promoters, passives and detractors (%) and the NPS of each wave, oldest first.

        Returns
        -------
        DataFrame
            ``wave, promoters, passives, detractors, nps, n`` (shares on 0..100, from the
            registry's share metrics with the run's weights; they add up to 100).
        """
        columns = ["wave", "promoters", "passives", "detractors", "nps", "n"]
        if "nps" not in self.metrics():
            return pd.DataFrame(columns=columns)
        shares = self.by_wave(["promoters", "passives", "detractors", "nps"])
        wide = shares.pivot(index="wave", columns="metric", values="value")
        counts = shares[shares["metric"] == "nps"].set_index("wave")["n"]
        out = wide.reindex(list(self.waves)).assign(n=counts.reindex(list(self.waves)))
        out = out.reset_index()[["wave", "promoters", "passives", "detractors", "nps", "n"]]
        out.columns.name = None
        return out

    def group_trend(self, metric: str, by: str) -> pd.DataFrame:
        """``metric_by(..., by=["wave", by])`` over the run's waves (trends per group)."""
        from cxresearch.stats.metrics import metric_by

        if by not in self.responses.columns:
            raise DataError(f"group_trend: column {by!r} is not in the data of {self.params.path}")
        frame = metric_by(
            self.responses,
            metric,
            by=["wave", by],
            weights=self.weights,
            confidence=self.confidence,
            min_base=self.min_base,
        )
        return frame[frame["wave"].isin(self.waves) & (frame["n"] > 0)].reset_index(drop=True)

    def profile(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """Who answered in the current wave: each group's responses and share (%).

        Parameters
        ----------
        columns
            Columns to describe; default :meth:`breakdown_columns` (customer type, journey
            stage, touchpoint, channel, the params' segments) and ``language`` if there.

        Returns
        -------
        DataFrame
            ``column, group, n, share``; groups by share, largest first, except customer
            types and journey stages in their natural order. Shares are weighted when the
            run is (``n`` stays the count of responses); a missing value is its own group.
        """
        from cxresearch.data.schema import CUSTOMER_TYPES, JOURNEY_STAGES

        chosen = list(columns) if columns is not None else self.breakdown_columns()
        current = self.current
        weights = self.weights_for(current)
        w = np.ones(len(current)) if weights is None else weights.to_numpy(dtype=float)
        frames = []
        for column in chosen:
            if column not in current.columns:
                raise DataError(f"profile: column {column!r} is not in the data")
            keys = current[column].astype("object").where(current[column].notna(), "–")
            table = pd.DataFrame({"group": keys.to_numpy(), "w": w}).groupby("group", sort=False)
            part = pd.DataFrame({"n": table.size(), "share": 100 * table["w"].sum() / w.sum()})
            part = part.reset_index()
            natural = {"customer_type": CUSTOMER_TYPES, "journey_stage": JOURNEY_STAGES}.get(column)
            if natural is not None:
                rank = {v: i for i, v in enumerate(natural)}
                order = [rank.get(v, len(rank)) for v in part["group"]]
                part = part.iloc[np.argsort(order, kind="stable")]
            else:
                part = part.sort_values(["share", "group"], ascending=[False, True])
            frames.append(part.assign(column=column))
        if not frames:
            return pd.DataFrame(columns=["column", "group", "n", "share"])
        out = pd.concat(frames, ignore_index=True)
        return out[["column", "group", "n", "share"]]

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
        if by not in self.responses.columns:
            raise DataError(f"breakdown: column {by!r} is not in the data of {self.params.path}")
        # The findings, the tables and the charts all ask for the same breakdowns.
        return self._memo(("breakdown", metric, by), lambda: self._breakdown(metric, by))

    def _breakdown(self, metric: str, by: str) -> pd.DataFrame:
        from cxresearch.data.schema import CUSTOMER_TYPES, JOURNEY_STAGES
        from cxresearch.stats.metrics import metric_by

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
        # Asked for a dozen times per report; each asks for the distinct values of a
        # million rows per column. A new list each time: callers may change theirs.
        found = self._memo(
            ("breakdown_columns",),
            lambda: [
                c
                for c in dict.fromkeys(wanted)
                if c in current.columns and current[c].nunique() > 1
            ],
        )
        return list(found)

    def breakdowns(self, by: str, metrics: Sequence[str] | None = None) -> pd.DataFrame:
        """:meth:`breakdown` of each headline metric, stacked (for ``breakdown_table``)."""
        frames = [self.breakdown(metric, by) for metric in (metrics or self.metrics())]
        return pd.concat(frames, ignore_index=True)

    def breakdown_changes(self, metric: str, by: str) -> pd.DataFrame | None:
        """Change of ``metric`` per group from the previous wave, Holm-adjusted.

        :func:`~cxresearch.stats.inference.compare_waves` over the groups of ``by``; None
        when there is no previous wave.
        """
        from cxresearch.stats.benchmark import SCORE_COLUMNS
        from cxresearch.stats.inference import compare_waves

        previous = self.previous_wave
        if previous is None:
            return None
        return self._memo(
            ("breakdown_changes", metric, by),
            lambda: compare_waves(
                self.change_rows([by, SCORE_COLUMNS.get(metric, metric)]),
                metric,
                waves=[previous, self.current_wave],
                by=by,
                weights=self.weights,
                confidence=self.confidence,
                adjust=self.multiplicity,
            ),
        )

    def change_rows(self, columns: Sequence[str]) -> pd.DataFrame:
        """The rows of the previous and the current wave with (at least) ``columns``.

        The rows are selected once per session with the columns wave changes are
        computed from (wave, weight, the breakdown columns, the headline metrics' score
        columns), not every column; other columns are selected when asked for. Callers get
        a shallow copy, as from :meth:`rows`.
        """
        from cxresearch.stats.benchmark import SCORE_COLUMNS

        previous = self.previous_wave
        waves = [self.current_wave] if previous is None else [previous, self.current_wave]
        responses = self.responses
        usual = [
            "wave",
            "weight",
            *self.breakdown_columns(),
            *(SCORE_COLUMNS.get(m, m) for m in self.metrics()),
        ]
        kept = [c for c in dict.fromkeys(usual) if c in responses.columns]
        if not set(columns) <= set(kept):
            kept = list(dict.fromkeys([*kept, *columns]))
            return responses.loc[responses["wave"].isin(waves).to_numpy(), kept]
        return self._memo(
            ("change_rows",),
            lambda: responses.loc[responses["wave"].isin(waves).to_numpy(), kept],
            rows=True,
        )

    def _memo(self, key: tuple[Any, ...], compute: Any, *, rows: bool = False) -> Any:
        """``compute()`` once per session for ``key``; frames are returned as copies.

        A session's rows and settings never change, so neither do its results; a caller
        changing a returned frame changes its own copy (of a selection of rows a shallow
        copy, which pandas copies on write, so a million rows are not copied each time).
        """
        if key not in self._results:
            self._results[key] = compute()
        found = self._results[key]
        if isinstance(found, pd.DataFrame):
            return found.copy(deep=not rows)
        return found

    @cached_property
    def _results(self) -> dict[tuple[Any, ...], Any]:
        return {}

    def banner_columns(self) -> list[str]:
        """The banner's column variables: params ``report.banner.columns``, else customer type
        and the params' segments that have at least two groups in the current wave."""
        spec = self.params.report.banner
        wanted = (
            spec.columns if spec.columns is not None else ["customer_type", *self.params.segments]
        )
        current = self.current
        return [c for c in dict.fromkeys(wanted) if c in current and current[c].nunique() > 1]

    def banner(self) -> Any:
        """The current wave's banner table (:func:`~cxresearch.stats.crosstab.banner`).

        Rows: params ``report.banner.metrics`` (default the headline metrics) and the answer
        categories of ``report.banner.answers``; columns :meth:`banner_columns`; the run's
        weights, confidence and multiplicity adjustment; base thresholds from the params.
        Returns None when no column variable has two groups.
        """
        from cxresearch.data.schema import CUSTOMER_TYPES, JOURNEY_STAGES
        from cxresearch.stats.crosstab import banner

        columns = self.banner_columns()
        if not columns:
            return None
        spec = self.params.report.banner
        current = self.current
        return banner(
            current,
            columns=columns,
            metrics=spec.metrics if spec.metrics is not None else self.metrics(),
            answers=spec.answers,
            weights=self.weights_for(current),
            confidence=self.confidence,
            strict=spec.strict,
            adjust=self.multiplicity,
            caution_below=spec.caution_below,
            suppress_below=spec.suppress_below,
            orders={"customer_type": CUSTOMER_TYPES, "journey_stage": JOURNEY_STAGES},
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
        from cxresearch.stats.benchmark import target_rows

        return target_rows(self.current, touchpoint=target.touchpoint, segment=target.segment)

    def target_label(self, target: Target) -> str:
        """A target's name: its ``label``, else touchpoint and segment values in words."""
        if target.label:
            return target.label
        parts = [self.labels.value("touchpoint", target.touchpoint)] if target.touchpoint else []
        parts += [self.labels.value(c, v) for c, v in target.segment.items()]
        return " · ".join(parts) or self.labels.plain("target_all")

    def target_results(self) -> pd.DataFrame:
        """Every params target against the current wave, with a test and a status.

        :func:`cxresearch.stats.benchmark.target_results` with the run's weights and
        confidence; a base under the report's suppression threshold
        (:func:`cxresearch.present.format.suppress_threshold` of ``min_base``) is not
        tested. Labels are the targets' names in the report language
        (:meth:`target_label`).

        Returns
        -------
        DataFrame
            ``label, metric, touchpoint, segment, target, value, ci_low, ci_high, n,
            n_effective, difference, diff_ci_low, diff_ci_high, statistic, pvalue, test,
            effect_size, effect_size_name, status``; ``status`` is ``met``, ``not_met``,
            ``inconclusive``, ``suppressed`` or ``no_data``.
        """
        from cxresearch.stats.benchmark import target_results

        targets = [
            {**target.model_dump(), "label": self.target_label(target)}
            for target in self.params.targets
        ]
        return target_results(
            self.current,
            targets,
            weights=self.weights,
            confidence=self.confidence,
            suppress_below=suppress_threshold(self.min_base),
            adjust=self.multiplicity,
        )

    def benchmark_results(self) -> pd.DataFrame:
        """The current wave against each params benchmark (norm).

        :func:`cxresearch.stats.benchmark.benchmark_results` with the run's weights and
        confidence: a norm with a base ``n`` is tested against a sample rebuilt from its
        published figures (:func:`~cxresearch.stats.benchmark.compare_to_norm`; exact for
        a percentage, conservative for NPS); a norm without ``n`` is shown without a test.

        Returns
        -------
        DataFrame
            ``name, metric, value, ci_low, ci_high, n, client_value, client_ci_low,
            client_ci_high, client_n, difference, diff_ci_low, diff_ci_high, pvalue,
            test, effect_size, effect_size_name``.
        """
        from cxresearch.stats.benchmark import benchmark_results

        benchmarks = [bench.model_dump() for bench in self.params.benchmarks]
        return benchmark_results(
            self.current,
            benchmarks,
            weights=self.weights,
            confidence=self.confidence,
            adjust=self.multiplicity,
        )

    def base_sentence(self) -> str:
        """Who answered: rows kept, waves, current-wave base and the filters, in words."""
        from cxresearch.present.format import escape, format_number

        described = describe_filter({**self.params.data.filter, **self.run.filter}, self.labels)
        sentence = self.labels.text(
            "base_sentence",
            n_kept=format_number(len(self.responses), self.labels),
            waves=", ".join(self.waves),
            current=self.current_wave,
            n_current=format_number(len(self.current), self.labels),
            filters=escape(described) if described else self.labels.text("base_no_filter"),
        )
        weighting = self.params.weighting
        if weighting is None:
            return sentence
        trim = weighting.trim
        return (
            sentence
            + " "
            + self.labels.text(
                "weighting_sentence",
                margins=", ".join(self.labels.column(c) for c in weighting.margins),
                trim=self.labels.get("number.missing")
                if trim is None
                else f"{format_number(trim[0], self.labels, decimals=1)}–"
                f"{format_number(trim[1], self.labels, decimals=1)}",
            )
        )

    @property
    def answer_dates(self) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        """First and last ``submitted_at`` of the current wave's answers (None without it)."""
        if "submitted_at" not in self.current.columns:
            return None
        dates = pd.to_datetime(self.current["submitted_at"], errors="coerce").dropna()
        return (dates.min(), dates.max()) if len(dates) else None

    def cover(self, kind: str) -> SafeMarkdown:
        """A report's title block: title, kind and wave, and who and when it describes.

        The first page of the PDF: the title (params and run), the report kind with the
        current wave, and one line naming the run's respondents, the wave's answers and
        the dates they were given (the data's own dates, so the same data gives the same
        page).
        """
        from cxresearch.present.escaping import heading, markdown
        from cxresearch.present.format import format_number

        labels = self.labels
        who = self.run.title or (
            labels.plain("run_all") if self.run.name == "all" else self.run.name
        )
        facts = labels.text(
            "cover_facts",
            who=who,
            wave=self.current_wave,
            n=format_number(len(self.current), labels),
        )
        dates = self.answer_dates
        if dates is not None:
            first, last = (
                labels.get("number.date").format(d=d.day, m=d.month, y=d.year) for d in dates
            )
            facts += " " + labels.text("cover_dates", first=first, last=last)
        kind_line = labels.text("cover_kind", kind=kind, wave=self.current_wave)
        return markdown(heading(self.title, 1), kind_line, facts)

    def section_base(self, kind: str = "current") -> SafeMarkdown:
        """One sentence stating a section's base, in the report language (Markdown).

        ``"current"``: the current wave's responses (and the wave changes compare with);
        ``"waves"``: every wave with its responses (a trend); ``"targets"``: the current
        wave's responses in each target's group. Every section of a report says which
        rows it rests on, so bases that differ between sections are never mixed silently.
        """
        from cxresearch.present.format import format_number

        n = format_number(len(self.current), self.labels)
        previous = self.previous_wave
        if kind == "current":
            text = self.labels.text("base_current", wave=self.current_wave, n=n)
            if previous is not None:
                n_prev = format_number(len(self.rows(previous)), self.labels)
                text += " " + self.labels.text("base_change", previous=previous, n=n_prev)
            return text
        if kind == "waves":
            counts = ", ".join(
                f"{w}: {format_number(len(self.rows(w)), self.labels)}" for w in self.waves
            )
            return self.labels.text("base_waves", counts=counts)
        if kind == "targets":
            return self.labels.text("base_targets", wave=self.current_wave, n=n)
        raise ValueError(f"kind must be 'current', 'waves' or 'targets', got {kind!r}")


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


def _count(rows: list[dict[str, Any]], step: str, description: str, kept: int) -> None:
    before = rows[-1]["rows"] if rows else kept
    rows.append({"step": step, "description": description, "rows": kept, "dropped": before - kept})


def load_client_data(params: Params) -> pd.DataFrame:
    """The client's data file(s) read, mapped and validated as the params' ``data:`` says.

    Through the project's validated-data cache (:mod:`cxresearch.data.cache`): the batch's
    check and every report of the client read the file's validated copy while its bytes and
    the ``data:`` block are unchanged.
    """
    from cxresearch.data.cache import load_validated

    return load_validated(params.data_paths, params.data.options(), cache_dir=cache_folder(params))


def cache_folder(params: Params) -> Path:
    """The project's cache folder, ``<project>/.cache/cxresearch``."""
    return project_root(params.path) / ".cache" / "cxresearch"


def load_counts(frame: pd.DataFrame, labels: Labels) -> list[dict[str, Any]]:
    """Selection steps of the loading itself: rows in the file(s), each exclusion reason.

    Raises DataError if the rows kept differ from the rows read less those excluded: a row
    must never disappear without being counted.
    """
    steps: list[dict[str, Any]] = []
    raw = frame.attrs.get("load_steps") or []
    files = [s["reason"] for s in raw if s["step"] == "file"]
    read = sum(int(s["rows"]) for s in raw if s["step"] == "file")
    if not raw:
        _count(steps, "read", labels.count_step("read", file=""), len(frame))
        return steps
    _count(steps, "read", labels.count_step("read", file=", ".join(files)), read)
    kept = read
    reasons: dict[tuple[str, str], int] = {}
    for item in raw:
        if item["step"] in ("excluded", "exclude_rule"):
            key = (item["step"], item["reason"])
            reasons[key] = reasons.get(key, 0) + int(item["rows"])
    for (step, reason), rows in reasons.items():
        if not rows:
            continue
        kept -= rows
        if step == "excluded":
            description = labels.count_step(f"excluded_{reason}")
        else:
            description = labels.count_step("exclude_rule", rule=reason)
        _count(steps, f"{step}_{reason}", description, kept)
    if kept != len(frame):
        raise DataError(
            f"{frame.attrs.get('source')}: {read} rows read, {read - kept} excluded, but "
            f"{len(frame)} loaded; rows were lost without a count"
        )
    return steps


def missing_codes(frame: pd.DataFrame) -> pd.DataFrame:
    """Answers counted as "no answer" when loading: ``column, code, cells`` (one row each)."""
    rows = [
        {"column": column, "code": code, "cells": cells}
        for column, codes in (frame.attrs.get("missing_codes") or {}).items()
        for code, cells in codes.items()
    ]
    return pd.DataFrame(rows, columns=["column", "code", "cells"])


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
    from cxresearch.consistency import check_against_data
    from cxresearch.data import select_rows

    params = load_params(_resolve(params_path))
    selected_run = params.run(run)
    labels = get_labels(params.language)
    frame = load_client_data(params)
    data_sha256 = str(frame.attrs.get("source_sha256", ""))
    _record_run(params, data_sha256)
    params.check_columns(list(frame.columns))
    steps = load_counts(frame, labels)
    missing = missing_codes(frame)
    if params.data.filter:
        client_rows = select_rows(frame, params.data.filter, source=f"{params.path}: data.filter")
        what = describe_filter(params.data.filter, labels)
        if len(client_rows) < len(frame):
            # A file shared by several clients: the counts start from this client's own rows,
            # so the report does not show how many answers the others have.
            steps = []
            client_step = labels.count_step("client", file=params.data_path.name, what=what)
            _count(steps, "client", client_step, len(client_rows))
        else:
            _count(steps, "data_filter", labels.count_step("filter", what=what), len(client_rows))
        frame = client_rows
    params.check_one_client(frame)
    check_against_data(params, frame)
    raked = _rake(params, frame) if params.weighting is not None else None
    if selected_run.filter:
        frame = select_rows(
            frame, selected_run.filter, source=f"{params.path}: runs[{selected_run.name}].filter"
        )
        what = describe_filter(selected_run.filter, labels)
        _count(steps, "run_filter", labels.count_step("filter", what=what), len(frame))
    wanted = params.waves.ordered
    in_waves = frame["wave"].isin(wanted).to_numpy(dtype=bool)
    frame = frame if in_waves.all() else frame[in_waves]
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
        # A shallow copy: with copy-on-write nothing the reports do to it reaches the
        # frame read (or the validated-data cache's copy), and a million rows are not copied.
        responses=frame.copy(deep=False),
        labels=labels,
        counts=counts,
        waves=waves,
        raked=raked,
        data_sha256=data_sha256,
        missing=missing,
    )


def client_weights(params: Params, frame: pd.DataFrame) -> pd.Series | None:
    """The weights every report of the client uses, indexed like ``frame``'s params waves.

    ``frame`` is the client's rows after ``data.filter`` (before any run filter). With
    params ``weighting`` the rows of the params' waves are raked within each wave (the
    Series keeps its calibration, so estimates use the raked-design variance); otherwise a
    ``weight`` column is used as it is; without either, None. The reports
    (:attr:`RunSession.weights`) and the index's headline use this one rule, so the index
    shows the numbers the reports print.

    Examples
    --------
    >>> params = load_params("params/kotiposti.yaml")  # doctest: +SKIP
    >>> frame = select_rows(load_client_data(params), params.data.filter)  # doctest: +SKIP
    >>> client_weights(params, frame).groupby(frame["wave"]).mean()  # doctest: +SKIP
    wave
    2026Q1    1.0
    2026Q2    1.0
    2026Q3    1.0
    """
    if params.weighting is not None:
        return _rake(params, frame)
    if "weight" in frame.columns:
        return frame["weight"]
    return None


def _rake(params: Params, frame: pd.DataFrame) -> pd.Series:
    """The client's rows of the params' waves raked to ``weighting.margins`` within each wave."""
    from cxresearch.stats.raking import rake

    assert params.weighting is not None
    rows = frame[frame["wave"].isin(params.waves.ordered)]
    try:
        return rake(rows, params.weighting.margins, trim=params.weighting.trim, by="wave")
    except ValueError as err:
        raise ParamsError(f"{params.path}: weighting: {err} (data {params.data_path})") from None


def _record_run(params: Params, data_sha256: str) -> None:
    # In a report kernel (the runner sets the variable), tell the runner which bytes this
    # notebook analysed: the manifest records them, not the file as it was at validation.
    if os.environ.get(RUN_RECORD_VARIABLE) != "1":
        return
    from IPython.display import display

    record = {"data_sha256": data_sha256, "params_sha256": params.sha256}
    display({RUN_RECORD_MIMETYPE: record}, raw=True)
