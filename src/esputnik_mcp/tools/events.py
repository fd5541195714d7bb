"""Event tools: generate_event."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from esputnik_mcp.api.events import CONTACT_PARAMS, event_contact
from esputnik_mcp.tools.base import (
    Kind,
    Result,
    ToolContext,
    ToolFailure,
    ToolInput,
    ToolOutput,
    Toolset,
    ToolSpec,
)
from esputnik_mcp.tools.params import EventTypeKey

# eSputnik's v2 event has no key field of its own (v1 had keyValue); key_value travels as this param.
KEY_VALUE_PARAM = "keyValue"


class GenerateEventInput(ToolInput):
    event_type_key: EventTypeKey
    params: Annotated[
        dict[str, Any],
        Field(
            min_length=1,
            description="The event's parameters as an object; values may be strings, numbers, nested "
            "objects or arrays. Must name the contact by one of " + ", ".join(CONTACT_PARAMS) + ", e.g. "
            '{"email": "olena@example.com", "cartTotal": 59.9, "items": [{"sku": "A-1", "qty": 2}]}.',
        ),
    ]
    key_value: Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=300,
            description="Optional. eSputnik's v2 event has no key field, so this is sent as the parameter "
            "keyValue for workflows and templates to read; it does not name the contact.",
        ),
    ] = None


class EventOutput(ToolOutput):
    event_type_key: str
    contact_param: str = Field(description="The parameter that named the contact, e.g. email.")
    contact_value: str
    params: int = Field(description="How many parameters the event carried.")


async def generate_event(params: GenerateEventInput, ctx: ToolContext) -> Result[EventOutput]:
    event_params = dict(params.params)
    if params.key_value is not None:
        given = event_params.get(KEY_VALUE_PARAM)
        if given is not None and given != params.key_value:
            raise ToolFailure(f"key_value and params.{KEY_VALUE_PARAM} differ: give the key once")
        event_params[KEY_VALUE_PARAM] = params.key_value
    contact = event_contact(event_params)
    if contact is None:
        raise ToolFailure(
            "refused before sending: params must name the contact by one of "
            + ", ".join(CONTACT_PARAMS)
            + " (key_value does not name anyone)"
        )
    await ctx.client.events.generate(params.event_type_key, event_params)
    out = EventOutput(
        event_type_key=params.event_type_key,
        contact_param=contact[0],
        contact_value=str(contact[1]),
        params=len(event_params),
    )
    summary = (
        f"event {out.event_type_key} accepted for {out.contact_param}={out.contact_value}; "
        "workflows started by it may now send messages"
    )
    return Result(summary, out)


TOOLS = [
    ToolSpec(
        name="generate_event",
        title="Generate an event",
        description=(
            "Record a custom event (e.g. cartAbandoned, passwordReset) for one contact; it can start "
            "workflows that message real people, so it is never repeated automatically. params must name "
            "the contact; the event is at most 20 kB."
        ),
        toolset=Toolset.EVENTS,
        kind=Kind.WRITE,
        params=GenerateEventInput,
        output=EventOutput,
        handler=generate_event,
        destructive=False,
        idempotent=False,
    ),
]
