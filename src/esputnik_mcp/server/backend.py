"""Choosing the backend: eSputnik with the configured key, or the built-in sandbox without one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import anyio
import anyio.abc
import httpx2 as httpx

from esputnik_mcp import __version__
from esputnik_mcp.api import ESputnikClient, RetryPolicy, Timeouts
from esputnik_mcp.inbox import InboxRefusal
from esputnik_mcp.server import metrics
from esputnik_mcp.server.runtime import Runtime
from esputnik_mcp.settings import Settings
from esputnik_mcp.store import StoreUnavailable, open_store

if TYPE_CHECKING:
    from esputnik_mcp.sandbox import Sandbox

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


def attach_sandbox_webhook(runtime: Runtime, tasks: anyio.abc.TaskGroup) -> None:
    """Have the sandbox push its delivery events as eSputnik's webhook would: to
    ``ESPUTNIK_SANDBOX_WEBHOOK_URL`` when set (from then on, as an export does once saved), else
    straight into this server's own inbox, the demo account's past included, and before every read
    of the inbox, so that what it holds keeps up with the sandbox's clock."""
    from esputnik_mcp.sandbox.webhooks import parse_header

    sandbox = runtime.sandbox
    if sandbox is None:
        return
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
) -> AsyncIterator[Runtime]:
    """A runtime on eSputnik when ``settings`` has a key, else on the sandbox (``sandbox`` if given,
    otherwise the user's persistent one), reached in process with no port. The state store is opened
    before it is yielded: a store that cannot be opened stops the start (``StoreUnavailable``)."""
    store = open_store(settings)
    if settings.api_key is not None:
        client = make_client(settings, settings.api_key.get_secret_value(), settings.base_url, transport)
        runtime = Runtime(settings=settings, client=client, store=store)
    else:
        from esputnik_mcp.sandbox import DEMO_EMAIL_SENDER, DEMO_SMS_SENDER, SANDBOX_BASE_URL, Sandbox

        # On the sandbox the demo account's senders are the defaults, so a newcomer can send at once.
        settings = settings.model_copy(
            update={
                "email_sender": settings.email_sender or DEMO_EMAIL_SENDER,
                "sms_sender": settings.sms_sender or DEMO_SMS_SENDER,
            }
        )
        sandbox = sandbox or Sandbox(api_key=SANDBOX_KEY, db_path=settings.sandbox_path)
        client = make_client(settings, SANDBOX_KEY, SANDBOX_BASE_URL, sandbox.transport())
        runtime = Runtime(settings=settings, client=client, sandbox=sandbox, store=store)
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
