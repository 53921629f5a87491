"""Key-driver analysis for readers: what the numbers say, in sentences and tables.

The statistics live in :mod:`cxresearch.stats.drivers` (the rows of one outcome's
analysis in :mod:`cxresearch.stats.drivers.rows`); this module turns a
:class:`~cxresearch.stats.drivers.rows.DriverBase` and the
:func:`~cxresearch.stats.drivers.driver_importance` and
:func:`~cxresearch.stats.drivers.importance_performance` results into sentences and
:class:`~cxresearch.present.tables.Table` objects, worded from the ``drivers`` section of
the label files. The charts are in :mod:`cxresearch.present.driver_plots`.

References
----------
Grömping, U. (2006). Relative importance for linear regression in R: the package
relaimpo. *Journal of Statistical Software* 17(1).
Martilla, J. A. & James, J. C. (1977). Importance-performance analysis. *Journal of
Marketing* 41(1), 77–79.
Peduzzi, P. et al. (1996). A simulation study of the number of events per variable in
logistic regression analysis. *Journal of Clinical Epidemiology* 49(12), 1373–1379.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from cxresearch.present.escaping import SafeMarkdown, escape, md
from cxresearch.present.format import (
    format_ci_label,
    format_interval,
    format_level,
    format_number,
    format_percent,
)
from cxresearch.present.labels import Labels
from cxresearch.present.tables import Table
from cxresearch.stats.drivers.core import NOISE_DRIVER
from cxresearch.stats.drivers.rows import DriverBase

__all__ = [
    "base_table",
    "driver_label",
    "driver_plain",
    "driver_summary",
    "driver_text",
    "importance_intro",
    "importance_table",
    "intro_text",
    "ipa_heading",
    "ipa_intro",
    "outcome_label",
    "priority_label",
    "priority_table",
    "reading_text",
    "status_label",
    "warning_sentences",
    "warnings_note",
]


class _Keep(dict[str, Any]):
    # A field the caller did not pass stays visible as "{field}" instead of raising.
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def driver_text(labels: Labels, key: str, **fields: object) -> SafeMarkdown:
    """Report Markdown: the ``drivers.<key>`` text with every field escaped.

    As :meth:`Labels.text <cxresearch.present.labels.Labels.text>`: fields that are not
    :class:`~cxresearch.present.escaping.SafeMarkdown` are escaped, and a field the caller
    does not pass stays visible as ``{field}`` instead of raising, so a label edited with a
    new field shows the gap in the report rather than stopping it. For table headers and
    chart labels use :func:`driver_plain`.
    """
    return md(labels.get(f"drivers.{key}"), **fields)


def driver_plain(labels: Labels, key: str, **fields: object) -> str:
    """The ``drivers.<key>`` text as plain text, for table cells and chart labels."""
    return string.Formatter().vformat(labels.get(f"drivers.{key}"), (), _Keep(fields))


def _section(labels: Labels, name: str) -> Mapping[str, Any]:
    node = labels.texts.get("drivers", {})
    found = node.get(name) if isinstance(node, Mapping) else None
    return found if isinstance(found, Mapping) else {}


def driver_label(driver: str, labels: Labels) -> str:
    """A driver's name for readers: ``attr_ease`` → "Helppous" / "Ease".

    Columns the labels do not know lose their ``attr_`` prefix ("attr_app_use" → "App
    use"), so a client's own attributes still read as words; the noise baseline has its
    own name.
    """
    if driver == NOISE_DRIVER:
        return labels.get("drivers.noise")
    known = _section(labels, "names").get(driver)
    if isinstance(known, str):
        return known
    words = re.sub(r"^attr_", "", driver).replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else driver


def outcome_label(outcome: str, labels: Labels) -> str:
    """An outcome's name: ``drivers.outcomes`` first, then the metric names."""
    known = _section(labels, "outcomes").get(outcome)
    return known if isinstance(known, str) else labels.metric(outcome)


def priority_label(priority: str, labels: Labels) -> str:
    """An IPA priority ("fix first"...) in the report language ("Korjaa ensin"...)."""
    known = _section(labels, "priorities").get(priority.replace(" ", "_"))
    return known if isinstance(known, str) else priority


def lower_first(name: str) -> str:
    # "Tehokkuus" → "tehokkuus" inside a sentence, but "NPS" stays "NPS".
    return name[:1].lower() + name[1:] if name[1:2].islower() else name


def intro_text(
    labels: Labels, *, outcomes: Sequence[str], attributes: Sequence[str]
) -> SafeMarkdown:
    """The opening paragraph: which areas explain which outcomes, and what comes next."""
    return driver_text(
        labels,
        "intro",
        attributes=", ".join(lower_first(driver_label(a, labels)) for a in attributes),
        outcomes="; ".join(lower_first(outcome_label(o, labels)) for o in outcomes),
    )


# --------------------------------------------------------------------------- sentences


def _n(value: float, labels: Labels) -> str:
    return format_number(value, labels)


def driver_summary(base: DriverBase, result: pd.DataFrame | None, labels: Labels) -> SafeMarkdown:
    """What the analysis of one outcome rests on and how well the areas explain it.

    Sentences: who is included (current customers for retention), which wave(s) and why
    waves were pooled, rows dropped for missing answers, weights, the fit (R² or the
    binary outcome's pseudo-R²) and how the outcome and the method are treated (NPS 0–10
    as a score; logistic regression for yes/no). When ``base`` cannot be analysed (or
    ``result`` is None), one sentence saying why.
    """
    name = outcome_label(base.outcome, labels)
    if base.ok and result is None:
        raise ValueError(
            f"outcome {base.outcome!r} can be analysed: pass its driver_importance result"
        )
    if not base.ok or result is None:
        reason_fields = dict(base.skip_fields)
        if "drivers" in reason_fields:
            drivers = reason_fields["drivers"]
            names = drivers if isinstance(drivers, list) else [str(drivers)]
            reason_fields["drivers"] = ", ".join(driver_label(d, labels) for d in names)
        for key in ("n", "needed"):
            if key in reason_fields:
                reason_fields[key] = _n(float(reason_fields[key]), labels)  # type: ignore[arg-type]
        reason = driver_text(labels, base.skip or "skip_no_answers", **reason_fields)
        return driver_text(labels, "skipped", outcome=name, reason=reason)
    attrs = result.attrs
    parts = []
    if base.population == "current":
        parts.append(
            driver_text(labels, "population_current", n_excluded=_n(base.n_excluded, labels))
        )
    n_rows = attrs["n"] + attrs["n_dropped"]
    if base.pooled:
        key = "base_pooled_events" if base.binary else "base_pooled"
        parts.append(
            driver_text(
                labels,
                key,
                wave=base.current_wave,
                n_current=_n(base.n_current, labels),
                needed=_n(base.needed, labels),
                waves=", ".join(base.waves),
                n=_n(n_rows, labels),
            )
        )
    else:
        parts.append(
            driver_text(labels, "base_current", wave=base.current_wave, n=_n(n_rows, labels))
        )
    if attrs["n_dropped"]:
        parts.append(
            driver_text(
                labels,
                "dropped",
                n_dropped=_n(attrs["n_dropped"], labels),
                n_used=_n(attrs["n"], labels),
            )
        )
    else:
        parts.append(driver_text(labels, "none_dropped"))
    if attrs.get("weighted"):
        parts.append(driver_text(labels, "weighted", n_effective=_n(attrs["n_effective"], labels)))
    r2_name = _section(labels, "r2_names").get(attrs["r2_name"], attrs["r2_name"])
    parts.append(
        driver_text(
            labels,
            "fit",
            k=_n(int((~result["is_noise"]).sum()), labels),
            r2_percent=format_percent(100 * attrs["r2"], labels),
            r2_name=r2_name,
            r2=format_number(attrs["r2"], labels, decimals=2),
        )
    )
    method = attrs["method"]
    if attrs["outcome_type"] == "binary" and method in ("shapley", "relative-weights"):
        key = "method_binary_rw" if method == "relative-weights" else "method_binary_shapley"
        parts.append(driver_text(labels, key, outcome=name))
    else:
        key = {"shapley": "method_interval"}.get(method, f"method_{method.replace('-', '_')}")
        parts.append(driver_text(labels, key))
        if base.outcome == "nps" and attrs["outcome_type"] == "interval":
            parts.append(driver_text(labels, "nps_as_score"))
    return SafeMarkdown(" ").join(parts)


# Numbers of a coded warning shown with one decimal; every other number is a count.
_ONE_DECIMAL = frozenset({"condition_number", "max_vif"})


def _warning_field(name: str, value: Any, labels: Labels) -> str | SafeMarkdown:
    """One number (or name) of a coded warning, formatted for the report (escaped by md)."""
    if name == "driver":
        return driver_label(str(value), labels)
    if name == "vifs":
        return SafeMarkdown(", ").join(
            md(
                "{driver} {vif}",
                driver=driver_label(str(d), labels),
                vif=format_number(v, labels, decimals=1),
            )
            for d, v in value.items()
        )
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return format_number(float(value), labels, decimals=1 if name in _ONE_DECIMAL else 0)
    return str(value)


def warning_sentences(result: pd.DataFrame, labels: Labels) -> list[SafeMarkdown]:
    """The analysis' warnings in plain words of the report language.

    Worded from ``attrs["warning_codes"]`` (see
    :data:`~cxresearch.stats.drivers.checks.WARNING_FIELDS`) with the label template
    ``drivers.warnings.<code>`` and the code's own numbers: small base per variable, few
    responses in the smaller group of a binary outcome, strongly inter-correlated drivers
    (condition number, VIF with the drivers named), failed bootstrap replicates,
    non-converged logistic fits, sampled Shapley values and a noise baseline without
    intervals. A code the labels do not know is shown as its English sentence
    (``attrs["warnings"]``, escaped) rather than hidden; so is every warning of a result
    that has no codes.
    """
    attrs = result.attrs
    texts = [str(t) for t in attrs.get("warnings", [])]
    codes = attrs.get("warning_codes")
    if codes is None:
        return [escape(t) for t in texts]
    templates = _section(labels, "warnings")
    out = []
    for i, warning in enumerate(codes):
        template = templates.get(str(warning.get("code")))
        if not isinstance(template, str):
            out.append(escape(texts[i] if i < len(texts) else warning.get("code")))
            continue
        fields = {
            name: _warning_field(name, value, labels)
            for name, value in warning.items()
            if name != "code"
        }
        out.append(md(template, **fields))
    return out


def warnings_note(result: pd.DataFrame, labels: Labels) -> SafeMarkdown:
    """The warnings as a Markdown list under a bold "Huomio"/"Note"; "" when there are none."""
    sentences = warning_sentences(result, labels)
    if not sentences:
        return SafeMarkdown("")
    items = SafeMarkdown("\n").join(md("- {sentence}", sentence=s) for s in sentences)
    heading = labels.get("drivers.warnings_heading")
    return md("**{heading}.**\n\n{items}", heading=heading, items=items)


def importance_intro(labels: Labels, *, confidence: float, bootstrap: int) -> SafeMarkdown:
    """How to read the importance charts (bars, whiskers, the noise band)."""
    return driver_text(
        labels,
        "importance_intro",
        ci_long=format_ci_label(confidence, labels, long=True),
        bootstrap=_n(bootstrap, labels),
    )


def ipa_intro(labels: Labels, *, confidence: float, scale: tuple[float, float]) -> SafeMarkdown:
    """How to read the IPA chart, and the quadrant rule in one sentence."""
    low, high = (format_number(v, labels) for v in scale)
    ci = format_ci_label(confidence, labels)
    intro = driver_text(labels, "ipa_intro", low=low, high=high, ci=ci)
    return intro + " " + driver_text(labels, "ipa_rule")


def ipa_heading(outcome: str, labels: Labels) -> SafeMarkdown:
    """The IPA subsection's heading; differs from the importance one so heading ids are unique."""
    return driver_text(labels, "ipa_heading", outcome=outcome_label(outcome, labels))


def reading_text(labels: Labels, *, confidence: float, bootstrap: int) -> SafeMarkdown:
    """The "how to read" section: why Shapley shares, bootstrap intervals, the noise baseline."""
    return driver_text(
        labels,
        "reading",
        bootstrap=_n(bootstrap, labels),
        ci_long=format_ci_label(confidence, labels, long=True),
        level=format_level(confidence, labels),
    )


# --------------------------------------------------------------------------- tables


def base_table(
    bases: Mapping[str, DriverBase], results: Mapping[str, pd.DataFrame], labels: Labels
) -> Table:
    """Which rows each outcome's analysis uses: waves, who, responses analysed.

    One row per outcome, so outcomes with different bases (the current wave for NPS,
    every wave pooled for retention in a small segment) are named side by side instead of
    under one count for the whole report. The note states the wave rule once.
    """
    columns = [driver_plain(labels, f"col_base_{c}") for c in ("outcome", "waves", "who", "n")]
    out: dict[str, list[str]] = {c: [] for c in columns}
    for outcome, base in bases.items():
        result = results.get(outcome)
        waves = ", ".join(base.waves)
        if base.pooled:
            waves = driver_plain(labels, "base_waves_pooled", waves=waves)
        who = driver_plain(
            labels, "base_who_current" if base.population == "current" else "base_who_all"
        )
        n = (
            _n(result.attrs["n"], labels)
            if result is not None
            else driver_plain(labels, "base_not_analysed")
        )
        for column, cell in zip(
            columns, [outcome_label(outcome, labels), waves, who, n], strict=True
        ):
            out[column].append(cell)
    first = next(iter(bases.values()), None)
    needed = _n(first.needed, labels) if first is not None else ""
    note = driver_plain(labels, "base_rule", needed=needed)
    frame = pd.DataFrame(out)
    return Table(frame, (note,), (False,) * len(frame), left=3)


def _share_cell(row: Mapping[Any, Any], labels: Labels) -> str:
    text = format_percent(100 * float(row["share"]), labels)
    if "share_ci_low" in row and np.isfinite(row["share_ci_low"]):
        lo, hi = 100 * float(row["share_ci_low"]), 100 * float(row["share_ci_high"])
        text += f" ({format_interval(lo, hi, labels)})"
    return text


def _confidence(result: pd.DataFrame) -> float:
    return float(result.attrs.get("confidence", 0.95))


def importance_table(result: pd.DataFrame, labels: Labels) -> Table:
    """One row per driver in rank order: rank, name, share with its interval, above noise.

    Parameters
    ----------
    result
        A :func:`~cxresearch.stats.drivers.driver_importance` result. The noise baseline
        (when present) keeps its place in the order, without a rank.
    labels
        Report language.

    Returns
    -------
    Table
        Shares as percentages with the bootstrap interval ("27 % (24–30)"); drivers that
        do not stand out from the noise baseline, and the baseline itself, are greyed.
    """
    ci = format_ci_label(_confidence(result), labels)
    missing = labels.get("number.missing")
    has_noise_test = "above_noise" in result.columns
    columns = {
        "rank": driver_plain(labels, "col_rank"),
        "driver": driver_plain(labels, "col_driver"),
        "share": driver_plain(labels, "col_share", ci=ci),
        "above": driver_plain(labels, "col_above_noise"),
    }
    out: dict[str, list[str]] = {name: [] for name in columns.values()}
    muted = []
    rank = 0
    for row in result.to_dict("records"):
        noise = bool(row["is_noise"])
        rank += 0 if noise else 1
        above = bool(row.get("above_noise", True))
        out[columns["rank"]].append(missing if noise else str(rank))
        out[columns["driver"]].append(driver_label(str(row["driver"]), labels))
        out[columns["share"]].append(_share_cell(row, labels))
        answer = driver_plain(labels, "answer_yes" if above else "answer_no")
        out[columns["above"]].append(missing if noise else answer)
        muted.append(noise or not above)
    frame = pd.DataFrame(out)
    notes: list[str] = []
    if has_noise_test:
        notes.append(driver_plain(labels, "above_noise_note", ci=ci))
    else:
        frame = frame.drop(columns=[columns["above"]])
    return Table(frame, tuple(notes), tuple(muted), left=2)


#: Order of the IPA statuses in the priority list (cxresearch.stats.drivers.ipa.STATUSES).
_STATUS_ORDER = {"clear": 0, "uncertain": 1, "untested": 2, "noise": 3}


def status_label(row: Mapping[Any, Any], labels: Labels) -> str:
    """What the priority column says for one IPA row.

    A ``clear`` driver gets its priority ("Korjaa ensin"); an ``uncertain`` one "uncertain"
    with the quadrant it leans to; a driver that cannot be told apart from the noise
    baseline says so, and one without intervals says it cannot be judged. So "fix first"
    is never shown for a driver the data cannot place.
    """
    status = str(row.get("status", "clear"))
    priority = priority_label(str(row["priority"]), labels)
    if status == "clear":
        return priority
    template = labels.get(f"drivers.statuses.{status}")
    return string.Formatter().vformat(template, (), _Keep({"priority": priority.lower()}))


def priority_table(ipa: pd.DataFrame, result: pd.DataFrame, labels: Labels) -> Table:
    """The IPA priority list: priority, driver, importance share and mean rating with intervals.

    Parameters
    ----------
    ipa
        An :func:`~cxresearch.stats.drivers.importance_performance` result.
    result
        The ``driver_importance`` result it was built from (for the share intervals).
    labels
        Report language.

    Returns
    -------
    Table
        Clear priorities first (in priority order), then the uncertain ones, then those
        not distinguishable from the noise baseline (greyed); the priority column words
        each by :func:`status_label`. Mean ratings have two decimals, and the note states
        the cut lines, so a quadrant decided by a few hundredths can be seen as such.
    """
    ci = format_ci_label(_confidence(result), labels)
    low, high = (format_number(v, labels) for v in ipa.attrs.get("scale", (1, 5)))
    shares = result.set_index("driver")
    columns = [
        driver_plain(labels, "col_priority"),
        driver_plain(labels, "col_driver"),
        driver_plain(labels, "col_importance", ci=ci),
        driver_plain(labels, "col_performance", low=low, high=high, ci=ci),
        labels.column("n"),
    ]
    statuses = ipa["status"] if "status" in ipa.columns else pd.Series("clear", ipa.index)
    order = np.argsort(statuses.map(_STATUS_ORDER).to_numpy(), kind="stable")
    rows = ipa.iloc[order].assign(status=statuses.iloc[order].to_numpy())
    out: dict[str, list[str]] = {name: [] for name in columns}
    muted = []
    for row in rows.to_dict("records"):
        mean = format_number(row["performance"], labels, decimals=2)
        interval = format_interval(
            row["performance_ci_low"], row["performance_ci_high"], labels, decimals=2
        )
        cells = [
            status_label(row, labels),
            driver_label(str(row["driver"]), labels),
            _share_cell(shares.loc[row["driver"]].to_dict(), labels),
            f"{mean} ({interval})",
            _n(row["n"], labels),
        ]
        for name, cell in zip(columns, cells, strict=True):
            out[name].append(cell)
        muted.append(row["status"] in ("noise", "untested"))
    total = float(result["importance"].sum()) or 1.0
    notes = [
        driver_plain(
            labels,
            "priority_note",
            importance_cut=format_percent(100 * float(ipa.attrs["importance_cut"]) / total, labels),
            performance_cut=format_number(float(ipa.attrs["performance_cut"]), labels, decimals=2),
        )
    ]
    frame = pd.DataFrame(out)
    return Table(frame, tuple(notes), tuple(muted), left=2)
