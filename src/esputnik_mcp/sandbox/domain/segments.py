"""Segments: static lists and dynamic segments whose members come from a stored condition.

A dynamic segment's condition is one of (evaluated at query time):

* ``{"field": <field id>, "in": [values]}``: contacts whose custom field holds one of the values;
* ``{"language": <code>}``: contacts with that language code;
* ``{"orderedWithinDays": <n>}``: contacts with an order dated within the last ``n`` days;
* ``{"emailDomain": <domain>}``: contacts with an email address at that domain.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from esputnik_mcp.sandbox.rules import fold

if TYPE_CHECKING:
    import sqlite3

    from esputnik_mcp.sandbox.state import State

# SQL here is composed from fixed fragments; every value goes in as a ``?`` parameter
# (hence the S608 waivers).

STATIC = "Static"
DYNAMIC = "Dynamic"
DAY = 86_400.0


def get(state: State, segment_id: int) -> sqlite3.Row | None:
    row: sqlite3.Row | None = state.conn.execute(
        "SELECT * FROM segments WHERE id = ?", (segment_id,)
    ).fetchone()
    return row


def search(state: State, name: str | None, *, start: int, rows: int) -> tuple[list[dict[str, Any]], int]:
    """Segments whose name contains ``name`` (case-insensitive), by id, and the total (the
    matching rule and the order are guesses: SPEC searchGroups only names the parameter)."""
    where, params = "1 = 1", []
    if name:
        where = "instr(name_fold, ?) > 0"
        params.append(fold(name))
    total = state.conn.execute(f"SELECT COUNT(*) FROM segments WHERE {where}", params).fetchone()[0]  # noqa: S608
    found = [
        {"id": row["id"], "name": row["name"], "type": row["type"]}
        for row in state.conn.execute(
            f"SELECT id, name, type FROM segments WHERE {where} ORDER BY id LIMIT ? OFFSET ?",  # noqa: S608
            (*params, rows, start - 1),
        )
    ]
    return found, int(total)


def ensure_static(state: State, name: str) -> int:
    """The id of the static segment called ``name``, created if there is none (SPEC
    contactsBulkUpdate groupNames, subscribeContact groups)."""
    row = state.conn.execute(
        "SELECT id FROM segments WHERE name = ? AND type = ? ORDER BY id LIMIT 1", (name, STATIC)
    ).fetchone()
    if row is not None:
        return int(row[0])
    next_id = state.conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM segments").fetchone()[0]
    state.conn.execute(
        "INSERT INTO segments (id, name, name_fold, type) VALUES (?, ?, ?, ?)",
        (next_id, name, fold(name), STATIC),
    )
    return int(next_id)


def find_static(state: State, name: str) -> int | None:
    row = state.conn.execute(
        "SELECT id FROM segments WHERE name = ? AND type = ? ORDER BY id LIMIT 1", (name, STATIC)
    ).fetchone()
    return None if row is None else int(row[0])


def add_members(state: State, segment_id: int, contact_ids: Iterable[int]) -> int:
    """Add contacts to a static segment; how many were not already in it."""
    before = state.conn.total_changes
    state.conn.executemany(
        "INSERT OR IGNORE INTO members (segment_id, contact_id, joined_at) VALUES (?, ?, ?)",
        [(segment_id, cid, state.now()) for cid in contact_ids],
    )
    return state.conn.total_changes - before


def remove_members(state: State, segment_id: int, contact_ids: Iterable[int]) -> int:
    before = state.conn.total_changes
    state.conn.executemany(
        "DELETE FROM members WHERE segment_id = ? AND contact_id = ?",
        [(segment_id, cid) for cid in contact_ids],
    )
    return state.conn.total_changes - before


def empty(state: State, segment_id: int) -> int:
    return state.conn.execute("DELETE FROM members WHERE segment_id = ?", (segment_id,)).rowcount


def _dynamic_sql(state: State, condition: dict[str, Any]) -> tuple[str, list[Any], str]:
    """SQL selecting the members of a dynamic segment: (query of contact_id, ts), params, order column."""
    base = "SELECT c.id AS contact_id, c.created_at AS ts FROM contacts c WHERE c.deleted = 0"
    if "field" in condition:
        values = list(condition.get("in", []))
        marks = ",".join("?" * len(values)) or "NULL"
        values_in = f"SELECT contact_id FROM field_values WHERE field_id = ? AND value IN ({marks})"  # noqa: S608
        sql = f"{base} AND c.id IN ({values_in})"
        return sql, [condition["field"], *values], "ts"
    if "language" in condition:
        return f"{base} AND c.language_code = ?", [condition["language"]], "ts"
    if "orderedWithinDays" in condition:
        since = state.now() - float(condition["orderedWithinDays"]) * DAY
        return f"{base} AND c.id IN (SELECT contact_id FROM orders WHERE ordered_at >= ?)", [since], "ts"  # noqa: S608
    if "emailDomain" in condition:
        domain = "%@" + str(condition["emailDomain"]).lower()
        sql = f"{base} AND c.id IN (SELECT contact_id FROM channels WHERE type = 'email' AND norm LIKE ?)"  # noqa: S608
        return sql, [domain], "ts"
    raise ValueError(f"unknown dynamic segment condition {condition!r}")


def members(
    state: State, segment: sqlite3.Row, *, start: int, rows: int, order_by_ts: bool, ascending: bool
) -> tuple[list[int], int]:
    """Ids of one page of a segment's active contacts and the total.

    By default ordered by contact id; ``order_by_ts`` orders by the time the contact joined
    (for a dynamic segment: when the contact was created, a guess).
    """
    if segment["type"] == DYNAMIC:
        sql, params, _ = _dynamic_sql(state, json.loads(segment["condition_json"] or "{}"))
    else:
        sql = (
            "SELECT m.contact_id AS contact_id, m.joined_at AS ts FROM members m "
            "JOIN contacts c ON c.id = m.contact_id WHERE c.deleted = 0 AND m.segment_id = ?"
        )
        params = [segment["id"]]
    total = state.conn.execute(f"SELECT COUNT(*) FROM ({sql})", params).fetchone()[0]  # noqa: S608
    direction = "ASC" if ascending else "DESC"
    order = f"ts {direction}, contact_id {direction}" if order_by_ts else f"contact_id {direction}"
    ids = [
        row[0]
        for row in state.conn.execute(
            f"SELECT contact_id FROM ({sql}) ORDER BY {order} LIMIT ? OFFSET ?",  # noqa: S608
            (*params, rows, start - 1),
        )
    ]
    return ids, int(total)


def all_member_ids(state: State, segment: sqlite3.Row) -> list[int]:
    ids, _ = members(state, segment, start=1, rows=2**31 - 1, order_by_ts=False, ascending=True)
    return ids


def contact_ids_by_external(state: State, external_ids: Sequence[str]) -> list[int]:
    if not external_ids:
        return []
    marks = ",".join("?" * len(external_ids))
    return [
        row[0]
        for row in state.conn.execute(
            f"SELECT id FROM contacts WHERE deleted = 0 AND external_customer_id IN ({marks})",  # noqa: S608
            list(external_ids),
        )
    ]


def existing_contact_ids(state: State, ids: Sequence[int]) -> list[int]:
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    return [
        row[0]
        for row in state.conn.execute(
            f"SELECT id FROM contacts WHERE deleted = 0 AND id IN ({marks})",  # noqa: S608
            list(ids),
        )
    ]
