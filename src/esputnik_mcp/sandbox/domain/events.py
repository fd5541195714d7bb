"""Events: stored as generated (by POST /v2/event, orders, subscribe and bulk imports)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from esputnik_mcp.sandbox.domain import contacts

if TYPE_CHECKING:
    from esputnik_mcp.sandbox.state import State

# SQL here is composed from fixed fragments; every value goes in as a ``?`` parameter
# (hence the S608 waivers).

# The params that name the contact of a v2 event (SPEC Event; DOC generate-event guide).
IDENTIFIERS = ("externalCustomerId", "email", "phone", "contactId")
# eSputnik ignores an empty or null-like externalCustomerId (DOC how-to-use-the-generate-event).
_NULL_LIKE = ("", "null")


def names_someone(value: Any) -> bool:
    """Whether a param value can identify a contact (null-like strings cannot)."""
    if value is None or isinstance(value, bool):
        return False
    if isinstance(value, str):
        return value.strip().lower() not in _NULL_LIKE
    return isinstance(value, int | float)


def identifiers(params: Sequence[tuple[str, Any]]) -> dict[str, Any]:
    """The usable contact identifiers among ``params`` (names compared case-insensitively: a guess)."""
    wanted = {name.lower(): name for name in IDENTIFIERS}
    found: dict[str, Any] = {}
    for name, value in params:
        canonical = wanted.get(name.lower())
        if canonical and canonical not in found and names_someone(value):
            found[canonical] = value
    return found


def resolve_contact(state: State, found: Mapping[str, Any]) -> int | None:
    """The known contact an event's identifiers name, or None: the event is then kept unlinked
    and no contact is created (a guess)."""
    contact_id = found.get("contactId")
    if contact_id is not None:
        try:
            number = int(str(contact_id).strip())
        except ValueError:
            number = None
        if number is not None and contacts.is_active(state, number):
            return number
    external_id = found.get("externalCustomerId")
    if external_id is not None:
        matched = contacts.find_by_external_id(state, str(external_id).strip())
        if matched is not None:
            return matched
    if found.get("email") is not None:
        matched = contacts.find_by_channel(state, "email", str(found["email"]))
        if matched is not None:
            return matched
    if found.get("phone") is not None:
        return contacts.find_by_channel(state, "sms", str(found["phone"]))
    return None


def record(
    state: State,
    type_key: str,
    params: Sequence[tuple[str, Any]],
    *,
    contact_id: int | None,
    source: str,
    at: float | None = None,
) -> int:
    cursor = state.conn.execute(
        "INSERT INTO events (type_key, contact_id, params_json, occurred_at, source) VALUES (?, ?, ?, ?, ?)",
        (
            type_key,
            contact_id,
            json.dumps([{"name": n, "value": v} for n, v in params], ensure_ascii=False),
            state.now() if at is None else at,
            source,
        ),
    )
    return int(cursor.lastrowid or 0)


def list_events(
    state: State, *, type_key: str | None = None, contact_id: int | None = None
) -> list[dict[str, Any]]:
    """Stored events, oldest first (for tests and the admin view; eSputnik cannot read events back)."""
    where: list[str] = ["1 = 1"]
    params: list[Any] = []
    if type_key is not None:
        where.append("type_key = ?")
        params.append(type_key)
    if contact_id is not None:
        where.append("contact_id = ?")
        params.append(contact_id)
    rows = state.conn.execute(
        f"SELECT * FROM events WHERE {' AND '.join(where)} ORDER BY occurred_at, id",  # noqa: S608
        params,
    )
    return [
        {
            "eventTypeKey": row["type_key"],
            "contactId": row["contact_id"],
            "params": json.loads(row["params_json"]),
            "occurred": row["occurred_at"],
            "source": row["source"],
        }
        for row in rows
    ]
