"""Delivery and contact activity: get_message_activity (what eSputnik's webhook pushed to this
server's inbox), get_contact_activity and get_contact_message_history (asked of eSputnik)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, Field, model_validator

from esputnik_mcp.api.activity import Activity, ContactMessage, activity_windows
from esputnik_mcp.api.limits import CONTACT_MESSAGES_MAX_ROWS
from esputnik_mcp.toolkit.base import Result, ToolContext, ToolFailure, ToolInput, ToolOutput, tool
from esputnik_mcp.toolkit.bulk import counted
from esputnik_mcp.toolkit.cursor import decode_position, encode_position
from esputnik_mcp.toolkit.inbox import InboxQuery, inbox_events, normal_email, normal_phone
from esputnik_mcp.toolkit.params import (
    ContactId,
    Cursor,
    DateTimeWithZone,
    Email,
    ExternalCustomerId,
    ExternalRequestId,
    Phone,
    RequestId,
    exactly_one,
)
from esputnik_mcp.toolkit.sending import text_start
from esputnik_mcp.toolkit.views import NextCursor, View
from esputnik_mcp.toolspec import Kind, Toolset

ActivityStatus = Literal["DELIVERED", "UNDELIVERED", "READ", "CLICKED", "UNSUBSCRIBED", "SPAM", "SUBSCRIPTION_CHANGED"]
FilterStatus = Literal["DELIVERED", "UNDELIVERED", "READ", "CLICKED", "UNSUBSCRIBED", "SPAM"]
MediaType = Literal["email", "sms", "viber", "mobilepush", "webpush", "appinbox", "widget", "inapp", "telegrambot"]
Since = Annotated[DateTimeWithZone, Field(description="From, e.g. 2026-11-01T00:00:00Z.")]
Until = Annotated[DateTimeWithZone, Field(description="Up to, not including.")]
ActivityLimit = Annotated[int, Field(ge=1, le=500)]
BAD_CURSOR = "cursor is not valid: pass next_cursor exactly as a previous call returned it"
NEVER_RECEIVED = (
    "the inbox has never received an event: eSputnik's data-export webhook is probably not set up "
    "(README: Delivery activity); get_contact_activity asks eSputnik instead"
)


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


def _account_time(value: str) -> str:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None
    if parsed.tzinfo is not None:
        raise ValueError(f"{value!r}: leave the zone out; eSputnik reads it in the account's time zone")
    return value


def _bound(value: str) -> date:
    """A date, or a date-time to the minute (eSputnik takes no finer bound)."""
    if "T" not in value and " " not in value:
        return date.fromisoformat(value)
    return datetime.fromisoformat(value).replace(second=0, microsecond=0)


def _before(date_to: date, date_from: date) -> bool:
    """Whether a window ends before it starts (a date as a bound covers its whole day)."""

    def moment(value: date, end: bool) -> datetime:
        if isinstance(value, datetime):
            return value
        return datetime.combine(value, datetime.max.time() if end else datetime.min.time())

    return moment(date_to, end=True) < moment(date_from, end=False)


AccountTime = Annotated[
    str,
    AfterValidator(_account_time),
    Field(description="YYYY-MM-DD or YYYY-MM-DDTHH:MM in the account's time zone; inclusive."),
]


def _iso(moment: float | datetime) -> str:
    when = moment if isinstance(moment, datetime) else datetime.fromtimestamp(moment, UTC)
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class ActivityView(View):
    at: str
    status: str
    channel: str | None = None
    request_id: str | None = Field(default=None, description="The send's request_id (eSputnik's iid).")
    external_request_id: str | None = None
    contact_id: int | None = None
    email: str | None = None
    phone: str | None = None
    message_id: int | None = None
    message_name: str | None = None
    broadcast_id: int | None = None
    hard_bounce: bool | None = None
    detail: str | None = Field(default=None, description="Why it was undelivered, or the link clicked.")


def activity_view(event: Activity, at: float | None = None) -> ActivityView:
    """One activity object (pushed or asked for) as tools show it."""
    detail = event.status_description or event.click_event_link
    return ActivityView(
        at=_iso(at) if at is not None else event.activity_date_time,
        status=event.activity_status,
        channel=event.media_type,
        request_id=event.iid,
        external_request_id=event.external_request_id,
        contact_id=event.contact_id,
        email=event.email,
        phone=event.sms or event.viber,
        message_id=event.message_id,
        message_name=event.message_name or None,
        broadcast_id=event.broadcast_id,
        hard_bounce=event.hard_bounce if event.activity_status == "UNDELIVERED" else None,
        detail=text_start(detail, 200) if detail else None,
    )


# --- get_message_activity ------------------------------------------------------------------------


class MessageActivityInput(ToolInput):
    request_ids: Annotated[list[RequestId], Field(max_length=100)] | None = None
    external_request_id: ExternalRequestId | None = None
    contact_id: ContactId | None = None
    email: Email | None = None
    phone: Phone | None = None
    statuses: Annotated[list[ActivityStatus], Field(max_length=7)] | None = None
    channel: MediaType | None = None
    broadcast_id: Annotated[int, Field(ge=1)] | None = None
    since: Since | None = None
    until: Until | None = None
    limit: ActivityLimit = 50
    cursor: Cursor | None = None


class MessageActivityOutput(ToolOutput):
    truncatable: ClassVar[str | None] = "events"

    events: list[ActivityView]
    total: int = Field(description="Events matching, across pages.")
    counts: dict[str, int] = Field(description="Events matching per status, across pages.")
    next_cursor: NextCursor = None


@tool(
    "get_message_activity",
    title="Delivery activity received",
    toolset=Toolset.ACTIVITY,
    kind=Kind.READ,
    open_world=False,
    description="""What eSputnik's webhook pushed to this server: delivered, undelivered (hard bounce),
    read, clicked, unsubscribed, spam, by request id, external request id, contact, address, status,
    channel, broadcast or time; newest first, with counts per status.""",
    example={"statuses": ["UNDELIVERED"], "limit": 20},
)
async def get_message_activity(params: MessageActivityInput, ctx: ToolContext) -> Result[MessageActivityOutput]:
    query = InboxQuery(
        request_ids=tuple(params.request_ids or ()),
        external_request_id=params.external_request_id,
        contact_id=params.contact_id,
        email=normal_email(params.email),
        phone=normal_phone(params.phone),
        statuses=tuple(params.statuses or ()),
        channel=params.channel,
        broadcast_id=params.broadcast_id,
        since=_moment(params.since).timestamp() if params.since else None,
        until=_moment(params.until).timestamp() if params.until else None,
    )
    fingerprint = params.model_dump(exclude={"cursor", "limit"})
    after = _keyset(decode_position(params.cursor, fingerprint)) if params.cursor else None
    page, never = await inbox_events(ctx, query, limit=params.limit, after=after)
    out = MessageActivityOutput(
        events=[activity_view(Activity.model_validate_json(r.data), r.at) for r in page.records],
        total=page.total,
        counts=page.counts,
        next_cursor=encode_position(list(page.after), fingerprint) if page.after else None,
    )
    records = page.records
    out.resume_with(
        lambda i: encode_position([records[i - 1].at, records[i - 1].key], fingerprint) if i else params.cursor
    )
    if never:
        return Result(NEVER_RECEIVED, out)
    counts = ", ".join(f"{status} {count}" for status, count in sorted(page.counts.items()))

    def summary(data: MessageActivityOutput) -> str:
        shown = f"{len(data.events)} of {counted(data.total, 'event')}, newest first"
        return shown + (f" ({counts})" if counts else "")

    return Result(summary, out)


def _keyset(position: object) -> tuple[float, str]:
    if (
        isinstance(position, list)
        and len(position) == 2
        and isinstance(position[0], int | float)
        and isinstance(position[1], str)
    ):
        return float(position[0]), position[1]
    raise ToolFailure(BAD_CURSOR)


# --- get_contact_activity ------------------------------------------------------------------------


class ContactActivityInput(ToolInput):
    date_from: AccountTime
    date_to: Annotated[AccountTime | None, Field(description="Default: today.")] = None
    email: Email | None = None
    phone: Phone | None = None
    status: FilterStatus | None = None
    message_tag: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    limit: ActivityLimit = 100
    cursor: Cursor | None = None

    @model_validator(mode="after")
    def _window(self) -> ContactActivityInput:
        if self.date_to is not None and _before(_bound(self.date_to), _bound(self.date_from)):
            raise ValueError("date_to must not be before date_from")
        return self


class ContactActivityOutput(ToolOutput):
    truncatable: ClassVar[str | None] = "events"

    events: list[ActivityView]
    next_cursor: NextCursor = None


@tool(
    "get_contact_activity",
    title="Contact activity",
    toolset=Toolset.ACTIVITY,
    kind=Kind.READ,
    description="""Ask eSputnik for what contacts did with messages (delivered, undelivered, read, clicked,
    unsubscribed, spam) between two times, optionally for one email or phone, status or message tag;
    oldest first. Windows over 3 months are split into several reads.""",
    example={"date_from": "2026-11-01", "status": "CLICKED", "limit": 20},
)
async def get_contact_activity(params: ContactActivityInput, ctx: ToolContext) -> Result[ContactActivityOutput]:
    query = params.model_dump(exclude={"cursor", "limit", "date_to"})
    if params.cursor:
        until, window, offset = _activity_position(decode_position(params.cursor, query))
    else:
        until, window, offset = (params.date_to or datetime.now(UTC).date().isoformat()), 0, None
    windows = activity_windows(_bound(params.date_from), _bound(until))
    start_window, start_offset = window, offset
    events: list[Activity] = []
    places: list[tuple[int, str | None]] = []  # the window of each event, and its offset there
    while window < len(windows) and len(events) < params.limit:
        start, end = windows[window]
        wanted = params.limit - len(events)
        page = await ctx.client.activity.contact_activity(
            date_from=start,
            date_to=end,
            email=params.email,
            sms=params.phone,
            status=params.status,
            message_tag=params.message_tag,
            offset=offset,
            max_rows=wanted,
        )
        events += page
        places += [(window, e.offset) for e in page]
        if len(page) >= wanted and page[-1].offset and page[-1].offset != offset:
            offset = page[-1].offset
            break
        window, offset = window + 1, None
    more = window < len(windows)
    position = {"u": until, "w": window, "o": offset}
    out = ContactActivityOutput(
        events=[activity_view(e) for e in events],
        next_cursor=encode_position(position, query) if more else None,
    )

    def resume(i: int) -> str | None:
        place, offset = places[i - 1] if i else (start_window, start_offset)
        return encode_position({"u": until, "w": place, "o": offset}, query)

    out.resume_with(resume)
    return Result(
        f"{counted(len(out.events), 'event')} from eSputnik, oldest first" + ("; more follow" if more else ""), out
    )


def _activity_position(position: object) -> tuple[str, int, str | None]:
    if not isinstance(position, dict) or not (position.get("o") is None or isinstance(position.get("o"), str)):
        raise ToolFailure(BAD_CURSOR)
    try:
        return _account_time(str(position["u"])), int(position["w"]), position.get("o")
    except (KeyError, ValueError, TypeError):
        raise ToolFailure(BAD_CURSOR) from None


# --- get_contact_message_history -----------------------------------------------------------------

HistoryChannel = Literal["email", "sms", "viber", "mobilepush", "webpush", "appinbox", "telegrambot"]
DEFAULT_HISTORY_DAYS = 30


class MessageHistoryInput(ToolInput):
    contact_id: ContactId | None = None
    email: Email | None = None
    phone: Phone | None = None
    external_customer_id: ExternalCustomerId | None = None
    channels: Annotated[list[HistoryChannel], Field(min_length=1, max_length=7)] | None = None
    date_from: Annotated[AccountTime | None, Field(description="Default: 30 days before date_to.")] = None
    date_to: Annotated[AccountTime | None, Field(description="Default: today.")] = None
    limit: Annotated[int, Field(ge=1, le=CONTACT_MESSAGES_MAX_ROWS)] = 20
    cursor: Cursor | None = None

    @model_validator(mode="after")
    def _one_contact(self) -> MessageHistoryInput:
        exactly_one(
            {
                "contact_id": self.contact_id,
                "email": self.email,
                "phone": self.phone,
                "external_customer_id": self.external_customer_id,
            }
        )
        return self


class HistoryView(View):
    sent_at: str | None = None
    channel: str | None = None
    status: str | None = Field(default=None, description="The furthest it got: DELIVERED, READ, CLICKED …")
    message_id: int | None = Field(default=None, description="0 for one-off sends (send_email, send_sms).")
    sender: str | None = None
    subject: str | None = None
    text: str | None = None
    tags: list[str] | None = None


class MessageHistoryOutput(ToolOutput):
    truncatable: ClassVar[str | None] = "messages"

    messages: list[HistoryView]
    next_cursor: NextCursor = None


def history_view(message: ContactMessage) -> HistoryView:
    return HistoryView(
        sent_at=message.sent_date_time,
        channel=message.channel_type,
        status=message.activity_status,
        message_id=message.message_id,
        sender=message.from_,
        subject=message.subject,
        text=text_start(message.text, 160) if message.text else None,
        tags=message.message_tags or None,
    )


@tool(
    "get_contact_message_history",
    title="Contact message history",
    toolset=Toolset.ACTIVITY,
    kind=Kind.READ,
    description="""Ask eSputnik which messages one contact (contact_id, email, phone or external id) was sent
    and how far each got, optionally by channel. Default window: the last 30 days.""",
    example={"email": "olena@example.com", "limit": 10},
)
async def get_contact_message_history(params: MessageHistoryInput, ctx: ToolContext) -> Result[MessageHistoryOutput]:
    query = params.model_dump(exclude={"cursor", "limit", "date_from", "date_to"})
    if params.cursor:
        since, until, offset = _history_position(decode_position(params.cursor, query))
    else:
        until = _bound(params.date_to) if params.date_to else datetime.now(UTC).date()
        since = _bound(params.date_from) if params.date_from else _day(until) - timedelta(days=DEFAULT_HISTORY_DAYS)
        offset = 0
    if _before(until, since):
        raise ToolFailure("date_to must not be before date_from")
    found = await ctx.client.activity.contact_messages(
        date_from=since,
        date_to=until,
        email=params.email,
        phone=params.phone,
        contact_id=params.contact_id,
        external_customer_id=params.external_customer_id,
        channel_types=params.channels,
        offset=offset,
        max_rows=params.limit,
    )
    more = len(found) >= params.limit
    position = {"s": since.isoformat(), "u": until.isoformat(), "o": offset + len(found)}
    out = MessageHistoryOutput(
        messages=[history_view(m) for m in found],
        next_cursor=encode_position(position, query) if more else None,
    )
    out.resume_with(lambda i: encode_position({**position, "o": offset + i}, query))
    span = f"{since.isoformat()} to {until.isoformat()}"
    return Result(f"{counted(len(out.messages), 'message')} sent {span}" + ("; more follow" if more else ""), out)


def _day(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


def _history_position(position: object) -> tuple[date, date, int]:
    if not isinstance(position, dict):
        raise ToolFailure(BAD_CURSOR)
    try:
        return _bound(str(position["s"])), _bound(str(position["u"])), int(position["o"])
    except (KeyError, ValueError, TypeError):
        raise ToolFailure(BAD_CURSOR) from None
