"""Subscription categories: the organisation's, and a contact's (esputnik-api.md §4.12).

A category is named by its ``key`` wherever it is written (a contact's subscriptions, a send's
``subscriptionsKeys``); its numeric ``id`` only identifies it in answers.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import Field

from esputnik_mcp.api._parse import parse_list
from esputnik_mcp.api.errors import RequestValidationError
from esputnik_mcp.api.http import Endpoint, HttpCore
from esputnik_mcp.api.models import RequestModel, WireModel
from esputnik_mcp.api.retry import Safety

CATEGORIES = Endpoint("GET", "/v1/subscriptions", Safety.READ, "getSubscriptionCategories")
OF_CONTACT = Endpoint("GET", "/v1/contact/{id}/subscriptions", Safety.READ, "getContactSubscriptionCategories")
# Whether it replaces the contact's categories or adds to them is not documented (esputnik-api.md
# §21); the tools read the categories back rather than assume either.
CHANGE = Endpoint(
    "PUT", "/v1/contact/{id}/subscriptions", Safety.IDEMPOTENT, "changeContactSubscriptionCategories", expect="text"
)


class SubscriptionCategory(WireModel):
    """SPEC SubscriptionCategoryDto."""

    id: int | None = None
    key: str | None = None
    group_id: int | None = None
    name: str | None = None
    contacts_count: int | None = None
    created_date: str | None = None
    updated_date: str | None = None


class ContactSubscription(WireModel):
    """SPEC ContactSubscriptionCategoryDto: a category the contact receives."""

    id: int | None = None
    key: str | None = None
    group_id: int | None = None
    name: str | None = None


class SubscriptionsChange(RequestModel):
    """SPEC ContactSubscriptionCategoryUpsertRequest: category keys (required; may be empty)."""

    subscriptions: list[str] = Field(description="Subscription category keys.")


class SubscriptionsApi:
    def __init__(self, http: HttpCore) -> None:
        self._http = http

    async def categories(self) -> list[SubscriptionCategory]:
        """Every subscription category of the organisation."""
        response = await self._http.call(CATEGORIES)
        return parse_list(SubscriptionCategory, response.data, CATEGORIES)

    async def of_contact(self, contact_id: int) -> list[ContactSubscription]:
        """The categories contact ``contact_id`` receives. The schema shows one object; an array (and
        an empty body) are read too."""
        response = await self._http.call(OF_CONTACT, path_params={"id": _contact_id(contact_id)})
        return parse_list(ContactSubscription, response.data, OF_CONTACT)

    async def change(self, contact_id: int, keys: Sequence[str]) -> str:
        """Set the categories of contact ``contact_id`` to ``keys``; eSputnik's answer, a string."""
        cleaned = [key.strip() for key in keys]
        if any(not key for key in cleaned):
            raise RequestValidationError("a subscription category key must not be empty")
        body = SubscriptionsChange(subscriptions=list(dict.fromkeys(cleaned))).wire()
        response = await self._http.call(CHANGE, path_params={"id": _contact_id(contact_id)}, json_body=body)
        return str(response.data or "")


def _contact_id(contact_id: int) -> int:
    if contact_id < 1:
        raise RequestValidationError(f"contact ids start at 1; got {contact_id}")
    return contact_id
