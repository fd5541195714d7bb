"""Campaign tools through a real MCP client against the sandbox's demo account: create_broadcast
(checked before anyone is asked, approved by a person who sees the segments, their sizes and the
message rendered for the first members; the exact request; the ledger), list_broadcasts,
get_broadcast (with the delivery counts the webhook pushed), cancel_broadcast (only before the start)
and list_workflows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.client.context import ClientRequestContext
from mcp_types import ElicitRequestParams, ElicitResult

from esputnik_mcp.sandbox import Sandbox
from esputnik_mcp.server.app import build_server
from esputnik_mcp.server.backend import attach_sandbox_webhook
from esputnik_mcp.server.runtime import Runtime
from tests.tools.conftest import CURRENT, PROTOCOLS, call, error_text
from tests.tools.support import T0, data, requests, text

pytestmark = pytest.mark.anyio

CREATE, FIND, GET, CANCEL = (
    "POST /v1/broadcast",
    "GET /v1/broadcasts",
    "GET /v1/broadcast/{broadcast_id}",
    "DELETE /v1/broadcast/{broadcast_id}",
)
WELCOME, FLASH_SMS, VERIFICATION_SMS = 3001, 4003, 4001
NEWSLETTER, VIP, TEST_RECIPIENTS, GOLD_TIER = 2001, 2002, 2005, 2101
SCHEDULED_DEMO, PAST_NEWSLETTER = 8105, 8101


class Person:
    """The person at the client: answers each confirmation form (and keeps what it showed)."""

    def __init__(self, *, approves: bool = True) -> None:
        self.approves = approves
        self.forms: list[str] = []

    async def __call__(self, context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
        self.forms.append(params.message)
        if not self.approves:
            return ElicitResult(action="decline")
        return ElicitResult(action="accept", content={"confirm": True})


@pytest.fixture
def person() -> Person:
    return Person()


@pytest.fixture
async def mcp(runtime: Runtime, person: Person) -> AsyncIterator[Client]:
    """A client whose person answers confirmation forms; the server's inbox is fed by the sandbox's
    webhook (its past included)."""
    async with anyio.create_task_group() as tasks:
        attach_sandbox_webhook(runtime, tasks)
        async with Client(build_server(runtime), mode=PROTOCOLS[CURRENT], elicitation_callback=person) as client:
            yield client
        tasks.cancel_scope.cancel()


def broadcast_messages(sandbox: Sandbox, broadcast_id: int) -> list[Any]:
    return sandbox.state.conn.execute(
        "SELECT contact_id, sent_at FROM messages WHERE broadcast_id = ? ORDER BY sent_at, rowid", (broadcast_id,)
    ).fetchall()


async def member_count(runtime: Runtime, segment_id: int) -> int:
    total = (await runtime.client.segments.contacts(segment_id, max_rows=1)).total
    assert total is not None
    return total


@pytest.mark.parametrize(
    ("tool", "read_only", "destructive", "idempotent"),
    [
        ("create_broadcast", False, True, False),
        ("list_broadcasts", True, False, True),
        ("get_broadcast", True, False, True),
        ("cancel_broadcast", False, True, True),
        ("list_workflows", True, False, True),
    ],
)
async def test_campaign_tools_declare_every_annotation(
    mcp: Client, tool: str, read_only: bool, destructive: bool, idempotent: bool
) -> None:
    listed = {t.name: t for t in (await mcp.list_tools()).tools}
    annotations = listed[tool].annotations
    assert annotations is not None
    assert (annotations.read_only_hint, annotations.destructive_hint, annotations.idempotent_hint) == (
        read_only,
        destructive,
        idempotent,
    )
    assert annotations.open_world_hint is True


# --- create_broadcast --------------------------------------------------------------------------------


async def test_a_broadcast_is_approved_by_a_person_who_sees_what_goes_to_whom(
    mcp: Client, sandbox: Sandbox, runtime: Runtime, person: Person
) -> None:
    result = await call(
        mcp, "create_broadcast", {"message_id": WELCOME, "channel": "email", "segment_ids": [TEST_RECIPIENTS]}
    )
    out = data(result)
    [form] = person.forms
    size = await member_count(runtime, TEST_RECIPIENTS)
    assert f"segment Internal test recipients ({TEST_RECIPIENTS}, {size} members)" in form
    assert f"Stored message: {WELCOME} Welcome: first letter" in form
    assert 'Sender: "Lumen Home" <news@lumen-home.example>' in form
    assert "Starts at once, to everyone at once." in form
    first = (await runtime.client.segments.contacts(TEST_RECIPIENTS, max_rows=1)).items[0]
    assert f"As {first.first_name} {first.last_name}" in form, "rendered for the first member"
    assert f'(subject "Welcome to Lumen Home, {first.first_name}!"):' in form
    assert f"Hello {first.first_name}!" in form
    broadcast = out["broadcast"]
    assert broadcast["id"] > 9000
    assert (broadcast["message_id"], broadcast["segment_ids"], broadcast["title"]) == (
        WELCOME,
        [TEST_RECIPIENTS],
        "Welcome: first letter",
    )
    assert len(broadcast_messages(sandbox, broadcast["id"])) == size, "it went out to each member"
    summary = text(result).splitlines()[0]
    assert summary.startswith(f'[sandbox] created broadcast {broadcast["id"]} "Welcome: first letter": template')
    assert "cancel_broadcast stops it only before it starts" in summary


async def test_the_request_carries_the_segments_start_and_speed(mcp: Client, sandbox: Sandbox, person: Person) -> None:
    arguments = {
        "message_id": FLASH_SMS,
        "channel": "sms",
        "segment_ids": [VIP, GOLD_TIER, VIP],
        "excluded_segment_ids": [TEST_RECIPIENTS],
        "title": "Weekend flash sale",
        "start_at": "2025-06-16T09:30:45",
        "batch_size": 50,
        "batch_interval": "hour",
    }
    out = data(await call(mcp, "create_broadcast", arguments))
    [request] = requests(sandbox, CREATE)
    assert request.body == {
        "messageId": str(FLASH_SMS),
        "groups": [VIP, GOLD_TIER],
        "excludedGroups": [TEST_RECIPIENTS],
        "title": "Weekend flash sale",
        "startDate": "2025-06-16T09:30",
        "batchSize": 50,
        "batchIntervalUnit": "HOUR",
    }
    assert out["broadcast"]["start"] == "2025-06-16T09:30:00+03:00"
    assert (out["broadcast"]["batch_size"], out["broadcast"]["batch_interval"]) == (50, "hour")
    assert out["excluded_segment_ids"] == [TEST_RECIPIENTS]
    [form] = person.forms
    assert "Starts 2025-06-16T09:30 (the account's time zone), 50 messages per hour." in form
    assert f"except segment Internal test recipients ({TEST_RECIPIENTS}" in form
    assert "SMS:" in form, "the parts the first members' messages take"
    assert broadcast_messages(sandbox, out["broadcast"]["id"]) == [], "not yet: it starts tomorrow"


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        ({"message_id": 999_999, "channel": "email", "segment_ids": [VIP]}, "there is no stored email message 999999"),
        ({"message_id": VERIFICATION_SMS, "channel": "email", "segment_ids": [VIP]}, "is a stored sms message"),
        ({"message_id": WELCOME, "channel": "email", "segment_ids": [4242]}, "no segment 4242 in the account"),
        (
            {"message_id": WELCOME, "channel": "email", "segment_ids": [VIP], "excluded_segment_ids": [VIP]},
            "segment 2002 is both a target and excluded",
        ),
        (
            {"message_id": WELCOME, "channel": "email", "segment_ids": [VIP], "batch_size": 10},
            "give batch_size and batch_interval together",
        ),
        (
            {"message_id": WELCOME, "channel": "email", "segment_ids": [VIP], "start_at": "2025-06-16T09:00:00Z"},
            "leave the zone out",
        ),
        ({"message_id": WELCOME, "channel": "email", "segment_ids": [VIP], "start_at": "2025-06-16"}, "no time of day"),
        ({"message_id": WELCOME, "channel": "email", "segment_ids": [VIP], "app_id": "x"}, "app_id is for mobilepush"),
        ({"message_id": 5101, "channel": "mobilepush", "segment_ids": [VIP]}, "needs app_id"),
        ({"message_id": WELCOME, "channel": "webpush", "segment_ids": [VIP]}, "needs domain"),
        ({"message_id": WELCOME, "channel": "email", "segment_ids": []}, "segment_ids: List should have at least 1"),
        ({"message_id": WELCOME, "channel": "email", "segment_ids": list(range(1, 102))}, "at most 100 segments"),
    ],
)
async def test_a_broadcast_that_would_fail_is_refused_before_anyone_is_asked(
    mcp: Client, sandbox: Sandbox, person: Person, arguments: dict[str, Any], reason: str
) -> None:
    result = await call(mcp, "create_broadcast", arguments)
    assert reason in error_text(result)
    assert person.forms == []
    assert requests(sandbox, CREATE) == []


async def test_the_same_broadcast_to_the_same_segment_is_refused_within_a_day(mcp: Client, sandbox: Sandbox) -> None:
    arguments = {"message_id": WELCOME, "channel": "email", "segment_ids": [TEST_RECIPIENTS]}
    assert not (await call(mcp, "create_broadcast", arguments)).is_error
    again = await call(mcp, "create_broadcast", arguments)
    assert "went to segment:2005 within the last 24 h" in error_text(again)
    assert not (await call(mcp, "create_broadcast", {**arguments, "allow_duplicate": True})).is_error
    assert len(requests(sandbox, CREATE)) == 2


@pytest.mark.parametrize("person", [Person(approves=False)], ids=["declines"])
async def test_a_declined_broadcast_is_not_created(mcp: Client, sandbox: Sandbox, person: Person) -> None:
    result = await call(mcp, "create_broadcast", {"message_id": WELCOME, "channel": "email", "segment_ids": [VIP]})
    assert "declined" in error_text(result)
    assert requests(sandbox, CREATE) == []


async def test_what_eSputnik_refuses_is_reported_as_its_words(mcp: Client, sandbox: Sandbox) -> None:
    result = await call(
        mcp,
        "create_broadcast",
        {"message_id": WELCOME, "channel": "email", "segment_ids": [VIP], "start_at": "2025-06-14T09:00"},
    )
    assert 'eSputnik said: "startDate 2025-06-14T09:00 is in the past"' in error_text(result)
    assert len(requests(sandbox, CREATE)) == 1


# --- list_broadcasts and get_broadcast ---------------------------------------------------------------


async def test_list_broadcasts_pages_with_a_cursor(mcp: Client, sandbox: Sandbox) -> None:
    first = data(await call(mcp, "list_broadcasts", {"limit": 3}))
    second = data(await call(mcp, "list_broadcasts", {"limit": 3, "cursor": first["next_cursor"]}))
    assert first["total"] == second["total"] == 5
    assert [b["id"] for b in first["broadcasts"] + second["broadcasts"]] == [8105, 8104, 8103, 8102, 8101]
    assert "next_cursor" not in second
    assert first["broadcasts"][0] == {
        "id": SCHEDULED_DEMO,
        "title": "Weekend garden sale",
        "message_id": 5002,
        "segment_ids": [VIP],
        "start": first["broadcasts"][0]["start"],
        "batch_size": 100,
        "batch_interval": "hour",
    }
    assert [e.query for e in requests(sandbox, FIND)] == [
        {"startindex": "1", "maxrows": "3"},
        {"startindex": "4", "maxrows": "3"},
    ]
    default = await call(mcp, "list_broadcasts", {})
    assert text(default).splitlines()[0] == "[sandbox] 5 of 5 broadcasts"


async def test_get_broadcast_counts_its_deliveries_from_the_webhook_inbox(mcp: Client, sandbox: Sandbox) -> None:
    past = await call(mcp, "get_broadcast", {"broadcast_id": PAST_NEWSLETTER})
    out = data(past)
    assert out["broadcast"]["segment_ids"] == [NEWSLETTER]
    messages = len(broadcast_messages(sandbox, PAST_NEWSLETTER))
    assert out["counts"]["DELIVERED"] + out["counts"]["UNDELIVERED"] == messages
    assert out["counts"]["READ"] > 0
    assert out["events"] == sum(out["counts"].values())
    assert "webhook inbox:" in text(past)

    created = data(
        await call(
            mcp, "create_broadcast", {"message_id": WELCOME, "channel": "email", "segment_ids": [TEST_RECIPIENTS]}
        )
    )
    broadcast_id = created["broadcast"]["id"]
    fresh = await call(mcp, "get_broadcast", {"broadcast_id": broadcast_id})
    assert "no events of its messages (yet)" in text(fresh)
    assert "counts" not in data(fresh)
    sandbox.clock.advance(61)
    later = data(await call(mcp, "get_broadcast", {"broadcast_id": broadcast_id}))
    sent = len(broadcast_messages(sandbox, broadcast_id))
    assert later["counts"] == {"DELIVERED": sent, "READ": sent}


async def test_an_unknown_broadcast_is_not_found(mcp: Client) -> None:
    result = await call(mcp, "get_broadcast", {"broadcast_id": 424242})
    assert error_text(result) == "broadcast 424242 not found (list_broadcasts lists them)"


# --- cancel_broadcast --------------------------------------------------------------------------------


async def test_a_scheduled_broadcast_is_cancelled_and_sends_nothing(mcp: Client, sandbox: Sandbox) -> None:
    result = await call(mcp, "cancel_broadcast", {"broadcast_id": SCHEDULED_DEMO})
    assert data(result)["cancelled"] is True
    assert "cancelled before its start" in text(result)
    [request] = requests(sandbox, CANCEL)
    assert request.path == f"/v1/broadcast/{SCHEDULED_DEMO}"
    sandbox.clock.advance(60 * 86_400)
    listed = data(await call(mcp, "list_broadcasts", {}))
    assert SCHEDULED_DEMO not in {b["id"] for b in listed["broadcasts"]}
    assert broadcast_messages(sandbox, SCHEDULED_DEMO) == []
    again = await call(mcp, "cancel_broadcast", {"broadcast_id": SCHEDULED_DEMO})
    assert (
        error_text(again) == f"broadcast {SCHEDULED_DEMO} not found (list_broadcasts lists them); nothing was cancelled"
    )


async def test_a_broadcast_that_has_started_is_not_cancelled_and_the_answer_says_so(
    mcp: Client, sandbox: Sandbox
) -> None:
    created = data(
        await call(
            mcp,
            "create_broadcast",
            {
                "message_id": WELCOME,
                "channel": "email",
                "segment_ids": [VIP],
                "batch_size": 10,
                "batch_interval": "hour",
            },
        )
    )
    broadcast_id = created["broadcast"]["id"]
    refused = await call(mcp, "cancel_broadcast", {"broadcast_id": broadcast_id})
    message = error_text(refused)
    assert message.startswith(
        f"nothing was cancelled: eSputnik refused to cancel broadcast {broadcast_id} (start 2025-06-15T18:06:40+03:00)"
    )
    assert "only a broadcast that has not started can be cancelled, and one that has started goes on" in message
    assert "has already started" in message  # eSputnik's own words, quoted
    sandbox.clock.advance(3600)
    await call(mcp, "list_broadcasts", {})
    assert len(broadcast_messages(sandbox, broadcast_id)) == 20
    assert sandbox.clock.now() == T0 + 3600


# --- list_workflows ----------------------------------------------------------------------------------


async def test_list_workflows_by_part_of_the_name(mcp: Client, sandbox: Sandbox) -> None:
    result = await call(mcp, "list_workflows", {"name": "cart"})
    out = data(result)
    assert out["workflows"] == [{"id": 6002, "name": "Abandoned cart", "status": "active", "tags": ["cart", "trigger"]}]
    assert text(result).splitlines()[0] == "[sandbox] 1 of 1 workflows named like 'cart'"
    first = data(await call(mcp, "list_workflows", {"limit": 4}))
    rest = data(await call(mcp, "list_workflows", {"limit": 4, "cursor": first["next_cursor"]}))
    assert first["total"] == 6
    assert [w["id"] for w in first["workflows"] + rest["workflows"]] == [6001, 6002, 6003, 6004, 6005, 6006]
    assert {"id": 6003, "name": "Order follow-up", "status": "active", "tags": ["orders"]} in first["workflows"]
    assert {"id": 6006, "name": "Win-back 2024", "status": "inactive"} in rest["workflows"]
    wrong = await call(mcp, "list_workflows", {"name": "order", "cursor": first["next_cursor"]})
    assert "cursor belongs to a different query" in error_text(wrong)


async def test_without_webhook_events_get_broadcast_says_why_it_has_no_counts(runtime: Runtime) -> None:
    async with Client(build_server(runtime), mode=PROTOCOLS[CURRENT]) as bare_inbox:
        result = await call(bare_inbox, "get_broadcast", {"broadcast_id": PAST_NEWSLETTER})
    assert "the webhook inbox has never received an event" in text(result)
    assert set(data(result)) == {"broadcast", "sandbox"}
