"""Contact tools through a real MCP client on both protocol revisions, against the sandbox:
get_contact, upsert_contact, delete_contact, subscribe_contact, list_custom_fields."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from esputnik_mcp.api.models import ChannelInput, Contact, ContactInput
from esputnik_mcp.sandbox import Fault, Sandbox
from esputnik_mcp.server.runtime import Runtime
from esputnik_mcp.tools import catalogue
from esputnik_mcp.tools.contacts_write import DeleteContactInput
from tests.tools.conftest import call, error_text
from tests.tools.support import data, requests, text

pytestmark = pytest.mark.anyio


GENDER, POINTS, LTV, TIER = 70002, 70005, 70006, 70004


@pytest.fixture
async def known(runtime: Runtime, sandbox: Sandbox) -> Contact:
    """A demo contact with an email, a phone, an external id, custom fields and static segments."""
    page = await runtime.client.contacts.search(max_rows=100)
    for item in page.items:
        assert item.id is not None
        contact = await runtime.client.contacts.get(item.id)
        if (
            contact.channel_values("email")
            and contact.channel_values("sms")
            and contact.external_customer_id
            and contact.fields
            and contact.groups
        ):
            sandbox.journal.clear()
            return contact
    raise AssertionError("the demo data has no fully filled contact among the first 100")


# --- the surface ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tool", "read_only", "destructive", "idempotent"),
    [
        ("get_contact", True, False, True),
        ("upsert_contact", False, False, True),
        ("bulk_upsert_contacts", False, False, True),
        ("delete_contact", False, True, True),
        ("subscribe_contact", False, False, False),
        ("get_import_status", True, False, True),
        ("list_custom_fields", True, False, True),
    ],
)
async def test_contact_tools_declare_every_annotation(
    mcp: Client, tool: str, read_only: bool, destructive: bool, idempotent: bool
) -> None:
    listed = {t.name: t for t in (await mcp.list_tools()).tools}
    annotations = listed[tool].annotations
    assert annotations is not None
    assert annotations.read_only_hint is read_only
    assert annotations.destructive_hint is destructive
    assert annotations.idempotent_hint is idempotent
    assert annotations.open_world_hint is True
    assert listed[tool].output_schema is not None


def test_erase_is_declared_irreversible_and_an_ordinary_delete_is_not() -> None:
    spec = next(t for t in catalogue() if t.name == "delete_contact")
    assert spec.irreversible is not None
    assert spec.irreversible(DeleteContactInput(contact_id=123, erase=True)) == (
        "permanently erase contact 123 and all its data (GDPR erase; cannot be undone)"
    )
    by_external = spec.irreversible(DeleteContactInput(external_customer_id="CUST-9", erase=True))
    assert by_external is not None
    assert "CUST-9" in by_external
    assert spec.irreversible(DeleteContactInput(contact_id=123)) is None


# --- get_contact ---------------------------------------------------------------------------------


async def test_get_contact_by_id_returns_the_full_record(mcp: Client, sandbox: Sandbox, known: Contact) -> None:
    result = await call(mcp, "get_contact", {"contact_id": known.id})
    contact = data(result)["contact"]
    assert contact["id"] == known.id
    assert contact["email"] == known.channel_values("email")[0]
    assert contact["external_customer_id"] == known.external_customer_id
    assert {(c["type"], c["value"]) for c in contact["channels"]} == {(c.type, c.value) for c in known.channels}
    assert {f["id"]: f.get("value") for f in contact["fields"]} == {f.id: f.value for f in known.fields}
    assert all(f["name"] for f in contact["fields"])  # every custom field is named from the catalogue
    assert [s["id"] for s in contact["segments"]] == [g.id for g in known.groups]
    assert all(s["type"] == "Static" for s in contact["segments"])
    assert f"contact {known.id}" in text(result).splitlines()[0]
    routes = sorted(e.route or "" for e in requests(sandbox))
    assert routes == ["GET /v1/addressbooks", "GET /v1/contact/{id}"]


@pytest.mark.parametrize(
    ("parameter", "query_name"),
    [("email", "email"), ("phone", "sms"), ("external_customer_id", "externalCustomerId")],
)
async def test_get_contact_by_channel_or_external_id_searches_then_reads_by_id(
    mcp: Client, sandbox: Sandbox, known: Contact, parameter: str, query_name: str
) -> None:
    value = {
        "email": known.channel_values("email")[0],
        "phone": known.channel_values("sms")[0],
        "external_customer_id": known.external_customer_id,
    }[parameter]
    result = await call(mcp, "get_contact", {parameter: value})
    assert data(result)["contact"]["id"] == known.id
    searches = requests(sandbox, "GET /v1/contacts")
    assert len(searches) == 1
    assert searches[0].query[query_name] == value
    reads = requests(sandbox, "GET /v1/contact/{id}")
    assert [e.path for e in reads] == [f"/v1/contact/{known.id}"]


async def test_get_contact_by_unknown_email_says_so(mcp: Client, sandbox: Sandbox) -> None:
    result = await call(mcp, "get_contact", {"email": "nobody-at-all@example.com"})
    assert error_text(result) == "no contact with email nobody-at-all@example.com"
    assert requests(sandbox, "GET /v1/contact/{id}") == []


async def test_get_contact_by_unknown_id_says_so(mcp: Client) -> None:
    result = await call(mcp, "get_contact", {"contact_id": 987654321})
    assert error_text(result) == "contact 987654321 not found"


async def test_get_contact_names_every_contact_sharing_a_phone(mcp: Client, runtime: Runtime, sandbox: Sandbox) -> None:
    phone = "+380509998877"
    first = await runtime.client.contacts.upsert(
        ContactInput(channels=[ChannelInput(type="sms", value=phone)], external_customer_id="TWIN-1")
    )
    second = await runtime.client.contacts.upsert(
        ContactInput(channels=[ChannelInput(type="sms", value=phone)], external_customer_id="TWIN-2")
    )
    assert first != second
    sandbox.journal.clear()
    message = error_text(await call(mcp, "get_contact", {"phone": phone}))
    assert message.startswith(f"2 contacts have phone {phone}")
    assert str(first) in message
    assert str(second) in message
    assert requests(sandbox, "GET /v1/contact/{id}") == []


# --- upsert_contact ------------------------------------------------------------------------------


async def test_upsert_contact_sends_every_field_in_the_documented_shape(
    mcp: Client, runtime: Runtime, sandbox: Sandbox
) -> None:
    arguments = {
        "email": "Nadiia.Koval@Example.com",
        "phone": "+38 (050) 123-45-67",
        "channels": [
            {"type": "viber", "value": "+380501234567"},
            {"type": "email", "value": "n.k@example.org"},
            {"type": "email", "value": "nadiia.koval@example.com"},  # the email again: sent once
        ],
        "first_name": "Nadiia",
        "last_name": "Koval-Shevchuk",
        "external_customer_id": "CUST-7001",
        "address": {"town": "Lviv", "postcode": "79000"},
        "fields": {str(GENDER): "female", str(POINTS): 120, str(LTV): 12.5},
        "language_code": "uk",
        "time_zone": "Europe/Kyiv",
    }
    result = await call(mcp, "upsert_contact", arguments)
    contact_id = data(result)["contact_id"]
    assert text(result).splitlines()[0].endswith(f"contact {contact_id} saved (Nadiia.Koval@example.com)")
    [sent] = requests(sandbox, "POST /v1/contact")
    assert sent.status == 200
    assert sent.body == {
        "firstName": "Nadiia",
        "lastName": "Koval-Shevchuk",
        "channels": [
            {"type": "email", "value": "Nadiia.Koval@example.com"},
            {"type": "sms", "value": "+380501234567"},
            {"type": "viber", "value": "+380501234567"},
            {"type": "email", "value": "n.k@example.org"},
        ],
        "address": {"town": "Lviv", "postcode": "79000"},
        "fields": [
            {"id": GENDER, "value": "female"},
            {"id": POINTS, "value": "120"},
            {"id": LTV, "value": "12.5"},
        ],
        "externalCustomerId": "CUST-7001",
        "languageCode": "uk",
        "timeZone": "Europe/Kyiv",
    }
    stored = await runtime.client.contacts.get(contact_id)
    assert stored.external_customer_id == "CUST-7001"
    assert {f.id: f.value for f in stored.fields} == {GENDER: "female", POINTS: "120", LTV: "12.5"}


async def test_upsert_contact_updates_the_contact_with_the_same_email(
    mcp: Client, runtime: Runtime, sandbox: Sandbox, known: Contact
) -> None:
    email = known.channel_values("email")[0]
    result = await call(mcp, "upsert_contact", {"email": email, "first_name": "Renamed"})
    assert data(result)["contact_id"] == known.id
    [sent] = requests(sandbox, "POST /v1/contact")
    assert sent.body == {"firstName": "Renamed", "channels": [{"type": "email", "value": email}]}
    stored = await runtime.client.contacts.get(known.id or 0)
    assert stored.first_name == "Renamed"


async def test_upsert_contact_adds_the_contact_to_named_static_segments(mcp: Client, sandbox: Sandbox) -> None:
    result = await call(mcp, "upsert_contact", {"email": "segment.joiner@example.com", "segments": ["VIP customers"]})
    out = data(result)
    assert out["segments_added"] == [{"id": 2002, "name": "VIP customers", "type": "Static"}]
    [attach] = requests(sandbox, "POST /v1/group/{id}/contacts/attach")
    assert attach.path == "/v1/group/2002/contacts/attach"
    assert attach.body == {"contactIds": [out["contact_id"]]}
    routes = [e.route for e in requests(sandbox)]
    assert (
        routes.index("GET /v1/groups")
        < routes.index("POST /v1/contact")
        < routes.index("POST /v1/group/{id}/contacts/attach")
    )


@pytest.mark.parametrize(
    ("segment", "reason"),
    [
        ("No such segment anywhere", "there is no segment called 'No such segment anywhere'"),
        ("Ukrainian speakers", "segment 'Ukrainian speakers' is Dynamic"),
    ],
)
async def test_upsert_contact_saves_nothing_when_a_segment_cannot_take_it(
    mcp: Client, sandbox: Sandbox, segment: str, reason: str
) -> None:
    result = await call(mcp, "upsert_contact", {"email": "not.saved@example.com", "segments": [segment]})
    message = error_text(result)
    assert message.startswith("nothing saved: ")
    assert reason in message
    assert requests(sandbox, "POST /v1/contact") == []


async def test_upsert_contact_reports_a_segment_it_could_not_join_after_saving(mcp: Client, sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault(route="POST /v1/group/{id}/contacts/attach", status=400, body="segment locked"))
    result = await mcp.call_tool("upsert_contact", {"email": "half.done@example.com", "segments": ["VIP customers"]})
    assert result.is_error
    out = result.structured_content
    assert out is not None
    assert out["contact_id"] > 0
    assert "segments_added" not in out
    assert out["segment_errors"][0].startswith("VIP customers (2002): ")
    assert "segment locked" in out["segment_errors"][0]
    assert len(requests(sandbox, "POST /v1/contact")) == 1


async def test_upsert_contact_surfaces_esputniks_refusal_of_a_field_value(mcp: Client, sandbox: Sandbox) -> None:
    result = await call(mcp, "upsert_contact", {"email": "tier@example.com", "fields": {str(TIER): "Diamond"}})
    assert "eSputnik said:" in error_text(result)
    assert "Diamond" in error_text(result)
    assert [e.status for e in requests(sandbox, "POST /v1/contact")] == [400]


# --- delete_contact ------------------------------------------------------------------------------


@pytest.mark.parametrize("erase", [False, True])
async def test_delete_contact_by_id_sends_the_erase_flag(
    mcp: Client, runtime: Runtime, sandbox: Sandbox, known: Contact, erase: bool
) -> None:
    result = await call(mcp, "delete_contact", {"contact_id": known.id, "erase": erase})
    assert data(result) == {"contact_id": known.id, "erased": erase, "sandbox": True}
    [sent] = requests(sandbox, "DELETE /v1/contact/{id}")
    assert sent.path == f"/v1/contact/{known.id}"
    assert sent.query == {"erase": "true" if erase else "false"}
    assert sent.status == 200
    summary = text(result).splitlines()[0]
    assert ("erased for good" in summary) is erase
    found = await runtime.client.contacts.search(email=known.channel_values("email")[0])
    assert known.id not in [c.id for c in found.items]


async def test_delete_contact_by_external_id(mcp: Client, sandbox: Sandbox, known: Contact) -> None:
    result = await call(mcp, "delete_contact", {"external_customer_id": known.external_customer_id})
    assert data(result)["external_customer_id"] == known.external_customer_id
    [sent] = requests(sandbox, "DELETE /v1/contact")
    assert sent.query == {"externalCustomerId": known.external_customer_id, "erase": "false"}


async def test_delete_contact_unknown_says_nothing_was_deleted(mcp: Client) -> None:
    result = await call(mcp, "delete_contact", {"contact_id": 987654321})
    assert error_text(result) == "contact 987654321 was not found: nothing deleted"
    by_external = await call(mcp, "delete_contact", {"external_customer_id": "NO-SUCH-CUSTOMER"})
    assert error_text(by_external) == (
        "the contact with external customer id NO-SUCH-CUSTOMER was not found: nothing deleted"
    )


# --- subscribe_contact ---------------------------------------------------------------------------


async def test_subscribe_contact_new_email_awaits_confirmation(mcp: Client, runtime: Runtime, sandbox: Sandbox) -> None:
    result = await call(
        mcp,
        "subscribe_contact",
        {
            "email": "new.subscriber@example.com",
            "first_name": "Ostap",
            "fields": {str(GENDER): "male"},
            "segments": ["Spring fair 2025"],
            "form_type": "footer",
        },
    )
    out = data(result)
    assert out["new"] is True
    assert out["email_status"] == "NEED_CONFIRMATION"
    assert out["event"] == "subscribeFromApi-footer"
    assert "Double opt-in" in out["note"]
    assert "awaits confirmation" in text(result).splitlines()[0]
    [sent] = requests(sandbox, "POST /v1/contact/subscribe")
    assert sent.body == {
        "contact": {
            "firstName": "Ostap",
            "channels": [{"type": "email", "value": "new.subscriber@example.com"}],
            "fields": [{"id": GENDER, "value": "male"}],
        },
        "groups": ["Spring fair 2025"],
        "formType": "footer",
    }
    segments = [g async for g in runtime.client.segments.iter_all(name="Spring fair 2025")]
    assert [g.type for g in segments] == ["Static"]  # created by name


async def test_subscribe_contact_existing_contact_raises_the_update_event(mcp: Client, known: Contact) -> None:
    result = await call(mcp, "subscribe_contact", {"email": known.channel_values("email")[0]})
    out = data(result)
    assert out["contact_id"] == known.id
    assert out["new"] is False
    assert out["event"] == "subscribeUpdateFromApi"


# --- list_custom_fields --------------------------------------------------------------------------


async def test_list_custom_fields_flattens_the_catalogue(mcp: Client, runtime: Runtime, sandbox: Sandbox) -> None:
    result = await call(mcp, "list_custom_fields")
    rows: list[dict[str, Any]] = data(result)["fields"]
    assert len(requests(sandbox, "GET /v1/addressbooks")) == 1
    catalogue = await runtime.client.custom_fields.catalogue()
    expected = {f.id for book in catalogue for group in book.field_groups for f in group.fields}
    assert {r["id"] for r in rows} == expected
    assert len(rows) == len(expected)
    by_id = {r["id"]: r for r in rows}
    assert by_id[GENDER] == {
        "id": GENDER,
        "name": "Gender",
        "key": "gender",
        "type": "COMBOBOX",
        "required": False,
        "readonly": False,
        "allowed_values": ["female", "male", "other"],
        "group": "Personal",
        "profile_key": "personal",
    }
    assert (by_id[POINTS]["min_value"], by_id[POINTS]["max_value"]) == (0, 1_000_000)
    assert all(r["type"] == r["type"].upper() for r in rows)
    assert text(result).splitlines()[0] == f"[sandbox] {len(rows)} custom contact fields"
