"""cxresearch.present.markdown_html: nbconvert's Markdown HTML without importing nbconvert.

The kernel renders a block's headings and text with :func:`markdown_html`; a Markdown cell
of the same text is rendered by nbconvert. Both must give the same bytes, so the reference
here is nbconvert's own ``markdown2html_mistune`` on every label text (raw, escaped, as a
heading, filled with hostile values) and on generated Markdown full of special characters.
"""

from __future__ import annotations

import doctest
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from cxresearch.present import markdown_html as markdown_html_module
from cxresearch.present.escaping import escape, heading, md
from cxresearch.present.labels import _read
from cxresearch.present.markdown_html import markdown_html

from .test_escaping import PAYLOADS


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


LABEL_TEXTS = sorted({text for language in ("fi", "en") for text in _strings(_read(language))})


def _same(text: str) -> None:
    assert markdown_html(text) == markdown2html_mistune(text), text


def test_docstring_examples_run() -> None:
    result = doctest.testmod(markdown_html_module)
    assert result.attempted >= 3 and result.failed == 0


def test_every_label_text_renders_as_nbconvert_renders_it() -> None:
    assert len(LABEL_TEXTS) > 500
    for text in LABEL_TEXTS:
        _same(text)
        _same(str(escape(text)))
        for level in (1, 2, 3, 4):
            _same(str(heading(text, level)))


def test_labels_filled_with_hostile_values_render_alike() -> None:
    for payload in [*PAYLOADS, "Ääkköset ja € 1 234,5 %", "a_b*c", "#tag", "x\ny"]:
        _same(str(md("**{a}** on {b}: {c}", a=payload, b=payload, c="1.5 *")))
        _same(str(heading(payload, 3)))
        _same(payload)


@pytest.mark.parametrize(
    "text",
    [
        "# Yleiskuva ä\n\nTeksti **lihava** ja *kursiivi*.",
        "#Ilman välilyöntiä",
        "## Otsikko `koodi` & <b>",
        "## Otsikko &nbsp; entiteetti",
        "| a | b |\n|:--|--:|\n| 1 | 2 |",
        "- [ ] tehtävä\n- [x] tehty",
        "termi\n: selitys",
        "~~yliviivattu~~ https://example.fi www.example.fi",
        "$$\\sum x$$ and \\\\[ y \\\\] and \\\\( z \\\\) and $a < b$",
        "\\begin{equation} x < 1 \\end{equation}",
        "```\nplain\n```",
        "```python\nx = 1 < 2\n```",
        "```nosuchlanguage\nx\n```",
        "```mermaid\ngraph TD; A-->B\n```",
        '![kuva](https://example.fi/x.png "otsikko")',
        "[linkki](javascript:alert(1)) <https://example.fi>",
        "> lainaus\n\n1. yksi\n2. kaksi\n\n---\n\n    sisennetty",
        "rivi  \nrivinvaihto\\\ntoinen",
        "",
    ],
)
def test_markdown_features_render_alike(text: str) -> None:
    _same(text)


def test_attachment_images_fail_as_in_nbconvert() -> None:
    with pytest.raises(Exception, match="missing attachment: x.png"):
        markdown2html_mistune("![a](attachment:x.png)")
    with pytest.raises(ValueError, match="missing attachment: x.png"):
        markdown_html("![a](attachment:x.png)")


_MARKDOWN_ALPHABET = st.sampled_from(
    list("aäö Z019#*_[]()!$\\`<>&|:-~.=+\n\t\"'{}%/") + ["  \n", "\n\n", "# ", "- ", "```"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_MARKDOWN_ALPHABET, max_size=60).map("".join))
def test_generated_markdown_renders_alike(text: str) -> None:
    if "attachment:" in text:
        return
    _same(text)
