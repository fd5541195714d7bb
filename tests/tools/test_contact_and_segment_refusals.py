"""Arguments that cannot work are refused with a precise message before any request reaches
eSputnik: the sandbox journal stays empty."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from esputnik_mcp.sandbox import Sandbox
from tests.tools.conftest import call, error_text
from tests.tools.support import bare_sandbox, requests

pytestmark = pytest.mark.anyio


@pytest.fixture
def sandbox() -> Sandbox:
    """Nothing reaches it; an empty account is enough."""
    return bare_sandbox()


EMAIL = "someone@example.com"

REFUSALS: list[tuple[str, dict[str, Any], str]] = [
    # one identifier
    ("get_contact", {}, "give exactly one of contact_id, external_customer_id, email or phone (got none)"),
    ("get_contact", {"contact_id": 5, "email": EMAIL}, "(got contact_id and email)"),
    ("delete_contact", {}, "give exactly one of contact_id or external_customer_id (got none)"),
    (
        "delete_contact",
        {"contact_id": 5, "external_customer_id": "C-5"},
        "(got contact_id and external_customer_id)",
    ),
    ("delete_contact", {"contact_id": 0}, "contact_id: Input should be greater than or equal to 1"),
    # addresses that cannot be valid
    ("get_contact", {"email": "not-an-email"}, "is not a valid email address"),
    ("get_contact", {"phone": "0501234567"}, "is not in E.164 form"),
    ("get_contact", {"phone": "+380501"}, "cannot be a valid phone number"),
    ("upsert_contact", {"channels": [{"type": "sms", "value": "12345"}]}, "is not in E.164 form"),
    ("upsert_contact", {"channels": [{"type": "email", "value": "x@"}]}, "is not a valid email address"),
    ("upsert_contact", {"channels": [{"type": "telegram", "value": "42"}]}, "channels.0.type"),
    # a contact needs a channel, at most two of a type
    (
        "upsert_contact",
        {"first_name": "Ann"},
        "a contact needs at least one channel: give email, phone or channels",
    ),
    ("subscribe_contact", {"first_name": "Ann"}, "a contact needs at least one channel"),
    (
        "upsert_contact",
        {
            "email": EMAIL,
            "channels": [
                {"type": "email", "value": "b@example.com"},
                {"type": "email", "value": "c@example.com"},
            ],
        },
        "3 email channels; eSputnik keeps at most 2 of a type",
    ),
    # names within eSputnik's rules
    ("upsert_contact", {"email": EMAIL, "first_name": "A" * 41}, "at most 40 characters"),
    ("upsert_contact", {"email": EMAIL, "first_name": "R2D2C3P0"}, "has more than 3 digits"),
    ("upsert_contact", {"email": EMAIL, "last_name": "!!!"}, "has no letters"),
    ("upsert_contact", {"email": EMAIL, "last_name": "Smith & Sons"}, "contains '&'"),
    (
        "bulk_upsert_contacts",
        {"contacts": [{"email": EMAIL, "first_name": "Ann Mary Lou Jo Al Bo Cy"}]},
        "too many words",
    ),
    # custom fields
    ("upsert_contact", {"email": EMAIL, "fields": {"0": "x"}}, "greater than or equal to 1"),
    ("upsert_contact", {"email": EMAIL, "fields": {"70002": True}}, "must be text or a number"),
    ("upsert_contact", {"email": EMAIL, "fields": {"70002": None}}, "must be text or a number"),
    ("upsert_contact", {"email": EMAIL, "fields": {"70002": ["a"]}}, "must be text or a number"),
    ("upsert_contact", {"email": EMAIL, "fields": {"tier": "Gold"}}, "fields.tier.[key]"),
    ("upsert_contact", {"email": EMAIL, "favourite_colour": "green"}, "favourite_colour: unknown parameter"),
    # bulk options
    ("bulk_upsert_contacts", {"contacts": []}, "contacts: List should have at least 1 item"),
    (
        "bulk_upsert_contacts",
        {"contacts": [{"email": EMAIL}], "dedupe_on": "field_id"},
        "dedupe_on=field_id needs field_id",
    ),
    (
        "bulk_upsert_contacts",
        {"contacts": [{"email": EMAIL}], "field_id": 70003},
        "field_id is only used with dedupe_on=field_id",
    ),
    (
        "bulk_upsert_contacts",
        {"contacts": [{"email": EMAIL}], "dedupe_on": "webpush"},
        "dedupe_on: Input should be",
    ),
    (
        "bulk_upsert_contacts",
        {"contacts": [{"email": EMAIL}], "event_key_for_new_contacts": "new/contact"},
        "contains characters eSputnik forbids: /",
    ),
    (
        "bulk_upsert_contacts",
        {"contacts": [{"email": EMAIL}, {"phone": "+380501234567"}], "dedupe_on": "email"},
        "1 contact(s) lack the value dedupe_on=email matches on (and an external_customer_id): contacts[1]",
    ),
    (
        "bulk_upsert_contacts",
        {
            "contacts": [{"email": EMAIL, "fields": {"70001": "2000-01-01"}}],
            "dedupe_on": "field_id",
            "field_id": 70003,
        },
        "lack the value dedupe_on=field_id matches on",
    ),
    (
        "bulk_upsert_contacts",
        {"contacts": [{"email": EMAIL, "segments": ["VIP"]}]},
        "contacts.0.segments: unknown parameter",
    ),
    (
        "bulk_upsert_contacts",
        {"contacts": [{"email": EMAIL}], "wait": True, "wait_seconds": 120},
        "wait_seconds",
    ),
    # subscribe
    (
        "subscribe_contact",
        {"email": EMAIL, "form_type": "footer,popup"},
        "form_type contains characters eSputnik forbids: ,",
    ),
    ("get_import_status", {"session_id": ""}, "session_id: String should have at least 1 character"),
    # segment membership
    (
        "update_segment_membership",
        {"segment_id": 2005, "action": "detach"},
        "a detach without contacts would remove every contact from the segment, so it is refused",
    ),
    (
        "update_segment_membership",
        {"segment_id": 2005, "action": "detach", "contact_ids": []},
        "would remove every contact from the segment",
    ),
    (
        "update_segment_membership",
        {"segment_id": 2005, "action": "detach", "external_customer_ids": []},
        "would remove every contact from the segment",
    ),
    (
        "update_segment_membership",
        {"segment_id": 2005, "action": "attach", "contact_ids": [1], "external_customer_ids": ["C-1"]},
        "exactly one of contact_ids or external_customer_ids (got contact_ids and external_customer_ids)",
    ),
    ("update_segment_membership", {"segment_id": 2005, "action": "attach"}, "(got none)"),
    (
        "update_segment_membership",
        {"segment_id": 2005, "action": "move", "contact_ids": [1]},
        "action: Input should be",
    ),
    (
        "update_segment_membership",
        {"segment_id": 2005, "action": "attach", "contact_ids": [0]},
        "greater than or equal to 1",
    ),
    # paging
    ("list_segments", {"limit": 501}, "limit: Input should be less than or equal to 500"),
    ("get_segment_contacts", {"segment_id": 0}, "segment_id: Input should be greater than or equal to 1"),
    ("get_segment_contacts", {"segment_id": 2001, "cursor": "garbage"}, "cursor is not valid"),
]


@pytest.mark.parametrize(
    ("tool", "arguments", "expected"), REFUSALS, ids=[f"{t}-{i}" for i, (t, _, _) in enumerate(REFUSALS)]
)
async def test_refused_before_any_request(
    mcp: Client, sandbox: Sandbox, tool: str, arguments: dict[str, Any], expected: str
) -> None:
    result = await call(mcp, tool, arguments)
    assert expected in error_text(result)
    assert requests(sandbox) == []
