"""``both`` awaits two calls at once and fails as a plain await would."""

from __future__ import annotations

import anyio
import pytest

from esputnik_mcp.api import NotFoundError
from esputnik_mcp.toolkit.base import both

pytestmark = pytest.mark.anyio


async def value(result: int, delay: float = 0.0) -> int:
    await anyio.sleep(delay)
    return result


async def missing() -> int:
    raise NotFoundError(status=404, method="GET", path="/v1/contact/5")


async def test_both_returns_both_results_in_order() -> None:
    assert await both(value(1, 0.01), value(2)) == (1, 2)


@pytest.mark.parametrize("failing_first", [True, False])
async def test_an_api_error_in_either_call_is_raised_as_itself(failing_first: bool) -> None:
    calls = (missing(), value(2, 0.01)) if failing_first else (value(1, 0.01), missing())
    with pytest.raises(NotFoundError) as raised:
        await both(*calls)
    assert raised.value.path == "/v1/contact/5"
