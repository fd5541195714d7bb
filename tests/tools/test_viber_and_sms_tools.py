"""send_sms's stored messages and segments, and send_viber, through a real MCP client against the
sandbox's demo account: the exact requests, per-member results, refusals before anything is sent,
and a segment approved only by a person who sees it (its name, its size, the message rendered for
its first members), capped by ESPUTNIK_MAX_BROADCAST_AUDIENCE and remembered by the ledger."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from mcp import Client
from mcp.client.context import ClientRequestContext
from mcp_types import ElicitRequestParams, ElicitResult

from esputnik_mcp.sandbox import Fault, Sandbox
from esputnik_mcp.server.app import build_server
from esputnik_mcp.server.runtime import Runtime
from esputnik_mcp.settings import Settings
from tests.tools.conftest import CURRENT, PROTOCOLS, automation_settings, call, error_text
from tests.tools.support import data, requests, text

pytestmark = pytest.mark.anyio

SMS, VIBER, SMARTSEND = "POST /v1/message/sms", "POST /v1/message/viber", "POST /v1/message/{id}/smartsend"
SMS_FROM = "LumenHome"
VERIFICATION_SMS, WELCOME_EMAIL = 4001, 3001
TEST_RECIPIENTS = 2005  # a small static segment of the demo account
PHONE = "+380501234567"
IMAGE = {"image_url": "https://lumen-home.example/a.jpg", "caption": "Shop now", "button": "https://lumen-home.example"}


class Person:
    """The person at the client: answers each confirmation form, and keeps what it showed."""

    def __init__(self) -> None:
        self.forms: list[str] = []

    async def __call__(self, context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
        self.forms.append(params.message)
        return ElicitResult(action="accept", content={"confirm": True})


@pytest.fixture
def settings() -> Settings:
    return automation_settings(sms_sender=SMS_FROM)


@pytest.fixture
def person() -> Person:
    return Person()


@pytest.fixture
async def mcp(runtime: Runtime, person: Person) -> AsyncIterator[Client]:
    async with Client(build_server(runtime), mode=PROTOCOLS[CURRENT], elicitation_callback=person) as client:
        yield client


async def members(runtime: Runtime, segment_id: int) -> list[tuple[str, str]]:
    """(first name, phone) of each member with a phone."""
    found = []
    for contact in (await runtime.client.segments.contacts(segment_id)).items:
        phones = contact.channel_values("sms")
        if phones:
            found.append((contact.first_name or "", phones[0]))
    return found


async def test_send_viber_is_marked_as_a_send(mcp: Client) -> None:
    hints = {t.name: t.annotations for t in (await mcp.list_tools()).tools}["send_viber"]
    assert hints is not None
    assert (hints.read_only_hint, hints.destructive_hint, hints.idempotent_hint, hints.open_world_hint) == (
        False,
        True,
        False,
        True,
    )


# --- send_sms: a stored message ------------------------------------------------------------------


async def test_a_stored_sms_goes_to_the_phone_through_smartsend(mcp: Client, sandbox: Sandbox) -> None:
    result = await call(
        mcp,
        "send_sms",
        {"phone": PHONE, "message_id": VERIFICATION_SMS, "params": {"code": "4821"}, "external_request_id": "otp-9"},
    )
    got = data(result)
    assert (got["queued"], got["results"][0]["recipient"]) == (1, PHONE)
    [request] = requests(sandbox, SMARTSEND)
    assert request.path == f"/v1/message/{VERIFICATION_SMS}/smartsend"
    assert request.body == {
        "recipients": [{"locator": PHONE, "jsonParam": '{"code":"4821"}', "externalRequestId": "otp-9"}],
        "email": False,
    }
    [message] = sandbox.sent_messages()
    assert message["content"] == "Lumen Home: your code is 4821. It expires in 10 minutes."
    assert requests(sandbox, SMS) == []


async def test_a_stored_sms_with_another_sender_sends_it_as_from_name(mcp: Client, sandbox: Sandbox) -> None:
    await call(mcp, "send_sms", {"phone": PHONE, "message_id": VERIFICATION_SMS, "sender": "LumenSale"})
    assert requests(sandbox, SMARTSEND)[0].body["fromName"] == "LumenSale"
    assert sandbox.sent_messages()[0]["from"] == "LumenSale"


@pytest.mark.parametrize(
    ("arguments", "why"),
    [
        ({"phone": PHONE, "message_id": WELCOME_EMAIL}, "is a stored email message: send it with channel email"),
        ({"phone": PHONE, "message_id": 424242}, "there is no stored sms message 424242"),
        ({"phone": PHONE, "message_id": VERIFICATION_SMS, "sender": "Nobody"}, "'Nobody' is not one of the account"),
        ({"phone": PHONE, "text": "Hi", "params": {"a": 1}}, "params fill a stored message's variables"),
        ({"phone": PHONE, "message_id": VERIFICATION_SMS, "tags": ["x"]}, "a stored message keeps its own tags"),
        ({"segment_id": TEST_RECIPIENTS, "message_id": VERIFICATION_SMS}, "goes to a segment as a broadcast"),
        ({"phone": PHONE, "message_id": VERIFICATION_SMS, "text": "Hi"}, "give exactly one of text or message_id"),
        ({"phone": PHONE, "segment_id": TEST_RECIPIENTS, "text": "Hi"}, "give exactly one of phone or segment_id"),
        ({"text": "Hi"}, "give exactly one of phone or segment_id (got none)"),
        ({"segment_id": 999_999, "text": "Hi"}, "no segment 999999 in the account"),
    ],
)
async def test_an_sms_that_would_fail_is_refused_before_anything_is_sent(
    mcp: Client, sandbox: Sandbox, person: Person, arguments: dict[str, Any], why: str
) -> None:
    result = await mcp.call_tool("send_sms", arguments)
    assert why in error_text(result)
    assert sandbox.sent_messages() == []
    assert person.forms == []


# --- send_sms and send_viber to a segment --------------------------------------------------------


async def test_an_sms_to_a_segment_is_approved_by_a_person_who_sees_it(
    mcp: Client, sandbox: Sandbox, runtime: Runtime, person: Person
) -> None:
    people = await members(runtime, TEST_RECIPIENTS)
    size = (await runtime.client.segments.contacts(TEST_RECIPIENTS, max_rows=1)).total
    result = await call(mcp, "send_sms", {"segment_id": TEST_RECIPIENTS, "text": "$!{firstName}, -20% today"})
    [form] = person.forms
    assert f"segment Internal test recipients ({TEST_RECIPIENTS}, {size} members)" in form
    assert f"{people[0][0]}, -20% today" in form  # rendered for the first member
    assert f"SMS: {size} parts in all" in form
    [request] = requests(sandbox, SMS)
    assert request.body == {"from": SMS_FROM, "text": "$!{firstName}, -20% today", "groupId": TEST_RECIPIENTS}
    got = data(result)
    segment_row, *member_rows = got["results"]
    assert segment_row == {
        "recipient": f"segment:{TEST_RECIPIENTS}",
        "status": "queued",
        "message": f"{len(people)} of {len(people)} members queued",
    }
    assert sorted(r["recipient"] for r in member_rows) == sorted(p for _, p in people)
    assert (got["total"], got["queued"]) == (len(people), len(people))
    assert len(got["request_ids"]) == len(people)
    assert f"of {len(people)} members" in text(result)

    again = await mcp.call_tool("send_sms", {"segment_id": TEST_RECIPIENTS, "text": "$!{firstName}, -20% today"})
    assert f"went to segment:{TEST_RECIPIENTS} within the last 24 h" in error_text(again)
    assert len(requests(sandbox, SMS)) == 1


async def test_viber_to_a_segment_shows_the_image_button_and_what_is_not_checked(
    mcp: Client, sandbox: Sandbox, runtime: Runtime, person: Person
) -> None:
    people = await members(runtime, TEST_RECIPIENTS)
    result = await call(mcp, "send_viber", {"segment_id": TEST_RECIPIENTS, "text": "Hi $!{firstName}", **IMAGE})
    [form] = person.forms
    assert f"Hi {people[0][0]}" in form
    assert "[image https://lumen-home.example/a.jpg] [button 'Shop now' → https://lumen-home.example]" in form
    assert "No sender given: eSputnik uses the account's Viber sender" in form
    [request] = requests(sandbox, VIBER)
    assert request.body == {
        "text": "Hi $!{firstName}",
        "iosExpirityText": "Hi $!{firstName}",
        "groupId": TEST_RECIPIENTS,
        "img": IMAGE["image_url"],
        "caption": "Shop now",
        "action": "https://lumen-home.example",
    }
    got = data(result)
    assert got["results"][0]["recipient"] == f"segment:{TEST_RECIPIENTS}"
    assert got["queued"] == len(people)
    assert {m["channel"] for m in sandbox.sent_messages()} == {"viber"}


@pytest.mark.parametrize("tool", ["send_sms", "send_viber"])
async def test_a_segment_over_the_audience_cap_is_refused_before_anyone_is_asked(
    runtime: Runtime, sandbox: Sandbox, person: Person, tool: str
) -> None:
    capped = Runtime(
        settings=automation_settings(sms_sender=SMS_FROM, max_broadcast_audience=2),
        client=runtime.client,
        sandbox=sandbox,
    )
    async with Client(build_server(capped), elicitation_callback=person) as client:
        refused = await client.call_tool(tool, {"segment_id": TEST_RECIPIENTS, "text": "Sale!"})
    assert "ESPUTNIK_MAX_BROADCAST_AUDIENCE" in error_text(refused)
    assert person.forms == []
    assert sandbox.sent_messages() == []


@pytest.mark.parametrize("tool", ["send_sms", "send_viber"])
async def test_a_segment_is_never_sent_on_a_token_alone(runtime: Runtime, sandbox: Sandbox, tool: str) -> None:
    tokens = Runtime(
        settings=automation_settings(sms_sender=SMS_FROM, send_confirmation="token"),
        client=runtime.client,
        sandbox=sandbox,
    )
    async with Client(build_server(tokens)) as client:  # a client that can show neither form nor page
        refused = await client.call_tool(tool, {"segment_id": TEST_RECIPIENTS, "text": "Sale!"})
    assert "only a person may approve that" in error_text(refused)
    assert "confirmation_required" not in (refused.structured_content or {})
    assert sandbox.sent_messages() == []


async def test_a_dropped_segment_send_is_unknown_and_blocks_a_blind_resend(mcp: Client, sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault(route=SMS, drop=True))
    result = await mcp.call_tool("send_sms", {"segment_id": TEST_RECIPIENTS, "text": "Sale!"})
    assert result.is_error
    assert result.structured_content is not None
    [row] = result.structured_content["results"]
    assert (row["recipient"], row["status"]) == (f"segment:{TEST_RECIPIENTS}", "unknown")
    assert "OUTCOME UNKNOWN" in error_text(result)
    again = await mcp.call_tool("send_sms", {"segment_id": TEST_RECIPIENTS, "text": "Sale!"})
    assert "unknown outcome" in error_text(again)
    assert len(requests(sandbox, SMS)) == 1


# --- send_viber to a phone -----------------------------------------------------------------------


async def test_viber_to_a_phone_sends_exactly_the_documented_body(mcp: Client, sandbox: Sandbox) -> None:
    result = await call(
        mcp,
        "send_viber",
        {
            "phone": "+380 50 123 4567",
            "text": "Your order has shipped",
            "sender": "LumenHome",
            "ttl_seconds": 3600,
            "tags": ["order"],
            "external_request_id": "ship-1",
            **IMAGE,
        },
    )
    [request] = requests(sandbox, VIBER)
    assert request.body == {
        "text": "Your order has shipped",
        "iosExpirityText": "Your order has shipped",
        "from": "LumenHome",
        "phoneNumbers": [PHONE],
        "ttlSeconds": 3600,
        "img": IMAGE["image_url"],
        "caption": "Shop now",
        "action": "https://lumen-home.example",
        "tags": ["order"],
        "externalRequestId": "ship-1",
    }
    [row] = data(result)["results"]
    assert (row["recipient"], row["status"]) == (PHONE, "queued")
    sandbox.clock.advance(5)
    status = data(await call(mcp, "get_message_status", {"request_ids": [row["request_id"]]}))
    assert status["statuses"][0]["status"] in ("PENDING", "DELIVERED", "READ")


async def test_a_viber_message_to_the_same_phone_twice_is_refused(mcp: Client, sandbox: Sandbox) -> None:
    await call(mcp, "send_viber", {"phone": PHONE, "text": "Hello"})
    again = await mcp.call_tool("send_viber", {"phone": PHONE, "text": "Hello"})
    assert "the same viber (Hello) went to" in error_text(again)
    other = await call(mcp, "send_viber", {"phone": PHONE, "text": "Hello", **IMAGE})
    assert not other.is_error, "an image and a button make another message"
    assert len(requests(sandbox, VIBER)) == 2


@pytest.mark.parametrize(
    ("arguments", "why"),
    [
        ({"phone": PHONE, "text": "x", "image_url": "https://a.example/i.jpg"}, "give all three or none"),
        ({"phone": PHONE, "text": "x", "caption": "Go", "button": "https://a.example"}, "give all three or none"),
        ({"phone": PHONE, "text": "x", **IMAGE, "image_url": "ftp://a.example/i.jpg"}, "is not a web address"),
        ({"phone": "0501234567", "text": "x"}, "E.164"),
        ({"segment_id": 999_999, "text": "x"}, "no segment 999999 in the account"),
        ({"phone": PHONE, "text": "x", "ios_expiry_text": "y"}, "ios_expiry_text"),
    ],
)
async def test_a_viber_message_that_would_fail_is_refused_before_anything_is_sent(
    mcp: Client, sandbox: Sandbox, arguments: dict[str, Any], why: str
) -> None:
    result = await mcp.call_tool("send_viber", arguments)
    assert why in error_text(result)
    assert sandbox.sent_messages() == []
