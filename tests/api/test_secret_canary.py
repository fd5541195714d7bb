"""A unique fake API key never appears in a log record, an exception message or a repr, across the
whole fault table — nor does its Basic-auth form — even when eSputnik echoes it back."""

from __future__ import annotations

import base64
import logging
import uuid

import httpx2 as httpx
import pytest

from esputnik_mcp.api import ESputnikError
from tests.api.test_faults_and_retries import FAULTS, OPERATIONS
from tests.fakes import Upstream, make_client, respond


def _echoing(code: int) -> object:
    """An upstream error that quotes the request's Authorization header and the key back."""

    def answer(request: httpx.Request) -> httpx.Response:
        auth = request.headers["Authorization"]
        key = base64.b64decode(auth.split()[1]).decode().split(":", 1)[1]
        return httpx.Response(code, text=f"bad credentials {auth} key={key}")

    return answer


@pytest.mark.anyio
async def test_api_key_never_leaks(caplog: pytest.LogCaptureFixture) -> None:
    canary = f"canary-{uuid.uuid4().hex}"
    basic = base64.b64encode(f"esputnik-mcp:{canary}".encode()).decode()
    seen: list[str] = []
    caplog.set_level(logging.DEBUG)
    responder_sets = [f.responders for f in FAULTS] + [(_echoing(400),), (_echoing(401),), (_echoing(500),)]
    for responders in responder_sets:
        for operation in OPERATIONS.values():
            upstream = Upstream(*responders)  # type: ignore[arg-type]
            client = make_client(upstream, api_key=canary, max_response_bytes=4096)
            seen.append(repr(client))
            seen.append(repr(client.http))
            try:
                result = await operation(client)
                seen.append(repr(result))
            except ESputnikError as exc:
                seen.extend([str(exc), repr(exc), exc.body, repr(exc.__cause__), repr(exc.__context__)])
            finally:
                await client.aclose()
    seen.extend(record.getMessage() for record in caplog.records)
    seen.extend(str(record.args) for record in caplog.records)
    assert caplog.records, "the client logs its attempts"
    text = "\n".join(seen)
    assert canary not in text
    assert basic not in text
    assert "***" in text  # the echoed key was scrubbed, not dropped silently


def test_settings_never_print_the_key() -> None:
    from esputnik_mcp.settings import Settings

    canary = f"canary-{uuid.uuid4().hex}"
    settings = Settings(api_key=canary)
    assert canary not in repr(settings)
    assert canary not in str(settings.model_dump())
    assert settings.api_key is not None
    assert settings.api_key.get_secret_value() == canary


def test_an_echoing_error_is_still_mapped_by_status() -> None:
    # guards the canary test's own fixture: the echo really carries the key
    request = httpx.Request(
        "GET",
        "https://x/api/v1/balance",
        headers={"Authorization": "Basic " + base64.b64encode(b"u:k").decode()},
    )
    response = _echoing(400)(request)  # type: ignore[operator]
    assert "key=k" in response.text
    assert respond(200)(request).status_code == 200
