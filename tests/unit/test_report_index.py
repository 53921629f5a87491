"""reports/index.html: links, failure marks, headline NPS, escaping."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cxresearch.present.format import format_estimate
from cxresearch.present.labels import get_labels
from cxresearch.report import manifest as mf
from cxresearch.report.index import build_index, headline_nps, write_index
from cxresearch.report.runner import validate_client, validate_clients
from cxresearch.stats.metrics import nps

# Current wave 2026Q3, run "all": 5 promoters (9-10), 2 passives (7-8), 3 detractors (0-6)
# of 10 -> NPS = 100 * (5 - 3) / 10 = 20 (Reichheld 2003, "The One Number You Need to
# Grow", HBR 81(12): % promoters minus % detractors). The earlier wave is all 10s and the
# "north" rows alone give 0, so a headline that skipped either filter would not be 20.
CURRENT = [10, 9, 9, 8, 7, 6, 3, 10, 9, 0]
REGION = ["north", "south"] * 5


def _project(root: Path, title: str = "Acme <script>alert(1)</script> & Co") -> Path:
    (root / "data").mkdir(parents=True)
    (root / "notebooks").mkdir()
    (root / "notebooks" / "benchmarking.ipynb").write_text("{}", encoding="utf-8")
    lines = ["response_id,client,wave,nps,region"]
    for i, (score, region) in enumerate(zip(CURRENT, REGION, strict=True)):
        lines.append(f"c{i},acme,2026Q3,{score},{region}")
        lines.append(f"p{i},acme,2026Q2,10,{region}")
        lines.append(f"o{i},other,2026Q3,0,{region}")
    (root / "data" / "r.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "params").mkdir()
    path = root / "params" / "acme.yaml"
    path.write_text(
        f'client: acme\ntitle: "{title}"\nlanguage: fi\n'
        "data: {path: data/r.csv, filter: {client: acme}}\n"
        "waves: {current: 2026Q3, previous: [2026Q2]}\n"
        "runs: [{name: north, filter: {region: north}}, {name: all}]\n"
        "report: {min_base: 5}\n",
        encoding="utf-8",
    )
    return path


def _manifest(root: Path, client: str, entries: list[dict]) -> None:
    mf.write_manifest(
        mf.manifest_path(root / "reports", client),
        {
            "client": client,
            "title": "from manifest",
            "language": "fi",
            "params": {"path": f"params/{client}.yaml"},
            "reports": entries,
        },
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    _project(tmp_path)
    reports = tmp_path / "reports" / "acme"
    for run in ("all", "north"):
        (reports / run).mkdir(parents=True)
    for name in ("benchmarking.html", "benchmarking.ipynb", "benchmarking.pdf"):
        (reports / "all" / name).write_text("x", encoding="utf-8")
    # north: an earlier good HTML plus this run's failure
    (reports / "north" / "benchmarking.html").write_text("x", encoding="utf-8")
    (reports / "north" / "benchmarking.failed.ipynb").write_text("x", encoding="utf-8")
    _manifest(
        tmp_path,
        "acme",
        [
            {"run": "all", "analysis": "benchmarking", "status": "ok"},
            {
                "run": "north",
                "analysis": "benchmarking",
                "status": "failed",
                "error": {
                    "cell_index": 3,
                    "source_line": "x",
                    "ename": "KeyError",
                    "evalue": "'<b>missing</b>'",
                },
            },
        ],
    )
    return tmp_path


def test_headline_nps_uses_current_wave_and_run_all(tmp_path: Path) -> None:
    check = validate_client(_project(tmp_path), root=tmp_path)
    assert check.ok, check.error
    assert check.params is not None
    estimate = headline_nps(check.params, check.frame)
    assert estimate.value == pytest.approx(20.0, abs=1e-12)
    assert estimate.n == 10
    assert estimate.confidence == 0.95


def test_index_links_marks_and_headline(project: Path) -> None:
    checks = validate_clients([project / "params" / "acme.yaml"], root=project)
    page = build_index(project / "reports", checks=checks, root=project)
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert hrefs == [
        "acme/all/benchmarking.html",
        "acme/all/benchmarking.pdf",
        "acme/all/benchmarking.ipynb",
        "acme/north/benchmarking.html",
        "acme/north/benchmarking.failed.ipynb",
    ]
    assert page.count('class="cx-status-failed"') == 1
    # The client's reports are Finnish: its section is too, including the report names.
    assert '<section class="cx-client" id="client-acme" lang="fi">' in page
    assert "epäonnistui — solu 3: KeyError: &#x27;&lt;b&gt;missing&lt;/b&gt;&#x27;" in page
    assert "linkit näyttävät aiemman raportin" in page
    assert "<td>Vertailuraportti</td>" in page and ">muistikirja</a>" in page
    params = checks[0].params
    assert params is not None
    fi = get_labels("fi")
    expected = format_estimate(nps(CURRENT, confidence=0.95), fi, min_base=params.report.min_base)
    assert expected.startswith("20 ")
    # The headline with its change from the previous wave (all 10s: NPS 100 → 20).
    assert f"<li><b>NPS</b> {expected} · muutos −80 ▼ kierroksesta 2026Q2</li>" in page
    assert "Kierros 2026Q3, kaikki vastaajat:" in page


def test_index_escapes_user_text(project: Path, tmp_path: Path) -> None:
    broken = tmp_path / "params" / "broken.yaml"
    broken.write_text("client: <img src=x onerror=alert(1)>\n", encoding="utf-8")
    checks = validate_clients([project / "params" / "acme.yaml", broken], root=project)
    page = build_index(project / "reports", checks=checks, root=project)
    assert "<script>" not in page and "<img" not in page
    assert "<h2>Acme &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co</h2>" in page
    assert "Params files with errors" in page and "Params-tiedostot, joissa on virheitä" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert re.search(r"https?://", page) is None  # same self-contained CSS as the reports


def test_client_known_only_from_its_manifest_is_listed(project: Path) -> None:
    # A batch that rendered nothing for acme still lists it (validated again for the NPS).
    path = write_index(project / "reports", checks=[], root=project)
    page = path.read_text(encoding="utf-8")
    assert path == project / "reports" / "index.html"
    assert "acme/all/benchmarking.html" in page
    assert "<b>NPS</b> 20 " in page
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]


def test_empty_reports_folder(tmp_path: Path) -> None:
    page = build_index(tmp_path / "reports", checks=[], root=tmp_path)
    assert "No reports yet." in page and "Ei vielä raportteja." in page


def test_index_headline_is_the_reports_weighted_headline() -> None:
    # The demo clients are raked to population margins: the index must show the reports'
    # (raked) NPS, CSAT and CES and their changes, not the unweighted ones.
    from cxresearch.data import select_rows
    from cxresearch.report.index import headline_metrics
    from cxresearch.session import load_client_data, open_run

    path = Path(__file__).resolve().parents[2] / "params" / "northwind.yaml"
    session = open_run(path)
    assert session.params.weighting is not None
    params = session.params
    frame = select_rows(load_client_data(params), params.data.filter)
    found = {item["metric"]: item for item in headline_metrics(params, frame)}
    report = session.headline()
    changes = session.headline_changes().set_index("key")
    for metric, estimate in report.items():
        shown = found[metric]["estimate"]
        assert (shown.value, shown.ci_low, shown.ci_high, shown.n_effective) == pytest.approx(
            (estimate.value, estimate.ci_low, estimate.ci_high, estimate.n_effective), abs=1e-9
        )
        assert found[metric]["change"]["pvalue_adjusted"] == pytest.approx(
            changes.loc[metric, "pvalue_adjusted"], abs=1e-12
        )
    assert headline_nps(params, frame).value == pytest.approx(report["nps"].value, abs=1e-9)
