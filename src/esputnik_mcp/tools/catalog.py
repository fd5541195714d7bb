"""Every tool, in the order the server lists them."""

from __future__ import annotations

from esputnik_mcp.tools import account, contacts, events, messaging, orders, segments
from esputnik_mcp.tools.base import ToolSpec

ALL_TOOLS: tuple[ToolSpec, ...] = (
    *contacts.TOOLS,
    *segments.TOOLS,
    *messaging.TOOLS,
    *events.TOOLS,
    *orders.TOOLS,
    *account.TOOLS,
)


def tool_names() -> list[str]:
    return [t.name for t in ALL_TOOLS]
