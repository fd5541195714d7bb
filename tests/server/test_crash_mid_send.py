"""A server killed with SIGKILL while a send is in flight: after a restart, the send is not blindly
repeated. Its reservation was written before the request left, so the resend is refused (in flight
while the request could still be answering, then as an unknown outcome), and eSputnik saw it once."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import httpx2 as httpx
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.server.processes import environment, free_port, process

pytestmark = pytest.mark.anyio

TOKEN = "crash-test-token-" + "4e9a1c7b3f5d2e8a6c0b4d1f7e3a9c5b"
SANDBOX_KEY = "sandbox-key-for-the-crash-test"
SEND = {"to": "olena@example.com", "subject": "Spring sale", "html": "<p>Hello</p>"}
EMAIL = "POST /v1/message/email"


@asynccontextmanager
async def client(base: str) -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with (
        httpx.AsyncClient(headers=headers, timeout=30) as http,
        Client(streamable_http_client(f"{base}/mcp", http_client=http)) as mcp,
    ):
        yield mcp


def sandbox_journal(sandbox: str) -> list[dict[str, object]]:
    answer = httpx.get(f"{sandbox}/_sandbox/journal", auth=("admin", SANDBOX_KEY), timeout=5)
    entries: list[dict[str, object]] = answer.json()
    return entries


async def test_a_send_in_flight_when_the_server_is_killed_is_not_sent_again(tmp_path: Path) -> None:
    sandbox_port, server_port = free_port(), free_port()
    sandbox = f"http://127.0.0.1:{sandbox_port}"
    server = f"http://127.0.0.1:{server_port}"
    settings = {
        "ESPUTNIK_API_KEY": SANDBOX_KEY,
        "ESPUTNIK_BASE_URL": f"{sandbox}/api",
        "ESPUTNIK_STATE_DB": str(tmp_path / "state.sqlite3"),
        "ESPUTNIK_HTTP_TOKENS": TOKEN,
        "ESPUTNIK_SEND_CONFIRMATION": "off",
        "ESPUTNIK_EMAIL_SENDER": '"Lumen Home" <news@lumen-home.example>',
        "ESPUTNIK_REQUEST_DEADLINE": "1",  # a reservation of a dead process counts as unknown after 3 s
        "ESPUTNIK_READ_TIMEOUT": "1",
    }
    serve = ["serve", "--http", "--port", str(server_port)]
    sandbox_args = ["sandbox", "--port", str(sandbox_port), "--admin", "--key", SANDBOX_KEY]
    sandbox_args += ["--db", str(tmp_path / "sandbox.sqlite3")]
    with process(sandbox_args, environment(tmp_path), tmp_path / "sandbox.log", f"{sandbox}/_sandbox/journal"):
        fault = {"route": EMAIL, "delay": 2.0}
        httpx.post(f"{sandbox}/_sandbox/faults", content=json.dumps(fault), auth=("admin", SANDBOX_KEY), timeout=5)
        env = environment(tmp_path, **settings)
        with process(serve, env, tmp_path / "first.log", f"{server}/health") as first:
            with anyio.move_on_after(0.7):  # the request is at eSputnik, which takes 2 s to answer
                async with client(server) as mcp:
                    await mcp.call_tool("send_email", SEND)
            first.kill()  # SIGKILL: nothing settles the reservation
            first.wait(timeout=5)
        with process(serve, env, tmp_path / "second.log", f"{server}/health"):
            async with client(server) as mcp:
                at_once = await mcp.call_tool("send_email", SEND)
                await anyio.sleep(3.5)  # past the dead reservation's deadline
                later = await mcp.call_tool("send_email", SEND)
        await anyio.sleep(2.0)  # the killed request's answer comes back to nobody
        delivered = [e for e in sandbox_journal(sandbox) if e.get("route") == EMAIL]
    texts = [r.content[0].text for r in (at_once, later)]  # type: ignore[union-attr]
    assert at_once.is_error
    assert "in flight" in texts[0] or "unknown outcome" in texts[0], texts[0]
    assert later.is_error
    assert "unknown outcome" in texts[1], texts[1]
    assert len(delivered) == 1
