"""list_message_templates and manage_unsubscribes against the sandbox."""

from __future__ import annotations

import pytest
from mcp import Client

from esputnik_mcp.sandbox import Sandbox
from tests.tools.conftest import call, error_text

pytestmark = pytest.mark.anyio

SEARCH_EMAIL = "GET /v1/messages/email"
SEARCH_SMS = "GET /v1/messages/sms"
UNSUBSCRIBE = "POST /v1/emails/unsubscribed/add"
RESUBSCRIBE = "POST /v1/emails/unsubscribed/delete"
SHOP = '"Lumen Home" <news@lumen-home.example>'


async def test_template_and_unsubscribe_annotations(mcp: Client) -> None:
    tools = {t.name: t.annotations for t in (await mcp.list_tools()).tools}
    templates, unsubscribes = tools["list_message_templates"], tools["manage_unsubscribes"]
    assert templates is not None
    assert unsubscribes is not None
    assert templates.read_only_hint is True
    assert (unsubscribes.read_only_hint, unsubscribes.destructive_hint, unsubscribes.idempotent_hint) == (
        False,
        True,
        True,
    )


async def test_email_templates_page_with_limit_and_cursor(mcp: Client, sandbox: Sandbox) -> None:
    first = await call(mcp, "list_message_templates", {"channel": "email", "limit": 2})
    data = first.structured_content
    assert data is not None
    assert len(data["templates"]) == 2
    assert data["total"] > 2
    template = data["templates"][0]
    assert {"id", "name", "subject", "sender", "tags"} <= template.keys()
    assert "preview" not in template
    [request] = sandbox.journal.for_route(SEARCH_EMAIL)
    assert request.query == {"startindex": "1", "maxrows": "2"}

    second = await call(mcp, "list_message_templates", {"channel": "email", "limit": 2, "cursor": data["next_cursor"]})
    assert second.structured_content is not None
    assert sandbox.journal.for_route(SEARCH_EMAIL)[1].query == {"startindex": "3", "maxrows": "2"}
    first_ids = {t["id"] for t in data["templates"]}
    assert first_ids.isdisjoint(t["id"] for t in second.structured_content["templates"])


async def test_template_search_by_name_or_tag(mcp: Client, sandbox: Sandbox) -> None:
    result = await call(mcp, "list_message_templates", {"channel": "email", "search": "transactional"})
    data = result.structured_content
    assert data is not None
    assert data["templates"]
    assert all("transactional" in t["tags"] for t in data["templates"])
    assert sandbox.journal.for_route(SEARCH_EMAIL)[0].query["search"] == "transactional"


async def test_sms_templates_show_sender_and_text_start(mcp: Client, sandbox: Sandbox) -> None:
    result = await call(mcp, "list_message_templates", {"channel": "sms"})
    data = result.structured_content
    assert data is not None
    assert data["templates"]
    for template in data["templates"]:
        assert template["sender"]
        assert 0 < len(template["preview"]) <= 80
        assert "subject" not in template
    assert len(sandbox.journal.for_route(SEARCH_SMS)) == 1


async def test_repeated_template_reads_are_answered_from_the_cache(mcp: Client, sandbox: Sandbox) -> None:
    for _ in range(3):
        await call(mcp, "list_message_templates", {"channel": "email", "search": "order"})
    assert len(sandbox.journal.for_route(SEARCH_EMAIL)) == 1


async def test_a_cursor_of_another_search_is_refused(mcp: Client, sandbox: Sandbox) -> None:
    first = await call(mcp, "list_message_templates", {"channel": "email", "limit": 1})
    assert first.structured_content is not None
    cursor = first.structured_content["next_cursor"]
    result = await mcp.call_tool("list_message_templates", {"channel": "sms", "limit": 1, "cursor": cursor})
    assert "different query" in error_text(result)
    assert len(sandbox.journal) == 1


async def test_unsubscribe_then_resubscribe(mcp: Client, sandbox: Sandbox) -> None:
    emails = ["Olena@Example.com", "taras@example.com", "olena@example.com"]
    result = await call(mcp, "manage_unsubscribes", {"action": "unsubscribe", "emails": emails})
    assert result.structured_content is not None
    assert result.structured_content["addresses"] == 2
    [request] = sandbox.journal.for_route(UNSUBSCRIBE)
    assert request.body == {"emails": ["Olena@example.com", "taras@example.com"]}

    refused = await mcp.call_tool(
        "send_email", {"to": "taras@example.com", "subject": "Hi", "html": "<p>Hi</p>", "sender": SHOP}
    )
    assert refused.structured_content is not None
    assert refused.structured_content["results"][0]["status"] == "failed"

    await call(mcp, "manage_unsubscribes", {"action": "resubscribe", "emails": ["taras@example.com"]})
    assert sandbox.journal.for_route(RESUBSCRIBE)[0].body == {"emails": ["taras@example.com"]}
    sent = await call(
        mcp, "send_email", {"to": "taras@example.com", "subject": "Hi", "html": "<p>Hi</p>", "sender": SHOP}
    )
    assert sent.structured_content is not None
    assert sent.structured_content["results"][0]["status"] == "queued"


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"action": "unsubscribe", "emails": ["not-an-address"]}, "emails.0"),
        ({"action": "unsubscribe", "emails": []}, "emails"),
        ({"action": "delete", "emails": ["a@example.com"]}, "action"),
    ],
    ids=["bad address", "none", "unknown action"],
)
async def test_manage_unsubscribes_refuses_before_sending(
    mcp: Client, sandbox: Sandbox, arguments: dict[str, object], expected: str
) -> None:
    result = await mcp.call_tool("manage_unsubscribes", arguments)
    assert expected in error_text(result)
    assert len(sandbox.journal) == 0
