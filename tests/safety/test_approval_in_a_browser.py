"""The approval page end to end in a real headless browser: a tool call asks by URL elicitation,
the page opens in Chromium, a person's click on Approve lets exactly one send through; Decline, an
expired page, a forged link and a replayed approval let nothing through."""

from __future__ import annotations

from typing import Any

import pytest
from mcp.client.context import ClientRequestContext
from mcp_types import ElicitRequestParams, ElicitRequestURLParams, ElicitResult

from esputnik_mcp.sandbox import Sandbox
from tests.browser import Browser, browser, skip_without_a_browser
from tests.safety.conftest import PROTOCOLS, FakeClock, connect, server_with, text_of

pytestmark = pytest.mark.anyio

EMAIL = "POST /v1/message/email"
SEND = {"to": "olena@example.com", "subject": "Spring sale", "html": "<h1>Spring is here</h1><p>Hello Olena</p>"}


class PersonAtTheBrowser:
    """Opens the approval page the client was handed, reads it, and clicks."""

    def __init__(self, window: Browser, button: str | None, before: Any = None) -> None:
        self.window = window
        self.button = button
        self.before = before
        self.seen: list[str] = []
        self.after: list[str] = []
        self.urls: list[str] = []

    async def __call__(self, context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
        assert isinstance(params, ElicitRequestURLParams), "a client that can open pages is sent to the page"
        self.urls.append(params.url)
        if self.before is not None:
            await self.before()
        await self.window.open(params.url)
        self.seen.append(await self.window.text())
        if self.button is not None and "Approve" in self.seen[-1]:
            self.seen.append(await self.window.frame_text())
            await self.window.click(f"button[value={self.button}]")
            self.after.append(await self.window.text())
        return ElicitResult(action="accept")


@pytest.fixture(autouse=True)
def _needs_a_browser() -> None:
    skip_without_a_browser()


@pytest.mark.parametrize("protocol", list(PROTOCOLS))
async def test_a_click_on_approve_sends_once(sandbox: Sandbox, clock: FakeClock, protocol: str) -> None:
    async with browser() as window, server_with(sandbox, clock, send_confirmation="elicit", pages=True) as server:
        person = PersonAtTheBrowser(window, "approve")
        async with connect(server, protocol, elicitation=person) as mcp:
            result = await mcp.call_tool("send_email", SEND)
        assert not result.is_error, text_of(result)
        assert server.sent(EMAIL) == 1
    page, email = person.seen
    assert "Spring sale" in page
    assert "lumen-home" in page  # the sender
    assert "Spring is here" in email  # the email itself, in its sandboxed frame
    assert "Approved" in person.after[0]


async def test_a_click_on_decline_sends_nothing(sandbox: Sandbox, clock: FakeClock) -> None:
    async with browser() as window, server_with(sandbox, clock, send_confirmation="elicit", pages=True) as server:
        person = PersonAtTheBrowser(window, "decline")
        async with connect(server, elicitation=person) as mcp:
            result = await mcp.call_tool("send_email", SEND)
        assert result.is_error
        assert "declined" in text_of(result)
        assert "Declined" in person.after[0]
        assert server.sent(EMAIL) == 0


async def test_an_expired_page_cannot_be_approved(sandbox: Sandbox, clock: FakeClock) -> None:
    async def ten_minutes_later() -> None:
        clock.now += 601

    async with browser() as window, server_with(sandbox, clock, send_confirmation="elicit", pages=True) as server:
        person = PersonAtTheBrowser(window, "approve", before=ten_minutes_later)
        async with connect(server, elicitation=person) as mcp:
            result = await mcp.call_tool("send_email", SEND)
        assert result.is_error
        assert "expired" in person.seen[0]
        assert server.sent(EMAIL) == 0


async def test_a_forged_link_and_a_replayed_approval_send_nothing(sandbox: Sandbox, clock: FakeClock) -> None:
    async with browser() as window, server_with(sandbox, clock, send_confirmation="elicit", pages=True) as server:
        person = PersonAtTheBrowser(window, "approve")
        async with connect(server, elicitation=person) as mcp:
            assert not (await mcp.call_tool("send_email", SEND)).is_error
            [url] = person.urls
            await window.open(url.rsplit("/", 1)[0] + "/forged-secret")
            assert "expired or does not exist" in await window.text()
            await window.open(url)  # the used page again: it can no longer be approved
            replayed = await window.text()
            assert "already approved and used" in replayed
            again = await mcp.call_tool("send_email", {**SEND, "allow_duplicate": True})
        assert len(person.urls) == 2  # a new call needs a new approval
        assert not again.is_error
        assert server.sent(EMAIL) == 2
