"""The webhook inbox as tools read it: the events eSputnik pushed, and whether any ever arrived."""

from __future__ import annotations

from esputnik_mcp.inbox import normal_email, normal_phone
from esputnik_mcp.store.base import ActivityFilter as InboxQuery
from esputnik_mcp.store.base import ActivityPage
from esputnik_mcp.toolkit.base import ToolContext, ToolFailure

__all__ = ["InboxQuery", "inbox_activity", "inbox_events", "normal_email", "normal_phone"]

# Events read per request id at most, when a status is enriched with what the inbox holds.
EVENTS_PER_ID = 10


async def inbox_events(
    ctx: ToolContext, query: InboxQuery, *, limit: int, after: tuple[float, str] | None = None
) -> tuple[ActivityPage, bool]:
    """A page of stored events, and True when the inbox has never received any."""
    if ctx.inbox is None:
        raise ToolFailure("this server keeps no webhook inbox")
    page = await ctx.inbox.events(query, limit=limit, after=after)
    never = page.total == 0 and (await ctx.inbox.stats()).events == 0
    return page, never


async def inbox_activity(ctx: ToolContext, request_ids: list[str]) -> dict[str, list[str]]:
    """Request id → what the webhook reported for it, oldest first (``DELIVERED``, ``READ``,
    ``UNDELIVERED (hard bounce)`` …); empty without an inbox."""
    if ctx.inbox is None or not request_ids:
        return {}
    page = await ctx.inbox.events(InboxQuery(request_ids=tuple(request_ids)), limit=EVENTS_PER_ID * len(request_ids))
    found: dict[str, list[str]] = {}
    for record in reversed(page.records):
        if record.request_id is not None:
            label = record.status + (" (hard bounce)" if record.hard_bounce and record.status == "UNDELIVERED" else "")
            found.setdefault(record.request_id, []).append(label)
    return found
