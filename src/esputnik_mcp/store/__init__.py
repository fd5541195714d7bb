"""State the server owns: the duplicate-send ledger, confirmation tokens, approvals, the audit log,
rate counters and the webhook inbox (activity events and the marks they leave), in SQLite (one host)
or PostgreSQL (several replicas).

``PostgresStore`` is imported on first use only: psycopg is an optional extra, and a server started
over stdio with SQLite never loads it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from esputnik_mcp.store.base import (
    ActivityFilter,
    ActivityPage,
    ActivityRecord,
    ApprovalRecord,
    ApprovalStatus,
    AuditRecord,
    EntryKind,
    InboxStats,
    LedgerEntry,
    Mark,
    Outcome,
    RefusalCount,
    Reservation,
    SendStatus,
    Settlement,
    StateStore,
    StoreUnavailable,
    TokenRecord,
)
from esputnik_mcp.store.sqlite import SQLiteStore

if TYPE_CHECKING:
    from esputnik_mcp.store.postgres import PostgresStore

__all__ = [
    "ActivityFilter",
    "ActivityPage",
    "ActivityRecord",
    "ApprovalRecord",
    "ApprovalStatus",
    "AuditRecord",
    "EntryKind",
    "InboxStats",
    "LedgerEntry",
    "Mark",
    "Outcome",
    "PostgresStore",
    "RefusalCount",
    "Reservation",
    "SQLiteStore",
    "SendStatus",
    "Settlement",
    "StateStore",
    "StoreSettings",
    "StoreUnavailable",
    "TokenRecord",
    "open_store",
]

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
INSTALL_POSTGRES = 'pip install "esputnik-mcp[postgres]"'


class _Secret(Protocol):
    def get_secret_value(self) -> str: ...


class StoreSettings(Protocol):
    """What :func:`open_store` reads of the settings (the store does not import the settings)."""

    @property
    def database_url(self) -> _Secret | None: ...

    @property
    def state_path(self) -> str: ...


def open_store(settings: StoreSettings) -> StateStore:
    """The store the settings ask for, not yet opened (the caller awaits ``open()``): PostgreSQL
    when ``database_url`` is set, else SQLite at ``state_path``. Raises :class:`StoreUnavailable`
    when the URL is not a PostgreSQL one or psycopg is not installed; the URL is never quoted."""
    secret = settings.database_url
    url = secret.get_secret_value().strip() if secret is not None else ""
    if not url:
        return SQLiteStore(settings.state_path)
    if not url.startswith(POSTGRES_SCHEMES):
        raise StoreUnavailable("ESPUTNIK_DATABASE_URL must start with postgresql:// (or postgres://)")
    try:
        from esputnik_mcp.store.postgres import PostgresStore
    except ImportError as exc:
        raise StoreUnavailable(f"ESPUTNIK_DATABASE_URL needs psycopg: {INSTALL_POSTGRES}") from exc
    try:
        return PostgresStore(url)
    except ValueError as exc:
        raise StoreUnavailable(f"ESPUTNIK_DATABASE_URL: {exc}") from None


def __getattr__(name: str) -> Any:
    if name == "PostgresStore":
        from esputnik_mcp.store.postgres import PostgresStore

        return PostgresStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
