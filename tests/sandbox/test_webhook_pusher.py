"""The webhook pusher: eSputnik's activity export (esputnik-api.md §16) as the sandbox posts it:
JSON arrays of at most 100 events, oldest first, only those due on the sandbox clock; a failed batch
retried unchanged after 1, 2, 4, 8 minutes, then hourly, while later events wait; Basic auth and
custom headers; the demo's past on request; a GET check before the first post over HTTP; and the
command line serving the sandbox with the pusher running."""

import json
import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx2 as httpx
import pytest
import uvicorn
from sandbox_support import KEY, T0
from starlette.types import Receive, Scope, Send

from esputnik_mcp.sandbox import SANDBOX_BASE_URL, Clock, HttpDelivery, Sandbox
from esputnik_mcp.sandbox.cli import run

pytestmark = pytest.mark.anyio

JSON_TYPE = "application/json; charset=UTF-8"
EMAIL = {"from": "shop@example.com", "subject": "Hi", "htmlText": "<p>Hi</p>"}


@dataclass
class Inbox:
    """An in-process receiver: answers each post with the next of ``answers`` (then 200), or raises
    ``errors`` first; keeps every post."""

    answers: list[int] = field(default_factory=list)
    errors: list[Exception] = field(default_factory=list)
    posts: list[tuple[bytes, dict[str, str], int]] = field(default_factory=list)

    async def __call__(self, body: bytes, headers: dict[str, str]) -> int:
        if self.errors:
            self.posts.append((body, headers, 0))
            raise self.errors.pop(0)
        status = self.answers.pop(0) if self.answers else 200
        self.posts.append((body, headers, status))
        return status

    def delivered(self) -> list[dict[str, Any]]:
        """The events of the posts answered 200, in order."""
        return [event for body, _, status in self.posts if status == 200 for event in json.loads(body)]


def _sandbox(*, demo: bool = False) -> Sandbox:
    return Sandbox(KEY, db_path=":memory:", demo=demo, clock=Clock(frozen_at=T0))


async def _send(sandbox: Sandbox, *emails: str) -> list[str]:
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=SANDBOX_BASE_URL, auth=("u", KEY)) as http:
        answer = (await http.post("/v1/message/email", json={**EMAIL, "emails": list(emails)})).json()["results"]
    return [r["requestId"] for r in (answer if isinstance(answer, list) else [answer])]


# --- in process ------------------------------------------------------------------------------


async def test_with_history_the_demos_past_goes_out_oldest_first_in_batches_of_100() -> None:
    sandbox, inbox = _sandbox(demo=True), Inbox()
    sandbox.webhooks.attach(inbox, history=True)
    past = sandbox.activity()
    assert len(past) > 300
    assert await sandbox.webhooks.push_due() == len(past)
    sizes = [len(json.loads(body)) for body, _, _ in inbox.posts]
    assert sizes == [100] * (len(past) // 100) + [len(past) % 100]
    delivered = inbox.delivered()
    assert delivered == past
    assert [e["activityDateTime"] for e in delivered] == sorted(e["activityDateTime"] for e in delivered)
    bounces = [e for e in delivered if e["activityStatus"] == "UNDELIVERED"]
    assert any(e["hardBounce"] for e in bounces)
    assert all(e["hardBounce"] == ("bounce" in e.get("email", "")) for e in bounces)
    assert all("hardBounce" not in e for e in delivered if e["activityStatus"] != "UNDELIVERED")
    assert await sandbox.webhooks.push_due() == 0
    assert len(inbox.posts) == len(sizes)


async def test_without_history_only_what_happens_after_attaching_goes_out_when_due() -> None:
    sandbox, inbox = _sandbox(demo=True), Inbox()
    [before] = await _send(sandbox, "early@example.com")  # its events are dated after attaching
    sandbox.clock.advance(1)
    sandbox.webhooks.attach(inbox)
    assert await sandbox.webhooks.push_due() == 0
    [after] = await _send(sandbox, "late@example.com")
    sandbox.clock.advance(3.9)
    assert await sandbox.webhooks.push_due() == 0
    sandbox.clock.advance(0.1)
    assert await sandbox.webhooks.push_due() == 1
    sandbox.clock.advance(1)
    assert await sandbox.webhooks.push_due() == 1
    sandbox.clock.advance(60)
    sandbox.record_action(after, "CLICKED", link="https://shop.example/")
    assert await sandbox.webhooks.push_due() == 3
    trail = [(e["iid"], e["activityStatus"]) for e in inbox.delivered()]
    assert trail == [
        (before, "DELIVERED"),
        (after, "DELIVERED"),
        (before, "READ"),
        (after, "READ"),
        (after, "CLICKED"),
    ]
    assert [len(json.loads(body)) for body, _, _ in inbox.posts] == [1, 1, 3]


async def test_a_failed_batch_is_retried_unchanged_on_schedule_while_later_events_wait() -> None:
    sandbox, inbox = _sandbox(), Inbox(answers=[500, 404, 503, 302, 500, 0])
    sandbox.webhooks.attach(inbox)
    first_two = await _send(sandbox, "a@example.com", "b@example.com")
    sandbox.clock.advance(5)
    assert await sandbox.webhooks.push_due() == 0
    assert sandbox.webhooks.failures == 1
    first_body = inbox.posts[0][0]
    assert [e["iid"] for e in json.loads(first_body)] == first_two
    for delay in (60, 120, 240, 480, 3600):
        assert sandbox.webhooks.retry_at == sandbox.clock.now() + delay
        sandbox.clock.advance(delay - 1)  # the READ events come due meanwhile, and wait
        tries = len(inbox.posts)
        assert await sandbox.webhooks.push_due() == 0
        assert len(inbox.posts) == tries
        sandbox.clock.advance(1)
        assert await sandbox.webhooks.push_due() == 0
        assert len(inbox.posts) == tries + 1
        assert inbox.posts[-1][0] == first_body
    assert sandbox.webhooks.failures == 6
    sandbox.clock.advance(3600)
    assert await sandbox.webhooks.push_due() == 4
    assert [status for _, _, status in inbox.posts] == [500, 404, 503, 302, 500, 0, 200, 200]
    assert inbox.posts[-2][0] == first_body
    assert [e["activityStatus"] for e in json.loads(inbox.posts[-1][0])] == ["READ", "READ"]
    assert (sandbox.webhooks.failures, sandbox.webhooks.retry_at) == (0, None)


async def test_a_connection_error_counts_as_a_failed_delivery(caplog: pytest.LogCaptureFixture) -> None:
    sandbox, inbox = _sandbox(), Inbox(errors=[ConnectionRefusedError("refused")])
    sandbox.webhooks.attach(inbox)
    await _send(sandbox, "a@example.com")
    sandbox.clock.advance(5)
    with caplog.at_level(logging.WARNING, logger="esputnik_mcp.sandbox.webhooks"):
        assert await sandbox.webhooks.push_due() == 0
    assert "refused" in caplog.text
    assert sandbox.webhooks.retry_at == T0 + 5 + 60
    sandbox.clock.advance(60)
    assert await sandbox.webhooks.push_due() == 2  # the DELIVERED batch again, then the READ due meanwhile
    assert [json.loads(body)[0]["activityStatus"] for body, _, _ in inbox.posts] == ["DELIVERED"] * 2 + ["READ"]


async def test_basic_auth_and_custom_headers_go_with_every_post() -> None:
    sandbox, inbox = _sandbox(), Inbox()
    sandbox.webhooks.attach(inbox, basic_auth="hook:s3cret", headers={"X-Shop": "lumen", "X-Token": "t-1"})
    await _send(sandbox, "a@example.com")
    sandbox.clock.advance(60)
    assert await sandbox.webhooks.push_due() == 2
    [(_, headers, _)] = inbox.posts
    assert headers == {
        "Content-Type": JSON_TYPE,
        "Authorization": "Basic aG9vazpzM2NyZXQ=",
        "X-Shop": "lumen",
        "X-Token": "t-1",
    }


@pytest.mark.parametrize(
    ("options", "why"),
    [
        ({"headers": {f"X-H{n}": "v" for n in range(6)}}, "at most 5 custom headers"),
        ({"basic_auth": "no-colon"}, "user:password"),
        ({"headers": {"Content-Type": "text/plain"}}, "set by the webhook itself"),
        ({"headers": {"X Bad": "v"}}, "not a valid header name"),
        ({"headers": {"X-Ok": "one\r\ntwo"}}, "on one line"),
    ],
)
async def test_a_malformed_webhook_is_refused(options: dict[str, Any], why: str) -> None:
    with pytest.raises(ValueError, match=why):
        _sandbox().webhooks.attach(Inbox(), **options)


async def test_detached_or_reset_the_pusher_starts_over() -> None:
    sandbox, inbox = _sandbox(), Inbox(answers=[500])
    sandbox.webhooks.attach(inbox)
    await _send(sandbox, "a@example.com")
    sandbox.clock.advance(5)
    await sandbox.webhooks.push_due()
    assert sandbox.webhooks.failures == 1
    sandbox.reset()
    assert (sandbox.webhooks.failures, sandbox.webhooks.retry_at) == (0, None)
    assert await sandbox.webhooks.push_due() == 0  # the new database's past is not pushed
    sandbox.webhooks.detach()
    await _send(sandbox, "b@example.com")
    sandbox.clock.advance(5)
    assert (sandbox.webhooks.attached, await sandbox.webhooks.push_due()) == (False, 0)


async def test_run_pushes_until_cancelled() -> None:
    sandbox = _sandbox()
    arrived = anyio.Event()
    bodies: list[bytes] = []

    async def deliver(body: bytes, headers: dict[str, str]) -> int:
        bodies.append(body)
        arrived.set()
        return 200

    sandbox.webhooks.attach(deliver)
    await _send(sandbox, "a@example.com")
    sandbox.clock.advance(5)
    with anyio.fail_after(5):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(sandbox.webhooks.run, 0)
            await arrived.wait()
            tasks.cancel_scope.cancel()
    assert [e["activityStatus"] for e in json.loads(bodies[0])] == ["DELIVERED"]


# --- over HTTP -------------------------------------------------------------------------------


@dataclass
class Receiver:
    """A webhook endpoint served over loopback: records each request, answers GET with
    ``get_status`` and POST with 200."""

    get_status: int = 200
    requests: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    waiting: list[tuple[int, anyio.Event]] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.requests.append((scope["method"], headers, body))
        status = self.get_status if scope["method"] == "GET" else 200
        for wanted, event in self.waiting:
            if len(self.posts()) >= wanted:
                event.set()
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})

    def posts(self) -> list[list[dict[str, Any]]]:
        return [json.loads(body) for method, _, body in self.requests if method == "POST"]

    async def posted(self, count: int) -> None:
        """Wait until ``count`` POSTs have come."""
        if len(self.posts()) < count:
            event = anyio.Event()
            self.waiting.append((count, event))
            await event.wait()


def _listening() -> tuple[socket.socket, str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock, f"http://127.0.0.1:{sock.getsockname()[1]}"


@asynccontextmanager
async def serving(app: Any, sock: socket.socket, *, lifespan: str = "off") -> AsyncIterator[None]:
    server = uvicorn.Server(uvicorn.Config(app, lifespan=lifespan, log_level="warning"))
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(server.serve, [sock])
        try:
            yield
        finally:
            server.should_exit = True


async def test_posts_over_http_after_a_get_check_with_auth_and_headers(caplog: pytest.LogCaptureFixture) -> None:
    receiver = Receiver(get_status=404)
    sock, base = _listening()
    sandbox = _sandbox()
    delivery = sandbox.webhooks.attach_url(
        f"{base}/hooks/esputnik", basic_auth="hook:s3cret", headers={"X-Shop": "lumen"}
    )
    assert isinstance(delivery, HttpDelivery)
    [request_id] = await _send(sandbox, "a@example.com")
    sandbox.clock.advance(5)
    async with serving(receiver, sock):
        with caplog.at_level(logging.WARNING, logger="esputnik_mcp.sandbox.webhooks"):
            assert await sandbox.webhooks.push_due() == 1
        sandbox.clock.advance(55)
        assert await sandbox.webhooks.push_due() == 1
    assert [method for method, _, _ in receiver.requests] == ["GET", "POST", "POST"]
    assert "answered its check (GET) with 404" in caplog.text
    for method, headers, _ in receiver.requests:
        assert headers["authorization"] == "Basic aG9vazpzM2NyZXQ="
        assert headers["x-shop"] == "lumen"
        assert ("content-type" in headers) == (method == "POST")
    assert receiver.requests[1][1]["content-type"] == JSON_TYPE
    assert [[(e["iid"], e["activityStatus"]) for e in post] for post in receiver.posts()] == [
        [(request_id, "DELIVERED")],
        [(request_id, "READ")],
    ]


async def test_no_answer_over_http_is_retried() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        if len(calls) <= 2:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(200)

    sandbox = _sandbox()
    sandbox.webhooks.attach_url("http://hooks.example/in", transport=httpx.MockTransport(handler))
    await _send(sandbox, "a@example.com")
    sandbox.clock.advance(5)
    assert await sandbox.webhooks.push_due() == 0
    assert calls == ["GET", "POST"]
    assert sandbox.webhooks.retry_at == T0 + 65
    sandbox.clock.advance(60)
    assert await sandbox.webhooks.push_due() == 2
    assert calls == ["GET", "POST", "POST", "POST"]  # no second check


def _serve_with_receiver(receiver: Receiver, sock: socket.socket, posts: int) -> Any:
    """A ``serve`` for the command line: uvicorn with the app's lifespan on, until ``receiver`` has
    ``posts`` POSTs."""

    def serve(app: Any, **options: Any) -> None:
        async def scenario() -> None:
            app_sock, _ = _listening()
            async with serving(receiver, sock), serving(app, app_sock, lifespan="on"):
                with anyio.fail_after(20):
                    await receiver.posted(posts)

        anyio.run(scenario)

    return serve


@pytest.mark.parametrize("from_env", [False, True])
def test_the_command_line_serves_with_the_pusher_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], from_env: bool
) -> None:
    receiver = Receiver()
    sock, base = _listening()
    url = f"{base}/hook"
    argv = ["--db", str(tmp_path / "cli.sqlite3"), "--port", "0", "--webhook-history"]
    environ: dict[str, str] = {}
    if from_env:
        environ = {
            "ESPUTNIK_SANDBOX_WEBHOOK_URL": url,
            "ESPUTNIK_SANDBOX_WEBHOOK_BASIC_AUTH": "cli:pw",
            "ESPUTNIK_SANDBOX_WEBHOOK_HEADER": "X-One: 1\nX-Two: 2",
        }
    else:
        argv += ["--webhook-url", url, "--webhook-basic-auth", "cli:pw"]
        argv += ["--webhook-header", "X-One: 1", "--webhook-header", "X-Two: 2"]
    assert run(argv, serve=_serve_with_receiver(receiver, sock, posts=2), environ=environ) == 0
    assert f"Webhook: activity events are pushed to {url}" in capsys.readouterr().out
    assert receiver.requests[0][0] == "GET"
    [first, second, *_] = receiver.posts()
    assert len(first) == len(second) == 100  # the demo's past, as asked
    assert first[0]["activityDateTime"] <= first[-1]["activityDateTime"] <= second[0]["activityDateTime"]
    headers = receiver.requests[1][1]
    assert (headers["authorization"], headers["x-one"], headers["x-two"]) == ("Basic Y2xpOnB3", "1", "2")


@pytest.mark.parametrize(
    ("argv", "why"),
    [
        (["--webhook-basic-auth", "u:p"], "need a webhook URL"),
        (["--webhook-url", "ftp://hooks.example/"], "must start with http:// or https://"),
        (["--webhook-url", "http://hooks.example/", "--webhook-header", "no colon"], "'Name: value'"),
        (["--webhook-url", "http://hooks.example/", "--webhook-basic-auth", "nopass"], "user:password"),
    ],
)
def test_the_command_line_refuses_a_malformed_webhook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], why: str
) -> None:
    args = ["--db", str(tmp_path / "bad.sqlite3"), "--no-demo", *argv]
    assert run(args, serve=lambda *a, **k: pytest.fail("served"), environ={}) == 2
    assert why in capsys.readouterr().err
