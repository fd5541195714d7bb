"""Segment tools: list segments, page through a segment's contacts, attach and detach contacts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from esputnik_mcp.api import BadRequestError, ChunkOutcome, NotFoundError
from esputnik_mcp.tools.base import (
    Kind,
    Result,
    ToolContext,
    ToolFailure,
    ToolInput,
    ToolOutput,
    Toolset,
    ToolSpec,
)
from esputnik_mcp.tools.cursor import decode_cursor, encode_cursor
from esputnik_mcp.tools.failures import describe_api_error
from esputnik_mcp.tools.params import (
    ContactId,
    Cursor,
    ExternalCustomerId,
    Limit,
    ResponseFormat,
    SegmentId,
    exactly_one,
)
from esputnik_mcp.tools.views import (
    ContactsPage,
    ContactView,
    NextCursor,
    SegmentView,
    Total,
    View,
    field_names,
)

# --- list_segments -----------------------------------------------------------------------------


class ListSegmentsInput(ToolInput):
    name: str | None = Field(
        default=None, min_length=1, max_length=255, description="Only segments whose name contains this."
    )
    limit: Limit = 20
    cursor: Cursor | None = None


class SegmentsPage(ToolOutput):
    truncatable: ClassVar[str | None] = "segments"

    segments: list[SegmentView]
    total: Total = None
    next_cursor: NextCursor = None


async def list_segments(params: ListSegmentsInput, ctx: ToolContext) -> Result[SegmentsPage]:
    query = {"name": params.name}
    start = decode_cursor(params.cursor, query)
    page = await ctx.client.segments.search(name=params.name, start_index=start, max_rows=params.limit)
    out = SegmentsPage(
        segments=[SegmentView.of(g) for g in page.items],
        total=page.total,
        next_cursor=encode_cursor(page.next_start_index, query),
    )
    out.resume_with(lambda i: encode_cursor(start + i, query))
    of_total = f" of {page.total}" if page.total is not None else ""
    named = f" named like {params.name!r}" if params.name else ""
    return Result(f"{len(out.segments)}{of_total} segments{named}", out)


# --- get_segment_contacts ----------------------------------------------------------------------


class SegmentContactsInput(ToolInput):
    segment_id: SegmentId
    limit: Limit = 20
    cursor: Cursor | None = None
    response_format: ResponseFormat = "concise"


async def get_segment_contacts(params: SegmentContactsInput, ctx: ToolContext) -> Result[ContactsPage]:
    query = {"segment_id": params.segment_id}
    start = decode_cursor(params.cursor, query)
    try:
        page = await ctx.client.segments.contacts(params.segment_id, start_index=start, max_rows=params.limit)
    except NotFoundError:
        raise ToolFailure(f"segment {params.segment_id} not found (see list_segments)") from None
    names = await field_names(ctx) if params.response_format == "detailed" else None
    out = ContactsPage(
        contacts=[ContactView.of(c, params.response_format, names) for c in page.items],
        total=page.total,
        next_cursor=encode_cursor(page.next_start_index, query),
    )
    out.resume_with(lambda i: encode_cursor(start + i, query))
    of_total = f" of {page.total}" if page.total is not None else ""
    return Result(f"segment {params.segment_id}: {len(out.contacts)}{of_total} contacts", out)


# --- update_segment_membership -----------------------------------------------------------------

MEMBERS_MAX = 100_000  # a bound on one call: 200 requests of 500


class MembershipInput(ToolInput):
    segment_id: SegmentId
    action: Literal["attach", "detach"] = Field(
        description="attach: add the contacts to the segment; detach: take them out of it."
    )
    contact_ids: list[ContactId] | None = Field(
        default=None, min_length=1, max_length=MEMBERS_MAX, description="The contacts, by eSputnik id."
    )
    external_customer_ids: list[ExternalCustomerId] | None = Field(
        default=None,
        min_length=1,
        max_length=MEMBERS_MAX,
        description="The contacts, by your own customer id.",
    )

    @model_validator(mode="before")
    @classmethod
    def _refuse_empty_detach(cls, data: object) -> object:
        # A detach without ids removes EVERY contact from the segment upstream (SPEC
        # detachContactsFromGroup): refuse it before anything else is checked.
        if isinstance(data, dict) and data.get("action") == "detach":
            given = [data.get("contact_ids"), data.get("external_customer_ids")]
            if not any(given):
                raise ValueError(
                    "detach needs contact_ids or external_customer_ids: a detach without contacts would "
                    "remove every contact from the segment, so it is refused"
                )
        return data

    @model_validator(mode="after")
    def _one_kind(self) -> MembershipInput:
        exactly_one({"contact_ids": self.contact_ids, "external_customer_ids": self.external_customer_ids})
        return self

    def members(self) -> list[int] | list[str]:
        """The ids given, without repeats, in their order."""
        if self.contact_ids is not None:
            return list(dict.fromkeys(self.contact_ids))
        return list(dict.fromkeys(self.external_customer_ids or ()))


class MembershipChunk(View):
    index: int
    size: int
    ok: bool
    error: str | None = None


class MembershipOutput(ToolOutput):
    segment_id: int
    action: Literal["attach", "detach"]
    requested: int = Field(description="Distinct contacts given.")
    succeeded: int = Field(description="Contacts in requests eSputnik accepted.")
    failed: int = Field(description="Contacts in requests that failed (see chunks).")
    chunks: list[MembershipChunk] = Field(description="One request of up to 500 contacts each.")


async def update_segment_membership(params: MembershipInput, ctx: ToolContext) -> Result[MembershipOutput]:
    members = params.members()
    api = ctx.client.segments
    run = api.attach_chunked if params.action == "attach" else api.detach_chunked
    outcomes = await run(params.segment_id, members)
    chunks = [_chunk_view(o) for o in outcomes]
    failed = sum(c.size for c in chunks if not c.ok)
    if failed == len(members):
        raise ToolFailure(_all_failed(params, outcomes))
    out = MembershipOutput(
        segment_id=params.segment_id,
        action=params.action,
        requested=len(members),
        succeeded=len(members) - failed,
        failed=failed,
        chunks=chunks,
    )
    verb = "attached to" if params.action == "attach" else "detached from"
    summary = f"{out.succeeded} of {out.requested} contacts {verb} segment {params.segment_id}"
    if failed:
        summary += f"; {failed} failed (see chunks)"
    return Result(summary, out, is_error=failed > 0)


def _chunk_view(outcome: ChunkOutcome[int | str, str]) -> MembershipChunk:
    error = describe_api_error(outcome.error) if outcome.error is not None else None
    return MembershipChunk(index=outcome.index, size=len(outcome.items), ok=outcome.error is None, error=error)


def _all_failed(params: MembershipInput, outcomes: Sequence[ChunkOutcome[int | str, str]]) -> str:
    error = next(o.error for o in outcomes if o.error is not None)
    segment = f"segment {params.segment_id}"
    if isinstance(error, NotFoundError):
        return f"{segment} not found (see list_segments); no contact was {params.action}ed"
    hint = ""
    if isinstance(error, BadRequestError):
        hint = (
            " Only static segments take members; a dynamic segment's members follow its conditions "
            "(list_segments shows the type)."
        )
    return f"eSputnik refused to {params.action} contacts for {segment}: {describe_api_error(error)}.{hint}"


TOOLS = [
    ToolSpec(
        name="list_segments",
        title="List segments",
        description=(
            "List segments (groups) with their id, name and type (Static, Dynamic or Combined), "
            "optionally those whose name contains name. One page with total and next_cursor; one read."
        ),
        toolset=Toolset.SEGMENTS,
        kind=Kind.READ,
        params=ListSegmentsInput,
        output=SegmentsPage,
        handler=list_segments,
    ),
    ToolSpec(
        name="get_segment_contacts",
        title="Segment contacts",
        description=(
            "List the contacts in a segment (static or dynamic), one page at a time with total and "
            "next_cursor. One read per page."
        ),
        toolset=Toolset.SEGMENTS,
        kind=Kind.READ,
        params=SegmentContactsInput,
        output=ContactsPage,
        handler=get_segment_contacts,
    ),
    ToolSpec(
        name="update_segment_membership",
        title="Attach or detach segment contacts",
        description=(
            "Add contacts to a static segment or take them out, by contact ids or external customer ids "
            "(one kind per call, any number: one request per 500). Detach removes membership only; "
            "dynamic segments cannot be changed."
        ),
        toolset=Toolset.SEGMENTS,
        kind=Kind.WRITE,
        params=MembershipInput,
        output=MembershipOutput,
        handler=update_segment_membership,
        destructive=True,
        idempotent=True,
    ),
]
