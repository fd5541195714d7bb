"""Bearer authentication of the team server: tokens long enough not to be guessed, guessing
throttled per address, one credential per request, and the caller a tool call runs for named by
a fingerprint of its token, never the token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx2 as httpx
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.server.mcpserver import MCPServer
from starlette.types import Receive, Scope, Send

from esputnik_mcp.api import ESputnikClient
from esputnik_mcp.sandbox import SANDBOX_BASE_URL, Sandbox
from esputnik_mcp.server.app import build_server
from esputnik_mcp.server.caller import CALLER, LOCAL, fingerprint
from esputnik_mcp.server.http import BearerAuth, FailureThrottle, StartupError, http_app
from esputnik_mcp.server.runtime import Runtime
from esputnik_mcp.settings import Settings
from tests.server.test_http_limits import hardened

TOKEN = "auth-token-1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
OTHER_TOKEN = "auth-token-9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}


def settings_for(tokens: str) -> Settings:
    return Settings(_env_file=None, http_tokens=tokens)


@pytest.fixture
async def runtime() -> AsyncIterator[Runtime]:
    sandbox = Sandbox(api_key="sandbox", db_path=":memory:", demo=False)
    client = ESputnikClient("sandbox", base_url=SANDBOX_BASE_URL, transport=sandbox.transport())
    try:
        yield Runtime(settings=settings_for(f"{TOKEN},{OTHER_TOKEN}"), client=client, sandbox=sandbox)
    finally:
        await client.aclose()


def with_settings(runtime: Runtime, settings: Settings) -> Runtime:
    return Runtime(settings=settings, client=runtime.client, sandbox=runtime.sandbox)


@pytest.mark.anyio
async def test_tokens_short_enough_to_guess_are_refused_at_start(runtime: Runtime) -> None:
    short = with_settings(runtime, settings_for("team-token-4b1c9e0d"))
    with pytest.raises(StartupError, match="ESPUTNIK_HTTP_TOKENS: token 1 of 1 is shorter than 32"):
        http_app(build_server(short), short, host="127.0.0.1")
    one_short = with_settings(runtime, settings_for(f"{TOKEN},guessable"))
    with pytest.raises(StartupError, match="token 2 of 2") as refused:
        http_app(build_server(one_short), one_short, host="127.0.0.1")
    assert "guessable" not in str(refused.value), "the message names the token's place, not the token"
    # loopback development without tokens does not care what they are
    http_app(build_server(short), short, host="127.0.0.1", dev_no_auth=True)


@pytest.mark.anyio
async def test_guessing_tokens_from_one_address_is_throttled_until_its_minute_ends(runtime: Runtime) -> None:
    app = http_app(build_server(runtime), runtime, host="127.0.0.1")
    async with hardened(app, runtime.settings) as served, httpx.AsyncClient(base_url=served.base) as http:
        for attempt in range(10):
            response = await http.post("/mcp", json=INITIALIZE, headers={"Authorization": f"Bearer guess-{attempt}"})
            assert response.status_code == 401
        response = await http.post("/mcp", json=INITIALIZE, headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 429, "once throttled, not even the right token is tried"
        assert 0 < int(response.headers["Retry-After"]) <= 60
        assert (await http.get("/health")).status_code == 200, "/health stays open"

    now = [1000.0]
    throttle = FailureThrottle(clock=lambda: now[0])
    guarded = BearerAuth(_caller_app, [TOKEN], frozenset(), throttle)
    attacker = httpx.AsyncClient(transport=httpx.ASGITransport(guarded, client=("203.0.113.7", 1)), base_url="http://t")
    neighbour = httpx.AsyncClient(
        transport=httpx.ASGITransport(guarded, client=("203.0.113.8", 1)), base_url="http://t"
    )
    async with attacker, neighbour:
        for _ in range(10):
            now[0] += 1
            assert (await attacker.get("/", headers={"Authorization": "Bearer nope"})).status_code == 401
        now[0] = 1000.0 + 59.5  # the window began at the first failure, at 1001
        refused = await attacker.get("/", headers={"Authorization": f"Bearer {TOKEN}"})
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "2"
        assert (await neighbour.get("/", headers={"Authorization": f"Bearer {TOKEN}"})).status_code == 200
        now[0] = 1001.0 + 60
        assert (await attacker.get("/", headers={"Authorization": f"Bearer {TOKEN}"})).status_code == 200


async def _caller_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Answers with the caller it runs for and the Authorization headers it can see."""
    seen = [v for n, v in scope["headers"] if n.lower() == b"authorization"]
    body = f"{CALLER.get()} {len(seen)}".encode()
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", str(len(body)).encode())]}
    )
    await send({"type": "http.response.body", "body": body})


@pytest.mark.anyio
async def test_a_request_with_two_authorization_headers_is_refused() -> None:
    guarded = BearerAuth(_caller_app, [TOKEN], frozenset())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(guarded), base_url="http://t") as http:
        for pair in ([TOKEN, "wrong"], ["wrong", TOKEN], [TOKEN, TOKEN]):
            headers = [("Authorization", f"Bearer {token}") for token in pair]
            response = await http.get("/", headers=headers)
            assert response.status_code == 400
            assert "exactly one Authorization header" in response.text
        response = await http.get("/", headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 200
        assert response.text == f"{fingerprint(TOKEN)} 0", "the token is removed before the app sees the request"


def whoami_server() -> MCPServer[Any]:
    server: MCPServer[Any] = MCPServer("whoami")

    @server.tool()
    async def whoami() -> str:
        """The caller this call runs for."""
        return CALLER.get()

    return server


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_a_tool_call_runs_for_the_fingerprint_of_the_token_that_authenticated_it(
    runtime: Runtime, mode: str
) -> None:
    app = http_app(whoami_server(), runtime, host="127.0.0.1")
    async with hardened(app, runtime.settings) as served:
        seen = {}
        for token in (TOKEN, OTHER_TOKEN):
            http_client = httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"})
            async with (
                http_client,
                Client(streamable_http_client(f"{served.base}/mcp", http_client=http_client), mode=mode) as client,
            ):
                result = await client.call_tool("whoami", {})
            seen[token] = result.content[0].text  # type: ignore[union-attr]
        assert seen == {TOKEN: fingerprint(TOKEN), OTHER_TOKEN: fingerprint(OTHER_TOKEN)}
    assert CALLER.get() == LOCAL

    local = http_app(whoami_server(), runtime, host="127.0.0.1", dev_no_auth=True)
    async with hardened(local, runtime.settings) as served:
        async with Client(streamable_http_client(f"{served.base}/mcp"), mode=mode) as client:
            result = await client.call_tool("whoami", {})
        assert result.content[0].text == LOCAL  # type: ignore[union-attr]
