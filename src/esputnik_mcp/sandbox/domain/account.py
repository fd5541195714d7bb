"""The organisation: account info, balance, sender interfaces, and what sending costs."""

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
VIBER_PRICE_MINOR = 60  # 0.60 per Viber message
# Mobile push, App Inbox and Telegram bot messages cost nothing per message here (eSputnik bills
# them by plan; no per-message price is documented).

Channel = Literal["email", "sms", "viber", "mobilepush", "appinbox", "telegram"]
"""The channels with stored messages (``/v1/messages/<channel>``), each sendable by smartsend."""
CHANNELS: tuple[Channel, ...] = ("email", "sms", "viber", "mobilepush", "appinbox", "telegram")


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
    email_senders: tuple[str, ...] = ()  # "Name" <address>, as an email's from
    sms_senders: tuple[str, ...] = ()  # alpha names
    viber_senders: tuple[str, ...] = ()  # Viber sender names (eSputnik lists them nowhere: checked, not served)


def setup(state: State, org: Organisation) -> None:
    state.conn.execute(
        "INSERT OR REPLACE INTO account (id, organisation_name, user_email, currency, balance_minor,"
        " credit_limit_minor, bonus_emails, bonus_smses, reserved_json, senders_json)"
        " VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            org.name,
            org.user_email,
            org.currency,
            round(org.balance * 100),
            round(org.credit_limit * 100),
            org.bonus_emails,
            org.bonus_smses,
            json.dumps(org.reserved, ensure_ascii=False),
            json.dumps(
                [{"type": "email", "value": v} for v in org.email_senders]
                + [{"type": "sms", "value": v} for v in org.sms_senders]
                + [{"type": "viber", "value": v} for v in org.viber_senders],
                ensure_ascii=False,
            ),
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


def senders_json(state: State, kind: Literal["email", "sms", "viber"]) -> list[dict[str, str]]:
    """SPEC InterfaceDto of each sender of ``kind``: ``{type, value}``, ``type`` being ``email`` or
    ``sms`` (SPEC: "The interface type (sms, email)"). An SMS ``value`` is an alpha name (an
    integration reads it so); that an email ``value`` is the whole ``"Name" <address>`` usable as
    ``from``, not the address alone, is a guess (SPEC calls them "sender names"). Viber senders
    have no such operation; they are kept here to check a Viber message's ``from``."""
    row = state.conn.execute("SELECT senders_json FROM account WHERE id = 1").fetchone()
    return [s for s in json.loads(row["senders_json"]) if s["type"] == kind]


def charge(state: State, channel: Channel, units: int) -> int | None:
    """Pay for ``units`` emails, SMS parts or Viber messages, prepaid bonus first (email and SMS),
    then the balance down to minus the credit limit. The amount taken from the balance, or None if
    it does not suffice (the message then gets the status NO_MONEY and costs nothing). The credit
    limit is "the maximum outstanding balance" (SPEC Balance); bonus first and per-part billing
    are guesses."""
    if channel not in ("email", "sms", "viber"):
        return 0
    row = state.conn.execute("SELECT * FROM account WHERE id = 1").fetchone()
    bonus_column = {"email": "bonus_emails", "sms": "bonus_smses"}.get(channel)
    price = {"email": EMAIL_PRICE_MINOR, "sms": SMS_PART_PRICE_MINOR}.get(channel, VIBER_PRICE_MINOR)
    from_bonus = min(int(row[bonus_column]), units) if bonus_column else 0
    cost = int((units - from_bonus) * price)
    if row["balance_minor"] - cost < -row["credit_limit_minor"]:
        return None
    if bonus_column:
        state.conn.execute(
            f"UPDATE account SET {bonus_column} = {bonus_column} - ? WHERE id = 1",  # noqa: S608
            (from_bonus,),
        )
    state.conn.execute("UPDATE account SET balance_minor = balance_minor - ? WHERE id = 1", (cost,))
    return cost
