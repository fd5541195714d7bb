"""Orders: upsert by externalOrderId with an ``order<STATUS>`` event each; scheduled deletion."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from esputnik_mcp.sandbox.domain import contacts, events
from esputnik_mcp.sandbox.validation import OrderIn
from esputnik_mcp.sandbox.wire import describe

if TYPE_CHECKING:
    from esputnik_mcp.sandbox.state import State

# A date-time without an offset is read in the account's time zone (DOC getting-started:
# "the time zone of the user who sends the request applies"); the sandbox's account is in Kyiv.
ACCOUNT_ZONE = ZoneInfo("Europe/Kyiv")
DELETION_DELAY_SECONDS = 5.0  # scheduled deletions run this long after the request (sandbox's choice)


def parse_order_date(text: str) -> float | None:
    """Seconds since the epoch of an order date-time (ISO 8601), or None if it is not one."""
    if "T" not in text and " " not in text.strip():
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ACCOUNT_ZONE)
    return moment.timestamp()


def check(raw: dict[str, Any]) -> tuple[OrderIn, float] | str:
    """The order and its time, or why eSputnik would refuse it (reported in failedOrders).

    SPEC FailedOrders: required fields empty or malformed, or no customer identifier. Putting
    unknown fields and wrong types there too (not a 400 for the whole request), and refusing
    a date without a time or a currency that is not three capital letters, are guesses.
    """
    try:
        order = OrderIn.model_validate(raw, strict=True)
    except ValidationError as exc:
        return describe(exc)
    if not order.externalOrderId.strip():
        return "externalOrderId must not be empty"
    moment = parse_order_date(order.date)
    if moment is None:
        return f"date {order.date!r} is not a date-time such as 2025-05-14T10:11:10+03:00"
    return _content_problem(order) or (order, moment)


def _content_problem(order: OrderIn) -> str | None:
    """Why the currency, the customer's identifiers or the items of an order would be refused."""
    currency = order.currency
    if not (len(currency) == 3 and currency.isascii() and currency.isalpha() and currency.isupper()):
        return f"currency {currency!r} is not an ISO 4217 code such as UAH, EUR or USD"
    if not any((v or "").strip() for v in (order.externalCustomerId, order.email, order.phone)):
        return "one of externalCustomerId, email or phone is required to identify the customer"
    for index, item in enumerate(order.items or ()):
        if not item.externalItemId.strip():
            return f"items[{index}].externalItemId must not be empty"
    return None


def _customer(state: State, order: OrderIn) -> int | None:
    """The contact an order belongs to: by externalCustomerId, email, then phone (DOC order
    automation). An unknown customer leaves the order unlinked (a guess: not documented)."""
    if order.externalCustomerId and order.externalCustomerId.strip():
        found = contacts.find_by_external_id(state, order.externalCustomerId.strip())
        if found is not None:
            return found
    if order.email and order.email.strip():
        found = contacts.find_by_channel(state, "email", order.email)
        if found is not None:
            return found
    if order.phone and order.phone.strip():
        found = contacts.find_by_channel(state, "sms", order.phone)
        if found is not None:
            return found
    return None


def upsert(state: State, order: OrderIn, moment: float, raw: dict[str, Any]) -> None:
    """Store the order (replacing one with the same externalOrderId) and record its event. An
    update raises the event again (a guess; DOC order automation: one event per order sent)."""
    contact_id = _customer(state, order)
    state.conn.execute(
        "INSERT INTO orders (external_order_id, contact_id, status, ordered_at, body_json, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (external_order_id) DO UPDATE SET"
        " contact_id = excluded.contact_id,"
        " status = excluded.status, ordered_at = excluded.ordered_at, body_json = excluded.body_json,"
        " updated_at = excluded.updated_at",
        (
            order.externalOrderId,
            contact_id,
            order.status,
            moment,
            json.dumps(raw, ensure_ascii=False),
            state.now(),
        ),
    )
    params: list[tuple[str, Any]] = [("eventKey", order.externalOrderId), ("orderId", order.externalOrderId)]
    for name in ("externalCustomerId", "email", "phone"):
        value = getattr(order, name)
        if value:
            params.append((name, value))
    params += [
        ("status", order.status),
        ("totalCost", order.totalCost),
        ("currency", order.currency),
        ("date", order.date),
    ]
    if order.items:
        params.append(("items", [item.model_dump(exclude_none=True) for item in order.items]))
    events.record(state, f"order{order.status}", params, contact_id=contact_id, source="order")


def schedule_deletion(
    state: State, *, external_order_id: str | None = None, window: tuple[float, float] | None = None
) -> None:
    state.conn.execute(
        "INSERT INTO order_deletions (due_at, external_order_id, window_from, window_to) VALUES (?, ?, ?, ?)",
        (
            state.now() + DELETION_DELAY_SECONDS,
            external_order_id,
            window[0] if window else None,
            window[1] if window else None,
        ),
    )


def run_due_deletions(state: State) -> None:
    rows = state.conn.execute(
        "SELECT * FROM order_deletions WHERE due_at <= ? ORDER BY due_at, id", (state.now(),)
    ).fetchall()
    if not rows:
        return
    with state.write():
        for row in rows:
            if row["external_order_id"] is not None:
                state.conn.execute("DELETE FROM orders WHERE external_order_id = ?", (row["external_order_id"],))
            else:
                state.conn.execute(
                    "DELETE FROM orders WHERE ordered_at >= ? AND ordered_at <= ?",
                    (row["window_from"], row["window_to"]),
                )
            state.conn.execute("DELETE FROM order_deletions WHERE id = ?", (row["id"],))


def get(state: State, external_order_id: str) -> dict[str, Any] | None:
    """A stored order as it was sent (for tests and the admin view; eSputnik cannot read orders)."""
    row = state.conn.execute(
        "SELECT body_json, contact_id FROM orders WHERE external_order_id = ?", (external_order_id,)
    ).fetchone()
    if row is None:
        return None
    order: dict[str, Any] = json.loads(row["body_json"])
    return order


def parse_window_bound(text: str) -> float | None:
    """``yyyy-MM-dd'T'HH:mm:ss`` in UTC (DOC removehistoryorders), or None if it is not that."""
    try:
        moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC).timestamp()
