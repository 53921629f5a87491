"""Key-driver analysis for readers: which rows, what the numbers say, charts and tables.

The statistics live in :mod:`cxresearch.stats.drivers`; this module prepares their input
for one report (:func:`driver_base`: current wave or pooled waves, who counts for a
retention outcome) and turns :func:`~cxresearch.stats.drivers.driver_importance` and
:func:`~cxresearch.stats.drivers.importance_performance` results into sentences, an
importance chart with the noise baseline, an importance–performance (IPA) chart and their
tables, worded from the ``drivers`` section of the label files. Charts follow
:mod:`cxresearch.present.plots` (palette, :class:`~cxresearch.present.plots.ReportFigure`,
no pyplot); tables are :class:`~cxresearch.present.tables.Table`.

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
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator
from matplotlib.transforms import Bbox

from cxresearch.present.format import (
    escape,
    format_ci_label,
    format_interval,
    format_level,
    format_number,
    format_percent,
)
from cxresearch.present.labels import Labels
from cxresearch.present.plots import ACCENT, MUTED, OVERALL, ReportFigure, _style
from cxresearch.present.tables import Table
from cxresearch.stats.drivers.checks import CONDITION_WARN, MIN_PER_DRIVER, VIF_WARN
from cxresearch.stats.drivers.core import METHODS, NOISE_DRIVER

__all__ = [
    "PRIORITY_COLOURS",
    "DriverBase",
    "driver_base",
    "driver_label",
    "driver_summary",
    "importance_intro",
    "importance_plot",
    "importance_table",
    "intro_text",
    "ipa_heading",
    "ipa_intro",
    "ipa_plot",
    "outcome_label",
    "priority_label",
    "priority_table",
    "reading_text",
    "warning_sentences",
    "warnings_note",
]

#: Outcomes that only current customers can have: a former customer has left before the
#: survey (retained is False by definition, and the ratings come after the outcome), a
#: never-customer has nothing to retain.
CURRENT_CUSTOMER_OUTCOMES = frozenset({"retained"})
# Red/green are told apart by marker shape as well as colour (colour-blind readers).
PRIORITY_COLOURS = {
    "fix first": "#b42318",
    "keep up": "#1b7f3b",
    "possible overkill": "#b7791f",
    "low priority": "#7b8794",
}
_MARKERS = {"fix first": "o", "keep up": "s", "possible overkill": "^", "low priority": "v"}
# Where each quadrant's name sits (axes fraction, alignment).
_CORNERS = {
    "fix first": (0.01, 0.99, "left", "top"),
    "keep up": (0.99, 0.99, "right", "top"),
    "possible overkill": (0.99, 0.01, "right", "bottom"),
    "low priority": (0.01, 0.01, "left", "bottom"),
}


class _Keep(dict[str, Any]):
    # A field the caller did not pass stays visible as "{field}" instead of raising.
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _text(labels: Labels, key: str, **fields: object) -> str:
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


def _lower_first(name: str) -> str:
    # "Tehokkuus" → "tehokkuus" inside a sentence, but "NPS" stays "NPS".
    return name[:1].lower() + name[1:] if name[1:2].islower() else name


def intro_text(labels: Labels, *, outcomes: Sequence[str], attributes: Sequence[str]) -> str:
    """The opening paragraph: which areas explain which outcomes, and what comes next."""
    return _text(
        labels,
        "intro",
        attributes=", ".join(_lower_first(driver_label(a, labels)) for a in attributes),
        outcomes="; ".join(_lower_first(outcome_label(o, labels)) for o in outcomes),
    )


# --------------------------------------------------------------------------- base


def _binary(values: pd.Series) -> bool:
    present = pd.to_numeric(values.dropna(), errors="coerce").astype(float)
    return bool(present.size) and bool(np.isin(present.unique(), [0.0, 1.0]).all())


def _complete(rows: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return rows[rows[columns].notna().all(axis=1)]


@dataclass(frozen=True)
class DriverBase:
    """The rows one outcome's driver analysis uses, and why. Build it with :func:`driver_base`.

    Attributes
    ----------
    outcome, drivers
        The outcome and driver columns.
    rows
        The rows passed to ``driver_importance`` (incomplete rows included: the analysis
        drops and counts them).
    pooled
        True when the current wave had too few responses and every wave is used.
    waves
        The waves in ``rows``.
    binary
        Whether the outcome is yes/no (0/1).
    n_current, needed
        Complete responses (for a binary outcome: in the smaller outcome group) in the
        current wave, and the number that would have been enough.
    population
        ``"current"`` when only current customers count (retention), else None.
    n_excluded
        Rows left out by ``population``.
    skip, skip_fields
        Why the outcome cannot be analysed (``skip_*`` label key) and the numbers for the
        sentence; None when it can.
    """

    outcome: str
    drivers: tuple[str, ...]
    rows: pd.DataFrame = field(repr=False)
    pooled: bool
    current_wave: str
    waves: tuple[str, ...]
    binary: bool
    n_current: int
    needed: int
    population: str | None = None
    n_excluded: int = 0
    skip: str | None = None
    skip_fields: Mapping[str, object] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the outcome can be analysed."""
        return self.skip is None

    def method(self, requested: str = "shapley", *, bootstrap: int = 0) -> str:
        """The importance method for this outcome in a report.

        Shapley values of a binary outcome need a logistic fit for each of the 2^p driver
        subsets in every bootstrap replicate: measured here on 900–1,400 current customers
        with 7 drivers and the noise baseline, 200 replicates took 21–35 s (so 1,000 take
        minutes), against 0.5–2.6 s for 1,000 replicates of relative weights, whose
        shares agreed with Shapley's within 0.03. With bootstrap a binary outcome
        therefore uses ``"relative-weights"``; everything else keeps ``requested``.
        """
        if requested not in METHODS:
            raise ValueError(f"requested must be one of {list(METHODS)}, got {requested!r}")
        if self.binary and requested == "shapley" and bootstrap > 0:
            return "relative-weights"
        return requested


def driver_base(
    responses: pd.DataFrame,
    *,
    outcome: str,
    drivers: Sequence[str],
    current_wave: str,
    waves: Sequence[str] | None = None,
    noise_baseline: bool = True,
) -> DriverBase:
    """Choose the rows for one outcome's driver analysis.

    The current wave is what a client acts on, so it is used when it has enough complete
    responses for stable importances: :data:`~cxresearch.stats.drivers.checks.
    MIN_PER_DRIVER` (10) per analysed variable (the drivers plus the noise baseline) or,
    for a binary outcome, as many in the smaller outcome group (Peduzzi et al. 1996). These
    are the thresholds below which ``driver_importance`` warns. Otherwise all waves of the
    run are pooled (a respondent who answered two waves then counts twice). For
    ``retained`` only current customers count (:data:`CURRENT_CUSTOMER_OUTCOMES`).

    Parameters
    ----------
    responses
        The run's rows of every wave (``RunSession.responses``); needs ``wave``.
    outcome, drivers
        The outcome and driver columns.
    current_wave
        The wave the report is about.
    waves
        Order of the waves for the text (default: order of appearance).
    noise_baseline
        Whether the analysis adds the noise driver (it counts as a variable).

    Returns
    -------
    DriverBase
        With ``skip`` set when the chosen rows cannot be analysed: no complete response,
        fewer than drivers + 3 complete responses, a binary outcome with fewer than one
        response per variable in its smaller group, one outcome group only, or a driver
        rated the same by everyone.
    """
    names = list(drivers)
    missing = [c for c in ["wave", outcome, *names] if c not in responses.columns]
    if missing:
        raise ValueError(f"responses lack column(s) {missing}")
    rows, population = responses, None
    if outcome in CURRENT_CUSTOMER_OUTCOMES and "customer_type" in responses.columns:
        current_customers = responses["customer_type"].eq("current").fillna(False)
        rows = responses[current_customers.to_numpy(dtype=bool)]
        population = "current"
    binary = _binary(rows[outcome])
    k = len(names) + int(noise_baseline)
    needed = MIN_PER_DRIVER * k
    columns = [outcome, *names]

    def _size(frame: pd.DataFrame) -> int:
        done = _complete(frame, columns)
        if not binary:
            return len(done)
        y = done[outcome].astype(float)
        return int(min((y == 1).sum(), (y == 0).sum()))

    now = rows[rows["wave"] == current_wave]
    n_current = _size(now)
    pooled = n_current < needed and len(rows) > len(now)
    chosen = rows if pooled else now
    in_waves = (
        responses["wave"].isin(set(chosen["wave"]))
        if pooled
        else responses["wave"].eq(current_wave)
    )
    excluded = int(in_waves.sum()) - len(chosen)
    order = list(waves) if waves is not None else list(dict.fromkeys(rows["wave"]))
    present = set(chosen["wave"])
    used = tuple(w for w in order if w in present)
    done = _complete(chosen, columns)
    skip: str | None = None
    fields: dict[str, object] = {}
    constant = [d for d in names if done[d].nunique() == 1]
    if done.empty:
        skip = "skip_no_answers"
    elif len(done) < k + 2:
        skip, fields = "skip_too_few", {"n": len(done), "needed": k + 2}
    elif done[outcome].nunique() < 2:
        skip = "skip_one_group"
    elif binary and _size(chosen) < k:
        skip, fields = "skip_too_few_events", {"n": _size(chosen), "needed": k}
    elif constant:
        skip, fields = "skip_constant", {"drivers": constant}
    return DriverBase(
        outcome=outcome,
        drivers=tuple(names),
        rows=chosen,
        pooled=pooled,
        current_wave=current_wave,
        waves=used,
        binary=binary,
        n_current=n_current,
        needed=needed,
        population=population,
        n_excluded=excluded,
        skip=skip,
        skip_fields=fields,
    )


# --------------------------------------------------------------------------- sentences


def _n(value: float, labels: Labels) -> str:
    return format_number(value, labels)


def driver_summary(base: DriverBase, result: pd.DataFrame | None, labels: Labels) -> str:
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
        reason = _text(labels, base.skip or "skip_no_answers", **reason_fields)
        return _text(labels, "skipped", outcome=name, reason=reason)
    attrs = result.attrs
    parts = []
    if base.population == "current":
        parts.append(_text(labels, "population_current", n_excluded=_n(base.n_excluded, labels)))
    n_rows = attrs["n"] + attrs["n_dropped"]
    if base.pooled:
        key = "base_pooled_events" if base.binary else "base_pooled"
        parts.append(
            _text(
                labels,
                key,
                wave=escape(base.current_wave),
                n_current=_n(base.n_current, labels),
                needed=_n(base.needed, labels),
                waves=escape(", ".join(base.waves)),
                n=_n(n_rows, labels),
            )
        )
    else:
        parts.append(
            _text(labels, "base_current", wave=escape(base.current_wave), n=_n(n_rows, labels))
        )
    if attrs["n_dropped"]:
        parts.append(
            _text(
                labels,
                "dropped",
                n_dropped=_n(attrs["n_dropped"], labels),
                n_used=_n(attrs["n"], labels),
            )
        )
    else:
        parts.append(_text(labels, "none_dropped"))
    if attrs.get("weighted"):
        parts.append(_text(labels, "weighted", n_effective=_n(attrs["n_effective"], labels)))
    r2_name = _section(labels, "r2_names").get(attrs["r2_name"], attrs["r2_name"])
    parts.append(
        _text(
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
        parts.append(_text(labels, key, outcome=name))
    else:
        key = {"shapley": "method_interval"}.get(method, f"method_{method.replace('-', '_')}")
        parts.append(_text(labels, key))
        if base.outcome == "nps" and attrs["outcome_type"] == "interval":
            parts.append(_text(labels, "nps_as_score"))
    return " ".join(parts)


# The warning texts of cxresearch.stats.drivers (English, for logs) → label keys. The
# numbers come from the result's attrs where they are recorded, else from the text.
_WARNING_KINDS = (
    ("low_n", re.compile(r"^n = \d+ is below")),
    ("condition", re.compile(r"^condition number")),
    ("vif", re.compile(r"^variance inflation factor")),
    ("events", re.compile(r"^only (?P<events>[\d.]+) responses in the rarer outcome")),
    ("bootstrap", re.compile(r"bootstrap replicates could not be computed")),
    ("not_converged", re.compile(r"^(?P<count>\d+) logistic fits did not converge")),
    ("sampled", re.compile(r"Shapley values are estimated from (?P<count>\d+) random orders")),
    ("no_bootstrap", re.compile(r"^noise baseline without bootstrap")),
)


def warning_sentences(result: pd.DataFrame, labels: Labels) -> list[str]:
    """The analysis' warnings (``attrs["warnings"]``) in plain words of the report language.

    Small base per variable, few responses in the smaller group of a binary outcome,
    strongly inter-correlated drivers (condition number, VIF with the drivers named),
    failed bootstrap replicates, non-converged logistic fits, sampled Shapley values and
    a noise baseline without intervals. A warning this function does not know is shown as
    it is rather than hidden.
    """
    attrs = result.attrs
    k = len(result)
    out = []
    for text in attrs.get("warnings", []):
        kind, match = next(
            ((kind, m) for kind, pattern in _WARNING_KINDS if (m := pattern.search(text))),
            (None, None),
        )
        per = _n(MIN_PER_DRIVER, labels)
        needed = _n(MIN_PER_DRIVER * k, labels)
        if kind == "low_n":
            sentence = _text(
                labels, "warn_low_n", n=_n(attrs["n_model"], labels), k=_n(k, labels), per=per
            )
        elif kind == "events" and match is not None:
            events = _n(float(match["events"]), labels)
            sentence = _text(labels, "warn_events", events=events, needed=needed, per=per)
        elif kind == "condition":
            value = format_number(attrs["condition_number"], labels, decimals=1)
            sentence = _text(
                labels, "warn_condition", value=value, limit=_n(CONDITION_WARN, labels)
            )
        elif kind == "vif":
            high = sorted(
                ((d, v) for d, v in attrs["vif"].items() if v > VIF_WARN), key=lambda t: -t[1]
            )
            listed = ", ".join(
                f"{driver_label(d, labels)} {format_number(v, labels, decimals=1)}" for d, v in high
            )
            sentence = _text(labels, "warn_vif", limit=_n(VIF_WARN, labels), drivers=listed)
        elif kind == "bootstrap":
            failed, total = _n(attrs["bootstrap_failed"], labels), _n(attrs["bootstrap"], labels)
            sentence = _text(labels, "warn_bootstrap", failed=failed, total=total)
        elif kind in ("not_converged", "sampled") and match is not None:
            sentence = _text(labels, f"warn_{kind}", count=_n(int(match["count"]), labels))
        elif kind == "no_bootstrap":
            sentence = _text(labels, "warn_no_bootstrap")
        else:
            sentence = escape(text)
        out.append(sentence)
    return out


def warnings_note(result: pd.DataFrame, labels: Labels) -> str:
    """The warnings as a Markdown list under a bold "Huomio"/"Note"; "" when there are none."""
    sentences = warning_sentences(result, labels)
    if not sentences:
        return ""
    items = "\n".join(f"- {s}" for s in sentences)
    return f"**{labels.get('drivers.warnings_heading')}.**\n\n{items}"


def importance_intro(labels: Labels, *, confidence: float, bootstrap: int) -> str:
    """How to read the importance charts (bars, whiskers, the noise band)."""
    return _text(
        labels,
        "importance_intro",
        ci_long=format_ci_label(confidence, labels, long=True),
        bootstrap=_n(bootstrap, labels),
    )


def ipa_intro(labels: Labels, *, confidence: float, scale: tuple[float, float]) -> str:
    """How to read the IPA chart, and the quadrant rule in one sentence."""
    low, high = (format_number(v, labels) for v in scale)
    ci = format_ci_label(confidence, labels)
    return f"{_text(labels, 'ipa_intro', low=low, high=high, ci=ci)} {_text(labels, 'ipa_rule')}"


def ipa_heading(outcome: str, labels: Labels) -> str:
    """The IPA subsection's heading; differs from the importance one so heading ids are unique."""
    return _text(labels, "ipa_heading", outcome=outcome_label(outcome, labels))


def reading_text(labels: Labels, *, confidence: float, bootstrap: int) -> str:
    """The "how to read" section: why Shapley shares, bootstrap intervals, the noise baseline."""
    return _text(
        labels,
        "reading",
        bootstrap=_n(bootstrap, labels),
        ci_long=format_ci_label(confidence, labels, long=True),
        level=format_level(confidence, labels),
    )


# --------------------------------------------------------------------------- tables


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
        "rank": _text(labels, "col_rank"),
        "driver": _text(labels, "col_driver"),
        "share": _text(labels, "col_share", ci=ci),
        "above": _text(labels, "col_above_noise"),
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
        answer = _text(labels, "answer_yes" if above else "answer_no")
        out[columns["above"]].append(missing if noise else answer)
        muted.append(noise or not above)
    frame = pd.DataFrame(out)
    notes: list[str] = []
    if has_noise_test:
        notes.append(_text(labels, "above_noise_note", ci=ci))
    else:
        frame = frame.drop(columns=[columns["above"]])
    return Table(frame, tuple(notes), tuple(muted), left=2)


def priority_table(ipa: pd.DataFrame, result: pd.DataFrame, labels: Labels) -> Table:
    """The IPA priority list: priority, driver, importance share and mean rating with intervals.

    Parameters
    ----------
    ipa
        An :func:`~cxresearch.stats.drivers.importance_performance` result (priority order).
    result
        The ``driver_importance`` result it was built from (for the share intervals).
    labels
        Report language.

    Returns
    -------
    Table
        A priority whose quadrant is uncertain (an interval crosses a cut line) carries
        "*" and a note.
    """
    ci = format_ci_label(_confidence(result), labels)
    low, high = (format_number(v, labels) for v in ipa.attrs.get("scale", (1, 5)))
    shares = result.set_index("driver")
    columns = [
        _text(labels, "col_priority"),
        _text(labels, "col_driver"),
        _text(labels, "col_importance", ci=ci),
        _text(labels, "col_performance", low=low, high=high, ci=ci),
        labels.column("n"),
    ]
    out: dict[str, list[str]] = {name: [] for name in columns}
    for row in ipa.to_dict("records"):
        star = " *" if bool(row["uncertain"]) else ""
        mean = format_number(row["performance"], labels, decimals=1)
        interval = format_interval(
            row["performance_ci_low"], row["performance_ci_high"], labels, decimals=1
        )
        cells = [
            priority_label(str(row["priority"]), labels) + star,
            driver_label(str(row["driver"]), labels),
            _share_cell(shares.loc[row["driver"]].to_dict(), labels),
            f"{mean} ({interval})",
            _n(row["n"], labels),
        ]
        for name, cell in zip(columns, cells, strict=True):
            out[name].append(cell)
    notes = [_text(labels, "uncertain_note")] if ipa["uncertain"].any() else []
    frame = pd.DataFrame(out)
    return Table(frame, tuple(notes), (False,) * len(frame), left=2)


# --------------------------------------------------------------------------- charts


def _percent_axis(axis: Any, labels: Labels) -> None:
    axis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10], integer=True))
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: format_number(v, labels)))


def importance_plot(result: pd.DataFrame, labels: Labels, *, title: str | None = None) -> Figure:
    """Horizontal bars of each driver's share with its bootstrap interval, largest on top.

    Parameters
    ----------
    result
        A :func:`~cxresearch.stats.drivers.driver_importance` result, ideally with
        ``bootstrap`` and ``noise_baseline=True``.
    labels
        Report language.
    title
        Chart title; default: the outcome's name.

    Returns
    -------
    Figure
        Bars (``gid="importance"``, one per driver, the noise baseline excluded) in the
        accent colour, grey when the driver does not stand out from the noise; the
        baseline's interval as a shaded band (``gid="noise"``), or a line at its share
        without bootstrap; each bar labelled with its share in percent.
    """
    rows = result[~result["is_noise"].astype(bool)].reset_index(drop=True)
    noise = result[result["is_noise"].astype(bool)]
    has_ci = "share_ci_low" in result.columns
    above = (
        rows["above_noise"].astype(bool).to_numpy()
        if "above_noise" in rows
        else np.ones(len(rows), bool)
    )
    share = 100 * rows["share"].to_numpy(float)
    lo = 100 * rows["share_ci_low"].to_numpy(float) if has_ci else share
    hi = 100 * rows["share_ci_high"].to_numpy(float) if has_ci else share
    y = np.arange(len(rows))[::-1]  # rank 1 on top
    ci = format_ci_label(_confidence(result), labels)
    with _style():
        fig = ReportFigure(figsize=(8.0, 1.6 + 0.45 * len(rows)), layout="constrained")
        ax = fig.subplots()
        handles: list[Any] = []
        if len(noise):
            n_lo = 100 * float(noise["share_ci_low"].iloc[0]) if has_ci else np.nan
            n_hi = 100 * float(noise["share_ci_high"].iloc[0]) if has_ci else np.nan
            if has_ci:
                band = ax.axvspan(n_lo, n_hi, color=MUTED, alpha=0.35, linewidth=0, gid="noise")
                ax.axvline(n_hi, color=OVERALL, linestyle=":", linewidth=1)
                band.set_label(_text(labels, "noise_band", ci=ci))
                handles.append(band)
            else:
                at = 100 * float(noise["share"].iloc[0])
                line = ax.axvline(at, color=OVERALL, linestyle=":", linewidth=1.5, gid="noise")
                line.set_label(labels.get("drivers.noise"))
                handles.append(line)
        colours = [ACCENT if a else MUTED for a in above]
        bars = ax.barh(y, share, height=0.62, color=colours, zorder=2)
        for bar in bars:
            bar.set_gid("importance")
        if has_ci:
            ax.errorbar(
                share,
                y,
                xerr=[share - lo, hi - share],
                fmt="none",
                ecolor=OVERALL,
                elinewidth=1.4,
                capsize=3,
                zorder=3,
            )
        for yi, right, value, colour in zip(y, hi, share, colours, strict=True):
            ax.annotate(
                format_percent(value, labels),
                (right, yi),
                textcoords="offset points",
                xytext=(5, -3.5),
                fontsize=9,
                color=OVERALL if colour == MUTED else ACCENT,
            )
        ax.set_yticks(y, [driver_label(str(d), labels) for d in rows["driver"]])
        for tick, a in zip(ax.get_yticklabels(), above, strict=True):
            tick.set_color(ACCENT if a else OVERALL)
        if not above.all():
            handles.append(Patch(color=MUTED, label=_text(labels, "not_above_noise")))
        top = float(np.nanmax(np.append(hi, 1.0)))
        ax.set_xlim(0, top * 1.18)
        ax.set_ylim(-0.6, len(rows) - 0.4)
        _percent_axis(ax.xaxis, labels)
        ax.set_xlabel(_text(labels, "axis_share"))
        ax.set_title(title if title is not None else outcome_label(result.attrs["outcome"], labels))
        ax.grid(axis="y", visible=False)
        if handles:
            ax.legend(handles=handles, loc="lower right", fontsize=8, frameon=True, framealpha=0.9)
    return fig


def _overlap(a: Any, b: Any) -> float:
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.y1, b.y1) - max(a.y0, b.y0)
    return max(width, 0.0) * max(height, 0.0)


# Label positions tried around a point, in points: right, left, above, below.
_OFFSETS = (
    (8, 2, "left", "bottom"),
    (8, -2, "left", "top"),
    (-8, 2, "right", "bottom"),
    (-8, -2, "right", "top"),
    (0, 8, "center", "bottom"),
    (0, -8, "center", "top"),
)


def _place_labels(
    fig: Figure, ax: Any, points: list[tuple[float, float, str, str]], lines: list[Any]
) -> None:
    """Name each point where its label covers the least of what is drawn (first fit wins).

    Deterministic (no jitter): points are labelled in the given order and each label
    tries the positions of ``_OFFSETS``. Covering another label, a marker or the quadrant
    names costs ten times more than covering a whisker or a cut line (``lines``, data
    bounding boxes ``(x0, y0, x1, y1)``).
    """
    fig.draw_without_rendering()  # fixes the layout, so the extents below are final
    frame = ax.get_window_extent()
    solid = [t.get_window_extent() for t in ax.texts]
    for x, y, _, _ in points:
        px, py = ax.transData.transform((x, y))
        solid.append(Bbox.from_extents(px - 6, py - 6, px + 6, py + 6))
    thin = []
    for x0, y0, x1, y1 in lines:
        (a, b), (c, d) = ax.transData.transform([(x0, y0), (x1, y1)])
        thin.append(
            Bbox.from_extents(min(a, c) - 1.5, min(b, d) - 1.5, max(a, c) + 1.5, max(b, d) + 1.5)
        )
    for x, y, text, colour in points:
        best: tuple[float, Any] | None = None
        for dx, dy, ha, va in _OFFSETS:
            note = ax.annotate(
                text,
                (x, y),
                xytext=(dx, dy),
                textcoords="offset points",
                ha=ha,
                va=va,
                fontsize=9,
                color=colour,
                gid="driver-label",
            )
            box = note.get_window_extent()
            outside = (
                box.x0 < frame.x0 or box.x1 > frame.x1 or box.y0 < frame.y0 or box.y1 > frame.y1
            )
            cost = (
                10 * sum(_overlap(box, other) for other in solid)
                + sum(_overlap(box, other) for other in thin)
                + (1e9 if outside else 0.0)
            )
            if best is None or cost < best[0]:
                if best is not None:
                    best[1].remove()
                best = (cost, note)
            else:
                note.remove()
            if cost == 0:
                break
        if best is not None:
            solid.append(best[1].get_window_extent())


def ipa_plot(ipa: pd.DataFrame, result: pd.DataFrame, labels: Labels) -> Figure:
    """Importance–performance chart: mean rating across, importance share up, four quadrants.

    Parameters
    ----------
    ipa
        An :func:`~cxresearch.stats.drivers.importance_performance` result.
    result
        The ``driver_importance`` result behind it (share and its bootstrap interval).
    labels
        Report language.

    Returns
    -------
    Figure
        One point per driver (``gid="driver"``) with whiskers on both axes, coloured and
        shaped by priority and named beside it; dashed cut lines (``gid="cut"``) at the
        mean rating and at the mean importance (as a share); the quadrant names in the
        corners.
    """
    shares = result.set_index("driver")
    total = float(result["importance"].sum())
    drivers = [str(d) for d in ipa["driver"]]
    y = 100 * shares.loc[drivers, "share"].to_numpy(float)
    has_ci = "share_ci_low" in shares.columns
    y_lo = 100 * shares.loc[drivers, "share_ci_low"].to_numpy(float) if has_ci else y
    y_hi = 100 * shares.loc[drivers, "share_ci_high"].to_numpy(float) if has_ci else y
    x = ipa["performance"].to_numpy(float)
    x_lo = ipa["performance_ci_low"].to_numpy(float)
    x_hi = ipa["performance_ci_high"].to_numpy(float)
    x_cut = float(ipa.attrs["performance_cut"])
    # The cut is the mean importance; shares are importance / total, so the same scaling.
    y_cut = 100 * float(ipa.attrs["importance_cut"]) / total
    scale = tuple(ipa.attrs.get("scale", (1, 5)))
    low, high = (format_number(v, labels) for v in scale)
    with _style():
        fig = ReportFigure(figsize=(8.0, 5.8), layout="constrained")
        ax = fig.subplots()
        points: list[tuple[float, float, str, str]] = []
        lines: list[tuple[float, float, float, float]] = []
        for i, driver in enumerate(drivers):
            priority = str(ipa["priority"].iloc[i])
            colour = PRIORITY_COLOURS[priority]
            xerr = [[x[i] - x_lo[i]], [x_hi[i] - x[i]]] if np.isfinite(x_lo[i]) else None
            yerr = [[y[i] - y_lo[i]], [y_hi[i] - y[i]]] if np.isfinite(y_lo[i]) else None
            drawn = ax.errorbar(
                [x[i]],
                [y[i]],
                xerr=xerr,
                yerr=yerr,
                fmt=_MARKERS[priority],
                color=colour,
                ecolor=colour,
                elinewidth=1.2,
                alpha=0.95,
                capsize=2.5,
                markersize=8,
                zorder=3,
            )
            drawn.lines[0].set_gid("driver")
            name = driver_label(driver, labels) + (" *" if bool(ipa["uncertain"].iloc[i]) else "")
            points.append((float(x[i]), float(y[i]), name, colour))
            lines += [(x_lo[i], y[i], x_hi[i], y[i]), (x[i], y_lo[i], x[i], y_hi[i])]
        ax.axvline(x_cut, color=OVERALL, linestyle="--", linewidth=1, gid="cut")
        ax.axhline(y_cut, color=OVERALL, linestyle="--", linewidth=1, gid="cut")
        xs = np.concatenate([x_lo, x_hi, x, [x_cut]])
        span = float(np.nanmax(xs) - np.nanmin(xs)) or 1.0
        ax.set_xlim(np.nanmin(xs) - 0.22 * span, np.nanmax(xs) + 0.22 * span)
        ax.set_ylim(0, float(np.nanmax(np.concatenate([y_hi, y, [y_cut]]))) * 1.22)
        for priority, (fx, fy, ha, va) in _CORNERS.items():
            ax.text(
                fx,
                fy,
                priority_label(priority, labels),
                transform=ax.transAxes,
                ha=ha,
                va=va,
                fontsize=10,
                fontweight="bold",
                color=PRIORITY_COLOURS[priority],
                gid="quadrant",
            )
        ax.xaxis.set_major_formatter(
            FuncFormatter(lambda v, _pos: format_number(v, labels, decimals=1))
        )
        _percent_axis(ax.yaxis, labels)
        ax.set_xlabel(_text(labels, "axis_performance", low=low, high=high))
        ax.set_ylabel(_text(labels, "axis_importance"))
        ax.set_title(outcome_label(str(result.attrs.get("outcome", "")), labels))
        x_range, y_range = ax.get_xlim(), ax.get_ylim()
        lines += [(x_cut, y_range[0], x_cut, y_range[1]), (x_range[0], y_cut, x_range[1], y_cut)]
        finite = [b for b in lines if np.isfinite(b).all()]
        _place_labels(fig, ax, points, finite)
    return fig
