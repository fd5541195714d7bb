"""Sends and irreversible deletions wait for the user: by elicitation where the client can ask, by a
single-use token bound to the exact payload otherwise. Whatever goes wrong, nothing is sent."""

from __future__ import annotations

from typing import Any

import pytest
from mcp_types import ElicitResult

from esputnik_mcp.sandbox import Sandbox
from tests.safety.conftest import PROTOCOLS, FakeClock, connect, server_with, text_of

pytestmark = pytest.mark.anyio

EMAIL = "POST /v1/message/email"
SEND = {"to": "olena@example.com", "subject": "Spring sale", "html": "<p>Hello</p>"}


@pytest.mark.parametrize("protocol", list(PROTOCOLS))
async def test_token_flow_sends_nothing_without_the_token_and_once_with_it(
    sandbox: Sandbox, clock: FakeClock, protocol: str
) -> None:
    # allow_duplicate keeps the duplicate guard out of the way: the token alone must stop the reuse
    args = {**SEND, "allow_duplicate": True}
    async with server_with(sandbox, clock, send_confirmation="token") as server, connect(server, protocol) as mcp:
        preview = await mcp.call_tool("send_email", args)
        assert preview.is_error
        assert "NOT DONE YET" in text_of(preview)
        assert preview.structured_content is not None
        request = preview.structured_content["confirmation_required"]
        assert request["recipients"] == ["olena@example.com"]
        assert "Spring sale" in request["action"]
        assert server.sent(EMAIL) == 0

        sent = await mcp.call_tool("send_email", {**args, "confirmation_token": request["confirmation_token"]})
        assert not sent.is_error, text_of(sent)
        assert server.sent(EMAIL) == 1

        reused = await mcp.call_tool("send_email", {**args, "confirmation_token": request["confirmation_token"]})
        assert reused.is_error
        assert "already used" in text_of(reused)
        assert server.sent(EMAIL) == 1


async def test_a_token_for_one_payload_does_not_send_another(sandbox: Sandbox, clock: FakeClock) -> None:
    async with server_with(sandbox, clock, send_confirmation="token") as server, connect(server) as mcp:
        preview = await mcp.call_tool("send_email", SEND)
        assert preview.structured_content is not None
        token = preview.structured_content["confirmation_required"]["confirmation_token"]
        altered = await mcp.call_tool(
            "send_email", {**SEND, "to": "someone.else@example.com", "confirmation_token": token}
        )
        assert altered.is_error
        assert "differ" in text_of(altered)
        assert server.sent(EMAIL) == 0


async def test_an_expired_token_sends_nothing(sandbox: Sandbox, clock: FakeClock) -> None:
    async with server_with(sandbox, clock, send_confirmation="token") as server, connect(server) as mcp:
        preview = await mcp.call_tool("send_email", SEND)
        assert preview.structured_content is not None
        token = preview.structured_content["confirmation_required"]["confirmation_token"]
        clock.now += 601
        late = await mcp.call_tool("send_email", {**SEND, "confirmation_token": token})
        assert late.is_error
        assert "expired" in text_of(late)
        assert server.sent(EMAIL) == 0


def answering(action: str, confirm: bool = True) -> Any:
    asked: list[str] = []

    async def answer(context: Any, params: Any) -> ElicitResult:
        asked.append(params.message)
        return ElicitResult(action=action, content={"confirm": confirm} if action == "accept" else None)

    answer.asked = asked  # type: ignore[attr-defined]
    return answer


@pytest.mark.parametrize("protocol", list(PROTOCOLS))
@pytest.mark.parametrize("mode", ["elicit", "auto"])
async def test_elicitation_accepted_sends_once(sandbox: Sandbox, clock: FakeClock, protocol: str, mode: str) -> None:
    answer = answering("accept")
    async with server_with(sandbox, clock, send_confirmation=mode) as server, connect(server, protocol, answer) as mcp:
        result = await mcp.call_tool("send_email", SEND)
        assert not result.is_error, text_of(result)
        assert server.sent(EMAIL) == 1
    assert len(answer.asked) == 1
    assert "olena@example.com" in answer.asked[0]
    assert "Spring sale" in answer.asked[0]


@pytest.mark.parametrize("protocol", list(PROTOCOLS))
@pytest.mark.parametrize(("action", "confirm"), [("decline", False), ("cancel", False), ("accept", False)])
async def test_elicitation_declined_or_cancelled_sends_nothing(
    sandbox: Sandbox, clock: FakeClock, protocol: str, action: str, confirm: bool
) -> None:
    answer = answering(action, confirm)
    async with (
        server_with(sandbox, clock, send_confirmation="elicit") as server,
        connect(server, protocol, answer) as mcp,
    ):
        result = await mcp.call_tool("send_email", SEND)
        assert result.is_error
        assert "declined" in text_of(result)
        assert server.sent(EMAIL) == 0


async def test_auto_mode_uses_a_token_when_the_client_cannot_ask(sandbox: Sandbox, clock: FakeClock) -> None:
    async with server_with(sandbox, clock, send_confirmation="auto") as server, connect(server) as mcp:
        result = await mcp.call_tool("send_email", SEND)
        assert result.is_error
        assert result.structured_content is not None
        assert "confirmation_token" in result.structured_content["confirmation_required"]
        assert server.sent(EMAIL) == 0


async def test_elicit_mode_refuses_with_a_client_that_cannot_ask(sandbox: Sandbox, clock: FakeClock) -> None:
    async with server_with(sandbox, clock, send_confirmation="elicit") as server, connect(server) as mcp:
        result = await mcp.call_tool("send_email", SEND)
        assert result.is_error
        assert "can show neither an approval page nor a confirmation form" in text_of(result)
        assert server.sent(EMAIL) == 0


async def test_off_mode_sends_at_once(sandbox: Sandbox, clock: FakeClock) -> None:
    async with server_with(sandbox, clock, send_confirmation="off") as server, connect(server) as mcp:
        result = await mcp.call_tool("send_email", SEND)
        assert not result.is_error
        assert server.sent(EMAIL) == 1


async def test_gdpr_erase_needs_confirmation_but_a_plain_delete_does_not(sandbox: Sandbox, clock: FakeClock) -> None:
    async with server_with(sandbox, clock, send_confirmation="token") as server, connect(server) as mcp:
        ids = [c.id for c in (await server.runtime.client.contacts.search(sort_by_id=True, max_rows=2)).items]
        plain = await mcp.call_tool("delete_contact", {"contact_id": ids[0]})
        assert not plain.is_error, text_of(plain)
        assert server.sent("DELETE /v1/contact/{id}") == 1

        erase = await mcp.call_tool("delete_contact", {"contact_id": ids[1], "erase": True})
        assert erase.is_error
        assert "permanently erase" in text_of(erase)
        assert server.sent("DELETE /v1/contact/{id}") == 1
        assert erase.structured_content is not None
        token = erase.structured_content["confirmation_required"]["confirmation_token"]
        done = await mcp.call_tool("delete_contact", {"contact_id": ids[1], "erase": True, "confirmation_token": token})
        assert not done.is_error, text_of(done)
        entries = server.sandbox.journal.for_route("DELETE /v1/contact/{id}")
        assert [e.query.get("erase") for e in entries] == ["false", "true"]


async def test_deleting_orders_by_date_window_needs_confirmation(sandbox: Sandbox, clock: FakeClock) -> None:
    window = {"date_from": "2025-05-01T00:00:00Z", "date_to": "2025-05-01T23:00:00Z"}
    async with server_with(sandbox, clock, send_confirmation="token") as server, connect(server) as mcp:
        by_id = await mcp.call_tool("delete_orders", {"external_order_ids": ["ORD-1"]})
        assert not by_id.is_error, text_of(by_id)
        by_window = await mcp.call_tool("delete_orders", window)
        assert by_window.is_error
        assert "cannot be undone" in text_of(by_window) or "delete every order" in text_of(by_window)
        assert [e.query for e in server.sandbox.journal.for_route("DELETE /v1/orders")] == [
            {"externalOrderId": "ORD-1"}
        ]
