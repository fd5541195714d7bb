"""Pydantic models of eSputnik's request and response bodies (esputnik-api.md; SPEC schemas).

Response models are tolerant: unknown fields are kept, numbers and booleans sent as strings are
coerced, and every list that eSputnik sends as a bare object when it has one element (``results``,
``failedContacts``, ``addressBook``, ``fieldGroups``, ``fields`` …) is normalised to a list.
Request models are strict: unknown fields are refused, so a typo never reaches eSputnik.
Field names are snake_case in Python and camelCase on the wire.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

T = TypeVar("T")


def _one_or_many(value: Any) -> Any:
    if value is None:
        return []
    if isinstance(value, dict | str | int | float):
        return [value]
    return value


OneOrMany = Annotated[list[T], BeforeValidator(_one_or_many)]
"""A list that eSputnik may send as a single object (or null) when it has one (or no) element."""


def iso_date_time(value: str) -> str:
    """``value`` if it is an ISO 8601 date-time (``2025-05-14T10:11:10+03:00``); else ValueError."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO 8601 date-time such as 2025-05-14T10:11:10+03:00") from None
    if "T" not in value:
        if " " in value:
            raise ValueError(f"{value!r}: ISO 8601 puts a T between date and time, e.g. {value.replace(' ', 'T', 1)}")
        raise ValueError(f"{value!r} has no time of day; give an ISO 8601 date-time such as {parsed.date()}T10:00:00Z")
    return value


class WireModel(BaseModel):
    """Response body: camelCase on the wire, tolerant of extra fields and stringly-typed values."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="allow",
        coerce_numbers_to_str=True,
    )


class RequestModel(BaseModel):
    """Request body: camelCase on the wire, no unknown fields."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="forbid",
    )

    def wire(self) -> dict[str, Any]:
        """The JSON body: camelCase names, unset and null fields left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


# --- account -----------------------------------------------------------------------------------


class AccountInfo(WireModel):
    user_email: str | None = None
    organisation_name: str | None = None


class SenderBalance(WireModel):
    sender_id: int | None = None
    balance: float | None = None
    sender_name: str | None = None


class Balance(WireModel):
    current_balance: float | None = None
    credit_limit: float | None = None
    currency: str | None = None
    bonus_emails: int | None = None
    bonus_smses: int | None = None
    senders_reserved_balances: dict[str, OneOrMany[SenderBalance]] = Field(default_factory=dict)


# --- contacts ----------------------------------------------------------------------------------


class ChannelType(enum.StrEnum):
    """Contact channel types (SPEC Channel.type). There is no ``telegram`` type."""

    EMAIL = "email"
    SMS = "sms"
    VIBER = "viber"
    MOBILEPUSH = "mobilepush"
    WEBPUSH = "webpush"
    APPINBOX = "appinbox"
    WIDGET = "widget"
    INAPP = "inapp"


class Device(WireModel):
    app_id: str | None = None
    device_model: str | None = None
    os: str | None = None
    locale: str | None = None
    client_version: str | None = None
    app_version: str | None = None
    active: bool | None = None


class Channel(WireModel):
    type: str
    value: str | None = None
    device: Device | None = None
    web_push_subscription: dict[str, Any] | None = None


class Address(WireModel):
    region: str | None = None
    town: str | None = None
    address: str | None = None
    postcode: str | None = None


class ContactField(WireModel):
    id: int
    value: str | None = None


class Group(WireModel):
    """A segment (SPEC GroupDto); ``type`` is ``Static``, ``Dynamic`` or ``Combined``."""

    id: int
    name: str | None = None
    type: str | None = None


class Contact(WireModel):
    """A contact as eSputnik returns it (SPEC Contact; search results are the smaller BaseContact)."""

    id: int | None = None
    first_name: str | None = None
    last_name: str | None = None
    channels: OneOrMany[Channel] = Field(default_factory=list)
    address: Address | None = None
    fields: OneOrMany[ContactField] = Field(default_factory=list)
    address_book_id: int | None = None
    external_customer_id: str | None = None
    contact_key: str | None = None
    language_code: str | None = None
    time_zone: str | None = None
    groups: OneOrMany[Group] = Field(default_factory=list)

    def channel_values(self, channel_type: str) -> list[str]:
        return [c.value for c in self.channels if c.type == channel_type and c.value]


class DeviceInput(RequestModel):
    """SPEC Device, for a ``mobilepush`` channel. ``client_version`` is enumerated in the schema
    (native, esputnik-1) while its own example is an SDK version: it is taken as free text."""

    app_id: str | None = None
    device_model: str | None = Field(default=None, max_length=50)
    os: str | None = None
    locale: str | None = None
    client_version: str | None = None
    app_version: str | None = None
    active: bool | None = None


class WebPushSubscriptionInput(RequestModel):
    """SPEC WebPushSubscription, for a ``webpush`` channel."""

    app_id: int | None = None
    user_agent: str | None = None
    user_agent_version: str | None = None
    user_agent_language: str | None = None
    os: str | None = None
    ip: str | None = None
    subscription_page: str | None = None
    sw_active_version: str | None = None


class ChannelInput(RequestModel):
    type: ChannelType
    value: str = Field(min_length=1)
    device: DeviceInput | None = None
    web_push_subscription: WebPushSubscriptionInput | None = None


class AddressInput(RequestModel):
    region: str | None = None
    town: str | None = None
    address: str | None = None
    postcode: str | None = None


class ContactFieldInput(RequestModel):
    id: int
    value: str


class ContactInput(RequestModel):
    """A contact to create or update (SPEC Contact / ContactUpdate): at least one channel."""

    first_name: str | None = Field(default=None, max_length=40)
    last_name: str | None = Field(default=None, max_length=40)
    channels: list[ChannelInput] = Field(min_length=1)
    address: AddressInput | None = None
    fields: list[ContactFieldInput] | None = None
    address_book_id: int | None = None
    external_customer_id: str | None = None
    contact_key: str | None = None
    language_code: str | None = None
    time_zone: str | None = None

    def bulk_contact_fields(self) -> frozenset[str]:
        """The standard fields this contact gives, named as a bulk update's ``contactFields`` lists
        them (SPEC ContactsBulkUpdate). A bulk update writes exactly the listed fields of an existing
        contact, clearing those the data lacks; listing only these leaves the others untouched."""
        return bulk_fields(self.wire())[0]

    def custom_field_ids(self) -> frozenset[int]:
        """Ids of the custom fields this contact gives (a bulk update's ``customFieldsIDs``)."""
        return bulk_fields(self.wire())[1]


# Standard fields a bulk update can be told to write (SPEC ContactsBulkUpdate.contactFields).
_BULK_SCALARS = frozenset({"firstName", "lastName", "languageCode", "timeZone", "contactKey", "externalCustomerId"})
_BULK_CHANNELS = frozenset({"email", "sms", "mobilepush", "webpush"})
_ADDRESS_PARTS = ("address", "town", "region", "postcode")
_NO_IDS: frozenset[int] = frozenset()


def bulk_fields(contact: Mapping[str, Any]) -> tuple[frozenset[str], frozenset[int]]:
    """The standard fields (``contactFields``) and custom field ids (``customFieldsIDs``) a contact's
    JSON object (SPEC Contact, as :meth:`RequestModel.wire` gives it) gives to a bulk update."""
    names = [key for key in contact if key in _BULK_SCALARS]
    names += [c["type"] for c in contact.get("channels") or () if c["type"] in _BULK_CHANNELS]
    address = contact.get("address")
    if address:
        names += [part for part in _ADDRESS_PARTS if address.get(part) is not None]
    fields = contact.get("fields")
    return frozenset(names), frozenset(f["id"] for f in fields) if fields else _NO_IDS


def contact_wire(
    channels: Iterable[tuple[str, str]],
    *,
    first_name: str | None = None,
    last_name: str | None = None,
    address: Mapping[str, str | None] | None = None,
    fields: Mapping[int, str] | None = None,
    external_customer_id: str | None = None,
    language_code: str | None = None,
    time_zone: str | None = None,
) -> dict[str, Any]:
    """A contact's JSON object straight from checked values: what ``ContactInput(...).wire()`` gives
    for the same values, without building the models (a bulk update takes 100,000 contacts).
    ``channels`` are (type, value) pairs; ``address`` holds the parts of :class:`AddressInput`."""
    wire: dict[str, Any] = {}
    if first_name is not None:
        wire["firstName"] = first_name
    if last_name is not None:
        wire["lastName"] = last_name
    wire["channels"] = [{"type": kind, "value": value} for kind, value in channels]
    if address is not None:
        wire["address"] = {part: value for part, value in address.items() if value is not None}
    if fields is not None:
        wire["fields"] = [{"id": key, "value": value} for key, value in fields.items()]
    if external_customer_id is not None:
        wire["externalCustomerId"] = external_customer_id
    if language_code is not None:
        wire["languageCode"] = language_code
    if time_zone is not None:
        wire["timeZone"] = time_zone
    return wire


class DedupeOn(enum.StrEnum):
    """``dedupeOn`` of a bulk update (SPEC ContactsBulkUpdate). ``webpush`` is not valid."""

    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"
    EMAIL_OR_SMS = "email_or_sms"
    ID = "id"
    EXTERNAL_CUSTOMER_ID = "externalCustomerId"
    FIELD_ID = "fieldId"


ContactFieldName = Literal[
    "firstName",
    "lastName",
    "contactKey",
    "languageCode",
    "timeZone",
    "email",
    "sms",
    "mobilepush",
    "webpush",
    "address",
    "town",
    "region",
    "postcode",
    "externalCustomerId",
]
"""The standard fields a bulk update can be told to write (SPEC ContactsBulkUpdate.contactFields)."""


class BulkOptions(RequestModel):
    """Everything of a bulk add/update (SPEC ContactsBulkUpdate) except the contacts."""

    dedupe_on: DedupeOn
    field_id: int | None = None
    contact_fields: list[ContactFieldName] | None = None
    custom_fields_ids: list[int] | None = Field(default=None, alias="customFieldsIDs")
    group_names: list[str] | None = None
    group_names_exclude: list[str] | None = None
    restore_deleted: bool | None = None
    event_key_for_new_contacts: str | None = Field(default=None, max_length=100)


class FailedContact(Contact):
    error: str | None = None


class BulkUpdateResult(WireModel):
    async_session_id: str | None = None
    failed_contacts: OneOrMany[FailedContact] = Field(default_factory=list)
    error_message: str | None = None


class DedupeMapping(WireModel):
    dedupe_value: str | None = None
    contact_id: int | None = None


class ImportStatus(WireModel):
    """Status of a bulk import: ``STARTED``, ``IMPORTING``, ``FINISHED`` or ``ERROR``."""

    status: str | None = None
    timestamp: str | None = None
    description: str | None = None
    mapping: OneOrMany[DedupeMapping] = Field(default_factory=list)

    @property
    def finished(self) -> bool:
        return (self.status or "").upper() in ("FINISHED", "ERROR")


class ContactEmail(WireModel):
    contact_id: int | None = None
    email: str | None = None


class SubscribeResult(WireModel):
    """SPEC ContactSubscriptionResult; ``email_status`` is e.g. ``NEED_CONFIRMATION``."""

    id: int | None = None
    email_status: str | None = None
    new: bool | None = None


# --- custom fields -----------------------------------------------------------------------------


class AllowedValues(WireModel):
    possible_values: OneOrMany[str] = Field(default_factory=list)
    min_value: int | None = None
    max_value: int | None = None


class FieldDescription(WireModel):
    type: str | None = None
    required: bool | None = None
    readonly: bool | None = None
    allowed_values: AllowedValues | None = None


class FieldInfo(WireModel):
    id: int
    name: str | None = None
    field_key: str | None = None
    description: FieldDescription | None = None


class FieldGroup(WireModel):
    name: str | None = None
    profile_key: str | None = None
    fields: OneOrMany[FieldInfo] = Field(default_factory=list)


class AddressBook(WireModel):
    address_book_id: int | None = None
    name: str | None = None
    field_groups: OneOrMany[FieldGroup] = Field(default_factory=list)


class AddressBooks(WireModel):
    address_book: OneOrMany[AddressBook] = Field(default_factory=list)


# --- messages ----------------------------------------------------------------------------------


class SendResult(WireModel):
    """One recipient's result of a send: ``status`` ``OK`` (queued) or ``ERROR`` (see ``message``)."""

    locator: str | None = None
    status: str | None = None
    request_id: str | None = None
    message: str | None = None

    @property
    def ok(self) -> bool:
        return (self.status or "").upper() == "OK"


class SendResults(WireModel):
    results: OneOrMany[SendResult] = Field(default_factory=list)


class MessageStatus(WireModel):
    request_id: str | None = None
    status: str | None = None
    failed: bool | None = None
    delivered: bool | None = None


class EmailInput(RequestModel):
    """SPEC OutgoingEmail."""

    from_: str = Field(alias="from", min_length=1)
    subject: str = Field(min_length=1)
    html_text: str
    plain_text: str | None = None
    amp_html_text: str | None = None
    emails: list[str] = Field(min_length=1)
    tags: list[str] | None = None
    external_request_id: str | None = None
    skip_personalisation: bool | None = None
    subscriptions_keys: list[str] | None = None
    track_urls: bool | None = None


class SmsInput(RequestModel):
    """SPEC OutgoingSMS: ``phone_numbers`` or ``group_id``."""

    from_: str = Field(alias="from", min_length=1)
    text: str = Field(min_length=1)
    phone_numbers: list[str] | None = None
    group_id: int | None = None
    tags: list[str] | None = None
    external_request_id: str | None = None
    subscriptions_keys: list[str] | None = None
    track_urls: bool | None = None


class Recipient(RequestModel):
    """SPEC ParametrizedLocator: one of ``contact_id``, ``external_customer_id``, ``locator``.

    ``json_param`` is a JSON-encoded *string* on the wire; :func:`esputnik_mcp.api.messages.recipient`
    builds it.
    """

    contact_id: int | None = None
    external_customer_id: str | None = None
    locator: str | None = None
    json_param: str | None = None
    external_request_id: str | None = None
    language_code: str | None = None


class EmailTemplate(WireModel):
    """SPEC BaseEmailMessage, as search returns it."""

    id: int
    name: str | None = None
    from_: str | None = Field(default=None, alias="from")
    subject: str | None = None
    language_code: str | None = None
    tags: OneOrMany[str] = Field(default_factory=list)
    html_text: str | None = None


class SmsTemplate(WireModel):
    """SPEC BaseSmsMessage, as search returns it."""

    id: int
    name: str | None = None
    from_: str | None = Field(default=None, alias="from")
    text: str | None = None
    language_code: str | None = None
    tags: OneOrMany[str] = Field(default_factory=list)


class Sender(WireModel):
    """SPEC InterfaceDto: a sender the account may use as ``from``: an email sender (name and
    address) or an SMS alpha name. ``type`` names the interface (``email``, ``sms``)."""

    type: str | None = None
    value: str | None = None


class StoredMessage(WireModel):
    """The fields every stored message has (SPEC Base*Message), as ``GET /v1/messages/<channel>/{id}``
    returns it. ``languages`` and ``translations`` are there for multilingual messages only;
    each translation is the message of its language, in the same shape without translations."""

    id: int | None = None
    name: str | None = None
    language_code: str | None = None
    tags: OneOrMany[str] = Field(default_factory=list)
    subscriptions_keys: OneOrMany[str] = Field(default_factory=list)
    languages: OneOrMany[str] = Field(default_factory=list)


class EmailMessage(StoredMessage):
    """SPEC BaseEmailMessage. ``raw_html`` is the HTML without styles, ``css`` the styles. The schema
    has no plain-text part; one sent anyway stays in ``model_extra``."""

    from_: str | None = Field(default=None, alias="from")
    subject: str | None = None
    html_text: str | None = None
    raw_html: str | None = None
    amp_html: str | None = None
    css: str | None = None
    translations: OneOrMany[EmailMessage] = Field(default_factory=list)


class SmsMessage(StoredMessage):
    """SPEC BaseSmsMessage."""

    from_: str | None = Field(default=None, alias="from")
    text: str | None = None
    track_urls: bool | None = None
    translations: OneOrMany[SmsMessage] = Field(default_factory=list)


class ViberMessage(StoredMessage):
    """SPEC BaseViberMessage: ``img``, ``caption`` (button text) and ``action`` (button link) come
    together or not at all; ``sms_*`` is the SMS sent instead to a contact without Viber."""

    from_: str | None = Field(default=None, alias="from")
    text: str | None = None
    transactional: bool | None = None
    img: str | None = None
    caption: str | None = None
    action: str | None = None
    ttl_sec: int | None = None
    sms_fallback: bool | None = None
    sms_sender: str | None = None
    sms_content: str | None = None
    translations: OneOrMany[ViberMessage] = Field(default_factory=list)


class MobilePushButton(WireModel):
    """SPEC MobilePushButton."""

    action_id: str | None = None
    label: str | None = None
    ios_icon_path: str | None = None
    link: str | None = None
    custom_data: str | dict[str, Any] | None = None


class MobilePushMessage(StoredMessage):
    """SPEC BaseMobilePushMessage. ``custom_data`` is a JSON-encoded string in the schema; an
    object is accepted too. ``subtitle`` shows on iOS only; ``images`` is a carousel."""

    title: str | None = None
    subtitle: str | None = None
    text: str | None = None
    link: str | None = None
    image_source: str | None = None
    images: OneOrMany[str] = Field(default_factory=list)
    custom_data: str | dict[str, Any] | None = None
    ttl_sec: int | None = None
    buttons: OneOrMany[MobilePushButton] = Field(default_factory=list)
    sound_enabled: bool | None = None
    badge_count: int | None = None
    translations: OneOrMany[MobilePushMessage] = Field(default_factory=list)


class AppInboxMessage(StoredMessage):
    """SPEC BaseAppInboxMessage. ``custom_data`` as for mobile push."""

    title: str | None = None
    text: str | None = None
    link: str | None = None
    image_source: str | None = None
    custom_data: str | dict[str, Any] | None = None
    ttl_sec: int | None = None
    translations: OneOrMany[AppInboxMessage] = Field(default_factory=list)


class TelegramButton(WireModel):
    """SPEC TelegramBotButton."""

    text: str | None = None
    link: str | None = None


class TelegramMessage(StoredMessage):
    """SPEC BaseTelegramBotMessage: only ``name`` is required, so ``text`` may be absent (an image
    or buttons alone)."""

    text: str | None = None
    image_source: str | None = None
    buttons: OneOrMany[TelegramButton] = Field(default_factory=list)
    translations: OneOrMany[TelegramMessage] = Field(default_factory=list)


class ViewLink(WireModel):
    """SPEC MessageViewInBrowserLink: where an email message can be seen in a browser."""

    link: str | None = None


class IdResult(WireModel):
    """SPEC IDResult: the id of what was created."""

    id: int | None = None


def _image_button(img: str | None, caption: str | None, action: str | None, transactional: bool | None) -> None:
    """SPEC BaseViberMessage: ``img``, ``caption`` and ``action`` are set together or not at all,
    and not in a transactional message."""
    given = [v is not None for v in (img, caption, action)]
    if any(given) and not all(given):
        raise ValueError("img, caption and action go together: give all three or none")
    if transactional and any(given):
        raise ValueError("a transactional Viber message is text only: no img, caption or action")


class EmailMessageInput(RequestModel):
    """SPEC BaseEmailMessage, to create or update a stored email message (``languages`` and
    ``translations`` are for GET only)."""

    name: str = Field(min_length=1)
    from_: str = Field(alias="from", min_length=1)
    subject: str = Field(min_length=1)
    html_text: str = Field(min_length=1)
    raw_html: str | None = None
    amp_html: str | None = None
    css: str | None = None
    language_code: str | None = None
    tags: list[str] | None = None
    subscriptions_keys: list[str] | None = None


class SmsMessageInput(RequestModel):
    """SPEC BaseSmsMessage, to create or update a stored SMS message."""

    name: str = Field(min_length=1)
    from_: str = Field(alias="from", min_length=1)
    text: str = Field(min_length=1)
    track_urls: bool | None = None
    language_code: str | None = None
    tags: list[str] | None = None
    subscriptions_keys: list[str] | None = None


class ViberMessageInput(RequestModel):
    """SPEC BaseViberMessage, to create or update a stored Viber message."""

    name: str = Field(min_length=1)
    from_: str = Field(alias="from", min_length=1)
    text: str = Field(min_length=1)
    transactional: bool | None = None
    img: str | None = None
    caption: str | None = None
    action: str | None = None
    ttl_sec: int | None = Field(default=None, ge=1, le=2**31 - 1)
    sms_fallback: bool | None = None
    sms_sender: str | None = None
    sms_content: str | None = None
    language_code: str | None = None
    tags: list[str] | None = None
    subscriptions_keys: list[str] | None = None

    @model_validator(mode="after")
    def _image_and_button(self) -> ViberMessageInput:
        _image_button(self.img, self.caption, self.action, self.transactional)
        return self


MessageInput = EmailMessageInput | SmsMessageInput | ViberMessageInput


class ViberInput(RequestModel):
    """SPEC OutgoingViber: ``phone_numbers`` or ``group_id``. ``ios_expirity_text`` (so spelt on the
    wire) is what iOS shows for a message delivered after its lifetime."""

    text: str = Field(min_length=1)
    ios_expirity_text: str = Field(min_length=1)
    from_: str | None = Field(default=None, alias="from", min_length=1)
    phone_numbers: list[str] | None = None
    group_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    ttl_seconds: int | None = Field(default=None, ge=1, le=2**31 - 1)
    img: str | None = None
    caption: str | None = None
    action: str | None = None
    tags: list[str] | None = None
    external_request_id: str | None = None
    subscriptions_keys: list[str] | None = None
    track_urls: bool | None = None

    @model_validator(mode="after")
    def _recipients(self) -> ViberInput:
        if not self.phone_numbers and self.group_id is None:
            raise ValueError("a Viber message needs phone numbers or a segment id")
        return self


# --- orders ------------------------------------------------------------------------------------


class OrderStatus(enum.StrEnum):
    INITIALIZED = "INITIALIZED"
    IN_PROGRESS = "IN_PROGRESS"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"
    ABANDONED_SHOPPING_CART = "ABANDONED_SHOPPING_CART"


class OrderItemInput(RequestModel):
    external_item_id: str = Field(min_length=1)
    quantity: float
    name: str | None = None
    category: str | None = None
    cost: float | None = None
    url: str | None = None
    image_url: str | None = None
    description: str | None = None


class OrderInput(RequestModel):
    """SPEC Order. At least one of ``external_customer_id``, ``email``, ``phone`` names the customer."""

    external_order_id: str = Field(min_length=1)
    total_cost: float
    status: OrderStatus
    date: str = Field(min_length=1)
    currency: str = Field(min_length=3, max_length=3)
    external_customer_id: str | None = None
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    shipping: float | None = None
    discount: float | None = None
    taxes: float | None = None
    restore_url: str | None = None
    status_description: str | None = None
    store_id: str | None = None
    source: str | None = None
    delivery_method: str | None = None
    payment_method: str | None = None
    delivery_address: str | None = None
    additional_info: dict[str, str] | None = None
    items: list[OrderItemInput] | None = None

    @field_validator("date")
    @classmethod
    def _iso_date_time(cls, value: str) -> str:
        return iso_date_time(value)

    @field_validator("currency")
    @classmethod
    def _iso_currency(cls, value: str) -> str:
        if not (len(value) == 3 and value.isascii() and value.isalpha() and value.isupper()):
            raise ValueError(f"{value!r} is not an ISO 4217 currency code such as USD, EUR or UAH")
        return value

    @model_validator(mode="after")
    def _names_customer(self) -> OrderInput:
        if not any((v or "").strip() for v in (self.external_customer_id, self.email, self.phone)):
            raise ValueError("an order must name its customer by external_customer_id, email or phone")
        return self


def _wire_names(model: type[BaseModel]) -> dict[str, str]:
    return {name: info.alias or name for name, info in model.model_fields.items()}


_ORDER_NAMES = _wire_names(OrderInput)
_ITEM_NAMES = _wire_names(OrderItemInput)


def order_wire(order: Mapping[str, Any]) -> dict[str, Any]:
    """An order's JSON object (SPEC Order) from its JSON-ready values by field name (those of
    :class:`OrderInput`): the names and shape ``OrderInput(...).wire()`` gives, without building the
    models (a call takes thousands of orders). An unknown field name raises KeyError."""
    wire = {_ORDER_NAMES[name]: value for name, value in order.items() if value is not None and name != "items"}
    items = order.get("items")
    if items is not None:
        wire["items"] = [{_ITEM_NAMES[k]: v for k, v in item.items() if v is not None} for item in items]
    return wire


class FailedOrder(WireModel):
    order: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None


class FailedOrders(WireModel):
    failed_orders: OneOrMany[FailedOrder] = Field(default_factory=list)
