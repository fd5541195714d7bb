"""Contacts: checking, matching, writing, reading, searching and deleting."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from esputnik_mcp.sandbox import rules
from esputnik_mcp.sandbox.domain import catalogue
from esputnik_mcp.sandbox.limits import CHANNELS_PER_TYPE
from esputnik_mcp.sandbox.validation import ChannelIn, ContactFieldIn, ContactIn, ContactUpdateIn
from esputnik_mcp.sandbox.wire import prune

if TYPE_CHECKING:
    from esputnik_mcp.sandbox.state import State

# SQL here is composed from fixed fragments; every value goes in as a ``?`` parameter
# (hence the S608 waivers).

AnyContact = ContactIn | ContactUpdateIn

# Wire name -> column, for the contact's plain fields.
SCALARS = {
    "firstName": "first_name",
    "lastName": "last_name",
    "contactKey": "contact_key",
    "languageCode": "language_code",
    "timeZone": "time_zone",
    "externalCustomerId": "external_customer_id",
    "addressBookId": "address_book_id",
}
ADDRESS_PARTS = ("region", "town", "address", "postcode")
PHONE_TYPES = ("sms", "viber")

EmailStatus = Literal["CONFIRMED", "NEED_CONFIRMATION"]


# --- checking --------------------------------------------------------------------------------


def channel_norm(channel_type: str, value: str) -> str:
    """The form of a channel value that matching compares."""
    if channel_type == "email":
        return rules.normal_email(value)
    if channel_type in PHONE_TYPES:
        return rules.normal_phone(value) or value.strip()
    return value.strip()


def contact_problem(
    state: State, contact: AnyContact, *, field_defs: dict[int, catalogue.FieldDef] | None = None
) -> str | None:
    """Why eSputnik would refuse this contact, or None. The checks run in order and the first
    problem found is the answer; the field catalogue is read only when a field needs checking."""
    return (
        _names_problem(contact)
        or (None if contact.channels is None else _channels_problem(contact.channels))
        or _fields_problem(state, contact.fields or [], field_defs)
        or _address_book_problem(state, contact.addressBookId)
    )


def _names_problem(contact: AnyContact) -> str | None:
    for label in ("firstName", "lastName"):
        name = getattr(contact, label)
        if name:
            problem = rules.name_problem(name)
            if problem:
                return f"{label} {name!r} {problem}"
    return None


def _channels_problem(channels: Sequence[ChannelIn]) -> str | None:
    if not channels:
        return "a contact needs at least one channel"
    for index, channel in enumerate(channels):
        problem = _channel_problem(index, channel)
        if problem:
            return problem
    counts = Counter(channel.type for channel in channels if channel.type is not None)
    crowded = [t for t, n in counts.items() if n > CHANNELS_PER_TYPE]
    if crowded:
        kind = crowded[0]
        return f"at most {CHANNELS_PER_TYPE} channels of one type are allowed; got {counts[kind]} of {kind}"
    return None


def _channel_problem(index: int, channel: ChannelIn) -> str | None:
    if channel.type is None:
        return f"channels[{index}].type is missing"
    if channel.value is None or not channel.value.strip():
        return f"channels[{index}].value is missing"
    if channel.type == "email" and not rules.email_ok(channel.value):
        return f"channels[{index}]: {channel.value!r} is not a valid email address"
    if channel.type in PHONE_TYPES and rules.normal_phone(channel.value) is None:
        return f"channels[{index}]: {channel.value!r} is not a valid phone number"
    return None


def _fields_problem(
    state: State, items: Sequence[ContactFieldIn], field_defs: dict[int, catalogue.FieldDef] | None
) -> str | None:
    if not items:
        return None
    defs = field_defs if field_defs is not None else catalogue.fields(state)
    for index, item in enumerate(items):
        if item.id is None:
            return f"fields[{index}].id is missing"
        definition = defs.get(item.id)
        if definition is None:
            return f"fields[{index}]: there is no custom field with id {item.id} (see GET /v1/addressbooks)"
        if item.value is not None:
            problem = catalogue.value_problem(definition, item.value)
            if problem:
                return f"fields[{index}]: the value {item.value!r} of {definition.name!r} {problem}"
    return None


def _address_book_problem(state: State, address_book_id: int | None) -> str | None:
    if address_book_id is not None and address_book_id not in catalogue.address_book_ids(state):
        return f"there is no catalogue with addressBookId {address_book_id}"
    return None


# --- matching --------------------------------------------------------------------------------


def find_by_channel(state: State, channel_type: str, value: str, *, external_id: str | None = None) -> int | None:
    """The contact with this channel value (active ones first, then the oldest).

    With ``external_id``, a contact holding a different external id is not a match.
    """
    rows = state.conn.execute(
        "SELECT c.id, c.external_customer_id FROM channels ch JOIN contacts c ON c.id = ch.contact_id "
        "WHERE ch.type = ? AND ch.norm = ? ORDER BY c.deleted, c.id",
        (channel_type, channel_norm(channel_type, value)),
    ).fetchall()
    for row in rows:
        if external_id is None or row["external_customer_id"] in (None, external_id):
            return int(row["id"])
    return None


def find_by_external_id(state: State, external_id: str) -> int | None:
    row = state.conn.execute(
        "SELECT id FROM contacts WHERE external_customer_id = ? ORDER BY deleted, id LIMIT 1", (external_id,)
    ).fetchone()
    return None if row is None else int(row[0])


def find_by_field(state: State, field_id: int, value: str) -> int | None:
    row = state.conn.execute(
        "SELECT contact_id FROM field_values WHERE field_id = ? AND value = ? ORDER BY contact_id LIMIT 1",
        (field_id, value),
    ).fetchone()
    return None if row is None else int(row[0])


def match(state: State, contact: AnyContact) -> int | None:
    """The contact an add/update or subscribe refers to: by ``externalCustomerId`` when one is
    given and known, else by any of its channel values.

    The reference leaves the match key open (esputnik-api.md §21); this is its working assumption.
    """
    external_id = (contact.externalCustomerId or "").strip() or None
    if external_id is not None:
        found = find_by_external_id(state, external_id)
        if found is not None:
            return found
    for channel in contact.channels or ():
        if channel.type and channel.value:
            found = find_by_channel(state, channel.type, channel.value, external_id=external_id)
            if found is not None:
                return found
    return None


def status(state: State, contact_id: int) -> sqlite3.Row | None:
    """The contact's row (deleted ones too), or None if there is no such contact."""
    row: sqlite3.Row | None = state.conn.execute("SELECT * FROM contacts WHERE id = ?", (contact_id,)).fetchone()
    return row


def is_active(state: State, contact_id: int) -> bool:
    row = state.conn.execute("SELECT deleted FROM contacts WHERE id = ?", (contact_id,)).fetchone()
    return row is not None and row[0] == 0


# --- writing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """Which parts of an existing contact a write replaces.

    ``scalars``: wire names of plain fields to set (a missing value clears them).
    ``address``: address parts to set. ``channels``: ``"all"`` replaces the channel list,
    ``"add_types"`` adds channels of types the contact lacks, a set replaces those types.
    ``custom``: ``"given"`` sets the custom fields in the data; a set sets or clears those ids.
    """

    scalars: frozenset[str] = frozenset()
    address: frozenset[str] = frozenset()
    channels: Literal["all", "add_types"] | frozenset[str] = frozenset()
    custom: Literal["given"] | frozenset[int] = "given"
    restore: bool = True


def plan_for(contact: AnyContact, *, channels: Literal["all", "add_types", "given_types"]) -> Plan:
    """Given fields replace, absent ones stay (POST /v1/contact, PUT, subscribe). ``channels``:
    ``"all"`` replaces the channel list (PUT), ``"given_types"`` replaces the channels of the
    types given and keeps the others (POST), ``"add_types"`` only adds missing types (subscribe,
    SPEC subscribeContact). Whether eSputnik merges or replaces is not documented: guesses.
    """
    given = contact.model_fields_set
    channel_plan: Literal["all", "add_types"] | frozenset[str] = frozenset()
    if "channels" in given:
        if channels == "given_types":
            channel_plan = frozenset(c.type for c in contact.channels or () if c.type)
        else:
            channel_plan = channels
    return Plan(
        scalars=frozenset(given & SCALARS.keys()),
        address=frozenset(ADDRESS_PARTS) if "address" in given else frozenset(),
        channels=channel_plan,
        custom="given",
    )


def create(state: State, contact: AnyContact, *, email_status: EmailStatus = "CONFIRMED") -> int:
    now = state.now()
    address = contact.address
    values = {column: getattr(contact, wire) for wire, column in SCALARS.items()}
    values["external_customer_id"] = (values["external_customer_id"] or "").strip() or None
    cursor = state.conn.execute(
        "INSERT INTO contacts (first_name, last_name, first_fold, last_fold, external_customer_id,"
        " contact_key,"
        " language_code, time_zone, address_book_id, region, town, address, postcode, email_status,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            values["first_name"],
            values["last_name"],
            rules.fold(values["first_name"]),
            rules.fold(values["last_name"]),
            values["external_customer_id"],
            values["contact_key"],
            values["language_code"],
            values["time_zone"],
            values["address_book_id"],
            address.region if address else None,
            address.town if address else None,
            address.address if address else None,
            address.postcode if address else None,
            email_status,
            now,
            now,
        ),
    )
    contact_id = int(cursor.lastrowid or 0)
    _write_channels(state, contact_id, list(contact.channels or ()), "all")
    _write_fields(state, contact_id, contact, "given")
    return contact_id


def update(state: State, contact_id: int, contact: AnyContact, plan: Plan) -> None:
    sets: dict[str, Any] = {}
    for wire in plan.scalars:
        value = getattr(contact, wire)
        if wire == "externalCustomerId":
            value = (value or "").strip() or None
        sets[SCALARS[wire]] = value
        if wire == "firstName":
            sets["first_fold"] = rules.fold(value)
        elif wire == "lastName":
            sets["last_fold"] = rules.fold(value)
    for part in plan.address:
        sets[part] = getattr(contact.address, part) if contact.address else None
    if plan.restore:
        sets["deleted"] = 0
    sets["updated_at"] = state.now()
    assignments = ", ".join(f"{column} = ?" for column in sets)
    state.conn.execute(f"UPDATE contacts SET {assignments} WHERE id = ?", (*sets.values(), contact_id))  # noqa: S608
    if plan.channels:
        _write_channels(state, contact_id, list(contact.channels or ()), plan.channels)
    _write_fields(state, contact_id, contact, plan.custom)


def _write_channels(
    state: State, contact_id: int, given: list[ChannelIn], mode: Literal["all", "add_types"] | frozenset[str]
) -> None:
    conn = state.conn
    existing = [
        (row["type"], row["value"], row["extra_json"])
        for row in conn.execute(
            "SELECT type, value, extra_json FROM channels WHERE contact_id = ? ORDER BY position",
            (contact_id,),
        )
    ]
    new = [(c.type, c.value, _channel_extra(c)) for c in given if c.type and c.value]
    if mode == "all":
        result = new
    elif mode == "add_types":
        present = {t for t, _, _ in existing}
        result = existing + [c for c in new if c[0] not in present]
    else:
        result = [c for c in existing if c[0] not in mode] + [c for c in new if c[0] in mode]
    conn.execute("DELETE FROM channels WHERE contact_id = ?", (contact_id,))
    conn.executemany(
        "INSERT INTO channels (contact_id, position, type, value, norm, extra_json) VALUES (?, ?, ?, ?, ?, ?)",
        [
            (contact_id, position, kind, value.strip(), channel_norm(kind, value), extra)
            for position, (kind, value, extra) in enumerate(result)
        ],
    )


def _channel_extra(channel: ChannelIn) -> str | None:
    extra = {}
    if channel.device is not None:
        extra["device"] = channel.device.model_dump(exclude_none=True)
    if channel.webPushSubscription is not None:
        extra["webPushSubscription"] = channel.webPushSubscription.model_dump(exclude_none=True)
    return json.dumps(extra) if extra else None


def _write_fields(
    state: State, contact_id: int, contact: AnyContact, custom: Literal["given"] | frozenset[int]
) -> None:
    given = {f.id: f.value for f in contact.fields or () if f.id is not None}
    ids = set(given) if custom == "given" else set(custom)
    for field_id in ids:
        value = given.get(field_id)
        if value is None or value == "":
            state.conn.execute("DELETE FROM field_values WHERE contact_id = ? AND field_id = ?", (contact_id, field_id))
        else:
            state.conn.execute(
                "INSERT INTO field_values (contact_id, field_id, value) VALUES (?, ?, ?) "
                "ON CONFLICT (contact_id, field_id) DO UPDATE SET value = excluded.value",
                (contact_id, field_id, value),
            )


def set_subscriptions(state: State, contact_id: int, keys: Iterable[str]) -> None:
    state.conn.executemany(
        "INSERT OR IGNORE INTO contact_subscriptions (contact_id, key) VALUES (?, ?)",
        [(contact_id, key) for key in keys],
    )


# --- deleting --------------------------------------------------------------------------------


def delete(state: State, contact_id: int, *, erase: bool) -> None:
    """An ordinary delete hides the contact (PUT or restoreDeleted bring it back); ``erase``
    removes it with its activity, orders, messages and segment memberships for good."""
    conn = state.conn
    if not erase:
        conn.execute("UPDATE contacts SET deleted = 1, updated_at = ? WHERE id = ?", (state.now(), contact_id))
        return
    for table, column in (
        ("channels", "contact_id"),
        ("field_values", "contact_id"),
        ("contact_subscriptions", "contact_id"),
        ("members", "contact_id"),
        ("events", "contact_id"),
        ("orders", "contact_id"),
        ("messages", "contact_id"),
        ("activity", "contact_id"),
        ("contacts", "id"),
    ):
        conn.execute(f"DELETE FROM {table} WHERE {column} = ?", (contact_id,))  # noqa: S608


# --- reading ---------------------------------------------------------------------------------


@dataclass
class _Parts:
    channels: dict[int, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    fields: dict[int, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    groups: dict[int, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))


def _marks(ids: Sequence[int]) -> str:
    return ",".join("?" * len(ids))


def _parts(state: State, ids: Sequence[int], *, groups: bool) -> _Parts:
    parts = _Parts()
    conn, marks = state.conn, _marks(ids)
    for row in conn.execute(
        f"SELECT contact_id, type, value, extra_json FROM channels WHERE contact_id IN ({marks}) "  # noqa: S608
        "ORDER BY contact_id, position",
        ids,
    ):
        channel: dict[str, Any] = {"type": row["type"], "value": row["value"]}
        if row["extra_json"]:
            channel.update(json.loads(row["extra_json"]))
        parts.channels[row["contact_id"]].append(channel)
    for row in conn.execute(
        f"SELECT contact_id, field_id, value FROM field_values WHERE contact_id IN ({marks}) "  # noqa: S608
        "ORDER BY contact_id, field_id",
        ids,
    ):
        parts.fields[row["contact_id"]].append({"id": row["field_id"], "value": row["value"]})
    if groups:
        for row in conn.execute(
            "SELECT m.contact_id, s.id, s.name, s.type FROM members m JOIN segments s ON s.id = m.segment_id "  # noqa: S608
            f"WHERE m.contact_id IN ({marks}) AND s.type = 'Static' ORDER BY m.contact_id, s.id",
            ids,
        ):
            parts.groups[row["contact_id"]].append({"id": row["id"], "name": row["name"], "type": row["type"]})
    return parts


def contacts_json(state: State, ids: Sequence[int], *, full: bool = True) -> list[dict[str, Any]]:
    """Contacts as eSputnik shows them, in the order of ``ids`` (deleted ones left out).

    ``full``: SPEC Contact (get, segment contacts); otherwise SPEC BaseContact (search results).
    """
    if not ids:
        return []
    rows = {
        row["id"]: row
        for row in state.conn.execute(
            f"SELECT * FROM contacts WHERE deleted = 0 AND id IN ({_marks(ids)})",  # noqa: S608
            list(ids),
        )
    }
    parts = _parts(state, list(rows), groups=full)
    result = []
    for contact_id in ids:
        row = rows.get(contact_id)
        if row is None:
            continue
        data: dict[str, Any] = {
            "id": contact_id,
            "firstName": row["first_name"],
            "lastName": row["last_name"],
            "channels": parts.channels.get(contact_id, []),
            "fields": parts.fields.get(contact_id, []),
            "addressBookId": row["address_book_id"],
        }
        if full:
            address = prune({part: row[part] for part in ADDRESS_PARTS})
            data.update(
                {
                    "address": address or None,
                    "externalCustomerId": row["external_customer_id"],
                    "contactKey": row["contact_key"],
                    "languageCode": row["language_code"],
                    "timeZone": row["time_zone"],
                    "groups": parts.groups.get(contact_id, []),
                }
            )
        result.append(prune(data))
    return result


@dataclass(frozen=True)
class Filters:
    email: str | None = None
    sms: str | None = None
    external_customer_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None

    def any(self) -> bool:
        return any(
            v is not None for v in (self.email, self.sms, self.external_customer_id, self.first_name, self.last_name)
        )


def _prefix(text: str) -> str:
    folded = text.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return folded + "%"


def search(state: State, filters: Filters, *, start: int, rows: int, by_id: bool) -> tuple[list[int], int]:
    """Ids of one page of matching active contacts, and the total.

    Email, phone and external id match exactly (email case-insensitively, phone on its digits);
    names match case-insensitively from their start (a guess: the reference does not say).
    Ordered by last update (SPEC searchContacts; oldest first is a guess), or by id with ``by_id``.
    """
    where, params = ["deleted = 0"], []
    if filters.email is not None:
        where.append("id IN (SELECT contact_id FROM channels WHERE type = 'email' AND norm = ?)")
        params.append(channel_norm("email", filters.email))
    if filters.sms is not None:
        where.append("id IN (SELECT contact_id FROM channels WHERE type = 'sms' AND norm = ?)")
        params.append(channel_norm("sms", filters.sms))
    if filters.external_customer_id is not None:
        where.append("external_customer_id = ?")
        params.append(filters.external_customer_id)
    if filters.first_name is not None:
        where.append("first_fold LIKE ? ESCAPE '\\'")
        params.append(_prefix(filters.first_name))
    if filters.last_name is not None:
        where.append("last_fold LIKE ? ESCAPE '\\'")
        params.append(_prefix(filters.last_name))
    condition = " AND ".join(where)
    total = state.conn.execute(f"SELECT COUNT(*) FROM contacts WHERE {condition}", params).fetchone()[0]  # noqa: S608
    order = "id" if by_id else "updated_at, id"
    ids = [
        row[0]
        for row in state.conn.execute(
            f"SELECT id FROM contacts WHERE {condition} ORDER BY {order} LIMIT ? OFFSET ?",  # noqa: S608
            (*params, rows, start - 1),
        )
    ]
    return ids, int(total)


def emails(state: State, ids: Sequence[int]) -> list[tuple[int, str]]:
    """(contact id, first email) of the given active contacts that have an email."""
    if not ids:
        return []
    found: dict[int, str] = {}
    for row in state.conn.execute(
        "SELECT ch.contact_id, ch.value FROM channels ch JOIN contacts c ON c.id = ch.contact_id "  # noqa: S608
        f"WHERE c.deleted = 0 AND ch.type = 'email' AND ch.contact_id IN ({_marks(ids)}) "
        "ORDER BY ch.contact_id, ch.position",
        list(ids),
    ):
        found.setdefault(row[0], row[1])
    return [(i, found[i]) for i in dict.fromkeys(ids) if i in found]


def channel_value(state: State, contact_id: int, channel_type: str) -> str | None:
    row = state.conn.execute(
        "SELECT value FROM channels WHERE contact_id = ? AND type = ? ORDER BY position LIMIT 1",
        (contact_id, channel_type),
    ).fetchone()
    return None if row is None else str(row[0])
