"""Workflows: the account's automations, as ``GET /v1/workflows`` lists them (esputnik-api.md §6.5).

The sandbox keeps what the reference shows of a workflow (SPEC Workflow: id, name, status, tags);
events and orders are stored as they come and start none of them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from esputnik_mcp.sandbox.rules import fold
from esputnik_mcp.sandbox.wire import one_or_many

if TYPE_CHECKING:
    from esputnik_mcp.sandbox.state import State

# SQL here is composed from fixed fragments; every value goes in as a ``?`` parameter
# (hence the S608 waivers).

ACTIVE, INACTIVE = "active", "inactive"  # SPEC Workflow.status


def add(state: State, workflow_id: int, name: str, status: str, tags: Sequence[str]) -> None:
    state.conn.execute(
        "INSERT INTO workflows (id, name, name_fold, status, tags_json) VALUES (?, ?, ?, ?, ?)",
        (workflow_id, name, fold(name), status, json.dumps(list(tags), ensure_ascii=False)),
    )


def search(state: State, name: str | None, *, start: int, rows: int) -> tuple[list[dict[str, Any]], int]:
    """SPEC Workflow of each workflow whose name contains ``name`` (case-insensitive), by id, and the
    total. ``tags`` is a lone string when there is one (SPEC Workflow.tags) and left out when there is
    none. The matching rule, the order and the total are guesses, as for segments."""
    where, params = "1 = 1", []
    if name:
        where = "instr(name_fold, ?) > 0"
        params.append(fold(name))
    total = state.conn.execute(f"SELECT COUNT(*) FROM workflows WHERE {where}", params).fetchone()[0]  # noqa: S608
    found = []
    for row in state.conn.execute(
        f"SELECT id, name, status, tags_json FROM workflows WHERE {where} ORDER BY id LIMIT ? OFFSET ?",  # noqa: S608
        (*params, rows, start - 1),
    ):
        workflow: dict[str, Any] = {"id": row["id"], "name": row["name"], "status": row["status"]}
        tags = json.loads(row["tags_json"])
        if tags:
            workflow["tags"] = one_or_many(tags)
        found.append(workflow)
    return found, int(total)
