"""Activity: what happened to each sent message, as events eSputnik reports (esputnik-api.md §13, §16).

A send writes the activity steps of its timeline (:mod:`esputnik_mcp.sandbox.domain.timeline`) as
rows dated in the future; a row counts once the sandbox clock reaches its time. What a person does
with a message (a click, an unsubscribe, a spam complaint, new subscription categories) is a row
too, written by :func:`record_action`. From these rows come ``GET /v2/contacts/activity``,
``GET /v2/contacts/messages``, the status ``/v1/message/status`` reports once a message has any,
and what the webhook pusher posts.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from esputnik_mcp.sandbox import rules
from esputnik_mcp.sandbox.domain import contacts, timeline
from esputnik_mcp.sandbox.domain.timeline import (
    ACTIONS,
    CLICKED,
    PUSH_SENT,
    READ,
    SPAM,
    SUBSCRIPTION_CHANGED,
    UNDELIVERED,
    UNSUBSCRIBED,
)
from esputnik_mcp.sandbox.wire import prune

if TYPE_CHECKING:
    import sqlite3

    from esputnik_mcp.sandbox.state import State

# SQL here is composed from fixed fragments; every value goes in as a ``?`` parameter
# (hence the S608 waivers).

# activityDateTime and sentDateTime as the sandbox writes them, in the API's answers and in the
# webhook's posts alike: ISO 8601 in UTC, to the millisecond, with no offset, e.g.
# 2026-11-30T09:12:03.123. eSputnik documents these fields only as strings (SPEC ContactActivity,
# ContactMessage; esputnik-api.md §16); its exact format is not documented.
TIME_FORMAT = "{moment:%Y-%m-%dT%H:%M:%S}.{millis:03d}"

# The web version of a sent email (viewMessageLink). The sandbox serves none: the host is
# ``.invalid``, so the link never resolves.
VIEW_LINK = "https://view.sandbox.invalid/message/{iid}"

# mediaType and channelType name the Telegram bot channel ``telegrambot`` (SPEC ContactActivity,
# ContactMessage; esputnik-api.md §20.10); every other channel keeps its name.
MEDIA_TYPES = {"telegram": "telegrambot"}
CHANNEL_OF_MEDIA = {v: k for k, v in MEDIA_TYPES.items()}

_SELECT = (
    "SELECT a.id, a.request_id, a.contact_id, a.channel, a.status, a.at, a.hard_bounce,"
    " a.status_description, a.click_link, a.subscriptions_json,"
    " m.locator, m.template_id, m.instance_id, m.broadcast_id, m.message_name, m.tags_json,"
    " m.language_code, m.sender, m.external_request_id, c.external_customer_id"
    " FROM activity a JOIN messages m ON m.request_id = a.request_id"
    " LEFT JOIN contacts c ON c.id = a.contact_id"
)
_INSERT = (
    "INSERT INTO activity (request_id, contact_id, channel, address, status, message_status, at,"
    " hard_bounce, status_description, click_link, subscriptions_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def format_time(at: float) -> str:
    """``at`` (seconds since the epoch) as :data:`TIME_FORMAT` writes it."""
    moment = datetime.fromtimestamp(at, UTC)
    return TIME_FORMAT.format(moment=moment, millis=moment.microsecond // 1000)


def media_type(channel: str) -> str:
    return MEDIA_TYPES.get(channel, channel)


def address_key(channel: str, locator: str) -> str:
    """The form of a message's address that the activity filters compare: an email address in lower
    case, a phone number's digits, a token or chat id as it is."""
    if channel == "email":
        return rules.normal_email(locator)
    if channel in ("sms", "viber"):
        return rules.normal_phone(locator) or locator.strip()
    return locator.strip()


# --- writing ---------------------------------------------------------------------------------


def materialise(
    state: State,
    request_id: str,
    channel: str,
    outcome: str,
    *,
    contact_id: int | None,
    locator: str,
    at: float | None = None,
) -> None:
    """Write the activity events of a message sent at ``at`` (default: now): one per activity step of
    its timeline."""
    sent_at = state.now() if at is None else at
    address = address_key(channel, locator)
    state.conn.executemany(
        _INSERT,
        [
            (
                request_id,
                contact_id,
                channel,
                address,
                step.activity,
                step.status,
                sent_at + step.after,
                int(step.hard_bounce),
                step.description.format(address=locator) if step.description else None,
                None,
                None,
            )
            for step in timeline.timeline(channel, outcome)
            if step.activity is not None
        ],
    )


def _check_action(action: str, channel: str, link: str | None, subscriptions: Sequence[str] | None) -> None:
    """Refuse an action the sandbox cannot record (the rules are the sandbox's own)."""
    if action not in ACTIONS:
        raise ValueError(f"Unknown action {action!r}; record one of {', '.join(ACTIONS)}")
    if action == CLICKED and not (link or "").startswith(("http://", "https://")):
        raise ValueError("A CLICKED action needs the link clicked: an http:// or https:// URL")
    if action != CLICKED and link is not None:
        raise ValueError("Only a CLICKED action has a link")
    if action == SUBSCRIPTION_CHANGED and subscriptions is None:
        raise ValueError("A SUBSCRIPTION_CHANGED action needs the subscription category keys (possibly none)")
    if action != SUBSCRIPTION_CHANGED and subscriptions is not None:
        raise ValueError("Only a SUBSCRIPTION_CHANGED action has subscription category keys")
    if action == SPAM and channel != "email":
        raise ValueError("Only an email can be reported as spam")


def record_action(
    state: State,
    request_id: str,
    action: str,
    *,
    link: str | None = None,
    subscriptions: Sequence[str] | None = None,
    at: float | None = None,
) -> int:
    """Record what the person did with message ``request_id`` at ``at`` (default: now); the new
    event's id. Raises LookupError for an unknown request id, ValueError for an action the message
    cannot have (see :func:`_check_action`, and: only a delivered message can be acted on, from the
    moment of its delivery).

    A click implies the message was opened: a READ that would come later (or never) on a channel
    with READ comes at the click instead. An UNSUBSCRIBED or SPAM email puts its address on the
    unsubscribed list, so later sends to it are refused as eSputnik's are; that a spam complaint
    unsubscribes is a guess. SUBSCRIPTION_CHANGED replaces the contact's categories with
    ``subscriptions`` (esputnik-api.md §4.12: replacing is likely)."""
    message = state.conn.execute(
        "SELECT request_id, channel, contact_id, locator FROM messages WHERE request_id = ?", (request_id,)
    ).fetchone()
    if message is None:
        raise LookupError(f"No message was sent with the request id {request_id}")
    channel = message["channel"]
    _check_action(action, channel, link, subscriptions)
    moment = state.now() if at is None else at
    delivered = state.conn.execute(
        "SELECT MIN(at) FROM activity WHERE request_id = ? AND status = 'DELIVERED'", (request_id,)
    ).fetchone()[0]
    if delivered is None:
        raise ValueError(f"The message {request_id} was not delivered, so there is nothing to act on")
    if delivered > moment:
        raise ValueError(
            f"The message {request_id} is delivered only at {format_time(delivered)} (UTC); "
            "move the sandbox clock on or give a later time"
        )
    keys = None if subscriptions is None else json.dumps(list(subscriptions), ensure_ascii=False)
    with state.write():
        if action == CLICKED and READ in timeline.STATUS_NAMES.get(channel, frozenset()):
            _read_by(state, message, moment)
        new_id = _insert(state, message, action, moment, link=link, subscriptions=keys)
        _apply(state, message, action, moment, subscriptions)
    return new_id


def _insert(
    state: State, message: sqlite3.Row, status: str, at: float, *, link: str | None, subscriptions: str | None
) -> int:
    """Add an event of ``status`` to ``message`` (a person's doing); its id."""
    channel, locator = message["channel"], message["locator"]
    cursor = state.conn.execute(
        _INSERT,
        (
            message["request_id"],
            message["contact_id"],
            channel,
            address_key(channel, locator),
            status,
            timeline.status_after(channel, status),
            at,
            0,
            None,
            link,
            subscriptions,
        ),
    )
    return int(cursor.lastrowid or 0)


def _read_by(state: State, message: sqlite3.Row, at: float) -> None:
    """Make sure the message counts as read by ``at``."""
    row = state.conn.execute(
        "SELECT id, at FROM activity WHERE request_id = ? AND status = 'READ' ORDER BY at LIMIT 1",
        (message["request_id"],),
    ).fetchone()
    if row is None:
        _insert(state, message, READ, at, link=None, subscriptions=None)
    elif row["at"] > at:
        state.conn.execute("UPDATE activity SET at = ? WHERE id = ?", (at, row["id"]))


def _apply(state: State, message: sqlite3.Row, action: str, at: float, subscriptions: Sequence[str] | None) -> None:
    """What an action changes besides the activity (see :func:`record_action`)."""
    contact_id = message["contact_id"]
    if message["channel"] == "email" and action in (UNSUBSCRIBED, SPAM):
        state.conn.execute(
            "INSERT OR IGNORE INTO unsubscribed (email, added_at) VALUES (?, ?)",
            (rules.normal_email(message["locator"]), at),
        )
    if action == SUBSCRIPTION_CHANGED and contact_id is not None:
        state.conn.execute("DELETE FROM contact_subscriptions WHERE contact_id = ?", (contact_id,))
        contacts.set_subscriptions(state, contact_id, subscriptions or ())


# --- reading ---------------------------------------------------------------------------------


def _event_json(row: sqlite3.Row, addresses: dict[str, str], *, webhook: bool) -> dict[str, Any]:
    """An activity event as the API answers it (SPEC ContactActivity, with its ``offset``) or as the
    webhook posts it (esputnik-api.md §16, with ``hardBounce`` on an UNDELIVERED event)."""
    channel, status = row["channel"], row["status"]
    tags = json.loads(row["tags_json"] or "[]")
    subscriptions = json.loads(row["subscriptions_json"]) if row["subscriptions_json"] is not None else None
    undelivered = status == UNDELIVERED
    return prune(
        {
            "iid": row["request_id"],
            "externalRequestId": row["external_request_id"],
            "contactId": row["contact_id"],
            "externalCustomerId": row["external_customer_id"],
            **addresses,
            "mediaType": media_type(channel),
            "activityStatus": status,
            "activityDateTime": format_time(row["at"]),
            "messageId": row["template_id"] or 0,  # 0 for one-off sends (SPEC ContactMessage)
            "messageInstanceId": row["instance_id"] or 0,
            "messageName": row["message_name"],
            "messageTag": ",".join(tags) or None,  # comma-joined (esputnik-api.md §16)
            "messageLanguageCode": row["language_code"],
            "from": row["sender"],
            "statusDescription": row["status_description"] if undelivered else None,
            "hardBounce": bool(row["hard_bounce"]) if webhook and undelivered else None,
            "viewMessageLink": VIEW_LINK.format(iid=row["request_id"]) if channel == "email" else None,
            "clickEventLink": row["click_link"],
            "statusData": None if subscriptions is None else {"subscription": {"subscriptions": subscriptions}},
            "broadcastId": row["broadcast_id"],
            "offset": None if webhook else cursor_of(row),
        }
    )


# Where each channel's address goes: ContactActivity has email, sms (phone) and push-token fields
# (SPEC); the webhook names the field after the channel (esputnik-api.md §16).
_API_ADDRESS = {
    "email": "email",
    "sms": "sms",
    "viber": "sms",
    "mobilepush": "mobPushToken",
    "appinbox": "mobPushToken",
}
_WEBHOOK_ADDRESS = {
    "email": "email",
    "sms": "sms",
    "viber": "viber",
    "mobilepush": "mobilepush",
    "appinbox": "mobilepush",
}


def api_json(row: sqlite3.Row) -> dict[str, Any]:
    """SPEC ContactActivity of an event."""
    name = _API_ADDRESS.get(row["channel"])
    return _event_json(row, {name: row["locator"]} if name else {}, webhook=False)


def webhook_json(row: sqlite3.Row) -> dict[str, Any]:
    """An activity object as eSputnik's webhook posts it."""
    name = _WEBHOOK_ADDRESS.get(row["channel"])
    return _event_json(row, {name: row["locator"]} if name else {}, webhook=True)


def cursor_of(row: sqlite3.Row) -> str:
    """An event's ``offset``: its time in milliseconds and its id (the sandbox's own form)."""
    return f"{math.floor(row['at'] * 1000)}-{row['id']}"


def cursor_position(state: State, offset: str) -> tuple[float, int] | None:
    """The (time, id) an ``offset`` names, or None if it names no event."""
    _, dash, ident = offset.strip().rpartition("-")
    if not dash or not ident.isdigit():
        return None
    row = state.conn.execute("SELECT at, id FROM activity WHERE id = ?", (int(ident),)).fetchone()
    return None if row is None else (float(row["at"]), int(row["id"]))


@dataclass(frozen=True)
class ActivityQuery:
    """What ``GET /v2/contacts/activity`` asks for: events at ``start`` or later and before
    ``end``, matching every filter given, after ``after`` (the cursor's position)."""

    start: float
    end: float
    email: str | None = None
    sms: str | None = None
    web_push_token: str | None = None
    mob_push_token: str | None = None
    message_tag: str | None = None
    status: str | None = None
    after: tuple[float, int] | None = None
    rows: int = 25000


def _filters(query: ActivityQuery) -> tuple[list[str], list[Any]]:
    """The filters of ``query`` as SQL conditions and their parameters. An address filter matches the
    events of messages sent to that address on its channels (the sandbox's reading)."""
    where: list[str] = []
    params: list[Any] = []
    for value, channels, key in (
        (query.email, ("email",), "email"),
        (query.sms, ("sms", "viber"), "sms"),
        (query.mob_push_token, ("mobilepush", "appinbox"), "mobilepush"),
        (query.web_push_token, ("webpush",), "webpush"),
    ):
        if value is not None:
            where.append(f"a.channel IN ({','.join('?' * len(channels))}) AND a.address = ?")
            params += [*channels, address_key(key, value)]
    if query.message_tag is not None:
        where.append("EXISTS (SELECT 1 FROM json_each(m.tags_json) WHERE value = ?)")
        params.append(query.message_tag)
    if query.status is not None:
        where.append("a.status = ?")
        params.append(query.status)
    if query.after is not None:
        where.append("(a.at, a.id) > (?, ?)")
        params += list(query.after)
    return where, params


def search(state: State, query: ActivityQuery) -> list[dict[str, Any]]:
    """SPEC ContactActivity of each event that has happened by now, oldest first. SENT is left out:
    it is mobile push's webhook status (esputnik-api.md §16), not one of the method's (§13.1)."""
    where = ["a.at >= ?", "a.at < ?", "a.at <= ?", "a.status != ?"]
    params: list[Any] = [query.start, query.end, state.now(), PUSH_SENT]
    more, more_params = _filters(query)
    rows = state.conn.execute(
        f"{_SELECT} WHERE {' AND '.join(where + more)} ORDER BY a.at, a.id LIMIT ?",
        [*params, *more_params, query.rows],
    )
    return [api_json(row) for row in rows]


def events(state: State, *, request_id: str | None = None, include_future: bool = False) -> list[dict[str, Any]]:
    """Events as the webhook posts them, oldest first (for tests and the admin view)."""
    where: list[str] = ["1 = 1"]
    params: list[Any] = []
    if request_id is not None:
        where.append("a.request_id = ?")
        params.append(request_id)
    if not include_future:
        where.append("a.at <= ?")
        params.append(state.now())
    rows = state.conn.execute(f"{_SELECT} WHERE {' AND '.join(where)} ORDER BY a.at, a.id", params)
    return [webhook_json(row) for row in rows]


def event(state: State, event_id: int) -> dict[str, Any]:
    """One event as the webhook posts it."""
    row = state.conn.execute(f"{_SELECT} WHERE a.id = ?", (event_id,)).fetchone()
    return webhook_json(row)


def reached_statuses(state: State, request_ids: Sequence[str]) -> dict[str, str]:
    """The /v1/message/status status each message's events have brought it to by now (its latest
    event that sets one); messages with none so far are left out."""
    if not request_ids:
        return {}
    marks = ",".join("?" * len(request_ids))
    rows = state.conn.execute(
        f"SELECT request_id, message_status FROM activity WHERE request_id IN ({marks})"  # noqa: S608
        " AND at <= ? AND message_status IS NOT NULL ORDER BY at, id",
        [*request_ids, state.now()],
    )
    return {row[0]: row[1] for row in rows}


def latest_activity(state: State, request_ids: Sequence[str]) -> dict[str, str]:
    """Each message's latest activity status by now (SENT aside); messages with none are left out."""
    if not request_ids:
        return {}
    marks = ",".join("?" * len(request_ids))
    rows = state.conn.execute(
        f"SELECT request_id, status FROM activity WHERE request_id IN ({marks})"  # noqa: S608
        " AND at <= ? AND status != ? ORDER BY at, id",
        [*request_ids, state.now(), PUSH_SENT],
    )
    return {row[0]: row[1] for row in rows}


def history(
    state: State,
    contact_id: int,
    *,
    start: float,
    end: float,
    channels: Iterable[str] | None,
    offset: int,
    rows: int,
) -> list[dict[str, Any]]:
    """SPEC ContactMessage of each message sent to the contact from ``start`` to before ``end``,
    newest first (a guess), with the latest activity status it has reached by now."""
    where = ["contact_id = ?", "sent_at >= ?", "sent_at < ?", "sent_at <= ?"]
    params: list[Any] = [contact_id, start, end, state.now()]
    if channels is not None:
        wanted = list(channels)
        where.append(f"channel IN ({','.join('?' * len(wanted))})")
        params += wanted
    found = state.conn.execute(
        f"SELECT * FROM messages WHERE {' AND '.join(where)} ORDER BY sent_at DESC, rowid DESC"  # noqa: S608
        " LIMIT ? OFFSET ?",
        [*params, rows, offset],
    ).fetchall()
    reached = latest_activity(state, [row["request_id"] for row in found])
    email = contacts.channel_value(state, contact_id, "email")
    phone = contacts.channel_value(state, contact_id, "sms")
    return [_message_json(row, contact_id, email, phone, reached.get(row["request_id"])) for row in found]


def _message_json(
    row: sqlite3.Row, contact_id: int, email: str | None, phone: str | None, status: str | None
) -> dict[str, Any]:
    channel = row["channel"]
    return prune(
        {
            "contactId": contact_id,
            "email": row["locator"] if channel == "email" else email,
            "phone": row["locator"] if channel in ("sms", "viber") else phone,
            "messageId": row["template_id"] or 0,
            "messageInstanceId": row["instance_id"] or 0,
            "messageTags": json.loads(row["tags_json"] or "[]"),
            "channelType": media_type(channel),
            "sentDateTime": format_time(row["sent_at"]),
            "activityStatus": status,
            "from": row["sender"],
            "subject": row["subject"] if channel == "email" else None,
            "text": row["content"] if channel in ("sms", "viber") else None,
            "viewMessageLink": VIEW_LINK.format(iid=row["request_id"]) if channel == "email" else None,
        }
    )


# --- the webhook's bookkeeping ---------------------------------------------------------------


def due(state: State, limit: int) -> list[sqlite3.Row]:
    """Events not yet pushed whose time has come, oldest first, at most ``limit``."""
    return state.conn.execute(
        f"{_SELECT} WHERE a.pushed = 0 AND a.at <= ? ORDER BY a.at, a.id LIMIT ?",
        (state.now(), limit),
    ).fetchall()


def mark_pushed(state: State, ids: Sequence[int]) -> None:
    with state.write():
        state.conn.executemany("UPDATE activity SET pushed = 1 WHERE id = ?", [(i,) for i in ids])


def start_pushing(state: State, since: float | None) -> None:
    """Count every event as not yet pushed, except (with ``since``) those dated before it."""
    with state.write():
        if since is None:
            state.conn.execute("UPDATE activity SET pushed = 0")
        else:
            state.conn.execute("UPDATE activity SET pushed = (at < ?)", (since,))
