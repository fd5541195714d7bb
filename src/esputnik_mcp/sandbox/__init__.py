"""A faithful local emulator of the eSputnik REST API (paths, auth, bodies, errors, quirks),
with SQLite state, demo data, a request journal, a fault plan and a controllable clock.

It imports nothing from the API client or the MCP server, so a client bug is caught rather
than mirrored. Embedded::

    sb = Sandbox(api_key="sandbox", db_path=":memory:")
    client = httpx2.AsyncClient(transport=sb.transport(), base_url=SANDBOX_BASE_URL)
    sb.faults.add(Fault(route="POST /v1/message/email", times=1, status=503))
    sb.clock.advance(30)
    sb.journal.entries
    sb.record_action(request_id, "CLICKED", link="https://shop.example/")
    sb.webhooks.attach(deliver)  # async deliver(body, headers) -> HTTP status
    await sb.webhooks.push_due()

Served on its own: ``python -m esputnik_mcp.sandbox --help``.

The names below are loaded on first use, so that a program can import
:mod:`esputnik_mcp.sandbox.defaults` (the base URL, the demo senders) without building the app.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from esputnik_mcp.sandbox.defaults import DEMO_EMAIL_SENDER, DEMO_SMS_SENDER, SANDBOX_BASE_URL

if TYPE_CHECKING:
    from esputnik_mcp.sandbox.clock import Clock
    from esputnik_mcp.sandbox.core import Sandbox, default_db_path
    from esputnik_mcp.sandbox.demo import DEMO_BOUNCED_EMAIL, DEMO_UNSUBSCRIBED_EMAIL
    from esputnik_mcp.sandbox.faults import Fault, FaultPlan
    from esputnik_mcp.sandbox.journal import Journal, JournalEntry
    from esputnik_mcp.sandbox.webhooks import Deliver, HttpDelivery, WebhookPusher

__all__ = [
    "DEMO_BOUNCED_EMAIL",
    "DEMO_EMAIL_SENDER",
    "DEMO_SMS_SENDER",
    "DEMO_UNSUBSCRIBED_EMAIL",
    "SANDBOX_BASE_URL",
    "Clock",
    "Deliver",
    "Fault",
    "FaultPlan",
    "HttpDelivery",
    "Journal",
    "JournalEntry",
    "Sandbox",
    "WebhookPusher",
    "default_db_path",
]

_HOMES = {
    "Clock": "clock",
    "Sandbox": "core",
    "default_db_path": "core",
    "DEMO_BOUNCED_EMAIL": "demo",
    "DEMO_UNSUBSCRIBED_EMAIL": "demo",
    "Fault": "faults",
    "FaultPlan": "faults",
    "Journal": "journal",
    "JournalEntry": "journal",
    "Deliver": "webhooks",
    "HttpDelivery": "webhooks",
    "WebhookPusher": "webhooks",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
