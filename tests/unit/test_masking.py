"""cxresearch.qual.masking: the one masking function, on what it must and must not mask."""

from __future__ import annotations

import doctest

import pytest

import cxresearch
from cxresearch.qual import masking
from cxresearch.qual.masking import (
    PLACEHOLDERS,
    find_personal_data,
    is_valid_hetu,
    is_valid_iban,
    mask_personal_data,
)


def test_docstring_examples_run() -> None:
    result = doctest.testmod(masking, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 8 and result.failed == 0


def test_exported_lazily_from_package_and_qual() -> None:
    assert cxresearch.mask_personal_data is mask_personal_data
    from cxresearch import qual

    assert qual.mask_personal_data is mask_personal_data


# --------------------------------------------------------------------------- e-mail


@pytest.mark.parametrize(
    "address",
    [
        "matti.meikalainen@example.fi",
        "Maija.Mäkelä@yritys.fi",
        "first+tag@sub.example.co.uk",
        "x_y-z%1@mail-server.example.com",
    ],
)
def test_email_masked(address: str) -> None:
    assert mask_personal_data(f"Ota yhteyttä: {address}.") == "Ota yhteyttä: [email]."


def test_email_typed_into_a_score_column() -> None:
    assert mask_personal_data("nps value 'matti@example.fi'") == "nps value '[email]'"


@pytest.mark.parametrize("text", ["@kotiposti on Twitterissä", "a@b", "hinta 5 @ 10 €"])
def test_not_an_email(text: str) -> None:
    assert mask_personal_data(text) == text


def test_email_pattern_does_not_hang_on_hostile_input() -> None:
    # Bounded repetition: this returns at once (an unbounded pattern backtracks for long).
    text = "a@" + "b." * 20_000 + "1"
    assert mask_personal_data(text) == text


# --------------------------------------------------------------------------- identity codes


@pytest.mark.parametrize(
    "code",
    [
        "131052-308T",  # DVV's example
        "010594Y9021",  # DVV's example of the 1900s signs introduced in 2023
        "010594y9021",
        "020502A903Y",  # 2000s, temporary number (900-999)
        "010101+0101",  # 1800s (check computed: 010101010 % 31 -> 1)
    ],
)
def test_valid_identity_codes(code: str) -> None:
    assert is_valid_hetu(code)
    assert mask_personal_data(f"hetuni on {code}, soittakaa") == "hetuni on [id code], soittakaa"


@pytest.mark.parametrize("sign", list("-UVWXY"))
def test_every_1900s_century_sign(sign: str) -> None:
    assert is_valid_hetu(f"131052{sign}308T")


@pytest.mark.parametrize("sign", list("ABCDEF"))
def test_every_2000s_century_sign(sign: str) -> None:
    # 010203 + 123: 010203123 % 31 = 0 -> "0"; 020502903 % 31 = 30 -> "Y" (the table
    # skips G, I, O, Q, Z, so index 30 is Y).
    assert is_valid_hetu(f"010203{sign}1230")
    assert is_valid_hetu(f"020502{sign}903Y")


@pytest.mark.parametrize(
    "text",
    [
        "131052-308A",  # wrong check character
        "311352-308T",  # month 13
        "290201A123B",  # 29 Feb 2001 does not exist
        "131052G308T",  # G is no century sign
        "131052-308TX",  # longer word
        "12131052-308T",  # inside a longer number
    ],
)
def test_identity_code_look_alikes_not_masked(text: str) -> None:
    assert not is_valid_hetu(text)
    assert "[id code]" not in mask_personal_data(text)


def test_identity_code_century_matters_for_the_date() -> None:
    # 29 Feb 1900 did not exist (1900 is no leap year); 29 Feb 2000 did.
    assert not any(is_valid_hetu(f"290200-{n:03d}{c}") for n in (123,) for c in "0123456789")
    check = masking._HETU_CHECK[int("290200123") % 31]
    assert is_valid_hetu(f"290200A123{check}")
    assert not is_valid_hetu(f"290200-123{check}")


# --------------------------------------------------------------------------- IBAN


@pytest.mark.parametrize(
    "iban",
    [
        "FI21 1234 5600 0007 85",  # Finnish example (Finance Finland)
        "FI2112345600000785",
        "GB82 WEST 1234 5698 7654 32",  # ECBS registry example
        "DE89 3704 0044 0532 0130 00",  # ECBS registry example
        "SE45 5000 0000 0583 9825 7466",  # ECBS registry example
    ],
)
def test_iban_masked(iban: str) -> None:
    assert is_valid_iban(iban)
    assert mask_personal_data(f"Tilini {iban}, kiitos") == "Tilini [IBAN], kiitos"


def test_iban_with_wrong_check_digits_is_not_an_iban() -> None:
    assert not is_valid_iban("FI21 1234 5600 0007 86")
    assert "[IBAN]" not in mask_personal_data("FI21 1234 5600 0007 86")


def test_iban_followed_by_more_digits() -> None:
    assert mask_personal_data("FI21 1234 5600 0007 85 2026") == "[IBAN] 2026"


# --------------------------------------------------------------------------- phone numbers


@pytest.mark.parametrize(
    "number",
    [
        "040 123 4567",
        "040-123 4567",
        "040-123 45 67",
        "0401234567",
        "050 12345",
        "(09) 123 4567",
        "09-1234567",
        "020 123 456",
        "0800 12345",
        "+358 40 123 4567",
        "+358401234567",
        "+358 (0)40 123 4567",
        "00358 40 123 4567",
        "358 40 123 4567",
        "+44 20 7946 0958",
        "+1 (555) 123-4567",
        "+1.555.123.4567",
        "0046 8 123 456 78",
    ],
)
def test_phone_numbers_masked(number: str) -> None:
    assert mask_personal_data(f"Soittakaa {number}, kiitos.") == "Soittakaa [phone], kiitos."


def test_phone_number_at_sentence_end_and_after_other_numbers() -> None:
    assert mask_personal_data("puh. 040 1234 567.") == "puh. [phone]."
    assert mask_personal_data("Tilaus 12 040 123 4567") == "Tilaus 12 [phone]"
    assert mask_personal_data("puh.0401234567") == "puh.[phone]"


@pytest.mark.parametrize(
    "text",
    [
        "13.10.2024",
        "2024-05-01",
        "01-02-2024",
        "01.02.2024 klo 09.30",
        "Maksoin 1 234,50 € ja 0,50 €",
        "1 000 000 asiakasta",
        "30 000 €",
        "NPS 42, +35 pistettä, muutos +12 345 678",
        "annoin 9/10 ja 10/10",
        "asteikko 0 1 2 3 4 5 6 7 8 9 10",
        "00100 Helsinki",
        "PL 123, 00101 Helsinki",
        "aalto 2026Q3 ja 2026Q2",
        "tilausnumero 123456789",
        "Vuosi 2025: 1234 vastausta",
        "0 10 20 30 40 50",
    ],
)
def test_not_phone_numbers(text: str) -> None:
    assert mask_personal_data(text) == text


# --------------------------------------------------------------------------- names


def test_names_from_params_with_case_endings() -> None:
    names = ["Matti Virtanen", "Anna"]
    text = "Matti Virtanen ja anna auttoivat; Annalle kiitos, Mattia en tavannut"
    assert (
        mask_personal_data(text, names=names)
        == "[name] ja [name] auttoivat; [name] kiitos, Mattia en tavannut"
    )


def test_name_not_masked_inside_other_words() -> None:
    assert mask_personal_data("Savonlinna ja Annankatu", names=["Anna"]) == ("Savonlinna ja [name]")
    assert mask_personal_data("Annaliisankatu", names=["Anna"]) == "Annaliisankatu"


def test_name_arguments_checked() -> None:
    with pytest.raises(TypeError, match="list of names"):
        mask_personal_data("x", names="Anna")
    with pytest.raises(ValueError, match="too short"):
        mask_personal_data("x", names=["A"])
    assert mask_personal_data("Anna", names=["", "  "]) == "Anna"


# --------------------------------------------------------------------------- together


def test_a_comment_with_everything() -> None:
    text = (
        "Olen Matti (131052-308T), puh +358 40 123 4567 / matti@example.fi, "
        "tili FI21 1234 5600 0007 85. Annoin 3/10 ja NPS oli 42 13.10.2024."
    )
    assert mask_personal_data(text, names=["Matti"]) == (
        "Olen [name] ([id code]), puh [phone] / [email], "
        "tili [IBAN]. Annoin 3/10 ja NPS oli 42 13.10.2024."
    )


def test_spans_do_not_overlap_and_keep_no_text() -> None:
    spans = find_personal_data("FI21 1234 5600 0007 85 ja 040 123 4567")
    assert [s.kind for s in spans] == ["iban", "phone"]
    assert not hasattr(spans[0], "text")


def test_placeholders_can_be_localised() -> None:
    assert set(PLACEHOLDERS) == {"email", "iban", "id_code", "phone", "name"}
    got = mask_personal_data("a@b.fi 040 123 4567", placeholders={"email": "[sähköposti]"})
    assert got == "[sähköposti] [phone]"


def test_text_must_be_a_string() -> None:
    with pytest.raises(TypeError, match="str"):
        mask_personal_data(None)  # type: ignore[arg-type]
