"""Streamable HTTP for teams: stateless, bearer tokens required, Host/Origin checked, ``/health``
open, ``/metrics`` for Prometheus.

The bearer token authenticates the MCP client only. It is read from the ``Authorization`` header
only (never from the query string), compared in constant time, and removed from the request before
the MCP layer sees it, so it can never be forwarded to eSputnik. Tokens too short to resist
guessing are refused at start, and an address that keeps presenting wrong ones is made to wait.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import math
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from esputnik_mcp import __version__
from esputnik_mcp.server import metrics
from esputnik_mcp.server.approvals import REQUEST_BASE, request_base
from esputnik_mcp.server.caller import CALLER, fingerprint
from esputnik_mcp.server.runtime import Runtime
from esputnik_mcp.server.webhook import WebhookAuth, WebhookInbox

if TYPE_CHECKING:
    import uvicorn

    from esputnik_mcp.settings import Settings

MCP_PATH = "/mcp"
APPROVAL_PREFIX = "/approve/"
HEALTH_PATH = "/health"
METRICS_PATH = "/metrics"
LOOPBACK_HOSTS = ["127.0.0.1:*", "localhost:*", "[::1]:*"]
LOOPBACK_ORIGINS = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]
# 32 characters of a random token are far beyond guessing at any rate a server can be asked.
MIN_TOKEN_CHARS = 32
FAILURES_PER_WINDOW = 10
FAILURE_WINDOW_SECONDS = 60.0
TRACKED_ADDRESSES = 10_000


class StartupError(Exception):
    """The HTTP server cannot start as configured; the message says what to change."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class FailureThrottle:
    """Failed authentications per client address, counted in windows of a minute from the first
    failure. Past ``limit`` failures an address is refused until its window ends, so tokens cannot
    be guessed at the speed of the network. The table is bounded: the oldest windows go first."""

    def __init__(
        self,
        limit: int = FAILURES_PER_WINDOW,
        window: float = FAILURE_WINDOW_SECONDS,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_addresses: int = TRACKED_ADDRESSES,
    ) -> None:
        self._limit = limit
        self._window = window
        self._clock = clock
        self._max_addresses = max_addresses
        self._windows: dict[str, tuple[float, int]] = {}  # address -> (window start, failures), oldest first

    def retry_after(self, address: str) -> float | None:
        """Seconds ``address`` must wait before it may try again, or None when it may now."""
        entry = self._windows.get(address)
        if entry is None:
            return None
        started, failures = entry
        left = started + self._window - self._clock()
        if left <= 0:
            del self._windows[address]
            return None
        return left if failures >= self._limit else None

    def failed(self, address: str) -> None:
        now = self._clock()
        entry = self._windows.pop(address, None)
        if entry is None or entry[0] + self._window <= now:
            entry = (now, 0)
        self._windows[address] = (entry[0], entry[1] + 1)
        while len(self._windows) > self._max_addresses:
            del self._windows[next(iter(self._windows))]


def _error(status: int, error: str, description: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"error": error, "error_description": description}, status_code=status, headers=headers)


class BearerAuth:
    """ASGI middleware: every HTTP request but the open paths needs ``Authorization: Bearer <token>``.

    While the request is served, :data:`~esputnik_mcp.server.caller.CALLER` names the token that
    authenticated it (a fingerprint, never the token), so that limits count per token.
    """

    def __init__(
        self,
        app: ASGIApp,
        tokens: Sequence[str],
        open_paths: frozenset[str],
        throttle: FailureThrottle | None = None,
    ) -> None:
        self.app = app
        # Digests of equal length: comparing them reveals neither a token nor its length.
        self._tokens = [(hashlib.sha256(t.encode()).digest(), fingerprint(t)) for t in tokens]
        self._open_paths = open_paths
        self._throttle = throttle or FailureThrottle()

    def _caller(self, presented: bytes) -> str | None:
        """The fingerprint of the token ``presented`` is, or None when it is none of them."""
        digest = hashlib.sha256(presented).digest()
        caller = None
        for token, name in self._tokens:  # every token is compared, so timing reveals nothing
            if hmac.compare_digest(token, digest):
                caller = name
        return caller

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self._open_paths or scope["path"].startswith(APPROVAL_PREFIX):
            # The approval page is opened by a person's browser, which has no token: the secret in
            # its URL is what grants it.
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        address = str(client[0]) if client else "unknown"
        wait = self._throttle.retry_after(address)
        if wait is not None:
            metrics.record_cutoff("auth_throttled")
            response = _error(
                429,
                "too_many_failed_attempts",
                "too many failed authentications from this address; wait and try again",
                {"Retry-After": str(math.ceil(wait))},
            )
            await response(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = list(scope.get("headers", []))
        credentials = [value for name, value in headers if name.lower() == b"authorization"]
        caller = None
        if len(credentials) == 1:
            scheme, _, credential = credentials[0].partition(b" ")
            if scheme.lower() == b"bearer" and credential.strip():
                caller = self._caller(credential.strip())
        if caller is None:
            self._throttle.failed(address)
            metrics.record_cutoff("unauthorized")
            if len(credentials) > 1:
                # Two credentials: proxies and frameworks disagree on which one counts; accept neither.
                response = _error(400, "invalid_request", "send exactly one Authorization header")
            else:
                response = _error(
                    401,
                    "unauthorized",
                    "send Authorization: Bearer <token>",
                    {"WWW-Authenticate": 'Bearer realm="esputnik-mcp"'},
                )
            await response(scope, receive, send)
            return
        inner = dict(scope)
        inner["headers"] = [(n, v) for n, v in headers if n.lower() != b"authorization"]
        reset = CALLER.set(caller)
        try:
            await self.app(inner, receive, send)
        finally:
            CALLER.reset(reset)


def security_settings(
    host: str, allowed_hosts: Sequence[str], allowed_origins: Sequence[str]
) -> TransportSecuritySettings:
    if not allowed_hosts and not is_loopback(host):
        raise StartupError(
            f"serving on {host} needs ESPUTNIK_HTTP_ALLOWED_HOSTS (the Host names clients use, e.g. "
            "mcp.example.com or mcp.example.com:*), so that DNS-rebinding requests are refused"
        )
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=list(allowed_hosts) or LOOPBACK_HOSTS,
        allowed_origins=list(allowed_origins) or LOOPBACK_ORIGINS,
    )


def bearer_tokens(settings: Settings, *, host: str, dev_no_auth: bool) -> list[str]:
    """The accepted tokens; raises StartupError when HTTP cannot be served safely with them."""
    tokens = [t.get_secret_value().strip() for t in settings.http_tokens if t.get_secret_value().strip()]
    if dev_no_auth:
        if not is_loopback(host):
            raise StartupError("--dev-no-auth is for loopback-only development; it cannot serve on " + host)
        return []
    if not tokens:
        raise StartupError(
            "refusing to serve HTTP without bearer tokens: set ESPUTNIK_HTTP_TOKENS (comma-separated), or "
            "pass --dev-no-auth for loopback-only development"
        )
    short = [str(n) for n, token in enumerate(tokens, 1) if len(token) < MIN_TOKEN_CHARS]
    if short:
        raise StartupError(
            f"ESPUTNIK_HTTP_TOKENS: {'token' if len(short) == 1 else 'tokens'} {', '.join(short)} of {len(tokens)} "
            f"{'is' if len(short) == 1 else 'are'} shorter than {MIN_TOKEN_CHARS} characters, short enough to be "
            "guessed; generate tokens with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
        )
    return tokens


class RequestBase:
    """ASGI middleware: while a request is served, :data:`REQUEST_BASE` holds the scheme and host it
    came to, so that links to the approval page point where the client reached this server."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        reset = REQUEST_BASE.set(request_base(scope))
        try:
            await self.app(scope, receive, send)
        finally:
            REQUEST_BASE.reset(reset)


def http_app(server: MCPServer[Any], runtime: Runtime, *, host: str, dev_no_auth: bool = False) -> ASGIApp:
    """The ASGI app serving ``server`` over stateless streamable HTTP at ``/mcp``, and the approval
    pages at ``/approve/...``."""
    settings = runtime.settings
    tokens = bearer_tokens(settings, host=host, dev_no_auth=dev_no_auth)
    metrics.enable()

    async def health(request: Request) -> Response:
        body = {
            "status": "ok",
            "version": __version__,
            "backend": "sandbox" if runtime.on_sandbox else "esputnik",
        }
        return Response(json.dumps(body), media_type="application/json")

    async def scrape(request: Request) -> Response:
        body, content_type = metrics.exposition()
        return Response(body, headers={"Content-Type": content_type})

    server.custom_route(HEALTH_PATH, methods=["GET"])(health)
    server.custom_route(METRICS_PATH, methods=["GET"])(scrape)
    for route in runtime.gate.desk.routes():
        server.custom_route(route.path, methods=sorted(route.methods or ()))(route.endpoint)
    open_paths = {HEALTH_PATH}
    webhook_auth = WebhookAuth.from_settings(settings)
    if webhook_auth is not None:
        path = settings.webhook_path
        if path in (MCP_PATH, HEALTH_PATH, METRICS_PATH) or path.startswith(APPROVAL_PREFIX.rstrip("/")):
            raise StartupError(f"ESPUTNIK_WEBHOOK_PATH {path} is taken by another of the server's routes")
        route = WebhookInbox(runtime.inbox, settings, webhook_auth, FailureThrottle()).route()
        server.custom_route(route.path, methods=sorted(route.methods or ()))(route.endpoint)
        open_paths.add(path)  # its own credentials guard it, not the bearer tokens

    app = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=True,
        transport_security=security_settings(host, settings.http_allowed_hosts, settings.http_allowed_origins),
        host=host,
    )
    if dev_no_auth:
        return RequestBase(app)
    return RequestBase(BearerAuth(app, tokens, open_paths=frozenset(open_paths)))


def server_config(
    app: ASGIApp,
    settings: Settings,
    *,
    host: str,
    port: int,
    log_level: str | None = None,
    open_file_limit: int | None = None,
) -> uvicorn.Config:
    """uvicorn's configuration for ``app``: the hardened HTTP/1.1 protocol with the settings' limits
    (the connection cap lowered to what ``open_file_limit`` allows), and the log records handed to
    this server's own logging (``server.logs``), so that they are formatted and scrubbed like ours."""
    import uvicorn

    from esputnik_mcp.server.hardening import Limits, connection_cap, protocol_class

    limits = Limits.from_settings(settings)
    cap = connection_cap(limits.max_connections, open_file_limit)
    if cap != limits.max_connections:
        limits = Limits(cap, limits.header_timeout, limits.body_timeout, limits.stream_timeout)
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=protocol_class(limits),
        ws="none",  # MCP needs no WebSocket, and an upgraded connection would leave the hardened protocol
        log_config=None,
        log_level=log_level,
        access_log=False,
        lifespan="on",
    )
