"""A real headless browser for page tests: Debian's Chromium driven through its ChromeDriver over the
W3C WebDriver protocol (a few HTTP calls; no driver library needed). ``scripts/test`` installs both
where it can; without them the browser tests are skipped, saying what to install."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2 as httpx
import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
MISSING = "needs Chromium and ChromeDriver: apt-get install chromium chromium-driver (scripts/test does, as root)"
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C key of an element reference


def _gone(exc: AssertionError) -> bool:
    """Whether a WebDriver error says the element (or the whole page) was replaced by navigation."""
    return any(words in str(exc) for words in ("no such element", "stale element", "does not belong to the document"))


def skip_without_a_browser() -> None:
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip(MISSING)


class Browser:
    """One browser session: open a page, click, read what it shows."""

    def __init__(self, http: httpx.AsyncClient, session: str) -> None:
        self._http = http
        self._session = session

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        if body is None and method == "POST":
            body = {}
        response = await self._http.request(method, f"/session/{self._session}{path}", json=body)
        value = response.json().get("value")
        if response.status_code >= 400:
            raise AssertionError(f"WebDriver {method} {path}: {value}")
        return value

    async def open(self, url: str) -> None:
        await self._call("POST", "/url", {"url": url})

    async def click(self, css: str) -> None:
        """Click, then wait until the page the click left is gone (a button in a form navigates)."""
        page = await self._call("POST", "/element", {"using": "css selector", "value": "html"})
        element = await self._call("POST", "/element", {"using": "css selector", "value": css})
        await self._call("POST", f"/element/{element[ELEMENT]}/click")
        for _ in range(100):
            try:
                await self._call("GET", f"/element/{page[ELEMENT]}/name")
            except AssertionError as exc:
                if not _gone(exc):
                    raise
                return
            await anyio.sleep(0.05)
        raise AssertionError(f"the click on {css} left the page where it was")

    async def text(self) -> str:
        """The page's visible text, once it has one (a click's navigation may still be under way)."""
        for _ in range(50):
            try:
                body = await self._call("POST", "/element", {"using": "css selector", "value": "body"})
                return str(await self._call("GET", f"/element/{body[ELEMENT]}/text"))
            except AssertionError as exc:
                if not _gone(exc):
                    raise
                await anyio.sleep(0.05)
        raise AssertionError("the page never showed a body")

    async def frame_text(self) -> str:
        """The text of the page's first frame (the email, in its sandbox)."""
        frame = await self._call("POST", "/element", {"using": "css selector", "value": "iframe"})
        await self._call("POST", "/frame", {"id": frame})
        try:
            return await self.text()
        finally:
            await self._call("POST", "/frame/parent", {})


@asynccontextmanager
async def browser() -> AsyncIterator[Browser]:
    """A headless Chromium, with a profile of its own that is thrown away after."""
    skip_without_a_browser()
    assert CHROMEDRIVER is not None
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    driver = await anyio.open_process(
        [CHROMEDRIVER, f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    profile = Path(tempfile.mkdtemp(prefix="esputnik-browser-"))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            for _ in range(100):
                try:
                    await http.get("/status")
                    break
                except httpx.TransportError:
                    await anyio.sleep(0.05)
            options = {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    f"--user-data-dir={profile}",
                ],
            }
            capabilities = {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": options}}
            created = await http.post("/session", json={"capabilities": capabilities})
            session = created.json()["value"]["sessionId"]
            try:
                yield Browser(http, session)
            finally:
                await http.delete(f"/session/{session}")
    finally:
        driver.terminate()
        with anyio.move_on_after(10):
            await driver.wait()
        await driver.aclose()
        shutil.rmtree(profile, ignore_errors=True)
