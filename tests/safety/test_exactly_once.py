"""A send goes out at most once: identical calls at the same moment (the common case: agents call
tools in parallel), on one server or two sharing a store, whatever the confirmation mode; a store
that cannot record the send stops it; the same person named two ways is one person; after an unknown
outcome the same message is not resent with a retouched body; events have a ledger too."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from mcp.client.context import ClientRequestContext
from mcp_types import CallToolResult, ElicitRequestParams, ElicitResult

from esputnik_mcp.sandbox import Fault, Sandbox
from esputnik_mcp.store import SQLiteStore, StoreUnavailable
from tests.safety.conftest import FakeClock, connect, server_with, text_of

pytestmark = pytest.mark.anyio

EMAIL = "POST /v1/message/email"
SMS = "POST /v1/message/sms"
SMARTSEND = "POST /v1/message/{id}/smartsend"
EVENT = "POST /v2/event"
VIBER = "POST /v1/message/viber"
BROADCAST = "POST /v1/broadcast"
SEND = {"to": "olena@example.com", "subject": "Spring sale", "html": "<p>Hello</p>"}
TEMPLATE = 3001
SMS_TEMPLATE = 4001
TEST_RECIPIENTS = 2005  # a small static segment of the demo account


async def at_once(calls: Sequence[Callable[[], Awaitable[CallToolResult]]]) -> list[CallToolResult]:
    """Start every call at the same moment; their results in order."""
    results: list[CallToolResult | None] = [None] * len(calls)
    start = anyio.Event()

    async def run(index: int) -> None:
        await start.wait()
        results[index] = await calls[index]()

    async with anyio.create_task_group() as tg:
        for index in range(len(calls)):
            tg.start_soon(run, index)
        await anyio.lowlevel.checkpoint()
        start.set()
    return [r for r in results if r is not None]


def refused_as_duplicates(results: Sequence[CallToolResult]) -> None:
    refusals = [text_of(r) for r in results if r.is_error]
    assert len(refusals) == len(results) - 1, refusals
    assert all("in flight" in t or "the same" in t for t in refusals), refusals


SENDS: dict[str, tuple[str, dict[str, Any], str]] = {
    "send_email": ("send_email", SEND, EMAIL),
    "send_sms": ("send_sms", {"phone": "+380501234567", "text": "Your code is 1234"}, SMS),
    "send_prepared_message": (
        "send_prepared_message",
        {"message_id": TEMPLATE, "channel": "email", "recipients": [{"locator": "olena@example.com"}]},
        SMARTSEND,
    ),
    "send_viber": ("send_viber", {"phone": "+380501234567", "text": "Your order has shipped"}, VIBER),
    "send_sms with a stored message": (
        "send_sms",
        {"phone": "+380501234567", "message_id": SMS_TEMPLATE, "params": {"code": "4821"}},
        SMARTSEND,
    ),
    "generate_event": (
        "generate_event",
        {"event_type_key": "cartAbandoned", "params": {"email": "olena@example.com", "cartTotal": 59.9}},
        EVENT,
    ),
}


@pytest.mark.parametrize("n", [5, 20])
@pytest.mark.parametrize("tool", list(SENDS))
async def test_identical_concurrent_calls_reach_esputnik_once(
    sandbox: Sandbox, clock: FakeClock, tool: str, n: int
) -> None:
    name, arguments, route = SENDS[tool]
    sandbox.faults.add(Fault(route=route, delay=0.05, times=None))  # every request is slow: they overlap
    async with (
        server_with(
            sandbox,
            clock,
            send_confirmation="off",
            sends_per_minute=100,
            writes_per_minute=100,
            sends_per_minute_total=100,
            writes_per_minute_total=100,
        ) as server,
        connect(server) as mcp,
    ):
        results = await at_once([lambda: mcp.call_tool(name, arguments)] * n)
        assert server.sent(route) == 1
    refused_as_duplicates(results)


async def test_previews_redeemed_at_once_send_once(sandbox: Sandbox, clock: FakeClock) -> None:
    sandbox.faults.add(Fault(route=EMAIL, delay=0.05, times=None))
    async with (
        server_with(
            sandbox, clock, send_confirmation="token", sends_per_minute=100, sends_per_minute_total=100
        ) as server,
        connect(server) as mcp,
    ):
        previews = [await mcp.call_tool("send_email", SEND) for _ in range(5)]
        tokens = [p.structured_content["confirmation_required"]["confirmation_token"] for p in previews]  # type: ignore[index]
        results = await at_once(
            [lambda t=token: mcp.call_tool("send_email", {**SEND, "confirmation_token": t}) for token in tokens]
        )
        assert server.sent(EMAIL) == 1
    refused_as_duplicates(results)


# Sends to whole segments, which only a person may approve (here every elicitation is approved).
TO_SEGMENTS: dict[str, tuple[str, dict[str, Any], str]] = {
    "send_sms to a segment": ("send_sms", {"segment_id": TEST_RECIPIENTS, "text": "-20% today"}, SMS),
    "send_viber to a segment": ("send_viber", {"segment_id": TEST_RECIPIENTS, "text": "-20% today"}, VIBER),
    "create_broadcast": (
        "create_broadcast",
        {"message_id": TEMPLATE, "channel": "email", "segment_ids": [TEST_RECIPIENTS], "title": "Spring"},
        BROADCAST,
    ),
}


@pytest.mark.parametrize("tool", list(TO_SEGMENTS))
async def test_identical_approved_sends_to_a_segment_reach_esputnik_once(
    sandbox: Sandbox, clock: FakeClock, tool: str
) -> None:
    async def approve(context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
        return ElicitResult(action="accept", content={"confirm": True})

    name, arguments, route = TO_SEGMENTS[tool]
    sandbox.faults.add(Fault(route=route, delay=0.05, times=None))
    async with server_with(
        sandbox, clock, send_confirmation="elicit", sends_per_minute=100, sends_per_minute_total=100
    ) as server:
        async with connect(server, elicitation=approve) as mcp:
            results = await at_once([lambda: mcp.call_tool(name, arguments)] * 5)
        assert server.sent(route) == 1
    refused_as_duplicates(results)


async def test_confirmations_answered_at_once_send_once(sandbox: Sandbox, clock: FakeClock) -> None:
    async def accept(context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
        return ElicitResult(action="accept", content={"confirm": True})

    sandbox.faults.add(Fault(route=EMAIL, delay=0.05, times=None))
    async with server_with(
        sandbox, clock, send_confirmation="elicit", sends_per_minute=100, sends_per_minute_total=100
    ) as server:
        async with connect(server, elicitation=accept) as mcp:
            results = await at_once([lambda: mcp.call_tool("send_email", SEND)] * 5)
        assert server.sent(EMAIL) == 1
    refused_as_duplicates(results)


async def test_two_servers_sharing_a_store_send_once(sandbox: Sandbox, clock: FakeClock, tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite3"
    sandbox.faults.add(Fault(route=EMAIL, delay=0.05, times=None))
    async with AsyncExitStack() as stack:
        clients = []
        for _ in range(2):
            server = await stack.enter_async_context(
                server_with(sandbox, clock, store=SQLiteStore(state), send_confirmation="off")
            )
            clients.append(await stack.enter_async_context(connect(server)))
        results = await at_once([lambda c=c: c.call_tool("send_email", SEND) for c in clients for _ in range(2)])
    assert len(sandbox.journal.for_route(EMAIL)) == 1
    refused_as_duplicates(results)


class BrokenStore(SQLiteStore):
    """A store that can be read but no longer written: a locked or full database."""

    async def reserve(self, *args: Any, **kwargs: Any) -> Any:
        raise StoreUnavailable("the disk is full")


async def test_a_send_that_cannot_be_recorded_is_not_sent(sandbox: Sandbox, clock: FakeClock) -> None:
    async with server_with(sandbox, clock, store=BrokenStore(":memory:"), send_confirmation="off") as server:
        async with connect(server) as mcp:
            result = await mcp.call_tool("send_email", SEND)
        assert result.is_error
        assert "nothing was done" in text_of(result)
        assert "the disk is full" in text_of(result)
        assert server.sent(EMAIL) == 0


async def test_a_locked_store_stops_the_send_without_stalling_other_calls(
    sandbox: Sandbox, clock: FakeClock, tmp_path: Path
) -> None:
    import sqlite3

    state = tmp_path / "state.sqlite3"
    async with server_with(sandbox, clock, store=SQLiteStore(state), send_confirmation="off") as server:
        async with connect(server) as mcp:
            await mcp.call_tool("search_contacts", {"limit": 1})  # the store is open and its schema made
            locker = sqlite3.connect(state, isolation_level=None)
            locker.execute("BEGIN EXCLUSIVE")
            ticks = 0

            async def tick() -> None:
                nonlocal ticks
                while True:
                    ticks += 1
                    await anyio.sleep(0.01)

            try:
                with anyio.fail_after(15):
                    async with anyio.create_task_group() as tg:
                        tg.start_soon(tick)
                        result = await mcp.call_tool("send_email", SEND)
                        tg.cancel_scope.cancel()
            finally:
                locker.rollback()
                locker.close()
        assert result.is_error
        assert "nothing was done" in text_of(result)
        assert server.sent(EMAIL) == 0
    assert ticks > 20  # the event loop went on while the store waited


async def test_the_same_person_named_by_id_and_by_address_is_one_recipient(sandbox: Sandbox, clock: FakeClock) -> None:
    async with server_with(sandbox, clock, send_confirmation="off") as server, connect(server) as mcp:
        page = await server.runtime.client.contacts.search(max_rows=20)
        contact = next(c for c in page.items if c.channel_values("email"))
        email = contact.channel_values("email")[0]
        by_id = {"message_id": TEMPLATE, "channel": "email", "recipients": [{"contact_id": contact.id}]}
        first = await mcp.call_tool("send_prepared_message", by_id)
        assert not first.is_error, text_of(first)
        by_address = {"message_id": TEMPLATE, "channel": "email", "recipients": [{"locator": email.upper()}]}
        second = await mcp.call_tool("send_prepared_message", by_address)
        assert second.is_error
        assert "the same email" in text_of(second)
        assert server.sent(SMARTSEND) == 1


async def test_after_an_unknown_outcome_a_retouched_body_is_not_resent(sandbox: Sandbox, clock: FakeClock) -> None:
    async with server_with(sandbox, clock, send_confirmation="off") as server, connect(server) as mcp:
        sandbox.faults.add(Fault(route=EMAIL, drop=True))
        lost = await mcp.call_tool("send_email", SEND)
        assert "OUTCOME UNKNOWN" in text_of(lost)
        retouched = await mcp.call_tool("send_email", {**SEND, "html": "<p>Hello!</p>"})
        assert retouched.is_error
        assert "unknown outcome" in text_of(retouched)
        other_subject = await mcp.call_tool("send_email", {**SEND, "subject": "Summer sale"})
        assert not other_subject.is_error, text_of(other_subject)
        assert server.sent(EMAIL) == 2


async def test_an_identical_event_within_a_day_is_refused_unless_allowed(sandbox: Sandbox, clock: FakeClock) -> None:
    _, event, _ = SENDS["generate_event"]
    async with server_with(sandbox, clock, send_confirmation="off") as server, connect(server) as mcp:
        assert not (await mcp.call_tool("generate_event", event)).is_error
        again = await mcp.call_tool("generate_event", event)
        assert again.is_error
        assert "allow_duplicate" in text_of(again)
        changed = await mcp.call_tool("generate_event", {**event, "params": {**event["params"], "cartTotal": 60}})
        assert not changed.is_error
        on_purpose = await mcp.call_tool("generate_event", {**event, "allow_duplicate": True})
        assert not on_purpose.is_error
        assert server.sent(EVENT) == 3


async def test_a_send_in_flight_when_the_process_died_blocks_a_blind_resend(
    sandbox: Sandbox, clock: FakeClock, tmp_path: Path
) -> None:
    state = tmp_path / "state.sqlite3"
    sandbox.faults.add(Fault(route=EMAIL, delay=30))
    async with (
        server_with(sandbox, clock, store=SQLiteStore(state), send_confirmation="off") as server,
        connect(server) as mcp,
    ):
        with anyio.move_on_after(0.5):  # the process dies mid-send: nothing settles the reservation
            await mcp.call_tool("send_email", SEND)
    sandbox.faults.clear()
    clock.now += 120  # long past any request's deadline
    async with server_with(sandbox, clock, store=SQLiteStore(state), send_confirmation="off") as server:
        async with connect(server) as mcp:
            resend = await mcp.call_tool("send_email", SEND)
        assert resend.is_error
        assert "unknown outcome" in text_of(resend)
