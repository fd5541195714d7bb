"""The whole tool surface (names, descriptions, schemas, annotations) is committed; any drift is a
reviewed change: run `python scripts/gen_docs.py` and commit the new snapshot with the change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from esputnik_mcp.server.snapshot import tool_list
from esputnik_mcp.tools.catalog import ALL_TOOLS

SNAPSHOT = Path(__file__).resolve().parent.parent / "snapshots" / "tools.json"


@pytest.mark.anyio
async def test_tool_surface_matches_the_committed_snapshot() -> None:
    current = json.loads(json.dumps(await tool_list(), sort_keys=True))
    committed = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert [t["name"] for t in current] == [t["name"] for t in committed], "tool set or order changed"
    for now, then in zip(current, committed, strict=True):
        assert now == then, (
            f"{now['name']} drifted from tests/snapshots/tools.json; review, then run scripts/gen_docs.py"
        )


@pytest.mark.anyio
async def test_every_tool_sets_all_four_annotations_and_an_output_schema() -> None:
    for tool in await tool_list():
        hints = tool["annotations"]
        for key in ("readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"):
            assert isinstance(hints.get(key), bool), f"{tool['name']} leaves {key} to the protocol default"
        assert tool["title"]
        assert tool["outputSchema"]["type"] == "object"
        assert tool["inputSchema"]["type"] == "object"
        assert tool["inputSchema"].get("additionalProperties") is False, f"{tool['name']} accepts unknown arguments"
        sentences = [s for s in tool["description"].split(". ") if s.strip()]
        assert 1 <= len(sentences) <= 4, f"{tool['name']}: keep the description to a few sentences"


def test_tool_names_are_unique_snake_case_and_in_catalogue_order() -> None:
    names = [spec.name for spec in ALL_TOOLS]
    assert len(names) == len(set(names))
    assert all(name.replace("_", "").isalpha() and name.islower() for name in names)


def test_send_tools_plan_their_sends() -> None:
    from esputnik_mcp.tools.base import Kind

    for spec in ALL_TOOLS:
        if spec.kind is Kind.SEND:
            assert spec.plan_send is not None, f"{spec.name} is a send but does not describe what it sends"
            assert spec.destructive_hint
            assert not spec.idempotent_hint


def test_schema_compaction_drops_generated_titles_but_keeps_data_and_property_names() -> None:
    from esputnik_mcp.server.tooling import compact_schema

    schema = {
        "title": "Params",
        "properties": {
            "title": {"title": "Title", "type": "string", "default": "keep me"},
            "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None, "title": "Note"},
            "kind": {"enum": [{"title": "data, not a keyword"}]},
        },
        "$defs": {"Item": {"title": "Item", "type": "object"}},
    }
    as_input = compact_schema(schema)
    assert as_input == {
        "properties": {
            "title": {"type": "string", "default": "keep me"},
            "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
            "kind": {"enum": [{"title": "data, not a keyword"}]},
        },
        "$defs": {"Item": {"type": "object"}},
    }
    assert compact_schema(schema, nulls=False)["properties"]["note"] == {"type": "string"}
