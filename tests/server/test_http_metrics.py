"""/metrics: Prometheus series of tool calls, guard refusals and requests to eSputnik by status,
behind the bearer token like /mcp; and a stdio server that never pays for them."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator

import httpx2 as httpx
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from prometheus_client.parser import text_string_to_metric_families

from esputnik_mcp.api import ESputnikClient, RetryPolicy
from esputnik_mcp.sandbox import SANDBOX_BASE_URL, Sandbox
from esputnik_mcp.server import metrics
from esputnik_mcp.server.app import build_server
from esputnik_mcp.server.http import http_app
from esputnik_mcp.server.runtime import Runtime
from esputnik_mcp.settings import Settings
from tests.fakes import BASE_URL, FakeTime, Upstream, respond
from tests.server.test_http_limits import hardened

TOKEN = "metrics-token-3c9a1f7e-2b6d-4e08-95a4-7d1c0b8e6f23"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus text exposition, by name and labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
async def runtime() -> AsyncIterator[Runtime]:
    metrics.enable()
    sandbox = Sandbox(api_key="sandbox", db_path=":memory:", demo=True)
    client = ESputnikClient(
        "sandbox", base_url=SANDBOX_BASE_URL, transport=sandbox.transport(), observer=metrics.observe_upstream
    )
    try:
        yield Runtime(settings=Settings(_env_file=None, http_tokens=TOKEN), client=client, sandbox=sandbox)
    finally:
        await client.aclose()


@pytest.mark.anyio
async def test_metrics_are_served_to_token_holders_only_in_the_prometheus_format(runtime: Runtime) -> None:
    app = http_app(build_server(runtime), runtime, host="127.0.0.1")
    async with hardened(app, runtime.settings) as served, httpx.AsyncClient(base_url=served.base) as http:
        before = samples((await http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})).text)
        mcp_http = httpx.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"})
        async with mcp_http, Client(streamable_http_client(f"{served.base}/mcp", http_client=mcp_http)) as client:
            assert not (await client.call_tool("get_account_info", {})).is_error
        metrics.record_call("send_email", "refused", 0.02)
        metrics.record_refusal("max_recipients")

        assert (await http.get("/metrics")).status_code == 401
        assert (await http.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 401
        scraped = await http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert scraped.status_code == 200
    assert scraped.headers["Content-Type"].startswith("text/plain")
    after = samples(scraped.text)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("esputnik_mcp_upstream_requests_total", operation="getAccountInfo", status="200") >= 1
    assert grew("esputnik_mcp_tool_calls_total", tool="send_email", outcome="refused") == 1
    assert grew("esputnik_mcp_tool_call_seconds_count", tool="send_email") == 1
    assert grew("esputnik_mcp_tool_call_seconds_bucket", tool="send_email", le="0.025") == 1
    assert grew("esputnik_mcp_guard_refusals_total", guard="max_recipients") == 1
    assert grew("esputnik_mcp_http_cutoffs_total", reason="unauthorized") == 2


@pytest.mark.anyio
async def test_every_attempt_to_reach_esputnik_is_reported_with_its_status() -> None:
    seen: list[tuple[str, int | None, float]] = []
    upstream = Upstream(respond(503), respond(200, json_body={"organisationName": "Shop"}))
    fake_time = FakeTime()
    client = ESputnikClient(
        "key",
        base_url=BASE_URL,
        transport=httpx.MockTransport(upstream),
        retry_policy=RetryPolicy(max_retries=2),
        jitter=lambda: 0.0,
        sleep=fake_time.sleep,
        clock=fake_time.clock,
        observer=lambda operation, status, seconds: seen.append((operation, status, seconds)),
    )

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async with client:
        await client.account.info()
    assert [(operation, status) for operation, status, _ in seen] == [("getAccountInfo", 503), ("getAccountInfo", 200)]

    seen.clear()
    unreachable = ESputnikClient(
        "key",
        base_url=BASE_URL,
        transport=httpx.MockTransport(refuse),
        retry_policy=RetryPolicy(max_retries=0),
        observer=lambda operation, status, seconds: seen.append((operation, status, seconds)),
    )
    async with unreachable:
        with pytest.raises(Exception, match="could not connect"):
            await unreachable.account.info()
    assert [(operation, status) for operation, status, _ in seen] == [("getAccountInfo", None)]

    def broken_observer(operation: str, status: int | None, seconds: float) -> None:
        raise RuntimeError("a broken metrics backend")

    sturdy = ESputnikClient(
        "key",
        base_url=BASE_URL,
        transport=httpx.MockTransport(Upstream(respond(200, json_body={}))),
        observer=broken_observer,
    )
    async with sturdy:
        await sturdy.account.info()  # a failing observer never fails the call


def test_a_stdio_server_never_imports_prometheus() -> None:
    probe = (
        "import sys\n"
        "from esputnik_mcp.server import app, metrics, tooling, gate, backend, logs\n"
        "metrics.record_call('search_contacts', 'ok', 0.1)\n"
        "metrics.record_refusal('policy')\n"
        "metrics.observe_upstream('getAccountInfo', 200, 0.1)\n"
        "print('prometheus_client' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)  # noqa: S603
    assert done.stdout.strip() == "False", done.stderr
