"""The bare SDK's stdio server the stdio benches compare against: one trivial tool on
``mcp.server.mcpserver.MCPServer``, served by ``run_stdio_async`` under ``anyio.run`` as
``esputnik-mcp`` serves its own. Run as a script:

    .venv/bin/python bench/bare_sdk_server.py
"""

from __future__ import annotations

import anyio
from mcp.server.mcpserver import MCPServer

server: MCPServer = MCPServer("bare-sdk", instructions="A bare SDK server with one trivial tool.")


@server.tool(description="Echo the text back.")
def echo(text: str) -> str:
    return text


if __name__ == "__main__":
    anyio.run(server.run_stdio_async)
