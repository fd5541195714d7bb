"""Stdio cold start: from spawning a server to the first `tools/list` answer, through the SDK's own
stdio client. `esputnik-mcp` (no key: the built-in sandbox) and a bare SDK server with one trivial
tool (bench/bare_sdk_server.py) are spawned alternately in the same run, so both see the same
machine; the ratio of their medians is printed beside its goal. Figures are printed, not asserted.

    .venv/bin/python bench/stdio_cold_start.py [--runs 10]

Two cases of our server: an existing sandbox database (the usual start), and a fresh in-memory
sandbox (ESPUTNIK_SANDBOX_DB=:memory:, whose demo data is generated when the sandbox is built).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from stdio_support import bare, base_env, ours, spread, verdict

GOAL = 1.15
OUR_CALL = ("search_contacts", {"limit": 1})
BARE_CALL = ("echo", {"text": "hello"})


async def once(
    params: StdioServerParameters, errlog_path: Path, call: tuple[str, dict[str, Any]]
) -> tuple[float, float]:
    """Seconds from spawning the server to its first tools/list answer, and to the answer of a first
    tool call made right after it."""
    started = time.perf_counter()
    with errlog_path.open("a") as errlog:
        async with Client(stdio_client(params, errlog=errlog), mode="legacy") as client:
            tools = await client.list_tools()
            listed = time.perf_counter() - started
            result = await client.call_tool(*call)
            called = time.perf_counter() - started
    assert tools.tools, "the server listed no tools"
    assert not result.is_error, result
    return listed, called


async def main(runs: int) -> None:
    base = base_env()
    with tempfile.TemporaryDirectory() as tmp:
        errlog = Path(tmp) / "stderr.log"
        existing = {**base, "ESPUTNIK_DATA_DIR": tmp}
        fresh = {**existing, "ESPUTNIK_SANDBOX_DB": ":memory:"}
        # Warm-up: byte-compiled modules and the page cache for every server; the persistent sandbox
        # is created with its demo data (and built by a first call, wherever the server builds it).
        with errlog.open("a") as log:
            async with Client(stdio_client(ours(existing), errlog=log), mode="legacy") as client:
                await client.call_tool("get_account_info", {})
        await once(bare(base), errlog, BARE_CALL)
        listed: dict[str, list[float]] = {"bare": [], "existing": [], "fresh": []}
        called: dict[str, list[float]] = {"bare": [], "existing": [], "fresh": []}
        for _ in range(runs):
            for name, params, call in (
                ("bare", bare(base), BARE_CALL),
                ("existing", ours(existing), OUR_CALL),
                ("fresh", ours(fresh), OUR_CALL),
            ):
                first_list, first_call = await once(params, errlog, call)
                listed[name].append(first_list)
                called[name].append(first_call)
    print(f"spawn -> first tools/list answer, {runs} runs each, alternating")
    print(f"  bare SDK server (one trivial tool):        {spread(listed['bare'])}")
    print(f"  esputnik-mcp, existing sandbox database:   {spread(listed['existing'])}")
    print(f"  esputnik-mcp, fresh in-memory sandbox:     {spread(listed['fresh'])}")
    print("spawn -> answer of a first call made right after tools/list (not a goal; bare: echo, ours: search_contacts)")
    print(f"  bare SDK server:                           {spread(called['bare'])}")
    print(f"  esputnik-mcp, existing sandbox database:   {spread(called['existing'])}")
    print(f"  esputnik-mcp, fresh in-memory sandbox:     {spread(called['fresh'])}")
    print(verdict("cold start, existing sandbox", listed["existing"], listed["bare"], GOAL))
    print(verdict("cold start, fresh in-memory sandbox", listed["fresh"], listed["bare"], GOAL))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10, help="spawns of each server (default 10)")
    anyio.run(main, parser.parse_args().runs)
