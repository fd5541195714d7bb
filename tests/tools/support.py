"""Reading what reached the sandbox, and what a tool answered."""

from __future__ import annotations

from typing import Any

from mcp_types import CallToolResult

from esputnik_mcp.sandbox import JournalEntry, Sandbox


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
