"""Prompts for the jobs marketers ask for: each names tools that exist, renders with its arguments,
and is offered only where every tool it names is offered."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from mcp import Client

from esputnik_mcp.api import ESputnikClient
from esputnik_mcp.sandbox import SANDBOX_BASE_URL, Sandbox
from esputnik_mcp.server.app import build_server
from esputnik_mcp.server.prompts import JOBS
from esputnik_mcp.server.runtime import Runtime
from esputnik_mcp.settings import Settings
from esputnik_mcp.tools import catalogue

pytestmark = pytest.mark.anyio

TOOL_NAME = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")


@pytest.fixture
async def client() -> AsyncIterator[ESputnikClient]:
    sandbox = Sandbox(api_key="sandbox", db_path=":memory:", demo=False)
    http = ESputnikClient("sandbox", base_url=SANDBOX_BASE_URL, transport=sandbox.transport())
    try:
        yield http
    finally:
        await http.aclose()


def test_every_tool_a_prompt_names_exists() -> None:
    names = {spec.name for spec in catalogue()}
    for job in JOBS:
        assert set(job.tools) <= names, job.title
        text = job.function(*(["x"] if job.function.__code__.co_argcount else []))
        mentioned = {m for m in TOOL_NAME.findall(text) if m in names or m.startswith(("get_", "list_", "send_"))}
        assert mentioned <= names, f"{job.title} mentions tools that do not exist: {mentioned - names}"
        assert set(job.tools) <= mentioned | {"search_contacts", "get_contact"}, job.title


async def test_the_prompts_are_listed_and_render_with_their_arguments(client: ESputnikClient) -> None:
    runtime = Runtime(settings=Settings(_env_file=None), client=client)
    async with Client(build_server(runtime)) as mcp:
        listed = {p.name: p for p in (await mcp.list_prompts()).prompts}
        assert set(listed) == {"abandoned_cart_reminder", "reengagement_broadcast", "weekly_delivery_report"}
        assert [a.name for a in listed["reengagement_broadcast"].arguments or []] == ["segment", "inactive_days"]
        result = await mcp.get_prompt("reengagement_broadcast", {"segment": "Sleeping VIPs", "inactive_days": "120"})
        text = result.messages[0].content.text  # type: ignore[union-attr]
        assert '"Sleeping VIPs"' in text
        assert "120 days" in text
        assert "create_broadcast" in text


async def test_a_read_only_server_offers_only_the_report(client: ESputnikClient) -> None:
    runtime = Runtime(settings=Settings(_env_file=None, read_only=True), client=client)
    async with Client(build_server(runtime)) as mcp:
        listed = [p.name for p in (await mcp.list_prompts()).prompts]
    assert listed == ["weekly_delivery_report"]


def test_the_readme_prompt_table_matches_the_prompts() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Prompts", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = (re.findall(r"`(\w+)`", cells[1]), re.findall(r"`(\w+)`", cells[2]))
    expected = {}
    for job in JOBS:
        arguments = [argument.name for argument in job.prompt().arguments or []]
        expected[job.function.__name__] = (arguments, list(job.tools))
    assert rows == expected
