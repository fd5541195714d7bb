"""Promo codes (esputnik-api.md §10.1): uploaded with one expiry, discount, type and in-use flag per
request, existing codes updated (SPEC insertPromoCodes_1); listed and counted with filters."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from esputnik_mcp.sandbox.wire import bad_request

if TYPE_CHECKING:
    from esputnik_mcp.sandbox.state import State

ACCOUNT_ZONE = ZoneInfo("Europe/Kyiv")  # expiry dates are in the account's time zone (DOC getting-started)
MAX_DISCOUNT = 99  # DOC passing-promo-codes-messages: "promo code value from 0 to 99"
# SPEC insertPromoCodes_1 shows 2023-12-15T20:15, the support page 2017-12-31T23:59; seconds are
# accepted too (a guess).
_EXPIRY = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?")


@dataclass(frozen=True)
class Upload:
    codes: Sequence[str]
    expiration_date: str
    discount: int
    type: str | None
    in_use: bool


def expiry_moment(text: str) -> float:
    """Seconds since the epoch of an ``expirationDate``, read in the account's zone; 400 otherwise."""
    if not _EXPIRY.fullmatch(text.strip()):
        raise bad_request(f"expirationDate {text!r} is not a date-time such as 2023-12-15T20:15")
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise bad_request(f"expirationDate {text!r} is not a valid date-time") from None
    return moment.replace(tzinfo=ACCOUNT_ZONE).timestamp()


def upload(state: State, request: Upload) -> None:
    """Store the codes; a code that exists takes the new values. Refusing a discount outside 0-99,
    an empty code or a malformed expiry with 400 is the sandbox's own (the status is not documented)."""
    if not 0 <= request.discount <= MAX_DISCOUNT:
        raise bad_request(f"discount must be between 0 and {MAX_DISCOUNT}; got {request.discount}")
    if any(not code.strip() for code in request.codes):
        raise bad_request("A promo code must not be empty")
    expires_at = expiry_moment(request.expiration_date)
    state.conn.executemany(
        "INSERT INTO promo_codes (code, expires, expires_at, discount, type, in_use, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO UPDATE SET expires = excluded.expires,"
        " expires_at = excluded.expires_at, discount = excluded.discount, type = excluded.type,"
        " in_use = excluded.in_use, updated_at = excluded.updated_at",
        [
            (
                code.strip(),
                request.expiration_date.strip(),
                expires_at,
                request.discount,
                request.type,
                int(request.in_use),
                state.now(),
            )
            for code in request.codes
        ],
    )


def _valid_from(state: State, active_due_days: int) -> float:
    """The moment a code must still be valid at to count as active for ``active_due_days`` days
    "starting from tomorrow" (SPEC getPromocodes): the end of the last of those days, in the
    account's zone (the reading of the day boundaries is the sandbox's own)."""
    today = datetime.fromtimestamp(state.now(), ACCOUNT_ZONE).date()
    end = datetime.combine(today + timedelta(days=active_due_days + 1), datetime.min.time(), ACCOUNT_ZONE)
    return end.timestamp()


@dataclass(frozen=True)
class Filters:
    """The filters of the list and the count (SPEC getPromocodes, getPromocodesCount)."""

    type: str | None = None
    in_use: bool | None = None
    active_due_days: int | None = None
    discount: int | None = None


def _where(state: State, filters: Filters) -> tuple[str, list[Any]]:
    clauses: list[str] = ["1 = 1"]
    params: list[Any] = []
    if filters.type is not None:
        clauses.append("type = ?")
        params.append(filters.type)
    if filters.in_use is not None:
        clauses.append("in_use = ?")
        params.append(int(filters.in_use))
    if filters.active_due_days is not None:
        clauses.append("expires_at >= ?")
        params.append(_valid_from(state, filters.active_due_days))
    if filters.discount is not None:
        clauses.append("discount = ?")
        params.append(filters.discount)
    return " AND ".join(clauses), params


def codes_json(state: State, filters: Filters) -> list[dict[str, Any]]:
    """The matching codes in upload order, each with the fields of the support page's upload format
    (``code``, ``expirationDate``, ``discount``, ``type``, ``inUse``): the list's own item shape is
    not documented, so this one is the sandbox's choice."""
    where, params = _where(state, filters)
    rows = state.conn.execute(
        f"SELECT * FROM promo_codes WHERE {where} ORDER BY rowid",  # noqa: S608 - fixed fragments, ? values
        params,
    )
    found = []
    for row in rows:
        item: dict[str, Any] = {"code": row["code"], "expirationDate": row["expires"], "discount": row["discount"]}
        if row["type"] is not None:
            item["type"] = row["type"]
        item["inUse"] = bool(row["in_use"])
        found.append(item)
    return found


def count_available(state: State, filters: Filters) -> int:
    """How many codes are "available" (SPEC getPromocodesCount): not in use and not expired, by the
    sandbox's reading of the word."""
    where, params = _where(state, replace(filters, in_use=False))
    row = state.conn.execute(
        f"SELECT COUNT(*) FROM promo_codes WHERE {where} AND expires_at > ?",  # noqa: S608 - fixed fragments
        [*params, state.now()],
    ).fetchone()
    return int(row[0])
