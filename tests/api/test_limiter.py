"""The client-side limiter keeps a burst under eSputnik's documented rates instead of provoking 429s."""

from __future__ import annotations

import httpx2 as httpx
import pytest

from esputnik_mcp.api import RateLimitedError
from esputnik_mcp.api.limiter import CONTACT_SEARCH, DEFAULT, Rate, RateLimiter
from tests.fakes import FakeTime, Upstream, make_client


@pytest.mark.anyio
async def test_contact_search_burst_waits_for_the_window() -> None:
    fake = FakeTime()
    upstream = Upstream(lambda r: httpx.Response(200, content=b"[]"))
    async with make_client(upstream, fake_time=fake) as client:
        for _ in range(51):
            await client.contacts.search(email="a@example.com")
    assert upstream.attempts == 51
    assert fake.sleeps == [pytest.approx(1.0)]  # the 51st waited for the 1-second window to slide


@pytest.mark.anyio
async def test_template_reads_beyond_500_an_hour_fail_fast_without_sending() -> None:
    fake = FakeTime()
    upstream = Upstream(lambda r: httpx.Response(200, content=b"[]"))
    async with make_client(upstream, fake_time=fake) as client:
        for i in range(500):
            await client.templates.search_email(search=f"t{i}")
        with pytest.raises(RateLimitedError) as caught:
            await client.templates.search_email(search="one more")
    assert upstream.attempts == 500
    assert caught.value.retry_after == pytest.approx(3600)
    assert "500 template reads an hour" in str(caught.value)
    assert caught.value.status is None  # held back locally; eSputnik never saw it


@pytest.mark.anyio
async def test_template_reads_are_cached_for_a_minute() -> None:
    fake = FakeTime()
    upstream = Upstream(lambda r: httpx.Response(200, content=b'[{"id": 1, "name": "A"}]'))
    async with make_client(upstream, fake_time=fake) as client:
        first = await client.templates.search_sms(search="A")
        again = await client.templates.search_sms(search="A")
        fake.now += 61
        later = await client.templates.search_sms(search="A")
    assert first.items[0].id == again.items[0].id == later.items[0].id == 1
    assert upstream.attempts == 2


@pytest.mark.anyio
async def test_buckets_are_independent() -> None:
    fake = FakeTime()
    limiter = RateLimiter(
        {DEFAULT: Rate(2, 1.0, "2/s"), CONTACT_SEARCH: Rate(1, 1.0, "1/s")},
        clock=fake.clock,
        sleep=fake.sleep,
    )
    await limiter.acquire(CONTACT_SEARCH, max_wait=10)
    await limiter.acquire(DEFAULT, max_wait=10)
    await limiter.acquire(DEFAULT, max_wait=10)
    assert fake.sleeps == []
    await limiter.acquire(CONTACT_SEARCH, max_wait=10)
    assert fake.sleeps == [pytest.approx(1.0)]
