"""Around sending: get_message_status, manage_unsubscribes."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from esputnik_mcp.toolkit.base import Result, ToolContext, ToolInput, ToolOutput, tool
from esputnik_mcp.toolkit.bulk import counted
from esputnik_mcp.toolkit.inbox import inbox_activity
from esputnik_mcp.toolkit.params import Email, RequestId
from esputnik_mcp.toolkit.views import View
from esputnik_mcp.toolspec import Kind, Toolset

# --- get_message_status --------------------------------------------------------------------------


class MessageStatusInput(ToolInput):
    request_ids: Annotated[list[RequestId], Field(min_length=1, max_length=1000)]


class StatusView(View):
    request_id: str
    status: str | None = Field(default=None, description="eSputnik's status, e.g. IN_QUEUE, DELIVERED, READ.")
    delivered: bool | None = None
    failed: bool | None = None
    activity: list[str] | None = Field(
        default=None, description="What eSputnik's webhook reported for it, oldest first, e.g. READ, CLICKED."
    )


class MessageStatusOutput(ToolOutput):
    truncatable: ClassVar[str | None] = "statuses"
    cut_advice: ClassVar[str] = "the counts cover every id; ask for fewer request_ids at a time."

    delivered: int
    failed: int
    pending: int
    not_found: list[str] = Field(description="Request ids eSputnik knows nothing of.")
    statuses: list[StatusView]


@tool(
    "get_message_status",
    title="Delivery status",
    toolset=Toolset.MESSAGING,
    kind=Kind.READ,
    description="""Delivery status of sends by the request_ids the send tools returned: delivered, failed,
    pending or not found, per id, with what the webhook inbox adds (read, clicked, bounced). One read
    per 100 ids.""",
    example={"request_ids": ["00000000-0000-0000-0000-000000000000"]},
)
async def get_message_status(params: MessageStatusInput, ctx: ToolContext) -> Result[MessageStatusOutput]:
    ids = list(dict.fromkeys(params.request_ids))
    found = {s.request_id: s for s in await ctx.client.messages.status(ids) if s.request_id}
    pushed = await inbox_activity(ctx, ids)
    statuses = [
        StatusView(
            request_id=i, status=s.status, delivered=s.delivered, failed=s.failed, activity=pushed.get(i) or None
        )
        for i in ids
        if (s := found.get(i)) is not None
    ]
    delivered = sum(1 for s in statuses if s.delivered)
    failed = sum(1 for s in statuses if s.failed and not s.delivered)
    out = MessageStatusOutput(
        delivered=delivered,
        failed=failed,
        pending=len(statuses) - delivered - failed,
        not_found=[i for i in ids if i not in found],
        statuses=statuses,
    )
    summary = (
        f"{counted(len(ids), 'request id')}: {out.delivered} delivered, {out.failed} failed, "
        f"{out.pending} pending, {len(out.not_found)} not found"
    )
    return Result(summary, out)


# --- manage_unsubscribes -------------------------------------------------------------------------


class ManageUnsubscribesInput(ToolInput):
    action: Literal["unsubscribe", "resubscribe"]
    emails: Annotated[list[Email], Field(min_length=1, max_length=1000)]

    def target(self) -> str:
        """What the call changes, for the audit log (the addresses are personal: counted, not named)."""
        return f"{self.action} {len(self.emails)} email addresses"


class UnsubscribesOutput(ToolOutput):
    action: str
    addresses: int = Field(description="Distinct addresses sent to eSputnik.")


@tool(
    "manage_unsubscribes",
    title="Unsubscribe or resubscribe emails",
    toolset=Toolset.MESSAGING,
    kind=Kind.WRITE,
    destructive=True,
    target=ManageUnsubscribesInput.target,
    description="""Put up to 1000 email addresses on the unsubscribed list (no more bulk email to them; other
    channels go on), or take them off it: resubscribe only people who asked for email again.""",
    example={"action": "unsubscribe", "emails": ["leaving@example.com"]},
)
async def manage_unsubscribes(params: ManageUnsubscribesInput, ctx: ToolContext) -> Result[UnsubscribesOutput]:
    firsts: dict[str, str] = {}
    for address in params.emails:
        firsts.setdefault(address.lower(), address)
    emails = list(firsts.values())
    addresses = counted(len(emails), "address", "addresses")
    if params.action == "unsubscribe":
        await ctx.client.unsubscribes.add(emails)
        summary = f"{addresses} unsubscribed from email; SMS, Viber and push go on"
    else:
        await ctx.client.unsubscribes.remove(emails)
        summary = f"{addresses} taken off the unsubscribed list; email to them resumes"
    return Result(summary, UnsubscribesOutput(action=params.action, addresses=len(emails)))
