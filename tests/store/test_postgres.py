"""What only PostgreSQL has: a server that may be unreachable, a URL with a password that must never
show, a schema of the store's own, and row locks held by another session."""

from __future__ import annotations

import logging
import socket
import time

import psycopg
import pytest
from psycopg import sql

from esputnik_mcp.store import PostgresStore, Reservation, StoreUnavailable
from tests.conftest import PostgresDatabase

pytestmark = pytest.mark.anyio

PASSWORD = "s3cr3t-Pa55"


def closed_port() -> int:
    """A loopback port nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_an_unreachable_server_is_unavailable_at_once_without_the_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = closed_port()
    store = PostgresStore(f"postgresql://esputnik:{PASSWORD}@127.0.0.1:{port}/state", timeout=2)
    started = time.monotonic()
    with caplog.at_level(logging.DEBUG), pytest.raises(StoreUnavailable) as raised:
        await store.open()
    assert time.monotonic() - started < 3
    message = str(raised.value)
    assert message.startswith(f"PostgreSQL at 127.0.0.1:{port}/state is unreachable: ")
    assert "refused" in message.lower()
    shown = [message, repr(store), str(raised.value.__cause__), caplog.text]
    assert not [text for text in shown if PASSWORD in text]
    with pytest.raises(StoreUnavailable, match="not open"):
        await store.take("b", window=1, limit=1)
    await store.close()


def test_a_malformed_url_is_refused_without_quoting_it() -> None:
    with pytest.raises(ValueError, match="cannot be read") as raised:
        PostgresStore(f"postgresql://esputnik:{PASSWORD}@[::1/state")
    assert PASSWORD not in str(raised.value)
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__


@pytest.mark.parametrize("schema", ["Upper", "with-dash", "x; DROP TABLE ledger", "", "a" * 64])
def test_a_schema_must_be_a_plain_identifier(schema: str) -> None:
    with pytest.raises(ValueError, match="lowercase identifier"):
        PostgresStore("postgresql://127.0.0.1/test", schema=schema)


async def test_the_store_creates_its_schema_and_keeps_its_tables_there(postgres_url: PostgresDatabase) -> None:
    schema = postgres_url.new_schema()
    store = PostgresStore(postgres_url.url, schema=schema)
    await store.open()
    await store.close()
    with psycopg.connect(postgres_url.url) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s ORDER BY table_name", (schema,)
        ).fetchall()
    assert [name for (name,) in tables] == [
        "activity",
        "approvals",
        "audit",
        "ledger",
        "marks",
        "rate_windows",
        "refusals",
        "schema_version",
        "tokens",
    ]


async def test_a_row_locked_too_long_is_unavailable(postgres_url: PostgresDatabase) -> None:
    """A session that holds a ledger row (a stuck transaction) costs a reservation one timeout, not a hang."""
    schema = postgres_url.new_schema()
    store = PostgresStore(postgres_url.url, schema=schema, timeout=1)
    await store.open()
    mine = Reservation(key="k1", kind="exact", tool="send_email", channel="email", recipient="o***", content_key="c")
    rule = {"now": 100.0, "window_start": 0.0, "stale_before": 0.0, "allow_duplicate": False}
    assert await store.reserve([mine], reservation="r1", **rule) == []  # type: ignore[arg-type]
    with psycopg.connect(postgres_url.url) as holder:
        holder.execute(sql.SQL("SELECT * FROM {}.ledger FOR UPDATE").format(sql.Identifier(schema)))
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match="stayed locked"):
            await store.reserve([mine], reservation="r2", **rule)  # type: ignore[arg-type]
        assert time.monotonic() - started < 2.5
        holder.rollback()
    assert [entry.reservation for entry in await store.ledger(["k1"])] == ["r1"]
    await store.close()
