"""notebooks/journey.ipynb on the demo data: the journey report shows the demo's truths.

kotiposti (Finnish) runs from notebooks/ with the notebook's defaults, northwind (English)
and saimaa-energia (Finnish) from the project root with ``params_path`` injected, as
``cxresearch report`` runs them. What the report must show comes from data/demo/README.md:
each client's weak touchpoint (kotiposti delivery, northwind onboarding, saimaa-energia
billing, latent shifts −0.25/−0.35/−0.30), former and never customers below current ones
(latent shifts −0.60 and −0.40; on the 0–10 answer the exact design differences of
``expected_nps(by=["client", "customer_type"])["answer"]``), and retention driven first by
reliability and then price. The
follow-up list is exported for each client, and none of its contact details, comments
or the owners' action notes may appear in the rendered report.
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from cxresearch.data.demo import RETENTION_WEIGHTS, expected_nps
from cxresearch.journey.loop import export_list
from cxresearch.present import drivers as cxd
from cxresearch.present import get_labels
from cxresearch.report.render import render_html

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "journey.ipynb"
DEMO = ROOT / "data" / "demo"
IMG = re.compile(r'<img [^>]*src="data:image/png;base64,')
CLIENTS = {"kotiposti": "fi", "northwind": "en", "saimaa-energia": "fi"}
WEAK = {"kotiposti": "delivery", "northwind": "onboarding", "saimaa-energia": "billing"}
STRONG = {"kotiposti": "pickup-point", "saimaa-energia": "installation"}


@pytest.fixture(scope="module")
def saimaa(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The third demo client, run as ``cxresearch report`` runs it (conftest has two)."""
    import papermill as pm

    parameters = {"params_path": str(ROOT / "params" / "saimaa-energia.yaml"), "run": "all"}
    out = tmp_path_factory.mktemp("se") / "executed.ipynb"
    nb = pm.execute_notebook(str(NOTEBOOK), str(out), parameters=parameters,
                             kernel_name="python3", progress_bar=False, cwd=str(ROOT))  # fmt: skip
    return render_html(nb, title="Saimaa Energia", language="fi")


def page_of(client: str, request: pytest.FixtureRequest) -> str:
    name = {"kotiposti": "finnish", "northwind": "english", "saimaa-energia": "saimaa"}[client]
    return str(request.getfixturevalue(name))


def text_of(page: str) -> str:
    body = page[page.index("<body") :] if "<body" in page else page
    body = re.sub(r"<(style|script)\b.*?</\1>", " ", body, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def section(page: str, heading: str, level: int = 2) -> str:
    match = re.search(rf"<h{level}[^>]*>{re.escape(heading)}", page)
    assert match is not None, f"no heading {heading!r}"
    end = re.search(rf"<h[1-{level}][^>]*>", page[match.end() :])
    return page[match.start() : match.end() + (end.start() if end else len(page))]


def rows_of(part: str) -> list[list[str]]:
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", part, flags=re.S):
        cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, flags=re.S)
        rows.append([" ".join(html.unescape(c).split()) for c in cells])
    return rows


def number(text: str) -> float:
    return float(text.replace("\u2212", "-").replace(",", ".").replace("\u00a0", ""))


def interval(cell: str) -> tuple[float, float, float]:
    """'−1,2 (−1,4 – −1,0) *' → (−1.2, −1.4, −1.0)."""
    match = re.match(r"^(\S+) \((\S+) ?[–] ?(\S+)\)", cell)
    assert match is not None, cell
    return number(match[1]), number(match[2]), number(match[3])


@pytest.mark.slow
@pytest.mark.parametrize("client", CLIENTS)
def test_weak_touchpoint_is_named_and_lowest(client: str, request: pytest.FixtureRequest) -> None:
    labels = get_labels(CLIENTS[client])
    page = page_of(client, request)
    part = section(page, labels.get("journey.headings.touchpoints"), 3)
    weak = labels.value("touchpoint", WEAK[client])
    # "Weakest: <touchpoint>: significantly below the other touchpoints on NPS."
    lead = {"fi": "Heikoin:", "en": "Weakest:"}[CLIENTS[client]]
    assert f"{lead} {weak}: " in text_of(part)
    if client in STRONG:
        lead = {"fi": "Vahvin:", "en": "Strongest:"}[CLIENTS[client]]
        assert f"{lead} {labels.value('touchpoint', STRONG[client])}: " in text_of(part)
    nps = {}
    current = ""
    for row in rows_of(part)[1:]:
        current = row[0] or current
        if row[1] == "NPS":
            nps[current] = interval(row[2])[0]
            if current == weak:
                assert row[4].endswith("*") and row[4].startswith("\u2212"), row
    assert min(nps, key=nps.__getitem__) == weak


@pytest.mark.slow
@pytest.mark.parametrize("client", CLIENTS)
def test_former_and_never_customers_are_below_current(
    client: str, request: pytest.FixtureRequest
) -> None:
    labels = get_labels(CLIENTS[client])
    part = section(page_of(client, request), labels.get("journey.headings.types"))
    tables = re.findall(r"<table.*?</table>", part, flags=re.S)
    rows = rows_of(tables[1])[1:]  # measure, group, group's result, current, difference, ...
    nps = labels.metric("nps")
    mean = labels.get("journey.metric_names.nps_mean")
    design = expected_nps(by=["client", "customer_type"]).set_index(["client", "customer_type"])
    truth = {
        kind: design.loc[(client, kind), "answer"] - design.loc[(client, "current"), "answer"]
        for kind in ("former", "never")
    }
    for kind in ("former", "never"):
        group = labels.value("customer_type", kind)
        (nps_row,) = [r for r in rows if r[0] == nps and r[1] == group]
        assert nps_row[4].endswith("*") and interval(nps_row[4])[2] < 0, nps_row
        (mean_row,) = [r for r in rows if r[0] == mean and r[1] == group]
        _, low, high = interval(mean_row[4])
        # the printed interval (one decimal) covers the design difference
        assert low - 0.05 <= truth[kind] <= high + 0.05, (kind, mean_row)
    former, never = (interval(r[4])[0] for r in rows if r[0] == nps)
    assert former < never < 0  # the former shift (−0.60) is larger than the never one


@pytest.mark.slow
@pytest.mark.parametrize("client", CLIENTS)
def test_retention_is_driven_first_by_reliability_then_price(
    client: str, request: pytest.FixtureRequest
) -> None:
    labels = get_labels(CLIENTS[client])
    part = section(page_of(client, request), labels.get("journey.headings.model"), 3)
    rows = rows_of(part)[1:]
    top = sorted(RETENTION_WEIGHTS, key=RETENTION_WEIGHTS.__getitem__, reverse=True)[:2]
    assert [r[0] for r in rows[:2]] == [cxd.driver_label(f"attr_{a}", labels) for a in top]
    assert all(r[1].endswith("*") for r in rows[:2])
    assert len(IMG.findall(part)) == 1  # the odds-ratio chart


@pytest.mark.slow
@pytest.mark.parametrize("client", CLIENTS)
def test_no_contact_detail_comment_or_note_of_the_loop_reaches_the_report(
    client: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    # Export the follow-up list as `cxresearch loop export` does, in a copy of the project.
    (tmp_path / "params").mkdir()
    (tmp_path / "data" / "demo").mkdir(parents=True)
    for name in ("responses.csv", f"contacts/{client}.csv", f"operational/{client}.csv",
                 f"invitations/{client}.csv", f"followup/{client}/status.csv"):  # fmt: skip
        (tmp_path / "data" / "demo" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(DEMO / name, tmp_path / "data" / "demo" / name)
    shutil.copy(ROOT / "params" / f"{client}.yaml", tmp_path / "params")
    listed = pd.read_csv(export_list(tmp_path / "params" / f"{client}.yaml")[0], dtype=str,
                         keep_default_na=False)  # fmt: skip
    assert len(listed) > 20
    responses = pd.read_csv(DEMO / "responses.csv", dtype=str, keep_default_na=False)
    comments = responses.set_index("response_id").loc[listed["response_id"], "comment"]
    actions = pd.read_csv(DEMO / "followup" / client / "status.csv", dtype=str,
                          keep_default_na=False)["action"]  # fmt: skip
    secrets = {
        *listed["name"], *listed["email"], *listed["phone"], *listed["comment"],
        *comments, *actions,
    }  # fmt: skip
    secrets = {s for s in secrets if len(s) >= 8}
    assert len(secrets) > 3 * len(listed)
    page = page_of(client, request)
    seen = html.unescape(page) + text_of(page)
    leaked = sorted(s for s in secrets if s in seen)
    assert not leaked, leaked[:5]


@pytest.mark.slow
@pytest.mark.parametrize("client", CLIENTS)
def test_every_part_is_there(client: str, request: pytest.FixtureRequest) -> None:
    labels = get_labels(CLIENTS[client])
    page = page_of(client, request)
    text = text_of(page)
    for key in ("scorecard", "journey", "types", "outcomes", "loop", "fatigue"):
        assert labels.get(f"journey.headings.{key}") in text, key
    for level in ("outcome", "experience", "operational"):
        assert labels.get(f"journey.levels.{level}") in text_of(
            section(page, labels.get("journey.headings.scorecard"))
        )
    # one heat-map per experience metric (6 in the demo params)
    assert len(IMG.findall(section(page, labels.get("journey.headings.journey")))) == 6
    # the operational file's 7 unmatched pilot rows are counted, not dropped
    assert re.search(r"\b7 (ei vastaa|have no response)", text)
    stake = text_of(section(page, labels.get("journey.headings.stake"), 3))
    assert "EUR" in stake and ("95 % lv" in stake or "95% CI" in stake)
    assert labels.get("journey.stake_assumptions").split("**")[1] in stake  # "Assumptions."
    # comment themes by customer type: the share matrix (8 themes × 3 types) and the tests
    themes = section(page, labels.get("journey.headings.themes"), 3)
    tables = re.findall(r"<table.*?</table>", themes, flags=re.S)
    matrix, tests = rows_of(tables[0]), rows_of(tables[1])
    assert len(matrix) == 1 + 8 and len(matrix[0]) == 4
    assert len(tests) == 1 + 16 and {r[1] for r in tests[1:]} == {
        labels.value("customer_type", "former"),
        labels.value("customer_type", "never"),
    }
    # the files read besides the data are in the provenance table with their digests
    for key in ("journey.operational.path", "journey.fatigue.invitations.path",
                "journey.loop.folder"):  # fmt: skip
        assert re.search(rf"{re.escape(key)}: [\w.-]+\.csv \(SHA-256\) [0-9a-f]{{64}}", text)


@pytest.mark.slow
@pytest.mark.parametrize("client", CLIENTS)
def test_no_code_and_no_traceback(client: str, request: pytest.FixtureRequest) -> None:
    page = page_of(client, request)
    text = text_of(page)
    for code in ("open_journey(", "import ", "display(", "params_path", "def ", "pj.", "{"):
        assert code not in text, code
    assert "Traceback" not in text and "Error" not in text
    assert not re.search(r'<div[^>]*data-mime-type="application/vnd\.jupyter\.stderr"', page)
    other = {"fi": ("Scorecard", "Customer type", "95% CI"), "en": ("Mittaristo", "luottamusväli")}
    for word in other[CLIENTS[client]]:
        assert word not in text, word
