"""The inbox for eSputnik's data-export webhook, under ``serve --http`` (esputnik-api.md §16).

- ``GET`` answers 200: eSputnik checks the URL with a GET when the export is saved.
- ``POST`` takes a JSON array of activity objects, or one object. The answer is 200 only once every
  event is durably stored (eSputnik retries anything else, and holds later events back until it
  succeeds, so order is kept); a repeated delivery stores nothing twice.
- Authentication is what eSputnik's export form offers: HTTP Basic and/or a custom header, each
  compared in constant time; with both configured, both must match. The MCP bearer tokens do not
  open the inbox, and its secrets do not open ``/mcp``. Without either the inbox is not served.
- A body over ``ESPUTNIK_WEBHOOK_MAX_BYTES`` is refused with 413 before it is read whole; a
  malformed body gets 400 with the reason and nothing is stored; a store that cannot take the
  events answers 503, so that eSputnik tries again.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import math
from typing import TYPE_CHECKING

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from esputnik_mcp.inbox import Inbox, InboxRefusal
from esputnik_mcp.server import metrics
from esputnik_mcp.settings import Settings
from esputnik_mcp.store.base import StoreUnavailable

if TYPE_CHECKING:
    from esputnik_mcp.server.http import FailureThrottle

logger = logging.getLogger("esputnik_mcp.webhook")


class TooLarge(Exception):
    pass


def _digest(value: bytes) -> bytes:
    return hashlib.sha256(value).digest()


class WebhookAuth:
    """The credentials eSputnik's export presents: Basic ``user:password`` and/or one header."""

    def __init__(self, basic: str | None, header: str | None) -> None:
        self._basic = _digest(basic.encode()) if basic else None
        if header:
            name, _, value = header.partition(":")
            self._header: tuple[str, bytes] | None = (name.strip().lower(), _digest(value.strip().encode()))
        else:
            self._header = None

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhookAuth | None:
        """None when neither is configured: the inbox is then not served."""
        basic = settings.webhook_basic_auth.get_secret_value() if settings.webhook_basic_auth else None
        header = settings.webhook_header.get_secret_value() if settings.webhook_header else None
        if not basic and not header:
            return None
        return cls(basic, header)

    @property
    def uses_basic(self) -> bool:
        return self._basic is not None

    def admits(self, request: Request) -> bool:
        ok = True
        if self._basic is not None:
            ok = _matches(self._basic, _basic_credentials(request)) and ok
        if self._header is not None:
            name, expected = self._header
            values = request.headers.getlist(name)
            presented = values[0].strip().encode() if len(values) == 1 else None
            ok = _matches(expected, presented) and ok
        return ok


def _basic_credentials(request: Request) -> bytes | None:
    values = request.headers.getlist("authorization")
    if len(values) != 1:
        return None
    scheme, _, encoded = values[0].partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        return base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None


def _matches(expected: bytes, presented: bytes | None) -> bool:
    """Compared as digests of equal length, whatever was presented: timing reveals nothing."""
    return hmac.compare_digest(expected, _digest(presented if presented is not None else b"\x00missing"))


def _answer(status: int, body: dict[str, object], headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body, separators=(",", ":")), status, headers, media_type="application/json")


async def _read(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


class WebhookInbox:
    """The inbox's endpoint: the door (throttle, credentials), the size cap, then the store."""

    def __init__(self, inbox: Inbox, settings: Settings, auth: WebhookAuth, throttle: FailureThrottle) -> None:
        self.inbox = inbox
        self.auth = auth
        self.throttle = throttle
        self.limit = settings.webhook_max_bytes
        self.path = settings.webhook_path

    def route(self) -> Route:
        return Route(self.path, self.endpoint, methods=["GET", "POST"])

    async def endpoint(self, request: Request) -> Response:
        if request.method == "GET":
            return _answer(200, {"status": "ok"})
        refused = self._at_the_door(request)
        if refused is not None:
            return refused
        try:
            body = await _read(request, self.limit)
        except TooLarge:
            metrics.record_webhook("too_large")
            return _answer(413, {"error": f"body over {self.limit} bytes"}, {"Connection": "close"})
        except ClientDisconnect:
            return _answer(400, {"error": "the body did not arrive whole"})
        return await self._store(body)

    def _at_the_door(self, request: Request) -> Response | None:
        """The answer to a sender that is throttled or presents the wrong credentials; None to go on."""
        address = request.client.host if request.client else "unknown"
        wait = self.throttle.retry_after(address)
        if wait is not None:
            metrics.record_webhook("unauthorized")
            return _answer(429, {"error": "too many failed authentications"}, {"Retry-After": str(math.ceil(wait))})
        if not self.auth.admits(request):
            self.throttle.failed(address)
            metrics.record_webhook("unauthorized")
            challenge = {"WWW-Authenticate": 'Basic realm="esputnik-webhook"'} if self.auth.uses_basic else None
            return _answer(401, {"error": "unauthorized"}, challenge)
        return None

    async def _store(self, body: bytes) -> Response:
        try:
            stored = await self.inbox.receive(body)
        except InboxRefusal as exc:
            metrics.record_webhook("refused")
            return _answer(400, {"error": str(exc)[:300]})
        except StoreUnavailable as exc:
            metrics.record_webhook("unavailable")
            logger.error("webhook delivery not stored, eSputnik will retry: %s", exc)
            return _answer(503, {"error": "not stored; try again"}, {"Retry-After": "60"})
        metrics.record_webhook("stored" if stored else "duplicate")
        return _answer(200, {"stored": stored})
