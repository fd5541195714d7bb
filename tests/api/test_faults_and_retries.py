"""The fault table: every failure, for a read, an idempotent write and a send, with the exact number
of attempts made and the error raised. Tests count attempts and waits; they never sleep."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio
import httpx2 as httpx
import pytest

from esputnik_mcp.api import (
    AmbiguousOutcomeError,
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ESputnikClient,
    ESputnikError,
    ForbiddenError,
    NotFoundError,
    RateLimitedError,
    ResponseDecodeError,
    RetryPolicy,
    ServerError,
    Timeouts,
)
from esputnik_mcp.api.models import ChannelInput, ContactInput, EmailInput
from tests.fakes import FakeTime, Upstream, make_client, respond

Responder = Callable[[httpx.Request], httpx.Response]


# --- the three kinds of operation ------------------------------------------------------------


async def read(client: ESputnikClient) -> Any:
    return await client.account.info()


async def idempotent_write(client: ESputnikClient) -> Any:
    return await client.contacts.upsert(ContactInput(channels=[ChannelInput(type="email", value="a@example.com")]))


async def send(client: ESputnikClient) -> Any:
    email = EmailInput(from_="Shop <a@shop.example>", subject="Hi", html_text="<p>Hi</p>", emails=["a@example.com"])
    return await client.messages.send_email(email)


OPERATIONS: dict[str, Callable[[ESputnikClient], Awaitable[Any]]] = {
    "read": read,
    "idempotent_write": idempotent_write,
    "send": send,
}

OK_BODY = {"userEmail": "u@example.com", "id": 1, "results": {"status": "OK", "requestId": "r-1"}}


# --- faults ----------------------------------------------------------------------------------


def raise_(exc_type: type[httpx.TransportError]) -> Responder:
    def answer(request: httpx.Request) -> httpx.Response:
        raise exc_type("simulated", request=request)

    return answer


class _BrokenStream(httpx.AsyncByteStream):
    """Sends the start of an answer, then the connection resets."""

    async def __aiter__(self):  # type: ignore[override]
        yield b'{"results": '
        raise httpx.ReadError("connection reset by peer")


def reset_mid_response(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, stream=_BrokenStream(), headers={"Content-Type": "application/json"})


def status(code: int, **kwargs: Any) -> Responder:
    return respond(code, **kwargs)


OK = respond(200, json_body=OK_BODY)


@dataclass(frozen=True)
class Fault:
    id: str
    responders: tuple[Responder, ...]
    # per kind: (attempts, error class or None for success)
    read: tuple[int, type[ESputnikError] | None]
    write: tuple[int, type[ESputnikError] | None]
    send: tuple[int, type[ESputnikError] | None]


FAULTS = [
    Fault(
        "connect_error",
        (raise_(httpx.ConnectError),),
        (3, APIConnectionError),
        (3, APIConnectionError),
        (3, APIConnectionError),
    ),
    Fault(
        "connect_timeout",
        (raise_(httpx.ConnectTimeout),),
        (3, APITimeoutError),
        (3, APITimeoutError),
        (3, APITimeoutError),
    ),
    Fault("connect_error_then_ok", (raise_(httpx.ConnectError), OK), (2, None), (2, None), (2, None)),
    Fault(
        "read_timeout",
        (raise_(httpx.ReadTimeout),),
        (3, APITimeoutError),
        (3, APITimeoutError),
        (1, AmbiguousOutcomeError),
    ),
    Fault(
        "read_timeout_then_ok",
        (raise_(httpx.ReadTimeout), OK),
        (2, None),
        (2, None),
        (1, AmbiguousOutcomeError),
    ),
    Fault(
        "reset_mid_response",
        (reset_mid_response,),
        (3, APIConnectionError),
        (3, APIConnectionError),
        (1, AmbiguousOutcomeError),
    ),
    Fault(
        "429_short_retry_after",
        (status(429, headers={"Retry-After": "2"}), OK),
        (2, None),
        (2, None),
        (2, None),
    ),
    Fault(
        "429_long_retry_after",
        (status(429, headers={"Retry-After": "120"}),),
        (1, RateLimitedError),
        (1, RateLimitedError),
        (1, RateLimitedError),
    ),
    Fault(
        "429_garbage_retry_after",
        (status(429, headers={"Retry-After": "soon-ish"}), OK),
        (2, None),
        (2, None),
        (2, None),
    ),
    Fault("429_forever", (status(429),), (3, RateLimitedError), (3, RateLimitedError), (3, RateLimitedError)),
    Fault(
        "500",
        (status(500, text="Internal Server Error"),),
        (3, ServerError),
        (3, ServerError),
        (1, AmbiguousOutcomeError),
    ),
    Fault(
        "502",
        (status(502, text="Bad Gateway"),),
        (3, ServerError),
        (3, ServerError),
        (1, AmbiguousOutcomeError),
    ),
    Fault("503", (status(503),), (3, ServerError), (3, ServerError), (1, AmbiguousOutcomeError)),
    Fault(
        "504",
        (status(504, text="Gateway Timeout"),),
        (3, ServerError),
        (3, ServerError),
        (1, AmbiguousOutcomeError),
    ),
    Fault("503_then_ok", (status(503), OK), (2, None), (2, None), (1, AmbiguousOutcomeError)),
    Fault(
        "400_text",
        (status(400, text="Contact channels are required"),),
        (1, BadRequestError),
        (1, BadRequestError),
        (1, BadRequestError),
    ),
    Fault(
        "400_json",
        (status(400, json_body={"error": "validation", "message": "bad email"}),),
        (1, BadRequestError),
        (1, BadRequestError),
        (1, BadRequestError),
    ),
    Fault(
        "401_text",
        (status(401, text="Unauthorized"),),
        (1, AuthenticationError),
        (1, AuthenticationError),
        (1, AuthenticationError),
    ),
    Fault(
        "401_json",
        (status(401, json_body={"message": "bad key"}),),
        (1, AuthenticationError),
        (1, AuthenticationError),
        (1, AuthenticationError),
    ),
    Fault(
        "403_text",
        (status(403, text="Forbidden"),),
        (1, ForbiddenError),
        (1, ForbiddenError),
        (1, ForbiddenError),
    ),
    Fault(
        "403_json",
        (status(403, json_body={"error": "forbidden"}),),
        (1, ForbiddenError),
        (1, ForbiddenError),
        (1, ForbiddenError),
    ),
    Fault(
        "404_text",
        (status(404, text="Not found"),),
        (1, NotFoundError),
        (1, NotFoundError),
        (1, NotFoundError),
    ),
    Fault(
        "404_json",
        (status(404, json_body={"message": "no such contact"}),),
        (1, NotFoundError),
        (1, NotFoundError),
        (1, NotFoundError),
    ),
    Fault(
        "200_malformed_json",
        (status(200, text='{"results": [oops'),),
        (1, ResponseDecodeError),
        (1, ResponseDecodeError),
        (1, AmbiguousOutcomeError),
    ),
    Fault(
        "200_oversized",
        (status(200, content=b"[" + b"1," * 4000 + b"1]"),),
        (1, ResponseDecodeError),
        (1, ResponseDecodeError),
        (1, AmbiguousOutcomeError),
    ),
]

TABLE = [(fault, kind) for fault in FAULTS for kind in OPERATIONS]


@pytest.mark.anyio
@pytest.mark.parametrize(("fault", "kind"), TABLE, ids=[f"{f.id}-{k}" for f, k in TABLE])
async def test_fault_table(fault: Fault, kind: str) -> None:
    upstream = Upstream(*fault.responders)
    expected_attempts, expected_error = {
        "read": fault.read,
        "idempotent_write": fault.write,
        "send": fault.send,
    }[kind]
    async with make_client(upstream, max_response_bytes=4096) as client:
        if expected_error is None:
            await OPERATIONS[kind](client)
        else:
            with pytest.raises(expected_error) as caught:
                await OPERATIONS[kind](client)
            assert type(caught.value) is expected_error
    assert upstream.attempts == expected_attempts


@pytest.mark.anyio
async def test_retry_after_is_honoured_and_backoff_grows() -> None:
    fake = FakeTime()
    upstream = Upstream(status(429, headers={"Retry-After": "7"}), status(503), OK)
    async with make_client(upstream, fake_time=fake, jitter=lambda: 0.5) as client:
        await read(client)
    # Retry-After 7 s, then exponential backoff with equal jitter: step 1.0 s after the 2nd failure.
    assert fake.sleeps == [7.0, 0.75]


@pytest.mark.anyio
async def test_retry_after_as_http_date_is_understood() -> None:
    fake = FakeTime()
    upstream = Upstream(status(429, headers={"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"}), OK)
    async with make_client(upstream, fake_time=fake) as client:
        with pytest.raises(RateLimitedError) as caught:
            await read(client)
    assert upstream.attempts == 1  # far in the future: longer than 30 s, fail fast with the wait
    assert caught.value.retry_after is not None
    assert caught.value.retry_after > 30
    assert "retry after" in str(caught.value)


@pytest.mark.anyio
async def test_long_retry_after_fails_fast_with_the_wait_in_the_error() -> None:
    upstream = Upstream(status(429, headers={"Retry-After": "120"}))
    async with make_client(upstream) as client:
        with pytest.raises(RateLimitedError) as caught:
            await send(client)
    assert caught.value.retry_after == 120
    assert "retry after 120 s" in str(caught.value)


@pytest.mark.anyio
@pytest.mark.parametrize(("max_retry_after", "attempts", "sleeps"), [(10.0, 1, []), (30.0, 2, [20.0])])
async def test_max_retry_after_caps_a_wait_the_deadline_would_allow(
    max_retry_after: float, attempts: int, sleeps: list[float]
) -> None:
    # Retry-After 20 s fits in the 50 s deadline: only max_retry_after decides whether to wait it out.
    fake = FakeTime()
    upstream = Upstream(status(429, headers={"Retry-After": "20"}), OK)
    policy = RetryPolicy(max_retry_after=max_retry_after)
    async with make_client(upstream, fake_time=fake, retry_policy=policy, timeouts=Timeouts(deadline=50)) as client:
        if attempts == 1:
            with pytest.raises(RateLimitedError) as caught:
                await read(client)
            assert caught.value.retry_after == 20
        else:
            await read(client)
    assert upstream.attempts == attempts
    assert fake.sleeps == sleeps


@pytest.mark.anyio
async def test_jitter_is_injectable_and_bounds_the_wait() -> None:
    low, high = FakeTime(), FakeTime()
    for fake, jitter in ((low, 0.0), (high, 0.999)):
        upstream = Upstream(status(500))
        async with make_client(upstream, fake_time=fake, jitter=lambda j=jitter: j) as client:
            with pytest.raises(ServerError):
                await read(client)
    assert low.sleeps == [0.25, 0.5]
    assert high.sleeps == pytest.approx([0.4998, 0.9995], abs=1e-3)


@pytest.mark.anyio
@pytest.mark.parametrize(("kind", "error"), [("read", APITimeoutError), ("send", AmbiguousOutcomeError)])
async def test_overall_deadline_cuts_a_hanging_call(kind: str, error: type[ESputnikError]) -> None:
    async def hang(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(10)
        return httpx.Response(200)

    upstream = Upstream(hang)  # type: ignore[arg-type]
    timeouts = Timeouts(connect=1, read=1, deadline=0.001)
    async with make_client(upstream, timeouts=timeouts) as client:
        with anyio.fail_after(5):
            with pytest.raises(error):
                await OPERATIONS[kind](client)
    assert upstream.attempts == 1


@pytest.mark.anyio
async def test_a_retry_never_waits_past_the_deadline() -> None:
    fake = FakeTime()
    upstream = Upstream(status(429, headers={"Retry-After": "20"}))
    async with make_client(upstream, fake_time=fake, timeouts=Timeouts(deadline=15)) as client:
        with pytest.raises(RateLimitedError):
            await read(client)
    assert upstream.attempts == 1
    assert fake.sleeps == []


@pytest.mark.anyio
async def test_error_carries_status_path_and_truncated_body() -> None:
    long_text = "x" * 2000
    upstream = Upstream(status(400, text=long_text))
    async with make_client(upstream) as client:
        with pytest.raises(BadRequestError) as caught:
            await client.contacts.get(5)
    error = caught.value
    assert error.status == 400
    assert error.path == "/v1/contact/5"
    assert error.method == "GET"
    assert len(error.body) <= 500
    assert error.body.endswith("…")


@pytest.mark.anyio
async def test_json_error_bodies_are_summarised() -> None:
    upstream = Upstream(status(400, json_body={"error": "validation", "message": "email is invalid"}))
    async with make_client(upstream) as client:
        with pytest.raises(BadRequestError) as caught:
            await read(client)
    assert caught.value.body == "validation: email is invalid"


@pytest.mark.anyio
async def test_409_on_contact_write_is_not_retried_and_unresolvable_conflict_is_raised() -> None:
    from esputnik_mcp.api import ConflictError

    upstream = Upstream(status(409, text="Repeated request"), respond(200, json_body=[]))
    async with make_client(upstream) as client:
        with pytest.raises(ConflictError) as caught:
            await idempotent_write(client)
    assert [r.method for r in upstream.requests] == ["POST", "GET"]  # no retry; one lookup found nothing
    assert "within the last minute" in str(caught.value)


@pytest.mark.anyio
async def test_unknown_4xx_statuses_are_bad_requests() -> None:
    upstream = Upstream(status(415, text="Unsupported Media Type"))
    async with make_client(upstream) as client:
        with pytest.raises(BadRequestError) as caught:
            await read(client)
    assert caught.value.status == 415


@pytest.mark.anyio
async def test_ambiguous_outcome_says_what_to_check() -> None:
    upstream = Upstream(status(502, text="Bad Gateway"))
    async with make_client(upstream) as client:
        with pytest.raises(AmbiguousOutcomeError) as caught:
            await send(client)
    message = str(caught.value)
    assert "outcome unknown" in message
    assert "may have been processed" in message
    assert caught.value.status == 502


@pytest.mark.anyio
async def test_upsert_whose_answer_was_lost_finds_the_contact_after_the_409() -> None:
    # The first attempt was processed but its answer lost; the retry is the identical request within a
    # minute, which eSputnik refuses with 409. The contact it wrote is then found by its identifier.
    upstream = Upstream(
        raise_(httpx.ReadTimeout),
        status(409, text="Repeated request"),
        respond(200, json_body=[{"id": 77}], headers={"TotalCount": "1"}),
    )
    async with make_client(upstream) as client:
        contact_id = await idempotent_write(client)
    assert contact_id == 77
    assert [r.method for r in upstream.requests] == ["POST", "POST", "GET"]
    assert upstream.requests[2].url.params["email"] == "a@example.com"


@pytest.mark.anyio
async def test_repeated_update_within_a_minute_is_reported_as_already_applied() -> None:
    upstream = Upstream(raise_(httpx.ReadError), status(409, text="Repeated request"))
    async with make_client(upstream) as client:
        text = await client.contacts.update(
            5, ContactInput(channels=[ChannelInput(type="email", value="a@example.com")])
        )
    assert "already applied" in text
    assert upstream.attempts == 2
