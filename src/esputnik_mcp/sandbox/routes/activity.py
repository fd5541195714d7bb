"""Events (POST /v2/event) and orders (POST and DELETE /v1/orders) (esputnik-api.md §11, §12)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from starlette.responses import Response

from esputnik_mcp.sandbox import rules
from esputnik_mcp.sandbox.domain import events, orders
from esputnik_mcp.sandbox.limits import (
    EVENT_BODY_BYTES,
    EVENTS,
    ORDER_DELETE_WINDOW_SECONDS,
    ORDERS_PER_REQUEST,
)
from esputnik_mcp.sandbox.routes.base import Call, RouteSpec
from esputnik_mcp.sandbox.validation import EventIn, OrdersIn
from esputnik_mcp.sandbox.wire import (
    ApiError,
    bad_request,
    describe,
    empty_reply,
    json_reply,
    parse_body,
    parse_json,
)

# eSputnik answers a refused event with a sentence followed by the structure it expects
# (DOC validating-event-parameters); the wording here is the sandbox's.
EVENT_STRUCTURE = (
    'Expected structure: {"eventTypeKey": "<event type key>", "params": ['
    '{"name": "externalCustomerId|email|phone|contactId", "value": "<contact identifier>"}, '
    '{"name": "<parameter name>", "value": "<string or JSON value>"}]}'
)


def _event_error(sentence: str) -> ApiError:
    return bad_request(f"{sentence}\n{EVENT_STRUCTURE}")


def generate_event(call: Call) -> Response:
    call.params()
    if len(call.body) > EVENT_BODY_BYTES:
        raise _event_error(
            f"The event is {len(call.body)} bytes; "
            "the maximum size of event data in the request body is 20 KB."
        )
    if not call.body.strip():
        raise _event_error("The request body is required.")
    data = parse_json(call.body)
    try:
        event = EventIn.model_validate(data, strict=True)
    except ValidationError as exc:
        raise _event_error(f"The event does not match the expected structure: {describe(exc)}.") from None
    problem = rules.key_problem(event.eventTypeKey, "eventTypeKey")
    if problem:
        raise _event_error(f"Invalid event: {problem}")
    params: list[tuple[str, Any]] = []
    for index, param in enumerate(event.params or ()):
        if param.name is None or not param.name.strip():
            raise _event_error(f"Invalid event: params[{index}] has no name.")
        params.append((param.name, param.value))
    found = events.identifiers(params)  # DOC: the identifier goes inside params
    if not found:
        raise _event_error(
            "The event has no contact identifier: params must contain a non-empty externalCustomerId, "
            "email, phone or contactId."
        )
    contact_id = events.resolve_contact(call.state, found)
    events.record(call.state, event.eventTypeKey, params, contact_id=contact_id, source="api")
    return empty_reply()


def add_orders(call: Call) -> Response:
    """Orders are checked one by one: a bad order goes to ``failedOrders`` inside a 200 (SPEC
    FailedOrders); the others are stored."""
    call.params()
    request = parse_body(OrdersIn, call.body)
    if len(request.orders) > ORDERS_PER_REQUEST:
        raise bad_request(
            f"Too many orders: {len(request.orders)}; at most {ORDERS_PER_REQUEST} per request are allowed"
        )
    failed = []
    for raw in request.orders:
        checked = orders.check(raw)
        if isinstance(checked, str):
            failed.append({"order": raw, "error": checked})
            continue
        order, moment = checked
        orders.upsert(call.state, order, moment, raw)
    return json_reply({"failedOrders": failed})


def delete_orders(call: Call) -> Response:
    """DOC removehistoryorders: ``externalOrderId``, or ``from`` and ``to`` (UTC,
    yyyy-MM-dd'T'HH:mm:ss, from before to, at most 24 h apart). Deletion runs later."""
    # Both criteria at once are refused and an unknown externalOrderId is accepted (guesses).
    query = call.params("externalOrderId", "from", "to")
    external_id, start, end = query.text("externalOrderId"), query.text("from"), query.text("to")
    if external_id is not None:
        if start is not None or end is not None:
            raise bad_request("Give either externalOrderId, or from and to; not both")
        if not external_id.strip():
            raise bad_request("externalOrderId must not be empty")
        orders.schedule_deletion(call.state, external_order_id=external_id)
        return empty_reply()
    if start is None or end is None:
        raise bad_request("Give externalOrderId, or both from and to")
    low, high = orders.parse_window_bound(start), orders.parse_window_bound(end)
    if low is None or high is None:
        raise bad_request("from and to must be dates as yyyy-MM-dd'T'HH:mm:ss (UTC)")
    if low >= high:
        raise bad_request("from must be earlier than to")
    if high - low > ORDER_DELETE_WINDOW_SECONDS:
        raise bad_request("The period between from and to must not exceed 24 hours")
    orders.schedule_deletion(call.state, window=(low, high))
    return empty_reply()


ROUTES = [
    RouteSpec("POST", "/v2/event", generate_event, EVENTS),
    RouteSpec("POST", "/v1/orders", add_orders),
    RouteSpec("DELETE", "/v1/orders", delete_orders),
]
