"""Smartsend of Viber, mobile push, App Inbox and Telegram messages: each is looked up among its own
channel's messages (404 when it is not one), reaches the recipient's address on that channel, is
rendered with Velocity and follows its channel's status timeline."""

import json
from typing import Any

import httpx2 as httpx
import pytest

from esputnik_mcp.sandbox import Sandbox

pytestmark = pytest.mark.anyio

VERIFICATION_SMS, WELCOME_EMAIL = 4001, 3001
VIBER_SHIPPED, VIBER_CART, PUSH_BACK_IN_STOCK, PUSH_DELIVERED = 5001, 5003, 5101, 5102
INBOX_LOYALTY, INBOX_WELCOME, TELEGRAM_ORDER = 5201, 5202, 5301


async def _smartsend(
    http: httpx.AsyncClient, message_id: int, *recipients: dict[str, Any], email: bool | None = False
) -> httpx.Response:
    body: dict[str, Any] = {"recipients": list(recipients)}
    if email is not None:
        body["email"] = email
    return await http.post(f"/v1/message/{message_id}/smartsend", json=body)


def _results(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    return results if isinstance(results, list) else [results]


def _params(**values: Any) -> str:
    return json.dumps(values)


async def _statuses(http: httpx.AsyncClient, *request_ids: str) -> list[str]:
    [answer] = (await http.get("/v1/message/status", params={"ids": ",".join(request_ids)})).json()
    results = answer["results"] if isinstance(answer["results"], list) else [answer["results"]]
    return [r["status"] for r in results]


def _push_contact(sandbox: Sandbox) -> tuple[int, str]:
    row = sandbox.state.conn.execute(
        "SELECT contact_id, value FROM channels WHERE type = 'mobilepush' ORDER BY contact_id LIMIT 1"
    ).fetchone()
    return int(row[0]), str(row[1])


@pytest.mark.parametrize("message_id", [VIBER_SHIPPED, PUSH_BACK_IN_STOCK, INBOX_LOYALTY, TELEGRAM_ORDER, 999_999])
async def test_a_non_email_message_named_as_email_is_not_found(http: httpx.AsyncClient, message_id: int) -> None:
    response = await _smartsend(http, message_id, {"locator": "olena@example.com"}, email=True)
    assert response.status_code == 404
    assert response.text == f"Message with id={message_id} not found"


@pytest.mark.parametrize("email", [False, None])
async def test_an_unknown_or_email_id_without_email_true_is_not_found(
    http: httpx.AsyncClient, email: bool | None
) -> None:
    for message_id in (999_999, WELCOME_EMAIL):
        response = await _smartsend(http, message_id, {"locator": "+380501234567"}, email=email)
        assert response.status_code == 404
        assert response.text == f"Message with id={message_id} not found"


async def test_viber_reaches_a_phone_renders_the_if_block_and_costs_a_viber_message(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    before = (await http.get("/v1/balance")).json()
    results = _results(
        await _smartsend(
            http,
            VIBER_SHIPPED,
            {"locator": "+380501112233", "jsonParam": _params(orderId="A-17", trackingUrl="https://t.example/17")},
            {"locator": "+380501112000", "jsonParam": _params(orderId="A-18")},
        )
    )
    assert [r["status"] for r in results] == ["OK", "OK"]
    tracked, untracked = sandbox.sent_messages()[-2:]
    assert tracked["channel"] == "viber"
    assert tracked["from"] == "LumenHome"
    assert tracked["content"].endswith("your order A-17 has been shipped. Track it: https://t.example/17")
    assert untracked["content"].endswith("your order A-18 has been shipped.")
    after = (await http.get("/v1/balance")).json()
    assert round(before["currentBalance"] - after["currentBalance"], 2) == 1.2
    assert before["bonusSmses"] == after["bonusSmses"]  # Viber is not paid from SMS bonuses
    ids = [r["requestId"] for r in results]
    seen = []
    for step in (0, 2, 8, 50):
        sandbox.clock.advance(step)
        seen.append(await _statuses(http, *ids))
    assert seen == [
        ["IN_QUEUE", "IN_QUEUE"],
        ["PENDING", "PENDING"],
        ["DELIVERED", "VIBER_UNDELIVERED_STATE"],
        ["READ", "VIBER_UNDELIVERED_STATE"],
    ]


async def test_viber_by_contact_uses_the_contacts_phone_and_language_version(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    row = sandbox.state.conn.execute(
        "SELECT contact_id, value FROM channels WHERE type = 'sms' ORDER BY contact_id LIMIT 1"
    ).fetchone()
    params = _params(cartTotal=1549.5, cartUrl="https://lumen-home.example/cart")
    [result] = _results(
        await _smartsend(http, VIBER_CART, {"contactId": row[0], "jsonParam": params, "languageCode": "en"})
    )
    assert result["status"] == "OK"
    sent = sandbox.sent_messages()[-1]
    assert (sent["locator"], sent["contactId"], sent["languageCode"]) == (row[1], row[0], "en")
    assert "items worth 1549.5 UAH are waiting in your cart" in sent["content"]


async def test_mobile_push_reaches_the_contacts_device_with_title_and_text(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    contact_id, token = _push_contact(sandbox)
    no_push = sandbox.state.conn.execute(
        "SELECT id FROM contacts WHERE id NOT IN (SELECT contact_id FROM channels WHERE type = 'mobilepush')"
        " ORDER BY id LIMIT 1"
    ).fetchone()[0]
    params = _params(productName="Rattan armchair", sku="SKU-1005", price=4999)
    results = _results(
        await _smartsend(
            http,
            PUSH_BACK_IN_STOCK,
            {"contactId": contact_id, "jsonParam": params},
            {"contactId": no_push},
            {"locator": "unknown-token"},
            {"locator": "two words"},
        )
    )
    assert [r["status"] for r in results] == ["OK", "ERROR", "ERROR", "ERROR"]
    assert results[1]["message"] == f"Contact {no_push} has no mobilepush channel"
    assert results[2]["message"] == "No contact has the push token unknown-token"
    assert results[3]["message"].startswith("Invalid locator for mobilepush")
    sent = sandbox.sent_messages()[-1]
    assert (sent["channel"], sent["locator"], sent["from"]) == ("mobilepush", token, None)
    assert sent["subject"] == "Back in stock: Rattan armchair"
    assert "available again for 4999 UAH." in sent["content"]
    [by_token] = _results(await _smartsend(http, PUSH_DELIVERED, {"locator": token, "jsonParam": _params(orderId="7")}))
    assert by_token["status"] == "OK"
    assert sandbox.sent_messages()[-1]["subject"] == "Order 7 delivered"
    assert await _statuses(http, by_token["requestId"]) == ["IN_QUEUE"]
    sandbox.clock.advance(2)
    assert await _statuses(http, by_token["requestId"]) == ["DELIVERED"]


async def test_app_inbox_goes_to_the_app_and_decides_its_if_else(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    contact_id, token = _push_contact(sandbox)
    gold = _params(points=1200, tier="Gold")
    bronze = _params(points=300, tier="Bronze", pointsToGold=4700)
    results = _results(
        await _smartsend(
            http,
            INBOX_LOYALTY,
            {"contactId": contact_id, "jsonParam": gold},
            {"locator": token, "jsonParam": bronze},
        )
    )
    assert [r["status"] for r in results] == ["OK", "OK"]
    first, second = sandbox.sent_messages()[-2:]
    assert first["channel"] == "appinbox"
    assert first["subject"] == "You have 1200 bonus points"
    assert first["content"] == "As a Gold member, your points never expire."
    assert second["content"] == "Collect 4700 more points to reach Gold."
    [welcome] = _results(
        await _smartsend(
            http,
            INBOX_WELCOME,
            {"contactId": contact_id, "jsonParam": _params(promoCode="APP10"), "languageCode": "uk"},
        )
    )
    assert welcome["status"] == "OK"
    assert sandbox.sent_messages()[-1]["content"].endswith("код APP10.")


async def test_telegram_goes_to_a_chat_id_and_is_delivered_at_once(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    before = (await http.get("/v1/balance")).json()
    results = _results(
        await _smartsend(
            http,
            TELEGRAM_ORDER,
            {"locator": "123456789", "jsonParam": _params(orderId="A-9", status="shipped")},
            {"locator": "-100987654000", "jsonParam": _params(orderId="A-10", status="packed")},
            {"locator": "@olena"},
            {"contactId": 100001},
        )
    )
    assert [r["status"] for r in results] == ["OK", "OK", "ERROR", "ERROR"]
    assert results[2]["message"] == "Invalid locator for telegram: @olena"
    assert results[3]["message"] == "Contact 100001 has no Telegram bot subscription"
    assert sandbox.sent_messages()[-2]["content"] == "Order A-9: shipped."
    assert await _statuses(http, results[0]["requestId"], results[1]["requestId"]) == ["DELIVERED", "BOT_SEND_ERROR"]
    assert (await http.get("/v1/balance")).json() == before  # no per-message price


async def test_sms_smartsend_is_unchanged(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    [result] = _results(
        await _smartsend(http, VERIFICATION_SMS, {"locator": "+380501234567", "jsonParam": _params(code="4821")})
    )
    assert result["status"] == "OK"
    sent = sandbox.sent_messages()[-1]
    assert (sent["channel"], sent["from"]) == ("sms", "LumenHome")
    assert sent["content"].startswith("Lumen Home: your code is 4821.")
