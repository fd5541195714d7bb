"""Two `serve --http` processes over one PostgreSQL database behave as one server: identical sends
through both reach eSputnik once, a confirmation token issued by one is redeemed on the other, a
confirmation asked by one is answered on the other, both write one audit log, and one rate limit
holds across both. eSputnik is the sandbox, served on its own in a third process."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2 as httpx
import pytest
from mcp import Client
from mcp.client.context import ClientRequestContext
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult, ElicitRequestParams, ElicitRequestURLParams, ElicitResult

from tests.conftest import PostgresDatabase
from tests.server.processes import environment, free_port, process

pytestmark = pytest.mark.anyio

TOKEN = "replica-test-token-" + "7f3c9a1e5b2d4c6e8a0f1b3d5e7c9a2b"
OTHER_TOKEN = "replica-test-other-" + "0b8d2f4a6c1e3a5b7d9f2c4e6a8b0d1f"
READS_PER_MINUTE = 60
STATE_KEY = secrets.token_hex(32)
SANDBOX_KEY = "sandbox-key-for-the-replica-test"
SEND = {"to": "olena@example.com", "subject": "Spring sale", "html": "<p>Hello</p>"}


@pytest.fixture
def replicas(tmp_path: Path, postgres_url: PostgresDatabase) -> Iterator[tuple[str, str, str]]:
    """The sandbox's base URL and two replicas' base URLs, sharing one fresh PostgreSQL schema."""
    import psycopg
    from psycopg import sql

    schema = postgres_url.new_schema()
    with psycopg.connect(postgres_url.url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    separator = "&" if "?" in postgres_url.url else "?"
    database = f"{postgres_url.url}{separator}options=-csearch_path%3D{schema}"
    sandbox_port, first, second = free_port(), free_port(), free_port()
    sandbox = f"http://127.0.0.1:{sandbox_port}"
    settings = {
        "ESPUTNIK_API_KEY": SANDBOX_KEY,
        "ESPUTNIK_BASE_URL": f"{sandbox}/api",
        "ESPUTNIK_DATABASE_URL": database,
        "ESPUTNIK_HTTP_TOKENS": f"{TOKEN},{OTHER_TOKEN}",
        "ESPUTNIK_REQUEST_STATE_KEY": STATE_KEY,
        "ESPUTNIK_EMAIL_SENDER": '"Lumen Home" <news@lumen-home.example>',
        "ESPUTNIK_READS_PER_MINUTE": str(READS_PER_MINUTE),
        "ESPUTNIK_SENDS_PER_MINUTE": "100",
        "ESPUTNIK_SENDS_PER_MINUTE_TOTAL": "100",
    }
    with ExitStack() as stack:
        stack.enter_context(
            process(
                [
                    "sandbox",
                    "--port",
                    str(sandbox_port),
                    "--admin",
                    "--key",
                    SANDBOX_KEY,
                    "--db",
                    str(tmp_path / "sandbox.sqlite3"),
                ],
                environment(tmp_path),
                tmp_path / "sandbox.log",
                f"{sandbox}/_sandbox/journal",
            )
        )
        for port in (first, second):
            stack.enter_context(
                process(
                    ["serve", "--http", "--port", str(port)],
                    environment(tmp_path, **settings),
                    tmp_path / f"replica-{port}.log",
                    f"http://127.0.0.1:{port}/health",
                )
            )
        yield sandbox, f"http://127.0.0.1:{first}", f"http://127.0.0.1:{second}"


class RoundRobin(httpx.AsyncBaseTransport):
    """A load balancer in miniature: each request goes to the next replica."""

    def __init__(self, *bases: str) -> None:
        self._ports = [httpx.URL(b).port for b in bases]
        self._next = 0
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        port = self._ports[self._next % len(self._ports)]
        self._next += 1
        request.url = request.url.copy_with(port=port)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


@asynccontextmanager
async def client(*bases: str, token: str = TOKEN, **kwargs: Any) -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        httpx.AsyncClient(headers=headers, transport=RoundRobin(*bases), timeout=30) as http,
        Client(streamable_http_client(f"{bases[0]}/mcp", http_client=http), **kwargs) as mcp,
    ):
        yield mcp


def upstream_sends(sandbox: str) -> int:
    journal = httpx.get(f"{sandbox}/_sandbox/journal", auth=("admin", SANDBOX_KEY), timeout=5).json()
    entries = journal["entries"] if isinstance(journal, dict) else journal
    return sum(1 for e in entries if e.get("route") == "POST /v1/message/email")


def text(result: CallToolResult) -> str:
    return result.content[0].text  # type: ignore[union-attr]


async def test_two_replicas_over_one_database_behave_as_one(replicas: tuple[str, str, str]) -> None:
    sandbox, first, second = replicas
    async with client(first) as on_first, client(second) as on_second:
        # a confirmation token issued by one replica is redeemed on the other: one send
        preview = await on_first.call_tool("send_email", SEND)
        token = preview.structured_content["confirmation_required"]["confirmation_token"]  # type: ignore[index]
        sent = await on_second.call_tool("send_email", {**SEND, "confirmation_token": token})
        assert not sent.is_error, text(sent)
        assert upstream_sends(sandbox) == 1

        # 20 identical sends confirmed at the same moment, half through each replica: one goes
        other = {**SEND, "subject": "Summer sale"}
        confirmations = []
        for mcp in (on_first, on_second) * 10:
            answer = await mcp.call_tool("send_email", other)
            token = answer.structured_content["confirmation_required"]["confirmation_token"]  # type: ignore[index]
            confirmations.append((mcp, token))
        results: list[CallToolResult] = []

        async def confirm(mcp: Client, token: str) -> None:
            results.append(await mcp.call_tool("send_email", {**other, "confirmation_token": token}))

        async with anyio.create_task_group() as tg:
            for mcp, token in confirmations:
                tg.start_soon(confirm, mcp, token)
        assert sorted(r.is_error for r in results) == [False] + [True] * 19
        assert upstream_sends(sandbox) == 2

        # one audit log: the sends made through the second replica are seen from the first
        log = await on_first.call_tool("get_audit_log", {"tool": "send_email"})
        assert [e["outcome"] for e in log.structured_content["entries"]] == ["ok", "ok"]  # type: ignore[index]

    # one rate limit per caller across both replicas: another bearer token, with its own budget,
    # spends it half on each replica (within one minute: the windows are fixed minutes)
    if time.time() % 60 > 40:
        await anyio.sleep(61 - time.time() % 60)
    async with client(first, token=OTHER_TOKEN) as on_first, client(second, token=OTHER_TOKEN) as on_second:
        reads = [
            await mcp.call_tool("list_segments", {"limit": 1})
            for mcp in (on_first, on_second) * ((READS_PER_MINUTE + 2) // 2)
        ]
    refused = [r for r in reads if r.is_error]
    assert len(reads) - len(refused) == READS_PER_MINUTE
    assert all("ESPUTNIK_READS_PER_MINUTE" in text(r) for r in refused)


async def test_a_confirmation_asked_on_one_replica_is_answered_on_the_other(replicas: tuple[str, str, str]) -> None:
    sandbox, first, second = replicas
    asked: list[str] = []

    async def approve(context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
        assert isinstance(params, ElicitRequestURLParams)  # the approval page, not a form
        asked.append(params.url)
        async with httpx.AsyncClient() as http:
            page = await http.get(params.url)
            token = re.search(r'name="token" value="([0-9a-f]+)"', page.text)
            assert token is not None, page.text
            await http.post(params.url, data={"token": token.group(1), "decision": "approve"})
        return ElicitResult(action="accept")

    # every request goes to the other replica than the last: the answer arrives where it was not asked
    async with client(first, second, mode="2026-07-28", elicitation_callback=approve) as mcp:
        result = await mcp.call_tool("send_email", SEND)
    assert not result.is_error, text(result)
    [url] = asked
    assert url.startswith((first, second))
    assert upstream_sends(sandbox) == 1
