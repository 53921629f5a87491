"""Codebooks: hierarchical themes with labels, definitions and matching rules per language.

A codebook is a YAML file (``params/codebooks/<name>.yaml``)::

    name: cx-default
    version: "2026.1"
    languages: [fi, en]
    codes:
      - code: price
        label: {fi: Hinta, en: Price}
        description: {fi: ..., en: ...}
        include: {en: "Price level, value for money, fees, pricing clarity."}
        exclude: {en: "Invoice errors: reliability.billing."}
        examples: {fi: [Liian kallis.], en: [Too expensive.]}
        rules:
          fi: {words: [hinta, kallis], phrases: [hinta-laatusuhde], patterns: ['\\d+ ?€']}
          en: {words: [price, expensive], phrases: [value for money]}
        children:
          - code: price.fees
            sentiment: negative
            ...

``words`` are matched on base forms, so one entry covers every inflection, and as the head
of a compound (``automaatti`` matches ``pakettiautomaatti``); ``phrases`` are sequences of
base forms matched in order; ``patterns`` are regular expressions on the case-folded text.
``sentiment`` (``positive`` / ``negative``) marks a code whose meaning carries a direction.

:func:`load_codebook` validates everything on load: unknown keys, duplicate codes, a code
that is not a slug, a language not declared, a pattern that does not compile; each error
names the file and the code. :func:`write_qdc` / :func:`read_qdc` move the code tree to and
from QualCoder, ATLAS.ti, NVivo and MAXQDA in the REFI-QDA codebook format (``.qdc``).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from xml.etree import ElementTree as ET

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cxresearch.errors import ParamsError
from cxresearch.params import read_yaml
from cxresearch.qual.normalise import LANGUAGES, BaseForms, normalise_text, tokenise

__all__ = [
    "Code",
    "Codebook",
    "Rules",
    "load_codebook",
    "read_qdc",
    "write_qdc",
]

CODE = re.compile(r"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)*$")
Sentiment = Literal["positive", "negative"]
QDC_NAMESPACE = "urn:QDA-XML:codebook:1.0"
_GUID_NAMESPACE = uuid.UUID("6f1c2a52-8f0e-4d4c-9d55-3c5b0c6a2f10")


# --- the YAML schema (pydantic: unknown keys are errors) ----------------------------------
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _RulesSpec(_Strict):
    words: list[str] = Field(default_factory=list)
    phrases: list[str] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list)


class _CodeSpec(_Strict):
    code: str
    label: dict[str, str]
    description: dict[str, str] = Field(default_factory=dict)
    include: dict[str, str] = Field(default_factory=dict)
    exclude: dict[str, str] = Field(default_factory=dict)
    examples: dict[str, list[str]] = Field(default_factory=dict)
    rules: dict[str, _RulesSpec] = Field(default_factory=dict)
    sentiment: Sentiment | None = None
    children: list[_CodeSpec] = Field(default_factory=list)


def _all_languages() -> list[Literal["fi", "en"]]:
    return ["fi", "en"]


class _CodebookSpec(_Strict):
    name: str
    version: str | int | float = "1"
    languages: list[Literal["fi", "en"]] = Field(default_factory=_all_languages)
    description: dict[str, str] = Field(default_factory=dict)
    codes: list[_CodeSpec] = Field(min_length=1)


# --- the loaded codebook ------------------------------------------------------------------
@dataclass(frozen=True)
class Rules:
    """One code's matching rules in one language, already in base forms.

    Attributes
    ----------
    words
        Base forms (from the YAML words, lemmatised once on load).
    phrases
        Tuples of base forms matched consecutively.
    patterns
        Compiled regular expressions on the case-folded text.
    """

    words: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()
    patterns: tuple[re.Pattern[str], ...] = ()
    word_sources: tuple[str, ...] = ()
    phrase_sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Code:
    """One theme or sub-theme."""

    code: str
    parent: str | None
    label: Mapping[str, str]
    description: Mapping[str, str] = field(default_factory=dict)
    include: Mapping[str, str] = field(default_factory=dict)
    exclude: Mapping[str, str] = field(default_factory=dict)
    examples: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    rules: Mapping[str, Rules] = field(default_factory=dict)
    sentiment: Sentiment | None = None
    depth: int = 0


@dataclass(frozen=True)
class Codebook:
    """A validated codebook: codes in file order (parents before their children).

    Build it with :func:`load_codebook` (or :func:`read_qdc` for a code tree without rules).
    """

    name: str
    version: str
    languages: tuple[str, ...]
    codes: tuple[Code, ...]
    source: str = "<memory>"
    sha256: str = ""

    def __iter__(self) -> Iterator[Code]:
        return iter(self.codes)

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, code: str) -> Code:
        for item in self.codes:
            if item.code == code:
                return item
        raise KeyError(f"{self.source}: no code {code!r} in codebook {self.name!r}")

    @property
    def names(self) -> list[str]:
        """Every code, parents first."""
        return [c.code for c in self.codes]

    @property
    def themes(self) -> list[str]:
        """Top-level codes."""
        return [c.code for c in self.codes if c.parent is None]

    def children(self, code: str) -> list[str]:
        """Direct sub-codes of ``code``."""
        return [c.code for c in self.codes if c.parent == code]

    def ancestors(self, code: str) -> list[str]:
        """Parent, grandparent, … of ``code`` (nearest first)."""
        out: list[str] = []
        parent = self[code].parent
        while parent is not None:
            out.append(parent)
            parent = self[parent].parent
        return out

    def top(self, code: str) -> str:
        """The top-level theme ``code`` belongs to."""
        chain = self.ancestors(code)
        return chain[-1] if chain else code

    def label(self, code: str, language: str) -> str:
        """The code's label in ``language``, else in another language, else the code itself.

        :meth:`missing_labels` lists the codes for which the fallback is used, so a
        report can say so instead of hiding it.
        """
        labels = self[code].label
        if language in labels:
            return labels[language]
        for other in (*self.languages, *labels):
            if other in labels:
                return labels[other]
        return code

    def missing_labels(self, language: str) -> list[str]:
        """Codes without a label in ``language``."""
        return [c.code for c in self.codes if language not in c.label]

    def summary(self, language: str) -> list[dict[str, Any]]:
        """One row per code for a report table: code, label, parent, sentiment, rule counts."""
        rows = []
        for c in self.codes:
            rules = c.rules.get(language, Rules())
            rows.append(
                {
                    "code": c.code,
                    "label": self.label(c.code, language),
                    "depth": c.depth,
                    "parent": c.parent,
                    "sentiment": c.sentiment,
                    "description": c.description.get(language, ""),
                    "words": len(rules.words),
                    "phrases": len(rules.phrases),
                    "patterns": len(rules.patterns),
                }
            )
        return rows


def _fail(source: str, message: str) -> ParamsError:
    return ParamsError(f"{source}: codebook: {message}")


def _format_error(source: str, raw: Any, error: ValidationError) -> str:
    lines = [f"{source}: invalid codebook"]
    for item in error.errors():
        location = list(item["loc"])
        # name the code whose entry is wrong, not only its list position
        path: list[str] = []
        node: Any = raw
        for part in location:
            if isinstance(node, Mapping) and isinstance(node.get("code"), str):
                path.append(f"[code {node['code']}]")
            node = node[part] if isinstance(node, Mapping | list) and _has(node, part) else None  # type: ignore[index]
            path.append(str(part))
        key = ".".join(path).replace(".[", " [") or "(top level)"
        if item["type"] == "extra_forbidden":
            lines.append(f"  {key}: unknown key")
        elif item["type"] == "missing":
            lines.append(f"  {key}: required key is missing")
        else:
            lines.append(f"  {key}: {item['msg']} (got {item.get('input')!r})")
    return "\n".join(lines)


def _has(node: Any, part: Any) -> bool:
    if isinstance(node, Mapping):
        return part in node
    return isinstance(part, int) and 0 <= part < len(node)


def _flatten(specs: list[_CodeSpec], parent: str | None, depth: int) -> Iterator[tuple]:
    for spec in specs:
        yield spec, parent, depth
        yield from _flatten(spec.children, spec.code, depth + 1)


def _rules(source: str, code: str, lang: str, spec: _RulesSpec, forms: BaseForms) -> Rules:
    patterns = []
    for pattern in spec.patterns:
        try:
            patterns.append(re.compile(pattern, re.IGNORECASE))
        except re.error as exc:
            raise _fail(
                source,
                f"code {code!r}: rules.{lang}.patterns: {pattern!r} is not a "
                f"valid regular expression ({exc})",
            ) from None
    words: list[str] = []
    sources: list[str] = []
    for word in spec.words:
        tokens = [t.text for t in tokenise(normalise_text(word))]
        if len(tokens) != 1:
            raise _fail(
                source,
                f"code {code!r}: rules.{lang}.words: {word!r} is not one word "
                "(put several words under 'phrases')",
            )
        words.append(tokens[0])
        sources.append(word)
        # The dictionary's base form of the rule word too, when it only changes the ending
        # (pakettiautomaatti -> pakettiautomaattaa in simplemma); a base form that cuts a
        # compound short (toimitusmaksu -> toimitus) would match far too much.
        base = forms.base_form(tokens[0], lang)
        if base != tokens[0] and base.startswith(tokens[0][: max(3, len(tokens[0]) - 4)]):
            words.append(base)
            sources.append(word)
    phrases = []
    for phrase in spec.phrases:
        tokens = [t.text for t in tokenise(normalise_text(phrase))]
        if len(tokens) < 2:
            raise _fail(
                source,
                f"code {code!r}: rules.{lang}.phrases: {phrase!r} needs two "
                "words or more (a single word goes under 'words')",
            )
        phrases.append(tuple(forms.base_forms(tokens, lang)))
    return Rules(
        words=tuple(words),
        phrases=tuple(phrases),
        patterns=tuple(patterns),
        word_sources=tuple(sources),
        phrase_sources=tuple(spec.phrases),
    )


def codebook_from_mapping(
    raw: Any, *, source: str = "<memory>", sha256: str = "", forms: BaseForms | None = None
) -> Codebook:
    """Validate a codebook given as a mapping (the parsed YAML); see :func:`load_codebook`."""
    if not isinstance(raw, Mapping):
        raise _fail(source, "expected a mapping with 'name' and 'codes' at the top level")
    try:
        spec = _CodebookSpec.model_validate(raw)
    except ValidationError as exc:
        raise ParamsError(_format_error(source, raw, exc)) from None
    forms = forms if forms is not None else BaseForms()
    languages = tuple(dict.fromkeys(spec.languages))
    seen: set[str] = set()
    codes: list[Code] = []
    for item, parent, depth in _flatten(spec.codes, None, 0):
        if not CODE.match(item.code):
            raise _fail(
                source,
                f"code {item.code!r} is not a code (lower-case a-z, 0-9, '_', "
                "'-', parts joined by '.')",
            )
        if item.code in seen:
            raise _fail(source, f"code {item.code!r} is defined twice")
        seen.add(item.code)
        for key in ("label", "description", "include", "exclude", "examples", "rules"):
            unknown = sorted(set(getattr(item, key)) - set(languages))
            if unknown:
                raise _fail(
                    source,
                    f"code {item.code!r}: {key} has language(s) {unknown} that "
                    f"are not in languages {list(languages)}",
                )
        if not item.label:
            raise _fail(source, f"code {item.code!r}: label needs at least one language")
        rules = {lang: _rules(source, item.code, lang, r, forms) for lang, r in item.rules.items()}
        codes.append(
            Code(
                code=item.code,
                parent=parent,
                label=dict(item.label),
                description=dict(item.description),
                include=dict(item.include),
                exclude=dict(item.exclude),
                examples={k: tuple(v) for k, v in item.examples.items()},
                rules=rules,
                sentiment=item.sentiment,
                depth=depth,
            )
        )
    return Codebook(
        name=spec.name,
        version=str(spec.version),
        languages=languages,
        codes=tuple(codes),
        source=source,
        sha256=sha256,
    )


def load_codebook(path: str | Path, *, forms: BaseForms | None = None) -> Codebook:
    """Read and validate a codebook YAML file.

    Parameters
    ----------
    path : str or Path
        The codebook (``params/codebooks/<name>.yaml``), read with ``yaml.safe_load``.
    forms : BaseForms, optional
        Base-form look-ups (pass the project's cached one to avoid loading the dictionary).

    Returns
    -------
    Codebook

    Raises
    ------
    ParamsError
        Unreadable file, invalid YAML, unknown key, duplicate or malformed code, a language
        not declared, a pattern that does not compile; the message names the file and code.

    Examples
    --------
    >>> book = load_codebook("params/codebooks/cx-default.yaml")  # doctest: +SKIP
    >>> book.label("price", "fi")  # doctest: +SKIP
    'Hinta'
    """
    path = Path(path)
    raw, raw_bytes = read_yaml(path, "codebook")
    digest = hashlib.sha256(raw_bytes).hexdigest()
    return codebook_from_mapping(raw, source=str(path), sha256=digest, forms=forms)


# --- REFI-QDA codebook exchange -----------------------------------------------------------
def _guid(book: Codebook, code: str) -> str:
    return str(uuid.uuid5(_GUID_NAMESPACE, f"{book.name}/{code}")).upper()


def _description(book: Codebook, code: Code, language: str) -> str:
    lines = [f"code: {code.code}"]
    lines += [f"label.{lang}: {text}" for lang, text in code.label.items()]
    if code.sentiment:
        lines.append(f"sentiment: {code.sentiment}")
    text = code.description.get(language) or next(iter(code.description.values()), "")
    parts = ["\n".join(lines)]
    if text:
        parts.append(text)
    if code.include.get(language):
        parts.append(f"Include: {code.include[language]}")
    if code.exclude.get(language):
        parts.append(f"Exclude: {code.exclude[language]}")
    examples = code.examples.get(language, ())
    if examples:
        parts.append("Examples:\n" + "\n".join(f"- {e}" for e in examples))
    return "\n\n".join(parts)


def write_qdc(book: Codebook, path: str | Path, *, language: str = "en") -> Path:
    """Write the code tree as a REFI-QDA codebook (``.qdc``, Codebook.xsd 1.0).

    Each code becomes a ``<Code>`` named by its label in ``language``, with a GUID that is
    stable for the codebook name and code (so re-exports update, not duplicate, codes in
    the receiving tool) and a ``<Description>`` that starts with a small header (``code:``,
    ``label.<lang>:``, ``sentiment:``) followed by the description, inclusion and exclusion
    notes and examples. Matching rules have no place in the standard and stay in the YAML.

    Examples
    --------
    >>> write_qdc(book, "codebook.qdc", language="fi")  # doctest: +SKIP
    """
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, got {language!r}")
    ET.register_namespace("", QDC_NAMESPACE)
    root = ET.Element(f"{{{QDC_NAMESPACE}}}CodeBook", {"origin": "cxresearch"})
    codes_el = ET.SubElement(root, f"{{{QDC_NAMESPACE}}}Codes")
    elements: dict[str, ET.Element] = {}
    for code in book:
        parent = codes_el if code.parent is None else elements[code.parent]
        element = ET.SubElement(
            parent,
            f"{{{QDC_NAMESPACE}}}Code",
            {
                "guid": _guid(book, code.code),
                "name": book.label(code.code, language),
                "isCodable": "true",
            },
        )
        description = ET.SubElement(element, f"{{{QDC_NAMESPACE}}}Description")
        description.text = _description(book, code, language)
        elements[code.code] = element
    ET.indent(root)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n")
    return out


_HEADER = re.compile(r"^(code|label\.(fi|en)|sentiment): (.*)$")


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", normalise_text(name).casefold()).strip("-")
    return slug or "code"


def read_qdc(path: str | Path, *, language: str = "en") -> Codebook:
    """Read a REFI-QDA codebook (``.qdc``) into a :class:`Codebook` without rules.

    Codes written by :func:`write_qdc` get back their codes, labels, sentiment and
    description; codes made in another tool get a code from their name (``"Slow
    delivery"`` -> ``slow-delivery``, made unique) and their name as the ``language`` label.

    Raises
    ------
    ParamsError
        Not XML, not a REFI-QDA codebook, a code without a name; names the file.
    """
    path = Path(path)
    try:
        tree = ET.parse(path)
    except (OSError, ET.ParseError) as exc:
        raise ParamsError(f"{path}: not a readable REFI-QDA codebook: {exc}") from exc
    root = tree.getroot()
    if root.tag != f"{{{QDC_NAMESPACE}}}CodeBook":
        raise ParamsError(f"{path}: root element is {root.tag!r}, not CodeBook in {QDC_NAMESPACE}")
    codes: list[Code] = []
    used: set[str] = set()
    ns = {"q": QDC_NAMESPACE}

    def walk(element: ET.Element, parent: str | None, depth: int) -> None:
        for child in element.findall("q:Code", ns):
            name = child.get("name")
            if not name:
                raise ParamsError(f"{path}: a Code (guid {child.get('guid')}) has no name")
            text = child.findtext("q:Description", default="", namespaces=ns) or ""
            header: dict[str, str] = {}
            body = text
            blocks = text.split("\n\n", 1)
            lines = blocks[0].splitlines()
            if lines and all(_HEADER.match(line) for line in lines):
                header = {m.group(1): m.group(3) for m in map(_HEADER.match, lines) if m}
                body = blocks[1] if len(blocks) > 1 else ""
            code = header.get("code") or _slug(name)
            if not CODE.match(code):
                code = _slug(code)
            base, k = code, 2
            while code in used:
                code, k = f"{base}-{k}", k + 1
            used.add(code)
            labels = {key.split(".")[1]: v for key, v in header.items() if key.startswith("label.")}
            if not labels:
                labels = {language: name}
            sentiment = header.get("sentiment")
            codes.append(
                Code(
                    code=code,
                    parent=parent,
                    label=labels,
                    description={language: body} if body else {},
                    sentiment=sentiment if sentiment in ("positive", "negative") else None,  # type: ignore[arg-type]
                    depth=depth,
                )
            )
            walk(child, code, depth + 1)

    codes_el = root.find("q:Codes", ns)
    if codes_el is not None:
        walk(codes_el, None, 0)
    return Codebook(
        name=path.stem,
        version="qdc",
        languages=tuple(sorted({lang for c in codes for lang in c.label} or {language})),
        codes=tuple(codes),
        source=str(path),
    )
