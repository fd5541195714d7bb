"""What a running server holds: the settings, the API client (to eSputnik or into the sandbox),
the embedded sandbox when there is one, and caches shared by tool calls."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mcp.server.mcpserver import Context

from esputnik_mcp.api import ESputnikClient
from esputnik_mcp.inbox import Inbox
from esputnik_mcp.server.gate import Gate
from esputnik_mcp.settings import Settings
from esputnik_mcp.store import SQLiteStore, StateStore
from esputnik_mcp.toolkit.base import ToolContext


@dataclass
class Runtime:
    settings: Settings
    client: ESputnikClient
    sandbox: Any | None = None  # the embedded esputnik_mcp.sandbox.Sandbox when no API key is set
    store: StateStore = field(default_factory=lambda: SQLiteStore(":memory:"))
    cache: dict[str, Any] = field(default_factory=dict)
    clock: Callable[[], float] = time.time  # the safety gate's: rate windows, token expiry, ledger times
    gate: Gate = field(init=False)
    inbox: Inbox = field(init=False)  # what eSputnik's webhook pushed, in the store

    def __post_init__(self) -> None:
        self.inbox = Inbox(self.store, clock=self.clock)
        self.gate = Gate.from_settings(self.settings, self.store, clock=self.clock, inbox=self.inbox)

    @property
    def on_sandbox(self) -> bool:
        return self.sandbox is not None

    def tool_context(self, ctx: Context[Any, Any]) -> ToolContext:
        return ToolContext(
            client=self.client,
            settings=self.settings,
            sandbox=self.on_sandbox,
            progress=ctx.report_progress,
            cache=self.cache,
            state=self.store,
            inbox=self.inbox,
        )
