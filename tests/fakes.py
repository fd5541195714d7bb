"""Test doubles for the HTTP layer: a scripted upstream behind httpx2.MockTransport, and fake time."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx2 as httpx

from esputnik_mcp.api import ESputnikClient, Timeouts
from esputnik_mcp.api.retry import RetryPolicy

API_KEY = "test-key-0123456789"
BASE_URL = "https://esputnik.test/api"

Responder = Callable[[httpx.Request], httpx.Response]


@dataclass
class FakeTime:
    """A clock that only moves when the client sleeps: tests count waits, never wait."""

    now: float = 1_000.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def respond(
    status: int = 200,
    *,
    json_body: Any = None,
    text: str | None = None,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Responder:
    """A responder answering the same thing every time."""

    def answer(request: httpx.Request) -> httpx.Response:
        if content is not None:
            return httpx.Response(status, content=content, headers=headers)
        if text is not None:
            return httpx.Response(status, text=text, headers=headers)
        if json_body is not None:
            return httpx.Response(
                status,
                content=json.dumps(json_body).encode(),
                headers={"Content-Type": "application/json", **(headers or {})},
            )
        return httpx.Response(status, headers=headers)

    return answer


class Upstream:
    """A scripted eSputnik: answers each request with the next responder (the last one repeats)
    and records every request it saw."""

    def __init__(self, *responders: Responder) -> None:
        self.responders = list(responders) or [respond()]
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        responder = self.responders[min(len(self.requests), len(self.responders)) - 1]
        return responder(request)

    @property
    def attempts(self) -> int:
        return len(self.requests)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]

    def bodies(self) -> list[Any]:
        return [json.loads(r.content) if r.content else None for r in self.requests]


def make_client(
    upstream: Upstream | Callable[[httpx.Request], Any],
    *,
    fake_time: FakeTime | None = None,
    api_key: str = API_KEY,
    timeouts: Timeouts | None = None,
    max_response_bytes: int = 16 * 1024 * 1024,
    bulk_concurrency: int = 4,
    jitter: Callable[[], float] = lambda: 0.0,
    retry_policy: RetryPolicy | None = None,
) -> ESputnikClient:
    time = fake_time or FakeTime()
    return ESputnikClient(
        api_key,
        base_url=BASE_URL,
        transport=httpx.MockTransport(upstream),
        timeouts=timeouts,
        retry_policy=retry_policy or RetryPolicy(),
        bulk_concurrency=bulk_concurrency,
        max_response_bytes=max_response_bytes,
        jitter=jitter,
        sleep=time.sleep,
        clock=time.clock,
    )


def query_of(request: httpx.Request) -> dict[str, str]:
    return dict(request.url.params.multi_items())


def path_of(request: httpx.Request) -> str:
    """The request path without the /api prefix of the base URL, as the reference writes it."""
    path = request.url.path
    return path.removeprefix("/api")


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content) if request.content else None


def all_text(items: Iterable[object]) -> str:
    return "\n".join(str(i) for i in items)
