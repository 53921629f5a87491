"""Hostile params and data render as text, never as markup: checked in headless Chromium.

A payload is planted in every params field the reports show (title, waves, run title,
target label, touchpoint and segment values, norm name, driver names, the journey's metric
unit, currency and loop owners) and in every data
column they show (wave, touchpoint, channel, region, size, an attribute's name, a
segment column's name, the data file's name). The benchmarking, drivers and journey
reports and the index are rendered with
``cxresearch report`` and opened in Chromium. Each payload's handler would mark the page
(``data-pwned``); the test reads the DOM after load and checks that no handler ran and no
element or attribute from the input exists: no ``<script>``, no ``on*`` attribute, no
``javascript:`` link, no image that is not inline data. It does so twice: as written (with
the page's Content-Security-Policy) and with the policy removed, so that the escaping is
tested on its own and not only the policy behind it (docs/security.md, F1).

Before the fix, ``2026Q3<img src=x onerror=…>`` in ``waves.current`` ran in all reports.
"""

from __future__ import annotations

import csv
import html.parser
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from cxresearch.report.runner import run_reports

ROOT = Path(__file__).resolve().parents[2]
# Chromium comes from the shared helper (tests/chromium.py) through the ``chromium``
# fixture, which skips, saying why, when it is not installed.
pytestmark = [pytest.mark.slow]


def payload(field: str) -> str:
    """Markup that, if it reached the DOM as markup, would run and mark the page."""
    mark = f"document.documentElement.setAttribute('data-pwned','{field}')"
    return (
        f'{field}<img src=x onerror="{mark}"><svg onload="{mark}"></svg>'
        f"<script>{mark}</script>[x](javascript:{mark}) **$x$**"
    )


WAVE3, WAVE2, WAVE1 = payload("wave3"), payload("wave2"), payload("wave1")
VALUES = {
    "touchpoint": {"support": payload("touchpoint")},
    "channel": {"chat": payload("channel")},
    "region": {"uusimaa": payload("region")},
    "size": {"enterprise": payload("size")},
}
SEGMENT_COLUMN = "seg<img src=x onerror=alert(1)>"
ATTRIBUTE = "attr_x<img src=x onerror=alert(1)>"
DATA_FILE = "data/<img src=x onerror=alert(1)>.csv"


def write_data(project: Path) -> None:
    with (ROOT / "data" / "demo" / "responses.csv").open(encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["client"] == "kotiposti"]
    waves = {"2026Q3": WAVE3, "2026Q2": WAVE2, "2026Q1": WAVE1}
    for row in rows:
        row["wave"] = waves[row["wave"]]
        for column, mapping in VALUES.items():
            row[column] = mapping.get(row[column], row[column])
        row[SEGMENT_COLUMN] = payload("segment") if row["region"] == "pirkanmaa" else "muu"
        row[ATTRIBUTE] = row.pop("attr_price")
        row["comment"] = payload("comment")
    path = project / DATA_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def q(text: str) -> str:
    """A YAML double-quoted scalar."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def journey_section() -> str:
    """The demo client's journey section with payloads in its free-text fields."""
    text = (ROOT / "params" / "kotiposti.yaml").read_text(encoding="utf-8")
    start = text.index("journey:")
    # Up to the next top-level key (coding: or report:): the journey section only.
    end = min(text.index(k, start) for k in ("\ncoding:", "\nreport:") if k in text[start:])
    section = text[start:end]
    section = section.replace("attr_price]", q(ATTRIBUTE) + "]")
    section = section.replace("unit: EUR", "unit: " + q(payload("unit")))
    section = section.replace("currency: EUR", "currency: " + q(payload("currency")))
    section = section.replace("default_owner: CX-tiimi", "default_owner: " + q(payload("owner")))
    return section.replace("Asiakaspalvelu", q(payload("team")))


def write_params(project: Path) -> None:
    attributes = ["attr_effectiveness", "attr_ease", "attr_emotion", "attr_speed", ATTRIBUTE]
    JOURNEY = journey_section()
    text = f"""client: kotiposti
title: {q(payload("title"))}
language: en
data:
  path: {q(DATA_FILE)}
  filter: {{client: kotiposti}}
waves: {{current: {q(WAVE3)}, previous: [{q(WAVE2)}, {q(WAVE1)}]}}
segments: [region, size, {q(SEGMENT_COLUMN)}]
runs: [{{name: all, title: {q(payload("runtitle"))}}}]
targets:
  - {{metric: nps, touchpoint: {q(payload("touchpoint"))}, value: 30, label: {q(payload("label"))}}}
  - {{metric: csat, segment: {{region: {q(payload("region"))}}}, value: 50}}
benchmarks:
  - {{name: {q(payload("norm"))}, metric: nps, value: 20, n: 1500}}
drivers:
  outcomes: [nps, retained]
  attributes: [{", ".join(q(a) for a in attributes)}]
  bootstrap: 40
{JOURNEY}
report: {{analyses: [benchmarking, drivers, journey], min_base: 30}}
"""
    (project / "params").mkdir()
    (project / "params" / "kotiposti.yaml").write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, chromium: Any) -> Path:
    project = tmp_path_factory.mktemp("hostile")
    shutil.copytree(ROOT / "notebooks", project / "notebooks")
    for folder in ("operational", "contacts", "invitations", "followup"):
        if (ROOT / "data" / "demo" / folder).is_dir():
            shutil.copytree(ROOT / "data" / "demo" / folder, project / "data" / "demo" / folder)
    write_data(project)
    write_params(project)
    result = run_reports(root=project, jobs=2)
    outcomes = {o.job.label: (o.status, o.failure) for o in result.outcomes}
    assert result.exit_code == 0, outcomes
    return project / "reports"


PAGES = [
    "kotiposti/all/benchmarking.html",
    "kotiposti/all/drivers.html",
    "kotiposti/all/journey.html",
    "index.html",
]


class Elements(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def assert_inert(dom: str, where: str) -> None:
    assert "<html" in dom, f"{where}: Chromium returned no DOM"
    parser = Elements()
    parser.feed(dom)
    assert parser.found and parser.found[0][0] == "html", where
    for tag, attrs in parser.found:
        assert "data-pwned" not in attrs, f"{where}: a planted handler ran ({attrs})"
        assert tag not in ("script", "iframe", "object", "embed", "svg"), (where, tag, attrs)
        handlers = [a for a in attrs if a.lower().startswith("on")]
        assert not handlers, (where, tag, attrs)
        for key in ("href", "src", "xlink:href", "action", "formaction"):
            value = (attrs.get(key) or "").strip().lower()
            assert not value.startswith("javascript:"), (where, tag, attrs)
        if tag == "img":
            assert (attrs.get("src") or "").startswith("data:image/"), (where, attrs)


@pytest.mark.parametrize("name", PAGES)
def test_planted_payloads_stay_text_in_chromium(
    rendered: Path, name: str, tmp_path: Path, chromium: Any
) -> None:
    page = rendered / name
    text = page.read_text(encoding="utf-8")
    assert "Content-Security-Policy" in text
    assert_inert(chromium.dump_dom(page), name)
    # The escaping alone, without the policy behind it.
    bare = tmp_path / page.name
    bare.write_text(re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", text))
    dom = chromium.dump_dom(bare)
    assert_inert(dom, f"{name} without its policy")
    # And the reader sees the values as text (the wave, the title, a category).
    if name != "index.html":
        assert "wave3&lt;img src=x onerror=" in dom


def test_every_planted_field_is_shown(rendered: Path) -> None:
    # The test is only as good as its coverage: each planted field must reach a report.
    pages = "".join((rendered / p).read_text(encoding="utf-8") for p in PAGES)
    for field in ("title", "wave3", "wave2", "runtitle", "label", "touchpoint", "channel",
                  "region", "size", "norm"):  # fmt: skip
        assert f"{field}&lt;img src=x onerror=" in pages, field
    assert "attr_x&lt;img" in pages or "X&lt;img" in pages  # the driver's name
    for field in ("unit", "currency"):  # journey: a metric unit, the value at stake
        assert f"{field}&lt;img src=x onerror=" in pages, field
    assert "seg&lt;img" in pages  # the segment column's name
    assert "&lt;img src=x onerror=alert(1)&gt;.csv" in pages  # the data file's name
