"""Stored messages (templates): search and read the messages of every channel, the browser link of
an email message, create and update email, SMS and Viber messages and their language versions
(esputnik-api.md §9).

eSputnik allows 500 template reads an hour (searches, gets and view links alike), so answers are
kept for a minute; a create or an update forgets them, so that what was written is read back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Mapping
from typing import Literal, TypeVar, overload

from esputnik_mcp.api._parse import page, parse
from esputnik_mcp.api.errors import AmbiguousOutcomeError, RequestValidationError
from esputnik_mcp.api.http import Endpoint, HttpCore, Response
from esputnik_mcp.api.limiter import TEMPLATE_READS
from esputnik_mcp.api.limits import MAX_ROWS
from esputnik_mcp.api.models import (
    AppInboxMessage,
    EmailMessage,
    EmailMessageInput,
    EmailTemplate,
    IdResult,
    MessageInput,
    MobilePushMessage,
    SmsMessage,
    SmsMessageInput,
    SmsTemplate,
    StoredMessage,
    TelegramMessage,
    ViberMessage,
    ViberMessageInput,
    ViewLink,
    WireModel,
)
from esputnik_mcp.api.paging import Page, check_page
from esputnik_mcp.api.retry import Safety

SEARCH_EMAIL = Endpoint("GET", "/v1/messages/email", Safety.READ, "searchEmails", TEMPLATE_READS)
SEARCH_SMS = Endpoint("GET", "/v1/messages/sms", Safety.READ, "searchSms", TEMPLATE_READS)
GET_EMAIL = Endpoint("GET", "/v1/messages/email/{id}", Safety.READ, "getEmail", TEMPLATE_READS)
GET_SMS = Endpoint("GET", "/v1/messages/sms/{id}", Safety.READ, "getSms", TEMPLATE_READS)
GET_VIBER = Endpoint("GET", "/v1/messages/viber/{id}", Safety.READ, "getViberMessage", TEMPLATE_READS)
GET_MOBILEPUSH = Endpoint("GET", "/v1/messages/mobilepush/{id}", Safety.READ, "getMobilePushMessage", TEMPLATE_READS)
GET_APPINBOX = Endpoint("GET", "/v1/messages/appinbox/{id}", Safety.READ, "getAppInboxMessage", TEMPLATE_READS)
GET_TELEGRAM = Endpoint("GET", "/v1/messages/telegram/{id}", Safety.READ, "getTelegramBotMessage", TEMPLATE_READS)
SEARCH_VIBER = Endpoint("GET", "/v1/messages/viber", Safety.READ, "searchViberMessages", TEMPLATE_READS)
SEARCH_MOBILEPUSH = Endpoint("GET", "/v1/messages/mobilepush", Safety.READ, "searchMobPushMessages", TEMPLATE_READS)
SEARCH_APPINBOX = Endpoint("GET", "/v1/messages/appinbox", Safety.READ, "searchAppInboxMessages", TEMPLATE_READS)
SEARCH_TELEGRAM = Endpoint("GET", "/v1/messages/telegram", Safety.READ, "searchTelegramBotMessages", TEMPLATE_READS)
VIEW_LINK = Endpoint("GET", "/v1/messages/email/{id}/viewLink", Safety.READ, "getEmailMessageViewLink", TEMPLATE_READS)
# A create repeated after a lost answer would make a second message: never repeated blindly.
ADD_EMAIL = Endpoint("POST", "/v1/messages/email", Safety.UNREPEATABLE, "addEmail")
ADD_SMS = Endpoint("POST", "/v1/messages/sms", Safety.UNREPEATABLE, "addSmsMessage")
ADD_VIBER = Endpoint("POST", "/v1/messages/viber", Safety.UNREPEATABLE, "addViberMessage")
UPDATE_EMAIL = Endpoint("PUT", "/v1/messages/email/{id}", Safety.IDEMPOTENT, "updateMessage", expect="text")
UPDATE_SMS = Endpoint("PUT", "/v1/messages/sms/{id}", Safety.IDEMPOTENT, "updateBaseSmsMessage", expect="text")
UPDATE_VIBER = Endpoint("PUT", "/v1/messages/viber/{id}", Safety.IDEMPOTENT, "updateBaseViberMessage", expect="text")
TRANSLATE_EMAIL = Endpoint(
    "PUT", "/v1/messages/email/{id}/{language}", Safety.IDEMPOTENT, "updateMessage_1", expect="text"
)
TRANSLATE_SMS = Endpoint(
    "PUT", "/v1/messages/sms/{id}/{language}", Safety.IDEMPOTENT, "updateTranslateSmsMessage", expect="text"
)
TRANSLATE_VIBER = Endpoint(
    "PUT", "/v1/messages/viber/{id}/{language}", Safety.IDEMPOTENT, "updateTranslateViberMessage", expect="text"
)

CACHE_SECONDS = 60.0
MAX_MESSAGE_ID = 2**31 - 1  # message ids are int32 (SPEC)

TemplateChannel = Literal["email", "sms", "viber", "mobilepush", "appinbox", "telegram"]
"""The channels with stored messages, as their paths name them (``/v1/messages/<channel>``)."""

_GETS: Mapping[str, tuple[Endpoint, type[StoredMessage]]] = {
    "email": (GET_EMAIL, EmailMessage),
    "sms": (GET_SMS, SmsMessage),
    "viber": (GET_VIBER, ViberMessage),
    "mobilepush": (GET_MOBILEPUSH, MobilePushMessage),
    "appinbox": (GET_APPINBOX, AppInboxMessage),
    "telegram": (GET_TELEGRAM, TelegramMessage),
}

_SEARCHES: Mapping[str, tuple[Endpoint, type[StoredMessage]]] = {
    "email": (SEARCH_EMAIL, EmailMessage),
    "sms": (SEARCH_SMS, SmsMessage),
    "viber": (SEARCH_VIBER, ViberMessage),
    "mobilepush": (SEARCH_MOBILEPUSH, MobilePushMessage),
    "appinbox": (SEARCH_APPINBOX, AppInboxMessage),
    "telegram": (SEARCH_TELEGRAM, TelegramMessage),
}

WritableChannel = Literal["email", "sms", "viber"]
"""The channels whose stored messages this client creates and updates."""

# channel: (request model, create, update the base message, add or update a language version)
_WRITES: Mapping[str, tuple[type[MessageInput], Endpoint, Endpoint, Endpoint]] = {
    "email": (EmailMessageInput, ADD_EMAIL, UPDATE_EMAIL, TRANSLATE_EMAIL),
    "sms": (SmsMessageInput, ADD_SMS, UPDATE_SMS, TRANSLATE_SMS),
    "viber": (ViberMessageInput, ADD_VIBER, UPDATE_VIBER, TRANSLATE_VIBER),
}

M = TypeVar("M", bound=WireModel)
T = TypeVar("T")


class TemplatesApi:
    def __init__(self, http: HttpCore) -> None:
        self._http = http
        self._cache: dict[Hashable, tuple[float, Response]] = {}

    async def search_email(
        self, *, search: str | None = None, start_index: int = 1, max_rows: int = MAX_ROWS
    ) -> Page[EmailTemplate]:
        """Email messages whose name or tag matches ``search`` (all when None)."""
        return await self._search(EmailTemplate, SEARCH_EMAIL, search, start_index, max_rows)

    async def search_sms(
        self, *, search: str | None = None, start_index: int = 1, max_rows: int = MAX_ROWS
    ) -> Page[SmsTemplate]:
        """SMS messages whose name or tag matches ``search`` (all when None)."""
        return await self._search(SmsTemplate, SEARCH_SMS, search, start_index, max_rows)

    async def search(
        self, channel: TemplateChannel, *, search: str | None = None, start_index: int = 1, max_rows: int = MAX_ROWS
    ) -> Page[StoredMessage]:
        """Stored messages of ``channel`` whose name or tag matches ``search`` (all when None), each
        as the channel's message model (``EmailMessage``, ``ViberMessage`` …)."""
        endpoint, model = _channel_entry(_SEARCHES, channel)
        found = await self._search(model, endpoint, search, start_index, max_rows)
        return Page(items=list(found.items), start_index=found.start_index, max_rows=found.max_rows, total=found.total)

    async def view_link(self, message_id: int) -> str | None:
        """The address at which email message ``message_id`` can be seen in a browser."""
        _check_id(message_id)
        return await self._read(
            (VIEW_LINK.path, message_id),
            lambda: self._http.call(VIEW_LINK, path_params={"id": message_id}),
            lambda response: parse(ViewLink, response.data, VIEW_LINK).link or None,
        )

    async def create(self, channel: WritableChannel, message: MessageInput) -> int:
        """Create a stored message of ``channel``; its id. The message model must be the channel's
        (``EmailMessageInput``, ``SmsMessageInput``, ``ViberMessageInput``)."""
        model, endpoint, _, _ = _channel_entry(_WRITES, channel)
        _check_model(channel, message, model)
        self._cache.clear()
        response = await self._http.call(endpoint, json_body=message.wire())
        created = parse(IdResult, response.data, endpoint).id
        if created is None:
            raise _no_id(endpoint)
        return created

    async def update(
        self, channel: WritableChannel, message_id: int, message: MessageInput, *, language_code: str | None = None
    ) -> None:
        """Replace stored message ``message_id`` of ``channel`` with ``message`` (every field: what
        is left out is cleared), or, with ``language_code``, add or replace that language version."""
        model, _, base, translation = _channel_entry(_WRITES, channel)
        _check_model(channel, message, model)
        _check_id(message_id)
        self._cache.clear()
        if language_code is None:
            await self._http.call(base, path_params={"id": message_id}, json_body=message.wire())
            return
        if not language_code.strip():
            raise RequestValidationError("language_code must not be empty")
        path = {"id": message_id, "language": language_code}
        await self._http.call(translation, path_params=path, json_body=message.wire())

    @overload
    async def get(self, channel: Literal["email"], message_id: int) -> EmailMessage: ...
    @overload
    async def get(self, channel: Literal["sms"], message_id: int) -> SmsMessage: ...
    @overload
    async def get(self, channel: Literal["viber"], message_id: int) -> ViberMessage: ...
    @overload
    async def get(self, channel: Literal["mobilepush"], message_id: int) -> MobilePushMessage: ...
    @overload
    async def get(self, channel: Literal["appinbox"], message_id: int) -> AppInboxMessage: ...
    @overload
    async def get(self, channel: Literal["telegram"], message_id: int) -> TelegramMessage: ...
    @overload
    async def get(self, channel: TemplateChannel, message_id: int) -> StoredMessage: ...

    async def get(self, channel: TemplateChannel, message_id: int) -> StoredMessage:
        """Stored message ``message_id`` of ``channel`` with its content and language versions.

        An unknown id raises :class:`NotFoundError`; so, presumably, does the id of another
        channel's message, as each channel reads through its own path (the sandbox answers so).
        """
        endpoint, model = _channel_entry(_GETS, channel)
        _check_id(message_id)
        return await self._read(
            (endpoint.path, message_id),
            lambda: self._http.call(endpoint, path_params={"id": message_id}),
            lambda response: parse(model, response.data, endpoint),
        )

    async def _search(
        self, model: type[M], endpoint: Endpoint, search: str | None, start_index: int, max_rows: int
    ) -> Page[M]:
        check_page(start_index, max_rows)
        params = {"search": search, "startindex": start_index, "maxrows": max_rows}
        return await self._read(
            (endpoint.path, search, start_index, max_rows),
            lambda: self._http.call(endpoint, params=params),
            lambda response: page(model, response, endpoint, start_index, max_rows),
        )

    async def _read(self, key: Hashable, fetch: Callable[[], Awaitable[Response]], read: Callable[[Response], T]) -> T:
        """``read`` of the answer to ``fetch``, reusing an answer under ``key`` younger than a
        minute. An answer is kept only once it has been read successfully, so a malformed one is
        asked for again instead of being repeated for a minute."""
        now = self._http.clock()
        cached = self._cache.get(key)
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            return read(cached[1])
        response = await fetch()
        result = read(response)
        self._cache = {k: v for k, v in self._cache.items() if now - v[0] < CACHE_SECONDS}
        self._cache[key] = (now, response)
        return result


E = TypeVar("E")


def _channel_entry(table: Mapping[str, E], channel: str) -> E:
    found = table.get(channel)
    if found is None:
        raise RequestValidationError(f"channel must be one of {', '.join(table)}; got {channel!r}")
    return found


def _check_id(message_id: int) -> None:
    if isinstance(message_id, bool) or not 1 <= message_id <= MAX_MESSAGE_ID:
        raise RequestValidationError(f"message_id must be a positive 32-bit integer; got {message_id!r}")


def _check_model(channel: str, message: MessageInput, model: type[MessageInput]) -> None:
    if not isinstance(message, model):
        raise RequestValidationError(f"a {channel} message is a {model.__name__}; got {type(message).__name__}")


def _no_id(endpoint: Endpoint) -> AmbiguousOutcomeError:
    return AmbiguousOutcomeError(
        f"outcome unknown: eSputnik accepted {endpoint.name} but named no id; the message was probably created",
        method=endpoint.method,
        path=endpoint.path,
    )
