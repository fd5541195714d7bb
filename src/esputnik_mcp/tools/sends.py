"""Sends: send_email, send_sms, send_viber (one-off content; an SMS also a stored one), send_prepared_message
(a stored message)."""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Awaitable, Callable
from email.utils import parseaddr
from typing import Annotated, Any

from pydantic import AfterValidator, Field, model_validator

from esputnik_mcp.api.limits import SMARTSEND_RECIPIENTS
from esputnik_mcp.api.messages import recipient, recipient_wire
from esputnik_mcp.api.models import EmailInput, SendResult, SmsInput, ViberInput
from esputnik_mcp.toolkit.audience import segment_audience
from esputnik_mcp.toolkit.base import Result, SendInput, ToolContext, ToolFailure, ToolInput, tool
from esputnik_mcp.toolkit.bulk import chunk_progress
from esputnik_mcp.toolkit.params import (
    ContactId,
    Email,
    ExternalCustomerId,
    ExternalRequestId,
    LanguageCode,
    MessageId,
    Phone,
    SegmentId,
    SendChannel,
    Tags,
    channel_locator,
    exactly_one,
)
from esputnik_mcp.toolkit.preview import (
    Person,
    balance,
    check_sender,
    render_stored,
    render_to_segment,
    sample,
    stored_message,
    who,
)
from esputnik_mcp.toolkit.recipients import contact_label, external_label, known_as
from esputnik_mcp.toolkit.sending import Addressee, SendOutput, SendReport, text_start
from esputnik_mcp.toolkit.sms_parts import sms_parts
from esputnik_mcp.toolspec import Audience, Kind, Rendering, SendPlan, Toolset

# --- send_email ----------------------------------------------------------------------------------


def _email_sender(value: str) -> str:
    _name, address = parseaddr(value)
    if "@" not in address:
        raise ValueError(f'{value!r} is not a sender such as "Shop" <news@shop.example>')
    return value


EmailSender = Annotated[
    str,
    AfterValidator(_email_sender),
    Field(
        min_length=3,
        max_length=320,
        description='An account sender, "Name" <address> or an address. Default: ESPUTNIK_EMAIL_SENDER.',
    ),
]


class SendEmailInput(SendInput):
    to: Email
    subject: Annotated[str, Field(min_length=1)]
    html: Annotated[str | None, Field(min_length=1)] = None
    text: Annotated[str | None, Field(min_length=1, description="Plain text; without html it also makes the body.")] = (
        None
    )
    sender: EmailSender | None = None
    tags: Tags | None = None
    external_request_id: ExternalRequestId | None = None

    @model_validator(mode="after")
    def _has_body(self) -> SendEmailInput:
        if self.html is None and self.text is None:
            raise ValueError("give html, text, or both")
        return self


def html_from_text(text: str) -> str:
    """A minimal HTML document showing ``text``: escaped, blank lines as paragraphs, line breaks kept."""
    paragraphs = [p for p in re.split(r"\n[ \t]*\n", text.strip()) if p.strip()]
    body = "".join("<p>" + html.escape(p.strip()).replace("\n", "<br>") + "</p>" for p in paragraphs)
    return f'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>{body}</body></html>'


def _digest(*parts: str | None) -> str:
    joined = "\x1f".join(part or "" for part in parts)
    return "sha256:" + hashlib.sha256(joined.encode()).hexdigest()


def _sender_for(params: SendEmailInput, ctx: ToolContext) -> str:
    sender = params.sender or ctx.settings.email_sender
    if not sender:
        raise ToolFailure(
            'no email sender: pass sender (one of the account\'s senders, e.g. "Shop" <news@shop.example>) '
            "or set ESPUTNIK_EMAIL_SENDER"
        )
    return sender


async def plan_email(params: SendEmailInput, ctx: ToolContext) -> SendPlan:
    sender = _sender_for(params, ctx)
    await check_sender(ctx, "email", sender)

    async def rendering(audience: Audience) -> Rendering:
        shown, _ = await who(ctx, Person(params.to, address=params.to))
        html = params.html if params.html is not None else html_from_text(params.text or "")
        one = sample(shown, subject=params.subject, html=html, text=params.text)
        return Rendering(
            channel="email",
            sender=sender,
            subject=params.subject,
            samples=(one,),
            recipients=(shown,),
            count=1,
            balance=await balance(ctx),
        )

    return SendPlan(
        channel="email",
        audience=Audience(recipients=(params.to,)),
        content=params.subject,
        content_key=_digest(sender, params.subject, params.html, params.text),
        message_key=_digest(sender, params.subject),
        render=rendering,
    )


@tool(
    "send_email",
    title="Send an email",
    toolset=Toolset.MESSAGING,
    kind=Kind.SEND,
    plan_send=plan_email,
    description="""Send a one-off email (subject and html and/or text) to one address; eSputnik adds the
    contact if new. Reaches a real person and costs money; stored templates: send_prepared_message.
    Returns the request_id for get_message_status.""",
    example={"to": "olena@example.com", "subject": "Spring sale", "html": "<p>Hello</p>"},
)
async def send_email(params: SendEmailInput, ctx: ToolContext) -> Result[SendOutput]:
    sender = _sender_for(params, ctx)
    email = EmailInput(
        from_=sender,
        subject=params.subject,
        html_text=params.html if params.html is not None else html_from_text(params.text or ""),
        plain_text=params.text,
        emails=[params.to],
        tags=params.tags,
        external_request_id=params.external_request_id,
    )
    report = SendReport("email", f"email {params.subject!r}")
    addressee = Addressee(params.to, params.to, params.external_request_id)
    await report.send([addressee], lambda: ctx.client.messages.send_email(email))
    return report.result()


# --- send_sms ------------------------------------------------------------------------------------

SmsSender = Annotated[
    str,
    Field(min_length=1, max_length=64, description="An account SMS alpha name. Default: ESPUTNIK_SMS_SENDER."),
]


class SendSmsInput(SendInput):
    phone: Phone | None = None
    segment_id: SegmentId | None = None
    text: Annotated[str | None, Field(min_length=1)] = None
    message_id: MessageId | None = None
    params: Annotated[dict[str, Any] | None, Field(description='Its variables, e.g. {"code": "1234"}.')] = None
    sender: SmsSender | None = None
    tags: Tags | None = None
    external_request_id: ExternalRequestId | None = None

    @model_validator(mode="after")
    def _one_audience_and_content(self) -> SendSmsInput:
        exactly_one({"phone": self.phone, "segment_id": self.segment_id})
        exactly_one({"text": self.text, "message_id": self.message_id})
        if self.message_id is not None and self.segment_id is not None:
            raise ValueError("a stored message goes to a segment as a broadcast; message_id takes phone")
        if self.params is not None and self.message_id is None:
            raise ValueError("params fill a stored message's variables: give message_id")
        if self.tags is not None and self.message_id is not None:
            raise ValueError("a stored message keeps its own tags: leave tags out")
        return self


def _sms_sender(params: SendSmsInput, ctx: ToolContext) -> str:
    sender = params.sender or ctx.settings.sms_sender
    if not sender:
        raise ToolFailure(
            "no SMS sender: pass sender (one of the account's SMS alpha names) or set ESPUTNIK_SMS_SENDER"
        )
    return sender


async def plan_sms(params: SendSmsInput, ctx: ToolContext) -> SendPlan:
    if params.message_id is not None:
        return await _plan_stored_sms(params, params.message_id, ctx)
    text = params.text or ""
    sender = _sms_sender(params, ctx)
    await check_sender(ctx, "sms", sender)
    if params.segment_id is not None:
        segment_id = params.segment_id
        audience = await segment_audience(ctx, [segment_id])
        members = audience.segments[0].members

        async def to_segment(audience: Audience) -> Rendering:
            return await render_to_segment(ctx, "sms", segment_id, members, text=text, sender=sender)

        return SendPlan(
            channel="sms",
            audience=audience,
            content=text_start(text),
            content_key=_digest(sender, text),
            render=to_segment,
        )
    phone = params.phone or ""

    async def rendering(audience: Audience) -> Rendering:
        shown, _ = await who(ctx, Person(phone, address=phone))
        one = sample(shown, text=text, sms=True)
        parts = sms_parts(text)
        return Rendering(
            channel="sms",
            sender=sender,
            samples=(one,),
            recipients=(shown,),
            count=1,
            sms_encoding=parts.encoding,
            sms_parts_total=parts.parts,
            balance=await balance(ctx),
        )

    return SendPlan(
        channel="sms",
        audience=Audience(recipients=(phone,)),
        content=text_start(text),
        content_key=_digest(sender, text),
        render=rendering,
    )


async def _plan_stored_sms(params: SendSmsInput, message_id: int, ctx: ToolContext) -> SendPlan:
    """A stored SMS to one phone, through smartsend: the message must be an SMS message of the
    account; a sender given instead of the message's own must be one of the account's."""
    message = await stored_message(ctx, "sms", message_id)
    if params.sender is not None:
        await check_sender(ctx, "sms", params.sender)
    phone = params.phone or ""
    person = Person(phone, params.params, address=phone)

    async def rendering(audience: Audience) -> Rendering:
        return await render_stored(ctx, "sms", message_id, message, [person], sender=params.sender)

    name = f" {message.name!r}" if message is not None and message.name else ""
    return SendPlan(
        channel="sms",
        audience=Audience(recipients=(phone,)),
        content=f"template {message_id}{name}",
        content_key=f"template:{message_id}",
        render=rendering,
    )


async def _one_off(
    channel: str,
    what: str,
    *,
    segment_id: int | None,
    phone: str | None,
    external_request_id: str | None,
    request: Callable[[], Awaitable[list[SendResult]]],
) -> Result[SendOutput]:
    """A one-off SMS or Viber message: to every member of ``segment_id`` in one request, or to
    ``phone``."""
    if segment_id is not None:
        report = SendReport(channel, f"{what} to segment {segment_id}")
        await report.send_to_segment(f"segment:{segment_id}", request)
        return report.result()
    report = SendReport(channel, what)
    await report.send([Addressee(phone or "", phone or "", external_request_id)], request)
    return report.result()


@tool(
    "send_sms",
    title="Send an SMS",
    toolset=Toolset.MESSAGING,
    kind=Kind.SEND,
    plan_send=plan_sms,
    description="""Send an SMS: text to one E.164 phone (new ones become contacts) or to every member of a
    segment, or a stored SMS (message_id) to a phone. Reaches real people and costs money per part.
    Returns request_ids for get_message_status.""",
    example={"phone": "+380501234567", "text": "Your code is 1234"},
)
async def send_sms(params: SendSmsInput, ctx: ToolContext) -> Result[SendOutput]:
    if params.message_id is not None:
        return await _send_stored_sms(params, params.message_id, ctx)
    sender = _sms_sender(params, ctx)
    text = params.text or ""
    sms = SmsInput(
        from_=sender,
        text=text,
        phone_numbers=[params.phone] if params.phone is not None else None,
        group_id=params.segment_id,
        tags=params.tags,
        external_request_id=params.external_request_id,
    )

    def request() -> Awaitable[list[SendResult]]:
        return ctx.client.messages.send_sms(sms)

    what = f"SMS {text_start(text, 30)!r}"
    return await _one_off(
        "sms",
        what,
        segment_id=params.segment_id,
        phone=params.phone,
        external_request_id=params.external_request_id,
        request=request,
    )


async def _send_stored_sms(params: SendSmsInput, message_id: int, ctx: ToolContext) -> Result[SendOutput]:
    phone = params.phone or ""
    one = recipient(locator=phone, params=params.params, external_request_id=params.external_request_id)
    report = SendReport("sms", f"template {message_id} (sms)")
    addressee = Addressee(phone, phone, params.external_request_id)
    await report.send(
        [addressee], lambda: ctx.client.messages.smartsend(message_id, [one], email=False, from_name=params.sender)
    )
    return report.result()


# --- send_viber ----------------------------------------------------------------------------------


def _web_address(value: str) -> str:
    if not re.match(r"https?://[^\s/]+", value):
        raise ValueError(f"{value!r} is not a web address (https://…)")
    return value


class SendViberInput(SendInput):
    phone: Phone | None = None
    segment_id: SegmentId | None = None
    text: Annotated[str, Field(min_length=1)]
    sender: Annotated[
        str | None, Field(min_length=1, max_length=64, description="Needed if the account has several.")
    ] = None
    image_url: Annotated[str | None, AfterValidator(_web_address), Field(max_length=2000)] = None
    caption: Annotated[str | None, Field(min_length=1, max_length=100, description="Button text.")] = None
    button: Annotated[str | None, Field(min_length=1, max_length=2000, description="Button link.")] = None
    ttl_seconds: Annotated[int | None, Field(ge=1, le=2**31 - 1, description="Default: 1 day.")] = None
    tags: Tags | None = None
    external_request_id: ExternalRequestId | None = None

    @model_validator(mode="after")
    def _one_audience_and_whole_button(self) -> SendViberInput:
        exactly_one({"phone": self.phone, "segment_id": self.segment_id})
        given = [v is not None for v in (self.image_url, self.caption, self.button)]
        if any(given) and not all(given):
            raise ValueError("image_url, caption and button go together: give all three or none")
        return self


def _viber_extras(params: SendViberInput) -> str:
    """The image and button under a message, as the person approving it sees them."""
    if params.image_url is None:
        return ""
    return f"\n\n[image {params.image_url}] [button {params.caption!r} → {params.button}]"


def _viber_warnings(params: SendViberInput) -> tuple[str, ...]:
    if params.sender is None:
        return ("No sender given: eSputnik uses the account's Viber sender, and refuses if it has several",)
    return (f"Sender {params.sender!r} not checked: eSputnik lists no Viber senders (it refuses an unknown one)",)


async def plan_viber(params: SendViberInput, ctx: ToolContext) -> SendPlan:
    content_key = _digest("viber", params.sender, params.text, params.image_url, params.caption, params.button)
    warnings = _viber_warnings(params)
    if params.segment_id is not None:
        segment_id = params.segment_id
        audience = await segment_audience(ctx, [segment_id])
        members = audience.segments[0].members

        async def to_segment(audience: Audience) -> Rendering:
            return await render_to_segment(
                ctx,
                "viber",
                segment_id,
                members,
                text=params.text,
                sender=params.sender,
                shown_after=_viber_extras(params),
                warnings=warnings,
            )

        return SendPlan(
            channel="viber",
            audience=audience,
            content=text_start(params.text),
            content_key=content_key,
            render=to_segment,
        )
    phone = params.phone or ""

    async def rendering(audience: Audience) -> Rendering:
        shown, _ = await who(ctx, Person(phone, address=phone))
        one = sample(shown, text=params.text + _viber_extras(params))
        return Rendering(
            channel="viber",
            sender=params.sender,
            samples=(one,),
            recipients=(shown,),
            count=1,
            balance=await balance(ctx),
            warnings=warnings,
        )

    return SendPlan(
        channel="viber",
        audience=Audience(recipients=(phone,)),
        content=text_start(params.text),
        content_key=content_key,
        render=rendering,
    )


@tool(
    "send_viber",
    title="Send a Viber message",
    toolset=Toolset.MESSAGING,
    kind=Kind.SEND,
    plan_send=plan_viber,
    description="""Send a one-off Viber message (an image comes with a button: image_url, caption,
    button) to one E.164 phone (new ones become contacts) or to every member of a segment. Reaches
    real people and costs money. Returns request_ids for get_message_status.""",
    example={"phone": "+380501234567", "text": "Your order has shipped"},
)
async def send_viber(params: SendViberInput, ctx: ToolContext) -> Result[SendOutput]:
    viber = ViberInput(
        text=params.text,
        ios_expirity_text=params.text,
        from_=params.sender,
        phone_numbers=[params.phone] if params.phone is not None else None,
        group_id=params.segment_id,
        ttl_seconds=params.ttl_seconds,
        img=params.image_url,
        caption=params.caption,
        action=params.button,
        tags=params.tags,
        external_request_id=params.external_request_id,
    )

    def request() -> Awaitable[list[SendResult]]:
        return ctx.client.messages.send_viber(viber)

    what = f"Viber {text_start(params.text, 30)!r}"
    return await _one_off(
        "viber",
        what,
        segment_id=params.segment_id,
        phone=params.phone,
        external_request_id=params.external_request_id,
        request=request,
    )


# --- send_prepared_message -----------------------------------------------------------------------


class PreparedRecipient(ToolInput):
    """One recipient of a stored message, named by exactly one of locator, contact_id and
    external_customer_id."""

    locator: Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=4096,
            description="Address on the channel: email, E.164 phone (sms, viber), Telegram chat id, or push token.",
        ),
    ] = None
    contact_id: ContactId | None = None
    external_customer_id: ExternalCustomerId | None = None
    params: Annotated[dict[str, Any] | None, Field(description='Template variables, e.g. {"orderId": "A-17"}.')] = None
    language_code: LanguageCode | None = None
    external_request_id: ExternalRequestId | None = None

    @model_validator(mode="after")
    def _one_identifier(self) -> PreparedRecipient:
        exactly_one(
            {"locator": self.locator, "contact_id": self.contact_id, "external_customer_id": self.external_customer_id}
        )
        return self

    def wire(self) -> dict[str, Any]:
        """The recipient as smartsend reads it (built without a model: a send has thousands)."""
        return recipient_wire(
            locator=self.locator,
            contact_id=self.contact_id,
            external_customer_id=self.external_customer_id,
            params=self.params,
            external_request_id=self.external_request_id,
            language_code=self.language_code,
        )

    @property
    def label(self) -> str:
        if self.contact_id is not None:
            return contact_label(self.contact_id)
        if self.external_customer_id is not None:
            return external_label(self.external_customer_id)
        return self.locator or ""


class SendPreparedMessageInput(SendInput):
    message_id: MessageId
    channel: SendChannel
    recipients: Annotated[list[PreparedRecipient], Field(min_length=1, max_length=10_000, description="Each once.")]
    from_name: Annotated[
        str | None,
        Field(min_length=1, max_length=100, description="Sender name instead of the message's (email: name only)."),
    ] = None

    @model_validator(mode="after")
    def _recipients_fit_channel(self) -> SendPreparedMessageInput:
        seen: dict[str, int] = {}
        for index, person in enumerate(self.recipients):
            if person.locator is not None:
                try:
                    person.locator = channel_locator(self.channel, person.locator)
                except ValueError as exc:
                    raise ValueError(f"recipients.{index}.locator: {exc} (channel {self.channel})") from None
            label = person.label
            key = label.lower() if self.channel == "email" else label
            if key in seen:
                raise ValueError(f"recipients {seen[key]} and {index} both name {label}: name each recipient once")
            seen[key] = index
        return self


async def plan_prepared(params: SendPreparedMessageInput, ctx: ToolContext) -> SendPlan:
    message = await stored_message(ctx, params.channel, params.message_id)
    people = params.recipients
    aliases = await known_as(
        ctx,
        params.channel,
        [r.contact_id for r in people if r.contact_id is not None],
        [r.external_customer_id for r in people if r.external_customer_id is not None],
    )
    lost = [r.label for r in people if r.locator is None and r.label not in aliases]
    if lost and params.channel in ("email", "sms", "viber"):
        shown = ", ".join(lost[:5]) + (" …" if len(lost) > 5 else "")
        raise ToolFailure(
            f"nothing was sent: no contact with an address on {params.channel} for {shown} (search_contacts finds "
            "contacts)"
        )

    async def rendering(audience: Audience) -> Rendering:
        going = set(audience.recipients)
        chosen = [
            Person(r.label, r.params, r.contact_id, r.external_customer_id, r.locator or aliases.get(r.label))
            for r in people
            if r.label in going
        ]
        return await render_stored(ctx, params.channel, params.message_id, message, chosen, sender=params.from_name)

    name = f" {message.name!r}" if message is not None and message.name else ""
    return SendPlan(
        channel=params.channel,
        audience=Audience(recipients=tuple(r.label for r in people), known_as=aliases),
        content=f"template {params.message_id}{name}",
        content_key=f"template:{params.message_id}",
        render=rendering,
    )


@tool(
    "send_prepared_message",
    title="Send a stored message",
    toolset=Toolset.MESSAGING,
    kind=Kind.SEND,
    plan_send=plan_prepared,
    recipients_param="recipients",
    description=f"""Send a stored message (id from list_message_templates) on its channel to up to
    {{max_recipients}} recipients, each with its own template params ({SMARTSEND_RECIPIENTS} per request).
    Reaches real people and costs money; recipients named by contact or external id cost a lookup.
    Returns a request_id per recipient.""",
    example={
        "message_id": 3001,
        "channel": "email",
        "recipients": [{"locator": "olena@example.com", "params": {"n": 1}}],
    },
)
async def send_prepared_message(params: SendPreparedMessageInput, ctx: ToolContext) -> Result[SendOutput]:
    people = [r for r in params.recipients if r.label not in ctx.held_back]
    outcomes = await ctx.client.messages.smartsend_chunked(
        params.message_id,
        people,
        email=params.channel == "email",
        from_name=params.from_name,
        on_done=chunk_progress(ctx.progress, len(people)),
    )
    report = SendReport(params.channel, f"template {params.message_id} ({params.channel})", ctx.held_back)
    addressees = [Addressee(r.label, r.locator, r.external_request_id) for r in people]
    for chunk in outcomes:
        report.add_chunk(addressees, chunk)
    return report.result()
