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
from collections.abc import AsyncIterator, Sequence
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
    SETTLED,
    approval_record,
    in_key_order,
    ledger_entry,
    minute_of,
    settlements_in_key_order,
)
from esputnik_mcp.store.base import (
    ApprovalRecord,
    AuditRecord,
    LedgerEntry,
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
        if limit < 1:
            return False
        async with self._connection() as conn:
            cursor = await conn.execute(_TAKE, (bucket, window, limit))
            return await cursor.fetchone() is not None

    # --- retention -----------------------------------------------------------------------------

    async def prune(self, *, audit_before: float, ledger_before: float, now: float) -> None:
        async with self._connection() as conn, conn.transaction():
            await conn.execute("DELETE FROM audit WHERE at < %s", (audit_before,))
            await conn.execute("DELETE FROM refusals WHERE minute < %s", (minute_of(audit_before),))
            await conn.execute(
                "DELETE FROM ledger WHERE status = ANY(%s::text[]) AND at < %s", (list(SETTLED), ledger_before)
            )
            await conn.execute("DELETE FROM tokens WHERE expires_at <= %s", (now,))
            await conn.execute("DELETE FROM approvals WHERE expires_at <= %s", (now,))
            await conn.execute(_PRUNE_RATE_WINDOWS)
