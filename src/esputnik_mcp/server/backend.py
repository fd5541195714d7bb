"""Choosing the backend: eSputnik with the configured key, or the built-in sandbox without one."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import anyio
import anyio.abc
import anyio.to_thread
import httpx2 as httpx

from esputnik_mcp import __version__
from esputnik_mcp.api import ESputnikClient, RetryPolicy, Timeouts
from esputnik_mcp.inbox import InboxRefusal
from esputnik_mcp.server import metrics
from esputnik_mcp.server.listing import Listing, tool_listings
from esputnik_mcp.server.runtime import Runtime
from esputnik_mcp.settings import Settings
from esputnik_mcp.store import StoreUnavailable, open_store

if TYPE_CHECKING:
    from esputnik_mcp.sandbox import Sandbox

logger = logging.getLogger("esputnik_mcp.backend")

SANDBOX_KEY = "sandbox"


def make_client(
    settings: Settings, api_key: str, base_url: str, transport: httpx.AsyncBaseTransport | None
) -> ESputnikClient:
    return ESputnikClient(
        api_key,
        base_url=base_url,
        transport=transport,
        timeouts=Timeouts(
            connect=settings.connect_timeout, read=settings.read_timeout, deadline=settings.request_deadline
        ),
        retry_policy=RetryPolicy(max_retries=settings.max_retries, max_retry_after=settings.max_retry_after),
        bulk_concurrency=settings.bulk_concurrency,
        max_response_bytes=settings.max_response_bytes,
        user_agent=f"esputnik-mcp/{__version__}",
        observer=metrics.observe_upstream,
    )


class SandboxOnDemand:
    """The built-in sandbox, built the first time something needs it: the first request the API
    client sends it, or the first read of the inbox it feeds. Building it imports the emulator and
    opens its database (creating the demo account in a new one), which a server listing its tools
    never needs; it runs in a worker thread, so the event loop keeps serving meanwhile.

    ``on_build`` runs once with the built sandbox, before anything uses it."""

    def __init__(self, path: str, on_build: Callable[[Sandbox], None] | None = None) -> None:
        self.path = path
        self.on_build = on_build
        self._sandbox: Sandbox | None = None
        self._building = anyio.Lock()

    def __repr__(self) -> str:
        return f"SandboxOnDemand({self.path!r}, built={self._sandbox is not None})"

    @property
    def built(self) -> Sandbox | None:
        return self._sandbox

    async def get(self) -> Sandbox:
        """The sandbox, built now if it is not yet. A sandbox that cannot be built is logged with
        the reason and raised as a connection error: to the API client, eSputnik is unreachable."""
        if self._sandbox is None:
            async with self._building:
                if self._sandbox is None:
                    try:
                        sandbox = await anyio.to_thread.run_sync(self._build)
                    except Exception as exc:
                        logger.error("the built-in sandbox cannot be opened (%s): %s", self.path, exc)
                        raise httpx.ConnectError(f"the built-in sandbox cannot be opened: {exc}") from exc
                    if self.on_build is not None:
                        self.on_build(sandbox)
                    self._sandbox = sandbox
        return self._sandbox

    def _build(self) -> Sandbox:
        from esputnik_mcp.sandbox import Sandbox

        return Sandbox(api_key=SANDBOX_KEY, db_path=self.path)

    def transport(self) -> httpx.AsyncBaseTransport:
        """A transport into the sandbox that builds it on the first request."""
        return _OnDemandTransport(self)


class _OnDemandTransport(httpx.AsyncBaseTransport):
    def __init__(self, sandbox: SandboxOnDemand) -> None:
        self._sandbox = sandbox
        self._transport: httpx.AsyncBaseTransport | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._transport is None:
            self._transport = (await self._sandbox.get()).transport()
        return await self._transport.handle_async_request(request)


def attach_sandbox_webhook(runtime: Runtime, tasks: anyio.abc.TaskGroup) -> None:
    """Have the sandbox push its delivery events as eSputnik's webhook would: to
    ``ESPUTNIK_SANDBOX_WEBHOOK_URL`` when set (from then on, as an export does once saved), else
    straight into this server's own inbox, the demo account's past included, and before every read
    of the inbox, so that what it holds keeps up with the sandbox's clock.

    A sandbox built on demand is attached once built; to push to a URL it is built at once (in the
    background), as a webhook pushes whether or not anyone calls a tool; the inbox builds it on its
    first read."""
    sandbox = runtime.sandbox
    if sandbox is None:
        return
    if not isinstance(sandbox, SandboxOnDemand):
        _attach(runtime, sandbox, tasks)
        return
    sandbox.on_build = functools.partial(_attach, runtime, tasks=tasks)
    if runtime.settings.sandbox_webhook_url:

        async def build() -> None:
            with contextlib.suppress(httpx.ConnectError):  # logged; the first call tries again
                await sandbox.get()

        tasks.start_soon(build)
        return

    async def build_and_push() -> int:
        # Building the sandbox attaches it, which replaces this refresh with the sandbox's own. A
        # sandbox that cannot be built (logged) pushes nothing: the inbox answers with what it holds.
        try:
            built = await sandbox.get()
        except httpx.ConnectError:
            return 0
        return await built.webhooks.push_due()

    runtime.inbox.refresh = build_and_push


def _attach(runtime: Runtime, sandbox: Sandbox, tasks: anyio.abc.TaskGroup) -> None:
    from esputnik_mcp.sandbox.webhooks import parse_header

    settings = runtime.settings
    if settings.sandbox_webhook_url:
        basic = settings.sandbox_webhook_basic_auth
        header = settings.sandbox_webhook_header
        sandbox.webhooks.attach_url(
            settings.sandbox_webhook_url,
            history=False,
            basic_auth=basic.get_secret_value() if basic else None,
            headers=dict([parse_header(header.get_secret_value())]) if header else None,
        )
        tasks.start_soon(sandbox.webhooks.run)
        return
    inbox = runtime.inbox

    async def into_inbox(body: bytes, headers: dict[str, str]) -> int:
        try:
            await inbox.receive(body)
        except InboxRefusal:
            return 400
        except StoreUnavailable:
            return 503
        return 200

    sandbox.webhooks.attach(into_inbox, history=True)
    inbox.refresh = sandbox.webhooks.push_due


@asynccontextmanager
async def open_runtime(
    settings: Settings,
    *,
    sandbox: Sandbox | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    tools: Sequence[Listing] | None = None,
) -> AsyncIterator[Runtime]:
    """A runtime on eSputnik when ``settings`` has a key, else on the sandbox (``sandbox`` if given,
    otherwise the user's persistent one, built on first need: see :class:`SandboxOnDemand`), reached
    in process with no port. The state store is opened before it is yielded: a store that cannot be
    opened stops the start (``StoreUnavailable``). ``tools``: the tools as listed, when known
    without the catalogue (see :mod:`esputnik_mcp.server.listing`)."""
    store = open_store(settings)
    listed = tool_listings() if tools is None else tools
    if settings.api_key is not None:
        client = make_client(settings, settings.api_key.get_secret_value(), settings.base_url, transport)
        runtime = Runtime(settings=settings, client=client, store=store, tools=listed)
    else:
        from esputnik_mcp.sandbox.defaults import DEMO_EMAIL_SENDER, DEMO_SMS_SENDER, SANDBOX_BASE_URL

        # On the sandbox the demo account's senders are the defaults, so a newcomer can send at once.
        settings = settings.model_copy(
            update={
                "email_sender": settings.email_sender or DEMO_EMAIL_SENDER,
                "sms_sender": settings.sms_sender or DEMO_SMS_SENDER,
            }
        )
        embedded: Sandbox | SandboxOnDemand = sandbox or SandboxOnDemand(settings.sandbox_path)
        client = make_client(settings, SANDBOX_KEY, SANDBOX_BASE_URL, embedded.transport())
        runtime = Runtime(settings=settings, client=client, sandbox=embedded, store=store, tools=listed)
    try:
        await runtime.gate.ready()
        async with anyio.create_task_group() as tasks:
            # Where an approval page is served over stdio, on a loopback port opened on first need.
            runtime.gate.desk.attach(tasks)
            if runtime.sandbox is not None:
                attach_sandbox_webhook(runtime, tasks)
            try:
                yield runtime
            finally:
                tasks.cancel_scope.cancel()
    finally:
        await client.aclose()
        await store.close()
