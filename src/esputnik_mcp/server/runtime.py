"""What a running server holds: the settings, the API client (to eSputnik or into the sandbox),
the embedded sandbox when there is one, the tools it lists, and caches shared by tool calls."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver import Context

from esputnik_mcp.inbox import Inbox
from esputnik_mcp.server.gate import Gate
from esputnik_mcp.server.listing import Listing, tool_listings
from esputnik_mcp.settings import Settings
from esputnik_mcp.store import SQLiteStore, StateStore
from esputnik_mcp.toolkit.base import ToolContext

if TYPE_CHECKING:
    from esputnik_mcp.api import ESputnikClient


@dataclass
class Runtime:
    settings: Settings
    client: ESputnikClient
    # The embedded sandbox when no API key is set: an esputnik_mcp.sandbox.Sandbox, or a handle that
    # builds one on first need (esputnik_mcp.server.backend.SandboxOnDemand).
    sandbox: Any | None = None
    store: StateStore = field(default_factory=lambda: SQLiteStore(":memory:"))
    cache: dict[str, Any] = field(default_factory=dict)
    clock: Callable[[], float] = time.time  # the safety gate's: rate windows, token expiry, ledger times
    # Every tool as listed, before the policy (default: built from the catalogue); the tools
    # themselves are imported when the first call needs them.
    tools: Sequence[Listing] = field(default_factory=tool_listings)
    gate: Gate = field(init=False)
    inbox: Inbox = field(init=False)  # what eSputnik's webhook pushed, in the store

    def __post_init__(self) -> None:
        self.inbox = Inbox(self.store, clock=self.clock)
        self.gate = Gate.from_settings(self.settings, self.store, clock=self.clock, inbox=self.inbox, tools=self.tools)

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
