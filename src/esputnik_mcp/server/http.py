"""Streamable HTTP for teams: stateless, bearer tokens required, Host/Origin checked, ``/health``.

The bearer token authenticates the MCP client only. It is checked in constant time, read from the
``Authorization`` header only (never from the query string), and removed from the request before the
MCP layer sees it, so it can never be forwarded to eSputnik.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from collections.abc import Sequence
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from esputnik_mcp import __version__
from esputnik_mcp.server.runtime import Runtime

MCP_PATH = "/mcp"
HEALTH_PATH = "/health"
LOOPBACK_HOSTS = ["127.0.0.1:*", "localhost:*", "[::1]:*"]
LOOPBACK_ORIGINS = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]


class StartupError(Exception):
    """The HTTP server cannot start as configured; the message says what to change."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class BearerAuth:
    """ASGI middleware: every HTTP request but the open paths needs ``Authorization: Bearer <token>``."""

    def __init__(self, app: ASGIApp, tokens: Sequence[str], open_paths: frozenset[str]) -> None:
        self.app = app
        self._tokens = [t.encode() for t in tokens]
        self._open_paths = open_paths

    def _accepts(self, presented: bytes) -> bool:
        accepted = False
        for token in self._tokens:  # every token is compared, so timing reveals nothing
            accepted |= hmac.compare_digest(token, presented)
        return accepted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self._open_paths:
            await self.app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = list(scope.get("headers", []))
        presented = b""
        for name, value in headers:
            if name.lower() == b"authorization":
                scheme, _, credential = value.partition(b" ")
                if scheme.lower() == b"bearer":
                    presented = credential.strip()
        if not presented or not self._accepts(presented):
            response = JSONResponse(
                {"error": "unauthorized", "error_description": "send Authorization: Bearer <token>"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="esputnik-mcp"'},
            )
            await response(scope, receive, send)
            return
        inner = dict(scope)
        inner["headers"] = [(n, v) for n, v in headers if n.lower() != b"authorization"]
        await self.app(inner, receive, send)


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


def http_app(server: MCPServer[Any], runtime: Runtime, *, host: str, dev_no_auth: bool = False) -> ASGIApp:
    """The ASGI app serving ``server`` over stateless streamable HTTP at ``/mcp``."""
    settings = runtime.settings
    tokens = [t.get_secret_value() for t in settings.http_tokens if t.get_secret_value()]
    if dev_no_auth:
        if not is_loopback(host):
            raise StartupError("--dev-no-auth is for loopback-only development; it cannot serve on " + host)
    elif not tokens:
        raise StartupError(
            "refusing to serve HTTP without bearer tokens: set ESPUTNIK_HTTP_TOKENS (comma-separated), or "
            "pass --dev-no-auth for loopback-only development"
        )

    async def health(request: Request) -> Response:
        body = {
            "status": "ok",
            "version": __version__,
            "backend": "sandbox" if runtime.on_sandbox else "esputnik",
        }
        return Response(json.dumps(body), media_type="application/json")

    server.custom_route(HEALTH_PATH, methods=["GET"])(health)

    app = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=True,
        transport_security=security_settings(host, settings.http_allowed_hosts, settings.http_allowed_origins),
        host=host,
    )
    if dev_no_auth:
        return app
    return BearerAuth(app, tokens, open_paths=frozenset({HEALTH_PATH}))
