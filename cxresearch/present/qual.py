"""The qualitative report for readers: coded comments in sentences, tables and a chart.

The numbers come from :class:`cxresearch.qual.run.QualRun` (coding quality, agreement,
prevalence, NPS impact, quotes, suggestions); this module words them from the
``qualitative`` section of the label files and rounds them. Every value from data or
params (theme labels from the codebook, quotes, group names) is escaped here, so a comment
holding ``<script>`` or Markdown shows as text.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from cxresearch.present.escaping import SafeMarkdown, md
from cxresearch.present.format import (
    format_base,
    format_ci_label,
    format_interval,
    format_number,
    format_pvalue,
    is_missing,
    is_weighted_frame,
)
from cxresearch.present.labels import Labels
from cxresearch.present.tables import Table
from cxresearch.qual.codebook import Codebook

__all__ = [
    "agreement_table",
    "codebook_table",
    "counts_table",
    "impact_plot",
    "impact_table",
    "prevalence_matrix",
    "prevalence_table",
    "quality_table",
    "quality_text",
    "quotes_markdown",
    "qual_plain",
    "qual_text",
    "reliability_text",
    "suggestions_table",
    "theme_label",
]


class _Keep(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def qual_text(labels: Labels, key: str, **fields: object) -> SafeMarkdown:
    """Report Markdown: the ``qualitative.<key>`` text with every field escaped.

    As :meth:`Labels.text <cxresearch.present.labels.Labels.text>`; for table headers,
    notes and chart labels use :func:`qual_plain`.
    """
    return md(labels.get(f"qualitative.{key}"), **fields)


def qual_plain(labels: Labels, key: str, **fields: object) -> str:
    """The ``qualitative.<key>`` text as plain text (tables escape their cells as HTML)."""
    return string.Formatter().vformat(labels.get(f"qualitative.{key}"), (), _Keep(fields))


def theme_label(book: Codebook, code: str, labels: Labels) -> str:
    """The code's label in the report language, ``*`` when it fell back to another language.

    Plain text: tables escape their cells; Markdown callers pass it through ``escape``.
    """
    text = book.label(code, labels.language)
    return text if labels.language in book[code].label else f"{text}*"


def _pct(value: float, labels: Labels, decimals: int = 0) -> str:
    return format_number(100 * value, labels, decimals=decimals)


def _pct_ci(share: float, low: float, high: float, labels: Labels) -> str:
    if is_missing(share):
        return labels.get("number.missing")
    return f"{_pct(share, labels)} ({format_interval(100 * low, 100 * high, labels)})"


def counts_table(counts: pd.Series, labels: Labels) -> Table:
    """Comments of the current wave by status: nothing disappears without being counted."""
    keys = [
        "respondents",
        "comments",
        "coded",
        "uncoded",
        "empty",
        "other-language",
        "language_detected",
        "mixed_language",
        "long",
    ]
    rows = [
        (qual_plain(labels, f"count_{k.replace('-', '_')}"), format_number(counts[k], labels))
        for k in keys
        if k in counts
    ]
    frame = pd.DataFrame(rows, columns=[qual_plain(labels, "col_item"), labels.column("n")])
    return Table(frame, left=1)


def codebook_table(book: Codebook, labels: Labels) -> Table:
    """The codebook: themes and sub-themes with description and rule counts."""
    lang = labels.language
    rows = []
    for row in book.summary(lang):
        indent = "\u2003" * int(row["depth"])
        sentiment = qual_plain(labels, f"sentiment_{row['sentiment']}") if row["sentiment"] else ""
        rules = row["words"] + row["phrases"] + row["patterns"]
        rows.append(
            (
                indent + theme_label(book, row["code"], labels),
                row["code"],
                row["description"],
                sentiment,
                format_number(rules, labels),
            )
        )
    columns = [
        qual_plain(labels, c)
        for c in ("col_theme", "col_code", "col_description", "col_direction", "col_rules")
    ]
    notes = []
    missing = book.missing_labels(lang)
    if missing:
        notes.append(qual_plain(labels, "missing_label_note", n=len(missing)))
    return Table(pd.DataFrame(rows, columns=columns), tuple(notes), left=4)


def quality_table(
    table: pd.DataFrame, book: Codebook, labels: Labels, *, confidence: float
) -> Table:
    """Precision, recall and F1 per theme (with intervals), macro and micro averages."""
    ci = format_ci_label(confidence, labels)
    rows = []
    for code, row in table.iterrows():
        name = (
            qual_plain(labels, str(code))
            if code in ("macro", "micro")
            else theme_label(book, str(code), labels)
        )
        cells = [name]
        for key in ("precision", "recall"):
            low = float(row[f"{key}_ci_low"]) if f"{key}_ci_low" in row.index else float("nan")
            high = float(row[f"{key}_ci_high"]) if f"{key}_ci_high" in row.index else float("nan")
            if is_missing(low):
                cells.append(_pct(row[key], labels) if not is_missing(row[key]) else "–")
            else:
                cells.append(_pct_ci(row[key], low, high, labels))
        cells.append(format_number(100 * row["f1"], labels) if not is_missing(row["f1"]) else "–")
        support = row.get("support")
        cells.append(format_number(support, labels) if not is_missing(support) else "")
        rows.append(cells)
    columns = [
        qual_plain(labels, "col_theme"),
        qual_plain(labels, "col_precision", ci=ci),
        qual_plain(labels, "col_recall", ci=ci),
        qual_plain(labels, "col_f1"),
        qual_plain(labels, "col_support"),
    ]
    muted = tuple(str(c) in ("macro", "micro") for c in table.index)
    return Table(
        pd.DataFrame(rows, columns=columns), (qual_plain(labels, "quality_note"),), muted, left=1
    )


def agreement_table(
    table: pd.DataFrame, book: Codebook, labels: Labels, *, confidence: float
) -> Table:
    """Krippendorff's alpha (and Cohen's kappa for two coders) per theme."""
    ci = format_ci_label(confidence, labels)
    two = table["kappa"].notna().any()
    rows = []
    for code, row in table.iterrows():
        cells = [
            theme_label(book, str(code), labels),
            _coef(row["alpha"], row["alpha_ci_low"], row["alpha_ci_high"], labels),
        ]
        if two:
            cells.append(_coef(row["kappa"], row["kappa_ci_low"], row["kappa_ci_high"], labels))
        cells += [_pct(row["agreement"], labels), format_number(row["units"], labels)]
        rows.append(cells)
    columns = [qual_plain(labels, "col_theme"), qual_plain(labels, "col_alpha", ci=ci)]
    if two:
        columns.append(qual_plain(labels, "col_kappa", ci=ci))
    columns += [qual_plain(labels, "col_agreement"), qual_plain(labels, "col_units")]
    muted = tuple(bool(is_missing(a) or a < 0.667) for a in table["alpha"])
    return Table(
        pd.DataFrame(rows, columns=columns), (qual_plain(labels, "agreement_note"),), muted, left=1
    )


def _coef(value: float, low: float, high: float, labels: Labels) -> str:
    if is_missing(value):
        return labels.get("number.missing")
    text = format_number(value, labels, decimals=2)
    if is_missing(low):
        return text
    return f"{text} ({format_interval(low, high, labels, decimals=2)})"


def prevalence_table(frame: pd.DataFrame, book: Codebook, labels: Labels) -> Table:
    """Share of commenters mentioning each theme, largest first, with intervals."""
    frame = frame.sort_values("share", ascending=False, kind="stable")
    rows = [
        (
            theme_label(book, r["code"], labels),
            format_number(r["mentions"], labels),
            _pct_ci(r["share"], r["ci_low"], r["ci_high"], labels),
        )
        for r in frame.to_dict("records")
    ]
    n = int(frame["n"].iloc[0]) if len(frame) else 0
    columns = [
        qual_plain(labels, "col_theme"),
        qual_plain(labels, "col_mentions"),
        qual_plain(labels, "col_share"),
    ]
    if len(frame) and is_weighted_frame(frame):
        # Weighted shares: the base note gives the effective n as well as the comments.
        note = qual_plain(
            labels,
            "prevalence_note_weighted",
            n=format_number(n, labels),
            n_effective=format_number(frame["n_effective"].iloc[0], labels),
        )
    else:
        note = qual_plain(labels, "prevalence_note", n=format_number(n, labels))
    return Table(pd.DataFrame(rows, columns=columns), (note,), left=1)


def prevalence_matrix(
    frame: pd.DataFrame, by: str, book: Codebook, labels: Labels, *, min_base: int
) -> Table:
    """Themes × groups of ``by``: share with interval per cell, n in the header."""
    groups = list(dict.fromkeys(frame[by].tolist()))
    sizes = frame.groupby(by, sort=False)["n"].first()
    weighted = is_weighted_frame(frame)
    effective = frame.groupby(by, sort=False)["n_effective"].first() if weighted else sizes
    out: dict[str, list[str]] = {qual_plain(labels, "col_theme"): []}
    headers = {}
    for g in groups:
        name = labels.value(by, g)
        flag = "†" if effective[g] < min_base else ""  # the effective base, as base_status
        base = format_base(sizes[g], labels, n_effective=effective[g], weighted=weighted)
        headers[g] = f"{name}{flag} ({base})"
        out[headers[g]] = []
    for code in book.themes:
        out[qual_plain(labels, "col_theme")].append(theme_label(book, code, labels))
        for g in groups:
            r = frame[(frame[by] == g) & (frame["code"] == code)].iloc[0]
            out[headers[g]].append(_pct_ci(r["share"], r["ci_low"], r["ci_high"], labels))
    notes = [qual_plain(labels, "matrix_note", by=labels.column(by))]
    if (effective < min_base).any():
        notes.append(
            labels.plain("low_base_note", flag="†", min_base=format_number(min_base, labels))
        )
    return Table(pd.DataFrame(out), tuple(notes), left=1)


def impact_table(
    table: pd.DataFrame, book: Codebook, labels: Labels, *, confidence: float, min_base: int
) -> Table:
    """Per theme: NPS of mentioners / others, difference (CI, adjusted p), effect on NPS.

    Intervals are printed at the table's ``interval_confidence`` (the level matching the
    multiplicity adjustment), so the greying agrees with the intervals row by row.
    """
    level = float(table["interval_confidence"].iloc[0]) if len(table) else confidence
    ci = format_ci_label(level, labels)
    table = table.sort_values("effect_on_nps", kind="stable")
    rows, muted = [], []
    for code, r in table.iterrows():
        small = r["mentions"] < min_base
        flag = "†" if small else ""
        rows.append(
            [
                theme_label(book, str(code), labels) + flag,
                format_number(r["mentions"], labels),
                f"{_num(r['nps_mentioners'], labels)} / {_num(r['nps_others'], labels)}",
                _diff(r["difference"], r["ci_low"], r["ci_high"], labels, decimals=0),
                format_pvalue(r["pvalue_adjusted"], labels)
                if not is_missing(r["pvalue_adjusted"])
                else "–",
                _pct_ci(
                    r["detractor_share"], r["detractor_ci_low"], r["detractor_ci_high"], labels
                ),
                _diff(r["effect_on_nps"], r["effect_ci_low"], r["effect_ci_high"], labels),
            ]
        )
        significant = not is_missing(r["pvalue_adjusted"]) and r["pvalue_adjusted"] < 1 - confidence
        muted.append(bool(small or not significant))
    # the detractor share is no test: its interval keeps the report's own level
    nominal = format_ci_label(confidence, labels)
    columns = [
        qual_plain(labels, k, ci=nominal if k == "col_detractors" else ci)
        for k in (
            "col_theme",
            "col_mentions",
            "col_nps_pair",
            "col_difference",
            "col_p_adjusted",
            "col_detractors",
            "col_effect",
        )
    ]
    adjust = str(table["adjust"].iloc[0]) if len(table) else "none"
    notes = [
        qual_plain(labels, "impact_note", ci=ci, method=labels.get(f"multiplicity.{adjust}"),
                   alpha=format_number(1 - confidence, labels, decimals=2))
    ]  # fmt: skip
    if any(table["mentions"] < min_base):
        notes.append(
            labels.plain("low_base_note", flag="†", min_base=format_number(min_base, labels))
        )
    return Table(pd.DataFrame(rows, columns=columns), tuple(notes), tuple(muted), left=1)


def _num(value: float, labels: Labels) -> str:
    return labels.get("number.missing") if is_missing(value) else format_number(value, labels)


def _diff(value: float, low: float, high: float, labels: Labels, *, decimals: int = 1) -> str:
    if is_missing(value):
        return labels.get("number.missing")
    text = format_number(value, labels, decimals=decimals, signed=True)
    if is_missing(low):
        return text
    return f"{text} ({format_interval(low, high, labels, decimals=decimals)})"


def impact_plot(
    table: pd.DataFrame,
    book: Codebook,
    labels: Labels,
    *,
    confidence: float,
    min_base: float | None = None,
) -> Any:
    """Themes ranked by their effect on overall NPS (prevalence × difference), with intervals.

    Bars left of zero pull NPS down, right of zero lift it; each bar is annotated with the
    theme's prevalence among commenters. Themes whose interval crosses zero are grey and
    hatched, and so are themes with fewer than ``min_base`` mentions (marked †), as
    :func:`impact_table` greys them: a chart beside the table follows the same rule.
    """
    from cxresearch.present.chart_base import OKABE_ITO, TEXT_WIDTH_IN
    from cxresearch.present.plots import ACCENT, MUTED, OVERALL, ReportFigure, chart_style
    from cxresearch.present.plots import _chart_words as chart_words

    data = table.dropna(subset=["effect_on_nps"]).sort_values("effect_on_nps", kind="stable")
    y = np.arange(len(data))
    effect = data["effect_on_nps"].to_numpy(float)
    low = data["effect_ci_low"].to_numpy(float)
    high = data["effect_ci_high"].to_numpy(float)
    small = (
        data["mentions"].to_numpy(float) < min_base
        if min_base is not None
        else np.zeros(len(data), dtype=bool)
    )
    clear = ((low > 0) | (high < 0)) & ~small
    level = float(table["interval_confidence"].iloc[0]) if len(table) else confidence
    ci = format_ci_label(level, labels)
    with chart_style():
        fig = ReportFigure(figsize=(TEXT_WIDTH_IN, 1.4 + 0.42 * len(data)), layout="constrained")
        ax = fig.subplots()
        colours = [
            (OKABE_ITO["vermillion"] if e < 0 else ACCENT) if c else MUTED
            for e, c in zip(effect, clear, strict=True)
        ]
        bars = ax.barh(y, effect, height=0.6, color=colours, zorder=2)
        for bar, c in zip(bars, clear, strict=True):
            if not c:  # not told apart from zero, or few mentions: hatched as well as grey
                bar.set_hatch("//")
                bar.set_edgecolor("white")
        ax.errorbar(
            effect,
            y,
            xerr=[effect - low, high - effect],
            fmt="none",
            ecolor=OVERALL,
            elinewidth=1.2,
            capsize=3,
            zorder=3,
        )
        ax.axvline(0, color=OVERALL, linewidth=1)
        names = [
            book.label(str(c), labels.language) + ("†" if f else "")
            for c, f in zip(data.index, small, strict=True)
        ]
        prevalence = [_pct(p, labels) for p in data["prevalence"]]
        ax.set_yticks(y, [f"{n} ({p} %)" for n, p in zip(names, prevalence, strict=True)])
        ax.set_xlabel(qual_plain(labels, "impact_axis", ci=ci))
        ax.set_title(qual_plain(labels, "impact_title"))
        ax.grid(axis="y", visible=False)
    items = "; ".join(
        f"{n} {format_number(e, labels, signed=True)} ({ci} {format_interval(lo, hi, labels)})"
        for n, e, lo, hi in zip(names, effect, low, high, strict=True)
    )
    fig.alt = chart_words(
        labels, "estimate_alt", title=qual_plain(labels, "impact_title"), items=items
    )
    return fig


def quotes_markdown(quotes: pd.DataFrame, labels: Labels) -> SafeMarkdown:
    """Quotes as Markdown block quotes; every quote and group name escaped (HTML, Markdown)."""
    if quotes.empty:
        return qual_text(labels, "no_quotes")
    parts = []
    for row in quotes.to_dict("records"):
        who = []
        if "customer_type" in row and not is_missing(row["customer_type"]):
            who.append(labels.value("customer_type", row["customer_type"]))
        if row.get("sentiment") in ("positive", "negative", "mixed", "neutral"):
            who.append(labels.get(f"qualitative.sentiment_{row['sentiment']}"))
        if row.get("language") and row["language"] != labels.language:
            who.append(labels.value("language", row["language"]))
        parts.append(md("> “{quote}”  \n> — *{who}*", quote=row["quote"], who=", ".join(who)))
    return SafeMarkdown("\n\n".join(parts))


def suggestions_table(
    table: pd.DataFrame,
    texts: Mapping[Any, str] | pd.Series,
    labels: Labels,
    *,
    names: Sequence[str] = (),
) -> Table:
    """Candidate themes: top terms, how many uncoded comments, one masked example."""
    from cxresearch.qual.masking import mask_personal_data

    rows = []
    for r in table.to_dict("records"):
        examples = [mask_personal_data(str(texts[i]), names=tuple(names)) for i in r["examples"]]
        rows.append(
            (
                format_number(r["theme"], labels),
                r["terms"],
                format_number(r["comments"], labels),
                " / ".join(e[:120] for e in examples[:2]),
            )
        )
    columns = [
        qual_plain(labels, k)
        for k in ("col_candidate", "col_terms", "col_comments", "col_examples")
    ]
    return Table(pd.DataFrame(rows, columns=columns), (qual_plain(labels, "suggest_note"),), left=4)


def quality_text(
    quality: pd.DataFrame | None, sentiment: pd.DataFrame | None, labels: Labels
) -> list[SafeMarkdown]:
    """The paragraph on coding quality: against the reference, or why it is not measured."""
    if quality is None:
        return [qual_text(labels, "quality_none")]
    text = qual_text(
        labels,
        "quality_intro",
        n=format_number(float(quality["n"].iloc[0]), labels),
        macro_f1=format_number(float(quality["f1"].loc["macro"]), labels, decimals=2),
    )
    if sentiment is None:
        return [text]
    more = qual_text(
        labels,
        "sentiment_sentence",
        n=format_number(float(sentiment["n"].iloc[0]), labels),
        accuracy=format_number(100 * sentiment["accuracy"].iloc[0], labels),
        f1=format_number(float(sentiment["f1"].loc["macro"]), labels, decimals=2),
    )
    return [SafeMarkdown(f"{text} {more}")]


def reliability_text(
    agreement: pd.DataFrame | None, coders: Sequence[str], labels: Labels
) -> SafeMarkdown:
    """Which coders the agreement table compares (people and the auto-coder, or the reference)."""
    if agreement is None:
        return qual_text(labels, "reliability_none")
    if coders:
        return qual_text(labels, "reliability_coders", coders=", ".join(coders))
    return qual_text(labels, "reliability_reference")
