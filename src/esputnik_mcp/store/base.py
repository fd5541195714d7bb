"""The state store: what the server owns — the send ledger, confirmation tokens, approvals, the audit
log, rate counters. SQLite (one host, zero set-up) and PostgreSQL (several replicas) implement one async
interface; every operation that must not race is one atomic statement or transaction in the store,
never a read followed by a write in Python.

Times are epoch seconds (float) chosen by the caller, so that tests control the clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

SendStatus = Literal["pending", "sent", "unknown", "failed"]
Outcome = Literal["ok", "error", "ambiguous", "refused"]
# An exact entry is one content to one recipient; a message entry is one message (the stored message,
# or a one-off's sender and subject) to one recipient, whatever its body: after an unknown outcome it
# blocks a resend that differs only in the body.
EntryKind = Literal["exact", "message"]


class StoreUnavailable(Exception):
    """The store could not do what was asked (locked, full, read-only, unreachable). Nothing that
    depended on it may go ahead: a send whose reservation cannot be written is not sent."""


@dataclass(frozen=True)
class Reservation:
    """A pending ledger entry, written before a send's request leaves."""

    key: str  # hash of kind, channel, content or message, and recipient: what makes two sends "the same"
    kind: EntryKind
    tool: str
    channel: str
    recipient: str  # masked
    content_key: str


@dataclass(frozen=True)
class LedgerEntry:
    """The latest send of one key."""

    key: str
    kind: EntryKind
    tool: str
    channel: str
    recipient: str  # masked
    content_key: str
    status: SendStatus
    request_id: str | None
    at: float  # when it was reserved, or settled
    reservation: str  # which reservation wrote it


@dataclass(frozen=True)
class Settlement:
    """What became of one reserved key."""

    key: str
    status: Literal["sent", "unknown", "failed"]
    request_id: str | None = None


@dataclass(frozen=True)
class TokenRecord:
    token: str
    tool: str
    payload_hash: str
    expires_at: float


ApprovalStatus = Literal["pending", "approved", "declined", "used"]


@dataclass(frozen=True)
class ApprovalRecord:
    """A person's approval of one exact call, asked on the approval page.

    ``id`` is a hash of the secret in the page's URL (the secret itself is never stored). The
    approval is bound to the tool, the hash of its exact arguments and the caller; it is single-use
    and expires. ``preview`` is the JSON the page shows (what will go out), kept until it expires.
    """

    id: str
    tool: str
    payload_hash: str
    caller: str
    preview: str  # JSON
    status: ApprovalStatus
    created_at: float
    expires_at: float
    decided_at: float | None = None


@dataclass(frozen=True)
class AuditRecord:
    at: float
    tool: str
    arguments_hash: str
    outcome: Outcome
    recipient_count: int = 0
    recipients: Sequence[str] = field(default_factory=tuple)  # masked
    request_ids: Sequence[str] = field(default_factory=tuple)
    guard: str | None = None  # the guard that refused, if any
    detail: str | None = None
    target: str | None = None  # what the write changed: ids, action, erase or not (no addresses)


@dataclass(frozen=True)
class RefusalCount:
    """Refused calls of one tool by one guard within one minute."""

    minute: int  # epoch seconds // 60
    tool: str
    guard: str
    count: int


@dataclass(frozen=True)
class ActivityRecord:
    """One activity event pushed by eSputnik's data-export webhook, as the inbox keeps it.

    ``key`` is the event's identity (a hash of its message, recipient, status, time and link, made
    by the inbox): a delivery eSputnik retries, or one that arrives twice, is stored once. The
    address columns are normalised for lookups (email lower-cased, phone digits only); ``data`` is
    the event as received, unknown fields included.
    """

    key: str
    at: float  # activityDateTime, epoch seconds
    status: str  # activityStatus: DELIVERED, UNDELIVERED, READ, CLICKED, UNSUBSCRIBED, SPAM, …
    channel: str  # mediaType, lower case: email, sms, viber, mobilepush, webpush, appinbox, …
    received_at: float
    request_id: str | None = None  # iid: the sent message's id
    external_request_id: str | None = None
    contact_id: int | None = None
    email: str | None = None
    phone: str | None = None
    message_id: int | None = None
    message_instance_id: int | None = None
    broadcast_id: int | None = None
    hard_bounce: bool = False
    data: str = "{}"  # JSON


@dataclass(frozen=True)
class Mark:
    """The latest word on whether one channel reaches one subject (``email:<address>``,
    ``phone:<digits>`` or ``contact:<id>``): written from activity events, the newest event wins
    whatever order they arrive in. ``suppressing`` marks a hard bounce, an unsubscribe or a spam
    complaint; a later delivery, read or click on the same channel clears it."""

    channel: str
    subject: str
    status: str
    suppressing: bool
    at: float
    detail: str | None = None  # e.g. the bounce's statusDescription


@dataclass(frozen=True)
class ActivityFilter:
    """Which stored events a query wants; every given criterion must hold (request ids: any of them)."""

    request_ids: Sequence[str] = ()
    external_request_id: str | None = None
    contact_id: int | None = None
    email: str | None = None  # normalised as stored
    phone: str | None = None  # normalised as stored
    statuses: Sequence[str] = ()
    channel: str | None = None
    broadcast_id: int | None = None
    since: float | None = None  # at >= since
    until: float | None = None  # at < until


@dataclass(frozen=True)
class ActivityPage:
    """Stored events, newest first (``at`` then ``key``, both descending)."""

    records: list[ActivityRecord]
    total: int  # events matching the filter, across all pages
    counts: dict[str, int]  # matching events per status, across all pages
    after: tuple[float, str] | None  # position of the last record, when more follow; pass it back as ``after``


@dataclass(frozen=True)
class InboxStats:
    events: int
    last_received_at: float | None


class StateStore(Protocol):
    """Every method may raise :class:`StoreUnavailable`."""

    async def open(self) -> None:
        """Connect and bring the schema up to date (safe when several replicas start at once)."""
        ...

    async def close(self) -> None: ...

    # --- the send ledger ---------------------------------------------------------------------

    async def reserve(
        self,
        reservations: Sequence[Reservation],
        *,
        reservation: str,
        now: float,
        window_start: float,
        stale_before: float,
        allow_duplicate: bool,
    ) -> list[LedgerEntry]:
        """Write every reservation as a ``pending`` entry under the id ``reservation``, all or none,
        in one transaction. Returns [] when written; otherwise writes nothing and returns the
        entries in the way.

        An existing entry of the same key is in the way when it is ``pending`` and reserved at or
        after ``stale_before`` (in flight, even with ``allow_duplicate``); or, unless
        ``allow_duplicate``, when it is at or after ``window_start`` and ``unknown`` (or ``pending``
        but stale, which is unknown too), or ``sent`` and of kind ``exact``. A ``failed`` entry, or
        one before the window, is never in the way and is replaced; an in-flight entry is in the way
        whatever the window, because its request may be leaving right now.

        A key given twice is reserved once. Concurrent calls on one key, from any process or
        replica, resolve to exactly one writer; the others see its ``pending`` entry.
        """
        ...

    async def settle(self, reservation: str, settlements: Sequence[Settlement], *, now: float) -> None:
        """Record what became of keys reserved under ``reservation``; keys since reserved by another
        reservation are left alone."""
        ...

    async def expire_pending(self, *, stale_before: float) -> int:
        """Entries still ``pending`` from before ``stale_before`` become ``unknown`` (their process
        died mid-send); how many."""
        ...

    async def ledger(self, keys: Sequence[str]) -> list[LedgerEntry]:
        """The entries of these keys, newest first."""
        ...

    # --- confirmation tokens -------------------------------------------------------------------

    async def put_token(self, record: TokenRecord) -> None: ...

    async def take_token(self, token: str) -> TokenRecord | None:
        """The token's record, removed in the same statement so that it can be used once only; None
        if unknown or used."""
        ...

    # --- approvals (the approval page) ---------------------------------------------------------

    async def put_approval(self, record: ApprovalRecord) -> None:
        """Write the approval, replacing one of the same id (as :meth:`put_token` does), so that
        writing it again after an error that hid whether it was written is harmless."""
        ...

    async def approval(self, approval_id: str) -> ApprovalRecord | None:
        """The approval with this id, whatever its status; None if unknown (or pruned)."""
        ...

    async def pending_approval(self, *, tool: str, payload_hash: str, caller: str, now: float) -> ApprovalRecord | None:
        """The newest approval of this exact call by this caller that is still ``pending`` or
        ``approved`` and not expired at ``now`` (so that a repeated call reuses its page)."""
        ...

    async def decide_approval(self, approval_id: str, *, approved: bool, now: float) -> ApprovalRecord | None:
        """Record the person's decision, in one statement: only a ``pending`` approval not expired
        at ``now`` changes (to ``approved`` or ``declined``). The record after the change, or None
        when nothing changed (unknown, expired, or already decided)."""
        ...

    async def use_approval(self, *, tool: str, payload_hash: str, caller: str, now: float) -> ApprovalRecord | None:
        """Spend the ``approved``, unexpired approval of this exact call by this caller, in one
        statement (it becomes ``used``): what the call needs to go ahead, once. None when there is
        none."""
        ...

    # --- the audit log -------------------------------------------------------------------------

    async def append_audit(self, record: AuditRecord) -> None: ...

    async def audit(
        self,
        *,
        since: float | None = None,
        limit: int = 100,
        tool: str | None = None,
        outcome: Outcome | None = None,
    ) -> list[AuditRecord]:
        """Audit records, newest first."""
        ...

    async def count_refusal(self, *, minute: int, tool: str, guard: str) -> None:
        """Count one refused call (refusals are counted, not written one row each)."""
        ...

    async def refusals(self, *, since: float | None = None, tool: str | None = None) -> list[RefusalCount]:
        """Refusal counts, newest minute first; ``since`` keeps the minute that holds it and those after."""
        ...

    # --- rate limits ---------------------------------------------------------------------------

    async def take(self, bucket: str, *, window: int, limit: int) -> bool:
        """Count one call in ``bucket`` for the fixed window ``window`` (e.g. epoch minute) if fewer
        than ``limit`` are counted there, atomically; False (and nothing counted) when it is full."""
        ...

    async def take_each(self, buckets: Sequence[tuple[str, int]], *, window: int) -> int | None:
        """:meth:`take` for each ``(bucket, limit)`` in turn, in one round trip, stopping at the first
        that is full: its index (nothing is counted there or after it), or None when every bucket
        counted the call. The buckets before a full one keep their count, as separate takes would."""
        ...

    # --- the webhook inbox ---------------------------------------------------------------------

    async def add_activity(self, records: Sequence[ActivityRecord], marks: Sequence[Mark]) -> int:
        """Store the events and the marks in one transaction, all or none: an event whose key is
        already stored is left as it is; a mark replaces the stored mark of its channel and subject
        only when it is newer (``at`` greater, or equal and suppressing), so that a replayed or
        reordered delivery leaves the newest word in place. How many events were new."""
        ...

    async def activity(
        self, query: ActivityFilter, *, limit: int, after: tuple[float, str] | None = None
    ) -> ActivityPage:
        """Events matching ``query``, newest first, at most ``limit``, starting after position ``after``."""
        ...

    async def marks(self, channel: str, subjects: Sequence[str]) -> list[Mark]:
        """The stored marks of these subjects on ``channel`` (any number of subjects)."""
        ...

    async def inbox_stats(self) -> InboxStats:
        """How many events are stored and when the last delivery arrived."""
        ...

    # --- retention -----------------------------------------------------------------------------

    async def prune(
        self, *, audit_before: float, ledger_before: float, now: float, activity_before: float | None = None
    ) -> None:
        """Delete audit records and refusal counts from before ``audit_before`` (a minute of counts
        once it has wholly passed), settled ledger entries (``sent``, ``unknown``, ``failed``) from
        before ``ledger_before``, tokens expired at ``now``, approvals expired at ``now`` (whatever
        their status: expired, none can be decided or used any more), and rate windows that are over.

        ``take`` is given window numbers, not times, so a window is known to be over once a later
        window of the same bucket has been counted: each bucket keeps its latest window only.
        ``pending`` entries are never pruned: :meth:`expire_pending` turns them ``unknown`` first.
        With ``activity_before``, inbox events dated (``at``) before it and marks from before it that do
        not suppress are deleted; suppressing marks are kept (a hard-bounced address stays held back).
        """
        ...
