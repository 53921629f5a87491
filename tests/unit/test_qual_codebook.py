"""Codebook loading, validation errors that name the code, labels, REFI-QDA round trip."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import yaml

from cxresearch.errors import ParamsError
from cxresearch.qual.codebook import QDC_NAMESPACE, load_codebook, read_qdc, write_qdc
from cxresearch.qual.normalise import BaseForms

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT / "params" / "codebooks" / "cx-default.yaml"


@pytest.fixture(scope="module")
def forms() -> BaseForms:
    return BaseForms()


@pytest.fixture(scope="module")
def book(forms):
    return load_codebook(DEFAULT, forms=forms)


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "book.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def base(**extra) -> dict:
    code = {
        "code": "price",
        "label": {"fi": "Hinta", "en": "Price"},
        "rules": {"fi": {"words": ["hinta"]}},
        **extra,
    }
    return {"name": "t", "codes": [code]}


def test_default_codebook_structure(book):
    assert book.themes == [
        "price",
        "reliability",
        "service",
        "ease",
        "speed",
        "communication",
        "delivery",
        "billing",
    ]
    assert book.ancestors("price.fees") == ["price"] and book.top("price.fees") == "price"
    assert book.children("delivery") == ["delivery.pickup", "delivery.problems"]
    assert book["price.level"].sentiment == "negative"
    assert book.label("price", "fi") == "Hinta" and book.missing_labels("fi") == []
    assert len(book.sha256) == 64


def test_unknown_key_names_the_code(tmp_path, forms):
    data = base()
    data["codes"][0]["children"] = [{"code": "price.fees", "label": {"fi": "Maksut"}, "rulez": {}}]
    with pytest.raises(ParamsError, match=r"\[code price.fees\].*rulez: unknown key"):
        load_codebook(write(tmp_path, data), forms=forms)


def test_duplicate_code(tmp_path, forms):
    data = base()
    data["codes"].append(dict(data["codes"][0]))
    with pytest.raises(ParamsError, match="code 'price' is defined twice"):
        load_codebook(write(tmp_path, data), forms=forms)


def test_bad_pattern_names_the_code(tmp_path, forms):
    data = base(rules={"fi": {"patterns": ["(hinta"]}})
    with pytest.raises(ParamsError, match=r"code 'price': rules.fi.patterns: '\(hinta' is not"):
        load_codebook(write(tmp_path, data), forms=forms)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"code": "Price!"}, "is not a code"),
        ({"rules": {"sv": {"words": ["pris"]}}}, r"rules has language\(s\) \['sv'\]"),
        ({"rules": {"fi": {"words": ["liian kallis"]}}}, "is not one word"),
        ({"rules": {"fi": {"phrases": ["kallis"]}}}, "needs two words"),
        ({"label": {}}, "label needs at least one language"),
        ({"sentiment": "angry"}, "sentiment"),
    ],
)
def test_invalid_codes(tmp_path, forms, change, message):
    with pytest.raises(ParamsError, match=message):
        load_codebook(write(tmp_path, base(**change)), forms=forms)


def test_unreadable_files(tmp_path, forms):
    with pytest.raises(ParamsError, match="cannot read codebook"):
        load_codebook(tmp_path / "missing.yaml", forms=forms)
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [", encoding="utf-8")
    with pytest.raises(ParamsError, match="not valid UTF-8 YAML"):
        load_codebook(bad, forms=forms)


def test_missing_label_falls_back_and_is_listed(tmp_path, forms):
    data = base(label={"fi": "Hinta"})
    book = load_codebook(write(tmp_path, data), forms=forms)
    assert book.label("price", "en") == "Hinta"
    assert book.missing_labels("en") == ["price"]


def test_qdc_round_trip(book, tmp_path):
    path = write_qdc(book, tmp_path / "cx.qdc", language="fi")
    root = ET.parse(path).getroot()
    assert root.tag == f"{{{QDC_NAMESPACE}}}CodeBook" and root.get("origin") == "cxresearch"
    codes = root.findall(f".//{{{QDC_NAMESPACE}}}Code")
    assert len(codes) == len(book)
    assert all(c.get("isCodable") == "true" and len(c.get("guid", "")) == 36 for c in codes)
    assert codes[0].get("name") == "Hinta"
    back = read_qdc(path, language="fi")
    assert back.names == book.names
    assert [c.parent for c in back] == [c.parent for c in book]
    assert [dict(c.label) for c in back] == [dict(c.label) for c in book]
    assert [c.sentiment for c in back] == [c.sentiment for c in book]
    assert book["price"].description["fi"] in back["price"].description["fi"]
    # same codebook, same GUIDs: a re-export updates codes in the receiving tool
    again = write_qdc(book, tmp_path / "again.qdc", language="fi")
    assert again.read_bytes() == path.read_bytes()


def test_qdc_from_another_tool(tmp_path):
    xml = f"""<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="{QDC_NAMESPACE}" origin="QualCoder">
  <Codes>
    <Code guid="DFE5C38E-9449-5959-A1F7-E3D895CFA87F" name="Slow delivery" isCodable="true">
      <Description>Late parcels</Description>
      <Code guid="0D62985D-B147-5D01-A9B5-CAE5DCD98342" name="Slow delivery" isCodable="true"/>
    </Code>
  </Codes>
</CodeBook>"""
    path = tmp_path / "other.qdc"
    path.write_text(xml, encoding="utf-8")
    book = read_qdc(path)
    assert book.names == ["slow-delivery", "slow-delivery-2"]
    assert book["slow-delivery-2"].parent == "slow-delivery"
    assert book.label("slow-delivery", "en") == "Slow delivery"
    (tmp_path / "bad.qdc").write_text("<Other/>", encoding="utf-8")
    with pytest.raises(ParamsError, match="not CodeBook"):
        read_qdc(tmp_path / "bad.qdc")
