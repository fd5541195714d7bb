"""The state store interface. SQLite implements it for one process or one host; a PostgreSQL
implementation can fill the same interface when several replicas share state."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

SendStatus = Literal["sent", "unknown", "failed"]
Outcome = Literal["ok", "error", "ambiguous", "refused"]


@dataclass(frozen=True)
class LedgerEntry:
    """One recipient of one send."""

    key: str  # hash of channel, content and recipient: what makes two sends "the same"
    tool: str
    channel: str
    recipient: str  # masked
    content_key: str
    status: SendStatus
    request_id: str | None
    at: float  # epoch seconds


@dataclass(frozen=True)
class TokenRecord:
    token: str
    tool: str
    payload_hash: str
    expires_at: float


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


class StateStore(Protocol):
    def sends_since(self, keys: Sequence[str], since: float) -> list[LedgerEntry]:
        """Ledger entries with these keys recorded at or after ``since``, newest first."""
        ...

    def record_sends(self, entries: Sequence[LedgerEntry]) -> None: ...

    def put_token(self, record: TokenRecord) -> None: ...

    def take_token(self, token: str) -> TokenRecord | None:
        """The token's record, removed so that it can be used once only; None if unknown or used."""
        ...

    def append_audit(self, record: AuditRecord) -> None: ...

    def audit(self, *, since: float | None = None, limit: int = 100) -> list[AuditRecord]:
        """Audit records, newest first."""
        ...

    def close(self) -> None: ...
