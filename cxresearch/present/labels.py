"""Report wording in Finnish and English.

Every word a client reads (metric names, column headers, category names, sentences) comes
from ``labels_fi.yaml`` / ``labels_en.yaml`` next to this module, so a report's language is
one params key and a translation is a YAML edit, not a code change. Unknown keys fall back
to the raw key: a touchpoint called ``chatbot`` in the data shows as "chatbot" instead of
stopping the report.

Sentence templates are filled in two ways (see :mod:`cxresearch.present.escaping`):
:meth:`Labels.text` for report Markdown, escaping every field that is not already
:class:`~cxresearch.present.escaping.SafeMarkdown`, and :meth:`Labels.plain` for table cells
and chart labels, which escape (tables) or draw (charts) the text themselves.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

from cxresearch.present.escaping import SafeMarkdown, md

LANGUAGES = ("fi", "en")


class _Missing(dict[str, Any]):
    # str.format_map leaves a field it has no value for as "{field}" instead of raising,
    # so a template that names a field the caller did not pass still renders.
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill_plain(template: str, /, **fields: object) -> str:
    """A label template filled as plain text; a field not passed stays visible as ``{field}``.

    For table headers and chart labels (Markdown goes through the escaping path instead).

    Examples
    --------
    >>> fill_plain("{n} answers, {missing}", n=3)
    '3 answers, {missing}'
    """
    return string.Formatter().vformat(template, (), _Missing(fields))


@dataclass(frozen=True)
class Labels:
    """Wording and number conventions of one report language.

    Build it with :func:`get_labels`. Look-ups never raise on an unknown key: they return
    the key itself (for categories, the raw value from the data).

    Attributes
    ----------
    language
        ``"fi"`` or ``"en"``.
    texts
        The parsed YAML: sections ``number``, ``metrics``, ``metrics_short``,
        ``metric_scale``, ``columns``, ``values``, ``text``, ``counts``, ``tests``,
        ``tests_short``, ``effect_sizes``, ``effect_sizes_short``, ``effect_sizes_long``,
        ``drivers``.
    """

    language: str
    texts: Mapping[str, Any] = field(repr=False)

    def get(self, key: str, default: str | None = None) -> str:
        """The text at a dotted key such as ``"columns.n"``; ``default`` or the key if absent."""
        node: Any = self.texts
        for part in key.split("."):
            if not isinstance(node, Mapping) or part not in node:
                return key if default is None else default
            node = node[part]
        return node if isinstance(node, str) else (key if default is None else default)

    __getitem__ = get

    def lookup(self, section: str, key: object, default: str | None = None) -> str:
        """``texts[section][key]`` without splitting ``key`` on dots (data values may have them)."""
        node = self.texts.get(section)
        raw = str(key)
        if isinstance(node, Mapping):
            found = node.get(raw)
            if isinstance(found, Mapping) or found is None:
                return raw if default is None else default
            return str(found)
        return raw if default is None else default

    def text(self, key: str, **fields: object) -> SafeMarkdown:
        """Report Markdown: template ``text.<key>`` with every field escaped.

        Fields are formatted values (numbers already through ``format_number``); those
        that are not :class:`~cxresearch.present.escaping.SafeMarkdown` (another label's
        text, an ``escape`` result) are escaped, so a value from params or data cannot add
        markup. For table cells and chart labels use :meth:`plain`.
        """
        return md(self.lookup("text", key), **fields)

    def plain(self, key: str, **fields: object) -> str:
        """Template ``text.<key>`` filled as plain text, for table cells and chart labels.

        Not for Markdown: tables escape their cells as HTML and charts draw text, so the
        fields go in unchanged here. Report sentences use :meth:`text`.
        """
        template = self.lookup("text", key)
        return string.Formatter().vformat(template, (), _Missing(fields))

    def fill(self, key: str, **fields: object) -> str:
        """The template at a dotted key (``"charts.mix_alt"``) filled as plain text.

        As :meth:`plain`, for any section: chart words and alt texts, the index page.
        A field the caller does not pass stays visible as ``{field}``.
        """
        return fill_plain(self.get(key), **fields)

    def metric(self, name: str, *, short: bool = False) -> str:
        """Display name of a metric, e.g. ``nps`` → "Suositteluindeksi (NPS)"."""
        full = self.lookup("metrics", name)
        return self.lookup("metrics_short", name, full) if short else full

    def scale(self, name: str) -> str:
        """Axis label saying what a metric's numbers are, e.g. "% tyytyväisiä (4–5)"."""
        return self.lookup("metric_scale", name, self.metric(name, short=True))

    def column(self, name: str) -> str:
        """Column header or grouping name, e.g. ``touchpoint`` → "Kosketuspiste"."""
        return self.lookup("columns", name)

    def value(self, column: str, value: object) -> str:
        """Display name of a category, e.g. (``customer_type``, ``former``) → "entinen asiakas".

        Values the labels do not know (a client's own touchpoint names) show as they are.
        """
        node = self.texts.get("values")
        known = node.get(column) if isinstance(node, Mapping) else None
        raw = str(value)
        if isinstance(known, Mapping) and isinstance(known.get(raw), str):
            return str(known[raw])
        return raw

    def status(self, name: str) -> str:
        """Display name of a target status (``met``, ``not_met``, ``inconclusive``...)."""
        return self.value("status", name)

    def test(self, name: str, *, short: bool = False) -> str:
        """Display name of a statistical test; names the labels do not know pass through.

        ``short`` gives the name used inside sentences ("z-testi"), where the full method
        ("kahden otoksen z-testi, Rocksin (2016) varianssi") would nest brackets.
        """
        full = self.lookup("tests", name)
        return self.lookup("tests_short", name, full) if short else full

    def effect_size(self, name: str, *, form: str = "name") -> str:
        """Display name of an effect size, e.g. "Cohen's h" → "Cohenin h".

        ``form="short"`` gives the column symbol ("d", "h", "g"), ``form="long"`` the
        footnote explanation; both fall back to the name.
        """
        full = self.lookup("effect_sizes", name)
        if form == "name":
            return full
        if form not in ("short", "long"):
            raise ValueError(f"form must be 'name', 'short' or 'long', got {form!r}")
        return self.lookup(f"effect_sizes_{form}", name, full)

    def count_step(self, key: str, **fields: object) -> str:
        """Description of one row-selection step (``counts.<key>``)."""
        template = self.lookup("counts", key)
        return string.Formatter().vformat(template, (), _Missing(fields))


@cache
def _read(language: str) -> Mapping[str, Any]:
    text = (
        resources.files("cxresearch.present")
        .joinpath(f"labels_{language}.yaml")
        .read_text(encoding="utf-8")
    )
    data = yaml.safe_load(text)
    if not isinstance(data, dict):  # pragma: no cover - packaging error, not user input
        raise RuntimeError(f"labels_{language}.yaml is not a mapping")
    return _percent_kept_together(data)


# A space between a number (or a field that becomes one) and "%": "99 %:n", "{level} %".
_SPACE_BEFORE_PERCENT = re.compile(r"(?<=[\d}]) (?=%)")


def _percent_kept_together(value: Any) -> Any:
    """Every label with "99 %" written with a no-break space, so no line ends before "%".

    Finnish writes a space before the per cent sign; a plain space lets a table note or a
    sentence wrap between "99" and "%:n tasolla" on A4. The YAML stays readable with plain
    spaces and the rule holds for every label, including ones added later.
    """
    if isinstance(value, str):
        return _SPACE_BEFORE_PERCENT.sub("\u00a0", value)
    if isinstance(value, dict):
        return {key: _percent_kept_together(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_percent_kept_together(item) for item in value]
    return value


def get_labels(language: str = "fi") -> Labels:
    """Labels for ``language`` (``"fi"`` or ``"en"``).

    Raises
    ------
    ValueError
        If ``language`` is not one of the supported languages.
    """
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, got {language!r}")
    return Labels(language=language, texts=_read(language))
