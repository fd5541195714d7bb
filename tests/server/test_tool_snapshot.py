"""The whole tool surface (names, descriptions, schemas, annotations) is committed; any drift is a
reviewed change: run `python scripts/gen_docs.py` and commit the new snapshot with the change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from esputnik_mcp.server.snapshot import tool_list
from esputnik_mcp.server.tooling import compact_schema, inline_single_use
from esputnik_mcp.tools import catalogue

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
    names = [spec.name for spec in catalogue()]
    assert len(names) == len(set(names))
    assert all(name.replace("_", "").isalpha() and name.islower() for name in names)


def test_send_tools_plan_their_sends() -> None:
    from esputnik_mcp.toolspec import Kind

    for spec in catalogue():
        if spec.kind is Kind.SEND:
            assert spec.plan_send is not None, f"{spec.name} is a send but does not describe what it sends"
            assert spec.destructive_hint
            assert not spec.idempotent_hint


def test_schema_compaction_drops_generated_titles_but_keeps_data_and_property_names() -> None:
    schema = {
        "title": "Params",
        "description": "A class docstring.",
        "properties": {
            "title": {"title": "Title", "type": "string", "default": "keep me"},
            "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None, "title": "Note"},
            "kind": {"enum": [{"title": "data, not a keyword"}]},
        },
        "$defs": {"Item": {"title": "Item", "description": "Another docstring.", "type": "object"}},
    }
    assert compact_schema(schema) == {
        "description": "A class docstring.",  # the root's goes in input_schema, not here
        "properties": {
            "title": {"type": "string", "default": "keep me"},
            "note": {"type": "string"},  # optional: simply not required, no null branch
            "kind": {"enum": [{"title": "data, not a keyword"}]},
        },
        "$defs": {"Item": {"type": "object"}},
    }


def test_schema_compaction_keeps_the_fields_description_over_its_types() -> None:
    schema = {
        "anyOf": [{"type": "string", "description": "the type's", "maxLength": 40}, {"type": "null"}],
        "description": "the field's",
    }
    assert compact_schema(schema) == {"type": "string", "description": "the field's", "maxLength": 40}


def test_schema_compaction_drops_only_bounds_that_guard_against_abuse() -> None:
    schema = {
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 40},
            "code": {"type": "string", "minLength": 2, "maxLength": 255},
            "id": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
            "count": {"type": "integer", "maximum": 500},
            "value": {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "number"}]},
            "params": {"type": "object", "additionalProperties": True},
        }
    }
    assert compact_schema(schema)["properties"] == {
        "name": {"type": "string", "maxLength": 40},
        "code": {"type": "string", "minLength": 2},
        "id": {"type": "integer", "minimum": 1},
        "count": {"type": "integer", "maximum": 500},
        "value": {"type": ["string", "number"]},
        "params": {"type": "object"},
    }


def test_result_schemas_keep_structure_only() -> None:
    schema = {
        "additionalProperties": False,
        "properties": {"total": {"type": "integer", "description": "How many.", "default": 0}},
        "required": ["total"],
    }
    assert compact_schema(schema, output=True) == {"properties": {"total": {"type": "integer"}}, "required": ["total"]}


def test_definitions_used_once_are_written_in_place() -> None:
    schema = {
        "properties": {
            "address": {"$ref": "#/$defs/Address", "description": "Where."},
            "home": {"$ref": "#/$defs/Place"},
            "work": {"$ref": "#/$defs/Place"},
        },
        "$defs": {
            "Address": {"type": "object", "properties": {"town": {"type": "string"}}},
            "Place": {"type": "string"},
        },
    }
    assert inline_single_use(schema) == {
        "properties": {
            "address": {"type": "object", "properties": {"town": {"type": "string"}}, "description": "Where."},
            "home": {"$ref": "#/$defs/Place"},
            "work": {"$ref": "#/$defs/Place"},
        },
        "$defs": {"Place": {"type": "string"}},
    }
