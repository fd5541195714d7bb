"""A broadcast reaches whole segments, so only a person approves it: on the approval page (both
protocol revisions, in `auto` and `elicit`), where a click on Approve creates exactly one broadcast
and a click on Decline none; never with a token alone, whatever the mode; and one over
ESPUTNIK_MAX_BROADCAST_AUDIENCE is refused before anyone is asked."""

from __future__ import annotations

import httpx2 as httpx
import pytest

from esputnik_mcp.sandbox import Sandbox
from tests.safety.conftest import PROTOCOLS, FakeClock, Server, connect, server_with, text_of
from tests.safety.test_approval_page import Person

pytestmark = pytest.mark.anyio

CREATE = "POST /v1/broadcast"
TEST_RECIPIENTS, VIP = 2005, 2002
BROADCAST = {"message_id": 3001, "channel": "email", "segment_ids": [TEST_RECIPIENTS], "title": "Team preview"}


def broadcasts_created(server: Server) -> int:
    """Broadcasts the sandbox holds beyond the demo's, and the requests that asked for one."""
    stored = server.sandbox.state.conn.execute("SELECT COUNT(*) FROM broadcasts WHERE id > 9000").fetchone()[0]
    assert stored == server.sent(CREATE)
    return int(stored)


@pytest.mark.parametrize("protocol", list(PROTOCOLS))
@pytest.mark.parametrize("mode", ["auto", "elicit"])
async def test_a_broadcast_is_created_once_after_a_click_on_approve(
    sandbox: Sandbox, clock: FakeClock, protocol: str, mode: str
) -> None:
    seen: dict[str, str] = {}

    async def look(url: str) -> None:
        async with httpx.AsyncClient() as http:
            seen["page"] = (await http.get(url)).text

    person = Person("approve", before_click=look)
    async with server_with(sandbox, clock, send_confirmation=mode, pages=True) as server:
        async with connect(server, protocol, elicitation=person) as mcp:
            result = await mcp.call_tool("create_broadcast", BROADCAST)
            assert not result.is_error, text_of(result)
            assert broadcasts_created(server) == 1
            again = await mcp.call_tool("create_broadcast", BROADCAST)
            assert again.is_error, "the same broadcast to the same segment within a day"
        assert broadcasts_created(server) == 1
        audited = [r for r in await server.runtime.store.audit(limit=20) if r.tool == "create_broadcast"]
        assert [(r.target, r.outcome, r.recipient_count) for r in audited if r.outcome == "ok"] == [
            ("broadcast of email template 3001 to segments [2005], start now", "ok", 5)
        ]
        [url] = person.pages
        assert person.forms == []
        assert url.split("/approve/")[1] not in text_of(result)
    page = seen["page"]
    assert "Internal test recipients" in page
    assert "5 members" in page
    assert "Welcome to Lumen Home" in page  # the message, rendered for the first member
    assert "Starts at once, to everyone at once." in page


@pytest.mark.parametrize("protocol", list(PROTOCOLS))
@pytest.mark.parametrize("mode", ["auto", "elicit"])
async def test_a_decline_on_the_page_creates_no_broadcast(
    sandbox: Sandbox, clock: FakeClock, protocol: str, mode: str
) -> None:
    person = Person("decline")
    async with server_with(sandbox, clock, send_confirmation=mode, pages=True) as server:
        async with connect(server, protocol, elicitation=person) as mcp:
            result = await mcp.call_tool("create_broadcast", BROADCAST)
        assert result.is_error
        assert "declined" in text_of(result)
        assert len(person.pages) == 1
        assert broadcasts_created(server) == 0


@pytest.mark.parametrize("protocol", list(PROTOCOLS))
@pytest.mark.parametrize("mode", ["token", "auto", "off"])
async def test_a_client_that_cannot_elicit_gets_no_token_and_creates_nothing(
    sandbox: Sandbox, clock: FakeClock, protocol: str, mode: str
) -> None:
    async with server_with(sandbox, clock, send_confirmation=mode) as server:
        async with connect(server, protocol) as mcp:
            refused = await mcp.call_tool("create_broadcast", BROADCAST)
            assert refused.is_error
            assert "only a person may approve that" in text_of(refused)
            assert "confirmation_required" not in (refused.structured_content or {}), "no token offered"
            made_up = await mcp.call_tool("create_broadcast", {**BROADCAST, "confirmation_token": "cfm_made_up"})
            assert "confirmation_token: unknown parameter" in text_of(made_up), "it takes no token at all"
        assert broadcasts_created(server) == 0


async def test_a_broadcast_over_the_audience_cap_is_refused_before_anyone_is_asked(
    sandbox: Sandbox, clock: FakeClock
) -> None:
    person = Person("approve")
    async with server_with(
        sandbox, clock, send_confirmation="elicit", pages=True, max_broadcast_audience=100
    ) as server:
        async with connect(server, elicitation=person) as mcp:
            result = await mcp.call_tool(
                "create_broadcast", {**BROADCAST, "segment_ids": [VIP], "excluded_segment_ids": [TEST_RECIPIENTS]}
            )
        assert result.is_error
        assert "ESPUTNIK_MAX_BROADCAST_AUDIENCE" in text_of(result)
        assert "VIP customers" in text_of(result)
        assert person.pages == person.forms == []
        assert broadcasts_created(server) == 0


async def test_cancelling_is_irreversible_and_confirmed_like_a_deletion(sandbox: Sandbox, clock: FakeClock) -> None:
    async with server_with(sandbox, clock, send_confirmation="token") as server, connect(server) as mcp:
        preview = await mcp.call_tool("cancel_broadcast", {"broadcast_id": 8105})
        assert preview.is_error
        request = (preview.structured_content or {})["confirmation_required"]
        assert request["action"] == "cancel broadcast 8105: nobody will get it, and it cannot be restored"
        assert server.sent("DELETE /v1/broadcast/{broadcast_id}") == 0
        token = request["confirmation_token"]
        done = await mcp.call_tool("cancel_broadcast", {"broadcast_id": 8105, "confirmation_token": token})
        assert not done.is_error, text_of(done)
        assert server.sent("DELETE /v1/broadcast/{broadcast_id}") == 1
        [record] = [r for r in await server.runtime.store.audit(limit=10) if r.tool == "cancel_broadcast"]
        assert (record.target, record.outcome) == ("cancel broadcast 8105", "ok")
