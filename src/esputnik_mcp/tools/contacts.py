"""Finding contacts: search_contacts, get_contact."""

from __future__ import annotations

from pydantic import model_validator

from esputnik_mcp.api import NotFoundError
from esputnik_mcp.api.models import Contact
from esputnik_mcp.toolkit.base import Result, ToolContext, ToolFailure, ToolInput, ToolOutput, both, tool
from esputnik_mcp.toolkit.cursor import decode_cursor, encode_cursor
from esputnik_mcp.toolkit.params import (
    ContactId,
    Cursor,
    Email,
    ExternalCustomerId,
    FirstName,
    LastName,
    Limit,
    Phone,
    ResponseFormat,
    exactly_one,
)
from esputnik_mcp.toolkit.render import quoted
from esputnik_mcp.toolkit.views import ContactsPage, ContactView, cached_field_names, field_names, page_summary
from esputnik_mcp.toolspec import Kind, Toolset

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


@tool(
    "search_contacts",
    title="Search contacts",
    toolset=Toolset.CONTACTS,
    kind=Kind.READ,
    description="""Find contacts matching every filter given (email, phone, external customer id, first or
    last name from its start; none: all, newest first). One read per page.""",
    example={"first_name": "Олена", "limit": 5},
)
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
    return Result(lambda o: page_summary(len(o.contacts), o.total, "contacts") + f" match ({filters})", out)


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


@tool(
    "get_contact",
    title="Get a contact",
    toolset=Toolset.CONTACTS,
    kind=Kind.READ,
    description="""One contact's full record (channels, custom fields, address, language, static
    segments) by exactly one identifier. One read by id, else a search first.""",
    example={"contact_id": 100001},
)
async def get_contact(params: GetContactInput, ctx: ToolContext) -> Result[ContactOutput]:
    contact_id = params.contact_id
    if contact_id is None:
        contact_id = await _find_contact_id(params, ctx)
    try:
        names = cached_field_names(ctx)
        if names is None:
            contact, names = await both(ctx.client.contacts.get(contact_id), field_names(ctx))
        else:  # one request: not worth two tasks
            contact = await ctx.client.contacts.get(contact_id)
    except NotFoundError:
        raise ToolFailure(f"contact {contact_id} not found") from None
    view = ContactView.of(contact, "detailed", names)
    name = " ".join(n for n in (view.first_name, view.last_name) if n)
    who = quoted(name) if name else "(no name)"
    reach = ", ".join(v for v in (view.email, view.phone) if v)
    in_segments = len(view.segments or [])
    summary = f"contact {contact.id}: {who}" + (f" <{reach}>" if reach else "")
    summary += f", in {in_segments} static segment{'s' if in_segments != 1 else ''}"
    return Result(summary, ContactOutput(contact=view))
