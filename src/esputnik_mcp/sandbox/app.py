"""The sandbox's ASGI app: eSputnik's operations under ``/api``, behind a gateway that does
what eSputnik's front does (Basic auth, content type, rate limits, the 409 repeat guard) and
what a test needs (the journal, the fault plan), plus optional admin routes under ``/_sandbox``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import anyio
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Lifespan, Message, Receive, Scope, Send

from esputnik_mcp.sandbox.admin import admin_routes
from esputnik_mcp.sandbox.faults import Fault, FaultPlan, path_pattern
from esputnik_mcp.sandbox.journal import Journal, JournalEntry
from esputnik_mcp.sandbox.limits import DUPLICATE_WINDOW_SECONDS, RateLimiter
from esputnik_mcp.sandbox.routes import API_ROUTES, RouteSpec
from esputnik_mcp.sandbox.routes.base import Call
from esputnik_mcp.sandbox.state import State
from esputnik_mcp.sandbox.wire import JSON_TYPE, TEXT_TYPE, ApiError

API_PREFIX = "/api"
ADMIN_PREFIX = "/_sandbox"
# Set by the in-process transport: a dict the gateway marks ``{"dropped": True}`` instead of
# holding the connection open, so the transport can raise a transport error.
DROP_EXTENSION = "esputnik_sandbox.drop"
# Bodies larger than this are journaled as a size only, so a long session stays small.
JOURNAL_BODY_LIMIT = 1024 * 1024
GARBAGE_BODY = b'{"results": [{"status": "OK", "requestId": '


@dataclass
class Runtime:
    """Everything the gateway and the handlers share."""

    state: State
    api_key: str
    journal: Journal
    faults: FaultPlan
    limiter: RateLimiter
    admin: bool
    reset: Callable[[bool | None], None]
    repeats: dict[str, float] = field(default_factory=dict)

    def authorised(self, scope: Scope) -> bool:
        """HTTP Basic with any user name and the API key as password."""
        header = _header(scope, b"authorization")
        if header is None or header[:6].lower() != "basic ":
            return False
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        _, colon, password = decoded.partition(":")
        return bool(colon) and hmac.compare_digest(password.encode(), self.api_key.encode())


@dataclass
class Answer:
    """A complete response held by the gateway before it is delivered (or not)."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes

    @classmethod
    def text(cls, status: int, text: str, headers: dict[str, str] | None = None) -> Answer:
        pairs = [(b"content-type", TEXT_TYPE.encode())]
        pairs += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
        return cls(status, pairs, text.encode())

    async def deliver(self, send: Send) -> None:
        headers = [(k, v) for k, v in self.headers if k != b"content-length"]
        headers.append((b"content-length", str(len(self.body)).encode()))
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": self.body, "more_body": False})


@dataclass(frozen=True)
class _ApiRequest:
    """A buffered request under ``/api``, as the gateway checks, fingerprints and journals it."""

    method: str
    path: str  # without the /api prefix
    query: dict[str, str]
    body: bytes


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def _journal_text(body: bytes) -> str:
    if len(body) > JOURNAL_BODY_LIMIT:
        return f"<{len(body)} bytes, not kept>"
    return body.decode("utf-8", "replace")


def _decode_body(body: bytes) -> Any:
    if not body:
        return None
    if len(body) > JOURNAL_BODY_LIMIT:
        return f"<{len(body)} bytes, not kept>"
    text = body.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


class Gateway:
    """Pure ASGI middleware in front of the router (see the module docstring)."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.rt = runtime
        self._routes = [(spec, path_pattern(spec.path)) for spec in API_ROUTES]
        self._params = {spec.name: _named_pattern(spec.path) for spec in API_ROUTES}

    def _route(self, method: str, path: str) -> RouteSpec | None:
        for spec, pattern in self._routes:
            if spec.method == method and pattern.match(path):
                return spec
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(ADMIN_PREFIX + "/") and self.rt.admin and not self.rt.authorised(scope):
            await Answer.text(401, "Unauthorized", {"WWW-Authenticate": 'Basic realm="sandbox"'}).deliver(send)
            return
        if not path.startswith(API_PREFIX + "/"):
            await self.app(scope, receive, send)
            return
        await self._api(scope, receive, send, path[len(API_PREFIX) :])

    async def _api(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        body = await _read_body(receive)
        method: str = scope["method"]
        query = dict(parse_qsl(bytes(scope.get("query_string", b"")).decode("latin-1"), keep_blank_values=True))
        request = _ApiRequest(method=method, path=path, query=query, body=body)
        spec = self._route(method, path)
        started = self.rt.state.now()
        fault = self.rt.faults.take(method, path)
        answer: Answer | None = None
        try:
            if fault is not None and fault.delay:
                await anyio.sleep(fault.delay)
            if fault is not None and fault.status is not None:
                answer = _fault_answer(fault)
            else:
                answer = await self._process(scope, request, spec)
                if fault is not None and fault.garbage:
                    answer = Answer(200, [(b"content-type", JSON_TYPE.encode())], GARBAGE_BODY)
        finally:
            self.rt.journal.record(
                JournalEntry(
                    time=started,
                    method=method,
                    path=path,
                    query=query,
                    body=_decode_body(body),
                    status=None if answer is None else answer.status,
                    response_body="" if answer is None else _journal_text(answer.body),
                    route=None if spec is None else spec.name,
                    fault=None if fault is None else fault.describe(),
                    dropped=fault is not None and fault.drop and answer is not None,
                )
            )
        if fault is not None and fault.drop:
            await _drop(scope, receive, send)
            return
        if answer is not None:  # always set once the try block has completed
            await answer.deliver(send)

    async def _process(self, scope: Scope, request: _ApiRequest, spec: RouteSpec | None) -> Answer:
        rt = self.rt
        body = request.body
        if not rt.authorised(scope):  # the challenge header is a guess; the status is SPEC
            return Answer.text(401, "Unauthorized", {"WWW-Authenticate": 'Basic realm="eSputnik"'})
        if body.strip() and not _is_json(_header(scope, b"content-type")):
            return Answer.text(415, "Unsupported Media Type: send the request body as application/json")
        if spec is None:
            return await _call(self.app, scope, body)
        now = rt.state.now()
        # Checked after auth; a refused request does not count; no Retry-After, as none is
        # documented (esputnik-api.md §18). The order of checks is a guess.
        if rt.limiter.admit(spec.bucket, now) is not None:
            return Answer.text(429, "Too Many Requests")
        rt.state.tick()
        # "Identical" = same method, path, query and body (whitespace aside); only a successful
        # request opens the one-minute window (guesses on SPEC addContact's 409).
        fingerprint = None
        if spec.guard_repeats:
            fingerprint = _fingerprint(request)
            last = rt.repeats.get(fingerprint)
            if last is not None and now - last < DUPLICATE_WINDOW_SECONDS:
                return Answer.text(409, "Conflict: an identical request was received less than a minute ago")
        answer = self._dispatch(spec, request)
        if fingerprint is not None and 200 <= answer.status < 300:
            rt.repeats = {k: t for k, t in rt.repeats.items() if now - t < DUPLICATE_WINDOW_SECONDS}
            rt.repeats[fingerprint] = now
        return answer

    def _dispatch(self, spec: RouteSpec, request: _ApiRequest) -> Answer:
        """Run the operation's handler on the buffered request as its route would (the same path
        parameters, query, transaction and error answers), without a second pass through the
        router: the gateway has matched the route already."""
        match = self._params[spec.name].match(request.path)
        path = match.groupdict() if match is not None else {}
        return _answer_of(_handle(spec, self.rt.state, path, request.query, request.body))


def _handle(spec: RouteSpec, state: State, path: dict[str, str], query: dict[str, str], body: bytes) -> Response:
    """One operation in one database transaction; an API error is its answer."""
    call = Call(state=state, path=path, query=query, body=body)
    try:
        with state.write():
            return spec.handler(call)
    except ApiError as error:
        return error.response()


def _answer_of(response: Response) -> Answer:
    return Answer(response.status_code, list(response.raw_headers), bytes(response.body))


def _named_pattern(template: str) -> re.Pattern[str]:
    """Like :func:`path_pattern`, with each ``{name}`` a group of that name."""
    parts = re.split(r"\{([^}/]+)\}", template)
    regex = "".join(f"(?P<{p}>[^/]+)" if i % 2 else re.escape(p) for i, p in enumerate(parts))
    return re.compile(f"^{regex}$")


def _is_json(content_type: str | None) -> bool:
    if content_type is None:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def _fingerprint(request: _ApiRequest) -> str:
    digest = hashlib.sha256()
    for part in (request.method, request.path, repr(sorted(request.query.items()))):
        digest.update(part.encode())
        digest.update(b"\0")
    digest.update(re.sub(rb"\s+", b" ", request.body.strip()))
    return digest.hexdigest()


def _fault_answer(fault: Fault) -> Answer:
    status = fault.status or 500
    body = fault.body if fault.body is not None else f"Sandbox fault: {status}"
    data = body.encode() if isinstance(body, str) else body
    headers = {k.lower(): v for k, v in (fault.headers or {}).items()}
    pairs = [] if "content-type" in headers else [(b"content-type", TEXT_TYPE.encode())]
    pairs += [(k.encode(), v.encode()) for k, v in headers.items()]
    return Answer(status, pairs, data)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _call(app: ASGIApp, scope: Scope, body: bytes) -> Answer:
    """Run the router on a buffered request and hold its whole answer."""
    delivered = False

    async def receive() -> Message:
        nonlocal delivered
        if delivered:
            return {"type": "http.disconnect"}
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    started: MutableMapping[str, Any] = {}
    chunks: list[bytes] = []

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            started.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return Answer(int(started["status"]), list(started.get("headers", [])), b"".join(chunks))


async def _drop(scope: Scope, receive: Receive, send: Send) -> None:
    """Deliver no answer. In process, mark the transport's drop box (it raises a transport
    error); served over HTTP, answer nothing and wait until the client hangs up."""
    box = scope.get("extensions", {}).get(DROP_EXTENSION)
    if isinstance(box, dict):
        box["dropped"] = True
        await Answer.text(502, "dropped").deliver(send)
        return
    while (await receive())["type"] != "http.disconnect":
        pass


def _api_route(spec: RouteSpec, state: State) -> Route:
    """The router's route of an operation. The gateway runs the operations it matches itself; the
    router answers the rest: a HEAD of a GET operation, another method (405), an unknown path (404)."""

    async def endpoint(request: Request) -> Response:
        return _handle(spec, state, request.path_params, dict(request.query_params), await request.body())

    return Route(API_PREFIX + spec.path, endpoint, methods=[spec.method], name=spec.name)


def build_app(runtime: Runtime, lifespan: Lifespan[Starlette] | None = None) -> Starlette:
    """The app; ``lifespan`` runs while a server serves it (the in-process transport runs none)."""
    routes: list[BaseRoute] = [_api_route(spec, runtime.state) for spec in API_ROUTES]
    if runtime.admin:
        routes += admin_routes(runtime)
    return Starlette(routes=routes, middleware=[Middleware(Gateway, runtime=runtime)], lifespan=lifespan)
