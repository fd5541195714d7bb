"""How long the sandbox takes to load its demo account into a fresh database.

    .venv/bin/python bench/sandbox_demo_load.py [--runs N] [--file]

Each run builds a new in-memory sandbox on the real clock (so the frozen-clock snapshot cache
is never used): schema, demo generation, inserts and indexes. ``--file`` loads into a new
SQLite file instead. Prints the median and the range.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from esputnik_mcp.sandbox import Sandbox
from esputnik_mcp.sandbox.demo import DEMO_CONTACTS


def one_run(on_file: bool) -> float:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sandbox.sqlite3" if on_file else ":memory:"
        started = time.perf_counter()
        sandbox = Sandbox(db_path=path)
        elapsed = time.perf_counter() - started
        sandbox.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--file", action="store_true", help="load into a SQLite file, not memory")
    args = parser.parse_args()
    one_run(args.file)  # warm-up: imports, first allocations
    timings = [one_run(args.file) for _ in range(args.runs)]
    where = "a new SQLite file" if args.file else "memory"
    median, low, high = (statistics.median(timings) * 1000, min(timings) * 1000, max(timings) * 1000)
    print(
        f"demo load ({DEMO_CONTACTS} contacts, into {where}): median {median:.0f} ms "
        f"over {args.runs} runs (min {low:.0f} ms, max {high:.0f} ms)"
    )


if __name__ == "__main__":
    main()
