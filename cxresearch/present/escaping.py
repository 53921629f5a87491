"""The one path from params and data to report text: Markdown that is escaped by construction.

A report's words are Markdown (nbconvert turns it into HTML). Two kinds of text meet in it:

* **trusted templates**: the label files (``labels_fi.yaml`` / ``labels_en.yaml``) and the
  string literals in package code and notebooks. They may use Markdown (``**bold**``,
  ``## heading``) and are written by the project;
* **untrusted fields**: everything that comes from a params file or a data file (titles,
  wave names, category values, driver names, filter values), and any other value filled
  into a template. Such a value can hold ``<img onerror=…>``, ``[link](javascript:…)``,
  ``![x](file:///…)`` (nbconvert would inline that file) or ``$…$``.

:class:`SafeMarkdown` marks text that is safe to show. It is produced only by

* :func:`escape` — a value made inert (HTML-escaped and every Markdown character
  backslash-escaped, line breaks folded to spaces);
* :func:`md` and :meth:`cxresearch.present.labels.Labels.text` — a trusted template with
  **every field escaped** unless the field is already :class:`SafeMarkdown` (so text built
  from labels nests without double escaping);
* :func:`heading` and :func:`markdown` — a heading and the blocks of a notebook cell's
  output, escaping anything that is not already safe.

So a value gets escaped exactly once, at the moment it is filled in, whatever its source:
a new params key or data column shown in a sentence cannot forget it. ``SafeMarkdown``
displays itself in Jupyter as Markdown (``_repr_markdown_``), so a notebook cell ends with
``cx.markdown(...)`` and needs neither ``IPython.display.Markdown`` nor an f-string;
``tests/notebooks/test_notebooks_committed_clean.py`` fails a notebook that uses either.

Text for tables and charts is *plain* (:meth:`~cxresearch.present.labels.Labels.plain`):
tables escape every cell as HTML (:class:`~cxresearch.present.tables.Table`) and charts
draw text as pixels, so Markdown escapes there would show as backslashes.

Examples
--------
>>> md("Wave {wave} has {n} responses.", wave="2026Q3<img src=x onerror=alert(1)>", n="412")
'Wave 2026Q3&lt;img src\\\\=x onerror\\\\=alert\\\\(1\\\\)&gt; has 412 responses.'
>>> markdown(heading("Acme *Oy*"), md("**{who}** said so", who="[me](javascript:x)"))
'## Acme \\\\*Oy\\\\*\\n\\n**\\\\[me\\\\]\\\\(javascript\\\\:x\\\\)** said so'
"""

from __future__ import annotations

import html
import re
import string
from collections.abc import Iterable
from typing import Any

__all__ = ["SafeMarkdown", "escape", "heading", "markdown", "md", "rendered_text"]

# Every ASCII punctuation character Markdown (CommonMark, GFM, nbconvert's mistune with its
# url, math and table plugins) gives a meaning to is backslash-escaped; the five HTML
# characters become entities instead (a backslash does not stop "<" in every renderer).
# Left alone, because no Markdown rule uses them and readers see them in numbers and
# sentences: , ; % / ?
_HTML_CHARACTERS = frozenset("<>&\"'")
_BACKSLASHED = frozenset(string.punctuation) - _HTML_CHARACTERS - frozenset(",;%/?")
_LINE_BREAKS = re.compile(r"[ \t\n\r\f\v]+")


class SafeMarkdown(str):
    """Markdown that is safe to put in a report: trusted text with escaped fields.

    Build it with :func:`escape`, :func:`md`, :func:`heading`, :func:`markdown` or
    :meth:`Labels.text <cxresearch.present.labels.Labels.text>`; calling the class on a
    string asserts that the string is trusted Markdown (package code only, never data).
    Adding a plain string escapes it; other string methods return plain ``str``.
    """

    __slots__ = ()

    def __add__(self, other: str) -> SafeMarkdown:
        return SafeMarkdown(str(self) + str(escape(other)))

    def __radd__(self, other: str) -> SafeMarkdown:
        return SafeMarkdown(str(escape(other)) + str(self))

    def join(self, parts: Iterable[object]) -> SafeMarkdown:
        """Join ``parts`` with this text, escaping the parts that are not safe yet."""
        return SafeMarkdown(str(self).join(str(escape(p)) for p in parts))

    def _repr_markdown_(self) -> str:
        return str(self)


def escape(text: object) -> SafeMarkdown:
    """A value from params or data made inert in Markdown and HTML.

    ``<``, ``>``, ``&`` and quotes become HTML entities; every other character Markdown
    uses (``* _ [ ] ( ) ! # | ` ~ $ : = - . + { } \\ @ ^``) is backslash-escaped, so that no
    emphasis, link, image, heading, list, table, math or autolink can start inside it;
    line breaks and tabs become single spaces, so that it cannot start a block of its own.
    :class:`SafeMarkdown` is returned unchanged (escaping twice would show entities).

    Examples
    --------
    >>> escape("<script>alert(1)</script>")
    '&lt;script&gt;alert\\\\(1\\\\)&lt;/script&gt;'
    >>> escape("*A* & [b](c)")
    '\\\\*A\\\\* &amp; \\\\[b\\\\]\\\\(c\\\\)'
    """
    if isinstance(text, SafeMarkdown):
        return text
    folded = _LINE_BREAKS.sub(" ", str(text))
    out = []
    for ch in folded:
        if ch in _HTML_CHARACTERS:
            out.append(html.escape(ch, quote=True))
        elif ch in _BACKSLASHED:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return SafeMarkdown("".join(out))


class _EscapingFormatter(string.Formatter):
    """str.format that escapes every field; a field the caller did not pass shows as ``{x}``."""

    def get_value(self, key: int | str, args: Any, kwargs: Any) -> Any:
        if isinstance(key, str) and key not in kwargs:
            return _Unfilled(key)
        return super().get_value(key, args, kwargs)

    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, _Unfilled):
            return "{" + value.name + "}"
        if isinstance(value, SafeMarkdown) and not format_spec:
            return str(value)
        return str(escape(format(value, format_spec)))

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        if isinstance(value, _Unfilled) or conversion is None:
            return value
        return super().convert_field(value, conversion)


class _Unfilled:
    # A template field with no value: shown as "{name}" so an edited label that names a
    # new field shows the gap instead of stopping the report.
    def __init__(self, name: str) -> None:
        self.name = name


_FORMATTER = _EscapingFormatter()


def md(template: str, /, **fields: object) -> SafeMarkdown:
    """Fill a trusted Markdown template; every field is escaped unless already safe.

    Parameters
    ----------
    template
        Markdown written by the project: a label or a string literal in code. Never a
        value from params or data (pass those as fields).
    **fields
        Values for the template's ``{fields}``. Format specs work (``{share:.1f}``);
        :class:`SafeMarkdown` values (other labels, :func:`escape` results) go in as
        they are, everything else through :func:`escape`. A field the template names but
        the call does not pass stays visible as ``{field}``.

    Examples
    --------
    >>> md("**{client}** {wave}", client="Acme_Oy", wave=md("*{w}*", w="2026Q3"))
    '**Acme\\\\_Oy** *2026Q3*'
    """
    if not isinstance(template, str):
        raise TypeError(f"template must be a str, got {type(template).__name__}")
    return SafeMarkdown(_FORMATTER.vformat(template, (), fields))


def heading(text: object, level: int = 2) -> SafeMarkdown:
    """A Markdown heading; ``text`` escaped unless it is :class:`SafeMarkdown` already.

    Examples
    --------
    >>> heading("Tulokset # 1", 3)
    '### Tulokset \\\\# 1'
    """
    if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 6:
        raise ValueError(f"level must be an integer from 1 to 6, got {level!r}")
    return SafeMarkdown("#" * level + " " + str(escape(text)))


def markdown(*blocks: object) -> SafeMarkdown:
    """A notebook cell's Markdown output: ``blocks`` as paragraphs, unsafe ones escaped.

    ``None`` and empty blocks are left out, so optional parts need no ``if``. The result
    shows as Markdown when it is a cell's last value or passed to ``display``.

    Examples
    --------
    >>> markdown(heading("Base"), None, md("{n} rows", n="1,204"))
    '## Base\\n\\n1,204 rows'
    """
    return SafeMarkdown("\n\n".join(str(escape(b)) for b in blocks if b is not None and b != ""))


def rendered_text(text: str) -> str:
    """What a reader sees of report Markdown: rendered as nbconvert does, tags dropped.

    For tests and checks that compare report sentences with expected words: escapes and
    entities are resolved, emphasis marks disappear, paragraphs are joined by newlines.

    Examples
    --------
    >>> rendered_text(md("**{x}** on {y}", x="NPS (n = 5)", y="1.5 *"))
    'NPS (n = 5) on 1.5 *'
    """
    from cxresearch.present.markdown_html import markdown_html

    page = markdown_html(str(text))
    paragraphs = [html.unescape(re.sub(r"<[^>]+>", "", p)).strip() for p in page.split("\n\n")]
    return "\n".join(p for p in paragraphs if p)
