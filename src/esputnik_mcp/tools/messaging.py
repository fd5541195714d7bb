"""Messaging tools: one-off email and SMS, stored-message sends, delivery status, templates and the
unsubscribed list."""

from __future__ import annotations

import hashlib
import html
import re
from email.utils import parseaddr
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, Field, model_validator

from esputnik_mcp.api.limits import SMARTSEND_RECIPIENTS
from esputnik_mcp.api.messages import recipient
from esputnik_mcp.api.models import EmailInput, SmsInput
from esputnik_mcp.tools.base import (
    Kind,
    Result,
    SendInput,
    SendPlan,
    ToolContext,
    ToolFailure,
    ToolInput,
    ToolOutput,
    Toolset,
    ToolSpec,
)
from esputnik_mcp.tools.bulk import chunk_progress, counted
from esputnik_mcp.tools.cursor import decode_cursor, encode_cursor
from esputnik_mcp.tools.params import (
    ContactId,
    Cursor,
    Email,
    ExternalCustomerId,
    ExternalRequestId,
    LanguageCode,
    Limit,
    MessageId,
    Phone,
    RequestId,
    SendChannel,
    Tags,
    channel_locator,
    exactly_one,
)
from esputnik_mcp.tools.sending import Addressee, SendOutput, SendReport
from esputnik_mcp.tools.views import View

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
        description='From: one of the account\'s email senders, as "Name" <address> or an address. '
        "Default: the ESPUTNIK_EMAIL_SENDER setting.",
    ),
]


class SendEmailInput(SendInput):
    to: Email
    subject: Annotated[str, Field(min_length=1, description="Subject line.")]
    html: Annotated[str | None, Field(min_length=1, description="HTML body.")] = None
    text: Annotated[
        str | None,
        Field(
            min_length=1,
            description="Plain-text body. Sent as the text part; without html, it is also turned into a "
            "simple HTML body.",
        ),
    ] = None
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


def plan_email(params: SendEmailInput) -> SendPlan:
    return SendPlan(
        channel="email",
        recipients=[params.to],
        content=params.subject,
        content_key=_digest(params.sender, params.subject, params.html, params.text),
    )


async def send_email(params: SendEmailInput, ctx: ToolContext) -> Result[SendOutput]:
    sender = params.sender or ctx.settings.email_sender
    if not sender:
        raise ToolFailure(
            'no email sender: pass sender (one of the account\'s senders, e.g. "Shop" <news@shop.example>) '
            "or set ESPUTNIK_EMAIL_SENDER"
        )
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
    Field(
        min_length=1,
        max_length=64,
        description="Alpha name the SMS comes from, one of the account's SMS senders. "
        "Default: the ESPUTNIK_SMS_SENDER setting.",
    ),
]


class SendSmsInput(SendInput):
    phone: Phone
    text: Annotated[str, Field(min_length=1, description="The SMS text.")]
    sender: SmsSender | None = None
    tags: Tags | None = None
    external_request_id: ExternalRequestId | None = None


def _text_start(text: str, length: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"


def plan_sms(params: SendSmsInput) -> SendPlan:
    return SendPlan(
        channel="sms",
        recipients=[params.phone],
        content=_text_start(params.text),
        content_key=_digest(params.sender, params.text),
    )


async def send_sms(params: SendSmsInput, ctx: ToolContext) -> Result[SendOutput]:
    sender = params.sender or ctx.settings.sms_sender
    if not sender:
        raise ToolFailure(
            "no SMS sender: pass sender (one of the account's SMS alpha names) or set ESPUTNIK_SMS_SENDER"
        )
    sms = SmsInput(
        from_=sender,
        text=params.text,
        phone_numbers=[params.phone],
        tags=params.tags,
        external_request_id=params.external_request_id,
    )
    report = SendReport("sms", f"SMS {_text_start(params.text, 30)!r}")
    addressee = Addressee(params.phone, params.phone, params.external_request_id)
    await report.send([addressee], lambda: ctx.client.messages.send_sms(sms))
    return report.result()


# --- send_prepared_message -----------------------------------------------------------------------


class PreparedRecipient(ToolInput):
    """One recipient of a stored message, named by exactly one of locator, contact_id and
    external_customer_id."""

    locator: Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=4096,
            description="The address on the message's channel: an email address (email), an E.164 phone "
            "(sms, viber), a Telegram chat id (telegram), a device or subscription token (push, appinbox).",
        ),
    ] = None
    contact_id: ContactId | None = None
    external_customer_id: ExternalCustomerId | None = None
    params: Annotated[
        dict[str, Any] | None,
        Field(description='Values for the message\'s template variables, e.g. {"orderId": "A-17"}.'),
    ] = None
    language_code: LanguageCode | None = None
    external_request_id: ExternalRequestId | None = None

    @model_validator(mode="after")
    def _one_identifier(self) -> PreparedRecipient:
        exactly_one(
            {"locator": self.locator, "contact_id": self.contact_id, "external_customer_id": self.external_customer_id}
        )
        return self

    @property
    def label(self) -> str:
        if self.contact_id is not None:
            return f"contact:{self.contact_id}"
        if self.external_customer_id is not None:
            return f"external:{self.external_customer_id}"
        return self.locator or ""


FromName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        description="Sender name instead of the message's own: for email the name only (the message's "
        "address stays), for SMS the alpha name.",
    ),
]


class SendPreparedMessageInput(SendInput):
    message_id: MessageId
    channel: SendChannel
    recipients: Annotated[
        list[PreparedRecipient],
        Field(
            min_length=1,
            max_length=10_000,
            description=f"Who gets it (up to 10000; sent {SMARTSEND_RECIPIENTS} per request), each once.",
        ),
    ]
    from_name: FromName | None = None

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


def plan_prepared(params: SendPreparedMessageInput) -> SendPlan:
    return SendPlan(
        channel=params.channel,
        recipients=[r.label for r in params.recipients],
        content=f"template {params.message_id}",
        content_key=f"template:{params.message_id}",
    )


async def send_prepared_message(params: SendPreparedMessageInput, ctx: ToolContext) -> Result[SendOutput]:
    people = params.recipients
    recipients = [
        recipient(
            locator=r.locator,
            contact_id=r.contact_id,
            external_customer_id=r.external_customer_id,
            params=r.params,
            external_request_id=r.external_request_id,
            language_code=r.language_code,
        )
        for r in people
    ]
    addressees = [Addressee(r.label, r.locator, r.external_request_id) for r in people]
    outcomes = await ctx.client.messages.smartsend_chunked(
        params.message_id,
        recipients,
        email=params.channel == "email",
        from_name=params.from_name,
        on_done=chunk_progress(ctx.progress, len(recipients)),
    )
    report = SendReport(params.channel, f"template {params.message_id} ({params.channel})")
    for chunk in outcomes:
        start = chunk.index * SMARTSEND_RECIPIENTS
        report.add_chunk(start, addressees[start : start + len(chunk.items)], chunk)
    return report.result()


# --- get_message_status --------------------------------------------------------------------------


class MessageStatusInput(ToolInput):
    request_ids: Annotated[
        list[RequestId],
        Field(min_length=1, max_length=1000, description="request_id values returned by the send tools."),
    ]


class StatusView(View):
    request_id: str
    status: str | None = Field(default=None, description="eSputnik's status, e.g. IN_QUEUE, DELIVERED, READ.")
    delivered: bool | None = None
    failed: bool | None = Field(default=None, description="True when it will not be delivered (see status).")


class MessageStatusOutput(ToolOutput):
    truncatable: ClassVar[str | None] = "statuses"
    cut_advice: ClassVar[str] = "ask for fewer request_ids at a time."

    delivered: int
    failed: int
    pending: int = Field(description="Found, neither delivered nor failed yet.")
    not_found: list[str] = Field(description="Request ids eSputnik reported nothing for.")
    statuses: list[StatusView]


async def get_message_status(params: MessageStatusInput, ctx: ToolContext) -> Result[MessageStatusOutput]:
    ids = list(dict.fromkeys(params.request_ids))
    found = {s.request_id: s for s in await ctx.client.messages.status(ids) if s.request_id}
    statuses = [
        StatusView(request_id=i, status=s.status, delivered=s.delivered, failed=s.failed)
        for i in ids
        if (s := found.get(i)) is not None
    ]
    delivered = sum(1 for s in statuses if s.delivered)
    failed = sum(1 for s in statuses if s.failed and not s.delivered)
    out = MessageStatusOutput(
        delivered=delivered,
        failed=failed,
        pending=len(statuses) - delivered - failed,
        not_found=[i for i in ids if i not in found],
        statuses=statuses,
    )
    summary = (
        f"{counted(len(ids), 'request id')}: {out.delivered} delivered, {out.failed} failed, "
        f"{out.pending} pending, {len(out.not_found)} not found"
    )
    return Result(summary, out)


# --- list_message_templates ----------------------------------------------------------------------

PREVIEW_CHARS = 80


class ListTemplatesInput(ToolInput):
    channel: Annotated[Literal["email", "sms"], Field(description="Which stored messages: email or sms.")]
    search: Annotated[str | None, Field(min_length=1, max_length=200, description="Part of the name, or a tag.")] = None
    limit: Limit = 20
    cursor: Cursor | None = None


class TemplateView(View):
    id: int = Field(description="The message_id for send_prepared_message.")
    name: str | None = None
    subject: str | None = Field(default=None, description="Email subject.")
    sender: str | None = Field(default=None, description="The message's own from.")
    preview: str | None = Field(default=None, description="Start of the SMS text.")
    tags: list[str] = Field(default_factory=list)
    language_code: str | None = None


class TemplatesPage(ToolOutput):
    truncatable: ClassVar[str | None] = "templates"
    cut_advice: ClassVar[str] = "ask for fewer (limit), narrow the search, or page on with next_cursor."

    templates: list[TemplateView]
    total: int | None = Field(default=None, description="How many messages match, when eSputnik says.")
    next_cursor: str | None = Field(
        default=None, description="Pass as cursor to get the next page; absent on the last."
    )


async def list_message_templates(params: ListTemplatesInput, ctx: ToolContext) -> Result[TemplatesPage]:
    query = {"channel": params.channel, "search": params.search}
    start = decode_cursor(params.cursor, query)
    templates = ctx.client.templates
    views: list[TemplateView]
    if params.channel == "email":
        email_page = await templates.search_email(search=params.search, start_index=start, max_rows=params.limit)
        page_total, next_start = email_page.total, email_page.next_start_index
        views = [
            TemplateView(
                id=t.id,
                name=t.name,
                subject=t.subject,
                sender=t.from_,
                tags=t.tags,
                language_code=t.language_code,
            )
            for t in email_page.items
        ]
    else:
        sms_page = await templates.search_sms(search=params.search, start_index=start, max_rows=params.limit)
        page_total, next_start = sms_page.total, sms_page.next_start_index
        views = [
            TemplateView(
                id=t.id,
                name=t.name,
                sender=t.from_,
                preview=_text_start(t.text, PREVIEW_CHARS) if t.text else None,
                tags=t.tags,
                language_code=t.language_code,
            )
            for t in sms_page.items
        ]
    out = TemplatesPage(templates=views, total=page_total, next_cursor=encode_cursor(next_start, query))
    out.resume_with(lambda i: encode_cursor(start + i, query))
    of_total = f" of {page_total}" if page_total is not None else ""
    matching = f" matching {params.search!r}" if params.search else ""
    return Result(f"{len(views)}{of_total} {params.channel} templates{matching}", out)


# --- manage_unsubscribes -------------------------------------------------------------------------


class ManageUnsubscribesInput(ToolInput):
    action: Annotated[
        Literal["unsubscribe", "resubscribe"],
        Field(
            description="unsubscribe: stop bulk email to these addresses; resubscribe: take them off the "
            "unsubscribed list (only for people who asked for email again)."
        ),
    ]
    emails: Annotated[list[Email], Field(min_length=1, max_length=1000, description="Up to 1000 addresses.")]


class UnsubscribesOutput(ToolOutput):
    action: str
    addresses: int = Field(description="Distinct addresses sent to eSputnik.")


async def manage_unsubscribes(params: ManageUnsubscribesInput, ctx: ToolContext) -> Result[UnsubscribesOutput]:
    firsts: dict[str, str] = {}
    for address in params.emails:
        firsts.setdefault(address.lower(), address)
    emails = list(firsts.values())
    addresses = counted(len(emails), "address", "addresses")
    if params.action == "unsubscribe":
        await ctx.client.unsubscribes.add(emails)
        summary = f"{addresses} unsubscribed from email; SMS, Viber and push go on"
    else:
        await ctx.client.unsubscribes.remove(emails)
        summary = f"{addresses} taken off the unsubscribed list; email to them resumes"
    return Result(summary, UnsubscribesOutput(action=params.action, addresses=len(emails)))


TOOLS = [
    ToolSpec(
        name="send_email",
        title="Send an email",
        description=(
            "Send a one-off email with its full content (html and/or text) to one address; eSputnik "
            "creates a contact if none has it. It reaches a real person and costs money: for templates or "
            "many recipients use send_prepared_message. Returns a request_id for get_message_status."
        ),
        toolset=Toolset.MESSAGING,
        kind=Kind.SEND,
        params=SendEmailInput,
        output=SendOutput,
        handler=send_email,
        plan_send=plan_email,
    ),
    ToolSpec(
        name="send_sms",
        title="Send an SMS",
        description=(
            "Send a one-off SMS to one phone number (E.164); eSputnik creates a contact if none has it. "
            "It reaches a real person and costs money per message part. Returns a request_id for "
            "get_message_status."
        ),
        toolset=Toolset.MESSAGING,
        kind=Kind.SEND,
        params=SendSmsInput,
        output=SendOutput,
        handler=send_sms,
        plan_send=plan_sms,
    ),
    ToolSpec(
        name="send_prepared_message",
        title="Send a stored message",
        description=(
            "Send a stored message (id from list_message_templates) on email, SMS, Viber, push, Telegram "
            "or App Inbox to any number of recipients, each with its own template params; sent "
            f"{SMARTSEND_RECIPIENTS} per request. It reaches real people and costs money. Returns a "
            "request_id per recipient for get_message_status."
        ),
        toolset=Toolset.MESSAGING,
        kind=Kind.SEND,
        params=SendPreparedMessageInput,
        output=SendOutput,
        handler=send_prepared_message,
        plan_send=plan_prepared,
    ),
    ToolSpec(
        name="get_message_status",
        title="Delivery status",
        description=(
            "Check delivery of sent messages by the request_id values the send tools returned: status, "
            "delivered and failed per id; ids eSputnik does not know are listed as not found. One cheap "
            "read per 100 ids."
        ),
        toolset=Toolset.MESSAGING,
        kind=Kind.READ,
        params=MessageStatusInput,
        output=MessageStatusOutput,
        handler=get_message_status,
    ),
    ToolSpec(
        name="list_message_templates",
        title="List message templates",
        description=(
            "List stored email or SMS messages (id, name, subject or text start, tags), optionally by part "
            "of the name or a tag: the ids send_prepared_message needs. eSputnik allows 500 template reads "
            "an hour; answers are reused for a minute."
        ),
        toolset=Toolset.MESSAGING,
        kind=Kind.READ,
        params=ListTemplatesInput,
        output=TemplatesPage,
        handler=list_message_templates,
    ),
    ToolSpec(
        name="manage_unsubscribes",
        title="Unsubscribe or resubscribe emails",
        description=(
            "Add email addresses to the unsubscribed list (every contact with them stops getting bulk "
            "email; SMS and other channels go on), or take them off it. Unsubscribing cuts real people "
            "off email, so it counts as destructive; resubscribe only people who asked for email again."
        ),
        toolset=Toolset.MESSAGING,
        kind=Kind.WRITE,
        params=ManageUnsubscribesInput,
        output=UnsubscribesOutput,
        handler=manage_unsubscribes,
        destructive=True,
        idempotent=True,
    ),
]
