"""The fast paths of email, phone and name checks decide exactly as the careful checks do: the same
value for what they accept, and for everything else the careful check's own refusal. Odd shapes the
fast path must hand over are listed by name; seeded random inputs cover the rest."""

from __future__ import annotations

import random
import re
from collections.abc import Callable

import pytest
from email_validator import rfc_constants

import esputnik_mcp.toolkit.params as params
from esputnik_mcp.toolkit.addresses import (
    _ATEXT,
    ROLE_MAILBOXES,
    careful_email,
    careful_phone,
    email_address,
    phone_number,
)


def outcome(check: Callable[[str], str], value: str) -> str:
    """What a check makes of ``value``: the value it gives, or its refusal."""
    try:
        return "ok: " + check(value)
    except ValueError as exc:
        return f"refused: {exc}"


ODD_EMAILS = [
    "olena@example.com",
    "Olena.Kovalenko+news@Example.COM",
    "  padded@example.com  ",
    "info@example.com",  # role mailboxes: email-validator lowercases their local part
    "Info@Example.com",
    "POSTMASTER@example.com",
    "informal@example.com",
    "o'neil@example.com",
    "a!#$%&'*+-/=?^_`{|}~z@example.com",
    "dot..twice@example.com",
    ".leading@example.com",
    "trailing.@example.com",
    "olena@example.com.",
    "olena@.example.com",
    "olena@example..com",
    "olena@-example.com",
    "olena@example-.com",
    "olena@ex--ample.com",  # two letters and two hyphens: not Punycode, refused
    "olena@xn--bcher-kva.example",  # Punycode: normalised to Unicode
    "olena@XN--BCHER-KVA.example",
    "olena@bücher.example",
    "олена@приклад.укр",
    "olena@localhost",
    "olena@example",
    "olena@mail.local",
    "olena@shop.test",
    "olena@site.invalid",
    "olena@example.123",
    "olena@[192.168.0.1]",
    '"quoted"@example.com',
    '"a@b"@example.com',
    "Olena <olena@example.com>",
    "olena＠example.com",
    "olena@@example.com",
    "olena@exam_ple.com",
    "olena example@example.com",
    "olena@",
    "@example.com",
    "plain",
    "",
    "a" * 64 + "@example.com",
    "a" * 65 + "@example.com",  # longer than RFC 5321's local part: allowed when not strict
    "a@" + "b" * 63 + ".com",
    "a@" + "b" * 64 + ".com",
    "a" * 240 + "@example.com",  # 252 characters
    "a" * 242 + "@example.com",  # 254
    "a" * 243 + "@example.com",  # 255: too long
    "a@" + ".".join(["b" * 60] * 4) + ".com",
    "e\u0301mile@example.com",  # a combining accent: NFC normalised
    "zoe\u0308@example.com",
    "olena@example.com\u200b",
]


@pytest.mark.parametrize("value", ODD_EMAILS)
def test_an_odd_email_gets_what_email_validator_gives(value: str) -> None:
    assert outcome(email_address, value) == outcome(careful_email, value)


def test_random_emails_get_what_email_validator_gives() -> None:
    rng = random.Random(13)
    alphabet = "abcXYZ019.-_+'@!%~ é\u0301ß.@İ"
    domains = ["example.com", "Example.COM", "ex-ample.co.uk", "mail.local", "xn--80a.com", "b.123", "a.b"]
    for _ in range(3000):
        local = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        domain = rng.choice(domains) if rng.random() < 0.7 else "".join(rng.choice(alphabet) for _ in range(6))
        value = f"{local}@{domain}"
        assert outcome(email_address, value) == outcome(careful_email, value), value


def test_the_fast_path_reads_a_local_part_as_email_validator_does() -> None:
    """Its character class and role mailboxes are email-validator's own."""
    for code in range(128):
        char = chr(code)
        fast = re.fullmatch(_ATEXT, char) is not None
        assert fast == (rfc_constants.DOT_ATOM_TEXT.match(char) is not None), repr(char)
    assert frozenset(rfc_constants.CASE_INSENSITIVE_MAILBOX_NAMES) == ROLE_MAILBOXES


ODD_PHONES = [
    "+380501234567",
    "+380 50 123 45 67",
    "+38 (050) 123-45-67",
    "+380.50.123.45.67",
    "+3805012345",  # too short for Ukraine
    "+38050123456789",  # too long
    "+380050123456",  # a national prefix after the country code
    "+4407911123456",
    "+447911123456",
    "+12025550123",
    "+112025550123",  # NANPA's national prefix
    "+79161234567",
    "+789161234567",  # Russia's national prefix
    "+5491123456789",  # Argentina: a national prefix rule that rewrites digits
    "+541123456789",
    "+5215512345678",  # Mexico's old mobile prefix
    "+525512345678",
    "+390612345678",  # Italy: a leading zero that stays
    "+39312345678",
    "+80012345678",  # a non-geographic code
    "+8821612345",
    "+999123456",  # no such country code
    "+0123456789",
    "+1",
    "+12",
    "+123",
    "380501234567",
    "00380501234567",
    "+380501234567x12",
    "+380501234567;ext=12",
    "＋380501234567",
    "+３８０501234567",
    "+380 50 ABC 45 67",
    "+1-800-FLOWERS",
    "++380501234567",
    "+" + "9" * 20,
    "+2901234",  # Saint Helena and Tristan da Cunha share +290
]


@pytest.mark.parametrize("value", ODD_PHONES)
def test_an_odd_phone_gets_what_phonenumbers_gives(value: str) -> None:
    assert outcome(phone_number, value) == outcome(careful_phone, value)


def test_random_phones_in_every_country_get_what_phonenumbers_gives() -> None:
    import phonenumbers

    rng = random.Random(17)
    codes = sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
    for code in codes:
        for length in range(1, 19):
            for _ in range(3):
                digits = "".join(rng.choice("0123456789") for _ in range(length))
                value = f"+{code}{digits}"
                assert outcome(phone_number, value) == outcome(careful_phone, value), value


ODD_NAMES = [
    "Olena",
    "Дарʼя",
    "Mary-Jane",
    "O'Neil",
    "O\u2019Neil",
    "Anna Maria",
    "Anna Maria Luisa",
    "Anna Maria Luisa Teresa",
    "A B C D",
    "Jean-Luc Picard-Smith",
    "Ann--Lee",
    "-Ann",
    "Ann-",
    "Ann '",
    "'Ann",
    "Ann-'Lee",
    "R2D2",
    "Ann²²²²",
    "Evans Jr.",
    "Smith.",
    "Nguyễn Văn A",
    "Nguye\u0302\u0303n",
    "Zoe\u0308",
    "Ann_Lee",
    "1234",
    "-- --",
    "\u02bcAnn",
    "Ann\u00a0Lee",
    "Ann\tLee",
]


@pytest.mark.parametrize("value", ODD_NAMES)
def test_an_odd_name_gets_what_the_careful_check_gives(value: str) -> None:
    assert outcome(params._person_name, value) == outcome(params._careful_name, value)


def test_random_names_get_what_the_careful_check_gives() -> None:
    rng = random.Random(19)
    alphabet = "AbcДжʼ'’-. 1²_é\u0301"
    for _ in range(5000):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
        assert outcome(params._person_name, value) == outcome(params._careful_name, value), value


def test_common_shapes_are_settled_without_the_careful_libraries(monkeypatch: pytest.MonkeyPatch) -> None:
    email_address("someone@example.com")  # the domain's verdict is kept from here on

    def careful(value: str) -> str:
        raise AssertionError(f"{value!r} went the careful way")

    monkeypatch.setattr("esputnik_mcp.toolkit.addresses.careful_email", careful)
    monkeypatch.setattr("esputnik_mcp.toolkit.addresses.careful_phone", careful)
    monkeypatch.setattr(params, "_careful_name", careful)
    assert email_address("Olena.Kovalenko+news@Example.COM") == "Olena.Kovalenko+news@example.com"
    assert phone_number("+380 50 123 45 67") == "+380501234567"
    assert phone_number("+447911123456") == "+447911123456"
    assert [params._person_name(n) for n in ("Olena", "Mary-Jane", "O'Neil", "Anna Maria")] == [
        "Olena",
        "Mary-Jane",
        "O'Neil",
        "Anna Maria",
    ]
