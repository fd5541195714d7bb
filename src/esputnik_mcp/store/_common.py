"""What both backends do the same way in Python: normalising the arguments of batch writes and
turning rows into records. The decisions themselves are made in SQL."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from esputnik_mcp.store.base import (
    ActivityPage,
    ActivityRecord,
    ApprovalRecord,
    LedgerEntry,
    Mark,
    Reservation,
    Settlement,
)

# The columns of a ledger row, in the order of LedgerEntry's fields.
LEDGER_COLUMNS = "key, kind, tool, channel, recipient, content_key, status, request_id, at, reservation"

# The columns of an activity row, in the order of ActivityRecord's fields.
ACTIVITY_COLUMNS = (
    "key, at, status, channel, received_at, request_id, external_request_id, contact_id, email, phone, "
    "message_id, message_instance_id, broadcast_id, hard_bounce, data"
)

# The columns of a marks row, in the order of Mark's fields.
MARK_COLUMNS = "channel, subject, status, suppressing, at, detail"

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


def events_in_key_order(records: Sequence[ActivityRecord]) -> list[ActivityRecord]:
    """Each event once (the first given: one key is one event), sorted by key, so that batches that
    share events insert them in one order everywhere and cannot deadlock."""
    unique: dict[str, ActivityRecord] = {}
    for record in records:
        unique.setdefault(record.key, record)
    return [unique[key] for key in sorted(unique)]


def newer(mark: Mark, than: Mark) -> bool:
    """Whether ``mark`` replaces ``than``: it is later, or as late and suppressing (a bounce and a
    delivery stamped the same second leave the address held back)."""
    return mark.at > than.at or (mark.at == than.at and mark.suppressing)


def newest_marks(marks: Sequence[Mark]) -> list[Mark]:
    """Each channel and subject once, the mark that wins among those given (by :func:`newer`, taken in
    the order given, as the store takes them), sorted by channel and subject."""
    unique: dict[tuple[str, str], Mark] = {}
    for mark in marks:
        held = unique.get((mark.channel, mark.subject))
        if held is None or newer(mark, held):
            unique[(mark.channel, mark.subject)] = mark
    return [unique[place] for place in sorted(unique)]


def activity_record(row: Sequence[Any]) -> ActivityRecord:
    """An activity row, its columns in the order of :data:`ACTIVITY_COLUMNS`."""
    (
        key,
        at,
        status,
        channel,
        received_at,
        request_id,
        external_request_id,
        contact_id,
        email,
        phone,
        message_id,
        message_instance_id,
        broadcast_id,
        hard_bounce,
        data,
    ) = row
    return ActivityRecord(
        key=key,
        at=float(at),
        status=status,
        channel=channel,
        received_at=float(received_at),
        request_id=request_id,
        external_request_id=external_request_id,
        contact_id=contact_id,
        email=email,
        phone=phone,
        message_id=message_id,
        message_instance_id=message_instance_id,
        broadcast_id=broadcast_id,
        hard_bounce=bool(hard_bounce),
        data=data,
    )


def activity_row(record: ActivityRecord) -> tuple[Any, ...]:
    """The values of an activity row, in the order of :data:`ACTIVITY_COLUMNS`."""
    return (
        record.key,
        record.at,
        record.status,
        record.channel,
        record.received_at,
        record.request_id,
        record.external_request_id,
        record.contact_id,
        record.email,
        record.phone,
        record.message_id,
        record.message_instance_id,
        record.broadcast_id,
        record.hard_bounce,
        record.data,
    )


def mark_of(row: Sequence[Any]) -> Mark:
    """A marks row, its columns in the order of :data:`MARK_COLUMNS`."""
    channel, subject, status, suppressing, at, detail = row
    return Mark(
        channel=channel, subject=subject, status=status, suppressing=bool(suppressing), at=float(at), detail=detail
    )


def activity_page(rows: Sequence[Sequence[Any]], counts: Sequence[Sequence[Any]], limit: int) -> ActivityPage:
    """A page of at most ``limit`` events from ``rows`` (newest first, fetched ``limit + 1`` so that one
    more tells that more follow) and the ``(status, count)`` rows of the whole filter."""
    records = [activity_record(row) for row in rows[: max(limit, 0)]]
    per_status = dict(sorted((str(status), int(count)) for status, count in counts))
    after = (records[-1].at, records[-1].key) if records and len(rows) > limit else None
    return ActivityPage(records=records, total=sum(per_status.values()), counts=per_status, after=after)


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
