"""Promo codes, feeds, recommendations, subscription categories and billing history: uploads split at
the client's chunk, billing periods split at 90 days, the quirky answers read, and requests eSputnik
would refuse refused before anything leaves."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from esputnik_mcp.api import ESputnikClient, RequestValidationError, ResponseDecodeError
from esputnik_mcp.api.account import billing_windows
from esputnik_mcp.api.feeds import ProductFeedInput
from esputnik_mcp.api.limits import BILLING_WINDOW_DAYS, PROMO_CODES_PER_REQUEST
from esputnik_mcp.api.promocodes import expiration
from tests.fakes import Upstream, body_of, make_client, respond

pytestmark = pytest.mark.anyio

Call = Callable[[ESputnikClient], Awaitable[Any]]


async def test_promo_codes_go_in_requests_of_the_chunk_with_the_same_values() -> None:
    upstream = Upstream(respond(json_body={"promocodes": [], "expirationDate": "2025-08-31T23:59", "discount": 15}))
    done: list[int] = []

    async def on_done(chunk: Any) -> None:
        done.append(len(chunk.items))

    codes = [f"C-{n}" for n in range(2 * PROMO_CODES_PER_REQUEST + 1)]
    async with make_client(upstream) as client:
        outcomes = await client.promo_codes.upload_chunked(
            codes, expiration_date="2025-08-31T23:59", discount=15, type="summer", on_done=on_done
        )
    bodies = [body_of(r) for r in upstream.requests]
    assert sorted(len(b["promocodes"]) for b in bodies) == [1, PROMO_CODES_PER_REQUEST, PROMO_CODES_PER_REQUEST]
    assert {(b["expirationDate"], b["discount"], b["type"]) for b in bodies} == {("2025-08-31T23:59", 15, "summer")}
    assert all("inUse" not in b for b in bodies)
    assert sorted(c for b in bodies for c in b["promocodes"]) == sorted(codes)
    assert [o.positions[0] for o in outcomes] == [0, PROMO_CODES_PER_REQUEST, 2 * PROMO_CODES_PER_REQUEST]
    assert sorted(done) == [1, PROMO_CODES_PER_REQUEST, PROMO_CODES_PER_REQUEST]


async def test_a_failed_chunk_does_not_stop_the_others() -> None:
    upstream = Upstream(respond(400, text="bad codes"), respond(json_body={}))
    async with make_client(upstream) as client:
        outcomes = await client.promo_codes.upload_chunked(
            [f"C-{n}" for n in range(PROMO_CODES_PER_REQUEST + 5)], expiration_date="2025-08-31T23:59", discount=5
        )
    assert sorted(o.error is None for o in outcomes) == [False, True]


def test_billing_windows_span_at_most_90_days_counting_both_ends() -> None:
    start = date(2025, 1, 1)
    assert billing_windows(start, start) == [(start, start)]
    last = start + timedelta(days=BILLING_WINDOW_DAYS - 1)
    assert billing_windows(start, last) == [(start, last)]
    assert billing_windows(start, last + timedelta(days=1)) == [(start, last), (last + timedelta(days=1),) * 2]
    year = billing_windows(date(2024, 1, 1), date(2024, 12, 31))
    assert len(year) == 5
    assert all((b - a).days + 1 <= BILLING_WINDOW_DAYS for a, b in year)
    assert all(b + timedelta(days=1) == c for (_, b), (c, _) in itertools.pairwise(year))


def test_an_expiry_is_minutes_without_a_zone() -> None:
    assert expiration(datetime(2025, 8, 31, 23, 59, 30)) == "2025-08-31T23:59"
    with pytest.raises(RequestValidationError, match="without a zone offset"):
        expiration(datetime(2025, 8, 31, 23, 59, tzinfo=UTC))


REFUSED: list[tuple[str, Call, str]] = [
    ("billing over 90 days", lambda c: c.account.billing_history(date(2025, 1, 1), date(2025, 4, 1)), "91 days"),
    ("billing backwards", lambda c: c.account.billing_history(date(2025, 4, 1), date(2025, 1, 1)), "before"),
    ("promo discount over 99", lambda c: c.promo_codes.count(discount=100), "0-99"),
    ("promo negative days", lambda c: c.promo_codes.codes(active_due_days=-1), "from tomorrow"),
    (
        "promo upload discount",
        lambda c: c.promo_codes.upload_chunked(["A"], expiration_date="2025-08-31T23:59", discount=120),
        "0-99",
    ),
    ("promo upload nothing", lambda c: c.promo_codes.upload_chunked([], expiration_date="x", discount=1), "no promo"),
    (
        "feeds two defaults",
        lambda c: c.product_feeds.set(
            [
                ProductFeedInput(url="https://a.example/1", default=True),
                ProductFeedInput(url="https://a.example/2", default=True),
            ]
        ),
        "one product feed",
    ),
    ("recommendations nobody", lambda c: c.recommendations.for_contact(1402), "name the contact"),
    ("recommendations blank", lambda c: c.recommendations.for_contact(1402, email=" "), "name the contact"),
    (
        "recommendations comma",
        lambda c: c.recommendations.for_contact(1402, contact_id=1, products=["A,B"]),
        "no comma",
    ),
    ("recommendations source", lambda c: c.recommendations.for_contact(0, contact_id=1), "data source id"),
    ("subscriptions empty key", lambda c: c.subscriptions.change(5, ["news", " "]), "must not be empty"),
    ("subscriptions contact id", lambda c: c.subscriptions.of_contact(0), "start at 1"),
]


@pytest.mark.parametrize(("name", "call", "reason"), REFUSED, ids=[r[0] for r in REFUSED])
async def test_refused_before_sending(name: str, call: Call, reason: str) -> None:
    upstream = Upstream()
    async with make_client(upstream) as client:
        with pytest.raises(RequestValidationError, match=reason):
            await call(client)
    assert upstream.requests == []


@pytest.mark.parametrize(("body", "count"), [("17", 17), ('"17"', 17), ('{"count": 17}', 17), ("0", 0)])
async def test_the_count_is_read_from_a_number_however_it_comes(body: str, count: int) -> None:
    async with make_client(Upstream(respond(text=body))) as client:
        assert await client.promo_codes.count() == count


@pytest.mark.parametrize("body", ["", "many", '{"a": 1, "b": 2}', "true"])
async def test_a_count_that_is_no_number_is_a_decode_error(body: str) -> None:
    async with make_client(Upstream(respond(text=body))) as client:
        with pytest.raises(ResponseDecodeError, match="not a number"):
            await client.promo_codes.count()


async def test_a_promo_code_list_string_that_holds_no_json_is_a_decode_error() -> None:
    async with make_client(Upstream(respond(json_body="code-1, code-2"))) as client:
        with pytest.raises(ResponseDecodeError, match="does not hold JSON"):
            await client.promo_codes.codes()


async def test_an_empty_promo_code_list_reads_as_none() -> None:
    for answer in (respond(json_body=""), respond(json_body="[]"), respond()):
        async with make_client(Upstream(answer)) as client:
            assert await client.promo_codes.codes() == []
