"""Approvals asked on the approval page, run on SQLite and on PostgreSQL alike: each approval is
decided once, spent once, only by the exact call it was asked for and only before it expires, even
when several replicas race for it."""

from __future__ import annotations

import dataclasses

import anyio
import pytest

from esputnik_mcp.store import ApprovalRecord, ApprovalStatus, StateStore, TokenRecord, schema
from esputnik_mcp.store.schema import Dialect
from tests.store.conftest import Backend

pytestmark = pytest.mark.anyio

NOW = 1_750_000_000.0
TTL = 600.0  # how long an approval page stays open
CALL = {"tool": "send_email", "payload_hash": "p1", "caller": "c1"}


def asked(approval_id: str = "a1", *, status: ApprovalStatus = "pending", **fields: object) -> ApprovalRecord:
    """An approval of CALL asked at NOW, unless ``fields`` say otherwise."""
    record = ApprovalRecord(
        id=approval_id,
        tool=CALL["tool"],
        payload_hash=CALL["payload_hash"],
        caller=CALL["caller"],
        preview='{"to": ["o***@example.com"], "subject": "Hello"}',
        status=status,
        created_at=NOW,
        expires_at=NOW + TTL,
    )
    return dataclasses.replace(record, **fields)  # type: ignore[arg-type]


async def approved(store: StateStore, record: ApprovalRecord | None = None) -> ApprovalRecord:
    """The approval (of CALL, by default) written pending and approved a second after NOW."""
    record = record or asked()
    await store.put_approval(record)
    decided = await store.decide_approval(record.id, approved=True, now=NOW + 1)
    assert decided is not None
    return decided


async def use(store: StateStore, now: float = NOW + 2, call: dict[str, str] = CALL) -> ApprovalRecord | None:
    return await store.use_approval(
        tool=call["tool"], payload_hash=call["payload_hash"], caller=call["caller"], now=now
    )


async def pending(store: StateStore, now: float = NOW + 2, call: dict[str, str] = CALL) -> ApprovalRecord | None:
    return await store.pending_approval(
        tool=call["tool"], payload_hash=call["payload_hash"], caller=call["caller"], now=now
    )


# --- writing and reading ------------------------------------------------------------------------


async def test_an_approval_reads_back_as_written(store: StateStore) -> None:
    fresh = asked("a1")
    decided = asked("a2", status="declined", decided_at=NOW + 5, preview='{"text": "Привіт, \\u0000 ✓"}')
    await store.put_approval(fresh)
    await store.put_approval(decided)
    assert await store.approval("a1") == fresh
    assert await store.approval("a2") == decided
    assert await store.approval("never") is None


async def test_putting_an_approval_again_replaces_it(store: StateStore) -> None:
    await store.put_approval(asked("a1"))
    again = asked("a1", tool="send_sms", expires_at=NOW + 2 * TTL)
    await store.put_approval(again)
    assert await store.approval("a1") == again


# --- deciding -----------------------------------------------------------------------------------


@pytest.mark.parametrize("first", [True, False])
async def test_an_approval_is_decided_once(store: StateStore, first: bool) -> None:
    await store.put_approval(asked())
    decided = await store.decide_approval("a1", approved=first, now=NOW + 1)
    assert decided == asked(status="approved" if first else "declined", decided_at=NOW + 1)
    assert await store.decide_approval("a1", approved=not first, now=NOW + 2) is None
    assert await store.decide_approval("a1", approved=first, now=NOW + 3) is None
    assert await store.approval("a1") == decided


async def test_an_expired_or_unknown_approval_cannot_be_decided(store: StateStore) -> None:
    await store.put_approval(asked())
    assert await store.decide_approval("a1", approved=True, now=NOW + TTL) is None  # expired at its expiry
    assert await store.decide_approval("a1", approved=False, now=NOW + TTL + 1) is None
    assert await store.approval("a1") == asked()
    assert await store.decide_approval("never", approved=True, now=NOW) is None


async def test_an_approval_can_be_decided_until_just_before_it_expires(store: StateStore) -> None:
    await store.put_approval(asked())
    decided = await store.decide_approval("a1", approved=True, now=NOW + TTL - 0.001)
    assert decided is not None
    assert decided.status == "approved"


async def test_a_used_approval_cannot_be_decided_again(store: StateStore) -> None:
    await approved(store)
    assert await use(store) is not None
    assert await store.decide_approval("a1", approved=True, now=NOW + 3) is None
    assert await store.decide_approval("a1", approved=False, now=NOW + 3) is None
    assert (await store.approval("a1")) == asked(status="used", decided_at=NOW + 1)


# --- using --------------------------------------------------------------------------------------


async def test_an_approval_is_used_once(store: StateStore) -> None:
    await approved(store)
    assert await use(store) == asked(status="used", decided_at=NOW + 1)
    assert await use(store) is None
    assert await store.approval("a1") == asked(status="used", decided_at=NOW + 1)


async def test_an_approval_not_yet_decided_cannot_be_used(store: StateStore) -> None:
    await store.put_approval(asked())
    assert await use(store) is None
    assert await store.approval("a1") == asked()


async def test_a_declined_approval_cannot_be_used(store: StateStore) -> None:
    await store.put_approval(asked())
    assert await store.decide_approval("a1", approved=False, now=NOW + 1) is not None
    assert await use(store) is None
    assert (await store.approval("a1")) == asked(status="declined", decided_at=NOW + 1)


@pytest.mark.parametrize("field", ["tool", "payload_hash", "caller"])
async def test_an_approval_is_bound_to_its_tool_arguments_and_caller(store: StateStore, field: str) -> None:
    await approved(store)
    assert await use(store, call={**CALL, field: "other"}) is None
    assert await pending(store, call={**CALL, field: "other"}) is None
    assert (await store.approval("a1")) == asked(status="approved", decided_at=NOW + 1)
    assert await use(store) is not None


async def test_an_expired_approval_cannot_be_used(store: StateStore) -> None:
    await approved(store)
    assert await use(store, now=NOW + TTL) is None
    assert await use(store, now=NOW + TTL + 60) is None
    assert (await store.approval("a1")) == asked(status="approved", decided_at=NOW + 1)
    assert await use(store, now=NOW + TTL - 0.001) is not None


async def test_use_spends_the_newest_approval_of_the_call(store: StateStore) -> None:
    await approved(store, asked("older", created_at=NOW - 10))
    await approved(store, asked("newer"))
    await store.put_approval(asked("newest-pending", created_at=NOW + 1))
    await approved(store, asked("other-call", created_at=NOW + 1, caller="c2"))
    assert [(await use(store) or asked("none")).id for _ in range(3)] == ["newer", "older", "none"]
    assert (await store.approval("newest-pending")) == asked("newest-pending", created_at=NOW + 1)
    assert (await store.approval("other-call") or asked()).status == "approved"


# --- the page a repeated call reuses ------------------------------------------------------------


async def test_pending_approval_finds_the_newest_open_approval_of_the_call(store: StateStore) -> None:
    assert await pending(store) is None
    await store.put_approval(asked("older", created_at=NOW - 10))
    await store.put_approval(asked("newer"))
    await store.put_approval(asked("declined", status="declined", created_at=NOW + 1))
    await store.put_approval(asked("used", status="used", created_at=NOW + 1))
    await store.put_approval(asked("other", created_at=NOW + 1, payload_hash="p2"))
    assert await pending(store) == asked("newer")
    assert await store.decide_approval("newer", approved=True, now=NOW + 1) is not None
    assert await pending(store) == asked("newer", status="approved", decided_at=NOW + 1)  # approved: still open
    assert await use(store) is not None
    assert await pending(store) == asked("older", created_at=NOW - 10)


async def test_pending_approval_respects_expiry(store: StateStore) -> None:
    await store.put_approval(asked("a1"))
    await store.put_approval(asked("a2", created_at=NOW - 1, expires_at=NOW + 2 * TTL))
    assert (await pending(store, now=NOW + TTL - 0.001) or asked("none")).id == "a1"
    assert (await pending(store, now=NOW + TTL) or asked("none")).id == "a2"
    assert await pending(store, now=NOW + 2 * TTL) is None


# --- races between replicas ---------------------------------------------------------------------


async def test_concurrent_uses_of_one_approval_spend_it_exactly_once(backend: Backend) -> None:
    """20 calls over two store objects (two connections to one file, or two pools) on one database."""
    stores = [await backend.open(), await backend.open()]
    await approved(stores[0])
    spent: list[ApprovalRecord | None] = []

    async def attempt(n: int) -> None:
        spent.append(await use(stores[n % 2]))

    async with anyio.create_task_group() as group:
        for n in range(20):
            group.start_soon(attempt, n)
    assert len(spent) == 20
    assert [record for record in spent if record is not None] == [asked(status="used", decided_at=NOW + 1)]
    assert await stores[1].approval("a1") == asked(status="used", decided_at=NOW + 1)


async def test_concurrent_decisions_change_an_approval_exactly_once(backend: Backend) -> None:
    stores = [await backend.open(), await backend.open()]
    await stores[0].put_approval(asked())
    decided: dict[int, ApprovalRecord | None] = {}

    async def attempt(n: int) -> None:
        # Each decision its own moment, so that the record tells whose decision it holds.
        decided[n] = await stores[n % 2].decide_approval("a1", approved=n % 3 == 0, now=NOW + 1 + n)

    async with anyio.create_task_group() as group:
        for n in range(20):
            group.start_soon(attempt, n)
    assert len(decided) == 20
    [(winner, record)] = [(n, record) for n, record in decided.items() if record is not None]
    assert record == asked(status="approved" if winner % 3 == 0 else "declined", decided_at=NOW + 1 + winner)
    assert await stores[1].approval("a1") == record


# --- retention ----------------------------------------------------------------------------------


async def test_prune_deletes_expired_approvals_whatever_their_status(store: StateStore) -> None:
    statuses: list[ApprovalStatus] = ["pending", "approved", "declined", "used"]
    for status in statuses:
        await store.put_approval(asked(f"expired-{status}", status=status, expires_at=NOW - 1))
        await store.put_approval(asked(f"open-{status}", status=status, expires_at=NOW + 1))
    await store.put_approval(asked("expires-now", expires_at=NOW))
    await store.prune(audit_before=NOW, ledger_before=NOW, now=NOW)
    for status in statuses:
        assert await store.approval(f"expired-{status}") is None
        assert await store.approval(f"open-{status}") is not None
    assert await store.approval("expires-now") is None


# --- the migration ------------------------------------------------------------------------------


def approvals_objects(backend: Backend) -> set[str]:
    """The names of the approvals table and of its indexes, in the test's database."""
    if backend.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE tbl_name = 'approvals' AND sql IS NOT NULL"
    else:
        query = (
            "SELECT c.relname FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relname LIKE 'approvals%'"
        )
    return {name for (name,) in backend.sql(query)}


async def test_a_database_of_schema_1_gains_approvals_when_replicas_open_it_at_once(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database written by the release before approvals: its data stays, and stores that open it at
    once add the approvals table once."""
    every = schema.migrations
    with monkeypatch.context() as patch:
        patch.setattr(schema, "migrations", lambda dialect: every(dialect)[:1])
        old = await backend.open()
        await old.put_token(TokenRecord("t1", "send_email", "p1", NOW))
        await old.close()
    assert backend.sql("SELECT version FROM schema_version") == [(1,)]
    assert approvals_objects(backend) == set()

    stores = [backend.new() for _ in range(4)]
    async with anyio.create_task_group() as group:
        for store in stores:
            group.start_soon(store.open)
    dialect: Dialect = "sqlite" if backend.name == "sqlite" else "postgres"
    assert backend.sql("SELECT version FROM schema_version ORDER BY version") == [
        (version,) for version in range(1, schema.latest(dialect) + 1)
    ]
    assert {"approvals", "approvals_call", "approvals_expires_at"} <= approvals_objects(backend)
    assert await stores[0].take_token("t1") == TokenRecord("t1", "send_email", "p1", NOW)
    await approved(stores[1])
    assert await use(stores[2]) == asked(status="used", decided_at=NOW + 1)
