"""What a stdio start does before its first tools/list, and what it leaves for the first call: the
tool list comes from a cache of the catalogue (never from anything else), the sandbox is built when
something needs it, and neither the tools, the sandbox nor the HTTP stack is loaded to list tools."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from esputnik_mcp.server.app import build_server
from esputnik_mcp.server.backend import SandboxOnDemand, open_runtime
from esputnik_mcp.server.listing import CACHE_FILE, Listing, cached_tool_listings, fingerprint, tool_listings
from esputnik_mcp.settings import Settings

# Runs the real stdio start (`esputnik-mcp` without arguments) up to the point where it would serve
# stdin, then lists the tools in process and prints them with every module loaded by then.
LIST_AND_REPORT = """
import json, sys
from mcp.server.mcpserver import MCPServer

async def list_instead_of_serving(self):
    tools = await self.list_tools()
    print(json.dumps({"tools": [t.name for t in tools], "modules": sorted(sys.modules)}))

MCPServer.run_stdio_async = list_instead_of_serving
from esputnik_mcp.cli import main
sys.exit(main([]))
"""

# Loaded only by a tool call, by `serve --http`, or by an optional backend. (The SDK itself loads
# uvicorn and starlette, whatever the transport.)
NOT_FOR_LISTING = (
    "esputnik_mcp.tools.",
    "esputnik_mcp.sandbox.core",
    "esputnik_mcp.sandbox.app",
    "esputnik_mcp.api.models",
    "esputnik_mcp.api.contacts",
    "esputnik_mcp.toolkit.sending",
    "esputnik_mcp.toolkit.params",
    "esputnik_mcp.server.http",
    "esputnik_mcp.server.webhook",
    "esputnik_mcp.server.hardening",
    "esputnik_mcp.store.postgres",
    "psycopg",
    "prometheus_client",
    "email_validator",
    "phonenumbers",
)


def start_and_list(data: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESPUTNIK_")}
    env["ESPUTNIK_DATA_DIR"] = str(data)
    done = subprocess.run(  # noqa: S603 - our own code, with this interpreter
        [sys.executable, "-c", LIST_AND_REPORT],
        capture_output=True,
        text=True,
        env=env,
        cwd=data.parent,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def test_a_stdio_start_lists_the_tools_without_loading_them_the_sandbox_or_http(tmp_path: Path) -> None:
    first = start_and_list(tmp_path / "data")  # builds the list from the catalogue, and caches it
    assert (tmp_path / "data" / "cache" / CACHE_FILE).is_file()
    second = start_and_list(tmp_path / "data")
    assert second["tools"] == first["tools"] == [tool.name for tool in tool_listings()]
    loaded = [m for m in second["modules"] if m.startswith(NOT_FOR_LISTING) or m == "esputnik_mcp.tools"]
    assert loaded == [], f"loaded before the first call: {loaded}"
    assert "esputnik_mcp.sandbox.defaults" in second["modules"]  # what is needed of the sandbox


def test_the_cached_list_is_the_catalogue_s(tmp_path: Path) -> None:
    built = cached_tool_listings(tmp_path)
    assert built == tool_listings()
    stored = json.loads((tmp_path / CACHE_FILE).read_text(encoding="utf-8"))
    assert stored["fingerprint"] == fingerprint()
    assert cached_tool_listings(tmp_path) == built  # read back, equal field by field


@pytest.mark.anyio
async def test_a_server_on_the_cached_list_lists_what_one_on_the_catalogue_lists(tmp_path: Path) -> None:
    cached = cached_tool_listings(tmp_path)
    cached = cached_tool_listings(tmp_path)  # from the file this time
    # settings that change what is listed: a recipients cap, described limits, fewer toolsets
    settings = Settings(_env_file=None, sandbox_db=":memory:", max_recipients=7, toolsets="contacts,messaging")
    listed = []
    for tools in (cached, None):
        async with open_runtime(settings, tools=tools) as runtime, Client(build_server(runtime)) as client:
            listed.append([t.model_dump(mode="json", by_alias=True) for t in (await client.list_tools()).tools])
            listed.append([p.model_dump(mode="json") for p in (await client.list_prompts()).prompts])
    assert listed[0] == listed[2]
    assert listed[1] == listed[3]
    capped = [t for t in listed[0] if t["name"] == "send_prepared_message"]
    assert capped[0]["inputSchema"]["properties"]["recipients"]["maxItems"] == 7


def test_a_cache_the_code_did_not_write_is_not_read(tmp_path: Path) -> None:
    bogus = Listing.from_json({**tool_listings()[0].as_json(), "name": "not_a_tool"})
    (tmp_path / CACHE_FILE).write_text(json.dumps({"fingerprint": "other code", "tools": [bogus.as_json()]}))
    assert cached_tool_listings(tmp_path) == tool_listings()
    assert json.loads((tmp_path / CACHE_FILE).read_text(encoding="utf-8"))["fingerprint"] == fingerprint()
    (tmp_path / CACHE_FILE).write_text("{not json")
    assert cached_tool_listings(tmp_path) == tool_listings()


def test_a_source_file_that_changes_changes_the_fingerprint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from esputnik_mcp.server import listing

    package = tmp_path / "package"
    (package / "tools").mkdir(parents=True)
    source = package / "tools" / "contacts.py"
    source.write_text("A = 1\n")
    monkeypatch.setattr(listing, "PACKAGE", package)
    before = listing.fingerprint()
    source.write_text("A = 22\n")
    assert listing.fingerprint() != before


def test_an_unwritable_cache_only_costs_the_build(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert cached_tool_listings(blocker / "cache") == tool_listings()


@pytest.mark.anyio
async def test_the_sandbox_is_built_by_the_first_call_that_needs_it(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, sandbox_db=":memory:", state_db=str(tmp_path / "state.sqlite3"))
    async with open_runtime(settings) as runtime, Client(build_server(runtime)) as client:
        assert isinstance(runtime.sandbox, SandboxOnDemand)
        await client.list_tools()
        await client.list_prompts()
        assert runtime.sandbox.built is None
        result = await client.call_tool("search_contacts", {"limit": 1})
        assert not result.is_error
        assert runtime.sandbox.built is not None


@pytest.mark.anyio
async def test_a_sandbox_that_cannot_be_opened_is_reported_on_the_first_call(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    settings = Settings(
        _env_file=None,
        sandbox_db=str(blocker / "sandbox.sqlite3"),
        state_db=str(tmp_path / "state.sqlite3"),
        max_retries=0,
    )
    async with open_runtime(settings) as runtime, Client(build_server(runtime)) as client:
        result = await client.call_tool("search_contacts", {"limit": 1})
        inbox = await client.call_tool("get_message_activity", {"limit": 1})  # local: what the store holds
    assert result.is_error
    assert "could not connect" in result.content[0].text  # type: ignore[union-attr]
    assert f"the built-in sandbox cannot be opened ({blocker / 'sandbox.sqlite3'})" in caplog.text
    assert not inbox.is_error
