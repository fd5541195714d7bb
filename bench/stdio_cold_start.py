"""Stdio cold start: from spawning `esputnik-mcp` to the first `tools/list` answer, through the SDK's
own stdio client, on the sandbox. Figures are printed, not asserted.

    .venv/bin/python bench/stdio_cold_start.py [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

COMMAND = shutil.which("esputnik-mcp") or str(Path(sys.executable).with_name("esputnik-mcp"))


async def once(env: dict[str, str], errlog_path: Path) -> float:
    params = StdioServerParameters(command=COMMAND, env=env)
    started = time.perf_counter()
    with errlog_path.open("a") as errlog:
        async with Client(stdio_client(params, errlog=errlog), mode="legacy") as client:
            tools = await client.list_tools()
            elapsed = time.perf_counter() - started
    assert tools.tools, "the server listed no tools"
    return elapsed


def summary(label: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"{label}: median {statistics.median(ordered) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
        f"min {ordered[0] * 1000:.0f} ms over {len(ordered)} runs"
    )


async def main(runs: int) -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ESPUTNIK_")}
    with tempfile.TemporaryDirectory() as tmp:
        errlog = Path(tmp) / "stderr.log"
        persistent = {**base, "ESPUTNIK_DATA_DIR": tmp}
        await once(persistent, errlog)  # creates the persistent sandbox with its demo data
        warm = [await once(persistent, errlog) for _ in range(runs)]
        fresh = [
            await once({**base, "ESPUTNIK_DATA_DIR": tmp, "ESPUTNIK_SANDBOX_DB": ":memory:"}, errlog)
            for _ in range(runs)
        ]
    print(summary("cold start to first tools/list, existing sandbox", warm))
    print(summary("cold start to first tools/list, fresh in-memory sandbox (demo data generated)", fresh))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    anyio.run(main, parser.parse_args().runs)
