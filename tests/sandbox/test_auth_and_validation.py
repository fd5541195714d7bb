"""Basic auth, content type and strict request validation: refusals come as 400 plain text."""

import base64

import httpx2 as httpx
import pytest
from sandbox_support import KEY

from esputnik_mcp.sandbox import SANDBOX_BASE_URL, Sandbox

pytestmark = pytest.mark.anyio

CONTACT = {"channels": [{"type": "email", "value": "strict@example.com"}]}


def _assert_text_error(response: httpx.Response, status: int) -> None:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text.strip()


async def test_requests_without_the_api_key_get_401(sandbox: Sandbox) -> None:
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=SANDBOX_BASE_URL) as anonymous:
        response = await anonymous.get("/v1/account/info")
        wrong = await anonymous.get("/v1/account/info", auth=("anyone", "not-the-key"))
        garbled = await anonymous.get("/v1/account/info", headers={"Authorization": "Basic !!!"})
        bearer = await anonymous.get("/v1/account/info", headers={"Authorization": f"Bearer {KEY}"})
    for answer in (response, wrong, garbled, bearer):
        _assert_text_error(answer, 401)
        assert len(answer.text) < 100


async def test_any_user_name_with_the_key_as_password_is_accepted(sandbox: Sandbox) -> None:
    token = base64.b64encode(f"whoever-you-are:{KEY}".encode()).decode()
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=SANDBOX_BASE_URL) as client:
        response = await client.get("/v1/account/info", headers={"Authorization": f"Basic {token}"})
    assert response.status_code == 200
    assert response.json() == {
        "userEmail": "owner@lumen-home.example",
        "organisationName": "Lumen Home & Garden (sandbox)",
    }


async def test_a_body_without_json_content_type_gets_415(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/v1/contact", content=b'{"channels": []}', headers={"Content-Type": "text/plain"}
    )
    _assert_text_error(response, 415)
    missing = await http.post("/v1/contact", content=b'{"channels": []}')
    _assert_text_error(missing, 415)


async def test_json_content_type_with_charset_is_accepted(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/v1/contact",
        content=b'{"channels": [{"type": "email", "value": "charset@example.com"}]}',
        headers={"Content-Type": "application/json; charset=UTF-8"},
    )
    assert response.status_code == 200
    assert isinstance(response.json()["id"], int)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({**CONTACT, "nickname": "Zed"}, "nickname: unknown field"),
        ({"firstName": "Ann"}, "channels: required field is missing"),
        ({**CONTACT, "firstName": 42}, "firstName"),
        ({"channels": [{"type": "telegram", "value": "123"}]}, "channels[0].type"),
        ({**CONTACT, "fields": [{"id": "70002", "value": "female"}]}, "fields[0].id"),
        ({**CONTACT, "fields": [{"id": 70005, "value": 12}]}, "fields[0].value"),
        ({**CONTACT, "addressBookId": True}, "addressBookId"),
    ],
)
async def test_schema_violations_are_refused_with_400_text(
    http: httpx.AsyncClient, body: dict[str, object], expected: str
) -> None:
    response = await http.post("/v1/contact", json=body)
    _assert_text_error(response, 400)
    assert expected in response.text


async def test_malformed_json_is_refused(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/v1/contact", content=b'{"channels": [', headers={"Content-Type": "application/json"}
    )
    _assert_text_error(response, 400)
    assert "Malformed JSON" in response.text


async def test_misspelt_query_parameters_are_refused(http: httpx.AsyncClient) -> None:
    response = await http.get("/v1/contacts", params={"firstName": "Olena"})
    _assert_text_error(response, 400)
    assert "firstName" in response.text
    assert "firstname" in response.text


async def test_paging_parameters_are_checked(http: httpx.AsyncClient) -> None:
    for params in ({"maxrows": "501"}, {"startindex": "0"}, {"maxrows": "ten"}):
        response = await http.get("/v1/groups", params=params)
        _assert_text_error(response, 400)


async def test_unknown_paths_and_methods_are_404_and_405(http: httpx.AsyncClient) -> None:
    assert (await http.get("/v1/no/such/thing")).status_code == 404
    assert (await http.patch("/v1/contact/100001", json={})).status_code == 405


async def test_smartsend_refuses_an_object_as_json_param(http: httpx.AsyncClient) -> None:
    body = {"email": True, "recipients": [{"locator": "a@example.com", "jsonParam": {"cartTotal": 10}}]}
    response = await http.post("/v1/message/3002/smartsend", json=body)
    _assert_text_error(response, 400)
    assert "jsonParam" in response.text


async def test_send_email_requires_its_documented_fields(http: httpx.AsyncClient) -> None:
    response = await http.post("/v1/message/email", json={"subject": "Hi", "emails": ["a@example.com"]})
    _assert_text_error(response, 400)
    assert "from: required field is missing" in response.text
    assert "htmlText: required field is missing" in response.text
    legacy = await http.post(
        "/v1/message/email",
        json={
            "from": "a@example.com",
            "subject": "Hi",
            "htmlText": "x",
            "emails": ["b@example.com"],
            "campaignId": 1,
        },
    )
    _assert_text_error(legacy, 400)
    assert "campaignId: unknown field" in legacy.text


async def test_orders_enum_and_types_are_checked_per_order(http: httpx.AsyncClient) -> None:
    response = await http.post("/v1/orders", json={"orders": {"externalOrderId": "X"}})
    _assert_text_error(response, 400)
