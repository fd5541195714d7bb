"""Stored messages and senders: list_message_templates, get_message_template,
create_message_template, update_message_template, list_senders."""

from __future__ import annotations

import json
from email.utils import parseaddr
from typing import Annotated, Any, ClassVar, Literal, cast

from pydantic import Field, ValidationError, model_validator

from esputnik_mcp.api import ESputnikError, NotFoundError
from esputnik_mcp.api.models import (
    EmailMessage,
    EmailMessageInput,
    MessageInput,
    SmsMessageInput,
    StoredMessage,
    ViberMessage,
    ViberMessageInput,
)
from esputnik_mcp.api.templates import TemplateChannel
from esputnik_mcp.toolkit.base import Result, ToolContext, ToolFailure, ToolInput, ToolOutput, at_most, tool
from esputnik_mcp.toolkit.cursor import decode_cursor, encode_cursor
from esputnik_mcp.toolkit.params import Cursor, LanguageCode, Limit, MessageId, Tags
from esputnik_mcp.toolkit.preview import check_sender
from esputnik_mcp.toolkit.render import quoted
from esputnik_mcp.toolkit.sending import text_start
from esputnik_mcp.toolkit.velocity import parameters
from esputnik_mcp.toolkit.views import NextCursor, Total, View, page_summary
from esputnik_mcp.toolspec import Kind, Toolset

PREVIEW_CHARS = 80
HTML_BYTES = 14_000  # of a result's 20 kB: the HTML of get_message_template, as JSON


def _subject(message: StoredMessage) -> str | None:
    """An email's subject, or a push or App Inbox message's title."""
    return getattr(message, "subject", None) or getattr(message, "title", None)


def _sender(message: StoredMessage) -> str | None:
    return getattr(message, "from_", None)


def _text(message: StoredMessage) -> str | None:
    return getattr(message, "text", None)


async def _stored(ctx: ToolContext, channel: TemplateChannel, message_id: int) -> StoredMessage:
    try:
        return await ctx.client.templates.get(channel, message_id)
    except NotFoundError:
        raise ToolFailure(
            f"there is no stored {channel} message {message_id} (list_message_templates shows them)"
        ) from None


# --- list_message_templates ----------------------------------------------------------------------


class ListTemplatesInput(ToolInput):
    channel: TemplateChannel
    search: Annotated[str | None, Field(min_length=1, max_length=200, description="Part of the name, or a tag.")] = None
    limit: Limit = 20
    cursor: Cursor | None = None


class TemplateView(View):
    id: int = Field(description="The message_id for send_prepared_message.")
    name: str | None = None
    subject: str | None = Field(default=None, description="Email subject, or push title.")
    sender: str | None = None
    preview: str | None = Field(default=None, description="Start of the text (not email).")
    tags: list[str] = Field(default_factory=list)
    language_code: str | None = None

    @classmethod
    def of(cls, message: StoredMessage) -> TemplateView:
        text = None if isinstance(message, EmailMessage) else _text(message)
        return cls(
            id=message.id or 0,
            name=message.name,
            subject=_subject(message),
            sender=_sender(message),
            preview=text_start(text, PREVIEW_CHARS) if text else None,
            tags=message.tags,
            language_code=message.language_code,
        )


class TemplatesPage(ToolOutput):
    truncatable: ClassVar[str | None] = "templates"

    templates: list[TemplateView]
    total: Total = None
    next_cursor: NextCursor = None


@tool(
    "list_message_templates",
    title="List message templates",
    toolset=Toolset.MESSAGING,
    kind=Kind.READ,
    description="""Stored messages of a channel (id, name, subject or text start, sender, tags), optionally
    by part of the name or a tag: the ids send_prepared_message takes. eSputnik allows 500 template reads
    an hour; answers are reused for a minute.""",
    example={"channel": "email", "limit": 5},
)
async def list_message_templates(params: ListTemplatesInput, ctx: ToolContext) -> Result[TemplatesPage]:
    query = {"channel": params.channel, "search": params.search}
    start = decode_cursor(params.cursor, query)
    page = await ctx.client.templates.search(
        params.channel, search=params.search, start_index=start, max_rows=params.limit
    )
    views = [TemplateView.of(m) for m in page.items if m.id is not None]
    out = TemplatesPage(templates=views, total=page.total, next_cursor=encode_cursor(page.next_start_index, query))
    out.resume_with(lambda i: encode_cursor(start + i, query))
    matching = f" matching {params.search!r}" if params.search else ""
    return Result(lambda o: page_summary(len(o.templates), o.total, f"{params.channel} templates") + matching, out)


# --- get_message_template ------------------------------------------------------------------------


class GetTemplateInput(ToolInput):
    message_id: MessageId
    channel: TemplateChannel
    language_code: Annotated[LanguageCode | None, Field(description="A language version; default: the base.")] = None


class ButtonView(View):
    text: str | None = None
    link: str | None = None


class TemplateOutput(ToolOutput):
    id: int
    channel: str
    name: str | None = None
    language_code: str | None = None
    languages: list[str] = Field(description="Every language version.")
    tags: list[str] = Field(default_factory=list)
    sender: str | None = None
    subject: str | None = Field(default=None, description="Email subject, or push title.")
    html: str | None = None
    html_chars: int | None = Field(default=None, description="The whole HTML's length, when html is cut.")
    view_link: str | None = None
    text: str | None = None
    link: str | None = None
    image_url: str | None = None
    buttons: list[ButtonView] | None = None
    ttl_seconds: int | None = None
    transactional: bool | None = None
    variables: list[str] = Field(description="Velocity variables it reads, e.g. data.orderId, firstName.")


def _version(message: StoredMessage, language: str | None) -> StoredMessage:
    """The ``language`` version of ``message`` (its base when that is its language)."""
    if language is None or language.lower() == (message.language_code or "").lower():
        return message
    for translation in cast("list[StoredMessage]", getattr(message, "translations", [])):
        if (translation.language_code or "").lower() == language.lower():
            return translation
    raise ToolFailure(
        f"message {message.id} has no {language!r} version (languages: {', '.join(_languages(message)) or 'none'})"
    )


def _languages(message: StoredMessage) -> list[str]:
    translated = [t.language_code for t in getattr(message, "translations", []) if t.language_code]
    found = [message.language_code, *message.languages, *translated]
    return list(dict.fromkeys(code for code in found if code))


def _buttons(message: StoredMessage) -> list[ButtonView] | None:
    if isinstance(message, ViberMessage):
        return [ButtonView(text=message.caption, link=message.action)] if message.caption or message.action else None
    found = getattr(message, "buttons", None) or []
    views = [ButtonView(text=getattr(b, "text", None) or getattr(b, "label", None), link=b.link) for b in found]
    return views or None


def cut_html(html: str, budget: int = HTML_BYTES) -> str:
    """The longest start of ``html`` whose JSON form fits in ``budget`` bytes."""

    def size(text: str) -> int:
        return len(json.dumps(text, ensure_ascii=False).encode())

    if size(html) <= budget:
        return html
    low, high = 0, len(html)
    while low < high:
        middle = (low + high + 1) // 2
        if size(html[:middle]) <= budget:
            low = middle
        else:
            high = middle - 1
    return html[:low]


def _variables(*parts: str | None) -> list[str]:
    found: dict[str, None] = {}
    for part in parts:
        if part:
            found.update(dict.fromkeys(parameters(part)))
    return list(found)


@tool(
    "get_message_template",
    title="Read a message template",
    toolset=Toolset.MESSAGING,
    kind=Kind.READ,
    description="""One stored message with its content (HTML cut to fit, with the email's browser link),
    subject, sender, languages and the Velocity variables it reads. One template read (email: two) of
    eSputnik's 500 an hour.""",
    example={"message_id": 3002, "channel": "email"},
)
async def get_message_template(params: GetTemplateInput, ctx: ToolContext) -> Result[TemplateOutput]:
    message = await _stored(ctx, params.channel, params.message_id)
    shown = _version(message, params.language_code)
    html = getattr(shown, "html_text", None) or getattr(shown, "raw_html", None)
    link = None
    if isinstance(message, EmailMessage):
        try:
            link = await ctx.client.templates.view_link(params.message_id)
        except ESputnikError:
            link = None
    cut = cut_html(html) if html else None
    text, action, buttons = _text(shown), getattr(shown, "link", None), _buttons(shown) or []
    out = TemplateOutput(
        id=params.message_id,
        channel=params.channel,
        name=shown.name,
        language_code=shown.language_code or params.language_code,
        languages=_languages(message),
        tags=shown.tags,
        sender=_sender(shown),
        subject=_subject(shown),
        html=cut,
        html_chars=len(html) if html and cut != html else None,
        view_link=link,
        text=text,
        link=action,
        image_url=getattr(shown, "img", None) or getattr(shown, "image_source", None),
        buttons=buttons or None,
        ttl_seconds=getattr(shown, "ttl_sec", None),
        transactional=getattr(shown, "transactional", None),
        variables=_variables(
            _subject(shown), html, text, action, getattr(shown, "sms_content", None), *(b.link for b in buttons)
        ),
    )
    summary = f"{params.channel} template {params.message_id} {quoted(shown.name)}"
    if out.variables:
        summary += f"; reads {', '.join(out.variables[:10])}"
    if out.html_chars is not None and cut is not None:
        out.note = f"html cut to {len(cut)} of {out.html_chars} characters to fit; view_link shows it whole"
        summary += f" (html cut to {len(cut)} of {out.html_chars} characters: see view_link)"
    return Result(summary, out)


# --- create_message_template / update_message_template -------------------------------------------


class TemplateFields(ToolInput):
    """The writable fields of a stored email, SMS or Viber message."""

    channel: Literal["email", "sms", "viber"]
    sender: Annotated[str | None, Field(min_length=1), at_most(320)] = None
    subject: Annotated[str | None, Field(min_length=1)] = None
    html: Annotated[str | None, Field(min_length=1)] = None
    text: Annotated[str | None, Field(min_length=1)] = None
    track_urls: bool | None = None
    transactional: bool | None = None
    image_url: Annotated[str | None, Field(min_length=1)] = None
    caption: Annotated[str | None, Field(min_length=1)] = None
    button: Annotated[str | None, Field(min_length=1)] = None
    ttl_seconds: Annotated[int | None, Field(ge=1, le=2**31 - 1)] = None
    sms_fallback: Annotated[str | None, Field(min_length=1, description="SMS text for contacts without Viber.")] = None
    sms_sender: Annotated[str | None, Field(min_length=1), at_most(64)] = None
    tags: Tags | None = None

    @model_validator(mode="after")
    def _fields_of_the_channel(self) -> TemplateFields:
        foreign = [name for name in _FIELDS if getattr(self, name) is not None and self.channel not in _FIELDS[name]]
        if foreign:
            raise ValueError(f"{', '.join(foreign)}: not a field of {self.channel} messages")
        return self

    def given(self) -> dict[str, Any]:
        """The message fields this call sets, by the API's names."""
        names = {n: w for n, w in _WIRE.items() if getattr(self, n, None) is not None}
        found: dict[str, Any] = {wire: getattr(self, name) for name, wire in names.items()}
        if self.sms_fallback is not None:
            found["sms_fallback"], found["sms_content"] = True, self.sms_fallback
        return found


# parameter → the channels it belongs to
_FIELDS: dict[str, tuple[str, ...]] = {
    "subject": ("email",),
    "html": ("email",),
    "text": ("sms", "viber"),
    "track_urls": ("sms",),
    "transactional": ("viber",),
    "image_url": ("viber",),
    "caption": ("viber",),
    "button": ("viber",),
    "ttl_seconds": ("viber",),
    "sms_fallback": ("viber",),
    "sms_sender": ("viber",),
}
# parameter → the field of the request model (esputnik_mcp.api.models.*MessageInput)
_WIRE = {
    "name": "name",
    "sender": "from_",
    "subject": "subject",
    "html": "html_text",
    "text": "text",
    "track_urls": "track_urls",
    "transactional": "transactional",
    "image_url": "img",
    "caption": "caption",
    "button": "action",
    "ttl_seconds": "ttl_sec",
    "sms_sender": "sms_sender",
    "tags": "tags",
    "language_code": "language_code",
}
_MODELS: dict[str, type[MessageInput]] = {
    "email": EmailMessageInput,
    "sms": SmsMessageInput,
    "viber": ViberMessageInput,
}


def _message(channel: str, fields: dict[str, Any]) -> MessageInput:
    """The request model of ``channel`` from ``fields``; a refusal naming what is missing or wrong."""
    model = _MODELS[channel]
    try:
        return model.model_validate({k: v for k, v in fields.items() if k in model.model_fields})
    except ValidationError as exc:
        problems = exc.errors()
        missing = [_param(model, e["loc"][0]) for e in problems if e["type"] == "missing" and e["loc"]]
        if missing:
            article = {"email": "an email", "sms": "an SMS", "viber": "a Viber"}[channel]
            raise ToolFailure(f"nothing was saved: {article} message needs {', '.join(missing)}") from None
        why = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in problems)
        raise ToolFailure(f"nothing was saved: {why}") from None


def _param(model: type[MessageInput], loc: str | int) -> str:
    """A request-model field, as its error names it (``from``), as the tools name it (``sender``)."""
    field = next((n for n, f in model.model_fields.items() if loc in (n, f.alias)), str(loc))
    return next((name for name, wire in _WIRE.items() if wire == field), field)


async def _checked_sender(ctx: ToolContext, channel: str, sender: str | None) -> str | None:
    """The sender to store: the one given, else the default of email and SMS; checked against the
    account's senders (email, SMS). eSputnik lists no Viber senders: it checks those itself."""
    chosen = sender or {"email": ctx.settings.email_sender, "sms": ctx.settings.sms_sender}.get(channel)
    if chosen and channel in ("email", "sms"):
        try:
            await check_sender(ctx, channel, chosen)
        except ToolFailure as exc:
            raise ToolFailure(exc.message.replace("nothing was sent", "nothing was saved", 1)) from None
    return chosen


def _used(message: MessageInput) -> list[str]:
    fields = message.model_dump(by_alias=False)
    return _variables(
        *(fields.get(k) for k in ("subject", "html_text", "raw_html", "amp_html", "text", "action", "sms_content"))
    )


class SavedTemplate(ToolOutput):
    id: int = Field(description="The message_id for get_message_template and sends.")
    channel: str
    language_code: str | None = None
    variables: list[str] = Field(description="Velocity variables it reads, e.g. data.orderId, firstName.")


def _saved_summary(verb: str, out: SavedTemplate, name: str | None) -> str:
    language = f" ({out.language_code} version)" if out.language_code else ""
    reads = f"; reads {', '.join(out.variables[:10])}" if out.variables else "; reads no variables"
    return f"{verb} {out.channel} template {out.id} {quoted(name)}{language}{reads}"


class CreateTemplateInput(TemplateFields):
    name: Annotated[str, Field(min_length=1, max_length=255)]
    language_code: Annotated[LanguageCode | None, Field(description="The message's language.")] = None

    def target(self) -> str:
        """What the call changes, for the audit log."""
        return f"create {self.channel} template"


@tool(
    "create_message_template",
    title="Create a message template",
    toolset=Toolset.MESSAGING,
    kind=Kind.WRITE,
    idempotent=False,
    target=CreateTemplateInput.target,
    description="""Store a new message as given (Velocity allowed), to send by id. email: subject, html;
    sms: text; viber: text, image_url with caption and button (link), transactional (text only). sender
    defaults to the server's. Returns its id and the variables it reads.""",
    example={"channel": "sms", "name": "Pickup ready", "text": "$!{firstName}, order ${data.orderId} is ready."},
)
async def create_message_template(params: CreateTemplateInput, ctx: ToolContext) -> Result[SavedTemplate]:
    fields = params.given()
    sender = await _checked_sender(ctx, params.channel, params.sender)
    if sender is not None:
        fields["from_"] = sender
    message = _message(params.channel, fields)
    created = await ctx.client.templates.create(params.channel, message)
    out = SavedTemplate(
        id=created, channel=params.channel, language_code=params.language_code, variables=_used(message)
    )
    return Result(_saved_summary("created", out, params.name), out)


class UpdateTemplateInput(TemplateFields):
    message_id: MessageId
    name: Annotated[str | None, Field(min_length=1, max_length=255)] = None
    language_code: Annotated[LanguageCode | None, Field(description="Edit this language version.")] = None


def _current(message: StoredMessage) -> dict[str, Any]:
    """A stored message's writable fields, by the request model's names."""
    kept = (*_WIRE.values(), "raw_html", "css", "amp_html", "sms_fallback", "sms_content")
    fields = {wire: getattr(message, wire, None) for wire in kept}
    fields["tags"] = message.tags or None
    return {k: v for k, v in fields.items() if v is not None}


def _update_target(params: UpdateTemplateInput) -> str:
    language = f" ({params.language_code} version)" if params.language_code else ""
    return f"update {params.channel} template {params.message_id}{language}"


@tool(
    "update_message_template",
    title="Update a message template",
    toolset=Toolset.MESSAGING,
    kind=Kind.WRITE,
    destructive=True,
    target=_update_target,
    description="""Change the given fields (create_message_template's) of a stored message, or of its
    language_code version (added if new); the rest is kept. A template read and a write. Returns the
    variables it reads.""",
    example={"message_id": 4002, "channel": "sms", "tags": ["order", "delivery"]},
)
async def update_message_template(params: UpdateTemplateInput, ctx: ToolContext) -> Result[SavedTemplate]:
    stored = await _stored(ctx, params.channel, params.message_id)
    base = stored
    if params.language_code is not None:
        wanted = params.language_code.lower()
        versions = cast("list[StoredMessage]", getattr(stored, "translations", []))
        base = next((t for t in versions if (t.language_code or "").lower() == wanted), stored)
    fields = {**_current(stored), **_current(base), **params.given()}
    if params.sender is not None:
        fields["from_"] = await _checked_sender(ctx, params.channel, params.sender)
    dropped = [name for name in _OTHER_HTML if params.html is not None and fields.pop(name, None) is not None]
    message = _message(params.channel, fields)
    await ctx.client.templates.update(params.channel, params.message_id, message, language_code=params.language_code)
    out = SavedTemplate(
        id=params.message_id, channel=params.channel, language_code=params.language_code, variables=_used(message)
    )
    summary = _saved_summary("updated", out, fields.get("name"))
    if dropped:
        summary += f"; its {' and '.join(_OTHER_HTML[n] for n in dropped)}, made for the old html, were removed"
    return Result(summary, out)


# Versions of an email's HTML besides htmlText, which a new html would leave stale.
_OTHER_HTML = {"raw_html": "editor HTML", "css": "styles", "amp_html": "AMP version"}


# --- list_senders --------------------------------------------------------------------------------


class ListSendersInput(ToolInput):
    channel: Literal["email", "sms"]


class SendersOutput(ToolOutput):
    channel: str
    senders: list[str] = Field(description="Each usable as a send's sender.")
    default_sender: str | None = Field(default=None, description="Used when a send names none.")
    default_listed: bool | None = Field(default=None, description="Whether the default is one of senders.")


@tool(
    "list_senders",
    title="List senders",
    toolset=Toolset.MESSAGING,
    kind=Kind.READ,
    description="""The account's email senders or SMS alpha names (what a send's sender may be), and the
    server's default. One read, reused for five minutes. eSputnik lists no Viber senders.""",
    example={"channel": "email"},
)
async def list_senders(params: ListSendersInput, ctx: ToolContext) -> Result[SendersOutput]:
    found = await (ctx.client.senders.email() if params.channel == "email" else ctx.client.senders.sms())
    senders = list(dict.fromkeys(s.value for s in found if s.value))
    default = ctx.settings.email_sender if params.channel == "email" else ctx.settings.sms_sender
    listed = None
    if default:
        listed = default.casefold() in {s.casefold() for s in senders}
        if params.channel == "email" and not listed:
            wanted = parseaddr(default)[1].lower()
            listed = any(parseaddr(s)[1].lower() == wanted for s in senders)
    out = SendersOutput(channel=params.channel, senders=senders, default_sender=default, default_listed=listed)
    summary = f"{len(senders)} {params.channel} senders"
    if default:
        verdict = "one of them" if listed else "NOT one of them: a send without a sender fails"
        summary += f"; the default {default!r} is {verdict}"
    return Result(summary, out)
