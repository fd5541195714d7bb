"""An httpx2 transport straight into the sandbox app: no socket, no port."""

from __future__ import annotations

from typing import Any

import httpx2 as httpx
from starlette.types import ASGIApp, Message

from esputnik_mcp.sandbox.app import DROP_EXTENSION


class SandboxTransport(httpx.AsyncBaseTransport):
    """Runs each request through the ASGI app in the caller's task.

    A response the fault plan drops surfaces as :class:`httpx2.RemoteProtocolError`, raised
    after the sandbox processed the request, as a connection broken before the answer would.
    Errors inside the app propagate to the caller, so a sandbox bug is never mistaken for an
    eSputnik answer.
    """

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        box = {"dropped": False}
        url = request.url
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "headers": [(key.lower(), value) for key, value in request.headers.raw],
            "scheme": url.scheme,
            "path": url.path,
            "raw_path": url.raw_path.split(b"?")[0],
            "query_string": url.query,
            "server": (url.host, url.port),
            "client": ("127.0.0.1", 0),
            "root_path": "",
            "extensions": {DROP_EXTENSION: box},
        }
        delivered = False
        status = 500
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def receive() -> Message:
            nonlocal delivered
            if delivered:
                return {"type": "http.disconnect"}
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body" and request.method != "HEAD":
                chunks.append(message.get("body", b""))

        await self._app(scope, receive, send)
        if box["dropped"]:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        return httpx.Response(status, headers=headers, stream=httpx.ByteStream(b"".join(chunks)))
