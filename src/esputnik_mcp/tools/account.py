"""Account tools: get_account_info."""

from __future__ import annotations

from pydantic import Field

from esputnik_mcp.tools.base import Kind, Result, ToolContext, ToolInput, ToolOutput, Toolset, ToolSpec, both


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


TOOLS = [
    ToolSpec(
        name="get_account_info",
        title="Account and balance",
        description=(
            "Get the eSputnik organisation, its balance, credit limit, currency and prepaid email and SMS "
            "counts. Use it to check the connection or before a large send. Two cheap reads."
        ),
        toolset=Toolset.ACCOUNT,
        kind=Kind.READ,
        params=AccountInfoInput,
        output=AccountInfoOutput,
        handler=get_account_info,
    ),
]
