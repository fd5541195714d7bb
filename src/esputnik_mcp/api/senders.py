"""Sender interfaces: the email senders and SMS alpha names the account may send from
(esputnik-api.md §3.4).

They change rarely (an account owner adds a sender in the eSputnik UI) while a send checks its
``from`` against them every time, so answers are kept for five minutes.
"""

from __future__ import annotations

from esputnik_mcp.api._parse import parse_list
from esputnik_mcp.api.http import Endpoint, HttpCore, Response
from esputnik_mcp.api.models import Sender
from esputnik_mcp.api.retry import Safety

EMAIL = Endpoint("GET", "/v1/interfaces/email", Safety.READ, "getEmailInterfaces")
SMS = Endpoint("GET", "/v1/interfaces/sms", Safety.READ, "getSmsInterfaces")

CACHE_SECONDS = 300.0


class SendersApi:
    def __init__(self, http: HttpCore) -> None:
        self._http = http
        self._cache: dict[str, tuple[float, Response]] = {}

    async def email(self) -> list[Sender]:
        """The account's email senders; each ``value`` is a sender usable as an email's ``from``."""
        return await self._senders(EMAIL)

    async def sms(self) -> list[Sender]:
        """The account's SMS alpha names; each ``value`` is usable as an SMS's ``from``."""
        return await self._senders(SMS)

    async def _senders(self, endpoint: Endpoint) -> list[Sender]:
        """The senders of one kind; an answer is kept only once it has been read successfully, so
        a malformed one is asked for again rather than repeated for five minutes."""
        now = self._http.clock()
        cached = self._cache.get(endpoint.path)
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            return parse_list(Sender, cached[1].data, endpoint)
        response = await self._http.call(endpoint)
        senders = parse_list(Sender, response.data, endpoint)
        self._cache[endpoint.path] = (now, response)
        return senders
