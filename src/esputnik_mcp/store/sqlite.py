"""The state store in SQLite (stdlib): one file under the user's data directory by default."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

from esputnik_mcp.store.base import AuditRecord, LedgerEntry, TokenRecord

SCHEMA = """
CREATE TABLE IF NOT EXISTS ledger (
    key TEXT NOT NULL, tool TEXT NOT NULL, channel TEXT NOT NULL, recipient TEXT NOT NULL,
    content_key TEXT NOT NULL, status TEXT NOT NULL, request_id TEXT, at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_key_at ON ledger (key, at);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY, tool TEXT NOT NULL, payload_hash TEXT NOT NULL, expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, tool TEXT NOT NULL, arguments_hash TEXT NOT NULL,
    outcome TEXT NOT NULL, recipient_count INTEGER NOT NULL, recipients TEXT NOT NULL,
    request_ids TEXT NOT NULL, guard TEXT, detail TEXT
);
CREATE INDEX IF NOT EXISTS audit_at ON audit (at);
"""


class SQLiteStore:
    def __init__(self, path: str | Path) -> None:
        target = str(path)
        if target != ":memory:":
            Path(target).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            if target != ":memory:":
                self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(SCHEMA)

    def sends_since(self, keys: Sequence[str], since: float) -> list[LedgerEntry]:
        if not keys:
            return []
        marks = ",".join("?" * len(keys))
        with self._lock:
            rows = self._db.execute(
                "SELECT key, tool, channel, recipient, content_key, status, request_id, at FROM ledger "  # noqa: S608
                f"WHERE key IN ({marks}) AND at >= ? ORDER BY at DESC",
                (*keys, since),
            ).fetchall()
        return [LedgerEntry(*row) for row in rows]

    def record_sends(self, entries: Sequence[LedgerEntry]) -> None:
        with self._lock:
            self._db.executemany(
                "INSERT INTO ledger VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(e.key, e.tool, e.channel, e.recipient, e.content_key, e.status, e.request_id, e.at) for e in entries],
            )

    def put_token(self, record: TokenRecord) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO tokens VALUES (?, ?, ?, ?)",
                (record.token, record.tool, record.payload_hash, record.expires_at),
            )

    def take_token(self, token: str) -> TokenRecord | None:
        with self._lock:
            row = self._db.execute(
                "DELETE FROM tokens WHERE token = ? RETURNING token, tool, payload_hash, expires_at", (token,)
            ).fetchone()
        return TokenRecord(*row) if row else None

    def append_audit(self, record: AuditRecord) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO audit (at, tool, arguments_hash, outcome, recipient_count, recipients, request_ids, "
                "guard, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.at,
                    record.tool,
                    record.arguments_hash,
                    record.outcome,
                    record.recipient_count,
                    json.dumps(list(record.recipients)),
                    json.dumps(list(record.request_ids)),
                    record.guard,
                    record.detail,
                ),
            )

    def audit(self, *, since: float | None = None, limit: int = 100) -> list[AuditRecord]:
        with self._lock:
            rows = self._db.execute(
                "SELECT at, tool, arguments_hash, outcome, recipient_count, recipients, request_ids, guard, detail "
                "FROM audit WHERE at >= ? ORDER BY at DESC, id DESC LIMIT ?",
                (since if since is not None else 0.0, limit),
            ).fetchall()
        return [
            AuditRecord(
                at=row[0],
                tool=row[1],
                arguments_hash=row[2],
                outcome=row[3],
                recipient_count=row[4],
                recipients=tuple(json.loads(row[5])),
                request_ids=tuple(json.loads(row[6])),
                guard=row[7],
                detail=row[8],
            )
            for row in rows
        ]

    def close(self) -> None:
        with self._lock:
            self._db.close()
