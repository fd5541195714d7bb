"""Event tools: generate_event."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from esputnik_mcp.api.events import CONTACT_PARAMS, event_contact
from esputnik_mcp.toolkit.base import Result, ToolContext, ToolFailure, ToolInput, ToolOutput, tool
from esputnik_mcp.toolkit.params import EventTypeKey
from esputnik_mcp.toolspec import Kind, Toolset

# eSputnik's v2 event has no key field of its own (v1 had keyValue); key_value travels as this param.
KEY_VALUE_PARAM = "keyValue"


class GenerateEventInput(ToolInput):
    event_type_key: EventTypeKey
    params: Annotated[
        dict[str, Any],
        Field(
            min_length=1,
            description="Naming the contact by one of " + ", ".join(CONTACT_PARAMS) + "; any JSON values, e.g. "
            '{"email": "olena@example.com", "cartTotal": 59.9}.',
        ),
    ]
    key_value: Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=300,
            description="Sent as the parameter keyValue (v2 events have no key field); it names no contact.",
        ),
    ] = None


class EventOutput(ToolOutput):
    event_type_key: str
    contact_param: str
    contact_value: str
    params: int = Field(description="Parameters the event carried.")


@tool(
    "generate_event",
    title="Generate an event",
    toolset=Toolset.EVENTS,
    kind=Kind.WRITE,
    idempotent=False,
    description="""Record a custom event (e.g. cartAbandoned) for one contact named in params; it can start
    workflows that message real people, so it is never repeated automatically. At most 20 kB.""",
    example={"event_type_key": "cartAbandoned", "params": {"email": "olena@example.com", "cartTotal": 59.9}},
)
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
