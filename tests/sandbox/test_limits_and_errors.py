"""Rate limits (429 until the window resets) per the documented buckets."""

import httpx2 as httpx
import pytest

from esputnik_mcp.sandbox import Sandbox

pytestmark = pytest.mark.anyio


async def _hammer(http: httpx.AsyncClient, path: str, times: int) -> list[int]:
    return [(await http.get(path)).status_code for _ in range(times)]


async def test_contact_search_allows_50_a_second(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    statuses = await _hammer(http, "/v1/contacts?maxrows=1", 51)
    assert statuses[:50] == [200] * 50
    assert statuses[50] == 429
    limited = await http.get("/v1/contacts?maxrows=1")
    assert limited.status_code == 429
    assert limited.headers["content-type"].startswith("text/plain")
    assert (await http.get("/v1/balance")).status_code == 200  # other methods have their own budget
    sandbox.clock.advance(1)
    assert (await http.get("/v1/contacts?maxrows=1")).status_code == 200


async def test_unlisted_methods_share_200_a_second(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    statuses = await _hammer(http, "/v1/balance", 150) + await _hammer(http, "/v1/account/info", 51)
    assert statuses[:200] == [200] * 200
    assert statuses[200] == 429
    assert (await http.get("/v1/groups")).status_code == 429
    sandbox.clock.advance(1)
    assert (await http.get("/v1/groups")).status_code == 200


async def test_template_reads_allow_500_an_hour(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    statuses = await _hammer(http, "/v1/messages/email?maxrows=1", 250) + await _hammer(
        http, "/v1/messages/sms?maxrows=1", 251
    )
    assert statuses[:500] == [200] * 500
    assert statuses[500] == 429
    sandbox.clock.advance(1800)
    assert (await http.get("/v1/messages/sms")).status_code == 429
    sandbox.clock.advance(1800)
    assert (await http.get("/v1/messages/sms")).status_code == 200


async def test_a_refused_request_does_not_count(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    await _hammer(http, "/v1/contacts?maxrows=1", 50)
    assert await _hammer(http, "/v1/contacts?maxrows=1", 3) == [429, 429, 429]
    sandbox.clock.advance(1)
    assert await _hammer(http, "/v1/contacts?maxrows=1", 50) == [200] * 50


async def test_contact_writes_have_their_own_200_a_second(http: httpx.AsyncClient) -> None:
    statuses = []
    for n in range(201):
        body = {"channels": [{"type": "email", "value": f"writer{n}@example.com"}]}
        statuses.append((await http.post("/v1/contact", json=body)).status_code)
    assert statuses[:200] == [200] * 200
    assert statuses[200] == 429
    assert (await http.get("/v1/balance")).status_code == 200
