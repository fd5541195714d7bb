"""Workflows: search by name (esputnik-api.md §6.5)."""

from __future__ import annotations

from starlette.responses import Response

from esputnik_mcp.sandbox.domain import workflows
from esputnik_mcp.sandbox.limits import MAX_ROWS
from esputnik_mcp.sandbox.routes.base import Call, RouteSpec
from esputnik_mcp.sandbox.wire import paged_reply


def search_workflows(call: Call) -> Response:
    """SPEC searchWorkflows: ``name``, ``startindex``, ``maxrows`` (default and at most 500)."""
    query = call.params("name", "startindex", "maxrows")
    start, rows = query.paging(MAX_ROWS)
    found, total = workflows.search(call.state, query.text("name"), start=start, rows=rows)
    return paged_reply(found, total)


ROUTES = [RouteSpec("GET", "/v1/workflows", search_workflows)]
