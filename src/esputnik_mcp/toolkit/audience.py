"""The audience of a send to segments (a broadcast, an SMS or Viber message to a segment): each
segment with its name and member count, resolved before anyone is asked, so that the guards and
the person approving see how many people it reaches.

Costs one read per segment (its first page of one contact, for the ``TotalCount`` header) and the
segment list for the names (kept for five minutes). An id that is not a segment of the account is
refused here, before anything is sent.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from esputnik_mcp.api import NotFoundError
from esputnik_mcp.toolkit.base import ToolContext, ToolFailure
from esputnik_mcp.toolspec import Audience, SegmentAudience

NAMES_TTL = 300.0


async def segment_names(ctx: ToolContext) -> dict[int, str | None]:
    """Segment id → name, from the account's segment list, kept for a few minutes."""
    cached = ctx.cache.get("segment_names")
    now = time.monotonic()
    if isinstance(cached, tuple) and now - cached[0] < NAMES_TTL:
        names: dict[int, str | None] = cached[1]
        return names
    names = {group.id: group.name async for group in ctx.client.segments.iter_all()}
    ctx.cache["segment_names"] = (now, names)
    return names


async def members(ctx: ToolContext, segment_id: int) -> int | None:
    """How many contacts segment ``segment_id`` has, as eSputnik counts them; None when it does not say."""
    try:
        first = await ctx.client.segments.contacts(segment_id, max_rows=1)
    except NotFoundError:
        raise ToolFailure(f"nothing was sent: segment {segment_id} not found (list_segments lists them)") from None
    return first.total


async def segment_audience(ctx: ToolContext, segment_ids: Sequence[int], excluded_ids: Sequence[int] = ()) -> Audience:
    """The segments a send goes to and those it leaves out, named and counted."""
    names = await segment_names(ctx)
    unknown = [i for i in (*segment_ids, *excluded_ids) if i not in names]
    if unknown:
        shown = ", ".join(str(i) for i in unknown[:5])
        raise ToolFailure(f"nothing was sent: no segment {shown} in the account (list_segments lists them)")
    overlap = sorted(set(segment_ids) & set(excluded_ids))
    if overlap:
        raise ToolFailure(f"segment {overlap[0]} is both a target and excluded: name it once")
    included = tuple([SegmentAudience(i, names[i], await members(ctx, i)) for i in dict.fromkeys(segment_ids)])
    excluded = tuple(SegmentAudience(i, names[i]) for i in dict.fromkeys(excluded_ids))
    return Audience(segments=included, excluded=excluded)
