"""The report page as WeasyPrint is given it: the same pixels, less to parse and match.

A client report's HTML carries its charts inline, as ``data:`` URIs (it must open offline
and be mailed as one file): Kotiposti's benchmarking page is 893 kB, of which 822 kB are
the base64 text of 13 PNGs. WeasyPrint's HTML parser reads every character of them, the
``data:`` URL handler percent-decodes and base64-decodes each one, and WeasyPrint names
every image by an MD5 of its whole URL. :func:`detach_images` takes the base64 images out
of the page before it is parsed: each ``<img src="data:…;base64,…">`` gets a short URL of
its own (``cx-image:`` and the SHA-256 of its bytes), and the decoded bytes are served from
memory by the print's URL fetcher (:func:`cxresearch.report.render.offline_url_fetcher`,
which refuses a ``cx-image:`` URL it was not given). The bytes WeasyPrint reads are the
bytes ``base64.decodebytes`` gives, as urllib's ``data:`` handler does, so every image
prints the same pixels; the PDF's image names change (they are digests of the URL).

Only ``src`` attributes of ``<img>`` start tags are touched: in HTML text a ``<`` is always
escaped, so nothing a reader sees can be taken for one. Only PNG, JPEG, GIF and WebP are
detached; an SVG (whose references resolve against its URL), a ``data:`` URI that is not
base64, or base64 with characters outside its alphabet or bad padding is left to WeasyPrint
as before.

:func:`merge_styles` joins the body's ``<style>`` blocks (pandas' Styler writes one per
table) into one sheet; the rules keep their order, so the cascade is the same.

Examples
--------
>>> page, images = detach_images('<img alt="" src="data:image/png;base64,iVBORw==">')
>>> page
'<img alt="" src="cx-image:0f4636c78f65d3639ece5a064b5ae753e3408614a14fb18ab4d7540d2c248543">'
>>> images["cx-image:0f4636c78f65d3639ece5a064b5ae753e3408614a14fb18ab4d7540d2c248543"]
('image/png', b'\\x89PNG')
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping

__all__ = ["IMAGE_SCHEME", "detach_images", "merge_styles"]

#: The scheme of an image URL that :func:`detach_images` made (served from memory).
IMAGE_SCHEME = "cx-image"

# An <img> start tag up to its src attribute's value: the attributes before it are read
# one by one (name, then an optional quoted or bare value), so a "src=" inside another
# attribute's value is never taken for it. Then a base64 data: URI of a raster image
# (an SVG is left alone: WeasyPrint resolves its references against its URL; so is a URI
# with parameters such as ";charset="), and the closing quote; the base64 alphabet
# excludes both quotes, so the value ends there.
_ATTRIBUTE = r"""\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?"""
_IMG_DATA_SRC = re.compile(
    rf"(?P<head><img(?:{_ATTRIBUTE})*?\s+src\s*=\s*)(?P<quote>[\"'])"
    r"data:(?P<mime>image/(?:png|jpeg|gif|webp));base64,(?P<data>[A-Za-z0-9+/=]*)(?P=quote)",
    re.IGNORECASE,
)


def detach_images(page: str) -> tuple[str, Mapping[str, tuple[str, bytes]]]:
    """The page with its base64 ``<img>`` data replaced by short URLs, and those images.

    Parameters
    ----------
    page
        An HTML page (a report from :func:`cxresearch.report.render.render_html`).

    Returns
    -------
    tuple
        The page, and for each short URL in it the image's media type and bytes. The same
        bytes get the same URL (so WeasyPrint embeds them once, as it did for equal
        ``data:`` URIs), and the URL depends on the bytes only: the same page gives the
        same page and the same PDF.
    """
    images: dict[str, tuple[str, bytes]] = {}

    def detach(match: re.Match[str]) -> str:
        try:
            data = base64.decodebytes(match["data"].encode("ascii"))
        except (binascii.Error, ValueError):  # bad padding: WeasyPrint reports it as before
            return match.group(0)
        url = f"{IMAGE_SCHEME}:{hashlib.sha256(data).hexdigest()}"
        images[url] = (match["mime"].lower(), data)
        return f"{match['head']}{match['quote']}{url}{match['quote']}"

    return _IMG_DATA_SRC.sub(detach, page), images


# Where a "<style" in the body could be text rather than an element (raw text, comments,
# foreign content): such a page keeps its blocks as they are.
_NOT_PLAIN_BODY = re.compile(
    r"<!--|<(?:script|textarea|template|noscript|xmp|iframe|noembed|noframes|plaintext|svg"
    r"|math|title)\b",
    re.IGNORECASE,
)
_STYLE_TAG = re.compile(r"<style\b", re.IGNORECASE)
_STYLE_BLOCK = re.compile(r'<style(?: type="text/css")?>(?P<css>[^<]*)</style>')
# Sheet text whose rules cannot reach into the next sheet's: no strings, escapes,
# comments, at-rules or url() (whose contents the brace count below would not see).
_NOT_PLAIN_CSS = re.compile(r"[\"'\\@]|/\*|url\(", re.IGNORECASE)


def _plain_rules(css: str) -> bool:
    """Whether ``css`` is whole rules only: braces balanced, nothing after the last one."""
    if _NOT_PLAIN_CSS.search(css):
        return False
    depth = 0
    for brace in re.findall(r"[{}]", css):
        depth += 1 if brace == "{" else -1
        if depth < 0:
            return False
    return depth == 0 and (not css.strip() or css.rstrip().endswith("}"))


def merge_styles(page: str) -> str:
    """The ``<style>`` blocks of the page's body as one sheet, where the first of them was.

    pandas' Styler writes one ``<style>`` block before each table (15 in Kotiposti's
    benchmarking report), and WeasyPrint matches every element against every sheet in
    turn: 18 sheets (its own, report.css, 15 blocks, the fonts) for 1,042 elements. One
    sheet with the same rules in the same order cascades the same (sheets and rules are
    ordered alike), with 4 sheets to match.

    Blocks are merged only when nothing can make that differ: every ``<style>`` of the
    body is a plain ``<style>`` or ``<style type="text/css">`` element (the body has no
    comment, script, SVG or other raw-text element a ``<style>`` could hide in), and each
    block is whole rules without strings, escapes, comments, at-rules or ``url()``, so
    that no rule can run into the next block's. Otherwise the page is returned as it is.

    The text around the blocks stays as it was (a block between words is no space).

    Examples
    --------
    >>> page = merge_styles(
    ...     "<head></head><body><style>#a td { color: red }</style><table id=a></table>"
    ...     "<style>#b td { color: blue }</style></body>"
    ... )
    >>> print(page)
    <head></head><body><style type="text/css">
    #a td { color: red }
    #b td { color: blue }
    </style><table id=a></table></body>
    """
    head_end = page.find("</head>")
    if head_end < 0:
        return page
    body = page[head_end:]
    blocks = list(_STYLE_BLOCK.finditer(body))
    if len(blocks) < 2 or len(_STYLE_TAG.findall(body)) != len(blocks):
        return page
    if _NOT_PLAIN_BODY.search(body) or not all(_plain_rules(b["css"]) for b in blocks):
        return page
    sheet = "".join(f"\n{b['css'].strip()}" for b in blocks if b["css"].strip())
    parts = [body[: blocks[0].start()], f'<style type="text/css">{sheet}\n</style>']
    for block, following in zip(blocks, [*blocks[1:], None], strict=True):
        parts.append(body[block.end() : following.start() if following else len(body)])
    return page[:head_end] + "".join(parts)
