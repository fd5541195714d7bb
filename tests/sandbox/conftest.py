from collections.abc import AsyncIterator

import httpx2 as httpx
import pytest
from sandbox_support import KEY, T0

from esputnik_mcp.api import ESputnikClient, RetryPolicy
from esputnik_mcp.sandbox import SANDBOX_BASE_URL, Clock, Sandbox


@pytest.fixture
def sandbox() -> Sandbox:
    """A sandbox with the demo account."""
    return Sandbox(KEY, db_path=":memory:", clock=Clock(frozen_at=T0))


@pytest.fixture
def bare() -> Sandbox:
    """A sandbox with an empty account (no contacts, segments, templates or custom fields)."""
    return Sandbox(KEY, db_path=":memory:", demo=False, clock=Clock(frozen_at=T0))


@pytest.fixture
async def http(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    """A plain HTTP client into the demo sandbox, authenticated."""
    async with httpx.AsyncClient(
        transport=sandbox.transport(), base_url=SANDBOX_BASE_URL, auth=("anyone", KEY)
    ) as client:
        yield client


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[ESputnikClient]:
    """The project's API client on the demo sandbox, without retries."""
    async with ESputnikClient(
        KEY,
        base_url=SANDBOX_BASE_URL,
        transport=sandbox.transport(),
        retry_policy=RetryPolicy(max_retries=0),
    ) as api:
        yield api
