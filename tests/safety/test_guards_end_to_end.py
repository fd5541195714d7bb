"""The guards through a real MCP client: each test names the threat it stops."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp_types import ElicitResult

from esputnik_mcp.safety.policy import PolicyError
from esputnik_mcp.sandbox import Fault, Sandbox
from esputnik_mcp.server.app import build_server
from esputnik_mcp.tools import catalogue
from tests.safety.conftest import FakeClock, connect, server_with, text_of
from tests.safety.every_tool import every_tool_call

pytestmark = pytest.mark.anyio

EMAIL = "POST /v1/message/email"
READ_TOOLS = {spec.name for spec in catalogue() if spec.read_only}


async def a_person_approves(context: Any, params: Any) -> ElicitResult:
    """The person at the client, who approves what only a person may (a send to segments)."""
    return ElicitResult(action="accept", content={"confirm": True})


async def test_every_tool_declares_an_example_that_runs_on_the_demo_account(sandbox: Sandbox, clock: FakeClock) -> None:
    calls = every_tool_call()
    for spec in catalogue():
        spec.params.model_validate(spec.example)  # every example is a valid call
    async with (
        server_with(sandbox, clock, send_confirmation="off") as server,
        connect(server, elicitation=a_person_approves) as mcp,
    ):
        for name, arguments in calls:
            if name == "get_import_status":
                continue  # a session id comes from a bulk upsert; this one is made up
            result = await mcp.call_tool(name, arguments)
            assert not result.is_error, f"{name} {arguments}: {text_of(result)}"


async def test_read_only_mode_offers_no_write_tool_and_writes_nothing(sandbox: Sandbox, clock: FakeClock) -> None:
    async with server_with(sandbox, clock, read_only=True, send_confirmation="off") as server, connect(server) as mcp:
        listed = {t.name for t in (await mcp.list_tools()).tools}
        assert listed == READ_TOOLS
        calls = every_tool_call()
        sandbox.journal.clear()
        for name, arguments in calls:
            result = await mcp.call_tool(name, arguments)
            if name not in READ_TOOLS:
                assert result.is_error, f"{name} ran in read-only mode"
    methods = {entry.method for entry in sandbox.journal.entries}
    assert methods <= {"GET"}, f"read-only mode sent {methods - {'GET'}}"
    assert sandbox.journal.entries, "the read tools did run"


async def test_read_only_is_checked_again_when_a_call_arrives(sandbox: Sandbox, clock: FakeClock) -> None:
    # A write tool registered by mistake would still be refused at call time.
    async with server_with(sandbox, clock, read_only=True) as server:
        runtime = server.runtime
        send = next(spec for spec in catalogue() if spec.name == "send_email")
        server_all = build_server(runtime, tools=catalogue())
        from mcp import Client

        async with Client(server_all) as mcp:
            assert "send_email" not in {t.name for t in (await mcp.list_tools()).tools}
        refusal = runtime.gate.policy.refusal(send)
        assert refusal is not None
        assert "read-only" in refusal


async def test_exclude_wins_over_the_allowlist_and_the_allowlist_over_toolsets(
    sandbox: Sandbox, clock: FakeClock
) -> None:
    async with (
        server_with(
            sandbox,
            clock,
            tools=["search_contacts", "send_email", "get_account_info"],
            exclude_tools=["send_email"],
            toolsets=["orders"],
        ) as server,
        connect(server) as mcp,
    ):
        listed = [t.name for t in (await mcp.list_tools()).tools]
    assert listed == ["search_contacts", "get_account_info"]


async def test_unknown_tool_names_stop_the_server_with_the_valid_ones(sandbox: Sandbox, clock: FakeClock) -> None:
    with pytest.raises(PolicyError) as caught:
        async with server_with(sandbox, clock, exclude_tools=["send_emial"]):
            pass
    assert "send_emial" in str(caught.value)
    assert "send_email" in str(caught.value)


def test_unknown_toolset_stops_the_command_with_the_valid_ones() -> None:
    command = shutil.which("esputnik-mcp") or str(Path(sys.executable).with_name("esputnik-mcp"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESPUTNIK_")}
    done = subprocess.run(  # noqa: S603 - our own command
        [command, "tools"],
        env={**env, "ESPUTNIK_TOOLSETS": "contacts,mail"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "unknown toolsets mail" in done.stderr
    assert "messaging" in done.stderr


async def test_recipient_cap_refuses_a_mass_send_before_any_request(sandbox: Sandbox, clock: FakeClock) -> None:
    recipients = [{"locator": f"buyer{i}@example.com"} for i in range(101)]
    async with server_with(sandbox, clock, send_confirmation="off") as server, connect(server) as mcp:
        template = (await server.runtime.client.templates.search_email()).items[0].id
        sandbox.journal.clear()
        result = await mcp.call_tool(
            "send_prepared_message", {"message_id": template, "channel": "email", "recipients": recipients}
        )
    assert result.is_error
    assert "ESPUTNIK_MAX_RECIPIENTS" in text_of(result)
    assert [e.route for e in sandbox.journal.entries] == ["GET /v1/messages/email/{id}"]  # the check, no send


async def test_staging_allowlist_refuses_real_customers_before_any_request(sandbox: Sandbox, clock: FakeClock) -> None:
    async with (
        server_with(sandbox, clock, send_confirmation="off", allowed_recipients=["*@example.com", "+38050*"]) as server,
        connect(server) as mcp,
    ):
        refused = await mcp.call_tool("send_email", {"to": "ceo@bigcustomer.com", "subject": "Hi", "html": "<p>x</p>"})
        assert refused.is_error
        assert "ESPUTNIK_ALLOWED_RECIPIENTS" in text_of(refused)
        assert server.sent(EMAIL) == 0
        allowed = await mcp.call_tool("send_email", {"to": "qa@example.com", "subject": "Hi", "html": "<p>x</p>"})
        assert not allowed.is_error, text_of(allowed)
        assert server.sent(EMAIL) == 1


async def test_the_eleventh_send_in_a_minute_is_refused(sandbox: Sandbox, clock: FakeClock) -> None:
    async with (
        server_with(sandbox, clock, send_confirmation="off", sends_per_minute=10) as server,
        connect(server) as mcp,
    ):
        for i in range(10):
            result = await mcp.call_tool("send_email", {"to": f"r{i}@example.com", "subject": "Hi", "html": "<p>x</p>"})
            assert not result.is_error, text_of(result)
        eleventh = await mcp.call_tool("send_email", {"to": "r10@example.com", "subject": "Hi", "html": "<p>x</p>"})
        assert eleventh.is_error
        assert "more than 10 sends a minute" in text_of(eleventh)
        assert server.sent(EMAIL) == 10
        clock.now += 61
        later = await mcp.call_tool("send_email", {"to": "r10@example.com", "subject": "Hi", "html": "<p>x</p>"})
        assert not later.is_error
        assert server.sent(EMAIL) == 11


async def test_the_same_send_within_24_hours_is_refused_unless_allowed(sandbox: Sandbox, clock: FakeClock) -> None:
    send = {"to": "olena@example.com", "subject": "Spring sale", "html": "<p>Hello</p>"}
    async with server_with(sandbox, clock, send_confirmation="off") as server, connect(server) as mcp:
        assert not (await mcp.call_tool("send_email", send)).is_error
        again = await mcp.call_tool("send_email", send)
        assert again.is_error
        assert "allow_duplicate" in text_of(again)
        assert server.sent(EMAIL) == 1
        different = await mcp.call_tool("send_email", {**send, "subject": "Summer sale"})
        assert not different.is_error
        on_purpose = await mcp.call_tool("send_email", {**send, "allow_duplicate": True})
        assert not on_purpose.is_error, text_of(on_purpose)
        assert server.sent(EMAIL) == 3
        clock.now += 24 * 3600 + 1
        next_day = await mcp.call_tool("send_email", send)
        assert not next_day.is_error


async def test_an_ambiguous_send_is_reported_recorded_unknown_and_not_resent(
    sandbox: Sandbox, clock: FakeClock
) -> None:
    send = {"to": "olena@example.com", "subject": "Spring sale", "html": "<p>Hello</p>"}
    async with server_with(sandbox, clock, send_confirmation="off") as server, connect(server) as mcp:
        sandbox.faults.add(Fault(route=EMAIL, drop=True))
        lost = await mcp.call_tool("send_email", send)
        assert lost.is_error
        assert "unknown" in text_of(lost).lower()
        entries = sandbox.journal.for_route(EMAIL)
        assert len(entries) == 1  # processed once, answer dropped, never retried
        assert entries[0].dropped
        assert len(sandbox.sent_messages()) == 1  # it really was sent
        resend = await mcp.call_tool("send_email", send)
        assert resend.is_error
        assert "unknown outcome" in text_of(resend)
        assert "before sending again" in text_of(resend)
        assert server.sent(EMAIL) == 1
        assert [r.outcome for r in await server.runtime.store.audit()] == ["ambiguous"]
        [refused] = await server.runtime.store.refusals()
        assert (refused.tool, refused.guard, refused.count) == ("send_email", "duplicate", 1)


async def test_audit_log_records_writes_and_sends_with_masked_recipients(sandbox: Sandbox, clock: FakeClock) -> None:
    async with server_with(sandbox, clock, send_confirmation="off") as server, connect(server) as mcp:
        await mcp.call_tool("send_email", {"to": "olena.koval@example.com", "subject": "Hi", "html": "<p>x</p>"})
        await mcp.call_tool("send_email", {"to": "olena.koval@example.com", "subject": "Hi", "html": "<p>x</p>"})
        await mcp.call_tool("manage_unsubscribes", {"action": "unsubscribe", "emails": ["leaving@example.com"]})
        await mcp.call_tool("search_contacts", {"limit": 1})
        log = await mcp.call_tool("get_audit_log", {})
    assert not log.is_error
    assert log.structured_content is not None
    entries = log.structured_content["entries"]
    assert [(e["tool"], e["outcome"]) for e in entries] == [("manage_unsubscribes", "ok"), ("send_email", "ok")]
    assert entries[0]["target"] == "unsubscribe 1 email addresses"
    assert entries[1]["recipients"] == ["o***l@example.com"]
    assert entries[1]["request_ids"]
    [refused] = log.structured_content["refused"]
    assert (refused["tool"], refused["guard"], refused["count"]) == ("send_email", "duplicate", 1)
    assert "olena.koval" not in str(log.structured_content)
    assert "leaving@" not in str(log.structured_content)


async def test_a_flood_of_refused_calls_is_counted_not_written_row_by_row(sandbox: Sandbox, clock: FakeClock) -> None:
    async with server_with(sandbox, clock, reads_per_minute=5, send_confirmation="off") as server:
        async with connect(server) as mcp:
            await mcp.call_tool("send_email", {"to": "olena.koval@example.com", "subject": "Hi", "html": "<p>x</p>"})
            for _ in range(300):
                await mcp.call_tool("search_contacts", {"limit": 1})
        store = server.runtime.store
        assert [r.tool for r in await store.audit()] == ["send_email"]  # the real send is not pushed out
        # a send counts as a read until it goes ahead: 4 of the 5 reads are left for the searches
        assert [(r.tool, r.guard, r.count) for r in await store.refusals()] == [("search_contacts", "rate_limit", 296)]


async def test_every_write_records_its_target(sandbox: Sandbox, clock: FakeClock) -> None:
    async with server_with(sandbox, clock, send_confirmation="off") as server, connect(server) as mcp:
        await mcp.call_tool("manage_unsubscribes", {"action": "resubscribe", "emails": ["a@example.com"]})
        await mcp.call_tool("delete_contact", {"contact_id": 100004})
        await mcp.call_tool("delete_contact", {"contact_id": 100005, "erase": True})
        await mcp.call_tool(
            "update_segment_membership", {"segment_id": 2005, "action": "detach", "contact_ids": [100002, 100003]}
        )
        targets = [r.target for r in await server.runtime.store.audit(tool=None)]
    assert targets == [
        "detach 2 contacts, segment 2005: 100002, 100003",
        "erase (GDPR) contact 100005",
        "delete contact 100004",
        "resubscribe 1 email addresses",
    ]


INDIRECT = {
    "generate_event": {"event_type_key": "cartAbandoned", "params": {"email": "ceo@bigcustomer.com"}},
    "subscribe_contact": {"email": "ceo@bigcustomer.com"},
    "add_orders": {
        "orders": [
            {
                "external_order_id": "ORD-9",
                "email": "ceo@bigcustomer.com",
                "total_cost": 10,
                "status": "DELIVERED",
                "date": "2025-06-15T10:00:00+03:00",
                "currency": "UAH",
            }
        ]
    },
    "bulk_upsert_contacts": {
        "contacts": [{"email": "qa@example.com"}, {"email": "ceo@bigcustomer.com"}],
        "event_key_for_new_contacts": "welcome",
    },
}


@pytest.mark.parametrize("tool", list(INDIRECT))
async def test_writes_that_reach_people_through_workflows_obey_the_allowlist(
    sandbox: Sandbox, clock: FakeClock, tool: str
) -> None:
    async with server_with(sandbox, clock, allowed_recipients=["*@example.com"]) as server, connect(server) as mcp:
        result = await mcp.call_tool(tool, INDIRECT[tool])
        assert result.is_error
        assert "ESPUTNIK_ALLOWED_RECIPIENTS" in text_of(result)
        assert not [e for e in sandbox.journal.entries if e.method != "GET"]
        [refused] = await server.runtime.store.refusals()
        assert refused.guard == "allowed_recipients"


async def test_an_import_without_an_event_is_not_a_send(sandbox: Sandbox, clock: FakeClock) -> None:
    arguments = {"contacts": [{"email": "ceo@bigcustomer.com"}]}
    async with server_with(sandbox, clock, allowed_recipients=["*@example.com"]) as server, connect(server) as mcp:
        result = await mcp.call_tool("bulk_upsert_contacts", arguments)
    assert not result.is_error, text_of(result)


async def test_an_event_naming_its_contact_by_id_is_refused_under_an_allowlist(
    sandbox: Sandbox, clock: FakeClock
) -> None:
    event = {"event_type_key": "cartAbandoned", "params": {"externalCustomerId": "CUST-1"}}
    async with server_with(sandbox, clock, allowed_recipients=["*@example.com"]) as server, connect(server) as mcp:
        result = await mcp.call_tool("generate_event", event)
    assert result.is_error
    assert "Name recipients by address or phone" in text_of(result)
