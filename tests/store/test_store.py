"""The state store's contract, run on SQLite and on PostgreSQL alike: every method, every rule of
``reserve``, and the atomic operations under real concurrency."""

from __future__ import annotations

import random

import anyio
import pytest

from esputnik_mcp.store import (
    AuditRecord,
    EntryKind,
    LedgerEntry,
    RefusalCount,
    Reservation,
    Settlement,
    StateStore,
    StoreUnavailable,
    TokenRecord,
)
from esputnik_mcp.store.schema import latest
from tests.store.conftest import Backend

pytestmark = pytest.mark.anyio

NOW = 1_750_000_000.0
WINDOW = 24 * 3600.0  # how long a send blocks its duplicates
STALE = 600.0  # how long a pending entry counts as in flight


def item(key: str = "k1", kind: EntryKind = "exact", recipient: str = "o***@example.com") -> Reservation:
    return Reservation(
        key=key, kind=kind, tool="send_email", channel="email", recipient=recipient, content_key=f"c-{key}"
    )


async def reserve(
    store: StateStore,
    *items: Reservation,
    reservation: str,
    now: float = NOW,
    allow_duplicate: bool = False,
) -> list[LedgerEntry]:
    return await store.reserve(
        items,
        reservation=reservation,
        now=now,
        window_start=now - WINDOW,
        stale_before=now - STALE,
        allow_duplicate=allow_duplicate,
    )


async def entry(store: StateStore, key: str = "k1") -> LedgerEntry:
    [found] = await store.ledger([key])
    return found


async def sent_before(
    store: StateStore, status: str, *, kind: EntryKind = "exact", at: float = NOW, key: str = "k1"
) -> None:
    """An entry of ``key`` reserved and settled as ``status`` at ``at``, under reservation ``old``."""
    assert await reserve(store, item(key, kind), reservation="old", now=at) == []
    if status != "pending":
        await store.settle("old", [Settlement(key, status, "rq-old")], now=at)  # type: ignore[arg-type]


# --- reserve: writing ---------------------------------------------------------------------------


async def test_reserve_writes_every_key_pending_under_the_reservation(store: StateStore) -> None:
    assert await reserve(store, item("a"), item("b", "message"), reservation="r1") == []
    found = {e.key: e for e in await store.ledger(["a", "b", "missing"])}
    assert set(found) == {"a", "b"}
    assert found["a"] == LedgerEntry(
        key="a",
        kind="exact",
        tool="send_email",
        channel="email",
        recipient="o***@example.com",
        content_key="c-a",
        status="pending",
        request_id=None,
        at=NOW,
        reservation="r1",
    )
    assert found["b"].kind == "message"
    assert found["b"].reservation == "r1"


async def test_reserving_nothing_writes_nothing(store: StateStore) -> None:
    assert await reserve(store, reservation="r1") == []
    assert await store.ledger([]) == []


async def test_a_key_given_twice_is_reserved_once(store: StateStore) -> None:
    assert await reserve(store, item("a"), item("a"), reservation="r1") == []
    assert [e.reservation for e in await store.ledger(["a"])] == ["r1"]


# --- reserve: what is in the way ----------------------------------------------------------------


@pytest.mark.parametrize("allow_duplicate", [False, True])
async def test_an_entry_in_flight_is_in_the_way_even_with_allow_duplicate(
    store: StateStore, allow_duplicate: bool
) -> None:
    await sent_before(store, "pending")
    in_the_way = await reserve(store, item(), reservation="r2", now=NOW + STALE - 1, allow_duplicate=allow_duplicate)
    assert [(e.reservation, e.status) for e in in_the_way] == [("old", "pending")]
    assert (await entry(store)).reservation == "old"


@pytest.mark.parametrize("kind", ["exact", "message"])
async def test_a_stale_pending_entry_counts_as_unknown(store: StateStore, kind: EntryKind) -> None:
    await sent_before(store, "pending", kind=kind)
    later = NOW + STALE + 1  # its process died mid-send: the outcome is unknown
    assert [e.status for e in await reserve(store, item(kind=kind), reservation="r2", now=later)] == ["pending"]
    assert await reserve(store, item(kind=kind), reservation="r2", now=later, allow_duplicate=True) == []
    assert (await entry(store)).reservation == "r2"


async def test_a_pending_entry_is_in_flight_from_exactly_stale_before(store: StateStore) -> None:
    await sent_before(store, "pending")
    assert await reserve(store, item(), reservation="r2", now=NOW + STALE, allow_duplicate=True) != []
    assert await reserve(store, item(), reservation="r2", now=NOW + STALE + 0.001, allow_duplicate=True) == []


async def test_a_sent_exact_entry_is_in_the_way_within_the_window(store: StateStore) -> None:
    await sent_before(store, "sent", kind="exact")
    in_the_way = await reserve(store, item(kind="exact"), reservation="r2", now=NOW + 3600)
    assert [(e.status, e.request_id, e.reservation) for e in in_the_way] == [("sent", "rq-old", "old")]
    assert await reserve(store, item(kind="exact"), reservation="r2", now=NOW + 3600, allow_duplicate=True) == []
    assert (await entry(store)).status == "pending"


async def test_a_sent_message_entry_is_not_in_the_way(store: StateStore) -> None:
    """A message entry blocks only after an unknown outcome: its body may differ from the last send."""
    await sent_before(store, "sent", kind="message")
    assert await reserve(store, item(kind="message"), reservation="r2", now=NOW + 3600) == []
    assert (await entry(store)).reservation == "r2"


@pytest.mark.parametrize("kind", ["exact", "message"])
async def test_an_unknown_entry_is_in_the_way_of_both_kinds(store: StateStore, kind: EntryKind) -> None:
    await sent_before(store, "unknown", kind=kind)
    in_the_way = await reserve(store, item(kind=kind), reservation="r2", now=NOW + 3600)
    assert [(e.status, e.request_id) for e in in_the_way] == [("unknown", "rq-old")]
    assert await reserve(store, item(kind=kind), reservation="r2", now=NOW + 3600, allow_duplicate=True) == []


@pytest.mark.parametrize("kind", ["exact", "message"])
async def test_a_failed_entry_is_never_in_the_way(store: StateStore, kind: EntryKind) -> None:
    await sent_before(store, "failed", kind=kind)
    assert await reserve(store, item(kind=kind), reservation="r2", now=NOW + 1) == []
    assert (await entry(store)).reservation == "r2"


@pytest.mark.parametrize("status", ["sent", "unknown"])
async def test_an_entry_before_the_window_is_never_in_the_way(store: StateStore, status: str) -> None:
    await sent_before(store, status, kind="exact")
    assert await reserve(store, item(), reservation="r2", now=NOW + WINDOW) != []  # at window_start: inside
    assert await reserve(store, item(), reservation="r2", now=NOW + WINDOW + 0.001) == []
    assert (await entry(store)).reservation == "r2"


async def test_reserve_is_all_or_none(store: StateStore) -> None:
    await sent_before(store, "sent", key="b")
    await sent_before(store, "unknown", key="d", kind="message")
    in_the_way = await reserve(
        store, item("a"), item("b"), item("c"), item("d", "message"), reservation="r2", now=NOW + 60
    )
    assert sorted((e.key, e.status) for e in in_the_way) == [("b", "sent"), ("d", "unknown")]
    assert await store.ledger(["a", "c"]) == []
    assert {e.key: e.reservation for e in await store.ledger(["b", "d"])} == {"b": "old", "d": "old"}
    assert await reserve(store, item("a"), item("c"), reservation="r3", now=NOW + 60) == []


async def test_the_entries_in_the_way_come_newest_first(store: StateStore) -> None:
    await sent_before(store, "sent", key="a", at=NOW)
    await sent_before(store, "sent", key="b", at=NOW + 10)
    in_the_way = await reserve(store, item("a"), item("b"), reservation="r2", now=NOW + 20)
    assert [e.key for e in in_the_way] == ["b", "a"]


async def test_concurrent_reservations_of_one_key_have_exactly_one_winner(backend: Backend) -> None:
    """20 calls over two store objects (two connections, or two pools) on one database."""
    stores = [await backend.open(), await backend.open()]
    results: dict[str, list[LedgerEntry]] = {}

    async def attempt(n: int) -> None:
        results[f"r{n}"] = await reserve(stores[n % 2], item(), reservation=f"r{n}")

    async with anyio.create_task_group() as group:
        for n in range(20):
            group.start_soon(attempt, n)
    winners = [name for name, in_the_way in results.items() if in_the_way == []]
    assert len(winners) == 1
    losers = [in_the_way for name, in_the_way in results.items() if name not in winners]
    assert len(losers) == 19
    assert all([(e.reservation, e.status) for e in in_the_way] == [(winners[0], "pending")] for in_the_way in losers)
    assert (await entry(stores[0])).reservation == winners[0]


async def test_concurrent_batches_sharing_keys_in_any_order_have_exactly_one_winner(backend: Backend) -> None:
    stores = [await backend.open(), await backend.open()]
    keys = ["a", "b", "c", "d", "e"]
    won: list[str] = []

    async def attempt(n: int) -> None:
        batch = [item(key) for key in random.sample(keys, k=len(keys))]
        if await reserve(stores[n % 2], *batch, reservation=f"r{n}") == []:
            won.append(f"r{n}")

    async with anyio.create_task_group() as group:
        for n in range(10):
            group.start_soon(attempt, n)
    assert len(won) == 1
    assert {e.reservation for e in await stores[0].ledger(keys)} == set(won)


# --- settle and expire --------------------------------------------------------------------------


async def test_settle_records_outcomes_of_its_own_reservation(store: StateStore) -> None:
    await reserve(store, item("a"), item("b"), item("c"), reservation="r1")
    await store.settle(
        "r1",
        [Settlement("a", "sent", "rq-1"), Settlement("b", "unknown", "rq-2"), Settlement("c", "failed")],
        now=NOW + 5,
    )
    found = {e.key: (e.status, e.request_id, e.at, e.reservation) for e in await store.ledger(["a", "b", "c"])}
    assert found == {
        "a": ("sent", "rq-1", NOW + 5, "r1"),
        "b": ("unknown", "rq-2", NOW + 5, "r1"),
        "c": ("failed", None, NOW + 5, "r1"),
    }


async def test_settle_leaves_keys_of_another_reservation_alone(store: StateStore) -> None:
    await reserve(store, item("a"), reservation="r1")
    await store.settle("r2", [Settlement("a", "sent", "rq-x")], now=NOW + 1)
    assert (await entry(store, "a")).status == "pending"
    # r1 failed, r2 reserved the key again: r1's late news must not overwrite r2's entry.
    await store.settle("r1", [Settlement("a", "failed")], now=NOW + 2)
    assert await reserve(store, item("a"), reservation="r2", now=NOW + 3) == []
    await store.settle("r1", [Settlement("a", "sent", "rq-late")], now=NOW + 4)
    assert (await entry(store, "a")).status == "pending"
    assert (await entry(store, "a")).reservation == "r2"
    await store.settle("r2", [], now=NOW + 5)


async def test_expire_pending_turns_dead_sends_unknown(store: StateStore) -> None:
    await reserve(store, item("old"), reservation="r1", now=NOW)
    await reserve(store, item("settled"), reservation="r2", now=NOW)
    await store.settle("r2", [Settlement("settled", "sent", "rq")], now=NOW)
    await reserve(store, item("fresh"), reservation="r3", now=NOW + STALE)
    assert await store.expire_pending(stale_before=NOW + 1) == 1
    found = {e.key: e.status for e in await store.ledger(["old", "settled", "fresh"])}
    assert found == {"old": "unknown", "settled": "sent", "fresh": "pending"}
    assert await store.expire_pending(stale_before=NOW + 1) == 0
    # Unknown, the entry still blocks a resend within the window.
    assert [e.status for e in await reserve(store, item("old"), reservation="r4", now=NOW + 60)] == ["unknown"]


async def test_ledger_returns_the_entries_newest_first(store: StateStore) -> None:
    for n, key in enumerate(["a", "b", "c"]):
        await reserve(store, item(key), reservation=f"r{n}", now=NOW + n)
    assert [e.key for e in await store.ledger(["a", "c", "b", "zz", "a"])] == ["c", "b", "a"]


# --- tokens -------------------------------------------------------------------------------------


async def test_a_token_is_taken_once(store: StateStore) -> None:
    record = TokenRecord(token="t1", tool="send_email", payload_hash="p1", expires_at=NOW + 300)
    await store.put_token(record)
    assert await store.take_token("t1") == record
    assert await store.take_token("t1") is None
    assert await store.take_token("never") is None


async def test_putting_a_token_again_replaces_it(store: StateStore) -> None:
    await store.put_token(TokenRecord("t1", "send_email", "p1", NOW))
    await store.put_token(TokenRecord("t1", "send_sms", "p2", NOW + 1))
    assert await store.take_token("t1") == TokenRecord("t1", "send_sms", "p2", NOW + 1)


async def test_concurrent_takes_of_a_token_have_exactly_one_winner(backend: Backend) -> None:
    stores = [await backend.open(), await backend.open()]
    await stores[0].put_token(TokenRecord("t1", "send_email", "p1", NOW))
    taken: list[TokenRecord | None] = []

    async def attempt(n: int) -> None:
        taken.append(await stores[n % 2].take_token("t1"))

    async with anyio.create_task_group() as group:
        for n in range(20):
            group.start_soon(attempt, n)
    assert [record for record in taken if record is not None] == [TokenRecord("t1", "send_email", "p1", NOW)]


# --- audit and refusals -------------------------------------------------------------------------


def audit_record(at: float, tool: str = "send_email", outcome: str = "ok", **fields: object) -> AuditRecord:
    return AuditRecord(at=at, tool=tool, arguments_hash=f"h{at}", outcome=outcome, **fields)  # type: ignore[arg-type]


async def test_an_audit_record_reads_back_as_written(store: StateStore) -> None:
    full = audit_record(
        NOW,
        outcome="refused",
        recipient_count=2,
        recipients=("o***@example.com", "+38050***67"),
        request_ids=("rq-1", "rq-2"),
        guard="duplicate",
        detail="sent 2 h ago",
        target="contacts 1,2 erase=false",
    )
    bare = audit_record(NOW + 1)
    await store.append_audit(full)
    await store.append_audit(bare)
    assert await store.audit() == [bare, full]


async def test_audit_filters_by_time_tool_and_outcome(store: StateStore) -> None:
    await store.append_audit(audit_record(NOW, "send_email", "ok"))
    await store.append_audit(audit_record(NOW + 1, "send_sms", "error"))
    await store.append_audit(audit_record(NOW + 2, "send_email", "refused"))
    await store.append_audit(audit_record(NOW + 3, "delete_contact", "ok"))

    async def ats(**filters: object) -> list[float]:
        return [record.at - NOW for record in await store.audit(**filters)]  # type: ignore[arg-type]

    assert await ats() == [3, 2, 1, 0]
    assert await ats(since=NOW + 1) == [3, 2, 1]
    assert await ats(tool="send_email") == [2, 0]
    assert await ats(outcome="ok") == [3, 0]
    assert await ats(tool="send_email", outcome="ok", since=NOW) == [0]
    assert await ats(tool="send_email", since=NOW + 0.5) == [2]
    assert await ats(limit=2) == [3, 2]
    assert await ats(limit=0) == []
    assert await ats(tool="nothing") == []


async def test_audit_records_at_the_same_time_come_latest_written_first(store: StateStore) -> None:
    for n in range(3):
        await store.append_audit(audit_record(NOW, detail=f"n{n}"))
    assert [record.detail for record in await store.audit()] == ["n2", "n1", "n0"]


async def test_refusals_are_counted_per_minute_tool_and_guard(store: StateStore) -> None:
    minute = int(NOW // 60)
    for _ in range(3):
        await store.count_refusal(minute=minute, tool="send_email", guard="duplicate")
    await store.count_refusal(minute=minute, tool="send_email", guard="rate")
    await store.count_refusal(minute=minute + 1, tool="send_sms", guard="rate")
    await store.count_refusal(minute=minute - 5, tool="send_email", guard="rate")
    assert await store.refusals() == [
        RefusalCount(minute + 1, "send_sms", "rate", 1),
        RefusalCount(minute, "send_email", "duplicate", 3),
        RefusalCount(minute, "send_email", "rate", 1),
        RefusalCount(minute - 5, "send_email", "rate", 1),
    ]
    # since keeps the minute that holds it
    assert [r.minute for r in await store.refusals(since=minute * 60 + 59.5)] == [minute + 1, minute, minute]
    assert [(r.minute, r.guard) for r in await store.refusals(tool="send_email", since=(minute - 1) * 60)] == [
        (minute, "duplicate"),
        (minute, "rate"),
    ]


async def test_concurrent_refusals_are_all_counted(backend: Backend) -> None:
    stores = [await backend.open(), await backend.open()]

    async def refuse(n: int) -> None:
        await stores[n % 2].count_refusal(minute=1, tool="t", guard="g")

    async with anyio.create_task_group() as group:
        for n in range(30):
            group.start_soon(refuse, n)
    assert await stores[0].refusals() == [RefusalCount(1, "t", "g", 30)]


# --- rate limits --------------------------------------------------------------------------------


async def test_take_counts_up_to_the_limit_per_bucket_and_window(store: StateStore) -> None:
    assert [await store.take("caller-a", window=100, limit=3) for _ in range(4)] == [True, True, True, False]
    assert await store.take("caller-a", window=101, limit=3)
    assert await store.take("caller-b", window=100, limit=3)
    assert await store.take("caller-a", window=100, limit=4)  # a higher limit counts on
    assert not await store.take("caller-a", window=100, limit=4)
    assert not await store.take("caller-c", window=100, limit=0)
    assert await store.take("caller-c", window=100, limit=1)


async def test_take_each_counts_in_turn_and_stops_at_the_first_full_bucket(store: StateStore) -> None:
    caller_then_all = [("caller", 2), ("all", 3)]
    assert [await store.take_each(caller_then_all, window=5) for _ in range(3)] == [None, None, 0]
    assert await store.take_each([("other", 2), ("all", 3)], window=5) is None  # the caller's refusal left all at 2
    assert await store.take_each([("late", 2), ("all", 3)], window=5) == 1  # all is full; late counted the call
    assert not await store.take("late", window=5, limit=1)
    assert await store.take_each([("zero", 0), ("all", 9)], window=5) == 0
    assert await store.take("all", window=5, limit=4)  # all held 3: the zero-limit refusal counted nothing
    assert await store.take_each([], window=5) is None


async def test_fifty_concurrent_takes_with_limit_ten_admit_exactly_ten(backend: Backend) -> None:
    stores = [await backend.open(), await backend.open()]
    admitted: list[bool] = []

    async def attempt(n: int) -> None:
        admitted.append(await stores[n % 2].take("everyone", window=7, limit=10))

    async with anyio.create_task_group() as group:
        for n in range(50):
            group.start_soon(attempt, n)
    assert admitted.count(True) == 10
    assert admitted.count(False) == 40


# --- retention ----------------------------------------------------------------------------------


async def test_prune_deletes_what_is_past_keeping_the_rest(store: StateStore) -> None:
    await store.append_audit(audit_record(NOW - 10))
    await store.append_audit(audit_record(NOW))
    minute = int(NOW // 60)
    await store.count_refusal(minute=minute - 1, tool="t", guard="g")
    await store.count_refusal(minute=minute, tool="t", guard="g")
    for key, status in [("sent", "sent"), ("unknown", "unknown"), ("failed", "failed"), ("pending", "pending")]:
        await sent_before(store, status, key=key, at=NOW - 100)
    await sent_before(store, "sent", key="recent", at=NOW)
    await store.put_token(TokenRecord("expired", "t", "p", NOW - 1))
    await store.put_token(TokenRecord("expiring-now", "t", "p", NOW))
    await store.put_token(TokenRecord("valid", "t", "p", NOW + 1))
    await store.take("bucket", window=5, limit=9)
    await store.take("bucket", window=6, limit=9)
    await store.take("other", window=3, limit=9)

    await store.prune(audit_before=NOW - 5, ledger_before=NOW - 50, now=NOW)

    assert [record.at for record in await store.audit()] == [NOW]
    assert [r.minute for r in await store.refusals()] == [minute]  # a minute holding NOW - 5 is not over
    keys = ["sent", "unknown", "failed", "pending", "recent"]
    assert sorted(e.key for e in await store.ledger(keys)) == ["pending", "recent"]
    assert await store.take_token("expired") is None
    assert await store.take_token("expiring-now") is None
    assert await store.take_token("valid") is not None
    # Each bucket keeps its latest window only, still counting.
    assert [await store.take("bucket", window=6, limit=2) for _ in range(2)] == [True, False]
    assert [await store.take("other", window=3, limit=2) for _ in range(2)] == [True, False]
    assert [await store.take("bucket", window=5, limit=1) for _ in range(2)] == [True, False]  # counted afresh

    await store.prune(audit_before=NOW + 120, ledger_before=NOW + 1, now=NOW + 1)
    assert await store.audit() == []
    assert await store.refusals() == []
    assert [e.key for e in await store.ledger(keys)] == ["pending"]


# --- lifetime and migrations --------------------------------------------------------------------


async def test_reopening_keeps_the_data_and_migrates_nothing_twice(backend: Backend) -> None:
    first = await backend.open()
    await reserve(first, item(), reservation="r1")
    await first.close()
    await first.close()
    again = await backend.open()
    await again.open()
    assert (await entry(again)).reservation == "r1"
    assert [row[0] for row in backend.sql("SELECT version FROM schema_version ORDER BY version")] == list(
        range(1, latest("sqlite" if backend.name == "sqlite" else "postgres") + 1)
    )


async def test_stores_opening_a_new_database_at_once_migrate_it_once(backend: Backend) -> None:
    stores = [backend.new() for _ in range(4)]
    async with anyio.create_task_group() as group:
        for store in stores:
            group.start_soon(store.open)
    assert await reserve(stores[0], item(), reservation="r1") == []
    assert [e.reservation for e in await reserve(stores[3], item(), reservation="r2")] == ["r1"]
    assert backend.sql("SELECT count(*) FROM schema_version") == [
        (latest("sqlite" if backend.name == "sqlite" else "postgres"),)
    ]


async def test_a_database_of_a_newer_release_is_refused(backend: Backend) -> None:
    await (await backend.open()).close()
    backend.sql("INSERT INTO schema_version (version, applied_at) VALUES (999, 0)")
    with pytest.raises(StoreUnavailable, match="schema version 999, newer"):
        await backend.open()


async def test_a_store_not_open_or_closed_is_unavailable(backend: Backend) -> None:
    store = backend.new()
    with pytest.raises(StoreUnavailable, match="not open"):
        await store.take("b", window=1, limit=1)
    await store.open()
    await store.close()
    with pytest.raises(StoreUnavailable, match="not open"):
        await store.ledger(["k1"])
