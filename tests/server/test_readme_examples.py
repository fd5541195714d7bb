"""The README's example calls work on the demo sandbox as a newcomer runs them: each answers without
an error and finds something."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from esputnik_mcp.server.app import build_server
from esputnik_mcp.server.backend import open_runtime
from esputnik_mcp.settings import Settings
from esputnik_mcp.tools import catalogue
from tests.tools.support import demo_sandbox

README = Path(__file__).resolve().parents[2] / "README.md"
CALL = re.compile(r"scripts/run call (\w+) '(\{.*?\})'")


def examples() -> list[tuple[str, dict[str, Any]]]:
    """Every ``scripts/run call <tool> '<arguments>'`` of the README with literal arguments."""
    found = []
    for tool, raw in CALL.findall(README.read_text(encoding="utf-8")):
        arguments = json.loads(raw)
        if "confirmation_token" not in arguments:  # a placeholder for the token of an earlier answer
            found.append((tool, arguments))
    return found


def test_the_readme_has_examples_to_try() -> None:
    assert len(examples()) >= 3


@pytest.mark.anyio
@pytest.mark.parametrize(("tool", "arguments"), examples(), ids=[tool for tool, _ in examples()])
async def test_a_readme_example_finds_something_on_the_demo_data(
    tool: str, arguments: dict[str, Any], tmp_path: Path
) -> None:
    settings = Settings(_env_file=None, state_db=str(tmp_path / "state.sqlite3"))
    async with open_runtime(settings, sandbox=demo_sandbox()) as runtime, Client(build_server(runtime)) as client:
        result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    content = result.structured_content
    assert content is not None
    lists = [value for value in content.values() if isinstance(value, list)]
    assert lists
    assert all(lists), f"{tool} {arguments} found nothing: {result.content[0].text[:200]}"  # type: ignore[union-attr]


def test_the_readme_coverage_table_names_only_tools_that_exist() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Coverage", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`([a-z_]+)`", table)) - {"fields"}
    names = {spec.name for spec in catalogue()}
    assert named <= names, named - names
    assert len(named) >= 40
