"""What the account spent: get_billing_history."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from typing import ClassVar

from pydantic import Field, model_validator

from esputnik_mcp.api.account import BillingWindow, ChannelCosts, billing_windows
from esputnik_mcp.api.limits import BILLING_WINDOW_DAYS
from esputnik_mcp.toolkit.base import Result, ToolContext, ToolInput, ToolOutput, tool
from esputnik_mcp.toolkit.bulk import counted
from esputnik_mcp.toolkit.views import View
from esputnik_mcp.toolspec import Kind, Toolset

MAX_DAYS = 731  # one call: 9 requests of at most 90 days


class BillingInput(ToolInput):
    date_from: date
    date_to: date | None = Field(default=None, description="Default: today (UTC).")
    daily: bool = Field(default=False, description="Add each day's sends and spend.")

    @model_validator(mode="after")
    def _period(self) -> BillingInput:
        end = self.end
        if end < self.date_from:
            raise ValueError("date_to is before date_from")
        if (end - self.date_from).days + 1 > MAX_DAYS:
            raise ValueError(f"at most {MAX_DAYS} days in one call: ask for a shorter period")
        return self

    @property
    def end(self) -> date:
        return self.date_to or datetime.now(UTC).date()


@dataclass
class _Sums:
    """Running sums of one kind of charge each."""

    sent: int = 0
    parts: int = 0
    funds_withdrawn: float = 0.0
    funds_refunded: float = 0.0
    reserved_withdrawn: float = 0.0
    reserved_refunded: float = 0.0
    bonus_spent: int = 0
    bonus_received: int = 0

    def add(self, costs: ChannelCosts) -> None:
        self.sent += costs.total_sent or 0
        self.parts += costs.total_parts or 0
        self.funds_withdrawn += costs.funds_withdrawal or 0.0
        self.funds_refunded += costs.funds_refund or 0.0
        self.reserved_withdrawn += costs.reserved_funds_withdrawal or 0.0
        self.reserved_refunded += costs.reserved_funds_refund or 0.0
        self.bonus_spent += costs.bonus_spent or 0
        self.bonus_received += costs.bonus_received or 0

    @property
    def net_spent(self) -> float:
        net = self.funds_withdrawn - self.funds_refunded + self.reserved_withdrawn - self.reserved_refunded
        return round(net, 2)

    def view(self, channel: str | None = None) -> Charges:
        """The sums, money rounded to cents; kinds of charge that stayed at zero are left out."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        shown = {k: (round(v, 2) if isinstance(v, float) else v) or None for k, v in values.items()}
        return Charges(channel=channel, **{**shown, "sent": self.sent}, net_spent=self.net_spent)


class Charges(View):
    """Sums per kind of charge, in the account currency (money) or in messages; zeros left out."""

    channel: str | None = None
    sent: int
    parts: int | None = Field(default=None, description="SMS parts; messages elsewhere.")
    funds_withdrawn: float | None = None
    funds_refunded: float | None = None
    reserved_withdrawn: float | None = Field(default=None, description="Viber senders' reserved funds.")
    reserved_refunded: float | None = None
    bonus_spent: int | None = Field(default=None, description="Prepaid messages used.")
    bonus_received: int | None = None
    net_spent: float = Field(description="Withdrawn less refunded, funds and reserved.")


class DayView(View):
    date: str
    sent: int
    net_spent: float


class BillingOutput(ToolOutput):
    truncatable: ClassVar[str | None] = "days"
    cut_advice: ClassVar[str] = "the totals cover the whole period; ask for a shorter one to see every day."

    currency: str | None = None
    date_from: str
    date_to: str
    total: Charges
    channels: list[Charges]
    days: list[DayView] | None = None


@tool(
    "get_billing_history",
    title="Billing history",
    toolset=Toolset.ACCOUNT,
    kind=Kind.READ,
    description=f"""What the account sent and spent from date_from to date_to: totals per kind of charge (funds,
    refunds, Viber reserved funds, prepaid messages), overall and per channel. One read per
    {BILLING_WINDOW_DAYS} days.""",
    example={"date_from": "2025-05-01", "date_to": "2025-06-14"},
)
async def get_billing_history(params: BillingInput, ctx: ToolContext) -> Result[BillingOutput]:
    windows = len(billing_windows(params.date_from, params.end))

    async def on_done(done: int, total: int) -> None:
        await ctx.progress(done, total, f"request {done} of {total} done")

    found = await ctx.client.account.billing_history_split(params.date_from, params.end, on_done=on_done)
    out = _charges(params, found)
    money = f"{out.total.net_spent:.2f} {out.currency or ''}".strip()
    summary = (
        f"{out.date_from} to {out.date_to} ({counted(windows, 'request')}): {counted(out.total.sent, 'message')} "
        f"sent, {money} spent net, {out.total.bonus_spent} prepaid messages used"
    )
    return Result(summary, out)


def _charges(params: BillingInput, found: list[BillingWindow]) -> BillingOutput:
    total = _Sums()
    channels: dict[str, _Sums] = defaultdict(_Sums)
    days: dict[str, _Sums] = defaultdict(_Sums)
    currency = next((w.history.currency for w in found if w.history.currency), None)
    for window in found:
        for day in window.history.daily_costs:
            for costs in day.channel_details:
                channels[costs.media_type or "unknown"].add(costs)
                total.add(costs)
                days[(day.date or "")[:10]].add(costs)
    out = BillingOutput(
        currency=currency,
        date_from=params.date_from.isoformat(),
        date_to=params.end.isoformat(),
        total=total.view(),
        channels=[sums.view(name) for name, sums in sorted(channels.items(), key=lambda item: -item[1].sent)],
    )
    if params.daily:
        out.days = [DayView(date=day, sent=sums.sent, net_spent=sums.net_spent) for day, sums in sorted(days.items())]
    return out
