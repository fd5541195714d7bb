"""Subscription categories: the organisation's and a contact's (esputnik-api.md §4.12)."""

from __future__ import annotations

from starlette.responses import Response

from esputnik_mcp.sandbox.domain import contacts, subscriptions
from esputnik_mcp.sandbox.routes.base import Call, RouteSpec
from esputnik_mcp.sandbox.validation import SubscriptionsChangeIn
from esputnik_mcp.sandbox.wire import json_reply, not_found, one_or_many, parse_body, path_int, text_reply


def _contact(call: Call) -> int:
    """The path's contact; a deleted or unknown one is 404, as GET /v1/contact/{id} answers (a guess)."""
    contact_id = path_int(call.path["id"], "contact id", bits=64)
    if not contacts.is_active(call.state, contact_id):
        raise not_found(f"Contact with id={contact_id} not found")
    return contact_id


def categories(call: Call) -> Response:
    """SPEC getSubscriptionCategories: an array of SubscriptionCategoryDto."""
    call.params()
    return json_reply(subscriptions.categories_json(call.state))


def contact_categories(call: Call) -> Response:
    """SPEC getContactSubscriptionCategories shows one ContactSubscriptionCategoryDto: a contact with
    one category gets a lone object, with several an array (esputnik-api.md §20.1), with none an
    empty array (a guess)."""
    call.params()
    found = subscriptions.of_contact(call.state, _contact(call))
    return json_reply(one_or_many(found) if found else [])


def change_contact_categories(call: Call) -> Response:
    """SPEC changeContactSubscriptionCategories: the contact's categories become the keys given;
    the answer is a string (its wording is the sandbox's own)."""
    call.params()
    contact_id = _contact(call)
    request = parse_body(SubscriptionsChangeIn, call.body)
    subscriptions.replace(call.state, contact_id, request.subscriptions)
    return text_reply(f"Subscriptions of contact with id='{contact_id}' have been updated")


ROUTES = [
    RouteSpec("GET", "/v1/subscriptions", categories),
    RouteSpec("GET", "/v1/contact/{id}/subscriptions", contact_categories),
    RouteSpec("PUT", "/v1/contact/{id}/subscriptions", change_contact_categories),
]
