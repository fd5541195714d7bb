"""A contact as the write tools take it (upsert_contact, bulk_upsert_contacts, subscribe_contact):
one shape, so that a contact in a bulk call has the same fields as a single upsert."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import Field, model_validator

from esputnik_mcp.api import ESputnikError
from esputnik_mcp.api.models import (
    AddressInput,
    ChannelInput,
    ChannelType,
    ContactFieldInput,
    ContactInput,
    contact_wire,
)
from esputnik_mcp.toolkit.base import ToolContext, ToolFailure, ToolInput
from esputnik_mcp.toolkit.params import (
    AddressParam,
    ChannelParam,
    ContactFirstName,
    ContactLastName,
    CustomFieldValues,
    Email,
    ExternalCustomerId,
    LanguageCode,
    Phone,
    TimeZone,
)
from esputnik_mcp.toolkit.views import field_names

_CHANNELS_PER_TYPE = 2  # SPEC Contact.channels: at most two channels of one type
_EMAIL, _SMS = ChannelType.EMAIL.value, ChannelType.SMS.value


class ContactFields(ToolInput):
    """A contact's data: at least one channel (email, phone or channels)."""

    email: Email | None = None
    phone: Phone | None = None
    channels: list[ChannelParam] | None = Field(
        default=None, max_length=10, description="More channels (viber, push tokens, a second email); 2 per type."
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
        if self.channels is None and (self.email is not None or self.phone is not None):
            return self  # one email and one phone at most: nothing more to count
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

    def wire(self) -> dict[str, Any]:
        """The contact's JSON object as eSputnik reads it: what ``contact_input().wire()`` gives,
        built without the models (a bulk call has 100,000 contacts)."""
        if self.channels is None:
            pairs = []
            if self.email is not None:
                pairs.append((_EMAIL, self.email))
            if self.phone is not None:
                pairs.append((_SMS, self.phone))
        else:
            pairs = [(c.type.value, c.value) for c in self.wire_channels()]
        a = self.address
        return contact_wire(
            pairs,
            first_name=self.first_name,
            last_name=self.last_name,
            address=None
            if a is None
            else {"region": a.region, "town": a.town, "address": a.address, "postcode": a.postcode},
            fields={i: str(v) for i, v in self.fields.items()} if self.fields else None,
            external_customer_id=self.external_customer_id,
            language_code=self.language_code,
            time_zone=self.time_zone,
        )

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


def contact_labels(*contacts: ContactFields) -> tuple[str, ...]:
    """How the guards read the people ``contacts`` are: each one's email, phone and further
    email or phone channels, else its external id."""
    labels: dict[str, None] = {}
    for contact in contacts:
        given = [c.value.lower() for c in contact.wire_channels() if c.type in (ChannelType.EMAIL, ChannelType.SMS)]
        if not given and contact.external_customer_id:
            given = [f"external:{contact.external_customer_id}"]
        labels.update(dict.fromkeys(given))
    return tuple(labels)


async def check_custom_fields(ctx: ToolContext, contacts: Iterable[ContactFields]) -> None:
    """Refuse, before anything is sent, custom field ids the account does not have."""
    given = sorted({i for c in contacts for i in c.fields or ()})
    if not given:
        return
    try:
        known = await field_names(ctx)
    except ESputnikError:
        return  # the catalogue could not be read: eSputnik checks the ids itself
    unknown = [i for i in given if i not in known]
    if unknown:
        shown = ", ".join(map(str, unknown[:10])) + (", …" if len(unknown) > 10 else "")
        raise ToolFailure(
            f"nothing saved: the account has no custom field with id {shown}; list_custom_fields shows the ids"
        )
