"""Numbers and sentences for readers: the only place in cxresearch that rounds.

The statistics layer returns full-precision numbers; everything here turns them into text
in the report's language (Finnish decimal comma and non-breaking-space thousands, "95 % lv";
English "95% CI"). Rounding is half away from zero on the number's shortest decimal form
(42.5 → 43, −42.5 → −43, 0.125 → 0.13), which is what readers expect from a printed table
and what Excel does; Python's own ``format`` rounds the binary value half to even.

Small bases are handled by one rule used by tables, charts and sentences alike
(:func:`base_status`): a result whose effective base is below ``min_base`` is shown with
the flag † and read as indicative; below ``min_base / 2`` (rounded up) it is not shown at
all, because its interval is too wide to say anything (an NPS from 14 answers has a 95 %
interval about ±45 points wide) and a tiny group can identify its members.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

import numpy as np

from cxresearch.present.escaping import SafeMarkdown, markdown
from cxresearch.present.escaping import escape as escape  # public here since 0.1
from cxresearch.present.labels import Labels
from cxresearch.results import Comparison, Estimate
from cxresearch.stats.registry import Metric, get_metric

LOW_BASE_FLAG = "†"
#: Beside an interval the coverage study found too narrow (docs/coverage.md).
NARROW_FLAG = "‡"
BaseStatus = Literal["ok", "low", "suppressed", "empty"]


def _registered(metric: str) -> Metric | None:
    try:
        return get_metric(metric)
    except ValueError:
        return None


def metric_decimals(metric: str) -> int:
    """Decimals shown for a metric: its registry ``decimals`` (1 for unregistered names).

    NPS and percentages are read as whole numbers, means on a 1–7 or 1–5 scale with one
    decimal (:mod:`cxresearch.stats.registry`).
    """
    spec = _registered(metric)
    return 1 if spec is None else spec.decimals


def is_percent_metric(metric: str) -> bool:
    """Whether the metric is a percentage (its differences are percentage points)."""
    spec = _registered(metric)
    return bool(spec is not None and spec.percent)


def metric_bounds(metric: str) -> tuple[float, float] | None:
    """The range a metric's value can take (NPS −100..100, percentages 0..100), or None."""
    spec = _registered(metric)
    if spec is None:
        return None
    low, high = spec.value_range()
    return (low, high) if np.isfinite(low) and np.isfinite(high) else None


def is_narrow(metric: str, value: float, n: float, n_effective: float) -> bool:
    """Whether the coverage study found intervals like this one too narrow (flag ‡).

    :func:`cxresearch.stats.coverage_caveats.narrow_interval` for a registered metric;
    the estimate counts as weighted when its effective base differs from n.
    """
    from cxresearch.stats.coverage_caveats import narrow_interval

    spec = _registered(metric)
    if spec is None or is_missing(value) or is_missing(n) or is_missing(n_effective):
        return False
    weighted = abs(float(n_effective) - float(n)) > 1e-9
    return narrow_interval(
        spec.family,
        n=float(n),
        n_effective=float(n_effective),
        value=float(value),
        weighted=weighted,
    )


def is_missing(value: object) -> bool:
    """None, NaN, or a float-like NaN (pandas NA too); anything not a number is not missing."""
    if value is None:
        return True
    try:
        return math.isnan(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def format_number(
    value: float | int | None, labels: Labels, *, decimals: int = 0, signed: bool = False
) -> str:
    """A number in the report's conventions; NaN and None show as "–".

    Parameters
    ----------
    value
        The number.
    labels
        Supplies the decimal mark, thousands separator and minus sign.
    decimals
        Digits after the decimal mark (rounded half away from zero).
    signed
        Show "+" on positive numbers (for differences).
    """
    if is_missing(value):
        return labels.get("number.missing", "–")
    if isinstance(decimals, bool) or not isinstance(decimals, int) or decimals < 0:
        raise ValueError(f"decimals must be a non-negative integer, got {decimals!r}")
    number = float(value)  # type: ignore[arg-type]
    if math.isinf(number):
        raise ValueError(f"value must be finite, got {number!r}")
    rounded = Decimal(repr(number)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)  # no "−0" after rounding a small negative number
    text = f"{abs(rounded):,.{decimals}f}"
    text = text.replace(",", "\0").replace(".", labels.get("number.decimal", "."))
    text = text.replace("\0", labels.get("number.thousands", ","))
    if rounded < 0:
        return labels.get("number.minus", "−") + text
    return ("+" + text) if signed and rounded > 0 else text


def format_percent(value: float | None, labels: Labels, *, decimals: int = 0) -> str:
    """A percentage (given on the 0..100 scale), e.g. "42 %" in Finnish, "42%" in English."""
    if is_missing(value):
        return labels.get("number.missing", "–")
    number = format_number(value, labels, decimals=decimals)
    return labels.get("number.percent", "{value}%").format(value=number)


def format_level(confidence: float, labels: Labels) -> str:
    """A confidence level as a percentage number without the sign: 0.95 → "95"."""
    percent = 100.0 * float(confidence)
    decimals = 0 if abs(percent - round(percent)) < 1e-9 else 1
    return format_number(percent, labels, decimals=decimals)


def format_ci_label(confidence: float, labels: Labels, *, long: bool = False) -> str:
    """Interval label: "95 % lv" / "95% CI".

    With ``long``: "95 %:n luottamusväli" / "95% confidence interval".
    """
    key = "number.ci_long" if long else "number.ci_short"
    return labels.get(key).format(level=format_level(confidence, labels))


def format_interval(
    low: float | None, high: float | None, labels: Labels, *, decimals: int = 0
) -> str:
    """Interval bounds joined by an en dash: "37–47"; spaced when a bound is negative.

    A bound that is not zero but would round to zero gets up to two more decimals, so an
    interval that excludes zero never prints as touching it next to a "significant"
    verdict ("−31 – −0.4", not "−31 – 0"); a bound within rounding noise of zero still
    prints as "0".

    Examples
    --------
    >>> from cxresearch.present.labels import get_labels
    >>> en = get_labels("en")
    >>> format_interval(-31.2, -0.4, en), format_interval(-3.0, 0.04, en)
    ('−31 – −0.4', '−3 – 0.04')
    >>> format_interval(0.0, 12.4, en), format_interval(-1e-12, 5.0, en)
    ('0–12', '0–5')
    """
    if is_missing(low) or is_missing(high):
        return labels.get("number.missing", "–")
    lo = _bound(float(low), labels, decimals)  # type: ignore[arg-type]
    hi = _bound(float(high), labels, decimals)  # type: ignore[arg-type]
    # "−12–5" reads as a subtraction; "−12 – 5" does not.
    negative = labels.get("number.minus", "−")
    joiner = " – " if lo.startswith(negative) or hi.startswith(negative) else "–"
    return f"{lo}{joiner}{hi}"


def _bound(value: float, labels: Labels, decimals: int) -> str:
    text = format_number(value, labels, decimals=decimals)
    if value == 0 or any(ch.isdigit() and ch != "0" for ch in text):
        return text
    for more in (decimals + 1, decimals + 2):
        finer = format_number(value, labels, decimals=more)
        if any(ch.isdigit() and ch != "0" for ch in finer):
            return finer
    return text


def format_base(
    n: int | float, labels: Labels, *, n_effective: float = float("nan"), weighted: bool = False
) -> str:
    """ "n = 412", or with weights "n = 412, tehollinen n = 380"."""
    count = format_number(n, labels)
    if weighted and not is_missing(n_effective):
        return labels.get("number.base_effective").format(
            n=count, n_effective=format_number(n_effective, labels)
        )
    return labels.get("number.base").format(n=count)


def is_weighted_frame(frame: object) -> bool:
    """Whether a results frame's bases are weighted (an effective n differs from its n)."""
    columns = getattr(frame, "columns", ())
    if "n_effective" not in columns or "n" not in columns:
        return False
    gap = (frame["n_effective"] - frame["n"]).abs()  # type: ignore[index]
    return bool(gap.gt(1e-9).any())


def base_cell(n: float, n_effective: float, labels: Labels, *, weighted: bool) -> str:
    """A table's base cell: "412", or under weights "412 (380)" with the effective n.

    The column header is ``labels.column("n_with_effective")`` when ``weighted``.

    Examples
    --------
    >>> from cxresearch.present.labels import get_labels
    >>> base_cell(412, 380.4, get_labels("en"), weighted=True)
    '412 (380)'
    """
    base = format_number(n, labels)
    if weighted and not is_missing(n_effective):
        base += f" ({format_number(n_effective, labels)})"
    return base


def format_pvalue(pvalue: float | None, labels: Labels) -> str:
    """ "p = 0,032" / "p < 0,001" (three decimals, as APA style)."""
    if is_missing(pvalue):
        return labels.get("number.missing", "–")
    p = float(pvalue)  # type: ignore[arg-type]
    if p < 0.001:
        return labels.get("number.pvalue_small").format(p=format_number(0.001, labels, decimals=3))
    return labels.get("number.pvalue").format(p=format_number(p, labels, decimals=3))


def format_effect(comparison: Comparison, labels: Labels) -> str:
    """Effect size with its name, e.g. "Cohenin h = 0,12"."""
    name = labels.effect_size(comparison.effect_size_name)
    return f"{name} = {format_number(comparison.effect_size, labels, decimals=2)}"


def suppress_threshold(min_base: float, suppress_below: float | None = None) -> float:
    """The base under which results are hidden: ``suppress_below`` or ``ceil(min_base / 2)``."""
    return float(math.ceil(min_base / 2)) if suppress_below is None else float(suppress_below)


def base_status(
    n: float,
    n_effective: float = float("nan"),
    *,
    min_base: float = 30,
    suppress_below: float | None = None,
) -> BaseStatus:
    """Classify a base: ``"empty"``, ``"suppressed"``, ``"low"`` or ``"ok"``.

    The effective base (Kish) is used when known, as in ``metric_by``'s ``low_base``
    column, so a heavily weighted group is flagged like a small one.
    """
    if is_missing(n) or n <= 0:
        return "empty"
    base = float(n) if is_missing(n_effective) else float(n_effective)
    if base < suppress_threshold(min_base, suppress_below):
        return "suppressed"
    return "low" if base < min_base else "ok"


def format_estimate(
    estimate: Estimate,
    labels: Labels,
    *,
    decimals: int | None = None,
    min_base: float | None = None,
    suppress_below: float | None = None,
) -> str:
    """An estimate with its interval and base: "42 (95 % lv 37–47; n = 412)".

    With ``min_base`` a small base adds the flag † and a base under the suppression
    threshold hides the value ("– (n = 7)").
    """
    digits = metric_decimals(estimate.metric) if decimals is None else decimals
    base = format_base(
        estimate.n, labels, n_effective=estimate.n_effective, weighted=estimate.weighted
    )
    status: BaseStatus = "ok"
    if min_base is not None:
        status = base_status(
            estimate.n,
            estimate.n_effective,
            min_base=min_base,
            suppress_below=suppress_below,
        )
    if estimate.n == 0 or status == "suppressed" or is_missing(estimate.value):
        return f"{labels.get('number.missing', '–')} ({base})"
    value = format_number(estimate.value, labels, decimals=digits)
    interval = format_interval(estimate.ci_low, estimate.ci_high, labels, decimals=digits)
    flag = f" {LOW_BASE_FLAG}" if status == "low" else ""
    return f"{value}{flag} ({format_ci_label(estimate.confidence, labels)} {interval}; {base})"


def format_comparison(
    comparison: Comparison, labels: Labels, *, decimals: int | None = None
) -> str:
    """A difference with interval, p-value and effect: "+5 (95 % lv −2 – 12; p = 0,160)"."""
    digits = metric_decimals(comparison.metric) if decimals is None else decimals
    diff = format_number(comparison.difference, labels, decimals=digits, signed=True)
    interval = format_interval(comparison.ci_low, comparison.ci_high, labels, decimals=digits)
    ci = format_ci_label(comparison.confidence, labels)
    return f"{diff} ({ci} {interval}; {format_pvalue(comparison.pvalue, labels)})"


def is_significant(comparison: Comparison) -> bool:
    """Whether the p-value is below ``1 − confidence`` of the comparison."""
    return bool(comparison.pvalue < 1.0 - comparison.confidence)


def estimate_sentence(
    estimate: Estimate,
    labels: Labels,
    *,
    min_base: float | None = None,
    suppress_below: float | None = None,
) -> SafeMarkdown:
    """One sentence stating an estimate.

    For example "Suositteluindeksi (NPS) on 42 (95 % lv 37–47; n = 412)."; a small base
    adds †, a base under the suppression threshold says "too few responses" and an
    empty one "no responses" (in the report language).
    """
    name = labels.metric(estimate.metric)
    status = (
        base_status(
            estimate.n, estimate.n_effective, min_base=min_base, suppress_below=suppress_below
        )
        if min_base is not None
        else ("empty" if estimate.n == 0 else "ok")
    )
    base = format_base(
        estimate.n, labels, n_effective=estimate.n_effective, weighted=estimate.weighted
    )
    if status == "empty":
        return labels.text("no_data", metric=name)
    if status == "suppressed":
        return labels.text("too_few", metric=name, base=base)
    digits = metric_decimals(estimate.metric)
    value = format_number(estimate.value, labels, decimals=digits)
    if status == "low":
        value += f" {LOW_BASE_FLAG}"
    interval = format_interval(estimate.ci_low, estimate.ci_high, labels, decimals=digits)
    return labels.text(
        "headline_sentence",
        metric=name,
        value=value,
        ci=format_ci_label(estimate.confidence, labels),
        interval=interval,
        base=base,
    )


def change_sentence(
    comparison: Comparison | None, labels: Labels, *, previous: str
) -> SafeMarkdown:
    """One sentence on the change from the previous wave, with test, p-value and effect size."""
    if comparison is None:
        return labels.text("no_previous")
    digits = metric_decimals(comparison.metric)
    if is_significant(comparison):
        key = "change_significant_up" if comparison.difference > 0 else "change_significant_down"
        diff = format_number(abs(comparison.difference), labels, decimals=digits)
    else:
        key = "change_not_significant"
        diff = format_number(comparison.difference, labels, decimals=digits, signed=True)
    unit = "unit_percent" if is_percent_metric(comparison.metric) else "unit_points"
    return labels.text(
        key,
        diff=diff,
        unit=labels.text(unit),
        previous=previous,
        test=labels.test(comparison.test, short=True),
        pvalue=format_pvalue(comparison.pvalue, labels),
        effect=format_effect(comparison, labels),
    )


def headline_intro(
    labels: Labels, *, current: str, previous: str | None, confidence: float
) -> SafeMarkdown:
    """The sentence introducing the headline metrics (which wave, compared with which)."""
    ci_long = format_ci_label(confidence, labels, long=True)
    if previous is None:
        return labels.text("headline_intro_single", current=current, ci_long=ci_long)
    return labels.text("headline_intro", current=current, previous=previous, ci_long=ci_long)


def headline_sentences(
    estimates: Mapping[str, Estimate],
    changes: Mapping[str, Comparison | None],
    labels: Labels,
    *,
    previous: str | None,
    min_base: float | None = None,
) -> SafeMarkdown:
    """One paragraph per metric: its estimate and its change from the previous wave.

    A metric whose base is too small to show has no change sentence either.
    """
    paragraphs = []
    for key, estimate in estimates.items():
        text = estimate_sentence(estimate, labels, min_base=min_base)
        status = (
            "ok"
            if min_base is None
            else base_status(estimate.n, estimate.n_effective, min_base=min_base)
        )
        if status not in ("empty", "suppressed"):
            text += " " + change_sentence(changes.get(key), labels, previous=previous or "")
        paragraphs.append(text)
    return markdown(*paragraphs)


def reading_note(
    labels: Labels, *, confidence: float, min_base: float, suppress_below: float | None = None
) -> SafeMarkdown:
    """The "how to read" note: intervals, bases and flags, significance and multiple tests."""
    return labels.text(
        "reading",
        ci_long=format_ci_label(confidence, labels, long=True),
        level=format_level(confidence, labels),
        flag=LOW_BASE_FLAG,
        min_base=format_number(min_base, labels),
        suppress=format_number(suppress_threshold(min_base, suppress_below), labels),
        alpha=format_number(1.0 - confidence, labels, decimals=2),
    )
