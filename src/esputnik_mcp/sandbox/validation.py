"""Request bodies, written from the schemas of esputnik-openapi.json (named per model).

Every model refuses unknown fields and wrong JSON types (a string where a number is due, a
number where a string is due). Null is accepted wherever a field is optional. Rules beyond the
schema's types (name rules, address formats, custom field values) live in ``rules`` and the
domain modules, so a bulk update can report them per contact instead of refusing the request.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Int32 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]
Int64 = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]

ChannelType = Literal["email", "sms", "viber", "mobilepush", "webpush", "appinbox", "widget", "inapp"]
DedupeOn = Literal["email", "sms", "push", "email_or_sms", "id", "externalCustomerId", "fieldId"]
# ContactsBulkUpdate.contactFields items (ordersInfo is deprecated but still listed).
ContactFieldName = Literal[
    "firstName",
    "contactKey",
    "ordersInfo",
    "lastName",
    "languageCode",
    "timeZone",
    "email",
    "sms",
    "mobilepush",
    "webpush",
    "address",
    "town",
    "region",
    "externalCustomerId",
    "postcode",
]
OrderStatus = Literal["INITIALIZED", "IN_PROGRESS", "DELIVERED", "CANCELLED", "ABANDONED_SHOPPING_CART"]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, validate_by_alias=True, validate_by_name=False)


class DeviceIn(Body):
    """SPEC Device. ``clientVersion`` is an enum (native, esputnik-1) whose own example is an SDK
    version ("1.6.8"), so any string is taken."""

    appId: str | None = None
    deviceModel: str | None = None
    os: str | None = None
    locale: str | None = None
    clientVersion: str | None = None
    appVersion: str | None = None
    active: bool | None = None


class WebPushSubscriptionIn(Body):
    appId: Int32 | None = None
    userAgent: str | None = None
    userAgentVersion: str | None = None
    userAgentLanguage: str | None = None
    os: str | None = None
    ip: str | None = None
    subscriptionPage: str | None = None
    swActiveVersion: str | None = None


class ChannelIn(Body):
    """SPEC Channel: no field is required by the schema; a usable channel needs type and value."""

    type: ChannelType | None = None
    value: str | None = None
    device: DeviceIn | None = None
    webPushSubscription: WebPushSubscriptionIn | None = None


class AddressIn(Body):
    region: str | None = None
    town: str | None = None
    address: str | None = None
    postcode: str | None = None


class ContactFieldIn(Body):
    id: Int32 | None = None
    value: str | None = None


class GroupIn(Body):
    """SPEC GroupDto: read-only in a contact; accepted and ignored on input."""

    id: Int32 | None = None
    name: str | None = None
    type: str | None = None


class ContactIn(Body):
    """SPEC Contact (addContact, contactsBulkUpdate items, subscribeContact.contact)."""

    firstName: str | None = None
    lastName: str | None = None
    channels: list[ChannelIn]
    address: AddressIn | None = None
    fields: list[ContactFieldIn] | None = None
    addressBookId: Int32 | None = None
    id: Int64 | None = None
    externalCustomerId: str | None = None
    contactKey: str | None = None
    groups: list[GroupIn] | None = None
    languageCode: str | None = None
    timeZone: str | None = None


class ContactUpdateIn(Body):
    """SPEC ContactUpdate (updateContact): no ``groups``; ``channels`` not marked required."""

    firstName: str | None = None
    lastName: str | None = None
    channels: list[ChannelIn] | None = None
    address: AddressIn | None = None
    fields: list[ContactFieldIn] | None = None
    addressBookId: Int32 | None = None
    id: Int64 | None = None
    contactKey: str | None = None
    externalCustomerId: str | None = None
    languageCode: str | None = None
    timeZone: str | None = None


class BulkUpdateIn(Body):
    """SPEC ContactsBulkUpdate."""

    contacts: list[ContactIn]
    dedupeOn: DedupeOn
    fieldId: Int64 | None = None
    contactFields: list[ContactFieldName] | None = None
    customFieldsIDs: list[Int32] | None = None
    groupNames: list[str] | None = None
    groupNamesExclude: list[str] | None = None
    restoreDeleted: bool | None = None
    eventKeyForNewContacts: str | None = None


class SubscribeIn(Body):
    """SPEC SubscribeContact."""

    contact: ContactIn
    groups: list[str] | None = None
    subscriptions: list[str] | None = None
    formType: str | None = None


class UnsubscribeIn(Body):
    """SPEC UnsubscribeParamsDto."""

    emails: list[str]


class ModifyGroupIn(Body):
    """SPEC ModifyContactsInGroup."""

    contactIds: list[Int64] | None = None
    externalCustomerIds: list[str] | None = None


class EmailIn(Body):
    """SPEC OutgoingEmail."""

    from_: str = Field(alias="from")
    subject: str
    htmlText: str
    plainText: str | None = None
    ampHtmlText: str | None = None
    emails: list[str]
    tags: list[str] | None = None
    externalRequestId: str | None = None
    skipPersonalisation: bool | None = None
    subscriptionsKeys: list[str] | None = None
    trackUrls: bool | None = None


class SmsIn(Body):
    """SPEC OutgoingSMS."""

    from_: str = Field(alias="from")
    text: str
    phoneNumbers: list[str] | None = None
    tags: list[str] | None = None
    groupId: Int32 | None = None
    externalRequestId: str | None = None
    subscriptionsKeys: list[str] | None = None
    trackUrls: bool | None = None


class RecipientIn(Body):
    """SPEC ParametrizedLocator: ``jsonParam`` is a JSON-encoded string, never an object."""

    contactId: Int64 | None = None
    externalCustomerId: str | None = None
    locator: str | None = None
    jsonParam: str | None = None
    externalRequestId: str | None = None
    languageCode: str | None = None


class SmartsendIn(Body):
    """SPEC ExtendedPreparedMessageParameters."""

    recipients: list[RecipientIn]
    email: bool | None = None
    fromName: str | None = None


class EventParamIn(Body):
    """SPEC EventParameter: ``value`` is a string or any JSON value (v2 takes nested values)."""

    name: str | None = None
    value: Any = None


class EventIn(Body):
    """SPEC Event (v2). There is no ``keyValue`` in v2."""

    eventTypeKey: str
    params: list[EventParamIn] | None = None


class OrdersIn(Body):
    """SPEC Orders; each order is checked on its own (a bad one is reported in failedOrders)."""

    orders: list[dict[str, Any]]


class OrderItemIn(Body):
    """SPEC OrderItem."""

    externalItemId: str
    name: str | None = None
    category: str | None = None
    quantity: float
    cost: float | None = None
    url: str | None = None
    imageUrl: str | None = None
    description: str | None = None


class OrderIn(Body):
    """SPEC Order."""

    externalOrderId: str
    externalCustomerId: str | None = None
    totalCost: float
    status: OrderStatus
    date: str
    currency: str
    email: str | None = None
    phone: str | None = None
    firstName: str | None = None
    lastName: str | None = None
    shipping: float | None = None
    discount: float | None = None
    taxes: float | None = None
    restoreUrl: str | None = None
    statusDescription: str | None = None
    storeId: str | None = None
    source: str | None = None
    deliveryMethod: str | None = None
    paymentMethod: str | None = None
    deliveryAddress: str | None = None
    additionalInfo: dict[str, str] | None = None
    items: list[OrderItemIn] | None = None


class ViberIn(Body):
    """SPEC OutgoingViber: ``text`` and ``iosExpirityText`` required; ``phoneNumbers`` or ``groupId``."""

    text: str
    iosExpirityText: str
    ttlSeconds: Int32 | None = None
    img: str | None = None
    caption: str | None = None
    action: str | None = None
    phoneNumbers: list[str] | None = None
    tags: list[str] | None = None
    groupId: Int32 | None = None
    externalRequestId: str | None = None
    from_: str | None = Field(default=None, alias="from")
    trackUrls: bool | None = None
    subscriptionsKeys: list[str] | None = None


class StoredMessageIn(Body):
    """The fields every SPEC Base*Message has. ``languages`` and ``translations`` are "available for
    the GET method only": accepted and ignored in a body (a guess), as is ``id`` (the path names it)."""

    id: Int32 | None = None
    name: str
    languageCode: str | None = None
    tags: list[str] | None = None
    subscriptionsKeys: list[str] | None = None
    languages: list[str] | None = None
    translations: list[dict[str, Any]] | None = None


class EmailMessageIn(StoredMessageIn):
    """SPEC BaseEmailMessage: ``name``, ``from``, ``subject``, ``htmlText`` required."""

    from_: str = Field(alias="from")
    subject: str
    htmlText: str
    rawHtml: str | None = None
    ampHtml: str | None = None
    css: str | None = None


class SmsMessageIn(StoredMessageIn):
    """SPEC BaseSmsMessage: ``name``, ``from``, ``text`` required."""

    from_: str = Field(alias="from")
    text: str
    trackUrls: bool | None = None


class ViberMessageIn(StoredMessageIn):
    """SPEC BaseViberMessage: ``name``, ``from``, ``text`` required."""

    from_: str = Field(alias="from")
    transactional: bool | None = None
    text: str
    img: str | None = None
    caption: str | None = None
    action: str | None = None
    ttlSec: Int32 | None = None
    smsFallback: bool | None = None
    smsSender: str | None = None
    smsContent: str | None = None


class MobilePushButtonIn(Body):
    """SPEC MobilePushButton: ``actionId`` and ``label`` required."""

    actionId: str
    label: str
    iosIconPath: str | None = None
    link: str | None = None
    customData: str | None = None


class MobilePushMessageIn(StoredMessageIn):
    """SPEC BaseMobilePushMessage: ``name``, ``title``, ``text`` required."""

    title: str
    subtitle: str | None = None
    text: str
    link: str | None = None
    imageSource: str | None = None
    customData: str | None = None
    ttlSec: Int32 | None = None
    buttons: list[MobilePushButtonIn] | None = None
    soundEnabled: bool | None = None
    badgeCount: Int64 | None = None
    images: list[str] | None = None


class AppInboxMessageIn(StoredMessageIn):
    """SPEC BaseAppInboxMessage: ``name``, ``title``, ``text`` required."""

    title: str
    text: str
    link: str | None = None
    imageSource: str | None = None
    customData: str | None = None
    ttlSec: Int32 | None = None


class TelegramButtonIn(Body):
    """SPEC TelegramBotButton: ``text`` and ``link`` required."""

    text: str
    link: str


class TelegramMessageIn(StoredMessageIn):
    """SPEC BaseTelegramBotMessage: only ``name`` required."""

    text: str | None = None
    imageSource: str | None = None
    buttons: list[TelegramButtonIn] | None = None


MESSAGE_MODELS: dict[str, type[StoredMessageIn]] = {
    "email": EmailMessageIn,
    "sms": SmsMessageIn,
    "viber": ViberMessageIn,
    "mobilepush": MobilePushMessageIn,
    "appinbox": AppInboxMessageIn,
    "telegram": TelegramMessageIn,
}


class NewBroadcastIn(Body):
    """SPEC NewBroadcastRequest: ``messageId`` is a string and ``groups`` (segment ids) required."""

    title: str | None = None
    messageId: str
    groups: list[Int32]
    excludedGroups: list[Int32] | None = None
    startDate: str | None = None
    batchSize: Int32 | None = None
    batchIntervalUnit: Literal["MINUTE", "HOUR", "DAY", "MONTH"] | None = None
    domain: str | None = None
    appId: str | None = None


class SubscriptionsChangeIn(Body):
    """SPEC ContactSubscriptionCategoryUpsertRequest: ``subscriptions`` (category keys) required."""

    subscriptions: list[str]


class PromocodesPayloadIn(Body):
    """SPEC PromocodesPayloadDto: ``promocodes`` (lower-case c), ``expirationDate`` and ``discount``
    required."""

    promocodes: list[str]
    expirationDate: str
    discount: Int32
    type: str | None = None
    inUse: bool | None = None


class ProductFeedIn(Body):
    """SPEC ProductFeed: no field is required by the schema."""

    url: str | None = None
    language: str | None = None
    default: bool | None = None


class ProductFeedsIn(Body):
    """SPEC ProductFeeds."""

    feeds: list[ProductFeedIn] | None = None
