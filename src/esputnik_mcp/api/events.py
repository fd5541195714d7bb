"""Events: POST /v2/event (esputnik-api.md §11.1). Events start workflows, so they are unrepeatable."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from esputnik_mcp.api.contacts import check_event_key
from esputnik_mcp.api.errors import RequestValidationError
from esputnik_mcp.api.http import Endpoint, HttpCore
from esputnik_mcp.api.limiter import EVENTS
from esputnik_mcp.api.limits import EVENT_BODY_BYTES
from esputnik_mcp.api.retry import Safety

GENERATE = Endpoint("POST", "/v2/event", Safety.UNREPEATABLE, "registerEvent_1", EVENTS, expect="text")

# The params that name the contact in a v2 event (SPEC Event; DOC generate-event guide). eSputnik
# ignores an empty or null-like externalCustomerId ("", " ", "null"), so such a value names nobody.
CONTACT_PARAMS = ("externalCustomerId", "email", "phone", "contactId")
_NULL_LIKE = ("", "null")


def event_body(event_type_key: str, params: Mapping[str, Any] | Sequence[tuple[str, Any]]) -> dict[str, Any]:
    """The v2 body ``{eventTypeKey, params: [{name, value}]}``, checked as eSputnik would check it:
    key length and characters, a contact identifier among the params, and at most 20 kB."""
    check_event_key(event_type_key, "event_type_key")
    pairs = list(params.items()) if isinstance(params, Mapping) else list(params)
    if event_contact(pairs) is None:
        raise RequestValidationError("the event's params must name the contact: one of " + ", ".join(CONTACT_PARAMS))
    body = {"eventTypeKey": event_type_key, "params": [{"name": n, "value": v} for n, v in pairs]}
    size = len(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode())
    if size > EVENT_BODY_BYTES:
        raise RequestValidationError(
            f"the event is {size} bytes; eSputnik accepts at most {EVENT_BODY_BYTES} bytes (20 kB)"
        )
    return body


def event_contact(params: Mapping[str, Any] | Sequence[tuple[str, Any]]) -> tuple[str, Any] | None:
    """The param that names the event's contact, as ``(name, value)``: the first of
    :data:`CONTACT_PARAMS` (in any letter case) that names someone; None when none does."""
    pairs = params.items() if isinstance(params, Mapping) else params
    names = {name.lower(): (name, value) for name, value in pairs}
    for wanted in CONTACT_PARAMS:
        found = names.get(wanted.lower())
        if found is not None and _names_someone(found[1]):
            return found
    return None


def _names_someone(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return value.strip().lower() not in _NULL_LIKE
    return isinstance(value, int | float) and not isinstance(value, bool)


class EventsApi:
    def __init__(self, http: HttpCore) -> None:
        self._http = http

    async def generate(self, event_type_key: str, params: Mapping[str, Any] | Sequence[tuple[str, Any]]) -> None:
        """Generate an event; ``params`` values may be nested objects and arrays (sent unescaped)."""
        await self._http.call(GENERATE, json_body=event_body(event_type_key, params))
