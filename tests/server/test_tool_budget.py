"""What tools/list costs a model, pinned: every tool the server lists is paid for in tokens before the
user types a word. Counted as characters / 4 of the minified JSON, as the budget is stated."""

from __future__ import annotations

import json
from typing import Any

import pytest

from esputnik_mcp.server.snapshot import tool_list

MODEL_AVERAGE = 250  # name, description and input schema: what a model reads of each tool
MODEL_MOST = 700
LISTING_AVERAGE = 450  # the whole tools/list entry, output schema and annotations included


def tokens(value: Any) -> float:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return len(text) / 4


def model_part(tool: dict[str, Any]) -> float:
    return tokens(tool["name"]) + tokens(tool.get("description", "")) + tokens(tool["inputSchema"])


@pytest.mark.anyio
async def test_the_tool_list_stays_within_its_token_budget() -> None:
    tools = await tool_list()
    model = {t["name"]: model_part(t) for t in tools}
    assert sum(model.values()) / len(tools) <= MODEL_AVERAGE
    heaviest = max(model, key=lambda name: model[name])
    assert model[heaviest] <= MODEL_MOST, f"{heaviest} costs {model[heaviest]:.0f} tokens"
    assert sum(tokens(t) for t in tools) / len(tools) <= LISTING_AVERAGE


@pytest.mark.anyio
async def test_optional_parameters_carry_no_null_branches() -> None:
    for tool in await tool_list():
        for schema in ("inputSchema", "outputSchema"):
            assert '{"type":"null"}' not in json.dumps(tool[schema], separators=(",", ":")), tool["name"]
