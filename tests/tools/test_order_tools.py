"""add_orders and delete_orders against the sandbox: snake_case orders on the wire in camelCase,
chunking with progress, failed orders inside a 200, unknown outcomes, both forms of deletion, and
refusals that send nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp import Client

from esputnik_mcp.sandbox import Fault, Sandbox
from esputnik_mcp.tools import catalogue
from tests.tools.conftest import call, error_text

pytestmark = pytest.mark.anyio

ADD = "POST /v1/orders"
DELETE = "DELETE /v1/orders"


def order(number: int = 1, **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "external_order_id": f"T-{number}",
        "total_cost": 120.5,
        "status": "DELIVERED",
        "date": "2025-05-14T10:11:10+03:00",
        "currency": "uah",
        "email": "olena@example.com",
    }
    base.update(changes)
    return base


async def test_order_tool_annotations(mcp: Client) -> None:
    tools = {t.name: t.annotations for t in (await mcp.list_tools()).tools}
    add, delete = tools["add_orders"], tools["delete_orders"]
    assert add is not None
    assert delete is not None
    assert (add.read_only_hint, add.destructive_hint, add.idempotent_hint) == (False, False, False)
    assert (delete.read_only_hint, delete.destructive_hint, delete.idempotent_hint) == (False, True, True)


async def test_add_orders_sends_camel_case_orders(mcp: Client, sandbox: Sandbox) -> None:
    full = order(
        7,
        external_customer_id="CUST-7",
        phone="+380501234567",
        first_name="Olena",
        shipping=5,
        discount=10,
        taxes=2.5,
        restore_url="https://shop.example/cart/7",
        source="online",
        delivery_method="courier",
        additional_info={"coupon": "SPRING"},
        items=[
            {
                "external_item_id": "SKU-1",
                "quantity": 2,
                "cost": 55.25,
                "image_url": "https://shop.example/1.jpg",
            }
        ],
    )
    result = await call(mcp, "add_orders", {"orders": [full]})
    [request] = sandbox.journal.for_route(ADD)
    assert request.body == {
        "orders": [
            {
                "externalOrderId": "T-7",
                "totalCost": 120.5,
                "status": "DELIVERED",
                "date": "2025-05-14T10:11:10+03:00",
                "currency": "UAH",
                "externalCustomerId": "CUST-7",
                "email": "olena@example.com",
                "phone": "+380501234567",
                "firstName": "Olena",
                "shipping": 5.0,
                "discount": 10.0,
                "taxes": 2.5,
                "restoreUrl": "https://shop.example/cart/7",
                "source": "online",
                "deliveryMethod": "courier",
                "additionalInfo": {"coupon": "SPRING"},
                "items": [
                    {
                        "externalItemId": "SKU-1",
                        "quantity": 2.0,
                        "cost": 55.25,
                        "imageUrl": "https://shop.example/1.jpg",
                    }
                ],
            }
        ]
    }
    assert result.structured_content is not None
    assert (result.structured_content["accepted"], result.structured_content["failed"]) == (1, 0)
    assert sandbox.order("T-7") is not None
    assert len(sandbox.events("orderDELIVERED")) >= 1


async def test_2001_orders_go_in_three_requests_with_progress(mcp_both: Client, sandbox: Sandbox) -> None:
    updates: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append((progress, total, message))

    orders = [order(n) for n in range(2001)]
    result = await mcp_both.call_tool("add_orders", {"orders": orders}, progress_callback=on_progress)
    assert not result.is_error
    requests = sandbox.journal.for_route(ADD)
    assert sorted(len(r.body["orders"]) for r in requests) == [1, 1000, 1000]
    assert len(updates) == 3
    assert updates[-1][:2] == (2001, 2001)
    data = result.structured_content
    assert data is not None
    assert (data["total"], data["accepted"], data["failed"], data["unknown"]) == (2001, 2001, 0, 0)
    assert [(r["index"], r["items"], r["accepted"], r["failed"], r["unknown"]) for r in data["requests"]] == [
        (0, "0-999", 1000, 0, 0),
        (1, "1000-1999", 1000, 0, 0),
        (2, "2000", 1, 0, 0),
    ]


async def test_failed_orders_inside_a_200_are_listed_with_index_and_reason(mcp: Client, sandbox: Sandbox) -> None:
    answer = {"failedOrders": [{"order": {"externalOrderId": "T-2"}, "error": "status is not allowed here"}]}
    sandbox.faults.add(Fault(route=ADD, status=200, body=json.dumps(answer)))
    result = await call(mcp, "add_orders", {"orders": [order(1), order(2), order(3)]})
    data = result.structured_content
    assert data is not None
    assert (data["accepted"], data["failed"]) == (2, 1)
    assert data["failed_orders"] == [{"index": 1, "external_order_id": "T-2", "error": "status is not allowed here"}]
    assert (data["requests"][0]["accepted"], data["requests"][0]["failed"]) == (2, 1)
    assert "status is not allowed here" in result.content[0].text  # type: ignore[union-attr]


async def test_dropped_order_chunk_is_unknown_and_not_retried(mcp: Client, sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault(route=ADD, drop=True))
    result = await mcp.call_tool("add_orders", {"orders": [order(n) for n in range(1200)]})
    assert result.is_error
    requests = sandbox.journal.for_route(ADD)
    assert len(requests) == 2
    [dropped] = [r for r in requests if r.dropped]
    data = result.structured_content
    assert data is not None
    assert data["unknown"] == len(dropped.body["orders"])
    assert data["accepted"] == 1200 - data["unknown"]
    [unknown] = [r for r in data["requests"] if r["unknown"]]
    assert unknown["unknown"] == data["unknown"]
    text = error_text(result)
    assert f"OUTCOME UNKNOWN for orders {unknown['items']} (" in text
    assert unknown["items"] in ("0-999", "1000-1199")
    assert "workflows twice" in text


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"currency": "XYZ"}, "orders.1.currency"),
        ({"date": "14.05.2025"}, "orders.1.date"),
        ({"date": "2025-05-14"}, "has no time"),
        ({"status": "SHIPPED"}, "orders.1.status"),
        ({"email": None}, "name the customer"),
        ({"email": "not-an-address"}, "orders.1.email"),
        ({"phone": "12345", "email": None}, "orders.1.phone"),
        ({"totalCost": 5}, "orders.1.totalCost: unknown parameter"),
        ({"external_order_id": "T-0"}, "orders 0 and 1 share external_order_id"),
        ({"items": [{"external_item_id": "A", "quantity": 0}]}, "orders.1.items.0.quantity"),
    ],
    ids=[
        "currency",
        "date",
        "date without time",
        "status",
        "no customer",
        "email",
        "phone",
        "camelCase field",
        "duplicate",
        "zero quantity",
    ],
)
async def test_add_orders_refuses_bad_orders_before_sending(
    mcp: Client, sandbox: Sandbox, change: dict[str, Any], expected: str
) -> None:
    bad = {k: v for k, v in order(1, **change).items() if v is not None}
    result = await mcp.call_tool("add_orders", {"orders": [order(0), bad]})
    assert expected in error_text(result)
    assert len(sandbox.journal) == 0


async def test_delete_orders_by_id_makes_one_request_per_order(mcp: Client, sandbox: Sandbox) -> None:
    await call(mcp, "add_orders", {"orders": [order(1), order(2)]})
    sandbox.faults.add(Fault(route=DELETE, status=400, body="externalOrderId must not be empty"))
    result = await mcp.call_tool("delete_orders", {"external_order_ids": ["T-1", "T-2", "T-1"]})
    requests = sandbox.journal.for_route(DELETE)
    assert sorted(r.query["externalOrderId"] for r in requests) == ["T-1", "T-2"]
    assert all(r.body is None for r in requests)
    data = result.structured_content
    assert data is not None
    assert (data["accepted"], data["failed"]) == (1, 1)
    failed = data["orders"][0]
    assert failed["status"] == "failed"
    assert "must not be empty" in failed["error"]
    accepted = data["orders"][1]["external_order_id"]
    sandbox.clock.advance(10)
    assert sandbox.order(accepted) is None
    assert sandbox.order(failed["external_order_id"]) is not None


async def test_delete_orders_by_window_converts_to_utc(mcp: Client, sandbox: Sandbox) -> None:
    await call(mcp, "add_orders", {"orders": [order(1, date="2025-05-14T12:00:00+03:00")]})
    result = await call(
        mcp,
        "delete_orders",
        {"date_from": "2025-05-14T03:00:00+03:00", "date_to": "2025-05-15T02:59:59+03:00"},
    )
    [request] = sandbox.journal.for_route(DELETE)
    assert request.query == {"from": "2025-05-14T00:00:00", "to": "2025-05-14T23:59:59"}
    assert result.structured_content is not None
    assert result.structured_content["window_from_utc"] == "2025-05-14T00:00:00"
    sandbox.clock.advance(10)
    assert sandbox.order("T-1") is None


def test_only_the_window_form_is_described_as_irreversible() -> None:
    spec = next(s for s in catalogue() if s.name == "delete_orders")
    assert spec.irreversible is not None
    window = spec.params.model_validate({"date_from": "2025-05-14T03:00:00+03:00", "date_to": "2025-05-14T20:00:00Z"})
    assert spec.irreversible(window) == (
        "delete every order dated 2025-05-14T00:00:00 to 2025-05-14T20:00:00 UTC; cannot be undone"
    )
    assert spec.irreversible(spec.params.model_validate({"external_order_ids": ["T-1"]})) is None


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"date_from": "2025-05-14T00:00:00Z", "date_to": "2025-05-15T00:00:01Z"}, "at most 24 h of orders"),
        ({"date_from": "2025-05-14T10:00:00Z", "date_to": "2025-05-14T09:00:00Z"}, "date_from must be before"),
        ({"date_from": "2025-05-14T10:00:00", "date_to": "2025-05-14T12:00:00Z"}, "no time zone"),
        ({"date_from": "2025-05-14T10:00:00Z"}, "both date_from and date_to"),
        (
            {
                "external_order_ids": ["T-1"],
                "date_from": "2025-05-14T00:00:00Z",
                "date_to": "2025-05-14T01:00:00Z",
            },
            "not both",
        ),
        ({}, "give external_order_ids, or date_from and date_to"),
        ({"external_order_ids": []}, "external_order_ids"),
    ],
    ids=["over 24 h", "reversed", "no zone", "half a window", "both forms", "neither", "no ids"],
)
async def test_delete_orders_refuses_before_sending(
    mcp: Client, sandbox: Sandbox, arguments: dict[str, Any], expected: str
) -> None:
    result = await mcp.call_tool("delete_orders", arguments)
    assert expected in error_text(result)
    assert len(sandbox.journal) == 0
