"""Orders tools."""

from __future__ import annotations

from esputnik_mcp.tools.base import ToolSpec

TOOLS: list[ToolSpec] = []
