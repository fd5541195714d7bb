"""get_billing_history through the official client: periods split into windows of at most 90 days
(eSputnik answers 419 above), and totals per kind of charge, overall and per channel."""

from __future__ import annotations

from datetime import date
from typing import Any

import anyio
import pytest
from mcp import Client

from esputnik_mcp.api.account import billing_windows
from esputnik_mcp.api.models import EmailInput
from esputnik_mcp.sandbox import DEMO_EMAIL_SENDER, Fault, Sandbox
from tests.tools.conftest import call, error_text
from tests.tools.support import data, requests, text

pytestmark = pytest.mark.anyio

HISTORY = "GET /v1/balance/history"


async def test_a_long_period_is_read_in_windows_of_90_days_with_progress(mcp_both: Client, sandbox: Sandbox) -> None:
    updates: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append((progress, total, message))

    arguments = {"date_from": "2024-12-17", "date_to": "2025-06-14"}
    result = await mcp_both.call_tool("get_billing_history", arguments, progress_callback=on_progress)
    assert not result.is_error, text(result)
    assert [r.query for r in requests(sandbox, HISTORY)] == [
        {"dateFrom": "2024-12-17", "dateTo": "2025-03-16"},
        {"dateFrom": "2025-03-17", "dateTo": "2025-06-14"},
    ]
    assert all(r.status == 200 for r in requests(sandbox, HISTORY))
    for _ in range(100):  # notifications travel apart from the result
        if len(updates) == 2:
            break
        await anyio.sleep(0.01)
    assert [u[:2] for u in updates] == [(1, 2), (2, 2)]
    assert text(result).startswith("[sandbox] 2024-12-17 to 2025-06-14 (2 requests): ")


async def test_totals_per_kind_of_charge_add_up_over_every_window(mcp: Client, sandbox: Sandbox) -> None:
    result = await call(mcp, "get_billing_history", {"date_from": "2024-12-17", "date_to": "2025-06-14", "daily": True})
    out = data(result)
    expected: dict[str, dict[str, float]] = {}
    async with _api(sandbox) as api:
        for start, end in billing_windows(date(2024, 12, 17), date(2025, 6, 14)):
            for day in (await api.account.billing_history(start, end)).daily_costs:
                for c in day.channel_details:
                    sums = expected.setdefault(c.media_type or "", {})
                    for name, value in (
                        ("sent", c.total_sent),
                        ("funds_withdrawn", c.funds_withdrawal),
                        ("funds_refunded", c.funds_refund),
                        ("reserved_withdrawn", c.reserved_funds_withdrawal),
                        ("bonus_spent", c.bonus_spent),
                        ("bonus_received", c.bonus_received),
                    ):
                        sums[name] = sums.get(name, 0) + (value or 0)
    channels = {c["channel"]: c for c in out["channels"]}
    assert set(channels) == {"email", "sms", "viber"} == set(expected)
    for name, sums in expected.items():
        for kind, value in sums.items():
            assert channels[name].get(kind, 0) == pytest.approx(value, abs=0.005), (name, kind)
    assert "reserved_withdrawn" in channels["viber"]
    assert "reserved_withdrawn" not in channels["email"]  # a kind of charge at zero is left out
    total = out["total"]
    assert total["sent"] == sum(c["sent"] for c in out["channels"]) == sum(d["sent"] for d in out["days"])
    assert total["net_spent"] == pytest.approx(
        total["funds_withdrawn"]
        - total.get("funds_refunded", 0)
        + total["reserved_withdrawn"]
        - total.get("reserved_refunded", 0),
        abs=0.005,
    )
    assert out["currency"] == "UAH"
    assert [d["date"] for d in out["days"]] == sorted(d["date"] for d in out["days"])


async def test_what_the_sandbox_sent_today_is_billed_today(mcp: Client, sandbox: Sandbox) -> None:
    email = EmailInput(
        from_=DEMO_EMAIL_SENDER, subject="Spring sale", html_text="<p>Hello</p>", emails=["olena@example.com"]
    )
    async with _api(sandbox) as api:
        [sent] = await api.messages.send_email(email)
    assert sent.ok
    today = await call(mcp, "get_billing_history", {"date_from": "2025-06-15", "date_to": "2025-06-15"})
    [email] = data(today)["channels"]
    assert (email["channel"], email["sent"], email["bonus_spent"]) == ("email", 1, 1)


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        ({"date_from": "2025-06-14", "date_to": "2025-06-01"}, "date_to is before date_from"),
        ({"date_from": "2020-01-01", "date_to": "2025-06-01"}, "at most 731 days"),
        ({"date_from": "2025-06-14T10:00:00"}, "date"),
    ],
)
async def test_periods_that_cannot_be_read_are_refused_first(
    mcp: Client, sandbox: Sandbox, arguments: dict[str, Any], reason: str
) -> None:
    assert reason in error_text(await mcp.call_tool("get_billing_history", arguments))
    assert requests(sandbox, HISTORY) == []


async def test_eSputniks_419_is_reported(mcp: Client, sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault(route=HISTORY, status=419, body="Request period must be not greater than 90 days"))
    result = await mcp.call_tool("get_billing_history", {"date_from": "2025-05-01", "date_to": "2025-06-14"})
    assert "419" in error_text(result)
    assert "Request period must be not greater than 90 days" in error_text(result)


def _api(sandbox: Sandbox) -> Any:
    from esputnik_mcp.api import ESputnikClient
    from esputnik_mcp.sandbox import SANDBOX_BASE_URL

    return ESputnikClient("sandbox", base_url=SANDBOX_BASE_URL, transport=sandbox.transport())
