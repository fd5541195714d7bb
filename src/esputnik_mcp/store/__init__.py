"""Local state the server owns: the duplicate-send ledger, confirmation tokens, the audit log."""

from esputnik_mcp.store.base import AuditRecord, LedgerEntry, StateStore, TokenRecord
from esputnik_mcp.store.sqlite import SQLiteStore

__all__ = ["AuditRecord", "LedgerEntry", "SQLiteStore", "StateStore", "TokenRecord"]
