"""What became of what the sandbox sent: each channel's timeline as activity events, GET
/v2/contacts/activity (window, filters, cursor), GET /v2/contacts/messages (one contact's history,
its rules and its 10/s limit), what a person does with a message, and the demo account's past."""

import re
from typing import Any

import httpx2 as httpx
import pytest
from sandbox_support import KEY, T0

from esputnik_mcp.sandbox import (
    DEMO_BOUNCED_EMAIL,
    DEMO_UNSUBSCRIBED_EMAIL,
    SANDBOX_BASE_URL,
    Clock,
    Sandbox,
)

pytestmark = pytest.mark.anyio

TODAY = "2025-06-15"  # T0 in the account's time zone (Kyiv): 18:06:40
HISTORY_WINDOW = {"dateFrom": "2025-04-01", "dateTo": TODAY}
PAST = {"dateFrom": "2025-04-01", "dateTo": "2025-06-14"}  # the demo's past, without today
WELCOME, VIBER_SHIPPED, PUSH_DELIVERED, INBOX_LOYALTY, TELEGRAM_ORDER = 3001, 5001, 5102, 5201, 5301
EMAIL = {"from": '"Shop" <shop@example.com>', "subject": "Hi", "htmlText": "<p>Hi</p>"}


async def _activity(http: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    response = await http.get("/v2/contacts/activity", params={"dateFrom": TODAY, "dateTo": TODAY, **params})
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


async def _trail(http: httpx.AsyncClient, *request_ids: str) -> list[tuple[int, str]]:
    """(which send, activity status) of the sends' events, in the order the API answers them."""
    return [
        (request_ids.index(e["iid"]), e["activityStatus"]) for e in await _activity(http) if e["iid"] in request_ids
    ]


async def _send_email(http: httpx.AsyncClient, *to: str) -> list[str]:
    results = (await http.post("/v1/message/email", json={**EMAIL, "emails": list(to)})).json()["results"]
    return [r["requestId"] for r in (results if isinstance(results, list) else [results])]


async def _smartsend(http: httpx.AsyncClient, message_id: int, *recipients: dict[str, Any]) -> list[str]:
    body = {"email": message_id == WELCOME, "recipients": list(recipients)}
    results = (await http.post(f"/v1/message/{message_id}/smartsend", json=body)).json()["results"]
    results = results if isinstance(results, list) else [results]
    assert all(r["status"] == "OK" for r in results), results
    return [r["requestId"] for r in results]


async def _status(http: httpx.AsyncClient, request_id: str) -> str:
    [answer] = (await http.get("/v1/message/status", params={"ids": request_id})).json()
    status: str = answer["results"]["status"]
    return status


def _push_contact(sandbox: Sandbox) -> tuple[int, str]:
    row = sandbox.state.conn.execute(
        "SELECT contact_id, value FROM channels WHERE type = 'mobilepush' ORDER BY contact_id LIMIT 1"
    ).fetchone()
    return int(row[0]), str(row[1])


# --- each channel's timeline -----------------------------------------------------------------


async def test_email_is_delivered_then_read_and_a_bounce_is_undelivered(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    ok, bounced = await _send_email(http, "reader@example.com", "bounce.me@example.com")
    assert await _trail(http, ok, bounced) == []
    sandbox.clock.advance(5)
    assert await _trail(http, ok, bounced) == [(0, "DELIVERED"), (1, "UNDELIVERED")]
    sandbox.clock.advance(55)
    assert await _trail(http, ok, bounced) == [(0, "DELIVERED"), (1, "UNDELIVERED"), (0, "READ")]
    [failure] = await _activity(http, activityStatus="UNDELIVERED", email="Bounce.Me@example.com")
    assert failure["statusDescription"].startswith("550 5.1.1 <bounce.me@example.com>")
    assert failure["activityDateTime"] == "2025-06-15T15:06:45.000"
    assert [e["activityStatus"] for e in await _activity(http, email="reader@example.com")] == ["DELIVERED", "READ"]
    assert sandbox.activity(bounced)[0]["hardBounce"] is True


async def test_sms_and_viber_are_delivered_after_ten_seconds_and_viber_is_read(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    sms = (
        await http.post(
            "/v1/message/sms", json={"from": "Shop", "text": "Hi", "phoneNumbers": ["+380501112233", "+380501112000"]}
        )
    ).json()["results"]
    viber = await _smartsend(
        http,
        VIBER_SHIPPED,
        {"locator": "+380671112233", "jsonParam": '{"orderId": "A-1"}'},
        {"locator": "+380671112000"},
    )
    ids = [r["requestId"] for r in sms] + viber
    sandbox.clock.advance(9)
    assert await _trail(http, *ids) == []
    sandbox.clock.advance(1)
    assert sorted(await _trail(http, *ids)) == [
        (0, "DELIVERED"),
        (1, "UNDELIVERED"),
        (2, "DELIVERED"),
        (3, "UNDELIVERED"),
    ]
    sandbox.clock.advance(50)
    assert (await _trail(http, *ids))[-1] == (2, "READ")
    events = {(e["iid"], e["activityStatus"]): e for e in await _activity(http)}
    assert events[ids[2], "READ"]["mediaType"] == "viber"
    assert events[ids[2], "READ"]["sms"] == "+380671112233"
    assert events[ids[1], "UNDELIVERED"]["statusDescription"].startswith("UNDELIV")
    assert [e["activityStatus"] for e in await _activity(http, sms="380 50 111 2233")] == ["DELIVERED"]


async def test_mobile_push_is_sent_then_delivered_and_the_api_shows_only_delivered(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    contact_id, token = _push_contact(sandbox)
    [push] = await _smartsend(http, PUSH_DELIVERED, {"contactId": contact_id, "jsonParam": '{"orderId": "7"}'})
    [inbox] = await _smartsend(http, INBOX_LOYALTY, {"contactId": contact_id})
    assert [e["activityStatus"] for e in sandbox.activity(push)] == ["SENT"]
    assert await _trail(http, push, inbox) == []
    sandbox.clock.advance(2)
    assert await _trail(http, push, inbox) == [(0, "DELIVERED"), (1, "DELIVERED")]
    assert [(e["activityStatus"], e["mobilepush"]) for e in sandbox.activity(push)] == [
        ("SENT", token),
        ("DELIVERED", token),
    ]
    [delivered] = await _activity(http, mobPushToken=token, messageTag="order")
    assert (delivered["mediaType"], delivered["mobPushToken"], delivered["messageId"]) == ("mobilepush", token, 5102)
    assert await _status(http, push) == "DELIVERED"


async def test_telegram_is_delivered_at_once_or_blocked(http: httpx.AsyncClient) -> None:
    ok, blocked = await _smartsend(
        http, TELEGRAM_ORDER, {"locator": "123456789"}, {"locator": "-100987654000", "externalRequestId": "tg-2"}
    )
    events = await _activity(http)
    assert [(e["iid"], e["activityStatus"], e["mediaType"]) for e in events[-2:]] == [
        (ok, "DELIVERED", "telegrambot"),
        (blocked, "UNDELIVERED", "telegrambot"),
    ]
    assert events[-1]["statusDescription"] == "Forbidden: bot was blocked by the user"
    assert events[-1]["externalRequestId"] == "tg-2"


async def test_a_message_the_account_cannot_pay_for_is_undelivered_at_once(bare: Sandbox) -> None:
    with bare.state.write() as conn:
        conn.execute("UPDATE account SET balance_minor = 0, credit_limit_minor = 0, bonus_emails = 0")
    async with httpx.AsyncClient(transport=bare.transport(), base_url=SANDBOX_BASE_URL, auth=("u", KEY)) as http:
        [request_id] = await _send_email(http, "broke@example.com")
        [event] = await _activity(http)
        assert (event["iid"], event["activityStatus"]) == (request_id, "UNDELIVERED")
        assert "Not enough money" in event["statusDescription"]
        assert await _status(http, request_id) == "NO_MONEY"


async def test_activity_fields_of_a_smartsend(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    first, second = await _smartsend(
        http, WELCOME, {"externalCustomerId": "CUST-200000", "externalRequestId": "welcome-1"}, {"contactId": 100002}
    )
    sandbox.clock.advance(5)
    events = {e["iid"]: e for e in await _activity(http, activityStatus="DELIVERED")}
    event = events[first]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}", event["activityDateTime"])
    assert {k: v for k, v in event.items() if k not in ("iid", "offset")} == {
        "externalRequestId": "welcome-1",
        "contactId": 100001,
        "externalCustomerId": "CUST-200000",
        "email": "zaneta.zielinski0@example.com",
        "mediaType": "email",
        "activityStatus": "DELIVERED",
        "activityDateTime": "2025-06-15T15:06:45.000",
        "messageId": WELCOME,
        "messageInstanceId": events[second]["messageInstanceId"],  # one instance for a message's trigger sends
        "messageName": "Welcome: first letter",
        "messageTag": "welcome,onboarding",
        "messageLanguageCode": "en",
        "from": '"Lumen Home" <news@lumen-home.example>',
        "viewMessageLink": f"https://view.sandbox.invalid/message/{first}",
    }
    [one_off] = await _send_email(http, "plain@example.com")
    sandbox.clock.advance(5)
    [plain] = await _activity(http, email="plain@example.com")
    assert (plain["iid"], plain["messageId"], plain["messageInstanceId"]) == (one_off, 0, 0)
    assert "messageName" not in plain


async def test_events_count_only_once_their_time_has_come(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    [request_id] = await _send_email(http, "later@example.com")
    assert [e["activityStatus"] for e in sandbox.activity(request_id, include_future=True)] == ["DELIVERED", "READ"]
    assert sandbox.activity(request_id) == []
    sandbox.clock.advance(4.9)
    assert await _activity(http, email="later@example.com") == []
    sandbox.clock.advance(0.1)
    assert len(await _activity(http, email="later@example.com")) == 1


# --- GET /v2/contacts/activity ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "why"),
    [
        ({"dateFrom": None}, "dateFrom is required"),
        ({"dateTo": None}, "dateTo is required"),
        ({"dateFrom": "15.06.2025"}, "must be a date or date-time"),
        ({"dateFrom": "2025-02-30"}, "must be a date or date-time"),
        ({"dateFrom": "2025-06-15T10:00:00+03:00"}, "must be a date or date-time"),
        ({"dateFrom": "2025-06-16"}, "must not be later than dateTo"),
        ({"dateFrom": "2025-03-14", "dateTo": "2025-06-14"}, "must not exceed 3 months"),
        ({"dateFrom": "2025-03-15", "dateTo": "2025-06-15"}, "must not exceed 3 months"),
        ({"activityStatus": "SENT"}, "activityStatus must be one of DELIVERED, UNDELIVERED"),
        ({"activityStatus": "SUBSCRIPTION_CHANGED"}, "activityStatus must be one of"),
        ({"activityStatus": "read"}, "activityStatus must be one of"),
        ({"maxrows": "0"}, "maxrows must be between 1 and 25000"),
        ({"maxrows": "25001"}, "maxrows must be between 1 and 25000"),
        ({"offset": "nope"}, "offset must be the offset of an activity entry"),
        ({"offset": "1750000000000-99999999"}, "offset must be the offset of an activity entry"),
        ({"email": " "}, "email must not be empty"),
        ({"startindex": "1"}, "Unknown query parameter(s): startindex"),
    ],
)
async def test_activity_requests_eSputnik_would_refuse(
    http: httpx.AsyncClient, params: dict[str, str | None], why: str
) -> None:
    query = {"dateFrom": TODAY, "dateTo": TODAY, **params}
    response = await http.get("/v2/contacts/activity", params={k: v for k, v in query.items() if v is not None})
    assert response.status_code == 400
    assert why in response.text
    assert response.headers["content-type"].startswith("text/plain")


async def test_the_window_may_be_three_months_to_the_day_and_take_dates_and_times(http: httpx.AsyncClient) -> None:
    for start, end in (("2025-03-15", "2025-06-14"), ("2025-06-15T10:00", "2025-06-15T18:30:15"), (TODAY, TODAY)):
        assert (await http.get("/v2/contacts/activity", params={"dateFrom": start, "dateTo": end})).status_code == 200


async def test_the_offset_cursor_returns_each_event_once_oldest_first(http: httpx.AsyncClient) -> None:
    everything = await _activity(http, **HISTORY_WINDOW)
    assert len(everything) > 300
    pages: list[list[dict[str, Any]]] = []
    params: dict[str, Any] = {**HISTORY_WINDOW, "maxrows": 100}
    while True:
        page = await _activity(http, **params)
        if not page:
            break
        pages.append(page)
        params["offset"] = page[-1]["offset"]
    assert [len(p) for p in pages[:-1]] == [100] * (len(pages) - 1)
    paged = [event for page in pages for event in page]
    assert paged == everything
    keys = [(e["iid"], e["activityStatus"], e["activityDateTime"]) for e in paged]
    assert len(set(keys)) == len(keys)
    assert [e["activityDateTime"] for e in paged] == sorted(e["activityDateTime"] for e in paged)


async def test_activity_filters_by_tag_status_and_address(http: httpx.AsyncClient) -> None:
    clicks = await _activity(http, **HISTORY_WINDOW, activityStatus="CLICKED")
    assert clicks
    assert all(e["clickEventLink"].startswith("https://lumen-home.example/") for e in clicks)
    newsletter = await _activity(http, **HISTORY_WINDOW, messageTag="newsletter")
    assert {e["messageTag"] for e in newsletter} == {"newsletter"}
    assert {e["broadcastId"] for e in newsletter} == {8101, 8102, 8104}
    bounced = await _activity(http, **HISTORY_WINDOW, email=DEMO_BOUNCED_EMAIL.upper())
    assert [(e["activityStatus"], e["email"]) for e in bounced] == [("UNDELIVERED", DEMO_BOUNCED_EMAIL)]
    assert await _activity(http, **HISTORY_WINDOW, email=DEMO_BOUNCED_EMAIL, sms="+380501112233") == []


# --- GET /v2/contacts/messages ---------------------------------------------------------------


async def _history(http: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    response = await http.get("/v2/contacts/messages", params={"dateFrom": TODAY, "dateTo": TODAY, **params})
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


async def test_a_contacts_history_with_the_latest_status_reached(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    [one_off] = await _send_email(http, "zaneta.zielinski0@example.com")
    sandbox.clock.advance(1)
    [stored] = await _smartsend(http, WELCOME, {"contactId": 100001})
    sandbox.clock.advance(1)
    sms = (
        await http.post("/v1/message/sms", json={"from": "Shop", "text": "Code 1", "phoneNumbers": ["+48793179733"]})
    ).json()
    history = await _history(http, contactId=100001)
    assert [m["channelType"] for m in history] == ["sms", "email", "email"]  # newest first
    assert [m.get("activityStatus") for m in history] == [None, None, None]
    assert history[0]["text"] == "Code 1"
    assert history[0]["phone"] == "+48793179733"
    assert (history[2]["messageId"], history[2]["messageInstanceId"], history[2]["subject"]) == (0, 0, "Hi")
    assert history[1]["messageId"] == WELCOME
    assert history[1]["messageInstanceId"] > 0
    assert history[1]["messageTags"] == ["welcome", "onboarding"]
    assert history[1]["viewMessageLink"].endswith(stored)
    assert history[2]["sentDateTime"] == "2025-06-15T15:06:40.000"
    sandbox.clock.advance(10)
    assert [m["activityStatus"] for m in await _history(http, contactId=100001)] == ["DELIVERED"] * 3
    sandbox.clock.advance(60)
    assert [m["activityStatus"] for m in await _history(http, contactId=100001)] == ["DELIVERED", "READ", "READ"]
    by_each = [
        await _history(http, email="Zaneta.Zielinski0@example.com"),
        await _history(http, phone="+48 793 179 733"),
        await _history(http, externalCustomerId="CUST-200000"),
    ]
    assert by_each == [await _history(http, contactId=100001)] * 3
    assert [m["channelType"] for m in await _history(http, contactId=100001, channelTypes="sms,viber")] == ["sms"]
    paged = await _history(http, contactId=100001, offset=1, maxrows=1)
    assert [m["messageId"] for m in paged] == [WELCOME]
    assert one_off not in str(paged)
    assert sms["results"]["status"] == "OK"
    assert await _history(http, email="nobody@example.com") == []


@pytest.mark.parametrize(
    ("params", "why"),
    [
        ({"dateFrom": None}, "dateFrom is required"),
        ({"dateTo": "2025-06-15T18:30:00"}, "YYYY-MM-DD or YYYY-MM-DDTHH:mm"),
        ({"contactId": None}, "exactly one of email, phone, contactId, externalCustomerId; got none"),
        (
            {"email": "a@example.com"},
            "exactly one of email, phone, contactId, externalCustomerId; got email, contactId",
        ),
        ({"contactId": "abc"}, "contactId must be an integer"),
        ({"maxrows": "101"}, "maxrows must be between 1 and 100"),
        ({"offset": "-1"}, "offset must be between 0"),
        ({"channelTypes": "email,fax"}, "channelTypes must list channel types"),
        ({"channelTypes": "telegram"}, "channelTypes must list channel types"),
    ],
)
async def test_history_requests_eSputnik_would_refuse(
    http: httpx.AsyncClient, params: dict[str, str | None], why: str
) -> None:
    query = {"dateFrom": TODAY, "dateTo": TODAY, "contactId": "100001", **params}
    response = await http.get("/v2/contacts/messages", params={k: v for k, v in query.items() if v is not None})
    assert response.status_code == 400
    assert why in response.text


async def test_history_allows_100_rows_and_telegrambot(http: httpx.AsyncClient) -> None:
    for extra in ({"maxrows": "100"}, {"channelTypes": "telegrambot,webpush"}, {"dateTo": "2025-06-15T18:30"}):
        assert (await _history(http, contactId=100001, **extra)) == []


async def test_history_allows_10_requests_a_second(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    query = {"dateFrom": TODAY, "dateTo": TODAY, "contactId": "100001"}
    statuses = [(await http.get("/v2/contacts/messages", params=query)).status_code for _ in range(11)]
    assert statuses == [200] * 10 + [429]
    assert (await http.get("/v2/contacts/activity", params={"dateFrom": TODAY, "dateTo": TODAY})).status_code == 200
    sandbox.clock.advance(1)
    assert (await http.get("/v2/contacts/messages", params=query)).status_code == 200


# --- what a person does with a message -------------------------------------------------------


async def test_a_click_counts_once_delivered_and_implies_the_read(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    [request_id] = await _send_email(http, "clicker@example.com")
    with pytest.raises(ValueError, match=r"delivered only at 2025-06-15T15:06:45\.000"):
        sandbox.record_action(request_id, "CLICKED", link="https://shop.example/a")
    sandbox.clock.advance(10)
    with pytest.raises(ValueError, match="needs the link"):
        sandbox.record_action(request_id, "CLICKED")
    clicked = sandbox.record_action(request_id, "CLICKED", link="https://shop.example/a")
    assert (clicked["activityStatus"], clicked["clickEventLink"]) == ("CLICKED", "https://shop.example/a")
    assert [
        (e["activityStatus"], e["activityDateTime"]) for e in sandbox.activity(request_id, include_future=True)
    ] == [
        ("DELIVERED", "2025-06-15T15:06:45.000"),
        ("READ", "2025-06-15T15:06:50.000"),
        ("CLICKED", "2025-06-15T15:06:50.000"),
    ]
    assert await _status(http, request_id) == "CLICKED"
    sandbox.clock.advance(100)
    assert await _status(http, request_id) == "CLICKED"
    [click] = await _activity(http, activityStatus="CLICKED", email="clicker@example.com")
    assert click["clickEventLink"] == "https://shop.example/a"


async def test_an_unsubscribe_puts_the_address_on_the_unsubscribed_list(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    [request_id] = await _send_email(http, "leaver@example.com")
    sandbox.clock.advance(30)
    sandbox.record_action(request_id, "UNSUBSCRIBED")
    assert await _status(http, request_id) == "UNSUBSCRIBED"
    again = (await http.post("/v1/message/email", json={**EMAIL, "emails": ["leaver@example.com"]})).json()
    assert again["results"]["status"] == "ERROR"
    assert "unsubscribed" in again["results"]["message"]
    [event] = await _activity(http, activityStatus="UNSUBSCRIBED", email="leaver@example.com")
    assert event["activityDateTime"] == "2025-06-15T15:07:10.000"


async def test_spam_subscription_changes_and_refused_actions(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    [email] = await _send_email(http, "zaneta.zielinski0@example.com")
    sms = (
        await http.post("/v1/message/sms", json={"from": "S", "text": "x", "phoneNumbers": ["+380501112000"]})
    ).json()
    sandbox.clock.advance(60)
    changed = sandbox.record_action(email, "SUBSCRIPTION_CHANGED", subscriptions=["news", "sales"], at=T0 + 20)
    assert changed["statusData"] == {"subscription": {"subscriptions": ["news", "sales"]}}
    assert changed["activityDateTime"] == "2025-06-15T15:07:00.000"
    keys = sandbox.state.conn.execute("SELECT key FROM contact_subscriptions WHERE contact_id = 100001").fetchall()
    assert sorted(k[0] for k in keys) == ["news", "sales"]
    assert await _status(http, email) == "READ"  # a subscription change is no status of its own
    sandbox.record_action(email, "SPAM")
    assert await _status(http, email) == "SPAM"
    with pytest.raises(ValueError, match="Only an email"):
        sandbox.record_action(sms["results"]["requestId"], "SPAM")
    with pytest.raises(ValueError, match="was not delivered"):
        sandbox.record_action(sms["results"]["requestId"], "CLICKED", link="https://shop.example/")
    with pytest.raises(ValueError, match="Unknown action"):
        sandbox.record_action(email, "OPENED")
    with pytest.raises(LookupError):
        sandbox.record_action("no-such-request", "SPAM")


async def test_actions_through_the_admin_route() -> None:
    sandbox = Sandbox(KEY, db_path=":memory:", admin=True, clock=Clock(frozen_at=T0))
    async with httpx.AsyncClient(
        transport=sandbox.transport(), base_url="http://sandbox.invalid", auth=("u", KEY)
    ) as http:
        sent = await http.post(
            "/api/v1/message/sms", json={"from": "S", "text": "x", "phoneNumbers": ["+380501112233"]}
        )
        request_id = sent.json()["results"]["requestId"]
        sandbox.clock.advance(10)
        body = {"requestId": request_id, "action": "CLICKED", "link": "https://shop.example/s"}
        answer = await http.post("/_sandbox/activity", json=body)
        assert answer.status_code == 200
        assert (answer.json()["activityStatus"], answer.json()["sms"]) == ("CLICKED", "+380501112233")
        assert (await http.post("/_sandbox/activity", json={**body, "requestId": "nope"})).status_code == 404
        refused = await http.post("/_sandbox/activity", json={**body, "action": "SPAM", "link": None})
        assert (refused.status_code, refused.text) == (400, "Only an email can be reported as spam")
        listed = (await http.get("/_sandbox/activity")).json()
        assert [e["activityStatus"] for e in listed if e["iid"] == request_id] == ["DELIVERED", "CLICKED"]
        # SMS has no CLICKED status (esputnik-api.md §7.6): the status stays DELIVERED
        status = (await http.get("/api/v1/message/status", params={"ids": request_id})).json()
        assert status[0]["results"]["status"] == "DELIVERED"


# --- the demo account's past -----------------------------------------------------------------


async def test_the_demo_account_has_a_past(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    events = await _activity(http, **HISTORY_WINDOW)
    counts: dict[tuple[str, str], int] = {}
    for event in events:
        key = (event["mediaType"], event["activityStatus"])
        counts[key] = counts.get(key, 0) + 1
    assert counts["email", "DELIVERED"] > 200
    assert counts["email", "READ"] > 50
    assert counts["email", "CLICKED"] > 10
    assert counts["sms", "DELIVERED"] > 20
    assert 5 <= counts["email", "UNDELIVERED"] <= 30
    assert counts["email", "UNSUBSCRIBED"] == 2
    assert counts["email", "SPAM"] == 1
    days = {e["activityDateTime"][:10] for e in events}
    assert min(days) >= "2025-04-16"
    assert len(days) > 20
    campaign = next(e for e in events if e.get("broadcastId") == 8101)
    assert (campaign["messageId"], campaign["messageName"]) == (3005, "Newsletter: June garden picks")
    assert campaign["messageInstanceId"] > 0
    hard = [e for e in sandbox.activity() if e["activityStatus"] == "UNDELIVERED" and e["hardBounce"]]
    assert DEMO_BOUNCED_EMAIL in {e["email"] for e in hard}
    assert all("bounce" in e["email"] for e in hard)
    leavers = [e["email"] for e in events if e["activityStatus"] == "UNSUBSCRIBED"]
    assert leavers[0] == DEMO_UNSUBSCRIBED_EMAIL


async def test_demo_addresses_behave_as_their_past_says(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    results = (
        await http.post("/v1/message/email", json={**EMAIL, "emails": [DEMO_BOUNCED_EMAIL, DEMO_UNSUBSCRIBED_EMAIL]})
    ).json()["results"]
    assert [r["status"] for r in results] == ["OK", "ERROR"]
    sandbox.clock.advance(5)
    assert await _status(http, results[0]["requestId"]) == "UNDELIVERED"
    past = (await http.get("/v2/contacts/messages", params={**PAST, "email": DEMO_BOUNCED_EMAIL})).json()
    assert [(m["channelType"], m["activityStatus"], m["messageId"]) for m in past] == [("email", "UNDELIVERED", 3005)]
    [demo_send] = await _activity(http, **PAST, email=DEMO_BOUNCED_EMAIL)
    assert await _status(http, demo_send["iid"]) == "UNDELIVERED"


def test_the_demo_past_is_the_same_for_the_same_seed() -> None:
    first = Sandbox(KEY, db_path=":memory:", clock=Clock(frozen_at=T0 + 0.25), demo_contacts=300)
    second = Sandbox(KEY, db_path=":memory:", clock=Clock(frozen_at=T0 + 0.5), demo_contacts=300)
    trail = [[(e["iid"], e["activityStatus"], e.get("email")) for e in s.activity()] for s in (first, second)]
    assert trail[0] == trail[1]
    assert len(trail[0]) > 50
