"""Throughput of the webhook inbox over loopback HTTP, as eSputnik would post to it: one POST of 1,000
events, and 100 concurrent POSTs of 10, on SQLite (a WAL file) and on PostgreSQL. The same requests
to a bare Starlette endpoint on the same uvicorn, which reads the body and parses the JSON but stores
nothing, give the ratio: what the inbox's checks and its durable write cost. Figures are printed,
not asserted.

    .venv/bin/python bench/inbox_http.py [--rounds 5]

PostgreSQL is ESPUTNIK_TEST_DATABASE_URL, else the local test server; the run uses a schema of its
own and drops it at the end.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import logging
import os
import secrets
import socket
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2 as httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from esputnik_mcp.api import ESputnikClient
from esputnik_mcp.sandbox import SANDBOX_BASE_URL, Sandbox
from esputnik_mcp.server.app import build_server
from esputnik_mcp.server.http import http_app
from esputnik_mcp.server.runtime import Runtime
from esputnik_mcp.settings import Settings
from esputnik_mcp.store import PostgresStore, SQLiteStore

POSTGRES_URL = os.environ.get("ESPUTNIK_TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"
PATH = "/webhooks/esputnik"
BASIC = "esputnik:bench-w3bh00k-pa55"
TOKEN = "bench-token-1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"  # noqa: S105 - a throwaway token for loopback
HEADERS = {"Authorization": "Basic " + base64.b64encode(BASIC.encode()).decode(), "Content-Type": "application/json"}


def events(count: int) -> list[dict[str, Any]]:
    """``count`` distinct delivery events of one campaign, as §16 documents them."""
    tag = secrets.token_hex(4)
    return [
        {
            "activityDateTime": f"2026-11-30T09:{n // 60 % 60:02d}:{n % 60:02d}.{n % 1000:03d}",
            "activityStatus": "DELIVERED",
            "contactId": 100000 + n,
            "email": f"person{n}-{tag}@example.com",
            "mediaType": "email",
            "messageId": 3001,
            "messageInstanceId": 88001,
            "messageName": "Newsletter",
            "iid": f"{tag}-{n}",
            "broadcastId": 4242,
        }
        for n in range(count)
    ]


@asynccontextmanager
async def serving(app: ASGIApp) -> AsyncIterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    async with anyio.create_task_group() as tg:
        tg.start_soon(lambda: server.serve(sockets=[sock]))
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
            await anyio.sleep(0.01)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
    sock.close()


def bare_app() -> Starlette:
    async def receive(request: Request) -> Response:
        body = await request.body()
        return JSONResponse({"received": len(json.loads(body))})

    return Starlette(routes=[Route(PATH, receive, methods=["POST"])])


Post = Callable[[list[dict[str, Any]]], Awaitable[float]]


async def one_post(post: Post) -> float:
    return await post(events(1000))


async def concurrent_posts(post: Post) -> float:
    batches = [events(10) for _ in range(100)]
    started = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for batch in batches:
            tg.start_soon(post, batch)
    return time.perf_counter() - started


async def measure(base: str, rounds: int) -> dict[str, float]:
    """Median events per second of each scenario."""
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:

        async def post(batch: list[dict[str, Any]]) -> float:
            started = time.perf_counter()
            response = await http.post(PATH, content=json.dumps(batch), headers=HEADERS)
            if response.status_code != 200:
                raise RuntimeError(f"{response.status_code} {response.text}")
            return time.perf_counter() - started

        await one_post(post)  # warm up: connections, caches, the first transaction
        results = {}
        for name, scenario in (("1 POST x 1000", one_post), ("100 POSTs x 10", concurrent_posts)):
            seconds = [await scenario(post) for _ in range(rounds)]
            results[name] = 1000 / statistics.median(seconds)
        return results


async def inbox(store: SQLiteStore | PostgresStore, rounds: int) -> dict[str, float]:
    sandbox = Sandbox(api_key="sandbox", db_path=":memory:", demo=False)
    client = ESputnikClient("sandbox", base_url=SANDBOX_BASE_URL, transport=sandbox.transport())
    settings = Settings(_env_file=None, http_tokens=TOKEN, webhook_basic_auth=BASIC, webhook_max_bytes=10_000_000)
    runtime = Runtime(settings=settings, client=client, sandbox=sandbox, store=store)
    await runtime.gate.ready()
    try:
        async with serving(http_app(build_server(runtime), runtime, host="127.0.0.1")) as base:
            return await measure(base, rounds)
    finally:
        await client.aclose()
        await store.close()


def drop_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


async def main(rounds: int) -> None:
    async with serving(bare_app()) as base:
        bare = await measure(base, rounds)
    rows = [("bare Starlette (parse only)", bare)]
    with tempfile.TemporaryDirectory() as folder:
        rows.append(("inbox, SQLite file", await inbox(SQLiteStore(Path(folder) / "state.sqlite3"), rounds)))
    schema = f"bench_inbox_{secrets.token_hex(4)}"
    try:
        rows.append(("inbox, PostgreSQL", await inbox(PostgresStore(POSTGRES_URL, schema=schema), rounds)))
    except Exception as exc:
        print(f"PostgreSQL skipped: {exc}")
    finally:
        with contextlib.suppress(Exception):  # nothing to drop when it never connected
            drop_schema(schema)
    print(f"events per second, median of {rounds} rounds (ratio: the bare endpoint's rate / this one's)")
    print(f"{'':30} {'1 POST x 1000':>22} {'100 POSTs x 10':>22}")
    for label, figures in rows:
        cells = [
            f"{figures[name]:9.0f} ({bare[name] / figures[name]:4.1f}x)" for name in ("1 POST x 1000", "100 POSTs x 10")
        ]
        print(f"{label:30} {cells[0]:>22} {cells[1]:>22}")


if __name__ == "__main__":
    logging.disable(logging.INFO)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    anyio.run(main, parser.parse_args().rounds)
