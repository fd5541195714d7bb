"""One tool call over stdio: the median latency of `get_contact` on `esputnik-mcp` (no key: the
embedded sandbox, in process) against a trivial tool of a bare SDK server (bench/bare_sdk_server.py),
both spawned as a client spawns them. Calls alternate between the two servers (by default one call
each, so that both see the same machine at every moment; ``--block 10`` calls each server ten
times in a row, which measures them warm); each run spawns a fresh pair. The ratio of the medians
is printed beside its goal. Figures are printed, not asserted.

    .venv/bin/python bench/stdio_call.py [--runs 5] [--calls 200] [--block 1] [--mode legacy|2026-07-28]

The per-minute read limits are raised so that the guard counts every call but refuses none: this
measures the cost of a call, the guard's bookkeeping included. eSputnik allows an account 200
requests a second, and the API client holds back a call that would exceed that, as it must: an
unpaced loop faster than that measures the wait too. ``--rate 100`` paces the calls to each server
(the time between them not counted); on this kind of machine the ratio was the same (1.84x paced,
1.89x unpaced), the absolute figures higher for both (a process woken from idle).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio
from mcp import Client
from mcp.client.stdio import stdio_client

from stdio_support import bare, base_env, ours, spread, verdict

GOAL = 1.5
WARM_UP = 20


async def timed(call: Callable[[], Awaitable[object]], gap: float = 0.0) -> float:
    """The seconds ``call`` takes; then a wait until ``gap`` seconds have passed since it began."""
    started = time.perf_counter()
    await call()
    took = time.perf_counter() - started
    await anyio.sleep(max(0.0, gap - took))
    return took


async def one_run(
    env: dict[str, str], calls: int, block: int, mode: str, errlog: Path, gap: float
) -> tuple[float, float]:
    """The median seconds of a call to each server, freshly spawned, calls alternating in blocks."""
    with errlog.open("a") as log:
        async with (
            Client(stdio_client(ours(env), errlog=log), mode=mode) as our_client,
            Client(stdio_client(bare(base_env()), errlog=log), mode=mode) as bare_client,
        ):
            found = await our_client.call_tool("search_contacts", {"limit": 1})
            assert not found.is_error, found
            assert found.structured_content, found
            contact_id = found.structured_content["contacts"][0]["id"]

            async def get_contact() -> None:
                result = await our_client.call_tool("get_contact", {"contact_id": contact_id})
                assert not result.is_error, result

            async def echo() -> None:
                result = await bare_client.call_tool("echo", {"text": "hello"})
                assert not result.is_error, result

            for _ in range(WARM_UP):
                await get_contact()
                await echo()
            our_samples: list[float] = []
            bare_samples: list[float] = []
            while len(our_samples) < calls:
                our_samples += [await timed(get_contact, gap) for _ in range(block)]
                bare_samples += [await timed(echo, gap) for _ in range(block)]
    return statistics.median(our_samples), statistics.median(bare_samples)


async def main(runs: int, calls: int, block: int, mode: str, rate: float) -> None:
    gap = 1.0 / rate if rate > 0 else 0.0
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **base_env(),
            "ESPUTNIK_DATA_DIR": tmp,
            "ESPUTNIK_READS_PER_MINUTE": "1000000",
            "ESPUTNIK_READS_PER_MINUTE_TOTAL": "1000000",
        }
        errlog = Path(tmp) / "stderr.log"
        ours_ms, bare_ms = [], []
        for _ in range(runs):
            our_median, bare_median = await one_run(env, calls, block, mode, errlog, gap)
            ours_ms.append(our_median)
            bare_ms.append(bare_median)
    print(
        f"one call over stdio ({mode}), {runs} runs of {calls} calls to each server, alternating every "
        f"{block} call(s), at most {rate:g} calls a second to each" + (" (unpaced)" if gap == 0 else "") + "; "
        "per-run medians:"
    )
    print(f"  bare SDK server, trivial tool (echo):      {spread(bare_ms, digits=2)}")
    print(f"  esputnik-mcp, get_contact on the sandbox:  {spread(ours_ms, digits=2)}")
    print(verdict("get_contact over stdio", ours_ms, bare_ms, GOAL))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="fresh pairs of servers (default 5)")
    parser.add_argument("--calls", type=int, default=200, help="calls to each server per run (default 200)")
    parser.add_argument("--block", type=int, default=1, help="calls to one server before switching (default 1)")
    parser.add_argument("--mode", default="legacy", help="protocol: legacy (2025-11-25) or 2026-07-28")
    parser.add_argument(
        "--rate",
        type=float,
        default=0,
        help="calls a second to each server at most (default 0: as fast as they answer)",
    )
    args = parser.parse_args()
    anyio.run(main, args.runs, args.calls, args.block, args.mode, args.rate)
