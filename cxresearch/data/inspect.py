"""``cxresearch inspect`` and ``cxresearch init``: what an export holds, and a params proposal.

:func:`inspect_export` summarises each column of an export (question text, type, answers,
first distinct values) and :func:`propose` suggests how it maps onto the responses schema:
a 0–10 "recommend" question → ``nps``, a 1–5 satisfaction question → ``csat``, a 1–7 ease
or effort question → ``ces``, other rating scales → ``attr_*`` with their scale, the
longest free text → ``comment``, the end or submission time → ``submitted_at``, the
response id → ``id``. Negative codes found in a proposed score column become the
``missing:`` list. :func:`params_yaml` writes the proposal as a commented params file.

The proposal is a start, not a verdict: it only maps what it can defend from the question
text and the values, and every line carries the question text so the consultant can check
it. Values shown are masked (e-mail addresses, phone numbers, identity codes) and columns
that hold contact details are not shown at all.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import yaml

from cxresearch.data.readers import Export
from cxresearch.qual.masking import mask_personal_data

__all__ = [
    "ColumnSummary",
    "Proposal",
    "format_inspection",
    "inspect_export",
    "params_yaml",
    "propose",
]

_PERSONAL = re.compile(
    r"e-?mail|sähköposti|ip ?address|ipaddress|first ?name|last ?name|recipient|\bnimi\b|"
    r"phone|puhelin|latitude|longitude|location",
    re.IGNORECASE,
)
_METADATA = re.compile(
    r"^(startdate|enddate|status|progress|duration.*|finished|recordeddate|responseid|"
    r"externalreference|distributionchannel|userlanguage|collector id|respondent id|"
    r"custom data \d+|start date|end date|v\d+)$",
    re.IGNORECASE,
)
_RECOMMEND = re.compile(r"recommend|suosit", re.IGNORECASE)
_SATISFIED = re.compile(r"satisf|tyytyv", re.IGNORECASE)
_EASE = re.compile(r"\beas[ey]|\bease\b|effort|helppo|vaiva", re.IGNORECASE)
_ID = re.compile(r"^(response ?id|respondent ?id|id|vastaaja(n)?( ?(tunnus|numero))?)$", re.I)
_SUBMITTED = re.compile(
    r"^(enddate|end date|timestamp|aikaleima|vastausaika|submitted.*|pvm|date)$", re.I
)
_COMMENT = re.compile(r"comment|reason|better|palaute|kommentti|avoin|terveiset|perustelu", re.I)
_TOUCHPOINT = re.compile(r"touchpoint|kosketuspiste", re.IGNORECASE)
_PLAIN = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
_SCALES = ((1.0, 5.0), (1.0, 7.0), (0.0, 10.0), (1.0, 10.0))
_EXAMPLES = 5


def _mask(text: str) -> str:
    return mask_personal_data(text)


@dataclass
class ColumnSummary:
    """One column of an export as ``cxresearch inspect`` shows it."""

    name: str
    label: str
    kind: str  # "number", "text", "date", "empty"
    answered: int
    distinct: int
    examples: list[str]
    personal: bool = False
    numbers: pd.Series | None = field(default=None, repr=False)


@dataclass
class Proposal:
    """A proposed ``data:`` block (schema column → export column and settings)."""

    id: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)  # export column -> schema column
    scales: dict[str, tuple[float, float]] = field(default_factory=dict)
    missing: list[float] = field(default_factory=list)
    why: dict[str, str] = field(default_factory=dict)  # export column -> reason


def _as_text(series: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series):
        return series.map(lambda v: "" if pd.isna(v) else f"{v:g}").astype("str")
    return series.astype("str").str.strip().fillna("")


def _summary(export: Export, column: str) -> ColumnSummary:
    series = export.data[column]
    label = export.labels.get(column, "")
    text = _as_text(series)
    filled = text[text != ""]
    personal = bool(_PERSONAL.search(column) or _PERSONAL.search(label))
    kind = "empty"
    numbers = None
    if len(filled):
        plain = filled.str.fullmatch(_PLAIN.pattern)
        if bool(plain.all()):
            kind = "number"
            numbers = pd.to_numeric(filled.str.replace(",", ".", regex=False))
        elif pd.api.types.is_datetime64_any_dtype(series.dtype) or _looks_like_dates(filled):
            kind = "date"
        else:
            kind = "text"
    distinct = filled.unique().tolist()
    examples = [] if personal else [_short(str(v)) for v in distinct[:_EXAMPLES]]
    return ColumnSummary(
        column, label, kind, len(filled), len(distinct), examples, personal, numbers
    )


def _short(value: str) -> str:
    text = " ".join(_mask(value).split())
    return text if len(text) <= 40 else text[:39] + "…"


def _looks_like_dates(filled: pd.Series) -> bool:
    sample = filled.head(20)
    return bool(sample.str.match(r"^\d{1,4}[-./]\d{1,2}[-./]\d{1,4}([ T]\d{1,2}[:.]\d\d)?").all())


def inspect_export(export: Export) -> list[ColumnSummary]:
    """A :class:`ColumnSummary` per column of ``export``, in file order."""
    return [_summary(export, str(c)) for c in export.data.columns]


def _slug(text: str) -> str:
    # A matrix row's text follows the question after " - " (Qualtrics) or " — " (SurveyMonkey).
    grid = re.search(r"\[([^\[\]]+)\]\s*$", text)
    parts = re.split(r"\s[-—]\s", text)
    text = grid.group(1) if grid else " ".join(parts[-2:] if len(parts) > 2 else parts[-1:])
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", plain)
    stop = {"the", "of", "a", "and", "how", "would", "you", "rate", "on", "following", "our"}
    kept = [w for w in words if w not in stop][-3:]
    return "_".join(kept) or "rating"


def _scale_of(values: pd.Series) -> tuple[float, float] | None:
    low, high = float(values.min()), float(values.max())
    for scale in _SCALES:
        if scale[0] <= low and high <= scale[1] and high - low >= 1:
            return scale
    return None


def propose(export: Export, columns: list[ColumnSummary]) -> Proposal:
    """How ``export`` maps onto the schema, from question texts and values (see module)."""
    out = Proposal()
    used: set[str] = set()
    for c in columns:
        words = f"{c.name} {c.label}"
        is_id = out.id is None and bool(_ID.match(c.name) or _ID.match(c.label.strip()))
        if is_id and c.answered == len(export.data) == c.distinct and c.answered:
            out.id, out.why[c.name] = c.name, "unique id of each response"
            continue
        if c.personal or c.kind == "empty":
            continue
        if (
            "submitted_at" not in used
            and c.kind == "date"
            and (_SUBMITTED.match(c.name) or _SUBMITTED.match(c.label))
        ):
            out.mapping[c.name], out.why[c.name] = "submitted_at", "when the answer was given"
            used.add("submitted_at")
            continue
        if c.kind == "number" and c.numbers is not None and not _METADATA.match(c.name):
            values = c.numbers
            codes = sorted({float(v) for v in values[values < 0]})
            valid = values[values >= 0]
            whole = bool((valid % 1 == 0).all())
            if valid.empty or valid.nunique() < 3:
                continue
            target, scale = None, _scale_of(valid)
            if whole and "nps" not in used and _RECOMMEND.search(words) and valid.max() <= 10:
                target, scale = "nps", None
            elif whole and "csat" not in used and _SATISFIED.search(words) and scale == (1, 5):
                target, scale = "csat", None
            elif whole and "ces" not in used and _EASE.search(words) and scale == (1, 7):
                target, scale = "ces", None
            elif scale is not None:
                stem = f"attr_{_slug(c.label or c.name)}"
                target, number = stem, 1
                while target in used:
                    number += 1
                    target = f"{stem}_{number}"
            if target is None:
                continue
            out.mapping[c.name] = target
            out.why[c.name] = (c.label or c.name)[:70]
            if scale is not None:
                out.scales[target] = scale
            out.missing += [x for x in codes if x not in out.missing]
            used.add(target)
            continue
        if c.kind == "text" and "touchpoint" not in used and _TOUCHPOINT.search(words):
            out.mapping[c.name], out.why[c.name] = "touchpoint", (c.label or c.name)[:70]
            used.add("touchpoint")
    comments = [
        c
        for c in columns
        if c.kind == "text" and not c.personal and c.name not in out.mapping and c.distinct > 3
    ]
    lengths = {c.name: export.data[c.name].astype("str").str.len().mean() for c in comments}
    ranked = sorted(
        (c for c in comments if lengths[c.name] > 12),
        key=lambda c: (not _COMMENT.search(f"{c.name} {c.label}"), -lengths[c.name]),
    )
    if ranked:
        out.mapping[ranked[0].name], out.why[ranked[0].name] = "comment", "longest free text"
    out.missing.sort()
    return out


def format_inspection(export: Export, columns: list[ColumnSummary], proposal: Proposal) -> str:
    """The text ``cxresearch inspect`` prints."""
    lines = [f"file:        {export.source}", f"format:      {export.format}"]
    details = export.details
    if "encoding" in details:
        lines.append(f"text:        {details['encoding']}, delimiter {details['delimiter']!r}")
    if "sheet" in details:
        lines.append(f"sheet:       {details['sheet']}")
    lines.append(f"header rows: {details.get('header_rows', 1)}")
    excluded = ", ".join(f"{k} {v}" for k, v in export.excluded.items()) or "none"
    lines.append(f"rows:        {export.rows_in_file} in the file, {len(export.data)} responses")
    lines.append(f"excluded:    {excluded}")
    if export.missing:
        shown = ", ".join(f"{k} {v}" for k, v in export.missing.items())
        lines.append(f"user-missing cells (set to missing): {shown}")
    if details.get("ends_with_newline") is False:
        lines.append(
            "note:        the file does not end with a line break (Google Sheets writes none); "
            "if it was cut off, its last row may be incomplete"
        )
    lines += [f"note:        {n}" for n in details.get("notes", [])]
    lines.append("")
    lines.append(f"{len(columns)} columns (proposed schema column after '->'):")
    for c in columns:
        target = "id" if proposal.id == c.name else proposal.mapping.get(c.name, "")
        arrow = f" -> {target}" if target else ""
        lines.append(f"  {c.name}{arrow}")
        if c.label:
            lines.append(f"      question: {_mask(c.label)[:100]}")
        values = "(personal data, not shown)" if c.personal else ", ".join(c.examples)
        value_labels = export.value_labels.get(c.name)
        vl = f"; value labels {dict(list(value_labels.items())[:4])}" if value_labels else ""
        lines.append(
            f"      {c.kind}, {c.answered} answered, {c.distinct} distinct: {values}{vl}"[:200]
        )
    for name, members in export.groups.items():
        lines.append(f"  group {name!r}: {', '.join(members)}")
    return "\n".join(lines)


def _y(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10_000)
    return text.strip().removesuffix("...").strip()


def params_yaml(
    client: str,
    data_path: str,
    export: Export,
    proposal: Proposal,
    *,
    wave: str,
    language: str,
    read_options: dict[str, Any] | None = None,
) -> str:
    """A commented params file that maps ``export`` as ``proposal`` says."""
    excluded = ", ".join(f"{k} {v}" for k, v in export.excluded.items()) or "none"
    kind = "asiakaskokemus" if language == "fi" else "customer experience"
    lines = [
        f"# Params for {client}, written by `cxresearch init` from {data_path}",
        f"# ({export.format}, {len(export.data)} responses; rows not taken: {excluded}).",
        "# The mapping is a proposal from the question texts and values: check every line.",
        f"client: {_y(client)}",
        f"title: {_y(f'{client} — {kind} {wave}')}",
        f"language: {language}",
        "data:",
        f"  path: {_y(data_path)}",
        f"  format: {export.format}",
    ]
    for key, value in (read_options or {}).items():
        if value is not None:
            lines.append(f"  {key}: {_y(value)}")
    lines.append(f"  constants: {_y({'client': client, 'wave': wave})}   # not in the export")
    if proposal.id:
        lines.append(f"  id: {_y(proposal.id)}")
    else:
        lines.append("  # id: omitted, so each response is '<file stem>-<row>'")
    lines.append("  mapping:")
    width = max((len(_y(k)) for k in proposal.mapping), default=0)
    for source, target in proposal.mapping.items():
        why = _mask(proposal.why.get(source, "")).replace("\n", " ")
        lines.append(f"    {_y(source) + ':':<{width + 1}} {target:<24} # {why}")
    if proposal.missing:
        lines.append(f"  missing: {_y([int(v) if v == int(v) else v for v in proposal.missing])}"
                     "   # codes that mean 'no answer' (counted in the report)")  # fmt: skip
    if proposal.scales:
        scales = {k: [int(v[0]), int(v[1])] for k, v in proposal.scales.items()}
        lines.append(f"  scales: {_y(scales)}")
    if export.excluded:
        lines.append(
            "  # keep: [unfinished]   # Qualtrics previews/tests/spam/unfinished are left out"
        )
    lines += [
        f"waves: {_y({'current': wave})}",
        "report: {analyses: [benchmarking], formats: [html]}",
        "",
    ]
    return "\n".join(lines)


def guess_language(export: Export) -> str:
    """``"fi"`` when the question texts or column names look Finnish, else ``"en"``."""
    text = " ".join([*export.labels.values(), *map(str, export.data.columns)]).lower()
    finnish = len(re.findall(r"[äö]|\b(kuinka|oletko|asiakas|palvelu|vastaaja)\w*", text))
    return "fi" if finnish >= 2 else "en"


def guess_wave(export: Export, proposal: Proposal) -> str:
    """The quarter of the latest answer (``2026Q3``) when dates are mapped, else ``wave1``."""
    source = next((s for s, t in proposal.mapping.items() if t == "submitted_at"), None)
    if source is None:
        return "wave1"
    from cxresearch.data.schema import _datetimes, _Problems

    problems = _Problems(ids=pd.Series([], dtype="str"))
    stamps = _datetimes(export.data[source].reset_index(drop=True), source, problems)
    latest = stamps.max()
    if pd.isna(latest):
        return "wave1"
    return f"{latest.year}Q{(latest.month - 1) // 3 + 1}"
