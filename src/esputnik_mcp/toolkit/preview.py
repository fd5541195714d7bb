"""Checking a send before anyone is asked, and rendering what will go out for the person who is.

Checks (on every send, confirmation or not): the sender is one of the account's senders (the
answer is reused for five minutes), and a stored message exists on the channel it is sent on (a
template read, reused for a minute; eSputnik allows 500 an hour). Whatever would be refused is
refused here, before a preview is shown.

The rendering (only when a person is asked) costs a balance read and one contact read for each of
the first few recipients, to show their names; the message itself is rendered here, from the
template and each recipient's parameters (see :mod:`esputnik_mcp.toolkit.velocity`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any, cast

from esputnik_mcp.api import ESputnikError, NotFoundError
from esputnik_mcp.api.models import Contact, StoredMessage
from esputnik_mcp.api.templates import TemplateChannel
from esputnik_mcp.toolkit.base import ToolContext, ToolFailure
from esputnik_mcp.toolkit.sms_parts import sms_parts
from esputnik_mcp.toolkit.velocity import recipient_context, render
from esputnik_mcp.toolspec import Rendering, Sample

SAMPLES = 3  # recipients the message is rendered for, with their names looked up
TEMPLATE_CHANNELS = ("email", "sms", "viber", "mobilepush", "appinbox", "telegram")


async def check_sender(ctx: ToolContext, channel: str, sender: str) -> None:
    """Refuse a ``from`` that is not one of the account's senders on ``channel`` (email or sms)."""
    try:
        senders = await (ctx.client.senders.email() if channel == "email" else ctx.client.senders.sms())
    except ESputnikError:
        return  # eSputnik will judge the sender itself
    known = [s.value for s in senders if s.value]
    if not known:
        return
    if channel == "email":
        wanted = parseaddr(sender)[1].lower()
        if any(parseaddr(k)[1].lower() == wanted for k in known):
            return
    elif any(k.casefold() == sender.casefold() for k in known):
        return
    raise ToolFailure(
        f"nothing was sent: {sender!r} is not one of the account's {channel} senders ({', '.join(known[:10])})"
    )


async def stored_message(ctx: ToolContext, channel: str, message_id: int) -> StoredMessage | None:
    """Stored message ``message_id`` of ``channel``, or a refusal naming why it cannot be sent there.
    None for a channel whose messages cannot be read (web push)."""
    if channel not in TEMPLATE_CHANNELS:
        return None
    try:
        return await ctx.client.templates.get(cast("TemplateChannel", channel), message_id)
    except NotFoundError:
        pass
    other: TemplateChannel = "sms" if channel == "email" else "email"
    try:
        await ctx.client.templates.get(other, message_id)
    except ESputnikError:
        raise ToolFailure(
            f"nothing was sent: there is no stored {channel} message {message_id} (list_message_templates shows them)"
        ) from None
    raise ToolFailure(
        f"nothing was sent: message {message_id} is a stored {other} message: send it with channel {other}"
    )


async def balance(ctx: ToolContext) -> str | None:
    try:
        found = await ctx.client.account.balance()
    except ESputnikError:
        return None
    if found.current_balance is None:
        return None
    return f"{found.current_balance:.2f} {found.currency or ''}".strip()


@dataclass(frozen=True)
class Person:
    """One recipient as the preview shows them: how the call named them, and their params."""

    label: str
    params: Mapping[str, Any] | None = None
    contact_id: int | None = None
    external_id: str | None = None
    address: str | None = None  # email or phone, when known


async def who(ctx: ToolContext, person: Person) -> tuple[str, Contact | None]:
    """``Name <address>`` of a recipient, and their contact, looked up with one read."""
    contact: Contact | None = None
    try:
        if person.contact_id is not None:
            contact = await ctx.client.contacts.get(person.contact_id)
        else:
            page = await ctx.client.contacts.search(
                external_customer_id=person.external_id,
                email=person.address if person.address and "@" in person.address else None,
                phone=person.address if person.address and "@" not in person.address else None,
                max_rows=1,
            )
            contact = page.items[0] if page.items else None
    except ESputnikError:
        contact = None
    name = " ".join(n for n in (contact.first_name, contact.last_name) if n) if contact else ""
    address = person.address or (_first_address(contact) if contact else None) or person.label
    return (f"{name} <{address}>" if name else address), contact


def _first_address(contact: Contact) -> str | None:
    values = contact.channel_values("email") or contact.channel_values("sms")
    return values[0] if values else None


def context(params: Mapping[str, Any] | None, contact: Contact | None) -> dict[str, Any]:
    """What a template reads for one recipient: their parameters (as ``data`` and by name) and their
    contact's fields by name (see :func:`~esputnik_mcp.toolkit.velocity.recipient_context`)."""
    fields: dict[str, Any] = {}
    if contact is not None:
        fields = {
            "firstName": contact.first_name,
            "lastName": contact.last_name,
            "email": next(iter(contact.channel_values("email")), None),
            "phone": next(iter(contact.channel_values("sms")), None),
        }
        fields = {name: value for name, value in fields.items() if value is not None}
    return recipient_context(params, fields)


def sample(
    recipient: str,
    *,
    subject: str | None = None,
    html: str | None = None,
    text: str | None = None,
    sms: bool = False,
    values: Mapping[str, Any] | None = None,
) -> Sample:
    """One recipient's message: each part rendered with ``values`` (none: shown as written)."""
    unresolved: list[str] = []

    def fill(template: str | None) -> str | None:
        if template is None:
            return None
        if values is None:
            return template
        rendered = render(template, values)
        unresolved.extend(n for n in rendered.unresolved if n not in unresolved)
        return rendered.text

    subject_text, html_text, plain = fill(subject), fill(html), fill(text)
    parts = sms_parts(plain).parts if sms and plain is not None else None
    return Sample(recipient, subject_text, html_text, plain, parts, tuple(unresolved))


def sms_total(template: str, people: Sequence[Person]) -> tuple[str, int]:
    """The encoding and the parts an SMS costs in all, rendered with each recipient's params."""
    encoding = "GSM-7"
    total = 0
    for person in people:
        counted = sms_parts(render(template, context(person.params, None)).text)
        total += counted.parts
        if counted.encoding != "GSM-7":
            encoding = counted.encoding
    return encoding, total


async def render_stored(
    ctx: ToolContext,
    channel: str,
    message_id: int,
    message: StoredMessage | None,
    people: Sequence[Person],
    *,
    sender: str | None = None,
) -> Rendering:
    """A stored message as its first recipients will get it, each with their own parameters."""
    parts = _message_parts(message)
    sms = channel in ("sms", "viber")
    samples = []
    shown = []
    for person in people[:SAMPLES]:
        label, contact = await who(ctx, person)
        shown.append(label)
        samples.append(sample(label, sms=sms, values=context(person.params, contact), **parts))
    shown += [p.label for p in people[SAMPLES:5]]
    encoding, total = sms_total(parts["text"] or "", people) if sms and parts["text"] else (None, None)
    warnings = () if message is not None else (f"{channel} messages cannot be read: not shown",)
    return Rendering(
        channel=channel,
        sender=sender or _sender_of(message),
        subject=parts["subject"],
        message=f"{message_id} {message.name}" if message is not None and message.name else str(message_id),
        samples=tuple(samples),
        recipients=tuple(shown),
        count=len(people),
        sms_encoding=encoding,
        sms_parts_total=total,
        balance=await balance(ctx),
        warnings=warnings,
    )


def _message_parts(message: StoredMessage | None) -> dict[str, str | None]:
    """The parts of a stored message a person reads: subject (or title), html, text."""
    if message is None:
        return {"subject": None, "html": None, "text": None}
    extra = message.model_extra or {}
    subject = getattr(message, "subject", None) or getattr(message, "title", None)
    html = getattr(message, "html_text", None) or getattr(message, "raw_html", None)
    text = getattr(message, "text", None) or extra.get("plainText")
    return {"subject": subject, "html": html, "text": text}


def _sender_of(message: StoredMessage | None) -> str | None:
    sender = getattr(message, "from_", None)
    return str(sender) if sender else None


async def render_to_segment(
    ctx: ToolContext,
    channel: str,
    segment_id: int,
    members: int | None,
    *,
    text: str,
    sender: str | None,
    shown_after: str = "",
    warnings: Sequence[str] = (),
) -> Rendering:
    """A one-off SMS or Viber text as the first members of a segment will get it, each rendered with
    their contact's fields (one read of the segment's first members), ``shown_after`` below it (an
    image, a button). An SMS counts its parts in all as the text's parts times the members: an
    estimate, as personalisation changes the length."""
    try:
        firsts = (await ctx.client.segments.contacts(segment_id, max_rows=SAMPLES)).items
    except ESputnikError:
        firsts = []
    samples, shown = [], []
    for contact in firsts:
        phones = (contact.channel_values("viber") if channel == "viber" else []) + contact.channel_values("sms")
        name = " ".join(n for n in (contact.first_name, contact.last_name) if n)
        address = phones[0] if phones else f"contact:{contact.id}"
        label = f"{name} <{address}>" if name else address
        one = sample(label, text=text, sms=channel == "sms", values=context(None, contact))
        samples.append(dataclasses.replace(one, text=(one.text or "") + shown_after))
        shown.append(label)
    parts = sms_parts(text) if channel == "sms" else None
    return Rendering(
        channel=channel,
        sender=sender,
        samples=tuple(samples),
        recipients=tuple(shown),
        count=members,
        sms_encoding=parts.encoding if parts else None,
        sms_parts_total=parts.parts * members if parts and members is not None else None,
        balance=await balance(ctx),
        warnings=tuple(warnings),
    )
