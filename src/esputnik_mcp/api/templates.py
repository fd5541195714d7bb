"""Stored messages (templates): search email and SMS messages, read one message of any channel
(esputnik-api.md §9).

eSputnik allows 500 template reads an hour (searches and gets alike), so answers are kept for a
minute.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Mapping
from typing import Literal, TypeVar, get_args, overload

from esputnik_mcp.api._parse import page, parse
from esputnik_mcp.api.errors import RequestValidationError
from esputnik_mcp.api.http import Endpoint, HttpCore, Response
from esputnik_mcp.api.limiter import TEMPLATE_READS
from esputnik_mcp.api.limits import MAX_ROWS
from esputnik_mcp.api.models import (
    AppInboxMessage,
    EmailMessage,
    EmailTemplate,
    MobilePushMessage,
    SmsMessage,
    SmsTemplate,
    StoredMessage,
    TelegramMessage,
    ViberMessage,
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
        found = _GETS.get(channel)
        if found is None:
            raise RequestValidationError(
                f"channel must be one of {', '.join(get_args(TemplateChannel))}; got {channel!r}"
            )
        if isinstance(message_id, bool) or not 1 <= message_id <= MAX_MESSAGE_ID:
            raise RequestValidationError(f"message_id must be a positive 32-bit integer; got {message_id!r}")
        endpoint, model = found
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
