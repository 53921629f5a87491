"""notebooks/benchmarking.ipynb on the demo data: what the client's report shows.

The Finnish client (kotiposti) is executed as a researcher would in JupyterLab: from the
notebooks/ folder with the notebook's own default parameters. The English client
(northwind) is executed as ``cxresearch report`` does: from the project root with an
absolute ``params_path`` injected. Both are rendered with the runner's ``render_html``.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest

import cxresearch
from cxresearch.data import load_responses
from cxresearch.present import (
    LOW_BASE_FLAG,
    format_base,
    format_ci_label,
    format_interval,
    format_number,
    get_labels,
)
from cxresearch.session import open_run

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "benchmarking.ipynb"
DATA = ROOT / "data" / "demo" / "responses.csv"


def text_of(page: str) -> str:
    """Visible text of the page body: tags dropped, entities decoded, spaces collapsed."""
    body = page[page.index("<body") :] if "<body" in page else page
    body = re.sub(r"<(style|script)\b.*?</\1>", " ", body, flags=re.S)
    return squash(html.unescape(re.sub(r"<[^>]+>", " ", body)))


def squash(text: str) -> str:
    # Only ASCII whitespace: the non-breaking spaces of Finnish numbers are part of the text.
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


def rows_of(page: str) -> list[str]:
    """Every table row's cells as one " | "-joined string."""
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", page, flags=re.S):
        cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, flags=re.S)
        rows.append(" | ".join(squash(html.unescape(c)) for c in cells))
    return rows


def section(page: str, heading: str) -> str:
    """The HTML from the h2/h3 with this text up to the next heading of any level ≤ 3."""
    match = re.search(rf"<h[23][^>]*>{re.escape(heading)}", page)
    assert match is not None, f"no heading {heading!r}"
    end = re.search(r"<h[123][^>]*>", page[match.end() :])
    return page[match.start() : match.end() + (end.start() if end else len(page))]


def current_rows(client: str) -> Any:
    frame = load_responses(DATA)
    return frame[(frame["client"] == client) & (frame["wave"] == "2026Q3")]


def _no_code_no_errors(page: str) -> None:
    text = text_of(page)
    for code in ("open_run(", "import ", "display(", "params_path", "def ", "s.labels"):
        assert code not in text, code
    assert "jp-InputArea" not in page and "In [" not in text
    assert "Traceback" not in text and "Error" not in text
    assert 'data-mime-type="application/vnd.jupyter.stderr">' not in page  # (the CSS names it)


@pytest.mark.slow
@pytest.mark.parametrize(("client", "language"), [("kotiposti", "fi"), ("northwind", "en")])
def test_headline_nps_equals_the_metric_on_the_same_rows(
    client: str, language: str, request: pytest.FixtureRequest
) -> None:
    page = request.getfixturevalue("finnish" if language == "fi" else "english")
    session = open_run(ROOT / "params" / f"{client}.yaml")
    estimate = session.estimate("nps")  # raked to the population margins (params weighting)
    assert estimate.design == "raked" and estimate.n == len(current_rows(client))
    rows = current_rows(client)
    same = cxresearch.nps(rows["nps"], weights=session.weights_for(rows))
    assert (same.value, same.ci_low, same.n_effective) == (
        estimate.value,
        estimate.ci_low,
        estimate.n_effective,
    )
    labels = get_labels(language)
    # The first finding states the headline NPS with its interval and base (a change
    # finding may put the wave between the value and its interval: "34 in 2026Q3 (...)").
    value = format_number(estimate.value, labels)
    stated = (
        f"({format_ci_label(0.95, labels)} "
        f"{format_interval(estimate.ci_low, estimate.ci_high, labels)}; "
        f"{format_base(estimate.n, labels, n_effective=estimate.n_effective, weighted=True)})"
    )
    findings = text_of(section(page, labels.get("story.heading_findings")))
    assert re.search(rf"\b{re.escape(value)}( [^()]{{0,20}})? {re.escape(stated)}", findings), (
        stated
    )
    table = rows_of(section(page, labels.text("heading_headline")))
    headline = [r for r in table if r.startswith(labels.metric("nps") + " |")]
    assert len(headline) == 1
    cells = headline[0].replace("\u00a0", "").replace(",", "").split(" | ")
    # n, then weighted n with the effective n beside it
    assert cells[2:4] == [
        str(estimate.n),
        f"{round(estimate.weighted_n)} ({round(estimate.n_effective)})",
    ]


@pytest.mark.slow
@pytest.mark.parametrize("language", ["fi", "en"])
def test_report_opens_with_findings_then_recommendations(
    language: str, request: pytest.FixtureRequest
) -> None:
    page = request.getfixturevalue("finnish" if language == "fi" else "english")
    labels = get_labels(language)
    body = page[page.index("</nav>") :]  # after the table of contents
    headings = [
        squash(html.unescape(re.sub(r"<[^>]+>", "", h))).rstrip("¶")
        for h in re.findall(r"<h2[^>]*>(.*?)</h2>", body, flags=re.S)
    ]
    assert headings[:2] == [
        labels.get("story.heading_findings"),
        labels.get("story.heading_recommendations"),
    ]
    findings = section(page, labels.get("story.heading_findings"))
    assert 3 <= findings.count("<li>") <= 6
    assert "<strong>" in findings  # each finding opens with its title in bold


@pytest.mark.slow
def test_finnish_report_speaks_finnish(finnish: str) -> None:
    text = text_of(finnish)
    for phrase in ("Kotiposti Oy — asiakaskokemus 2026", "Tärkeimmät mittarit",
                   "Kehitys mittauskierroksittain", "Tulokset ryhmittäin", "Asiakastyyppi",
                   "Kosketuspiste", "Asiakaspolun vaihe", "Tavoitteet", "Näin luet tuloksia",
                   "95\u00a0%:n luottamusväli", "Raportin lähtötiedot"):  # fmt: skip
        assert phrase in text, phrase
    for english in ("Net Promoter Score", "Headline metrics", "current customer", "95% CI"):
        assert english not in text, english
    assert re.search(r"\d,\d{3}", text)  # p-values with a decimal comma


@pytest.mark.slow
def test_english_report_speaks_english(english: str) -> None:
    text = text_of(english)
    for phrase in ("Northwind Software — Customer Experience 2026", "Headline metrics",
                   "Trend over waves", "Customer type", "Touchpoint", "95% CI",
                   "How to read this report"):  # fmt: skip
        assert phrase in text, phrase
    for finnish in ("Suositteluindeksi", "asiakas", "luottamusväli", "Tavoitteet"):
        assert finnish not in text, finnish


@pytest.mark.slow
@pytest.mark.parametrize("language", ["fi", "en"])
def test_trend_and_breakdown_charts_are_images(
    language: str, request: pytest.FixtureRequest
) -> None:
    page = request.getfixturevalue("finnish" if language == "fi" else "english")
    labels = get_labels(language)
    trend = section(page, labels.text("heading_trend"))
    # The headline trend and NPS by touchpoint as small multiples.
    assert trend.count('src="data:image/png;base64,') == 2
    by_type = section(page, labels.column("customer_type"))
    assert by_type.count('src="data:image/png;base64,') == 1


@pytest.mark.slow
@pytest.mark.parametrize(("client", "language"), [("kotiposti", "fi"), ("northwind", "en")])
def test_breakdown_tables_list_each_customer_type(
    client: str, language: str, request: pytest.FixtureRequest
) -> None:
    page = request.getfixturevalue("finnish" if language == "fi" else "english")
    labels = get_labels(language)
    rows = rows_of(section(page, labels.column("customer_type")))
    counts = current_rows(client)["customer_type"].value_counts()
    for kind in ("current", "former", "never"):
        (row,) = [r for r in rows if r.startswith(labels.value("customer_type", kind) + " |")]
        assert f"| {counts[kind]} (" in row.replace("\u00a0", "").replace(",", "")


@pytest.mark.slow
@pytest.mark.parametrize(("client", "language"), [("kotiposti", "fi"), ("northwind", "en")])
def test_breakdown_changes_name_their_test_and_show_the_effect_size(
    client: str, language: str, request: pytest.FixtureRequest
) -> None:
    page = request.getfixturevalue("finnish" if language == "fi" else "english")
    labels = get_labels(language)
    changes = open_run(ROOT / "params" / f"{client}.yaml").breakdown_changes("nps", "customer_type")
    assert changes is not None
    part = section(page, labels.column("customer_type"))
    header, *rows = rows_of(part)
    assert header.endswith(" | " + labels.column("change_p_of").format(metric="NPS"))
    assert len(header.split(" | ")) <= 6  # at most six columns
    for _, change in changes.iterrows():
        label = labels.value("customer_type", change["customer_type"])
        (row,) = [r for r in rows if r.startswith(label + " |")]
        effect = format_number(change["effect_size"], labels, decimals=2, signed=True)
        assert f"{label} {effect}" in squash(html.unescape(re.sub(r"<[^>]+>", " ", part)))
        diff = format_number(change["difference"], labels, signed=True)
        assert row.split(" | ")[-1].startswith(diff), (row, diff)
    # The footnote (the table's caption) names the test and spells out "d".
    # The method (the test, "d" spelt out, the adjustment) is said once, in the section.
    note = text_of(section(page, labels.text("heading_breakdowns")))
    (test,) = set(changes["test"])
    (effect_name,) = set(changes["effect_size_name"])
    assert f"{labels.test(test)}." in note
    assert f"d = {labels.lookup('effect_sizes_long', effect_name)}" in note
    # ... and the multiplicity adjustment (Benjamini–Hochberg by default).
    assert labels.lookup("multiplicity", "bh") in note


@pytest.mark.slow
@pytest.mark.parametrize(("client", "language"), [("kotiposti", "fi"), ("northwind", "en")])
def test_low_bases_are_flagged(client: str, language: str, request: pytest.FixtureRequest) -> None:
    page = request.getfixturevalue("finnish" if language == "fi" else "english")
    labels = get_labels(language)
    session = open_run(ROOT / "params" / f"{client}.yaml")
    flagged = 0
    for column in ("customer_type", "journey_stage", "touchpoint", "channel", "region", "size"):
        groups = session.breakdown("nps", column)  # weighted: flags read the effective base
        small = groups[(groups["n_effective"] >= 15) & (groups["n_effective"] < 30)]
        table = rows_of(section(page, labels.column(column)))
        for value in small[column]:
            (row,) = [r for r in table if r.startswith(labels.value(column, value) + " |")]
            assert LOW_BASE_FLAG in row.split(" | ")[2], (column, value, row)  # the NPS cell
            flagged += 1
    assert flagged >= 1  # the demo data has small groups; the check must not pass vacuously
    assert labels.text("low_base_note", flag=LOW_BASE_FLAG, min_base="30") in text_of(page)


@pytest.mark.slow
@pytest.mark.parametrize(("client", "language"), [("kotiposti", "fi"), ("northwind", "en")])
def test_target_rows(client: str, language: str, request: pytest.FixtureRequest) -> None:
    page = request.getfixturevalue("finnish" if language == "fi" else "english")
    labels = get_labels(language)
    session = open_run(ROOT / "params" / f"{client}.yaml")
    expected = session.target_results()
    rows = rows_of(section(page, labels.text("heading_targets")))[1:]  # drop the header
    assert len(rows) == len(session.params.targets) == len(expected)
    for row, (_, target) in zip(rows, expected.iterrows(), strict=True):
        assert row.startswith(f"{target['label']} |")
        status = row.split(" | ")[-1]
        assert status.startswith(labels.status(target["status"])), (row, target["status"])


@pytest.mark.slow
@pytest.mark.parametrize("language", ["fi", "en"])
def test_no_code_and_no_traceback(language: str, request: pytest.FixtureRequest) -> None:
    _no_code_no_errors(request.getfixturevalue("finnish" if language == "fi" else "english"))


@pytest.mark.slow
@pytest.mark.parametrize(("client", "language"), [("kotiposti", "fi"), ("northwind", "en")])
def test_banner_shows_three_bases_and_the_letters_of_the_banner(
    client: str, language: str, request: pytest.FixtureRequest
) -> None:
    page = request.getfixturevalue("finnish" if language == "fi" else "english")
    labels = get_labels(language)
    banner = open_run(ROOT / "params" / f"{client}.yaml").banner()
    assert banner is not None and banner.weighted and banner.design == "raked"
    intro = section(page, labels.text("heading_banner"))
    after = page[page.index(intro) :]  # each span's table is under its own h3
    shown = 0
    for span in banner.spans:
        part = section(after, labels.column(span))
        rows = rows_of(part)
        assert [r.split(" | ")[0] for r in rows[1:4]] == [
            labels.get("banner.base_n"),
            labels.get("banner.base_weighted"),
            labels.get("banner.base_effective"),
        ]
        cells = banner.cells[banner.cells["span"].isin(["", span])]
        for row_key, row in zip(banner.rows, rows[4:], strict=True):
            expected = cells[cells["row"] == row_key]["higher_than"].tolist()
            got = [
                "".join(p for p in cell.split(" ")[1:] if p != LOW_BASE_FLAG)
                for cell in row.split(" | ")[1:]
            ]
            assert got == expected, (span, row_key, row)
            shown += sum(bool(e) for e in expected)
        assert labels.lookup("multiplicity", "bh") in squash(html.unescape(part))
    assert shown > 0  # the demo has significant differences between segments


@pytest.mark.slow
def test_banner_workbook_has_the_letters_of_the_report(english_exports: Path) -> None:
    import io

    from openpyxl import load_workbook

    data = (english_exports / "banner.xlsx").read_bytes()
    sheet = load_workbook(io.BytesIO(data))["Banner"]
    banner = open_run(ROOT / "params" / "northwind.yaml").banner()
    assert banner is not None
    letters = [sheet.cell(r, c).value or "" for r in range(1, sheet.max_row + 1)
               for c in range(3, sheet.max_column + 1, 2) if sheet.cell(r, 1).value]  # fmt: skip
    found = "".join(str(v).replace(LOW_BASE_FLAG, "").strip() for v in letters)
    expected = "".join(banner.cells["higher_than"])  # row by row, columns in the same order
    assert found.endswith(expected) and expected
