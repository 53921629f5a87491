"""Banner tables for the report and for Excel, with the same numbers and letters.

:func:`banner_tables` turns a :class:`~cxresearch.stats.crosstab.Banner` into one report
:class:`~cxresearch.present.tables.Table` per segment variable (span): the bases
(unweighted, weighted, effective), then a row per metric and answer category, each cell
"value letters" (e.g. "41 Bc"), the letters being the columns the cell is significantly
above (upper case at the strict level, lower case at 1 − confidence). :func:`banner_workbook`
writes the whole banner, its pairwise comparisons and its notes to an Excel workbook
(openpyxl) whose value cells are numbers and whose letters are the same strings, with
fixed timestamps so the same inputs give the same bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pandas as pd

from cxresearch.present.escaping import SafeMarkdown
from cxresearch.present.format import (
    LOW_BASE_FLAG,
    format_ci_label,
    format_number,
    is_missing,
    metric_decimals,
)
from cxresearch.present.labels import Labels
from cxresearch.present.tables import Table, _styled
from cxresearch.stats.crosstab import Banner
from cxresearch.stats.planning import sample_size
from cxresearch.xlsx import as_text

__all__ = [
    "banner_intro",
    "banner_notes",
    "banner_tables",
    "banner_workbook",
    "sample_size_note",
]

_EPOCH = datetime(2000, 1, 1)


def _b(labels: Labels, key: str, **fields: object) -> str:
    """Plain text of ``banner.<key>`` (tables and Excel escape or store it themselves)."""
    return labels.get(f"banner.{key}").format_map({k: str(v) for k, v in fields.items()})


def _row_label(banner: Banner, row: str, labels: Labels) -> str:
    cell = banner.cells[banner.cells["row"] == row].iloc[0]
    if cell["answer"] is None or is_missing(cell["answer"]):
        return labels.metric(str(cell["metric"]), short=True)
    column = row.split("=", 1)[0]
    answer = labels.value(column, cell["answer"])
    return _b(labels, "answer_row", question=labels.column(column), answer=answer)


def _column_label(span: str, column: Any, letter: str, labels: Labels) -> str:
    if span == "":
        return _b(labels, "total")
    return f"{labels.value(span, column)} ({letter})"


def _decimals(banner: Banner, row: str) -> int:
    metric = str(banner.cells.loc[banner.cells["row"] == row, "metric"].iloc[0])
    return 0 if "=" in row else metric_decimals(metric)


def _cell_text(cell: Mapping[Any, Any], digits: int, labels: Labels) -> str:
    if cell["status"] in ("suppressed", "empty"):
        return labels.get("number.missing")
    text = format_number(cell["value"], labels, decimals=digits)
    if cell["status"] == "caution":
        text += f" {LOW_BASE_FLAG}"
    if cell["higher_than"]:
        text += f" {cell['higher_than']}"
    return text


def banner_tables(banner: Banner, labels: Labels) -> list[tuple[str, Table]]:
    """One report table per span: ``(span, Table)`` with the total as the first column.

    Rows: unweighted base, weighted base and effective base (the last two only when
    weighted), then the metric and answer rows. Suppressed columns show "–" and their base.
    """
    out = []
    for span in banner.spans:
        bases = banner.bases[banner.bases["span"].isin(["", span])]
        headers = [
            _column_label(str(b["span"]), b["column"], str(b["letter"]), labels)
            for b in bases.to_dict("records")
        ]
        first = labels.column("item")
        rows: list[list[str]] = [
            [_b(labels, "base_n"), *[format_number(b, labels) for b in bases["n"]]]
        ]
        if banner.weighted:
            rows.append(
                [
                    _b(labels, "base_weighted"),
                    *[format_number(b, labels) for b in bases["weighted_n"]],
                ]
            )
            rows.append(
                [
                    _b(labels, "base_effective"),
                    *[format_number(b, labels) for b in bases["n_effective"]],
                ]
            )
        for row in banner.rows:
            digits = _decimals(banner, row)
            cells = banner.cells[
                (banner.cells["row"] == row) & banner.cells["span"].isin(["", span])
            ]
            rows.append(
                [
                    _row_label(banner, row, labels),
                    *[_cell_text(c, digits, labels) for c in cells.to_dict("records")],
                ]
            )
        frame = pd.DataFrame(rows, columns=[first, *headers])
        muted = [False] * len(frame)
        out.append((span, _styled(frame, notes=banner_notes(banner, labels, span), muted=muted)))
    return out


def banner_notes(
    banner: Banner, labels: Labels, span: str | None = None, *, margin: float = 10
) -> list[str]:
    """The notes under a banner table: letters, adjustment, bases and flags."""
    cells = banner.cells if span is None else banner.cells[banner.cells["span"] == span]
    notes = [
        _b(
            labels,
            "letters_note",
            strict=format_number(banner.strict, labels, decimals=3),
            alpha=format_number(1 - banner.confidence, labels, decimals=2),
            method=labels.lookup("multiplicity", banner.adjust),
        )
    ]
    if banner.weighted:
        notes.append(_b(labels, "weighted_note"))
    if (cells["status"] == "caution").any():
        notes.append(
            _b(
                labels,
                "caution_note",
                flag=LOW_BASE_FLAG,
                caution=format_number(banner.caution_below, labels),
            )
        )
    if cells["status"].isin(["suppressed", "empty"]).any():
        notes.append(
            _b(
                labels,
                "suppressed_note",
                dash=labels.get("number.missing"),
                suppress=format_number(banner.suppress_below, labels),
            )
        )
    if cells["status"].isin(["caution", "suppressed"]).any():
        notes.append(sample_size_note(labels, confidence=banner.confidence, margin=margin))
    return notes


def sample_size_note(labels: Labels, *, confidence: float, margin: float = 10) -> str:
    """How many answers a group needs for ±``margin`` points (:func:`cxresearch.sample_size`).

    Planned on the widest case (NPS with no passives and promoters = detractors; a share of
    50 %), so the numbers are what any group needs at most.
    """
    return _b(
        labels,
        "sample_size_note",
        margin=format_number(margin, labels),
        ci=format_ci_label(confidence, labels),
        nps=format_number(sample_size("nps", margin=margin, confidence=confidence), labels),
        share=format_number(sample_size("csat", margin=margin, confidence=confidence), labels),
    )


def banner_intro(labels: Labels, *, wave: str, workbook: str | None = None) -> SafeMarkdown:
    """The sentences above the banner tables: which wave, how to read letters, the Excel file."""
    text = labels.text("banner_intro", wave=wave)
    if workbook:
        text += " " + labels.text("banner_workbook", file=workbook)
    return text


def banner_workbook(
    banner: Banner | None,
    labels: Labels,
    *,
    title: str,
    provenance: Mapping[str, object] | None = None,
) -> bytes:
    """The banner as an Excel workbook (``.xlsx`` bytes): banner, comparisons, notes.

    The banner sheet has a number column and a letters column per banner column; the
    letters are the report's. The comparisons sheet lists every tested pair with its
    difference, interval (at the level agreeing with the adjusted verdicts), p-value and
    adjusted p-value; the notes sheet the reading notes and the provenance.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = _b(labels, "sheet_banner")
    bold = Font(bold=True)
    ws.cell(1, 1, title).font = Font(bold=True, size=12)
    if banner is None:  # no segment variable with two groups in this run
        ws.cell(3, 1, _b(labels, "no_columns"))
        return _saved(wb)
    bases = banner.bases.to_dict("records")
    col = 2
    for b in bases:
        span = str(b["span"])
        ws.cell(3, col, labels.column(span) if span else "")
        ws.cell(4, col, _column_label(span, b["column"], str(b["letter"]), labels)).font = bold
        ws.merge_cells(start_row=4, start_column=col, end_row=4, end_column=col + 1)
        ws.cell(4, col).alignment = Alignment(horizontal="center", wrap_text=True)
        ws.cell(5, col, _b(labels, "value"))
        ws.cell(5, col + 1, _b(labels, "letters"))
        col += 2
    line = 6
    base_rows = [("base_n", "n", 0)]
    if banner.weighted:
        base_rows += [("base_weighted", "weighted_n", 1), ("base_effective", "n_effective", 1)]
    for key, field, digits in base_rows:
        ws.cell(line, 1, _b(labels, key)).font = bold
        for i, b in enumerate(bases):
            cell = ws.cell(line, 2 + 2 * i, float(b[field]))
            cell.number_format = "0" if digits == 0 else "0.0"
        line += 1
    for row in banner.rows:
        digits = _decimals(banner, row)
        ws.cell(line, 1, _row_label(banner, row, labels))
        cells = banner.cells[banner.cells["row"] == row].to_dict("records")
        for i, c in enumerate(cells):
            if c["status"] in ("suppressed", "empty") or is_missing(c["value"]):
                ws.cell(line, 2 + 2 * i, labels.get("number.missing"))
                continue
            value = ws.cell(line, 2 + 2 * i, float(c["value"]))
            value.number_format = "0" if digits == 0 else "0." + "0" * digits
            flag = f"{LOW_BASE_FLAG} " if c["status"] == "caution" else ""
            ws.cell(line, 3 + 2 * i, (flag + str(c["higher_than"])).strip())
        line += 1
    line += 1
    for note in banner_notes(banner, labels):
        ws.cell(line, 1, note)
        line += 1
    ws.column_dimensions["A"].width = 34
    for i in range(len(bases)):
        ws.column_dimensions[get_column_letter(2 + 2 * i)].width = 11
        ws.column_dimensions[get_column_letter(3 + 2 * i)].width = 7
    ws.freeze_panes = "B6"

    pairs = wb.create_sheet(_b(labels, "sheet_pairs"))
    headers = [labels.get(f"banner.pairs_columns.{c}", c) for c in _PAIR_SHEET]
    pairs.append(headers)
    for p in banner.pairs.to_dict("records"):
        row_label = _row_label(banner, str(p["row"]), labels)
        span = str(p["span"])
        pairs.append(
            [
                row_label,
                labels.column(span),
                f"{labels.value(span, p['column_a'])} ({p['letter_a']})",
                f"{labels.value(span, p['column_b'])} ({p['letter_b']})",
                *[_excel_number(p[k]) for k in _PAIR_NUMBERS],
                labels.test(str(p["test"])),
            ]
        )
    for cell in pairs[1]:
        cell.font = bold

    notes = wb.create_sheet(_b(labels, "sheet_notes"))
    notes.append([title])
    notes.append([])
    for note in banner_notes(banner, labels):
        notes.append([note])
    notes.append([])
    for key, value in (provenance or {}).items():
        notes.append([labels.column(key), str(value)])
    notes.column_dimensions["A"].width = 40
    notes.column_dimensions["B"].width = 80

    return _saved(wb)


def _saved(wb: Any) -> bytes:
    """The workbook's bytes: every text a text, and fixed dates (properties, zip entries).

    openpyxl stores a string starting with "=" as a formula; names of segments come from
    client data, so every string cell is forced back to text (no formula injection).
    """
    as_text(wb)
    wb.properties.creator = "cxresearch"
    wb.properties.created = _EPOCH
    wb.properties.modified = _EPOCH
    buffer = io.BytesIO()
    wb.save(buffer)
    return _fixed_zip(buffer.getvalue())


_PAIR_SHEET = (
    "row",
    "span",
    "column_a",
    "column_b",
    "estimate_a",
    "estimate_b",
    "difference",
    "ci_low",
    "ci_high",
    "pvalue",
    "pvalue_adjusted",
    "significant",
    "strict",
    "confidence",
    "test",
)
# The numeric columns of the pair sheet: from the estimates to the interval level.
_PAIR_NUMBERS = _PAIR_SHEET[_PAIR_SHEET.index("estimate_a") : _PAIR_SHEET.index("test")]


def _excel_number(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if is_missing(value):
        return None
    number = float(value)
    return number if abs(number) != float("inf") else str(number)


def _fixed_zip(data: bytes) -> bytes:
    """The same zip with fixed dates (entries 1980-01-01, properties 2000-01-01).

    So the same banner gives the same file bytes, as the report's other outputs do.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                # openpyxl stamps the save time into the properties whatever they say.
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>2000-01-01T00:00:00Z\g<2>",
                    data,
                )
            dst.writestr(fixed, data)
    return out.getvalue()
