"""How eSputnik objects are shown to the model: one shape per concept, shared by every tool."""

from __future__ import annotations

import time
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from esputnik_mcp.api.models import Contact, Group
from esputnik_mcp.toolkit.base import ToolContext, ToolOutput

CATALOGUE_TTL = 300.0


class View(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChannelView(View):
    type: str
    value: str | None = None


class FieldValueView(View):
    id: int
    name: str | None = Field(default=None, description="The custom field's name in the catalogue.")
    value: str | None = None


class AddressView(View):
    region: str | None = None
    town: str | None = None
    address: str | None = None
    postcode: str | None = None


class SegmentView(View):
    id: int
    name: str | None = None
    type: str | None = Field(default=None, description="Static, Dynamic or Combined.")

    @classmethod
    def of(cls, group: Group) -> SegmentView:
        return cls(id=group.id, name=group.name, type=group.type)


class ContactView(View):
    """A contact. Concise views carry the first six fields; detailed views carry everything known."""

    id: int | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = Field(default=None, description="First email channel.")
    phone: str | None = Field(default=None, description="First SMS channel.")
    external_customer_id: str | None = None
    channels: list[ChannelView] | None = None
    fields: list[FieldValueView] | None = Field(default=None, description="Custom field values, by id and name.")
    address: AddressView | None = None
    language_code: str | None = None
    time_zone: str | None = None
    segments: list[SegmentView] | None = Field(default=None, description="Static segments holding the contact.")

    @classmethod
    def of(
        cls, contact: Contact, fmt: Literal["concise", "detailed"], field_names: dict[int, str] | None = None
    ) -> ContactView:
        emails, phones = contact.channel_values("email"), contact.channel_values("sms")
        view = cls(
            id=contact.id,
            first_name=contact.first_name,
            last_name=contact.last_name,
            email=emails[0] if emails else None,
            phone=phones[0] if phones else None,
            external_customer_id=contact.external_customer_id,
        )
        if fmt == "detailed":
            names = field_names or {}
            view.channels = [ChannelView(type=c.type, value=c.value) for c in contact.channels]
            view.fields = [FieldValueView(id=f.id, name=names.get(f.id), value=f.value) for f in contact.fields]
            if contact.address is not None:
                a = contact.address
                view.address = AddressView(region=a.region, town=a.town, address=a.address, postcode=a.postcode)
            view.language_code = contact.language_code
            view.time_zone = contact.time_zone
            view.segments = [SegmentView.of(g) for g in contact.groups]
        return view


# The paging fields of every list result.
Total = Annotated[int | None, Field(description="How many match in all, when eSputnik says.")]
NextCursor = Annotated[str | None, Field(description="Pass as cursor to get the next page; absent on the last.")]


class ContactsPage(ToolOutput):
    """One page of contacts (a search, a segment's members)."""

    truncatable: ClassVar[str | None] = "contacts"

    contacts: list[ContactView]
    total: Total = None
    next_cursor: NextCursor = None


def page_summary(shown: int, total: int | None, noun: str) -> str:
    """``20 of 5120 contacts``, or ``20 contacts`` when the total is unknown."""
    return f"{shown} of {total} {noun}" if total is not None else f"{shown} {noun}"


def cached_field_names(ctx: ToolContext) -> dict[int, str] | None:
    """What :func:`field_names` holds, while it is fresh; None when it would ask eSputnik."""
    cached = ctx.cache.get("field_names")
    if isinstance(cached, tuple) and time.monotonic() - cached[0] < CATALOGUE_TTL:
        names: dict[int, str] = cached[1]
        return names
    return None


async def field_names(ctx: ToolContext) -> dict[int, str]:
    """Custom field id → name, from the catalogue, kept for a few minutes."""
    cached = cached_field_names(ctx)
    if cached is not None:
        return cached
    now = time.monotonic()
    names: dict[int, str] = {}
    for book in await ctx.client.custom_fields.catalogue():
        for group in book.field_groups:
            for info in group.fields:
                names[info.id] = info.name or info.field_key or str(info.id)
    ctx.cache["field_names"] = (now, names)
    return names
