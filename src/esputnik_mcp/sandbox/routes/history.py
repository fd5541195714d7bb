"""Contact activity and message history (esputnik-api.md §13).

Dates without an offset are read in the account's time zone (DOC getting-started: "the time zone of
the user who sends the request applies"; the sandbox's account is in Kyiv). A bound covers the
whole span it names: ``dateTo=2025-06-15`` takes in that whole day, ``…T10:15`` that whole minute
(the sandbox's reading).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from starlette.responses import Response

from esputnik_mcp.sandbox.domain import activity, contacts
from esputnik_mcp.sandbox.domain.orders import ACCOUNT_ZONE
from esputnik_mcp.sandbox.limits import (
    ACTIVITY_MAX_ROWS,
    ACTIVITY_WINDOW_MONTHS,
    CONTACT_MESSAGES,
    HISTORY_MAX_ROWS,
    HISTORY_ROWS,
)
from esputnik_mcp.sandbox.routes.base import Call, RouteSpec
from esputnik_mcp.sandbox.wire import Query, bad_request, json_reply, path_int

_DATE = (re.compile(r"\d{4}-\d{2}-\d{2}"), "%Y-%m-%d", timedelta(days=1))
_MINUTE = (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}"), "%Y-%m-%dT%H:%M", timedelta(minutes=1))
_SECOND = (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}"), "%Y-%m-%dT%H:%M:%S", timedelta(seconds=1))
Form = tuple[re.Pattern[str], str, timedelta]

# The activity takes a date or a date-time (SPEC contactActivity); the history YYYY-MM-DD or
# YYYY-MM-DDTHH:mm (SPEC contactMessages).
ACTIVITY_FORMS: tuple[Form, ...] = (_DATE, _MINUTE, _SECOND)
ACTIVITY_FORMS_TEXT = "YYYY-MM-DD, YYYY-MM-DDTHH:mm or YYYY-MM-DDTHH:mm:ss"
HISTORY_FORMS: tuple[Form, ...] = (_DATE, _MINUTE)
HISTORY_FORMS_TEXT = "YYYY-MM-DD or YYYY-MM-DDTHH:mm"

# activityStatus values the activity can be filtered by (SPEC contactActivity).
ACTIVITY_FILTERS = ("DELIVERED", "UNDELIVERED", "READ", "UNSUBSCRIBED", "CLICKED", "SPAM")
# channelTypes values (SPEC ContactMessage channelType).
CHANNEL_TYPES = ("email", "sms", "viber", "mobilepush", "webpush", "appinbox", "widget", "inapp", "telegrambot")
HISTORY_IDENTIFIERS = ("email", "phone", "contactId", "externalCustomerId")


def _bound(query: Query, name: str, forms: Sequence[Form], forms_text: str) -> tuple[datetime, datetime]:
    """The span a date parameter names: its start and the end of its last unit."""
    raw = query.required(name).strip()
    for pattern, layout, span in forms:
        if pattern.fullmatch(raw):
            try:
                start = datetime.strptime(raw, layout).replace(tzinfo=ACCOUNT_ZONE)
            except ValueError:
                break
            return start, start + span
    raise bad_request(f"The query parameter {name} must be a date or date-time as {forms_text}; got {raw!r}")


def _months_later(moment: datetime, months: int) -> datetime:
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def _period(query: Query, forms: Sequence[Form], forms_text: str, months: int | None) -> tuple[float, float]:
    """[start, end) from ``dateFrom`` to ``dateTo``, at most ``months`` calendar months long."""
    start, _ = _bound(query, "dateFrom", forms, forms_text)
    _, end = _bound(query, "dateTo", forms, forms_text)
    if start >= end:
        raise bad_request("dateFrom must not be later than dateTo")
    if months is not None and end > _months_later(start, months):
        raise bad_request(
            f"The period from dateFrom to dateTo must not exceed {months} months; "
            f"got {query.text('dateFrom')} to {query.text('dateTo')}"
        )
    return start.timestamp(), end.timestamp()


def _filter(query: Query, name: str) -> str | None:
    value = query.text(name)
    if value is not None and not value.strip():
        raise bad_request(f"The query parameter {name} must not be empty")
    return None if value is None else value.strip()


def contact_activity(call: Call) -> Response:
    """SPEC contactActivity: the events that have happened by now in the period, oldest first, after
    the event whose ``offset`` is given. The window rule is DOC's; refusing an unknown ``offset``,
    an empty filter and a ``maxrows`` over the default are guesses."""
    query = call.params(
        "dateFrom",
        "dateTo",
        "email",
        "sms",
        "webPushToken",
        "mobPushToken",
        "messageTag",
        "activityStatus",
        "offset",
        "maxrows",
    )
    start, end = _period(query, ACTIVITY_FORMS, ACTIVITY_FORMS_TEXT, ACTIVITY_WINDOW_MONTHS)
    status = _filter(query, "activityStatus")
    if status is not None and status not in ACTIVITY_FILTERS:
        raise bad_request(
            f"The query parameter activityStatus must be one of {', '.join(ACTIVITY_FILTERS)}; got {status!r}"
        )
    after = None
    offset = _filter(query, "offset")
    if offset is not None:
        after = activity.cursor_position(call.state, offset)
        if after is None:
            raise bad_request(f"The query parameter offset must be the offset of an activity entry; got {offset!r}")
    found = activity.search(
        call.state,
        activity.ActivityQuery(
            start=start,
            end=end,
            email=_filter(query, "email"),
            sms=_filter(query, "sms"),
            web_push_token=_filter(query, "webPushToken"),
            mob_push_token=_filter(query, "mobPushToken"),
            message_tag=_filter(query, "messageTag"),
            status=status,
            after=after,
            rows=query.integer("maxrows", ACTIVITY_MAX_ROWS, low=1, high=ACTIVITY_MAX_ROWS),
        ),
    )
    return json_reply(found)


def _channel_types(raw: str | None) -> list[str] | None:
    if raw is None:
        return None
    names = [part.strip() for part in raw.split(",") if part.strip()]
    unknown = [name for name in names if name not in CHANNEL_TYPES]
    if unknown or not names:
        raise bad_request(
            f"The query parameter channelTypes must list channel types among {', '.join(CHANNEL_TYPES)}; got {raw!r}"
        )
    return [activity.CHANNEL_OF_MEDIA.get(name, name) for name in names]


def _history_contact(call: Call, query: Query) -> int | None:
    """The contact exactly one identifier names (SPEC contactMessages: "either contactId, or
    externalCustomerId, or email, or phone number must be specified"), or None if there is none."""
    given = [name for name in HISTORY_IDENTIFIERS if query.text(name) is not None]
    if len(given) != 1:
        raise bad_request(
            f"Give exactly one of {', '.join(HISTORY_IDENTIFIERS)}; got {', '.join(given) if given else 'none'}"
        )
    name = given[0]
    value = _filter(query, name) or ""
    state = call.state
    if name == "contactId":
        return path_int(value, "contactId", bits=64)
    if name == "externalCustomerId":
        return contacts.find_by_external_id(state, value)
    return contacts.find_by_channel(state, "email" if name == "email" else "sms", value)


def contact_messages(call: Call) -> Response:
    """SPEC contactMessages: the messages sent to one contact in the period. An identifier that names
    no contact answers an empty array (a guess)."""
    query = call.params(
        "dateFrom", "dateTo", "email", "phone", "contactId", "externalCustomerId", "channelTypes", "offset", "maxrows"
    )
    start, end = _period(query, HISTORY_FORMS, HISTORY_FORMS_TEXT, None)
    contact_id = _history_contact(call, query)
    channels = _channel_types(query.text("channelTypes"))
    offset = query.integer("offset", 0, low=0, high=2**31 - 1)
    rows = query.integer("maxrows", HISTORY_ROWS, low=1, high=HISTORY_MAX_ROWS)
    if contact_id is None:
        return json_reply([])
    found = activity.history(call.state, contact_id, start=start, end=end, channels=channels, offset=offset, rows=rows)
    return json_reply(found)


ROUTES = [
    RouteSpec("GET", "/v2/contacts/activity", contact_activity),
    RouteSpec("GET", "/v2/contacts/messages", contact_messages, CONTACT_MESSAGES),
]
