"""An httpx2 transport straight into the sandbox app: no socket, no port."""

from __future__ import annotations

import httpx2 as httpx
from starlette.types import ASGIApp, Receive, Scope, Send

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
        box = {"dropped": False}

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            extensions = {**scope.get("extensions", {}), DROP_EXTENSION: box}
            await self._app({**scope, "extensions": extensions}, receive, send)

        response = await httpx.ASGITransport(app=app).handle_async_request(request)
        if box["dropped"]:
            await response.aclose()
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        return response
