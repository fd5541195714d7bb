"""Writing one contact: upsert_contact, delete_contact, subscribe_contact."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from esputnik_mcp.api import ESputnikError, NotFoundError
from esputnik_mcp.api.contacts import check_event_key
from esputnik_mcp.api.errors import RequestValidationError
from esputnik_mcp.api.models import Group
from esputnik_mcp.toolkit.base import ConfirmableInput, Result, ToolContext, ToolFailure, ToolOutput, tool
from esputnik_mcp.toolkit.contact import ContactFields, check_custom_fields, contact_labels
from esputnik_mcp.toolkit.failures import describe_api_error
from esputnik_mcp.toolkit.params import ContactId, ExternalCustomerId, SegmentName, exactly_one
from esputnik_mcp.toolkit.render import quoted
from esputnik_mcp.toolkit.views import SegmentView
from esputnik_mcp.toolspec import Audience, Kind, SendPlan, Toolset

# --- upsert_contact ----------------------------------------------------------------------------


class UpsertContactInput(ContactFields):
    segments: list[SegmentName] | None = Field(
        default=None, max_length=20, description="Existing static segments to add it to (only added, never removed)."
    )


class UpsertContactOutput(ToolOutput):
    contact_id: int
    segments_added: list[SegmentView] | None = None
    segment_errors: list[str] | None = None


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
            problems.append(f"there is no segment called {name!r} (list_segments shows them)")
    if problems:
        raise ToolFailure(
            "nothing saved: "
            + "; ".join(problems)
            + ". bulk_upsert_contacts and subscribe_contact create missing static segments by name."
        )
    return found


def _upsert_target(params: UpsertContactInput) -> str:
    who = f"contact with external id {params.external_customer_id}" if params.external_customer_id else "contact"
    fields = f", {len(params.fields)} custom fields" if params.fields else ""
    segments = f", added to segments {', '.join(params.segments)}" if params.segments else ""
    return f"upsert {who}{fields}{segments}"


@tool(
    "upsert_contact",
    title="Add or update a contact",
    toolset=Toolset.CONTACTS,
    kind=Kind.WRITE,
    target=_upsert_target,
    description="""Create a contact, or update the one with the same external id or channel value. The
    email counts as confirmed and no event is raised (signups: subscribe_contact). One write, plus a
    lookup and an attach per segment.""",
    example={"email": "nova.person@example.com", "first_name": "Nova", "last_name": "Person"},
)
async def upsert_contact(params: UpsertContactInput, ctx: ToolContext) -> Result[UpsertContactOutput]:
    await check_custom_fields(ctx, [params])
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
        summary += "; added to " + ", ".join(f"{quoted(s.name)} ({s.id})" for s in added)
    if errors:
        out.segment_errors = errors
        summary += f"; NOT added to {len(errors)} segment(s): see segment_errors"
    return Result(summary, out, is_error=bool(errors))


# --- delete_contact ----------------------------------------------------------------------------


class DeleteContactInput(ConfirmableInput):
    contact_id: ContactId | None = None
    external_customer_id: ExternalCustomerId | None = None
    erase: bool = Field(
        default=False, description="GDPR erasure of the contact and all its data, for good (needs confirmation)."
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
    erased: bool


def _erase_warning(params: DeleteContactInput) -> str | None:
    if not params.erase:
        return None
    return f"permanently erase {params.target()} and all its data (GDPR erase; cannot be undone)"


@tool(
    "delete_contact",
    title="Delete a contact",
    toolset=Toolset.CONTACTS,
    kind=Kind.WRITE,
    destructive=True,
    irreversible=_erase_warning,
    target=lambda p: f"{'erase (GDPR)' if p.erase else 'delete'} {p.target()}",
    description="""Delete one contact by contact_id or external_customer_id; bulk_upsert_contacts
    restore_deleted brings it back. erase=true removes it and its data for good. One request.""",
    example={"contact_id": 100003},
)
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
        default=None, max_length=20, description="Static segments to add it to; missing ones are created."
    )
    subscriptions: list[Annotated[str, Field(min_length=1, max_length=100)]] | None = Field(
        default=None, max_length=50, description="Subscription category keys it opts in to."
    )
    form_type: Annotated[str, AfterValidator(_form_type)] | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="Signup form name; the event becomes subscribeFromApi-<form_type>.",
    )


class SubscribeContactOutput(ToolOutput):
    contact_id: int | None = None
    new: bool | None = None
    email_status: str | None = Field(
        default=None, description="NEED_CONFIRMATION, SUBSCRIBED, ALREADY_SUBSCRIBED or BLACKLISTED."
    )
    event: str = Field(description="The event eSputnik raised.")


async def plan_subscription(params: SubscribeContactInput, ctx: ToolContext) -> SendPlan:
    """A subscription raises subscribeFromApi, whose workflow usually emails the contact: the
    allowlist holds for the addresses it gives."""
    return SendPlan(
        channel="event",
        audience=Audience(recipients=contact_labels(params)),
        content="subscription",
        content_key="subscribe",
        indirect=True,
        ledger=False,
    )


@tool(
    "subscribe_contact",
    title="Subscribe a contact (double opt-in)",
    toolset=Toolset.CONTACTS,
    kind=Kind.WRITE,
    idempotent=False,
    plan_send=plan_subscription,
    target=lambda p: "subscribe contact" + (f" (form {p.form_type})" if p.form_type else ""),
    description="""Sign a contact up as a signup form does: a new email stays unconfirmed until the contact
    confirms, and the event subscribeFromApi (or subscribeUpdateFromApi) usually starts a confirmation
    email. One write; do not repeat it.""",
    example={"email": "subscriber@example.com", "first_name": "Ann"},
)
async def subscribe_contact(params: SubscribeContactInput, ctx: ToolContext) -> Result[SubscribeContactOutput]:
    await check_custom_fields(ctx, [params])
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
