"""From an activity event as eSputnik pushes it to what the inbox stores: the event's identity, its
normalised addresses, and the marks it leaves on whether a channel still reaches an address.

What holds an address back (esputnik-api.md §16): an ``UNDELIVERED`` event with ``hardBounce`` (the
address was blacklisted on delivery), ``UNSUBSCRIBED`` and ``SPAM``. A later ``DELIVERED``,
``READ`` or ``CLICKED`` on the same channel shows it reachable again. A hard bounce is about one
address, so it marks the address only; an unsubscribe or a spam complaint is the person's, so it
marks the contact too. Other statuses (``SENT``, a soft bounce, ``SUBSCRIPTION_CHANGED``) leave no
mark.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from esputnik_mcp.store.base import ActivityRecord, Mark

if TYPE_CHECKING:
    from esputnik_mcp.api.activity import Activity

SUPPRESSING = frozenset({"UNSUBSCRIBED", "SPAM"})
REACHABLE = frozenset({"DELIVERED", "READ", "CLICKED"})
PERSONAL = frozenset({"UNSUBSCRIBED", "SPAM"})  # statuses that speak for the contact, not one address


def normal_email(value: str | None) -> str | None:
    value = (value or "").strip().lower()
    return value or None


def normal_phone(value: str | None) -> str | None:
    digits = "".join(ch for ch in value or "" if ch.isdigit())
    return digits or None


def email_subject(address: str) -> str:
    return f"email:{normal_email(address)}"


def phone_subject(phone: str) -> str:
    return f"phone:{normal_phone(phone)}"


def contact_subject(contact_id: int) -> str:
    return f"contact:{contact_id}"


def _phone_of(event: Activity) -> str | None:
    return normal_phone(event.sms or event.viber)


def event_key(event: Activity, at: float) -> str:
    """The event's identity: its message (iid, else message instance and message), its recipient,
    its status, its time (to the millisecond) and the link clicked. eSputnik documents no event id;
    this is what tells a retried delivery from a new event (one click event is sent per link)."""
    parts = [
        event.iid,
        event.message_instance_id,
        event.message_id,
        event.workflow_instance_id,
        event.contact_id,
        normal_email(event.email),
        _phone_of(event),
        event.mobilepush or event.mob_push_token,
        event.webpush or event.web_push_token,
        event.activity_status.upper(),
        round(at * 1000),
        event.click_event_link,
    ]
    canonical = json.dumps(parts, separators=(",", ":"), default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def record_of(event: Activity, *, received_at: float) -> ActivityRecord:
    from esputnik_mcp.api.activity import activity_time

    at = activity_time(event.activity_date_time).timestamp()
    return ActivityRecord(
        key=event_key(event, at),
        at=at,
        status=event.activity_status.upper(),
        channel=(event.media_type or "").lower(),
        received_at=received_at,
        request_id=event.iid,
        external_request_id=event.external_request_id,
        contact_id=event.contact_id,
        email=normal_email(event.email),
        phone=_phone_of(event),
        message_id=event.message_id,
        message_instance_id=event.message_instance_id,
        broadcast_id=event.broadcast_id,
        hard_bounce=bool(event.hard_bounce),
        data=event.model_dump_json(by_alias=True, exclude_none=True),
    )


def suppresses(record: ActivityRecord) -> bool:
    return record.status in SUPPRESSING or (record.status == "UNDELIVERED" and record.hard_bounce)


def marks_of(record: ActivityRecord, detail: str | None = None) -> list[Mark]:
    """The marks one event leaves (see the module's docstring)."""
    holds = suppresses(record)
    if not holds and record.status not in REACHABLE:
        return []
    subjects = []
    if record.email:
        subjects.append(email_subject(record.email))
    if record.phone:
        subjects.append(phone_subject(record.phone))
    if record.contact_id is not None and (record.status in PERSONAL or not holds):
        subjects.append(contact_subject(record.contact_id))
    return [
        Mark(record.channel, subject, record.status, holds, record.at, detail if holds else None)
        for subject in subjects
    ]


def records_and_marks(events: Sequence[Activity], *, received_at: float) -> tuple[list[ActivityRecord], list[Mark]]:
    records: list[ActivityRecord] = []
    marks: list[Mark] = []
    for event in events:
        record = record_of(event, received_at=received_at)
        records.append(record)
        marks += marks_of(record, (event.status_description or "")[:200] or None)
    return records, marks
