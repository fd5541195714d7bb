"""Sending, the delivery status of what was sent, and stored messages (templates).

Nothing leaves the sandbox: a send is a row in ``messages`` plus the activity events its channel's
timeline brings, dated from the moment of sending (:mod:`esputnik_mcp.sandbox.domain.timeline`
has the timelines and the failure rules, :mod:`esputnik_mcp.sandbox.domain.activity` the events).
The status ``/v1/message/status`` reports is the one the message's latest event has brought it
to, or before any, its timeline's (``IN_QUEUE``, ``PENDING``).
"""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from esputnik_mcp.sandbox import rules
from esputnik_mcp.sandbox.domain import account, activity, contacts, timeline, velocity
from esputnik_mcp.sandbox.validation import ChannelIn, ContactIn
from esputnik_mcp.sandbox.wire import prune

if TYPE_CHECKING:
    import sqlite3

    from esputnik_mcp.sandbox.state import State

# SQL here is composed from fixed fragments; every value goes in as a ``?`` parameter
# (hence the S608 waivers).

# Message instances (messageInstanceId) are numbered from here on (the sandbox's own numbering).
INSTANCE_BASE = 700_000

_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = set("^{}\\[~]|€\f")


def sms_parts(text: str) -> int:
    """How many SMS parts ``text`` takes: GSM-7 160 (153 per part when split), else UCS-2 70 (67),
    as SMS segmentation works; that eSputnik bills per part is an assumption."""
    if all(c in _GSM_BASIC or c in _GSM_EXTENDED for c in text):
        length = sum(2 if c in _GSM_EXTENDED else 1 for c in text)
        single, multi = 160, 153
    else:
        length = len(text.encode("utf-16-le")) // 2
        single, multi = 70, 67
    return 1 if length <= single else math.ceil(length / multi)


# --- personalisation -------------------------------------------------------------------------


def render(template: str, variables: dict[str, Any], data: dict[str, Any]) -> str:
    """Fill a template the way eSputnik's Velocity would: ``$!data.get('key')``, ``${data.key}``
    and the like from the send's params, ``${firstName}`` / ``$firstName`` from the contact, and
    ``#if`` blocks (see :mod:`esputnik_mcp.sandbox.domain.velocity` for what is understood)."""
    return velocity.render(template, variables, data)


def contact_variables(state: State, contact_id: int | None) -> dict[str, Any]:
    if contact_id is None:
        return {}
    row = contacts.status(state, contact_id)
    if row is None:
        return {}
    return prune(
        {
            "contactId": contact_id,
            "firstName": row["first_name"],
            "lastName": row["last_name"],
            "externalCustomerId": row["external_customer_id"],
            "email": contacts.channel_value(state, contact_id, "email"),
            "phone": contacts.channel_value(state, contact_id, "sms"),
        }
    )


# --- sending ---------------------------------------------------------------------------------


@dataclass
class Outgoing:
    channel: account.Channel
    locator: str
    contact_id: int | None
    content: str
    sender: str | None = None
    subject: str | None = None
    template_id: int | None = None
    tags: list[str] = field(default_factory=list)
    external_request_id: str | None = None
    language_code: str | None = None
    message_name: str | None = None
    broadcast_id: int | None = None


def error_result(locator: str, message: str) -> dict[str, Any]:
    return {"locator": locator, "status": "ERROR", "message": message}


def is_unsubscribed(state: State, email: str) -> bool:
    row = state.conn.execute("SELECT 1 FROM unsubscribed WHERE email = ?", (rules.normal_email(email),))
    return row.fetchone() is not None


def contact_for(state: State, channel: Literal["email", "sms"], locator: str) -> int:
    """The contact with this address or phone number, created if there is none (SPEC sendEmail,
    sendSMS: "a new contact is created if no contact with such ... exists"); created confirmed,
    like POST /v1/contact (a guess)."""
    found = contacts.find_by_channel(state, channel, locator)
    if found is not None and contacts.is_active(state, found):
        return found
    return contacts.create(state, ContactIn(channels=[ChannelIn(type=channel, value=locator)]))


# The contact channel types holding a contact's address on each sending channel, in order of
# preference. Viber reaches a phone number (a contact's viber channel, else its sms one); App Inbox
# lives in the mobile app, so it reaches the push devices (a guess). The sandbox's contacts have no
# Telegram subscriptions: a Telegram send names its chat id as the locator.
ADDRESS_TYPES: dict[account.Channel, tuple[str, ...]] = {
    "email": ("email",),
    "sms": ("sms",),
    "viber": ("viber", "sms"),
    "mobilepush": ("mobilepush",),
    "appinbox": ("mobilepush",),
    "telegram": (),
}


def address_of(state: State, contact_id: int, channel: account.Channel) -> str | None:
    """Where ``channel`` reaches contact ``contact_id``, or None if it does not."""
    for channel_type in ADDRESS_TYPES[channel]:
        value = contacts.channel_value(state, contact_id, channel_type)
        if value is not None:
            return value
    return None


def contact_at(state: State, channel: account.Channel, locator: str) -> int | None:
    """The active contact ``channel`` reaches at ``locator``, or None."""
    for channel_type in ADDRESS_TYPES[channel]:
        found = contacts.find_by_channel(state, channel_type, locator)
        if found is not None and contacts.is_active(state, found):
            return found
    return None


def instance_for(state: State, template_id: int, broadcast_id: int | None = None) -> int:
    """The message instance that sends of stored message ``template_id`` belong to: one per message
    outside broadcasts, one per broadcast, made at its first send (eSputnik documents
    messageInstanceId without saying when a new instance begins; this numbering is the sandbox's own)."""
    if broadcast_id is None:
        row = state.conn.execute(
            "SELECT id FROM message_instances WHERE template_id = ? AND broadcast_id IS NULL", (template_id,)
        ).fetchone()
    else:
        row = state.conn.execute(
            "SELECT id FROM message_instances WHERE template_id = ? AND broadcast_id = ?", (template_id, broadcast_id)
        ).fetchone()
    if row is not None:
        return int(row[0])
    last = state.conn.execute("SELECT MAX(id) FROM message_instances").fetchone()[0]
    instance = max(int(last or 0), INSTANCE_BASE) + 1
    state.conn.execute(
        "INSERT INTO message_instances (id, template_id, broadcast_id) VALUES (?, ?, ?)",
        (instance, template_id, broadcast_id),
    )
    return instance


def send(state: State, out: Outgoing, *, at: float | None = None) -> dict[str, Any]:
    """Queue one message (pay for it), write the events it will have, and return its SPEC
    SendMessageResultDto. ``at`` dates the send (default: now), e.g. a broadcast's batch that came
    due before the sandbox noticed."""
    sent_at = state.now() if at is None else at
    parts = sms_parts(out.content) if out.channel == "sms" else 1
    cost = account.charge(state, out.channel, parts)
    outcome = timeline.NO_MONEY if cost is None else timeline.fate(out.channel, out.locator)
    request_id = str(uuid.uuid4())
    instance = None if out.template_id is None else instance_for(state, out.template_id, out.broadcast_id)
    state.conn.execute(
        "INSERT INTO messages (request_id, channel, contact_id, locator, template_id, sent_at, outcome,"
        " sender, subject, content, tags_json, external_request_id, language_code, cost_minor, parts,"
        " message_name, instance_id, broadcast_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            request_id,
            out.channel,
            out.contact_id,
            out.locator,
            out.template_id,
            sent_at,
            outcome,
            out.sender,
            out.subject,
            out.content,
            json.dumps(out.tags, ensure_ascii=False),
            out.external_request_id,
            out.language_code,
            cost or 0,
            parts,
            out.message_name,
            instance,
            out.broadcast_id,
        ),
    )
    activity.materialise(
        state, request_id, out.channel, outcome, contact_id=out.contact_id, locator=out.locator, at=sent_at
    )
    return {"locator": out.locator, "status": "OK", "requestId": request_id}


def statuses(state: State, request_ids: list[str]) -> list[dict[str, Any]]:
    """SPEC InstantMessageStatusDto of each known request id, in the order asked."""
    if not request_ids:
        return []
    marks = ",".join("?" * len(request_ids))
    rows = {
        row["request_id"]: row
        for row in state.conn.execute(
            f"SELECT request_id, channel, outcome, sent_at FROM messages WHERE request_id IN ({marks})",  # noqa: S608
            request_ids,
        )
    }
    reached = activity.reached_statuses(state, list(rows))
    result = []
    for request_id in dict.fromkeys(request_ids):
        row = rows.get(request_id)
        if row is None:
            continue
        status = reached.get(request_id)
        if status is None:
            status = timeline.status_of(row["channel"], row["outcome"], state.now() - row["sent_at"])[0]
        delivered, failed = timeline.flags(status)
        result.append({"requestId": request_id, "status": status, "delivered": delivered, "failed": failed})
    return result


def sent_messages(state: State, *, contact_id: int | None = None) -> list[dict[str, Any]]:
    """What was "sent" through the API, oldest first (for tests and the admin view); the demo
    account's past sends are left out."""
    where, params = "WHERE source = 'api'", []
    if contact_id is not None:
        where, params = where + " AND contact_id = ?", [contact_id]
    rows = state.conn.execute(f"SELECT * FROM messages {where} ORDER BY sent_at, rowid", params)  # noqa: S608
    return [
        {
            "requestId": row["request_id"],
            "channel": row["channel"],
            "contactId": row["contact_id"],
            "locator": row["locator"],
            "templateId": row["template_id"],
            "from": row["sender"],
            "subject": row["subject"],
            "content": row["content"],
            "tags": json.loads(row["tags_json"] or "[]"),
            "externalRequestId": row["external_request_id"],
            "languageCode": row["language_code"],
            "cost": row["cost_minor"] / 100,
            "parts": row["parts"],
        }
        for row in rows
    ]


# --- stored messages (templates) --------------------------------------------------------------


def add_template(state: State, channel: account.Channel, body: dict[str, Any]) -> None:
    state.conn.execute(
        "INSERT INTO templates (id, channel, name_fold, tags_fold, body_json) VALUES (?, ?, ?, ?, ?)",
        (
            body["id"],
            channel,
            str(body["name"]).casefold(),
            json.dumps([str(t).casefold() for t in body.get("tags", [])], ensure_ascii=False),
            json.dumps(body, ensure_ascii=False),
        ),
    )


def template(state: State, template_id: int, channel: account.Channel) -> dict[str, Any] | None:
    found = find_template(state, template_id, (channel,))
    return None if found is None else found[1]


def find_template(
    state: State, template_id: int, channels: tuple[account.Channel, ...]
) -> tuple[account.Channel, dict[str, Any]] | None:
    """The channel and stored body of message ``template_id`` if it is a message of one of ``channels``."""
    marks = ",".join("?" * len(channels))
    row: sqlite3.Row | None = state.conn.execute(
        f"SELECT channel, body_json FROM templates WHERE id = ? AND channel IN ({marks})",  # noqa: S608
        (template_id, *channels),
    ).fetchone()
    if row is None:
        return None
    channel = next(c for c in channels if c == row["channel"])
    body: dict[str, Any] = json.loads(row["body_json"])
    return channel, body


def message_json(body: dict[str, Any]) -> dict[str, Any]:
    """A stored message as ``GET /v1/messages/<channel>/{id}`` answers it (SPEC Base*Message): each
    translation is the whole message in its language (the base's fields with the translated ones
    over them), and ``languages`` lists the translations' language codes. Both are left out of a
    message without translations, and ``languages`` leaves out the base language: guesses (SPEC:
    "language codes for multilingual messages", "available for the GET method only")."""
    base = {k: v for k, v in body.items() if k not in ("languages", "translations")}
    translations = [{**base, **t} for t in body.get("translations", [])]
    if not translations:
        return base
    return {**base, "languages": [t["languageCode"] for t in translations], "translations": translations}


def search_templates(
    state: State, channel: account.Channel, search: str | None, *, start: int, rows: int
) -> tuple[list[dict[str, Any]], int]:
    """Stored messages whose name contains ``search`` or that carry it as a tag; case-insensitive
    and in id order (guesses)."""
    where, params = "channel = ?", [str(channel)]
    if search:
        where += " AND (instr(name_fold, ?) > 0 OR EXISTS (SELECT 1 FROM json_each(tags_fold) WHERE value = ?))"
        params += [search.casefold(), search.casefold()]
    total = state.conn.execute(f"SELECT COUNT(*) FROM templates WHERE {where}", params).fetchone()[0]  # noqa: S608
    found = [
        json.loads(row[0])
        for row in state.conn.execute(
            f"SELECT body_json FROM templates WHERE {where} ORDER BY id LIMIT ? OFFSET ?",  # noqa: S608
            (*params, rows, start - 1),
        )
    ]
    return found, int(total)


def version(body: dict[str, Any], language: str | None) -> dict[str, Any]:
    """The language version of a stored message (its base when there is no such translation)."""
    if language:
        for translation in body.get("translations", []):
            if translation.get("languageCode") == language:
                return {**body, **translation}
    return body


# Messages created through the API are numbered from here on, in the one id space every channel's
# messages share (the sandbox's own numbering).
TEMPLATE_BASE = 10_000


def create_template(state: State, channel: account.Channel, body: dict[str, Any]) -> int:
    """Store a new message of ``channel`` from a validated SPEC Base*Message body; its id."""
    last = state.conn.execute("SELECT MAX(id) FROM templates").fetchone()[0]
    template_id = max(int(last or 0), TEMPLATE_BASE) + 1
    add_template(state, channel, {**_written(body), "id": template_id})
    return template_id


def update_template(state: State, template_id: int, channel: account.Channel, body: dict[str, Any]) -> bool:
    """Replace the base of message ``template_id`` (its language versions stay); False if there is
    no such message of ``channel``."""
    stored = template(state, template_id, channel)
    if stored is None:
        return False
    kept = {"translations": stored["translations"]} if stored.get("translations") else {}
    _store(state, template_id, {**_written(body), **kept, "id": template_id})
    return True


def update_translation(
    state: State, template_id: int, channel: account.Channel, language: str, body: dict[str, Any]
) -> bool:
    """Add or replace the ``language`` version of message ``template_id``; False if there is no such
    message of ``channel``. A version is the whole message in its language (SPEC: the same schema)."""
    stored = template(state, template_id, channel)
    if stored is None:
        return False
    version = {**_written(body), "languageCode": language}
    others = [t for t in stored.get("translations", []) if t.get("languageCode") != language]
    _store(state, template_id, {**stored, "translations": [*others, version]})
    return True


def _written(body: dict[str, Any]) -> dict[str, Any]:
    """What a create or an update stores: the fields given, without the GET-only ones and the id."""
    return {k: v for k, v in body.items() if v is not None and k not in ("id", "languages", "translations")}


def _store(state: State, template_id: int, body: dict[str, Any]) -> None:
    state.conn.execute(
        "UPDATE templates SET name_fold = ?, tags_fold = ?, body_json = ? WHERE id = ?",
        (
            str(body["name"]).casefold(),
            json.dumps([str(t).casefold() for t in body.get("tags", [])], ensure_ascii=False),
            json.dumps(body, ensure_ascii=False),
            template_id,
        ),
    )
