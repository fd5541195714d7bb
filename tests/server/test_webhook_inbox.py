"""The inbox for eSputnik's data-export webhook: it answers eSputnik's GET check, stores the
documented activity objects (an array or one object, every status and channel, unknown fields
kept) and answers 200 only once they are stored; a retried or reordered delivery stores nothing
twice and loses nothing; wrong credentials, oversized and malformed bodies store nothing; its
secrets and the MCP bearer tokens open only their own doors. On both store backends."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2 as httpx
import pytest

from esputnik_mcp.api import ESputnikClient
from esputnik_mcp.sandbox import SANDBOX_BASE_URL, Sandbox
from esputnik_mcp.server.app import build_server
from esputnik_mcp.server.http import http_app
from esputnik_mcp.server.runtime import Runtime
from esputnik_mcp.settings import Settings
from esputnik_mcp.store.base import ActivityFilter, StateStore, StoreUnavailable
from tests.store.conftest import BACKENDS, Backend

pytestmark = pytest.mark.anyio

TOKEN = "inbox-token-1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
BASIC = "esputnik:w3bh00k-pa55w0rd"
HEADER = ("X-Webhook-Secret", "7d1f0c5e9a2b4c8d")
PATH = "/webhooks/esputnik"


def basic(credentials: str = BASIC) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()}


def event(status: str = "DELIVERED", **fields: Any) -> dict[str, Any]:
    """One activity object as §16 documents it."""
    body: dict[str, Any] = {
        "activityDateTime": "2026-11-30T09:12:03.123",
        "activityStatus": status,
        "contactId": 100291,
        "externalCustomerId": "CUST-1001",
        "email": "Olena@Example.com",
        "mediaType": "email",
        "messageId": 3001,
        "messageInstanceId": 88001,
        "messageName": "Order confirmation",
        "messageTag": "orders,transactional",
        "messageLanguageCode": "uk",
        "from": "Lumen <news@lumen.example>",
        "iid": "5e0b7c1a-2f3d-4e5f-8a9b-0c1d2e3f4a5b",
        "viewMessageLink": "https://esputnik.com/view/abc",
    }
    body.update(fields)
    return body


# Every status and channel §16 names, each with the fields it carries.
EVERY_STATUS = [
    event("SENT", mediaType="mobilepush", mobilepush="fcm-token-1", email=None, iid="m-1"),
    event("DELIVERED"),
    event("UNDELIVERED", statusDescription="550 5.1.1 mailbox unavailable", hardBounce=True, email="gone@example.com"),
    event("READ"),
    event("CLICKED", clickEventLink="https://lumen.example/sale"),
    event("CLICKED", clickEventLink="https://lumen.example/cart"),
    event("UNSUBSCRIBED", email="left@example.com"),
    event("SPAM", email="angry@example.com"),
    event("SUBSCRIPTION_CHANGED", statusData={"subscription": {"subscriptions": ["news", "sales"]}}),
]
EVERY_CHANNEL = [
    event(mediaType="sms", sms="+380501234567", email=None, iid="s-1"),
    event(mediaType="viber", viber="+380501234568", email=None, iid="v-1"),
    event(mediaType="webpush", webpush="wp-token", email=None, iid="w-1"),
    event(mediaType="appinbox", email=None, iid="a-1"),
    event(mediaType="widget", email=None, iid="wg-1"),
    event(mediaType="inapp", email=None, iid="i-1", osName="Android", osType="android"),
    event(mediaType="telegrambot", email=None, iid="t-1"),
    event(workflowId=12, workflowBlockId="b-7", workflowInstanceId="0f6c3f4e-1111-2222-3333-444455556666", iid="wf-1"),
    event(sourceEventId=991, sourceEventKey="order-17", sourceEventTypeKey="orderCREATED", iid="se-1"),
    event(broadcastId=4242, iid="b-1"),
]


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StateStore]:
    backend = Backend(request.param, tmp_path, request)
    try:
        yield await backend.open()
    finally:
        await backend.close()


def settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {"http_tokens": TOKEN, "webhook_basic_auth": BASIC, **overrides}
    return Settings(_env_file=None, **values)


@asynccontextmanager
async def inbox_app(
    store: StateStore, config: Settings | None = None
) -> AsyncIterator[tuple[httpx.AsyncClient, Runtime]]:
    sandbox = Sandbox(api_key="sandbox", db_path=":memory:", demo=False)
    client = ESputnikClient("sandbox", base_url=SANDBOX_BASE_URL, transport=sandbox.transport())
    runtime = Runtime(settings=config or settings(), client=client, sandbox=sandbox, store=store)
    app = http_app(build_server(runtime), runtime, host="127.0.0.1")
    transport = httpx.ASGITransport(app, client=("198.51.100.7", 4000))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            yield http, runtime
    finally:
        await client.aclose()


async def stored(store: StateStore, **query: Any) -> int:
    return (await store.activity(ActivityFilter(**query), limit=1)).total


async def test_the_url_check_is_answered_and_unknown_paths_are_not(store: StateStore) -> None:
    async with inbox_app(store) as (http, _):
        assert (await http.get(PATH)).status_code == 200
        assert (await http.get(PATH + "/other", headers=basic())).status_code in (401, 404)


async def test_the_documented_objects_are_stored_as_an_array_or_one_by_one(store: StateStore) -> None:
    async with inbox_app(store) as (http, _):
        response = await http.post(PATH, json=EVERY_STATUS + EVERY_CHANNEL, headers=basic())
        assert response.status_code == 200, response.text
        assert response.json() == {"stored": len(EVERY_STATUS) + len(EVERY_CHANNEL)}
        single = event("READ", iid="single-1")
        response = await http.post(PATH, content=json.dumps(single), headers=basic())
        assert response.json() == {"stored": 1}
    page = await store.activity(ActivityFilter(), limit=100)
    assert page.total == len(EVERY_STATUS) + len(EVERY_CHANNEL) + 1
    assert set(page.counts) == {
        "SENT",
        "DELIVERED",
        "UNDELIVERED",
        "READ",
        "CLICKED",
        "UNSUBSCRIBED",
        "SPAM",
        "SUBSCRIPTION_CHANGED",
    }
    assert {r.channel for r in page.records} >= {
        "email",
        "sms",
        "viber",
        "mobilepush",
        "webpush",
        "appinbox",
        "widget",
        "inapp",
        "telegrambot",
    }
    clicks = await store.activity(ActivityFilter(statuses=("CLICKED",)), limit=10)
    assert clicks.total == 2, "one click event per link: two links are two events"
    [bounce] = (await store.activity(ActivityFilter(statuses=("UNDELIVERED",)), limit=10)).records
    assert bounce.hard_bounce
    assert bounce.email == "gone@example.com"
    assert json.loads(bounce.data)["statusDescription"] == "550 5.1.1 mailbox unavailable"
    [phone] = (await store.activity(ActivityFilter(channel="sms"), limit=10)).records
    assert phone.phone == "380501234567"
    [workflow] = (await store.activity(ActivityFilter(request_ids=("wf-1",)), limit=10)).records
    assert json.loads(workflow.data)["workflowInstanceId"] == "0f6c3f4e-1111-2222-3333-444455556666"
    [device] = (await store.activity(ActivityFilter(request_ids=("i-1",)), limit=10)).records
    assert json.loads(device.data)["osName"] == "Android", "fields the reference lists beyond the model are kept"
    unknown = event("READ", iid="u-1", someFutureField={"x": [1, 2]})
    async with inbox_app(store) as (http, _):
        assert (await http.post(PATH, json=[unknown], headers=basic())).status_code == 200
    [kept] = (await store.activity(ActivityFilter(request_ids=("u-1",)), limit=1)).records
    assert json.loads(kept.data)["someFutureField"] == {"x": [1, 2]}


async def test_a_retried_or_reordered_delivery_neither_duplicates_nor_loses_an_event(store: StateStore) -> None:
    deliveries = [
        [event("DELIVERED", activityDateTime="2026-11-30T09:00:05.000")],
        [event("READ", activityDateTime="2026-11-30T09:01:00.000")],
        [event("CLICKED", activityDateTime="2026-11-30T09:02:00.000", clickEventLink="https://lumen.example/a")],
    ]
    async with inbox_app(store) as (http, _):
        for body in [deliveries[0], deliveries[2], deliveries[0], deliveries[1], deliveries[2], deliveries[1]]:
            assert (await http.post(PATH, json=body, headers=basic())).status_code == 200
        # the same delivery twice at the same moment
        async with anyio.create_task_group() as tg:
            for _ in range(5):
                tg.start_soon(lambda: http.post(PATH, json=deliveries[0] + deliveries[1], headers=basic()))
    page = await store.activity(ActivityFilter(), limit=10)
    assert [r.status for r in page.records] == ["CLICKED", "READ", "DELIVERED"], "each once, newest first"


async def test_wrong_credentials_are_refused_and_store_nothing(store: StateStore) -> None:
    body = [event()]
    async with inbox_app(store) as (http, _):
        for headers in (
            {},
            basic("esputnik:wrong"),
            basic("someone:w3bh00k-pa55w0rd"),
            {"Authorization": f"Bearer {TOKEN}"},  # the MCP token does not open the inbox
            {"Authorization": "Basic not-base64!!"},
        ):
            response = await http.post(PATH, json=body, headers=headers)
            assert response.status_code == 401, headers
            assert response.headers["WWW-Authenticate"].startswith("Basic")
        # the webhook's secret does not open /mcp
        mcp = await http.post(
            "/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}, headers=basic()
        )
        assert mcp.status_code == 401
    assert await stored(store) == 0


async def test_a_custom_header_and_basic_auth_both_count_when_both_are_set(store: StateStore) -> None:
    both = settings(webhook_header=f"{HEADER[0]}: {HEADER[1]}")
    async with inbox_app(store, both) as (http, _):
        assert (await http.post(PATH, json=[event()], headers=basic())).status_code == 401
        assert (await http.post(PATH, json=[event()], headers={HEADER[0]: HEADER[1]})).status_code == 401
        wrong = {**basic(), HEADER[0]: "7d1f0c5e9a2b4c8e"}
        assert (await http.post(PATH, json=[event()], headers=wrong)).status_code == 401
        right = {**basic(), HEADER[0]: HEADER[1]}
        assert (await http.post(PATH, json=[event()], headers=right)).status_code == 200
    header_only = Settings(_env_file=None, http_tokens=TOKEN, webhook_header=f"{HEADER[0]}: {HEADER[1]}")
    async with inbox_app(store, header_only) as (http, _):
        response = await http.post(PATH, json=[event("READ")], headers={HEADER[0]: HEADER[1]})
        assert response.status_code == 200
        refused = await http.post(PATH, json=[event("CLICKED")], headers={HEADER[0].lower(): "nope"})
        assert refused.status_code == 401
        assert "WWW-Authenticate" not in refused.headers
    assert await stored(store) == 2


async def test_without_credentials_configured_there_is_no_inbox(store: StateStore) -> None:
    async with inbox_app(store, Settings(_env_file=None, http_tokens=TOKEN)) as (http, _):
        response = await http.post(PATH, json=[event()], headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 404
    assert await stored(store) == 0


async def test_an_oversized_body_gets_413_and_a_malformed_one_400_and_neither_is_stored(store: StateStore) -> None:
    small = settings(webhook_max_bytes=4096)
    async with inbox_app(store, small) as (http, _):
        big = [event(iid=f"big-{n}") for n in range(20)]
        assert len(json.dumps(big)) > 4096
        assert (await http.post(PATH, json=big, headers=basic())).status_code == 413

        async def trickle() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
            for part in [b"[", json.dumps(big).encode()[1:]]:
                yield part

        assert (await http.post(PATH, content=trickle(), headers=basic())).status_code == 413
        for body, reason in (
            (b"not json", "JSON"),
            (b'"a string"', "array"),
            (b"[1, 2]", "object"),
            (json.dumps([event(), {"activityDateTime": "2026-11-30T09:00:00"}]).encode(), "activityStatus"),
            (json.dumps([event(activityDateTime="yesterday")]).encode(), "activityDateTime"),
        ):
            response = await http.post(PATH, content=body, headers=basic())
            assert response.status_code == 400, body
            assert reason in response.json()["error"], (body, response.json())
    assert await stored(store) == 0, "a delivery with one bad event stores none of it"


async def test_a_thousand_events_in_one_post_are_stored_together(store: StateStore) -> None:
    events = [
        event(
            "DELIVERED",
            iid=f"bulk-{n}",
            email=f"person{n}@example.com",
            activityDateTime=f"2026-11-30T09:{n // 60 % 60:02d}:{n % 60:02d}.000",
        )
        for n in range(1000)
    ]
    async with inbox_app(store) as (http, _):
        response = await http.post(PATH, json=events, headers=basic())
        assert response.json() == {"stored": 1000}
        again = await http.post(PATH, json=events, headers=basic())
        assert again.json() == {"stored": 0}
    assert await stored(store) == 1000


class Broken:
    """A store that cannot be written: the inbox must not answer 200."""

    def __init__(self, inner: StateStore) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def add_activity(self, *args: Any, **kwargs: Any) -> int:
        raise StoreUnavailable("the disk is full")


async def test_an_unwritable_store_gets_503_so_that_esputnik_retries(store: StateStore) -> None:
    async with inbox_app(Broken(store)) as (http, _):  # type: ignore[arg-type]
        response = await http.post(PATH, json=[event()], headers=basic())
        assert response.status_code == 503
        assert response.headers["Retry-After"]
    assert await stored(store) == 0
