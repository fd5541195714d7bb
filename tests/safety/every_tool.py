"""One plausible call of every tool against the demo account, for tests that must cover them all: each
tool's own example, declared with it."""

from __future__ import annotations

from typing import Any

from esputnik_mcp.tools import catalogue

Call = tuple[str, dict[str, Any]]


def every_tool_call() -> list[Call]:
    return [(spec.name, dict(spec.example)) for spec in catalogue()]
