"""Creating and updating stored messages of every channel (SPEC add*/updateBase*/updateTranslate*),
the email view link, and one-off Viber sends to phones and to segments (SPEC sendViber)."""

from typing import Any

import httpx2 as httpx
import pytest

from esputnik_mcp.api import ESputnikClient
from esputnik_mcp.api.models import SmsMessageInput, ViberInput
from esputnik_mcp.sandbox import Sandbox

pytestmark = pytest.mark.anyio

ABANDONED_CART, VERIFICATION_SMS, VIBER_SHIPPED, VIBER_CART = 3002, 4001, 5001, 5003
STAFF = 2005  # a static segment of the demo account
VIBER_FROM = "LumenHome"

NEW: dict[str, dict[str, Any]] = {
    "email": {"name": "Spring", "from": '"Lumen Home" <news@lumen-home.example>', "subject": "S", "htmlText": "<p/>"},
    "sms": {"name": "Code", "from": "LumenHome", "text": "Code $!data.get('code')", "trackUrls": False},
    "viber": {"name": "Sale", "from": VIBER_FROM, "text": "-20%", "transactional": False, "ttlSec": 3600},
    "mobilepush": {
        "name": "Back",
        "title": "Back",
        "text": "In stock",
        "buttons": [{"actionId": "o", "label": "View"}],
    },
    "appinbox": {"name": "Points", "title": "Points", "text": "You have 10", "ttlSec": 60},
    "telegram": {"name": "Order", "buttons": [{"text": "Orders", "link": "https://lumen-home.example/orders"}]},
}


@pytest.mark.parametrize("channel", list(NEW))
async def test_a_created_message_reads_back_and_is_found_by_name(http: httpx.AsyncClient, channel: str) -> None:
    created = await http.post(f"/v1/messages/{channel}", json=NEW[channel])
    assert created.status_code == 200, created.text
    assert created.headers["content-type"].startswith("application/json")
    message_id = created.json()["id"]
    assert isinstance(message_id, int)
    read = (await http.get(f"/v1/messages/{channel}/{message_id}")).json()
    assert read == {**NEW[channel], "id": message_id}
    found = (await http.get(f"/v1/messages/{channel}", params={"search": NEW[channel]["name"].lower()})).json()
    assert message_id in [m["id"] for m in found]
    other = "sms" if channel == "email" else "email"
    assert (await http.get(f"/v1/messages/{other}/{message_id}")).status_code == 404


@pytest.mark.parametrize(
    ("channel", "body", "why"),
    [
        ("email", {"name": "x", "from": "a@b.example", "htmlText": "<p/>"}, "subject"),  # required
        ("sms", {"name": "x", "from": "S", "text": "t", "unknown": 1}, "unknown"),
        ("sms", {"name": "x", "from": "S", "text": 5}, "text"),
        ("viber", {"name": "x", "from": "Nobody", "text": "t"}, "Non-existing sender name"),
        ("viber", {"name": "x", "from": VIBER_FROM, "text": "t", "img": "https://i.example/a.jpg"}, "not all three"),
        (
            "viber",
            {
                "name": "x",
                "from": VIBER_FROM,
                "text": "t",
                "transactional": True,
                "img": "https://i.example/a.jpg",
                "caption": "Go",
                "action": "https://lumen-home.example",
            },
            "transactional",
        ),
        ("mobilepush", {"name": "x", "text": "t"}, "title"),
        ("telegram", {"name": "x", "buttons": [{"text": "Go"}]}, "link"),
    ],
)
async def test_a_message_the_schema_or_the_documented_rules_refuse_is_400(
    http: httpx.AsyncClient, channel: str, body: dict[str, Any], why: str
) -> None:
    refused = await http.post(f"/v1/messages/{channel}", json=body)
    assert refused.status_code == 400
    assert why in refused.text
    assert (await http.put(f"/v1/messages/{channel}/{VIBER_SHIPPED}", json=body)).status_code in (400, 404)


async def test_an_update_replaces_the_base_and_keeps_the_language_versions(http: httpx.AsyncClient) -> None:
    before = (await http.get(f"/v1/messages/email/{ABANDONED_CART}")).json()
    body = {"name": "Cart", "from": before["from"], "subject": "Still there?", "htmlText": "<p>New</p>"}
    updated = await http.put(f"/v1/messages/email/{ABANDONED_CART}", json=body)
    assert updated.status_code == 200
    assert updated.headers["content-type"].startswith("text/plain")
    after = (await http.get(f"/v1/messages/email/{ABANDONED_CART}")).json()
    assert (after["subject"], after["htmlText"], after["name"]) == ("Still there?", "<p>New</p>", "Cart")
    assert "tags" not in after  # what the body leaves out is gone
    assert after["languages"] == ["uk"]
    assert after["translations"][0]["subject"].startswith("У вашому кошику")
    missing = await http.put("/v1/messages/email/424242", json=body)
    assert (missing.status_code, missing.text) == (404, "Message with id=424242 not found")
    elsewhere = await http.put(f"/v1/messages/sms/{ABANDONED_CART}", json={"name": "x", "from": "S", "text": "t"})
    assert elsewhere.status_code == 404


async def test_a_language_version_is_added_then_replaced(http: httpx.AsyncClient) -> None:
    body = {"name": "Code", "from": "LumenHome", "text": "Ваш код $!data.get('code')"}
    added = await http.put(f"/v1/messages/sms/{VERIFICATION_SMS}/UK", json=body)
    assert added.status_code == 200
    message = (await http.get(f"/v1/messages/sms/{VERIFICATION_SMS}")).json()
    assert message["languages"] == ["uk"]
    assert message["translations"][0]["text"] == "Ваш код $!data.get('code')"
    assert message["text"].startswith("Lumen Home: your code")  # the base is untouched
    await http.put(f"/v1/messages/sms/{VERIFICATION_SMS}/uk", json={**body, "text": "Код $!data.get('code')"})
    again = (await http.get(f"/v1/messages/sms/{VERIFICATION_SMS}")).json()
    assert [t["text"] for t in again["translations"]] == ["Код $!data.get('code')"]
    assert (await http.put(f"/v1/messages/sms/{VERIFICATION_SMS}/ukr", json=body)).status_code == 400


async def test_the_client_creates_and_translates_and_reads_back_what_it_wrote(client: ESputnikClient) -> None:
    message = SmsMessageInput(name="Pickup", from_="LumenHome", text="Ready: ${data.orderId}")
    message_id = await client.templates.create("sms", message)
    assert (await client.templates.get("sms", message_id)).text == "Ready: ${data.orderId}"
    await client.templates.update("sms", message_id, message.model_copy(update={"text": "Готово"}), language_code="uk")
    read = await client.templates.get("sms", message_id)  # not the cached answer from before the write
    assert read.languages == ["uk"]
    assert read.translations[0].text == "Готово"


async def test_an_email_has_a_view_link_other_messages_do_not(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    link = await http.get(f"/v1/messages/email/{ABANDONED_CART}/viewLink")
    assert link.status_code == 200
    assert link.json()["link"].endswith(f"/{ABANDONED_CART}")
    assert (await http.get(f"/v1/messages/email/{VERIFICATION_SMS}/viewLink")).status_code == 404
    assert sandbox.journal.entries[-1].route == "GET /v1/messages/email/{id}/viewLink"


# --- POST /v1/message/viber ----------------------------------------------------------------------


async def test_viber_to_a_phone_is_sent_billed_and_followed_by_activity(
    client: ESputnikClient, sandbox: Sandbox
) -> None:
    before = (await client.account.balance()).current_balance
    [result] = await client.messages.send_viber(
        ViberInput(text="Hi $!{firstName}", ios_expirity_text="Hi", phone_numbers=["+48 600 100 201"], tags=["t"])
    )
    assert (result.status, result.locator) == ("OK", "+48 600 100 201")
    [sent] = sandbox.sent_messages()
    assert (sent["channel"], sent["from"], sent["tags"]) == ("viber", VIBER_FROM, ["t"])
    assert (await client.contacts.search(phone="48600100201")).total == 1  # a new contact
    assert (await client.account.balance()).current_balance == pytest.approx((before or 0) - 0.60)
    sandbox.clock.advance(3600)
    [status] = await client.messages.status([result.request_id or ""])
    assert status.status != "IN_QUEUE"
    assert sandbox.activity(result.request_id)


async def test_viber_to_a_segment_reaches_each_member_with_a_phone(client: ESputnikClient, sandbox: Sandbox) -> None:
    members = [c.id or 0 for c in (await client.segments.contacts(STAFF)).items]
    phones = [p for m in members for p in (await client.contacts.get(m)).channel_values("sms")[:1]]
    results = await client.messages.send_viber(ViberInput(text="Sale!", ios_expirity_text="Sale!", group_id=STAFF))
    assert sorted(r.locator or "" for r in results) == sorted(phones)
    assert {m["channel"] for m in sandbox.sent_messages()} == {"viber"}
    assert all(sandbox.activity(r.request_id, include_future=True) for r in results)


@pytest.mark.parametrize(
    ("body", "status", "why"),
    [
        ({"text": "x", "iosExpirityText": "x"}, 400, "phoneNumbers or groupId"),
        ({"text": "x", "phoneNumbers": ["+380501234567"]}, 400, "iosExpirityText"),
        ({"text": "x", "iosExpirityText": "x", "groupId": 999999}, 404, "Segment with id=999999 not found"),
        ({"text": "x", "iosExpirityText": "x", "phoneNumbers": ["+380501234567"], "from": "Nobody"}, 400, "Nobody"),
        ({"text": "x", "iosExpirityText": "x", "phoneNumbers": ["+380501234567"], "ttlSeconds": "1"}, 400, "ttl"),
    ],
)
async def test_a_viber_send_the_schema_refuses_sends_nothing(
    http: httpx.AsyncClient, sandbox: Sandbox, body: dict[str, Any], status: int, why: str
) -> None:
    refused = await http.post("/v1/message/viber", json=body)
    assert refused.status_code == status
    assert why in refused.text
    assert sandbox.sent_messages() == []


async def test_an_invalid_number_is_an_error_result(http: httpx.AsyncClient) -> None:
    body = {"text": "x", "iosExpirityText": "x", "phoneNumbers": ["not a phone", "+380501234567"]}
    results = (await http.post("/v1/message/viber", json=body)).json()["results"]
    assert [r["status"] for r in results] == ["ERROR", "OK"]
