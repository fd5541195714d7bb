"""The approval page over each transport, as clients meet it: over stdio (the page on a loopback port
the server opens), over HTTP when the call can ask (2026-07-28: input-required), and over stateless
HTTP of the earlier revision, where the call cannot ask and answers URL_ELICITATION_REQUIRED."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx2 as httpx
import pytest
from mcp import Client, MCPError, StdioServerParameters, UrlElicitationRequiredError
from mcp.client.context import ClientRequestContext
from mcp.client.streamable_http import streamable_http_client
from mcp_types import URL_ELICITATION_REQUIRED, ElicitRequestParams, ElicitRequestURLParams, ElicitResult

from esputnik_mcp.api import ESputnikClient
from esputnik_mcp.sandbox import SANDBOX_BASE_URL, Sandbox
from esputnik_mcp.server.app import build_server
from esputnik_mcp.server.http import http_app
from esputnik_mcp.server.runtime import Runtime
from esputnik_mcp.settings import Settings
from tests.server.conftest import serving
from tests.server.test_stdio_and_cli import COMMAND, clean_env

pytestmark = pytest.mark.anyio

TOKEN = "approval-transport-token-" + "9c2e4a6b8d0f1a3c5e7b9d2f4a6c8e0b"
SEND = {"to": "olena@example.com", "subject": "Spring sale", "html": "<p>Hello</p>"}
EMAIL = "POST /v1/message/email"


async def approve(url: str) -> None:
    async with httpx.AsyncClient() as http:
        page = await http.get(url)
        token = re.search(r'name="token" value="([0-9a-f]+)"', page.text)
        assert token is not None, page.text
        decided = await http.post(url, data={"token": token.group(1), "decision": "approve"})
        assert decided.status_code == 200, decided.text


async def person(context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
    assert isinstance(params, ElicitRequestURLParams)
    await approve(params.url)
    return ElicitResult(action="accept")


@pytest.mark.parametrize(("mode", "protocol"), [("legacy", "2025-11-25"), ("2026-07-28", "2026-07-28")])
async def test_over_stdio_the_page_is_served_on_a_loopback_port(tmp_path: Path, mode: str, protocol: str) -> None:
    env = clean_env(
        tmp_path, ESPUTNIK_SANDBOX_DB=str(tmp_path / "sandbox.sqlite3"), ESPUTNIK_SEND_CONFIRMATION="elicit"
    )
    params = StdioServerParameters(command=COMMAND, args=[], env=env, cwd=tmp_path)
    from mcp.client.stdio import stdio_client

    with (tmp_path / "stderr.log").open("w") as errlog:
        async with Client(stdio_client(params, errlog=errlog), mode=mode, elicitation_callback=person) as client:
            assert client.protocol_version == protocol
            result = await client.call_tool("send_email", SEND)
            assert not result.is_error, result.content
            again = await client.call_tool("send_email", SEND)
            assert again.is_error  # the same email again: the duplicate guard, not another page
    sandbox = Sandbox("sandbox", db_path=tmp_path / "sandbox.sqlite3")
    try:
        assert len(sandbox.sent_messages()) == 1
    finally:
        sandbox.close()


@pytest.fixture
async def runtime() -> AsyncIterator[Runtime]:
    sandbox = Sandbox(api_key="sandbox", db_path=":memory:", demo=True)
    client = ESputnikClient("sandbox", base_url=SANDBOX_BASE_URL, transport=sandbox.transport())
    settings = Settings(
        _env_file=None,
        http_tokens=TOKEN,
        send_confirmation="elicit",
        email_sender='"Lumen Home" <news@lumen-home.example>',
    )
    try:
        yield Runtime(settings=settings, client=client, sandbox=sandbox)
    finally:
        await client.aclose()


async def test_over_http_the_call_asks_by_input_required_and_the_page_is_on_the_same_host(runtime: Runtime) -> None:
    app = http_app(build_server(runtime), runtime, host="127.0.0.1")
    seen: list[str] = []

    async def at_the_page(context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
        assert isinstance(params, ElicitRequestURLParams)
        seen.append(params.url)
        return await person(context, params)

    async with serving(app) as base:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with (
            httpx.AsyncClient(headers=headers) as http,
            Client(streamable_http_client(f"{base}/mcp", http_client=http), elicitation_callback=at_the_page) as mcp,
        ):
            result = await mcp.call_tool("send_email", SEND)
    assert not result.is_error, result.content
    [url] = seen
    assert url.startswith(f"{base}/approve/")
    assert len(runtime.sandbox.journal.for_route(EMAIL)) == 1  # type: ignore[union-attr]


async def test_over_stateless_http_of_the_earlier_revision_the_client_is_told_to_open_the_page(
    runtime: Runtime,
) -> None:
    app = http_app(build_server(runtime), runtime, host="127.0.0.1")
    async with serving(app) as base:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with (
            httpx.AsyncClient(headers=headers) as http,
            Client(streamable_http_client(f"{base}/mcp", http_client=http), mode="legacy") as mcp,
        ):
            with pytest.raises(MCPError) as caught:
                await mcp.call_tool("send_email", SEND)
            assert caught.value.code == URL_ELICITATION_REQUIRED
            [request] = UrlElicitationRequiredError.from_error(caught.value.error).elicitations
            assert request.url.startswith(f"{base}/approve/")
            assert len(runtime.sandbox.journal.for_route(EMAIL)) == 0  # type: ignore[union-attr]
            await approve(request.url)
            result = await mcp.call_tool("send_email", SEND)  # the retry, once approved
            assert not result.is_error, result.content
            assert len(runtime.sandbox.journal.for_route(EMAIL)) == 1  # type: ignore[union-attr]
