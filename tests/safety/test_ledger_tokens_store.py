"""The duplicate-send ledger, single-use confirmation tokens bound to the payload, and the store."""

from __future__ import annotations

from pathlib import Path

from esputnik_mcp.safety.confirm import Confirmations, payload_hash
from esputnik_mcp.safety.ledger import Ledger, RecipientOutcome
from esputnik_mcp.store import AuditRecord, SQLiteStore
from esputnik_mcp.toolspec import Audience, SendPlan

PLAN = SendPlan(channel="email", audience=Audience(("olena@example.com",)), content="Hello", content_key="h:abc")


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def test_same_send_within_24_hours_is_refused_unless_allowed() -> None:
    clock = Clock()
    ledger = Ledger(SQLiteStore(":memory:"), clock=clock)
    assert ledger.check(PLAN, allow_duplicate=False) is None
    ledger.record("send_email", PLAN, [RecipientOutcome("olena@example.com", "sent", "r-1")])
    refusal = ledger.check(PLAN, allow_duplicate=False)
    assert refusal is not None
    assert refusal.guard == "duplicate"
    assert "r-1" in refusal.message
    assert ledger.check(PLAN, allow_duplicate=True) is None
    other_content = SendPlan(channel="email", audience=PLAN.audience, content="Other", content_key="h:def")
    assert ledger.check(other_content, allow_duplicate=False) is None
    clock.now += 24 * 3600 + 1
    assert ledger.check(PLAN, allow_duplicate=False) is None


def test_unknown_outcome_blocks_a_resend_with_ids_to_check() -> None:
    ledger = Ledger(SQLiteStore(":memory:"), clock=Clock())
    ledger.record("send_email", PLAN, [RecipientOutcome("olena@example.com", "unknown", "r-9")])
    refusal = ledger.check(PLAN, allow_duplicate=False)
    assert refusal is not None
    assert "unknown outcome" in refusal.message
    assert "get_message_status" in refusal.message
    assert "r-9" in refusal.message


def test_a_failed_send_is_not_a_duplicate() -> None:
    ledger = Ledger(SQLiteStore(":memory:"), clock=Clock())
    ledger.record("send_email", PLAN, [RecipientOutcome("olena@example.com", "failed")])
    assert ledger.check(PLAN, allow_duplicate=False) is None


def test_ledger_stores_masked_recipients_only(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "state.sqlite3")
    Ledger(store, clock=Clock()).record("send_email", PLAN, [RecipientOutcome("olena@example.com", "sent", "r-1")])
    store.close()
    assert b"olena@example.com" not in (tmp_path / "state.sqlite3").read_bytes()


def test_confirmation_token_is_single_use_bound_to_payload_and_expires() -> None:
    clock = Clock()
    confirmations = Confirmations(SQLiteStore(":memory:"), clock=clock)
    args = {"to": "olena@example.com", "subject": "Hello", "confirmation_token": None}
    digest = payload_hash("send_email", args)
    assert digest == payload_hash("send_email", {**args, "confirmation_token": "anything"})

    token, _ = confirmations.issue("send_email", digest)
    assert confirmations.redeem(token, "send_email", digest) is None
    reused = confirmations.redeem(token, "send_email", digest)
    assert reused is not None
    assert "already used" in reused.message

    token, _ = confirmations.issue("send_email", digest)
    altered = confirmations.redeem(token, "send_email", payload_hash("send_email", {**args, "subject": "Hi"}))
    assert altered is not None
    assert "differ" in altered.message

    token, _ = confirmations.issue("send_email", digest)
    clock.now += 601
    expired = confirmations.redeem(token, "send_email", digest)
    assert expired is not None
    assert "expired" in expired.message


def test_audit_records_read_back_newest_first(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "state.sqlite3")
    store.append_audit(AuditRecord(at=1.0, tool="send_email", arguments_hash="a", outcome="ok", request_ids=("r",)))
    store.append_audit(AuditRecord(at=2.0, tool="delete_contact", arguments_hash="b", outcome="refused", guard="x"))
    records = store.audit()
    assert [r.tool for r in records] == ["delete_contact", "send_email"]
    assert records[1].request_ids == ("r",)
    assert [r.tool for r in store.audit(since=1.5)] == ["delete_contact"]
