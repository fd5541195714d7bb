"""The state store in PostgreSQL, for several replicas sharing one ledger, one token table, one audit
log and one set of rate counters.

psycopg 3 (async) over a ``psycopg_pool.AsyncConnectionPool``; psycopg is an optional extra
(``pip install "esputnik-mcp[postgres]"``) and this module is imported only when a database URL is
set. Every wait is short, so that a tool call fails with :class:`StoreUnavailable` instead of hanging:
connecting, waiting for a pooled connection and waiting for a row lock each get ``timeout`` seconds (3
by default), a statement twice that, and TCP keepalives notice a server that vanished. The URL's
password is never shown: not in ``repr``, not in any message.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import re
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any, LiteralString

try:
    import psycopg
    from psycopg import errors, sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo
    from psycopg.rows import TupleRow
    from psycopg_pool import AsyncConnectionPool, PoolTimeout
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError('the PostgreSQL state store needs psycopg: pip install "esputnik-mcp[postgres]"') from exc

from esputnik_mcp.store import schema
from esputnik_mcp.store._common import (
    ACTIVITY_COLUMNS,
    MARK_COLUMNS,
    SETTLED,
    activity_page,
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

Connection = psycopg.AsyncConnection[TupleRow]

# A schema name is put in the search path and in CREATE SCHEMA: a plain lowercase identifier only.
_SCHEMA = re.compile(r"[a-z_][a-z0-9_]{0,62}")

# Two transactions reserving or settling overlapping keys take their row locks in key order, but
# PostgreSQL may still pick one of them as a deadlock victim; the victim wrote nothing and is retried.
_DEADLOCK_RETRIES = 3

_RESERVE = """
INSERT INTO ledger AS l (key, kind, tool, channel, recipient, content_key, status, request_id, at, reservation)
SELECT r.key, r.kind, r.tool, r.channel, r.recipient, r.content_key, 'pending', NULL, %(now)s, %(reservation)s
FROM unnest(
    %(keys)s::text[], %(kinds)s::text[], %(tools)s::text[], %(channels)s::text[], %(recipients)s::text[],
    %(content_keys)s::text[]
) AS r(key, kind, tool, channel, recipient, content_key)
ORDER BY r.key
ON CONFLICT (key) DO UPDATE SET
    kind = EXCLUDED.kind, tool = EXCLUDED.tool, channel = EXCLUDED.channel, recipient = EXCLUDED.recipient,
    content_key = EXCLUDED.content_key, status = 'pending', request_id = NULL, at = EXCLUDED.at,
    reservation = EXCLUDED.reservation
WHERE NOT (
    (l.status = 'pending' AND l.at >= %(stale_before)s)
    OR (NOT %(allow_duplicate)s AND l.at >= %(window_start)s
        AND (l.status IN ('unknown', 'pending') OR (l.status = 'sent' AND l.kind = 'exact')))
)
RETURNING l.key
"""

_LEDGER = """
SELECT key, kind, tool, channel, recipient, content_key, status, request_id, at, reservation FROM ledger
WHERE key = ANY(%s::text[]) ORDER BY at DESC, key
"""

_SETTLE = """
UPDATE ledger AS l SET status = s.status, request_id = s.request_id, at = %(now)s
FROM unnest(%(keys)s::text[], %(statuses)s::text[], %(request_ids)s::text[]) AS s(key, status, request_id)
WHERE l.key = s.key AND l.reservation = %(reservation)s
"""

_PUT_APPROVAL = """
INSERT INTO approvals AS a (id, tool, payload_hash, caller, preview, status, created_at, expires_at, decided_at)
VALUES (
    %(id)s, %(tool)s, %(payload_hash)s, %(caller)s, %(preview)s, %(status)s, %(created_at)s, %(expires_at)s,
    %(decided_at)s
)
ON CONFLICT (id) DO UPDATE SET
    tool = EXCLUDED.tool, payload_hash = EXCLUDED.payload_hash, caller = EXCLUDED.caller, preview = EXCLUDED.preview,
    status = EXCLUDED.status, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at,
    decided_at = EXCLUDED.decided_at
"""

_APPROVAL = """
SELECT id, tool, payload_hash, caller, preview, status, created_at, expires_at, decided_at FROM approvals
WHERE id = %s
"""

_PENDING_APPROVAL = """
SELECT id, tool, payload_hash, caller, preview, status, created_at, expires_at, decided_at FROM approvals
WHERE tool = %(tool)s AND payload_hash = %(payload_hash)s AND caller = %(caller)s
    AND status IN ('pending', 'approved') AND expires_at > %(now)s
ORDER BY created_at DESC, id DESC LIMIT 1
"""

# Concurrent decisions on one row queue on its lock; each re-reads the row the one before committed,
# which is no longer pending: exactly one of them changes it.
_DECIDE_APPROVAL = """
UPDATE approvals SET status = %(status)s, decided_at = %(now)s
WHERE id = %(id)s AND status = 'pending' AND expires_at > %(now)s
RETURNING id, tool, payload_hash, caller, preview, status, created_at, expires_at, decided_at
"""

# The subquery picks the newest approval in the statement's snapshot. The UPDATE's own WHERE repeats
# the whole condition because PostgreSQL re-checks that WHERE, not the subquery, on the latest version
# of a row whose lock it had to wait for. Of concurrent uses of one approval exactly one spends it; the
# others get None, even if an older approval of the same call is left (refusing is the safe side).
_USE_APPROVAL = """
UPDATE approvals SET status = 'used'
WHERE tool = %(tool)s AND payload_hash = %(payload_hash)s AND caller = %(caller)s AND status = 'approved'
    AND expires_at > %(now)s
    AND id = (
        SELECT id FROM approvals
        WHERE tool = %(tool)s AND payload_hash = %(payload_hash)s AND caller = %(caller)s AND status = 'approved'
            AND expires_at > %(now)s
        ORDER BY created_at DESC, id DESC LIMIT 1
    )
RETURNING id, tool, payload_hash, caller, preview, status, created_at, expires_at, decided_at
"""

_AUDIT_COLUMNS = sql.SQL(
    "at, tool, arguments_hash, outcome, recipient_count, recipients, request_ids, guard, detail, target"
)

_TAKE = """
INSERT INTO rate_windows AS w (bucket, window_id, calls) VALUES (%s, %s, 1)
ON CONFLICT (bucket, window_id) DO UPDATE SET calls = w.calls + 1 WHERE w.calls < %s
RETURNING w.calls
"""

# A batch of events as one statement: one array per column, unnested into rows, in key order (the
# caller sorts and deduplicates) so that batches sharing events take their locks in one order. The
# arrays are sent in binary: dumping and parsing a thousand JSON documents as array text costs several
# times what storing them does.
_ADD_ACTIVITY = """
INSERT INTO activity (
    key, at, status, channel, received_at, request_id, external_request_id, contact_id, email, phone, message_id,
    message_instance_id, broadcast_id, hard_bounce, data
)
SELECT * FROM unnest(
    %(keys)b::text[], %(ats)b::float8[], %(statuses)b::text[], %(channels)b::text[], %(received_ats)b::float8[],
    %(request_ids)b::text[], %(external_request_ids)b::text[], %(contact_ids)b::bigint[], %(emails)b::text[],
    %(phones)b::text[], %(message_ids)b::bigint[], %(message_instance_ids)b::bigint[], %(broadcast_ids)b::bigint[],
    %(hard_bounces)b::boolean[], %(data)b::text[]
)
ON CONFLICT (key) DO NOTHING
"""

# A mark replaces the stored one only when newer (see _common.newer). A concurrent transaction's mark of
# the same place makes this one wait, then judge the mark it committed: the newest wins in any order.
# Each place appears once in a batch (ON CONFLICT DO UPDATE may not touch a row twice), in order.
_PUT_MARKS = """
INSERT INTO marks AS m (channel, subject, status, suppressing, at, detail)
SELECT * FROM unnest(
    %(channels)b::text[], %(subjects)b::text[], %(statuses)b::text[], %(suppressing)b::boolean[],
    %(ats)b::float8[], %(details)b::text[]
)
ON CONFLICT (channel, subject) DO UPDATE SET
    status = EXCLUDED.status, suppressing = EXCLUDED.suppressing, at = EXCLUDED.at, detail = EXCLUDED.detail
WHERE EXCLUDED.at > m.at OR (EXCLUDED.at = m.at AND EXCLUDED.suppressing)
"""

_MARKS = sql.SQL("SELECT {} FROM marks WHERE channel = %s AND subject = ANY(%s::text[]) ORDER BY subject").format(
    sql.SQL(MARK_COLUMNS)
)

_PRUNE_RATE_WINDOWS = """
DELETE FROM rate_windows AS w WHERE w.window_id < (
    SELECT max(later.window_id) FROM rate_windows AS later WHERE later.bucket = w.bucket
)
"""


class _InTheWay(Exception):
    """Rolls a reservation's transaction back, carrying the entries that stopped it."""

    def __init__(self, entries: list[LedgerEntry]) -> None:
        super().__init__()
        self.entries = entries


def _audit_record(row: Sequence[Any]) -> AuditRecord:
    at, tool, arguments_hash, outcome, count, recipients, request_ids, guard, detail, target = row
    return AuditRecord(
        at=at,
        tool=tool,
        arguments_hash=arguments_hash,
        outcome=outcome,
        recipient_count=count,
        recipients=tuple(recipients),
        request_ids=tuple(request_ids),
        guard=guard,
        detail=detail,
        target=target,
    )


def _floats(values: Iterable[float | None]) -> list[float | None]:
    """Times as floats: an array is dumped as one type, and a whole-second time may come as an int."""
    return [None if value is None else float(value) for value in values]


def _where(filters: dict[str, Any]) -> tuple[sql.Composable, list[Any]]:
    """A WHERE condition of the filters that are set (constant clauses, values as parameters), so
    that each query can use its index rather than an ``x IS NULL OR`` that defeats it."""
    clauses = [sql.SQL(clause) for clause, value in filters.items() if value is not None]
    values = [value for value in filters.values() if value is not None]
    return (sql.SQL(" AND ").join(clauses) if clauses else sql.SQL("true")), values


class PostgresStore:
    """:class:`~esputnik_mcp.store.base.StateStore` in PostgreSQL. Creating the object connects to
    nothing; :meth:`open` connects, creates ``schema`` if given and missing, and migrates it."""

    def __init__(
        self,
        url: str,
        *,
        schema: str | None = None,
        min_size: int = 1,
        max_size: int = 10,
        timeout: float = 3.0,
    ) -> None:
        if schema is not None and not _SCHEMA.fullmatch(schema):
            raise ValueError("the PostgreSQL schema must be a lowercase identifier (a-z, 0-9, _)")
        if not 0 <= min_size <= max_size or max_size < 1:
            raise ValueError("the pool needs 0 <= min_size <= max_size and max_size >= 1")
        try:
            given = conninfo_to_dict(url)
        except psycopg.Error:
            # psycopg's message quotes the URL, password included.
            raise ValueError("the PostgreSQL URL cannot be read") from None
        self._password = str(given.get("password") or "")
        self._where = f"{given.get('host') or 'localhost'}:{given.get('port') or 5432}/{given.get('dbname') or ''}"
        defaults: dict[str, Any] = {
            "connect_timeout": max(2, math.ceil(timeout)),
            "application_name": "esputnik-mcp",
            "keepalives": 1,
            "keepalives_idle": 5,
            "keepalives_interval": 2,
            "keepalives_count": 3,
            "tcp_user_timeout": round(timeout * 1000),
        }
        self._conninfo = make_conninfo(url, **{key: value for key, value in defaults.items() if key not in given})
        self._schema = schema
        self._min_size = min_size
        self._max_size = max_size
        self._timeout = timeout
        self._pool: AsyncConnectionPool[Connection] | None = None
        digest = hashlib.sha256(f"esputnik_mcp.store:{schema or ''}".encode()).digest()
        self._migration_lock = int.from_bytes(digest[:8], "big", signed=True)

    def __repr__(self) -> str:
        return f"PostgresStore({self._where!r}, schema={self._schema!r})"

    # --- plumbing ----------------------------------------------------------------------------------

    def _redact(self, text: str) -> str:
        return text.replace(self._password, "***") if self._password else text

    def _why(self, exc: BaseException) -> str:
        """A short reason, without the password, for a psycopg or pool error."""
        first = self._redact(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
        first = first.removeprefix("connection failed: ")
        at = f"PostgreSQL at {self._where}"
        reasons: list[tuple[type[BaseException], str]] = [
            (PoolTimeout, f"{at} gave no connection within {self._timeout:g} s (unreachable, or all busy)"),
            (errors.QueryCanceled, f"{at} did not answer within {2 * self._timeout:g} s"),
            (errors.LockNotAvailable, f"a row of the state database stayed locked over {self._timeout:g} s"),
            (errors.DiskFull, f"the disk of {at} is full"),
            (errors.ReadOnlySqlTransaction, f"{at} is read-only (a standby?)"),
            (errors.InsufficientPrivilege, f"{at} refused: {first}"),
            (psycopg.OperationalError, f"{at} is unreachable: {first}"),
        ]
        for kind, reason in reasons:
            if isinstance(exc, kind):
                return reason
        return f"{at} failed: {first}"

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[Connection]:
        pool = self._pool
        if pool is None:
            raise StoreUnavailable("the state store is not open")
        try:
            async with pool.connection() as conn:
                yield conn
        except psycopg.Error as exc:
            raise StoreUnavailable(self._why(exc)) from exc

    async def _configure(self, conn: Connection) -> None:
        """Per session: the short waits, and the store's schema first in the search path."""
        ms = round(self._timeout * 1000)
        await conn.execute(
            "SELECT set_config('lock_timeout', %s, false), set_config('statement_timeout', %s, false), "
            "set_config('idle_in_transaction_session_timeout', %s, false)",
            # A statement waiting on a lock gets the lock's timeout first, and its own reason.
            (str(ms), str(2 * ms), str(max(2 * ms, 60_000))),
        )
        if self._schema is not None:
            await conn.execute("SELECT set_config('search_path', %s, false)", (f'"{self._schema}"',))

    # --- lifetime ----------------------------------------------------------------------------------

    async def open(self) -> None:
        if self._pool is not None:
            return
        pool: AsyncConnectionPool[Connection] = AsyncConnectionPool(
            self._conninfo,
            kwargs={"autocommit": True},
            min_size=self._min_size,
            max_size=self._max_size,
            open=False,
            configure=self._configure,
            timeout=self._timeout,
            name="esputnik-mcp-state",
        )
        try:
            await self._migrate()
            await pool.open(wait=True, timeout=self._timeout)
        except BaseException as exc:
            await pool.close()
            if isinstance(exc, psycopg.Error):
                raise StoreUnavailable(self._why(exc)) from exc
            raise
        self._pool = pool

    async def _migrate(self) -> None:
        """Bring the schema up to date on a connection of its own. The advisory lock, held until the
        transaction ends, makes replicas that start at once apply each migration once, in turn."""
        wanted = schema.migrations("postgres")
        conn = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)
        async with conn:
            await self._configure(conn)
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock(%s)", (self._migration_lock,))
                # Created only when missing: CREATE ... IF NOT EXISTS would still need the privilege to
                # create, which a role given a ready schema need not have.
                if self._schema is not None and not await self._exists(
                    conn, "SELECT 1 FROM pg_namespace WHERE nspname = %s", self._schema
                ):
                    await conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(self._schema)))
                if not await self._exists(conn, "SELECT to_regclass(%s)", "schema_version"):
                    await conn.execute(
                        "CREATE TABLE schema_version "
                        "(version integer PRIMARY KEY, applied_at double precision NOT NULL)"
                    )
                row = await (await conn.execute("SELECT coalesce(max(version), 0) FROM schema_version")).fetchone()
                found = int(row[0]) if row else 0
                if found > len(wanted):
                    raise StoreUnavailable(schema.newer_schema(found, "postgres"))
                for migration in wanted[found:]:
                    await conn.execute(migration.sql)  # several statements and no parameters: one simple query
                    await conn.execute(
                        "INSERT INTO schema_version (version, applied_at) VALUES (%s, %s)",
                        (migration.version, time.time()),
                    )

    @staticmethod
    async def _exists(conn: Connection, query: LiteralString, name: str) -> bool:
        row = await (await conn.execute(query, (name,))).fetchone()
        return row is not None and row[0] is not None

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

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
        params = {
            "keys": [item.key for item in items],
            "kinds": [item.kind for item in items],
            "tools": [item.tool for item in items],
            "channels": [item.channel for item in items],
            "recipients": [item.recipient for item in items],
            "content_keys": [item.content_key for item in items],
            "now": now,
            "reservation": reservation,
            "window_start": window_start,
            "stale_before": stale_before,
            "allow_duplicate": allow_duplicate,
        }
        async with self._connection() as conn:
            attempt = 1
            while True:
                try:
                    return await self._reserve(conn, params)
                except errors.DeadlockDetected:
                    if attempt == _DEADLOCK_RETRIES:
                        raise
                    attempt += 1

    @staticmethod
    async def _reserve(conn: Connection, params: dict[str, Any]) -> list[LedgerEntry]:
        """One attempt. A concurrent transaction's uncommitted row of the same key makes the upsert
        wait on it, then judge the row it committed: exactly one of them writes."""
        try:
            async with conn.transaction():
                written = {row[0] for row in await (await conn.execute(_RESERVE, params)).fetchall()}
                blocked = [key for key in params["keys"] if key not in written]
                if not blocked:
                    return []
                # Rows left alone by ON CONFLICT DO UPDATE are locked all the same: they read as they are.
                rows = await (await conn.execute(_LEDGER, (blocked,))).fetchall()
                raise _InTheWay([ledger_entry(row) for row in rows])
        except _InTheWay as refused:
            return refused.entries

    async def settle(self, reservation: str, settlements: Sequence[Settlement], *, now: float) -> None:
        items = settlements_in_key_order(settlements)
        if not items:
            return
        params = {
            "keys": [item.key for item in items],
            "statuses": [item.status for item in items],
            "request_ids": [item.request_id for item in items],
            "now": now,
            "reservation": reservation,
        }
        async with self._connection() as conn:
            attempt = 1
            while True:
                try:
                    await conn.execute(_SETTLE, params)
                    return
                except errors.DeadlockDetected:
                    if attempt == _DEADLOCK_RETRIES:
                        raise
                    attempt += 1

    async def expire_pending(self, *, stale_before: float) -> int:
        async with self._connection() as conn:
            cursor = await conn.execute(
                "UPDATE ledger SET status = 'unknown' WHERE status = 'pending' AND at < %s", (stale_before,)
            )
            return cursor.rowcount

    async def ledger(self, keys: Sequence[str]) -> list[LedgerEntry]:
        if not keys:
            return []
        async with self._connection() as conn:
            rows = await (await conn.execute(_LEDGER, (list(dict.fromkeys(keys)),))).fetchall()
        return [ledger_entry(row) for row in rows]

    # --- confirmation tokens -------------------------------------------------------------------

    async def put_token(self, record: TokenRecord) -> None:
        async with self._connection() as conn:
            await conn.execute(
                "INSERT INTO tokens (token, tool, payload_hash, expires_at) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (token) DO UPDATE SET tool = EXCLUDED.tool, payload_hash = EXCLUDED.payload_hash, "
                "expires_at = EXCLUDED.expires_at",
                (record.token, record.tool, record.payload_hash, record.expires_at),
            )

    async def take_token(self, token: str) -> TokenRecord | None:
        async with self._connection() as conn:
            cursor = await conn.execute(
                "DELETE FROM tokens WHERE token = %s RETURNING token, tool, payload_hash, expires_at", (token,)
            )
            row = await cursor.fetchone()
        return TokenRecord(*row) if row else None

    # --- approvals (the approval page) ---------------------------------------------------------

    async def put_approval(self, record: ApprovalRecord) -> None:
        async with self._connection() as conn:
            await conn.execute(_PUT_APPROVAL, dataclasses.asdict(record))

    async def approval(self, approval_id: str) -> ApprovalRecord | None:
        return await self._one_approval(_APPROVAL, (approval_id,))

    async def pending_approval(self, *, tool: str, payload_hash: str, caller: str, now: float) -> ApprovalRecord | None:
        call = {"tool": tool, "payload_hash": payload_hash, "caller": caller, "now": now}
        return await self._one_approval(_PENDING_APPROVAL, call)

    async def decide_approval(self, approval_id: str, *, approved: bool, now: float) -> ApprovalRecord | None:
        decision = {"id": approval_id, "status": "approved" if approved else "declined", "now": now}
        return await self._one_approval(_DECIDE_APPROVAL, decision)

    async def use_approval(self, *, tool: str, payload_hash: str, caller: str, now: float) -> ApprovalRecord | None:
        call = {"tool": tool, "payload_hash": payload_hash, "caller": caller, "now": now}
        return await self._one_approval(_USE_APPROVAL, call)

    async def _one_approval(
        self, query: LiteralString, params: Sequence[Any] | dict[str, Any]
    ) -> ApprovalRecord | None:
        """The one approval a statement gives, if any."""
        async with self._connection() as conn:
            row = await (await conn.execute(query, params)).fetchone()
        return approval_record(row) if row else None

    # --- the audit log -------------------------------------------------------------------------

    async def append_audit(self, record: AuditRecord) -> None:
        query = sql.SQL("INSERT INTO audit ({}) VALUES (%s, %s, %s, %s, %s, %s::text[], %s::text[], %s, %s, %s)")
        async with self._connection() as conn:
            await conn.execute(
                query.format(_AUDIT_COLUMNS),
                (
                    record.at,
                    record.tool,
                    record.arguments_hash,
                    record.outcome,
                    record.recipient_count,
                    list(record.recipients),
                    list(record.request_ids),
                    record.guard,
                    record.detail,
                    record.target,
                ),
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
        condition, values = _where({"at >= %s": since, "tool = %s": tool, "outcome = %s": outcome})
        query = sql.SQL("SELECT {} FROM audit WHERE {} ORDER BY at DESC, id DESC LIMIT %s").format(
            _AUDIT_COLUMNS, condition
        )
        async with self._connection() as conn:
            rows = await (await conn.execute(query, (*values, limit))).fetchall()
        return [_audit_record(row) for row in rows]

    async def count_refusal(self, *, minute: int, tool: str, guard: str) -> None:
        async with self._connection() as conn:
            await conn.execute(
                "INSERT INTO refusals AS r (minute, tool, guard, refused) VALUES (%s, %s, %s, 1) "
                "ON CONFLICT (minute, tool, guard) DO UPDATE SET refused = r.refused + 1",
                (minute, tool, guard),
            )

    async def refusals(self, *, since: float | None = None, tool: str | None = None) -> list[RefusalCount]:
        condition, values = _where({"minute >= %s": None if since is None else minute_of(since), "tool = %s": tool})
        query = sql.SQL(
            "SELECT minute, tool, guard, refused FROM refusals WHERE {} ORDER BY minute DESC, tool, guard"
        ).format(condition)
        async with self._connection() as conn:
            rows = await (await conn.execute(query, values)).fetchall()
        return [RefusalCount(*row) for row in rows]

    # --- rate limits ---------------------------------------------------------------------------

    async def take(self, bucket: str, *, window: int, limit: int) -> bool:
        return await self.take_each([(bucket, limit)], window=window) is None

    async def take_each(self, buckets: Sequence[tuple[str, int]], *, window: int) -> int | None:
        async with self._connection() as conn:
            for index, (bucket, limit) in enumerate(buckets):
                if limit < 1:
                    return index
                cursor = await conn.execute(_TAKE, (bucket, window, limit))
                if await cursor.fetchone() is None:
                    return index
        return None

    # --- the webhook inbox ---------------------------------------------------------------------

    async def add_activity(self, records: Sequence[ActivityRecord], marks: Sequence[Mark]) -> int:
        events = events_in_key_order(records)
        places = newest_marks(marks)
        if not events and not places:
            return 0
        event_columns = {
            "keys": [event.key for event in events],
            "ats": _floats(event.at for event in events),
            "statuses": [event.status for event in events],
            "channels": [event.channel for event in events],
            "received_ats": _floats(event.received_at for event in events),
            "request_ids": [event.request_id for event in events],
            "external_request_ids": [event.external_request_id for event in events],
            "contact_ids": [event.contact_id for event in events],
            "emails": [event.email for event in events],
            "phones": [event.phone for event in events],
            "message_ids": [event.message_id for event in events],
            "message_instance_ids": [event.message_instance_id for event in events],
            "broadcast_ids": [event.broadcast_id for event in events],
            "hard_bounces": [event.hard_bounce for event in events],
            "data": [event.data for event in events],
        }
        mark_columns = {
            "channels": [mark.channel for mark in places],
            "subjects": [mark.subject for mark in places],
            "statuses": [mark.status for mark in places],
            "suppressing": [mark.suppressing for mark in places],
            "ats": _floats(mark.at for mark in places),
            "details": [mark.detail for mark in places],
        }
        async with self._connection() as conn:
            attempt = 1
            while True:
                try:
                    async with conn.transaction():
                        added = (await conn.execute(_ADD_ACTIVITY, event_columns)).rowcount if events else 0
                        if places:
                            await conn.execute(_PUT_MARKS, mark_columns)
                    return added
                except errors.DeadlockDetected:
                    if attempt == _DEADLOCK_RETRIES:
                        raise
                    attempt += 1

    async def activity(
        self, query: ActivityFilter, *, limit: int, after: tuple[float, str] | None = None
    ) -> ActivityPage:
        condition, values = _where(
            {
                "request_id = ANY(%s::text[])": list(query.request_ids) if query.request_ids else None,
                "external_request_id = %s": query.external_request_id,
                "contact_id = %s": query.contact_id,
                "email = %s": query.email,
                "phone = %s": query.phone,
                "status = ANY(%s::text[])": list(query.statuses) if query.statuses else None,
                "channel = %s": query.channel,
                "broadcast_id = %s": query.broadcast_id,
                "at >= %s": query.since,
                "at < %s": query.until,
            }
        )
        page = sql.SQL("SELECT {} FROM activity WHERE {}{} ORDER BY at DESC, key DESC LIMIT %s").format(
            sql.SQL(ACTIVITY_COLUMNS),
            condition,
            sql.SQL(" AND (at, key) < (%s, %s)" if after is not None else ""),
        )
        counts = sql.SQL("SELECT status, count(*) FROM activity WHERE {} GROUP BY status").format(condition)
        async with self._connection() as conn, conn.transaction():
            # One snapshot for the page and the counts, so that they agree while events keep arriving.
            await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            rows = []
            if limit > 0:
                rows = await (await conn.execute(page, (*values, *(after or ()), limit + 1))).fetchall()
            per_status = await (await conn.execute(counts, values)).fetchall()
        return activity_page(rows, per_status, limit)

    async def marks(self, channel: str, subjects: Sequence[str]) -> list[Mark]:
        if not subjects:
            return []
        async with self._connection() as conn:
            rows = await (await conn.execute(_MARKS, (channel, list(dict.fromkeys(subjects))))).fetchall()
        return [mark_of(row) for row in rows]

    async def inbox_stats(self) -> InboxStats:
        async with self._connection() as conn:
            row = await (await conn.execute("SELECT count(*), max(received_at) FROM activity")).fetchone()
        events, last = row if row else (0, None)
        return InboxStats(events=int(events), last_received_at=last)

    # --- retention -----------------------------------------------------------------------------

    async def prune(
        self, *, audit_before: float, ledger_before: float, now: float, activity_before: float | None = None
    ) -> None:
        async with self._connection() as conn, conn.transaction():
            await conn.execute("DELETE FROM audit WHERE at < %s", (audit_before,))
            await conn.execute("DELETE FROM refusals WHERE minute < %s", (minute_of(audit_before),))
            await conn.execute(
                "DELETE FROM ledger WHERE status = ANY(%s::text[]) AND at < %s", (list(SETTLED), ledger_before)
            )
            await conn.execute("DELETE FROM tokens WHERE expires_at <= %s", (now,))
            await conn.execute("DELETE FROM approvals WHERE expires_at <= %s", (now,))
            await conn.execute(_PRUNE_RATE_WINDOWS)
            if activity_before is not None:
                await conn.execute("DELETE FROM activity WHERE at < %s", (activity_before,))
                await conn.execute("DELETE FROM marks WHERE NOT suppressing AND at < %s", (activity_before,))
