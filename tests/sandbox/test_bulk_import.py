"""POST /v1/contacts: applied asynchronously, followed through /v1/importstatus."""

from typing import Any

import httpx2 as httpx
import pytest

from esputnik_mcp.api import ESputnikClient
from esputnik_mcp.api.models import BulkOptions, ChannelInput, ContactFieldInput, ContactInput, DedupeOn
from esputnik_mcp.sandbox import Sandbox

pytestmark = pytest.mark.anyio


def _email(address: str, **extra: Any) -> dict[str, Any]:
    return {"channels": [{"type": "email", "value": address}], **extra}


async def _finish(http: httpx.AsyncClient, sandbox: Sandbox, session: str) -> dict[str, Any]:
    sandbox.clock.advance(3)
    status: dict[str, Any] = (await http.get(f"/v1/importstatus/{session}")).json()
    return status


async def test_contacts_appear_only_when_the_import_runs(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    body = {"dedupeOn": "email", "contacts": [_email("late1@example.com"), _email("late2@example.com")]}
    answer = (await http.post("/v1/contacts", json=body)).json()
    session = answer["asyncSessionId"]
    assert "failedContacts" not in answer

    started = (await http.get(f"/v1/importstatus/{session}")).json()
    assert started["status"] == "STARTED"
    assert (await http.get("/v1/contacts", params={"email": "late1@example.com"})).json() == []

    sandbox.clock.advance(1.5)
    importing = (await http.get(f"/v1/importstatus/{session}")).json()
    assert importing["status"] == "IMPORTING"
    assert importing["timestamp"] > started["timestamp"]
    assert (await http.get("/v1/contacts", params={"email": "late1@example.com"})).json() == []

    sandbox.clock.advance(1.5)
    finished = (await http.get(f"/v1/importstatus/{session}")).json()
    assert finished["status"] == "FINISHED"
    found = (await http.get("/v1/contacts", params={"email": "late1@example.com"})).json()
    assert len(found) == 1
    mapping = {m["dedupeValue"]: m["contactId"] for m in finished["mapping"]}
    assert mapping["late1@example.com"] == found[0]["id"]
    assert set(mapping) == {"late1@example.com", "late2@example.com"}


async def test_more_than_3000_contacts_are_refused(http: httpx.AsyncClient) -> None:
    contacts = [_email(f"c{n}@example.com") for n in range(3001)]
    response = await http.post("/v1/contacts", json={"dedupeOn": "email", "contacts": contacts})
    assert response.status_code == 400
    assert "3000" in response.text
    accepted = await http.post("/v1/contacts", json={"dedupeOn": "email", "contacts": contacts[:3000]})
    assert accepted.status_code == 200


async def test_invalid_contacts_come_back_in_failed_contacts(http: httpx.AsyncClient) -> None:
    one = await http.post(
        "/v1/contacts", json={"dedupeOn": "email", "contacts": [_email("ok@example.com"), {"channels": []}]}
    )
    failed = one.json()["failedContacts"]
    assert isinstance(failed, dict)
    assert "at least one channel" in failed["error"]
    many = await http.post(
        "/v1/contacts",
        json={
            "dedupeOn": "email",
            "contacts": [
                _email("not-an-email"),
                _email("named@example.com", firstName="Agent 0077"),
                {"channels": [{"type": "sms", "value": "+380501234567"}]},
            ],
        },
    )
    errors = [f["error"] for f in many.json()["failedContacts"]]
    assert len(errors) == 3
    assert "not a valid email" in errors[0]
    assert "firstName" in errors[1]
    assert "no email channel" in errors[2]


async def test_bulk_options_are_checked(http: httpx.AsyncClient) -> None:
    contacts = [_email("x@example.com")]
    for body, why in (
        ({"dedupeOn": "webpush", "contacts": contacts}, "dedupeOn"),
        ({"dedupeOn": "fieldId", "contacts": contacts}, "fieldId is required"),
        ({"dedupeOn": "fieldId", "fieldId": 1, "contacts": contacts}, "no custom field"),
        ({"dedupeOn": "email", "customFieldsIDs": [1], "contacts": contacts}, "unknown field ids"),
        ({"dedupeOn": "email", "eventKeyForNewContacts": "new?", "contacts": contacts}, "forbidden"),
        ({"dedupeOn": "email", "contactFields": ["nickname"], "contacts": contacts}, "contactFields"),
        ({"contacts": contacts}, "dedupeOn: required field is missing"),
    ):
        response = await http.post("/v1/contacts", json=body)
        assert response.status_code == 400, body
        assert why in response.text


async def test_groups_events_and_contact_fields_are_honoured(
    client: ESputnikClient, http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    existing = await client.contacts.upsert(
        ContactInput(
            first_name="Old",
            last_name="Name",
            channels=[ChannelInput(type="email", value="known@example.com")],
            fields=[ContactFieldInput(id=70004, value="Bronze")],
        )
    )
    result = await client.contacts.bulk_update(
        [
            ContactInput(
                first_name="New",
                last_name="Surname",
                channels=[ChannelInput(type="email", value="known@example.com")],
                fields=[ContactFieldInput(id=70004, value="Gold")],
            ),
            ContactInput(
                first_name="Brand", channels=[ChannelInput(type="email", value="brand.new@example.com")]
            ),
        ],
        BulkOptions(
            dedupe_on=DedupeOn.EMAIL,
            contact_fields=["firstName"],
            custom_fields_ids=[70004],
            group_names=["Spring import"],
            event_key_for_new_contacts="importedContact",
        ),
    )
    assert result.async_session_id is not None
    status = await _finish(http, sandbox, result.async_session_id)
    assert status["status"] == "FINISHED"
    updated = await client.contacts.get(existing)
    assert (updated.first_name, updated.last_name) == ("New", "Name")  # lastName not in contactFields
    assert {f.id: f.value for f in updated.fields} == {70004: "Gold"}
    group = (await client.segments.search(name="Spring import")).items[0]
    members = await client.segments.contacts(group.id)
    assert members.total == 2
    new_events = sandbox.events("importedContact")
    new_id = next(m["contactId"] for m in status["mapping"] if m["dedupeValue"] == "brand.new@example.com")
    assert [e["contactId"] for e in new_events] == [new_id]

    leaving = await client.contacts.bulk_update(
        [ContactInput(channels=[ChannelInput(type="email", value="known@example.com")])],
        BulkOptions(
            dedupe_on=DedupeOn.EMAIL, contact_fields=["firstName"], group_names_exclude=["Spring import"]
        ),
    )
    assert leaving.async_session_id is not None
    await _finish(http, sandbox, leaving.async_session_id)
    assert [c.id for c in (await client.segments.contacts(group.id)).items] == [new_id]


async def test_without_contact_fields_missing_standard_fields_are_cleared(
    client: ESputnikClient, http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    contact_id = await client.contacts.upsert(
        ContactInput(
            first_name="Keep",
            last_name="Me",
            language_code="pl",
            channels=[ChannelInput(type="email", value="clear@example.com")],
        )
    )
    body = {"dedupeOn": "email", "contacts": [_email("clear@example.com", firstName="Only")]}
    session = (await http.post("/v1/contacts", json=body)).json()["asyncSessionId"]
    await _finish(http, sandbox, session)
    contact = await client.contacts.get(contact_id)
    assert (contact.first_name, contact.last_name, contact.language_code) == ("Only", None, None)


async def test_external_customer_id_wins_over_dedupe_on(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    body = {
        "dedupeOn": "email",
        "contacts": [
            _email("another.address@example.com", externalCustomerId="CUST-200000", firstName="Matched")
        ],
    }
    session = (await http.post("/v1/contacts", json=body)).json()["asyncSessionId"]
    status = await _finish(http, sandbox, session)
    assert status["mapping"] == [{"dedupeValue": "CUST-200000", "contactId": 100001}]
    assert (await http.get("/v1/contact/100001")).json()["firstName"] == "Matched"


async def test_deleted_contacts_come_back_only_with_restore_deleted(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    await http.delete("/v1/contact/100001")
    email = "zaneta.zielinski0@example.com"
    body: dict[str, Any] = {"dedupeOn": "email", "contacts": [_email(email)]}
    session = (await http.post("/v1/contacts", json=body)).json()["asyncSessionId"]
    refused = await _finish(http, sandbox, session)
    assert refused["status"] == "ERROR"
    assert "restoreDeleted" in refused["description"]
    assert (await http.get("/v1/contact/100001")).status_code == 404

    body["restoreDeleted"] = True
    session = (await http.post("/v1/contacts", json=body)).json()["asyncSessionId"]
    restored = await _finish(http, sandbox, session)
    assert restored["status"] == "FINISHED"
    assert (await http.get("/v1/contact/100001")).status_code == 200


async def test_dedupe_on_a_custom_field(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    ids = []
    for phone in ("+380501110000", "+380501110001"):
        contact = {
            "channels": [{"type": "sms", "value": phone}],
            "fields": [{"id": 70009, "value": "loyalty-77"}],
        }
        body = {"dedupeOn": "fieldId", "fieldId": 70009, "contacts": [contact]}
        session = (await http.post("/v1/contacts", json=body)).json()["asyncSessionId"]
        status = await _finish(http, sandbox, session)
        ids += [m["contactId"] for m in status["mapping"]]
    assert ids[0] == ids[1]
    found = (await http.get("/v1/contacts", params={"sms": "380501110001"})).json()
    assert [c["id"] for c in found] == [ids[0]]


async def test_unknown_import_sessions_are_404(http: httpx.AsyncClient) -> None:
    response = await http.get("/v1/importstatus/no-such-session")
    assert response.status_code == 404


async def test_dedupe_on_contact_id_updates_that_contact(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    body = {
        "dedupeOn": "id",
        "contacts": [
            {"id": 100005, "firstName": "Renamed", "channels": [{"type": "sms", "value": "+380939990000"}]}
        ],
    }
    session = (await http.post("/v1/contacts", json=body)).json()["asyncSessionId"]
    status = await _finish(http, sandbox, session)
    assert status["mapping"] == [{"dedupeValue": "100005", "contactId": 100005}]
    assert (await http.get("/v1/contact/100005")).json()["firstName"] == "Renamed"
    unknown = {
        "dedupeOn": "id",
        "contacts": [{"id": 1, "channels": [{"type": "sms", "value": "+380939990001"}]}],
    }
    session = (await http.post("/v1/contacts", json=unknown)).json()["asyncSessionId"]
    failed = await _finish(http, sandbox, session)
    assert failed["status"] == "ERROR"
    assert "no contact with id 1" in failed["description"]


async def test_dedupe_on_email_or_sms_tries_the_phone_first(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    by_phone = await http.post("/v1/contact", json={"channels": [{"type": "sms", "value": "+380671112233"}]})
    by_email = await http.post(
        "/v1/contact", json={"channels": [{"type": "email", "value": "either@example.com"}]}
    )
    body = {
        "dedupeOn": "email_or_sms",
        "contacts": [
            {"channels": [{"type": "email", "value": "either@example.com"}]},
            {
                "channels": [
                    {"type": "email", "value": "either@example.com"},
                    {"type": "sms", "value": "+380671112233"},
                ]
            },
        ],
    }
    session = (await http.post("/v1/contacts", json=body)).json()["asyncSessionId"]
    status = await _finish(http, sandbox, session)
    assert [m["contactId"] for m in status["mapping"]] == [by_email.json()["id"], by_phone.json()["id"]]
    assert [m["dedupeValue"] for m in status["mapping"]] == ["either@example.com", "+380671112233"]
