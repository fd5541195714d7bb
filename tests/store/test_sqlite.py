"""What only SQLite has: a file that may be locked, read-only, corrupt or of the old layout, and an
in-memory database."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import anyio
import pytest

from esputnik_mcp.store import AuditRecord, Reservation, SQLiteStore, StoreUnavailable, TokenRecord
from esputnik_mcp.store.schema import latest
from esputnik_mcp.store.sqlite import script_statements

pytestmark = pytest.mark.anyio

NOW = 1_750_000_000.0

# The unversioned layout that releases before schema versions wrote to users' data directories.
OLD_LAYOUT = """
CREATE TABLE ledger (
    key TEXT NOT NULL, tool TEXT NOT NULL, channel TEXT NOT NULL, recipient TEXT NOT NULL,
    content_key TEXT NOT NULL, status TEXT NOT NULL, request_id TEXT, at REAL NOT NULL
);
CREATE INDEX ledger_key_at ON ledger (key, at);
CREATE TABLE tokens (
    token TEXT PRIMARY KEY, tool TEXT NOT NULL, payload_hash TEXT NOT NULL, expires_at REAL NOT NULL
);
CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, tool TEXT NOT NULL, arguments_hash TEXT NOT NULL,
    outcome TEXT NOT NULL, recipient_count INTEGER NOT NULL, recipients TEXT NOT NULL,
    request_ids TEXT NOT NULL, guard TEXT, detail TEXT
);
CREATE INDEX audit_at ON audit (at);
"""


def reservation(key: str = "k1") -> Reservation:
    return Reservation(key=key, kind="exact", tool="send_email", channel="email", recipient="o***", content_key="c")


async def reserve(store: SQLiteStore, key: str = "k1", name: str = "r1") -> list[object]:
    return list(
        await store.reserve(
            [reservation(key)],
            reservation=name,
            now=NOW,
            window_start=NOW - 86400,
            stale_before=NOW - 600,
            allow_duplicate=False,
        )
    )


async def test_an_in_memory_store_works_and_is_its_own() -> None:
    first, second = SQLiteStore(":memory:"), SQLiteStore(":memory:")
    await first.open()
    await second.open()
    try:
        assert await reserve(first) == []
        assert await reserve(second) == []
        assert len(await reserve(first, name="r2")) == 1
    finally:
        await first.close()
        await second.close()


async def test_a_file_is_in_wal_mode_and_its_folder_is_created(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "state.sqlite3"
    store = SQLiteStore(path)
    await store.open()
    await store.close()
    with closing(sqlite3.connect(path)) as db, db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


async def test_the_old_layout_is_brought_up_to_date(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    with closing(sqlite3.connect(path)) as db, db:
        db.executescript(OLD_LAYOUT)
        db.execute("INSERT INTO ledger VALUES ('k1', 'send_email', 'email', 'o***', 'c', 'sent', 'rq-0', ?)", (NOW,))
        db.execute("INSERT INTO tokens VALUES ('t1', 'send_email', 'p1', ?)", (NOW + 60,))
        db.execute(
            "INSERT INTO audit (at, tool, arguments_hash, outcome, recipient_count, recipients, request_ids, guard, "
            "detail) VALUES (?, 'send_email', 'h', 'ok', 1, ?, ?, NULL, 'old')",
            (NOW, json.dumps(["o***"]), json.dumps(["rq-0"])),
        )
    store = SQLiteStore(path)
    await store.open()
    try:
        old = AuditRecord(
            at=NOW,
            tool="send_email",
            arguments_hash="h",
            outcome="ok",
            recipient_count=1,
            recipients=("o***",),
            request_ids=("rq-0",),
            detail="old",
        )
        await store.append_audit(
            AuditRecord(at=NOW + 1, tool="send_sms", arguments_hash="h2", outcome="ok", target="x")
        )
        assert [record.target for record in await store.audit()] == ["x", None]
        assert (await store.audit())[1] == old
        assert await store.take_token("t1") == TokenRecord("t1", "send_email", "p1", NOW + 60)
        # The old ledger's rows were keyed another way: they are gone, and the new ledger works.
        assert await store.ledger(["k1"]) == []
        assert await reserve(store) == []
        assert [e.reservation for e in await store.ledger(["k1"])] == ["r1"]
    finally:
        await store.close()
    with closing(sqlite3.connect(path)) as db, db:
        assert db.execute("SELECT version FROM schema_version ORDER BY version").fetchall() == [
            (version,) for version in range(1, latest("sqlite") + 1)
        ]
        assert db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'ledger_key_at'").fetchone() == (0,)


async def test_a_locked_database_fails_fast_without_blocking_the_event_loop(tmp_path: Path) -> None:
    """The default busy timeout (2 s) is waited in a worker thread: the loop keeps ticking meanwhile."""
    path = tmp_path / "state.sqlite3"
    store = SQLiteStore(path)
    await store.open()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await anyio.sleep(0.01)
            ticks += 1

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(tick)
            started = time.monotonic()
            with pytest.raises(StoreUnavailable, match="the state database is locked by another process"):
                await store.take("b", window=1, limit=1)
            elapsed = time.monotonic() - started
            group.cancel_scope.cancel()
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert 1.5 < elapsed < 4
    assert ticks > 50  # about 200 if nothing blocked the loop; 0 if the call had
    assert await store.take("b", window=1, limit=1)  # free again
    await store.close()


async def test_a_locked_database_fails_a_reservation_and_an_opening(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    store = SQLiteStore(path, busy_timeout=0.3)
    await store.open()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreUnavailable, match="locked"):
            await reserve(store)
        fresh = tmp_path / "fresh.sqlite3"
        locker = sqlite3.connect(fresh, isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StoreUnavailable, match="locked"):
            await SQLiteStore(fresh, busy_timeout=0.3).open()
        locker.execute("ROLLBACK")
        locker.close()
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert await reserve(store) == []
    await store.close()


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """A state file its user cannot write. Root ignores permissions, so for root the file is made
    immutable as well (and mutable again at the end, so that it can be deleted)."""
    path = tmp_path / "state.sqlite3"

    async def create() -> None:
        store = SQLiteStore(path)
        await store.open()
        await store.take("b", window=1, limit=5)
        await store.close()

    anyio.run(create)
    path.chmod(0o444)
    chattr = shutil.which("chattr") if os.access(path, os.W_OK) else None
    if os.access(path, os.W_OK) and (
        chattr is None or subprocess.run([chattr, "+i", path], capture_output=True, check=False).returncode  # noqa: S603
    ):
        pytest.skip("running as root where chattr +i is not allowed: no way to make a read-only file")
    try:
        yield path
    finally:
        if chattr is not None:
            subprocess.run([chattr, "-i", path], check=True)  # noqa: S603
        path.chmod(0o644)


async def test_a_read_only_file_reads_but_refuses_writes(read_only: Path) -> None:
    store = SQLiteStore(read_only)
    await store.open()
    try:
        assert await store.refusals() == []
        with pytest.raises(StoreUnavailable, match=f"the state database is read-only: {read_only}"):
            await store.take("b", window=1, limit=5)
        with pytest.raises(StoreUnavailable, match="read-only"):
            await reserve(store)
    finally:
        await store.close()


async def test_a_corrupt_file_is_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    path.write_bytes(b"this is no database " * 500)
    with pytest.raises(StoreUnavailable, match="not an SQLite database"):
        await SQLiteStore(path).open()


async def test_a_folder_that_cannot_be_created_is_unavailable(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(StoreUnavailable, match="folder cannot be created"):
        await SQLiteStore(tmp_path / "file" / "state.sqlite3").open()


def test_migration_scripts_are_cut_into_whole_statements() -> None:
    script = "-- a note; with a semicolon\nCREATE TABLE a (x TEXT DEFAULT ';');\n\nCREATE INDEX i ON a (x);\n-- end\n"
    assert script_statements(script) == [
        "-- a note; with a semicolon\nCREATE TABLE a (x TEXT DEFAULT ';');",
        "CREATE INDEX i ON a (x);",
    ]
