"""The organisation: account info, balance, and what sending costs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from esputnik_mcp.sandbox.state import State

# SQL here is composed from fixed fragments; every value goes in as a ``?`` parameter
# (hence the S608 waivers).

# Prices in hundredths of the account currency. eSputnik's prices depend on the plan and the
# destination; these are the sandbox's round figures.
EMAIL_PRICE_MINOR = 2  # 0.02 per email
SMS_PART_PRICE_MINOR = 45  # 0.45 per SMS part

Channel = Literal["email", "sms"]


@dataclass(frozen=True)
class Organisation:
    name: str
    user_email: str
    currency: str
    balance: float
    credit_limit: float
    bonus_emails: int
    bonus_smses: int
    reserved: dict[str, list[dict[str, Any]]]


def setup(state: State, org: Organisation) -> None:
    state.conn.execute(
        "INSERT OR REPLACE INTO account (id, organisation_name, user_email, currency, balance_minor,"
        " credit_limit_minor, bonus_emails, bonus_smses, reserved_json) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            org.name,
            org.user_email,
            org.currency,
            round(org.balance * 100),
            round(org.credit_limit * 100),
            org.bonus_emails,
            org.bonus_smses,
            json.dumps(org.reserved, ensure_ascii=False),
        ),
    )


def info_json(state: State) -> dict[str, Any]:
    row = state.conn.execute("SELECT organisation_name, user_email FROM account WHERE id = 1").fetchone()
    return {"userEmail": row["user_email"], "organisationName": row["organisation_name"]}


def balance_json(state: State) -> dict[str, Any]:
    """SPEC Balance."""
    row = state.conn.execute("SELECT * FROM account WHERE id = 1").fetchone()
    return {
        "currentBalance": row["balance_minor"] / 100,
        "creditLimit": row["credit_limit_minor"] / 100,
        "currency": row["currency"],
        "sendersReservedBalances": json.loads(row["reserved_json"]),
        "bonusEmails": row["bonus_emails"],
        "bonusSmses": row["bonus_smses"],
    }


def charge(state: State, channel: Channel, units: int) -> int | None:
    """Pay for ``units`` emails or SMS parts, prepaid bonus first, then the balance down to
    minus the credit limit. The amount taken from the balance, or None if it does not suffice
    (the message then gets the status NO_MONEY and costs nothing). The credit limit is "the
    maximum outstanding balance" (SPEC Balance); bonus first and per-part billing are guesses."""
    row = state.conn.execute("SELECT * FROM account WHERE id = 1").fetchone()
    bonus_column = "bonus_emails" if channel == "email" else "bonus_smses"
    price = EMAIL_PRICE_MINOR if channel == "email" else SMS_PART_PRICE_MINOR
    from_bonus = min(int(row[bonus_column]), units)
    cost = int((units - from_bonus) * price)
    if row["balance_minor"] - cost < -row["credit_limit_minor"]:
        return None
    state.conn.execute(
        f"UPDATE account SET {bonus_column} = {bonus_column} - ?, balance_minor = balance_minor - ?"  # noqa: S608
        " WHERE id = 1",
        (from_bonus, cost),
    )
    return cost
