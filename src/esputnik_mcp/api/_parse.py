"""Shared readers for the shapes eSputnik answers with."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from esputnik_mcp.api.errors import AmbiguousOutcomeError, ESputnikError, ResponseDecodeError
from esputnik_mcp.api.http import Endpoint, Response
from esputnik_mcp.api.paging import Page
from esputnik_mcp.api.retry import Safety

M = TypeVar("M", bound=BaseModel)


def as_list(data: Any) -> list[Any]:
    """A JSON array, a single object standing for a one-element list, or nothing (empty body)."""
    if data is None:
        return []
    if isinstance(data, list):
        return data
    return [data]


def _shape_error(endpoint: Endpoint, exc: ValidationError) -> ESputnikError:
    why = f"eSputnik's answer to {endpoint.name} has an unexpected shape ({exc.error_count()} problem(s))"
    if endpoint.safety is Safety.UNREPEATABLE:
        return AmbiguousOutcomeError(
            f"outcome unknown: the request was accepted but {why}", method=endpoint.method, path=endpoint.path
        )
    return ResponseDecodeError(why, method=endpoint.method, path=endpoint.path)


def parse(model: type[M], data: Any, endpoint: Endpoint) -> M:
    """One object of ``model``; an empty body reads as an empty object."""
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        raise _shape_error(endpoint, exc) from None


def parse_list(model: type[M], data: Any, endpoint: Endpoint) -> list[M]:
    """A list of ``model``, from an array, a lone object or an empty body."""
    try:
        return [model.model_validate(item) for item in as_list(data)]
    except ValidationError as exc:
        raise _shape_error(endpoint, exc) from None


def page(model: type[M], response: Response, endpoint: Endpoint, start_index: int, max_rows: int) -> Page[M]:
    """A page of a startindex/maxrows search; the total is the ``TotalCount`` header."""
    items = parse_list(model, response.data, endpoint)
    return Page(items=items, start_index=start_index, max_rows=max_rows, total=response.header_int("TotalCount"))


def json_in_string(data: Any, endpoint: Endpoint) -> Any:
    """The JSON a body documented as a JSON *string* holds (``"[{\\"code\\": …}]"``); a body that is
    already that JSON itself is taken as it is, and an empty one (or an empty string) as None."""
    if not isinstance(data, str):
        return data
    if not data.strip():
        return None
    try:
        return json.loads(data)
    except ValueError:
        why = f"eSputnik's answer to {endpoint.name} is a string that does not hold JSON"
        raise ResponseDecodeError(why, method=endpoint.method, path=endpoint.path) from None
