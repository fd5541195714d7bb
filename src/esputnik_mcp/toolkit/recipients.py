"""Recipients as eSputnik knows them: a contact named by id or by external id is looked up to the
address it has on the send's channel, so that the duplicate ledger and the allowlist see one person
however a call names them.

What it costs: for email, one read per 200 contact ids (``GET /v1/contacts/email``); for SMS and
Viber, one read per contact; one search per external customer id. Addresses need no lookup.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Sequence

import anyio

from esputnik_mcp.api import NotFoundError
from esputnik_mcp.api.models import Contact
from esputnik_mcp.toolkit.base import ToolContext

LOOKUPS_AT_ONCE = 8
_PHONE_CHANNELS = {"sms": "sms", "viber": "sms"}


def contact_label(contact_id: int) -> str:
    return f"contact:{contact_id}"


def external_label(external_customer_id: str) -> str:
    return f"external:{external_customer_id}"


async def known_as(
    ctx: ToolContext, channel: str, contact_ids: Iterable[int], external_ids: Iterable[str]
) -> dict[str, str]:
    """``contact:<id>`` and ``external:<id>`` labels → the address eSputnik sends to on ``channel``
    (for channels without an address of their own, the contact itself: ``contact:<id>``). A contact
    that cannot be found keeps its label."""
    ids = list(dict.fromkeys(contact_ids))
    externals = list(dict.fromkeys(external_ids))
    found: dict[str, str] = {}
    if channel == "email" and ids:
        for item in await ctx.client.contacts.emails(ids):  # one read per 200 ids
            if item.contact_id is not None and item.email:
                found[contact_label(item.contact_id)] = item.email.strip().lower()
    elif channel not in _PHONE_CHANNELS:
        found |= {contact_label(i): contact_label(i) for i in ids}  # push, Telegram, App Inbox: the contact
    lookups = [_by_id(ctx, i, channel) for i in ids] if channel in _PHONE_CHANNELS else []
    lookups += [_by_external(ctx, e, channel) for e in externals]
    found |= await _all(lookups)
    return found


async def _all(lookups: Sequence[Awaitable[tuple[str, str | None]]]) -> dict[str, str]:
    """Run the lookups a few at a time; the labels they found an address for."""
    found: dict[str, str] = {}
    limiter = anyio.CapacityLimiter(LOOKUPS_AT_ONCE)

    async def run(lookup: Awaitable[tuple[str, str | None]]) -> None:
        async with limiter:
            label, address = await lookup
        if address is not None:
            found[label] = address

    async with anyio.create_task_group() as tg:
        for lookup in lookups:
            tg.start_soon(run, lookup)
    return found


async def _by_id(ctx: ToolContext, contact_id: int, channel: str) -> tuple[str, str | None]:
    try:
        contact = await ctx.client.contacts.get(contact_id)
    except NotFoundError:
        return contact_label(contact_id), None
    return contact_label(contact_id), _address(contact, channel)


async def _by_external(ctx: ToolContext, external_id: str, channel: str) -> tuple[str, str | None]:
    page = await ctx.client.contacts.search(external_customer_id=external_id, max_rows=2)
    address = _address(page.items[0], channel) if len(page.items) == 1 else None
    return external_label(external_id), address


def _address(contact: Contact, channel: str) -> str | None:
    """The address ``contact`` has on ``channel``; for push, Telegram and App Inbox, the contact."""
    if channel == "email":
        values = contact.channel_values("email")
    elif channel in _PHONE_CHANNELS:
        values = contact.channel_values("sms")
    else:
        return contact_label(contact.id) if contact.id is not None else None
    if not values:
        return None
    if channel in _PHONE_CHANNELS:
        return "+" + "".join(c for c in values[0] if c.isdigit())  # E.164, as calls name phones
    return values[0].strip().lower()
