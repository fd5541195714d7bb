"""Campaigns: create_broadcast, list_broadcasts, get_broadcast, cancel_broadcast, list_workflows."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, Field, model_validator

from esputnik_mcp.api import BadRequestError, ESputnikError, NotFoundError
from esputnik_mcp.api.broadcasts import START_FORMAT, BatchIntervalUnit, Broadcast, NewBroadcast
from esputnik_mcp.api.workflows import Workflow
from esputnik_mcp.toolkit.audience import segment_audience
from esputnik_mcp.toolkit.base import (
    ConfirmableInput,
    Result,
    ToolContext,
    ToolFailure,
    ToolInput,
    ToolOutput,
    at_most,
    tool,
)
from esputnik_mcp.toolkit.bulk import counted
from esputnik_mcp.toolkit.cursor import decode_cursor, encode_cursor
from esputnik_mcp.toolkit.failures import describe_api_error
from esputnik_mcp.toolkit.inbox import InboxQuery, inbox_events
from esputnik_mcp.toolkit.params import Cursor, Limit, MessageId, SegmentId
from esputnik_mcp.toolkit.preview import SAMPLES, Person, render_stored, stored_message
from esputnik_mcp.toolkit.render import quoted
from esputnik_mcp.toolkit.views import NextCursor, Total, View, page_summary
from esputnik_mcp.toolspec import Audience, Kind, Rendering, SendPlan, Toolset

BroadcastChannel = Literal["email", "sms", "viber", "mobilepush", "webpush", "telegram"]
Interval = Literal["minute", "hour", "day", "month"]
APP_CHANNELS = ("mobilepush", "telegram")
UNITS: dict[str, BatchIntervalUnit] = {"minute": "MINUTE", "hour": "HOUR", "day": "DAY", "month": "MONTH"}
BroadcastId = Annotated[int, Field(ge=1, le=2**63 - 1, description="From list_broadcasts.")]
SEGMENTS_MAX = 100
PlainSegmentId = Annotated[int, Field(ge=1, le=2**31 - 1)]
# The contact channel holding a member's address, for the channels whose address a contact shows.
_ADDRESS = {"email": "email", "sms": "sms", "viber": "sms"}


def _account_minute(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date-time such as 2026-05-14T10:00") from None
    if "T" not in value:
        raise ValueError(f"{value!r} has no time of day; give one such as {moment.date()}T10:00")
    if moment.tzinfo is not None:
        raise ValueError(f"{value!r}: leave the zone out; eSputnik reads the start in the account's time zone")
    return moment.strftime(START_FORMAT)


StartAt = Annotated[
    str,
    AfterValidator(_account_minute),
    Field(description="YYYY-MM-DDTHH:MM, account's time zone. Default: now."),
]


class BroadcastView(View):
    id: int | str | None = None
    title: str | None = None
    message_id: int | str | None = None
    segment_ids: list[int] | None = None
    start: str | None = Field(default=None, description="As eSputnik gives it.")
    batch_size: int | None = None
    batch_interval: str | None = None

    @classmethod
    def of(cls, broadcast: Broadcast) -> BroadcastView:
        unit = broadcast.batch_interval_unit
        return cls(
            id=_number(broadcast.broadcast_id),
            title=broadcast.title,
            message_id=_number(broadcast.message_id),
            segment_ids=broadcast.segment_ids or None,
            start=broadcast.start_date,
            batch_size=broadcast.batch_size,
            batch_interval=unit.lower() if unit else None,
        )

    def describe(self) -> str:
        """``broadcast 9001 "Title": template 3005 to segment 2001, start …, 100 per hour``."""
        title = f" {quoted(self.title)}" if self.title else ""
        ids = self.segment_ids or []
        segments = ("segments " if len(ids) > 1 else "segment ") + (", ".join(str(s) for s in ids) or "?")
        speed = f", {self.batch_size} per {self.batch_interval}" if self.batch_size and self.batch_interval else ""
        start = f", start {self.start}" if self.start else ""
        return f"broadcast {self.id}{title}: template {self.message_id} to {segments}{start}{speed}"


def _number(value: str | None) -> int | str | None:
    return int(value) if value is not None and value.isdigit() else value


# --- create_broadcast ----------------------------------------------------------------------------


class CreateBroadcastInput(ToolInput):
    message_id: MessageId
    channel: BroadcastChannel
    segment_ids: Annotated[list[SegmentId], Field(min_length=1)]
    excluded_segment_ids: list[PlainSegmentId] | None = None
    title: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    start_at: StartAt | None = None
    batch_size: Annotated[int, Field(ge=1, le=2**31 - 1, description="Per batch_interval.")] | None = None
    batch_interval: Interval | None = None
    domain: Annotated[str, Field(min_length=1, max_length=255, description="Web push site.")] | None = None
    app_id: Annotated[str, Field(min_length=1, description="Mobile push, Telegram."), at_most(100)] | None = None
    allow_duplicate: bool = Field(default=False, description="Repeat a send of the last 24 h, if the user asks.")

    @model_validator(mode="after")
    def _fits(self) -> CreateBroadcastInput:
        if len(self.segment_ids) + len(self.excluded_segment_ids or ()) > SEGMENTS_MAX:
            raise ValueError(f"at most {SEGMENTS_MAX} segments in all")
        if (self.batch_size is None) != (self.batch_interval is None):
            raise ValueError("give batch_size and batch_interval together (the speed), or neither")
        if self.channel in APP_CHANNELS and self.app_id is None:
            raise ValueError(f"a {self.channel} broadcast needs app_id")
        if self.channel not in APP_CHANNELS and self.app_id is not None:
            raise ValueError("app_id is for mobilepush and telegram broadcasts")
        if self.channel == "webpush" and self.domain is None:
            raise ValueError("a webpush broadcast needs domain")
        if self.channel != "webpush" and self.domain is not None:
            raise ValueError("domain is for webpush broadcasts")
        return self

    def target(self) -> str:
        """What the call does, for the audit log."""
        excluded = f" except {self.excluded_segment_ids}" if self.excluded_segment_ids else ""
        return (
            f"broadcast of {self.channel} template {self.message_id} to segments {self.segment_ids}{excluded}, "
            f"start {self.start_at or 'now'}"
        )

    def schedule(self) -> str:
        start = f"Starts {self.start_at} (the account's time zone)" if self.start_at else "Starts at once"
        speed = f"{self.batch_size} messages per {self.batch_interval}" if self.batch_size else "to everyone at once"
        return f"{start}, {speed}."


async def _first_members(ctx: ToolContext, audience: Audience, channel: str) -> list[Person]:
    """The first members a broadcast reaches (at most :data:`SAMPLES`), for the preview: from the first
    page of each segment, leaving out members of an excluded segment and those with no address on the
    channel."""
    excluded = {s.id for s in audience.excluded}
    people: dict[int, Person] = {}
    for segment in audience.segments:
        if not segment.members:
            continue
        page = await ctx.client.segments.contacts(segment.id, max_rows=10)
        for contact in page.items:
            if contact.id is None or contact.id in people or any(g.id in excluded for g in contact.groups):
                continue
            kind = _ADDRESS.get(channel)
            address = next(iter(contact.channel_values(kind)), None) if kind else None
            if kind is not None and address is None:
                continue
            people[contact.id] = Person(f"contact:{contact.id}", contact_id=contact.id, address=address)
            if len(people) >= SAMPLES:
                return list(people.values())
    return list(people.values())


async def plan_broadcast(params: CreateBroadcastInput, ctx: ToolContext) -> SendPlan:
    message = await stored_message(ctx, params.channel, params.message_id)
    audience = await segment_audience(ctx, params.segment_ids, params.excluded_segment_ids or ())

    async def rendering(audience: Audience) -> Rendering:
        people = await _first_members(ctx, audience, params.channel)
        shown = await render_stored(ctx, params.channel, params.message_id, message, people)
        return dataclasses.replace(shown, count=audience.size, warnings=(params.schedule(), *shown.warnings))

    name = f" {message.name!r}" if message is not None and message.name else ""
    return SendPlan(
        channel=params.channel,
        audience=audience,
        content=f"template {params.message_id}{name}",
        content_key=f"broadcast:template:{params.message_id}",
        render=rendering,
    )


class CreatedBroadcast(ToolOutput):
    broadcast: BroadcastView
    excluded_segment_ids: list[int] | None = None


@tool(
    "create_broadcast",
    title="Create a broadcast",
    toolset=Toolset.CAMPAIGNS,
    kind=Kind.SEND,
    plan_send=plan_broadcast,
    target=CreateBroadcastInput.target,
    description="""Send a stored message to all members of segments, now or at start_at, at an optional
    speed. Reaches real people and costs money; only a person can approve it. Returns the broadcast id.""",
    example={"message_id": 3001, "channel": "email", "segment_ids": [2005], "title": "Welcome, team"},
)
async def create_broadcast(params: CreateBroadcastInput, ctx: ToolContext) -> Result[CreatedBroadcast]:
    request = NewBroadcast(
        message_id=str(params.message_id),
        groups=list(dict.fromkeys(params.segment_ids)),
        excluded_groups=list(dict.fromkeys(params.excluded_segment_ids)) if params.excluded_segment_ids else None,
        title=params.title,
        start_date=params.start_at,
        batch_size=params.batch_size,
        batch_interval_unit=UNITS[params.batch_interval] if params.batch_interval else None,
        domain=params.domain,
        app_id=params.app_id,
    )
    created = await ctx.client.broadcasts.create(request)
    view = BroadcastView.of(created)
    out = CreatedBroadcast(broadcast=view, excluded_segment_ids=params.excluded_segment_ids)
    if view.id is None:
        return Result(
            "eSputnik accepted the broadcast but gave no id: list_broadcasts shows it; do not create it again", out
        )
    return Result(
        f"created {view.describe()}. cancel_broadcast stops it only before it starts; get_broadcast shows its "
        "delivery counts",
        out,
    )


# --- list_broadcasts -----------------------------------------------------------------------------


class ListBroadcastsInput(ToolInput):
    limit: Limit = 10
    cursor: Cursor | None = None


class BroadcastsPage(ToolOutput):
    truncatable: ClassVar[str | None] = "broadcasts"

    broadcasts: list[BroadcastView]
    total: Total = None
    next_cursor: NextCursor = None


@tool(
    "list_broadcasts",
    title="List broadcasts",
    toolset=Toolset.CAMPAIGNS,
    kind=Kind.READ,
    description="Broadcasts with id, title, message, segments, start and speed. One read per page.",
    example={"limit": 5},
)
async def list_broadcasts(params: ListBroadcastsInput, ctx: ToolContext) -> Result[BroadcastsPage]:
    query: dict[str, object] = {}
    start = decode_cursor(params.cursor, query)
    page = await ctx.client.broadcasts.find(start_index=start, max_rows=params.limit)
    out = BroadcastsPage(
        broadcasts=[BroadcastView.of(b) for b in page.items],
        total=page.total,
        next_cursor=encode_cursor(page.next_start_index, query),
    )
    out.resume_with(lambda i: encode_cursor(start + i, query))
    return Result(lambda o: page_summary(len(o.broadcasts), o.total, "broadcasts"), out)


# --- get_broadcast -------------------------------------------------------------------------------


class GetBroadcastInput(ToolInput):
    broadcast_id: BroadcastId


class BroadcastDetail(ToolOutput):
    broadcast: BroadcastView
    events: int | None = Field(default=None, description="Webhook events of its messages in the inbox.")
    counts: dict[str, int] | None = Field(default=None, description="Those events per status.")


@tool(
    "get_broadcast",
    title="Broadcast details",
    toolset=Toolset.CAMPAIGNS,
    kind=Kind.READ,
    description="""One broadcast, with its delivery counts per status (delivered, read, clicked …) from
    the events eSputnik's webhook pushed to this server.""",
    example={"broadcast_id": 8101},
)
async def get_broadcast(params: GetBroadcastInput, ctx: ToolContext) -> Result[BroadcastDetail]:
    try:
        found = await ctx.client.broadcasts.get(params.broadcast_id)
    except NotFoundError:
        raise ToolFailure(f"broadcast {params.broadcast_id} not found (list_broadcasts lists them)") from None
    out = BroadcastDetail(broadcast=BroadcastView.of(found))
    summary = out.broadcast.describe()
    if ctx.inbox is None:
        return Result(summary + "; this server keeps no webhook inbox, so no delivery counts", out)
    page, never = await inbox_events(ctx, InboxQuery(broadcast_id=params.broadcast_id), limit=0)
    if never:
        return Result(
            f"{summary}; no delivery counts: the webhook inbox has never received an event (eSputnik's "
            "data-export webhook is probably not set up; README: Delivery activity)",
            out,
        )
    if page.total == 0:
        return Result(summary + "; the webhook inbox has no events of its messages (yet)", out)
    out.events, out.counts = page.total, page.counts
    counts = ", ".join(f"{status} {count}" for status, count in sorted(page.counts.items()))
    return Result(f"{summary}; webhook inbox: {counted(page.total, 'event')} ({counts})", out)


# --- cancel_broadcast ----------------------------------------------------------------------------


class CancelBroadcastInput(ConfirmableInput):
    broadcast_id: BroadcastId

    def target(self) -> str:
        return f"cancel broadcast {self.broadcast_id}"


class CancelledBroadcast(ToolOutput):
    broadcast_id: int
    cancelled: bool


def _cancel_sentence(params: CancelBroadcastInput) -> str:
    return f"cancel broadcast {params.broadcast_id}: nobody will get it, and it cannot be restored"


@tool(
    "cancel_broadcast",
    title="Cancel a broadcast",
    toolset=Toolset.CAMPAIGNS,
    kind=Kind.WRITE,
    destructive=True,
    irreversible=_cancel_sentence,
    target=CancelBroadcastInput.target,
    description="Cancel a scheduled broadcast before it starts; one that has started cannot be stopped.",
    example={"broadcast_id": 8105},
)
async def cancel_broadcast(params: CancelBroadcastInput, ctx: ToolContext) -> Result[CancelledBroadcast]:
    broadcast = params.broadcast_id
    try:
        await ctx.client.broadcasts.cancel(broadcast)
    except NotFoundError:
        raise ToolFailure(
            f"broadcast {broadcast} not found (list_broadcasts lists them); nothing was cancelled"
        ) from None
    except BadRequestError as exc:
        raise ToolFailure(await _not_cancelled(ctx, broadcast, exc)) from None
    out = CancelledBroadcast(broadcast_id=broadcast, cancelled=True)
    return Result(f"broadcast {broadcast} cancelled before its start: nobody will get it", out)


async def _not_cancelled(ctx: ToolContext, broadcast: int, error: ESputnikError) -> str:
    """Why a cancel was refused, with the broadcast's start when it can be read."""
    try:
        start = (await ctx.client.broadcasts.get(broadcast)).start_date
    except ESputnikError:
        start = None
    when = f" (start {start})" if start else ""
    return (
        f"nothing was cancelled: eSputnik refused to cancel broadcast {broadcast}{when}; only a broadcast that "
        f"has not started can be cancelled, and one that has started goes on. {describe_api_error(error)}"
    )


# --- list_workflows ------------------------------------------------------------------------------


class ListWorkflowsInput(ToolInput):
    name: str | None = Field(default=None, min_length=1, max_length=255, description="Part of the name.")
    limit: Limit = 20
    cursor: Cursor | None = None


class WorkflowView(View):
    id: int
    name: str | None = None
    status: str | None = Field(default=None, description="active or inactive.")
    tags: list[str] | None = None

    @classmethod
    def of(cls, workflow: Workflow) -> WorkflowView:
        return cls(id=workflow.id, name=workflow.name, status=workflow.status, tags=workflow.tags or None)


class WorkflowsPage(ToolOutput):
    truncatable: ClassVar[str | None] = "workflows"

    workflows: list[WorkflowView]
    total: Total = None
    next_cursor: NextCursor = None


@tool(
    "list_workflows",
    title="List workflows",
    toolset=Toolset.CAMPAIGNS,
    kind=Kind.READ,
    description="""Workflows (automations that events and orders start) with id, name, status and tags,
    optionally by part of the name. eSputnik does not say which event starts which; the name usually
    does.""",
    example={"name": "cart"},
)
async def list_workflows(params: ListWorkflowsInput, ctx: ToolContext) -> Result[WorkflowsPage]:
    query = {"name": params.name}
    start = decode_cursor(params.cursor, query)
    page = await ctx.client.workflows.search(name=params.name, start_index=start, max_rows=params.limit)
    out = WorkflowsPage(
        workflows=[WorkflowView.of(w) for w in page.items],
        total=page.total,
        next_cursor=encode_cursor(page.next_start_index, query),
    )
    out.resume_with(lambda i: encode_cursor(start + i, query))
    named = f" named like {params.name!r}" if params.name else ""
    return Result(lambda o: page_summary(len(o.workflows), o.total, "workflows") + named, out)
