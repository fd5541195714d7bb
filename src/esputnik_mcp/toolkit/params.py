"""Parameter types shared by the tools: each defined once, with its description and bounds.

Validation here is the first line: an email or phone that cannot be valid, an unknown currency or a
date that is not ISO 8601 is refused before anything is sent to eSputnik.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from esputnik_mcp.api.contacts import check_event_key
from esputnik_mcp.api.errors import RequestValidationError
from esputnik_mcp.api.limits import EVENT_TYPE_KEY_LENGTH, MAX_ROWS, NAME_LENGTH
from esputnik_mcp.api.models import ChannelType, iso_date_time
from esputnik_mcp.toolkit.addresses import email_address, phone_number
from esputnik_mcp.toolkit.base import ToolInput, at_most


def exactly_one(values: dict[str, object]) -> None:
    """Refuse unless exactly one of ``values`` (parameter name → value) is given."""
    given = [name for name, value in values.items() if value is not None]
    if len(given) != 1:
        names = list(values)
        choices = ", ".join(names[:-1]) + f" or {names[-1]}"
        got = f"got {' and '.join(given)}" if given else "got none"
        raise ValueError(f"give exactly one of {choices} ({got})")


# Apostrophes a name may hold inside a word: ASCII, typographic and the modifier letter.
_APOSTROPHES = frozenset("'\u2019\u02bc")
_NAME_WORDS = 3  # at most 3 words longer than 3 characters, and 3 of up to 3 characters
_NAME_DIGITS = 3
_NAME_JOINS = re.compile("[-'\u2019\u02bc]")


def _person_name(value: str) -> str:
    """eSputnik's name rules (SPEC fileContactsBulkUpdate): letters of any alphabet and up to 3
    digits; at most 3 long and 3 short words; apostrophes and hyphens only inside a word; a dot
    only at the end of a word of up to 3 characters (``Jr.``)."""
    if _plain_name(value):
        return value
    return _careful_name(value)


def _plain_name(value: str) -> bool:
    """Whether ``value`` is at most 3 words of letters, joined inside a word by single apostrophes or
    hyphens (Olena, Mary-Jane, O'Neil, Anna Maria): within every rule, so it needs no closer look."""
    if value.isalpha():
        return True
    words = value.split()
    return 0 < len(words) <= _NAME_WORDS and all(part.isalpha() for word in words for part in _NAME_JOINS.split(word))


def _careful_name(value: str) -> str:
    """:func:`_person_name`, character by character, with the reason for a refusal."""
    if not any(c.isalpha() for c in value):
        raise ValueError(f"{value!r} has no letters; eSputnik refuses a name of digits or symbols only")
    if sum(c.isdigit() for c in value) > _NAME_DIGITS:
        raise ValueError(f"{value!r} has more than {_NAME_DIGITS} digits; eSputnik refuses it")
    long_words = short_words = 0
    for word in value.split():
        core = word.removesuffix(".")
        if core != word and not 1 <= len(core) <= 3:
            raise ValueError(f"{value!r}: a dot may only end a word of up to 3 characters, as in Jr.")
        for i, char in enumerate(core):
            if char.isalnum() or unicodedata.category(char).startswith("M"):
                continue
            inside = 0 < i < len(core) - 1 and core[i - 1].isalnum() and core[i + 1].isalnum()
            if (char in _APOSTROPHES or char == "-") and inside:
                continue
            raise ValueError(
                f"{value!r} contains {char!r}: a name may hold letters, up to 3 digits, and apostrophes "
                "or hyphens inside words"
            )
        if len(core) > 3:
            long_words += 1
        else:
            short_words += 1
    if long_words > _NAME_WORDS or short_words > _NAME_WORDS:
        raise ValueError(
            f"{value!r} has too many words; eSputnik allows {_NAME_WORDS} longer than 3 characters and "
            f"{_NAME_WORDS} of up to 3"
        )
    return value


def _custom_field_value(value: Any) -> Any:
    """A custom field value as the text eSputnik stores; numbers are written out, nothing else is."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError('a custom field value must be text or a number, e.g. "2024-05-01", 42 or 12.5 ("" clears it)')
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


_MAX_FIELD_VALUES = 200


def _at_most_fields(values: dict[int, Any]) -> dict[int, Any]:
    if len(values) > _MAX_FIELD_VALUES:
        raise ValueError(f"{len(values)} custom field values; at most {_MAX_FIELD_VALUES} in one contact")
    return values


def _currency(value: str) -> str:
    code = value.strip().upper()
    if code not in ISO_4217:
        raise ValueError(f"{value!r} is not an ISO 4217 currency code such as USD, EUR or UAH")
    return code


def _request_id(value: str) -> str:
    if "," in value or any(ch.isspace() for ch in value):
        raise ValueError(f"{value!r} is not a request id: pass request_id values exactly as a send returned them")
    return value


def _zoned_date_time(value: str) -> str:
    if datetime.fromisoformat(iso_date_time(value)).tzinfo is None:
        raise ValueError(f"{value!r} has no time zone; add one, e.g. {value}Z or {value}+03:00")
    return value


def channel_locator(channel: str, value: str) -> str:
    """``value`` as an address on ``channel``: an email address for email, an E.164 phone for SMS and
    Viber, a chat id for Telegram, a device or subscription token for the push channels and App Inbox.
    Raises ValueError when it cannot be one."""
    if channel == "email":
        return email_address(value)
    if channel in ("sms", "viber"):
        return phone_number(value)
    value = value.strip()
    if channel == "telegram" and not re.fullmatch(r"-?\d{1,20}", value):
        raise ValueError(f"{value!r} is not a Telegram chat id (digits, e.g. 123456789)")
    if not value:
        raise ValueError("the locator is empty")
    return value


def _event_key(value: str) -> str:
    try:
        check_event_key(value, "event type key")
    except RequestValidationError as exc:
        raise ValueError(exc.message) from None
    return value


# Each type's description says what its name and schema do not; a bound that matters is in the schema.
Email = Annotated[str, AfterValidator(email_address), Field(json_schema_extra={"format": "email"})]
Phone = Annotated[str, at_most(32), AfterValidator(phone_number), Field(description="E.164, e.g. +380501234567.")]
ContactId = Annotated[int, Field(ge=1)]
ExternalCustomerId = Annotated[str, Field(min_length=1, max_length=255, description="Your own id of the customer.")]
SegmentId = Annotated[int, Field(ge=1, le=2**31 - 1, description="From list_segments.")]
ExternalOrderId = Annotated[str, Field(min_length=1, max_length=255, description="Your own id of the order.")]
ExternalRequestId = Annotated[
    str, Field(min_length=1, max_length=255, description="Your own id of this send, kept in eSputnik's activity.")
]
RequestId = Annotated[str, at_most(100), AfterValidator(_request_id), Field(min_length=1)]
SendChannel = Literal["email", "sms", "viber", "mobilepush", "webpush", "telegram", "appinbox"]
MessageId = Annotated[int, Field(ge=1, le=2**31 - 1, description="From list_message_templates.")]
FirstName = Annotated[str, Field(min_length=1, max_length=NAME_LENGTH, description="From its start.")]
LastName = FirstName
Limit = Annotated[int, Field(ge=1, le=MAX_ROWS)]
Cursor = Annotated[str, Field(min_length=1, max_length=400, description="next_cursor of the previous page.")]
ResponseFormat = Annotated[
    Literal["concise", "detailed"],
    Field(description="detailed adds every channel, custom field, address and language."),
]
DateTimeISO = Annotated[
    str, AfterValidator(iso_date_time), Field(description="ISO 8601, e.g. 2025-05-14T10:11:10+03:00.")
]
DateTimeWithZone = Annotated[
    str, AfterValidator(_zoned_date_time), Field(description="ISO 8601 with a zone, e.g. 2025-05-14T10:00:00Z.")
]
Currency = Annotated[str, AfterValidator(_currency), Field(description="ISO 4217, e.g. UAH.")]
EventTypeKey = Annotated[
    str,
    AfterValidator(_event_key),
    Field(min_length=1, max_length=EVENT_TYPE_KEY_LENGTH, description="None of < ; ’ \\ / | \" ` ' ^ ? ! , >."),
]
Tags = Annotated[list[Annotated[str, Field(min_length=1), at_most(100)]], Field(max_length=20)]
ContactFirstName = Annotated[
    str,
    Field(min_length=1, max_length=NAME_LENGTH, description="Letters, at most 3 digits."),
    AfterValidator(_person_name),
]
ContactLastName = Annotated[str, Field(min_length=1, max_length=NAME_LENGTH), AfterValidator(_person_name)]
SegmentName = Annotated[str, Field(min_length=1, max_length=255)]
CustomFieldId = Annotated[int, Field(ge=1, le=2**31 - 1, description="From list_custom_fields.")]
CustomFieldValues = Annotated[
    dict[CustomFieldId, Annotated[str | int | float, BeforeValidator(_custom_field_value)]],
    AfterValidator(_at_most_fields),
    Field(description='By field id (list_custom_fields), e.g. {"12": "gold", "15": 42}; "" clears one.'),
]
ImportSessionId = Annotated[str, Field(min_length=1), at_most(100), Field(description="From bulk_upsert_contacts.")]
LanguageCode = Annotated[str, Field(min_length=2), at_most(10), Field(description="e.g. uk, en.")]
TimeZone = Annotated[str, Field(min_length=1), at_most(64), Field(description="e.g. Europe/Kyiv.")]

# Active ISO 4217 codes.
ISO_4217 = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD
    CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD
    GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT
    LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR
    NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP
    STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG
    XOF XPF YER ZAR ZMW ZWG
    """.split()
)


class ChannelParam(ToolInput):
    """One contact channel: its type and address."""

    type: ChannelType
    value: str = Field(min_length=1, max_length=1000, description="Address: email, E.164 phone, or push token.")

    @model_validator(mode="after")
    def _valid_address(self) -> ChannelParam:
        if self.type is ChannelType.EMAIL:
            self.value = email_address(self.value)
        elif self.type in (ChannelType.SMS, ChannelType.VIBER):
            self.value = phone_number(self.value)
        return self


class AddressParam(ToolInput):
    """A postal address; every part optional."""

    region: Annotated[str, at_most(255)] | None = None
    town: Annotated[str, at_most(255)] | None = None
    address: Annotated[str, at_most(255)] | None = None
    postcode: Annotated[str, at_most(32)] | None = None
