"""A client-side limiter that keeps this process under eSputnik's documented rate limits.

Each bucket allows at most ``limit`` requests in any window of ``window`` seconds (a sliding
window, which also satisfies a fixed-window server). A bulk job therefore waits here instead of
provoking 429s. A wait longer than the caller can afford fails at once, before anything is sent.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import anyio

from esputnik_mcp.api.errors import RateLimitedError


@dataclass(frozen=True)
class Rate:
    limit: int
    window: float  # seconds
    label: str  # how eSputnik states it, for error messages


# Buckets, from the reference's rate-limit table (esputnik-api.md §18, [DOC] rate-limits and SPEC).
DEFAULT = "default"  # methods not listed share 200 requests/second
CONTACT_SEARCH = "contact_search"  # GET /v1/contacts: 50/s
CONTACT_WRITE = "contact_write"  # POST /v1/contact, PUT /v1/contact/{id}, subscribe, bulk: 200/s
EVENTS = "events"  # POST /v2/event: 350/s
TEMPLATE_READS = "template_reads"  # GET /v1/messages/...: 500/hour
CONTACT_MESSAGES = "contact_messages"  # GET /v2/contacts/messages: 10/s

DEFAULT_RATES: Mapping[str, Rate] = {
    DEFAULT: Rate(200, 1.0, "200 requests a second"),
    CONTACT_SEARCH: Rate(50, 1.0, "50 contact searches a second"),
    CONTACT_WRITE: Rate(200, 1.0, "200 contact writes a second"),
    EVENTS: Rate(350, 1.0, "350 events a second"),
    TEMPLATE_READS: Rate(500, 3600.0, "500 template reads an hour"),
    CONTACT_MESSAGES: Rate(10, 1.0, "10 message-history reads a second"),
}


class RateLimiter:
    def __init__(
        self,
        rates: Mapping[str, Rate] = DEFAULT_RATES,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        self._rates = dict(rates)
        self._clock = clock
        self._sleep = sleep
        self._sent: dict[str, collections.deque[float]] = {name: collections.deque() for name in self._rates}
        self._lock = anyio.Lock()

    def _wait_needed(self, bucket: str, now: float) -> float:
        rate = self._rates[bucket]
        sent = self._sent[bucket]
        while sent and sent[0] <= now - rate.window:
            sent.popleft()
        if len(sent) < rate.limit:
            return 0.0
        return sent[0] + rate.window - now

    async def acquire(self, bucket: str, *, max_wait: float) -> None:
        """Take one slot in ``bucket``, waiting up to ``max_wait`` seconds for it.

        Raises :class:`RateLimitedError` (nothing sent) when the wait would be longer.
        """
        if bucket not in self._rates:
            bucket = DEFAULT
        async with self._lock:
            while True:
                now = self._clock()
                wait = self._wait_needed(bucket, now)
                if wait <= 0:
                    self._sent[bucket].append(now)
                    return
                if wait > max_wait:
                    raise RateLimitedError(
                        f"held back by the client: eSputnik allows {self._rates[bucket].label}; "
                        f"retry after {wait:.0f} s",
                        retry_after=wait,
                        status=None,
                    )
                await self._sleep(wait)
