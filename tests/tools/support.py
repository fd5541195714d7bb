"""Reading what reached the sandbox, and what a tool answered."""

from __future__ import annotations

from typing import Any

from mcp_types import CallToolResult

from esputnik_mcp.sandbox import Clock, JournalEntry, Sandbox

# A fixed moment (2025-06-15 15:06:40 UTC). A sandbox on a frozen clock moves only with
# clock.advance(), and its demo database is copied from the first one built, not rebuilt.
T0 = 1_750_000_000.0


def demo_sandbox() -> Sandbox:
    """The demo account on a frozen clock."""
    return Sandbox(api_key="sandbox", db_path=":memory:", demo=True, clock=Clock(frozen_at=T0))


def bare_sandbox() -> Sandbox:
    """An empty account on a frozen clock."""
    return Sandbox(api_key="sandbox", db_path=":memory:", demo=False, clock=Clock(frozen_at=T0))


def requests(sandbox: Sandbox, route: str | None = None) -> list[JournalEntry]:
    """Every request the sandbox received (of one operation, e.g. ``"POST /v1/contact"``)."""
    entries = sandbox.journal.entries
    return entries if route is None else [e for e in entries if e.route == route]


def data(result: CallToolResult) -> dict[str, Any]:
    """The structured content of a successful call."""
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


def text(result: CallToolResult) -> str:
    return result.content[0].text  # type: ignore[union-attr]
