"""Workflows: the account's automations, searched by name (esputnik-api.md §6.5).

No operation starts a workflow: events (§11) and orders start them. The reference gives each
workflow an id, a name, a status (``active`` or ``inactive``) and tags, which come as a lone value
when there is one (SPEC Workflow.tags); nothing says which event starts which workflow.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from esputnik_mcp.api._parse import page
from esputnik_mcp.api.http import Endpoint, HttpCore
from esputnik_mcp.api.limits import MAX_ROWS
from esputnik_mcp.api.models import WireModel
from esputnik_mcp.api.paging import Page, check_page
from esputnik_mcp.api.retry import Safety

SEARCH = Endpoint("GET", "/v1/workflows", Safety.READ, "searchWorkflows")


def _tags(value: Any) -> list[str]:
    """Tags as a list of text: an array, a lone string, or an object standing for one tag (its
    ``name`` or ``value``, else its only text)."""
    items = value if isinstance(value, list) else [] if value is None else [value]
    tags = []
    for item in items:
        if isinstance(item, dict):
            found = item.get("name") or item.get("value")
            if found is None:
                texts = [v for v in item.values() if isinstance(v, str)]
                found = texts[0] if len(texts) == 1 else None
            if found is not None:
                tags.append(str(found))
        elif item is not None:
            tags.append(str(item))
    return tags


class Workflow(WireModel):
    """SPEC Workflow."""

    id: int
    name: str | None = None
    status: str | None = Field(default=None, description="active or inactive")
    tags: Annotated[list[str], BeforeValidator(_tags)] = Field(default_factory=list)


class WorkflowsApi:
    def __init__(self, http: HttpCore) -> None:
        self._http = http

    async def search(
        self, *, name: str | None = None, start_index: int = 1, max_rows: int = MAX_ROWS
    ) -> Page[Workflow]:
        """One page of workflows, optionally those whose name matches ``name``."""
        check_page(start_index, max_rows)
        params = {"name": name, "startindex": start_index, "maxrows": max_rows}
        response = await self._http.call(SEARCH, params=params)
        return page(Workflow, response, SEARCH, start_index, max_rows)
