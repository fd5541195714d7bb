"""Bulk calls at the SDK's own pace: 100,000 contacts through `bulk_upsert_contacts`, 10,000 orders
through `add_orders` and 10,000 recipients through `send_prepared_message`, each against

- the bare SDK: an `mcp.server.mcpserver.MCPServer` tool whose one parameter is a list of a minimal
  pydantic model, called with the same JSON (what the SDK itself costs to accept the argument);
  goal: ours at most 2x its time;
- the same request bodies our call sent, sent one after another by a bare httpx client to the same
  upstream; goal: ours at least 3x faster.

Both clients talk to the servers in process (the SDK's in-memory transport). The upstream is 50 ms
away (`--latency`): a transport that waits that long before every request. The bulk writes
themselves (POST /v1/contacts, /v1/orders, /v1/message/{id}/smartsend) are answered by it as
eSputnik answers them, every other request (a template read, the custom fields) by the in-process
sandbox; `--upstream sandbox` sends the bulk writes to the sandbox too, which then also measures the
sandbox's own work on each request. Our server runs with send confirmation off (automation's
setting), ESPUTNIK_MAX_RECIPIENTS 10000, the per-minute call limits lifted and a state store in a
temporary SQLite file, as a stdio server keeps it.

Peak memory is measured in the server process, served over stdio in a subprocess of its own: the
high-water mark of its resident set (VmHWM in /proc/<pid>/status, reset through clear_refs after a
small warm-up call) above its resident set when idle (VmRSS), beside 3x the argument's JSON size
(the goal) and the bare SDK's own figure. Figures are printed, not asserted.

    .venv/bin/python bench/bulk.py [--runs 5] [--only contacts,orders,smartsend] [--scale 1.0]
                                   [--latency 0.05] [--upstream stub|sandbox] [--memory-runs 1]
                                   [--concurrency N]
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import logging
import math
import os
import re
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx2 as httpx
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.server.mcpserver import MCPServer
from pydantic import BaseModel

from esputnik_mcp.api import ESputnikClient
from esputnik_mcp.sandbox import SANDBOX_BASE_URL, Sandbox
from esputnik_mcp.server.app import build_server
from esputnik_mcp.server.runtime import Runtime
from esputnik_mcp.settings import Settings
from esputnik_mcp.store import SQLiteStore

API_KEY = "sandbox"
MESSAGE_ID = 3001  # the demo account's stored welcome email
UNLIMITED = 1_000_000

# --- the upstream -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    """A bulk write as it left: enough to send it again."""

    url: str
    headers: list[tuple[str, str]]
    body: bytes


class Upstream(httpx.AsyncBaseTransport):
    """eSputnik ``latency`` seconds away: every request waits that long first. Bulk writes are
    answered as eSputnik answers them (``stub``) or by the sandbox; everything else by the sandbox.
    Bulk writes are counted and, while ``recording``, kept to be sent again."""

    BULK = re.compile(r"^/api/v1/(contacts|orders|message/\d+/smartsend)$")

    def __init__(self, sandbox: httpx.AsyncBaseTransport, latency: float, *, stub: bool) -> None:
        self._sandbox = sandbox
        self._latency = latency
        self._stub = stub
        self._ids = itertools.count()
        self.bulk_requests = 0
        self.recording: list[Sent] | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await anyio.sleep(self._latency)
        path = request.url.path
        if request.method != "POST" or not self.BULK.match(path):
            return await self._sandbox.handle_async_request(request)
        body = await request.aread()
        self.bulk_requests += 1
        if self.recording is not None:
            self.recording.append(Sent(str(request.url), list(request.headers.items()), body))
        if not self._stub:
            return await self._sandbox.handle_async_request(request)
        if path.endswith("/contacts"):
            answer: Any = {"asyncSessionId": f"bench-{next(self._ids)}"}
        elif path.endswith("/orders"):
            answer = {"failedOrders": []}
        else:
            count = len(json.loads(body)["recipients"])
            answer = {"results": [{"status": "OK", "requestId": f"bench-{next(self._ids)}"} for _ in range(count)]}
        return httpx.Response(200, json=answer)


# --- the scenarios ----------------------------------------------------------------------------------

NAMES = [
    ("Olena", "Kovalenko"),
    ("Emma", "Smith"),
    ("Łukasz", "Nowak"),
    ("Андрій", "Шевченко"),
    ("Mary-Jane", "O'Neil"),
    ("Zoë", "Müller"),
]


class BareContact(BaseModel):
    email: str
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None


class BareItem(BaseModel):
    external_item_id: str
    quantity: float
    name: str | None = None
    cost: float | None = None


class BareOrder(BaseModel):
    external_order_id: str
    email: str
    total_cost: float
    status: str
    date: str
    currency: str
    items: list[BareItem] | None = None


class BareRecipient(BaseModel):
    locator: str
    params: dict[str, Any] | None = None


def contacts(count: int, tag: str) -> dict[str, Any]:
    """``count`` contacts with an email and a name, every fifth with a phone too."""
    items = []
    for i in range(count):
        first, last = NAMES[i % len(NAMES)]
        contact = {"email": f"bulk.{tag}.{i}@example.com", "first_name": first, "last_name": last}
        if i % 5 == 0:
            contact["phone"] = f"+38050{i % 10**7:07d}"
        items.append(contact)
    return {"contacts": items}


def contact_groups(count: int) -> list[int]:
    """Contacts with a phone and those without give different fields: they go in different requests."""
    with_phone = (count + 4) // 5
    return [with_phone, count - with_phone]


def orders(count: int, tag: str) -> dict[str, Any]:
    """``count`` delivered orders of one item each."""
    return {
        "orders": [
            {
                "external_order_id": f"ORD-{tag}-{i}",
                "email": f"buyer.{tag}.{i}@example.com",
                "total_cost": 59.9,
                "status": "DELIVERED",
                "date": "2025-06-15T10:00:00+03:00",
                "currency": "UAH",
                "items": [{"external_item_id": f"SKU-{i % 50}", "quantity": 1, "name": "Desk lamp", "cost": 59.9}],
            }
            for i in range(count)
        ]
    }


def recipients(count: int, tag: str) -> dict[str, Any]:
    """``count`` recipients of the stored welcome email, each with its own params."""
    return {
        "recipients": [
            {
                "locator": f"reader.{tag}.{i}@example.com",
                "params": {"name": NAMES[i % len(NAMES)][0], "order": f"A-{i}"},
            }
            for i in range(count)
        ]
    }


@dataclass(frozen=True)
class Scenario:
    name: str
    tool: str
    size: int
    chunk: int  # items per request
    make: Callable[[int, str], dict[str, Any]]
    groups: Callable[[int], list[int]]  # the sizes of the groups of items that cannot share a request
    extra: dict[str, Any] = field(default_factory=dict)  # our tool's other arguments

    def arguments(self, size: int, tag: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The bare tool's arguments and ours: the same list, ours with the tool's other arguments."""
        bare = self.make(size, tag)
        return bare, {**self.extra, **bare}


SCENARIOS = {
    "contacts": Scenario(
        "contacts", "bulk_upsert_contacts", 100_000, 3000, contacts, contact_groups, {"dedupe_on": "email"}
    ),
    "orders": Scenario("orders", "add_orders", 10_000, 1000, orders, lambda n: [n]),
    "smartsend": Scenario(
        "smartsend",
        "send_prepared_message",
        10_000,
        1000,
        recipients,
        lambda n: [n],
        {"message_id": MESSAGE_ID, "channel": "email"},
    ),
}


def bare_server() -> MCPServer:
    server: MCPServer = MCPServer("bare-sdk")

    @server.tool()
    def contacts(contacts: list[BareContact]) -> str:
        return f"{len(contacts)} contacts"

    @server.tool()
    def orders(orders: list[BareOrder]) -> str:
        return f"{len(orders)} orders"

    @server.tool()
    def smartsend(recipients: list[BareRecipient]) -> str:
        return f"{len(recipients)} recipients"

    return server


def our_server(latency: float, stub: bool, state_dir: str) -> tuple[MCPServer, Upstream]:
    sandbox = Sandbox(api_key=API_KEY, db_path=":memory:", demo=True)
    upstream = Upstream(sandbox.transport(), latency, stub=stub)
    settings = Settings(
        _env_file=None,
        send_confirmation="off",
        max_recipients=10_000,
        **{f"{kind}_per_minute{total}": UNLIMITED for kind in ("reads", "writes", "sends") for total in ("", "_total")},
    )
    client = ESputnikClient(
        API_KEY, base_url=SANDBOX_BASE_URL, transport=upstream, bulk_concurrency=settings.bulk_concurrency
    )
    store = SQLiteStore(Path(state_dir) / f"state-{secrets.token_hex(4)}.sqlite3")
    runtime = Runtime(settings=settings, client=client, sandbox=sandbox, store=store)
    return build_server(runtime), upstream


# --- timing ----------------------------------------------------------------------------------------


async def timed_call(client: Client, tool: str, arguments: dict[str, Any]) -> float:
    gc.collect()
    started = time.perf_counter()
    result = await client.call_tool(tool, arguments)
    elapsed = time.perf_counter() - started
    if result.is_error:
        text = result.content[0].text if result.content and hasattr(result.content[0], "text") else result
        raise SystemExit(f"{tool} failed: {text}")
    return elapsed


async def sequential(upstream: Upstream, sent: list[Sent]) -> float:
    """The same bodies, one request after another, by a bare httpx client."""
    async with httpx.AsyncClient(transport=upstream) as client:
        gc.collect()
        started = time.perf_counter()
        for request in sent:
            response = await client.post(request.url, content=request.body, headers=request.headers)
            response.raise_for_status()
        return time.perf_counter() - started


@dataclass
class Figures:
    bare: list[float] = field(default_factory=list)
    ours: list[float] = field(default_factory=list)
    one_by_one: list[float] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)
    json_bytes: int = 0
    memory: dict[str, list[int]] = field(default_factory=lambda: {"ours": [], "bare": []})


async def measure(scenario: Scenario, size: int, runs: int, latency: float, stub: bool, state_dir: str) -> Figures:
    figures = Figures()
    server, upstream = our_server(latency, stub, state_dir)
    async with Client(bare_server()) as bare, Client(server) as ours:
        warm_bare, warm_ours = scenario.arguments(min(size, 50), "warm")
        await bare.call_tool(scenario.name, warm_bare)
        await ours.call_tool(scenario.tool, warm_ours)
        for run in range(runs):
            bare_args, our_args = scenario.arguments(size, f"r{run}{secrets.token_hex(3)}")
            figures.json_bytes = len(json.dumps(bare_args, ensure_ascii=False).encode())
            figures.bare.append(await timed_call(bare, scenario.name, bare_args))
            upstream.recording, before = [], upstream.bulk_requests
            figures.ours.append(await timed_call(ours, scenario.tool, our_args))
            figures.requests.append(upstream.bulk_requests - before)
            sent, upstream.recording = upstream.recording, None
            figures.one_by_one.append(await sequential(upstream, sent))
            del bare_args, our_args, sent
    return figures


# --- memory, in a server process of its own ---------------------------------------------------------


def _status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of process ``pid``, in bytes."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) * 1024
    return values


def _reset_peak(pid: int) -> None:
    """Reset VmHWM of process ``pid`` to its current VmRSS."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def _write(path: str, text: str) -> None:
    Path(path).write_text(text)


async def peak_memory(scenario: Scenario, size: int, which: str, latency: float, stub: bool, state_dir: str) -> int:
    """The server's peak resident set during one call, above its resident set when idle."""
    pid_file = Path(state_dir) / f"pid-{secrets.token_hex(4)}"
    args = [__file__, "--serve", which, "--latency", str(latency), "--upstream", "stub" if stub else "sandbox"]
    args += ["--pid-file", str(pid_file), "--state-dir", state_dir]
    params = StdioServerParameters(command=sys.executable, args=args, env=dict(os.environ))
    tool = scenario.tool if which == "ours" else scenario.name
    with (Path(state_dir) / "server-stderr.log").open("a") as errlog:
        async with Client(stdio_client(params, errlog=errlog)) as client:
            bare_args, our_args = scenario.arguments(min(size, 50), "warm")
            await timed_call(client, tool, our_args if which == "ours" else bare_args)
            bare_args, our_args = scenario.arguments(size, f"m{secrets.token_hex(3)}")
            arguments = our_args if which == "ours" else bare_args
            del bare_args, our_args
            pid = int(pid_file.read_text())
            gc.collect()
            await anyio.sleep(0.2)
            idle = _status(pid)["VmRSS"]
            _reset_peak(pid)
            await timed_call(client, tool, arguments)
            return _status(pid)["VmHWM"] - idle


async def serve(which: str, latency: float, stub: bool, pid_file: str, state_dir: str) -> None:
    _write(pid_file, str(os.getpid()))
    server = bare_server() if which == "bare" else our_server(latency, stub, state_dir)[0]
    await server.run_stdio_async()


# --- report ----------------------------------------------------------------------------------------


def spread(samples: list[float]) -> str:
    ordered = sorted(samples)
    return f"median {statistics.median(ordered):6.3f} s (min {ordered[0]:.3f}, max {ordered[-1]:.3f})"


def megabytes(value: float) -> str:
    return f"{value / 1e6:.1f} MB"


def report(scenario: Scenario, size: int, figures: Figures, latency: float, upstream: str) -> None:
    runs = len(figures.ours)
    print(
        f"\n{scenario.tool}: {size} items, argument JSON {megabytes(figures.json_bytes)}, "
        f"{runs} runs, upstream {latency * 1000:.0f} ms away ({upstream}), "
        f"{Settings(_env_file=None).bulk_concurrency} requests in flight at most"
    )
    print(f"  bare SDK accepts the typed argument  {spread(figures.bare)}")
    print(f"  {scenario.tool:<36}{spread(figures.ours)}")
    ratio = statistics.median(figures.ours) / statistics.median(figures.bare)
    pairs = sorted(o / b for o, b in zip(figures.ours, figures.bare, strict=True))
    print(
        f"    ratio to the bare SDK {ratio:.2f}x (run by run {pairs[0]:.2f}-{pairs[-1]:.2f}x); "
        f"goal <= 2x: {'met' if ratio <= 2 else 'NOT met'}"
    )
    requests = sorted(set(figures.requests))
    print(f"  the same requests one after another  {spread(figures.one_by_one)}")
    speedup = statistics.median(figures.one_by_one) / statistics.median(figures.ours)
    pairs = sorted(s / o for s, o in zip(figures.one_by_one, figures.ours, strict=True))
    print(
        f"    speed-up {speedup:.2f}x (run by run {pairs[0]:.2f}-{pairs[-1]:.2f}x); "
        f"goal >= 3x: {'met' if speedup >= 3 else 'NOT met'}"
    )
    print(
        f"  requests: {', '.join(map(str, requests))} (minimum "
        f"{sum(math.ceil(n / scenario.chunk) for n in scenario.groups(size) if n)}, {scenario.chunk} per request)"
    )
    goal = 3 * figures.json_bytes
    for which, label in (("ours", scenario.tool), ("bare", "bare SDK")):
        peaks = figures.memory[which]
        if not peaks:
            continue
        peak = statistics.median(peaks)
        shown = megabytes(peak) + (
            f" (min {megabytes(min(peaks))}, max {megabytes(max(peaks))})" if len(peaks) > 1 else ""
        )
        verdict = (
            f"; goal <= 3x JSON = {megabytes(goal)}: {'met' if peak <= goal else 'NOT met'}" if which == "ours" else ""
        )
        print(f"  peak memory above idle, {label}: {shown} = {peak / figures.json_bytes:.1f}x the JSON{verdict}")


def quiet() -> None:
    """No log line per request or per call: they would be measured too."""
    for name in ("httpx2", "esputnik_mcp"):
        logging.getLogger(name).setLevel(logging.WARNING)


async def main(options: argparse.Namespace) -> None:
    quiet()
    stub = options.upstream == "stub"
    names = [n.strip() for n in options.only.split(",") if n.strip()]
    with tempfile.TemporaryDirectory() as state_dir:
        for name in names:
            scenario = SCENARIOS[name]
            size = max(1, round(scenario.size * options.scale))
            figures = await measure(scenario, size, options.runs, options.latency, stub, state_dir)
            for _ in range(options.memory_runs):
                for which in ("ours", "bare"):
                    peak = await peak_memory(scenario, size, which, options.latency, stub, state_dir)
                    figures.memory[which].append(peak)
            report(scenario, size, figures, options.latency, options.upstream)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", default="contacts,orders,smartsend", help="scenarios, comma-separated")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of each scenario's size")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds before each upstream request")
    parser.add_argument("--upstream", choices=("stub", "sandbox"), default="stub")
    parser.add_argument("--memory-runs", type=int, default=1, help="server processes measured per scenario")
    parser.add_argument(
        "--concurrency",
        type=int,
        help="ESPUTNIK_BULK_CONCURRENCY: requests of a call in flight (default: the setting's)",
    )
    parser.add_argument("--serve", choices=("ours", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--pid-file", help=argparse.SUPPRESS)
    parser.add_argument("--state-dir", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.concurrency is not None:
        os.environ["ESPUTNIK_BULK_CONCURRENCY"] = str(options.concurrency)
    if options.serve:
        quiet()
        anyio.run(
            serve, options.serve, options.latency, options.upstream == "stub", options.pid_file, options.state_dir
        )
    else:
        anyio.run(main, options)
