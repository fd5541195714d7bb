"""Sender interfaces and reading one stored message of each channel: documented shapes, plain-text
404s for an unknown id or another channel's id, and the 500-an-hour template read limit."""

import httpx2 as httpx
import pytest
from sandbox_support import KEY

from esputnik_mcp.api import ESputnikClient, NotFoundError
from esputnik_mcp.sandbox import DEMO_EMAIL_SENDER, DEMO_SMS_SENDER, SANDBOX_BASE_URL, Sandbox

pytestmark = pytest.mark.anyio

ABANDONED_CART, ORDER_CONFIRMATION, VERIFICATION_SMS = 3002, 3003, 4001
VIBER_SHIPPED, VIBER_SALE, VIBER_CART = 5001, 5002, 5003
PUSH_BACK_IN_STOCK, INBOX_LOYALTY, INBOX_WELCOME, TELEGRAM_ORDER = 5101, 5201, 5202, 5301
CHANNELS = ("email", "sms", "viber", "mobilepush", "appinbox", "telegram")

# The documented fields of each channel's message (SPEC Base*Message).
COMMON = {"id", "name", "languageCode", "tags", "subscriptionsKeys", "languages", "translations"}
FIELDS = {
    "email": COMMON | {"from", "subject", "htmlText", "rawHtml", "ampHtml", "css"},
    "sms": COMMON | {"from", "text", "trackUrls"},
    "viber": COMMON
    | {"from", "transactional", "text", "img", "caption", "action", "ttlSec", "smsFallback", "smsSender", "smsContent"},
    "mobilepush": COMMON
    | {
        "title",
        "subtitle",
        "text",
        "link",
        "imageSource",
        "customData",
        "ttlSec",
        "buttons",
        "soundEnabled",
        "badgeCount",
        "images",
    },
    "appinbox": COMMON | {"title", "text", "link", "imageSource", "customData", "ttlSec"},
    "telegram": COMMON | {"text", "imageSource", "buttons"},
}
REQUIRED = {
    "email": {"name", "from", "subject", "htmlText"},
    "sms": {"name", "from", "text"},
    "viber": {"name", "from", "text"},
    "mobilepush": {"name", "title", "text"},
    "appinbox": {"name", "title", "text"},
    "telegram": {"name"},
}


async def _ids(http: httpx.AsyncClient, channel: str) -> list[int]:
    return [m["id"] for m in (await http.get(f"/v1/messages/{channel}")).json()]


async def test_senders_answer_arrays_of_type_and_value_with_the_defaults_first(http: httpx.AsyncClient) -> None:
    email = await http.get("/v1/interfaces/email")
    sms = await http.get("/v1/interfaces/sms")
    assert email.headers["content-type"].startswith("application/json")
    assert all(set(s) == {"type", "value"} and s["type"] == "email" for s in email.json())
    assert all(set(s) == {"type", "value"} and s["type"] == "sms" for s in sms.json())
    assert email.json()[0]["value"] == DEMO_EMAIL_SENDER
    assert 2 <= len(email.json()) <= 3
    assert [s["value"] for s in sms.json()] == [DEMO_SMS_SENDER, "LumenSale"]
    assert all(s["value"].endswith("@lumen-home.example>") for s in email.json())


async def test_an_account_without_data_still_has_the_default_senders(bare: Sandbox) -> None:
    async with httpx.AsyncClient(transport=bare.transport(), base_url=SANDBOX_BASE_URL, auth=("a", KEY)) as http:
        assert (await http.get("/v1/interfaces/email")).json() == [{"type": "email", "value": DEMO_EMAIL_SENDER}]
        assert (await http.get("/v1/interfaces/sms")).json() == [{"type": "sms", "value": DEMO_SMS_SENDER}]
        assert (await http.get("/v1/messages/viber")).json() == []


async def test_senders_take_no_query_parameters(http: httpx.AsyncClient) -> None:
    refused = await http.get("/v1/interfaces/sms", params={"type": "sms"})
    assert refused.status_code == 400
    assert "Unknown query parameter(s): type" in refused.text


async def test_every_demo_message_reads_in_its_channels_documented_shape(http: httpx.AsyncClient) -> None:
    for channel in CHANNELS:
        ids = await _ids(http, channel)
        assert len(ids) >= 2, channel
        for message_id in ids:
            response = await http.get(f"/v1/messages/{channel}/{message_id}")
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("application/json")
            message = response.json()
            assert set(message) <= FIELDS[channel], (channel, set(message) - FIELDS[channel])
            assert REQUIRED[channel] <= set(message), (channel, message_id)
            assert message["id"] == message_id
            assert isinstance(message["tags"], list)
            for translation in message.get("translations", []):
                assert set(translation) <= FIELDS[channel] - {"languages", "translations"}
                assert REQUIRED[channel] <= set(translation)


async def test_a_translation_is_the_whole_message_in_its_language(http: httpx.AsyncClient) -> None:
    cart = (await http.get(f"/v1/messages/email/{ABANDONED_CART}")).json()
    assert cart["languageCode"] == "en"
    assert cart["languages"] == ["uk"]
    [ukrainian] = cart["translations"]
    assert ukrainian["languageCode"] == "uk"
    assert ukrainian["subject"].startswith("У вашому кошику")
    assert (ukrainian["from"], ukrainian["name"]) == (cart["from"], cart["name"])  # kept from the base
    viber = (await http.get(f"/v1/messages/viber/{VIBER_CART}")).json()
    assert viber["languages"] == ["en"]
    assert viber["translations"][0]["caption"] == "Go to cart"
    assert viber["translations"][0]["img"] == viber["img"]
    single = (await http.get(f"/v1/messages/sms/{VERIFICATION_SMS}")).json()
    assert "languages" not in single
    assert "translations" not in single


async def test_the_new_channels_hold_realistic_content(http: httpx.AsyncClient) -> None:
    sale = (await http.get(f"/v1/messages/viber/{VIBER_SALE}")).json()
    assert sale["from"] == "LumenHome"
    assert all(sale[k] for k in ("img", "caption", "action"))  # all three or none (SPEC)
    assert sale["smsFallback"] is True
    push = (await http.get(f"/v1/messages/mobilepush/{PUSH_BACK_IN_STOCK}")).json()
    assert all({"actionId", "label"} <= set(b) for b in push["buttons"])
    assert push["customData"].startswith("{")  # a JSON-encoded string (SPEC)
    telegram = (await http.get(f"/v1/messages/telegram/{TELEGRAM_ORDER}")).json()
    assert all(set(b) == {"text", "link"} for b in telegram["buttons"])


async def test_demo_messages_personalise_with_velocity(http: httpx.AsyncClient) -> None:
    texts = []
    for channel in CHANNELS:
        for message_id in await _ids(http, channel):
            message = (await http.get(f"/v1/messages/{channel}/{message_id}")).json()
            texts.append(" ".join(str(message.get(k, "")) for k in ("subject", "htmlText", "title", "text")))
    everything = "\n".join(texts)
    assert "$!data.get('" in everything
    assert "${data.orderId}" in everything
    assert "$!{firstName}" in everything
    assert sum("#if(" in t and "#end" in t for t in texts) >= 4
    order = (await http.get(f"/v1/messages/email/{ORDER_CONFIRMATION}")).json()
    assert "${data.orderId}" in order["htmlText"]
    assert "#if($data.deliveryDate)" in order["htmlText"]


@pytest.mark.parametrize(
    ("path", "message_id"),
    [
        ("/v1/messages/email/424242", 424242),
        (f"/v1/messages/sms/{ABANDONED_CART}", ABANDONED_CART),  # an email message
        (f"/v1/messages/viber/{VERIFICATION_SMS}", VERIFICATION_SMS),  # an SMS message
        (f"/v1/messages/mobilepush/{INBOX_LOYALTY}", INBOX_LOYALTY),  # an App Inbox message
        (f"/v1/messages/appinbox/{PUSH_BACK_IN_STOCK}", PUSH_BACK_IN_STOCK),
        (f"/v1/messages/telegram/{VIBER_SHIPPED}", VIBER_SHIPPED),
    ],
)
async def test_an_unknown_id_or_another_channels_id_is_a_plain_text_404(
    http: httpx.AsyncClient, path: str, message_id: int
) -> None:
    response = await http.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == f"Message with id={message_id} not found"


async def test_a_bad_id_or_a_query_parameter_is_refused(http: httpx.AsyncClient) -> None:
    not_a_number = await http.get("/v1/messages/telegram/first")
    assert not_a_number.status_code == 400
    assert "message id must be an integer" in not_a_number.text
    with_query = await http.get(f"/v1/messages/sms/{VERIFICATION_SMS}", params={"languageCode": "uk"})
    assert with_query.status_code == 400


async def test_the_client_reads_every_channel_and_maps_404(client: ESputnikClient) -> None:
    email = await client.templates.get("email", ABANDONED_CART)
    assert email.translations[0].language_code == "uk"
    viber = await client.templates.get("viber", VIBER_SALE)
    assert (viber.from_, viber.caption, viber.sms_fallback) == ("LumenHome", "Shop the sale", True)
    push = await client.templates.get("mobilepush", PUSH_BACK_IN_STOCK)
    assert [b.action_id for b in push.buttons] == ["open_product", "later"]
    inbox = await client.templates.get("appinbox", INBOX_WELCOME)
    assert inbox.languages == ["uk"]
    telegram = await client.templates.get("telegram", TELEGRAM_ORDER)
    assert telegram.buttons[0].text == "My orders"
    senders = await client.senders.email()
    assert senders[0].value == DEMO_EMAIL_SENDER
    with pytest.raises(NotFoundError):
        await client.templates.get("appinbox", TELEGRAM_ORDER)


async def test_message_reads_count_against_the_template_read_limit(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    paths = [f"/v1/messages/{c}/{i}" for c in CHANNELS for i in await _ids(http, c)]  # 6 searches
    statuses: list[int] = []
    for n in range(500 - 6):
        statuses.append((await http.get(paths[n % len(paths)])).status_code)
    assert set(statuses) == {200}
    assert (await http.get(paths[0])).status_code == 429
    assert (await http.get("/v1/messages/email")).status_code == 429  # searches share the budget
    assert (await http.get("/v1/interfaces/email")).status_code == 200  # senders do not
    sandbox.clock.advance(3600)
    assert (await http.get(paths[0])).status_code == 200
