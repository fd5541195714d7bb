"""SMS parts: GSM 03.38 tables, the single/concatenated boundaries of both encodings, extension
characters, emoji and Cyrillic."""

from __future__ import annotations

import dataclasses

import pytest

from esputnik_mcp.toolkit.sms_parts import GSM_BASIC, GSM_EXTENSION, SmsParts, sms_parts


def test_the_basic_table_is_the_gsm_03_38_default_alphabet_in_code_order() -> None:
    assert len(GSM_BASIC) == 128
    assert len(set(GSM_BASIC)) == 128
    expected = {0x00: "@", 0x09: "Ç", 0x0A: "\n", 0x0D: "\r", 0x10: "Δ", 0x1B: "\x1b", 0x1F: "É", 0x20: " "}
    expected |= {0x24: "¤", 0x40: "¡", 0x41: "A", 0x5F: "§", 0x60: "¿", 0x61: "a", 0x7F: "à", 0x02: "$"}
    assert {code: GSM_BASIC[code] for code in expected} == expected


def test_the_extension_table_has_its_ten_characters() -> None:
    assert sorted(GSM_EXTENSION.values()) == sorted("\f^{}\\[~]|€")


def test_empty_text_is_no_sms() -> None:
    assert sms_parts("") == SmsParts("GSM-7", 0, 0, 160)


@pytest.mark.parametrize(
    ("length", "parts", "per_part"),
    [(1, 1, 160), (160, 1, 160), (161, 2, 153), (306, 2, 153), (307, 3, 153), (459, 3, 153), (460, 4, 153)],
)
def test_gsm_boundaries(length: int, parts: int, per_part: int) -> None:
    assert sms_parts("a" * length) == SmsParts("GSM-7", length, parts, per_part)


@pytest.mark.parametrize(
    ("length", "parts", "per_part"),
    [(1, 1, 70), (70, 1, 70), (71, 2, 67), (134, 2, 67), (135, 3, 67), (201, 3, 67), (202, 4, 67)],
)
def test_ucs2_boundaries_with_cyrillic(length: int, parts: int, per_part: int) -> None:
    assert sms_parts("ж" * length) == SmsParts("UCS-2", length, parts, per_part)


def test_cyrillic_text_is_ucs2_counted_in_characters() -> None:
    assert sms_parts("Привіт, Олено! Ваша знижка 15%") == SmsParts("UCS-2", 30, 1, 70)


def test_one_cyrillic_letter_switches_a_latin_text_to_ucs2() -> None:
    assert sms_parts("a" * 100) == SmsParts("GSM-7", 100, 1, 160)
    assert sms_parts("a" * 99 + "я") == SmsParts("UCS-2", 100, 2, 67)


@pytest.mark.parametrize("char", list("^{}\\[~]|€\f"))
def test_extension_characters_count_two_septets(char: str) -> None:
    assert sms_parts("a" + char) == SmsParts("GSM-7", 3, 1, 160)


def test_extension_characters_fill_a_single_part_twice_as_fast() -> None:
    assert sms_parts("€" * 80) == SmsParts("GSM-7", 160, 1, 160)
    assert sms_parts("{" * 81) == SmsParts("GSM-7", 162, 2, 153)
    assert sms_parts("a" * 159 + "]") == SmsParts("GSM-7", 161, 2, 153)


def test_an_escape_pair_is_never_cut_between_parts() -> None:
    # 306 septets would fit two parts of 153, but the euro sign would straddle them: it moves whole
    # to the second part, which then overflows by one septet into a third.
    text = "a" * 152 + "€" + "a" * 152
    assert sms_parts(text) == SmsParts("GSM-7", 306, 3, 153)


def test_basic_table_characters_that_look_special_count_once() -> None:
    assert sms_parts("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ!\"#¤%&'()*+,-./:;<=>?¡ÄÖÑÜ§¿äöñüà\r\n").encoding == "GSM-7"
    assert sms_parts("$¤§\n").characters == 4


@pytest.mark.parametrize("text", ["façade", "“quoted”", "it’s", "no\u00a0break", "`tick`", "x\x1by"])
def test_characters_outside_the_default_alphabet_switch_to_ucs2(text: str) -> None:
    assert sms_parts(text).encoding == "UCS-2"


def test_an_emoji_switches_to_ucs2_and_counts_two_code_units() -> None:
    # Outside the Basic Multilingual Plane, an emoji is a UTF-16 surrogate pair on the wire.
    assert sms_parts("Hi 😀") == SmsParts("UCS-2", 5, 1, 70)
    assert sms_parts("a" * 68 + "😀") == SmsParts("UCS-2", 70, 1, 70)
    assert sms_parts("a" * 69 + "😀") == SmsParts("UCS-2", 71, 2, 67)


def test_a_surrogate_pair_is_never_cut_between_parts() -> None:
    text = "ж" * 66 + "😀" + "ж" * 66  # 134 units: two parts by arithmetic, three when split whole
    assert sms_parts(text) == SmsParts("UCS-2", 134, 3, 67)


def test_characters_of_the_basic_plane_beyond_latin_count_once() -> None:
    assert sms_parts("✓☺€ж").characters == 4  # € is GSM only among GSM characters; here the text is UCS-2


def test_the_result_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        sms_parts("a").parts = 2  # type: ignore[misc]
