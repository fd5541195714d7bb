"""Promo codes, product feeds and recommendations through the official client: uploads split into
requests with progress, the promo-code list that arrives as a JSON string, the confirmation of a new
feed configuration showing the old and the new, and recommendations by data source."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest
from mcp import Client

from esputnik_mcp.api import ESputnikClient
from esputnik_mcp.sandbox import SANDBOX_BASE_URL, Fault, Sandbox
from esputnik_mcp.server.app import build_server
from esputnik_mcp.server.runtime import Runtime
from tests.tools.conftest import automation_settings, call, error_text
from tests.tools.support import data, requests, text

pytestmark = pytest.mark.anyio

UPLOAD = "POST /v1/promocodes"
LIST = "GET /v1/promocodes"
COUNT = "GET /v1/promocodes/count"
FEEDS_GET = "GET /v1/products/config"
FEEDS_SET = "POST /v1/products/config"
RECOMS = "GET /v2/contacts/recoms/{dataSourceId}"
DEMO_FEEDS = [
    {"url": "https://lumen-home.example/feeds/products-uk.xml", "language": "uk", "default": True},
    {"url": "https://lumen-home.example/feeds/products-en.xml", "language": "en", "default": False},
]


def _first_line(result: Any) -> str:
    return text(result).partition("\n")[0]


async def test_commerce_tool_annotations(mcp: Client) -> None:
    tools = {t.name: t.annotations for t in (await mcp.list_tools()).tools}
    for name in ("list_promo_codes", "count_promo_codes", "get_product_feeds", "get_recommendations"):
        hints = tools[name]
        assert hints is not None
        assert hints.read_only_hint, name
    for name in ("upload_promo_codes", "set_product_feeds"):
        hints = tools[name]
        assert hints is not None
        assert (hints.read_only_hint, hints.destructive_hint, hints.idempotent_hint) == (False, True, True), name


# --- promo codes ---------------------------------------------------------------------------------


async def test_2500_promo_codes_go_in_three_requests_with_progress(mcp_both: Client, sandbox: Sandbox) -> None:
    updates: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append((progress, total, message))

    codes = ["SUMMER-00007"] + [f"SUMMER-{n:05d}" for n in range(2500)]  # one given twice
    arguments = {"codes": codes, "expires_at": "2025-08-31", "discount": 15, "type": "summer"}
    result = await mcp_both.call_tool("upload_promo_codes", arguments, progress_callback=on_progress)
    assert not result.is_error, text(result)
    sent = requests(sandbox, UPLOAD)
    assert sorted(len(r.body["promocodes"]) for r in sent) == [500, 1000, 1000]
    assert {(r.body["expirationDate"], r.body["discount"], r.body["type"], r.body["inUse"]) for r in sent} == {
        ("2025-08-31T23:59", 15, "summer", False)
    }
    for _ in range(100):  # notifications travel apart from the result
        if len(updates) == 3:
            break
        await anyio.sleep(0.01)
    assert len(updates) == 3
    assert updates[-1][:2] == (2500, 2500)
    out = data(result)
    assert (out["codes"], out["duplicates"], out["accepted"], out["failed"]) == (2500, 1, 2500, 0)
    # the call's own indexes: the repeat (index 8) was left out
    assert [(r["items"], r["accepted"]) for r in out["requests"]] == [
        ("0-7, 9-1000", 1000),
        ("1001-2000", 1000),
        ("2001-2500", 500),
    ]
    assert (out["new"], out["updated"]) == (2500, 0)
    assert "2500 new and 0 existing" in _first_line(result)
    listed = data(await call(mcp_both, "list_promo_codes", {"type": "summer", "limit": 1}))
    assert listed["total"] == 2500


async def test_an_uploaded_code_that_exists_takes_the_new_values(mcp: Client) -> None:
    [code] = data(await call(mcp, "list_promo_codes", {"type": "spring-sale", "in_use": False, "limit": 1}))["codes"]
    arguments = {"codes": [code["code"]], "expires_at": "2025-12-31T20:15", "discount": 25, "type": "spring-sale"}
    first = data(await call(mcp, "upload_promo_codes", {**arguments, "codes": [code["code"], "NEW-CODE-1"]}))
    assert (first["new"], first["updated"]) == (1, 1)
    again = data(await call(mcp, "upload_promo_codes", arguments))
    assert (again["new"], again["updated"]) == (0, 1)
    found = data(await call(mcp, "list_promo_codes", {"type": "spring-sale", "discount": 25}))["codes"]
    assert sorted(found, key=lambda c: c["code"]) == [
        {"code": code, "expires_at": "2025-12-31T20:15", "discount": 25, "type": "spring-sale", "in_use": False}
        for code in sorted([code["code"], "NEW-CODE-1"])
    ]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"expires_at": "2025-08-31T23:59+03:00"}, "without an offset"),
        ({"expires_at": "31.08.2025"}, "not a date or date-time"),
        ({"discount": 100}, "less than or equal to 99"),
        ({"codes": []}, "at least 1 item"),
    ],
)
async def test_promo_codes_eSputnik_would_refuse_are_refused_first(
    mcp: Client, sandbox: Sandbox, changes: dict[str, Any], reason: str
) -> None:
    arguments = {"codes": ["X-1"], "expires_at": "2025-08-31", "discount": 10, **changes}
    assert reason in error_text(await mcp.call_tool("upload_promo_codes", arguments))
    assert requests(sandbox, UPLOAD) == []


async def test_the_list_sent_as_a_json_string_is_parsed_and_paged(mcp: Client, sandbox: Sandbox) -> None:
    first = await call(mcp, "list_promo_codes", {"type": "spring-sale", "in_use": False, "limit": 20})
    [request] = requests(sandbox, LIST)
    assert request.query == {"type": "spring-sale", "inUse": "false"}
    assert isinstance(json.loads(request.response_body), str)  # the list arrived as a JSON string
    page = data(first)
    assert (len(page["codes"]), page["total"]) == (20, 28)
    assert page["codes"][0]["code"].startswith("SPRING10-")
    assert set(page["codes"][0]) == {"code", "expires_at", "discount", "type", "in_use"}
    assert _first_line(first) == "[sandbox] 20 of 28 promo codes (type=spring-sale, in_use=False)"
    second = data(
        await call(mcp, "list_promo_codes", {"type": "spring-sale", "in_use": False, "cursor": page["next_cursor"]})
    )
    assert len(second["codes"]) == 8
    assert "next_cursor" not in second
    assert {c["code"] for c in second["codes"]}.isdisjoint(c["code"] for c in page["codes"])
    other = await mcp.call_tool("list_promo_codes", {"type": "welcome", "cursor": page["next_cursor"]})
    assert "different query" in error_text(other)


async def test_a_list_sent_as_the_array_itself_is_read_too(mcp: Client, sandbox: Sandbox) -> None:
    codes = [{"code": "A-1", "expirationDate": "2025-07-01T10:00", "discount": 5, "inUse": True}, "B-2"]
    sandbox.faults.add(
        Fault(route=LIST, status=200, body=json.dumps(codes), headers={"Content-Type": "application/json"})
    )
    page = data(await call(mcp, "list_promo_codes", {}))
    assert page["codes"] == [
        {"code": "A-1", "expires_at": "2025-07-01T10:00", "discount": 5, "in_use": True},
        {"code": "B-2"},
    ]


async def test_filters_narrow_the_list(mcp: Client) -> None:
    used = data(await call(mcp, "list_promo_codes", {"in_use": True}))
    assert used["total"] == 12 + 5 + 9
    assert all(c["in_use"] for c in used["codes"])
    lasting = data(await call(mcp, "list_promo_codes", {"active_for_days": 60}))  # only the welcome codes last
    assert {c["type"] for c in lasting["codes"]} == {"welcome"}
    assert data(await call(mcp, "list_promo_codes", {"discount": 20}))["total"] == 15


async def test_count_asks_eSputnik_or_counts_the_list_by_in_use(mcp: Client, sandbox: Sandbox) -> None:
    available = await call(mcp, "count_promo_codes", {"type": "welcome"})
    assert data(available) == {"count": 20, "counted": "available", "sandbox": True}
    assert _first_line(available) == "[sandbox] 20 promo codes available (type=welcome)"
    assert [r.query for r in requests(sandbox, COUNT)] == [{"type": "welcome"}]
    used = await call(mcp, "count_promo_codes", {"type": "welcome", "in_use": True})
    assert data(used) == {"count": 5, "counted": "listed", "sandbox": True}
    assert [r.query for r in requests(sandbox, LIST)] == [{"type": "welcome", "inUse": "true"}]
    assert "5 promo codes in use" in _first_line(used)


# --- product feeds -------------------------------------------------------------------------------


async def test_the_feeds_are_read(mcp: Client) -> None:
    result = await call(mcp, "get_product_feeds")
    assert data(result)["feeds"] == DEMO_FEEDS
    assert _first_line(result).startswith('[sandbox] 2 product feeds: uk (default) "https://lumen-home.example/')


async def test_setting_feeds_replaces_them_and_reports_the_old_and_new(mcp: Client, sandbox: Sandbox) -> None:
    new = [{"url": "https://shop.example/feed.xml", "language": "en", "default": True}]
    result = await call(mcp, "set_product_feeds", {"feeds": new})
    [request] = requests(sandbox, FEEDS_SET)
    assert request.body == {"feeds": new}
    out = data(result)
    assert (out["previous"], out["feeds"]) == (DEMO_FEEDS, new)
    assert _first_line(result) == (
        '[sandbox] product feeds replaced. Was: uk (default) "https://lumen-home.example/feeds/products-uk.xml"; '
        'en "https://lumen-home.example/feeds/products-en.xml". Now: en (default) "https://shop.example/feed.xml"'
    )
    assert data(await call(mcp, "get_product_feeds"))["feeds"] == new


async def test_the_confirmation_of_new_feeds_shows_the_old_and_the_new(sandbox: Sandbox) -> None:
    client = ESputnikClient("sandbox", base_url=SANDBOX_BASE_URL, transport=sandbox.transport())
    runtime = Runtime(settings=automation_settings(send_confirmation="token"), client=client, sandbox=sandbox)
    new = {"feeds": [{"url": "https://shop.example/feed.xml", "language": "en", "default": True}]}
    try:
        async with Client(build_server(runtime)) as mcp:
            preview = await mcp.call_tool("set_product_feeds", new)
            assert preview.is_error
            shown = text(preview)
            assert 'Now: uk (default) "https://lumen-home.example/feeds/products-uk.xml"' in shown
            assert 'After: en (default) "https://shop.example/feed.xml"' in shown
            assert requests(sandbox, FEEDS_SET) == []
            assert len(requests(sandbox, FEEDS_GET)) == 1
            assert preview.structured_content is not None
            token = preview.structured_content["confirmation_required"]["confirmation_token"]
            done = await mcp.call_tool("set_product_feeds", {**new, "confirmation_token": token})
            assert not done.is_error, text(done)
            assert [r.body for r in requests(sandbox, FEEDS_SET)] == [new]
            # the same configuration again changes nothing, and nobody is asked
            again = await mcp.call_tool("set_product_feeds", new)
            assert not again.is_error, text(again)
    finally:
        await client.aclose()


@pytest.mark.parametrize(
    ("feeds", "reason"),
    [
        ([{"url": "ftp://shop.example/f.xml"}], "not an http(s) URL"),
        (
            [{"url": "https://a.example/1.xml", "default": True}, {"url": "https://a.example/2.xml", "default": True}],
            "one feed",
        ),
        ([], "at least 1 item"),
    ],
)
async def test_feed_configurations_that_make_no_sense_are_refused(
    mcp: Client, sandbox: Sandbox, feeds: list[dict[str, Any]], reason: str
) -> None:
    assert reason in error_text(await mcp.call_tool("set_product_feeds", {"feeds": feeds}))
    assert requests(sandbox, FEEDS_SET) == []


# --- recommendations -----------------------------------------------------------------------------


def _buyer(sandbox: Sandbox) -> tuple[int, set[str]]:
    """A demo contact with several delivered orders, and the products they hold."""
    row = sandbox.state.conn.execute(
        "SELECT contact_id FROM orders WHERE status = 'DELIVERED'"
        " GROUP BY contact_id ORDER BY COUNT(*) DESC, contact_id"
    ).fetchone()
    bought = set()
    for (body,) in sandbox.state.conn.execute(
        "SELECT body_json FROM orders WHERE contact_id = ? AND status NOT IN ('CANCELLED', 'ABANDONED_SHOPPING_CART')",
        (row[0],),
    ):
        bought |= {i["externalItemId"] for i in json.loads(body)["items"]}
    return row[0], bought


async def test_personal_recommendations_leave_out_what_the_contact_bought(mcp: Client, sandbox: Sandbox) -> None:
    contact_id, bought = _buyer(sandbox)
    result = await call(mcp, "get_recommendations", {"data_source_id": 1401, "contact_id": contact_id})
    products = data(result)["products"]
    assert products
    assert not {p["id"] for p in products} & bought
    assert set(products[0]) == {"id", "name", "url", "price", "in_stock"}
    assert all(p["in_stock"] for p in products)
    assert _first_line(result).startswith(
        f"[sandbox] {len(products)} products from data source 1401 for contact {contact_id}: "
    )
    [request] = requests(sandbox, RECOMS)
    assert (request.path, request.query) == ("/v2/contacts/recoms/1401", {"contactId": str(contact_id)})


async def test_product_based_recommendations_send_the_products_comma_joined(mcp: Client, sandbox: Sandbox) -> None:
    arguments = {"data_source_id": 1403, "email": "olena@example.com", "products": ["SKU-1001", "SKU-1003"]}
    result = await call(mcp, "get_recommendations", arguments)
    [request] = requests(sandbox, RECOMS)
    assert request.query == {"email": "olena@example.com", "products": "SKU-1001,SKU-1003"}
    assert {p["id"] for p in data(result)["products"]}.isdisjoint({"SKU-1001", "SKU-1003"})


async def test_a_data_source_that_needs_products_says_so(mcp: Client) -> None:
    result = await mcp.call_tool("get_recommendations", {"data_source_id": 1403, "contact_id": 100001})
    assert "the products parameter is required" in error_text(result)


async def test_an_unknown_data_source_is_reported(mcp: Client) -> None:
    result = await mcp.call_tool("get_recommendations", {"data_source_id": 9999, "contact_id": 100001})
    assert error_text(result) == "data source 9999 not found (Settings > Data sources)"


async def test_no_recommendations_are_said_to_be_none(mcp: Client) -> None:
    result = await call(mcp, "get_recommendations", {"data_source_id": 1401, "web_id": "visitor-1"})
    assert data(result)["products"] == []
    assert "no recommendations from data source 1401 for web id visitor-1" in _first_line(result)


@pytest.mark.parametrize(
    "identifiers",
    [{}, {"contact_id": 100001, "email": "olena@example.com"}],
)
async def test_exactly_one_contact_identifier_is_taken(
    mcp: Client, sandbox: Sandbox, identifiers: dict[str, Any]
) -> None:
    result = await mcp.call_tool("get_recommendations", {"data_source_id": 1402, **identifiers})
    assert "give exactly one of contact_id, email, phone, external_customer_id or web_id" in error_text(result)
    assert requests(sandbox, RECOMS) == []
