"""eSputnik's awkward answers are normalised once, in the client."""

from __future__ import annotations

import json

import httpx2 as httpx
import pytest

from esputnik_mcp.api.models import Balance, BulkUpdateResult, Contact, SendResults
from tests.fakes import Upstream, make_client


def test_one_element_lists_sent_as_objects_become_lists() -> None:
    results = SendResults.model_validate({"results": {"status": "OK", "requestId": "r"}})
    assert [r.request_id for r in results.results] == ["r"]
    failed = BulkUpdateResult.model_validate(
        {"failedContacts": {"channels": {"type": "email", "value": "x"}, "error": "bad"}}
    )
    assert failed.failed_contacts[0].channels[0].value == "x"
    assert SendResults.model_validate({"results": None}).results == []
    assert SendResults.model_validate({}).results == []


def test_numbers_and_booleans_sent_as_strings_are_coerced() -> None:
    balance = Balance.model_validate(
        {
            "currentBalance": "10.50",
            "bonusEmails": "7",
            "sendersReservedBalances": {"viber": {"senderId": "3", "balance": "1.5"}},
        }
    )
    assert balance.current_balance == 10.5
    assert balance.bonus_emails == 7
    assert balance.senders_reserved_balances["viber"][0].sender_id == 3
    contact = Contact.model_validate({"id": "42", "fields": [{"id": "3", "value": 17}]})
    assert contact.id == 42
    assert contact.fields[0].value == "17"


@pytest.mark.anyio
@pytest.mark.parametrize(
    "body",
    [
        b"\"Contact with id='5' has been updated\"",  # a JSON string
        b"Contact with id='5' has been updated",  # bare text
    ],
)
async def test_plain_text_success_bodies_are_read_as_text(body: bytes) -> None:
    from esputnik_mcp.api.models import ChannelInput, ContactInput

    upstream = Upstream(lambda r: httpx.Response(200, content=body))
    async with make_client(upstream) as client:
        text = await client.contacts.update(
            5, ContactInput(channels=[ChannelInput(type="email", value="a@example.com")])
        )
    assert text == "Contact with id='5' has been updated"


@pytest.mark.anyio
async def test_message_status_accepts_every_documented_shape() -> None:
    shapes = [
        {"results": {"requestId": "a", "status": "DELIVERED"}},
        {"results": [{"requestId": "a", "status": "DELIVERED"}]},
        [{"results": {"requestId": "a", "status": "DELIVERED"}}],
        [{"requestId": "a", "status": "DELIVERED"}],
    ]
    for shape in shapes:
        upstream = Upstream(lambda r, s=shape: httpx.Response(200, content=json.dumps(s).encode()))
        async with make_client(upstream) as client:
            statuses = await client.messages.status(["a"])
        assert [(s.request_id, s.status) for s in statuses] == [("a", "DELIVERED")], shape


@pytest.mark.anyio
async def test_totalcount_header_missing_or_garbage_means_unknown_total() -> None:
    for headers in ({}, {"TotalCount": "many"}):
        upstream = Upstream(lambda r, h=headers: httpx.Response(200, content=b"[]", headers=h))
        async with make_client(upstream) as client:
            page = await client.segments.search()
        assert page.total is None
        assert page.next_start_index is None


@pytest.mark.anyio
async def test_an_unexpected_answer_shape_is_a_decode_error_for_reads_and_ambiguous_for_sends() -> None:
    from esputnik_mcp.api import AmbiguousOutcomeError, ResponseDecodeError
    from esputnik_mcp.api.models import ChannelInput, ContactInput, EmailInput

    upstream = Upstream(lambda r: httpx.Response(200, content=b'{"results": [{"status": {"nested": 1}}], "id": "x"}'))
    async with make_client(upstream) as client:
        with pytest.raises(ResponseDecodeError):
            await client.contacts.upsert(ContactInput(channels=[ChannelInput(type="email", value="a@example.com")]))
        with pytest.raises(AmbiguousOutcomeError):
            await client.messages.send_email(
                EmailInput(from_="a@shop.example", subject="s", html_text="h", emails=["a@example.com"])
            )
