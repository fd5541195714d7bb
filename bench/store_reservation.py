"""Latency of one send's bookkeeping in the state store: ``reserve`` of one key, then ``settle`` of it,
on SQLite (a WAL file, and ``:memory:`` for reference) and on PostgreSQL. Figures are printed, not
asserted.

    .venv/bin/python bench/store_reservation.py [--iterations 200]

PostgreSQL is ESPUTNIK_TEST_DATABASE_URL, else the local test server; the run uses a schema of its
own and drops it at the end.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import tempfile
import time
from pathlib import Path

import anyio

from esputnik_mcp.store import PostgresStore, Reservation, Settlement, SQLiteStore, StateStore

POSTGRES_URL = os.environ.get("ESPUTNIK_TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"


async def measure(store: StateStore, iterations: int) -> list[float]:
    """Seconds per reserve + settle, each of a key of its own (a new recipient each time)."""
    samples = []
    for n in range(-20, iterations):  # the first 20 warm up
        key = f"bench-{n}-{secrets.token_hex(4)}"
        entry = Reservation(
            key=key, kind="exact", tool="send_email", channel="email", recipient="o***@example.com", content_key="c"
        )
        now = time.time()
        started = time.perf_counter()
        in_the_way = await store.reserve(
            [entry],
            reservation=key,
            now=now,
            window_start=now - 86400,
            stale_before=now - 600,
            allow_duplicate=False,
        )
        await store.settle(key, [Settlement(key, "sent", "rq")], now=now)
        elapsed = time.perf_counter() - started
        assert in_the_way == []
        if n >= 0:
            samples.append(elapsed)
    return samples


def line(label: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[round(0.95 * (len(ordered) - 1))]
    return f"{label:<28} p50 {statistics.median(ordered) * 1e3:7.3f} ms   p95 {p95 * 1e3:7.3f} ms   (n={len(ordered)})"


async def run(label: str, store: SQLiteStore | PostgresStore, iterations: int) -> None:
    await store.open()
    try:
        print(line(label, await measure(store, iterations)))
    finally:
        await store.close()


async def main(iterations: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        await run("SQLite file (WAL)", SQLiteStore(Path(folder) / "state.sqlite3"), iterations)
    await run("SQLite :memory:", SQLiteStore(":memory:"), iterations)
    schema = f"bench_{secrets.token_hex(4)}"
    try:
        await run("PostgreSQL (loopback)", PostgresStore(POSTGRES_URL, schema=schema), iterations)
    finally:
        import psycopg
        from psycopg import sql

        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--iterations", type=int, default=200)
    anyio.run(main, parser.parse_args().iterations)
