"""Billing history (esputnik-api.md §3.3): what each channel sent and cost per day.

The days before the sandbox was loaded are in the ``billing`` table (the demo account's past); what
was sent through the sandbox since is counted from its messages, at the prices and with the prepaid
bonus that :func:`esputnik_mcp.sandbox.domain.account.charge` applied.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, fields
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from esputnik_mcp.sandbox.domain import account, timeline
from esputnik_mcp.sandbox.wire import ApiError, bad_request

if TYPE_CHECKING:
    from esputnik_mcp.sandbox.state import State

ACCOUNT_ZONE = ZoneInfo("Europe/Kyiv")  # days are the account's (DOC getting-started)
# SPEC getOrganisationBalanceHistory: "Request period must be not greater than 90 days" (419). The
# sandbox counts both ends: 2025-01-01 to 2025-03-31 is 90 days, to 2025-04-01 is 91.
WINDOW_DAYS = 90
# Telegram is telegrambot in billing (SPEC ChannelCosts.mediaType).
MEDIA_TYPE = {"telegram": "telegrambot"}
_PRICES = {"email": account.EMAIL_PRICE_MINOR, "sms": account.SMS_PART_PRICE_MINOR}


@dataclass
class Costs:
    """One channel's day, money in hundredths of the account currency."""

    total_sent: int = 0
    total_parts: int = 0
    bonus_spent: int = 0
    bonus_received: int = 0
    funds_withdrawal: int = 0
    funds_refund: int = 0
    reserved_funds_withdrawal: int = 0
    reserved_funds_refund: int = 0

    def add(self, other: Costs) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


def add_days(state: State, rows: dict[tuple[str, str], Costs]) -> None:
    """Store past days: (day ``YYYY-MM-DD``, media type) → costs."""
    state.conn.executemany(
        "INSERT INTO billing (day, media_type, total_sent, total_parts, bonus_spent, bonus_received,"
        " funds_withdrawal_minor, funds_refund_minor, reserved_withdrawal_minor, reserved_refund_minor)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                day,
                media,
                c.total_sent,
                c.total_parts,
                c.bonus_spent,
                c.bonus_received,
                c.funds_withdrawal,
                c.funds_refund,
                c.reserved_funds_withdrawal,
                c.reserved_funds_refund,
            )
            for (day, media), c in rows.items()
        ],
    )


def day_of(moment: float) -> date:
    return datetime.fromtimestamp(moment, ACCOUNT_ZONE).date()


def parse_day(text: str | None, name: str, default: date) -> date:
    """A ``YYYY-MM-DD`` query value (SPEC: "Date format: YYYY-MM-DD"); another form is 400 (a guess)."""
    if text is None:
        return default
    try:
        if len(text.strip()) != 10:
            raise ValueError
        return date.fromisoformat(text.strip())
    except ValueError:
        raise bad_request(f"{name} must be a date in the format YYYY-MM-DD; got {text!r}") from None


def check_period(start: date, end: date) -> None:
    if end < start:
        raise bad_request("dateTo must be greater or equal to dateFrom")  # SPEC's words for the 400
    if (end - start).days + 1 > WINDOW_DAYS:
        raise ApiError(419, "Request period must be not greater than 90 days")  # SPEC's words for the 419


def _stored(state: State, start: date, end: date) -> dict[tuple[str, str], Costs]:
    rows = state.conn.execute(
        "SELECT * FROM billing WHERE day BETWEEN ? AND ?", (start.isoformat(), end.isoformat())
    ).fetchall()
    return {
        (row["day"], row["media_type"]): Costs(
            total_sent=row["total_sent"],
            total_parts=row["total_parts"],
            bonus_spent=row["bonus_spent"],
            bonus_received=row["bonus_received"],
            funds_withdrawal=row["funds_withdrawal_minor"],
            funds_refund=row["funds_refund_minor"],
            reserved_funds_withdrawal=row["reserved_withdrawal_minor"],
            reserved_funds_refund=row["reserved_refund_minor"],
        )
        for row in rows
    }


def _sent_since_load(state: State, start: date, end: date) -> dict[tuple[str, str], Costs]:
    """The sandbox's own sends, by day and channel. A message refused for want of money was not sent
    and cost nothing; the prepaid messages it used are the units its price did not cover."""
    begin = datetime.combine(start, time.min, ACCOUNT_ZONE).timestamp()
    finish = datetime.combine(end, time.max, ACCOUNT_ZONE).timestamp()
    rows = state.conn.execute(
        "SELECT channel, sent_at, parts, cost_minor FROM messages"
        " WHERE source = 'api' AND outcome != ? AND sent_at BETWEEN ? AND ?",
        (timeline.NO_MONEY, begin, finish),
    )
    found: dict[tuple[str, str], Costs] = defaultdict(Costs)
    for row in rows:
        channel, parts, cost = row["channel"], int(row["parts"]), int(row["cost_minor"])
        price = _PRICES.get(channel)
        units = parts if channel == "sms" else 1
        found[(day_of(row["sent_at"]).isoformat(), MEDIA_TYPE.get(channel, channel))].add(
            Costs(
                total_sent=1,
                total_parts=units,
                bonus_spent=units - cost // price if price else 0,
                funds_withdrawal=cost,
            )
        )
    return found


def history_json(state: State, start: date, end: date) -> dict[str, Any]:
    """SPEC BillingHistory from ``start`` to ``end`` (both included): ``currency`` and ``dailyCosts``,
    oldest day first. Days without sends or charges are left out and each day's ``date`` is its
    midnight in the account's zone (both the sandbox's own choices)."""
    check_period(start, end)
    days: dict[tuple[str, str], Costs] = defaultdict(Costs)
    for source in (_stored(state, start, end), _sent_since_load(state, start, end)):
        for key, costs in source.items():
            days[key].add(costs)
    by_day: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (day, media), costs in sorted(days.items()):
        by_day[day].append(_channel_json(media, costs))
    currency = state.conn.execute("SELECT currency FROM account WHERE id = 1").fetchone()[0]
    return {
        "currency": currency,
        "dailyCosts": [
            {
                "date": datetime.combine(date.fromisoformat(day), time.min, ACCOUNT_ZONE).isoformat(),
                "channelDetails": details,
            }
            for day, details in sorted(by_day.items())
        ],
    }


def _channel_json(media: str, c: Costs) -> dict[str, Any]:
    """SPEC ChannelCosts. The reserved funds are sent for Viber only ("May be relevant for Viber
    media channel only")."""
    item: dict[str, Any] = {
        "mediaType": media,
        "totalSent": c.total_sent,
        "totalParts": c.total_parts,
        "bonusSpent": c.bonus_spent,
        "fundsWithdrawal": c.funds_withdrawal / 100,
        "fundsRefund": c.funds_refund / 100,
        "bonusReceived": c.bonus_received,
    }
    if media == "viber":
        item["reservedFundsWithdrawal"] = c.reserved_funds_withdrawal / 100
        item["reservedFundsRefund"] = c.reserved_funds_refund / 100
    return item
