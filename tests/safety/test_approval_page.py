"""Only a person approves a send, and sees what will go out: what would be refused is refused before
anyone is asked; the token answer, the form and the approval page show the message rendered for its
first recipient; the page (URL elicitation) is the only way through when the client supports it,
and its approval is single-use, bound to the call, expiring and safe from other sites."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx2 as httpx
import pytest
from mcp.client.context import ClientRequestContext
from mcp_types import ElicitRequestParams, ElicitRequestURLParams, ElicitResult

from esputnik_mcp.sandbox import Sandbox
from tests.safety.conftest import PROTOCOLS, FakeClock, connect, server_with, text_of

pytestmark = pytest.mark.anyio

EMAIL = "POST /v1/message/email"
SMARTSEND = "POST /v1/message/{id}/smartsend"
SEND = {"to": "olena@example.com", "subject": "Spring sale", "html": "<p>Hello, spring is here</p>"}
TEMPLATE = 3001


@dataclass
class Person:
    """The person at the client: opens the approval page and approves or declines it, or answers a
    form. ``clicks`` None leaves the page unanswered."""

    clicks: Literal["approve", "decline"] | None = "approve"
    before_click: Any = None  # awaited with the page's URL before the click (e.g. to let it expire)
    pages: list[str] = field(default_factory=list)
    forms: list[str] = field(default_factory=list)

    async def __call__(self, context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
        if isinstance(params, ElicitRequestURLParams):
            self.pages.append(params.url)
            if self.before_click is not None:
                await self.before_click(params.url)
            if self.clicks is not None:
                await click(params.url, self.clicks)
            return ElicitResult(action="accept")
        self.forms.append(params.message)
        return ElicitResult(action="accept", content={"confirm": True})


async def click(url: str, decision: str, *, headers: dict[str, str] | None = None) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        page = await http.get(url)
        assert page.status_code == 200, page.text
        token = re.search(r'name="token" value="([0-9a-f]+)"', page.text)
        assert token is not None
        return await http.post(url, data={"token": token.group(1), "decision": decision}, headers=headers or {})


# --- checked before anyone is asked ----------------------------------------------------------


@pytest.mark.parametrize("mode", ["token", "elicit"])
async def test_a_send_that_would_be_refused_is_refused_before_anyone_is_asked(
    sandbox: Sandbox, clock: FakeClock, mode: str
) -> None:
    person = Person()
    bad = {
        "unknown template": (
            "send_prepared_message",
            {"message_id": 999999, "channel": "email", "recipients": [{"locator": "olena@example.com"}]},
            "there is no stored email message 999999",
        ),
        "template of another channel": (
            "send_prepared_message",
            {"message_id": 4001, "channel": "email", "recipients": [{"locator": "olena@example.com"}]},
            "is a stored sms message",
        ),
        "unknown contact": (
            "send_prepared_message",
            {"message_id": TEMPLATE, "channel": "email", "recipients": [{"contact_id": 999999}]},
            "no contact with an address on email for contact:999999",
        ),
        "unknown sender": ("send_email", {**SEND, "sender": "Nobody <nobody@elsewhere.example>"}, "is not one of"),
        "window over 24 h": (
            "delete_orders",
            {"date_from": "2025-05-10T00:00:00Z", "date_to": "2025-05-14T00:00:00Z"},
            "at most 24 h",
        ),
    }
    async with server_with(sandbox, clock, send_confirmation=mode, pages=True) as server:
        async with connect(server, elicitation=person) as mcp:
            for tool, arguments, expected in bad.values():
                result = await mcp.call_tool(tool, arguments)
                assert result.is_error
                assert expected in text_of(result), text_of(result)
                assert "confirmation_required" not in (result.structured_content or {})
        assert person.pages == person.forms == []  # nobody was asked
        assert server.sent(EMAIL) == server.sent(SMARTSEND) == 0


# --- what the person sees ----------------------------------------------------------------------


async def test_the_token_answer_shows_the_message_rendered_for_the_first_recipient(
    sandbox: Sandbox, clock: FakeClock
) -> None:
    async with server_with(sandbox, clock, send_confirmation="token") as server, connect(server) as mcp:
        page = await server.runtime.client.contacts.search(max_rows=20)
        contact = next(c for c in page.items if c.channel_values("email") and c.first_name)
        arguments = {
            "message_id": TEMPLATE,
            "channel": "email",
            "recipients": [{"contact_id": contact.id, "params": {"orderId": "A-17", "firstName": "Оля"}}],
        }
        answer = await mcp.call_tool("send_prepared_message", arguments)
    request = answer.structured_content["confirmation_required"]  # type: ignore[index]
    preview = request["preview"]
    assert preview["sender"]
    assert preview["subject"]
    assert preview["message"].startswith(f"{TEMPLATE} ")
    assert preview["balance"]
    [sample] = preview["samples"]
    assert contact.first_name in sample["recipient"]
    shown = (sample.get("html") or "") + (sample.get("text") or "")
    assert "A-17" in shown or "Оля" in shown  # the recipient's own parameters, rendered
    assert "$!data" not in shown
    assert "${data" not in shown
    assert contact.first_name in text_of(answer)


async def test_an_sms_preview_counts_its_parts(sandbox: Sandbox, clock: FakeClock) -> None:
    text = "Привіт! " * 20  # Cyrillic: UCS-2, 160 characters, 3 parts of 67
    async with server_with(sandbox, clock, send_confirmation="token") as server, connect(server) as mcp:
        answer = await mcp.call_tool("send_sms", {"phone": "+380501234567", "text": text})
    preview = answer.structured_content["confirmation_required"]["preview"]  # type: ignore[index]
    assert (preview["sms_encoding"], preview["sms_parts_total"]) == ("UCS-2", 3)


@pytest.mark.parametrize("protocol", list(PROTOCOLS))
async def test_the_form_shows_the_rendered_message(
    sandbox: Sandbox, clock: FakeClock, protocol: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mcp.client.session import ClientSession

    build = ClientSession._build_capabilities

    def form_only(self: ClientSession, version: str) -> Any:  # a client that declares forms, not URLs
        capabilities = build(self, version)
        if capabilities.elicitation is not None:
            capabilities.elicitation.url = None
        return capabilities

    monkeypatch.setattr(ClientSession, "_build_capabilities", form_only)
    person = Person()
    async with server_with(sandbox, clock, send_confirmation="elicit", pages=True) as server:
        async with connect(server, protocol, elicitation=person) as mcp:
            result = await mcp.call_tool("send_email", SEND)
        assert not result.is_error, text_of(result)
        assert server.sent(EMAIL) == 1
    [form] = person.forms
    assert "Hello, spring is here" in form
    assert "Spring sale" in form
    assert "lumen-home" in form  # the sender
    assert person.pages == []


# --- the approval page -------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", list(PROTOCOLS))
@pytest.mark.parametrize("mode", ["auto", "elicit"])
async def test_a_send_goes_out_once_after_a_click_on_approve(
    sandbox: Sandbox, clock: FakeClock, protocol: str, mode: str
) -> None:
    person = Person("approve")
    async with server_with(sandbox, clock, send_confirmation=mode, pages=True) as server:
        async with connect(server, protocol, elicitation=person) as mcp:
            result = await mcp.call_tool("send_email", SEND)
            assert not result.is_error, text_of(result)
            assert server.sent(EMAIL) == 1
            again = await mcp.call_tool("send_email", {**SEND, "allow_duplicate": True})  # a new call: a new page
        assert not again.is_error
        assert len(person.pages) == 2
        assert server.sent(EMAIL) == 2
    for url in person.pages:
        assert url.startswith("http://127.0.0.1:")
        assert url.split("/approve/")[1] not in text_of(result)  # the secret never reaches the model


@pytest.mark.parametrize("protocol", list(PROTOCOLS))
async def test_a_decline_on_the_page_sends_nothing(sandbox: Sandbox, clock: FakeClock, protocol: str) -> None:
    person = Person("decline")
    async with server_with(sandbox, clock, send_confirmation="auto", pages=True) as server:
        async with connect(server, protocol, elicitation=person) as mcp:
            result = await mcp.call_tool("send_email", SEND)
        assert result.is_error
        assert "declined" in text_of(result)
        assert server.sent(EMAIL) == 0


async def test_an_expired_page_sends_nothing(sandbox: Sandbox, clock: FakeClock) -> None:
    gone: list[int] = []

    async def later(url: str) -> None:
        clock.now += 601  # the person comes back after the page's ten minutes
        async with httpx.AsyncClient() as http:
            gone.append((await http.get(url)).status_code)

    person = Person(clicks=None, before_click=later)
    async with server_with(sandbox, clock, send_confirmation="auto", pages=True) as server:
        async with connect(server, elicitation=person) as mcp:
            result = await mcp.call_tool("send_email", SEND)
        assert result.is_error
        assert "expired" in text_of(result)
        assert gone == [404]
        assert server.sent(EMAIL) == 0


async def test_the_agent_cannot_approve_by_itself(sandbox: Sandbox, clock: FakeClock) -> None:
    person = Person(clicks=None)  # the client opens the page; nobody clicks
    async with server_with(sandbox, clock, send_confirmation="auto", pages=True) as server:
        server.runtime.gate.confirmer.wait = 0.2
        async with connect(server, elicitation=person) as mcp:
            waiting = await mcp.call_tool("send_email", SEND)
            assert waiting.is_error
            assert "waiting for the user to approve" in text_of(waiting)
            with_token = await mcp.call_tool("send_email", {**SEND, "confirmation_token": "cfm_made_up_by_the_agent"})
            assert with_token.is_error  # a token never stands in for the page
        assert server.sent(EMAIL) == 0


async def test_a_forged_or_replayed_approval_is_refused(sandbox: Sandbox, clock: FakeClock) -> None:
    person = Person("approve")
    async with server_with(sandbox, clock, send_confirmation="auto", pages=True) as server:
        async with connect(server, elicitation=person) as mcp:
            assert not (await mcp.call_tool("send_email", SEND)).is_error
        [url] = person.pages
        base = url.split("/approve/")[0]
        async with httpx.AsyncClient() as http:
            forged = await http.get(f"{base}/approve/not-the-secret")
            assert forged.status_code == 404
            replay = await http.post(url, data={"decision": "approve", "token": "0" * 64})
            assert replay.status_code in (403, 409)
        assert server.sent(EMAIL) == 1


async def test_a_decision_from_another_site_is_refused(sandbox: Sandbox, clock: FakeClock) -> None:
    person = Person(clicks=None)
    async with server_with(sandbox, clock, send_confirmation="auto", pages=True) as server:
        server.runtime.gate.confirmer.wait = 0.2
        async with connect(server, elicitation=person) as mcp:
            await mcp.call_tool("send_email", SEND)
            [url] = person.pages
            cross = await click(
                url, "approve", headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
            )
            assert cross.status_code == 403
            result = await mcp.call_tool("send_email", SEND)
        assert result.is_error
        assert server.sent(EMAIL) == 0


async def test_the_page_shows_the_rendered_message_and_cannot_be_framed(sandbox: Sandbox, clock: FakeClock) -> None:
    seen: dict[str, httpx.Response] = {}

    async def look(url: str) -> None:
        async with httpx.AsyncClient() as http:
            seen["page"] = await http.get(url)

    person = Person("decline", before_click=look)
    async with (
        server_with(sandbox, clock, send_confirmation="auto", pages=True) as server,
        connect(server, elicitation=person) as mcp,
    ):
        await mcp.call_tool("send_email", SEND)
    page = seen["page"]
    assert "Spring sale" in page.text
    assert "srcdoc=" in page.text
    assert "sandbox=" in page.text
    assert "Hello, spring is here" in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer"


async def test_previews_do_not_count_as_sends(sandbox: Sandbox, clock: FakeClock) -> None:
    async with (
        server_with(sandbox, clock, send_confirmation="token", sends_per_minute=2, sends_per_minute_total=2) as server,
        connect(server) as mcp,
    ):
        for subject in ("One", "Two"):
            preview = await mcp.call_tool("send_email", {**SEND, "subject": subject})
            preview_again = await mcp.call_tool("send_email", {**SEND, "subject": subject})
            token = preview_again.structured_content["confirmation_required"]["confirmation_token"]  # type: ignore[index]
            assert preview.is_error
            sent = await mcp.call_tool("send_email", {**SEND, "subject": subject, "confirmation_token": token})
            assert not sent.is_error, text_of(sent)
        third = await mcp.call_tool("send_email", {**SEND, "subject": "Three"})
        token = third.structured_content["confirmation_required"]["confirmation_token"]  # type: ignore[index]
        over = await mcp.call_tool("send_email", {**SEND, "subject": "Three", "confirmation_token": token})
        assert over.is_error
        assert "more than 2 sends a minute" in text_of(over)
        assert server.sent(EMAIL) == 2
