"""A send to a segment is as many sends as the segment has members: ESPUTNIK_MAX_BROADCAST_AUDIENCE
counts them (the per-call recipient cap is for recipients named one by one), the allowlist cannot
vouch for them, the ledger remembers the segment, and only a person approves it, seeing the segment
and its size: never a token alone, never unasked. (Broadcasts and segment SMS build on this.)"""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client
from mcp_types import ElicitResult
from pydantic import Field

from esputnik_mcp.safety.guards import check_recipients
from esputnik_mcp.safety.ledger import Ledger, RecipientOutcome
from esputnik_mcp.sandbox import Sandbox
from esputnik_mcp.server.app import build_server
from esputnik_mcp.store import SQLiteStore
from esputnik_mcp.toolkit.base import Result, SendInput, ToolContext, tool
from esputnik_mcp.toolkit.sending import RecipientResult, SendOutput
from esputnik_mcp.toolspec import Audience, Kind, SegmentAudience, SendPlan, Toolset
from tests.safety.conftest import FakeClock, server_with, text_of

VIP = 2002


def segment_plan(*segments: SegmentAudience, recipients: tuple[str, ...] = ()) -> SendPlan:
    audience = Audience(recipients=recipients, segments=segments)
    return SendPlan(channel="sms", audience=audience, content="Sale!", content_key="h:sale")


def test_the_audience_cap_counts_a_segments_members() -> None:
    big = segment_plan(SegmentAudience(VIP, "VIP customers", members=150))
    refusal = check_recipients(big, max_recipients=100_000, allowed=[], max_audience=100)
    assert refusal is not None
    assert refusal.guard == "max_broadcast_audience"
    assert "up to 150 people" in refusal.message
    assert "segment VIP customers (2002, 150 members)" in refusal.message
    assert check_recipients(big, max_recipients=5, allowed=[], max_audience=1000) is None, "not the per-call cap"
    small = segment_plan(SegmentAudience(VIP, members=80), recipients=("+380501112233",))
    assert small.audience.size == 81
    assert check_recipients(small, max_recipients=100, allowed=[], max_audience=100) is None
    assert check_recipients(small, max_recipients=100, allowed=[], max_audience=80) is not None


def test_the_recipient_cap_counts_recipients_named_one_by_one() -> None:
    named = SendPlan(
        channel="sms", audience=Audience(recipients=("+3805011122", "+3805011123")), content="x", content_key="k"
    )
    refusal = check_recipients(named, max_recipients=1, allowed=[], max_audience=1_000_000)
    assert refusal is not None
    assert refusal.guard == "max_recipients"


def test_a_segment_of_unknown_size_is_refused() -> None:
    refusal = check_recipients(segment_plan(SegmentAudience(VIP)), max_recipients=100_000, allowed=[])
    assert refusal is not None
    assert "size of segment (2002, member count unknown) is unknown" in refusal.message


def test_the_allowlist_cannot_vouch_for_a_segment() -> None:
    plan = segment_plan(SegmentAudience(VIP, members=3))
    refusal = check_recipients(plan, max_recipients=100, allowed=["*@example.com"])
    assert refusal is not None
    assert refusal.guard == "allowed_recipients"
    assert "cannot be checked" in refusal.message


@pytest.mark.anyio
async def test_the_ledger_remembers_the_segment() -> None:
    store = SQLiteStore(":memory:")
    await store.open()
    ledger = Ledger(store, stale_after=60, clock=lambda: 1_700_000_000.0)
    plan = segment_plan(SegmentAudience(VIP, members=3))
    reservation, refusal = await ledger.reserve("send_sms", plan, allow_duplicate=False)
    assert refusal is None
    await ledger.settle(reservation, plan, [RecipientOutcome("segment:2002", "sent", "r-1")])
    refusal = await ledger.check(plan, allow_duplicate=False)
    assert refusal is not None
    assert refusal.guard == "duplicate"
    assert await ledger.check(segment_plan(SegmentAudience(2003, members=3)), allow_duplicate=False) is None
    await store.close()


def test_excluded_segments_are_shown_and_not_subtracted() -> None:
    audience = Audience(segments=(SegmentAudience(VIP, "VIP", 10),), excluded=(SegmentAudience(2005, "Staff", 4),))
    assert audience.size == 10  # an upper bound: members of both are not known one by one
    assert audience.describe() == "segment VIP (2002, 10 members) except segment Staff (2005, 4 members)"


# --- through a real client: a send tool whose audience is a segment ------------------------------


class SegmentSendInput(SendInput):
    segment_id: int = Field(ge=1)


async def plan_segment_send(params: SegmentSendInput, ctx: ToolContext) -> SendPlan:
    page = await ctx.client.segments.contacts(params.segment_id, max_rows=1)
    groups = [g async for g in ctx.client.segments.iter_all()]
    name = next((g.name for g in groups if g.id == params.segment_id), None)
    return segment_plan(SegmentAudience(params.segment_id, name, page.total))


@tool(
    "send_segment_test",
    title="Send to a segment",
    toolset=Toolset.MESSAGING,
    kind=Kind.SEND,
    plan_send=plan_segment_send,
    description="A send to every member of a segment.",
    example={"segment_id": VIP},
)
async def send_segment_test(params: SegmentSendInput, ctx: ToolContext) -> Result[SendOutput]:
    row = RecipientResult(recipient=f"segment:{params.segment_id}", request_id="r-seg", status="queued")
    out = SendOutput(channel="sms", total=1, queued=1, failed=0, unknown=0, request_ids=["r-seg"], results=[row])
    return Result("sent to the segment", out)


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["token", "auto", "off"])
async def test_a_segment_send_is_approved_by_a_person_who_sees_the_segment_and_its_size(
    sandbox: Sandbox, clock: FakeClock, mode: str
) -> None:
    forms: list[str] = []

    async def person(context: Any, params: Any) -> ElicitResult:
        forms.append(params.message)
        return ElicitResult(action="accept", content={"confirm": True})

    async with (
        server_with(sandbox, clock, send_confirmation=mode) as server,
        Client(build_server(server.runtime, tools=[send_segment_test]), elicitation_callback=person) as client,
    ):
        sent = await client.call_tool("send_segment_test", {"segment_id": VIP})
        assert not sent.is_error, text_of(sent)
        members = (await server.runtime.client.segments.contacts(VIP, max_rows=1)).total
        assert members is not None
        assert members > 1
        [asked] = forms
        assert f"segment VIP customers (2002, {members} members)" in asked
        again = await client.call_tool("send_segment_test", {"segment_id": VIP})
        assert again.is_error
        assert "the same sms (Sale!) went to segment:2002 within the last 24 h" in text_of(again)


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["token", "auto", "off"])
async def test_a_segment_send_is_never_approved_by_a_token_alone(sandbox: Sandbox, clock: FakeClock, mode: str) -> None:
    async with (
        server_with(sandbox, clock, send_confirmation=mode) as server,
        Client(build_server(server.runtime, tools=[send_segment_test])) as client,
    ):
        refused = await client.call_tool("send_segment_test", {"segment_id": VIP})
    assert refused.is_error
    assert "only a person may approve that" in text_of(refused)
    assert "confirmation_required" not in (refused.structured_content or {}), "no token offered"


@pytest.mark.anyio
async def test_a_segment_larger_than_the_cap_is_refused_before_anyone_is_asked(
    sandbox: Sandbox, clock: FakeClock
) -> None:
    async with (
        server_with(sandbox, clock, send_confirmation="token", max_broadcast_audience=5) as server,
        Client(build_server(server.runtime, tools=[send_segment_test])) as client,
    ):
        refused = await client.call_tool("send_segment_test", {"segment_id": VIP})
    assert refused.is_error
    assert "ESPUTNIK_MAX_BROADCAST_AUDIENCE" in text_of(refused)
    assert "confirmation_required" not in (refused.structured_content or {})
