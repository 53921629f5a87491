"""Report tables: statistics frames turned into labelled, rounded, escaped HTML tables.

Every function returns a :class:`Table`: ``table.frame`` holds the display strings (tests
and Excel exports read it), the notebook shows it as HTML through a pandas ``Styler``
(``table.to_styler()`` for further styling).
The HTML is deterministic (the element id is derived from the content, not random, so the
same inputs give the same report bytes) and every cell and header is HTML-escaped, because
category names and titles come from client data and params.

Small bases follow :func:`cxresearch.present.format.base_status`: rows under ``min_base``
carry the flag † and are greyed, rows under the suppression threshold show "–" for the
value and interval (their n is still shown, so nothing disappears silently).
"""

from __future__ import annotations

import hashlib
import html
import math
import re
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from pandas.io.formats.style import Styler

from cxresearch.present.format import (
    LOW_BASE_FLAG,
    NARROW_FLAG,
    base_cell,
    base_status,
    format_ci_label,
    format_interval,
    format_number,
    format_pvalue,
    is_missing,
    is_narrow,
    is_weighted_frame,
    metric_decimals,
    suppress_threshold,
)
from cxresearch.present.labels import Labels
from cxresearch.results import Comparison, Estimate
from cxresearch.stats.metrics import STAT_COLUMNS

# Columns of metric_by's tidy output that are statistics, not grouping keys.
ESTIMATE_COLUMNS = frozenset(STAT_COLUMNS)
MUTED = "color: #7b8794"
#: Marks beside a significant change: a shape as well as a word, never colour alone.
CHANGE_MARKS = {"up": "▲", "down": "▼"}


@dataclass(frozen=True)
class Table:
    """A report table: display strings plus the notes and row greying that go with them.

    Attributes
    ----------
    frame
        The formatted cells (strings), with translated column headers.
    notes
        Footnotes shown under the table (small-base flag, suppression rule).
    muted
        Per row: grey it (small or suppressed base).
    left
        How many leading (text) columns are left-aligned.
    """

    frame: pd.DataFrame
    notes: tuple[str, ...] = ()
    muted: tuple[bool, ...] = ()
    left: int = 1

    def to_styler(self) -> Styler:
        """A Styler with escaped cells, hidden index, deterministic id and notes below."""
        # The element id comes from the content, not a random uuid: same inputs, same bytes.
        digest = hashlib.sha256(self.frame.to_json(force_ascii=False).encode("utf-8")).hexdigest()
        frame = self.frame.rename(columns=lambda c: keep_together(str(c)))
        styler = Styler(frame, uuid=f"cx{digest[:10]}", cell_ids=False)
        styler = styler.hide(axis="index").format(escape="html")
        styler = styler.format_index(escape="html", axis=1)
        styles: list[Any] = [{"selector": "caption", "props": "caption-side: bottom;"}]
        for i in range(min(self.left, frame.shape[1])):
            # Text columns read left-aligned; the report CSS right-aligns numbers.
            selector = f"td.col{i}, th.col_heading.col{i}"
            styles.append({"selector": selector, "props": "text-align: left;"})
        for i in range(self.left, frame.shape[1]):
            # "37 (31–44)" must not break at its dash (WeasyPrint would wrap it on A4).
            styles.append({"selector": f"td.col{i}", "props": "white-space: nowrap;"})
        styler = styler.set_table_styles(styles)
        if self.notes:
            styler = styler.set_caption(" ".join(html.escape(note) for note in self.notes))
        if any(self.muted):
            flags = list(self.muted)

            def _grey(row: pd.Series) -> list[str]:
                return [MUTED if flags[int(str(row.name))] else "" for _ in row]

            styler = styler.apply(_grey, axis=1)
        return styler

    def to_html(self) -> str:
        """The table as escaped, deterministic HTML."""
        return str(self.to_styler().to_html())

    def _repr_html_(self) -> str:
        return self.to_html()


_INNER_HYPHEN = re.compile(r"(?<=\w)-(?=\w)")
_RANGE_DASH = re.compile(r"(?<=\w)–(?=\w)")


def keep_together(header: str) -> str:
    """A column header that breaks only between words: never "p- / arvo" or "5– / 7".

    A hyphen inside a word becomes a non-breaking hyphen (U+2011), a range's en dash is
    held to its neighbours by word joiners (U+2060) and "95 %" keeps its no-break space.
    """
    text = _INNER_HYPHEN.sub("\u2011", header)
    text = _RANGE_DASH.sub("\u2060–\u2060", text)
    return text.replace("% ", "%\u00a0").replace(" %", "\u00a0%")


def _styled(
    frame: pd.DataFrame,
    *,
    notes: Sequence[str] = (),
    muted: Sequence[bool] | None = None,
    left: int = 1,
) -> Table:
    return Table(
        frame.reset_index(drop=True), tuple(notes), tuple(muted or [False] * len(frame)), left
    )


def _narrow_note(flagged: bool, labels: Labels) -> list[str]:
    return [labels.plain("narrow_note", flag=NARROW_FLAG)] if flagged else []


def _base_notes(
    statuses: Sequence[str], labels: Labels, min_base: float, suppress: float
) -> list[str]:
    notes = []
    if "low" in statuses:
        notes.append(
            labels.plain(
                "low_base_note", flag=LOW_BASE_FLAG, min_base=format_number(min_base, labels)
            )
        )
    if "suppressed" in statuses:
        notes.append(labels.plain("suppressed_note", suppress=format_number(suppress, labels)))
    return notes


def group_columns(frame: pd.DataFrame) -> list[str]:
    """The grouping columns of a ``metric_by`` frame (everything that is not a statistic)."""
    return [c for c in frame.columns if c not in ESTIMATE_COLUMNS]


def estimate_table(
    frame: pd.DataFrame,
    labels: Labels,
    *,
    min_base: float = 30,
    suppress_below: float | None = None,
    overall: Estimate | None = None,
) -> Table:
    """Format a :func:`~cxresearch.stats.metrics.metric_by` frame for the report.

    Parameters
    ----------
    frame
        One row per group with ``value, ci_low, ci_high, n`` (``n_effective``,
        ``confidence``, ``metric`` used when present) and the grouping column(s).
    labels
        Report language.
    min_base
        Rows whose effective base is below this are flagged † and greyed.
    suppress_below
        Rows below this base show no value; default ``ceil(min_base / 2)``.
    overall
        The whole sample's estimate, shown as a first row ("Kaikki vastaajat").

    Returns
    -------
    Table
        Columns: one per grouping column (category names translated), the metric when the
        frame holds more than one, the value, the interval, ``n``, effective ``n`` when
        any row is weighted, and a note column with † for small bases.
    """
    required = ["value", "ci_low", "ci_high", "n"]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks column(s) {missing}; expected metric_by output")
    rows = frame.reset_index(drop=True)
    groups = group_columns(rows)
    records = rows.to_dict("records")
    if overall is not None:
        first: dict[Hashable, Any] = {g: None for g in groups}
        first.update(
            metric=overall.metric,
            value=overall.value,
            ci_low=overall.ci_low,
            ci_high=overall.ci_high,
            n=overall.n,
            weighted_n=overall.weighted_n,
            n_effective=overall.n_effective,
            confidence=overall.confidence,
        )
        records.insert(0, first)
    metrics = list(dict.fromkeys(str(r.get("metric", "")) for r in records))
    confidence = float(records[0].get("confidence", 0.95)) if records else 0.95
    weighted = any(
        not is_missing(r.get("n_effective")) and abs(float(r["n_effective"]) - float(r["n"])) > 1e-9
        for r in records
    )
    suppress = suppress_threshold(min_base, suppress_below)
    out: dict[str, list[str]] = {labels.column(g): [] for g in groups}
    show_metric = len(metrics) > 1
    metric_col, value_col = labels.column("metric"), labels.column("value")
    ci_col, n_col = format_ci_label(confidence, labels, long=True), labels.column("n")
    neff_col, note_col = labels.column("n_effective"), labels.column("note")
    wn_col = labels.column("weighted_n")
    extra = [value_col, ci_col, n_col, *([wn_col, neff_col] if weighted else []), note_col]
    if show_metric:
        out[metric_col] = []
    for name in extra:
        out[name] = []
    statuses: list[str] = []
    flagged_narrow = False
    for i, record in enumerate(records):
        is_overall = overall is not None and i == 0
        for g in groups:
            value = record.get(g)
            if is_overall:
                text = labels.plain("overall") if g == groups[0] else ""
            else:
                text = (
                    labels.value(g, value)
                    if not is_missing(value)
                    else labels.get("number.missing")
                )
            out[labels.column(g)].append(text)
        metric = str(record.get("metric", ""))
        if show_metric:
            out[metric_col].append(labels.metric(metric))
        status = base_status(
            record["n"],
            record.get("n_effective", math.nan),
            min_base=min_base,
            suppress_below=suppress_below,
        )
        statuses.append(status)
        digits = metric_decimals(metric)
        hidden = status in ("suppressed", "empty")
        out[value_col].append(
            labels.get("number.missing")
            if hidden
            else format_number(record["value"], labels, decimals=digits)
        )
        out[ci_col].append(
            labels.get("number.missing")
            if hidden
            else format_interval(record["ci_low"], record["ci_high"], labels, decimals=digits)
        )
        out[n_col].append(format_number(record["n"], labels))
        if weighted:
            out[wn_col].append(format_number(record.get("weighted_n"), labels))
            out[neff_col].append(format_number(record.get("n_effective"), labels))
        narrow = not hidden and is_narrow(
            metric, record["value"], record["n"], record.get("n_effective", math.nan)
        )
        flagged_narrow = flagged_narrow or narrow
        out[note_col].append(
            " ".join(
                f
                for f in (
                    LOW_BASE_FLAG
                    if status == "low"
                    else labels.status("suppressed")
                    if status == "suppressed"
                    else "",
                    NARROW_FLAG if narrow else "",
                )
                if f
            )
        )
    table = pd.DataFrame(out)
    if not groups and overall is None:
        table.insert(0, labels.column("group"), [labels.plain("overall")] * len(table))
    muted = [s in ("low", "suppressed", "empty") for s in statuses]
    notes = _base_notes(statuses, labels, min_base, suppress) + _narrow_note(flagged_narrow, labels)
    return _styled(table, notes=notes, muted=muted, left=max(1, len(groups)) + int(show_metric))


#: Columns whose groups keep their own order (the funnel), not the order of their results.
NATURAL_ORDER = ("customer_type", "journey_stage")


def _group_base(first: pd.DataFrame, key: Any, labels: Labels, *, weighted: bool) -> str:
    """A breakdown row's base: n, and "n (effective n)" under weights."""
    if key not in first.index:
        return format_number(0, labels)
    row = first.loc[key]
    return base_cell(row["n"], row.get("n_effective", math.nan), labels, weighted=weighted)


def breakdown_table(
    frame: pd.DataFrame,
    labels: Labels,
    *,
    changes: pd.DataFrame | None = None,
    min_base: float = 30,
    suppress_below: float | None = None,
    method_note: bool = True,
) -> Table:
    """Several metrics by one grouping column, one row per group, at most six columns.

    Parameters
    ----------
    frame
        ``metric_by`` frames of one grouping column stacked (``pd.concat``), told apart by
        their ``metric`` column; the first metric orders the rows.
    labels
        Report language.
    changes
        Optional :func:`~cxresearch.stats.inference.compare_waves` output for one metric
        and the same grouping column (current against previous wave, adjusted across the
        table's groups): one column with the change, ▲/▼ when significant, and the
        adjusted p-value; the effect sizes are listed in the note.
    min_base, suppress_below
        Small-base rule, see :func:`estimate_table`; applied per metric cell.
    method_note
        Whether the note names the test, the adjustment and the effect size; a section
        with several such tables says it once (:func:`change_method_note`) and passes False.

    Returns
    -------
    Table
        Columns: group, n (the group's responses; one base column), "value (interval)"
        per metric with † on small bases, and the change. Rows: customer types and journey
        stages in funnel order, other groups by their first metric, best first.
    """
    groups = group_columns(frame)
    if len(groups) != 1:
        raise ValueError(f"frame must have exactly one grouping column, found {groups}")
    group = groups[0]
    metrics = [str(m) for m in dict.fromkeys(frame["metric"])]
    keys = list(dict.fromkeys(frame[group]))
    first = frame[frame["metric"] == metrics[0]].set_index(group)
    if str(group) not in NATURAL_ORDER:
        order = {k: -float(first.loc[k, "value"]) if k in first.index else math.inf for k in keys}
        keys.sort(key=lambda k: (math.isnan(order[k]), order[k]))
    confidence = float(frame["confidence"].iloc[0]) if "confidence" in frame else 0.95
    ci = format_ci_label(confidence, labels)
    # One base column: the group's responses to the first metric, and under weights its
    # effective base beside them ("n (effective n)").
    weighted = is_weighted_frame(frame)
    out: dict[str, list[str]] = {
        labels.column(str(group)): [labels.value(str(group), k) for k in keys],
        labels.column("n_with_effective" if weighted else "n"): [
            _group_base(first, k, labels, weighted=weighted) for k in keys
        ],
    }
    all_hidden = [True] * len(keys)
    statuses: list[str] = []
    flagged_narrow = False
    for metric in metrics:
        name = labels.metric(metric, short=True)
        rows = frame[frame["metric"] == metric].set_index(group)
        values = []
        for i, key in enumerate(keys):
            if key not in rows.index:
                values.append(labels.get("number.missing"))
                continue
            row = rows.loc[key]
            status = base_status(
                row["n"],
                row.get("n_effective", math.nan),
                min_base=min_base,
                suppress_below=suppress_below,
            )
            statuses.append(status)
            digits = metric_decimals(metric)
            if status in ("suppressed", "empty"):
                values.append(labels.get("number.missing"))
            else:
                flag = f" {LOW_BASE_FLAG}" if status == "low" else ""
                if is_narrow(metric, row["value"], row["n"], row.get("n_effective", math.nan)):
                    flag += f" {NARROW_FLAG}"
                    flagged_narrow = True
                interval = format_interval(row["ci_low"], row["ci_high"], labels, decimals=digits)
                values.append(
                    f"{format_number(row['value'], labels, decimals=digits)}{flag} ({interval})"
                )
                all_hidden[i] = all_hidden[i] and status != "ok"
        out[labels.column("metric_ci").format(metric=name, ci=ci)] = values
    suppress = suppress_threshold(min_base, suppress_below)
    notes = _base_notes(statuses, labels, min_base, suppress) + _narrow_note(flagged_narrow, labels)
    if changes is not None and len(changes):
        header, cells, effects = _change_column(changes, group, keys, labels, suppress)
        out[header] = cells
        if effects:
            notes.append(effects)
        if method_note:
            notes.append(change_method_note(changes, labels))
    return _styled(pd.DataFrame(out), notes=notes, muted=all_hidden)


def _names(values: pd.Series) -> list[str]:
    """Distinct non-missing names (tests, effect sizes) in the order they first appear."""
    return [str(v) for v in dict.fromkeys(values) if not is_missing(v) and str(v)]


def _change_column(
    changes: pd.DataFrame, group: str, keys: list[Any], labels: Labels, suppress: float
) -> tuple[str, list[str], str]:
    """The change column of a breakdown table ("−25 ▼ (p = 0,003)") and its effect sizes.

    A change is shown only when both waves' bases are big enough to show a result: a
    suppressed group's change would reveal what the table hides.
    """
    metric = str(changes["metric"].iloc[0])
    by_key = changes.set_index(group)
    digits = metric_decimals(metric)
    missing = labels.get("number.missing")
    cells, effects = [], []
    for key in keys:
        if (
            key not in by_key.index
            or is_missing(by_key.loc[key, "difference"])
            or min(by_key.loc[key, "n_a"], by_key.loc[key, "n_b"]) < suppress
        ):
            cells.append(missing)
            continue
        row = by_key.loc[key]
        mark = ""
        if bool(row.get("significant", False)):
            mark = " " + CHANGE_MARKS["down" if row["difference"] < 0 else "up"]
        diff = format_number(row["difference"], labels, decimals=digits, signed=True)
        cells.append(f"{diff}{mark} ({format_pvalue(row['pvalue_adjusted'], labels)})")
        effects.append(
            f"{labels.value(str(group), key)} "
            f"{format_number(row['effect_size'], labels, decimals=2, signed=True)}"
        )
    symbols = [labels.effect_size(e, form="short") for e in _names(changes["effect_size_name"])]
    header = labels.column("change_p_of").format(metric=labels.metric(metric, short=True))
    note = (
        labels.plain(
            "effects_note", symbol="/".join(dict.fromkeys(symbols)), effects="; ".join(effects)
        )
        if effects
        else ""
    )
    return header, cells, note


def change_method_note(changes: pd.DataFrame, labels: Labels) -> str:
    """How the changes of a breakdown table are tested, adjusted and sized (plain text).

    Said once per section when the section has several breakdown tables.
    """
    missing = labels.get("number.missing")
    tests = _names(changes["test"])
    effect_names = _names(changes["effect_size_name"])
    symbols = [labels.effect_size(e, form="short") for e in effect_names]
    first = changes.iloc[0]
    method = str(first["adjust"]) if "adjust" in changes else "holm"
    return labels.plain(
        "adjust_note",
        method=labels.lookup("multiplicity", method),
        current=str(first["wave"]),
        previous=str(first["previous_wave"]),
        test="; ".join(labels.test(t) for t in tests) or missing,
        effect="; ".join(
            f"{sym} = {labels.effect_size(e, form='long')}"
            for sym, e in zip(symbols, effect_names, strict=True)
        )
        or missing,
        up=CHANGE_MARKS["up"],
        down=CHANGE_MARKS["down"],
    )


def _family(changes: Mapping[str, Comparison | None] | pd.DataFrame | None) -> pd.DataFrame:
    """Changes as an :func:`~cxresearch.stats.families.adjusted_family` frame.

    A plain mapping of comparisons is read as unadjusted (each its own primary).
    """
    if changes is None:
        return pd.DataFrame(columns=["key", "role"])
    if isinstance(changes, pd.DataFrame):
        return changes
    rows = []
    for key, cmp in changes.items():
        row: dict[str, Any] = {"key": key, "role": "primary", "adjust": "none"}
        if cmp is not None:
            row.update({name: getattr(cmp, name) for name in Comparison.__dataclass_fields__})
            row.update(
                pvalue_adjusted=cmp.pvalue,
                interval_level=cmp.confidence,
                significant=cmp.significant,
            )
        rows.append(row)
    return pd.DataFrame(rows)


def headline_table(
    estimates: Mapping[str, Estimate],
    labels: Labels,
    *,
    changes: Mapping[str, Comparison | None] | pd.DataFrame | None = None,
    min_base: float = 30,
    suppress_below: float | None = None,
) -> Table:
    """Headline metrics of the current wave, with the change from the previous wave.

    Parameters
    ----------
    estimates
        Metric key (``"nps"``, ``"csat"``...) → estimate on the current wave.
    labels
        Report language.
    changes
        :meth:`~cxresearch.session.RunSession.headline_changes` (the primary metric tested
        on its own, the others adjusted among themselves), or metric key → comparison
        (read as unadjusted); None or a missing key: no change shown.
    min_base, suppress_below
        Small-base rule, see :func:`estimate_table`.

    Returns
    -------
    Table
        Five columns: metric, result with its interval, n, change with its interval and a
        ▲/▼ mark when significant, p-value (adjusted where the family is). One note
        names the waves, the test, the adjustment with the intervals' level, the marks
        and the effect sizes.
    """
    family = _family(changes).set_index("key") if changes is not None else None
    missing = labels.get("number.missing")
    confidence = next(iter(estimates.values())).confidence if estimates else 0.95
    value_col = labels.column("metric_ci").format(
        metric=labels.column("value"), ci=format_ci_label(confidence, labels)
    )
    # Under weights the bases are n, weighted n and effective n (weighted and effective in
    # one column, so the table keeps to six columns).
    weighted = any(est.weighted for est in estimates.values())
    weighted_col = labels.column("weighted_effective_n")
    columns = [labels.column("metric"), value_col, labels.column("n")]
    if weighted:
        columns.append(weighted_col)
    if family is not None:
        columns += [labels.column("change_ci"), labels.column("pvalue")]
    out: dict[str, list[str]] = {c: [] for c in columns}
    statuses: list[str] = []
    effects: list[str] = []
    secondary_levels: set[float] = set()
    tests: list[str] = []
    methods: list[str] = []
    for key, est in estimates.items():
        metric = est.metric or key
        status = base_status(
            est.n, est.n_effective, min_base=min_base, suppress_below=suppress_below
        )
        statuses.append(status)
        digits = metric_decimals(metric)
        hidden = status in ("suppressed", "empty")
        flag = f" {LOW_BASE_FLAG}" if status == "low" else ""
        out[columns[0]].append(labels.metric(metric))
        out[value_col].append(
            missing
            if hidden
            else format_number(est.value, labels, decimals=digits)
            + flag
            + f" ({format_interval(est.ci_low, est.ci_high, labels, decimals=digits)})"
        )
        out[labels.column("n")].append(format_number(est.n, labels))
        if weighted:
            out[weighted_col].append(
                f"{format_number(est.weighted_n, labels)}"
                f" ({format_number(est.n_effective, labels)})"
            )
        if family is None:
            continue
        row: dict[Any, Any] | None = family.loc[key].to_dict() if key in family.index else None
        if row is None or hidden or is_missing(row.get("difference")):
            out[labels.column("change_ci")].append(missing)
            out[labels.column("pvalue")].append(missing)
            continue
        mark = ""
        if bool(row["significant"]):
            mark = " " + (CHANGE_MARKS["down"] if row["difference"] < 0 else CHANGE_MARKS["up"])
        interval = format_interval(row["ci_low"], row["ci_high"], labels, decimals=digits)
        out[labels.column("change_ci")].append(
            format_number(row["difference"], labels, decimals=digits, signed=True)
            + f" ({interval}){mark}"
        )
        out[labels.column("pvalue")].append(p_cell(row["pvalue_adjusted"], labels))
        tests.append(str(row["test"]))
        effects.append(
            f"{labels.metric(metric, short=True)} "
            f"{labels.effect_size(str(row['effect_size_name']), form='short')} = "
            f"{format_number(row['effect_size'], labels, decimals=2, signed=True)}"
        )
        if row["role"] != "primary":
            secondary_levels.add(float(row["interval_level"]))
            methods.append(str(row["adjust"]))
    notes = _base_notes(statuses, labels, min_base, suppress_threshold(min_base, suppress_below))
    if family is not None and tests:
        notes.append(
            _headline_change_note(
                estimates, family, labels, tests, effects, methods, secondary_levels
            )
        )
    muted = [s in ("low", "suppressed", "empty") for s in statuses]
    return _styled(pd.DataFrame(out), notes=notes, muted=muted)


def _headline_change_note(
    estimates: Mapping[str, Estimate],
    family: pd.DataFrame,
    labels: Labels,
    tests: list[str],
    effects: list[str],
    methods: list[str],
    levels: set[float],
) -> str:
    """One note: test, how the family is adjusted and at which level, marks, effect sizes."""
    primary = [k for k in family.index if family.loc[k, "role"] == "primary"]
    confidence = next(iter(estimates.values())).confidence
    parts = [
        labels.plain(
            "headline_change_note",
            test="; ".join(dict.fromkeys(labels.test(t, short=True) for t in tests)),
            primary=labels.metric(str(primary[0]), short=True) if primary else "",
            ci=format_ci_label(confidence, labels),
            up=CHANGE_MARKS["up"],
            down=CHANGE_MARKS["down"],
        )
    ]
    if methods:
        parts.append(
            labels.plain(
                "headline_adjust_note",
                method=labels.lookup("multiplicity", methods[0]),
                ci=", ".join(format_ci_label(level, labels) for level in sorted(levels)),
            )
        )
    parts.append(labels.plain("effect_note", effects="; ".join(effects)))
    return " ".join(parts)


def counts_table(counts: pd.DataFrame, labels: Labels) -> Table:
    """The rows kept by each selection step (``RunSession.counts``): step, rows, dropped."""
    table = pd.DataFrame(
        {
            labels.column("step"): counts["description"].astype(str).tolist(),
            labels.column("rows"): [format_number(v, labels) for v in counts["rows"]],
        }
    )
    return _styled(table)


def missing_table(missing: pd.DataFrame, labels: Labels) -> Table:
    """Answers counted as "no answer" when loading (``RunSession.missing``).

    One row per column and code: the question (its schema name in the report language),
    the code as the export wrote it (``-99``, ``En osaa sanoa``; SPSS user-missing values
    in words) and how many answers had it.
    """
    from cxresearch.data.prepare import SPSS_USER_MISSING

    codes = [
        labels.plain("missing_spss") if str(code) == SPSS_USER_MISSING else str(code)
        for code in missing["code"]
    ]
    table = pd.DataFrame(
        {
            labels.column("question"): [
                labels.metric(str(c), short=True)
                if c in ("nps", "csat", "ces")
                else labels.get(f"columns.{c}", str(c))
                for c in missing["column"]
            ],
            labels.column("answer_code"): codes,
            labels.column("cells"): [format_number(v, labels) for v in missing["cells"]],
        }
    )
    return _styled(table)


def target_table(frame: pd.DataFrame, labels: Labels, *, min_base: float = 30) -> Table:
    """Targets against results (``RunSession.target_results()``), six columns.

    Columns: what the target is for, metric, target, actual with its interval, n, and the
    status with ▲ (met) / ▼ (not met) and the adjusted p-value. The gap to the target and
    its interval are the actual's interval shifted by the target (the test is against the
    target), so they are not repeated; the note gives the intervals' level, which matches
    the adjusted p-values. Statuses of small bases get the † flag.
    """
    columns = [
        labels.column("target_for"),
        labels.column("metric"),
        labels.column("target"),
        labels.column("actual_ci"),
        labels.column("n"),
        labels.column("status_p"),
    ]
    out: dict[str, list[str]] = {c: [] for c in columns}
    muted: list[bool] = []
    shown_status: list[str] = []
    marks = {"met": CHANGE_MARKS["up"], "not_met": CHANGE_MARKS["down"]}
    missing = labels.get("number.missing")
    for row in frame.to_dict("records"):
        digits = metric_decimals(str(row["metric"]))
        status = str(row["status"])
        base = base_status(row["n"], row.get("n_effective", math.nan), min_base=min_base)
        hidden = status in ("suppressed", "no_data")
        interval = format_interval(row["ci_low"], row["ci_high"], labels, decimals=digits)
        flag = f" {LOW_BASE_FLAG}" if base == "low" and not hidden else ""
        verdict = labels.status(status) + (f" {marks[status]}" if status in marks else "") + flag
        if not hidden:
            p = row.get("pvalue_adjusted", row.get("pvalue"))
            verdict += f" ({format_pvalue(p, labels)})"
        cells = [
            str(row["label"]),
            labels.metric(str(row["metric"]), short=True),
            format_number(row["target"], labels, decimals=digits),
            missing
            if hidden
            else f"{format_number(row['value'], labels, decimals=digits)} ({interval})",
            format_number(row["n"], labels),
            verdict,
        ]
        for column, cell in zip(columns, cells, strict=True):
            out[column].append(cell)
        muted.append(hidden or base == "low")
        shown_status.append("suppressed" if status == "suppressed" else base)
    notes = _base_notes(shown_status, labels, min_base, suppress_threshold(min_base))
    tested = frame[frame["status"].isin(["met", "not_met", "inconclusive"])]
    if len(tested) and "interval_level" in tested:
        first = tested.iloc[0]
        notes.append(
            labels.plain(
                "target_note",
                ci=format_ci_label(float(first["interval_level"]), labels),
                method=labels.lookup("multiplicity", str(first.get("adjust", "none"))),
                count=format_number(len(tested), labels),
                test="; ".join(labels.test(t) for t in _names(tested["test"])),
                up=CHANGE_MARKS["up"],
                down=CHANGE_MARKS["down"],
            )
        )
    return _styled(pd.DataFrame(out), notes=notes, muted=muted, left=2)


def benchmark_table(frame: pd.DataFrame, labels: Labels) -> Table:
    """Client result against norms (``RunSession.benchmark_results()``).

    Columns: benchmark name, metric, norm value (with its interval when known), norm base,
    difference client − norm (with interval when testable), p-value.
    """
    out: dict[str, list[str]] = {
        labels.column("benchmark"): [],
        labels.column("metric"): [],
        labels.column("norm_value"): [],
        labels.column("n"): [],
        labels.column("difference"): [],
        labels.column("pvalue"): [],
    }
    for row in frame.to_dict("records"):
        digits = metric_decimals(str(row["metric"]))
        value = format_number(row["value"], labels, decimals=digits)
        if not is_missing(row.get("ci_low")) and not is_missing(row.get("ci_high")):
            value += f" ({format_interval(row['ci_low'], row['ci_high'], labels, decimals=digits)})"
        diff = format_number(row["difference"], labels, decimals=digits, signed=True)
        if not is_missing(row.get("diff_ci_low")):
            interval = format_interval(
                row["diff_ci_low"], row["diff_ci_high"], labels, decimals=digits
            )
            diff += f" ({interval})"
        out[labels.column("benchmark")].append(str(row["name"]))
        out[labels.column("metric")].append(labels.metric(str(row["metric"]), short=True))
        out[labels.column("norm_value")].append(value)
        out[labels.column("n")].append(format_number(row.get("n"), labels))
        out[labels.column("difference")].append(diff)
        out[labels.column("pvalue")].append(
            p_cell(row.get("pvalue_adjusted", row.get("pvalue")), labels)
        )
    notes = []
    if "adjust" in frame and len(frame) > 1 and frame["pvalue"].notna().sum() > 1:
        method = str(frame["adjust"].iloc[0])
        notes.append(labels.plain("norm_note", method=labels.lookup("multiplicity", method)))
    return _styled(pd.DataFrame(out), notes=notes, left=2)


def key_value_table(items: Mapping[str, object], labels: Labels) -> Table:
    """A two-column table of names and values (e.g. the provenance footer)."""
    table = pd.DataFrame(
        {
            labels.column("item"): list(items),
            labels.column("item_value"): [str(v) for v in items.values()],
        }
    )
    return _styled(table, left=2)


def p_cell(pvalue: object, labels: Labels) -> str:
    # In a column headed "p-arvo" the cell shows "0,032" or "< 0,001", not "p = 0,032".
    text = format_pvalue(pvalue, labels)  # type: ignore[arg-type]
    return text[1:].replace("\u00a0=\u00a0", "").strip("\u00a0") if text.startswith("p") else text
