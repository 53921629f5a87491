"""The index and one report of each kind, opened in headless Chromium as a client would.

Kotiposti's demo reports (run ``all``: benchmarking, drivers, journey, comments) and the
index are rendered with ``cxresearch report`` into a project copy and opened in Chromium
over the DevTools protocol (tests/chromium.py). For each page: it renders (a title, its
headings, every chart image decoded, the findings first in a report), every
table-of-contents link leads to its heading, no request leaves the file (only the page
itself and its inline ``data:`` images), and the console and the browser log show no
error (a blocked load or a Content-Security-Policy violation would be one). A full-page
screenshot of each is saved under the test's temporary folder.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from cxresearch.present import get_labels
from cxresearch.report.runner import run_reports

ROOT = Path(__file__).resolve().parents[2]
REPORTS = ["benchmarking", "drivers", "journey", "qualitative"]
pytestmark = [pytest.mark.slow]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, chromium: Any) -> Path:
    """Kotiposti's reports of the run ``all`` (a lighter bootstrap), and the index."""
    project = tmp_path_factory.mktemp("browser")
    for folder in ("notebooks", "data"):
        shutil.copytree(ROOT / folder, project / folder)
    params = yaml.safe_load((ROOT / "params" / "kotiposti.yaml").read_text(encoding="utf-8"))
    params["runs"] = [{"name": "all"}]
    params["drivers"]["bootstrap"] = 100
    params["report"]["formats"] = ["html"]
    (project / "params").mkdir()
    (project / "params" / "kotiposti.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
    if (ROOT / "params" / "codebooks").is_dir():
        shutil.copytree(ROOT / "params" / "codebooks", project / "params" / "codebooks")
    result = run_reports(root=project, jobs=2)
    outcomes = {o.job.label: (o.status, o.failure) for o in result.outcomes}
    assert result.exit_code == 0, outcomes
    assert {o.job.analysis for o in result.outcomes} == set(REPORTS)
    return project / "reports"


PAGES = ["index.html", *(f"kotiposti/all/{name}.html" for name in REPORTS)]

# What a rendered page looks like, read in the browser.
PAGE_STATE = """(() => {
  const images = [...document.images];
  return {
    title: document.title,
    h2: [...document.querySelectorAll('h2')].map(h => h.textContent.replace('¶', '').trim()),
    images: images.length,
    broken: images.filter(i => !(i.complete && i.naturalWidth > 0)).length,
    noAlt: images.filter(i => !i.alt).length,
    toc: [...document.querySelectorAll('nav.cx-toc a')].map(a => a.getAttribute('href')),
    height: document.documentElement.scrollHeight,
  };
})()"""

# Follow one table-of-contents link; where does its heading end up?
FOLLOW = """(async (href) => {
  window.scrollTo(0, 0);
  const link = document.querySelector(`nav.cx-toc a[href="${href}"]`);
  link.click();
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const id = decodeURIComponent(href.slice(1));
  const target = document.getElementById(id);
  return {found: !!target, top: target ? target.getBoundingClientRect().top : null,
          hash: decodeURIComponent(location.hash.slice(1)) === id, scrolled: window.scrollY};
})"""


@pytest.fixture(scope="module")
def browser(chromium: Any) -> Any:
    with chromium.Browser() as opened:
        yield opened


@pytest.mark.parametrize("name", PAGES)
def test_page_renders_offline_without_errors(
    rendered: Path, browser: Any, name: str, tmp_path: Path
) -> None:
    page = rendered / name
    browser.open(page)
    state = browser.evaluate(PAGE_STATE)
    shot = browser.screenshot(tmp_path / (name.replace("/", "-").replace(".html", ".png")))
    assert shot.stat().st_size > 10_000  # a page was drawn, not a blank
    # No request leaves the file: the page itself and its inline images only.
    outside = [u for u in browser.requests if not (u.startswith("data:") or u == page.as_uri())]
    assert not outside, outside
    assert not browser.errors, browser.errors
    assert state["broken"] == 0 and state["noAlt"] == 0
    labels = get_labels("fi")
    if name == "index.html":
        assert state["title"] == "Raportit · Reports"
        links = browser.evaluate("[...document.links].map(a => a.getAttribute('href'))")
        assert {f"kotiposti/all/{r}.html" for r in REPORTS} <= set(links)
        assert "Vertailuraportti" in browser.evaluate("document.body.innerText")
        return
    # A report opens with its findings and recommendations, and shows its charts.
    assert state["h2"][:2] == [
        labels.get("story.heading_findings"),
        labels.get("story.heading_recommendations"),
    ]
    assert state["images"] >= 1
    assert state["height"] > 3000


@pytest.mark.parametrize("name", PAGES[1:])
def test_table_of_contents_links_lead_to_their_headings(
    rendered: Path, browser: Any, name: str
) -> None:
    browser.open(rendered / name)
    state = browser.evaluate(PAGE_STATE)
    assert len(state["toc"]) == len(state["h2"]) >= 5
    for href in state["toc"]:
        where = browser.evaluate(f"{FOLLOW}({href!r})")
        assert where["found"] and where["hash"], (name, href)
        # The heading is brought to the top of the window (or as far as the page scrolls).
        assert abs(where["top"]) < 2 or where["scrolled"] > 0, (name, href, where)
    assert not browser.errors, browser.errors
