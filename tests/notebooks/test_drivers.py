"""notebooks/drivers.ipynb on the demo data: what the client's driver report shows.

As in test_benchmarking.py, the Finnish client (kotiposti) runs from the notebooks/ folder
with the notebook's own default parameters (a researcher in JupyterLab) and the English
client (northwind) from the project root with an absolute ``params_path`` injected
(``cxresearch report``). Both are rendered with the runner's ``render_html``.

The expected rows are selected here independently of ``cxresearch.present.drivers``:
NPS uses the current wave (2026Q3 has 602 / 462 complete responses, above the 80 needed
for 7 drivers + the noise baseline); retention uses current customers only, in the
current wave for kotiposti (87 not retained ≥ 80) and pooled over the three waves for
northwind (72 < 80).
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from cxresearch.data import load_responses
from cxresearch.data.demo import NPS_WEIGHTS, RETENTION_WEIGHTS
from cxresearch.params import load_params
from cxresearch.present import drivers as cxd
from cxresearch.present import get_labels
from cxresearch.present.escaping import rendered_text
from cxresearch.session import open_run
from cxresearch.stats.drivers import PRIORITIES, driver_importance

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "drivers.ipynb"
DATA = ROOT / "data" / "demo" / "responses.csv"
IMG = re.compile(r'<img [^>]*src="data:image/png;base64,')


def page_of(language: str, request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("finnish" if language == "fi" else "english"))


def text_of(page: str) -> str:
    """Visible text of the page body: tags dropped, entities decoded, spaces collapsed.

    str.split() counts a no-break space as whitespace, so the text has plain spaces where
    the page has U+00A0 (Finnish "95 %", thousands "1 000").
    """
    body = page[page.index("<body") :] if "<body" in page else page
    body = re.sub(r"<(style|script)\b.*?</\1>", " ", body, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def rows_of(part: str) -> list[list[str]]:
    """Every table row's cells (header rows included), whitespace collapsed."""
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", part, flags=re.S):
        cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, flags=re.S)
        rows.append([" ".join(html.unescape(c).split()) for c in cells])
    return rows


def section(page: str, h2: str, h3: str | None = None) -> str:
    """The HTML under an h2 heading (up to the next h2), or under one of its h3 headings."""
    match = re.search(rf"<h2[^>]*>{re.escape(h2)}", page)
    assert match is not None, f"no heading {h2!r}"
    end = re.search(r"<h2[^>]*>", page[match.end() :])
    part = page[match.start() : match.end() + (end.start() if end else len(page))]
    if h3 is None:
        return part
    sub = re.search(rf"<h3[^>]*>{re.escape(h3)}", part)
    assert sub is not None, f"no heading {h3!r} under {h2!r}"
    end = re.search(r"<h[23][^>]*>", part[sub.end() :])
    return part[sub.start() : sub.end() + (end.start() if end else len(part))]


def subheading(heading: str, outcome: str, labels: Any) -> str:
    if heading == "drivers.heading_ipa":
        return rendered_text(cxd.ipa_heading(outcome, labels))
    return cxd.outcome_label(outcome, labels)


def expected(client: str, outcome: str) -> pd.DataFrame:
    """driver_importance exactly as the report should call it, on rows chosen here."""
    params = load_params(ROOT / "params" / f"{client}.yaml")
    assert params.drivers is not None
    frame = load_responses(DATA)
    rows = frame[frame["client"] == client]
    if outcome == "retained":
        rows = rows[rows["customer_type"] == "current"]
        if client == "kotiposti":
            rows = rows[rows["wave"] == "2026Q3"]
    else:
        rows = rows[rows["wave"] == "2026Q3"]
    # The demo params rake each wave to the population margins: the report passes the
    # run's weights (open_run(...).weights_for(rows)), so the expectation does too.
    weights = open_run(ROOT / "params" / f"{client}.yaml").weights_for(rows)
    return driver_importance(
        rows,
        outcome=outcome,
        weights=weights,
        drivers=params.drivers.attributes,
        method="relative-weights" if outcome == "retained" else "shapley",
        bootstrap=params.drivers.bootstrap,
        seed=params.report.seed,
        noise_baseline=True,
        confidence=params.report.confidence,
    )


def importance_rows(page: str, language: str, outcome: str) -> list[list[str]]:
    labels = get_labels(language)
    part = section(
        page, labels.get("drivers.heading_importance"), cxd.outcome_label(outcome, labels)
    )
    return rows_of(part)[1:]  # drop the header


@pytest.mark.slow
@pytest.mark.parametrize(("client", "language"), [("kotiposti", "fi"), ("northwind", "en")])
@pytest.mark.parametrize("outcome", ["nps", "retained"])
def test_importance_table_matches_driver_importance_on_the_same_rows(
    client: str, language: str, outcome: str, request: pytest.FixtureRequest
) -> None:
    labels = get_labels(language)
    result = expected(client, outcome)
    rows = importance_rows(page_of(language, request), language, outcome)
    assert [r[1] for r in rows] == [cxd.driver_label(d, labels) for d in result["driver"]]
    for row, (_, want) in zip(rows, result.iterrows(), strict=True):
        share = f"{round(100 * want['share'])}"
        assert row[2].startswith(share), (row, want["share"])
        if not want["is_noise"]:
            yes = labels.get("drivers.answer_yes" if want["above_noise"] else "drivers.answer_no")
            assert row[3] == yes


@pytest.mark.slow
@pytest.mark.parametrize(("client", "language"), [("kotiposti", "fi"), ("northwind", "en")])
def test_true_top_drivers_come_first(
    client: str, language: str, request: pytest.FixtureRequest
) -> None:
    # data/demo: NPS_WEIGHTS put effectiveness first; RETENTION_WEIGHTS reliability > price.
    labels = get_labels(language)
    page = page_of(language, request)
    nps_top = max(NPS_WEIGHTS, key=NPS_WEIGHTS.__getitem__)
    nps = importance_rows(page, language, "nps")
    assert nps[0][:2] == ["1", cxd.driver_label(f"attr_{nps_top}", labels)]
    retention_top = sorted(RETENTION_WEIGHTS, key=RETENTION_WEIGHTS.__getitem__, reverse=True)
    retained = importance_rows(page, language, "retained")
    assert [r[1] for r in retained[:2]] == [
        cxd.driver_label(f"attr_{a}", labels) for a in retention_top[:2]
    ]


@pytest.mark.slow
def test_finnish_report_speaks_finnish(finnish: str) -> None:
    text = text_of(finnish)
    for phrase in ("Kotiposti Oy — asiakaskokemus 2026", "Asiakaskokemuksen avaintekijäanalyysi",
                   "Mikä ohjaa asiakaskokemusta", "Osa-alueiden merkitys",
                   "Suositteluhalukkuus (NPS-kysymys, 0–10)", "Asiakkuuden jatkuminen",
                   "Tehokkuus", "Helppous", "Luotettavuus", "logistinen regressio",
                   "Mukana ovat vain nykyiset asiakkaat", "Raportin lähtötiedot",
                   "Osuus selitetystä vaihtelusta (95 % lv)", "1 000 uudelleenotoksesta",
                   "NPS-kysymyksessä analyysi käyttää siis vastauksia 0–10"):  # fmt: skip
        assert phrase in text, phrase
    for english in ("Effectiveness", "Fix first", "Random baseline", "95% CI", "fix first"):
        assert english not in text, english
    assert re.search(r"R² = 0,\d\d", text)  # decimal comma


@pytest.mark.slow
def test_english_report_speaks_english_and_says_it_pooled_retention(english: str) -> None:
    text = text_of(english)
    for phrase in ("Northwind Software — Customer Experience 2026", "Key driver analysis",
                   "Likelihood to recommend (NPS question, 0–10)", "Customer retention",
                   "Effectiveness", "Reliability", "Share of explained variation (95% CI)",
                   "waves 2026Q1, 2026Q2, 2026Q3 are pooled", "R²_O", "Provenance"):  # fmt: skip
        assert phrase in text, phrase
    for finnish in ("Tehokkuus", "Korjaa ensin", "luottamusväli", "Suositteluhalukkuus"):
        assert finnish not in text, finnish


@pytest.mark.slow
@pytest.mark.parametrize("language", ["fi", "en"])
def test_charts_are_images(language: str, request: pytest.FixtureRequest) -> None:
    labels = get_labels(language)
    page = page_of(language, request)
    for heading in ("drivers.heading_importance", "drivers.heading_ipa"):
        for outcome in ("nps", "retained"):
            part = section(page, labels.get(heading), subheading(heading, outcome, labels))
            assert len(IMG.findall(part)) == 1, (heading, outcome)


@pytest.mark.slow
@pytest.mark.parametrize("language", ["fi", "en"])
def test_priority_lists_use_translated_priorities_and_explain_the_rule(
    language: str, request: pytest.FixtureRequest
) -> None:
    labels = get_labels(language)
    page = page_of(language, request)
    ipa = section(page, labels.get("drivers.heading_ipa"))
    names = {cxd.priority_label(p, labels) for p in PRIORITIES}
    statuses = {
        cxd.status_label({"status": st, "priority": p}, labels)
        for st in ("uncertain", "noise", "untested")
        for p in PRIORITIES
    }
    shown = set()
    for outcome in ("nps", "retained"):
        rows = rows_of(section(page, labels.get("drivers.heading_ipa"),
                               rendered_text(cxd.ipa_heading(outcome, labels))))[1:]  # fmt: skip
        assert len(rows) == 7
        shown |= {r[0] for r in rows}
    assert shown <= names | statuses
    assert shown & names  # some priorities are clear in the demo data
    note = " ".join(labels.get("drivers.priority_note").split()).split("{")[0]
    assert note in text_of(ipa)
    rule = " ".join(labels.get("drivers.ipa_rule").split())
    assert rule in text_of(ipa)


@pytest.mark.slow
@pytest.mark.parametrize("language", ["fi", "en"])
def test_no_code_and_no_traceback(language: str, request: pytest.FixtureRequest) -> None:
    page = page_of(language, request)
    text = text_of(page)
    for code in ("open_run(", "import ", "display(", "params_path", "def ", "cxd.", "{"):
        assert code not in text, code
    assert "jp-InputArea" not in page and "In [" not in text
    assert "Traceback" not in text and "Error" not in text
    # (report.css styles that output type, so look for an output element, not the string)
    assert not re.search(r'<div[^>]*data-mime-type="application/vnd\.jupyter\.stderr"', page)
