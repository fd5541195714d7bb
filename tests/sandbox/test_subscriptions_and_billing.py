"""Subscription categories (§4.12) and the billing history (§3.3) as the sandbox answers them: the
demo categories and who receives them, a contact's categories as one object or an array, a change
that replaces them; daily costs per channel, 400 and 419 for periods eSputnik refuses."""

from typing import Any

import httpx2 as httpx
import pytest

from esputnik_mcp.sandbox import DEMO_EMAIL_SENDER, Sandbox

pytestmark = pytest.mark.anyio


def _keys_of(sandbox: Sandbox, contact_id: int) -> set[str]:
    rows = sandbox.state.conn.execute("SELECT key FROM contact_subscriptions WHERE contact_id = ?", (contact_id,))
    return {row[0] for row in rows}


def _subscribe(sandbox: Sandbox, contact_id: int, keys: list[str]) -> None:
    with sandbox.state.write() as conn:
        conn.execute("DELETE FROM contact_subscriptions WHERE contact_id = ?", (contact_id,))
        conn.executemany("INSERT INTO contact_subscriptions VALUES (?, ?)", [(contact_id, k) for k in keys])


# --- subscription categories ---------------------------------------------------------------------


async def test_the_demo_categories_have_subscribers(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    categories = (await http.get("/v1/subscriptions")).json()
    assert [(c["id"], c["key"], c["name"]) for c in categories] == [
        (301, "news", "News and articles"),
        (302, "sales", "Sales and promotions"),
        (303, "new-arrivals", "New arrivals"),
    ]
    assert set(categories[0]) == {"id", "key", "name", "contactsCount", "createdDate", "updatedDate"}
    counted = dict(
        sandbox.state.conn.execute("SELECT key, COUNT(*) FROM contact_subscriptions GROUP BY key").fetchall()
    )
    assert {c["key"]: c["contactsCount"] for c in categories} == counted
    assert counted["news"] > counted["sales"] > counted["new-arrivals"] > 0


async def test_a_contacts_categories_are_one_object_or_an_array(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    _subscribe(sandbox, 100002, ["sales"])
    assert (await http.get("/v1/contact/100002/subscriptions")).json() == {
        "id": 302,
        "key": "sales",
        "name": "Sales and promotions",
    }
    _subscribe(sandbox, 100002, ["sales", "news"])
    assert [c["key"] for c in (await http.get("/v1/contact/100002/subscriptions")).json()] == ["news", "sales"]
    _subscribe(sandbox, 100002, [])
    assert (await http.get("/v1/contact/100002/subscriptions")).json() == []


async def test_a_key_subscribe_stored_without_a_category_shows_by_its_key(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    _subscribe(sandbox, 100002, ["vip-offers"])
    assert (await http.get("/v1/contact/100002/subscriptions")).json() == {"key": "vip-offers"}


async def test_a_change_replaces_the_contacts_categories(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    _subscribe(sandbox, 100002, ["news", "sales"])
    response = await http.put("/v1/contact/100002/subscriptions", json={"subscriptions": ["new-arrivals"]})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert _keys_of(sandbox, 100002) == {"new-arrivals"}
    await http.put("/v1/contact/100002/subscriptions", json={"subscriptions": []})
    assert _keys_of(sandbox, 100002) == set()


@pytest.mark.parametrize(
    ("path", "body", "status", "reason"),
    [
        (
            "/v1/contact/100002/subscriptions",
            {"subscriptions": ["newz"]},
            400,
            "Unknown subscription category key(s): newz",
        ),
        ("/v1/contact/100002/subscriptions", {}, 400, "subscriptions: required field is missing"),
        ("/v1/contact/100002/subscriptions", {"subscriptions": "news"}, 400, "subscriptions"),
        ("/v1/contact/100002/subscriptions", {"subscriptions": [], "keys": []}, 400, "keys: unknown field"),
        ("/v1/contact/999999/subscriptions", {"subscriptions": []}, 404, "not found"),
    ],
)
async def test_changes_eSputnik_would_refuse(
    http: httpx.AsyncClient, sandbox: Sandbox, path: str, body: dict[str, Any], status: int, reason: str
) -> None:
    before = _keys_of(sandbox, 100002)
    response = await http.put(path, json=body)
    assert response.status_code == status
    assert reason in response.text
    assert _keys_of(sandbox, 100002) == before


async def test_the_categories_of_an_unknown_contact_are_404(http: httpx.AsyncClient) -> None:
    assert (await http.get("/v1/contact/999999/subscriptions")).status_code == 404


# --- billing history -----------------------------------------------------------------------------


async def _history(http: httpx.AsyncClient, **params: str) -> dict[str, Any]:
    response = await http.get("/v1/balance/history", params=params)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def test_daily_costs_per_channel_over_the_demo_past(http: httpx.AsyncClient) -> None:
    history = await _history(http, dateFrom="2025-03-17", dateTo="2025-06-14")  # 90 days, both ends counted
    assert history["currency"] == "UAH"
    days = history["dailyCosts"]
    assert days
    assert [d["date"][:10] for d in days] == sorted(d["date"][:10] for d in days)
    assert days[0]["date"][:10] >= "2025-03-17"
    assert days[-1]["date"][:10] <= "2025-06-14"
    assert days[0]["date"].endswith("T00:00:00+02:00") or days[0]["date"].endswith("T00:00:00+03:00")
    details = [c for d in days for c in d["channelDetails"]]
    assert {c["mediaType"] for c in details} == {"email", "sms", "viber"}
    email = next(c for c in details if c["mediaType"] == "email" and c["totalSent"])
    assert set(email) == {
        "mediaType",
        "totalSent",
        "totalParts",
        "bonusSpent",
        "fundsWithdrawal",
        "fundsRefund",
        "bonusReceived",
    }
    viber = next(c for c in details if c["mediaType"] == "viber")
    assert viber["reservedFundsWithdrawal"] > 0  # reserved funds: Viber only
    assert any(c["bonusReceived"] for c in details)  # prepaid messages arrive on the 1st


async def test_a_send_through_the_sandbox_is_in_todays_costs(http: httpx.AsyncClient) -> None:
    before = await _history(http)  # today by default
    assert before["dailyCosts"] == []
    email = {"from": DEMO_EMAIL_SENDER, "subject": "Hi", "htmlText": "<p>Hi</p>", "emails": ["olena@example.com"]}
    assert (await http.post("/v1/message/email", json=email)).status_code == 200
    [today] = (await _history(http, dateFrom="2025-06-15", dateTo="2025-06-15"))["dailyCosts"]
    assert today["date"] == "2025-06-15T00:00:00+03:00"
    assert today["channelDetails"] == [
        {
            "mediaType": "email",
            "totalSent": 1,
            "totalParts": 1,
            "bonusSpent": 1,
            "fundsWithdrawal": 0.0,
            "fundsRefund": 0.0,
            "bonusReceived": 0,
        }
    ]


@pytest.mark.parametrize(
    ("params", "status", "reason"),
    [
        ({"dateFrom": "2025-03-16", "dateTo": "2025-06-14"}, 419, "Request period must be not greater than 90 days"),
        ({"dateFrom": "2025-06-14", "dateTo": "2025-06-01"}, 400, "dateTo must be greater or equal to dateFrom"),
        ({"dateFrom": "2025-06-01T00:00"}, 400, "YYYY-MM-DD"),
        ({"from": "2025-06-01"}, 400, "Unknown query parameter(s): from"),
    ],
)
async def test_periods_eSputnik_refuses(
    http: httpx.AsyncClient, params: dict[str, str], status: int, reason: str
) -> None:
    response = await http.get("/v1/balance/history", params=params)
    assert response.status_code == status
    assert reason in response.text
