"""Account, balance and billing history (esputnik-api.md §3)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta

from pydantic import Field

from esputnik_mcp.api._parse import parse
from esputnik_mcp.api.errors import RequestValidationError
from esputnik_mcp.api.http import Endpoint, HttpCore
from esputnik_mcp.api.limits import BILLING_WINDOW_DAYS
from esputnik_mcp.api.models import AccountInfo, Balance, OneOrMany, WireModel
from esputnik_mcp.api.retry import Safety

ACCOUNT_INFO = Endpoint("GET", "/v1/account/info", Safety.READ, "getAccountInfo")
BALANCE = Endpoint("GET", "/v1/balance", Safety.READ, "getUserOrganisationBalance")
# dateFrom and dateTo are dates (YYYY-MM-DD); a period over 90 days is answered 419 (SPEC
# getOrganisationBalanceHistory). Whether the 90 days count both ends is not said: a window here
# spans at most 90 calendar days counting both, which holds under either reading.
BILLING_HISTORY = Endpoint("GET", "/v1/balance/history", Safety.READ, "getOrganisationBalanceHistory")


class ChannelCosts(WireModel):
    """SPEC ChannelCosts: one channel's sends and charges on one day. ``total_parts`` counts SMS parts
    (equal to ``total_sent`` elsewhere); the reserved funds concern Viber only."""

    media_type: str | None = None
    total_sent: int | None = None
    total_parts: int | None = None
    bonus_spent: int | None = None
    bonus_received: int | None = None
    funds_withdrawal: float | None = None
    funds_refund: float | None = None
    reserved_funds_withdrawal: float | None = None
    reserved_funds_refund: float | None = None


class BillingDay(WireModel):
    """SPEC BillingHistoryDay."""

    date: str | None = None
    channel_details: OneOrMany[ChannelCosts] = Field(default_factory=list)


class BillingHistory(WireModel):
    """SPEC BillingHistory."""

    currency: str | None = None
    daily_costs: OneOrMany[BillingDay] = Field(default_factory=list)


@dataclass(frozen=True)
class BillingWindow:
    """The billing history of one request's window (both ends included)."""

    date_from: date
    date_to: date
    history: BillingHistory


def billing_windows(date_from: date, date_to: date) -> list[tuple[date, date]]:
    """``date_from`` to ``date_to`` cut into consecutive windows of at most
    :data:`BILLING_WINDOW_DAYS` days (both ends counted), oldest first."""
    start, end = _day(date_from), _day(date_to)
    if end < start:
        raise RequestValidationError(f"dateTo ({end}) is before dateFrom ({start})")
    windows = []
    while start <= end:
        last = min(end, start + timedelta(days=BILLING_WINDOW_DAYS - 1))
        windows.append((start, last))
        start = last + timedelta(days=1)
    return windows


def _day(value: date) -> date:
    return date(value.year, value.month, value.day)


class AccountApi:
    def __init__(self, http: HttpCore) -> None:
        self._http = http

    async def info(self) -> AccountInfo:
        """The account's user email and organisation name; also the documented credentials check."""
        response = await self._http.call(ACCOUNT_INFO)
        return AccountInfo.model_validate(response.data or {})

    async def balance(self) -> Balance:
        """Balance, credit limit, currency and prepaid email/SMS counts."""
        response = await self._http.call(BALANCE)
        return Balance.model_validate(response.data or {})

    async def billing_history(self, date_from: date, date_to: date) -> BillingHistory:
        """Charges per day and channel from ``date_from`` to ``date_to`` (both included, at most
        :data:`BILLING_WINDOW_DAYS` days)."""
        windows = billing_windows(date_from, date_to)
        if len(windows) > 1:
            days = (_day(date_to) - _day(date_from)).days + 1
            raise RequestValidationError(
                f"the period spans {days} days; eSputnik answers at most {BILLING_WINDOW_DAYS} per request "
                "(419 above): split it (billing_history_split)"
            )
        start, end = windows[0]
        params = {"dateFrom": start.isoformat(), "dateTo": end.isoformat()}
        response = await self._http.call(BILLING_HISTORY, params=params)
        return parse(BillingHistory, response.data, BILLING_HISTORY)

    async def billing_history_split(
        self,
        date_from: date,
        date_to: date,
        *,
        on_done: Callable[[int, int], Awaitable[None]] | None = None,
    ) -> list[BillingWindow]:
        """The billing history of any period, one request per window of at most
        :data:`BILLING_WINDOW_DAYS` days, oldest first; ``on_done(done, total)`` after each."""
        windows = billing_windows(date_from, date_to)
        found = []
        for index, (start, end) in enumerate(windows):
            found.append(BillingWindow(start, end, await self.billing_history(start, end)))
            if on_done is not None:
                await on_done(index + 1, len(windows))
        return found
