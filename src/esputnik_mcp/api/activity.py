"""Contact activity and message history (esputnik-api.md §13), and the activity objects eSputnik's
data-export webhook pushes (§16).

One model, :class:`Activity`, reads both an item of ``GET /v2/contacts/activity`` (SPEC
ContactActivity) and a webhook event, which carries the same fields plus a few of its own. It keeps
fields neither source documents. :func:`parse_activity_payload` reads a webhook body;
:func:`activity_time` reads an ``activityDateTime``.
"""

from __future__ import annotations

import calendar
import enum
import json
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, TypeVar

from pydantic import BeforeValidator, Field, ValidationError

from esputnik_mcp.api._parse import parse_list
from esputnik_mcp.api.errors import RequestValidationError, ResponseDecodeError
from esputnik_mcp.api.http import Endpoint, HttpCore
from esputnik_mcp.api.limiter import CONTACT_MESSAGES
from esputnik_mcp.api.limits import ACTIVITY_WINDOW_MONTHS, CONTACT_MESSAGES_MAX_ROWS
from esputnik_mcp.api.models import OneOrMany, WireModel
from esputnik_mcp.api.retry import Safety

ACTIVITY = Endpoint("GET", "/v2/contacts/activity", Safety.READ, "contactActivity")
MESSAGES = Endpoint("GET", "/v2/contacts/messages", Safety.READ, "contactMessages", CONTACT_MESSAGES)

# Rows asked for per page when iterating. eSputnik's default (25000, SPEC contactActivity) would make
# one answer of many megabytes, close to the client's cap on an answer's size.
ACTIVITY_PAGE_SIZE = 1000

# eSputnik does not document the zone of an activityDateTime written without an offset; such a
# value is taken as UTC. This is the only place that assumption is made.
NAIVE_ACTIVITY_ZONE = UTC


class ActivityStatus(enum.StrEnum):
    """``activityStatus`` of an activity (SPEC ContactActivity; §16). ``SENT`` is pushed by the
    webhook for mobile push only."""

    SENT = "SENT"
    DELIVERED = "DELIVERED"
    UNDELIVERED = "UNDELIVERED"
    READ = "READ"
    UNSUBSCRIBED = "UNSUBSCRIBED"
    CLICKED = "CLICKED"
    SPAM = "SPAM"
    SUBSCRIPTION_CHANGED = "SUBSCRIPTION_CHANGED"


# The values the activityStatus filter of GET /v2/contacts/activity takes (SPEC contactActivity).
FILTER_STATUSES = frozenset(
    {
        ActivityStatus.DELIVERED,
        ActivityStatus.UNDELIVERED,
        ActivityStatus.READ,
        ActivityStatus.UNSUBSCRIBED,
        ActivityStatus.CLICKED,
        ActivityStatus.SPAM,
    }
)

# mediaType of an activity and channelType of a history item (SPEC ContactActivity.mediaType,
# ContactMessage.channelType). Telegram is ``telegrambot`` here.
MEDIA_TYPES = frozenset(
    {"email", "sms", "viber", "mobilepush", "webpush", "appinbox", "widget", "inapp", "telegrambot"}
)

_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?",
    re.IGNORECASE | re.ASCII,
)


def activity_time(value: str) -> datetime:
    """An ``activityDateTime`` (or a history item's ``sentDateTime``) as an aware datetime.

    ISO 8601, ``T`` or a space between date and time, seconds and their fraction optional, an
    offset (``Z``, ``+03:00``, ``+0300``, ``+03``) optional; without one, see
    :data:`NAIVE_ACTIVITY_ZONE`. Raises ValueError for anything else.
    """
    text = value.strip()
    parsed: datetime | None = None
    if _DATE_TIME.fullmatch(text):
        try:
            parsed = datetime.fromisoformat(text.upper().replace(",", "."))
        except ValueError:
            parsed = None
    if parsed is None:
        shown = value if len(value) <= 60 else value[:59] + "…"
        raise ValueError(f"{shown!r} is not an ISO 8601 date-time such as 2025-05-14T10:11:10+03:00")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=NAIVE_ACTIVITY_ZONE)
    return parsed


def _blank_is_none(value: Any) -> Any:
    """An empty or blank string where a number or flag belongs reads as absent."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _comma_joined(value: Any) -> Any:
    """A list of tags reads as the comma-joined string eSputnik usually sends."""
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return value


LooseInt = Annotated[int | None, BeforeValidator(_blank_is_none)]
"""An integer that may come as a string, or as an empty string meaning none."""
LooseBool = Annotated[bool | None, BeforeValidator(_blank_is_none)]
"""A flag that may come as ``"true"``/``"false"``, or as an empty string meaning none."""


class ActivitySubscription(WireModel):
    """The subscription categories a ``SUBSCRIPTION_CHANGED`` activity names (SPEC
    ContactSubscriptionCategoryUpsertRequest)."""

    subscriptions: OneOrMany[str] = Field(default_factory=list)


class ActivityStatusData(WireModel):
    """SPEC ActivityStatusData."""

    subscription: ActivitySubscription | None = None


class Activity(WireModel):
    """One activity: an item of ``GET /v2/contacts/activity`` (SPEC ContactActivity) or an event
    pushed by the data-export webhook (§16), which adds ``viber``, ``mobilepush``, ``webpush``
    (the phone or token the message went to), ``hardBounce``, ``sourceEventId``, ``osName`` and
    ``osType``. Fields neither documents are kept in ``model_extra``.

    ``activity_status`` and ``activity_date_time`` are the two every activity has; the status is
    kept as sent (see :class:`ActivityStatus` for the documented values), the time as sent (see
    :attr:`at`). ``offset`` is the cursor of ``GET /v2/contacts/activity``.
    """

    activity_status: str
    activity_date_time: str
    media_type: str | None = None
    iid: str | None = None
    external_request_id: str | None = None
    contact_id: LooseInt = None
    external_customer_id: str | None = None
    email: str | None = None
    sms: str | None = None
    web_push_token: str | None = None
    mob_push_token: str | None = None
    viber: str | None = None
    mobilepush: str | None = None
    webpush: str | None = None
    message_id: LooseInt = None
    message_instance_id: LooseInt = None
    message_name: str | None = None
    message_tag: Annotated[str | None, BeforeValidator(_comma_joined)] = None
    message_language_code: str | None = None
    from_: str | None = Field(default=None, alias="from")
    status_description: str | None = None
    hard_bounce: LooseBool = None
    view_message_link: str | None = None
    click_event_link: str | None = None
    status_data: ActivityStatusData | None = None
    source_event_id: LooseInt = None
    source_event_key: str | None = None
    source_event_type_key: str | None = None
    workflow_id: LooseInt = None
    workflow_block_id: str | None = None
    workflow_instance_id: str | None = None
    broadcast_id: LooseInt = None
    os_name: str | None = None
    os_type: str | None = None
    offset: str | None = None

    @property
    def at(self) -> datetime:
        """``activity_date_time`` read by :func:`activity_time`; ValueError when unreadable (never
        for an activity from :func:`parse_activity_payload`, which checks it)."""
        return activity_time(self.activity_date_time)

    @property
    def message_tags(self) -> list[str]:
        """``message_tag`` split at its commas."""
        return [tag.strip() for tag in (self.message_tag or "").split(",") if tag.strip()]

    @property
    def subscriptions(self) -> list[str]:
        """The subscription category keys of a ``SUBSCRIPTION_CHANGED`` activity."""
        subscription = self.status_data.subscription if self.status_data else None
        return list(subscription.subscriptions) if subscription else []


class ContactMessage(WireModel):
    """One message of a contact's history (SPEC ContactMessage). ``message_id`` and
    ``message_instance_id`` are 0 for test messages and one-off sends (``/v1/message/email|sms|viber``)."""

    contact_id: LooseInt = None
    email: str | None = None
    phone: str | None = None
    message_id: LooseInt = None
    message_instance_id: LooseInt = None
    message_tags: OneOrMany[str] = Field(default_factory=list)
    channel_type: str | None = None
    sent_date_time: str | None = None
    activity_status: str | None = None
    from_: str | None = Field(default=None, alias="from")
    subject: str | None = None
    text: str | None = None
    view_message_link: str | None = None

    @property
    def sent_at(self) -> datetime | None:
        """``sent_date_time`` read by :func:`activity_time`; ValueError when unreadable."""
        return activity_time(self.sent_date_time) if self.sent_date_time else None


# --- the webhook body --------------------------------------------------------------------------


class ActivityPayloadError(ValueError):
    """A webhook body that is not a JSON array of activity objects (or one object); the message
    says what is wrong, in a few words."""


def parse_activity_payload(body: bytes) -> list[Activity]:
    """The activities of one webhook delivery: a JSON array of activity objects (the documented
    form) or a single object (§16). An empty array gives an empty list.

    Raises :class:`ActivityPayloadError` when the body is not UTF-8 JSON, is neither an object nor
    an array, or when an element is not an object, lacks ``activityStatus`` or ``activityDateTime``,
    has a time :func:`activity_time` cannot read, or has a field of the wrong kind.
    """
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ActivityPayloadError("the body is not UTF-8 text") from None
    if not text.strip():
        raise ActivityPayloadError("the body is empty")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise ActivityPayloadError(f"the body is not JSON ({exc.msg} at {where})") from None
    except (ValueError, RecursionError):
        raise ActivityPayloadError("the body is not JSON that can be read (too deep or a number too long)") from None
    if isinstance(data, dict):
        return [_activity(data, "the event")]
    if isinstance(data, list):
        return [_activity(item, f"element {index}") for index, item in enumerate(data)]
    raise ActivityPayloadError(f"the body is {_json_kind(data)}, not an activity object or an array of them")


def _activity(item: Any, where: str) -> Activity:
    if not isinstance(item, dict):
        raise ActivityPayloadError(f"{where} is {_json_kind(item)}, not an activity object")
    status = item.get("activityStatus")
    if status is None or (isinstance(status, str) and not status.strip()):
        raise ActivityPayloadError(f"{where} has no activityStatus")
    if not isinstance(status, str):
        raise ActivityPayloadError(f"{where}: activityStatus is {_json_kind(status)}, not a string")
    moment = item.get("activityDateTime")
    if moment is None or (isinstance(moment, str) and not moment.strip()):
        raise ActivityPayloadError(f"{where} has no activityDateTime")
    if not isinstance(moment, str):
        raise ActivityPayloadError(f"{where}: activityDateTime is {_json_kind(moment)}, not a string")
    try:
        activity_time(moment)
    except ValueError as exc:
        raise ActivityPayloadError(f"{where}: activityDateTime {exc}") from None
    try:
        return Activity.model_validate(item)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise ActivityPayloadError(f"{where}: {field}: {first['msg']}") from None


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


# --- the query window --------------------------------------------------------------------------

D = TypeVar("D", bound=date)


def minute_bound(value: date, what: str) -> date:
    """A window bound at the precision eSputnik takes (``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:mm``,
    SPEC contactMessages): a date as is, a date-time cut to its minute (which, as a bound, covers
    that whole minute; see :func:`check_window`).

    eSputnik reads date-times in the account's time zone (DOC getting-started), which the client
    does not know: a date-time with a time zone is refused rather than shifted.
    """
    if not isinstance(value, datetime):
        return value
    if value.tzinfo is not None:
        raise RequestValidationError(
            f"{what} must be a date, or a date-time without a time zone in the account's time zone "
            "(eSputnik reads date-times in the account's time zone)"
        )
    return value.replace(second=0, microsecond=0)


def wire_date(value: date) -> str:
    """``dateFrom``/``dateTo`` as the reference writes them: ``YYYY-MM-DD`` for a date,
    ``YYYY-MM-DDTHH:mm`` for a date-time (SPEC contactMessages; the example of contactActivity)."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    return value.isoformat()


def add_months(value: D, months: int) -> D:
    """``value`` that many calendar months later, on the same day or the month's last day."""
    index = value.year * 12 + value.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return value.replace(year=year, month=month, day=min(value.day, calendar.monthrange(year, month)[1]))


# How a window's bounds are read: each covers the whole unit it names, a date its day and a
# date-time its minute. dateFrom starts where its unit starts and dateTo ends where its unit ends
# (dateTo=2023-10-12 takes in that whole day, as the reference's example window 2023-07-20 to
# 2023-10-12 reads). eSputnik states no more; the 3-month limit and the split of a longer window
# are measured this way.


def _first_moment(value: date) -> datetime:
    """Where a ``dateFrom`` starts: the start of its day or minute."""
    return value if isinstance(value, datetime) else datetime.combine(value, time())


def _last_moment(value: date) -> datetime:
    """Where a ``dateTo`` ends: the end of its day or minute."""
    if isinstance(value, datetime):
        return value + timedelta(minutes=1)
    return datetime.combine(value + timedelta(days=1), time())


def check_window(date_from: date, date_to: date, *, max_months: int | None = None) -> tuple[date, date]:
    """The window's bounds as sent (see :func:`minute_bound`), after checking that it is not empty
    and, with ``max_months``, that it spans at most that many calendar months."""
    low, high = minute_bound(date_from, "date_from"), minute_bound(date_to, "date_to")
    start, end = _first_moment(low), _last_moment(high)
    if start >= end:
        raise RequestValidationError(
            f"the window's start ({wire_date(low)}) must be before its end ({wire_date(high)})"
        )
    if max_months is not None and end > add_months(start, max_months):
        raise RequestValidationError(
            f"eSputnik returns activity for at most {max_months} months per request; "
            f"{wire_date(low)} to {wire_date(high)} is longer (iter_contact_activity splits a longer window)"
        )
    return low, high


def activity_windows(date_from: date, date_to: date) -> list[tuple[date, date]]:
    """The window ``date_from``..``date_to`` as consecutive windows of at most 3 calendar months
    each (DOC: ``GET /v2/contacts/activity`` answers for at most 3 months), oldest first.

    The first window starts and the last ends at the caller's bounds (see :func:`minute_bound`);
    the bounds between windows are dates: one window ends on a ``dateTo`` date and the next starts
    on the following day, so no day is asked for twice or skipped, given that a ``dateTo`` date
    covers its whole day and a ``dateFrom`` date starts at its midnight (see :func:`check_window`).
    """
    lower, upper = check_window(date_from, date_to)
    end = _last_moment(upper)
    windows: list[tuple[date, date]] = []
    day = lower.date() if isinstance(lower, datetime) else lower
    while True:
        following = add_months(day, ACTIVITY_WINDOW_MONTHS)
        if datetime.combine(following, time()) >= end:
            windows.append((lower, upper))
            return windows
        windows.append((lower, following - timedelta(days=1)))
        lower = day = following


@dataclass(frozen=True)
class ActivityCursorPage:
    """One answer of ``GET /v2/contacts/activity`` while iterating: its items, the window it was
    asked for, the cursor it was asked with (None: the window's start) and the cursor of the next
    page of the same window (None: the window is done)."""

    items: list[Activity]
    date_from: date
    date_to: date
    offset: str | None
    next_offset: str | None


def _non_blank(value: str | None, what: str) -> str | None:
    if value is not None and not value.strip():
        raise RequestValidationError(f"{what} must not be empty")
    return value


def _filter_status(status: str | None) -> str | None:
    if status is None:
        return None
    wanted = status.strip().upper()
    if wanted not in FILTER_STATUSES:
        raise RequestValidationError(
            f"activityStatus {status!r} cannot be filtered on; eSputnik takes one of "
            + ", ".join(sorted(FILTER_STATUSES))
        )
    return wanted


def _channel_types(channel_types: Sequence[str] | None) -> str | None:
    if channel_types is None:
        return None
    if isinstance(channel_types, str):
        channel_types = channel_types.split(",")
    wanted = [c.strip().lower() for c in channel_types]
    if not wanted:
        raise RequestValidationError("channel_types is empty; leave it out for every channel")
    unknown = sorted({c for c in wanted if c not in MEDIA_TYPES})
    if unknown:
        raise RequestValidationError(
            f"unknown channel type(s) {', '.join(map(repr, unknown))}; eSputnik knows " + ", ".join(sorted(MEDIA_TYPES))
        )
    return ",".join(dict.fromkeys(wanted))


class ActivityApi:
    def __init__(self, http: HttpCore) -> None:
        self._http = http

    async def contact_activity(  # noqa: PLR0913 - the filters of the documented operation, keyword-only
        self,
        *,
        date_from: date,
        date_to: date,
        email: str | None = None,
        sms: str | None = None,
        web_push_token: str | None = None,
        mob_push_token: str | None = None,
        message_tag: str | None = None,
        status: str | None = None,
        offset: str | None = None,
        max_rows: int | None = None,
    ) -> list[Activity]:
        """One page of activity from ``date_from`` to ``date_to`` (each a date, or a naive date-time
        in the account's time zone), at most 3 months apart: ``GET /v2/contacts/activity``
        (SPEC contactActivity). ``status`` is one of :data:`FILTER_STATUSES`; ``offset`` is the
        ``offset`` of the last item of the previous page; ``max_rows`` None leaves eSputnik's
        default (25000). See :meth:`iter_contact_activity` for any window and every page.
        """
        low, high = check_window(date_from, date_to, max_months=ACTIVITY_WINDOW_MONTHS)
        if max_rows is not None and max_rows < 1:
            raise RequestValidationError(f"maxrows must be at least 1; got {max_rows}")
        params: dict[str, object | None] = {
            "dateFrom": wire_date(low),
            "dateTo": wire_date(high),
            "email": _non_blank(email, "email"),
            "sms": _non_blank(sms, "sms"),
            "webPushToken": _non_blank(web_push_token, "web_push_token"),
            "mobPushToken": _non_blank(mob_push_token, "mob_push_token"),
            "messageTag": _non_blank(message_tag, "message_tag"),
            "activityStatus": _filter_status(status),
            "offset": _non_blank(offset, "offset"),
            "maxrows": max_rows,
        }
        response = await self._http.call(ACTIVITY, params=params)
        return parse_list(Activity, response.data, ACTIVITY)

    async def iter_contact_activity(  # noqa: PLR0913 - the filters of the documented operation, keyword-only
        self,
        *,
        date_from: date,
        date_to: date,
        email: str | None = None,
        sms: str | None = None,
        web_push_token: str | None = None,
        mob_push_token: str | None = None,
        message_tag: str | None = None,
        status: str | None = None,
        offset: str | None = None,
        max_rows: int = ACTIVITY_PAGE_SIZE,
    ) -> AsyncIterator[ActivityCursorPage]:
        """Every page of activity from ``date_from`` to ``date_to``, however far apart: the window
        is cut by :func:`activity_windows` into windows of at most 3 months, oldest first, and
        each is read page after page by its cursor (the ``offset`` of a page's last item) until a
        page has fewer than ``max_rows`` items. One page per request, empty ones included.
        ``offset`` continues the first window from that cursor.

        Raises :class:`ResponseDecodeError` when a full page's last item carries no cursor or one
        already used in the window (it would read the same pages again).
        """
        if max_rows < 1:
            raise RequestValidationError(f"maxrows must be at least 1; got {max_rows}")
        for index, (window_from, window_to) in enumerate(activity_windows(date_from, date_to)):
            cursor = offset if index == 0 else None
            used = {cursor}
            while True:
                items = await self.contact_activity(
                    date_from=window_from,
                    date_to=window_to,
                    email=email,
                    sms=sms,
                    web_push_token=web_push_token,
                    mob_push_token=mob_push_token,
                    message_tag=message_tag,
                    status=status,
                    offset=cursor,
                    max_rows=max_rows,
                )
                following = _next_cursor(items, max_rows, used)
                yield ActivityCursorPage(items, window_from, window_to, cursor, following)
                if following is None:
                    break
                used.add(following)
                cursor = following

    async def contact_messages(  # noqa: PLR0913 - the filters of the documented operation, keyword-only
        self,
        *,
        date_from: date,
        date_to: date,
        email: str | None = None,
        phone: str | None = None,
        contact_id: int | None = None,
        external_customer_id: str | None = None,
        channel_types: Sequence[str] | None = None,
        offset: int = 0,
        max_rows: int = 10,
    ) -> list[ContactMessage]:
        """One page of a contact's message history: ``GET /v2/contacts/messages`` (SPEC
        contactMessages). The contact is named by exactly one of ``email``, ``phone``,
        ``contact_id``, ``external_customer_id``; ``channel_types`` (e.g. ``["email", "sms"]``)
        are sent comma-joined; ``offset`` is 0-based, ``max_rows`` at most 100. eSputnik allows 10
        of these requests a second (DOC rate-limits); the client keeps under that.
        """
        low, high = check_window(date_from, date_to)
        named = {
            "email": _non_blank(email, "email"),
            "phone": _non_blank(phone, "phone"),
            "contactId": contact_id,
            "externalCustomerId": _non_blank(external_customer_id, "external_customer_id"),
        }
        if sum(value is not None for value in named.values()) != 1:
            raise RequestValidationError(
                "name the contact by exactly one of email, phone, contact_id, external_customer_id"
            )
        if offset < 0:
            raise RequestValidationError(f"offset is 0-based; got {offset}")
        if not 1 <= max_rows <= CONTACT_MESSAGES_MAX_ROWS:
            raise RequestValidationError(f"maxrows must be between 1 and {CONTACT_MESSAGES_MAX_ROWS}; got {max_rows}")
        params: dict[str, object | None] = {
            "dateFrom": wire_date(low),
            "dateTo": wire_date(high),
            **named,
            "channelTypes": _channel_types(channel_types),
            "offset": offset,
            "maxrows": max_rows,
        }
        response = await self._http.call(MESSAGES, params=params)
        return parse_list(ContactMessage, response.data, MESSAGES)


def _next_cursor(items: list[Activity], max_rows: int, used: set[str | None]) -> str | None:
    """The cursor of the page after ``items``; None when ``items`` is the window's last page."""
    if len(items) < max_rows:
        return None
    cursor = items[-1].offset
    if cursor is None or not cursor.strip():
        why = "the last item of a full page has no offset"
    elif cursor in used:
        why = f"the offset {cursor!r} was already used in this window"
    else:
        return cursor
    raise ResponseDecodeError(
        f"cannot read further activity: {why}; eSputnik's cursor did not advance",
        method=ACTIVITY.method,
        path=ACTIVITY.path,
    )
