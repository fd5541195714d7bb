"""Contact tools."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from esputnik_mcp.tools.base import Kind, Result, ToolContext, ToolInput, ToolOutput, Toolset, ToolSpec
from esputnik_mcp.tools.cursor import decode_cursor, encode_cursor
from esputnik_mcp.tools.params import (
    Cursor,
    Email,
    ExternalCustomerId,
    FirstName,
    LastName,
    Limit,
    Phone,
    ResponseFormat,
)
from esputnik_mcp.tools.views import ContactView, field_names


class SearchContactsInput(ToolInput):
    email: Email | None = None
    phone: Phone | None = None
    external_customer_id: ExternalCustomerId | None = None
    first_name: FirstName | None = None
    last_name: LastName | None = None
    limit: Limit = 20
    cursor: Cursor | None = None
    response_format: ResponseFormat = "concise"


class ContactsPage(ToolOutput):
    truncatable: ClassVar[str | None] = "contacts"

    contacts: list[ContactView]
    total: int | None = Field(default=None, description="How many contacts match, when eSputnik says.")
    next_cursor: str | None = Field(
        default=None, description="Pass as cursor to get the next page; absent on the last."
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
    of_total = f" of {page.total}" if page.total is not None else ""
    return Result(f"{len(out.contacts)}{of_total} contacts match ({filters})", out)


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
]
