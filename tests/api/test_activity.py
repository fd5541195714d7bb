"""Activity: the webhook body parser, activityDateTime, the 3-month windows of GET
/v2/contacts/activity and its cursor, and the message-history rate limit."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import httpx2 as httpx
import pytest

from esputnik_mcp.api import ESputnikClient, RequestValidationError, ResponseDecodeError, RetryPolicy
from esputnik_mcp.api.activity import (
    ActivityCursorPage,
    ActivityPayloadError,
    ActivityStatus,
    activity_time,
    activity_windows,
    add_months,
    check_window,
    parse_activity_payload,
)
from esputnik_mcp.sandbox import SANDBOX_BASE_URL, Clock, Sandbox
from tests.fakes import FakeTime, Upstream, make_client, query_of

# --- the webhook body --------------------------------------------------------------------------

# A hard bounce as the data-export webhook pushes it (esputnik-api.md §16).
BOUNCE = {
    "activityDateTime": "2025-05-14T10:11:10.123+03:00",
    "activityStatus": "UNDELIVERED",
    "contactId": 123,
    "externalCustomerId": "CUST-1",
    "email": "olena@example.com",
    "mediaType": "email",
    "messageId": 42,
    "messageInstanceId": 7001,
    "messageName": "Abandoned cart",
    "messageTag": "cart,promo",
    "messageLanguageCode": "uk",
    "from": '"Shop" <news@shop.example>',
    "iid": "a1b2c3",
    "externalRequestId": "ext-1",
    "viewMessageLink": "https://esputnik.com/view/1",
    "statusDescription": "550 5.1.1 mailbox unavailable",
    "hardBounce": True,
    "broadcastId": 9,
    "workflowId": 3,
    "workflowBlockId": "b-1",
    "workflowInstanceId": "7f0c2d0e-5cb2-11ee-aa11-1f2b981c5833",
    "sourceEventId": 555,
    "sourceEventKey": "order-1",
    "sourceEventTypeKey": "orderCreated",
}


def _event(**fields: Any) -> dict[str, Any]:
    return {"activityDateTime": "2025-05-14T10:11:10", "activityStatus": "DELIVERED", **fields}


def _body(data: Any) -> bytes:
    return json.dumps(data).encode()


def test_an_array_of_events_is_read_with_every_field() -> None:
    events = parse_activity_payload(_body([BOUNCE, _event(mediaType="sms", sms="+380501234567")]))
    bounce, sms = events
    assert (bounce.activity_status, bounce.media_type, bounce.contact_id, bounce.hard_bounce) == (
        "UNDELIVERED",
        "email",
        123,
        True,
    )
    assert (bounce.message_id, bounce.message_instance_id, bounce.broadcast_id, bounce.workflow_id) == (42, 7001, 9, 3)
    assert (bounce.source_event_id, bounce.source_event_key, bounce.source_event_type_key) == (
        555,
        "order-1",
        "orderCreated",
    )
    assert (bounce.iid, bounce.external_request_id, bounce.from_, bounce.message_language_code) == (
        "a1b2c3",
        "ext-1",
        '"Shop" <news@shop.example>',
        "uk",
    )
    assert bounce.status_description == "550 5.1.1 mailbox unavailable"
    assert bounce.workflow_instance_id == "7f0c2d0e-5cb2-11ee-aa11-1f2b981c5833"
    assert bounce.message_tags == ["cart", "promo"]
    assert bounce.at == datetime(2025, 5, 14, 7, 11, 10, 123000, tzinfo=UTC)
    assert bounce.model_extra == {}
    assert (sms.media_type, sms.sms) == ("sms", "+380501234567")


def test_a_single_object_is_one_event() -> None:
    [event] = parse_activity_payload(_body(_event(email="a@example.com")))
    assert (event.activity_status, event.email) == ("DELIVERED", "a@example.com")


def test_an_empty_array_is_no_events() -> None:
    assert parse_activity_payload(b"[]") == []
    assert parse_activity_payload(b"\xef\xbb\xbf [ ] \n") == []  # a byte-order mark and spaces


@pytest.mark.parametrize("status", list(ActivityStatus))
def test_every_documented_status_is_read(status: ActivityStatus) -> None:
    [event] = parse_activity_payload(_body([_event(activityStatus=status.value)]))
    assert event.activity_status == status.value


def test_an_undocumented_status_is_kept_as_sent() -> None:
    [event] = parse_activity_payload(_body([_event(activityStatus="BOUNCED_SOFT")]))
    assert event.activity_status == "BOUNCED_SOFT"


# Every channel of §16, with the address field eSputnik fills for it.
CHANNELS = [
    ("email", {"email": "a@example.com"}),
    ("sms", {"sms": "+380501234567"}),
    ("viber", {"viber": "+380501234567"}),
    ("webpush", {"webpush": "wp-token", "webPushToken": "wp-token", "osName": "Windows", "osType": "desktop"}),
    ("mobilepush", {"mobilepush": "mp-token", "mobPushToken": "mp-token", "osName": "Android", "osType": "mobile"}),
    ("appinbox", {"mobilepush": "mp-token"}),
    ("widget", {"email": "a@example.com"}),
    ("inapp", {"mobilepush": "mp-token"}),
    ("telegrambot", {"externalCustomerId": "CUST-1"}),
]


@pytest.mark.parametrize(("channel", "fields"), CHANNELS, ids=[c for c, _ in CHANNELS])
def test_every_channel_is_read(channel: str, fields: dict[str, str]) -> None:
    [event] = parse_activity_payload(_body([_event(mediaType=channel, **fields)]))
    assert event.media_type == channel
    dumped = event.model_dump(by_alias=True, exclude_none=True)
    assert {name: dumped[name] for name in fields} == fields
    assert event.model_extra == {}


def test_mobile_push_sent_status_with_its_device() -> None:
    [event] = parse_activity_payload(
        _body([_event(activityStatus="SENT", mediaType="mobilepush", mobilepush="t", osName="iOS", osType="mobile")])
    )
    assert (event.activity_status, event.mobilepush, event.os_name, event.os_type) == ("SENT", "t", "iOS", "mobile")


def test_unknown_fields_are_kept_and_dumped_back() -> None:
    [event] = parse_activity_payload(_body([_event(newField={"nested": [1, 2]}, anotherOne="x")]))
    assert event.model_extra == {"newField": {"nested": [1, 2]}, "anotherOne": "x"}
    dumped = event.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert dumped["newField"] == {"nested": [1, 2]}
    assert dumped["activityStatus"] == "DELIVERED"


def test_loose_values_are_read() -> None:
    [event] = parse_activity_payload(
        _body(
            [
                _event(
                    contactId="123",
                    messageId="42",
                    broadcastId="",
                    workflowId=" ",
                    sourceEventId=None,
                    hardBounce="true",
                    iid=98765,
                    workflowBlockId=17,
                    messageTag=["cart", "promo"],
                    statusData={"subscription": {"subscriptions": "news"}},
                )
            ]
        )
    )
    assert (event.contact_id, event.message_id, event.broadcast_id, event.workflow_id) == (123, 42, None, None)
    assert (event.source_event_id, event.hard_bounce, event.iid, event.workflow_block_id) == (None, True, "98765", "17")
    assert event.message_tag == "cart,promo"
    assert event.subscriptions == ["news"]


def test_a_subscription_change_names_its_categories() -> None:
    data = _event(activityStatus="SUBSCRIPTION_CHANGED", statusData={"subscription": {"subscriptions": ["a", "b"]}})
    [event] = parse_activity_payload(_body(data))
    assert event.subscriptions == ["a", "b"]
    assert parse_activity_payload(_body(_event()))[0].subscriptions == []


MALFORMED: list[tuple[str, bytes, str]] = [
    ("not UTF-8", b"\xff\xfe[", "not UTF-8"),
    ("empty", b"  \n", "empty"),
    ("not JSON", b"[{", "not JSON"),
    ("form encoded", b"activityStatus=DELIVERED", "not JSON"),
    ("too deep", b"[" * 100_000 + b"]" * 100_000, "too deep"),
    ("a string", b'"DELIVERED"', "the body is a string"),
    ("a number", b"42", "the body is a number"),
    ("null", b"null", "the body is null"),
    ("a boolean", b"true", "the body is a boolean"),
    ("an element is a string", _body([_event(), "x"]), "element 1 is a string"),
    ("an element is an array", _body([[_event()]]), "element 0 is an array"),
    ("an element is null", _body([None]), "element 0 is null"),
    ("no status", _body([{"activityDateTime": "2025-05-14T10:11:10"}]), "element 0 has no activityStatus"),
    ("null status", _body([_event(activityStatus=None)]), "has no activityStatus"),
    ("blank status", _body([_event(activityStatus=" ")]), "has no activityStatus"),
    ("numeric status", _body([_event(activityStatus=3)]), "activityStatus is a number"),
    ("no time", _body({"activityStatus": "READ"}), "the event has no activityDateTime"),
    ("blank time", _body([_event(activityDateTime="")]), "has no activityDateTime"),
    ("numeric time", _body([_event(activityDateTime=1747217470)]), "activityDateTime is a number"),
    ("unreadable time", _body([_event(activityDateTime="14.05.2025 10:11")]), "'14.05.2025 10:11' is not an ISO 8601"),
    ("date without time", _body([_event(activityDateTime="2025-05-14")]), "is not an ISO 8601"),
    ("impossible time", _body([_event(activityDateTime="2025-02-30T10:00:00")]), "is not an ISO 8601"),
    ("contact id not a number", _body([_event(contactId="abc")]), "element 0: contactId:"),
    ("status data not an object", _body([_event(statusData="x")]), "statusData:"),
]


@pytest.mark.parametrize(("name", "body", "reason"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_a_malformed_body_is_refused_with_a_short_reason(name: str, body: bytes, reason: str) -> None:
    with pytest.raises(ActivityPayloadError) as caught:
        parse_activity_payload(body)
    assert reason in str(caught.value)
    assert len(str(caught.value)) < 200
    assert isinstance(caught.value, ValueError)


def test_one_bad_element_refuses_the_whole_body() -> None:
    with pytest.raises(ActivityPayloadError, match="element 2"):
        parse_activity_payload(_body([_event(), _event(), _event(activityDateTime="soon")]))


# --- activityDateTime --------------------------------------------------------------------------

KYIV_SUMMER = timezone(timedelta(hours=3))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-05-14T10:11:10+03:00", datetime(2025, 5, 14, 10, 11, 10, tzinfo=KYIV_SUMMER)),
        ("2025-05-14T10:11:10.7022176+03:00", datetime(2025, 5, 14, 10, 11, 10, 702217, tzinfo=KYIV_SUMMER)),
        ("2025-05-14T10:11:10+0300", datetime(2025, 5, 14, 10, 11, 10, tzinfo=KYIV_SUMMER)),
        ("2025-05-14T10:11:10+03", datetime(2025, 5, 14, 10, 11, 10, tzinfo=KYIV_SUMMER)),
        ("2025-05-14T07:11:10Z", datetime(2025, 5, 14, 7, 11, 10, tzinfo=UTC)),
        ("2025-05-14t07:11:10z", datetime(2025, 5, 14, 7, 11, 10, tzinfo=UTC)),
        ("2025-05-14 10:11:10 ", datetime(2025, 5, 14, 10, 11, 10, tzinfo=UTC)),
        ("2025-05-14T10:11:10", datetime(2025, 5, 14, 10, 11, 10, tzinfo=UTC)),
        ("2025-05-14T10:11:10.5", datetime(2025, 5, 14, 10, 11, 10, 500000, tzinfo=UTC)),
        ("2025-05-14 10:11:10,25", datetime(2025, 5, 14, 10, 11, 10, 250000, tzinfo=UTC)),
        ("2025-05-14T10:11", datetime(2025, 5, 14, 10, 11, tzinfo=UTC)),
        ("2025-05-14 10:11:10-05:00", datetime(2025, 5, 14, 10, 11, 10, tzinfo=timezone(timedelta(hours=-5)))),
    ],
)
def test_activity_time_reads_iso_8601_forms(text: str, expected: datetime) -> None:
    parsed = activity_time(text)
    assert parsed == expected
    assert parsed.utcoffset() == expected.utcoffset()


def test_a_time_without_offset_is_utc() -> None:
    assert activity_time("2025-05-14 10:11:10").tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    ["", "2025-05-14", "10:11:10", "14.05.2025 10:11:10", "2025-05-14T25:00:00", "2025-05-14T10:11:10+3", "now"],
)
def test_activity_time_refuses_anything_else(text: str) -> None:
    with pytest.raises(ValueError, match="ISO 8601"):
        activity_time(text)


# --- windows -----------------------------------------------------------------------------------


def test_a_long_window_is_split_into_three_month_windows_meeting_at_a_day() -> None:
    assert activity_windows(date(2024, 1, 1), date(2024, 12, 31)) == [
        (date(2024, 1, 1), date(2024, 3, 31)),
        (date(2024, 4, 1), date(2024, 6, 30)),
        (date(2024, 7, 1), date(2024, 9, 30)),
        (date(2024, 10, 1), date(2024, 12, 31)),
    ]


def test_a_window_of_three_months_or_less_is_one_window() -> None:
    assert activity_windows(date(2025, 1, 1), date(2025, 3, 31)) == [(date(2025, 1, 1), date(2025, 3, 31))]
    assert activity_windows(date(2025, 5, 1), date(2025, 5, 1)) == [(date(2025, 5, 1), date(2025, 5, 1))]
    one_day = (datetime(2025, 5, 1, 10, 0), datetime(2025, 5, 2, 10, 0))
    assert activity_windows(*one_day) == [one_day]


def test_the_callers_date_times_bound_the_first_and_last_windows() -> None:
    assert activity_windows(datetime(2025, 1, 31, 22, 15), datetime(2025, 8, 1, 6, 0)) == [
        (datetime(2025, 1, 31, 22, 15), date(2025, 4, 29)),
        (date(2025, 4, 30), date(2025, 7, 29)),
        (date(2025, 7, 30), datetime(2025, 8, 1, 6, 0)),
    ]
    # a date-time bound covers its whole minute: 23:59 ends where a 3-month window ends, 00:00 after it
    assert activity_windows(date(2025, 1, 1), datetime(2025, 3, 31, 23, 59)) == [
        (date(2025, 1, 1), datetime(2025, 3, 31, 23, 59))
    ]
    assert activity_windows(date(2025, 1, 1), datetime(2025, 4, 1, 0, 0)) == [
        (date(2025, 1, 1), date(2025, 3, 31)),
        (date(2025, 4, 1), datetime(2025, 4, 1, 0, 0)),
    ]


def _span(bound_from: date, bound_to: date) -> tuple[datetime, datetime]:
    """The moments a window covers: each bound takes in its whole day or minute."""
    start = bound_from if isinstance(bound_from, datetime) else datetime.combine(bound_from, datetime.min.time())
    if isinstance(bound_to, datetime):
        return start, bound_to + timedelta(minutes=1)
    return start, datetime.combine(bound_to + timedelta(days=1), datetime.min.time())


@pytest.mark.parametrize("start_day", [date(2024, 1, d) for d in (1, 15, 28, 29, 30, 31)] + [date(2024, 2, 29)])
@pytest.mark.parametrize("months", [1, 3, 4, 7, 12, 25])
def test_windows_cover_the_whole_span_without_gap_or_overlap(start_day: date, months: int) -> None:
    end_day = add_months(start_day, months) + timedelta(days=3)
    windows = activity_windows(start_day, end_day)
    spans = [_span(low, high) for low, high in windows]
    assert spans[0][0] == _span(start_day, end_day)[0]
    assert spans[-1][1] == _span(start_day, end_day)[1]
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert end == start  # the next window starts where the last one ended
    for low, high in windows:
        check_window(low, high, max_months=3)  # each is accepted by contact_activity
        assert _span(low, high)[0] < _span(low, high)[1]


def test_date_times_are_sent_to_the_minute_that_covers_them() -> None:
    assert check_window(datetime(2025, 5, 1, 10, 0, 59), datetime(2025, 5, 2, 10, 0, 0, 1)) == (
        datetime(2025, 5, 1, 10, 0),
        datetime(2025, 5, 2, 10, 0),
    )
    one_minute = (datetime(2025, 5, 1, 10, 0), datetime(2025, 5, 1, 10, 0, 30))
    assert check_window(*one_minute) == (datetime(2025, 5, 1, 10, 0), datetime(2025, 5, 1, 10, 0))


def test_windows_refuse_what_contact_activity_refuses() -> None:
    with pytest.raises(RequestValidationError, match="before its end"):
        activity_windows(date(2025, 5, 2), date(2025, 5, 1))
    with pytest.raises(RequestValidationError, match="before its end"):
        activity_windows(datetime(2025, 5, 1, 10, 1), datetime(2025, 5, 1, 10, 0))
    with pytest.raises(RequestValidationError, match="account's time zone"):
        activity_windows(datetime(2025, 5, 1, tzinfo=UTC), date(2025, 9, 1))


# --- contact_activity and its cursor -----------------------------------------------------------


def _activity_json(items: list[dict[str, Any]]) -> httpx.Response:
    return httpx.Response(200, content=json.dumps(items).encode(), headers={"Content-Type": "application/json"})


def _items(count: int, cursors: list[str | None] | None = None) -> list[dict[str, Any]]:
    names = cursors if cursors is not None else [f"c{i}" for i in range(count)]
    return [_event(iid=f"m{i}", offset=name) for i, name in enumerate(names)]


@pytest.mark.anyio
async def test_contact_activity_sends_every_filter_and_the_cursor() -> None:
    upstream = Upstream(lambda r: _activity_json(_items(1)))
    async with make_client(upstream) as client:
        found = await client.activity.contact_activity(
            date_from=datetime(2025, 5, 1, 9, 0, 30),
            date_to=date(2025, 7, 31),
            email="a@example.com",
            sms="+380501234567",
            web_push_token="wp",
            mob_push_token="mp",
            message_tag="promo",
            status=ActivityStatus.UNSUBSCRIBED,
            offset="766111100-5cb2-11ee-aa11-1f2b981c5833",
            max_rows=25000,
        )
    assert [a.iid for a in found] == ["m0"]
    assert query_of(upstream.last) == {
        "dateFrom": "2025-05-01T09:00",
        "dateTo": "2025-07-31",
        "email": "a@example.com",
        "sms": "+380501234567",
        "webPushToken": "wp",
        "mobPushToken": "mp",
        "messageTag": "promo",
        "activityStatus": "UNSUBSCRIBED",
        "offset": "766111100-5cb2-11ee-aa11-1f2b981c5833",
        "maxrows": "25000",
    }


@pytest.mark.anyio
async def test_contact_activity_takes_a_status_in_any_case_and_exactly_three_months() -> None:
    upstream = Upstream(lambda r: _activity_json([]))
    async with make_client(upstream) as client:
        assert await client.activity.contact_activity(date_from=date(2025, 1, 31), date_to=date(2025, 4, 29)) == []
        await client.activity.contact_activity(date_from=date(2025, 1, 1), date_to=date(2025, 3, 31), status="read ")
    assert query_of(upstream.last) == {"dateFrom": "2025-01-01", "dateTo": "2025-03-31", "activityStatus": "READ"}


@pytest.mark.anyio
async def test_an_answer_item_without_status_is_an_unexpected_shape() -> None:
    upstream = Upstream(lambda r: _activity_json([{"activityDateTime": "2025-05-01T10:00:00"}]))
    async with make_client(upstream) as client:
        with pytest.raises(ResponseDecodeError, match="contactActivity"):
            await client.activity.contact_activity(date_from=date(2025, 5, 1), date_to=date(2025, 5, 2))


def _paged(pages: dict[tuple[str, str | None], list[dict[str, Any]]]) -> Upstream:
    """An upstream answering by (dateFrom, offset); anything not listed is an empty page."""

    def answer(request: httpx.Request) -> httpx.Response:
        query = query_of(request)
        return _activity_json(pages.get((query["dateFrom"], query.get("offset")), []))

    return Upstream(answer)


def _asked(upstream: Upstream) -> list[tuple[str, str, str | None]]:
    return [(query_of(r)["dateFrom"], query_of(r)["dateTo"], query_of(r).get("offset")) for r in upstream.requests]


async def _all_pages(client: Any, **arguments: Any) -> list[ActivityCursorPage]:
    return [page async for page in client.activity.iter_contact_activity(**arguments)]


@pytest.mark.anyio
async def test_iteration_follows_the_cursor_then_moves_to_the_next_window() -> None:
    upstream = _paged(
        {
            ("2024-01-01", None): _items(3, ["a1", "a2", "a3"]),
            ("2024-01-01", "a3"): _items(3, ["a4", "a5", "a6"]),
            ("2024-01-01", "a6"): _items(1, ["a7"]),
            ("2024-04-01", None): _items(2, ["b1", "b2"]),
        }
    )
    async with make_client(upstream) as client:
        pages = await _all_pages(client, date_from=date(2024, 1, 1), date_to=date(2024, 7, 15), max_rows=3)
    assert _asked(upstream) == [
        ("2024-01-01", "2024-03-31", None),
        ("2024-01-01", "2024-03-31", "a3"),
        ("2024-01-01", "2024-03-31", "a6"),
        ("2024-04-01", "2024-06-30", None),
        ("2024-07-01", "2024-07-15", None),
    ]
    assert all(query_of(r)["maxrows"] == "3" for r in upstream.requests)
    assert [(p.offset, p.next_offset, len(p.items)) for p in pages] == [
        (None, "a3", 3),
        ("a3", "a6", 3),
        ("a6", None, 1),
        (None, None, 2),
        (None, None, 0),
    ]
    assert [(p.date_from, p.date_to) for p in pages][3:] == [
        (date(2024, 4, 1), date(2024, 6, 30)),
        (date(2024, 7, 1), date(2024, 7, 15)),
    ]


@pytest.mark.anyio
async def test_a_full_last_page_is_followed_by_an_empty_one() -> None:
    upstream = _paged({("2024-01-01", None): _items(2, ["a1", "a2"])})
    async with make_client(upstream) as client:
        pages = await _all_pages(client, date_from=date(2024, 1, 1), date_to=date(2024, 1, 31), max_rows=2)
    assert _asked(upstream) == [("2024-01-01", "2024-01-31", None), ("2024-01-01", "2024-01-31", "a2")]
    assert [len(p.items) for p in pages] == [2, 0]


@pytest.mark.anyio
async def test_a_starting_cursor_applies_to_the_first_window_only() -> None:
    upstream = _paged({})
    async with make_client(upstream) as client:
        await _all_pages(client, date_from=date(2024, 1, 1), date_to=date(2024, 5, 1), offset="resume-here")
    assert _asked(upstream) == [("2024-01-01", "2024-03-31", "resume-here"), ("2024-04-01", "2024-05-01", None)]
    assert query_of(upstream.requests[0])["maxrows"] == "1000"


@pytest.mark.anyio
async def test_filters_go_with_every_request_of_an_iteration() -> None:
    upstream = _paged({})
    async with make_client(upstream) as client:
        await _all_pages(
            client, date_from=date(2024, 1, 1), date_to=date(2024, 5, 1), email="a@example.com", status="SPAM"
        )
    assert [(query_of(r)["email"], query_of(r)["activityStatus"]) for r in upstream.requests] == [
        ("a@example.com", "SPAM"),
        ("a@example.com", "SPAM"),
    ]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("pages", "reason", "requests"),
    [
        ({None: ["a1", "a2"], "a2": ["a3", "a2"]}, "'a2' was already used", 2),  # the same cursor again
        ({None: ["a1", "a2"], "a2": ["a3", "a4"], "a4": ["a5", "a2"]}, "'a2' was already used", 3),  # a cycle
        ({None: ["a1", None]}, "has no offset", 1),
        ({None: ["a1", " "]}, "has no offset", 1),
    ],
    ids=["repeated", "cycle", "missing", "blank"],
)
async def test_a_cursor_that_does_not_advance_stops_the_iteration(
    pages: dict[str | None, list[str | None]], reason: str, requests: int
) -> None:
    upstream = _paged({("2024-01-01", offset): _items(2, cursors) for offset, cursors in pages.items()})
    seen: list[ActivityCursorPage] = []

    async def read() -> None:
        async for page in client.activity.iter_contact_activity(
            date_from=date(2024, 1, 1), date_to=date(2024, 1, 31), max_rows=2
        ):
            seen.append(page)

    async with make_client(upstream) as client:
        with pytest.raises(ResponseDecodeError, match=reason) as caught:
            await read()
    assert upstream.attempts == requests
    assert len(seen) == requests - 1  # the page whose cursor does not advance is not handed out
    assert "cursor did not advance" in str(caught.value)


@pytest.mark.anyio
async def test_small_pages_read_the_same_activity_as_one_request_per_window_from_the_sandbox() -> None:
    sandbox = Sandbox("sandbox", db_path=":memory:", clock=Clock(frozen_at=1_750_000_000.0))  # 2025-06-15
    async with ESputnikClient(
        "sandbox", base_url=SANDBOX_BASE_URL, transport=sandbox.transport(), retry_policy=RetryPolicy(max_retries=0)
    ) as client:
        whole: list[str | None] = []
        for low, high in [(date(2025, 2, 1), date(2025, 4, 30)), (date(2025, 5, 1), date(2025, 6, 14))]:
            found = await client.activity.contact_activity(date_from=low, date_to=high, max_rows=25000)
            whole += [a.offset for a in found]
        pages = await _all_pages(client, date_from=date(2025, 2, 1), date_to=date(2025, 6, 14), max_rows=150)
    assert len(whole) > 300  # the demo account has activity to page through
    assert [a.offset for page in pages for a in page.items] == whole
    assert len({(page.date_from, page.date_to) for page in pages}) == 2
    assert all(len(page.items) == 150 for page in pages if page.next_offset is not None)


@pytest.mark.anyio
async def test_iteration_refuses_a_bad_page_size_before_sending() -> None:
    upstream = Upstream()
    async with make_client(upstream) as client:
        with pytest.raises(RequestValidationError, match="at least 1"):
            await _all_pages(client, date_from=date(2024, 1, 1), date_to=date(2024, 1, 31), max_rows=0)
    assert upstream.attempts == 0


# --- contact_messages --------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("identifier", "sent"),
    [
        ({"email": "a@example.com"}, {"email": "a@example.com"}),
        ({"phone": "+380501234567"}, {"phone": "+380501234567"}),
        ({"contact_id": 5}, {"contactId": "5"}),
        ({"external_customer_id": "CUST-1"}, {"externalCustomerId": "CUST-1"}),
    ],
    ids=["email", "phone", "contact_id", "external_customer_id"],
)
async def test_contact_messages_names_the_contact_by_one_identifier(
    identifier: dict[str, Any], sent: dict[str, str]
) -> None:
    upstream = Upstream(lambda r: _activity_json([]))
    async with make_client(upstream) as client:
        await client.activity.contact_messages(
            date_from=date(2025, 5, 1),
            date_to=date(2025, 5, 31),
            channel_types=("EMAIL", "sms", "viber", "mobilepush", "webpush", "appinbox", "telegrambot", "sms"),
            **identifier,
        )
    assert query_of(upstream.last) == {
        "dateFrom": "2025-05-01",
        "dateTo": "2025-05-31",
        **sent,
        "channelTypes": "email,sms,viber,mobilepush,webpush,appinbox,telegrambot",
        "offset": "0",
        "maxrows": "10",
    }


@pytest.mark.anyio
async def test_contact_messages_keeps_under_ten_requests_a_second() -> None:
    fake = FakeTime()
    upstream = Upstream(lambda r: _activity_json([]))
    async with make_client(upstream, fake_time=fake) as client:
        for _ in range(11):
            await client.activity.contact_messages(date_from=date(2025, 5, 1), date_to=date(2025, 5, 2), contact_id=5)
        for _ in range(10):  # other methods are not held back by it
            await client.activity.contact_activity(date_from=date(2025, 5, 1), date_to=date(2025, 5, 2))
    assert upstream.attempts == 21
    assert fake.sleeps == [pytest.approx(1.0)]  # the 11th waited for the 1-second window to slide
