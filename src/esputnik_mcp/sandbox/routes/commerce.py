"""Promo codes (esputnik-api.md §10.1), product feeds (§15.2) and recommendations (§15.3)."""

from __future__ import annotations

from starlette.responses import Response

from esputnik_mcp.sandbox.domain import contacts, products, promocodes
from esputnik_mcp.sandbox.routes.base import Call, RouteSpec
from esputnik_mcp.sandbox.validation import ProductFeedsIn, PromocodesPayloadIn
from esputnik_mcp.sandbox.wire import (
    Query,
    bad_request,
    dumps,
    json_reply,
    parse_body,
    path_int,
    prune,
    text_reply,
)

_INT32 = 2**31 - 1


def _filters(query: Query) -> promocodes.Filters:
    """``type``, ``inUse`` (of the operations that take it), ``activeDueDays`` and ``discount``."""
    return promocodes.Filters(
        type=query.text("type"),
        in_use=query.boolean("inUse", False) if query.text("inUse") is not None else None,
        active_due_days=_optional_int(query, "activeDueDays", 0),
        discount=_optional_int(query, "discount", -_INT32),
    )


def _optional_int(query: Query, name: str, low: int) -> int | None:
    return query.integer(name, 0, low=low, high=_INT32) if query.text(name) is not None else None


def list_codes(call: Call) -> Response:
    """SPEC getPromocodes: "a list of all available promotional codes as JSON string" — the list is
    JSON-encoded and the answer is that string, itself JSON."""
    query = call.params("type", "inUse", "activeDueDays", "discount")
    return json_reply(dumps(promocodes.codes_json(call.state, _filters(query))))


def count_codes(call: Call) -> Response:
    """SPEC getPromocodesCount has no response schema: a bare JSON number (a guess; esputnik-api.md
    §10.1 "probably a number"). It takes no ``inUse``."""
    query = call.params("type", "activeDueDays", "discount")
    return json_reply(promocodes.count_available(call.state, _filters(query)))


def upload_codes(call: Call) -> Response:
    """SPEC insertPromoCodes_1: the body's codes, created or updated, answered with the payload. The
    query may carry ``expirationDate``, ``discount``, ``type`` and ``inUse`` too; the body's value
    wins where both are given (the sandbox's own reading), ``inUse`` defaulting to false (SPEC)."""
    query = call.params("expirationDate", "discount", "type", "inUse")
    payload = parse_body(PromocodesPayloadIn, call.body)
    in_use = payload.inUse if payload.inUse is not None else query.boolean("inUse", False)
    code_type = payload.type if payload.type is not None else query.text("type")
    promocodes.upload(
        call.state,
        promocodes.Upload(
            codes=payload.promocodes,
            expiration_date=payload.expirationDate,
            discount=payload.discount,
            type=code_type,
            in_use=in_use,
        ),
    )
    return json_reply(prune(payload.model_dump()))


def get_feeds(call: Call) -> Response:
    """SPEC getProductFeedsConfiguration."""
    call.params()
    return json_reply(products.feeds_json(call.state))


def set_feeds(call: Call) -> Response:
    """SPEC configureProductFeeds: the whole configuration is replaced; the answer is a string (its
    wording is the sandbox's own). A missing ``feeds`` is 400 (the sandbox's own)."""
    call.params()
    request = parse_body(ProductFeedsIn, call.body)
    if request.feeds is None:
        raise bad_request("Invalid request body: feeds: required field is missing")
    feeds = []
    for index, feed in enumerate(request.feeds):
        if not feed.url:
            raise bad_request(f"Invalid request body: feeds[{index}].url: required field is missing")
        feeds.append(products.Feed(url=feed.url, language=feed.language, default=feed.default))
    products.set_feeds(call.state, feeds)
    return text_reply("Product feeds configuration saved")


def _listed(value: str | None) -> tuple[str, ...]:
    """``products`` and ``category`` as a comma-joined value (esputnik-api.md §15.3 leaves the
    encoding open; the sandbox reads commas)."""
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def recommendations(call: Call) -> Response:
    """SPEC contactRecoms: at least one contact identifier is required (400 otherwise). The contact is
    the first one the identifiers resolve to (contactId, externalCustomerId, email, phone); a
    ``webId`` names a site visitor, and the sandbox has none. A contact it cannot find gets what
    needs no contact (the sandbox's own)."""
    query = call.params("contactId", "email", "phone", "externalCustomerId", "webId", "products", "category")
    data_source_id = path_int(call.path["dataSourceId"], "data source id")
    given = {name: query.text(name) for name in ("contactId", "email", "phone", "externalCustomerId", "webId")}
    if not any(value and value.strip() for value in given.values()):
        raise bad_request("At least one of contactId, email, phone, externalCustomerId, webId must be specified")
    contact_id = _resolve(call, given)
    ask = products.Ask(contact_id, _listed(query.text("products")), _listed(query.text("category")))
    return json_reply(products.recommend(call.state, data_source_id, ask))


def _resolve(call: Call, given: dict[str, str | None]) -> int | None:
    state = call.state
    if given["contactId"]:
        contact_id = path_int(given["contactId"], "contactId", bits=64)
        if contacts.is_active(state, contact_id):
            return contact_id
    if given["externalCustomerId"]:
        found = contacts.find_by_external_id(state, given["externalCustomerId"].strip())
        if found is not None:
            return found
    if given["email"]:
        found = contacts.find_by_channel(state, "email", given["email"])
        if found is not None:
            return found
    if given["phone"]:
        return contacts.find_by_channel(state, "sms", given["phone"])
    return None


ROUTES = [
    RouteSpec("GET", "/v1/promocodes", list_codes),
    RouteSpec("POST", "/v1/promocodes", upload_codes),
    RouteSpec("GET", "/v1/promocodes/count", count_codes),
    RouteSpec("GET", "/v1/products/config", get_feeds),
    RouteSpec("POST", "/v1/products/config", set_feeds),
    RouteSpec("GET", "/v2/contacts/recoms/{dataSourceId}", recommendations),
]
