"""Stored messages (templates): search email and SMS messages (esputnik-api.md §9).

eSputnik allows 500 template reads an hour, so answers are kept for a minute.
"""

from __future__ import annotations

from typing import Any, TypeVar

from esputnik_mcp.api._parse import page
from esputnik_mcp.api.http import Endpoint, HttpCore, Response
from esputnik_mcp.api.limiter import TEMPLATE_READS
from esputnik_mcp.api.limits import MAX_ROWS
from esputnik_mcp.api.models import EmailTemplate, SmsTemplate, WireModel
from esputnik_mcp.api.paging import Page, check_page
from esputnik_mcp.api.retry import Safety

SEARCH_EMAIL = Endpoint("GET", "/v1/messages/email", Safety.READ, "searchEmails", TEMPLATE_READS)
SEARCH_SMS = Endpoint("GET", "/v1/messages/sms", Safety.READ, "searchSms", TEMPLATE_READS)

CACHE_SECONDS = 60.0

M = TypeVar("M", bound=WireModel)


class TemplatesApi:
    def __init__(self, http: HttpCore) -> None:
        self._http = http
        self._cache: dict[tuple[Any, ...], tuple[float, Response]] = {}

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

    async def _search(
        self, model: type[M], endpoint: Endpoint, search: str | None, start_index: int, max_rows: int
    ) -> Page[M]:
        check_page(start_index, max_rows)
        key = (endpoint.path, search, start_index, max_rows)
        now = self._http.clock()
        cached = self._cache.get(key)
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            response = cached[1]
        else:
            params = {"search": search, "startindex": start_index, "maxrows": max_rows}
            response = await self._http.call(endpoint, params=params)
            self._cache = {k: v for k, v in self._cache.items() if now - v[0] < CACHE_SECONDS}
            self._cache[key] = (now, response)
        return page(model, response, endpoint, start_index, max_rows)
