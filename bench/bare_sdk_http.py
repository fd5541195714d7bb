"""The bare SDK's HTTP server the HTTP load bench compares against: ``mcp.server.mcpserver.MCPServer``
over stateless streamable HTTP under uvicorn, with the load's three tools each making the same one
request to the sandbox as esputnik-mcp's do (again after a 429, as eSputnik's rate limits hold there)
and returning its JSON as text: no validation of the answer, no guards, no store, no bearer tokens. Run as a script:

    .venv/bin/python bench/bare_sdk_http.py PORT SANDBOX_BASE_URL API_KEY
"""

from __future__ import annotations

import collections
import logging
import sys
import time

import anyio
import httpx2 as httpx
import uvicorn
from mcp.server.mcpserver import MCPServer
from starlette.requests import Request
from starlette.responses import Response


class Pace:
    """At most ``limit`` requests in any second: eSputnik's limits, kept as esputnik-mcp keeps them."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._sent: collections.deque[float] = collections.deque()
        self._lock = anyio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            while len(self._sent) >= self._limit:
                wait = self._sent[0] + 1.0 - time.monotonic()
                if wait > 0:
                    await anyio.sleep(wait)
                self._sent.popleft()
            self._sent.append(time.monotonic())


def build(base_url: str, key: str) -> MCPServer:
    server: MCPServer = MCPServer("bare-sdk-http")
    upstream = httpx.AsyncClient(base_url=base_url, auth=("user", key), timeout=30)
    paces = {"/v1/contacts": Pace(50)}
    shared = Pace(200)

    async def get(path: str, params: dict[str, str | int] | None = None) -> str:
        await paces.get(path, shared).wait()
        for _ in range(20):  # eSputnik's rate limits hold on the sandbox: wait as it says, then again
            response = await upstream.get(path, params=params, headers={"Accept": "application/json"})
            if response.status_code != 429:
                break
            await anyio.sleep(float(response.headers.get("Retry-After") or 0.05))
        response.raise_for_status()
        return response.text

    @server.tool(description="List segments.")
    async def list_segments() -> str:
        return await get("/v1/groups", {"startindex": 1, "maxrows": 50})

    @server.tool(description="One contact.")
    async def get_contact(contact_id: int) -> str:
        return await get(f"/v1/contact/{contact_id}")

    @server.tool(description="Search contacts.")
    async def search_contacts(first_name: str, limit: int = 5) -> str:
        return await get("/v1/contacts", {"firstname": first_name, "startindex": 1, "maxrows": limit})

    @server.custom_route("/health", methods=["GET"])
    async def health(request: Request) -> Response:
        return Response("ok")

    return server


async def main(port: int, base_url: str, key: str) -> None:
    logging.basicConfig(level=logging.WARNING)
    app = build(base_url, key).streamable_http_app(streamable_http_path="/mcp", stateless_http=True, host="127.0.0.1")
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, ws="none")
    await uvicorn.Server(config).serve()


if __name__ == "__main__":
    anyio.run(main, int(sys.argv[1]), sys.argv[2], sys.argv[3])
