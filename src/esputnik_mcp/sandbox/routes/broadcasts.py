"""Broadcasts: create, list, read and cancel (esputnik-api.md §8); how they run is in
:mod:`esputnik_mcp.sandbox.domain.broadcasts`."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from starlette.responses import Response

from esputnik_mcp.sandbox.domain import account, broadcasts, messaging, segments
from esputnik_mcp.sandbox.domain.orders import ACCOUNT_ZONE
from esputnik_mcp.sandbox.limits import BROADCASTS_DEFAULT_ROWS, MAX_ROWS
from esputnik_mcp.sandbox.routes.base import Call, RouteSpec
from esputnik_mcp.sandbox.validation import NewBroadcastIn
from esputnik_mcp.sandbox.wire import bad_request, empty_reply, json_reply, not_found, paged_reply, parse_body

START_FORMAT = "%Y-%m-%dT%H:%M"
# The channels createBroadcast names: "Email, SMS, Mobile Push, Web Push, Viber, Telegram" (SPEC). The
# sandbox stores no web push messages, so a web push broadcast finds no message.
APP_CHANNELS = ("mobilepush", "telegram")  # SPEC appId: "For mob push and telegram messages"


def _message(call: Call, message_id: str) -> tuple[account.Channel, dict[str, object]]:
    """The channel and body of the stored message a broadcast sends; 404 when there is none (the
    wording as for smartsend). App Inbox messages are refused: createBroadcast names the channels it
    takes, and App Inbox is not one of them (status and wording guesses)."""
    text = message_id.strip()
    number = int(text) if text.isdigit() and len(text) <= 10 else None
    found = messaging.find_template(call.state, number, account.CHANNELS) if number is not None else None
    if found is None:
        raise not_found(f"Message with id={message_id} not found")
    if found[0] == "appinbox":
        raise bad_request(
            f"Message {text} is an App Inbox message; broadcasts send email, SMS, mobile push, web push, Viber "
            "and Telegram messages"
        )
    return found


def _segments(call: Call, request: NewBroadcastIn) -> None:
    """Every segment named exists (404 otherwise, as for an SMS to a segment), ``groups`` names at least
    one, and none is both sent to and excluded (400; guesses)."""
    if not request.groups:
        raise bad_request("groups must list at least one segment id")
    for segment_id in [*request.groups, *(request.excludedGroups or [])]:
        if segments.get(call.state, segment_id) is None:
            raise not_found(f"Segment with id={segment_id} not found")
    both = sorted(set(request.groups) & set(request.excludedGroups or []))
    if both:
        raise bad_request(f"Segment {both[0]} is both in groups and in excludedGroups")


def _start(call: Call, start_date: str | None) -> float:
    """The start: now without ``startDate`` (SPEC: "If not specified, the broadcast starts immediately");
    else ``YYYY-MM-DDTHH:mm`` (SPEC) in the account's time zone (DOC getting-started). Another form, and
    a start before the current minute, are refused with 400 (guesses)."""
    now = call.state.now()
    if start_date is None:
        return now
    try:
        local = datetime.strptime(start_date, START_FORMAT)
    except ValueError:
        raise bad_request(f"startDate {start_date!r} is not in the format YYYY-MM-DDTHH:mm") from None
    moment = local.replace(tzinfo=ACCOUNT_ZONE).timestamp()
    if moment < now - now % 60:
        raise bad_request(f"startDate {start_date} is in the past")
    return max(moment, now)


def _speed_and_target(request: NewBroadcastIn, channel: account.Channel) -> None:
    """The speed comes as ``batchSize`` with ``batchIntervalUnit`` or not at all, and ``batchSize`` is
    positive; ``appId`` is given for mobile push and Telegram messages and ``domain`` for web push, and
    neither for other channels (SPEC names what each is for; refusing the rest with 400 is a guess)."""
    if (request.batchSize is None) != (request.batchIntervalUnit is None):
        raise bad_request("batchSize and batchIntervalUnit go together: give both, or neither")
    if request.batchSize is not None and request.batchSize < 1:
        raise bad_request("batchSize must be at least 1")
    if channel in APP_CHANNELS and not (request.appId or "").strip():
        raise bad_request(f"appId is required for a {channel} broadcast")
    if channel not in APP_CHANNELS and request.appId is not None:
        raise bad_request(f"appId is for mobile push and Telegram broadcasts; message is a {channel} message")
    if request.domain is not None:
        raise bad_request(f"domain is for web push broadcasts; message is a {channel} message")


def create_broadcast(call: Call) -> Response:
    """SPEC createBroadcast: the new broadcast as a BroadcastView. Its title defaults to the message's
    name (a guess). A broadcast without ``startDate`` starts at once, so its first batch is out when
    the answer comes."""
    call.params()
    request = parse_body(NewBroadcastIn, call.body)
    channel, stored = _message(call, request.messageId)
    _segments(call, request)
    _speed_and_target(request, channel)
    plan = broadcasts.Plan(
        template_id=int(request.messageId.strip()),
        channel=channel,
        groups=list(dict.fromkeys(request.groups)),
        excluded=list(dict.fromkeys(request.excludedGroups or [])),
        start_at=_start(call, request.startDate),
        title=request.title if request.title is not None else str(stored.get("name") or "") or None,
        batch_size=request.batchSize,
        batch_unit=request.batchIntervalUnit,
        app_id=request.appId,
    )
    broadcast_id = broadcasts.add(call.state, plan)
    broadcasts.run_due(call.state)
    return json_reply(broadcasts.view_json(_found(call, broadcast_id)))


def find_broadcasts(call: Call) -> Response:
    """SPEC findBroadcasts: ``maxrows`` default 10, at most 500; the total in ``TotalCount`` (as the
    other startindex/maxrows searches; a guess here)."""
    query = call.params("startindex", "maxrows")
    start = query.integer("startindex", 1, low=1, high=2**63 - 1)
    rows = query.integer("maxrows", BROADCASTS_DEFAULT_ROWS, low=1, high=MAX_ROWS)
    found, total = broadcasts.search(call.state, start=start, rows=rows)
    return paged_reply(found, total)


def _id(call: Call) -> int:
    """The broadcast id of the path (a string in SPEC); one that is no broadcast's is 404 (a guess)."""
    text = call.path["broadcast_id"].strip()
    if not text.isdigit() or int(text) >= 2**63:
        raise not_found(f"Broadcast with id={text} not found")
    return int(text)


def _found(call: Call, broadcast_id: int) -> sqlite3.Row:
    row = broadcasts.get(call.state, broadcast_id)
    if row is None:
        raise not_found(f"Broadcast with id={broadcast_id} not found")
    return row


def get_broadcast(call: Call) -> Response:
    """SPEC getBroadcast: the BroadcastView."""
    call.params()
    return json_reply(broadcasts.view_json(_found(call, _id(call))))


def delete_broadcast(call: Call) -> Response:
    """SPEC deleteBroadcast cancels a *scheduled* broadcast, and documents no answer: 200 with an empty
    body. One that has started (its first batch is out) or finished is refused, as the reference
    offers the method only for scheduled broadcasts: 400 with a plain-text reason, like eSputnik's other
    refusals (§19); the status and the wording are the sandbox's."""
    call.params()
    row = _found(call, _id(call))
    if broadcasts.started(row):
        start = broadcasts.view_json(row)["startDate"]
        raise bad_request(
            f"Broadcast {row['id']} has already started ({start}) and cannot be cancelled; "
            f"{broadcasts.sent(call.state, row['id'])} messages were sent",
        )
    broadcasts.cancel(call.state, row["id"])
    return empty_reply()


ROUTES = [
    RouteSpec("POST", "/v1/broadcast", create_broadcast),
    RouteSpec("GET", "/v1/broadcasts", find_broadcasts),
    RouteSpec("GET", "/v1/broadcast/{broadcast_id}", get_broadcast),
    RouteSpec("DELETE", "/v1/broadcast/{broadcast_id}", delete_broadcast),
]
