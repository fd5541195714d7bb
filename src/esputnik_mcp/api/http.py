"""The HTTP core of the API client: auth, timeouts, the client-side limiter, retries, the overall
deadline, response size and decoding, and the mapping of every failure to one error class.

Everything above it (the endpoint areas) describes requests as an :class:`Endpoint` plus path,
query and body, and never touches HTTP directly.
"""

from __future__ import annotations

import base64
import functools
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NoReturn
from urllib.parse import quote

import anyio
import httpx2 as httpx
import pydantic_core

from esputnik_mcp.api.errors import (
    AmbiguousOutcomeError,
    APIConnectionError,
    APITimeoutError,
    ESputnikError,
    ResponseDecodeError,
    error_from_response,
    parse_retry_after,
    scrub,
)
from esputnik_mcp.api.limiter import DEFAULT, DEFAULT_RATES, Rate, RateLimiter
from esputnik_mcp.api.retry import Failure, RetryPolicy, Safety, backoff_delay, should_retry

logger = logging.getLogger("esputnik_mcp.api")

DEFAULT_BASE_URL = "https://esputnik.com/api"
JSON_CONTENT_TYPE = "application/json; charset=UTF-8"

Expect = Literal["json", "text"]
# Told of every attempt: the endpoint's operation id, the HTTP status (None: no answer), the seconds it took.
Observer = Callable[[str, int | None, float], None]


@dataclass(frozen=True)
class Endpoint:
    """One documented eSputnik operation."""

    method: str
    path: str  # template relative to the base URL, e.g. "/v1/contact/{id}"
    safety: Safety
    name: str  # operationId in the reference, for logs and errors
    bucket: str = DEFAULT  # rate-limit bucket
    expect: Expect = "json"  # how a success body is read


@dataclass(frozen=True)
class Response:
    """A successful answer: status, headers and the decoded body (None when empty)."""

    status: int
    headers: httpx.Headers
    data: Any
    text: str

    def header_int(self, name: str) -> int | None:
        value = self.headers.get(name)
        if value is None:
            return None
        try:
            return int(value.strip())
        except ValueError:
            return None


@dataclass(frozen=True)
class Timeouts:
    connect: float = 5.0
    read: float = 30.0
    deadline: float = 50.0  # the whole call, retries included


@dataclass(frozen=True)
class _Prepared:
    """A call's request as sent on every attempt: only the timeout changes between retries."""

    path: str  # the endpoint's path with its parameters filled in, for logs and errors
    url: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    content: bytes | None


@dataclass
class _Failed:
    failure: Failure
    error: ESputnikError
    retry_after: float | None = None


@dataclass
class HttpCore:
    api_key: str = field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    transport: httpx.AsyncBaseTransport | None = field(default=None, repr=False)
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    timeouts: Timeouts = field(default_factory=Timeouts)
    rates: Mapping[str, Rate] = field(default_factory=lambda: dict(DEFAULT_RATES))
    max_response_bytes: int = 16 * 1024 * 1024
    user_agent: str = "esputnik-mcp"
    jitter: Callable[[], float] = field(default=random.random, repr=False)
    sleep: Callable[[float], Awaitable[None]] = field(default=anyio.sleep, repr=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    observer: Observer | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.api_key:
            raise ValueError("an eSputnik API key is required")
        self.base_url = self.base_url.rstrip("/")
        token = base64.b64encode(f"esputnik-mcp:{self.api_key}".encode()).decode()
        self._secrets = (self.api_key, token)
        self._auth_header = f"Basic {token}"
        self._limiter = RateLimiter(self.rates, clock=self.clock, sleep=self.sleep)

    @functools.cached_property
    def _client(self) -> httpx.AsyncClient:
        """Made on the first request: over the network it loads the TLS trust store, which a server
        that has not called eSputnik yet does not need."""
        return httpx.AsyncClient(
            transport=self.transport,
            timeout=httpx.Timeout(self.timeouts.read, connect=self.timeouts.connect),
            follow_redirects=False,
            trust_env=False,
        )

    async def aclose(self) -> None:
        if "_client" in self.__dict__:
            await self._client.aclose()

    def scrub(self, text: str) -> str:
        """``text`` without the API key or its Basic-auth form."""
        return scrub(text, self._secrets)

    async def call(
        self,
        endpoint: Endpoint,
        *,
        path_params: Mapping[str, object] | None = None,
        params: Mapping[str, object | None] | None = None,
        json_body: object | None = None,
        json_content: bytes | None = None,
    ) -> Response:
        """Make one API call, with limiter, retries and deadline, and return the decoded answer.

        The body is ``json_body``, or ``json_content`` when it is already encoded JSON."""
        prepared = self._prepare(endpoint, path_params, params, json_body, json_content)
        path = prepared.path
        deadline = self.clock() + self.timeouts.deadline
        retries = 0
        while True:
            remaining = deadline - self.clock()
            if remaining <= 0:
                raise self._deadline_error(endpoint, path)
            await self._limiter.acquire(endpoint.bucket, max_wait=remaining)
            remaining = deadline - self.clock()
            started = self.clock()
            outcome = await self._attempt(endpoint, prepared, remaining)
            elapsed = self.clock() - started
            if isinstance(outcome, Response):
                logger.debug("%s %s -> %s in %.3fs", endpoint.method, path, outcome.status, elapsed)
                return outcome
            logger.info(
                "%s %s attempt %d failed (%s) in %.3fs",
                endpoint.method,
                path,
                retries + 1,
                outcome.failure.value,
                elapsed,
            )
            if not should_retry(self.policy, endpoint.safety, outcome.failure, retries, outcome.retry_after):
                raise self._final_error(endpoint, outcome)
            delay = backoff_delay(self.policy, retries, retry_after=outcome.retry_after, jitter=self.jitter)
            if self.clock() + delay >= deadline:
                raise self._final_error(endpoint, outcome)
            await self.sleep(delay)
            retries += 1

    def _prepare(
        self,
        endpoint: Endpoint,
        path_params: Mapping[str, object] | None,
        params: Mapping[str, object | None] | None,
        json_body: object | None,
        json_content: bytes | None = None,
    ) -> _Prepared:
        """The path, query, headers and body of a call, built once and reused by every attempt."""
        path = endpoint.path.format(**{k: _path_segment(v) for k, v in (path_params or {}).items()})
        query = {k: _query_value(v) for k, v in (params or {}).items() if v is not None}
        content = None
        headers = {
            "Accept": "application/json",
            "User-Agent": self.user_agent,
            "Authorization": self._auth_header,
        }
        if json_body is not None:
            content = encode_json(json_body)
        elif json_content is not None:
            content = json_content
        if content is not None:
            headers["Content-Type"] = JSON_CONTENT_TYPE
        return _Prepared(path=path, url=self.base_url + path, query=query, headers=headers, content=content)

    async def _attempt(self, endpoint: Endpoint, prepared: _Prepared, remaining: float) -> Response | _Failed:
        path = prepared.path
        timeout = httpx.Timeout(min(self.timeouts.read, remaining), connect=min(self.timeouts.connect, remaining))
        request = self._client.build_request(
            endpoint.method,
            prepared.url,
            params=prepared.query,
            headers=prepared.headers,
            content=prepared.content,
            timeout=timeout,
        )
        started = self.clock()
        status: int | None = None
        try:
            exchanged = await self._exchange(endpoint, path, request, remaining)
            if not isinstance(exchanged, _Failed):
                status = exchanged[0]
        except ESputnikError as exc:  # an answer that could not be read still had a status
            status = exc.status
            raise
        finally:
            self._observe(endpoint, status, self.clock() - started)
        if isinstance(exchanged, _Failed):
            return exchanged
        status, response_headers, body = exchanged
        if status < 400:
            return self._decode(endpoint, path, status, response_headers, body)
        retry_after_header = response_headers.get("Retry-After")
        error = error_from_response(
            status,
            body,
            retry_after=retry_after_header,
            method=endpoint.method,
            path=path,
            secrets=self._secrets,
        )
        if status == 429:
            return _Failed(Failure.RATE_LIMITED, error, parse_retry_after(retry_after_header))
        if status >= 500:
            return _Failed(Failure.SERVER, error)
        raise error

    async def _exchange(
        self, endpoint: Endpoint, path: str, request: httpx.Request, remaining: float
    ) -> tuple[int, httpx.Headers, bytes] | _Failed:
        """Send the request and read the whole answer, within ``remaining`` seconds."""
        with anyio.move_on_after(remaining):
            try:
                response = await self._client.send(request, stream=True)
                try:
                    chunks: list[bytes] = []
                    size = 0
                    async for chunk in response.aiter_bytes():
                        size += len(chunk)
                        if size > self.max_response_bytes:
                            self._decode_failure(
                                endpoint,
                                path,
                                response.status_code,
                                f"the answer exceeded {self.max_response_bytes} bytes",
                            )
                        chunks.append(chunk)
                    return response.status_code, response.headers, b"".join(chunks)
                finally:
                    await response.aclose()
            except (httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                why = f"timed out connecting to eSputnik ({_exc_name(exc)}); nothing was sent"
                return self._failed(Failure.CONNECT, APITimeoutError, why, endpoint, path)
            except (httpx.ConnectError, httpx.UnsupportedProtocol) as exc:
                why = f"could not connect to eSputnik ({_exc_name(exc)}); nothing was sent"
                return self._failed(Failure.CONNECT, APIConnectionError, why, endpoint, path)
            except (httpx.ReadTimeout, httpx.WriteTimeout) as exc:
                return self._failed(
                    Failure.TIMEOUT,
                    APITimeoutError,
                    f"eSputnik did not answer in time ({_exc_name(exc)})",
                    endpoint,
                    path,
                )
            except httpx.TransportError as exc:
                why = f"the connection to eSputnik broke before the answer arrived ({_exc_name(exc)})"
                return self._failed(Failure.BROKEN, APIConnectionError, why, endpoint, path)
        why = f"no answer within the call's deadline of {self.timeouts.deadline:g} s"
        return self._failed(Failure.TIMEOUT, APITimeoutError, why, endpoint, path)

    def _observe(self, endpoint: Endpoint, status: int | None, seconds: float) -> None:
        """Tell the observer about one attempt; a failing observer never fails the call."""
        if self.observer is None:
            return
        try:
            self.observer(endpoint.name, status, seconds)
        except Exception:
            logger.exception("the request observer failed")

    @staticmethod
    def _failed(failure: Failure, cls: type[ESputnikError], message: str, endpoint: Endpoint, path: str) -> _Failed:
        return _Failed(failure, cls(message, method=endpoint.method, path=path))

    def _decode(self, endpoint: Endpoint, path: str, status: int, headers: httpx.Headers, body: bytes) -> Response:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            self._decode_failure(endpoint, path, status, "the answer is not UTF-8")
        data: Any = None
        if endpoint.expect == "json" and text.strip():
            try:
                data = json.loads(text)
            except ValueError:
                self._decode_failure(endpoint, path, status, "the answer is not valid JSON")
        elif endpoint.expect == "text":
            data = _plain_text(text)
        return Response(status=status, headers=headers, data=data, text=text)

    def _decode_failure(self, endpoint: Endpoint, path: str, status: int, why: str) -> NoReturn:
        """A 2xx answer that cannot be read: never retried; for an unrepeatable call, ambiguous."""
        error: ESputnikError
        if endpoint.safety is Safety.UNREPEATABLE:
            error = AmbiguousOutcomeError(
                f"outcome unknown: eSputnik accepted the request ({status}) but {why}; it was probably processed",
                status=status,
                method=endpoint.method,
                path=path,
            )
        else:
            error = ResponseDecodeError(
                f"could not read eSputnik's answer ({status}): {why}",
                status=status,
                method=endpoint.method,
                path=path,
            )
        raise error

    def _final_error(self, endpoint: Endpoint, outcome: _Failed) -> ESputnikError:
        error = outcome.error
        if endpoint.safety is Safety.UNREPEATABLE and outcome.failure in (
            Failure.TIMEOUT,
            Failure.BROKEN,
            Failure.SERVER,
        ):
            why = {
                Failure.TIMEOUT: "no answer arrived in time",
                Failure.BROKEN: "the connection broke before the answer arrived",
                Failure.SERVER: f"eSputnik answered {error.status}",
            }[outcome.failure]
            return AmbiguousOutcomeError(
                f"outcome unknown: the request reached eSputnik but {why}; it may have been processed",
                status=error.status,
                body=error.body,
                method=error.method,
                path=error.path,
            )
        return error

    def _deadline_error(self, endpoint: Endpoint, path: str) -> ESputnikError:
        return APITimeoutError(
            f"the call's deadline of {self.timeouts.deadline:g} s ran out", method=endpoint.method, path=path
        )


def encode_json(body: object) -> bytes:
    """A request body as compact UTF-8 JSON, as ``json.dumps(body, ensure_ascii=False,
    separators=(",", ":"))`` writes it (NaN and infinities included), but encoded by pydantic-core:
    a bulk body of thousands of objects in a fraction of the time."""
    return pydantic_core.to_json(body, inf_nan_mode="constants")


def _exc_name(exc: BaseException) -> str:
    return type(exc).__name__


def _path_segment(value: object) -> str:
    text = str(value)
    if not text or text in (".", ".."):
        raise ValueError(f"invalid path segment {text!r}")
    return quote(text, safe="")


def _query_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _plain_text(text: str) -> str:
    """A plain-text success body, with the quotes of a JSON string removed if it is one."""
    stripped = text.strip()
    if len(stripped) >= 2 and stripped[0] == stripped[-1] == '"':
        try:
            decoded = json.loads(stripped)
        except ValueError:
            return stripped
        if isinstance(decoded, str):
            return decoded
    return stripped


__all__ = [
    "DEFAULT_BASE_URL",
    "Endpoint",
    "HttpCore",
    "Observer",
    "Response",
    "Timeouts",
]
