"""One case per API client method: the exact request it must send (method, path, query, JSON body),
pinned to esputnik-api.md, and a documented answer with what the client must make of it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from esputnik_mcp.api import ESputnikClient
from esputnik_mcp.api.broadcasts import NewBroadcast
from esputnik_mcp.api.feeds import ProductFeedInput
from esputnik_mcp.api.messages import recipient
from esputnik_mcp.api.models import (
    BulkOptions,
    ChannelInput,
    ContactFieldInput,
    ContactInput,
    DedupeOn,
    EmailInput,
    EmailMessageInput,
    OrderInput,
    SmsInput,
    SmsMessageInput,
    ViberInput,
    ViberMessageInput,
)
from esputnik_mcp.api.promocodes import PromoCodesUpload

Call = Callable[[ESputnikClient], Awaitable[Any]]


@dataclass(frozen=True)
class Ids:
    """The identifiers a case uses: fixed ones for the scripted upstream, real ones from the sandbox's
    demo account when the same cases run against it."""

    contact: int = 123
    other_contacts: tuple[int, int] = (1, 2)
    segment: int = 5  # a static segment
    email_template: int = 42
    sms_template: int = 43
    # The client searches only email and SMS messages, so the other channels' messages are named by
    # the sandbox demo account's ids, which serve the scripted upstream as well as any.
    viber_template: int = 5001
    mobilepush_template: int = 5101
    appinbox_template: int = 5201
    telegram_template: int = 5301
    import_session: str = "abc-123"
    external_id: str = "CUST-1001"
    text_field: int = 7  # a custom text field
    other_field: int = 9  # another custom field
    data_source: int = 1403  # a product-based recommendation data source (the demo account has it)
    # The demo account's scheduled broadcast and its internal-test segment serve the scripted upstream too.
    broadcast: int = 8105
    excluded_segment: int = 2005


MOCK_IDS = Ids()


@dataclass(frozen=True)
class Sent:
    """One request as it must reach eSputnik."""

    method: str
    path: str  # as the reference writes it, without the /api prefix
    query: dict[str, str] = field(default_factory=dict)
    body: Any = None


@dataclass(frozen=True)
class Case:
    """A call and the request it must send; ``then`` are the further requests, in order, of a call
    that makes several (each answered with the same reply)."""

    id: str
    call: Call
    method: str
    path: str  # as the reference writes it, without the /api prefix
    query: dict[str, str] = field(default_factory=dict)
    body: Any = None
    reply_json: Any = None
    reply_text: str | None = None
    reply_headers: dict[str, str] = field(default_factory=dict)
    check: Callable[[Any], None] = lambda result: None
    then: tuple[Sent, ...] = ()

    @property
    def requests(self) -> list[Sent]:
        """Every request the call makes, in order."""
        return [Sent(self.method, self.path, self.query, self.body), *self.then]


def _contact(ids: Ids) -> ContactInput:
    return ContactInput(
        first_name="Olena",
        last_name="Koval",
        channels=[
            ChannelInput(type="email", value="olena@example.com"),
            ChannelInput(type="sms", value="+380501234567"),
        ],
        fields=[ContactFieldInput(id=ids.text_field, value="Kyiv")],
        external_customer_id="CUST-1",
        language_code="uk",
        time_zone="Europe/Kyiv",
    )


def _contact_wire(ids: Ids) -> dict[str, Any]:
    return {
        "firstName": "Olena",
        "lastName": "Koval",
        "channels": [{"type": "email", "value": "olena@example.com"}, {"type": "sms", "value": "+380501234567"}],
        "fields": [{"id": ids.text_field, "value": "Kyiv"}],
        "externalCustomerId": "CUST-1",
        "languageCode": "uk",
        "timeZone": "Europe/Kyiv",
    }


CONTACT_REPLY = {
    "id": 123,
    "firstName": "Olena",
    "lastName": "Koval",
    "channels": [{"type": "email", "value": "olena@example.com"}],
    "fields": {"id": 7, "value": "Kyiv"},  # one-element list sent as an object
    "externalCustomerId": "CUST-1",
    "groups": [{"id": 5, "name": "VIP", "type": "Static"}],
    "somethingNew": "kept",
}


def _check_contact(result: Any) -> None:
    assert result.id == 123
    assert result.channel_values("email") == ["olena@example.com"]
    assert [(f.id, f.value) for f in result.fields] == [(7, "Kyiv")]
    assert result.groups[0].name == "VIP"
    assert result.model_extra == {"somethingNew": "kept"}


def _check_page(total: int | None, count: int) -> Callable[[Any], None]:
    def check(page: Any) -> None:
        assert page.total == total
        assert len(page.items) == count

    return check


EMAIL_MESSAGE_REPLY = {
    "id": 42,
    "name": "Abandoned cart",
    "languageCode": "en",
    "tags": "cart",  # a one-element list sent as a string
    "from": '"Shop" <news@shop.example>',
    "subject": "You forgot $!data.get('itemsCount') items",
    "htmlText": "<p>Hi $!{firstName}</p>",
    "rawHtml": "<p>Hi $!{firstName}</p>",
    "css": "p { color: #333; }",
    "languages": "uk",
    # a one-element list sent as an object
    "translations": {"id": 42, "name": "Abandoned cart", "languageCode": "uk", "subject": "Ви забули товари"},
    "somethingNew": "kept",
}


def _expect(pick: Callable[[Any], Any], expected: Any) -> Callable[[Any], None]:
    """A check that ``pick(result)`` equals ``expected``."""

    def check(result: Any) -> None:
        assert pick(result) == expected, result

    return check


def _check_email_message(result: Any) -> None:
    assert (result.id, result.from_, result.tags, result.css) == (
        42,
        '"Shop" <news@shop.example>',
        ["cart"],
        "p { color: #333; }",
    )
    assert result.languages == ["uk"]
    assert [(t.language_code, t.subject) for t in result.translations] == [("uk", "Ви забули товари")]
    assert result.model_extra == {"somethingNew": "kept"}


def _check_mobilepush_message(result: Any) -> None:
    assert (result.title, result.link, result.ttl_sec, result.sound_enabled) == ("Back", "app://p/1", 3600, True)
    assert [(b.action_id, b.label) for b in result.buttons] == [("open", "View")]
    assert result.images == ["https://img.example/1.jpg"]


async def _pages(pages: AsyncIterator[Any]) -> list[Any]:
    return [page async for page in pages]


# Two items of GET /v2/contacts/activity (SPEC ContactActivity), with eSputnik's loose typing.
ACTIVITY_REPLY = [
    {
        "iid": "a1b2c3",
        "externalRequestId": "ext-1",
        "contactId": "123",  # an int64 sent as a string
        "email": "olena@example.com",
        "mediaType": "email",
        "activityStatus": "CLICKED",
        "activityDateTime": "2025-05-14T10:11:10.123+03:00",
        "messageId": 42,
        "messageInstanceId": 7001,
        "messageName": "Abandoned cart",
        "messageTag": "cart,promo",
        "from": '"Shop" <news@shop.example>',
        "clickEventLink": "https://shop.example/cart",
        "workflowId": "",  # empty where a number belongs: none
        "broadcastId": 9,
        "offset": "766111100-5cb2-11ee-aa11-1f2b981c5833",
        "somethingNew": "kept",
    },
    {
        "contactId": 123,
        "mediaType": "email",
        "activityStatus": "SUBSCRIPTION_CHANGED",
        "activityDateTime": "2025-05-14 11:00:00",
        "statusData": {"subscription": {"subscriptions": "news"}},  # a one-element list sent as a string
        "offset": "766111101-5cb2-11ee-aa11-1f2b981c5833",
    },
]


def _check_activity(result: Any) -> None:
    clicked, changed = result
    assert (clicked.contact_id, clicked.activity_status, clicked.from_, clicked.workflow_id) == (
        123,
        "CLICKED",
        '"Shop" <news@shop.example>',
        None,
    )
    assert clicked.message_tags == ["cart", "promo"]
    assert clicked.at == datetime(2025, 5, 14, 7, 11, 10, 123000, tzinfo=UTC)
    assert clicked.model_extra == {"somethingNew": "kept"}
    assert changed.subscriptions == ["news"]
    assert changed.at == datetime(2025, 5, 14, 11, 0, tzinfo=UTC)


def _check_split_pages(pages: Any) -> None:
    assert [(p.date_from, p.date_to, p.offset, p.next_offset, len(p.items)) for p in pages] == [
        (datetime(2024, 11, 15, 8, 0), date(2025, 2, 14), None, None, 1),
        (date(2025, 2, 15), date(2025, 5, 14), None, None, 1),
        (date(2025, 5, 15), datetime(2025, 6, 14, 12, 0), None, None, 1),
    ]


MESSAGES_REPLY = [
    {
        "contactId": "123",
        "email": "olena@example.com",
        "messageId": 42,
        "messageInstanceId": 7001,
        "messageTags": "cart",  # a one-element list sent as a string
        "channelType": "email",
        "sentDateTime": "2025-05-14T10:00:00",
        "activityStatus": "READ",
        "from": '"Shop" <news@shop.example>',
        "subject": "You forgot",
        "viewMessageLink": "https://esputnik.com/view/1",
    },
    {"contactId": 123, "phone": "+380501234567", "messageId": 0, "messageInstanceId": 0, "channelType": "sms"},
]


def _check_messages(result: Any) -> None:
    email, sms = result
    assert (email.contact_id, email.message_tags, email.subject, email.from_) == (
        123,
        ["cart"],
        "You forgot",
        '"Shop" <news@shop.example>',
    )
    assert email.sent_at == datetime(2025, 5, 14, 10, 0, tzinfo=UTC)
    assert (sms.phone, sms.message_id, sms.channel_type, sms.sent_at) == ("+380501234567", 0, "sms", None)


def build_cases(ids: Ids) -> list[Case]:
    """Every case, using ``ids`` wherever an identifier appears."""
    return [
        # §3 account
        Case(
            "account.info",
            lambda c: c.account.info(),
            "GET",
            "/v1/account/info",
            reply_json={"userEmail": "owner@shop.example", "organisationName": "Shop"},
            check=lambda r: (r.user_email, r.organisation_name) == ("owner@shop.example", "Shop") or _fail(r),
        ),
        Case(
            "account.balance",
            lambda c: c.account.balance(),
            "GET",
            "/v1/balance",
            # the old API sent numbers as strings
            reply_json={
                "currentBalance": "125.5",
                "creditLimit": "0.0",
                "currency": "UAH",
                "bonusEmails": "10",
                "bonusSmses": 3,
            },
            check=lambda r: (
                (r.current_balance, r.credit_limit, r.currency, r.bonus_emails, r.bonus_smses)
                == (125.5, 0.0, "UAH", 10, 3)
                or _fail(r)
            ),
        ),
        # §3.4 sender interfaces
        Case(
            "senders.email",
            lambda c: c.senders.email(),
            "GET",
            "/v1/interfaces/email",
            reply_json=[
                {"type": "email", "value": '"Shop" <news@shop.example>'},
                {"type": "email", "value": '"Shop orders" <orders@shop.example>'},
            ],
            check=_expect(
                lambda r: [(s.type, s.value) for s in r],
                [("email", '"Shop" <news@shop.example>'), ("email", '"Shop orders" <orders@shop.example>')],
            ),
        ),
        Case(
            "senders.sms",
            lambda c: c.senders.sms(),
            "GET",
            "/v1/interfaces/sms",
            reply_json=[{"type": "sms", "value": "Shop"}],
            check=_expect(lambda r: [(s.type, s.value) for s in r], [("sms", "Shop")]),
        ),
        # §4 contacts
        Case(
            "contacts.upsert",
            lambda c: c.contacts.upsert(_contact(ids)),
            "POST",
            "/v1/contact",
            body=_contact_wire(ids),
            reply_json={"id": "123"},  # the old API sent the id as a string
            check=lambda r: r == 123 or _fail(r),
        ),
        Case(
            "contacts.get",
            lambda c: c.contacts.get(ids.contact),
            "GET",
            f"/v1/contact/{ids.contact}",
            reply_json=CONTACT_REPLY,
            check=_check_contact,
        ),
        Case(
            "contacts.update",
            lambda c: c.contacts.update(ids.contact, _contact(ids)),
            "PUT",
            f"/v1/contact/{ids.contact}",
            body=_contact_wire(ids),
            reply_text="Contact with id='123' has been updated",
            check=lambda r: r == "Contact with id='123' has been updated" or _fail(r),
        ),
        Case(
            "contacts.delete",
            lambda c: c.contacts.delete(ids.contact),
            "DELETE",
            f"/v1/contact/{ids.contact}",
            query={"erase": "false"},
            reply_text="Contact with id='123' has been deleted",
        ),
        Case(
            "contacts.delete.erase",
            lambda c: c.contacts.delete(ids.contact, erase=True),
            "DELETE",
            f"/v1/contact/{ids.contact}",
            query={"erase": "true"},
            reply_text="",
        ),
        Case(
            "contacts.delete_by_external_id",
            lambda c: c.contacts.delete_by_external_id(ids.external_id, erase=True),
            "DELETE",
            "/v1/contact",
            query={"externalCustomerId": ids.external_id, "erase": "true"},
        ),
        Case(
            "contacts.search",
            lambda c: c.contacts.search(email="olena@example.com", first_name="Olena", max_rows=20),
            "GET",
            "/v1/contacts",
            query={"email": "olena@example.com", "firstname": "Olena", "startindex": "1", "maxrows": "20"},
            reply_json=[{"id": 1, "channels": [{"type": "email", "value": "olena@example.com"}]}],
            reply_headers={"TotalCount": "1"},
            check=_check_page(1, 1),
        ),
        Case(
            "contacts.search.all_filters",
            lambda c: c.contacts.search(
                phone="+380501234567",
                external_customer_id="CUST-1",
                last_name="Koval",
                start_index=21,
                max_rows=10,
            ),
            "GET",
            "/v1/contacts",
            query={
                "externalCustomerId": "CUST-1",
                "sms": "+380501234567",
                "lastname": "Koval",
                "startindex": "21",
                "maxrows": "10",
            },
            reply_json=[],
            reply_headers={"TotalCount": "0"},
            check=_check_page(0, 0),
        ),
        Case(
            "contacts.search.sorted_export",
            lambda c: c.contacts.search(sort_by_id=True),
            "GET",
            "/v1/contacts",
            query={"startindex": "1", "maxrows": "500", "sortBy": "contactId"},
            reply_text="",  # an empty match may be an empty body
            check=_check_page(None, 0),
        ),
        Case(
            "contacts.bulk_update",
            lambda c: c.contacts.bulk_update(
                [_contact(ids)],
                BulkOptions(
                    dedupe_on=DedupeOn.EMAIL,
                    custom_fields_ids=[ids.text_field],
                    group_names=["Newsletter"],
                    group_names_exclude=["Churned"],
                    restore_deleted=True,
                    event_key_for_new_contacts="newContactImported",
                ),
            ),
            "POST",
            "/v1/contacts",
            body={
                "contacts": [_contact_wire(ids)],
                "dedupeOn": "email",
                "customFieldsIDs": [ids.text_field],
                "groupNames": ["Newsletter"],
                "groupNamesExclude": ["Churned"],
                "restoreDeleted": True,
                "eventKeyForNewContacts": "newContactImported",
            },
            reply_json={
                "asyncSessionId": "abc-123",
                "failedContacts": {"channels": [{"type": "email", "value": "bad"}], "error": "invalid email"},
            },
            check=lambda r: (
                (r.async_session_id, [f.error for f in r.failed_contacts]) == ("abc-123", ["invalid email"]) or _fail(r)
            ),
        ),
        Case(
            "contacts.bulk_update.field_id",
            lambda c: c.contacts.bulk_update(
                [_contact(ids)], BulkOptions(dedupe_on=DedupeOn.FIELD_ID, field_id=ids.other_field)
            ),
            "POST",
            "/v1/contacts",
            body={"contacts": [_contact_wire(ids)], "dedupeOn": "fieldId", "fieldId": ids.other_field},
            reply_json={"asyncSessionId": "s-2"},
        ),
        Case(
            "contacts.import_status",
            lambda c: c.contacts.import_status(ids.import_session),
            "GET",
            f"/v1/importstatus/{ids.import_session}",
            reply_json={
                "status": "FINISHED",
                "timestamp": "2025-01-02T10:00:00Z",
                "mapping": {"dedupeValue": "olena@example.com", "contactId": "123"},
            },
            check=lambda r: (r.finished, r.mapping[0].contact_id) == (True, 123) or _fail(r),
        ),
        Case(
            "contacts.emails",
            lambda c: c.contacts.emails(list(ids.other_contacts)),
            "GET",
            "/v1/contacts/email",
            query={"ids": ",".join(str(i) for i in ids.other_contacts)},
            reply_json={"results": {"contactId": 1, "email": "a@example.com"}},
            check=lambda r: [(e.contact_id, e.email) for e in r] == [(1, "a@example.com")] or _fail(r),
        ),
        Case(
            "contacts.subscribe",
            lambda c: c.contacts.subscribe(
                ContactInput(channels=[ChannelInput(type="email", value="new@example.com")], first_name="Ann"),
                groups=["Newsletter"],
                subscriptions=["news"],
                form_type="footer",
            ),
            "POST",
            "/v1/contact/subscribe",
            body={
                "contact": {"firstName": "Ann", "channels": [{"type": "email", "value": "new@example.com"}]},
                "groups": ["Newsletter"],
                "subscriptions": ["news"],
                "formType": "footer",
            },
            reply_json={"id": 77, "emailStatus": "NEED_CONFIRMATION", "new": "true"},
            check=lambda r: (r.id, r.email_status, r.new) == (77, "NEED_CONFIRMATION", True) or _fail(r),
        ),
        # §4.11 custom fields
        Case(
            "custom_fields.catalogue",
            lambda c: c.custom_fields.catalogue(),
            "GET",
            "/v1/addressbooks",
            # addressBook, fieldGroups and fields are each an object when there is one element
            reply_json={
                "addressBook": {
                    "addressBookId": "1",
                    "name": "Main",
                    "fieldGroups": {
                        "name": "Profile",
                        "profileKey": "PROFILE",
                        "fields": {
                            "id": "7",
                            "name": "City",
                            "fieldKey": "CITY",
                            "description": {
                                "type": "combobox",
                                "required": "false",
                                "readonly": False,
                                "allowedValues": {"possibleValues": ["Kyiv", "Lviv"]},
                            },
                        },
                    },
                }
            },
            check=lambda r: (
                (
                    r[0].address_book_id,
                    r[0].field_groups[0].fields[0].id,
                    r[0].field_groups[0].fields[0].description.required,
                    r[0].field_groups[0].fields[0].description.allowed_values.possible_values,
                )
                == (1, 7, False, ["Kyiv", "Lviv"])
                or _fail(r)
            ),
        ),
        # §5 unsubscribes
        Case(
            "unsubscribes.add",
            lambda c: c.unsubscribes.add(["a@example.com", "b@example.com"]),
            "POST",
            "/v1/emails/unsubscribed/add",
            body={"emails": ["a@example.com", "b@example.com"]},
        ),
        Case(
            "unsubscribes.remove",
            lambda c: c.unsubscribes.remove(["a@example.com"]),
            "POST",
            "/v1/emails/unsubscribed/delete",
            body={"emails": ["a@example.com"]},
        ),
        # §6 segments
        Case(
            "segments.search",
            lambda c: c.segments.search(name="VIP", max_rows=50),
            "GET",
            "/v1/groups",
            query={"name": "VIP", "startindex": "1", "maxrows": "50"},
            reply_json=[
                {"id": 5, "name": "VIP", "type": "Static"},
                {"id": 6, "name": "VIP buyers", "type": "Dynamic"},
            ],
            reply_headers={"TotalCount": "2"},
            check=_check_page(2, 2),
        ),
        Case(
            "segments.contacts",
            lambda c: c.segments.contacts(ids.segment, start_index=501, max_rows=500),
            "GET",
            f"/v1/group/{ids.segment}/contacts",
            query={"startindex": "501", "maxrows": "500"},
            reply_json=[CONTACT_REPLY],
            reply_headers={"TotalCount": "501"},
            check=_check_page(501, 1),
        ),
        Case(
            "segments.contacts.ordered",
            lambda c: c.segments.contacts(ids.segment, order_by_join_time=True, ascending=False),
            "GET",
            f"/v1/group/{ids.segment}/contacts",
            query={"startindex": "1", "maxrows": "500", "orderByTs": "true", "asc": "false"},
            reply_json=[],
        ),
        Case(
            "segments.attach.contact_ids",
            lambda c: c.segments.attach(ids.segment, [ids.contact, *ids.other_contacts]),
            "POST",
            f"/v1/group/{ids.segment}/contacts/attach",
            body={"contactIds": [ids.contact, *ids.other_contacts]},
            reply_text="OK",
        ),
        Case(
            "segments.attach.external_ids",
            lambda c: c.segments.attach(ids.segment, ["CUST-1001", "CUST-1002"]),
            "POST",
            f"/v1/group/{ids.segment}/contacts/attach",
            body={"externalCustomerIds": ["CUST-1001", "CUST-1002"]},
        ),
        Case(
            "segments.detach",
            lambda c: c.segments.detach(ids.segment, ["CUST-1001"]),
            "POST",
            f"/v1/group/{ids.segment}/contacts/detach",
            body={"externalCustomerIds": ["CUST-1001"]},
        ),
        # §7 sending
        Case(
            "messages.send_email",
            lambda c: c.messages.send_email(
                EmailInput(
                    from_='"Shop" <news@shop.example>',
                    subject="Hello",
                    html_text="<p>Hi</p>",
                    plain_text="Hi",
                    emails=["olena@example.com"],
                    tags=["welcome"],
                    external_request_id="req-1",
                )
            ),
            "POST",
            "/v1/message/email",
            body={
                "from": '"Shop" <news@shop.example>',
                "subject": "Hello",
                "htmlText": "<p>Hi</p>",
                "plainText": "Hi",
                "emails": ["olena@example.com"],
                "tags": ["welcome"],
                "externalRequestId": "req-1",
            },
            # results is an object when there is one recipient
            reply_json={"results": {"locator": "olena@example.com", "status": "OK", "requestId": "r-1"}},
            check=lambda r: (
                [(x.locator, x.ok, x.request_id) for x in r] == [("olena@example.com", True, "r-1")] or _fail(r)
            ),
        ),
        Case(
            "messages.send_sms",
            lambda c: c.messages.send_sms(SmsInput(from_="Shop", text="Code 1234", phone_numbers=["+380501234567"])),
            "POST",
            "/v1/message/sms",
            body={"from": "Shop", "text": "Code 1234", "phoneNumbers": ["+380501234567"]},
            reply_json={
                "results": [
                    {"locator": "+380501234567", "status": "OK", "requestId": "r-2"},
                ]
            },
            check=lambda r: [x.request_id for x in r] == ["r-2"] or _fail(r),
        ),
        Case(
            "messages.send_sms.segment",
            lambda c: c.messages.send_sms(
                SmsInput(from_="LumenHome", text="Sale!", group_id=ids.segment, tags=["promo"])
            ),
            "POST",
            "/v1/message/sms",
            body={"from": "LumenHome", "text": "Sale!", "groupId": ids.segment, "tags": ["promo"]},
            reply_json={
                "results": [
                    {"locator": "+380501234567", "status": "OK", "requestId": "r-5"},
                    {"locator": "+380501234568", "status": "ERROR", "message": "Invalid phone number"},
                ]
            },
            check=lambda r: (
                [(x.locator, x.ok) for x in r] == [("+380501234567", True), ("+380501234568", False)] or _fail(r)
            ),
        ),
        Case(
            "messages.send_viber",
            lambda c: c.messages.send_viber(
                ViberInput(
                    text="Your order has shipped",
                    ios_expirity_text="Your order has shipped",
                    from_="LumenHome",
                    phone_numbers=["+380501234567"],
                    ttl_seconds=3600,
                    img="https://img.example/box.jpg",
                    caption="Track",
                    action="https://shop.example/track",
                    external_request_id="ship-1",
                )
            ),
            "POST",
            "/v1/message/viber",
            # iosExpirityText: so spelt in the schema (SPEC OutgoingViber)
            body={
                "text": "Your order has shipped",
                "iosExpirityText": "Your order has shipped",
                "from": "LumenHome",
                "phoneNumbers": ["+380501234567"],
                "ttlSeconds": 3600,
                "img": "https://img.example/box.jpg",
                "caption": "Track",
                "action": "https://shop.example/track",
                "externalRequestId": "ship-1",
            },
            reply_json={"results": {"locator": "+380501234567", "status": "OK", "requestId": "r-6"}},
            check=lambda r: [(x.locator, x.request_id) for x in r] == [("+380501234567", "r-6")] or _fail(r),
        ),
        Case(
            "messages.send_viber.segment",
            lambda c: c.messages.send_viber(ViberInput(text="Sale!", ios_expirity_text="Sale!", group_id=ids.segment)),
            "POST",
            "/v1/message/viber",
            body={"text": "Sale!", "iosExpirityText": "Sale!", "groupId": ids.segment},
            reply_json={"results": []},
            check=lambda r: r == [] or _fail(r),
        ),
        Case(
            "messages.smartsend",
            lambda c: c.messages.smartsend(
                ids.email_template,
                [
                    recipient(locator="olena@example.com", params={"cartTotal": 59.9, "items": [{"sku": "A-1"}]}),
                    recipient(external_customer_id="CUST-2", external_request_id="ext-2", language_code="uk"),
                    recipient(contact_id=ids.contact),
                ],
                email=True,
                from_name="Shop",
            ),
            "POST",
            f"/v1/message/{ids.email_template}/smartsend",
            body={
                "recipients": [
                    # jsonParam is a JSON-encoded string, not an object
                    {"locator": "olena@example.com", "jsonParam": '{"cartTotal":59.9,"items":[{"sku":"A-1"}]}'},
                    {"externalCustomerId": "CUST-2", "externalRequestId": "ext-2", "languageCode": "uk"},
                    {"contactId": ids.contact},
                ],
                "email": True,
                "fromName": "Shop",
            },
            reply_json={
                "results": [
                    {"locator": "olena@example.com", "status": "OK", "requestId": "r-3"},
                    {"locator": "CUST-2", "status": "ERROR", "message": "Contact is unsubscribed"},
                    {"locator": "99", "status": "OK", "requestId": "r-4"},
                ]
            },
            check=lambda r: [x.ok for x in r] == [True, False, True] or _fail(r),
        ),
        Case(
            "messages.status",
            lambda c: c.messages.status(["r-1", "r-2"]),
            "GET",
            "/v1/message/status",
            query={"ids": "r-1,r-2"},
            # the schema: an array of {results}, results an object when there is one
            reply_json=[
                {"results": {"requestId": "r-1", "status": "DELIVERED", "delivered": "true", "failed": False}},
                {"results": [{"requestId": "r-2", "status": "IN_QUEUE", "delivered": False, "failed": False}]},
            ],
            check=lambda r: (
                [(s.request_id, s.status, s.delivered) for s in r]
                == [("r-1", "DELIVERED", True), ("r-2", "IN_QUEUE", False)]
                or _fail(r)
            ),
        ),
        # §9 templates
        Case(
            "templates.search_email",
            lambda c: c.templates.search_email(search="cart", max_rows=10),
            "GET",
            "/v1/messages/email",
            query={"search": "cart", "startindex": "1", "maxrows": "10"},
            reply_json=[
                {
                    "id": 42,
                    "name": "Abandoned cart",
                    "from": "Shop <news@shop.example>",
                    "subject": "You forgot",
                    "tags": "cart",
                }
            ],
            reply_headers={"TotalCount": "1"},
            check=lambda p: (p.total, p.items[0].id, p.items[0].tags) == (1, 42, ["cart"]) or _fail(p),
        ),
        Case(
            "templates.search_sms",
            lambda c: c.templates.search_sms(),
            "GET",
            "/v1/messages/sms",
            query={"startindex": "1", "maxrows": "500"},
            reply_json=[{"id": 43, "name": "OTP", "from": "Shop", "text": "Code $!data.get('code')"}],
            check=lambda p: p.items[0].from_ == "Shop" or _fail(p),
        ),
        Case(
            "templates.get.email",
            lambda c: c.templates.get("email", ids.email_template),
            "GET",
            f"/v1/messages/email/{ids.email_template}",
            reply_json=EMAIL_MESSAGE_REPLY,
            check=_check_email_message,
        ),
        Case(
            "templates.get.sms",
            lambda c: c.templates.get("sms", ids.sms_template),
            "GET",
            f"/v1/messages/sms/{ids.sms_template}",
            reply_json={
                "id": 43,
                "name": "OTP",
                "from": "Shop",
                "text": "Code $!data.get('code')",
                "trackUrls": "false",
            },
            check=_expect(lambda r: (r.from_, r.text, r.track_urls), ("Shop", "Code $!data.get('code')", False)),
        ),
        Case(
            "templates.get.viber",
            lambda c: c.templates.get("viber", ids.viber_template),
            "GET",
            f"/v1/messages/viber/{ids.viber_template}",
            reply_json={
                "id": 44,
                "name": "Sale",
                "from": "Shop",
                "text": "-20% today",
                "img": "https://img.example/sale.jpg",
                "caption": "Shop now",
                "action": "https://shop.example/sale",
                "ttlSec": "86400",
            },
            check=_expect(
                lambda r: (r.from_, r.img, r.caption, r.action, r.ttl_sec),
                ("Shop", "https://img.example/sale.jpg", "Shop now", "https://shop.example/sale", 86400),
            ),
        ),
        Case(
            "templates.get.mobilepush",
            lambda c: c.templates.get("mobilepush", ids.mobilepush_template),
            "GET",
            f"/v1/messages/mobilepush/{ids.mobilepush_template}",
            reply_json={
                "id": 45,
                "name": "Back in stock",
                "title": "Back",
                "text": "It is back",
                "link": "app://p/1",
                "ttlSec": 3600,
                "soundEnabled": "true",
                "images": "https://img.example/1.jpg",
                "buttons": {"actionId": "open", "label": "View"},
            },
            check=_check_mobilepush_message,
        ),
        Case(
            "templates.get.appinbox",
            lambda c: c.templates.get("appinbox", ids.appinbox_template),
            "GET",
            f"/v1/messages/appinbox/{ids.appinbox_template}",
            reply_json={"id": 46, "name": "Points", "title": "Your points", "text": "You have 120", "link": "app://l"},
            check=_expect(lambda r: (r.title, r.text, r.link), ("Your points", "You have 120", "app://l")),
        ),
        Case(
            "templates.get.telegram",
            lambda c: c.templates.get("telegram", ids.telegram_template),
            "GET",
            f"/v1/messages/telegram/{ids.telegram_template}",
            reply_json={
                "id": 47,
                "name": "Order status",
                "text": "Order ${data.orderId} shipped",
                "buttons": [{"text": "My orders", "link": "https://shop.example/orders"}],
            },
            check=_expect(
                lambda r: (r.text, [(b.text, b.link) for b in r.buttons]),
                ("Order ${data.orderId} shipped", [("My orders", "https://shop.example/orders")]),
            ),
        ),
        *(
            Case(
                f"templates.search.{channel}",
                lambda c, channel=channel: c.templates.search(channel, search="order", max_rows=5),
                "GET",
                f"/v1/messages/{channel}",
                query={"search": "order", "startindex": "1", "maxrows": "5"},
                reply_json={"id": 48, "name": "Order status", "text": "Shipped", "tags": "order"},
                reply_headers={"TotalCount": "1"},
                check=_expect(lambda p: (p.total, p.items[0].id, p.items[0].tags), (1, 48, ["order"])),
            )
            for channel in ("viber", "mobilepush", "appinbox", "telegram")
        ),
        Case(
            "templates.view_link",
            lambda c: c.templates.view_link(ids.email_template),
            "GET",
            f"/v1/messages/email/{ids.email_template}/viewLink",
            reply_json={"link": "https://esputnik.com/view/42"},
            check=_expect(lambda link: link, "https://esputnik.com/view/42"),
        ),
        Case(
            "templates.create.email",
            lambda c: c.templates.create(
                "email",
                EmailMessageInput(
                    name="Welcome",
                    from_='"Lumen Home" <news@lumen-home.example>',
                    subject="Hello $!{firstName}",
                    html_text="<p>Hi</p>",
                    language_code="en",
                    tags=["welcome"],
                ),
            ),
            "POST",
            "/v1/messages/email",
            body={
                "name": "Welcome",
                "from": '"Lumen Home" <news@lumen-home.example>',
                "subject": "Hello $!{firstName}",
                "htmlText": "<p>Hi</p>",
                "languageCode": "en",
                "tags": ["welcome"],
            },
            reply_json={"id": "9001"},  # SPEC IDResult, the number as a string
            check=_expect(lambda r: r, 9001),
        ),
        Case(
            "templates.create.sms",
            lambda c: c.templates.create(
                "sms", SmsMessageInput(name="OTP", from_="LumenHome", text="Code $!data.get('code')", track_urls=False)
            ),
            "POST",
            "/v1/messages/sms",
            body={"name": "OTP", "from": "LumenHome", "text": "Code $!data.get('code')", "trackUrls": False},
            reply_json={"id": 9002},
            check=_expect(lambda r: r, 9002),
        ),
        Case(
            "templates.create.viber",
            lambda c: c.templates.create(
                "viber",
                ViberMessageInput(
                    name="Sale",
                    from_="LumenHome",
                    text="-20% today",
                    img="https://img.example/sale.jpg",
                    caption="Shop now",
                    action="https://shop.example/sale",
                    ttl_sec=3600,
                    sms_fallback=True,
                    sms_sender="LumenHome",
                    sms_content="-20% today: shop.example/sale",
                ),
            ),
            "POST",
            "/v1/messages/viber",
            body={
                "name": "Sale",
                "from": "LumenHome",
                "text": "-20% today",
                "img": "https://img.example/sale.jpg",
                "caption": "Shop now",
                "action": "https://shop.example/sale",
                "ttlSec": 3600,
                "smsFallback": True,
                "smsSender": "LumenHome",
                "smsContent": "-20% today: shop.example/sale",
            },
            reply_json={"id": 9003},
            check=_expect(lambda r: r, 9003),
        ),
        Case(
            "templates.update.email",
            lambda c: c.templates.update(
                "email",
                ids.email_template,
                EmailMessageInput(
                    name="Welcome", from_='"Lumen Home" <news@lumen-home.example>', subject="Hi", html_text="<p>Hi</p>"
                ),
            ),
            "PUT",
            f"/v1/messages/email/{ids.email_template}",
            body={
                "name": "Welcome",
                "from": '"Lumen Home" <news@lumen-home.example>',
                "subject": "Hi",
                "htmlText": "<p>Hi</p>",
            },
            reply_text="Message updated",  # SPEC: a string
        ),
        Case(
            "templates.update.sms_translation",
            lambda c: c.templates.update(
                "sms",
                ids.sms_template,
                SmsMessageInput(name="OTP", from_="LumenHome", text="Код $!data.get('code')", language_code="uk"),
                language_code="uk",
            ),
            "PUT",
            f"/v1/messages/sms/{ids.sms_template}/uk",
            body={"name": "OTP", "from": "LumenHome", "text": "Код $!data.get('code')", "languageCode": "uk"},
            reply_text="Message updated",
        ),
        Case(
            "templates.update.viber",
            lambda c: c.templates.update(
                "viber",
                ids.viber_template,
                ViberMessageInput(name="Shipped", from_="LumenHome", text="Shipped", transactional=True),
            ),
            "PUT",
            f"/v1/messages/viber/{ids.viber_template}",
            body={"name": "Shipped", "from": "LumenHome", "text": "Shipped", "transactional": True},
            reply_text="Message updated",
        ),
        # §11 events
        Case(
            "events.generate",
            lambda c: c.events.generate(
                "cartAbandoned",
                {"externalCustomerId": "CUST-1001", "cartTotal": 59.9, "items": [{"sku": "A-1", "qty": 2}]},
            ),
            "POST",
            "/v2/event",
            body={
                "eventTypeKey": "cartAbandoned",
                "params": [
                    {"name": "externalCustomerId", "value": "CUST-1001"},
                    {"name": "cartTotal", "value": 59.9},
                    {"name": "items", "value": [{"sku": "A-1", "qty": 2}]},
                ],
            },
        ),
        # §12 orders
        Case(
            "orders.add",
            lambda c: c.orders.add(
                [
                    OrderInput(
                        external_order_id="ORD-1",
                        external_customer_id="CUST-1",
                        total_cost=59.9,
                        status="ABANDONED_SHOPPING_CART",
                        date="2025-05-14T10:11:10+03:00",
                        currency="UAH",
                        restore_url="https://shop.example/cart/1",
                        items=[{"external_item_id": "A-1", "quantity": 2, "cost": 29.95, "name": "Mug"}],
                    )
                ]
            ),
            "POST",
            "/v1/orders",
            body={
                "orders": [
                    {
                        "externalOrderId": "ORD-1",
                        "totalCost": 59.9,
                        "status": "ABANDONED_SHOPPING_CART",
                        "date": "2025-05-14T10:11:10+03:00",
                        "currency": "UAH",
                        "externalCustomerId": "CUST-1",
                        "restoreUrl": "https://shop.example/cart/1",
                        "items": [{"externalItemId": "A-1", "quantity": 2.0, "name": "Mug", "cost": 29.95}],
                    }
                ]
            },
            reply_json={"failedOrders": {"order": {"externalOrderId": "ORD-1"}, "error": "bad date"}},
            check=lambda r: [f.error for f in r] == ["bad date"] or _fail(r),
        ),
        Case(
            "orders.delete",
            lambda c: c.orders.delete("ORD-1"),
            "DELETE",
            "/v1/orders",
            query={"externalOrderId": "ORD-1"},
        ),
        Case(
            "orders.delete_between",
            lambda c: c.orders.delete_between(
                datetime(2025, 5, 14, 3, 0, tzinfo=timezone(timedelta(hours=3))),
                datetime(2025, 5, 14, 23, 59, 59, tzinfo=UTC),
            ),
            "DELETE",
            "/v1/orders",
            # UTC, yyyy-MM-dd'T'HH:mm:ss
            query={"from": "2025-05-14T00:00:00", "to": "2025-05-14T23:59:59"},
        ),
        # §13.1 contact activity: dateFrom/dateTo YYYY-MM-DD or YYYY-MM-DDTHH:mm, at most 3 months
        Case(
            "activity.contact_activity",
            lambda c: c.activity.contact_activity(
                date_from=date(2025, 4, 1),
                date_to=date(2025, 6, 14),
                email="olena@example.com",
                message_tag="promo",
                status="CLICKED",
                max_rows=100,
            ),
            "GET",
            "/v2/contacts/activity",
            query={
                "dateFrom": "2025-04-01",
                "dateTo": "2025-06-14",
                "email": "olena@example.com",
                "messageTag": "promo",
                "activityStatus": "CLICKED",
                "maxrows": "100",
            },
            reply_json=ACTIVITY_REPLY,
            check=_check_activity,
        ),
        Case(
            "activity.contact_activity.channels",
            lambda c: c.activity.contact_activity(
                date_from=datetime(2025, 6, 1, 9, 30),
                date_to=datetime(2025, 6, 14, 18, 0),
                sms="+380501234567",
                web_push_token="0383a4ab1c38448eb0b30bc48a4f492c",
                mob_push_token="1a2b3c4d5e6f7g8h9i0j",
            ),
            "GET",
            "/v2/contacts/activity",
            query={
                "dateFrom": "2025-06-01T09:30",
                "dateTo": "2025-06-14T18:00",
                "sms": "+380501234567",
                "webPushToken": "0383a4ab1c38448eb0b30bc48a4f492c",
                "mobPushToken": "1a2b3c4d5e6f7g8h9i0j",
            },
            reply_json=ACTIVITY_REPLY[1],  # a lone object stands for a one-element list
            check=_expect(lambda r: [a.activity_status for a in r], ["SUBSCRIPTION_CHANGED"]),
        ),
        # a window of 7 months: three windows of at most 3 months, oldest first, meeting at a day
        # boundary; each answered by one page shorter than maxrows
        Case(
            "activity.iter_contact_activity.split_window",
            lambda c: _pages(
                c.activity.iter_contact_activity(
                    date_from=datetime(2024, 11, 15, 8, 0),
                    date_to=datetime(2025, 6, 14, 12, 0),
                    status="DELIVERED",
                    max_rows=25000,
                )
            ),
            "GET",
            "/v2/contacts/activity",
            query={
                "dateFrom": "2024-11-15T08:00",
                "dateTo": "2025-02-14",
                "activityStatus": "DELIVERED",
                "maxrows": "25000",
            },
            then=(
                Sent(
                    "GET",
                    "/v2/contacts/activity",
                    {
                        "dateFrom": "2025-02-15",
                        "dateTo": "2025-05-14",
                        "activityStatus": "DELIVERED",
                        "maxrows": "25000",
                    },
                ),
                Sent(
                    "GET",
                    "/v2/contacts/activity",
                    {
                        "dateFrom": "2025-05-15",
                        "dateTo": "2025-06-14T12:00",
                        "activityStatus": "DELIVERED",
                        "maxrows": "25000",
                    },
                ),
            ),
            reply_json=ACTIVITY_REPLY[:1],
            check=_check_split_pages,
        ),
        # §13.2 message history: exactly one identifier, channelTypes comma-joined, 0-based offset
        Case(
            "activity.contact_messages",
            lambda c: c.activity.contact_messages(
                date_from=date(2025, 5, 1),
                date_to=date(2025, 6, 14),
                contact_id=ids.contact,
                channel_types=["email", "sms"],
            ),
            "GET",
            "/v2/contacts/messages",
            query={
                "dateFrom": "2025-05-01",
                "dateTo": "2025-06-14",
                "contactId": str(ids.contact),
                "channelTypes": "email,sms",
                "offset": "0",
                "maxrows": "10",
            },
            reply_json=MESSAGES_REPLY,
            check=_check_messages,
        ),
        Case(
            "activity.contact_messages.external_id",
            lambda c: c.activity.contact_messages(
                date_from=datetime(2025, 5, 1, 0, 0),
                date_to=datetime(2025, 6, 14, 23, 59),
                external_customer_id=ids.external_id,
                offset=20,
                max_rows=100,
            ),
            "GET",
            "/v2/contacts/messages",
            query={
                "dateFrom": "2025-05-01T00:00",
                "dateTo": "2025-06-14T23:59",
                "externalCustomerId": ids.external_id,
                "offset": "20",
                "maxrows": "100",
            },
            reply_json=[],
            check=_expect(lambda r: r, []),
        ),
        *_campaign_cases(ids),
        *_commerce_cases(ids),
    ]


def _campaign_cases(ids: Ids) -> list[Case]:
    """§8 broadcasts (ids and messageId are strings; the speed is batchSize per batchIntervalUnit;
    startDate YYYY-MM-DDTHH:mm in the account's time) and §6.5 workflows (tags one-or-many)."""
    broadcast_reply = {
        "broadcastId": 3459207,  # a string in the reference, sent as a number
        "title": "Spring sale",
        "messageId": str(ids.email_template),
        "groupId": str(ids.segment),
        "startDate": "2030-05-14T10:00:00+03:00",
        "batchSize": "100",
        "batchIntervalUnit": "HOUR",
        "somethingNew": "kept",
    }
    return [
        Case(
            "broadcasts.create",
            lambda c: c.broadcasts.create(
                NewBroadcast(
                    message_id=ids.email_template,
                    groups=[ids.segment],
                    excluded_groups=[ids.excluded_segment],
                    title="Spring sale",
                    start_date="2030-05-14T10:00",
                    batch_size=100,
                    batch_interval_unit="HOUR",
                )
            ),
            "POST",
            "/v1/broadcast",
            body={
                "messageId": str(ids.email_template),
                "groups": [ids.segment],
                "excludedGroups": [ids.excluded_segment],
                "title": "Spring sale",
                "startDate": "2030-05-14T10:00",
                "batchSize": 100,
                "batchIntervalUnit": "HOUR",
            },
            reply_json=broadcast_reply,
            check=lambda r: (
                (r.broadcast_id, r.message_id, r.segment_ids, r.batch_size, r.model_extra)
                == ("3459207", "42", [5], 100, {"somethingNew": "kept"})
                or _fail(r)
            ),
        ),
        Case(
            "broadcasts.create.now",
            lambda c: c.broadcasts.create(NewBroadcast(message_id=str(ids.sms_template), groups=[ids.segment])),
            "POST",
            "/v1/broadcast",
            body={"messageId": str(ids.sms_template), "groups": [ids.segment]},
            reply_json={"broadcastId": "3459208", "messageId": str(ids.sms_template), "groupId": "5,6"},
            check=lambda r: (r.broadcast_id, r.segment_ids) == ("3459208", [5, 6]) or _fail(r),
        ),
        Case(
            "broadcasts.find",
            lambda c: c.broadcasts.find(),
            "GET",
            "/v1/broadcasts",
            query={"startindex": "1", "maxrows": "10"},
            reply_json=broadcast_reply,  # one broadcast, sent as a lone object
            reply_headers={"TotalCount": "1"},
            check=_check_page(1, 1),
        ),
        Case(
            "broadcasts.find.page",
            lambda c: c.broadcasts.find(start_index=11, max_rows=500),
            "GET",
            "/v1/broadcasts",
            query={"startindex": "11", "maxrows": "500"},
            reply_json=[],
            check=_check_page(None, 0),
        ),
        Case(
            "broadcasts.get",
            lambda c: c.broadcasts.get(ids.broadcast),
            "GET",
            f"/v1/broadcast/{ids.broadcast}",
            reply_json=broadcast_reply,
            check=_expect(lambda r: (r.title, r.start_date), ("Spring sale", "2030-05-14T10:00:00+03:00")),
        ),
        Case(
            "broadcasts.cancel",
            lambda c: c.broadcasts.cancel(ids.broadcast),
            "DELETE",
            f"/v1/broadcast/{ids.broadcast}",
            check=_expect(lambda r: r, ""),
        ),
        Case(
            "workflows.search",
            lambda c: c.workflows.search(name="cart", max_rows=50),
            "GET",
            "/v1/workflows",
            query={"name": "cart", "startindex": "1", "maxrows": "50"},
            reply_json=[
                {"id": "200400", "name": "Abandoned cart", "status": "active", "tags": "promo"},
                {"id": 200401, "name": "Cart reminder", "status": "inactive", "tags": ["cart", "sms"]},
            ],
            reply_headers={"TotalCount": "2"},
            check=lambda r: (
                [(w.id, w.status, w.tags) for w in r.items]
                == [(200400, "active", ["promo"]), (200401, "inactive", ["cart", "sms"])]
                or _fail(r)
            ),
        ),
    ]


# GET /v1/balance/history (SPEC BillingHistory), with eSputnik's loose typing.
BILLING_REPLY = {
    "currency": "UAH",
    "dailyCosts": [
        {
            "date": "2025-05-01T00:00:00+03:00",
            "channelDetails": [
                {
                    "mediaType": "email",
                    "totalSent": "120",  # an int sent as a string
                    "totalParts": 120,
                    "bonusSpent": 100,
                    "bonusReceived": 200,
                    "fundsWithdrawal": 0.4,
                    "fundsRefund": 0,
                },
                {
                    "mediaType": "viber",
                    "totalSent": 30,
                    "totalParts": 30,
                    "reservedFundsWithdrawal": 18.0,
                    "reservedFundsRefund": 1.2,
                },
            ],
        },
        # a one-element list sent as an object
        {"date": "2025-05-02T00:00:00+03:00", "channelDetails": {"mediaType": "sms", "totalSent": 2, "totalParts": 3}},
    ],
}


def _check_billing(result: Any) -> None:
    assert result.currency == "UAH"
    first, second = result.daily_costs
    email, viber = first.channel_details
    assert (email.media_type, email.total_sent, email.bonus_spent, email.funds_withdrawal) == ("email", 120, 100, 0.4)
    assert (viber.reserved_funds_withdrawal, viber.reserved_funds_refund) == (18.0, 1.2)
    assert [(c.media_type, c.total_parts) for c in second.channel_details] == [("sms", 3)]


def _check_billing_windows(windows: Any) -> None:
    assert [(w.date_from, w.date_to) for w in windows] == [
        (date(2025, 1, 1), date(2025, 3, 31)),
        (date(2025, 4, 1), date(2025, 6, 29)),
        (date(2025, 6, 30), date(2025, 7, 19)),
    ]


PROMO_CODES = [
    {"code": "SPRING10-AB12CD", "expirationDate": "2025-07-15T23:59", "discount": 10, "type": "spring-sale"},
    {"code": "SPRING10-EF34GH", "expirationDate": "2025-07-15T23:59", "discount": "10", "inUse": "false"},
]


def _check_promo_codes(result: Any) -> None:
    assert [(c.code, c.expiration_date, c.discount, c.type, c.in_use) for c in result] == [
        ("SPRING10-AB12CD", "2025-07-15T23:59", 10, "spring-sale", None),
        ("SPRING10-EF34GH", "2025-07-15T23:59", 10, None, False),
    ]


RECOMMENDATIONS_REPLY = [
    {
        "id": "SKU-1003",
        "name": "Ceramic planter, 30 cm",
        "url": "https://lumen-home.example/p/sku-1003",
        "price": "359.0",
        "descr": "A planter.",
        "brand": "GreenNook",
        "category": "Garden",  # a one-element list sent as a string
        "isInStock": 1,
        "tags_material": "ceramic",
    },
    {"id": 1004, "name": "Cast-iron skillet", "price": 1199, "isInStock": 0},
]


def _check_recommendations(result: Any) -> None:
    first, second = result
    assert (first.id, first.price, first.category, first.in_stock) == ("SKU-1003", 359.0, ["Garden"], True)
    assert first.model_extra == {"tags_material": "ceramic"}
    assert (second.id, second.in_stock) == ("1004", False)


def _commerce_cases(ids: Ids) -> list[Case]:
    """Billing history, subscription categories, promo codes, product feeds and recommendations."""
    return [
        # §3.3 billing history: dates, at most 90 days a request
        Case(
            "account.billing_history",
            lambda c: c.account.billing_history(date(2025, 5, 1), date(2025, 6, 14)),
            "GET",
            "/v1/balance/history",
            query={"dateFrom": "2025-05-01", "dateTo": "2025-06-14"},
            reply_json=BILLING_REPLY,
            check=_check_billing,
        ),
        # 200 days: three windows of at most 90 days (both ends counted), oldest first, one after another
        Case(
            "account.billing_history_split.windows",
            lambda c: c.account.billing_history_split(date(2025, 1, 1), date(2025, 7, 19)),
            "GET",
            "/v1/balance/history",
            query={"dateFrom": "2025-01-01", "dateTo": "2025-03-31"},
            then=(
                Sent("GET", "/v1/balance/history", {"dateFrom": "2025-04-01", "dateTo": "2025-06-29"}),
                Sent("GET", "/v1/balance/history", {"dateFrom": "2025-06-30", "dateTo": "2025-07-19"}),
            ),
            reply_json={"currency": "UAH", "dailyCosts": []},
            check=_check_billing_windows,
        ),
        # §4.12 subscription categories
        Case(
            "subscriptions.categories",
            lambda c: c.subscriptions.categories(),
            "GET",
            "/v1/subscriptions",
            reply_json=[
                {"id": 301, "key": "news", "name": "News and articles", "contactsCount": "1232", "groupId": 77},
                {"id": 302, "key": "sales", "name": "Sales", "createdDate": "2024-06-18T14:19:18+03:00"},
            ],
            check=_expect(
                lambda r: [(s.key, s.contacts_count, s.group_id) for s in r],
                [("news", 1232, 77), ("sales", None, None)],
            ),
        ),
        Case(
            "subscriptions.of_contact",
            lambda c: c.subscriptions.of_contact(ids.contact),
            "GET",
            f"/v1/contact/{ids.contact}/subscriptions",
            reply_json={"id": 301, "key": "news", "name": "News and articles"},  # one object, as the schema shows
            check=_expect(lambda r: [(s.id, s.key) for s in r], [(301, "news")]),
        ),
        Case(
            "subscriptions.change",
            lambda c: c.subscriptions.change(ids.contact, ["news", " sales", "news"]),
            "PUT",
            f"/v1/contact/{ids.contact}/subscriptions",
            body={"subscriptions": ["news", "sales"]},
            reply_text="Subscriptions have been updated",
        ),
        # §10.1 promo codes: the list is a JSON string holding JSON
        Case(
            "promo_codes.codes",
            lambda c: c.promo_codes.codes(type="spring-sale", in_use=False, active_due_days=14, discount=10),
            "GET",
            "/v1/promocodes",
            query={"type": "spring-sale", "inUse": "false", "activeDueDays": "14", "discount": "10"},
            reply_json=json.dumps(PROMO_CODES),
            check=_check_promo_codes,
        ),
        Case(
            "promo_codes.codes.plain_array",
            lambda c: c.promo_codes.codes(),
            "GET",
            "/v1/promocodes",
            reply_json=PROMO_CODES,  # the list itself is read too
            check=_check_promo_codes,
        ),
        Case(
            "promo_codes.count",
            lambda c: c.promo_codes.count(type="welcome", active_due_days=7, discount=15),
            "GET",
            "/v1/promocodes/count",
            query={"type": "welcome", "activeDueDays": "7", "discount": "15"},
            reply_text="42",
            check=_expect(lambda r: r, 42),
        ),
        Case(
            "promo_codes.upload",
            lambda c: c.promo_codes.upload(
                PromoCodesUpload(
                    promocodes=["SUMMER-1", "SUMMER-2"],
                    expiration_date="2025-08-31T23:59",
                    discount=15,
                    type="summer",
                    in_use=False,
                )
            ),
            "POST",
            "/v1/promocodes",
            body={
                "promocodes": ["SUMMER-1", "SUMMER-2"],
                "expirationDate": "2025-08-31T23:59",
                "discount": 15,
                "type": "summer",
                "inUse": False,
            },
            reply_json={"promocodes": ["SUMMER-1", "SUMMER-2"], "expirationDate": "2025-08-31T23:59", "discount": 15},
            check=_expect(lambda r: (r.promocodes, r.discount), (["SUMMER-1", "SUMMER-2"], 15)),
        ),
        # §15.2 product feeds
        Case(
            "product_feeds.get",
            lambda c: c.product_feeds.get(),
            "GET",
            "/v1/products/config",
            reply_json={"feeds": {"url": "https://shop.example/feed.xml", "language": "uk", "default": "true"}},
            check=_expect(
                lambda r: [(f.url, f.language, f.default) for f in r], [("https://shop.example/feed.xml", "uk", True)]
            ),
        ),
        Case(
            "product_feeds.set",
            lambda c: c.product_feeds.set(
                [
                    ProductFeedInput(url="https://shop.example/feed-uk.xml", language="uk", default=True),
                    ProductFeedInput(url="https://shop.example/feed-en.xml", language="en", default=False),
                ]
            ),
            "POST",
            "/v1/products/config",
            body={
                "feeds": [
                    {"url": "https://shop.example/feed-uk.xml", "language": "uk", "default": True},
                    {"url": "https://shop.example/feed-en.xml", "language": "en", "default": False},
                ]
            },
            reply_text="saved",
            check=_expect(lambda r: r, "saved"),
        ),
        # §15.3 recommendations: one data source a request; products and category comma-joined
        Case(
            "recommendations.for_contact",
            lambda c: c.recommendations.for_contact(
                ids.data_source, contact_id=ids.contact, products=["SKU-1001", "SKU-1002"]
            ),
            "GET",
            f"/v2/contacts/recoms/{ids.data_source}",
            query={"contactId": str(ids.contact), "products": "SKU-1001,SKU-1002"},
            reply_json=RECOMMENDATIONS_REPLY,
            check=_check_recommendations,
        ),
        Case(
            "recommendations.for_contact.by_email_and_category",
            lambda c: c.recommendations.for_contact(1404, email="olena@example.com", category=["Garden", "Decor"]),
            "GET",
            "/v2/contacts/recoms/1404",
            query={"email": "olena@example.com", "category": "Garden,Decor"},
            reply_json=[],
            check=_expect(lambda r: r, []),
        ),
    ]


CASES = build_cases(MOCK_IDS)


def _fail(result: Any) -> None:
    raise AssertionError(f"unexpected result: {result!r}")
