"""Broadcasts: a stored message sent to the members of segments, less the members of excluded
segments, from a start time at a speed (esputnik-api.md §8).

A broadcast runs on the sandbox clock, lazily, as message statuses do: whenever the sandbox is asked
anything (:meth:`~esputnik_mcp.sandbox.state.State.tick`), the batches that have come due are sent,
each message dated at its batch's time, through the path every send takes
(:func:`~esputnik_mcp.sandbox.domain.messaging.send`): each member gets a message of their own with
the broadcast's id, with its delivery events, which the activity and the webhook report with
``broadcastId``.

- **Speed** (SPEC NewBroadcastRequest: "the number of messages per specified time interval"):
  ``batchSize`` messages at the start, as many again one ``batchIntervalUnit`` later, and so on; a
  minute and an hour are 60 and 3600 seconds, a day and a month are calendar ones in the account's
  time zone. Without a speed everyone gets it at the start.
- **Audience**: fixed when the broadcast starts, as the sandbox first notices the start: the active
  members of its segments, without those of the excluded segments, each contact once, in contact id
  order, that it can reach. A member with no address on the message's channel (for mobile push: no
  device of the broadcast's app) is left out, and so is an email address on the unsubscribed list,
  as smartsend refuses one; an address unsubscribed later is skipped when its batch comes. Each
  member gets the message rendered for them, in their language when it has a version in it. These
  rules are the sandbox's reading; the reference describes none of them.
- **States**: ``scheduled`` until its start, then ``running`` until the last batch is out, then
  ``finished``. Only a scheduled broadcast can be cancelled (SPEC deleteBroadcast: "cancelling a
  scheduled broadcast"); a cancelled one is gone.
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from esputnik_mcp.sandbox.domain import account, contacts, messaging, segments
from esputnik_mcp.sandbox.domain.orders import ACCOUNT_ZONE
from esputnik_mcp.sandbox.wire import prune

if TYPE_CHECKING:
    import sqlite3

    from esputnik_mcp.sandbox.state import State

# Broadcasts created through the API are numbered from here on (the sandbox's own numbering).
BROADCAST_BASE = 9000
SCHEDULED, RUNNING, FINISHED = "scheduled", "running", "finished"
UNIT_SECONDS = {"MINUTE": 60.0, "HOUR": 3600.0}


@dataclass(frozen=True)
class Plan:
    """What a broadcast sends, to whom, from when and how fast."""

    template_id: int
    channel: account.Channel
    groups: Sequence[int]
    start_at: float
    title: str | None = None
    excluded: Sequence[int] = ()
    batch_size: int | None = None
    batch_unit: str | None = None  # MINUTE, HOUR, DAY or MONTH, with batch_size
    domain: str | None = None
    app_id: str | None = None


def add(state: State, plan: Plan, *, broadcast_id: int | None = None, finished: bool = False) -> int:
    """Store a broadcast, scheduled (or ``finished``, for the demo's past ones); its id."""
    if broadcast_id is None:
        last = state.conn.execute("SELECT MAX(id) FROM broadcasts").fetchone()[0]
        broadcast_id = max(int(last or 0), BROADCAST_BASE) + 1
    state.conn.execute(
        "INSERT INTO broadcasts (id, title, template_id, channel, groups_json, excluded_json, start_at, batch_size,"
        " batch_unit, domain, app_id, state, next_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            broadcast_id,
            plan.title,
            plan.template_id,
            plan.channel,
            json.dumps(list(plan.groups)),
            json.dumps(list(plan.excluded)),
            plan.start_at,
            plan.batch_size,
            plan.batch_unit,
            plan.domain,
            plan.app_id,
            FINISHED if finished else SCHEDULED,
            None if finished else plan.start_at,
            min(state.now(), plan.start_at),
        ),
    )
    return broadcast_id


def get(state: State, broadcast_id: int) -> sqlite3.Row | None:
    row: sqlite3.Row | None = state.conn.execute("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,)).fetchone()
    return row


def view_json(row: sqlite3.Row) -> dict[str, Any]:
    """SPEC BroadcastView. Its ids are strings (SPEC); ``groupId`` holds the segment ids joined by
    commas, and ``startDate`` is the start in the account's time zone with its offset: both guesses
    (the reference shows no example)."""
    groups = json.loads(row["groups_json"])
    start = datetime.fromtimestamp(row["start_at"], ACCOUNT_ZONE)
    return prune(
        {
            "broadcastId": str(row["id"]),
            "title": row["title"],
            "messageId": str(row["template_id"]),
            "groupId": ",".join(str(g) for g in groups),
            "startDate": start.isoformat(timespec="seconds"),
            "batchSize": row["batch_size"],
            "batchIntervalUnit": row["batch_unit"],
        }
    )


def search(state: State, *, start: int, rows: int) -> tuple[list[dict[str, Any]], int]:
    """One page of broadcasts, the latest start first (a guess), and the total."""
    total = state.conn.execute("SELECT COUNT(*) FROM broadcasts").fetchone()[0]
    found = state.conn.execute(
        "SELECT * FROM broadcasts ORDER BY start_at DESC, id DESC LIMIT ? OFFSET ?", (rows, start - 1)
    ).fetchall()
    return [view_json(row) for row in found], int(total)


def started(row: sqlite3.Row) -> bool:
    return str(row["state"]) != SCHEDULED


def cancel(state: State, broadcast_id: int) -> None:
    """Forget a scheduled broadcast: it sends nothing."""
    state.conn.execute("DELETE FROM broadcasts WHERE id = ?", (broadcast_id,))
    state.conn.execute("DELETE FROM broadcast_recipients WHERE broadcast_id = ?", (broadcast_id,))


def sent(state: State, broadcast_id: int) -> int:
    """How many messages the broadcast has sent so far."""
    return int(
        state.conn.execute("SELECT COUNT(*) FROM messages WHERE broadcast_id = ?", (broadcast_id,)).fetchone()[0]
    )


# --- running -------------------------------------------------------------------------------------


def batch_time(start_at: float, unit: str | None, batch: int) -> float:
    """When batch number ``batch`` (0: the first) of a broadcast starting at ``start_at`` goes out."""
    if unit is None or batch == 0:
        return start_at
    if unit in UNIT_SECONDS:
        return start_at + batch * UNIT_SECONDS[unit]
    local = datetime.fromtimestamp(start_at, ACCOUNT_ZONE)
    if unit == "DAY":
        return (local + timedelta(days=batch)).timestamp()
    months = local.month - 1 + batch
    year, month = local.year + months // 12, months % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day).timestamp()


def run_due(state: State) -> None:
    """Send every batch that has come due by now, of every broadcast."""
    now = state.now()
    due = state.conn.execute(
        "SELECT id FROM broadcasts WHERE next_at IS NOT NULL AND next_at <= ? ORDER BY next_at, id", (now,)
    ).fetchall()
    if not due:
        return
    with state.write():
        for (broadcast_id,) in due:
            _run(state, int(broadcast_id), now)


def _run(state: State, broadcast_id: int, now: float) -> None:
    row = get(state, broadcast_id)
    if row is None:
        return
    if row["state"] == SCHEDULED:
        _fix_audience(state, row)
    total = state.conn.execute(
        "SELECT COUNT(*) FROM broadcast_recipients WHERE broadcast_id = ?", (broadcast_id,)
    ).fetchone()[0]
    found = messaging.find_template(state, row["template_id"], (row["channel"],))
    done, size, unit = int(row["done"]), row["batch_size"], row["batch_unit"]
    batch = done // size if size else 0
    while found is not None and done < total and batch_time(row["start_at"], unit, batch) <= now:
        end = min(total, done + size) if size else total
        at = batch_time(row["start_at"], unit, batch)
        for (contact_id,) in state.conn.execute(
            "SELECT contact_id FROM broadcast_recipients WHERE broadcast_id = ? AND position >= ? AND position < ?"
            " ORDER BY position",
            (broadcast_id, done, end),
        ).fetchall():
            _deliver(state, row, found[1], int(contact_id), at)
        done, batch = end, batch + 1
    finished = found is None or done >= total
    state.conn.execute(
        "UPDATE broadcasts SET state = ?, done = ?, next_at = ? WHERE id = ?",
        (
            FINISHED if finished else RUNNING,
            done,
            None if finished else batch_time(row["start_at"], unit, batch),
            broadcast_id,
        ),
    )


def _fix_audience(state: State, row: sqlite3.Row) -> None:
    """Write down who the broadcast goes to, as it starts: the members it can reach, so that each
    batch is ``batchSize`` messages."""
    chosen: set[int] = set()
    for segment_id in json.loads(row["groups_json"]):
        segment = segments.get(state, segment_id)
        if segment is not None:
            chosen.update(segments.all_member_ids(state, segment))
    for segment_id in json.loads(row["excluded_json"]):
        segment = segments.get(state, segment_id)
        if segment is not None:
            chosen.difference_update(segments.all_member_ids(state, segment))
    reached = [c for c in sorted(chosen) if _reachable(state, c, row["channel"], row["app_id"])]
    state.conn.executemany(
        "INSERT INTO broadcast_recipients (broadcast_id, position, contact_id) VALUES (?, ?, ?)",
        [(row["id"], position, contact_id) for position, contact_id in enumerate(reached)],
    )


def _reachable(state: State, contact_id: int, channel: account.Channel, app_id: str | None) -> str | None:
    """The contact's address for the broadcast, or None when it cannot reach them (no address on the
    channel, or an email address on the unsubscribed list)."""
    address = _address(state, contact_id, channel, app_id)
    if address is None or (channel == "email" and messaging.is_unsubscribed(state, address)):
        return None
    return address


def _address(state: State, contact_id: int, channel: account.Channel, app_id: str | None) -> str | None:
    """Where the broadcast reaches the contact: as a send of its channel does, and for mobile push on
    a device of the broadcast's app."""
    if channel != "mobilepush" or app_id is None:
        return messaging.address_of(state, contact_id, channel)
    found = state.conn.execute(
        "SELECT value FROM channels WHERE contact_id = ? AND type = 'mobilepush'"
        " AND json_extract(extra_json, '$.device.appId') = ? ORDER BY position LIMIT 1",
        (contact_id, app_id),
    ).fetchone()
    return None if found is None else str(found[0])


def _deliver(state: State, row: sqlite3.Row, stored: dict[str, Any], contact_id: int, at: float) -> None:
    """One member's message of the broadcast, sent at ``at``, rendered for them."""
    channel: account.Channel = row["channel"]
    address = _reachable(state, contact_id, channel, row["app_id"])
    if address is None:
        return
    person = contacts.status(state, contact_id)
    body = messaging.version(stored, person["language_code"] if person is not None else None)
    variables = messaging.contact_variables(state, contact_id)

    def fill(key: str) -> str:
        return messaging.render(str(body.get(key, "")), variables, {})

    sender: str | None = None
    subject: str | None = None
    if channel == "email":
        sender, subject, content = str(body.get("from", "")) or None, fill("subject"), fill("htmlText")
    elif channel in ("sms", "viber"):
        sender, content = str(body.get("from", "")) or None, fill("text")
    elif channel == "mobilepush":
        subject, content = fill("title"), fill("text")
    else:
        content = fill("text")
    out = messaging.Outgoing(
        channel=channel,
        locator=address,
        contact_id=contact_id,
        content=content,
        sender=sender,
        subject=subject,
        template_id=int(row["template_id"]),
        tags=list(body.get("tags", [])),
        language_code=body.get("languageCode"),
        message_name=str(stored.get("name", "")) or None,
        broadcast_id=int(row["id"]),
    )
    messaging.send(state, out, at=at)
