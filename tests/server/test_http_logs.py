"""The server's log never carries a secret or a person's address, at any level: confirmation
tokens, bearer tokens, the API key, emails and phone numbers are scrubbed from every record, the
third-party loggers that dump bodies stay quiet, and JSON lines are one object each."""

from __future__ import annotations

import base64
import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx2 as httpx
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from esputnik_mcp.api import ESputnikClient
from esputnik_mcp.sandbox import SANDBOX_BASE_URL, Sandbox
from esputnik_mcp.server.app import build_server
from esputnik_mcp.server.http import http_app
from esputnik_mcp.server.logs import NOISY_LOGGERS, Redactor, configure
from esputnik_mcp.server.runtime import Runtime
from esputnik_mcp.settings import Settings
from tests.server.test_http_limits import hardened

TOKEN = "logs-token-8e2d4c6a-0b1f-4a3e-9c5d-7f6e8a0b2c4d"
API_KEY = "live-api-key-5a4b3c2d1e0f"
TURNED_UP = (*NOISY_LOGGERS, "uvicorn", "uvicorn.error")


@pytest.fixture
def log_state() -> Iterator[None]:
    """Put the logging configuration back as it was: configure() changes process-wide state."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in TURNED_UP}
    try:
        yield
    finally:
        for handler in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(handler)
        root.setLevel(level)
        for name, old in levels.items():
            logging.getLogger(name).setLevel(old)


@pytest.fixture
async def runtime() -> AsyncIterator[Runtime]:
    sandbox = Sandbox(api_key="sandbox", db_path=":memory:", demo=True)
    client = ESputnikClient("sandbox", base_url=SANDBOX_BASE_URL, transport=sandbox.transport())
    settings = Settings(
        _env_file=None,
        http_tokens=TOKEN,
        api_key=API_KEY,
        send_confirmation="token",
        email_sender='"Lumen Home" <news@lumen-home.example>',
        log_level="DEBUG",
        log_format="json",
    )
    try:
        yield Runtime(settings=settings, client=client, sandbox=sandbox)
    finally:
        await client.aclose()


def structured(result: Any) -> dict[str, Any]:
    assert result.structured_content is not None, result.content
    content: dict[str, Any] = result.structured_content
    return content


@pytest.mark.anyio
@pytest.mark.usefixtures("log_state")
@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_no_log_level_prints_confirmation_tokens_credentials_or_contact_addresses(
    runtime: Runtime, mode: str
) -> None:
    output = io.StringIO()
    configure(runtime.settings, stream=output)
    assert all(logging.getLogger(name).level >= logging.WARNING for name in NOISY_LOGGERS)
    # Someone debugging turns every body-dumping logger up: what they log is scrubbed all the same.
    for name in TURNED_UP:
        logging.getLogger(name).setLevel(logging.DEBUG)

    app = http_app(build_server(runtime), runtime, host="127.0.0.1")
    async with hardened(app, runtime.settings) as served:
        mcp_http = httpx.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"})
        async with (
            mcp_http,
            Client(streamable_http_client(f"{served.base}/mcp", http_client=mcp_http), mode=mode) as client,
        ):
            found = structured(await client.call_tool("search_contacts", {"limit": 20}))
            person = next(c for c in found["contacts"] if c.get("email") and c.get("phone"))
            contact = structured(await client.call_tool("get_contact", {"contact_id": person["id"]}))
            send = {"to": person["email"], "subject": "Spring sale", "html": "<p>Hello</p>"}
            preview = structured(await client.call_tool("send_email", send))
            confirmation = preview["confirmation_required"]["confirmation_token"]
            lookup = await client.call_tool("search_contacts", {"email": person["email"]})
            assert not lookup.is_error

    flow_log = output.getvalue()
    assert "[email]" in flow_log, "request bodies with the address were logged, scrubbed"
    if mode == "legacy":  # its responses stream through sse-starlette, which logs every chunk
        assert "cfm_[redacted]" in flow_log, "the preview with its token was logged, scrubbed"

    # What application code might pass a logger: credentials and addresses as arguments, in tracebacks.
    ours = logging.getLogger("esputnik_mcp.test")
    basic = base64.b64encode(f"esputnik-mcp:{API_KEY}".encode()).decode()
    ours.debug("calling with key %s as Basic %s, client sent Bearer %s", API_KEY, basic, TOKEN)
    ours.info("confirm with %r for %s (%s)", confirmation, person["email"], person["phone"])
    try:
        raise ValueError(f"no contact {person['email']} / {person['phone']}")
    except ValueError:
        ours.exception("lookup failed")

    log = output.getvalue()
    assert str(contact).count(person["email"]) >= 1, "the flow did read the contact's address"
    for secret in (TOKEN, API_KEY, basic, confirmation, person["email"], person["phone"], person["phone"][1:]):
        assert secret not in log, f"{secret[:6]}… reached the log"
    assert "[phone]" in log
    lines = log.splitlines()
    assert len(lines) > 10
    for line in lines:
        entry = json.loads(line)
        assert {"time", "level", "logger", "message"} <= set(entry)
    assert any("exception" in json.loads(line) for line in lines)


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        ("token cfm_AbC-12_xyZ0987654321abcd ok", "token cfm_[redacted] ok"),
        ("Authorization: Bearer abc.def-ghi", "Authorization: Bearer [redacted]"),
        ("Authorization: Basic ZXNwdXRuaWs6a2V5", "Authorization: Basic [redacted]"),
        ("GET /v1/contacts?email=olena%40example.com&limit=5", "GET /v1/contacts?email=[email]&limit=5"),
        ('{"email":"olena.k+news@example.co.uk"}', '{"email":"[email]"}'),
        ("sms to +38 (067) 123-45-67 and %2B380671234567", "sms to [phone] and [phone]"),
        ("phone 380671234567 in the body", "phone [phone] in the body"),
        ("contact 100999 took 0.123s at 2025-05-14 09:00:00", "contact 100999 took 0.123s at 2025-05-14 09:00:00"),
    ],
)
def test_shapes_of_secrets_and_addresses_are_scrubbed_and_ordinary_text_is_left(text: str, scrubbed: str) -> None:
    assert Redactor()(text) == scrubbed
