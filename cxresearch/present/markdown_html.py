"""Report Markdown to HTML exactly as nbconvert renders it, without importing nbconvert.

A report block (:mod:`cxresearch.present.blocks`) turns its headings and text into HTML in
the kernel, and that HTML must be what nbconvert gives a Markdown cell. Importing
``nbconvert.filters.markdown_mistune`` imports the whole of nbconvert, and through nbformat
jsonschema, whose format checkers compile a lark grammar (``rfc3987_syntax``) at import:
about 1.4 CPU seconds in every report kernel, for a converter that is mistune plus a few
rules. :func:`markdown_html` builds the same mistune parser and renderer here.

Adapted from ``nbconvert/filters/markdown_mistune.py`` (nbconvert 7.16–7.17, mistune 3):
Copyright (c) IPython Development Team, BSD 3-Clause licence
(https://github.com/jupyter/nbconvert/blob/main/LICENSE). The same parts: the math block
and inline parsers, headings without a space after ``#``, the plugins (strikethrough,
table, url, task lists, definition lists), ``escape=False`` with every link protocol
allowed, HTML escaping without quotes, and each heading's id and ``¶`` anchor link
(``nbconvert.filters.strings.add_anchor``). Not needed here and so not carried over:
embedding images from files and notebook attachments (a report's Markdown has neither; an
``attachment:`` image fails as in nbconvert). ``tests/unit/test_markdown_html.py`` checks
that the output is identical to nbconvert's for every label text, report-like Markdown and
generated Markdown full of special characters.

Examples
--------
>>> markdown_html("## Yleiskuva ä")  # doctest: +NORMALIZE_WHITESPACE
'<h2 id="Yleiskuva-%C3%A4">Yleiskuva &#228;<a class="anchor-link"
  href="#Yleiskuva-%C3%A4">&#182;</a></h2>'
>>> markdown_html("**NPS** $x$")
'<p><strong>NPS</strong> $x$</p>\\n'
"""

from __future__ import annotations

import functools
import html
from collections.abc import Iterable
from re import Match
from typing import Any, ClassVar
from urllib.parse import quote
from xml.etree import ElementTree

import mistune
from mistune import BlockParser, BlockState, HTMLRenderer, InlineParser, InlineState

__all__ = ["markdown_html"]

_PLUGINS = ("strikethrough", "table", "url", "task_lists", "def_list")
_ANCHOR_TEXT = "¶"


def _dotall(pattern: str) -> str:
    return f"(?s:{pattern})"


# mistune renamed its "axt_heading" rule to "atx_heading" in 3.0.2.
_ATX = "atx_heading" if "atx_heading" in BlockParser.SPECIFICATION else "axt_heading"
_ATX_1, _ATX_2 = ("atx_1", "atx_2") if _ATX == "atx_heading" else ("axt_1", "axt_2")


class _MathBlockParser(BlockParser):
    """Multi-line math as one paragraph, and ``#Heading`` without a space (as nbconvert)."""

    SPECIFICATION: ClassVar[dict[str, str]] = {
        **BlockParser.SPECIFICATION,
        _ATX: rf"^ {{0,3}}(?P<{_ATX_1}>#{{1,6}})(?!#+)(?P<{_ATX_2}>[ \t]*(.*?)?)$",
        "multiline_math": _dotall(
            r"(?<!\\)[$]{2}.*?(?<!\\)[$]{2}"
            "|"
            r"\\\\\[.*?\\\\\]"
            "|"
            r"\\begin\{(?P<math_env_name>[a-z]*\*?)\}.*?\\end\{(?P=math_env_name)\}"
        ),
    }
    DEFAULT_RULES: ClassVar[Iterable[str]] = ("multiline_math", *BlockParser.DEFAULT_RULES)  # type: ignore[assignment]

    def parse_multiline_math(self, m: Match[str], state: BlockState) -> int:
        state.add_paragraph(m[0])
        return m.end()


class _MathInlineParser(InlineParser):
    """``$$…$$``, ``\\[…\\]``, ``$…$``, ``\\(…\\)`` and LaTeX environments kept as math."""

    SPECIFICATION: ClassVar[dict[str, str]] = {
        **InlineParser.SPECIFICATION,
        "block_math_tex": _dotall(r"(?<!\\)\$\$(?P<math_block_tex>.*?)(?<!\\)\$\$"),
        "block_math_latex": _dotall(r"(?<!\\)\\\\\[(?P<math_block_latex>.*?)(?<!\\)\\\\\]"),
        "inline_math_tex": _dotall(r"(?<![$\\])\$(?P<math_inline_tex>.+?)(?<![$\\])\$"),
        "inline_math_latex": _dotall(r"(?<!\\)\\\\\((?P<math_inline_latex>.*?)(?<!\\)\\\\\)"),
        "latex_environment": _dotall(
            r"\\begin\{(?P<math_env_name>[a-z]*\*?)\}"
            r"(?P<math_env_body>.*?)"
            r"\\end\{(?P=math_env_name)\}"
        ),
    }
    DEFAULT_RULES: ClassVar[Iterable[str]] = (  # type: ignore[assignment]
        "block_math_tex",
        "block_math_latex",
        "inline_math_tex",
        "inline_math_latex",
        "latex_environment",
        *InlineParser.DEFAULT_RULES,
    )

    def parse_block_math_tex(self, m: Match[str], state: InlineState) -> int:
        state.append_token({"type": "block_math", "raw": m.group("math_block_tex")})
        return m.end()

    def parse_block_math_latex(self, m: Match[str], state: InlineState) -> int:
        state.append_token({"type": "block_math", "raw": m.group("math_block_latex")})
        return m.end()

    def parse_inline_math_tex(self, m: Match[str], state: InlineState) -> int:
        state.append_token({"type": "inline_math", "raw": m.group("math_inline_tex")})
        return m.end()

    def parse_inline_math_latex(self, m: Match[str], state: InlineState) -> int:
        state.append_token({"type": "inline_math", "raw": m.group("math_inline_latex")})
        return m.end()

    def parse_latex_environment(self, m: Match[str], state: InlineState) -> int:
        attrs = {"name": m.group("math_env_name"), "body": m.group("math_env_body")}
        state.append_token({"type": "latex_environment", "attrs": attrs})
        return m.end()


def _element_text(element: ElementTree.Element) -> str:
    text = element.text or ""
    for child in element:
        text += _element_text(child)
    return text + (element.tail or "")


def _add_anchor(heading: str) -> str:
    # nbconvert.filters.strings.add_anchor with its default "¶". nbconvert parses with
    # defusedxml, which refuses DTDs and entity declarations; a heading's HTML cannot hold
    # either (a DOCTYPE inside an element is not well-formed XML to both parsers).
    try:
        element = ElementTree.fromstring(heading)
    except Exception:  # not well-formed XML (e.g. an HTML entity): left as it is
        return heading
    link = quote(_element_text(element).replace(" ", "-"), safe="?/:@!$&'()*+,;=")
    element.set("id", link)
    anchor = ElementTree.Element("a", {"class": "anchor-link", "href": "#" + link})
    anchor.text = _ANCHOR_TEXT
    element.append(anchor)
    return ElementTree.tostring(element).decode(encoding="utf-8")


class _ReportRenderer(HTMLRenderer):
    """nbconvert's ``IPythonRenderer(escape=False)`` for text without files or attachments."""

    def __init__(self) -> None:
        super().__init__(escape=False, allow_harmful_protocols=True)

    def block_code(self, code: str, info: str | None = None) -> str:
        lang: str | None = ""
        lexer: Any = None
        if info:
            if info.startswith("mermaid"):
                return (
                    f'<div class="jp-Mermaid"><pre class="mermaid">\n{code.strip()}\n</pre></div>'
                )
            # Pygments only for a fenced block naming a language (none in the reports).
            from pygments.lexers import get_lexer_by_name
            from pygments.util import ClassNotFound

            try:
                if info.strip().split(None, 1):
                    lang = info.strip().split(maxsplit=1)[0]
                    lexer = get_lexer_by_name(lang)
            except ClassNotFound:
                code = f"{lang}\n{code}"
                lang = None
        if not lang:
            return str(super().block_code(code, info=info))
        from pygments import highlight
        from pygments.formatters import HtmlFormatter

        return str(highlight(code, lexer, HtmlFormatter()))

    def heading(self, text: str, level: int, **attrs: Any) -> str:
        return _add_anchor(str(super().heading(text, level, **attrs)))

    def escape_html(self, text: str) -> str:
        return html.escape(text, quote=False)

    def block_math(self, body: str) -> str:
        return f"$${self.escape_html(body)}$$"

    def latex_environment(self, name: str, body: str) -> str:
        name, body = self.escape_html(name), self.escape_html(body)
        return f"\\begin{{{name}}}{body}\\end{{{name}}}"

    def inline_math(self, body: str) -> str:
        return f"${self.escape_html(body)}$"

    def image(self, text: str, url: str, title: str | None = None) -> str:
        if url.startswith("attachment:"):
            raise ValueError(f"missing attachment: {url[len('attachment:') :]}")
        return str(super().image(text, url, title))


@functools.cache
def _plugins() -> tuple[Any, ...]:
    return tuple(mistune.import_plugin(name) for name in _PLUGINS)


def markdown_html(source: str) -> str:
    """Render report Markdown to HTML as nbconvert renders a Markdown cell.

    Same output as ``nbconvert.filters.markdown_mistune.markdown2html_mistune(source)``
    (see the module docstring), for a fraction of the import cost.

    Parameters
    ----------
    source : str
        Markdown, normally a :class:`~cxresearch.present.escaping.SafeMarkdown`.

    Returns
    -------
    str
        The HTML fragment.

    Examples
    --------
    >>> markdown_html("Ease *(CES)*")
    '<p>Ease <em>(CES)</em></p>\\n'
    """
    # A new parser per call, as nbconvert does: mistune's parsers keep state between calls.
    parser = mistune.Markdown(
        renderer=_ReportRenderer(),
        block=_MathBlockParser(),
        inline=_MathInlineParser(hard_wrap=False),
        plugins=_plugins(),
    )
    return str(parser(source))
