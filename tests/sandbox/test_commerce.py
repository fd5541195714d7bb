"""Promo codes (§10.1), product feeds (§15.2) and recommendations (§15.3) as the sandbox answers
them: the documented shapes (a promo-code list that is a JSON string holding JSON), strict bodies,
and the demo account's codes, feeds, catalogue and data sources."""

import json
from typing import Any

import httpx2 as httpx
import pytest
from sandbox_support import KEY

from esputnik_mcp.sandbox import SANDBOX_BASE_URL, Sandbox

pytestmark = pytest.mark.anyio


async def _codes(http: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    response = await http.get("/v1/promocodes", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body, str)  # SPEC getPromocodes: "a list ... as JSON string"
    found: list[dict[str, Any]] = json.loads(body)
    return found


# --- promo codes ---------------------------------------------------------------------------------


async def test_the_demo_codes_are_listed_with_the_upload_fields(http: httpx.AsyncClient) -> None:
    codes = await _codes(http)
    assert len(codes) == 40 + 25 + 15
    assert set(codes[0]) == {"code", "expirationDate", "discount", "type", "inUse"}
    assert {c["type"] for c in codes} == {"spring-sale", "welcome", "winter-sale"}
    assert all(len(c["expirationDate"]) == 16 and c["expirationDate"][10] == "T" for c in codes)


async def test_the_list_filters_by_type_use_discount_and_days_left(http: httpx.AsyncClient) -> None:
    assert len(await _codes(http, type="spring-sale", inUse="false")) == 28
    assert len(await _codes(http, inUse="true")) == 12 + 5 + 9
    assert {c["discount"] for c in await _codes(http, discount=20)} == {20}
    # spring codes expire in 30 days, welcome codes in 90, winter codes expired 10 days ago
    assert {c["type"] for c in await _codes(http, activeDueDays=7)} == {"spring-sale", "welcome"}
    assert {c["type"] for c in await _codes(http, activeDueDays=60)} == {"welcome"}


async def test_the_count_is_a_number_of_unused_unexpired_codes(http: httpx.AsyncClient) -> None:
    response = await http.get("/v1/promocodes/count")
    assert response.json() == 28 + 20  # the expired winter codes are not available
    assert (await http.get("/v1/promocodes/count", params={"type": "welcome", "discount": 15})).json() == 20
    refused = await http.get("/v1/promocodes/count", params={"inUse": "false"})
    assert refused.status_code == 400  # SPEC getPromocodesCount takes no inUse
    assert "Unknown query parameter(s): inUse" in refused.text


async def test_an_upload_creates_and_updates_codes_and_echoes_the_payload(http: httpx.AsyncClient) -> None:
    [existing] = (await _codes(http, type="welcome", inUse="false"))[:1]
    payload = {"promocodes": ["NEW-1", existing["code"]], "expirationDate": "2025-12-31T20:15", "discount": 30}
    response = await http.post("/v1/promocodes", json=payload)
    assert response.status_code == 200
    assert response.json() == payload
    found = {c["code"]: c for c in await _codes(http, discount=30)}
    assert found == {
        "NEW-1": {"code": "NEW-1", "expirationDate": "2025-12-31T20:15", "discount": 30, "inUse": False},
        existing["code"]: {
            "code": existing["code"],
            "expirationDate": "2025-12-31T20:15",
            "discount": 30,
            "inUse": False,
        },
    }


async def test_the_query_gives_what_the_body_leaves_out(http: httpx.AsyncClient) -> None:
    body = {"promocodes": ["Q-1"], "expirationDate": "2025-12-31T20:15", "discount": 5}
    response = await http.post("/v1/promocodes", params={"type": "from-query", "inUse": "true"}, json=body)
    assert response.status_code == 200
    [code] = await _codes(http, type="from-query")
    assert (code["code"], code["inUse"]) == ("Q-1", True)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"promocodes": ["A"], "expirationDate": "2025-12-31T20:15", "discount": 100}, "between 0 and 99"),
        ({"promocodes": ["A"], "expirationDate": "31.12.2025", "discount": 10}, "not a date-time"),
        ({"promocodes": ["A"], "expirationDate": "2025-12-31T20:15+02:00", "discount": 10}, "not a date-time"),
        ({"promocodes": [" "], "expirationDate": "2025-12-31T20:15", "discount": 10}, "must not be empty"),
        ({"promocodes": ["A"], "discount": 10}, "expirationDate: required field is missing"),
        ({"promoCodes": ["A"], "expirationDate": "2025-12-31T20:15", "discount": 10}, "promoCodes: unknown field"),
        ({"promocodes": ["A"], "expirationDate": "2025-12-31T20:15", "discount": "10"}, "discount"),
    ],
)
async def test_uploads_eSputnik_would_refuse_are_400(
    http: httpx.AsyncClient, payload: dict[str, Any], reason: str
) -> None:
    response = await http.post("/v1/promocodes", json=payload)
    assert response.status_code == 400
    assert reason in response.text


# --- product feeds -------------------------------------------------------------------------------


async def test_the_feed_configuration_is_read_and_replaced(http: httpx.AsyncClient) -> None:
    demo = (await http.get("/v1/products/config")).json()
    assert demo == {
        "feeds": [
            {"url": "https://lumen-home.example/feeds/products-uk.xml", "language": "uk", "default": True},
            {"url": "https://lumen-home.example/feeds/products-en.xml", "language": "en", "default": False},
        ]
    }
    new = {"feeds": [{"url": "https://shop.example/pl.xml", "language": "pl"}]}
    response = await http.post("/v1/products/config", json=new)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert (await http.get("/v1/products/config")).json() == new


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            {
                "feeds": [
                    {"url": "https://a.example/1.xml", "default": True},
                    {"url": "https://a.example/2.xml", "default": True},
                ]
            },
            "Only one",
        ),
        ({"feeds": [{"url": "feed.xml"}]}, "http or https URL"),
        ({"feeds": [{"language": "uk"}]}, "feeds[0].url: required field is missing"),
        ({"feeds": [{"url": "https://a.example/1.xml", "lang": "uk"}]}, "unknown field"),
        ({}, "feeds: required field is missing"),
    ],
)
async def test_feed_configurations_eSputnik_would_refuse_are_400(
    http: httpx.AsyncClient, body: dict[str, Any], reason: str
) -> None:
    response = await http.post("/v1/products/config", json=body)
    assert response.status_code == 400
    assert reason in response.text


async def test_a_bare_account_has_no_feeds_codes_or_data_sources(bare: Sandbox) -> None:
    async with httpx.AsyncClient(transport=bare.transport(), base_url=SANDBOX_BASE_URL, auth=("u", KEY)) as http:
        assert (await http.get("/v1/products/config")).json() == {"feeds": []}
        assert json.loads((await http.get("/v1/promocodes")).json()) == []
        assert (await http.get("/v2/contacts/recoms/1402", params={"email": "a@example.com"})).status_code == 404


# --- recommendations -----------------------------------------------------------------------------


def _bought(sandbox: Sandbox, contact_id: int) -> tuple[set[str], set[str]]:
    """The products a contact bought and their categories."""
    products, categories = set(), set()
    rows = sandbox.state.conn.execute(
        "SELECT body_json FROM orders WHERE contact_id = ? AND status NOT IN ('CANCELLED', 'ABANDONED_SHOPPING_CART')",
        (contact_id,),
    )
    for (body,) in rows:
        for item in json.loads(body)["items"]:
            products.add(item["externalItemId"])
            categories.add(item["category"])
    return products, categories


async def test_personal_recommendations_are_unbought_products_of_the_categories_bought(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    contact_id = sandbox.state.conn.execute(
        "SELECT contact_id FROM orders WHERE status = 'DELIVERED' GROUP BY contact_id ORDER BY COUNT(*) DESC"
    ).fetchone()[0]
    bought, categories = _bought(sandbox, contact_id)
    response = await http.get("/v2/contacts/recoms/1401", params={"contactId": contact_id})
    found = response.json()
    assert found
    assert len(found) <= 4  # the data source's size
    assert all(item["category"][0] in categories and item["id"] not in bought for item in found)
    assert set(found[0]) >= {"id", "name", "url", "price", "descr", "brand", "category", "isInStock"}
    assert all(item["isInStock"] == 1 for item in found)


async def test_bestsellers_need_no_history_and_skip_what_is_out_of_stock(http: httpx.AsyncClient) -> None:
    found = (await http.get("/v2/contacts/recoms/1402", params={"email": "nobody@example.com"})).json()
    assert [item["id"] for item in found]
    assert "SKU-1012" not in {item["id"] for item in found}
    assert any("tags_material" in item for item in found)  # the feed's own fields, as tags_*


async def test_product_and_category_algorithms_take_comma_joined_values(http: httpx.AsyncClient) -> None:
    also = (await http.get("/v2/contacts/recoms/1403", params={"webId": "v-1", "products": "SKU-1001,SKU-1002"})).json()
    assert also
    assert not {item["id"] for item in also} & {"SKU-1001", "SKU-1002"}
    garden = (await http.get("/v2/contacts/recoms/1404", params={"webId": "v-1", "category": "Garden,Decor"})).json()
    assert {item["category"][0] for item in garden} <= {"Garden", "Decor"}
    assert "SKU-1011" in {item["id"] for item in garden}  # in the feed, in no order


@pytest.mark.parametrize(
    ("path", "params", "status", "reason"),
    [
        ("/v2/contacts/recoms/1402", {}, 400, "At least one of contactId, email, phone, externalCustomerId, webId"),
        ("/v2/contacts/recoms/1403", {"contactId": "100001"}, 400, "the products parameter is required"),
        ("/v2/contacts/recoms/1404", {"contactId": "100001"}, 400, "the category parameter is required"),
        ("/v2/contacts/recoms/9999", {"contactId": "100001"}, 404, "Data source 9999 not found"),
        ("/v2/contacts/recoms/1402", {"contactID": "100001"}, 400, "Unknown query parameter(s): contactID"),
        ("/v2/contacts/recoms/abc", {"contactId": "100001"}, 400, "must be an integer"),
    ],
)
async def test_recommendation_requests_eSputnik_would_refuse(
    http: httpx.AsyncClient, path: str, params: dict[str, str], status: int, reason: str
) -> None:
    response = await http.get(path, params=params)
    assert response.status_code == status
    assert reason in response.text


async def test_a_web_id_alone_gets_nothing_personal(http: httpx.AsyncClient) -> None:
    assert (await http.get("/v2/contacts/recoms/1401", params={"webId": "visitor-1"})).json() == []
