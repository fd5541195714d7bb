"""Streamable HTTP: bearer tokens required (header only, constant-time), Host/Origin checked,
/health open, stateless, and the bearer token never travels on to eSputnik."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx2 as httpx
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from esputnik_mcp.api import ESputnikClient
from esputnik_mcp.sandbox import SANDBOX_BASE_URL, Sandbox
from esputnik_mcp.server.app import build_server
from esputnik_mcp.server.http import StartupError, http_app
from esputnik_mcp.server.runtime import Runtime
from esputnik_mcp.settings import Settings
from tests.server.conftest import serving

TOKEN = "team-token-4b1c9e0d-5f2a-47c8-9e31-d6b0a7c4e218"
SECOND_TOKEN = "second-token-0c7e2a91-3b5d-4f86-a1e4-9d2c6b8f0a37"


@pytest.fixture
async def runtime() -> AsyncIterator[Runtime]:
    sandbox = Sandbox(api_key="sandbox", db_path=":memory:", demo=True)
    client = ESputnikClient("sandbox", base_url=SANDBOX_BASE_URL, transport=sandbox.transport())
    settings = Settings(_env_file=None, http_tokens=f"{TOKEN},{SECOND_TOKEN}")
    try:
        yield Runtime(settings=settings, client=client, sandbox=sandbox)
    finally:
        await client.aclose()


@pytest.mark.anyio
async def test_requests_without_a_valid_bearer_token_are_refused(runtime: Runtime) -> None:
    app = http_app(build_server(runtime), runtime, host="127.0.0.1")
    async with serving(app) as base, httpx.AsyncClient(base_url=base) as http:
        initialize = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
            response = await http.post("/mcp", json=initialize, headers=headers)
            assert response.status_code == 401
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
        # a token in the query string is not a credential
        response = await http.post(f"/mcp?access_token={TOKEN}", json=initialize)
        assert response.status_code == 401
        health = await http.get("/health")
        assert health.status_code == 200
        assert health.json()["backend"] == "sandbox"


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_tool_call_with_a_token_works_and_the_token_never_reaches_esputnik(runtime: Runtime, mode: str) -> None:
    app = http_app(build_server(runtime), runtime, host="127.0.0.1")
    async with serving(app) as base:
        http_client = httpx.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"})
        async with Client(streamable_http_client(f"{base}/mcp", http_client=http_client), mode=mode) as client:
            result = await client.call_tool("get_account_info", {})
            assert not result.is_error
            assert result.structured_content is not None
            assert result.structured_content["sandbox"] is True
        await http_client.aclose()
    journal = runtime.sandbox.journal.entries  # type: ignore[union-attr]
    assert journal, "the call reached the sandbox"
    assert TOKEN not in repr(journal)
    assert all(TOKEN not in str(getattr(entry, "__dict__", entry)) for entry in journal)


@pytest.mark.anyio
async def test_a_foreign_host_header_is_refused(runtime: Runtime) -> None:
    app = http_app(build_server(runtime), runtime, host="127.0.0.1")
    async with serving(app) as base, httpx.AsyncClient(base_url=base) as http:
        response = await http.post(
            "/mcp",
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}},
            headers={
                "Authorization": f"Bearer {TOKEN}",
                "Host": "evil.example",
                "Accept": "application/json, text/event-stream",
            },
        )
        assert response.status_code in (403, 421)
        response = await http.post(
            "/mcp",
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}},
            headers={
                "Authorization": f"Bearer {TOKEN}",
                "Origin": "https://evil.example",
                "Accept": "application/json, text/event-stream",
            },
        )
        assert response.status_code == 403


@pytest.mark.anyio
async def test_http_refuses_to_start_without_tokens_unless_loopback_development(runtime: Runtime) -> None:
    bare = Runtime(settings=Settings(_env_file=None), client=runtime.client, sandbox=runtime.sandbox)
    with pytest.raises(StartupError, match="ESPUTNIK_HTTP_TOKENS"):
        http_app(build_server(bare), bare, host="127.0.0.1")
    with pytest.raises(StartupError, match="loopback"):
        http_app(build_server(bare), bare, host="0.0.0.0", dev_no_auth=True)  # noqa: S104
    with pytest.raises(StartupError, match="ESPUTNIK_HTTP_ALLOWED_HOSTS"):
        http_app(build_server(runtime), runtime, host="0.0.0.0")  # noqa: S104
    app = http_app(build_server(bare), bare, host="127.0.0.1", dev_no_auth=True)
    async with serving(app) as base, httpx.AsyncClient(base_url=base) as http:
        assert (await http.get("/health")).status_code == 200
