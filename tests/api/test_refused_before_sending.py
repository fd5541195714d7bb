"""Requests eSputnik would reject are refused by the client, with a clear reason, before anything
leaves: nothing reaches the upstream."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pydantic
import pytest

from esputnik_mcp.api import ESputnikClient, RequestValidationError
from esputnik_mcp.api.messages import recipient
from esputnik_mcp.api.models import BulkOptions, ChannelInput, ContactInput, DedupeOn, OrderInput, SmsInput
from tests.fakes import Upstream, make_client

Call = Callable[[ESputnikClient], Awaitable[Any]]

EMAIL_CONTACT = ContactInput(channels=[ChannelInput(type="email", value="a@example.com")])
T0 = datetime(2025, 5, 14, tzinfo=UTC)

REFUSED: list[tuple[str, Call, str]] = [
    ("event key too long", lambda c: c.events.generate("k" * 101, {"email": "a@example.com"}), "100"),
    (
        "event key forbidden character",
        lambda c: c.events.generate("cart/abandoned", {"email": "a@example.com"}),
        "forbids",
    ),
    (
        "event without contact",
        lambda c: c.events.generate("cartAbandoned", {"cartTotal": 5}),
        "name the contact",
    ),
    (
        "event with null-like external id",
        lambda c: c.events.generate("cartAbandoned", {"externalCustomerId": " null "}),
        "name the contact",
    ),
    (
        "event over 20 kB",
        lambda c: c.events.generate("cartAbandoned", {"email": "a@example.com", "blob": "x" * 20_500}),
        "20 kB",
    ),
    (
        "bulk over 3000",
        lambda c: c.contacts.bulk_update([EMAIL_CONTACT] * 3001, BulkOptions(dedupe_on=DedupeOn.EMAIL)),
        "3000",
    ),
    (
        "bulk with no contacts",
        lambda c: c.contacts.bulk_update([], BulkOptions(dedupe_on=DedupeOn.EMAIL)),
        "no contacts",
    ),
    (
        "bulk fieldId without field",
        lambda c: c.contacts.bulk_update([EMAIL_CONTACT], BulkOptions(dedupe_on=DedupeOn.FIELD_ID)),
        "field id",
    ),
    (
        "bulk bad event key",
        lambda c: c.contacts.bulk_update(
            [EMAIL_CONTACT], BulkOptions(dedupe_on=DedupeOn.EMAIL, event_key_for_new_contacts="new?")
        ),
        "forbids",
    ),
    (
        "subscribe bad form type",
        lambda c: c.contacts.subscribe(EMAIL_CONTACT, form_type="foot,er"),
        "forbids",
    ),
    (
        "sort by id with a filter",
        lambda c: c.contacts.search(email="a@example.com", sort_by_id=True),
        "without filters",
    ),
    ("attach over 500", lambda c: c.segments.attach(1, list(range(501))), "500"),
    ("attach mixed id kinds", lambda c: c.segments.attach(1, [1, "CUST-1"]), "one kind"),  # type: ignore[list-item]
    ("attach nothing", lambda c: c.segments.attach(1, []), "no contacts"),
    (
        "smartsend over 1000",
        lambda c: c.messages.smartsend(1, [recipient(locator="a@example.com")] * 1001, email=True),
        "1000",
    ),
    ("smartsend nobody", lambda c: c.messages.smartsend(1, [], email=True), "no recipients"),
    ("sms to nobody", lambda c: c.messages.send_sms(SmsInput(from_="Shop", text="hi")), "phone numbers"),
    ("status of nothing", lambda c: c.messages.status([" "]), "no request ids"),
    ("orders over 1000", lambda c: c.orders.add([_order()] * 1001), "1000"),
    (
        "order window over 24 h",
        lambda c: c.orders.delete_between(T0, T0 + timedelta(hours=24, seconds=1)),
        "24 hours",
    ),
    ("order window reversed", lambda c: c.orders.delete_between(T0, T0), "before its end"),
    (
        "order window naive time",
        lambda c: c.orders.delete_between(datetime(2025, 5, 14), T0 + timedelta(hours=1)),
        "time zone",
    ),
    ("unsubscribe nobody", lambda c: c.unsubscribes.add(["", " "]), "no email"),
    ("import status of nothing", lambda c: c.contacts.import_status(" "), "empty"),
    (
        "activity window over 3 months",
        lambda c: c.activity.contact_activity(date_from=date(2025, 1, 1), date_to=date(2025, 4, 1)),
        "at most 3 months",
    ),
    (
        "activity window over 3 months by a minute",  # a date-time dateTo covers its whole minute
        lambda c: c.activity.contact_activity(
            date_from=datetime(2025, 1, 31, 10, 0), date_to=datetime(2025, 4, 30, 10, 0)
        ),
        "at most 3 months",
    ),
    (
        "activity window reversed",
        lambda c: c.activity.contact_activity(date_from=date(2025, 5, 2), date_to=date(2025, 5, 1)),
        "before its end",
    ),
    (
        "activity window with a time zone",
        lambda c: c.activity.contact_activity(date_from=T0, date_to=T0 + timedelta(days=1)),
        "account's time zone",
    ),
    (
        "activity status not filterable",
        lambda c: c.activity.contact_activity(date_from=date(2025, 5, 1), date_to=date(2025, 5, 2), status="SENT"),
        "cannot be filtered on",
    ),
    (
        "activity subscription changes not filterable",
        lambda c: c.activity.contact_activity(
            date_from=date(2025, 5, 1), date_to=date(2025, 5, 2), status="SUBSCRIPTION_CHANGED"
        ),
        "cannot be filtered on",
    ),
    (
        "activity blank filter",
        lambda c: c.activity.contact_activity(date_from=date(2025, 5, 1), date_to=date(2025, 5, 2), email=" "),
        "email must not be empty",
    ),
    (
        "activity blank cursor",
        lambda c: c.activity.contact_activity(date_from=date(2025, 5, 1), date_to=date(2025, 5, 2), offset=""),
        "offset must not be empty",
    ),
    (
        "activity no rows",
        lambda c: c.activity.contact_activity(date_from=date(2025, 5, 1), date_to=date(2025, 5, 2), max_rows=0),
        "at least 1",
    ),
    (
        "history without a contact",
        lambda c: c.activity.contact_messages(date_from=date(2025, 5, 1), date_to=date(2025, 5, 2)),
        "exactly one",
    ),
    (
        "history with two contacts",
        lambda c: c.activity.contact_messages(
            date_from=date(2025, 5, 1), date_to=date(2025, 5, 2), email="a@example.com", contact_id=5
        ),
        "exactly one",
    ),
    (
        "history blank identifier",
        lambda c: c.activity.contact_messages(
            date_from=date(2025, 5, 1), date_to=date(2025, 5, 2), external_customer_id=""
        ),
        "must not be empty",
    ),
    (
        "history over 100 rows",
        lambda c: c.activity.contact_messages(
            date_from=date(2025, 5, 1), date_to=date(2025, 5, 2), contact_id=5, max_rows=101
        ),
        "between 1 and 100",
    ),
    (
        "history negative offset",
        lambda c: c.activity.contact_messages(
            date_from=date(2025, 5, 1), date_to=date(2025, 5, 2), contact_id=5, offset=-1
        ),
        "0-based",
    ),
    (
        "history unknown channel",
        lambda c: c.activity.contact_messages(
            date_from=date(2025, 5, 1), date_to=date(2025, 5, 2), contact_id=5, channel_types=["email", "telegram"]
        ),
        "'telegram'",
    ),
    (
        "history no channels",
        lambda c: c.activity.contact_messages(
            date_from=date(2025, 5, 1), date_to=date(2025, 5, 2), contact_id=5, channel_types=[]
        ),
        "channel_types is empty",
    ),
    (
        "history window reversed",
        lambda c: c.activity.contact_messages(
            date_from=datetime(2025, 5, 1, 10, 1), date_to=datetime(2025, 5, 1, 10, 0), contact_id=5
        ),
        "before its end",
    ),
]


def _order(**changes: Any) -> OrderInput:
    fields: dict[str, Any] = {
        "external_order_id": "O-1",
        "total_cost": 10,
        "status": "DELIVERED",
        "date": "2025-05-14T10:11:10.7022176+03:00",
        "currency": "UAH",
        "email": "a@example.com",
    }
    fields.update(changes)
    return OrderInput(**fields)


@pytest.mark.anyio
@pytest.mark.parametrize(("name", "call", "reason"), REFUSED, ids=[r[0] for r in REFUSED])
async def test_refused_with_a_reason_and_nothing_sent(name: str, call: Call, reason: str) -> None:
    upstream = Upstream()
    async with make_client(upstream) as client:
        with pytest.raises(RequestValidationError) as caught:
            await call(client)
    assert reason in str(caught.value)
    assert upstream.attempts == 0


def test_recipient_needs_exactly_one_identifier() -> None:
    with pytest.raises(RequestValidationError, match="exactly one"):
        recipient()
    with pytest.raises(RequestValidationError, match="exactly one"):
        recipient(locator="a@example.com", contact_id=3)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"date": "14.05.2025"}, "ISO 8601"),
        ({"date": "2025-05-14"}, "no time"),
        ({"date": "2025-05-14 10:00:00"}, "T between date and time"),
        ({"currency": "usd"}, "ISO 4217"),
        ({"currency": "US$"}, "ISO 4217"),
        ({"email": None}, "name its customer"),
        ({"status": "PAID"}, "status"),
        ({"external_order_id": ""}, "external_order_id"),
    ],
)
def test_order_model_refuses_what_the_schema_refuses(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        _order(**changes)
    assert reason in str(caught.value)


def test_contact_model_needs_a_channel_and_refuses_unknown_fields() -> None:
    with pytest.raises(pydantic.ValidationError):
        ContactInput(channels=[])
    with pytest.raises(pydantic.ValidationError):
        ContactInput(channels=[{"type": "telegram", "value": "123"}])  # not a documented channel type
    with pytest.raises(pydantic.ValidationError):
        ContactInput.model_validate({"channels": [{"type": "email", "value": "a@example.com"}], "dedupeOn": "email"})
    with pytest.raises(pydantic.ValidationError):
        ContactInput(first_name="x" * 41, channels=[{"type": "email", "value": "a@example.com"}])
