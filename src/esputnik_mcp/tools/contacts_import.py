"""Many contacts at once: bulk_upsert_contacts, and get_import_status for its imports."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Annotated, ClassVar

import anyio
from pydantic import BeforeValidator, Field, model_validator

from esputnik_mcp.api import ChunkOutcome, ESputnikError, NotFoundError
from esputnik_mcp.api.errors import truncate
from esputnik_mcp.api.limits import CONTACTS_PER_BULK
from esputnik_mcp.api.models import BulkOptions, BulkUpdateResult, ChannelType, DedupeOn, ImportStatus
from esputnik_mcp.toolkit.base import Result, ToolContext, ToolFailure, ToolInput, ToolOutput, tool
from esputnik_mcp.toolkit.bulk import RequestView, counted, request_view
from esputnik_mcp.toolkit.contact import ContactFields, check_custom_fields, contact_labels
from esputnik_mcp.toolkit.failures import describe_api_error
from esputnik_mcp.toolkit.params import CustomFieldId, EventTypeKey, ImportSessionId, SegmentName
from esputnik_mcp.toolkit.views import View
from esputnik_mcp.toolspec import Audience, Kind, SendPlan, Toolset

BULK_MAX_CONTACTS = 100_000  # a bound on one call; 34 requests of 3000
WAIT_SECONDS = 50  # the longest a call waits for imports; MCP clients commonly time out at 60 s
_UPSTREAM_CHARS = 300  # of eSputnik's text per failed contact or import remark
_RUNNING = ("SENT", "STARTED", "IMPORTING")


class Dedupe(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"
    EMAIL_OR_SMS = "email_or_sms"
    PUSH = "push"
    EXTERNAL_CUSTOMER_ID = "external_customer_id"
    FIELD_ID = "field_id"


_DEDUPE_WIRE = {
    Dedupe.EMAIL: DedupeOn.EMAIL,
    Dedupe.SMS: DedupeOn.SMS,
    Dedupe.EMAIL_OR_SMS: DedupeOn.EMAIL_OR_SMS,
    Dedupe.PUSH: DedupeOn.PUSH,
    Dedupe.EXTERNAL_CUSTOMER_ID: DedupeOn.EXTERNAL_CUSTOMER_ID,
    Dedupe.FIELD_ID: DedupeOn.FIELD_ID,
}
# eSputnik's own spelling is accepted too.
_DEDUPE_ALIASES = {"externalCustomerId": "external_customer_id", "fieldId": "field_id", "phone": "sms"}


# The channel types each dedupe_on matches on.
_MATCHED_BY = {
    Dedupe.EMAIL: frozenset({ChannelType.EMAIL}),
    Dedupe.SMS: frozenset({ChannelType.SMS}),
    Dedupe.EMAIL_OR_SMS: frozenset({ChannelType.EMAIL, ChannelType.SMS}),
    Dedupe.PUSH: frozenset({ChannelType.MOBILEPUSH}),
}


def _dedupe_alias(value: object) -> object:
    return _DEDUPE_ALIASES.get(value, value) if isinstance(value, str) else value


def _has_key(contact: ContactFields, dedupe_on: Dedupe, field_id: int | None) -> bool:
    """Whether ``contact`` carries what ``dedupe_on`` matches on (an external id always does)."""
    if contact.external_customer_id is not None:
        return True
    if dedupe_on is Dedupe.FIELD_ID:
        return field_id in (contact.fields or {})
    wanted = _MATCHED_BY.get(dedupe_on, frozenset())
    return (
        (contact.email is not None and ChannelType.EMAIL in wanted)
        or (contact.phone is not None and ChannelType.SMS in wanted)
        or any(c.type in wanted for c in contact.channels or ())
    )


class BulkUpsertInput(ToolInput):
    contacts: list[ContactFields] = Field(
        min_length=1,
        max_length=BULK_MAX_CONTACTS,
        description="With upsert_contact's fields but segments; fields left out are kept.",
    )
    dedupe_on: Annotated[Dedupe, BeforeValidator(_dedupe_alias)] = Field(
        default=Dedupe.EMAIL,
        description="What matches existing contacts (email_or_sms: phone first); external_customer_id always does.",
    )
    field_id: CustomFieldId | None = Field(default=None, description="With dedupe_on=field_id: the field.")
    segments: list[SegmentName] | None = Field(
        default=None, max_length=20, description="Static segments to add all to; missing ones are created."
    )
    remove_from_segments: list[SegmentName] | None = Field(
        default=None, max_length=20, description="Static segments to take all out of."
    )
    restore_deleted: bool = Field(default=False, description="Restore deleted contacts.")
    event_key_for_new_contacts: EventTypeKey | None = Field(
        default=None, description="An event raised for each new contact (a welcome workflow)."
    )
    wait: bool = False
    wait_seconds: int = Field(default=WAIT_SECONDS, ge=1, le=WAIT_SECONDS)

    @model_validator(mode="after")
    def _matchable(self) -> BulkUpsertInput:
        if self.dedupe_on is Dedupe.FIELD_ID and self.field_id is None:
            raise ValueError("dedupe_on=field_id needs field_id: the custom field to match on")
        if self.dedupe_on is not Dedupe.FIELD_ID and self.field_id is not None:
            raise ValueError("field_id is only used with dedupe_on=field_id")
        unmatched = [i for i, c in enumerate(self.contacts) if not _has_key(c, self.dedupe_on, self.field_id)]
        if unmatched:
            shown = ", ".join(str(i) for i in unmatched[:10]) + (", …" if len(unmatched) > 10 else "")
            raise ValueError(
                f"{len(unmatched)} contact(s) lack the value dedupe_on={self.dedupe_on.value} matches on "
                f"(and an external_customer_id): contacts[{shown}]"
            )
        return self

    def options(self) -> BulkOptions:
        return BulkOptions(
            dedupe_on=_DEDUPE_WIRE[self.dedupe_on],
            field_id=self.field_id,
            group_names=list(self.segments) if self.segments else None,
            group_names_exclude=list(self.remove_from_segments) if self.remove_from_segments else None,
            restore_deleted=self.restore_deleted or None,
            event_key_for_new_contacts=self.event_key_for_new_contacts,
        )


class ImportView(RequestView):
    """A request of a bulk upsert, and the import eSputnik runs for it."""

    session_id: str | None = Field(default=None, description="For get_import_status.")
    status: str | None = Field(default=None, description="SENT (not followed), STARTED, IMPORTING, FINISHED, ERROR.")
    imported: int | None = Field(default=None, description="Contacts created or updated, once finished.")


class FailedContactView(View):
    index: int | None = Field(default=None, description="Position in contacts.")
    email: str | None = None
    phone: str | None = None
    external_customer_id: str | None = None
    error: str | None = None


class BulkUpsertOutput(ToolOutput):
    truncatable: ClassVar[str | None] = "failed_contacts"
    cut_advice: ClassVar[str] = "the counts cover every contact; send fewer per call to see every failure."

    total: int
    accepted: int = Field(description="Contacts eSputnik queued for import.")
    failed: int = Field(description="Refused at once, or in a request that failed.")
    still_running: int | None = Field(default=None, description="Imports not finished when the wait ended.")
    requests: list[ImportView]
    failed_contacts: list[FailedContactView] = Field(default_factory=list)


def _failed_views(chunk: ChunkOutcome[ContactFields, BulkUpdateResult]) -> list[FailedContactView]:
    """The contacts eSputnik refused in one request, located in the call by their channel values or
    external id (eSputnik names a refused contact only by its data)."""
    if chunk.result is None or not chunk.result.failed_contacts:
        return []
    where: dict[tuple[str, str], int] = {}
    for position, contact in zip(chunk.positions, chunk.items, strict=True):
        for channel in contact.wire_channels():
            where.setdefault((channel.type.value, channel.value.casefold()), position)
        if contact.external_customer_id:
            where.setdefault(("external", contact.external_customer_id), position)
    views = []
    for failed in chunk.result.failed_contacts if chunk.result else []:
        emails, phones = failed.channel_values("email"), failed.channel_values("sms")
        keys = [("external", failed.external_customer_id or "")]
        keys += [("email", e.casefold()) for e in emails] + [("sms", p.casefold()) for p in phones]
        views.append(
            FailedContactView(
                index=next((where[k] for k in keys if k in where), None),
                email=emails[0] if emails else None,
                phone=phones[0] if phones else None,
                external_customer_id=failed.external_customer_id,
                error=truncate(failed.error, _UPSTREAM_CHARS) if failed.error else None,
            )
        )
    return views


def _request_view(chunk: ChunkOutcome[ContactFields, BulkUpdateResult], refused: int) -> ImportView:
    result = chunk.result
    if result is not None and result.async_session_id is None:
        # Nothing was queued: every contact of the request was left out.
        view = ImportView(**request_view(chunk, failed=len(chunk.items)).model_dump())
        view.error = (
            f"eSputnik said: {truncate(result.error_message, _UPSTREAM_CHARS)}"
            if result.error_message
            else ("eSputnik queued no import for this request")
        )
        return view
    view = ImportView(**request_view(chunk, failed=refused).model_dump())
    if result is not None:
        view.session_id, view.status = result.async_session_id, "SENT"
        if result.error_message:
            view.error = f"eSputnik said: {truncate(result.error_message, _UPSTREAM_CHARS)}"
    return view


async def plan_import(params: BulkUpsertInput, ctx: ToolContext) -> SendPlan | None:
    """With an event for new contacts, an import reaches each new contact through that event's
    workflow: the allowlist holds for every contact given."""
    if params.event_key_for_new_contacts is None:
        return None
    return SendPlan(
        channel="event",
        audience=Audience(recipients=contact_labels(*params.contacts)),
        content=f"event {params.event_key_for_new_contacts} for new contacts",
        content_key=f"import:{params.event_key_for_new_contacts}",
        indirect=True,
        ledger=False,
    )


def _import_target(params: BulkUpsertInput) -> str:
    parts = [f"upsert {len(params.contacts)} contacts matched on {params.dedupe_on.value}"]
    if params.segments:
        parts.append(f"add to segments {', '.join(params.segments)}")
    if params.remove_from_segments:
        parts.append(f"remove from segments {', '.join(params.remove_from_segments)}")
    if params.restore_deleted:
        parts.append("restore deleted")
    if params.event_key_for_new_contacts:
        parts.append(f"event {params.event_key_for_new_contacts} for new contacts")
    return "; ".join(parts)


@tool(
    "bulk_upsert_contacts",
    title="Add or update many contacts",
    toolset=Toolset.CONTACTS,
    kind=Kind.WRITE,
    plan_send=plan_import,
    target=_import_target,
    description=f"""Create or update up to {BULK_MAX_CONTACTS} contacts, into or out of segments by name;
    eSputnik imports them in the background, {CONTACTS_PER_BULK} per request: wait=true follows the imports
    (≤ {WAIT_SECONDS} s), else get_import_status.""",
    example={"contacts": [{"email": "bulk.one@example.com"}], "dedupe_on": "email"},
)
async def bulk_upsert_contacts(params: BulkUpsertInput, ctx: ToolContext) -> Result[BulkUpsertOutput]:
    """Every contact is checked before the first request leaves (the arguments as a whole, then the
    custom field ids), so no request goes out that a later refusal would have stopped; only the
    grouping and encoding of the contacts overlap with the requests in flight (see
    :meth:`esputnik_mcp.api.contacts.ContactsApi.bulk_upsert`). The check costs a few microseconds a
    contact (addresses go through the fast paths of :mod:`esputnik_mcp.toolkit.addresses`)."""
    started = anyio.current_time()
    await check_custom_fields(ctx, params.contacts)
    total = len(params.contacts)
    units = total * (2 if params.wait else 1)
    delivered = 0

    async def on_done(chunk: ChunkOutcome[ContactFields, BulkUpdateResult]) -> None:
        nonlocal delivered
        delivered += len(chunk.items)
        await ctx.progress(delivered, units, f"{delivered}/{total} contacts sent ({len(chunk.items)} in one request)")

    chunks = await ctx.client.contacts.bulk_upsert(params.contacts, params.options(), on_done=on_done)
    if all(c.error is not None for c in chunks):
        error = next(c.error for c in chunks if c.error is not None)
        raise ToolFailure(
            f"none of the {total} contacts were sent ({counted(len(chunks), 'request')} failed): "
            + describe_api_error(error)
        )
    failed_contacts = [view for chunk in chunks for view in _failed_views(chunk)]
    requests = [_request_view(c, refused=len(c.result.failed_contacts) if c.result else 0) for c in chunks]
    out = BulkUpsertOutput(
        total=total,
        accepted=sum(r.accepted for r in requests),
        failed=sum(r.failed for r in requests),
        requests=requests,
        failed_contacts=failed_contacts,
    )
    if params.wait:
        left = params.wait_seconds - (anyio.current_time() - started)
        await _follow(ctx, requests, left, sizes={c.index: len(c.items) for c in chunks}, done=total, units=units)
        out.still_running = sum(1 for r in requests if r.session_id is not None and r.status in _RUNNING)
    went_wrong = any(r.error and not r.accepted for r in requests) or any(r.status == "ERROR" for r in requests)
    return Result(_bulk_summary(out, params.wait), out, is_error=went_wrong)


async def _follow(
    ctx: ToolContext, requests: Sequence[ImportView], within: float, *, sizes: dict[int, int], done: int, units: int
) -> None:
    """Follow each request's import for at most ``within`` seconds, updating its report and
    reporting progress."""
    by_session = {r.session_id: r for r in requests if r.session_id is not None}
    finished = done

    async def on_status(session_id: str, status: ImportStatus) -> None:
        nonlocal finished
        view = by_session[session_id]
        _apply_status(view, status)
        if status.finished:
            finished += sizes[view.index]
            await ctx.progress(finished, units, f"import {view.index} {view.status}")

    latest = await ctx.client.contacts.follow_imports(list(by_session), within=within, on_status=on_status)
    for session_id, found in latest.items():
        if isinstance(found, ESputnikError):
            view = by_session[session_id]
            view.status, view.error = "UNKNOWN", f"could not read the import status: {describe_api_error(found)}"


def _apply_status(view: ImportView, status: ImportStatus) -> None:
    view.status = (status.status or "UNKNOWN").upper()
    if status.description and view.status == "ERROR":
        view.error = f"eSputnik said: {truncate(status.description, _UPSTREAM_CHARS)}"
    if status.finished:
        view.imported = len(status.mapping)


def _bulk_summary(out: BulkUpsertOutput, waited: bool) -> str:
    text = f"{out.accepted} of {counted(out.total, 'contact')} accepted in {counted(len(out.requests), 'request')}"
    if out.failed:
        text += f"; {out.failed} NOT accepted (see failed_contacts and requests[].error)"
    if waited:
        counts: dict[str, int] = {}
        for request in out.requests:
            if request.session_id is not None and request.status:
                counts[request.status] = counts.get(request.status, 0) + 1
        text += "; imports: " + ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        if out.still_running:
            text += " (still running: check later with get_import_status)"
    else:
        text += "; imports run in the background: follow them with get_import_status"
    return text


# --- get_import_status -------------------------------------------------------------------------


class ImportStatusInput(ToolInput):
    session_id: ImportSessionId


class MappingView(View):
    dedupe_value: str | None = Field(default=None, description="The value the contact was matched on.")
    contact_id: int | None = None


class ImportStatusOutput(ToolOutput):
    truncatable: ClassVar[str | None] = "contacts"
    cut_advice: ClassVar[str] = "the count covers every contact; the list is cut."

    session_id: str
    status: str | None = Field(default=None, description="STARTED, IMPORTING, FINISHED or ERROR.")
    finished: bool
    timestamp: str | None = None
    description: str | None = None
    imported: int | None = Field(default=None, description="Contacts created or updated.")
    contacts: list[MappingView] = Field(default_factory=list)


def _status_summary(out: ImportStatusOutput) -> str:
    summary = f"import {out.session_id}: {out.status or 'status unknown'}"
    if out.imported is not None:
        summary += f", {out.imported} contacts created or updated ({len(out.contacts)} listed)"
    if not out.finished:
        summary += "; still running, check again shortly"
    return summary


@tool(
    "get_import_status",
    title="Bulk import status",
    toolset=Toolset.CONTACTS,
    kind=Kind.READ,
    description="""Status of a bulk_upsert_contacts import by session_id (STARTED, IMPORTING, FINISHED,
    ERROR) and, once finished, the contacts created or updated. One read.""",
    example={"session_id": "no-such-session"},
)
async def get_import_status(params: ImportStatusInput, ctx: ToolContext) -> Result[ImportStatusOutput]:
    try:
        status = await ctx.client.contacts.import_status(params.session_id)
    except NotFoundError:
        raise ToolFailure(f"no import session {params.session_id}") from None
    out = ImportStatusOutput(
        session_id=params.session_id,
        status=status.status,
        finished=status.finished,
        timestamp=status.timestamp,
        description=truncate(status.description, 1000) if status.description else None,
        imported=len(status.mapping) if status.finished else None,
        contacts=[MappingView(dedupe_value=m.dedupe_value, contact_id=m.contact_id) for m in status.mapping],
    )
    return Result(_status_summary, out)
