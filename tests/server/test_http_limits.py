"""The team server against slow and greedy clients: deadlines for headers and bodies, idle
response streams closed, and a connection cap that makes room by closing half-open connections,
so that a flood of them leaves /health and MCP answering. Every case runs on loopback, with a
bounded number of connections and deadlines of a fraction of a second."""

from __future__ import annotations

import json
import resource
import socket
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anyio
import httpx2 as httpx
import pytest
import uvicorn
from anyio.abc import SocketStream
from starlette.types import ASGIApp, Receive, Scope, Send

from esputnik_mcp.api import ESputnikClient
from esputnik_mcp.sandbox import SANDBOX_BASE_URL, Sandbox
from esputnik_mcp.server.app import build_server
from esputnik_mcp.server.hardening import (
    RESERVED_FDS,
    ConnectionBook,
    HardenedH11Protocol,
    connection_cap,
    raise_open_file_limit,
)
from esputnik_mcp.server.http import http_app, server_config
from esputnik_mcp.server.runtime import Runtime
from esputnik_mcp.settings import Settings

TOKEN = "limits-token-6f0e3c2a-91b4-4d7e-8a5f-2c9b1e7d4a60"
PARTIAL_HEADERS = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n"  # never the blank line that ends them


@dataclass
class Served:
    host: str
    port: int
    book: ConnectionBook

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"


@asynccontextmanager
async def hardened(app: ASGIApp, settings: Settings) -> AsyncIterator[Served]:
    """Serve ``app`` as ``serve --http`` does (the hardened protocol and the settings' limits) on a
    free loopback port for the duration."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = server_config(app, settings, host="127.0.0.1", port=port, log_level="warning")
    protocol = config.http
    assert isinstance(protocol, type)
    assert issubclass(protocol, HardenedH11Protocol)
    server = uvicorn.Server(config)
    async with anyio.create_task_group() as tg:
        tg.start_soon(lambda: server.serve(sockets=[sock]))
        with anyio.fail_after(10):
            while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
                await anyio.sleep(0.01)
        try:
            yield Served("127.0.0.1", port, protocol.book)
        finally:
            server.should_exit = True
    sock.close()


def settings_with(**limits: Any) -> Settings:
    return Settings(_env_file=None, http_tokens=TOKEN, **limits)


async def read_all(stream: SocketStream) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    try:
        while True:
            received += await stream.receive()
    except (anyio.EndOfStream, anyio.BrokenResourceError, ConnectionResetError):
        return received


async def closed_by_server(stream: SocketStream, within: float = 0.05) -> bool:
    """Whether the server has closed ``stream`` (read without waiting longer than ``within``)."""
    with anyio.move_on_after(within):
        try:
            await stream.receive()
        except (anyio.EndOfStream, anyio.BrokenResourceError, ConnectionResetError):
            return True
    return False


class Toy:
    """A small ASGI app to drive the protocol: /health answers, /slow waits for ``release``,
    /pings streams keep-alive comments only, /events streams real events."""

    def __init__(self) -> None:
        self.release = anyio.Event()
        self.disconnected: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                phase = (await receive())["type"].removeprefix("lifespan.")
                await send({"type": f"lifespan.{phase}.complete"})
                if phase == "shutdown":
                    return
        path = scope["path"]
        if path == "/slow":
            await self.release.wait()
        if path in ("/pings", "/events"):
            await self.stream(path, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                self.disconnected.append(path)
                return
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})

    async def stream(self, path: str, receive: Receive, send: Send) -> None:
        """Stream 12 chunks 0.05 s apart, as an SSE response; stop when the client leaves."""
        chunk = b": ping\r\n\r\n" if path == "/pings" else b"event: message\r\ndata: {}\r\n\r\n"
        async with anyio.create_task_group() as tg:

            async def watch() -> None:
                while (await receive())["type"] != "http.disconnect":
                    pass
                self.disconnected.append(path)
                tg.cancel_scope.cancel()

            tg.start_soon(watch)
            await send(
                {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]}
            )
            for _ in range(12):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await anyio.sleep(0.05)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            tg.cancel_scope.cancel()


@pytest.fixture
async def runtime() -> AsyncIterator[Runtime]:
    sandbox = Sandbox(api_key="sandbox", db_path=":memory:", demo=False)
    client = ESputnikClient("sandbox", base_url=SANDBOX_BASE_URL, transport=sandbox.transport())
    try:
        yield Runtime(settings=settings_with(), client=client, sandbox=sandbox)
    finally:
        await client.aclose()


@pytest.mark.anyio
async def test_a_client_that_never_finishes_its_headers_is_cut_off() -> None:
    async with hardened(Toy(), settings_with(http_header_timeout=0.3)) as served:
        async with await anyio.connect_tcp(served.host, served.port) as stream:
            started = time.monotonic()
            await stream.send(PARTIAL_HEADERS)
            with anyio.fail_after(3):
                for _ in range(5):  # a byte now and then does not buy more time
                    await anyio.sleep(0.05)
                    await stream.send(b"X")
                answer = await read_all(stream)
        assert answer.startswith(b"HTTP/1.1 408")
        assert 0.25 < time.monotonic() - started < 2
        # a connection that sends nothing at all is closed without a word
        async with await anyio.connect_tcp(served.host, served.port) as stream:
            with anyio.fail_after(3):
                assert await read_all(stream) == b""
        # the next request on a kept-alive connection has the same deadline
        async with await anyio.connect_tcp(served.host, served.port) as stream:
            await stream.send(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert (await stream.receive()).startswith(b"HTTP/1.1 200")
            await stream.send(PARTIAL_HEADERS)
            with anyio.fail_after(3):
                for _ in range(5):
                    await anyio.sleep(0.05)
                    await stream.send(b"X")
                answer = await read_all(stream)
            assert answer.startswith(b"HTTP/1.1 408")
        assert len(served.book) == 0


@pytest.mark.anyio
async def test_a_body_that_trickles_in_too_slowly_is_cut_off_with_408() -> None:
    toy = Toy()
    async with hardened(toy, settings_with(http_body_timeout=0.3)) as served:
        async with await anyio.connect_tcp(served.host, served.port) as stream:
            await stream.send(b"POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n0123456789")
            with anyio.fail_after(3):
                for _ in range(4):
                    await anyio.sleep(0.05)
                    await stream.send(b"X")
                answer = await read_all(stream)
        assert answer.startswith(b"HTTP/1.1 408")
        with anyio.fail_after(2):
            while not toy.disconnected:  # noqa: ASYNC110 - the app's task ends on its own schedule
                await anyio.sleep(0.01)
        assert toy.disconnected == ["/upload"], "the application saw the client leave"
        # a body sent in time is served
        async with httpx.AsyncClient(base_url=served.base) as http:
            response = await http.post("/upload", content=b"x" * 1000)
        assert response.status_code == 200


async def streamed(http: httpx.AsyncClient, path: str) -> bytes:
    async with http.stream("GET", path) as response:
        assert response.status_code == 200
        return b"".join([chunk async for chunk in response.aiter_bytes()])


@pytest.mark.anyio
async def test_a_response_stream_that_carries_only_pings_is_closed_when_idle() -> None:
    toy = Toy()
    async with (
        hardened(toy, settings_with(http_stream_timeout=0.2)) as served,
        httpx.AsyncClient(base_url=served.base) as http,
    ):
        started = time.monotonic()
        with anyio.fail_after(3), pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            await streamed(http, "/pings")
        assert time.monotonic() - started < 1.5
        with anyio.fail_after(2):
            while not toy.disconnected:  # noqa: ASYNC110 - the app's task ends on its own schedule
                await anyio.sleep(0.01)
        assert toy.disconnected == ["/pings"], "the application saw the client leave"
        # a stream of real events outlives the idle limit (0.6 s of events against 0.2 s)
        with anyio.fail_after(5):
            received = await streamed(http, "/events")
        assert received.count(b"event: message") == 12


@pytest.mark.anyio
async def test_past_the_cap_the_oldest_half_open_connection_makes_room_not_a_served_one() -> None:
    toy = Toy()
    async with (
        hardened(toy, settings_with(http_max_connections=8, http_header_timeout=30)) as served,
        AsyncExitStack() as stack,
    ):

        async def connect(first: bytes) -> SocketStream:
            stream = await stack.enter_async_context(await anyio.connect_tcp(served.host, served.port))
            await stream.send(first)
            return stream

        # the oldest connection has completed a request and idles between requests
        idle = await connect(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert (await idle.receive()).startswith(b"HTTP/1.1 200")
        # one request in flight, then half-open connections up to the cap
        busy = [await connect(b"GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")]
        half_open = [await connect(PARTIAL_HEADERS) for _ in range(6)]
        with anyio.fail_after(2):
            while len(served.book) < 8:  # noqa: ASYNC110 - wait for the server to accept them all
                await anyio.sleep(0.01)
        assert served.book.counts() == {"fresh": 6, "uploading": 0, "idle": 1, "busy": 1}
        async with httpx.AsyncClient(base_url=served.base) as http:
            with anyio.fail_after(2):
                assert (await http.get("/health")).status_code == 200
        assert await closed_by_server(half_open[0]), "the oldest half-open connection made room"
        assert not any([await closed_by_server(s) for s in half_open[1:]])
        assert not await closed_by_server(idle)
        assert not await closed_by_server(busy[0])
        # with every connection being served, a newcomer is turned away rather than one of them
        for stream in [*half_open, idle]:
            await stream.aclose()
        busy += [await connect(b"GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n") for _ in range(7)]
        with anyio.fail_after(2):
            while served.book.counts()["busy"] < 8:  # noqa: ASYNC110 - wait for the server to accept them all
                await anyio.sleep(0.01)
        newcomer = await connect(b"")
        with anyio.fail_after(2):
            assert (await read_all(newcomer)).startswith(b"HTTP/1.1 503")
        toy.release.set()
        for stream in busy:
            with anyio.fail_after(2):
                assert (await stream.receive()).startswith(b"HTTP/1.1 200")


@pytest.mark.anyio
async def test_a_flood_of_half_open_connections_beyond_the_cap_leaves_health_and_mcp_answering(
    runtime: Runtime,
) -> None:
    soft_limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    # Client and server share this process: two descriptors per connection, and some to spare.
    flood = min(1100, (soft_limit - 400) // 2)
    cap = flood - 100
    assert cap >= 100, f"the open-file limit ({soft_limit}) is too low for this test"
    settings = settings_with(http_max_connections=cap, http_header_timeout=30)
    runtime = Runtime(settings=settings, client=runtime.client, sandbox=runtime.sandbox)
    app = http_app(build_server(runtime), runtime, host="127.0.0.1")
    async with hardened(app, settings) as served:
        streams: list[SocketStream] = []

        async def half_open() -> None:
            stream = await anyio.connect_tcp(served.host, served.port)
            streams.append(stream)
            await stream.send(PARTIAL_HEADERS)

        try:
            with anyio.fail_after(30):
                for _ in range(flood // 100 + 1):
                    async with anyio.create_task_group() as tg:
                        for _ in range(min(100, flood - len(streams))):
                            tg.start_soon(half_open)
                while served.book.counts()["fresh"] < cap:  # noqa: ASYNC110 - until the server accepted the flood
                    await anyio.sleep(0.01)
            assert len(streams) == flood > cap

            async with httpx.AsyncClient(base_url=served.base, timeout=5) as http:
                started = time.monotonic()
                health = await http.get("/health")
                health_seconds = time.monotonic() - started
                started = time.monotonic()
                initialize = await http.post(
                    "/mcp",
                    json={
                        "jsonrpc": "2.0",
                        "id": 1,
                        "method": "initialize",
                        "params": {
                            "protocolVersion": "2025-11-25",
                            "capabilities": {},
                            "clientInfo": {"name": "flood-test", "version": "1"},
                        },
                    },
                    headers={"Authorization": f"Bearer {TOKEN}", "Accept": "application/json, text/event-stream"},
                )
                initialize_seconds = time.monotonic() - started
            assert health.status_code == 200
            assert health_seconds < 2
            assert initialize.status_code == 200, initialize.text
            data = initialize.text.split("data: ", 1)[-1] if "data: " in initialize.text else initialize.text
            assert json.loads(data)["result"]["serverInfo"]["name"] == "esputnik-mcp"
            assert initialize_seconds < 2
            # the flood is still held, up to the cap; its oldest connections made room
            assert served.book.counts()["fresh"] >= cap - 2
            assert await closed_by_server(streams[0])
            assert not await closed_by_server(streams[-1])
        finally:
            for stream in streams:
                await stream.aclose()


def test_the_open_file_limit_is_raised_and_the_cap_stays_below_it() -> None:
    """A server out of file descriptors stops accepting anyone: the soft limit goes up to the hard
    one, and the cap stays below whatever limit is left, so that eviction always has room to work."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    raised = raise_open_file_limit()
    assert raised == resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if hard != resource.RLIM_INFINITY:
        assert raised == hard
    assert connection_cap(1000, 4096) == 1000
    assert connection_cap(1000, 1024) == 1024 - RESERVED_FDS
    assert connection_cap(1000, None) == 1000
