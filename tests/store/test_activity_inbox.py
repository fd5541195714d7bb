"""The webhook inbox's part of the store, run on SQLite and on PostgreSQL alike: activity events stored
once however often they arrive, a batch stored all or none, marks that keep the newest word whatever
order their events come in, queries and their pages, and retention."""

from __future__ import annotations

import dataclasses
import itertools
import random

import anyio
import pytest

from esputnik_mcp.store import (
    ActivityFilter,
    ActivityPage,
    ActivityRecord,
    InboxStats,
    Mark,
    StateStore,
    StoreUnavailable,
    TokenRecord,
    schema,
)
from esputnik_mcp.store.schema import Dialect
from tests.store.conftest import Backend

pytestmark = pytest.mark.anyio

NOW = 1_750_000_000.0

STATUSES = ["DELIVERED", "READ", "CLICKED", "UNDELIVERED"]


def event(key: str, *, at: float = NOW, status: str = "DELIVERED", **fields: object) -> ActivityRecord:
    """An email event of ``key`` at ``at``, received a second later, unless ``fields`` say otherwise."""
    record = ActivityRecord(key=key, at=at, status=status, channel="email", received_at=at + 1)
    return dataclasses.replace(record, **fields)  # type: ignore[arg-type]


def mark(status: str, at: float, *, subject: str = "email:o@example.com", channel: str = "email") -> Mark:
    """A mark of ``subject`` on ``channel``; a hard bounce, an unsubscribe or spam suppresses."""
    suppressing = status in {"HARD_BOUNCE", "UNSUBSCRIBED", "SPAM"}
    return Mark(channel, subject, status, suppressing, at, "bounced" if suppressing else None)


def varied(count: int, *, seed: int = 7) -> list[ActivityRecord]:
    """``count`` events whose fields vary, some absent, two by two at the same time (ties are ordered by key)."""
    pick = random.Random(seed)
    return [
        ActivityRecord(
            key=f"e-{n:04d}-{pick.randrange(16**6):06x}",
            at=NOW + n // 2,
            status=pick.choice(STATUSES),
            channel=pick.choice(["email", "sms"]),
            received_at=NOW + 100 + n,
            request_id=pick.choice(["rq0", "rq1", "rq2", "rq3", None]),
            external_request_id=pick.choice(["ext1", "ext2", None, None]),
            contact_id=pick.choice([1, 2, 3, None]),
            email=pick.choice(["a@example.com", "b@example.com", None]),
            phone=pick.choice(["380501234567", "380661234567", None]),
            message_id=pick.choice([500, None]),
            message_instance_id=pick.choice([9_000_000_001, None]),
            broadcast_id=pick.choice([10, 11, None]),
            hard_bounce=pick.random() < 0.1,
            data=f'{{"n": {n}, "activityStatus": "x"}}',
        )
        for n in range(count)
    ]


def matches(record: ActivityRecord, query: ActivityFilter) -> bool:
    """What the filter means, in Python: every criterion given holds."""
    equal = {
        "external_request_id": query.external_request_id,
        "contact_id": query.contact_id,
        "email": query.email,
        "phone": query.phone,
        "channel": query.channel,
        "broadcast_id": query.broadcast_id,
    }
    return (
        all(wanted is None or getattr(record, name) == wanted for name, wanted in equal.items())
        and (not query.request_ids or record.request_id in query.request_ids)
        and (not query.statuses or record.status in query.statuses)
        and (query.since is None or record.at >= query.since)
        and (query.until is None or record.at < query.until)
    )


def newest_first(records: list[ActivityRecord]) -> list[ActivityRecord]:
    return sorted(records, key=lambda record: (record.at, record.key), reverse=True)


def counts_of(records: list[ActivityRecord]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in records:
        counts[record.status] = counts.get(record.status, 0) + 1
    return counts


async def every_page(store: StateStore, query: ActivityFilter, limit: int) -> list[ActivityPage]:
    pages = [await store.activity(query, limit=limit)]
    while pages[-1].after is not None:
        assert len(pages) < 1000
        pages.append(await store.activity(query, limit=limit, after=pages[-1].after))
    return pages


async def stored(store: StateStore) -> list[ActivityRecord]:
    """Every stored event, newest first, read page by page."""
    return [record for page in await every_page(store, ActivityFilter(), 500) for record in page.records]


async def stored_keys(store: StateStore) -> list[str]:
    return [record.key for record in await stored(store)]


# --- adding events --------------------------------------------------------------------------------


async def test_events_read_back_as_written(store: StateStore) -> None:
    full = varied(1)[0]
    full = dataclasses.replace(full, hard_bounce=True, data='{"text": "Привіт, \\u0000 ✓", "unknown": [1, 2]}')
    bare = event("bare", at=NOW - 1)
    assert await store.add_activity([full, bare], []) == 2
    page = await store.activity(ActivityFilter(), limit=10)
    assert page.records == [full, bare]
    assert page.total == 2
    assert page.after is None


async def test_an_event_added_again_is_stored_once(store: StateStore) -> None:
    records = varied(20)
    assert await store.add_activity(records, []) == 20
    assert await store.add_activity(records, []) == 0
    assert await store.add_activity(list(reversed(records)), []) == 0
    # The same key again is the same event: the stored one stays as it is, even if this one differs.
    assert await store.add_activity([dataclasses.replace(records[0], status="CLICKED"), event("new")], []) == 1
    assert await store.inbox_stats() == InboxStats(events=21, last_received_at=records[-1].received_at)
    assert [record for record in await stored(store) if record.key == records[0].key] == [records[0]]


async def test_a_key_given_twice_in_one_batch_is_one_event(store: StateStore) -> None:
    first, second = event("k1", status="DELIVERED"), event("k1", status="READ")
    assert await store.add_activity([first, second, event("k2")], []) == 2
    assert (await store.activity(ActivityFilter(), limit=10)).records == [event("k2"), first]


async def test_times_in_whole_seconds_mixed_with_fractions_are_stored(store: StateStore) -> None:
    whole = int(NOW)
    records = [event("whole", at=whole, received_at=whole), event("fraction", at=NOW + 0.25, received_at=NOW + 0.5)]
    marks = [mark("DELIVERED", whole), mark("READ", NOW + 0.5, subject="email:b@example.com")]
    assert await store.add_activity(records, marks) == 2
    assert [(record.key, record.at) for record in await stored(store)] == [("fraction", NOW + 0.25), ("whole", NOW)]
    assert [m.at for m in await store.marks("email", ["email:o@example.com", "email:b@example.com"])] == [
        NOW + 0.5,
        NOW,
    ]
    assert await store.inbox_stats() == InboxStats(events=2, last_received_at=NOW + 0.5)


async def test_adding_nothing_stores_nothing(store: StateStore) -> None:
    assert await store.add_activity([], []) == 0
    assert await store.inbox_stats() == InboxStats(events=0, last_received_at=None)


async def test_a_thousand_events_are_stored_by_one_call(store: StateStore) -> None:
    records = varied(1000)
    assert await store.add_activity(records, [mark("DELIVERED", NOW)]) == 1000
    assert await store.inbox_stats() == InboxStats(events=1000, last_received_at=NOW + 100 + 999)
    page = await store.activity(ActivityFilter(), limit=1)
    assert page.total == 1000
    assert page.counts == counts_of(records)
    assert sorted(await stored_keys(store)) == sorted(record.key for record in records)


@pytest.mark.parametrize("refused", ["the last event", "an event halfway", "the mark"])
async def test_a_batch_the_database_refuses_in_part_stores_nothing(store: StateStore, refused: str) -> None:
    """1,000 events and a mark in one call: one value the database refuses (a NOT NULL column given
    None) and none of them is stored, not even those written before it in the same transaction."""
    await store.add_activity([event("before")], [mark("DELIVERED", NOW - 10, subject="email:before@example.com")])
    records = [event(f"e-{n:04d}", at=NOW + n) for n in range(1000)]
    marks = [mark("DELIVERED", NOW), mark("READ", NOW, subject="email:other@example.com")]
    if refused == "the last event":
        records[-1] = dataclasses.replace(records[-1], channel=None)  # type: ignore[arg-type]
    elif refused == "an event halfway":
        records[500] = dataclasses.replace(records[500], status=None)  # type: ignore[arg-type]
    else:
        marks[-1] = dataclasses.replace(marks[-1], status=None)  # type: ignore[arg-type]
    with pytest.raises(StoreUnavailable):
        await store.add_activity(records, marks)
    assert await store.inbox_stats() == InboxStats(events=1, last_received_at=NOW + 1)
    assert await stored_keys(store) == ["before"]
    assert await store.marks("email", ["email:o@example.com", "email:other@example.com"]) == []
    assert [m.subject for m in await store.marks("email", ["email:before@example.com"])] == ["email:before@example.com"]
    # The same batch, corrected, is stored whole.
    records = [event(f"e-{n:04d}", at=NOW + n) for n in range(1000)]
    assert await store.add_activity(records, marks[:1]) == 1000
    assert (await store.inbox_stats()).events == 1001


# --- marks ----------------------------------------------------------------------------------------


async def test_a_newer_mark_replaces_an_older_one_and_not_the_other_way_round(store: StateStore) -> None:
    await store.add_activity([], [mark("DELIVERED", NOW)])
    await store.add_activity([], [mark("HARD_BOUNCE", NOW + 10)])
    assert await store.marks("email", ["email:o@example.com"]) == [mark("HARD_BOUNCE", NOW + 10)]
    # A replayed older delivery leaves the bounce; a later click clears it.
    await store.add_activity([], [mark("DELIVERED", NOW + 5)])
    assert await store.marks("email", ["email:o@example.com"]) == [mark("HARD_BOUNCE", NOW + 10)]
    await store.add_activity([], [mark("CLICKED", NOW + 20)])
    assert await store.marks("email", ["email:o@example.com"]) == [mark("CLICKED", NOW + 20)]


@pytest.mark.parametrize("bounce_first", [True, False])
async def test_of_marks_at_the_same_time_the_suppressing_one_wins(store: StateStore, bounce_first: bool) -> None:
    given = [mark("HARD_BOUNCE", NOW), mark("DELIVERED", NOW)]
    for one in given if bounce_first else reversed(given):
        await store.add_activity([], [one])
    assert await store.marks("email", ["email:o@example.com"]) == [mark("HARD_BOUNCE", NOW)]
    # In one batch too, in either order.
    both = [dataclasses.replace(one, subject="email:b@example.com") for one in given]
    await store.add_activity([], both if bounce_first else both[::-1])
    assert [m.status for m in await store.marks("email", ["email:b@example.com"])] == ["HARD_BOUNCE"]


async def test_marks_keep_the_newest_word_in_every_order(store: StateStore) -> None:
    """Four marks of one address, in each of the 24 orders (each order on an address of its own):
    one per call, and all in one call, the newest is what stays."""
    statuses = [("DELIVERED", NOW), ("UNSUBSCRIBED", NOW + 1), ("READ", NOW + 2), ("SPAM", NOW + 2)]
    for n, order in enumerate(itertools.permutations(statuses)):
        one_by_one, together = f"email:{n}@one.example", f"email:{n}@all.example"
        for status, at in order:
            await store.add_activity([], [mark(status, at, subject=one_by_one)])
        await store.add_activity([], [mark(status, at, subject=together) for status, at in order])
        found = await store.marks("email", [one_by_one, together])
        assert found == [mark("SPAM", NOW + 2, subject=together), mark("SPAM", NOW + 2, subject=one_by_one)], order


async def test_marks_are_kept_per_channel_and_subject(store: StateStore) -> None:
    await store.add_activity(
        [],
        [
            mark("HARD_BOUNCE", NOW, subject="email:a@example.com"),
            mark("DELIVERED", NOW, subject="email:b@example.com"),
            mark("UNDELIVERED", NOW, channel="sms", subject="phone:380501234567"),
            mark("DELIVERED", NOW, channel="viber", subject="phone:380501234567"),
        ],
    )
    found = await store.marks("email", ["email:b@example.com", "email:a@example.com", "phone:380501234567"])
    assert [(m.subject, m.status, m.suppressing) for m in found] == [
        ("email:a@example.com", "HARD_BOUNCE", True),
        ("email:b@example.com", "DELIVERED", False),
    ]
    assert [m.status for m in await store.marks("sms", ["phone:380501234567"])] == ["UNDELIVERED"]
    assert await store.marks("webpush", ["phone:380501234567"]) == []
    assert await store.marks("email", []) == []


async def test_marks_of_more_than_a_thousand_subjects_are_found(store: StateStore) -> None:
    written = [mark("DELIVERED", NOW + n, subject=f"email:{n:05d}@example.com") for n in range(1500)]
    await store.add_activity([], written)
    await store.add_activity([], [mark("READ", NOW, channel="sms", subject="email:00001@example.com")])
    asked = [f"email:{n:05d}@example.com" for n in range(2500)] + ["email:00007@example.com"] * 3
    found = await store.marks("email", asked)
    assert found == written


# --- queries --------------------------------------------------------------------------------------

FILTERS = [
    ActivityFilter(),
    ActivityFilter(request_ids=["rq1"]),
    ActivityFilter(request_ids=["rq1", "rq3", "never"]),
    ActivityFilter(external_request_id="ext1"),
    ActivityFilter(contact_id=2),
    ActivityFilter(email="b@example.com"),
    ActivityFilter(phone="380661234567"),
    ActivityFilter(statuses=["READ"]),
    ActivityFilter(statuses=["READ", "CLICKED"]),
    ActivityFilter(channel="sms"),
    ActivityFilter(broadcast_id=11),
    ActivityFilter(since=NOW + 10),
    ActivityFilter(until=NOW + 10),
    ActivityFilter(since=NOW + 10, until=NOW + 20),
    ActivityFilter(request_ids=["rq0", "rq2"], statuses=["DELIVERED", "READ"], since=NOW + 5),
    ActivityFilter(contact_id=1, channel="email", until=NOW + 30),
    ActivityFilter(email="a@example.com", statuses=["CLICKED", "UNDELIVERED"], broadcast_id=10),
    ActivityFilter(phone="380501234567", external_request_id="ext2", channel="sms"),
    ActivityFilter(request_ids=["rq1", "rq2"], contact_id=3, phone="380501234567", broadcast_id=11),
]

# Filters nothing matches.
NOTHING = [
    ActivityFilter(request_ids=["never"]),
    ActivityFilter(since=NOW + 10, until=NOW + 10),
    ActivityFilter(email="A@example.com"),  # stored lower-cased: a query must be normalised too
    ActivityFilter(contact_id=1, email="a@example.com", phone="380501234567", channel="viber"),
]


async def test_each_filter_alone_and_combined_finds_what_it_means(store: StateStore) -> None:
    records = varied(120)
    await store.add_activity(records, [])
    for query in FILTERS + NOTHING:
        wanted = newest_first([record for record in records if matches(record, query)])
        page = await store.activity(query, limit=200)
        assert page.records == wanted, query
        assert page.total == len(wanted), query
        assert page.counts == counts_of(wanted), query
        assert page.after is None, query
        # Each criterion narrows: the filters pick real subsets, neither everything nor nothing.
        assert (query == ActivityFilter()) == (len(wanted) == 120), query
        assert (query in NOTHING) == (wanted == []), query


async def test_since_is_inclusive_and_until_exclusive(store: StateStore) -> None:
    await store.add_activity([event(f"at-{n}", at=NOW + n) for n in range(5)], [])
    page = await store.activity(ActivityFilter(since=NOW + 1, until=NOW + 3), limit=10)
    assert [record.key for record in page.records] == ["at-2", "at-1"]


@pytest.mark.parametrize(
    ("query", "limit"),
    [(ActivityFilter(), 7), (ActivityFilter(), 1), (ActivityFilter(statuses=["READ", "CLICKED"], channel="email"), 4)],
)
async def test_paging_yields_each_event_once_newest_first(store: StateStore, query: ActivityFilter, limit: int) -> None:
    records = varied(150)
    await store.add_activity(records, [])
    wanted = newest_first([record for record in records if matches(record, query)])
    pages = await every_page(store, query, limit)
    assert [record for page in pages for record in page.records] == wanted
    assert all(len(page.records) == limit for page in pages[:-1])
    assert 0 < len(pages[-1].records) <= limit
    for page in pages:
        assert (page.total, page.counts) == (len(wanted), counts_of(wanted))
    for page in pages[:-1]:
        assert page.after == (page.records[-1].at, page.records[-1].key)
    assert pages[-1].after is None


async def test_a_page_that_ends_with_the_last_event_says_none_follow(store: StateStore) -> None:
    await store.add_activity([event(f"k{n:02d}", at=NOW) for n in range(21)], [])  # one time: ordered by key
    pages = await every_page(store, ActivityFilter(), 7)
    assert [len(page.records) for page in pages] == [7, 7, 7]
    assert [page.after for page in pages] == [(NOW, "k14"), (NOW, "k07"), None]
    assert [record.key for record in pages[0].records] == [f"k{n:02d}" for n in range(20, 13, -1)]


async def test_events_arriving_between_pages_do_not_shift_the_pages(store: StateStore) -> None:
    await store.add_activity([event(f"k{n:02d}", at=NOW + n) for n in range(10)], [])
    first = await store.activity(ActivityFilter(), limit=5)
    await store.add_activity([event("newer", at=NOW + 100), event("k04b", at=NOW + 4)], [])
    second = await store.activity(ActivityFilter(), limit=5, after=first.after)
    assert [record.key for record in first.records] == ["k09", "k08", "k07", "k06", "k05"]
    assert [record.key for record in second.records] == ["k04b", "k04", "k03", "k02", "k01"]
    assert second.total == 12


async def test_a_page_of_no_events_still_counts_them(store: StateStore) -> None:
    records = varied(30)
    await store.add_activity(records, [])
    page = await store.activity(ActivityFilter(), limit=0)
    assert page == ActivityPage(records=[], total=30, counts=counts_of(records), after=None)
    empty = await store.activity(ActivityFilter(request_ids=["never"]), limit=10)
    assert empty == ActivityPage(records=[], total=0, counts={}, after=None)


# --- statistics and retention ---------------------------------------------------------------------


async def test_inbox_stats_counts_events_and_the_last_delivery(store: StateStore) -> None:
    assert await store.inbox_stats() == InboxStats(events=0, last_received_at=None)
    await store.add_activity([event("late", received_at=NOW + 50), event("early", received_at=NOW + 20)], [])
    await store.add_activity([event("older", at=NOW - 100, received_at=NOW + 30)], [])
    assert await store.inbox_stats() == InboxStats(events=3, last_received_at=NOW + 50)


async def test_prune_deletes_old_events_and_marks_but_keeps_suppressing_marks(store: StateStore) -> None:
    await store.add_activity(
        [event("old", at=NOW - 100), event("edge", at=NOW), event("new", at=NOW + 1)],
        [
            mark("DELIVERED", NOW - 100, subject="email:delivered@example.com"),
            mark("HARD_BOUNCE", NOW - 100, subject="email:bounced@example.com"),
            mark("UNSUBSCRIBED", NOW - 100, subject="email:left@example.com"),
            mark("READ", NOW, subject="email:recent@example.com"),
        ],
    )
    subjects = [f"email:{name}@example.com" for name in ("delivered", "bounced", "left", "recent")]

    await store.prune(audit_before=NOW, ledger_before=NOW, now=NOW)
    assert (await store.inbox_stats()).events == 3
    assert len(await store.marks("email", subjects)) == 4

    await store.prune(audit_before=NOW, ledger_before=NOW, now=NOW, activity_before=NOW)
    assert sorted(await stored_keys(store)) == ["edge", "new"]
    assert [(m.subject, m.status) for m in await store.marks("email", subjects)] == [
        ("email:bounced@example.com", "HARD_BOUNCE"),
        ("email:left@example.com", "UNSUBSCRIBED"),
        ("email:recent@example.com", "READ"),
    ]
    # A held address stays held however old its mark; a later delivery clears it as before.
    await store.prune(audit_before=NOW, ledger_before=NOW, now=NOW, activity_before=NOW + 1000)
    assert await store.inbox_stats() == InboxStats(events=0, last_received_at=None)
    assert [m.status for m in await store.marks("email", subjects)] == ["HARD_BOUNCE", "UNSUBSCRIBED"]
    await store.add_activity([], [mark("DELIVERED", NOW + 2000, subject="email:bounced@example.com")])
    assert [m.status for m in await store.marks("email", subjects[1:2])] == ["DELIVERED"]


# --- concurrency ----------------------------------------------------------------------------------


async def test_concurrent_overlapping_batches_store_each_event_once(backend: Backend) -> None:
    """12 batches drawn from 200 events, in random orders, over two store objects (two connections, or
    two pools) at once: every event is stored once, counted new by exactly one call, and each address
    keeps its newest mark."""
    stores = [await backend.open(), await backend.open()]
    pool = varied(200, seed=11)
    pick = random.Random(3)
    batches = [pick.sample(pool, k=80) for _ in range(12)]
    # Marks of five addresses, each at a time of its own but for a delivery and a bounce at one time.
    statuses = ["DELIVERED", "READ", "HARD_BOUNCE", "UNSUBSCRIBED"]
    marks = [mark(pick.choice(statuses), NOW + n, subject=f"email:{n % 5}@example.com") for n in range(60)]
    for status in ("HARD_BOUNCE", "DELIVERED"):
        marks.append(mark(status, NOW + 100, subject="email:0@example.com"))
    added: list[int] = []

    async def add(n: int) -> None:
        added.append(await stores[n % 2].add_activity(batches[n], pick.sample(marks, k=len(marks))))

    async with anyio.create_task_group() as group:
        for n in range(len(batches)):
            group.start_soon(add, n)
    distinct = {record.key for batch in batches for record in batch}
    assert sum(added) == len(distinct)
    assert sorted(await stored_keys(stores[0])) == sorted(distinct)
    assert (await stores[1].inbox_stats()).events == len(distinct)
    found = {m.subject: (m.status, m.at) for m in await stores[1].marks("email", [m.subject for m in marks])}
    newest = {
        subject: max((m.at, m.suppressing, m.status) for m in marks if m.subject == subject)
        for subject in {m.subject for m in marks}
    }
    assert found == {subject: (status, at) for subject, (at, _, status) in newest.items()}
    assert len(found) == 5
    assert found["email:0@example.com"] == ("HARD_BOUNCE", NOW + 100)


# --- errors and the migration ---------------------------------------------------------------------


async def test_a_store_not_open_is_unavailable_for_the_inbox(backend: Backend) -> None:
    store = backend.new()
    with pytest.raises(StoreUnavailable, match="not open"):
        await store.add_activity([event("k1")], [])
    with pytest.raises(StoreUnavailable, match="not open"):
        await store.activity(ActivityFilter(), limit=10)
    with pytest.raises(StoreUnavailable, match="not open"):
        await store.marks("email", ["email:o@example.com"])
    with pytest.raises(StoreUnavailable, match="not open"):
        await store.inbox_stats()


async def test_a_database_of_schema_2_gains_the_inbox_keeping_its_data(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    every = schema.migrations
    with monkeypatch.context() as patch:
        patch.setattr(schema, "migrations", lambda dialect: every(dialect)[:2])
        old = await backend.open()
        await old.put_token(TokenRecord("t1", "send_email", "p1", NOW))
        await old.close()
    assert backend.sql("SELECT max(version) FROM schema_version") == [(2,)]

    stores = [backend.new() for _ in range(3)]
    async with anyio.create_task_group() as group:
        for store in stores:
            group.start_soon(store.open)
    dialect: Dialect = "sqlite" if backend.name == "sqlite" else "postgres"
    assert backend.sql("SELECT version FROM schema_version ORDER BY version") == [
        (version,) for version in range(1, schema.latest(dialect) + 1)
    ]
    assert await stores[0].take_token("t1") == TokenRecord("t1", "send_email", "p1", NOW)
    assert await stores[1].add_activity([event("k1")], [mark("DELIVERED", NOW)]) == 1
    assert (await stores[2].activity(ActivityFilter(), limit=5)).records == [event("k1")]
