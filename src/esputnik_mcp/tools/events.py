"""Event tools: generate_event."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any

from pydantic import Field

from esputnik_mcp.api.events import CONTACT_PARAMS, event_contact
from esputnik_mcp.toolkit.base import Result, ToolContext, ToolFailure, ToolInput, ToolOutput, tool
from esputnik_mcp.toolkit.params import EventTypeKey
from esputnik_mcp.toolkit.recipients import external_label
from esputnik_mcp.toolspec import Audience, Kind, SendPlan, Toolset

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
    allow_duplicate: bool = Field(default=False, description="Repeat an identical event of the last day.")


class EventOutput(ToolOutput):
    event_type_key: str
    contact_param: str
    contact_value: str
    params: int = Field(description="Parameters the event carried.")


def _event(params: GenerateEventInput) -> tuple[dict[str, Any], tuple[str, Any]]:
    """The event's parameters as they are sent (key_value folded in), and the one naming the contact."""
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
    return event_params, contact


def _contact_label(name: str, value: Any) -> str:
    """The contact an event addresses, as the guards read it: its email or phone, else its id."""
    text = str(value).strip()
    if name.lower() == "externalcustomerid":
        return external_label(text)
    if name.lower() == "contactid":
        return f"contact:{text}"
    return text.lower()


async def plan_event(params: GenerateEventInput, ctx: ToolContext) -> SendPlan:
    """An event reaches its contact through the workflows it starts: the allowlist and the duplicate
    ledger (the same event, contact and payload within a day) hold for it."""
    event_params, (name, value) = _event(params)
    payload = json.dumps(event_params, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return SendPlan(
        channel="event",
        audience=Audience(recipients=(_contact_label(name, value),)),
        content=f"event {params.event_type_key}",
        content_key="event:" + hashlib.sha256(f"{params.event_type_key}\x1f{payload}".encode()).hexdigest(),
        indirect=True,
    )


@tool(
    "generate_event",
    title="Generate an event",
    toolset=Toolset.EVENTS,
    kind=Kind.WRITE,
    idempotent=False,
    plan_send=plan_event,
    target=lambda p: f"event {p.event_type_key}",
    description="""Record a custom event (e.g. cartAbandoned) for one contact named in params; it can start
    workflows that message real people. The same event within a day is refused. At most 20 kB.""",
    example={"event_type_key": "cartAbandoned", "params": {"email": "olena@example.com", "cartTotal": 59.9}},
)
async def generate_event(params: GenerateEventInput, ctx: ToolContext) -> Result[EventOutput]:
    event_params, contact = _event(params)
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
