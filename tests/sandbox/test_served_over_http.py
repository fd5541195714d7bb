"""The sandbox served by uvicorn on a loopback port, and its command line."""

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2 as httpx
import pytest
import uvicorn
from sandbox_support import KEY, T0

from esputnik_mcp.sandbox import Clock, Sandbox
from esputnik_mcp.sandbox.cli import run

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    """Serve ``app`` on a free loopback port for the duration; its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning"))
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(server.serve, [sock])
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True


async def test_basic_auth_requests_over_a_real_socket() -> None:
    sandbox = Sandbox(KEY, db_path=":memory:", clock=Clock(frozen_at=T0))
    async with serving(sandbox.app) as base, httpx.AsyncClient(base_url=base, timeout=10) as http:
        ok = await http.get("/api/v1/account/info", auth=("curl", KEY))
        assert ok.status_code == 200
        assert ok.json()["organisationName"] == "Lumen Home & Garden (sandbox)"
        refused = await http.get("/api/v1/account/info")
        assert refused.status_code == 401
        assert refused.headers["content-type"].startswith("text/plain")
        page = await http.get("/api/v1/contacts", params={"maxrows": 2}, auth=("curl", KEY))
        assert page.headers["TotalCount"] == "3000"
        assert len(page.json()) == 2
    assert [e.status for e in sandbox.journal.entries] == [200, 401, 200]


async def test_a_dropped_answer_over_http_never_arrives(tmp_path: Path) -> None:
    sandbox = Sandbox(KEY, db_path=":memory:", demo=False, admin=True, clock=Clock(frozen_at=T0))
    async with serving(sandbox.app) as base, httpx.AsyncClient(base_url=base, auth=("u", KEY)) as http:
        fault = {"route": "POST /v1/emails/unsubscribed/add", "drop": True}
        assert (await http.post("/_sandbox/faults", json=fault)).status_code == 200
        with pytest.raises(httpx.ReadTimeout):
            await http.post(
                "/api/v1/emails/unsubscribed/add", json={"emails": ["x@example.com"]}, timeout=0.3
            )
    [entry] = sandbox.journal.entries
    assert (entry.status, entry.dropped) == (200, True)
    assert sandbox.state.conn.execute("SELECT email FROM unsubscribed").fetchall()[0][0] == "x@example.com"


def test_the_command_line_prints_the_key_and_a_curl_example(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    served: dict[str, Any] = {}

    def fake_serve(app: Any, **options: Any) -> None:
        served.update(options, app=app)

    db = tmp_path / "cli.sqlite3"
    status = run(
        ["--db", str(db), "--port", "9911", "--key", "s3cret", "--admin", "--no-demo"], serve=fake_serve
    )
    assert status == 0
    assert (served["host"], served["port"]) == ("127.0.0.1", 9911)
    out = capsys.readouterr().out
    assert "API key: s3cret" in out
    assert "curl -u user:s3cret http://127.0.0.1:9911/api/v1/account/info" in out
    assert "/_sandbox/" in out
    assert db.exists()


def test_the_command_line_app_answers_with_its_key(tmp_path: Path) -> None:
    statuses: list[int] = []

    async def probe(app: Any) -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://local") as http:
            for path, key in (
                ("/api/v1/balance", "other"),
                ("/api/v1/balance", "sandbox"),
                ("/_sandbox/journal", "other"),
            ):
                statuses.append((await http.get(path, auth=("u", key))).status_code)

    argv = ["--db", str(tmp_path / "k.sqlite3"), "--key", "other", "--no-demo"]
    run(argv, serve=lambda app, **_: anyio.run(probe, app))
    assert statuses == [200, 401, 404]


def test_the_command_line_refuses_an_empty_key(tmp_path: Path) -> None:
    assert run(["--db", str(tmp_path / "e.sqlite3"), "--key", ""], serve=lambda *a, **k: None) == 2
