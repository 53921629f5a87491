"""cxresearch.present.escaping: report text escaped by construction."""

from __future__ import annotations

import doctest
import re

import pytest
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from cxresearch.present import escaping as escaping_module
from cxresearch.present import get_labels
from cxresearch.present.escaping import SafeMarkdown, escape, heading, markdown, md, rendered_text
from cxresearch.session import describe_filter

# What hostile params or data put into a label field: HTML with handlers, a javascript:
# link, an image that nbconvert would inline from disk, math, an autolink, block syntax.
PAYLOADS = [
    "2026Q3<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    '"><svg onload=alert(1)>',
    "[click](javascript:alert(1))",
    "![x](file:///etc/passwd)",
    "<https://evil.example/x>",
    "https://evil.example/x www.evil.example",
    "$\\alpha$ and $$x$$",
    "`code` ~~strike~~ **bold** _em_",
    "line one\n\n# heading\n- item\n1. item\n> quote\n    code\n---",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "&lt;b&gt; &#60;i&#62;",
]


def html_of(text: str) -> str:
    return markdown2html_mistune(str(text))


def test_docstring_examples_run() -> None:
    result = doctest.testmod(escaping_module)
    assert result.attempted >= 6 and result.failed == 0


@pytest.mark.parametrize("payload", PAYLOADS)
def test_an_escaped_field_renders_as_its_own_text_and_nothing_else(payload: str) -> None:
    page = html_of(md("Aalto {wave} on nyt.", wave=payload))
    # One paragraph, no element but <p>: no img, script, a, svg, code, heading, list, table.
    assert re.findall(r"<(\w+)", page) == ["p"], page
    # The reader sees the value (line breaks folded to spaces), not markup.
    assert rendered_text(md("{x}", x=payload)) == " ".join(payload.split())


@pytest.mark.parametrize("payload", PAYLOADS)
def test_heading_and_markdown_escape_plain_strings(payload: str) -> None:
    page = html_of(markdown(heading(payload, 2), payload))
    # nbconvert adds its pilcrow link to every heading; nothing else may appear.
    page = re.sub(r'<a class="anchor-link" href="#[^"]*">&#182;</a>', "", page)
    assert re.findall(r"<(\w+)", page) == ["h2", "p"], page


def test_labels_text_escapes_fields_and_keeps_template_markdown() -> None:
    labels = get_labels("en")
    text = labels.text("base_sentence", n_kept="5", waves="<b>x</b>", current="*c*",
                       n_current="5", filters="[a](b)")  # fmt: skip
    assert isinstance(text, SafeMarkdown)
    page = html_of(text)
    assert "<b>" not in page and "<em>" not in page and "<a " not in page
    # The template's own Markdown (bold headings of the reading note) still works.
    reading = labels.text("reading", ci_long="95% CI", level="95", flag="†", min_base="30",
                          suppress="15", alpha="0.05")  # fmt: skip
    assert "<strong>" in html_of(reading)


def test_plain_fills_fields_unchanged_for_tables_and_charts() -> None:
    labels = get_labels("en")
    assert labels.plain("client_result", client="A&B <x>", wave="2026Q3") == "A&B <x> 2026Q3"
    assert not isinstance(labels.plain("client_result", client="a", wave="b"), SafeMarkdown)


def test_safe_text_nests_without_double_escaping() -> None:
    inner = md("{x}", x="a<b")
    assert md("[{y}]", y=inner) == "[a&lt;b]"
    assert escape(inner) is inner
    assert rendered_text(markdown(inner, inner + " & " + inner)) == "a<b\na<b & a<b"


def test_concatenation_and_join_escape_plain_parts() -> None:
    safe = md("**{x}**", x="a")
    assert isinstance(safe + "<i>", SafeMarkdown) and (safe + "<i>").endswith("&lt;i&gt;")
    assert ("<i>" + safe).startswith("&lt;i&gt;")
    assert SafeMarkdown(", ").join(["*a*", safe]) == "\\*a\\*, **a**"


def test_md_formats_and_leaves_unknown_fields_visible() -> None:
    assert md("{share:.1f} % {missing}", share=12.345) == "12\\.3 % {missing}"
    assert md("{x!r}", x="a") == "&#x27;a&#x27;"
    with pytest.raises(TypeError, match="template"):
        md(None)  # type: ignore[arg-type]


def test_heading_level_checked() -> None:
    assert heading("x", 1) == "# x"
    for bad in (0, 7, True, "2"):
        with pytest.raises(ValueError, match="level"):
            heading("x", bad)  # type: ignore[arg-type]


def test_markdown_skips_empty_blocks_and_displays_as_markdown() -> None:
    out = markdown(None, "", heading("H"), md("x"))
    assert out == "## H\n\nx"
    assert out._repr_markdown_() == "## H\n\nx"


def test_filter_values_from_params_are_escaped_in_the_base_sentence() -> None:
    labels = get_labels("fi")
    described = describe_filter({"region": "<img src=x onerror=alert(1)>"}, labels)
    sentence = labels.text("base_sentence", n_kept="1", waves="w<script>", current="c",
                           n_current="1", filters=described)  # fmt: skip
    assert "<img" not in html_of(sentence) and "<script" not in html_of(sentence)
