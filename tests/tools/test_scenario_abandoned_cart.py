"""An abandoned-cart flow from start to finish, as an agent would run it through MCP: save the
shopper, record the abandoned cart, raise the event, send the reminder with the cart's details,
and follow its delivery."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from esputnik_mcp.sandbox import Sandbox
from tests.tools.conftest import call

pytestmark = pytest.mark.anyio


def data(result: Any) -> dict[str, Any]:
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return dict(result.structured_content)


async def test_abandoned_cart_reminder(mcp: Client, sandbox: Sandbox) -> None:
    shopper = data(
        await call(
            mcp,
            "upsert_contact",
            {
                "email": "marta.shevchenko@example.com",
                "first_name": "Марта",
                "last_name": "Шевченко",
                "external_customer_id": "CUST-77001",
                "language_code": "uk",
            },
        )
    )
    contact_id = shopper["contact_id"]

    cart = {
        "external_order_id": "CART-77001-1",
        "external_customer_id": "CUST-77001",
        "status": "ABANDONED_SHOPPING_CART",
        "date": "2025-06-15T10:20:00+03:00",
        "currency": "UAH",
        "total_cost": 2450.0,
        "restore_url": "https://lumen-home.example/cart/77001",
        "items": [{"external_item_id": "LAMP-9", "name": "Desk lamp", "quantity": 2, "cost": 1225.0}],
    }
    orders = data(await call(mcp, "add_orders", {"orders": [cart]}))
    assert orders["accepted"] == 1
    assert sandbox.order("CART-77001-1") is not None
    assert any(e for e in sandbox.events("orderABANDONED_SHOPPING_CART"))

    event = data(
        await call(
            mcp,
            "generate_event",
            {
                "event_type_key": "cartAbandoned",
                "params": {
                    "externalCustomerId": "CUST-77001",
                    "cartTotal": 2450.0,
                    "items": [{"sku": "LAMP-9", "qty": 2}],
                },
            },
        )
    )
    assert event["event_type_key"] == "cartAbandoned"
    assert sandbox.events("cartAbandoned")

    templates = data(await call(mcp, "list_message_templates", {"channel": "email", "search": "cart"}))
    reminder = next(t for t in templates["templates"] if "Abandoned cart" in t["name"])

    sent = data(
        await call(
            mcp,
            "send_prepared_message",
            {
                "message_id": reminder["id"],
                "channel": "email",
                "recipients": [
                    {
                        "contact_id": contact_id,
                        "language_code": "uk",
                        "external_request_id": "cart-77001-reminder",
                        "params": {
                            "itemsCount": 2,
                            "cartTotal": 2450.0,
                            "currency": "UAH",
                            "cartUrl": "https://lumen-home.example/cart/77001",
                        },
                    }
                ],
            },
        )
    )
    assert sent["queued"] == 1
    request_ids = sent["request_ids"]
    assert len(request_ids) == 1
    smartsend = sandbox.journal.for_route("POST /v1/message/{id}/smartsend")[-1]
    recipient = smartsend.body["recipients"][0]
    assert recipient["contactId"] == contact_id
    assert '"cartUrl":"https://lumen-home.example/cart/77001"' in recipient["jsonParam"]

    queued = data(await call(mcp, "get_message_status", {"request_ids": request_ids}))
    assert queued["statuses"][0]["status"] == "IN_QUEUE"
    sandbox.clock.advance(120)
    read = data(await call(mcp, "get_message_status", {"request_ids": request_ids}))
    assert read["statuses"][0]["status"] == "READ"
    assert read["delivered"] == 1
