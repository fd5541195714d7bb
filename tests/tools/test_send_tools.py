"""send_email, send_sms, send_prepared_message and get_message_status against the sandbox: the exact
requests, per-recipient results, chunking with progress, failures inside a 200, ambiguous outcomes
that are never retried, and refusals that send nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp import Client

from esputnik_mcp.api.models import Contact
from esputnik_mcp.sandbox import Fault, Sandbox
from esputnik_mcp.server.runtime import Runtime
from esputnik_mcp.settings import Settings
from esputnik_mcp.toolkit.base import ToolContext
from esputnik_mcp.tools import catalogue
from tests.tools.conftest import automation_settings, call, error_text

pytestmark = pytest.mark.anyio

SHOP = '"Lumen Home" <news@lumen-home.example>'
SMS_FROM = "LumenHome"
EMAIL = "POST /v1/message/email"
SMS = "POST /v1/message/sms"
SMARTSEND = "POST /v1/message/{id}/smartsend"
STATUS = "GET /v1/message/status"


@pytest.fixture
def settings() -> Settings:
    return automation_settings(email_sender=SHOP, sms_sender=SMS_FROM)


def sent(sandbox: Sandbox, route: str) -> list[Any]:
    return sandbox.journal.for_route(route)


async def template_id(mcp: Client, channel: str, search: str) -> int:
    found = await call(mcp, "list_message_templates", {"channel": channel, "search": search})
    assert found.structured_content is not None
    return int(found.structured_content["templates"][0]["id"])


async def filled_contact(runtime: Runtime, channel: str) -> Contact:
    """A demo contact with an address on ``channel`` and an external id (search rows carry no external id)."""
    page = await runtime.client.contacts.search(max_rows=100)
    for item in page.items:
        assert item.id is not None
        if item.channel_values(channel):
            contact = await runtime.client.contacts.get(item.id)
            if contact.external_customer_id:
                return contact
    raise AssertionError(f"the demo data has no contact with {channel} and an external id among the first 100")


async def external_id_with_email(mcp: Client, contact_ids: list[int]) -> str:
    for contact_id in contact_ids:
        result = await call(mcp, "get_contact", {"contact_id": contact_id})
        assert result.structured_content is not None
        external = result.structured_content["contact"].get("external_customer_id")
        if external:
            return str(external)
    raise AssertionError("the demo data has no contact with an email and an external id")


async def test_send_tools_are_marked_as_sends(mcp: Client) -> None:
    tools = {t.name: t for t in (await mcp.list_tools()).tools}
    for name in ("send_email", "send_sms", "send_prepared_message"):
        hints = tools[name].annotations
        assert hints is not None
        assert hints.read_only_hint is False
        assert hints.destructive_hint is True
        assert hints.idempotent_hint is False
        assert hints.open_world_hint is True
    status = tools["get_message_status"].annotations
    assert status is not None
    assert status.read_only_hint is True


async def test_send_plans_name_recipients_and_content(runtime: Runtime) -> None:
    ctx = ToolContext(client=runtime.client, settings=runtime.settings, sandbox=True)
    specs = {s.name: s for s in catalogue()}
    email = specs["send_email"]
    params = email.params.model_validate(
        {"to": "olena@example.com", "subject": "Spring sale", "html": "<p>Hi</p>", "sender": SHOP}
    )
    assert email.plan_send is not None
    plan = await email.plan_send(params, ctx)
    assert (plan.channel, plan.audience.recipients, plan.content) == ("email", ("olena@example.com",), "Spring sale")
    changed = email.params.model_validate(
        {"to": "olena@example.com", "subject": "Spring sale", "html": "<p>Hi!</p>", "sender": SHOP}
    )
    assert plan.content_key.startswith("sha256:")
    assert (await email.plan_send(changed, ctx)).content_key != plan.content_key

    sms = specs["send_sms"]
    assert sms.plan_send is not None
    sms_plan = await sms.plan_send(
        sms.params.model_validate({"phone": "+380501234567", "text": "Your code is 1234"}), ctx
    )
    assert (sms_plan.channel, sms_plan.audience.recipients, sms_plan.content) == (
        "sms",
        ("+380501234567",),
        "Your code is 1234",
    )

    prepared = specs["send_prepared_message"]
    assert prepared.plan_send is not None
    contact = await filled_contact(runtime, "sms")
    phone = "+" + "".join(ch for ch in contact.channel_values("sms")[0] if ch.isdigit())
    prepared_plan = await prepared.plan_send(
        prepared.params.model_validate(
            {
                "message_id": 4001,
                "channel": "sms",
                "recipients": [
                    {"contact_id": contact.id},
                    {"external_customer_id": contact.external_customer_id},
                    {"locator": "+380501234567"},
                ],
            }
        ),
        ctx,
    )
    labels = (f"contact:{contact.id}", f"external:{contact.external_customer_id}", "+380501234567")
    assert prepared_plan.audience.recipients == labels
    assert prepared_plan.audience.known_as == {labels[0]: phone, labels[1]: phone}  # one person, two names
    assert prepared_plan.content.startswith("template 4001 ")
    assert prepared_plan.content_key == "template:4001"


# --- send_email ----------------------------------------------------------------------------------


async def test_send_email_sends_exactly_the_documented_body(mcp: Client, sandbox: Sandbox) -> None:
    result = await call(
        mcp,
        "send_email",
        {
            "to": "olena@example.com",
            "subject": "Spring sale",
            "html": "<p>Hello</p>",
            "text": "Hello",
            "tags": ["spring"],
            "external_request_id": "promo-1",
        },
    )
    assert not result.is_error
    [request] = sent(sandbox, EMAIL)
    assert request.body == {
        "from": SHOP,
        "subject": "Spring sale",
        "htmlText": "<p>Hello</p>",
        "plainText": "Hello",
        "emails": ["olena@example.com"],
        "tags": ["spring"],
        "externalRequestId": "promo-1",
    }
    data = result.structured_content
    assert data is not None
    [row] = data["results"]
    assert row["recipient"] == "olena@example.com"
    assert row["status"] == "queued"
    assert data["request_ids"] == [row["request_id"]]
    assert (data["total"], data["queued"], data["failed"], data["unknown"]) == (1, 1, 0, 0)


async def test_text_only_email_gets_an_escaped_html_body(mcp: Client, sandbox: Sandbox) -> None:
    text = "Hi <Olena> & co,\nline two\n\nNew paragraph"
    result = await call(mcp, "send_email", {"to": "olena@example.com", "subject": "Note", "text": text})
    assert not result.is_error
    body = sent(sandbox, EMAIL)[0].body
    assert body["plainText"] == text
    assert "<p>Hi &lt;Olena&gt; &amp; co,<br>line two</p><p>New paragraph</p>" in body["htmlText"]


async def test_sent_email_status_moves_with_the_sandbox_clock(mcp: Client, sandbox: Sandbox) -> None:
    result = await call(mcp, "send_email", {"to": "olena@example.com", "subject": "Hi", "html": "<p>Hi</p>"})
    assert result.structured_content is not None
    [request_id] = result.structured_content["request_ids"]

    first = await call(mcp, "get_message_status", {"request_ids": [request_id, "no-such-request"]})
    assert first.structured_content is not None
    [status] = first.structured_content["statuses"]
    assert status == {"request_id": request_id, "status": "IN_QUEUE", "delivered": False, "failed": False}
    assert first.structured_content["not_found"] == ["no-such-request"]
    assert first.structured_content["pending"] == 1
    assert sent(sandbox, STATUS)[0].query == {"ids": f"{request_id},no-such-request"}

    sandbox.clock.advance(30)
    later = await call(mcp, "get_message_status", {"request_ids": [request_id]})
    assert later.structured_content is not None
    assert later.structured_content["statuses"][0]["status"] == "DELIVERED"
    assert later.structured_content["delivered"] == 1


async def test_email_to_an_unsubscribed_address_is_reported_failed(mcp: Client, sandbox: Sandbox) -> None:
    await call(mcp, "manage_unsubscribes", {"action": "unsubscribe", "emails": ["gone@example.com"]})
    result = await mcp.call_tool("send_email", {"to": "gone@example.com", "subject": "Hi", "html": "<p>Hi</p>"})
    assert result.is_error  # nobody was reached
    assert result.structured_content is not None
    [row] = result.structured_content["results"]
    assert row["status"] == "failed"
    assert "unsubscribed" in row["message"]
    assert result.structured_content["failed"] == 1
    assert "unsubscribed" in error_text(result)
    assert len(sent(sandbox, EMAIL)) == 1


async def test_dropped_email_is_unknown_and_not_retried(mcp: Client, sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault(route=EMAIL, drop=True))
    result = await mcp.call_tool(
        "send_email",
        {"to": "olena@example.com", "subject": "Hi", "html": "<p>Hi</p>", "external_request_id": "promo-7"},
    )
    assert result.is_error
    assert result.structured_content is not None
    [row] = result.structured_content["results"]
    assert row["status"] == "unknown"
    assert result.structured_content["unknown"] == 1
    text = error_text(result)
    assert "OUTCOME UNKNOWN" in text
    assert "do not resend blindly" in text
    assert "get_message_status" in text
    assert "promo-7" in text
    [request] = sent(sandbox, EMAIL)  # exactly one request: never retried
    assert request.dropped
    assert len(sandbox.sent_messages()) == 1  # the sandbox did send it


async def test_email_refused_with_429_is_retried_once(mcp: Client, sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault(route=EMAIL, status=429, headers={"Retry-After": "0"}))
    result = await call(mcp, "send_email", {"to": "olena@example.com", "subject": "Hi", "html": "<p>Hi</p>"})
    assert not result.is_error
    assert result.structured_content is not None
    assert result.structured_content["queued"] == 1
    assert [e.status for e in sent(sandbox, EMAIL)] == [429, 200]
    assert len(sandbox.sent_messages()) == 1


async def test_sms_still_refused_with_429_after_the_retries_is_failed_not_unknown(
    mcp: Client, sandbox: Sandbox
) -> None:
    sandbox.faults.add(Fault(route=SMS, status=429, headers={"Retry-After": "0"}, times=None))
    result = await mcp.call_tool("send_sms", {"phone": "+380501234567", "text": "Code 1234"})
    assert result.is_error
    assert result.structured_content is not None
    [row] = result.structured_content["results"]
    assert row["status"] == "failed"
    assert "rate limited" in row["message"]
    assert "OUTCOME UNKNOWN" not in error_text(result)
    assert [e.status for e in sent(sandbox, SMS)] == [429, 429, 429]
    assert sandbox.sent_messages() == []


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"to": "not-an-address", "subject": "Hi", "html": "<p>Hi</p>"}, "to:"),
        ({"to": "olena@example.com", "subject": "Hi"}, "give html, text, or both"),
        ({"to": ["a@example.com", "b@example.com"], "subject": "Hi", "html": "x"}, "to:"),
        ({"to": "olena@example.com", "subject": "Hi", "html": "x", "sender": "nobody"}, "sender:"),
        ({"to": "olena@example.com", "subject": "Hi", "html": "x", "reply_to": "a@example.com"}, "reply_to"),
    ],
    ids=["bad address", "no body", "several recipients", "bad sender", "reply_to"],
)
async def test_send_email_refuses_bad_arguments_before_sending(
    mcp: Client, sandbox: Sandbox, arguments: dict[str, Any], expected: str
) -> None:
    result = await mcp.call_tool("send_email", arguments)
    assert expected in error_text(result)
    assert len(sandbox.journal) == 0


async def test_send_email_without_any_sender_is_refused(mcp: Client, sandbox: Sandbox, runtime: Runtime) -> None:
    runtime.settings = automation_settings()
    result = await mcp.call_tool("send_email", {"to": "olena@example.com", "subject": "Hi", "html": "<p>Hi</p>"})
    message = error_text(result)
    assert "pass sender" in message
    assert "ESPUTNIK_EMAIL_SENDER" in message
    assert len(sandbox.journal) == 0


# --- send_sms ------------------------------------------------------------------------------------


async def test_send_sms_sends_exactly_the_documented_body(mcp: Client, sandbox: Sandbox) -> None:
    result = await call(
        mcp,
        "send_sms",
        {"phone": "+380 50 123 4567", "text": "Code 1234", "tags": ["otp"], "external_request_id": "otp-1"},
    )
    assert not result.is_error
    [request] = sent(sandbox, SMS)
    assert request.body == {
        "from": SMS_FROM,
        "text": "Code 1234",
        "phoneNumbers": ["+380501234567"],
        "tags": ["otp"],
        "externalRequestId": "otp-1",
    }
    assert result.structured_content is not None
    [row] = result.structured_content["results"]
    assert (row["recipient"], row["status"]) == ("+380501234567", "queued")

    sandbox.clock.advance(3)
    status = await call(mcp, "get_message_status", {"request_ids": [row["request_id"]]})
    assert status.structured_content is not None
    assert status.structured_content["statuses"][0]["status"] == "PENDING"


async def test_send_sms_refuses_without_sender_or_with_a_bad_phone(
    mcp: Client, sandbox: Sandbox, runtime: Runtime
) -> None:
    bad_phone = await mcp.call_tool("send_sms", {"phone": "0501234567", "text": "Hi"})
    assert "E.164" in error_text(bad_phone)
    runtime.settings = automation_settings()
    no_sender = await mcp.call_tool("send_sms", {"phone": "+380501234567", "text": "Hi"})
    assert "ESPUTNIK_SMS_SENDER" in error_text(no_sender)
    assert len(sandbox.journal) == 0


# --- send_prepared_message -----------------------------------------------------------------------


async def test_prepared_message_sends_each_recipient_as_documented(mcp: Client, sandbox: Sandbox) -> None:
    message_id = await template_id(mcp, "email", "Order confirmation")
    contacts = await call(mcp, "search_contacts", {"limit": 500})
    assert contacts.structured_content is not None
    listed = contacts.structured_content["contacts"]
    contact_id = next(c["id"] for c in listed if c.get("email"))
    external = await external_id_with_email(mcp, [c["id"] for c in listed if c.get("email")])
    sandbox.journal.clear()

    result = await call(
        mcp,
        "send_prepared_message",
        {
            "message_id": message_id,
            "channel": "email",
            "from_name": "Lumen Orders",
            "recipients": [
                {
                    "locator": "Olena@Example.com",
                    "params": {"orderId": "A-17", "total": 59.9},
                    "language_code": "en",
                    "external_request_id": "order-A-17",
                },
                {"contact_id": contact_id},
                {"external_customer_id": external},
            ],
        },
    )
    [request] = sent(sandbox, SMARTSEND)
    assert request.path == f"/v1/message/{message_id}/smartsend"
    assert request.body == {
        "recipients": [
            {
                "locator": "Olena@example.com",
                "jsonParam": '{"orderId":"A-17","total":59.9}',
                "externalRequestId": "order-A-17",
                "languageCode": "en",
            },
            {"contactId": contact_id},
            {"externalCustomerId": external},
        ],
        "email": True,
        "fromName": "Lumen Orders",
    }
    data = result.structured_content
    assert data is not None
    rows = {r["recipient"]: r for r in data["results"]}
    assert rows["Olena@example.com"]["status"] == "queued"
    assert rows[f"contact:{contact_id}"]["status"] == "queued"
    assert rows[f"external:{external}"]["status"] == "queued"
    assert (data["queued"], data["failed"], data["unknown"]) == (3, 0, 0)
    assert len(data["request_ids"]) == 3
    assert not result.is_error
    [message] = [m for m in sandbox.sent_messages() if m["externalRequestId"] == "order-A-17"]
    assert "A-17" in message["subject"]

    status = await call(mcp, "get_message_status", {"request_ids": data["request_ids"]})
    assert status.structured_content is not None
    assert {s["request_id"] for s in status.structured_content["statuses"]} == set(data["request_ids"])


async def test_prepared_sms_sends_email_false_and_phone_locators(mcp: Client, sandbox: Sandbox) -> None:
    message_id = await template_id(mcp, "sms", "Verification code")
    sandbox.journal.clear()
    result = await call(
        mcp,
        "send_prepared_message",
        {
            "message_id": message_id,
            "channel": "sms",
            "recipients": [{"locator": "+380 50 765 4321", "params": {"code": "9911"}}],
        },
    )
    [request] = sent(sandbox, SMARTSEND)
    assert request.body == {
        "recipients": [{"locator": "+380507654321", "jsonParam": '{"code":"9911"}'}],
        "email": False,
    }
    assert result.structured_content is not None
    assert result.structured_content["results"][0]["status"] == "queued"
    assert "9911" in sandbox.sent_messages()[-1]["content"]


async def test_prepared_message_to_2500_recipients_goes_in_three_requests_with_progress(
    mcp: Client, sandbox: Sandbox
) -> None:
    message_id = await template_id(mcp, "email", "Order confirmation")
    sandbox.journal.clear()
    updates: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append((progress, total, message))

    recipients = [{"locator": f"buyer{i}@example.com"} for i in range(2500)]
    result = await mcp.call_tool(
        "send_prepared_message",
        {"message_id": message_id, "channel": "email", "recipients": recipients},
        progress_callback=on_progress,
    )
    assert not result.is_error
    requests = sent(sandbox, SMARTSEND)
    assert sorted(len(r.body["recipients"]) for r in requests) == [500, 1000, 1000]
    sent_to = [r["locator"] for request in requests for r in request.body["recipients"]]
    assert sorted(sent_to) == sorted(r["locator"] for r in recipients)  # each once
    assert [u[0] for u in updates] == sorted(u[0] for u in updates)
    assert len(updates) == 3
    assert updates[-1][:2] == (2500, 2500)
    data = result.structured_content
    assert data is not None
    assert (data["total"], data["queued"], data["failed"], data["unknown"]) == (2500, 2500, 0, 0)
    assert "Cut to" in data["note"]  # 2500 results do not fit in 20 kB
    assert len(result.content[0].text.encode()) <= 20_000  # type: ignore[union-attr]
    kept = {r["request_id"] for r in data["results"]}
    assert set(data["request_ids"]) == kept


async def test_a_dropped_chunk_is_unknown_while_the_other_keeps_its_results(mcp: Client, sandbox: Sandbox) -> None:
    message_id = await template_id(mcp, "email", "Order confirmation")
    sandbox.faults.add(Fault(route=SMARTSEND, drop=True))
    recipients = [{"locator": f"buyer{i}@example.com"} for i in range(1500)]
    result = await mcp.call_tool(
        "send_prepared_message", {"message_id": message_id, "channel": "email", "recipients": recipients}
    )
    assert result.is_error
    requests = sent(sandbox, SMARTSEND)
    assert len(requests) == 2  # the dropped request was not repeated
    [dropped] = [r for r in requests if r.dropped]
    data = result.structured_content
    assert data is not None
    dropped_to = {r["locator"] for r in dropped.body["recipients"]}
    assert (data["unknown"], data["queued"], data["failed"]) == (len(dropped_to), 1500 - len(dropped_to), 0)
    listed_unknown = [r for r in data["results"] if r["status"] == "unknown"]
    assert listed_unknown  # problems come first, even when the list is cut to fit
    assert {r["recipient"] for r in listed_unknown} <= dropped_to
    assert not any("request_id" in r for r in listed_unknown)
    [unknown_request] = [r for r in data["requests"] if r["unknown"]]
    first = int(dropped.body["recipients"][0]["locator"].removeprefix("buyer").split("@")[0])
    last = first + len(dropped_to) - 1
    assert (unknown_request["items"], unknown_request["unknown"]) == (f"{first}-{last}", len(dropped_to))
    text = error_text(result)
    assert "OUTCOME UNKNOWN" in text
    assert f"recipients {first}-{last}: " in text
    assert f"{data['queued']} request_ids known so far" in text


async def test_a_refused_chunk_is_failed_and_the_rest_is_sent(mcp: Client, sandbox: Sandbox) -> None:
    message_id = await template_id(mcp, "email", "Order confirmation")
    sandbox.faults.add(Fault(route=SMARTSEND, status=400, body="Bad recipients"))
    recipients = [{"locator": f"buyer{i}@example.com"} for i in range(1200)]
    result = await mcp.call_tool(
        "send_prepared_message", {"message_id": message_id, "channel": "email", "recipients": recipients}
    )
    requests = sent(sandbox, SMARTSEND)
    assert len(requests) == 2
    [refused] = [r for r in requests if r.status == 400]
    data = result.structured_content
    assert data is not None
    refused_to = {r["locator"] for r in refused.body["recipients"]}
    assert (data["failed"], data["queued"], data["unknown"]) == (len(refused_to), 1200 - len(refused_to), 0)
    listed_failed = [r for r in data["results"] if r["status"] == "failed"]
    assert {r["recipient"] for r in listed_failed} <= refused_to
    assert "Bad recipients" in listed_failed[0]["message"]
    [failed_request] = [r for r in data["requests"] if r["failed"]]
    assert "Bad recipients" in failed_request["error"]
    assert not result.is_error  # the other request was sent


async def test_results_are_matched_to_recipients_by_address_when_not_one_each(mcp: Client, sandbox: Sandbox) -> None:
    answer = {"results": {"locator": "b@example.com", "status": "OK", "requestId": "req-b"}}
    sandbox.faults.add(Fault(route=SMARTSEND, status=200, body=json.dumps(answer)))
    result = await mcp.call_tool(
        "send_prepared_message",
        {
            "message_id": 3003,
            "channel": "email",
            "recipients": [{"locator": "a@example.com"}, {"locator": "b@example.com"}],
        },
    )
    assert result.is_error  # a recipient's outcome is unknown
    assert result.structured_content is not None
    rows = {r["recipient"]: r for r in result.structured_content["results"]}
    assert rows["b@example.com"]["request_id"] == "req-b"
    assert rows["b@example.com"]["status"] == "queued"
    assert rows["a@example.com"]["status"] == "unknown"
    assert "no result" in rows["a@example.com"]["message"]
    assert "get_message_status with the 1 request_ids known so far" in error_text(result)


async def test_an_unknown_template_is_refused_before_anything_is_sent(mcp: Client, sandbox: Sandbox) -> None:
    result = await mcp.call_tool(
        "send_prepared_message",
        {"message_id": 999_999, "channel": "email", "recipients": [{"locator": "olena@example.com"}]},
    )
    assert error_text(result) == (
        "nothing was sent: there is no stored email message 999999 (list_message_templates shows them)"
    )
    assert sent(sandbox, SMARTSEND) == []


async def test_a_template_that_vanishes_before_the_send_fails_every_recipient(mcp: Client, sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault(route=SMARTSEND, status=404, body="Message with id=3001 not found"))
    result = await mcp.call_tool(
        "send_prepared_message",
        {"message_id": 3001, "channel": "email", "recipients": [{"locator": "olena@example.com"}]},
    )
    assert result.is_error
    assert result.structured_content is not None
    assert result.structured_content["results"][0]["status"] == "failed"
    assert "not found" in error_text(result)
    assert len(sent(sandbox, SMARTSEND)) == 1  # a 404 is not retried


@pytest.mark.parametrize(
    ("channel", "recipients", "expected"),
    [
        (
            "email",
            [{"locator": "a@example.com"}, {"locator": "b@example.com", "contact_id": 5}],
            "recipients.1: give exactly one of locator, contact_id or external_customer_id",
        ),
        (
            "email",
            [{"params": {"x": 1}}],
            "recipients.0: give exactly one of locator, contact_id or external_customer_id",
        ),
        ("email", [{"locator": "+380501234567"}], "recipients.0.locator"),
        ("sms", [{"locator": "olena@example.com"}], "recipients.0.locator"),
        ("viber", [{"locator": "12345"}], "recipients.0.locator"),
        ("telegram", [{"locator": "@olena"}], "Telegram chat id"),
        ("email", [{"locator": "a@example.com"}, {"locator": "A@example.com"}], "recipients 0 and 1"),
        ("fax", [{"locator": "a@example.com"}], "channel"),
        (
            "email",
            [{"locator": "a@example.com", "jsonParam": "{}"}],
            "recipients.0.jsonParam: unknown parameter",
        ),
    ],
    ids=[
        "two identifiers",
        "no identifier",
        "phone for email",
        "email for sms",
        "short phone for viber",
        "telegram username",
        "duplicate",
        "unknown channel",
        "camelCase field",
    ],
)
async def test_prepared_message_refuses_bad_recipients_before_sending(
    mcp: Client, sandbox: Sandbox, channel: str, recipients: list[dict[str, Any]], expected: str
) -> None:
    result = await mcp.call_tool(
        "send_prepared_message", {"message_id": 3003, "channel": channel, "recipients": recipients}
    )
    assert expected in error_text(result)
    assert len(sandbox.journal) == 0


async def test_message_status_refuses_ids_that_cannot_be_request_ids(mcp: Client, sandbox: Sandbox) -> None:
    result = await mcp.call_tool("get_message_status", {"request_ids": ["a,b"]})
    assert "request_ids.0" in error_text(result)
    empty = await mcp.call_tool("get_message_status", {"request_ids": []})
    assert "request_ids" in error_text(empty)
    assert len(sandbox.journal) == 0
