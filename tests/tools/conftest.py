"""In-process MCP clients connected to a server running on a fresh in-memory sandbox with demo data:
on the current protocol revision, or on both where the revision matters."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from mcp import Client
from mcp_types import CallToolResult

from esputnik_mcp.api import ESputnikClient
from esputnik_mcp.sandbox import SANDBOX_BASE_URL, Sandbox
from esputnik_mcp.server.app import build_server
from esputnik_mcp.server.runtime import Runtime
from esputnik_mcp.settings import Settings
from tests.tools.support import demo_sandbox

# The handshake revision most desktop clients speak, and the current one.
PROTOCOLS = {"2025-11-25": "legacy", "2026-07-28": "2026-07-28"}


@pytest.fixture
def sandbox() -> Sandbox:
    """The demo account on a frozen clock (tests move it with sandbox.clock.advance): results do not
    depend on when the tests run, and the demo database is built once and copied for each test."""
    return demo_sandbox()


def automation_settings(**overrides: Any) -> Settings:
    """Settings as automation runs the tools: no confirmation step, no per-minute call limits or
    recipient cap (the safety tests in tests/safety exercise those), no .env file."""
    values: dict[str, Any] = {
        "send_confirmation": "off",
        "sends_per_minute": 100_000,
        "writes_per_minute": 100_000,
        "reads_per_minute": 100_000,
        "max_recipients": 100_000,
        **overrides,
    }
    return Settings(_env_file=None, **values)


@pytest.fixture
def settings() -> Settings:
    return automation_settings()


@pytest.fixture
async def runtime(sandbox: Sandbox, settings: Settings) -> AsyncIterator[Runtime]:
    client = ESputnikClient("sandbox", base_url=SANDBOX_BASE_URL, transport=sandbox.transport())
    try:
        yield Runtime(settings=settings, client=client, sandbox=sandbox)
    finally:
        await client.aclose()


CURRENT = "2026-07-28"


@pytest.fixture
async def mcp(runtime: Runtime) -> AsyncIterator[Client]:
    """A client on the current revision: what a tool does does not depend on the revision."""
    async with Client(build_server(runtime), mode=PROTOCOLS[CURRENT]) as client:
        assert client.protocol_version == CURRENT
        yield client


@pytest.fixture(params=list(PROTOCOLS), ids=list(PROTOCOLS))
async def mcp_both(request: pytest.FixtureRequest, runtime: Runtime) -> AsyncIterator[Client]:
    """A client on each revision, for what the revision changes (progress notifications)."""
    async with Client(build_server(runtime), mode=PROTOCOLS[request.param]) as client:
        assert client.protocol_version == request.param
        yield client


async def call(client: Client, tool: str, arguments: dict[str, Any] | None = None) -> CallToolResult:
    """Call a tool; a successful result must carry structured content and a compact text twin."""
    result = await client.call_tool(tool, arguments or {})
    if not result.is_error:
        assert result.structured_content is not None
        text = result.content[0].text  # type: ignore[union-attr]
        summary, _, body = text.partition("\n")
        assert summary
        assert "\n" not in body  # minified JSON, not the SDK's indented default
        assert ": null" not in body
        assert ":null" not in body
    return result


def error_text(result: CallToolResult) -> str:
    assert result.is_error
    return result.content[0].text  # type: ignore[union-attr]
