"""The state store in SQLite (stdlib): one file under the user's data directory by default, for one
host with no set-up.

sqlite3 blocks, so every call runs in a worker thread (``anyio.to_thread``) over one connection
guarded by a lock: the event loop keeps serving while the database waits. A file is in WAL mode,
so that readers never wait for a writer. Every write transaction begins with ``BEGIN IMMEDIATE``,
taking the write lock at once, so that processes sharing a file serialise instead of failing
halfway; a lock held by someone else is waited for ``busy_timeout`` seconds (2 by default), then
reported as :class:`StoreUnavailable` rather than stalling a tool call.

The rate counters, written on every tool call, are the one exception: when their write need not
wait for anything (the connection is free and no other process holds the write lock), it is done
in place, as a worker thread's round trip would cost more than the write; otherwise it waits in the
worker thread like any other call.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import anyio
import anyio.lowlevel
import anyio.to_thread

from esputnik_mcp.store import schema
from esputnik_mcp.store._common import (
    ACTIVITY_COLUMNS,
    MARK_COLUMNS,
    SETTLED,
    activity_page,
    activity_row,
    approval_record,
    events_in_key_order,
    in_key_order,
    ledger_entry,
    mark_of,
    minute_of,
    newest_marks,
    settlements_in_key_order,
)
from esputnik_mcp.store.base import (
    ActivityFilter,
    ActivityPage,
    ActivityRecord,
    ApprovalRecord,
    AuditRecord,
    InboxStats,
    LedgerEntry,
    Mark,
    Outcome,
    RefusalCount,
    Reservation,
    Settlement,
    StoreUnavailable,
    TokenRecord,
)

T = TypeVar("T")

MEMORY = ":memory:"

# Why an SQLite error happened, by primary result code, in words a user can act on.
_REASONS = {
    sqlite3.SQLITE_BUSY: "the state database is locked by another process",
    sqlite3.SQLITE_LOCKED: "the state database is locked by another process",
    sqlite3.SQLITE_FULL: "the disk is full",
    sqlite3.SQLITE_READONLY: "the state database is read-only",
    sqlite3.SQLITE_PERM: "the state database cannot be opened (permission denied)",
    sqlite3.SQLITE_CANTOPEN: "the state database cannot be opened",
    sqlite3.SQLITE_CORRUPT: "the state database is corrupt",
    sqlite3.SQLITE_NOTADB: "the state database is not an SQLite database (or is corrupt)",
    sqlite3.SQLITE_IOERR: "the state database could not be read or written (I/O error)",
}

_RESERVE = """
INSERT INTO ledger (key, kind, tool, channel, recipient, content_key, status, request_id, at, reservation)
VALUES (:key, :kind, :tool, :channel, :recipient, :content_key, 'pending', NULL, :now, :reservation)
ON CONFLICT (key) DO UPDATE SET
    kind = excluded.kind, tool = excluded.tool, channel = excluded.channel, recipient = excluded.recipient,
    content_key = excluded.content_key, status = 'pending', request_id = NULL, at = excluded.at,
    reservation = excluded.reservation
WHERE NOT (
    (ledger.status = 'pending' AND ledger.at >= :stale_before)
    OR (NOT :allow_duplicate AND ledger.at >= :window_start
        AND (ledger.status IN ('unknown', 'pending') OR (ledger.status = 'sent' AND ledger.kind = 'exact')))
)
RETURNING key
"""

_LEDGER = """
SELECT key, kind, tool, channel, recipient, content_key, status, request_id, at, reservation FROM ledger
WHERE key IN (SELECT value FROM json_each(?)) ORDER BY at DESC, key
"""

_SETTLE = "UPDATE ledger SET status = ?, request_id = ?, at = ? WHERE key = ? AND reservation = ?"

_PUT_APPROVAL = """
INSERT INTO approvals (id, tool, payload_hash, caller, preview, status, created_at, expires_at, decided_at)
VALUES (:id, :tool, :payload_hash, :caller, :preview, :status, :created_at, :expires_at, :decided_at)
ON CONFLICT (id) DO UPDATE SET
    tool = excluded.tool, payload_hash = excluded.payload_hash, caller = excluded.caller, preview = excluded.preview,
    status = excluded.status, created_at = excluded.created_at, expires_at = excluded.expires_at,
    decided_at = excluded.decided_at
"""

_APPROVAL = """
SELECT id, tool, payload_hash, caller, preview, status, created_at, expires_at, decided_at FROM approvals
WHERE id = ?
"""

_PENDING_APPROVAL = """
SELECT id, tool, payload_hash, caller, preview, status, created_at, expires_at, decided_at FROM approvals
WHERE tool = :tool AND payload_hash = :payload_hash AND caller = :caller AND status IN ('pending', 'approved')
    AND expires_at > :now
ORDER BY created_at DESC, id DESC LIMIT 1
"""

_DECIDE_APPROVAL = """
UPDATE approvals SET status = :status, decided_at = :now
WHERE id = :id AND status = 'pending' AND expires_at > :now
RETURNING id, tool, payload_hash, caller, preview, status, created_at, expires_at, decided_at
"""

# The whole condition is in the UPDATE's own WHERE, not only in the subquery that picks the newest:
# a row is spent only if it is still approved when it is written.
_USE_APPROVAL = """
UPDATE approvals SET status = 'used'
WHERE tool = :tool AND payload_hash = :payload_hash AND caller = :caller AND status = 'approved'
    AND expires_at > :now
    AND id = (
        SELECT id FROM approvals
        WHERE tool = :tool AND payload_hash = :payload_hash AND caller = :caller AND status = 'approved'
            AND expires_at > :now
        ORDER BY created_at DESC, id DESC LIMIT 1
    )
RETURNING id, tool, payload_hash, caller, preview, status, created_at, expires_at, decided_at
"""

_AUDIT_COLUMNS = "at, tool, arguments_hash, outcome, recipient_count, recipients, request_ids, guard, detail, target"

_TAKE = """
INSERT INTO rate_windows (bucket, window_id, calls) VALUES (?, ?, 1)
ON CONFLICT (bucket, window_id) DO UPDATE SET calls = rate_windows.calls + 1 WHERE rate_windows.calls < ?
RETURNING calls
"""

_ADD_ACTIVITY = f"""
INSERT INTO activity ({ACTIVITY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (key) DO NOTHING
"""  # noqa: S608 (constant columns)

# A mark replaces the stored one only when newer (see _common.newer): a replayed or late delivery of an
# older event leaves the newest word in place.
_PUT_MARK = f"""
INSERT INTO marks ({MARK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (channel, subject) DO UPDATE SET
    status = excluded.status, suppressing = excluded.suppressing, at = excluded.at, detail = excluded.detail
WHERE excluded.at > marks.at OR (excluded.at = marks.at AND excluded.suppressing)
"""  # noqa: S608 (constant columns)

_MARKS = f"""
SELECT {MARK_COLUMNS} FROM marks WHERE channel = ? AND subject IN (SELECT value FROM json_each(?)) ORDER BY subject
"""  # noqa: S608 (constant columns)

_PRUNE_RATE_WINDOWS = """
DELETE FROM rate_windows WHERE window_id < (
    SELECT max(later.window_id) FROM rate_windows AS later WHERE later.bucket = rate_windows.bucket
)
"""


def script_statements(script: str) -> list[str]:
    """A migration script cut into statements (sqlite3 runs one per call, and ``executescript``
    would commit the migration's transaction halfway). Every statement must end with ``;``."""
    statements, pending = [], ""
    pieces = script.split(";")
    for piece in pieces[:-1]:
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    rest = "\n".join(line for line in (pending + pieces[-1]).splitlines() if not line.strip().startswith("--"))
    if rest.strip():
        raise ValueError(f"a migration statement does not end with ';': {rest.strip()[:60]}")
    return statements


def _rollback(db: sqlite3.Connection) -> None:
    """Roll back what is open, keeping the error that got us here (SQLite may have rolled back on
    its own already, after a full disk for instance)."""
    if db.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            db.execute("ROLLBACK")


def _write(db: sqlite3.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    """``work`` in one write transaction, taking the write lock at its start."""
    db.execute("BEGIN IMMEDIATE")
    try:
        result = work(db)
        db.execute("COMMIT")
    except BaseException:
        _rollback(db)
        raise
    return result


class _Wait(enum.Enum):
    WAIT = enum.auto()


def _counted(db: sqlite3.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    """``work`` in one write transaction that is not synced to disk on commit: for rate counters,
    written on every tool call. In WAL mode the commit still survives the process (only a power
    failure or an OS crash may lose it, and with it a few counted calls), and the next synced
    commit or checkpoint makes it durable. Every other write is synced as it commits."""
    db.execute("PRAGMA synchronous = NORMAL")
    try:
        return _write(db, work)
    finally:
        db.execute("PRAGMA synchronous = FULL")


def _read(db: sqlite3.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    """``work`` in one read transaction: its statements all see the same snapshot of the file."""
    db.execute("BEGIN")
    try:
        return work(db)
    finally:
        _rollback(db)


def _one_approval(cursor: sqlite3.Cursor) -> ApprovalRecord | None:
    """The one approval a statement gives, if any. Every row is fetched, so that an UPDATE ...
    RETURNING has run to its end, and committed, when this returns."""
    rows = cursor.fetchall()
    return approval_record(rows[0]) if rows else None


def _enter_wal(db: sqlite3.Connection, wait: float) -> None:
    """Put the file in WAL mode, trying again for up to ``wait`` seconds while it is busy. A new file
    is converted by the first process that gets to it; another one opening it at that moment may be
    refused at once, without its busy timeout (SQLite's way out of a deadlock between the two)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as exc:
            busy = getattr(exc, "sqlite_errorcode", -1) & 0xFF == sqlite3.SQLITE_BUSY
            if not busy or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)
        else:
            return


def _audit_record(row: Sequence[Any]) -> AuditRecord:
    at, tool, arguments_hash, outcome, count, recipients, request_ids, guard, detail, target = row
    return AuditRecord(
        at=at,
        tool=tool,
        arguments_hash=arguments_hash,
        outcome=outcome,
        recipient_count=count,
        recipients=tuple(json.loads(recipients)),
        request_ids=tuple(json.loads(request_ids)),
        guard=guard,
        detail=detail,
        target=target,
    )


class SQLiteStore:
    """:class:`~esputnik_mcp.store.base.StateStore` in one SQLite file (or ``":memory:"``, which lives
    as long as the store is open). Creating the object touches nothing; :meth:`open` does."""

    def __init__(self, path: str | Path, *, busy_timeout: float = 2.0) -> None:
        self._path = str(path)
        self._busy_timeout = busy_timeout
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._limiter_of: tuple[anyio.lowlevel.EventLoopToken, anyio.CapacityLimiter] | None = None

    def __repr__(self) -> str:
        return f"SQLiteStore({self._path!r})"

    @property
    def path(self) -> str:
        return self._path

    # --- plumbing ----------------------------------------------------------------------------------

    def _why(self, exc: sqlite3.Error) -> str:
        code = getattr(exc, "sqlite_errorcode", -1) & 0xFF
        if isinstance(exc, sqlite3.ProgrammingError) and "closed" in str(exc):
            return "the state store is closed"
        reason = _REASONS.get(code) or f"the state database failed ({getattr(exc, 'sqlite_errorname', '') or exc})"
        return reason if self._path == MEMORY else f"{reason}: {self._path}"

    def _limiter(self) -> anyio.CapacityLimiter:
        """One worker thread at a time per store (per event loop): calls queue in the event loop, where
        waiting costs nothing and can be cancelled, instead of each holding a thread of the shared pool
        while it waits for the connection's lock."""
        loop = anyio.lowlevel.current_token()
        if self._limiter_of is None or self._limiter_of[0] != loop:
            self._limiter_of = (loop, anyio.CapacityLimiter(1))
        return self._limiter_of[1]

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        return await anyio.to_thread.run_sync(self._locked, work, limiter=self._limiter())

    def _locked(self, work: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            if self._db is None:
                raise StoreUnavailable("the state store is not open")
            try:
                return work(self._db)
            except sqlite3.Error as exc:
                raise StoreUnavailable(self._why(exc)) from exc

    # --- lifetime ----------------------------------------------------------------------------------

    async def open(self) -> None:
        await anyio.to_thread.run_sync(self._open, limiter=self._limiter())

    def _open(self) -> None:
        with self._lock:
            if self._db is not None:
                return
            if self._path != MEMORY:
                folder = Path(self._path).parent
                try:
                    folder.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise StoreUnavailable(f"the state database's folder cannot be created: {folder}") from exc
            db: sqlite3.Connection | None = None
            try:
                db = sqlite3.connect(
                    self._path, timeout=self._busy_timeout, isolation_level=None, check_same_thread=False
                )
                db.execute(f"PRAGMA busy_timeout = {round(self._busy_timeout * 1000)}")
                db.execute("PRAGMA synchronous = FULL")
                if self._path != MEMORY:
                    _enter_wal(db, self._busy_timeout)
                self._migrate(db)
            except BaseException as exc:
                if db is not None:
                    db.close()
                if isinstance(exc, sqlite3.Error):
                    raise StoreUnavailable(self._why(exc)) from exc
                raise
            self._db = db

    @staticmethod
    def _version(db: sqlite3.Connection) -> int:
        table = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").fetchone()
        if table is None:
            return 0
        return int(db.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0])

    def _migrate(self, db: sqlite3.Connection) -> None:
        """Bring the schema up to date. Reading the version first takes no write lock, so an up to
        date file opens even when read-only or busy; otherwise ``BEGIN IMMEDIATE`` makes processes
        that open the file at once apply each migration once, one after the other."""
        wanted = schema.migrations("sqlite")
        found = self._version(db)
        if found > len(wanted):
            raise StoreUnavailable(schema.newer_schema(found, "sqlite"))
        if found == len(wanted):
            return

        def apply(db: sqlite3.Connection) -> None:
            db.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)"
            )
            current = self._version(db)
            if current > len(wanted):
                raise StoreUnavailable(schema.newer_schema(current, "sqlite"))
            for migration in wanted[current:]:
                for statement in script_statements(migration.sql):
                    db.execute(statement)
                db.execute("INSERT INTO schema_version VALUES (?, ?)", (migration.version, time.time()))

        _write(db, apply)

    async def close(self) -> None:
        await anyio.to_thread.run_sync(self._close, limiter=self._limiter())

    def _close(self) -> None:
        with self._lock:
            db, self._db = self._db, None
            if db is not None:
                db.close()

    # --- the send ledger -----------------------------------------------------------------------

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
        items = in_key_order(reservations)
        if not items:
            return []
        rule = {
            "now": now,
            "reservation": reservation,
            "window_start": window_start,
            "stale_before": stale_before,
            "allow_duplicate": int(allow_duplicate),
        }

        def work(db: sqlite3.Connection) -> list[LedgerEntry]:
            db.execute("BEGIN IMMEDIATE")
            try:
                blocked = [
                    item.key
                    for item in items
                    if not db.execute(
                        _RESERVE,
                        {
                            **rule,
                            "key": item.key,
                            "kind": item.kind,
                            "tool": item.tool,
                            "channel": item.channel,
                            "recipient": item.recipient,
                            "content_key": item.content_key,
                        },
                    ).fetchall()
                ]
                if not blocked:
                    db.execute("COMMIT")
                    return []
                in_the_way = [ledger_entry(row) for row in db.execute(_LEDGER, (json.dumps(blocked),))]
            finally:
                _rollback(db)
            return in_the_way

        return await self._run(work)

    async def settle(self, reservation: str, settlements: Sequence[Settlement], *, now: float) -> None:
        rows = [
            (item.status, item.request_id, now, item.key, reservation) for item in settlements_in_key_order(settlements)
        ]
        if rows:
            await self._run(lambda db: _write(db, lambda db: db.executemany(_SETTLE, rows)))

    async def expire_pending(self, *, stale_before: float) -> int:
        def work(db: sqlite3.Connection) -> int:
            return db.execute(
                "UPDATE ledger SET status = 'unknown' WHERE status = 'pending' AND at < ?", (stale_before,)
            ).rowcount

        return await self._run(work)

    async def ledger(self, keys: Sequence[str]) -> list[LedgerEntry]:
        if not keys:
            return []
        wanted = json.dumps(list(dict.fromkeys(keys)))
        return await self._run(lambda db: [ledger_entry(row) for row in db.execute(_LEDGER, (wanted,))])

    # --- confirmation tokens -------------------------------------------------------------------

    async def put_token(self, record: TokenRecord) -> None:
        row = (record.token, record.tool, record.payload_hash, record.expires_at)
        await self._run(
            lambda db: db.execute(
                "INSERT INTO tokens (token, tool, payload_hash, expires_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (token) DO UPDATE SET tool = excluded.tool, payload_hash = excluded.payload_hash, "
                "expires_at = excluded.expires_at",
                row,
            )
        )

    async def take_token(self, token: str) -> TokenRecord | None:
        def work(db: sqlite3.Connection) -> TokenRecord | None:
            row = db.execute(
                "DELETE FROM tokens WHERE token = ? RETURNING token, tool, payload_hash, expires_at", (token,)
            ).fetchone()
            return TokenRecord(*row) if row else None

        return await self._run(work)

    # --- approvals (the approval page) ---------------------------------------------------------

    async def put_approval(self, record: ApprovalRecord) -> None:
        row = dataclasses.asdict(record)
        await self._run(lambda db: db.execute(_PUT_APPROVAL, row))

    async def approval(self, approval_id: str) -> ApprovalRecord | None:
        return await self._run(lambda db: _one_approval(db.execute(_APPROVAL, (approval_id,))))

    async def pending_approval(self, *, tool: str, payload_hash: str, caller: str, now: float) -> ApprovalRecord | None:
        call = {"tool": tool, "payload_hash": payload_hash, "caller": caller, "now": now}
        return await self._run(lambda db: _one_approval(db.execute(_PENDING_APPROVAL, call)))

    async def decide_approval(self, approval_id: str, *, approved: bool, now: float) -> ApprovalRecord | None:
        decision = {"id": approval_id, "status": "approved" if approved else "declined", "now": now}
        return await self._run(lambda db: _one_approval(db.execute(_DECIDE_APPROVAL, decision)))

    async def use_approval(self, *, tool: str, payload_hash: str, caller: str, now: float) -> ApprovalRecord | None:
        call = {"tool": tool, "payload_hash": payload_hash, "caller": caller, "now": now}
        return await self._run(lambda db: _one_approval(db.execute(_USE_APPROVAL, call)))

    # --- the audit log -------------------------------------------------------------------------

    async def append_audit(self, record: AuditRecord) -> None:
        row = (
            record.at,
            record.tool,
            record.arguments_hash,
            record.outcome,
            record.recipient_count,
            json.dumps(list(record.recipients)),
            json.dumps(list(record.request_ids)),
            record.guard,
            record.detail,
            record.target,
        )
        await self._run(
            lambda db: db.execute(
                f"INSERT INTO audit ({_AUDIT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608 (constant)
                row,
            )
        )

    async def audit(
        self,
        *,
        since: float | None = None,
        limit: int = 100,
        tool: str | None = None,
        outcome: Outcome | None = None,
    ) -> list[AuditRecord]:
        if limit <= 0:
            return []
        # Only the filters asked for, so that each query can use the (tool, at) or (at) index.
        filters = {"at >= ?": since, "tool = ?": tool, "outcome = ?": outcome}
        clauses = [clause for clause, value in filters.items() if value is not None]
        values = [value for value in filters.values() if value is not None]
        query = (
            f"SELECT {_AUDIT_COLUMNS} FROM audit WHERE {' AND '.join(clauses) or '1'} "  # noqa: S608 (constant clauses)
            "ORDER BY at DESC, id DESC LIMIT ?"
        )
        return await self._run(lambda db: [_audit_record(row) for row in db.execute(query, (*values, limit))])

    async def count_refusal(self, *, minute: int, tool: str, guard: str) -> None:
        await self._run(
            lambda db: db.execute(
                "INSERT INTO refusals (minute, tool, guard, refused) VALUES (?, ?, ?, 1) "
                "ON CONFLICT (minute, tool, guard) DO UPDATE SET refused = refusals.refused + 1",
                (minute, tool, guard),
            )
        )

    async def refusals(self, *, since: float | None = None, tool: str | None = None) -> list[RefusalCount]:
        filters = {"minute >= ?": None if since is None else minute_of(since), "tool = ?": tool}
        clauses = [clause for clause, value in filters.items() if value is not None]
        values = [value for value in filters.values() if value is not None]
        query = (
            f"SELECT minute, tool, guard, refused FROM refusals WHERE {' AND '.join(clauses) or '1'} "  # noqa: S608 (constant clauses)
            "ORDER BY minute DESC, tool, guard"
        )
        return await self._run(lambda db: [RefusalCount(*row) for row in db.execute(query, values)])

    # --- rate limits ---------------------------------------------------------------------------

    async def take(self, bucket: str, *, window: int, limit: int) -> bool:
        return await self.take_each([(bucket, limit)], window=window) is None

    async def take_each(self, buckets: Sequence[tuple[str, int]], *, window: int) -> int | None:
        def work(db: sqlite3.Connection) -> int | None:
            for index, (bucket, limit) in enumerate(buckets):
                if limit < 1 or not db.execute(_TAKE, (bucket, window, limit)).fetchall():
                    return index
            return None

        counted = self._at_once(work)
        if not isinstance(counted, _Wait):
            return counted
        return await self._run(lambda db: _counted(db, work))

    def _at_once(self, work: Callable[[sqlite3.Connection], T]) -> T | _Wait:
        """``work`` as a counted write in the caller's thread, if it need not wait: the connection is
        free, and the write lock is taken without a busy timeout (another process holding it answers
        at once). Otherwise ``_Wait.WAIT``, nothing done: the caller waits in the worker thread."""
        if not self._lock.acquire(blocking=False):
            return _Wait.WAIT
        try:
            db = self._db
            if db is None:
                return _Wait.WAIT
            try:
                db.execute("PRAGMA busy_timeout = 0")
                try:
                    return _counted(db, work)
                finally:
                    db.execute(f"PRAGMA busy_timeout = {round(self._busy_timeout * 1000)}")
            except sqlite3.Error as exc:
                if getattr(exc, "sqlite_errorcode", -1) & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                    return _Wait.WAIT
                raise StoreUnavailable(self._why(exc)) from exc
        finally:
            self._lock.release()

    # --- the webhook inbox ---------------------------------------------------------------------

    async def add_activity(self, records: Sequence[ActivityRecord], marks: Sequence[Mark]) -> int:
        events = [activity_row(record) for record in events_in_key_order(records)]
        places = [
            (mark.channel, mark.subject, mark.status, mark.suppressing, mark.at, mark.detail)
            for mark in newest_marks(marks)
        ]
        if not events and not places:
            return 0

        def work(db: sqlite3.Connection) -> int:
            added = db.executemany(_ADD_ACTIVITY, events).rowcount if events else 0
            if places:
                db.executemany(_PUT_MARK, places)
            return added

        return await self._run(lambda db: _write(db, work))

    async def activity(
        self, query: ActivityFilter, *, limit: int, after: tuple[float, str] | None = None
    ) -> ActivityPage:
        request_ids = json.dumps(list(query.request_ids)) if query.request_ids else None
        statuses = json.dumps(list(query.statuses)) if query.statuses else None
        # Only the criteria given, so that each query can use the index of its lookup.
        filters = {
            "request_id IN (SELECT value FROM json_each(?))": request_ids,
            "external_request_id = ?": query.external_request_id,
            "contact_id = ?": query.contact_id,
            "email = ?": query.email,
            "phone = ?": query.phone,
            "status IN (SELECT value FROM json_each(?))": statuses,
            "channel = ?": query.channel,
            "broadcast_id = ?": query.broadcast_id,
            "at >= ?": query.since,
            "at < ?": query.until,
        }
        clauses = [clause for clause, value in filters.items() if value is not None]
        values = [value for value in filters.values() if value is not None]
        condition = " AND ".join(clauses) or "1"
        page = (
            f"SELECT {ACTIVITY_COLUMNS} FROM activity WHERE {condition}"  # noqa: S608 (constant clauses)
            f"{' AND (at, key) < (?, ?)' if after is not None else ''} ORDER BY at DESC, key DESC LIMIT ?"
        )
        page_values = [*values, *(after or ()), limit + 1]
        counts = f"SELECT status, count(*) FROM activity WHERE {condition} GROUP BY status"  # noqa: S608 (constant clauses)

        def work(db: sqlite3.Connection) -> ActivityPage:
            rows = db.execute(page, page_values).fetchall() if limit > 0 else []
            return activity_page(rows, db.execute(counts, values).fetchall(), limit)

        return await self._run(lambda db: _read(db, work))

    async def marks(self, channel: str, subjects: Sequence[str]) -> list[Mark]:
        if not subjects:
            return []
        wanted = json.dumps(list(dict.fromkeys(subjects)))
        return await self._run(lambda db: [mark_of(row) for row in db.execute(_MARKS, (channel, wanted))])

    async def inbox_stats(self) -> InboxStats:
        def work(db: sqlite3.Connection) -> InboxStats:
            events, last = db.execute("SELECT count(*), max(received_at) FROM activity").fetchone()
            return InboxStats(events=events, last_received_at=last)

        return await self._run(work)

    # --- retention -----------------------------------------------------------------------------

    async def prune(
        self, *, audit_before: float, ledger_before: float, now: float, activity_before: float | None = None
    ) -> None:
        def work(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM audit WHERE at < ?", (audit_before,))
            db.execute("DELETE FROM refusals WHERE minute < ?", (minute_of(audit_before),))
            db.execute(
                "DELETE FROM ledger WHERE status IN (?, ?, ?) AND at < ?",
                (*SETTLED, ledger_before),
            )
            db.execute("DELETE FROM tokens WHERE expires_at <= ?", (now,))
            db.execute("DELETE FROM approvals WHERE expires_at <= ?", (now,))
            db.execute(_PRUNE_RATE_WINDOWS)
            if activity_before is not None:
                db.execute("DELETE FROM activity WHERE at < ?", (activity_before,))
                db.execute("DELETE FROM marks WHERE suppressing = 0 AND at < ?", (activity_before,))

        await self._run(lambda db: _write(db, work))
