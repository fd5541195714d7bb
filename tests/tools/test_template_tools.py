"""Template and sender tools through a real MCP client against the sandbox's demo account:
list_message_templates on every channel (one shape), get_message_template (content, languages,
variables, the email's view link, HTML cut to fit), create_message_template and
update_message_template (the exact requests, content stored as given, the rest of a message kept,
refusals before any write), and list_senders."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp import Client

from esputnik_mcp.sandbox import Sandbox
from esputnik_mcp.server.runtime import Runtime
from esputnik_mcp.settings import Settings
from esputnik_mcp.toolkit.render import MAX_RESULT_BYTES
from tests.tools.conftest import automation_settings, call, error_text
from tests.tools.support import data, requests, text

pytestmark = pytest.mark.anyio

SHOP = '"Lumen Home" <news@lumen-home.example>'
SMS_FROM = "LumenHome"
ABANDONED_CART, NEWSLETTER, WELCOME = 3002, 3005, 3001
VERIFICATION_SMS, DELIVERY_SMS = 4001, 4002
VIBER_SHIPPED, VIBER_SALE, VIBER_CART = 5001, 5002, 5003
PUSH_BACK_IN_STOCK, INBOX_WELCOME, TELEGRAM_ORDER = 5101, 5202, 5301
CHANNELS = ("email", "sms", "viber", "mobilepush", "appinbox", "telegram")
VIEW = {"id", "name", "subject", "sender", "preview", "tags", "language_code"}


@pytest.fixture
def settings() -> Settings:
    return automation_settings(email_sender=SHOP, sms_sender=SMS_FROM)


def writes(sandbox: Sandbox) -> list[Any]:
    return [e for e in sandbox.journal.entries if e.method in ("POST", "PUT")]


async def test_template_tools_are_marked_as_what_they_do(mcp: Client) -> None:
    tools = {t.name: t.annotations for t in (await mcp.list_tools()).tools}
    for name in ("list_message_templates", "get_message_template", "list_senders"):
        hints = tools[name]
        assert hints is not None
        assert hints.read_only_hint is True
    create, update = tools["create_message_template"], tools["update_message_template"]
    assert create is not None
    assert update is not None
    assert (create.read_only_hint, create.destructive_hint, create.idempotent_hint) == (False, False, False)
    assert (update.read_only_hint, update.destructive_hint, update.idempotent_hint) == (False, True, True)


# --- list_message_templates ----------------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
async def test_every_channel_lists_in_one_shape(mcp: Client, sandbox: Sandbox, channel: str) -> None:
    result = data(await call(mcp, "list_message_templates", {"channel": channel, "limit": 2}))
    assert 1 <= len(result["templates"]) <= 2
    assert result["total"] >= 2
    for template in result["templates"]:
        assert set(template) <= VIEW
        assert {"id", "name", "tags"} <= set(template)
        assert ("preview" in template) == (channel != "email")
    [request] = requests(sandbox, f"GET /v1/messages/{channel}")
    assert request.query == {"startindex": "1", "maxrows": "2"}


async def test_viber_and_push_templates_show_sender_title_and_text(mcp: Client, sandbox: Sandbox) -> None:
    viber = data(await call(mcp, "list_message_templates", {"channel": "viber", "search": "promo"}))["templates"]
    assert [(t["id"], t["sender"]) for t in viber] == [(VIBER_SALE, "LumenHome")]
    assert viber[0]["preview"].startswith("$!{firstName}, -25% on planters")
    push = data(await call(mcp, "list_message_templates", {"channel": "mobilepush", "search": "stock"}))["templates"]
    assert push[0]["subject"] == "Back in stock: $!data.get('productName')"
    assert "sender" not in push[0]
    assert requests(sandbox, "GET /v1/messages/mobilepush")[0].query["search"] == "stock"


# --- get_message_template ------------------------------------------------------------------------


async def test_an_email_template_with_its_languages_variables_and_view_link(mcp: Client, sandbox: Sandbox) -> None:
    result = await call(mcp, "get_message_template", {"message_id": ABANDONED_CART, "channel": "email"})
    got = data(result)
    assert (got["name"], got["language_code"], got["languages"]) == ("Abandoned cart reminder", "en", ["en", "uk"])
    assert got["sender"] == SHOP
    assert got["subject"] == "You left $!data.get('itemsCount') items in your cart"
    assert got["html"].startswith("<p>Hi $!{firstName}, your cart worth")
    assert got["variables"] == ["data.itemsCount", "firstName", "data.cartTotal", "data.currency", "data.cartUrl"]
    assert got["view_link"].endswith(f"/{ABANDONED_CART}")
    assert "html_chars" not in got
    assert "reads data.itemsCount, firstName" in text(result)
    assert [e.route for e in sandbox.journal.entries] == [
        "GET /v1/messages/email/{id}",
        "GET /v1/messages/email/{id}/viewLink",
    ]
    ukrainian = data(
        await call(
            mcp, "get_message_template", {"message_id": ABANDONED_CART, "channel": "email", "language_code": "uk"}
        )
    )
    assert ukrainian["subject"].startswith("У вашому кошику")
    assert ukrainian["language_code"] == "uk"
    assert len(sandbox.journal) == 2, "the second read is answered from the cache"


async def test_viber_push_inbox_and_telegram_templates_show_their_parts(mcp: Client) -> None:
    cart = data(
        await call(mcp, "get_message_template", {"message_id": VIBER_CART, "channel": "viber", "language_code": "en"})
    )
    assert cart["text"].startswith("$!{firstName}, items worth")
    assert cart["buttons"] == [{"text": "Go to cart", "link": "$!data.get('cartUrl')"}]
    assert cart["image_url"].endswith("/cart.jpg")
    assert cart["variables"] == ["firstName", "data.cartTotal", "data.cartUrl"]
    assert "view_link" not in cart
    sale = data(await call(mcp, "get_message_template", {"message_id": VIBER_SALE, "channel": "viber"}))
    assert "data.promoCode" in sale["variables"]
    push = data(await call(mcp, "get_message_template", {"message_id": PUSH_BACK_IN_STOCK, "channel": "mobilepush"}))
    assert (push["subject"], push["link"]) == (
        "Back in stock: $!data.get('productName')",
        "lumenhome://product/$!data.get('sku')",
    )
    assert [b["text"] for b in push["buttons"]] == ["View", "Later"]
    assert push["variables"] == ["data.productName", "firstName", "data.price", "data.sku"]
    inbox = data(await call(mcp, "get_message_template", {"message_id": INBOX_WELCOME, "channel": "appinbox"}))
    assert inbox["languages"] == ["en", "uk"]
    telegram = data(await call(mcp, "get_message_template", {"message_id": TELEGRAM_ORDER, "channel": "telegram"}))
    assert telegram["buttons"] == [{"text": "My orders", "link": "https://lumen-home.example/account/orders"}]


async def test_an_unknown_language_or_a_message_of_another_channel_is_refused(mcp: Client) -> None:
    no_polish = await mcp.call_tool(
        "get_message_template", {"message_id": ABANDONED_CART, "channel": "email", "language_code": "pl"}
    )
    assert f"message {ABANDONED_CART} has no 'pl' version (languages: en, uk)" in error_text(no_polish)
    elsewhere = await mcp.call_tool("get_message_template", {"message_id": VERIFICATION_SMS, "channel": "email"})
    assert f"no stored email message {VERIFICATION_SMS}" in error_text(elsewhere)


async def test_a_large_html_is_cut_to_fit_and_says_where_to_see_it_whole(mcp: Client) -> None:
    html = "<p>" + "Lumen Home & Garden: «lanterns» for summer evenings. " * 900 + "$!{firstName}</p>"
    created = data(
        await call(mcp, "create_message_template", {"channel": "email", "name": "Huge", "subject": "Big", "html": html})
    )
    result = await call(mcp, "get_message_template", {"message_id": created["id"], "channel": "email"})
    got = data(result)
    assert len(text(result).encode()) <= MAX_RESULT_BYTES
    assert html.startswith(got["html"])
    assert len(got["html"]) < got["html_chars"] == len(html)
    assert "view_link" in got["note"]
    assert got["variables"] == ["firstName"], "variables are read from the whole html"
    assert f"html cut to {len(got['html'])} of {len(html)} characters" in text(result)


# --- create_message_template ---------------------------------------------------------------------


async def test_an_email_is_stored_exactly_as_given(mcp: Client, sandbox: Sandbox) -> None:
    html = "<html>\n  <body><p>Hi $!{firstName}, order ${data.orderId}</p>\n</body></html>"
    result = await call(
        mcp,
        "create_message_template",
        {
            "channel": "email",
            "name": "Order ready",
            "subject": "Order $!data.get('orderId')",
            "html": html,
            "tags": ["order"],
            "language_code": "en",
        },
    )
    created = data(result)
    assert created["variables"] == ["data.orderId", "firstName"]
    [sent] = requests(sandbox, "POST /v1/messages/email")
    assert sent.body == {
        "name": "Order ready",
        "from": SHOP,
        "subject": "Order $!data.get('orderId')",
        "htmlText": html,
        "languageCode": "en",
        "tags": ["order"],
    }
    assert requests(sandbox, "GET /v1/interfaces/email"), "the sender is checked first"
    assert f'created email template {created["id"]} "Order ready"' in text(result)
    read = data(await call(mcp, "get_message_template", {"message_id": created["id"], "channel": "email"}))
    assert read["html"] == html


async def test_sms_and_viber_templates_carry_their_channels_fields(mcp: Client, sandbox: Sandbox) -> None:
    sms = await call(mcp, "create_message_template", {"channel": "sms", "name": "Code", "text": "Code $!data.get('c')"})
    assert data(sms)["variables"] == ["data.c"]
    assert requests(sandbox, "POST /v1/messages/sms")[0].body == {
        "name": "Code",
        "from": SMS_FROM,
        "text": "Code $!data.get('c')",
    }
    viber = {
        "channel": "viber",
        "name": "Sale",
        "sender": "LumenHome",
        "text": "$!{firstName}, -20%",
        "image_url": "https://lumen-home.example/a.jpg",
        "caption": "Shop",
        "button": "https://lumen-home.example/sale?c=$!data.get('code')",
        "ttl_seconds": 3600,
        "sms_fallback": "-20%: lumen-home.example/sale",
        "sms_sender": "LumenHome",
    }
    interface_reads = len(sandbox.journal.for_route("GET /v1/interfaces/sms"))
    created = data(await call(mcp, "create_message_template", viber))
    assert created["variables"] == ["firstName", "data.code"]
    assert requests(sandbox, "POST /v1/messages/viber")[0].body == {
        "name": "Sale",
        "from": "LumenHome",
        "text": "$!{firstName}, -20%",
        "img": "https://lumen-home.example/a.jpg",
        "caption": "Shop",
        "action": "https://lumen-home.example/sale?c=$!data.get('code')",
        "ttlSec": 3600,
        "smsFallback": True,
        "smsSender": "LumenHome",
        "smsContent": "-20%: lumen-home.example/sale",
    }
    assert len(sandbox.journal.for_route("GET /v1/interfaces/sms")) == interface_reads, "no Viber senders to read"


@pytest.mark.parametrize(
    ("arguments", "why"),
    [
        ({"channel": "email", "name": "x", "html": "<p/>"}, "nothing was saved: an email message needs subject"),
        ({"channel": "sms", "name": "x"}, "nothing was saved: an SMS message needs text"),
        ({"channel": "viber", "name": "x", "text": "t"}, "nothing was saved: a Viber message needs sender"),
        (
            {"channel": "viber", "name": "x", "sender": "LumenHome", "text": "t", "caption": "Go"},
            "img, caption and action go together",
        ),
        (
            {"channel": "email", "name": "x", "subject": "s", "html": "<p/>", "sender": "x@elsewhere.example"},
            "nothing was saved: 'x@elsewhere.example' is not one of the account's email senders",
        ),
        ({"channel": "sms", "name": "x", "text": "t", "subject": "s"}, "subject: not a field of sms messages"),
    ],
)
async def test_a_template_that_would_be_refused_is_not_written(
    mcp: Client, sandbox: Sandbox, arguments: dict[str, Any], why: str
) -> None:
    result = await mcp.call_tool("create_message_template", arguments)
    assert why in error_text(result)
    assert writes(sandbox) == []


# --- update_message_template ---------------------------------------------------------------------


async def test_an_update_changes_what_is_given_and_keeps_the_rest(mcp: Client, sandbox: Sandbox) -> None:
    result = await call(
        mcp, "update_message_template", {"message_id": DELIVERY_SMS, "channel": "sms", "tags": ["order", "delivery"]}
    )
    assert data(result)["variables"] == ["data.orderId", "data.trackingUrl"]
    [put] = requests(sandbox, "PUT /v1/messages/sms/{id}")
    assert put.path == f"/v1/messages/sms/{DELIVERY_SMS}"
    assert put.body == {
        "name": "Delivery notice",
        "from": SMS_FROM,
        "text": "Your order ${data.orderId} is on its way.#if($data.trackingUrl) Track it: $data.trackingUrl#end",
        "languageCode": "en",
        "tags": ["order", "delivery"],
    }
    read = data(await call(mcp, "get_message_template", {"message_id": DELIVERY_SMS, "channel": "sms"}))
    assert read["tags"] == ["order", "delivery"], "the write forgot the cached read"


async def test_new_html_drops_the_styles_made_for_the_old(mcp: Client, sandbox: Sandbox) -> None:
    result = await call(
        mcp, "update_message_template", {"message_id": NEWSLETTER, "channel": "email", "html": "<p>July picks</p>"}
    )
    assert "its styles, made for the old html, were removed" in text(result)
    [put] = requests(sandbox, "PUT /v1/messages/email/{id}")
    assert put.body["htmlText"] == "<p>July picks</p>"
    assert "css" not in put.body
    assert put.body["subject"] == "June garden picks"


async def test_a_language_version_is_added_and_read_back(mcp: Client, sandbox: Sandbox) -> None:
    result = await call(
        mcp,
        "update_message_template",
        {"message_id": VERIFICATION_SMS, "channel": "sms", "language_code": "uk", "text": "Код: $!data.get('code')"},
    )
    assert "(uk version)" in text(result)
    [put] = requests(sandbox, "PUT /v1/messages/sms/{id}/{language}")
    assert put.path == f"/v1/messages/sms/{VERIFICATION_SMS}/uk"
    assert put.body["languageCode"] == "uk"
    assert put.body["name"] == "Verification code"
    base = data(await call(mcp, "get_message_template", {"message_id": VERIFICATION_SMS, "channel": "sms"}))
    assert base["languages"] == ["en", "uk"]
    assert base["text"].startswith("Lumen Home: your code")
    uk = await call(
        mcp, "get_message_template", {"message_id": VERIFICATION_SMS, "channel": "sms", "language_code": "uk"}
    )
    assert data(uk)["text"] == "Код: $!data.get('code')"


async def test_a_viber_update_keeps_the_image_and_button_together(mcp: Client, sandbox: Sandbox) -> None:
    await call(mcp, "update_message_template", {"message_id": VIBER_SALE, "channel": "viber", "caption": "Buy now"})
    [put] = requests(sandbox, "PUT /v1/messages/viber/{id}")
    assert (put.body["caption"], put.body["img"], put.body["smsFallback"]) == (
        "Buy now",
        "https://lumen-home.example/img/viber/garden-sale.jpg",
        True,
    )
    made_transactional = await mcp.call_tool(
        "update_message_template", {"message_id": VIBER_SALE, "channel": "viber", "transactional": True}
    )
    assert "transactional Viber message is text only" in error_text(made_transactional)
    assert len(requests(sandbox, "PUT /v1/messages/viber/{id}")) == 1


async def test_an_unknown_message_is_refused_without_a_write(mcp: Client, sandbox: Sandbox) -> None:
    result = await mcp.call_tool("update_message_template", {"message_id": 424242, "channel": "email", "name": "x"})
    assert "no stored email message 424242" in error_text(result)
    assert writes(sandbox) == []


async def test_writes_record_the_template_and_channel_in_the_audit_log(mcp: Client, runtime: Runtime) -> None:
    await call(mcp, "create_message_template", {"channel": "sms", "name": "x", "text": "t"})
    await call(mcp, "update_message_template", {"message_id": WELCOME, "channel": "email", "language_code": "uk"})
    targets = [r.target for r in await runtime.store.audit(tool=None)]
    assert targets == ["update email template 3001 (uk version)", "create sms template"]


# --- list_senders --------------------------------------------------------------------------------


async def test_senders_of_each_kind_and_whether_the_default_is_one(mcp: Client, runtime: Runtime) -> None:
    email = await call(mcp, "list_senders", {"channel": "email"})
    got = data(email)
    assert got["senders"][0] == SHOP
    assert len(got["senders"]) == 3
    assert (got["default_sender"], got["default_listed"]) == (SHOP, True)
    sms = data(await call(mcp, "list_senders", {"channel": "sms"}))
    assert sms["senders"] == ["LumenHome", "LumenSale"]
    runtime.settings = automation_settings(email_sender="News <news@elsewhere.example>")
    foreign = await call(mcp, "list_senders", {"channel": "email"})
    assert data(foreign)["default_listed"] is False
    assert "NOT one of them" in text(foreign)
    assert json.loads(text(foreign).partition("\n")[2])["senders"] == got["senders"]
