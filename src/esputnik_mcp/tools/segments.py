"""Segments: list_segments, get_segment_contacts, update_segment_membership."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from esputnik_mcp.api import BadRequestError, ChunkOutcome, NotFoundError
from esputnik_mcp.api.limits import SEGMENT_IDS_PER_REQUEST
from esputnik_mcp.toolkit.base import Result, ToolContext, ToolFailure, ToolInput, ToolOutput, tool
from esputnik_mcp.toolkit.bulk import RequestView, chunk_progress, counted, request_view
from esputnik_mcp.toolkit.cursor import decode_cursor, encode_cursor
from esputnik_mcp.toolkit.failures import describe_api_error
from esputnik_mcp.toolkit.params import (
    ContactId,
    Cursor,
    ExternalCustomerId,
    Limit,
    ResponseFormat,
    SegmentId,
    exactly_one,
)
from esputnik_mcp.toolkit.views import (
    ContactsPage,
    ContactView,
    NextCursor,
    SegmentView,
    Total,
    field_names,
    page_summary,
)
from esputnik_mcp.toolspec import Kind, Toolset

# --- list_segments -----------------------------------------------------------------------------


class ListSegmentsInput(ToolInput):
    name: str | None = Field(default=None, min_length=1, max_length=255, description="Part of the name.")
    limit: Limit = 20
    cursor: Cursor | None = None


class SegmentsPage(ToolOutput):
    truncatable: ClassVar[str | None] = "segments"

    segments: list[SegmentView]
    total: Total = None
    next_cursor: NextCursor = None


@tool(
    "list_segments",
    title="List segments",
    toolset=Toolset.SEGMENTS,
    kind=Kind.READ,
    description="Segments (groups) with id, name and type (Static, Dynamic, Combined), optionally by part of "
    "the name. One read per page. eSputnik's API cannot create segments: they are made in its UI.",
    example={"limit": 5},
)
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
    named = f" named like {params.name!r}" if params.name else ""
    return Result(lambda o: page_summary(len(o.segments), o.total, "segments") + named, out)


# --- get_segment_contacts ----------------------------------------------------------------------


class SegmentContactsInput(ToolInput):
    segment_id: SegmentId
    limit: Limit = 20
    cursor: Cursor | None = None
    response_format: ResponseFormat = "concise"


@tool(
    "get_segment_contacts",
    title="Segment contacts",
    toolset=Toolset.SEGMENTS,
    kind=Kind.READ,
    description="The contacts in a static or dynamic segment, a page at a time. One read per page.",
    example={"segment_id": 2002, "limit": 5},
)
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
    return Result(lambda o: f"segment {params.segment_id}: " + page_summary(len(o.contacts), o.total, "contacts"), out)


# --- update_segment_membership -----------------------------------------------------------------

MEMBERS_MAX = 100_000  # a bound on one call: 200 requests of 500


class MembershipInput(ToolInput):
    segment_id: SegmentId
    action: Literal["attach", "detach"] = Field(description="attach: add them; detach: take them out.")
    contact_ids: list[ContactId] | None = Field(default=None, min_length=1, max_length=MEMBERS_MAX)
    external_customer_ids: list[ExternalCustomerId] | None = Field(default=None, min_length=1, max_length=MEMBERS_MAX)

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

    def target(self) -> str:
        """What the call changes, for the audit log."""
        members = self.members()
        shown = ", ".join(map(str, members[:20])) + (" …" if len(members) > 20 else "")
        return f"{self.action} {len(members)} contacts, segment {self.segment_id}: {shown}"

    def members(self) -> list[int] | list[str]:
        """The ids given, without repeats, in their order."""
        if self.contact_ids is not None:
            return list(dict.fromkeys(self.contact_ids))
        return list(dict.fromkeys(self.external_customer_ids or ()))


class MembershipOutput(ToolOutput):
    segment_id: int
    action: Literal["attach", "detach"]
    requested: int = Field(description="Distinct contacts given.")
    accepted: int = Field(description="In requests eSputnik accepted; it does not confirm each id.")
    failed: int
    requests: list[RequestView]


@tool(
    "update_segment_membership",
    title="Attach or detach segment contacts",
    toolset=Toolset.SEGMENTS,
    kind=Kind.WRITE,
    destructive=True,
    target=MembershipInput.target,
    description=f"""Add contacts to a static segment or take them out, by contact_ids or
    external_customer_ids ({SEGMENT_IDS_PER_REQUEST} per request). Dynamic segments follow their conditions
    and cannot be changed.""",
    example={"segment_id": 2005, "action": "attach", "contact_ids": [100002]},
)
async def update_segment_membership(params: MembershipInput, ctx: ToolContext) -> Result[MembershipOutput]:
    members = params.members()
    api = ctx.client.segments
    run = api.attach_chunked if params.action == "attach" else api.detach_chunked
    outcomes = await run(params.segment_id, members, on_done=chunk_progress(ctx.progress, len(members)))
    requests = [request_view(o) for o in outcomes]
    failed = sum(r.failed for r in requests)
    if failed == len(members):
        raise ToolFailure(_all_failed(params, outcomes))
    out = MembershipOutput(
        segment_id=params.segment_id,
        action=params.action,
        requested=len(members),
        accepted=len(members) - failed,
        failed=failed,
        requests=requests,
    )
    verb = "attach" if params.action == "attach" else "detach"
    summary = (
        f"eSputnik accepted the {verb} of {out.accepted} of {counted(out.requested, 'contact')} for segment "
        f"{params.segment_id}; it does not confirm each id (unknown ids are skipped silently): "
        "get_segment_contacts shows the members"
    )
    if failed:
        summary += f". {failed} failed (see requests)"
    return Result(summary, out, is_error=failed > 0)


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
