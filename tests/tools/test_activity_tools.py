"""Delivery and contact activity through the tools: get_message_activity reads what the sandbox's
webhook pushed into the inbox (filters, counts, cursor paging, an honest answer when nothing ever
arrived), get_message_status adds it to eSputnik's status, and get_contact_activity and
get_contact_message_history ask eSputnik, splitting windows and following cursors."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from esputnik_mcp.sandbox import DEMO_BOUNCED_EMAIL, Sandbox
from esputnik_mcp.server.app import build_server
from esputnik_mcp.server.backend import attach_sandbox_webhook, open_runtime
from esputnik_mcp.server.runtime import Runtime
from esputnik_mcp.settings import Settings
from tests.tools.conftest import CURRENT, PROTOCOLS, automation_settings, call, error_text
from tests.tools.support import T0, data, requests, text

pytestmark = pytest.mark.anyio

ACTIVITY = "GET /v2/contacts/activity"
HISTORY = "GET /v2/contacts/messages"
TODAY = datetime.fromtimestamp(T0, UTC).date()


@pytest.fixture
def settings() -> Settings:
    return automation_settings(email_sender='"Lumen Home" <news@lumen-home.example>')


@pytest.fixture
async def fed(runtime: Runtime) -> AsyncIterator[Client]:
    """A client on a server whose inbox the sandbox's webhook feeds, its past included."""
    async with anyio.create_task_group() as tasks:
        attach_sandbox_webhook(runtime, tasks)
        async with Client(build_server(runtime), mode=PROTOCOLS[CURRENT]) as client:
            yield client
        tasks.cancel_scope.cancel()


async def every_page(mcp: Client, tool: str, arguments: dict[str, Any], key: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        page = data(await call(mcp, tool, {**arguments, **({"cursor": cursor} if cursor else {})}))
        found += page[key]
        cursor = page.get("next_cursor")
        if cursor is None:
            return found
    raise AssertionError("the cursor never ended")


async def test_an_inbox_that_never_received_anything_says_so(mcp: Client) -> None:
    result = await call(mcp, "get_message_activity", {})
    assert "never received an event" in text(result)
    assert "get_contact_activity" in text(result)
    assert data(result)["total"] == 0


async def test_a_send_is_followed_from_queued_to_read(fed: Client, sandbox: Sandbox) -> None:
    sent = data(await call(fed, "send_email", {"to": "olena@example.com", "subject": "Hi", "html": "<p>x</p>"}))
    [request_id] = sent["request_ids"]
    queued = data(await call(fed, "get_message_activity", {"request_ids": [request_id]}))
    assert queued["total"] == 0, "nothing has happened to it yet on the sandbox's clock"
    sandbox.clock.advance(61)
    page = data(await call(fed, "get_message_activity", {"request_ids": [request_id]}))
    assert [e["status"] for e in page["events"]] == ["READ", "DELIVERED"], "newest first"
    assert page["counts"] == {"DELIVERED": 1, "READ": 1}
    assert {e["email"] for e in page["events"]} == {"olena@example.com"}
    status = data(await call(fed, "get_message_status", {"request_ids": [request_id]}))
    assert status["statuses"][0]["activity"] == ["DELIVERED", "READ"]


async def test_the_demo_past_can_be_filtered_counted_and_paged_through(fed: Client) -> None:
    everything = data(await call(fed, "get_message_activity", {"limit": 1}))
    total = everything["total"]
    assert total > 100
    assert sum(everything["counts"].values()) == total
    events = await every_page(fed, "get_message_activity", {"limit": 73}, "events")
    assert len(events) == total
    assert len({(e["at"], e.get("request_id"), e["status"], e.get("detail")) for e in events}) == total
    assert [e["at"] for e in events] == sorted((e["at"] for e in events), reverse=True)

    bounces = data(await call(fed, "get_message_activity", {"statuses": ["UNDELIVERED"], "limit": 500}))
    assert bounces["total"] == everything["counts"]["UNDELIVERED"]
    assert {e["status"] for e in bounces["events"]} == {"UNDELIVERED"}
    assert any(e.get("hard_bounce") for e in bounces["events"])
    mine = data(await call(fed, "get_message_activity", {"email": DEMO_BOUNCED_EMAIL.upper()}))
    assert mine["total"] >= 1
    assert {e["email"] for e in mine["events"]} == {DEMO_BOUNCED_EMAIL}
    sms = data(await call(fed, "get_message_activity", {"channel": "sms", "limit": 500}))
    assert sms["total"] == sum(1 for e in events if e.get("channel") == "sms")
    week = (datetime.fromtimestamp(T0, UTC) - timedelta(days=7)).isoformat()
    recent = data(await call(fed, "get_message_activity", {"since": week, "limit": 500}))
    assert recent["total"] == sum(1 for e in events if e["at"] >= week[:19])

    other = await call(fed, "get_message_activity", {"statuses": ["READ"], "cursor": everything["next_cursor"]})
    assert "different query" in error_text(other)


async def test_the_demo_bounced_address_is_held_back(fed: Client, sandbox: Sandbox) -> None:
    result = await fed.call_tool("send_email", {"to": DEMO_BOUNCED_EMAIL, "subject": "Hi", "html": "<p>x</p>"})
    assert "hard bounce" in error_text(result)
    assert requests(sandbox, "POST /v1/message/email") == []


async def test_contact_activity_over_seven_months_is_asked_in_three_windows(mcp: Client, sandbox: Sandbox) -> None:
    window = {"date_from": (TODAY - timedelta(days=210)).isoformat(), "date_to": TODAY.isoformat()}
    whole = await every_page(mcp, "get_contact_activity", {**window, "limit": 500}, "events")
    asked = [dict(e.query) for e in requests(sandbox, ACTIVITY)]
    windows = sorted({(q["dateFrom"], q["dateTo"]) for q in asked})
    assert len(windows) == 3
    assert all(w[1] < n[0] for w, n in itertools.pairwise(windows)), "no overlap"
    assert whole
    assert [e["at"] for e in whole] == sorted(e["at"] for e in whole), "oldest first"
    sandbox.journal.clear()
    paged = await every_page(mcp, "get_contact_activity", {**window, "limit": 40}, "events")
    assert paged == whole
    assert any(e.query.get("offset") for e in requests(sandbox, ACTIVITY)), "the offset cursor was followed"


async def test_contact_activity_refuses_bad_windows_before_asking(mcp: Client, sandbox: Sandbox) -> None:
    backwards = await mcp.call_tool("get_contact_activity", {"date_from": "2025-06-10", "date_to": "2025-06-01"})
    assert "date_to must not be before date_from" in error_text(backwards)
    zoned = await mcp.call_tool("get_contact_activity", {"date_from": "2025-06-10T10:00:00+03:00"})
    assert "account's time zone" in error_text(zoned)
    assert requests(sandbox, ACTIVITY) == []


async def test_message_history_of_one_contact(mcp: Client, sandbox: Sandbox) -> None:
    arguments = {"email": DEMO_BOUNCED_EMAIL, "date_from": (TODAY - timedelta(days=60)).isoformat()}
    arguments["date_to"] = TODAY.isoformat()
    result = await call(mcp, "get_contact_message_history", arguments)
    messages = data(result)["messages"]
    assert messages
    assert all(m["channel"] for m in messages)
    [request] = requests(sandbox, HISTORY)
    assert request.query["email"] == DEMO_BOUNCED_EMAIL
    assert request.query["maxrows"] == "20"
    two = await mcp.call_tool("get_contact_message_history", {"email": DEMO_BOUNCED_EMAIL, "contact_id": 1})
    assert "exactly one" in error_text(two)
    too_many = await mcp.call_tool("get_contact_message_history", {"contact_id": 1, "limit": 101})
    assert "limit" in error_text(too_many)


async def test_a_newcomer_on_the_sandbox_finds_the_demo_activity_in_the_inbox(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, sandbox_db=":memory:", state_db=str(tmp_path / "state.sqlite3"))
    async with open_runtime(settings) as runtime, Client(build_server(runtime)) as mcp:
        page = data(await call(mcp, "get_message_activity", {"statuses": ["UNDELIVERED"], "limit": 5}))
        assert page["total"] > 0
        held = await mcp.call_tool("send_email", {"to": DEMO_BOUNCED_EMAIL, "subject": "Hi", "html": "<p>x</p>"})
        assert "hard bounce" in error_text(held)
