"""A server on the demo sandbox with the safety settings each test asks for."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.client.session import ElicitationFnT

from esputnik_mcp.api import ESputnikClient, RetryPolicy
from esputnik_mcp.sandbox import SANDBOX_BASE_URL, Sandbox
from esputnik_mcp.server.app import build_server
from esputnik_mcp.server.runtime import Runtime
from esputnik_mcp.settings import Settings
from esputnik_mcp.store import SQLiteStore, StateStore
from tests.tools.support import demo_sandbox

SENDER = '"Lumen Home" <news@lumen-home.example>'
PROTOCOLS = {"2025-11-25": "legacy", "2026-07-28": "2026-07-28"}


@dataclass
class FakeClock:
    now: float = 1_750_000_000.0

    def __call__(self) -> float:
        return self.now


def safety_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {"email_sender": SENDER, "sms_sender": "LumenHome", **overrides}
    return Settings(_env_file=None, **values)


@dataclass
class Server:
    runtime: Runtime
    sandbox: Sandbox
    clock: FakeClock

    def sent(self, route: str) -> int:
        """How many requests of one operation reached the sandbox."""
        return len(self.sandbox.journal.for_route(route))


@pytest.fixture
def sandbox() -> Sandbox:
    return demo_sandbox()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@asynccontextmanager
async def server_with(
    sandbox: Sandbox,
    clock: FakeClock,
    api_key: str = "sandbox",
    retries: int = 2,
    store: StateStore | None = None,
    pages: bool = False,
    **overrides: Any,
) -> AsyncIterator[Server]:
    """A server on ``sandbox``; ``store`` (default: a fresh in-memory SQLite) is closed at the end.
    With ``pages``, approval pages are served on a loopback port, as over stdio."""
    client = ESputnikClient(
        api_key,
        base_url=SANDBOX_BASE_URL,
        transport=sandbox.transport(),
        retry_policy=RetryPolicy(max_retries=retries),
    )
    runtime = Runtime(
        settings=safety_settings(**overrides),
        client=client,
        sandbox=sandbox,
        store=store or SQLiteStore(":memory:"),
        clock=clock,
    )
    try:
        async with anyio.create_task_group() as tasks:
            if pages:
                runtime.gate.desk.attach(tasks)
            yield Server(runtime, sandbox, clock)
            tasks.cancel_scope.cancel()
    finally:
        await client.aclose()
        await runtime.store.close()


@asynccontextmanager
async def connect(
    server: Server, protocol: str = "2026-07-28", elicitation: ElicitationFnT | None = None
) -> AsyncIterator[Client]:
    async with Client(build_server(server.runtime), mode=PROTOCOLS[protocol], elicitation_callback=elicitation) as c:
        yield c


def text_of(result: Any) -> str:
    return str(result.content[0].text)
