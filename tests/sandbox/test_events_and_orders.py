"""Events (POST /v2/event) and orders (POST and DELETE /v1/orders)."""

from typing import Any

import httpx2 as httpx
import pytest

from esputnik_mcp.api import ESputnikClient
from esputnik_mcp.api.models import OrderInput
from esputnik_mcp.sandbox import Sandbox
from esputnik_mcp.sandbox.limits import FORBIDDEN_KEY_CHARACTERS

pytestmark = pytest.mark.anyio


def _event(key: str = "cartAbandoned", *params: tuple[str, Any]) -> dict[str, Any]:
    pairs = params or (("externalCustomerId", "CUST-200000"),)
    return {"eventTypeKey": key, "params": [{"name": n, "value": v} for n, v in pairs]}


def _order(number: str, **extra: Any) -> dict[str, Any]:
    order = {
        "externalOrderId": number,
        "totalCost": 120.5,
        "status": "DELIVERED",
        "date": "2025-06-14T12:00:00+03:00",
        "currency": "UAH",
        "externalCustomerId": "CUST-200000",
    }
    order.update(extra)
    return {k: v for k, v in order.items() if v is not None}


def _assert_event_refusal(response: httpx.Response, why: str) -> None:
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")
    assert why in response.text
    assert "Expected structure:" in response.text


async def test_an_event_is_stored_with_nested_values_and_answers_empty(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    items = [{"sku": "SKU-1001", "qty": 2}]
    response = await http.post(
        "/v2/event", json=_event("cartAbandoned", ("externalCustomerId", "CUST-200000"), ("items", items))
    )
    assert response.status_code == 200
    assert response.content == b""
    [stored] = sandbox.events("cartAbandoned")
    assert stored["contactId"] == 100001
    assert {"name": "items", "value": items} in stored["params"]


@pytest.mark.parametrize(
    ("identifier", "value"),
    [
        ("email", "Someone.Unknown@example.com"),
        ("phone", "+380501234567"),
        ("contactId", 100001),
        ("contactid", "5"),
    ],
)
async def test_any_documented_identifier_names_the_contact(
    http: httpx.AsyncClient, identifier: str, value: object
) -> None:
    response = await http.post("/v2/event", json=_event("pageViewed", (identifier, value)))
    assert response.status_code == 200


async def test_an_event_body_over_20_kb_is_refused(http: httpx.AsyncClient) -> None:
    filler = "x" * (20 * 1024)
    response = await http.post("/v2/event", json=_event("big", ("email", "a@example.com"), ("blob", filler)))
    _assert_event_refusal(response, "20 KB")
    fits = await http.post(
        "/v2/event", json=_event("big", ("email", "a@example.com"), ("blob", filler[:19_900]))
    )
    assert fits.status_code == 200


async def test_event_type_keys_are_checked(http: httpx.AsyncClient) -> None:
    _assert_event_refusal(await http.post("/v2/event", json=_event("k" * 101)), "100")
    assert (await http.post("/v2/event", json=_event("k" * 100))).status_code == 200
    _assert_event_refusal(await http.post("/v2/event", json={"params": _event()["params"]}), "eventTypeKey")
    _assert_event_refusal(await http.post("/v2/event", json=_event("  ")), "empty")


@pytest.mark.parametrize("char", sorted(FORBIDDEN_KEY_CHARACTERS))
async def test_forbidden_characters_in_event_type_keys_are_refused(
    http: httpx.AsyncClient, char: str
) -> None:
    _assert_event_refusal(await http.post("/v2/event", json=_event(f"cart{char}abandoned")), "forbidden")


def test_the_forbidden_characters_are_the_documented_fourteen() -> None:
    assert set("<;\u2019\\/|\"`'^?!,>") == FORBIDDEN_KEY_CHARACTERS
    assert len(FORBIDDEN_KEY_CHARACTERS) == 14


@pytest.mark.parametrize(
    "params",
    [
        [],
        [("externalCustomerId", "")],
        [("externalCustomerId", " ")],
        [("externalCustomerId", "null")],
        [("externalCustomerId", None)],
        [("productId", "SKU-1")],
    ],
)
async def test_an_event_must_name_its_contact(http: httpx.AsyncClient, params: list[tuple[str, Any]]) -> None:
    body = {"eventTypeKey": "pageViewed", "params": [{"name": n, "value": v} for n, v in params]}
    _assert_event_refusal(await http.post("/v2/event", json=body), "no contact identifier")


async def test_event_params_are_name_value_objects(http: httpx.AsyncClient) -> None:
    as_map = {"eventTypeKey": "pageViewed", "params": {"externalCustomerId": "CUST-200000"}}
    _assert_event_refusal(await http.post("/v2/event", json=as_map), "params")
    with_key_value = {**_event(), "keyValue": "CUST-200000"}
    _assert_event_refusal(await http.post("/v2/event", json=with_key_value), "keyValue: unknown field")
    nameless = {
        "eventTypeKey": "pageViewed",
        "params": [{"value": "x"}, {"name": "email", "value": "a@b.cd"}],
    }
    _assert_event_refusal(await http.post("/v2/event", json=nameless), "no name")


async def test_orders_are_stored_and_raise_order_status_events(
    client: ESputnikClient, sandbox: Sandbox
) -> None:
    order = OrderInput.model_validate(_order("ORD-T1", items=[{"externalItemId": "SKU-1", "quantity": 2}]))
    assert await client.orders.add([order]) == []
    assert sandbox.order("ORD-T1") == order.wire()
    [event] = sandbox.events("orderDELIVERED")[-1:]
    assert event["contactId"] == 100001
    assert {"name": "eventKey", "value": "ORD-T1"} in event["params"]
    update = OrderInput.model_validate(_order("ORD-T1", status="CANCELLED", totalCost=0))
    await client.orders.add([update])
    stored = sandbox.order("ORD-T1")
    assert stored is not None
    assert stored["status"] == "CANCELLED"
    assert sandbox.events("orderCANCELLED")[-1]["params"][0] == {"name": "eventKey", "value": "ORD-T1"}


async def test_bad_orders_come_back_in_failed_orders_inside_a_200(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    orders = [
        _order("GOOD-1"),
        _order("NO-CUSTOMER", externalCustomerId=None),
        _order("BAD-STATUS", status="SHIPPED"),
        _order("BAD-DATE", date="14.06.2025"),
        _order("DATE-ONLY", date="2025-06-14"),
        {"externalOrderId": "MISSING", "currency": "UAH"},
        _order("BAD-CURRENCY", currency="hryvnia"),
        _order("EXTRA", campaign="x"),
        _order("GOOD-2", email="a@example.com", externalCustomerId=None),
    ]
    response = await http.post("/v1/orders", json={"orders": orders})
    assert response.status_code == 200
    failed = response.json()["failedOrders"]
    assert [f["order"]["externalOrderId"] for f in failed] == [
        "NO-CUSTOMER",
        "BAD-STATUS",
        "BAD-DATE",
        "DATE-ONLY",
        "MISSING",
        "BAD-CURRENCY",
        "EXTRA",
    ]
    assert "externalCustomerId, email or phone" in failed[0]["error"]
    assert "status" in failed[1]["error"]
    assert "date" in failed[2]["error"]
    assert "totalCost: required field is missing" in failed[4]["error"]
    assert sandbox.order("GOOD-1") is not None
    assert sandbox.order("GOOD-2") is not None
    assert sandbox.order("BAD-STATUS") is None


async def test_more_than_1000_orders_are_refused(http: httpx.AsyncClient) -> None:
    orders = [_order(f"BULK-{n}") for n in range(1001)]
    response = await http.post("/v1/orders", json={"orders": orders})
    assert response.status_code == 400
    assert "1000" in response.text
    assert (await http.post("/v1/orders", json={"orders": orders[:1000]})).json() == {"failedOrders": []}


async def test_deleting_an_order_is_scheduled(client: ESputnikClient, sandbox: Sandbox) -> None:
    await client.orders.add([OrderInput.model_validate(_order("DEL-1"))])
    assert await client.orders.delete("DEL-1") == ""
    assert sandbox.order("DEL-1") is not None  # not yet: deletion runs asynchronously
    sandbox.clock.advance(5)
    assert sandbox.order("DEL-1") is None


async def test_deleting_orders_by_window(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    orders = [
        _order("WIN-IN", date="2025-06-14T10:00:00Z"),
        _order("WIN-EDGE", date="2025-06-14T13:00:00+03:00"),
        _order("WIN-OUT", date="2025-06-14T10:00:01Z"),
    ]
    await http.post("/v1/orders", json={"orders": orders})
    response = await http.delete(
        "/v1/orders", params={"from": "2025-06-13T10:00:01", "to": "2025-06-14T10:00:00"}
    )
    assert response.status_code == 200
    sandbox.clock.advance(5)
    assert sandbox.order("WIN-IN") is None
    assert sandbox.order("WIN-EDGE") is None
    assert sandbox.order("WIN-OUT") is not None


@pytest.mark.parametrize(
    ("params", "why"),
    [
        ({"from": "2025-06-13T10:00:00", "to": "2025-06-14T10:00:01"}, "24 hours"),
        ({"from": "2025-06-14T10:00:00", "to": "2025-06-14T10:00:00"}, "earlier"),
        ({"from": "2025-06-14T11:00:00", "to": "2025-06-14T10:00:00"}, "earlier"),
        ({"from": "2025-06-14 10:00", "to": "2025-06-14T11:00:00"}, "yyyy-MM-dd"),
        ({"from": "2025-06-14T10:00:00"}, "both from and to"),
        ({}, "externalOrderId"),
        ({"externalOrderId": "X", "from": "2025-06-14T10:00:00", "to": "2025-06-14T11:00:00"}, "not both"),
    ],
)
async def test_order_deletion_windows_are_checked(
    http: httpx.AsyncClient, params: dict[str, str], why: str
) -> None:
    response = await http.delete("/v1/orders", params=params)
    assert response.status_code == 400
    assert why in response.text
