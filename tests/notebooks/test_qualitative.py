"""notebooks/qualitative.ipynb on the demo data: what the client's qualitative report shows.

As the other notebook tests: kotiposti (Finnish) from the notebooks/ folder with the
notebook's default parameters, northwind (English) from the project root with an absolute
``params_path``. A third run uses a small copy of the project whose comments hold a
``<script>`` tag, Markdown and personal data, to show they reach the page as inert text.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from cxresearch.data import load_responses
from cxresearch.present import get_labels
from cxresearch.qual.codebook import load_codebook
from cxresearch.qual.coding import code_comments
from cxresearch.qual.impact import theme_prevalence
from cxresearch.qual.normalise import BaseForms
from cxresearch.report.render import render_html
from cxresearch.session import open_run

from .conftest import execute
from .test_drivers import rows_of, section, text_of

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "qualitative.ipynb"
IMG = re.compile(r'<img [^>]*src="data:image/png;base64,')


@pytest.mark.slow
@pytest.mark.parametrize(("language", "client"), [("fi", "kotiposti"), ("en", "northwind")])
def test_report_sections_and_numbers(language, client, request):
    page = request.getfixturevalue("finnish" if language == "fi" else "english")
    labels = get_labels(language)
    q = labels.get
    for key in (
        "heading_intro",
        "heading_prevalence",
        "heading_impact",
        "heading_former",
        "heading_quotes",
        "heading_quality",
        "heading_codebook",
        "heading_reading",
    ):
        assert f">{q('qualitative.' + key)}" in page, key
    assert len(IMG.findall(section(page, q("qualitative.heading_impact")))) == 1
    # Prevalence table = the package's numbers on the current wave's comments, computed here.
    frame = load_responses(ROOT / "data" / "demo" / "responses.csv")
    rows = frame[(frame["client"] == client) & (frame["wave"] == "2026Q3")]
    rows = rows[rows["comment"].notna()].set_index("response_id")
    book = load_codebook(ROOT / "params" / "codebooks" / "cx-default.yaml", forms=BaseForms())
    coding = code_comments(rows["comment"], book, language=rows["language"])
    codable = coding.status.isin(["coded", "uncoded"])
    # the demo params rake each wave to the population margins: the report's shares are
    # weighted with the run's weights
    session = open_run(ROOT / "params" / f"{client}.yaml")
    current = session.current
    by_id = pd.Series(
        session.weights_for(current).to_numpy(), index=current["response_id"].to_numpy()
    )
    expected = theme_prevalence(coding.codes[codable], themes=book.themes, weights=by_id)
    part = section(page, q("qualitative.heading_prevalence"))
    table = rows_of(part[: part.index("</table>")])[1:]  # the first table: overall
    shown = {r[0]: (int(r[1].replace("\u00a0", "").replace(" ", "")), r[2]) for r in table}
    for row in expected.to_dict("records"):
        mentions, share = shown[book.label(row["code"], language)]
        assert mentions == row["mentions"]
        assert share.startswith(f"{round(100 * row['share'])} (")
    # coding quality against the demo truth is in the report with macro F1 >= 0.85
    quality = rows_of(section(page, q("qualitative.heading_quality")))
    macro = [r for r in quality if r and r[0] == q("qualitative.macro")][0]
    assert int(macro[3]) >= 85
    # quotes: masked, and every theme has some
    quotes = section(page, q("qualitative.heading_quotes"))
    assert quotes.count("<blockquote>") >= len(book.themes)
    assert "@example." not in quotes and not re.search(r"\b0[45]0 \d{3} \d{4}\b", quotes)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A small project whose comments try to inject HTML, Markdown and leak personal data."""
    root = tmp_path_factory.mktemp("project")
    (root / "params" / "codebooks").mkdir(parents=True)
    shutil.copy(ROOT / "params" / "codebooks" / "cx-default.yaml", root / "params" / "codebooks")
    frame = pd.read_csv(ROOT / "data" / "demo" / "responses.csv", dtype=str, keep_default_na=False)
    frame = frame[frame["client"] == "kotiposti"].copy()
    current = frame.index[(frame["wave"] == "2026Q3") & (frame["comment"] != "")]
    nasty = [
        "<script>alert(1)</script> Hinta on liian kallis.",
        "Liian kallis hinta! [klikkaa](javascript:alert(1)) <img src=x onerror=alert(2)>",
        "Hinta on liian kallis, soita Matti Virtaselle 040 765 4321 tai matti@example.com.",
    ]
    for i, text in zip(current[:3], nasty, strict=True):
        frame.loc[i, "comment"] = text
    # the rest of the wave's comments blank, so the price quotes are exactly these three
    frame.loc[current[3:], "comment"] = ""
    (root / "data").mkdir()
    frame.to_csv(root / "data" / "responses.csv", index=False)
    params = yaml.safe_load((ROOT / "params" / "kotiposti.yaml").read_text(encoding="utf-8"))
    params["data"]["path"] = "data/responses.csv"
    params["coding"] = {"codebook": "params/codebooks/cx-default.yaml", "quotes": 10}
    params["privacy"] = {"names": ["Matti Virtanen"]}
    params["runs"] = [{"name": "all"}]
    params["report"]["analyses"] = ["qualitative"]
    path = root / "params" / "hostile.yaml"
    path.write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    nb = execute(NOTEBOOK, root, cwd=ROOT, parameters={"params_path": str(path), "run": "all"})
    return render_html(nb, title="Hostile", language="fi")


@pytest.mark.slow
def test_script_comment_renders_as_text_and_personal_data_is_masked(hostile):
    quotes = section(hostile, get_labels("fi").get("qualitative.heading_quotes"))
    assert "<script>alert" not in hostile and "<img src=x" not in hostile
    assert 'href="javascript' not in hostile
    assert "&lt;script&gt;alert" in quotes  # shown as text, not dropped
    visible = text_of(quotes)
    assert "<script>alert(1)</script> Hinta on liian kallis." in visible
    assert "040 765 4321" not in visible and "matti@example.com" not in visible
    assert "Matti" not in text_of(hostile) and "Virtase" not in text_of(hostile)
    assert "[name]" in visible and "[phone]" in visible and "[email]" in visible
    # no reference coding in these params: the report says the accuracy is not measured
    assert get_labels("fi").get("qualitative.quality_none").split(",")[0] in text_of(hostile)
