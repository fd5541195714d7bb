"""What both backends do the same way in Python: normalising the arguments of batch writes and
turning rows into records. The decisions themselves are made in SQL."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from esputnik_mcp.store.base import ApprovalRecord, LedgerEntry, Reservation, Settlement

# The columns of a ledger row, in the order of LedgerEntry's fields.
LEDGER_COLUMNS = "key, kind, tool, channel, recipient, content_key, status, request_id, at, reservation"

# The statuses prune may delete: everything but an entry whose request may still be in flight.
SETTLED = ("sent", "unknown", "failed")


def in_key_order(reservations: Sequence[Reservation]) -> list[Reservation]:
    """Each key once (the first given), sorted: a key given twice is one send, and taking row locks
    in one order everywhere keeps two batches that share keys from deadlocking."""
    unique: dict[str, Reservation] = {}
    for item in reservations:
        unique.setdefault(item.key, item)
    return [unique[key] for key in sorted(unique)]


def settlements_in_key_order(settlements: Sequence[Settlement]) -> list[Settlement]:
    """Each key once (the last given, the latest news), sorted like reservations."""
    unique = {item.key: item for item in settlements}
    return [unique[key] for key in sorted(unique)]


def ledger_entry(row: Sequence[Any]) -> LedgerEntry:
    key, kind, tool, channel, recipient, content_key, status, request_id, at, reservation = row
    return LedgerEntry(
        key=key,
        kind=kind,
        tool=tool,
        channel=channel,
        recipient=recipient,
        content_key=content_key,
        status=status,
        request_id=request_id,
        at=float(at),
        reservation=reservation,
    )


def approval_record(row: Sequence[Any]) -> ApprovalRecord:
    """An approval row, its columns in the order of ApprovalRecord's fields."""
    approval_id, tool, payload_hash, caller, preview, status, created_at, expires_at, decided_at = row
    return ApprovalRecord(
        id=approval_id,
        tool=tool,
        payload_hash=payload_hash,
        caller=caller,
        preview=preview,
        status=status,
        created_at=float(created_at),
        expires_at=float(expires_at),
        decided_at=None if decided_at is None else float(decided_at),
    )


def minute_of(moment: float) -> int:
    """The epoch minute that holds ``moment``."""
    return math.floor(moment / 60)
