"""The sandbox's data-export webhook: it posts activity events the way eSputnik does
(esputnik-api.md §16).

Each POST carries a JSON array of activity objects, oldest first, at most 100 of them (how many
eSputnik puts in one is not documented), and only events whose time has come on the sandbox clock.
Any answer but 200, or none, and the same batch is tried again after 1, 2, 4 and 8 minutes, then
every hour (on the sandbox clock), while later events wait, so delivery stays in order (§16). An
event counts as pushed only once its batch got a 200. Optional Basic auth and up to 5 custom
headers go with every request (§16). Before its first POST to a URL, :class:`HttpDelivery` checks
the URL with a GET, as eSputnik does when an export is saved (§16); an answer but 200 is logged,
and the pushing goes on.

Where the posts go is a ``deliver(body, headers)`` coroutine answering the HTTP status (0 when no
answer came): :class:`HttpDelivery` posts over HTTP; a test may hand the body to a receiver in the
same process.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import anyio
import httpx2 as httpx

from esputnik_mcp.sandbox.domain import activity
from esputnik_mcp.sandbox.limits import WEBHOOK_BATCH, WEBHOOK_HEADERS
from esputnik_mcp.sandbox.state import State
from esputnik_mcp.sandbox.wire import JSON_TYPE, dumps

logger = logging.getLogger(__name__)

Deliver = Callable[[bytes, dict[str, str]], Awaitable[int]]
"""Post one body with these headers; the HTTP status of the answer, or 0 when none came."""

# Seconds before the 1st, 2nd, 3rd and 4th retry of a failed batch; every later retry waits an hour.
RETRY_DELAYS = (60.0, 120.0, 240.0, 480.0)
RETRY_LATER = 3600.0
# Headers the sandbox sets itself, which a custom header may not replace.
RESERVED_HEADERS = frozenset({"content-type", "content-length", "host", "authorization"})
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def retry_delay(failures: int) -> float:
    """How long a batch that has failed ``failures`` times in a row waits before its next try."""
    return RETRY_DELAYS[failures - 1] if failures <= len(RETRY_DELAYS) else RETRY_LATER


def request_headers(basic_auth: str | None, headers: Mapping[str, str] | None) -> dict[str, str]:
    """The headers of every webhook request: the JSON content type, Basic auth from ``user:password``
    and the custom ``headers`` (at most 5). Raises ValueError for a malformed one."""
    custom = dict(headers or {})
    if len(custom) > WEBHOOK_HEADERS:
        raise ValueError(f"A webhook takes at most {WEBHOOK_HEADERS} custom headers; got {len(custom)}")
    result = {"Content-Type": JSON_TYPE}
    if basic_auth is not None:
        user, colon, _ = basic_auth.partition(":")
        if not colon or not user:
            raise ValueError("Basic auth must be given as user:password")
        result["Authorization"] = "Basic " + base64.b64encode(basic_auth.encode()).decode("ascii")
    for name, value in custom.items():
        if not _TOKEN.fullmatch(name):
            raise ValueError(f"{name!r} is not a valid header name")
        if name.lower() in RESERVED_HEADERS:
            raise ValueError(f"The header {name} is set by the webhook itself")
        if "\r" in value or "\n" in value:
            raise ValueError(f"The value of the header {name} must be on one line")
        result[name] = value
    return result


def parse_header(text: str) -> tuple[str, str]:
    """``"Name: value"`` as (name, value); ValueError if it is not that."""
    name, colon, value = text.partition(":")
    if not colon or not name.strip():
        raise ValueError(f"A header must be given as 'Name: value'; got {text!r}")
    return name.strip(), value.strip()


class HttpDelivery:
    """Posts webhook bodies to ``url`` over HTTP with httpx2, and GETs it once before the first post.

    A connection error, a timeout or any other transport failure answers 0. ``transport`` replaces
    the network (e.g. an ``httpx2.MockTransport``)."""

    def __init__(self, url: str, *, transport: httpx.AsyncBaseTransport | None = None, timeout: float = 10.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"A webhook URL must start with http:// or https://; got {url!r}")
        self.url = url
        self._transport = transport
        self._timeout = timeout
        self.checked = False

    def __repr__(self) -> str:
        return f"HttpDelivery({self.url!r})"

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self._transport, timeout=self._timeout)

    async def check(self, headers: Mapping[str, str]) -> int:
        """GET the URL with the webhook's headers (no body); the status, 0 when no answer came."""
        self.checked = True
        sent = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        try:
            async with self._client() as client:
                status = (await client.get(self.url, headers=sent)).status_code
        except httpx.TransportError as exc:
            logger.warning("The webhook URL %s did not answer its check (GET): %s", self.url, exc)
            return 0
        if status != 200:
            logger.warning("The webhook URL %s answered its check (GET) with %s, not 200", self.url, status)
        return status

    async def __call__(self, body: bytes, headers: dict[str, str]) -> int:
        if not self.checked:
            await self.check(headers)
        try:
            async with self._client() as client:
                return (await client.post(self.url, content=body, headers=headers)).status_code
        except httpx.TransportError as exc:
            logger.warning("The webhook URL %s did not answer: %s", self.url, exc)
            return 0


@dataclass
class _Batch:
    ids: list[int]
    body: bytes


class WebhookPusher:
    """Pushes the sandbox's activity events to one webhook (see the module docstring).

    Nothing is pushed until :meth:`attach`. :meth:`push_due` pushes what is due now (tests call it
    after moving the fake clock); :meth:`run` calls it every ``interval`` seconds, for a task group.
    """

    def __init__(self, state: State) -> None:
        self._state = state
        self._deliver: Deliver | None = None
        self._headers: dict[str, str] = {}
        self._history = False
        self._batch: _Batch | None = None
        self._failures = 0
        self._retry_at: float | None = None
        self._generation = 0
        self._lock = anyio.Lock()

    @property
    def attached(self) -> bool:
        return self._deliver is not None

    @property
    def failures(self) -> int:
        """How many times in a row the waiting batch has failed (0: none is waiting)."""
        return self._failures

    @property
    def retry_at(self) -> float | None:
        """When (sandbox clock) the failed batch is tried again; None when none is waiting."""
        return self._retry_at

    def attach(
        self,
        deliver: Deliver,
        *,
        history: bool = False,
        basic_auth: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Push from now on through ``deliver``. ``history=False`` pushes only events dated from now
        on (as eSputnik exports activity from the moment an export is saved); ``history=True`` pushes
        the past too, the demo account's included. ``basic_auth`` (``user:password``) and the custom
        ``headers`` go with every request. Attaching again replaces the webhook and starts over."""
        self._headers = request_headers(basic_auth, headers)
        self._deliver = deliver
        self._history = history
        self._start()

    def attach_url(
        self,
        url: str,
        *,
        history: bool = False,
        basic_auth: str | None = None,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> HttpDelivery:
        """:meth:`attach` an :class:`HttpDelivery` to ``url``; that delivery."""
        delivery = HttpDelivery(url, transport=transport)
        self.attach(delivery, history=history, basic_auth=basic_auth, headers=headers)
        return delivery

    def detach(self) -> None:
        """Stop pushing; events not yet pushed stay so."""
        self._deliver = None
        self._forget()

    def reset(self) -> None:
        """After the sandbox's database started over: start over on it, as :meth:`attach` would."""
        if self._deliver is not None:
            self._start()

    def _start(self) -> None:
        self._forget()
        activity.start_pushing(self._state, None if self._history else self._state.now())

    def _forget(self) -> None:
        self._batch, self._failures, self._retry_at = None, 0, None
        self._generation += 1

    async def push_due(self) -> int:
        """Push every event due now, batch by batch, until none is left or a batch fails; how many
        events were delivered (got a 200). What has come due is applied first (a broadcast's batches
        among it), so its events go out even while nobody asks the sandbox anything."""
        delivered = 0
        async with self._lock:
            if self._deliver is not None:
                self._state.tick()
            while self._deliver is not None:
                if self._batch is None:
                    self._batch = self._next_batch()
                    if self._batch is None:
                        break
                elif self._retry_at is not None and self._state.now() < self._retry_at:
                    break
                pushed = await self._attempt(self._deliver, self._batch)
                if pushed is None:
                    break
                delivered += pushed
        return delivered

    async def run(self, interval: float = 1.0) -> None:
        """Push what is due every ``interval`` seconds (real time), until cancelled."""
        while True:
            await self.push_due()
            await anyio.sleep(interval)

    def _next_batch(self) -> _Batch | None:
        rows = activity.due(self._state, WEBHOOK_BATCH)
        if not rows:
            return None
        body = dumps([activity.webhook_json(row) for row in rows]).encode()
        return _Batch([int(row["id"]) for row in rows], body)

    async def _attempt(self, deliver: Deliver, batch: _Batch) -> int | None:
        """Post ``batch``; how many events it delivered, or None if it failed (it then waits)."""
        generation = self._generation
        try:
            status = await deliver(batch.body, dict(self._headers))
        except OSError as exc:
            logger.warning("The webhook delivery failed: %s", exc)
            status = 0
        if generation != self._generation:  # detached, re-attached or reset meanwhile
            return None
        if status == 200:
            activity.mark_pushed(self._state, batch.ids)
            self._batch, self._failures, self._retry_at = None, 0, None
            return len(batch.ids)
        self._failures += 1
        self._retry_at = self._state.now() + retry_delay(self._failures)
        logger.warning(
            "The webhook answered %s to %d events; trying the same batch again in %.0f s (sandbox clock)",
            status or "nothing",
            len(batch.ids),
            retry_delay(self._failures),
        )
        return None
