"""Segments: search, members, attach and detach (esputnik-api.md §6)."""

from __future__ import annotations

import sqlite3

from starlette.responses import Response

from esputnik_mcp.sandbox.domain import contacts, segments
from esputnik_mcp.sandbox.limits import MAX_ROWS, SEGMENT_IDS_PER_LIST
from esputnik_mcp.sandbox.routes.base import Call, RouteSpec
from esputnik_mcp.sandbox.validation import ModifyGroupIn
from esputnik_mcp.sandbox.wire import (
    bad_request,
    not_found,
    paged_reply,
    parse_json,
    path_int,
    text_reply,
    validate,
)


def _segment(call: Call) -> sqlite3.Row:
    segment_id = path_int(call.path["id"], "segment id")
    row = segments.get(call.state, segment_id)
    if row is None:
        raise not_found(f"Segment with id={segment_id} not found")
    return row


def search_groups(call: Call) -> Response:
    query = call.params("name", "startindex", "maxrows")
    start, rows = query.paging(MAX_ROWS)
    found, total = segments.search(call.state, query.text("name"), start=start, rows=rows)
    return paged_reply(found, total)


def group_contacts(call: Call) -> Response:
    query = call.params("startindex", "maxrows", "orderByTs", "asc")
    start, rows = query.paging(MAX_ROWS)
    order_by_ts = query.boolean("orderByTs", False)
    ascending = query.boolean("asc", True)
    segment = _segment(call)
    ids, total = segments.members(
        call.state, segment, start=start, rows=rows, order_by_ts=order_by_ts, ascending=ascending
    )
    return paged_reply(contacts.contacts_json(call.state, ids), total)


def _members_request(call: Call, segment: sqlite3.Row, verb: str) -> tuple[list[int], bool]:
    """The contact ids a request names, and whether it named none at all."""
    if segment["type"] != segments.STATIC:
        raise bad_request(
            f"Segment {segment['id']} is {segment['type'].lower()}: "
            f"contacts can be {verb} only with static segments"
        )
    request = validate(ModifyGroupIn, parse_json(call.body) if call.body.strip() else {})
    contact_ids = request.contactIds or []
    external_ids = request.externalCustomerIds or []
    for name, items in (("contactIds", contact_ids), ("externalCustomerIds", external_ids)):
        if len(items) > SEGMENT_IDS_PER_LIST:
            raise bad_request(
                f"Too many ids in {name}: {len(items)}; at most {SEGMENT_IDS_PER_LIST} are allowed"
            )
    if contact_ids and external_ids:
        raise bad_request("Use one kind of id per request: contactIds or externalCustomerIds")
    if external_ids:
        return segments.contact_ids_by_external(call.state, external_ids), False
    return segments.existing_contact_ids(call.state, contact_ids), not contact_ids


def attach(call: Call) -> Response:
    """Unknown ids are skipped and an attach naming no one changes nothing (guesses); the
    answer's wording is the sandbox's."""
    call.params()
    segment = _segment(call)
    ids, _ = _members_request(call, segment, "attached")
    added = segments.add_members(call.state, segment["id"], ids)
    return text_reply(f"{added} contact(s) attached to segment {segment['id']}")


def detach(call: Call) -> Response:
    """A detach naming no contacts (empty body, ``{}`` or empty lists) empties the segment
    (SPEC detachContactsFromGroup)."""
    call.params()
    segment = _segment(call)
    ids, named_none = _members_request(call, segment, "detached")
    if named_none:
        removed = segments.empty(call.state, segment["id"])
    else:
        removed = segments.remove_members(call.state, segment["id"], ids)
    return text_reply(f"{removed} contact(s) detached from segment {segment['id']}")


ROUTES = [
    RouteSpec("GET", "/v1/groups", search_groups),
    RouteSpec("GET", "/v1/group/{id}/contacts", group_contacts),
    RouteSpec("POST", "/v1/group/{id}/contacts/attach", attach),
    RouteSpec("POST", "/v1/group/{id}/contacts/detach", detach),
]
