"""The approval page: where a person, not the agent, approves a send or an irreversible deletion.

The server reaches the person through the client's URL mode of elicitation: the client opens a
link to a page this server serves, which shows what will go out and offers Approve and Decline.
The link holds a secret (``/approve/<secret>``) that travels only in the elicitation handed to the
client, never in a tool result the model reads; the store keeps only its hash. An approval is bound
to the tool, the exact arguments and the caller, expires, and is spent once by the call it approves.

Under ``serve --http`` the page is served by the same app, at ``ESPUTNIK_PUBLIC_URL`` (else the
Host the request came to). Over stdio it is served on a loopback port opened on first need.

Defences, each against a named attack:
- cross-site request forgery: the decision is a POST carrying a token derived from the secret, and
  a POST from another site (``Origin`` or ``Sec-Fetch-Site``) is refused;
- clickjacking: the page may not be framed (``frame-ancestors 'none'``, ``X-Frame-Options``);
- a secret leaking through ``Referer`` or caches: ``no-referrer`` and ``no-store``;
- a hostile email body: its html is shown in a sandboxed frame (no scripts, no forms, no
  navigation) under a policy that loads nothing from the network, so no tracking pixel fires;
- replay: a decision changes only a pending, unexpired approval, and the call spends it once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import socket
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import asdict
from typing import Any, Literal
from urllib.parse import urlsplit

import anyio
from anyio.abc import TaskGroup
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from esputnik_mcp.server.approval_page import decided_page, gone_page, preview_page
from esputnik_mcp.store.base import ApprovalRecord, StateStore
from esputnik_mcp.toolspec import Rendering

logger = logging.getLogger("esputnik_mcp.approvals")

APPROVE_PATH = "/approve/{secret}"
APPROVAL_TTL = 600.0  # seconds a page stays valid
WAIT_FOR_DECISION = 45.0  # how long a call waits for the click once the client has opened the page
POLL_EVERY = 0.25

# The scheme and host an HTTP request came to, for links to the page when no public URL is set.
REQUEST_BASE: ContextVar[str | None] = ContextVar("esputnik_mcp_request_base", default=None)

Decision = Literal["approved", "declined", "pending", "expired"]

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


def approval_id(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def form_token(secret: str) -> str:
    """The token the page's form carries: only a page served with the secret can have it."""
    return hmac.new(secret.encode(), b"esputnik-mcp approval form", hashlib.sha256).hexdigest()


def preview_json(action: str, rendering: Rendering | None) -> str:
    return json.dumps({"action": action, "rendering": asdict(rendering) if rendering else None}, ensure_ascii=False)


class ApprovalDesk:
    """Opens approvals, serves their pages, and waits for the person's decision."""

    def __init__(
        self,
        store: StateStore,
        *,
        public_url: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._public_url = public_url.rstrip("/") if public_url else None
        self._clock = clock
        self._loopback: str | None = None
        self._task_group: TaskGroup | None = None
        self._starting = anyio.Lock()

    def attach(self, task_group: TaskGroup | None, *, public_url: str | None = None) -> None:
        """Where a loopback page server may run (stdio), or the URL pages are served at (HTTP)."""
        self._task_group = task_group
        if public_url:
            self._public_url = public_url.rstrip("/")

    @property
    def available(self) -> bool:
        """Whether a page can be served for this call: under HTTP, or with a place to run one."""
        return bool(self._public_url or REQUEST_BASE.get() or self._loopback or self._task_group)

    async def base_url(self) -> str:
        base = self._public_url or REQUEST_BASE.get()
        if base:
            return base
        async with self._starting:
            if self._loopback is None:
                self._loopback = await self._serve_loopback()
        return self._loopback

    async def _serve_loopback(self) -> str:
        import uvicorn

        if self._task_group is None:
            raise RuntimeError("no approval page can be served: neither HTTP nor a loopback server")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        app = Starlette(routes=self.routes())
        server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, ws="none", lifespan="off"))

        async def serve() -> None:
            try:
                await server.serve(sockets=[sock])
            finally:
                sock.close()  # uvicorn leaves a socket it was given open

        self._task_group.start_soon(serve)
        with anyio.fail_after(10):
            while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
                await anyio.sleep(0.01)
        logger.info("approval pages are served on http://127.0.0.1:%d", port)
        return f"http://127.0.0.1:{port}"

    async def open(self, *, tool: str, payload_hash: str, caller: str, preview: str) -> tuple[str, str]:
        """A new approval of this exact call: its id, and the page's URL (which holds the secret)."""
        secret = secrets.token_urlsafe(32)
        now = self._clock()
        record = ApprovalRecord(
            id=approval_id(secret),
            tool=tool,
            payload_hash=payload_hash,
            caller=caller,
            preview=preview,
            status="pending",
            created_at=now,
            expires_at=now + APPROVAL_TTL,
        )
        await self._store.put_approval(record)
        return record.id, f"{await self.base_url()}{APPROVE_PATH.format(secret=secret)}"

    async def use(self, *, tool: str, payload_hash: str, caller: str) -> bool:
        """Spend the person's approval of this exact call, if there is one."""
        used = await self._store.use_approval(tool=tool, payload_hash=payload_hash, caller=caller, now=self._clock())
        return used is not None

    async def decision(self, identifier: str, *, wait: float = 0.0) -> Decision:
        """The person's decision on an approval, waiting up to ``wait`` seconds for one."""
        deadline = anyio.current_time() + wait
        while True:
            record = await self._store.approval(identifier)
            if record is None or record.expires_at <= self._clock():
                return "expired"
            if record.status in ("approved", "used"):
                return "approved"
            if record.status == "declined":
                return "declined"
            if anyio.current_time() >= deadline:
                return "pending"
            await anyio.sleep(POLL_EVERY)

    # --- the page -------------------------------------------------------------------------------

    def routes(self) -> list[Route]:
        return [Route(APPROVE_PATH, self._page, methods=["GET", "POST"])]

    async def _page(self, request: Request) -> Response:
        secret = request.path_params["secret"]
        record = await self._store.approval(approval_id(secret))
        if record is None or record.expires_at <= self._clock():
            return _html(gone_page("This approval link has expired or does not exist. Nothing was sent."), 404)
        if record.status != "pending":
            done = {"approved": "approved", "used": "approved and used", "declined": "declined"}[record.status]
            return _html(gone_page(f"This request was already {done}; this page cannot change it."), 409)
        if request.method == "GET":
            return _html(preview_page(json.loads(record.preview), record, form_token(secret)))
        return await self._decide(request, record, secret)

    async def _decide(self, request: Request, record: ApprovalRecord, secret: str) -> Response:
        """The person's click: only from the page itself, only once."""
        refusal = _cross_site(request)
        if refusal is not None:
            return _html(gone_page(refusal), 403)
        form = await request.form()
        if not hmac.compare_digest(str(form.get("token", "")), form_token(secret)):
            return _html(gone_page("This form did not come from the approval page. Nothing was decided."), 403)
        approved = form.get("decision") == "approve"
        decided = await self._store.decide_approval(record.id, approved=approved, now=self._clock())
        if decided is None:
            return _html(gone_page("This approval was already decided or has expired."), 409)
        return _html(decided_page(approved))


def _cross_site(request: Request) -> str | None:
    """Why a POST must be refused as coming from another site, or None."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return "A decision can only be made on the approval page itself."
    origin = request.headers.get("origin")
    if origin is not None and origin != "null":
        host = request.headers.get("host", "")
        if urlsplit(origin).netloc != host:
            return "A decision can only be made on the approval page itself."
    return None


def _html(body: str, status: int = 200) -> Response:
    return HTMLResponse(body, status_code=status, headers=SECURITY_HEADERS)


def request_base(scope: Mapping[str, Any]) -> str | None:
    """``http://host:port`` of an HTTP request, from its Host header (checked by the transport)."""
    for name, value in scope.get("headers", []):
        if name == b"host":
            return f"{scope.get('scheme', 'http')}://{value.decode('latin-1')}"
    return None
