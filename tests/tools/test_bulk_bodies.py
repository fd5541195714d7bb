"""What the bulk tools send is what the API's request models would send: contacts, orders and
smartsend recipients go out as their JSON objects without building a model each, and those objects
are the models' own, field for field."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from esputnik_mcp.api.http import encode_json
from esputnik_mcp.api.messages import recipient
from esputnik_mcp.api.models import OrderInput, bulk_fields
from esputnik_mcp.toolkit.contact import ContactFields
from esputnik_mcp.tools.orders import Order
from esputnik_mcp.tools.sends import PreparedRecipient

CONTACTS: list[dict[str, Any]] = [
    {"email": "olena@example.com"},
    {"phone": "+380501234567"},
    {"email": "Olena@Example.com", "phone": "+380501234567", "first_name": "Олена", "last_name": "Коваленко"},
    {
        "email": "ann@example.com",
        "channels": [
            {"type": "email", "value": "ANN@example.com"},  # the same address: sent once
            {"type": "email", "value": "ann.work@example.com"},
            {"type": "viber", "value": "+380671234567"},
            {"type": "mobilepush", "value": "token-1"},
        ],
        "external_customer_id": "C-1",
        "address": {"town": "Lviv", "postcode": "79000"},
        "fields": {"12": "gold", "15": 42, "16": 12.5, "17": ""},
        "language_code": "uk",
        "time_zone": "Europe/Kyiv",
    },
    {"channels": [{"type": "webpush", "value": "token-2"}], "address": {}},
]


@pytest.mark.parametrize("given", CONTACTS)
def test_a_contact_goes_out_as_its_api_model_would(given: dict[str, Any]) -> None:
    contact = ContactFields.model_validate(given)
    model = contact.contact_input()
    assert contact.wire() == model.wire()
    assert bulk_fields(contact.wire()) == (model.bulk_contact_fields(), model.custom_field_ids())


RECIPIENTS: list[dict[str, Any]] = [
    {"locator": "olena@example.com"},
    {"locator": "olena@example.com", "params": {"orderId": "A-17", "items": [1, 2], "name": "Олена"}},
    {"contact_id": 123, "params": {}},
    {"external_customer_id": "C-1", "language_code": "uk", "external_request_id": "r-1"},
]


@pytest.mark.parametrize("given", RECIPIENTS)
def test_a_recipient_goes_out_as_its_api_model_would(given: dict[str, Any]) -> None:
    person = PreparedRecipient.model_validate(given)
    model = recipient(
        locator=person.locator,
        contact_id=person.contact_id,
        external_customer_id=person.external_customer_id,
        params=person.params,
        external_request_id=person.external_request_id,
        language_code=person.language_code,
    )
    assert person.wire() == model.wire()


ORDERS: list[dict[str, Any]] = [
    {
        "external_order_id": "ORD-1",
        "email": "olena@example.com",
        "total_cost": 59.9,
        "status": "DELIVERED",
        "date": "2025-06-15T10:00:00+03:00",
        "currency": "uah",
    },
    {
        "external_order_id": "ORD-2",
        "external_customer_id": "C-1",
        "phone": "+380501234567",
        "first_name": "Олена",
        "total_cost": 120,
        "shipping": 0,
        "discount": 5.5,
        "taxes": 1,
        "status": "ABANDONED_SHOPPING_CART",
        "date": "2025-06-15T10:00:00Z",
        "currency": "EUR",
        "restore_url": "https://shop.example/cart/2",
        "source": "online",
        "additional_info": {"coupon": "SPRING"},
        "items": [
            {"external_item_id": "SKU-1", "quantity": 2, "cost": 50, "name": "Lamp", "url": "https://shop.example/1"},
            {"external_item_id": "SKU-2", "quantity": 0.5},
        ],
    },
]


@pytest.mark.parametrize("given", ORDERS)
def test_an_order_goes_out_as_its_api_model_would(given: dict[str, Any]) -> None:
    order = Order.model_validate(given)
    assert order.wire() == OrderInput.model_validate(order.model_dump(exclude_none=True)).wire()


@pytest.mark.parametrize(
    "body",
    [
        {"contacts": [{"firstName": "Олена", "channels": [{"type": "email", "value": "o@example.com"}]}]},
        {"a": 1.0, "b": 59.9, "c": 1e16, "d": 1e-7, "e": [True, None], "f": 2**70, "g": '\u2028"\\'},
        {1: "integer keys become strings"},
    ],
)
def test_a_body_is_encoded_as_json_dumps_encodes_it(body: dict[Any, Any]) -> None:
    expected = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    assert json.loads(encode_json(body)) == json.loads(expected)
    assert b"\\u" not in encode_json({"name": "Олена"})  # UTF-8, not escaped


def test_a_body_with_nan_is_encoded_as_json_dumps_encodes_it() -> None:
    assert encode_json({"x": math.nan, "y": math.inf}) == b'{"x":NaN,"y":Infinity}'
