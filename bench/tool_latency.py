"""Per-call latency of `get_contact` through MCP (in-process client, both protocol revisions) against
the bare API client, both on the in-process sandbox. Figures are printed, not asserted.

    .venv/bin/python bench/tool_latency.py [--calls 500]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Awaitable, Callable

import anyio
from mcp import Client

from esputnik_mcp.api import ESputnikClient
from esputnik_mcp.sandbox import SANDBOX_BASE_URL, Sandbox
from esputnik_mcp.server.app import build_server
from esputnik_mcp.server.runtime import Runtime
from esputnik_mcp.settings import Settings


async def measure(calls: int, call: Callable[[], Awaitable[object]]) -> list[float]:
    for _ in range(20):  # warm-up
        await call()
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - started)
    return samples


def line(label: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[round(0.95 * (len(ordered) - 1))]
    return f"{label:<34} median {statistics.median(ordered) * 1e3:6.2f} ms   p95 {p95 * 1e3:6.2f} ms"


async def main(calls: int) -> None:
    sandbox = Sandbox(api_key="sandbox", db_path=":memory:", demo=True)
    client = ESputnikClient("sandbox", base_url=SANDBOX_BASE_URL, transport=sandbox.transport())
    contact_id = (await client.contacts.search(max_rows=1)).items[0].id
    assert contact_id is not None
    # The per-minute call limit is lifted: this measures the cost of a call, not the guard.
    runtime = Runtime(settings=Settings(_env_file=None, reads_per_minute=1_000_000), client=client, sandbox=sandbox)
    server = build_server(runtime)

    bare = await measure(calls, lambda: client.contacts.get(contact_id))
    results = {"bare API client (contacts.get)": bare}
    for label, mode in (("MCP get_contact, 2025-11-25", "legacy"), ("MCP get_contact, 2026-07-28", "2026-07-28")):
        async with Client(server, mode=mode) as mcp:

            async def call(mcp: Client = mcp) -> object:
                result = await mcp.call_tool("get_contact", {"contact_id": contact_id})
                assert not result.is_error, result
                return result

            results[label] = await measure(calls, call)
    await client.aclose()
    for label, samples in results.items():
        print(line(label, samples))
    overhead = statistics.median(results["MCP get_contact, 2026-07-28"]) - statistics.median(bare)
    print(f"MCP overhead over the bare client (median, 2026-07-28): {overhead * 1e3:.2f} ms per call")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=500)
    anyio.run(main, parser.parse_args().calls)
