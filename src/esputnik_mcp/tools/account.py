"""The account and this server: get_account_info, get_audit_log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, ClassVar, Literal

from pydantic import Field

from esputnik_mcp.toolkit.base import Result, ToolContext, ToolFailure, ToolInput, ToolOutput, both, tool
from esputnik_mcp.toolkit.params import DateTimeWithZone
from esputnik_mcp.toolkit.views import View
from esputnik_mcp.toolspec import Kind, Toolset


class AccountInfoInput(ToolInput):
    pass


class AccountInfoOutput(ToolOutput):
    organisation: str | None = None
    user_email: str | None = None
    balance: float | None = Field(default=None, description="Current balance, in the account currency.")
    credit_limit: float | None = Field(default=None, description="How far the balance may go below zero.")
    currency: str | None = None
    bonus_emails: int | None = Field(default=None, description="Prepaid emails left.")
    bonus_sms: int | None = Field(default=None, description="Prepaid SMS left.")


@tool(
    "get_account_info",
    title="Account and balance",
    toolset=Toolset.ACCOUNT,
    kind=Kind.READ,
    description="""The organisation, its balance, credit limit, currency and prepaid emails and SMS: to check
    the connection or before a large send. Two reads.""",
    example={},
)
async def get_account_info(params: AccountInfoInput, ctx: ToolContext) -> Result[AccountInfoOutput]:
    info, balance = await both(ctx.client.account.info(), ctx.client.account.balance())
    out = AccountInfoOutput(
        organisation=info.organisation_name,
        user_email=info.user_email,
        balance=balance.current_balance,
        credit_limit=balance.credit_limit,
        currency=balance.currency,
        bonus_emails=balance.bonus_emails,
        bonus_sms=balance.bonus_smses,
    )
    money = f"{out.balance:.2f} {out.currency}" if out.balance is not None else "unknown balance"
    return Result(f"{out.organisation or 'Organisation'}: balance {money}", out)


class AuditLogInput(ToolInput):
    limit: Annotated[int, Field(ge=1, le=100, description="Entries, newest first.")] = 20
    since: DateTimeWithZone | None = None
    tool: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    outcome: Literal["ok", "error", "ambiguous"] | None = Field(
        default=None, description="ambiguous: may have happened."
    )


class AuditEntry(View):
    time: str
    tool: str
    outcome: str
    target: str | None = None
    recipient_count: int
    recipients: list[str]
    request_ids: list[str]
    arguments_hash: str
    detail: str | None = None


class RefusalView(View):
    minute: str
    tool: str
    guard: str
    count: int


class AuditLogOutput(ToolOutput):
    truncatable: ClassVar[str | None] = "entries"
    cut_advice: ClassVar[str] = "ask for fewer (limit) or for a shorter period (since)."

    entries: list[AuditEntry]
    refused: list[RefusalView] = Field(default_factory=list, description="Refused calls, counted per minute.")


def _utc(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")


@tool(
    "get_audit_log",
    title="Audit log",
    toolset=Toolset.ACCOUNT,
    kind=Kind.READ,
    open_world=False,
    description="""Recent writes and sends through this server, newest first (tool, outcome, target, masked
    recipients, request ids), and refused calls counted per guard and minute. Local; no request to
    eSputnik.""",
    example={"limit": 5},
)
async def get_audit_log(params: AuditLogInput, ctx: ToolContext) -> Result[AuditLogOutput]:
    if ctx.state is None:
        raise ToolFailure("this server keeps no audit log")
    since = datetime.fromisoformat(params.since).timestamp() if params.since else None
    records = await ctx.state.audit(since=since, limit=params.limit, tool=params.tool, outcome=params.outcome)
    refusals = [] if params.outcome else await ctx.state.refusals(since=since, tool=params.tool)
    out = AuditLogOutput(
        entries=[
            AuditEntry(
                time=_utc(r.at),
                tool=r.tool,
                outcome=r.outcome,
                target=r.target,
                recipient_count=r.recipient_count,
                recipients=list(r.recipients),
                request_ids=list(r.request_ids),
                arguments_hash=r.arguments_hash,
                detail=r.detail,
            )
            for r in records
        ],
        refused=[
            RefusalView(minute=_utc(r.minute * 60), tool=r.tool, guard=r.guard, count=r.count)
            for r in refusals[: params.limit]
        ],
    )
    return Result(_audit_summary, out)


def _audit_summary(out: AuditLogOutput) -> str:
    refused = sum(r.count for r in out.refused)
    return f"{len(out.entries)} audit entries, newest first" + (f"; {refused} refused calls" if refused else "")
