"""The duplicate-send ledger (reserve, settle, the rules that refuse a repeat), single-use
confirmation tokens bound to the payload, and per-caller rate limits, over the SQLite store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from esputnik_mcp.safety.confirm import Confirmations, payload_hash
from esputnik_mcp.safety.guards import RateLimits
from esputnik_mcp.safety.ledger import Ledger, RecipientOutcome
from esputnik_mcp.store import SQLiteStore
from esputnik_mcp.toolspec import Audience, Kind, SendPlan

pytestmark = pytest.mark.anyio

PLAN = SendPlan(
    channel="email",
    audience=Audience(("olena@example.com",)),
    content="Hello",
    content_key="h:abc",
    message_key="m:hello",
)
STALE = 52.0


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def store() -> AsyncIterator[SQLiteStore]:
    opened = SQLiteStore(":memory:")
    await opened.open()
    yield opened
    await opened.close()


async def sent(ledger: Ledger, plan: SendPlan = PLAN, status: str = "sent", request_id: str = "r-1") -> None:
    reservation, refusal = await ledger.reserve("send_email", plan, allow_duplicate=True)
    assert refusal is None
    await ledger.settle(reservation, plan, [RecipientOutcome("olena@example.com", status, request_id)])


async def test_same_send_within_24_hours_is_refused_unless_allowed(store: SQLiteStore) -> None:
    clock = Clock()
    ledger = Ledger(store, stale_after=STALE, clock=clock)
    assert await ledger.check(PLAN, allow_duplicate=False) is None
    await sent(ledger)
    refusal = await ledger.check(PLAN, allow_duplicate=False)
    assert refusal is not None
    assert refusal.guard == "duplicate"
    assert "r-1" in refusal.message
    _, reserved = await ledger.reserve("send_email", PLAN, allow_duplicate=False)
    assert reserved is not None  # the store applies the same rule
    assert await ledger.check(PLAN, allow_duplicate=True) is None
    other_content = SendPlan(channel="email", audience=PLAN.audience, content="Other", content_key="h:def")
    assert await ledger.check(other_content, allow_duplicate=False) is None
    clock.now += 24 * 3600 + 1
    assert await ledger.check(PLAN, allow_duplicate=False) is None


async def test_a_send_in_flight_refuses_even_a_deliberate_duplicate(store: SQLiteStore) -> None:
    clock = Clock()
    ledger = Ledger(store, stale_after=STALE, clock=clock)
    first, refusal = await ledger.reserve("send_email", PLAN, allow_duplicate=False)
    assert refusal is None
    _, second = await ledger.reserve("send_email", PLAN, allow_duplicate=True)
    assert second is not None
    assert "in flight" in second.message
    clock.now += STALE + 1  # its process died: the reservation is an unknown outcome now
    _, stale = await ledger.reserve("send_email", PLAN, allow_duplicate=False)
    assert stale is not None
    assert "unknown outcome" in stale.message
    assert await store.expire_pending(stale_before=clock.now - STALE) == 2  # its exact and message entries
    await ledger.settle(first, PLAN, [RecipientOutcome("olena@example.com", "sent", "late")])


async def test_unknown_outcome_blocks_a_resend_of_the_message_whatever_the_body(store: SQLiteStore) -> None:
    ledger = Ledger(store, stale_after=STALE, clock=Clock())
    await sent(ledger, status="unknown", request_id="r-9")
    retouched = SendPlan(
        channel="email", audience=PLAN.audience, content="Hello", content_key="h:other-body", message_key="m:hello"
    )
    refusal = await ledger.check(retouched, allow_duplicate=False)
    assert refusal is not None
    assert "unknown outcome" in refusal.message
    assert "get_message_status" in refusal.message
    assert "r-9" in refusal.message


async def test_a_sent_message_does_not_block_a_different_body(store: SQLiteStore) -> None:
    ledger = Ledger(store, stale_after=STALE, clock=Clock())
    await sent(ledger)
    corrected = SendPlan(
        channel="email", audience=PLAN.audience, content="Hello", content_key="h:corrected", message_key="m:hello"
    )
    assert await ledger.check(corrected, allow_duplicate=False) is None


async def test_a_failed_send_is_not_a_duplicate(store: SQLiteStore) -> None:
    ledger = Ledger(store, stale_after=STALE, clock=Clock())
    await sent(ledger, status="failed")
    assert await ledger.check(PLAN, allow_duplicate=False) is None


async def test_known_as_makes_two_namings_one_recipient(store: SQLiteStore) -> None:
    ledger = Ledger(store, stale_after=STALE, clock=Clock())
    await sent(ledger)
    by_id = SendPlan(
        channel="email",
        audience=Audience(("contact:7",), known_as={"contact:7": "Olena@Example.com"}),
        content="Hello",
        content_key="h:abc",
    )
    assert await ledger.check(by_id, allow_duplicate=False) is not None


async def test_ledger_stores_masked_recipients_only(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "state.sqlite3")
    await store.open()
    await sent(Ledger(store, stale_after=STALE, clock=Clock()))
    await store.close()
    assert b"olena@example.com" not in (tmp_path / "state.sqlite3").read_bytes()


async def test_confirmation_token_is_single_use_bound_to_payload_and_expires(store: SQLiteStore) -> None:
    clock = Clock()
    confirmations = Confirmations(store, clock=clock)
    args = {"to": "olena@example.com", "subject": "Hello", "confirmation_token": None}
    digest = payload_hash("send_email", args)
    assert digest == payload_hash("send_email", {**args, "confirmation_token": "anything"})

    token, _ = await confirmations.issue("send_email", digest)
    assert await confirmations.redeem(token, "send_email", digest) is None
    reused = await confirmations.redeem(token, "send_email", digest)
    assert reused is not None
    assert "already used" in reused.message

    token, _ = await confirmations.issue("send_email", digest)
    altered = await confirmations.redeem(token, "send_email", payload_hash("send_email", {**args, "subject": "Hi"}))
    assert altered is not None
    assert "differ" in altered.message

    token, _ = await confirmations.issue("send_email", digest)
    clock.now += 601
    expired = await confirmations.redeem(token, "send_email", digest)
    assert expired is not None
    assert "expired" in expired.message


async def test_rate_limits_count_per_caller_and_for_all_callers(store: SQLiteStore) -> None:
    clock = Clock()
    clock.now = 1_700_000_080.0  # 20 s before the minute turns
    limits = RateLimits(store, per_caller={Kind.READ: 3}, total={Kind.READ: 5}, clock=clock)
    assert [await limits.check(Kind.READ, "alice") for _ in range(3)] == [None] * 3
    alice = await limits.check(Kind.READ, "alice")
    assert alice is not None
    assert "from this caller" in alice.message
    assert "retry in 20 s" in alice.message
    assert [await limits.check(Kind.READ, "bob") for _ in range(2)] == [None] * 2  # bob is not locked out by alice
    everyone = await limits.check(Kind.READ, "carol")
    assert everyone is not None
    assert "ESPUTNIK_READS_PER_MINUTE_TOTAL" in everyone.message
    assert await limits.check(Kind.SEND, "alice") is None  # other kinds have their own budget
    clock.now += 21
    assert await limits.check(Kind.READ, "alice") is None


async def test_the_gate_prunes_what_is_past_its_retention_when_it_opens(tmp_path: Path) -> None:
    from esputnik_mcp.server.gate import Gate
    from esputnik_mcp.settings import Settings
    from esputnik_mcp.store import AuditRecord

    clock = Clock()
    store = SQLiteStore(tmp_path / "state.sqlite3")
    await store.open()
    day = 24 * 3600
    for age in (91, 89):
        record = AuditRecord(at=clock.now - age * day, tool=f"{age} days ago", arguments_hash="h", outcome="ok")
        await store.append_audit(record)
    await store.close()
    gate = Gate.from_settings(
        Settings(_env_file=None, audit_retention_days=90), SQLiteStore(tmp_path / "state.sqlite3"), clock=clock
    )
    await gate.ready()
    assert [r.tool for r in await gate.store.audit()] == ["89 days ago"]
    await gate.store.close()
