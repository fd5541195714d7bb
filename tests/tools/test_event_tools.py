"""generate_event against the sandbox: the v2 body, the contact it names, refusals before sending,
and an outcome that is unknown and never retried."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from esputnik_mcp.sandbox import Fault, Sandbox
from tests.tools.conftest import call, error_text

pytestmark = pytest.mark.anyio

EVENT = "POST /v2/event"


async def test_generate_event_is_a_write_that_is_not_idempotent(mcp: Client) -> None:
    tool = next(t for t in (await mcp.list_tools()).tools if t.name == "generate_event")
    hints = tool.annotations
    assert hints is not None
    assert (hints.read_only_hint, hints.destructive_hint, hints.idempotent_hint, hints.open_world_hint) == (
        False,
        False,
        False,
        True,
    )


async def test_generate_event_sends_the_v2_body(mcp: Client, sandbox: Sandbox) -> None:
    result = await call(
        mcp,
        "generate_event",
        {
            "event_type_key": "cartAbandoned",
            "params": {
                "email": "olena@example.com",
                "cartTotal": 59.9,
                "items": [{"sku": "A-1", "qty": 2}],
                "meta": {"source": "web", "ab": True},
            },
        },
    )
    [request] = sandbox.journal.for_route(EVENT)
    assert request.body == {
        "eventTypeKey": "cartAbandoned",
        "params": [
            {"name": "email", "value": "olena@example.com"},
            {"name": "cartTotal", "value": 59.9},
            {"name": "items", "value": [{"sku": "A-1", "qty": 2}]},
            {"name": "meta", "value": {"source": "web", "ab": True}},
        ],
    }
    assert result.structured_content is not None
    assert result.structured_content["event_type_key"] == "cartAbandoned"
    assert result.structured_content["contact_param"] == "email"
    assert result.structured_content["contact_value"] == "olena@example.com"
    assert len(sandbox.events("cartAbandoned")) == 1


async def test_key_value_travels_as_a_parameter(mcp: Client, sandbox: Sandbox) -> None:
    await call(
        mcp,
        "generate_event",
        {
            "event_type_key": "passwordReset",
            "params": {"externalCustomerId": "CUST-9"},
            "key_value": "reset-77",
        },
    )
    [request] = sandbox.journal.for_route(EVENT)
    assert request.body["params"] == [
        {"name": "externalCustomerId", "value": "CUST-9"},
        {"name": "keyValue", "value": "reset-77"},
    ]
    assert "keyValue" not in request.body


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"event_type_key": "cartAbandoned", "params": {"cartTotal": 5}}, "must name the contact"),
        (
            {"event_type_key": "cartAbandoned", "params": {"cartTotal": 5}, "key_value": "olena@example.com"},
            "key_value does not name anyone",
        ),
        (
            {"event_type_key": "cartAbandoned", "params": {"externalCustomerId": "null"}},
            "must name the contact",
        ),
        (
            {
                "event_type_key": "cartAbandoned",
                "params": {"email": "olena@example.com", "blob": "x" * 21_000},
            },
            "20 kB",
        ),
        ({"event_type_key": "cart/abandoned", "params": {"email": "olena@example.com"}}, "event_type_key"),
        ({"event_type_key": "cartAbandoned", "params": {}}, "params"),
        (
            {"event_type_key": "x", "params": {"email": "a@example.com", "keyValue": "a"}, "key_value": "b"},
            "differ",
        ),
    ],
    ids=[
        "no contact",
        "key_value is no contact",
        "null-like id",
        "over 20 kB",
        "bad key",
        "no params",
        "two keys",
    ],
)
async def test_generate_event_refuses_before_sending(
    mcp: Client, sandbox: Sandbox, arguments: dict[str, Any], expected: str
) -> None:
    result = await mcp.call_tool("generate_event", arguments)
    assert expected in error_text(result)
    assert len(sandbox.journal) == 0


async def test_dropped_event_is_unknown_and_not_retried(mcp: Client, sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault(route=EVENT, drop=True))
    result = await mcp.call_tool(
        "generate_event", {"event_type_key": "cartAbandoned", "params": {"phone": "+380501234567"}}
    )
    text = error_text(result)
    assert "outcome unknown" in text
    assert "Do not simply retry" in text
    assert len(sandbox.journal.for_route(EVENT)) == 1
    assert len(sandbox.events("cartAbandoned")) == 1  # it did arrive


async def test_event_refused_by_esputnik_reports_its_reason(mcp: Client, sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault(route=EVENT, status=400, body="Parameter cartTotal is required"))
    result = await mcp.call_tool("generate_event", {"event_type_key": "cartAbandoned", "params": {"contactId": 5}})
    assert "Parameter cartTotal is required" in error_text(result)
    assert len(sandbox.journal.for_route(EVENT)) == 1
