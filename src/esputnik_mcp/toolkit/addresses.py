"""Email addresses and phone numbers as the tools take them: checked, and in the one form eSputnik
and the ledger compare.

The careful libraries (email-validator, phonenumbers) decide every address; a bulk call brings
100,000 of them, which those libraries take tens of microseconds each to check. Each address first
meets a fast path that settles, in about a microsecond, the common shapes whose outcome is known:
a plain ASCII address at a domain already checked, an E.164 number whose digits need no rewriting.
The fast path only ever accepts, and returns exactly what the careful path would; whatever it cannot
settle (an odd address, a refusal, a number with a national prefix) goes to the careful path,
which decides it and words the refusal. Both libraries are imported on first use, not at start.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

# --- email ---------------------------------------------------------------------------------------

# email-validator's limit on a whole address (``EMAIL_MAX_LENGTH``), and the role mailboxes whose
# local part it lowercases (RFC 2142, ``CASE_INSENSITIVE_MAILBOX_NAMES``): left to the careful path.
EMAIL_MAX_LENGTH = 254
ROLE_MAILBOXES = frozenset(
    {
        "info",
        "marketing",
        "sales",
        "support",
        "abuse",
        "noc",
        "security",
        "postmaster",
        "hostmaster",
        "usenet",
        "news",
        "webmaster",
        "www",
        "uucp",
        "ftp",
    }
)
# RFC 5322's dot-atom of ASCII characters, as email-validator reads an unquoted local part (its
# ``DOT_ATOM_TEXT``): a local part of this shape, not a role mailbox, comes back from it unchanged.
_ATEXT = r"[A-Za-z0-9_!#$%&'*+\-/=?^`{|}~]"
_ROLES = "|".join(sorted(ROLE_MAILBOXES))
_PLAIN_ADDRESS = re.compile(rf"(?!(?i:{_ROLES})@)({_ATEXT}+(?:\.{_ATEXT}+)*)@([A-Za-z0-9.\-]+)")
_DOMAINS_CACHED = 4096


def careful_email(value: str) -> str:
    """``value`` as email-validator normalises it (no DNS lookup); ValueError saying why it cannot be
    an address."""
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"{value!r} is not a valid email address: {exc}") from None


@functools.lru_cache(maxsize=_DOMAINS_CACHED)
def _domain(domain: str) -> str | None:
    """The normalised form of an address's ASCII domain, or None when email-validator refuses it or
    it has Punycode labels (whose normal form is not ASCII). email-validator checks a domain apart
    from the local part, so one verdict holds for every address at it."""
    from email_validator import EmailNotValidError, validate_email

    if "xn--" in domain.lower():
        return None
    try:
        return validate_email(f"x@{domain}", check_deliverability=False).domain
    except EmailNotValidError:
        return None


def email_address(value: str) -> str:
    """``value`` as an email address, exactly as :func:`careful_email` gives it; ValueError when it
    cannot be one.

    Fast path: an ASCII dot-atom local part (not a role mailbox such as info@) at an ASCII domain
    email-validator has accepted before, the whole at most 254 characters. Such an address comes
    back as its local part, unchanged, at the normalised domain.
    """
    address = value.strip()
    match = _PLAIN_ADDRESS.fullmatch(address)
    if match is not None and len(address) <= EMAIL_MAX_LENGTH:
        local, domain = match.groups()
        normal = _domain(domain)
        if normal is not None:
            return f"{local}@{normal}"
    return careful_email(value)


# --- phone ---------------------------------------------------------------------------------------

_PHONE_PUNCTUATION = str.maketrans("", "", " -().")
_PLUS_DIGITS = re.compile(r"\+[1-9][0-9]{2,19}")
_NSN_MAX_LENGTH = 17  # phonenumbers' longest national significant number


def careful_phone(value: str) -> str:
    """``value`` in E.164 form, as phonenumbers parses and formats it; ValueError saying why it
    cannot be a phone number."""
    import phonenumbers

    cleaned = value.translate(_PHONE_PUNCTUATION)
    if not cleaned.startswith("+"):
        raise ValueError(f"{value!r} is not in E.164 form: start with + and the country code, e.g. +380501234567")
    try:
        number = phonenumbers.parse(cleaned, None)
    except phonenumbers.NumberParseException:
        raise ValueError(f"{value!r} is not a phone number in E.164 form such as +380501234567") from None
    if not phonenumbers.is_possible_number(number):
        raise ValueError(f"{value!r} cannot be a valid phone number (wrong length for its country code)")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


@dataclass(frozen=True)
class _Country:
    """What parsing a number of one country calling code may rewrite: its national prefix."""

    code: int
    national_prefix: re.Pattern[str] | None  # the metadata's national_prefix_for_parsing


@functools.cache
def _countries() -> dict[str, _Country]:
    """Every country calling code, as digits, with its national prefix."""
    import phonenumbers
    from phonenumbers import PhoneMetadata

    found = {}
    for code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
        region = phonenumbers.region_code_for_country_code(code)
        metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, region)
        prefix = metadata.national_prefix_for_parsing if metadata is not None else None
        found[str(code)] = _Country(code, re.compile(prefix) if prefix else None)
    return found


def phone_number(value: str) -> str:
    """``value`` in E.164 form, exactly as :func:`careful_phone` gives it; ValueError when it cannot
    be a phone number.

    Fast path: ``+`` and digits only (spaces, hyphens, dots and brackets aside) whose national part
    after the country code starts neither with 0 nor with what the country's metadata reads as a
    national prefix, so that parsing keeps every digit, and whose length phonenumbers takes for the
    country. Such a number comes back as its digits.
    """
    cleaned = value.translate(_PHONE_PUNCTUATION)
    if _PLUS_DIGITS.fullmatch(cleaned):
        countries = _countries()
        digits = cleaned[1:]
        for length in (1, 2, 3):
            country = countries.get(digits[:length])
            if country is not None:
                national = digits[length:]
                if _keeps_every_digit(country, national) and _possible(country.code, len(national)):
                    return cleaned
                break
    return careful_phone(value)


def _keeps_every_digit(country: _Country, national: str) -> bool:
    return (
        2 <= len(national) <= _NSN_MAX_LENGTH
        and national[0] != "0"
        and (country.national_prefix is None or country.national_prefix.match(national) is None)
    )


@functools.lru_cache(maxsize=1024)
def _possible(code: int, length: int) -> bool:
    """Whether phonenumbers takes a national number of ``length`` digits after country calling code
    ``code`` for a possible number: its test reads the length alone, not the digits, so one answer
    holds for every number of that length."""
    import phonenumbers

    number: Any = phonenumbers.PhoneNumber(country_code=code, national_number=int("1" * length))
    return bool(phonenumbers.is_possible_number(number))


__all__ = ["careful_email", "careful_phone", "email_address", "phone_number"]
