"""End to end over HTTP, as a team runs it: the sandbox posts its delivery events to the server's
webhook inbox over loopback HTTP with Basic auth, as eSputnik would; an MCP client over streamable
HTTP sends, sees the message delivered and read through get_message_activity, and the next send to
an address that bounced is held back. With the inbox on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx2 as httpx
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from esputnik_mcp.api import ESputnikClient
from esputnik_mcp.sandbox import SANDBOX_BASE_URL, Sandbox
from esputnik_mcp.server.app import build_server
from esputnik_mcp.server.http import http_app
from esputnik_mcp.server.runtime import Runtime
from esputnik_mcp.settings import Settings
from esputnik_mcp.store.base import StateStore
from tests.server.conftest import serving
from tests.store.conftest import BACKENDS, Backend
from tests.tools.support import demo_sandbox

pytestmark = pytest.mark.anyio

TOKEN = "e2e-token-1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
BASIC = "esputnik:e2e-w3bh00k-pa55"


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    opened = Backend(request.param, tmp_path, request)
    try:
        yield opened
    finally:
        await opened.close()


async def test_send_delivered_read_stored_visible_and_a_bounce_held_back(backend: Backend) -> None:
    store: StateStore = await backend.open()
    sandbox: Sandbox = demo_sandbox()
    client = ESputnikClient("sandbox", base_url=SANDBOX_BASE_URL, transport=sandbox.transport())
    settings = Settings(
        _env_file=None,
        http_tokens=TOKEN,
        webhook_basic_auth=BASIC,
        send_confirmation="off",
        email_sender='"Lumen Home" <news@lumen-home.example>',
    )
    runtime = Runtime(settings=settings, client=client, sandbox=sandbox, store=store)
    await runtime.gate.ready()
    app = http_app(build_server(runtime), runtime, host="127.0.0.1")
    try:
        async with serving(app) as base:
            sandbox.webhooks.attach_url(f"{base}/webhooks/esputnik", basic_auth=BASIC)
            http = httpx.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"})
            async with Client(streamable_http_client(f"{base}/mcp", http_client=http)) as mcp:
                sent = await mcp.call_tool(
                    "send_email", {"to": "olena@example.com", "subject": "Hi", "html": "<p>x</p>"}
                )
                assert not sent.is_error, sent.content
                [request_id] = (sent.structured_content or {})["request_ids"]

                sandbox.clock.advance(61)
                assert await sandbox.webhooks.push_due() == 2, "delivered and read, posted to the inbox"
                assert await sandbox.webhooks.push_due() == 0, "nothing twice"
                seen = await mcp.call_tool("get_message_activity", {"request_ids": [request_id]})
                events = (seen.structured_content or {})["events"]
                assert [e["status"] for e in events] == ["READ", "DELIVERED"]

                bounce = {"to": "petro.bounce@example.com", "subject": "Hi", "html": "<p>x</p>"}
                assert not (await mcp.call_tool("send_email", bounce)).is_error
                sandbox.clock.advance(6)
                assert await sandbox.webhooks.push_due() == 1
                again = await mcp.call_tool("send_email", {**bounce, "subject": "Second try"})
                assert again.is_error
                assert "hard bounce" in again.content[0].text  # type: ignore[union-attr]
            await http.aclose()
    finally:
        await client.aclose()
    emails = sandbox.journal.for_route("POST /v1/message/email")
    assert len(emails) == 2, "the held-back send never reached eSputnik"

    # A desktop server over stdio, given the same database, reads the same inbox.
    # (The sandbox's frozen clock dates these events in 2025: kept longer than the default 90 days.)
    kept = settings.model_copy(update={"activity_retention_days": 3650})
    desktop = Runtime(settings=kept, client=client, sandbox=sandbox, store=await backend.open())
    async with Client(build_server(desktop)) as local:
        seen = await local.call_tool("get_message_activity", {"request_ids": [request_id]})
    assert [e["status"] for e in (seen.structured_content or {})["events"]] == ["READ", "DELIVERED"]
