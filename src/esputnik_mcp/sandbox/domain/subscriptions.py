"""Subscription categories (esputnik-api.md §4.12): the organisation's, with how many contacts
receive each, and the ones each contact receives (the ``contact_subscriptions`` table, which
subscribe and a SUBSCRIPTION_CHANGED action write too)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from esputnik_mcp.sandbox.wire import bad_request, prune

if TYPE_CHECKING:
    from esputnik_mcp.sandbox.state import State

# Dates are written in the account's time zone (DOC getting-started); the sandbox's account is in Kyiv.
ACCOUNT_ZONE = ZoneInfo("Europe/Kyiv")


@dataclass(frozen=True)
class Category:
    id: int
    key: str
    name: str
    group_id: int | None = None


def add(state: State, category: Category, at: float) -> None:
    state.conn.execute(
        "INSERT INTO subscription_categories (id, key, name, group_id, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (category.id, category.key, category.name, category.group_id, at, at),
    )


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, ACCOUNT_ZONE).isoformat(timespec="seconds")


def categories_json(state: State) -> list[dict[str, Any]]:
    """SPEC SubscriptionCategoryDto of every category, by id; ``contactsCount`` counts the contacts
    (not deleted) that receive it."""
    rows = state.conn.execute(
        "SELECT c.*, (SELECT COUNT(*) FROM contact_subscriptions s JOIN contacts k ON k.id = s.contact_id"
        " WHERE s.key = c.key AND k.deleted = 0) AS contacts_count"
        " FROM subscription_categories c ORDER BY c.id"
    ).fetchall()
    return [
        prune(
            {
                "id": row["id"],
                "key": row["key"],
                "groupId": row["group_id"],
                "contactsCount": row["contacts_count"],
                "createdDate": _iso(row["created_at"]),
                "updatedDate": _iso(row["updated_at"]),
                "name": row["name"],
            }
        )
        for row in rows
    ]


def of_contact(state: State, contact_id: int) -> list[dict[str, Any]]:
    """SPEC ContactSubscriptionCategoryDto of each category the contact receives, by key. A key no
    category has (subscribe stores any key it is given) is shown by its key alone."""
    rows = state.conn.execute(
        "SELECT s.key, c.id, c.group_id, c.name FROM contact_subscriptions s"
        " LEFT JOIN subscription_categories c ON c.key = s.key WHERE s.contact_id = ? ORDER BY c.id, s.key",
        (contact_id,),
    ).fetchall()
    return [_contact_category(row) for row in rows]


def _contact_category(row: sqlite3.Row) -> dict[str, Any]:
    return prune({"id": row["id"], "key": row["key"], "groupId": row["group_id"], "name": row["name"]})


def unknown_keys(state: State, keys: Iterable[str]) -> list[str]:
    known = {row[0] for row in state.conn.execute("SELECT key FROM subscription_categories")}
    return [key for key in dict.fromkeys(keys) if key not in known]


def replace(state: State, contact_id: int, keys: Sequence[str]) -> None:
    """Make ``keys`` the contact's categories. Replacing rather than adding is the likelier reading
    (esputnik-api.md §4.12; not documented); refusing a key no category has is the sandbox's own."""
    unknown = unknown_keys(state, keys)
    if unknown:
        raise bad_request(f"Unknown subscription category key(s): {', '.join(unknown)}")
    state.conn.execute("DELETE FROM contact_subscriptions WHERE contact_id = ?", (contact_id,))
    state.conn.executemany(
        "INSERT OR IGNORE INTO contact_subscriptions (contact_id, key) VALUES (?, ?)",
        [(contact_id, key) for key in keys],
    )
