"""Throughput of the webhook inbox's writes: events per second stored by ``add_activity``, for one batch
of 1,000 events and for 100 concurrent batches of 10, on SQLite (a WAL file in a temporary folder) and
on PostgreSQL. Each event comes with the mark it leaves on its address, as the inbox writes them.
Figures are printed, not asserted.

    .venv/bin/python bench/inbox_store.py [--rounds 5]

PostgreSQL is ESPUTNIK_TEST_DATABASE_URL, else the local test server; the run uses a schema of its
own and drops it at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import secrets
import statistics
import tempfile
import time
from pathlib import Path

import anyio

from esputnik_mcp.store import ActivityRecord, Mark, PostgresStore, SQLiteStore, StateStore

POSTGRES_URL = os.environ.get("ESPUTNIK_TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"

STATUSES = ["DELIVERED", "DELIVERED", "DELIVERED", "READ", "CLICKED", "UNDELIVERED", "UNSUBSCRIBED"]


def batch(count: int) -> tuple[list[ActivityRecord], list[Mark]]:
    """``count`` new email events of a broadcast, as eSputnik's data export pushes them, and their marks."""
    now = time.time()
    records, marks = [], []
    for _ in range(count):
        contact = secrets.randbelow(10**9)
        email = f"user{contact}@example.com"
        status = STATUSES[secrets.randbelow(len(STATUSES))]
        request_id = secrets.token_hex(16)
        data = {
            "activityDateTime": "2025-06-15T12:00:00.000+0000",
            "activityStatus": status,
            "mediaType": "EMAIL",
            "contactId": contact,
            "email": email,
            "iid": request_id,
            "messageId": 5012345,
            "messageInstanceId": 9_000_000_000 + contact,
            "broadcastId": 77001,
            "statusData": {"statusDescription": ""},
            "tags": ["summer", "sale"],
        }
        key = hashlib.sha256(f"{request_id}|{email}|{status}".encode()).hexdigest()
        records.append(
            ActivityRecord(
                key=key,
                at=now,
                status=status,
                channel="email",
                received_at=now,
                request_id=request_id,
                contact_id=contact,
                email=email,
                message_id=5012345,
                message_instance_id=9_000_000_000 + contact,
                broadcast_id=77001,
                data=json.dumps(data),
            )
        )
        marks.append(Mark("email", f"email:{email}", status, status == "UNSUBSCRIBED", now))
    return records, marks


async def one_batch(store: StateStore, size: int) -> float:
    """Events per second of one call storing ``size`` new events."""
    records, marks = batch(size)
    started = time.perf_counter()
    added = await store.add_activity(records, marks)
    elapsed = time.perf_counter() - started
    assert added == size
    return size / elapsed


async def concurrent_batches(store: StateStore, calls: int, size: int) -> float:
    """Events per second of ``calls`` concurrent calls storing ``size`` new events each."""
    batches = [batch(size) for _ in range(calls)]
    added: list[int] = []

    async def add(records: list[ActivityRecord], marks: list[Mark]) -> None:
        added.append(await store.add_activity(records, marks))

    started = time.perf_counter()
    async with anyio.create_task_group() as group:
        for records, marks in batches:
            group.start_soon(add, records, marks)
    elapsed = time.perf_counter() - started
    assert sum(added) == calls * size
    return calls * size / elapsed


async def run(label: str, store: SQLiteStore | PostgresStore, rounds: int) -> None:
    await store.open()
    try:
        await one_batch(store, 1000)  # warms up
        await concurrent_batches(store, 100, 10)
        single = [await one_batch(store, 1000) for _ in range(rounds)]
        many = [await concurrent_batches(store, 100, 10) for _ in range(rounds)]
    finally:
        await store.close()
    print(f"{label:<24} {statistics.median(single):>14,.0f}   {statistics.median(many):>20,.0f}")


async def main(rounds: int) -> None:
    print(f"events/second stored by add_activity (median of {rounds} rounds, one mark per event)")
    print(f"{'':<24} {'1 × 1,000 events':>14}   {'100 × 10 concurrent':>20}")
    with tempfile.TemporaryDirectory() as folder:
        await run("SQLite file (WAL)", SQLiteStore(Path(folder) / "state.sqlite3"), rounds)
    schema = f"bench_{secrets.token_hex(4)}"
    try:
        await run("PostgreSQL (loopback)", PostgresStore(POSTGRES_URL, schema=schema), rounds)
    finally:
        import psycopg
        from psycopg import sql

        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5)
    anyio.run(main, parser.parse_args().rounds)
