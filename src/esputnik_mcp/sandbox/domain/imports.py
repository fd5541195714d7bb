"""Bulk add/update (POST /v1/contacts), applied asynchronously, and its import sessions.

A session is ``STARTED`` (queued) for :data:`QUEUED_SECONDS`, then ``IMPORTING`` for
:data:`IMPORTING_SECONDS` of sandbox time; its contacts are applied when it finishes, so they
appear only then. The reference gives no durations; these are the sandbox's.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from esputnik_mcp.sandbox.domain import catalogue, contacts, events, segments
from esputnik_mcp.sandbox.validation import BulkUpdateIn, ContactIn

if TYPE_CHECKING:
    from esputnik_mcp.sandbox.state import State

QUEUED_SECONDS = 1.0
IMPORTING_SECONDS = 2.0
PENDING = "PENDING"

STANDARD_CHANNELS = frozenset({"email", "sms", "mobilepush", "webpush"})
STANDARD_SCALARS = frozenset({"firstName", "lastName", "contactKey", "languageCode", "timeZone", "externalCustomerId"})


@dataclass(frozen=True)
class Key:
    """How one contact of a bulk update is matched: the dedupe kind and its value."""

    kind: str  # email, sms, push, id, externalCustomerId, fieldId
    value: str


@dataclass(frozen=True)
class _ChannelMode:
    """A ``dedupeOn`` mode that matches on a channel."""

    tries: tuple[tuple[str, str], ...]  # (channel type, key kind) in order; the first the contact has wins
    missing: str  # why a contact with none of those channels cannot be matched


_CHANNEL_MODES = {
    "email": _ChannelMode((("email", "email"),), "dedupeOn is email but the contact has no email channel"),
    "sms": _ChannelMode((("sms", "sms"),), "dedupeOn is sms but the contact has no sms channel"),
    "push": _ChannelMode((("mobilepush", "push"),), "dedupeOn is push but the contact has no mobilepush channel"),
    "email_or_sms": _ChannelMode(
        (("sms", "sms"), ("email", "email")),
        "dedupeOn is email_or_sms but the contact has neither an email nor an sms channel",
    ),
}


def dedupe_key(contact: ContactIn, options: BulkUpdateIn) -> Key | str:
    """The matching key of ``contact``, or why it has none.

    A contact with ``externalCustomerId`` is matched on it whatever ``dedupeOn`` says (SPEC
    ContactsBulkUpdate.contacts). ``email_or_sms`` tries the phone first (LIB dicr). A contact
    without a value to match on is refused (into failedContacts): a guess.
    """
    external_id = (contact.externalCustomerId or "").strip()
    if external_id:
        return Key("externalCustomerId", external_id)
    mode = options.dedupeOn
    if mode in _CHANNEL_MODES:
        return _channel_key(contact, _CHANNEL_MODES[mode])
    if mode == "id":
        return Key("id", str(contact.id)) if contact.id is not None else "dedupeOn is id but the contact has no id"
    if mode == "externalCustomerId":
        return "dedupeOn is externalCustomerId but the contact has no externalCustomerId"
    value = next((f.value for f in contact.fields or () if f.id == options.fieldId and f.value), None)
    if value is None:
        return f"dedupeOn is fieldId but the contact has no value for field {options.fieldId}"
    return Key("fieldId", value)


def _channel_key(contact: ContactIn, mode: _ChannelMode) -> Key | str:
    """The key from the contact's first channel of the first type ``mode`` tries."""
    first: dict[str, str] = {}
    for channel in contact.channels:
        if channel.type and channel.value and channel.type not in first:
            first[channel.type] = channel.value
    for channel_type, kind in mode.tries:
        if channel_type in first:
            return Key(kind, first[channel_type])
    return mode.missing


def contact_failure(
    state: State, contact: ContactIn, options: BulkUpdateIn, defs: dict[int, catalogue.FieldDef]
) -> str | None:
    """Why this contact of a bulk update is refused at once (it then goes to failedContacts)."""
    problem = contacts.contact_problem(state, contact, field_defs=defs)
    if problem:
        return problem
    key = dedupe_key(contact, options)
    return key if isinstance(key, str) else None


def start(state: State, options: BulkUpdateIn, accepted: list[dict[str, Any]]) -> str:
    """Queue a session for the accepted contacts (their JSON as sent); its id."""
    session_id = str(uuid.uuid4())
    request = options.model_dump(exclude={"contacts"}, exclude_none=True)
    request["contacts"] = accepted
    state.conn.execute(
        "INSERT INTO import_sessions (id, created_at, request_json, state) VALUES (?, ?, ?, ?)",
        (session_id, state.now(), json.dumps(request, ensure_ascii=False), PENDING),
    )
    return session_id


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="milliseconds")


def status_json(state: State, session_id: str) -> dict[str, Any] | None:
    """SPEC ImportSessionStatus of a session, or None if there is no such session."""
    row = state.conn.execute("SELECT * FROM import_sessions WHERE id = ?", (session_id,)).fetchone()
    if row is None:
        return None
    created = row["created_at"]
    if row["state"] == PENDING:
        if state.now() < created + QUEUED_SECONDS:
            return {"status": "STARTED", "timestamp": _iso(created)}
        return {"status": "IMPORTING", "timestamp": _iso(created + QUEUED_SECONDS)}
    result: dict[str, Any] = {"status": row["state"], "timestamp": _iso(row["finished_at"])}
    if row["description"]:
        result["description"] = row["description"]
    result["mapping"] = json.loads(row["mapping_json"] or "[]")
    return result


def run_due(state: State) -> None:
    """Apply every session whose import time has come, oldest first."""
    due = state.now() - QUEUED_SECONDS - IMPORTING_SECONDS
    rows = state.conn.execute(
        "SELECT id, created_at, request_json FROM import_sessions WHERE state = ? AND created_at <= ? "
        "ORDER BY created_at, rowid",
        (PENDING, due),
    ).fetchall()
    for row in rows:
        with state.write():
            _apply(state, row["id"], row["created_at"] + QUEUED_SECONDS + IMPORTING_SECONDS, row["request_json"])


def _apply(state: State, session_id: str, finished_at: float, request_json: str) -> None:
    request = json.loads(request_json)
    options = BulkUpdateIn.model_validate({**request, "contacts": []})
    mapping: list[dict[str, Any]] = []
    problems: list[str] = []
    new_ids: list[int] = []
    touched: list[int] = []
    for raw in request["contacts"]:
        contact = ContactIn.model_validate(raw)
        outcome = _apply_one(state, contact, options)
        if isinstance(outcome, str):
            problems.append(outcome)
            continue
        key, contact_id, is_new = outcome
        mapping.append({"dedupeValue": key.value, "contactId": contact_id})
        touched.append(contact_id)
        if is_new:
            new_ids.append(contact_id)
    _update_groups(state, options, touched)
    if options.eventKeyForNewContacts:
        _record_new_contacts(state, options.eventKeyForNewContacts, new_ids)
    _finish(state, session_id, finished_at, mapping, problems)


def _update_groups(state: State, options: BulkUpdateIn, touched: list[int]) -> None:
    """Add the session's contacts to ``groupNames`` (created if missing), take them out of ``groupNamesExclude``."""
    for name in options.groupNames or ():
        segments.add_members(state, segments.ensure_static(state, name), touched)
    for name in options.groupNamesExclude or ():
        segment_id = segments.find_static(state, name)
        if segment_id is not None:
            segments.remove_members(state, segment_id, touched)


def _record_new_contacts(state: State, event_key: str, new_ids: list[int]) -> None:
    """One ``event_key`` event per created contact (eventKeyForNewContacts).

    The event's params (contactId, email) are a guess; the reference names none.
    """
    for contact_id in new_ids:
        email = contacts.channel_value(state, contact_id, "email")
        params: list[tuple[str, Any]] = [("contactId", contact_id)]
        if email:
            params.append(("email", email))
        events.record(state, event_key, params, contact_id=contact_id, source="import")


def _finish(
    state: State, session_id: str, finished_at: float, mapping: list[dict[str, Any]], problems: list[str]
) -> None:
    """Close the session. ERROR when nothing could be applied, with the reasons in description
    (a guess: the reference only says ERROR means the session failed)."""
    final = "ERROR" if problems and not mapping else "FINISHED"
    description = None
    if problems:
        shown = "; ".join(problems[:10])
        description = f"{len(problems)} contact(s) not imported: {shown}"
    state.conn.execute(
        "UPDATE import_sessions SET state = ?, finished_at = ?, mapping_json = ?, description = ? WHERE id = ?",
        (final, finished_at, json.dumps(mapping), description, session_id),
    )


def _apply_one(state: State, contact: ContactIn, options: BulkUpdateIn) -> tuple[Key, int, bool] | str:
    key = dedupe_key(contact, options)
    if isinstance(key, str):
        return key
    existing: int | None
    if key.kind == "externalCustomerId":
        existing = contacts.find_by_external_id(state, key.value)
    elif key.kind == "id":
        existing = int(key.value) if contacts.status(state, int(key.value)) is not None else None
        if existing is None:
            return f"there is no contact with id {key.value}"
    elif key.kind == "fieldId":
        existing = contacts.find_by_field(state, int(options.fieldId or 0), key.value)
    else:
        channel_type = "mobilepush" if key.kind == "push" else key.kind
        existing = contacts.find_by_channel(state, channel_type, key.value)
    if existing is None:
        return key, contacts.create(state, contact), True
    row = contacts.status(state, existing)
    if row is not None and row["deleted"] and not options.restoreDeleted:
        # A deleted contact stays deleted unless restoreDeleted is set (SPEC ContactsBulkUpdate);
        # leaving it untouched and reporting it, rather than creating a duplicate, is a guess.
        return f"contact {existing} ({key.value}) is deleted and restoreDeleted is not set"
    contacts.update(state, existing, contact, _plan(contact, options, key))
    return key, existing, False


def _plan(contact: ContactIn, options: BulkUpdateIn, key: Key) -> contacts.Plan:
    """What a bulk update changes on an existing contact (SPEC ContactsBulkUpdate): the listed
    ``contactFields`` (all standard fields when absent, missing ones cleared), the listed
    ``customFieldsIDs`` (none when absent), never the field used for matching."""
    given = contact.model_fields_set
    scalars: set[str]
    address: set[str]
    channel_types: set[str]
    if options.contactFields is None:
        scalars = set(STANDARD_SCALARS)
        address = set(contacts.ADDRESS_PARTS)
        channel_types = set(STANDARD_CHANNELS) | {c.type for c in contact.channels if c.type}
    else:
        names: set[str] = set(options.contactFields)
        scalars = names & STANDARD_SCALARS
        address = names & set(contacts.ADDRESS_PARTS)
        channel_types = names & STANDARD_CHANNELS
    if "addressBookId" in given:
        scalars.add("addressBookId")
    custom = set(options.customFieldsIDs or ())
    if key.kind == "externalCustomerId":
        scalars.discard("externalCustomerId")
    elif key.kind == "fieldId":
        custom.discard(int(options.fieldId or 0))
    elif key.kind in ("email", "sms"):
        channel_types.discard(key.kind)
    elif key.kind == "push":
        channel_types.discard("mobilepush")
    return contacts.Plan(
        scalars=frozenset(scalars),
        address=frozenset(address),
        channels=frozenset(channel_types),
        custom=frozenset(custom),
        restore=True,
    )
