"""Broadcasts on the sandbox (esputnik-api.md §8): a broadcast runs through its segments, less the
excluded ones, from its start (in the account's time zone) at its speed, on the sandbox clock; each
member gets a message of their own with the broadcast's id, whose delivery events reach the activity
and the webhook; it can be cancelled only before it starts; requests the schemas or the rules refuse
are refused. Workflows are listed by name."""

import json
from datetime import UTC, datetime
from typing import Any

import httpx2 as httpx
import pytest
from sandbox_support import T0

from esputnik_mcp.sandbox import DEMO_UNSUBSCRIBED_EMAIL, Sandbox
from esputnik_mcp.sandbox.domain import broadcasts, contacts, messaging, segments

pytestmark = pytest.mark.anyio

WELCOME, CART, NEWSLETTER_EMAIL, FLASH_SMS, PUSH_BACK_IN_STOCK, INBOX_LOYALTY = 3001, 3002, 3005, 4003, 5101, 5201
NEWSLETTER, VIP, KYIV_VISITORS, TEST_RECIPIENTS, GOLD_TIER, UKRAINIAN, POLISH = 2001, 2002, 2003, 2005, 2101, 2102, 2104
DEMO_APP = "5b7e0c2a-3d1f-4e8b-9a60-2c4d8e1f0a11"
SCHEDULED_DEMO = 8105


async def create(http: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await http.post("/v1/broadcast", json=body)
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


async def tick(http: httpx.AsyncClient) -> None:
    """Ask the sandbox anything: what has come due is done first."""
    assert (await http.get("/v1/account/info")).status_code == 200


def members(sandbox: Sandbox, *segment_ids: int) -> set[int]:
    found: set[int] = set()
    for segment_id in segment_ids:
        segment = segments.get(sandbox.state, segment_id)
        assert segment is not None
        found.update(segments.all_member_ids(sandbox.state, segment))
    return found


def reachable(sandbox: Sandbox, contact_ids: set[int], channel: str = "email") -> set[int]:
    """The contacts with an address on ``channel`` (for email: not on the unsubscribed list)."""
    state = sandbox.state
    kept = set()
    for contact_id in contact_ids:
        address = messaging.address_of(state, contact_id, channel)  # type: ignore[arg-type]
        if address is not None and not (channel == "email" and messaging.is_unsubscribed(state, address)):
            kept.add(contact_id)
    return kept


def sent(sandbox: Sandbox, broadcast_id: int | str) -> list[dict[str, Any]]:
    rows = sandbox.state.conn.execute(
        "SELECT request_id, contact_id, locator, sent_at, subject, content, template_id, instance_id FROM messages"
        " WHERE broadcast_id = ? ORDER BY sent_at, rowid",
        (int(broadcast_id),),
    )
    return [dict(row) for row in rows]


# --- running -----------------------------------------------------------------------------------


async def test_a_broadcast_runs_through_its_segments_less_the_excluded_at_its_speed(
    sandbox: Sandbox, http: httpx.AsyncClient
) -> None:
    audience = reachable(sandbox, members(sandbox, VIP) - members(sandbox, TEST_RECIPIENTS))
    assert len(audience) > 100
    created = await create(
        http,
        messageId=str(WELCOME),
        groups=[VIP],
        excludedGroups=[TEST_RECIPIENTS],
        batchSize=25,
        batchIntervalUnit="MINUTE",
    )
    broadcast_id = created["broadcastId"]
    first = sent(sandbox, broadcast_id)
    assert len(first) == 25, "the first batch goes out as it starts"
    assert {m["sent_at"] for m in first} == {T0}
    sandbox.clock.advance(59)
    await tick(http)
    assert len(sent(sandbox, broadcast_id)) == 25
    sandbox.clock.advance(1)
    await tick(http)
    assert len(sent(sandbox, broadcast_id)) == 50
    sandbox.clock.advance(3600)  # far past the last batch: each still goes out at its own minute
    await tick(http)
    messages = sent(sandbox, broadcast_id)
    assert [m["contact_id"] for m in messages] == sorted(audience), "each member once, in contact id order"
    batches: dict[float, int] = {}
    for message in messages:
        batches[message["sent_at"]] = batches.get(message["sent_at"], 0) + 1
    assert list(batches) == [T0 + 60 * k for k in range(len(batches))]
    assert set(list(batches.values())[:-1]) == {25}
    assert 1 <= list(batches.values())[-1] <= 25
    assert all(m["template_id"] == WELCOME for m in messages)
    assert len({m["instance_id"] for m in messages}) == 1, "one message instance per broadcast"


async def test_a_start_is_read_in_the_account_s_time_zone_and_waits_for_the_clock(
    sandbox: Sandbox, http: httpx.AsyncClient
) -> None:
    now = datetime.fromtimestamp(T0, UTC)
    assert now.isoformat() == "2025-06-15T15:06:40+00:00"  # 18:06:40 in Kyiv (EEST, +03:00)
    start = T0 + 3200  # 19:00 in Kyiv
    created = await create(http, messageId=str(WELCOME), groups=[TEST_RECIPIENTS], startDate="2025-06-15T19:00")
    assert created["startDate"] == "2025-06-15T19:00:00+03:00"
    sandbox.clock.advance(3199)
    await tick(http)
    assert sent(sandbox, created["broadcastId"]) == []
    sandbox.clock.advance(7200)
    await tick(http)
    messages = sent(sandbox, created["broadcastId"])
    assert {m["contact_id"] for m in messages} == reachable(sandbox, members(sandbox, TEST_RECIPIENTS))
    assert {m["sent_at"] for m in messages} == {start}, "dated at its start, not when the sandbox noticed"


async def test_a_member_of_several_segments_gets_one_message_and_excluded_members_none(
    sandbox: Sandbox, http: httpx.AsyncClient
) -> None:
    both = members(sandbox, VIP) & members(sandbox, GOLD_TIER)
    excluded = members(sandbox, KYIV_VISITORS)
    assert both
    assert excluded & (members(sandbox, VIP) | members(sandbox, GOLD_TIER))
    created = await create(http, messageId=str(WELCOME), groups=[VIP, GOLD_TIER], excludedGroups=[KYIV_VISITORS])
    assert created["groupId"] == f"{VIP},{GOLD_TIER}"
    got = [m["contact_id"] for m in sent(sandbox, created["broadcastId"])]
    assert len(got) == len(set(got))
    assert set(got) == reachable(sandbox, (members(sandbox, VIP) | members(sandbox, GOLD_TIER)) - excluded)


async def test_unsubscribed_and_unreachable_members_are_skipped(sandbox: Sandbox, http: httpx.AsyncClient) -> None:
    state = sandbox.state
    unsubscribed = contacts.find_by_channel(state, "email", DEMO_UNSUBSCRIBED_EMAIL)
    no_email = state.conn.execute(
        "SELECT id FROM contacts WHERE id NOT IN (SELECT contact_id FROM channels WHERE type = 'email') LIMIT 1"
    ).fetchone()[0]
    assert unsubscribed is not None
    attach = await http.post(
        f"/v1/group/{TEST_RECIPIENTS}/contacts/attach", json={"contactIds": [unsubscribed, no_email]}
    )
    assert attach.status_code == 200
    email = await create(http, messageId=str(WELCOME), groups=[TEST_RECIPIENTS])
    got = {m["contact_id"] for m in sent(sandbox, email["broadcastId"])}
    assert len(got) == 5
    assert unsubscribed not in got
    assert no_email not in got
    sms = await create(http, messageId=str(FLASH_SMS), groups=[TEST_RECIPIENTS])
    texts = sent(sandbox, sms["broadcastId"])
    assert {m["contact_id"] for m in texts} == reachable(sandbox, members(sandbox, TEST_RECIPIENTS), "sms")
    assert no_email in {m["contact_id"] for m in texts}
    assert all(m["locator"].startswith("+") for m in texts)


async def test_each_member_gets_the_message_rendered_in_their_language(
    sandbox: Sandbox, http: httpx.AsyncClient
) -> None:
    uk = await create(http, messageId=str(CART), groups=[UKRAINIAN])
    pl = await create(http, messageId=str(CART), groups=[POLISH])
    ukrainian = sent(sandbox, uk["broadcastId"])
    assert ukrainian
    assert all(m["subject"].startswith("У вашому кошику") for m in ukrainian)
    polish = sent(sandbox, pl["broadcastId"])
    assert polish
    assert all(m["subject"].startswith("You left") for m in polish), "no Polish version: the base one"
    one = polish[0]
    first_name = contacts.status(sandbox.state, one["contact_id"])["first_name"]
    assert f"Hi {first_name}," in one["content"], "personalised for the member"


async def test_mobile_push_reaches_the_devices_of_the_broadcast_s_app(
    sandbox: Sandbox, http: httpx.AsyncClient
) -> None:
    devices = {
        row[0]
        for row in sandbox.state.conn.execute(
            "SELECT contact_id FROM channels WHERE type = 'mobilepush'"
            " AND json_extract(extra_json, '$.device.appId') = ?",
            (DEMO_APP,),
        )
    }
    segment = await http.post(f"/v1/group/{TEST_RECIPIENTS}/contacts/attach", json={"contactIds": sorted(devices)[:3]})
    assert segment.status_code == 200
    ours = await create(http, messageId=str(PUSH_BACK_IN_STOCK), groups=[TEST_RECIPIENTS], appId=DEMO_APP)
    got = sent(sandbox, ours["broadcastId"])
    assert {m["contact_id"] for m in got} == set(sorted(devices)[:3])
    other = await create(http, messageId=str(PUSH_BACK_IN_STOCK), groups=[TEST_RECIPIENTS], appId="another-app")
    assert sent(sandbox, other["broadcastId"]) == []


# --- deliveries, activity and the webhook ------------------------------------------------------


async def test_each_delivery_carries_the_broadcast_id_in_activity_and_the_webhook(
    sandbox: Sandbox, http: httpx.AsyncClient
) -> None:
    posts: list[list[dict[str, Any]]] = []

    async def receive(body: bytes, headers: dict[str, str]) -> int:
        posts.append(json.loads(body))
        return 200

    sandbox.webhooks.attach(receive)
    created = await create(http, messageId=str(WELCOME), groups=[TEST_RECIPIENTS], title="Team test")
    broadcast_id = int(created["broadcastId"])
    messages = sent(sandbox, broadcast_id)
    assert len(messages) == 5
    sandbox.clock.advance(61)
    await sandbox.webhooks.push_due()
    pushed = [event for post in posts for event in post if event.get("broadcastId") == broadcast_id]
    assert {(e["iid"], e["activityStatus"]) for e in pushed} == {
        (m["request_id"], status) for m in messages for status in ("DELIVERED", "READ")
    }
    assert {e["contactId"] for e in pushed} == {m["contact_id"] for m in messages}
    assert {(e["messageId"], e["messageInstanceId"]) for e in pushed} == {(WELCOME, messages[0]["instance_id"])}
    activity = await http.get(
        "/v2/contacts/activity",
        params={"dateFrom": "2025-06-15", "dateTo": "2025-06-16", "email": messages[0]["locator"]},
    )
    assert activity.status_code == 200
    assert {e["activityStatus"] for e in activity.json() if e.get("broadcastId") == broadcast_id} == {
        "DELIVERED",
        "READ",
    }
    trigger = await http.post(
        f"/v1/message/{WELCOME}/smartsend", json={"email": True, "recipients": [{"locator": messages[0]["locator"]}]}
    )
    [result] = [trigger.json()["results"]]
    assert sandbox.activity(result["requestId"], include_future=True)[0].get("broadcastId") is None


async def test_a_served_sandbox_runs_a_broadcast_that_comes_due_while_nobody_asks(
    sandbox: Sandbox, http: httpx.AsyncClient
) -> None:
    posts: list[list[dict[str, Any]]] = []

    async def receive(body: bytes, headers: dict[str, str]) -> int:
        posts.append(json.loads(body))
        return 200

    created = await create(http, messageId=str(WELCOME), groups=[TEST_RECIPIENTS], startDate="2025-06-15T19:00")
    sandbox.webhooks.attach(receive)
    sandbox.clock.advance(3200 + 10)
    await sandbox.webhooks.push_due()  # the pusher's own round, no API request
    delivered = [e for post in posts for e in post if e["activityStatus"] == "DELIVERED"]
    assert len(delivered) == 5
    assert {e["broadcastId"] for e in delivered} == {int(created["broadcastId"])}


# --- cancelling ------------------------------------------------------------------------------------


async def test_a_scheduled_broadcast_is_cancelled_and_then_sends_nothing(
    sandbox: Sandbox, http: httpx.AsyncClient
) -> None:
    created = await create(http, messageId=str(WELCOME), groups=[NEWSLETTER], startDate="2025-06-16T09:00")
    broadcast_id = created["broadcastId"]
    cancelled = await http.delete(f"/v1/broadcast/{broadcast_id}")
    assert (cancelled.status_code, cancelled.text) == (200, "")
    assert (await http.get(f"/v1/broadcast/{broadcast_id}")).status_code == 404
    assert broadcast_id not in {
        b["broadcastId"] for b in (await http.get("/v1/broadcasts", params={"maxrows": 500})).json()
    }
    sandbox.clock.advance(2 * 86_400)
    await tick(http)
    assert sent(sandbox, broadcast_id) == []
    again = await http.delete(f"/v1/broadcast/{broadcast_id}")
    assert (again.status_code, again.text) == (404, f"Broadcast with id={broadcast_id} not found")


async def test_a_broadcast_that_has_started_cannot_be_cancelled_and_goes_on(
    sandbox: Sandbox, http: httpx.AsyncClient
) -> None:
    created = await create(http, messageId=str(WELCOME), groups=[VIP], batchSize=10, batchIntervalUnit="HOUR")
    broadcast_id = created["broadcastId"]
    refused = await http.delete(f"/v1/broadcast/{broadcast_id}")
    assert refused.status_code == 400
    assert refused.text == (
        f"Broadcast {broadcast_id} has already started (2025-06-15T18:06:40+03:00) and cannot be cancelled; "
        "10 messages were sent"
    )
    sandbox.clock.advance(3600)
    await tick(http)
    assert len(sent(sandbox, broadcast_id)) == 20, "it goes on"
    finished = await http.delete("/v1/broadcast/8101")
    assert finished.status_code == 400
    assert "has already started" in finished.text


async def test_the_demo_s_scheduled_broadcast_starts_when_the_clock_reaches_it(
    sandbox: Sandbox, http: httpx.AsyncClient
) -> None:
    shown = (await http.get(f"/v1/broadcast/{SCHEDULED_DEMO}")).json()
    start = datetime.fromisoformat(shown["startDate"]).timestamp()
    assert start > T0
    sandbox.clock.advance(start - T0)
    await tick(http)
    first = sent(sandbox, SCHEDULED_DEMO)
    assert len(first) == 100
    assert {m["sent_at"] for m in first} == {start}
    assert not {m["contact_id"] for m in first} & members(sandbox, TEST_RECIPIENTS)


# --- list and get ----------------------------------------------------------------------------------


async def test_list_and_get_answer_broadcast_views(sandbox: Sandbox, http: httpx.AsyncClient) -> None:
    listed = await http.get("/v1/broadcasts")
    assert listed.status_code == 200
    assert listed.headers["TotalCount"] == "5"
    views = listed.json()
    assert [v["broadcastId"] for v in views] == ["8105", "8104", "8103", "8102", "8101"], "the latest start first"
    keys = {"broadcastId", "title", "messageId", "groupId", "startDate", "batchSize", "batchIntervalUnit"}
    assert all(set(v) <= keys for v in views)
    assert all(isinstance(v["broadcastId"], str) and isinstance(v["messageId"], str) for v in views)
    assert views[0] == {
        "broadcastId": "8105",
        "title": "Weekend garden sale",
        "messageId": "5002",
        "groupId": str(VIP),
        "startDate": views[0]["startDate"],
        "batchSize": 100,
        "batchIntervalUnit": "HOUR",
    }
    for _ in range(12):
        await create(http, messageId=str(WELCOME), groups=[TEST_RECIPIENTS], startDate="2025-07-01T10:00")
    default = await http.get("/v1/broadcasts")
    assert len(default.json()) == 10, "maxrows defaults to 10 (SPEC findBroadcasts)"
    assert default.headers["TotalCount"] == "17"
    last = await http.get("/v1/broadcasts", params={"startindex": 11, "maxrows": 500})
    assert len(last.json()) == 7
    got = await http.get("/v1/broadcast/8101")
    assert got.json() == next(v for v in views if v["broadcastId"] == "8101")
    assert (await http.get("/v1/broadcasts", params={"maxrows": 501})).status_code == 400
    assert (await http.get("/v1/broadcast/424242")).status_code == 404


async def test_a_bare_account_has_no_broadcasts_or_workflows(bare: Sandbox) -> None:
    async with httpx.AsyncClient(transport=bare.transport(), base_url="http://sandbox.invalid/api") as client:
        auth = ("anyone", "sandbox-test-key")
        assert (await client.get("/v1/broadcasts", auth=auth)).json() == []
        assert (await client.get("/v1/workflows", auth=auth)).json() == []


# --- refusals --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "text"),
    [
        ({"messageId": "999999", "groups": [VIP]}, 404, "Message with id=999999 not found"),
        ({"messageId": "AB2489300", "groups": [VIP]}, 404, "Message with id=AB2489300 not found"),
        ({"messageId": 3001, "groups": [VIP]}, 400, "messageId: Input should be a valid string"),
        ({"messageId": str(INBOX_LOYALTY), "groups": [VIP]}, 400, "is an App Inbox message"),
        ({"messageId": str(WELCOME)}, 400, "groups: required field is missing"),
        ({"messageId": str(WELCOME), "groups": []}, 400, "groups must list at least one segment id"),
        ({"messageId": str(WELCOME), "groups": [9999]}, 404, "Segment with id=9999 not found"),
        ({"messageId": str(WELCOME), "groups": [VIP], "excludedGroups": [9999]}, 404, "Segment with id=9999"),
        ({"messageId": str(WELCOME), "groups": [VIP], "excludedGroups": [VIP]}, 400, "both in groups and in"),
        ({"messageId": str(WELCOME), "groups": [VIP], "batchSize": 10}, 400, "batchSize and batchIntervalUnit go"),
        ({"messageId": str(WELCOME), "groups": [VIP], "batchIntervalUnit": "DAY"}, 400, "go together"),
        (
            {"messageId": str(WELCOME), "groups": [VIP], "batchSize": 0, "batchIntervalUnit": "DAY"},
            400,
            "batchSize must be at least 1",
        ),
        (
            {"messageId": str(WELCOME), "groups": [VIP], "batchSize": 5, "batchIntervalUnit": "WEEK"},
            400,
            "batchIntervalUnit: Input should be",
        ),
        ({"messageId": str(WELCOME), "groups": [VIP], "startDate": "2025-06-16 10:00"}, 400, "YYYY-MM-DDTHH:mm"),
        ({"messageId": str(WELCOME), "groups": [VIP], "startDate": "2025-06-16T10:00:00+03:00"}, 400, "format"),
        ({"messageId": str(WELCOME), "groups": [VIP], "startDate": "2025-06-15T18:05"}, 400, "is in the past"),
        ({"messageId": str(PUSH_BACK_IN_STOCK), "groups": [VIP]}, 400, "appId is required for a mobilepush"),
        ({"messageId": str(WELCOME), "groups": [VIP], "appId": DEMO_APP}, 400, "appId is for mobile push"),
        ({"messageId": str(WELCOME), "groups": [VIP], "domain": "shop.example"}, 400, "domain is for web push"),
        ({"messageId": str(WELCOME), "groups": [VIP], "segments": [VIP]}, 400, "segments: unknown field"),
    ],
)
async def test_a_broadcast_eSputnik_would_refuse_is_refused_and_nothing_is_sent(
    sandbox: Sandbox, http: httpx.AsyncClient, body: dict[str, Any], status: int, text: str
) -> None:
    response = await http.post("/v1/broadcast", json=body)
    assert response.status_code == status
    assert text in response.text
    assert sandbox.state.conn.execute("SELECT COUNT(*) FROM broadcasts WHERE id > 9000").fetchone()[0] == 0
    assert sandbox.state.conn.execute("SELECT COUNT(*) FROM messages WHERE source = 'api'").fetchone()[0] == 0


async def test_a_start_within_the_current_minute_starts_now(sandbox: Sandbox, http: httpx.AsyncClient) -> None:
    created = await create(http, messageId=str(WELCOME), groups=[TEST_RECIPIENTS], startDate="2025-06-15T18:06")
    assert created["startDate"] == "2025-06-15T18:06:40+03:00"
    assert len(sent(sandbox, created["broadcastId"])) == 5


def test_batches_by_day_and_month_follow_the_account_s_calendar() -> None:
    def kyiv(text: str) -> float:
        return datetime.fromisoformat(text).timestamp()

    start = kyiv("2025-01-31T10:00:00+02:00")
    assert broadcasts.batch_time(start, "MONTH", 1) == kyiv("2025-02-28T10:00:00+02:00")
    assert broadcasts.batch_time(start, "MONTH", 2) == kyiv("2025-03-31T10:00:00+03:00"), "after the DST change"
    assert broadcasts.batch_time(start, "MONTH", 12) == kyiv("2026-01-31T10:00:00+02:00")
    spring = kyiv("2025-03-29T10:00:00+02:00")
    assert broadcasts.batch_time(spring, "DAY", 1) - spring == 23 * 3600, "a calendar day, 23 h at the change"
    assert broadcasts.batch_time(spring, "HOUR", 3) - spring == 3 * 3600
    assert broadcasts.batch_time(spring, "MINUTE", 3) - spring == 180
    assert broadcasts.batch_time(spring, None, 5) == spring


# --- workflows -------------------------------------------------------------------------------------


async def test_workflows_are_searched_by_part_of_their_name(http: httpx.AsyncClient) -> None:
    everything = await http.get("/v1/workflows")
    assert everything.headers["TotalCount"] == "6"
    assert {w["status"] for w in everything.json()} == {"active", "inactive"}
    cart = await http.get("/v1/workflows", params={"name": "CART"})
    assert cart.json() == [{"id": 6002, "name": "Abandoned cart", "status": "active", "tags": ["cart", "trigger"]}]
    order = (await http.get("/v1/workflows", params={"name": "order"})).json()
    assert order == [{"id": 6003, "name": "Order follow-up", "status": "active", "tags": "orders"}], (
        "one tag: a lone value"
    )
    untagged = (await http.get("/v1/workflows", params={"name": "win-back"})).json()
    assert untagged == [{"id": 6006, "name": "Win-back 2024", "status": "inactive"}]
    page = await http.get("/v1/workflows", params={"startindex": 5, "maxrows": 1})
    assert [w["id"] for w in page.json()] == [6005]
    assert (await http.get("/v1/workflows", params={"status": "active"})).status_code == 400
