"""Sender interfaces are reused for five minutes and template reads for one; a template read counts
against the 500-an-hour budget, a 404 is NotFoundError, and a request eSputnik would refuse never
leaves."""

from __future__ import annotations

from typing import Any

import httpx2 as httpx
import pytest

from esputnik_mcp.api import NotFoundError, RateLimitedError, RequestValidationError, ResponseDecodeError
from tests.fakes import FakeTime, Upstream, make_client, path_of, respond

pytestmark = pytest.mark.anyio

SENDERS = [{"type": "email", "value": '"Shop" <news@shop.example>'}]
MESSAGE = {"id": 5001, "name": "Sale", "from": "Shop", "text": "-20%"}


async def test_senders_are_reused_for_five_minutes_per_kind() -> None:
    fake = FakeTime()
    upstream = Upstream(respond(json_body=SENDERS))
    async with make_client(upstream, fake_time=fake) as client:
        first = await client.senders.email()
        await client.senders.sms()
        fake.now += 299
        again = await client.senders.email()
        assert upstream.attempts == 2  # one email, one SMS
        fake.now += 2
        await client.senders.email()
    assert [path_of(r) for r in upstream.requests] == [
        "/v1/interfaces/email",
        "/v1/interfaces/sms",
        "/v1/interfaces/email",
    ]
    assert first == again
    assert first[0].value == '"Shop" <news@shop.example>'


async def test_a_malformed_senders_answer_is_not_kept() -> None:
    upstream = Upstream(respond(json_body=[{"type": {"not": "a string"}}]), respond(json_body=SENDERS))
    async with make_client(upstream) as client:
        with pytest.raises(ResponseDecodeError):
            await client.senders.email()
        senders = await client.senders.email()
    assert [s.type for s in senders] == ["email"]
    assert upstream.attempts == 2


async def test_template_reads_are_reused_for_a_minute_per_channel_and_id() -> None:
    fake = FakeTime()
    upstream = Upstream(respond(json_body=MESSAGE))
    async with make_client(upstream, fake_time=fake) as client:
        first = await client.templates.get("viber", 5001)
        again = await client.templates.get("viber", 5001)
        await client.templates.get("viber", 5002)
        await client.templates.get("sms", 5001)
        fake.now += 61
        await client.templates.get("viber", 5001)
    assert [path_of(r) for r in upstream.requests] == [
        "/v1/messages/viber/5001",
        "/v1/messages/viber/5002",
        "/v1/messages/sms/5001",
        "/v1/messages/viber/5001",
    ]
    assert first == again
    assert (first.from_, first.text) == ("Shop", "-20%")


async def test_template_reads_and_searches_share_the_500_an_hour_budget() -> None:
    fake = FakeTime()
    upstream = Upstream(respond(json_body=MESSAGE))
    async with make_client(upstream, fake_time=fake) as client:
        for message_id in range(1, 400):
            await client.templates.get("mobilepush", message_id)
        for n in range(101):
            await client.templates.search_email(search=f"s{n}")
        with pytest.raises(RateLimitedError) as caught:
            await client.templates.get("telegram", 1)
        cached = await client.templates.get("mobilepush", 1)  # a reused answer costs nothing
    assert upstream.attempts == 500
    assert caught.value.status is None
    assert "500 template reads an hour" in str(caught.value)
    assert cached.id == 5001


async def test_an_unknown_message_is_not_found_and_not_kept() -> None:
    upstream = Upstream(respond(404, text="Message with id=9 not found"))
    async with make_client(upstream) as client:
        for _ in range(2):
            with pytest.raises(NotFoundError) as caught:
                await client.templates.get("telegram", 9)
            assert "Message with id=9 not found" in str(caught.value)
    assert upstream.attempts == 2


@pytest.mark.parametrize(
    ("channel", "message_id", "why"),
    [
        ("webpush", 1, "channel must be one of email, sms, viber, mobilepush, appinbox, telegram"),
        ("Email", 1, "channel"),
        ("email", 0, "positive 32-bit"),
        ("sms", -5, "positive 32-bit"),
        ("viber", 2**31, "positive 32-bit"),
        ("viber", True, "positive 32-bit"),
    ],
)
async def test_a_read_esputnik_would_refuse_never_leaves(channel: Any, message_id: Any, why: str) -> None:
    upstream = Upstream(lambda request: httpx.Response(200, json=MESSAGE))
    async with make_client(upstream) as client:
        with pytest.raises(RequestValidationError) as caught:
            await client.templates.get(channel, message_id)
    assert why in str(caught.value)
    assert upstream.attempts == 0


async def test_every_channel_reads_into_its_own_model() -> None:
    answers = {
        "email": {"id": 1, "name": "E", "subject": "S", "htmlText": "<p/>", "ampHtml": "<amp/>"},
        "sms": {"id": 2, "name": "S", "text": "T", "from": "Shop"},
        "viber": {"id": 3, "name": "V", "smsFallback": True, "smsContent": "fallback"},
        "mobilepush": {"id": 4, "name": "P", "title": "T", "customData": '{"a":1}', "badgeCount": "3"},
        "appinbox": {"id": 5, "name": "A", "title": "T", "imageSource": "https://img.example/a.png"},
        "telegram": {"id": 6, "name": "T", "imageSource": "https://img.example/t.png"},
    }

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=answers[path_of(request).split("/")[3]])

    async with make_client(Upstream(answer)) as client:
        email = await client.templates.get("email", 1)
        sms = await client.templates.get("sms", 2)
        viber = await client.templates.get("viber", 3)
        push = await client.templates.get("mobilepush", 4)
        inbox = await client.templates.get("appinbox", 5)
        telegram = await client.templates.get("telegram", 6)
    assert (email.subject, email.amp_html) == ("S", "<amp/>")
    assert sms.from_ == "Shop"
    assert (viber.sms_fallback, viber.sms_content) == (True, "fallback")
    assert (push.custom_data, push.badge_count) == ('{"a":1}', 3)
    assert inbox.image_source == "https://img.example/a.png"
    assert (telegram.text, telegram.buttons, telegram.translations) == (None, [], [])
