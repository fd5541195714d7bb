"""Settings that would put a secret at risk are refused before anything starts."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from esputnik_mcp.settings import Settings


@pytest.mark.parametrize("url", ["http://esputnik.com/api", "http://10.0.0.5:8080/api", "http://esputnik.local/api"])
def test_a_plain_http_base_url_that_would_send_the_key_in_clear_is_refused(url: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, base_url=url)
    assert "https://" in str(caught.value)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8808/api", "http://localhost:8808/api", "http://[::1]:8808/api"])
def test_plain_http_is_allowed_to_a_loopback_sandbox(url: str) -> None:
    assert Settings(_env_file=None, base_url=url).base_url == url


def test_a_short_request_state_key_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, request_state_key="too-short")
    shown = str(caught.value.errors(include_url=False, include_input=False))  # as the CLI prints them
    assert "at least 32 characters" in shown
    assert "too-short" not in shown
