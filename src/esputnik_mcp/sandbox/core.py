"""The embeddable sandbox: one object owning the app, its state and its test controls."""

from __future__ import annotations

import collections
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import anyio
import httpx2 as httpx
from starlette.applications import Starlette

from esputnik_mcp.paths import user_data_dir
from esputnik_mcp.sandbox import db
from esputnik_mcp.sandbox import demo as demo_module
from esputnik_mcp.sandbox.app import Runtime, build_app
from esputnik_mcp.sandbox.clock import Clock
from esputnik_mcp.sandbox.defaults import SANDBOX_BASE_URL
from esputnik_mcp.sandbox.domain import activity, events, messaging, orders
from esputnik_mcp.sandbox.faults import FaultPlan
from esputnik_mcp.sandbox.journal import Journal
from esputnik_mcp.sandbox.limits import RateLimiter
from esputnik_mcp.sandbox.state import State
from esputnik_mcp.sandbox.transport import SandboxTransport
from esputnik_mcp.sandbox.webhooks import WebhookPusher

__all__ = ["DB_FILE_NAME", "SANDBOX_BASE_URL", "Sandbox", "default_db_path"]

DB_FILE_NAME = "sandbox.sqlite3"


def default_db_path() -> Path:
    return user_data_dir() / DB_FILE_NAME


class Sandbox:
    """A local eSputnik: the same paths, auth, bodies and errors, over SQLite state.

    ``db_path`` defaults to ``sandbox.sqlite3`` in the user data directory, so a user's
    sandbox survives restarts; ``":memory:"`` gives a throwaway one. A new (or ``reset``)
    database is filled with the demo account when ``demo`` is true, else left bare.
    ``admin`` turns on the ``/_sandbox`` routes (journal, faults, clock, reset).
    ``webhooks`` pushes activity to a webhook once attached; served by a server, the app runs it.
    """

    def __init__(
        self,
        api_key: str = "sandbox",
        *,
        db_path: str | Path | None = None,
        demo: bool = True,
        admin: bool = False,
        reset: bool = False,
        clock: Clock | None = None,
        seed: int = demo_module.DEMO_SEED,
        demo_contacts: int = demo_module.DEMO_CONTACTS,
    ) -> None:
        if not api_key:
            raise ValueError("the sandbox needs an API key (any non-empty string)")
        self.db_path = default_db_path() if db_path is None else db_path
        self.clock = clock or Clock()
        self.journal = Journal()
        self.faults = FaultPlan()
        self.limiter = RateLimiter()
        self.state = State(db.connect(self.db_path), self.clock)
        self.webhooks = WebhookPusher(self.state)
        self._demo, self._seed, self._demo_contacts = demo, seed, demo_contacts
        self._runtime = Runtime(
            state=self.state,
            api_key=api_key,
            journal=self.journal,
            faults=self.faults,
            limiter=self.limiter,
            admin=admin,
            reset=lambda with_demo: self.reset(demo=with_demo),
        )
        if reset or not db.is_initialised(self.state.conn):
            self.reset()
        self.app = build_app(self._runtime, self._lifespan)

    def __repr__(self) -> str:
        return f"Sandbox(db_path={str(self.db_path)!r}, admin={self._runtime.admin})"

    def reset(self, *, demo: bool | None = None) -> None:
        """Start over: an empty database (with the demo account unless ``demo`` is false), an
        empty journal and fault plan, fresh rate-limit and repeat windows."""
        if demo is not None:
            self._demo = demo
        if self._demo:
            _load_demo(self.state, self._seed, self._demo_contacts)
        else:
            db.recreate(self.state.conn)
            demo_module.load_bare(self.state)
        self.journal.clear()
        self.faults.clear()
        self.limiter.reset()
        self._runtime.repeats.clear()
        self.webhooks.reset()

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        """While served: the webhook pusher's loop (idle until a webhook is attached)."""
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(self.webhooks.run)
            yield
            tasks.cancel_scope.cancel()

    def transport(self) -> httpx.AsyncBaseTransport:
        """A transport into the app with no socket; use with :data:`SANDBOX_BASE_URL`."""
        return SandboxTransport(self.app)

    def close(self) -> None:
        self.state.conn.close()

    # Views eSputnik itself does not offer, for tests and for seeing what would have happened.

    def sent_messages(self) -> list[dict[str, Any]]:
        """Every message "sent" through the API, oldest first, with its rendered content (the demo
        account's past sends are in :meth:`activity` and the history endpoints)."""
        self.state.tick()
        return messaging.sent_messages(self.state)

    def events(self, type_key: str | None = None) -> list[dict[str, Any]]:
        """Stored events (API, orders, subscribe, imports), oldest first."""
        self.state.tick()
        return events.list_events(self.state, type_key=type_key)

    def order(self, external_order_id: str) -> dict[str, Any] | None:
        """A stored order as it was sent, or None."""
        self.state.tick()
        return orders.get(self.state, external_order_id)

    def activity(self, request_id: str | None = None, *, include_future: bool = False) -> list[dict[str, Any]]:
        """Activity events as the webhook posts them, oldest first: those that have happened by now,
        or with ``include_future`` also those a send has scheduled for later."""
        return activity.events(self.state, request_id=request_id, include_future=include_future)

    # What a person does with a message they received (for tests and demos).

    def record_action(
        self,
        request_id: str,
        action: str,
        *,
        link: str | None = None,
        subscriptions: Sequence[str] | None = None,
        at: float | None = None,
    ) -> dict[str, Any]:
        """Record that the recipient of message ``request_id`` did ``action`` at ``at`` (default: the
        sandbox's now): ``CLICKED`` (with ``link``), ``UNSUBSCRIBED``, ``SPAM`` (email only) or
        ``SUBSCRIPTION_CHANGED`` (with the category keys ``subscriptions``). The new event, as the
        webhook posts it. An unsubscribe or spam complaint on an email puts the address on the
        unsubscribed list. Raises LookupError for an unknown request id, ValueError for an action the
        message cannot have (e.g. before it is delivered); see
        :func:`esputnik_mcp.sandbox.domain.activity.record_action`."""
        event_id = activity.record_action(self.state, request_id, action, link=link, subscriptions=subscriptions, at=at)
        return activity.event(self.state, event_id)


# Demo databases built at a frozen clock time, kept for a copy (SQLite's backup) instead of
# a rebuild: tests create many sandboxes at the same frozen time.
_SNAPSHOTS: collections.OrderedDict[tuple[int, int, float], sqlite3.Connection] = collections.OrderedDict()
_SNAPSHOT_LIMIT = 4


def _load_demo(state: State, seed: int, contacts: int) -> None:
    key = (seed, contacts, state.now()) if state.clock.frozen else None
    if key is not None and key in _SNAPSHOTS:
        _SNAPSHOTS.move_to_end(key)
        _SNAPSHOTS[key].backup(state.conn)
        return
    db.recreate(state.conn, indexes=False)
    demo_module.load(state, seed, contacts)
    db.create_indexes(state.conn)
    if key is not None:
        copy = sqlite3.connect(":memory:", check_same_thread=False)
        state.conn.backup(copy)
        _SNAPSHOTS[key] = copy
        while len(_SNAPSHOTS) > _SNAPSHOT_LIMIT:
            _SNAPSHOTS.popitem(last=False)[1].close()
