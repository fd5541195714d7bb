"""The tool surface as an MCP client sees it (names, descriptions, schemas, annotations), for the
committed snapshot, the README tool table and ``esputnik-mcp tools --json``."""

from __future__ import annotations

from typing import Any

from esputnik_mcp.api import ESputnikClient
from esputnik_mcp.server.app import build_server
from esputnik_mcp.server.runtime import Runtime
from esputnik_mcp.settings import Settings


async def tool_list(settings: Settings | None = None) -> list[dict[str, Any]]:
    """``tools/list`` through an in-process client (default settings: every tool). No tool is called,
    so no backend is contacted."""
    from mcp import Client

    client = ESputnikClient("listing-only")
    try:
        runtime = Runtime(settings=settings or Settings(_env_file=None), client=client)
        async with Client(build_server(runtime)) as mcp_client:
            listed = await mcp_client.list_tools()
    finally:
        await client.aclose()
    return [tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in listed.tools]
