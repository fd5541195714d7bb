"""Contact tools: search, get, upsert (one or in bulk), delete, subscribe, import status, custom fields."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Annotated, ClassVar

import anyio
from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from esputnik_mcp.api import ESputnikError, NotFoundError
from esputnik_mcp.api.contacts import check_event_key
from esputnik_mcp.api.errors import RequestValidationError, truncate
from esputnik_mcp.api.models import (
    AddressInput,
    BulkOptions,
    BulkUpdateResult,
    ChannelInput,
    ChannelType,
    Contact,
    ContactFieldInput,
    ContactInput,
    DedupeOn,
    FailedContact,
    Group,
    ImportStatus,
)
from esputnik_mcp.api.paging import ChunkOutcome
from esputnik_mcp.tools.base import (
    ConfirmableInput,
    Kind,
    Result,
    ToolContext,
    ToolFailure,
    ToolInput,
    ToolOutput,
    Toolset,
    ToolSpec,
    both,
)
from esputnik_mcp.tools.cursor import decode_cursor, encode_cursor
from esputnik_mcp.tools.failures import describe_api_error
from esputnik_mcp.tools.params import (
    AddressParam,
    ChannelParam,
    ContactFirstName,
    ContactId,
    ContactLastName,
    Cursor,
    CustomFieldId,
    CustomFieldValues,
    Email,
    EventTypeKey,
    ExternalCustomerId,
    FirstName,
    ImportSessionId,
    LanguageCode,
    LastName,
    Limit,
    Phone,
    ResponseFormat,
    SegmentName,
    TimeZone,
    exactly_one,
)
from esputnik_mcp.tools.views import ContactsPage, ContactView, SegmentView, View, field_names

# --- search_contacts ---------------------------------------------------------------------------


class SearchContactsInput(ToolInput):
    email: Email | None = None
    phone: Phone | None = None
    external_customer_id: ExternalCustomerId | None = None
    first_name: FirstName | None = None
    last_name: LastName | None = None
    limit: Limit = 20
    cursor: Cursor | None = None
    response_format: ResponseFormat = "concise"


async def search_contacts(params: SearchContactsInput, ctx: ToolContext) -> Result[ContactsPage]:
    query = params.model_dump(include={"email", "phone", "external_customer_id", "first_name", "last_name"})
    start = decode_cursor(params.cursor, query)
    page = await ctx.client.contacts.search(**query, start_index=start, max_rows=params.limit)
    names = await field_names(ctx) if params.response_format == "detailed" else None
    out = ContactsPage(
        contacts=[ContactView.of(c, params.response_format, names) for c in page.items],
        total=page.total,
        next_cursor=encode_cursor(page.next_start_index, query),
    )
    out.resume_with(lambda i: encode_cursor(start + i, query))
    filters = ", ".join(f"{k}={v}" for k, v in query.items() if v is not None) or "no filter"
    of_total = f" of {page.total}" if page.total is not None else ""
    return Result(f"{len(out.contacts)}{of_total} contacts match ({filters})", out)


# --- get_contact -------------------------------------------------------------------------------

# How many matches of a search by email, phone or external id are looked at to name them.
_LOOKUP_ROWS = 10


class GetContactInput(ToolInput):
    contact_id: ContactId | None = None
    external_customer_id: ExternalCustomerId | None = None
    email: Email | None = None
    phone: Phone | None = None

    @model_validator(mode="after")
    def _one_identifier(self) -> GetContactInput:
        exactly_one(
            {
                "contact_id": self.contact_id,
                "external_customer_id": self.external_customer_id,
                "email": self.email,
                "phone": self.phone,
            }
        )
        return self


class ContactOutput(ToolOutput):
    contact: ContactView


def _digits(phone: str) -> str:
    return "".join(c for c in phone if c.isdigit())


def _holds(contact: Contact, params: GetContactInput) -> bool:
    """Whether ``contact`` carries exactly the email, phone or external id asked for."""
    if params.email is not None:
        return any(v.casefold() == params.email.casefold() for v in contact.channel_values("email"))
    if params.phone is not None:
        return any(_digits(v) == _digits(params.phone) for v in contact.channel_values("sms"))
    return contact.external_customer_id == params.external_customer_id


async def _find_contact_id(params: GetContactInput, ctx: ToolContext) -> int:
    """The id of the one contact with the email, phone or external id asked for."""
    what, value = next(
        (name, v)
        for name, v in (
            ("email", params.email),
            ("phone", params.phone),
            ("external customer id", params.external_customer_id),
        )
        if v is not None
    )
    page = await ctx.client.contacts.search(
        email=params.email,
        phone=params.phone,
        external_customer_id=params.external_customer_id,
        max_rows=_LOOKUP_ROWS,
    )
    by_id = {c.id: c for c in page.items if c.id is not None}
    ids = list(by_id)
    count = max(page.total or 0, len(ids))
    exact = [i for i in ids if _holds(by_id[i], params)]
    if len(ids) > 1 and exact:
        ids, count = exact, len(exact)
    if not ids:
        raise ToolFailure(f"no contact with {what} {value}")
    if len(ids) > 1:
        more = ", …" if count > len(ids) else ""
        raise ToolFailure(
            f"{count} contacts have {what} {value} (ids {', '.join(map(str, ids))}{more}); call "
            "get_contact with one contact_id"
        )
    return ids[0]


async def get_contact(params: GetContactInput, ctx: ToolContext) -> Result[ContactOutput]:
    contact_id = params.contact_id
    if contact_id is None:
        contact_id = await _find_contact_id(params, ctx)
    try:
        contact, names = await both(ctx.client.contacts.get(contact_id), field_names(ctx))
    except NotFoundError:
        raise ToolFailure(f"contact {contact_id} not found") from None
    view = ContactView.of(contact, "detailed", names)
    who = " ".join(n for n in (view.first_name, view.last_name) if n) or "(no name)"
    reach = ", ".join(v for v in (view.email, view.phone) if v)
    in_segments = len(view.segments or [])
    summary = f"contact {contact.id}: {who}" + (f" <{reach}>" if reach else "")
    summary += f", in {in_segments} static segment{'s' if in_segments != 1 else ''}"
    return Result(summary, ContactOutput(contact=view))


# --- contact fields shared by upsert_contact, bulk_upsert_contacts and subscribe_contact --------

_CHANNELS_PER_TYPE = 2  # SPEC Contact.channels: at most two channels of one type


class ContactFields(ToolInput):
    """A contact's data as the write tools take it: at least one channel (email, phone or channels)."""

    email: Email | None = None
    phone: Phone | None = Field(default=None, description="Phone number in E.164 form (the SMS channel).")
    channels: list[ChannelParam] | None = Field(
        default=None,
        max_length=10,
        description="Further channels, e.g. a second email, viber or a push token (at most 2 of a type).",
    )
    first_name: ContactFirstName | None = None
    last_name: ContactLastName | None = None
    external_customer_id: ExternalCustomerId | None = None
    address: AddressParam | None = None
    fields: CustomFieldValues | None = None
    language_code: LanguageCode | None = None
    time_zone: TimeZone | None = None

    @model_validator(mode="after")
    def _reachable(self) -> ContactFields:
        channels = self.wire_channels()
        if not channels:
            raise ValueError("a contact needs at least one channel: give email, phone or channels")
        for kind in ChannelType:
            count = sum(1 for c in channels if c.type is kind)
            if count > _CHANNELS_PER_TYPE:
                raise ValueError(
                    f"{count} {kind.value} channels; eSputnik keeps at most {_CHANNELS_PER_TYPE} of a type"
                )
        return self

    def wire_channels(self) -> list[ChannelInput]:
        """email, phone and channels as one list, without repeats."""
        pairs = []
        if self.email is not None:
            pairs.append((ChannelType.EMAIL, self.email))
        if self.phone is not None:
            pairs.append((ChannelType.SMS, self.phone))
        pairs += [(c.type, c.value) for c in self.channels or ()]
        seen: set[tuple[ChannelType, str]] = set()
        channels = []
        for kind, value in pairs:
            key = (kind, value.casefold() if kind is ChannelType.EMAIL else value)
            if key not in seen:
                seen.add(key)
                channels.append(ChannelInput(type=kind, value=value))
        return channels

    def contact_input(self) -> ContactInput:
        a = self.address
        return ContactInput(
            first_name=self.first_name,
            last_name=self.last_name,
            channels=self.wire_channels(),
            address=AddressInput(region=a.region, town=a.town, address=a.address, postcode=a.postcode)
            if a is not None
            else None,
            fields=[ContactFieldInput(id=i, value=str(v)) for i, v in self.fields.items()] if self.fields else None,
            external_customer_id=self.external_customer_id,
            language_code=self.language_code,
            time_zone=self.time_zone,
        )

    def label(self) -> str:
        """How the contact is named in messages: its email, phone or external id."""
        return self.email or self.phone or self.external_customer_id or self.wire_channels()[0].value


# --- upsert_contact ----------------------------------------------------------------------------


class UpsertContactInput(ContactFields):
    segments: list[SegmentName] | None = Field(
        default=None,
        max_length=20,
        description="Existing static segments to add the contact to, by exact name (see list_segments). "
        "Membership is only added, never removed.",
    )


class UpsertContactOutput(ToolOutput):
    contact_id: int
    segments_added: list[SegmentView] | None = Field(
        default=None, description="Static segments the contact was added to."
    )
    segment_errors: list[str] | None = Field(
        default=None, description="Segments the contact could not be added to, and why."
    )


async def _static_segments(ctx: ToolContext, names: Sequence[str]) -> list[Group]:
    """The static segments called ``names`` (exactly; else case-insensitively), or a refusal naming
    every one that is missing, dynamic or ambiguous."""
    found: list[Group] = []
    problems: list[str] = []
    for name in dict.fromkeys(names):
        candidates = [g async for g in ctx.client.segments.iter_all(name=name)]
        same = [g for g in candidates if g.name == name] or [
            g for g in candidates if (g.name or "").casefold() == name.casefold()
        ]
        static = [g for g in same if (g.type or "").casefold() == "static"]
        if len(static) == 1:
            found.append(static[0])
        elif len(static) > 1:
            ids = ", ".join(str(g.id) for g in static)
            problems.append(f"several static segments are called {name!r} (ids {ids}): use update_segment_membership")
        elif same:
            problems.append(f"segment {name!r} is {same[0].type or 'not static'}: only static segments take members")
        else:
            problems.append(f"there is no segment called {name!r}")
    if problems:
        raise ToolFailure(
            "nothing saved: "
            + "; ".join(problems)
            + ". bulk_upsert_contacts and subscribe_contact create missing static segments by name."
        )
    return found


async def upsert_contact(params: UpsertContactInput, ctx: ToolContext) -> Result[UpsertContactOutput]:
    targets = await _static_segments(ctx, params.segments) if params.segments else []
    contact_id = await ctx.client.contacts.upsert(params.contact_input())
    out = UpsertContactOutput(contact_id=contact_id)
    added: list[SegmentView] = []
    errors: list[str] = []
    for group in targets:
        try:
            await ctx.client.segments.attach(group.id, [contact_id])
        except ESputnikError as exc:
            errors.append(f"{group.name} ({group.id}): {describe_api_error(exc)}")
        else:
            added.append(SegmentView.of(group))
    summary = f"contact {contact_id} saved ({params.label()})"
    if added:
        out.segments_added = added
        summary += "; added to " + ", ".join(f"{s.name} ({s.id})" for s in added)
    if errors:
        out.segment_errors = errors
        summary += f"; NOT added to {len(errors)} segment(s): see segment_errors"
    return Result(summary, out, is_error=bool(errors))


# --- bulk_upsert_contacts ----------------------------------------------------------------------

BULK_MAX_CONTACTS = 100_000  # a bound on one call; 34 requests of 3000
WAIT_SECONDS = 50  # the longest a call waits for imports; MCP clients commonly time out at 60 s
POLL_FIRST_DELAY = 0.25
POLL_MAX_DELAY = 4.0
_RUNNING = ("SENT", "STARTED", "IMPORTING")
_UPSTREAM_CHARS = 300  # of eSputnik's text per failed contact or import remark


class Dedupe(enum.StrEnum):
    """How a bulk update matches contacts that already exist."""

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


def _dedupe_alias(value: object) -> object:
    return _DEDUPE_ALIASES.get(value, value) if isinstance(value, str) else value


class BulkUpsertInput(ToolInput):
    contacts: list[ContactFields] = Field(
        min_length=1,
        max_length=BULK_MAX_CONTACTS,
        description="The contacts, each with the same fields as upsert_contact's (segments apart). Any "
        "number: sent in requests of 3000. Fields a contact gives are written; fields it omits are "
        "left as they are.",
    )
    dedupe_on: Annotated[Dedupe, BeforeValidator(_dedupe_alias)] = Field(
        default=Dedupe.EMAIL,
        description="How existing contacts are matched: email, sms (phone), email_or_sms (phone first), "
        "push (mobile push token), external_customer_id, or field_id (a custom field; set field_id). A "
        "contact with external_customer_id is always matched on it. The matching value is not changed.",
    )
    field_id: CustomFieldId | None = Field(
        default=None, description="The custom field to match on, with dedupe_on=field_id."
    )
    segments: list[SegmentName] | None = Field(
        default=None,
        max_length=20,
        description="Static segments to add every contact to, by name; missing ones are created.",
    )
    remove_from_segments: list[SegmentName] | None = Field(
        default=None, max_length=20, description="Static segments to take every contact out of, by name."
    )
    restore_deleted: bool = Field(default=False, description="Restore contacts that were deleted.")
    event_key_for_new_contacts: EventTypeKey | None = Field(
        default=None,
        description="Raise an event of this type for each new contact (e.g. to start a welcome workflow).",
    )
    wait: bool = Field(
        default=False,
        description="Follow the imports until they finish (up to wait_seconds), reporting their outcome.",
    )
    wait_seconds: int = Field(
        default=WAIT_SECONDS,
        ge=1,
        le=WAIT_SECONDS,
        description="With wait: the longest the call may take, in seconds, sending included.",
    )

    @model_validator(mode="after")
    def _matchable(self) -> BulkUpsertInput:
        if self.dedupe_on is Dedupe.FIELD_ID and self.field_id is None:
            raise ValueError("dedupe_on=field_id needs field_id: the custom field to match on")
        if self.dedupe_on is not Dedupe.FIELD_ID and self.field_id is not None:
            raise ValueError("field_id is only used with dedupe_on=field_id")
        unmatched = [i for i, c in enumerate(self.contacts) if not self._has_key(c)]
        if unmatched:
            shown = ", ".join(str(i) for i in unmatched[:10]) + (", …" if len(unmatched) > 10 else "")
            raise ValueError(
                f"{len(unmatched)} contact(s) lack the value dedupe_on={self.dedupe_on.value} matches on "
                f"(and an external_customer_id): contacts[{shown}]"
            )
        return self

    def _has_key(self, contact: ContactFields) -> bool:
        if contact.external_customer_id is not None:
            return True
        types = {c.type for c in contact.wire_channels()}
        match self.dedupe_on:
            case Dedupe.EMAIL:
                return ChannelType.EMAIL in types
            case Dedupe.SMS:
                return ChannelType.SMS in types
            case Dedupe.EMAIL_OR_SMS:
                return bool(types & {ChannelType.EMAIL, ChannelType.SMS})
            case Dedupe.PUSH:
                return ChannelType.MOBILEPUSH in types
            case Dedupe.FIELD_ID:
                return self.field_id in (contact.fields or {})
            case Dedupe.EXTERNAL_CUSTOMER_ID:
                return False


class FailedContactView(View):
    chunk: int = Field(description="Index of the request (chunk) that carried the contact.")
    index: int | None = Field(default=None, description="Position of the contact in contacts.")
    email: str | None = None
    phone: str | None = None
    external_customer_id: str | None = None
    error: str | None = Field(default=None, description="Why eSputnik refused the contact.")


class ChunkReport(View):
    index: int
    size: int = Field(description="Contacts in this request.")
    session_id: str | None = Field(default=None, description="For get_import_status.")
    status: str = Field(
        description="NOT_SENT (the request failed), SENT (accepted, not followed), or the import's "
        "STARTED, IMPORTING, FINISHED or ERROR."
    )
    failed: int = Field(default=0, description="Contacts eSputnik refused at once (see failed_contacts).")
    not_sent: int = Field(default=0, description="Contacts that never reached eSputnik.")
    imported: int | None = Field(default=None, description="Contacts created or updated, once finished.")
    description: str | None = Field(default=None, description="eSputnik's remark on the import.")
    error: str | None = Field(default=None, description="Why the request failed.")


class BulkUpsertOutput(ToolOutput):
    truncatable: ClassVar[str | None] = "failed_contacts"

    total: int = Field(description="Contacts given.")
    sent: int = Field(description="Contacts delivered to eSputnik.")
    failed: int = Field(description="Contacts eSputnik refused at once.")
    not_sent: int = Field(description="Contacts that never reached eSputnik (their request failed).")
    still_running: int | None = Field(default=None, description="With wait: imports not finished when the wait ended.")
    chunks: list[ChunkReport]
    failed_contacts: list[FailedContactView] = Field(default_factory=list)


def _plan_requests(params: BulkUpsertInput) -> list[tuple[BulkOptions, list[int], list[ContactInput]]]:
    """The contacts grouped by which fields they give, each group with the options that write exactly
    those fields: a bulk update clears the listed fields a contact lacks, so contacts that give
    different fields go in different requests."""
    groups: dict[tuple[frozenset[str], frozenset[int]], tuple[list[int], list[ContactInput]]] = {}
    for position, item in enumerate(params.contacts):
        contact = item.contact_input()
        key = (contact.bulk_contact_fields(), contact.custom_field_ids())
        positions, members = groups.setdefault(key, ([], []))
        positions.append(position)
        members.append(contact)
    plans = []
    for (standard, custom), (positions, members) in groups.items():
        options = BulkOptions(
            dedupe_on=_DEDUPE_WIRE[params.dedupe_on],
            field_id=params.field_id,
            contact_fields=sorted(standard),
            custom_fields_ids=sorted(custom) or None,
            group_names=list(params.segments) if params.segments else None,
            group_names_exclude=list(params.remove_from_segments) if params.remove_from_segments else None,
            restore_deleted=params.restore_deleted or None,
            event_key_for_new_contacts=params.event_key_for_new_contacts,
        )
        plans.append((options, positions, members))
    return plans


def _locator(sent: Sequence[ContactInput], positions: list[int]) -> dict[tuple[str, str], int]:
    """Where each contact of a request stands in the call, by its channel values and external id
    (eSputnik names a refused contact only by its data)."""
    where: dict[tuple[str, str], int] = {}
    for position, contact in zip(positions, sent, strict=True):
        for channel in contact.channels:
            where.setdefault((channel.type.value, channel.value.casefold()), position)
        if contact.external_customer_id:
            where.setdefault(("external", contact.external_customer_id), position)
    return where


def _failed_view(chunk: int, failed: FailedContact, where: dict[tuple[str, str], int]) -> FailedContactView:
    emails, phones = failed.channel_values("email"), failed.channel_values("sms")
    keys = [("external", failed.external_customer_id or "")]
    keys += [("email", e.casefold()) for e in emails] + [("sms", p.casefold()) for p in phones]
    return FailedContactView(
        chunk=chunk,
        index=next((where[k] for k in keys if k in where), None),
        email=emails[0] if emails else None,
        phone=phones[0] if phones else None,
        external_customer_id=failed.external_customer_id,
        error=truncate(failed.error, _UPSTREAM_CHARS) if failed.error else None,
    )


async def bulk_upsert_contacts(params: BulkUpsertInput, ctx: ToolContext) -> Result[BulkUpsertOutput]:
    deadline = anyio.current_time() + params.wait_seconds
    total = len(params.contacts)
    units = total * (2 if params.wait else 1)
    chunks: list[ChunkReport] = []
    failed_views: list[FailedContactView] = []
    delivered = 0
    errors: list[ESputnikError] = []

    for options, positions, members in _plan_requests(params):
        base = len(chunks)

        async def on_done(outcome: ChunkOutcome[ContactInput, BulkUpdateResult]) -> None:
            nonlocal delivered
            delivered += len(outcome.items)
            await ctx.progress(
                delivered, units, f"{delivered}/{total} contacts sent ({len(outcome.items)} in one request)"
            )

        outcomes = await ctx.client.contacts.bulk_update_chunked(members, options, on_done=on_done)
        offset = 0
        for outcome in outcomes:
            size = len(outcome.items)
            part = positions[offset : offset + size]
            offset += size
            index = base + outcome.index
            report = ChunkReport(index=index, size=size, status="SENT")
            if outcome.error is not None:
                errors.append(outcome.error)
                report.status, report.not_sent = "NOT_SENT", size
                report.error = describe_api_error(outcome.error)
            else:
                result = outcome.result or BulkUpdateResult()
                report.session_id = result.async_session_id
                report.failed = len(result.failed_contacts)
                if result.failed_contacts:
                    where = _locator(outcome.items, part)
                    failed_views += [_failed_view(index, f, where) for f in result.failed_contacts]
                if result.error_message:
                    report.error = f"eSputnik said: {truncate(result.error_message, _UPSTREAM_CHARS)}"
                if result.async_session_id is None:
                    # Nothing was queued: every contact not listed as failed was left out.
                    report.status = "NOT_SENT"
                    report.not_sent = size - report.failed
            chunks.append(report)

    if errors and len(errors) == len(chunks):
        raise ToolFailure(
            f"none of the {total} contacts were sent ({len(chunks)} request(s) failed): "
            + describe_api_error(errors[0])
        )

    out = BulkUpsertOutput(
        total=total,
        sent=total - sum(c.not_sent for c in chunks),
        failed=sum(c.failed for c in chunks),
        not_sent=sum(c.not_sent for c in chunks),
        chunks=chunks,
        failed_contacts=failed_views,
    )
    if params.wait:
        await _follow_imports(ctx, chunks, deadline, done=total, units=units)
        out.still_running = sum(1 for c in chunks if c.session_id is not None and c.status in _RUNNING)
    return Result(_bulk_summary(out, params.wait), out, is_error=_bulk_went_wrong(out))


def _bulk_went_wrong(out: BulkUpsertOutput) -> bool:
    return out.not_sent > 0 or any(c.status == "ERROR" for c in out.chunks)


def _bulk_summary(out: BulkUpsertOutput, waited: bool) -> str:
    requests = len(out.chunks)
    text = f"{out.sent} of {out.total} contacts sent in {requests} request{'s' if requests != 1 else ''}"
    if out.failed:
        text += f"; {out.failed} refused by eSputnik (see failed_contacts)"
    if out.not_sent:
        text += f"; {out.not_sent} NOT sent (see chunks[].error)"
    if waited:
        counts: dict[str, int] = {}
        for chunk in out.chunks:
            if chunk.session_id is not None:
                counts[chunk.status] = counts.get(chunk.status, 0) + 1
        text += "; imports: " + ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        if out.still_running:
            text += " (still running: check later with get_import_status)"
    else:
        text += "; imports run in the background: follow them with get_import_status"
    return text


async def _follow_imports(
    ctx: ToolContext, chunks: list[ChunkReport], deadline: float, *, done: int, units: int
) -> None:
    """Poll each chunk's import until it is FINISHED or ERROR, backing off, until ``deadline`` (at
    least once); each chunk is updated in place and progress is reported as imports finish."""
    delay = POLL_FIRST_DELAY
    limiter = anyio.CapacityLimiter(max(1, ctx.settings.bulk_concurrency))
    finished = done

    async def poll(chunk: ChunkReport, session_id: str) -> None:
        nonlocal finished
        async with limiter:
            try:
                status = await ctx.client.contacts.import_status(session_id)
            except ESputnikError as exc:
                chunk.description = f"could not read the import status: {describe_api_error(exc)}"
                chunk.status = "UNKNOWN"
                return
        _apply_status(chunk, status)
        if status.finished:
            finished += chunk.size
            await ctx.progress(finished, units, f"import {chunk.index} {chunk.status}")

    def running() -> list[tuple[ChunkReport, str]]:
        return [(c, c.session_id) for c in chunks if c.session_id is not None and c.status in _RUNNING]

    while True:
        async with anyio.create_task_group() as tg:
            for chunk, session_id in running():
                tg.start_soon(poll, chunk, session_id)
        remaining = deadline - anyio.current_time()
        if not running() or remaining <= 0:
            return
        await anyio.sleep(min(delay, remaining))
        delay = min(delay * 2, POLL_MAX_DELAY)


def _apply_status(chunk: ChunkReport, status: ImportStatus) -> None:
    chunk.status = (status.status or "UNKNOWN").upper()
    chunk.description = truncate(status.description, _UPSTREAM_CHARS) if status.description else None
    if status.finished:
        chunk.imported = len(status.mapping)


# --- delete_contact ----------------------------------------------------------------------------


class DeleteContactInput(ConfirmableInput):
    contact_id: ContactId | None = None
    external_customer_id: ExternalCustomerId | None = None
    erase: bool = Field(
        default=False,
        description="GDPR erasure: remove the contact, its activity and tracking data for good; cannot be "
        "undone. Without it the contact is deleted but can be restored (bulk_upsert_contacts "
        "restore_deleted).",
    )

    @model_validator(mode="after")
    def _one_identifier(self) -> DeleteContactInput:
        exactly_one({"contact_id": self.contact_id, "external_customer_id": self.external_customer_id})
        return self

    def target(self) -> str:
        if self.contact_id is not None:
            return f"contact {self.contact_id}"
        return f"the contact with external customer id {self.external_customer_id}"


class DeleteContactOutput(ToolOutput):
    contact_id: int | None = None
    external_customer_id: str | None = None
    erased: bool = Field(description="True: erased for good (GDPR); false: deleted, restorable.")


def _erase_warning(params: DeleteContactInput) -> str | None:
    if not params.erase:
        return None
    return f"permanently erase {params.target()} and all its data (GDPR erase; cannot be undone)"


async def delete_contact(params: DeleteContactInput, ctx: ToolContext) -> Result[DeleteContactOutput]:
    try:
        if params.contact_id is not None:
            await ctx.client.contacts.delete(params.contact_id, erase=params.erase)
        elif params.external_customer_id is not None:
            await ctx.client.contacts.delete_by_external_id(params.external_customer_id, erase=params.erase)
    except NotFoundError:
        raise ToolFailure(f"{params.target()} was not found: nothing deleted") from None
    out = DeleteContactOutput(
        contact_id=params.contact_id, external_customer_id=params.external_customer_id, erased=params.erase
    )
    if params.erase:
        summary = f"{params.target()} erased for good with all its data"
    else:
        summary = f"{params.target()} deleted (restorable with bulk_upsert_contacts restore_deleted=true)"
    return Result(summary, out)


# --- subscribe_contact -------------------------------------------------------------------------


def _form_type(value: str) -> str:
    try:
        check_event_key(value, "form_type")
    except RequestValidationError as exc:
        raise ValueError(exc.message) from None
    return value


class SubscribeContactInput(ContactFields):
    segments: list[SegmentName] | None = Field(
        default=None,
        max_length=20,
        description="Static segments to add the contact to, by name; missing ones are created.",
    )
    subscriptions: list[Annotated[str, Field(min_length=1, max_length=100)]] | None = Field(
        default=None, max_length=50, description="Subscription category keys the contact opts in to."
    )
    form_type: Annotated[str, AfterValidator(_form_type)] | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="Name of the signup form, appended to the event name (subscribeFromApi-<form_type>); "
        "the characters of event keys only.",
    )


class SubscribeContactOutput(ToolOutput):
    contact_id: int | None = None
    new: bool | None = Field(default=None, description="True when the contact was created.")
    email_status: str | None = Field(
        default=None, description="NEED_CONFIRMATION, SUBSCRIBED, ALREADY_SUBSCRIBED or BLACKLISTED."
    )
    event: str = Field(description="The event eSputnik raised; a workflow on it sends the confirmation.")


async def subscribe_contact(params: SubscribeContactInput, ctx: ToolContext) -> Result[SubscribeContactOutput]:
    result = await ctx.client.contacts.subscribe(
        params.contact_input(),
        groups=params.segments,
        subscriptions=params.subscriptions,
        form_type=params.form_type,
    )
    event = "subscribeFromApi" if result.new is not False else "subscribeUpdateFromApi"
    if params.form_type:
        event += f"-{params.form_type}"
    out = SubscribeContactOutput(contact_id=result.id, new=result.new, email_status=result.email_status, event=event)
    state = "new contact" if result.new else "existing contact"
    summary = f"{state} {result.id} subscribed ({params.label()}); eSputnik raised {event}"
    if (result.email_status or "").upper() == "NEED_CONFIRMATION":
        out.note = (
            "Double opt-in: the email stays unconfirmed (no bulk email) until the contact confirms. The "
            f"confirmation email is sent by a workflow started by the {event} event; without one, nothing "
            "is sent."
        )
        summary += "; email awaits confirmation (double opt-in)"
    elif result.email_status:
        summary += f"; email {result.email_status}"
    return Result(summary, out)


# --- get_import_status -------------------------------------------------------------------------


class ImportStatusInput(ToolInput):
    session_id: ImportSessionId


class MappingView(View):
    dedupe_value: str | None = Field(default=None, description="The value the contact was matched on.")
    contact_id: int | None = None


class ImportStatusOutput(ToolOutput):
    truncatable: ClassVar[str | None] = "contacts"

    session_id: str
    status: str | None = Field(default=None, description="STARTED (queued), IMPORTING, FINISHED or ERROR.")
    finished: bool
    timestamp: str | None = Field(default=None, description="When the status was set (ISO 8601).")
    description: str | None = None
    imported: int | None = Field(default=None, description="Contacts created or updated.")
    contacts: list[MappingView] = Field(
        default_factory=list, description="The contacts created or updated, by matching value."
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
    summary = f"import {params.session_id}: {status.status or 'status unknown'}"
    if out.imported is not None:
        summary += f", {out.imported} contacts created or updated"
    if not status.finished:
        summary += "; still running, check again shortly"
    return Result(summary, out)


# --- list_custom_fields ------------------------------------------------------------------------


class ListCustomFieldsInput(ToolInput):
    pass


class CustomFieldView(View):
    id: int = Field(description="The id to use in a contact's fields.")
    name: str | None = None
    key: str | None = Field(default=None, description="fieldKey; a CSV import column is profile_key.key.")
    type: str | None = Field(
        default=None,
        description="TEXTFIELD, TEXTAREA, NUMBER, DECIMAL, DATE, DATETIME, COMBOBOX, CHECKBOXLIST or TAGS.",
    )
    required: bool | None = None
    readonly: bool | None = None
    allowed_values: list[str] | None = Field(default=None, description="The only values accepted.")
    min_value: int | None = None
    max_value: int | None = None
    group: str | None = Field(default=None, description="The field group's name.")
    profile_key: str | None = None


class CustomFieldsOutput(ToolOutput):
    truncatable: ClassVar[str | None] = "fields"

    fields: list[CustomFieldView]


async def list_custom_fields(params: ListCustomFieldsInput, ctx: ToolContext) -> Result[CustomFieldsOutput]:
    rows: list[CustomFieldView] = []
    for book in await ctx.client.custom_fields.catalogue():
        for group in book.field_groups:
            for info in group.fields:
                d = info.description
                allowed = d.allowed_values if d is not None else None
                rows.append(
                    CustomFieldView(
                        id=info.id,
                        name=info.name,
                        key=info.field_key,
                        type=d.type.upper() if d is not None and d.type else None,
                        required=d.required if d is not None else None,
                        readonly=d.readonly if d is not None else None,
                        allowed_values=(allowed.possible_values or None) if allowed is not None else None,
                        min_value=allowed.min_value if allowed is not None else None,
                        max_value=allowed.max_value if allowed is not None else None,
                        group=group.name,
                        profile_key=group.profile_key,
                    )
                )
    return Result(f"{len(rows)} custom contact fields", CustomFieldsOutput(fields=rows))


TOOLS = [
    ToolSpec(
        name="search_contacts",
        title="Search contacts",
        description=(
            "Find contacts by email, phone, external customer id, first or last name (all given must "
            "match; none: every contact, newest first). Returns one page with total and next_cursor. "
            "One read per page."
        ),
        toolset=Toolset.CONTACTS,
        kind=Kind.READ,
        params=SearchContactsInput,
        output=ContactsPage,
        handler=search_contacts,
    ),
    ToolSpec(
        name="get_contact",
        title="Get a contact",
        description=(
            "Get one contact's full record (channels, custom fields by name and id, address, language, "
            "static segments) by exactly one of contact_id, external_customer_id, email or phone. One "
            "read by id; a search first otherwise."
        ),
        toolset=Toolset.CONTACTS,
        kind=Kind.READ,
        params=GetContactInput,
        output=ContactOutput,
        handler=get_contact,
    ),
    ToolSpec(
        name="upsert_contact",
        title="Add or update a contact",
        description=(
            "Create a contact, or update the one with the same external id or channel value. New emails "
            "are confirmed at once (no double opt-in: use subscribe_contact for signups) and no event is "
            "raised. One write, plus a lookup and an attach per segment named."
        ),
        toolset=Toolset.CONTACTS,
        kind=Kind.WRITE,
        params=UpsertContactInput,
        output=UpsertContactOutput,
        handler=upsert_contact,
    ),
    ToolSpec(
        name="bulk_upsert_contacts",
        title="Add or update many contacts",
        description=(
            "Create or update any number of contacts, matched by dedupe_on, optionally adding them to or "
            "removing them from segments by name. Sent in requests of 3000 that eSputnik imports "
            "asynchronously: wait=true follows the imports (up to 50 s), else use get_import_status."
        ),
        toolset=Toolset.CONTACTS,
        kind=Kind.WRITE,
        params=BulkUpsertInput,
        output=BulkUpsertOutput,
        handler=bulk_upsert_contacts,
    ),
    ToolSpec(
        name="delete_contact",
        title="Delete a contact",
        description=(
            "Delete one contact by contact_id or external_customer_id. An ordinary delete can be undone "
            "(bulk_upsert_contacts restore_deleted); erase=true removes the contact and all its data for "
            "good (GDPR) and cannot. One request."
        ),
        toolset=Toolset.CONTACTS,
        kind=Kind.WRITE,
        params=DeleteContactInput,
        output=DeleteContactOutput,
        handler=delete_contact,
        destructive=True,
        idempotent=True,
        irreversible=_erase_warning,
    ),
    ToolSpec(
        name="subscribe_contact",
        title="Subscribe a contact (double opt-in)",
        description=(
            "Sign a contact up as a subscription form does: a new email stays unconfirmed until the "
            "contact confirms, and eSputnik raises subscribeFromApi (new) or subscribeUpdateFromApi "
            "(existing), whose workflow usually emails a confirmation. One write; do not repeat it."
        ),
        toolset=Toolset.CONTACTS,
        kind=Kind.WRITE,
        params=SubscribeContactInput,
        output=SubscribeContactOutput,
        handler=subscribe_contact,
        idempotent=False,
    ),
    ToolSpec(
        name="get_import_status",
        title="Bulk import status",
        description=(
            "Check a bulk_upsert_contacts import by its session_id: STARTED, IMPORTING, FINISHED or "
            "ERROR, and once finished the contacts created or updated. One read."
        ),
        toolset=Toolset.CONTACTS,
        kind=Kind.READ,
        params=ImportStatusInput,
        output=ImportStatusOutput,
        handler=get_import_status,
    ),
    ToolSpec(
        name="list_custom_fields",
        title="List custom contact fields",
        description=(
            "List the account's custom contact fields: id, name, key, type, required, allowed values. "
            "The ids are what a contact's fields take. One read."
        ),
        toolset=Toolset.CONTACTS,
        kind=Kind.READ,
        params=ListCustomFieldsInput,
        output=CustomFieldsOutput,
        handler=list_custom_fields,
    ),
]
