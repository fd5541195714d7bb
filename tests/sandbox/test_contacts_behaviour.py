"""Contacts: upsert matching, get/update/delete, search, emails, subscribe, custom fields, 409."""

import httpx2 as httpx
import pytest

from esputnik_mcp.api import ConflictError, ESputnikClient, NotFoundError
from esputnik_mcp.api.models import ChannelInput, ContactFieldInput, ContactInput, OrderInput
from esputnik_mcp.sandbox import Sandbox
from esputnik_mcp.sandbox.rules import name_problem

pytestmark = pytest.mark.anyio


def _contact(email: str, **extra: object) -> ContactInput:
    return ContactInput(channels=[ChannelInput(type="email", value=email)], **extra)  # type: ignore[arg-type]


async def test_upsert_creates_then_updates_the_contact_with_the_same_email(client: ESputnikClient) -> None:
    first = await client.contacts.upsert(_contact("olha@example.com", first_name="Ольга"))
    again = await client.contacts.upsert(_contact("OLHA@example.com", first_name="Оля", language_code="uk"))
    assert again == first
    contact = await client.contacts.get(first)
    assert contact.first_name == "Оля"
    assert contact.language_code == "uk"
    assert contact.channel_values("email") == ["OLHA@example.com"]


async def test_upsert_keeps_channels_of_other_types_and_put_replaces_them(client: ESputnikClient) -> None:
    contact_id = await client.contacts.upsert(
        ContactInput(
            channels=[
                ChannelInput(type="email", value="two.channels@example.com"),
                ChannelInput(type="sms", value="+380931234567"),
            ]
        )
    )
    assert await client.contacts.upsert(_contact("two.channels@example.com", first_name="Ann")) == contact_id
    kept = await client.contacts.get(contact_id)
    assert (kept.channel_values("email"), kept.channel_values("sms")) == (
        ["two.channels@example.com"],
        ["+380931234567"],
    )
    await client.contacts.update(contact_id, _contact("two.channels@example.com", first_name="Ann"))
    replaced = await client.contacts.get(contact_id)
    assert replaced.channel_values("sms") == []


async def test_upsert_matches_on_external_customer_id(client: ESputnikClient) -> None:
    contact_id = await client.contacts.upsert(_contact("first@example.com", external_customer_id="EXT-9"))
    same = await client.contacts.upsert(_contact("second@example.com", external_customer_id="EXT-9"))
    assert same == contact_id
    assert (await client.contacts.get(contact_id)).channel_values("email") == ["second@example.com"]


async def test_unknown_contact_ids_are_404(client: ESputnikClient, http: httpx.AsyncClient) -> None:
    with pytest.raises(NotFoundError):
        await client.contacts.get(999_999_999)
    response = await http.put(
        "/v1/contact/999999999", json={"channels": [{"type": "sms", "value": "+380501112233"}]}
    )
    assert response.status_code == 404
    assert (await http.delete("/v1/contact/999999999")).status_code == 404


async def test_put_and_delete_answer_plain_text(http: httpx.AsyncClient) -> None:
    update = await http.put(
        "/v1/contact/100001", json={"channels": [{"type": "email", "value": "n@example.com"}]}
    )
    assert update.status_code == 200
    assert update.text == "Contact with id='100001' has been updated"
    deleted = await http.delete("/v1/contact/100001")
    assert deleted.text == "Contact with id='100001' has been deleted"


async def test_a_deleted_contact_disappears_and_put_restores_it(client: ESputnikClient) -> None:
    contact_id = await client.contacts.upsert(_contact("gone@example.com", first_name="Ірина"))
    await client.contacts.delete(contact_id)
    with pytest.raises(NotFoundError):
        await client.contacts.get(contact_id)
    assert (await client.contacts.search(email="gone@example.com")).total == 0
    await client.contacts.update(contact_id, _contact("gone@example.com", first_name="Ірина"))
    assert (await client.contacts.get(contact_id)).first_name == "Ірина"


async def test_erase_removes_the_contact_and_its_activity_for_good(
    client: ESputnikClient, http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    contact_id = await client.contacts.upsert(_contact("erase.me@example.com", external_customer_id="GDPR-1"))
    await client.events.generate("pageViewed", {"externalCustomerId": "GDPR-1"})
    order = OrderInput(
        external_order_id="GDPR-ORDER",
        total_cost=10,
        status="DELIVERED",  # type: ignore[arg-type]
        date="2025-06-01T10:00:00+03:00",
        currency="UAH",
        external_customer_id="GDPR-1",
    )
    await client.orders.add([order])
    assert sandbox.order("GDPR-ORDER") is not None
    assert [e for e in sandbox.events() if e["contactId"] == contact_id]
    await client.contacts.delete(contact_id, erase=True)
    assert sandbox.order("GDPR-ORDER") is None
    assert not [e for e in sandbox.events() if e["contactId"] == contact_id]
    restore = await http.put(
        f"/v1/contact/{contact_id}", json={"channels": [{"type": "email", "value": "erase.me@example.com"}]}
    )
    assert restore.status_code == 404


async def test_delete_by_external_id_answers_an_empty_body(http: httpx.AsyncClient) -> None:
    response = await http.delete("/v1/contact", params={"externalCustomerId": "CUST-200000"})
    assert response.status_code == 200
    assert response.content == b""
    assert (await http.get("/v1/contacts", params={"externalCustomerId": "CUST-200000"})).json() == []
    again = await http.delete("/v1/contact", params={"externalCustomerId": "CUST-200000"})
    assert again.status_code == 200
    unknown = await http.delete("/v1/contact", params={"externalCustomerId": "NO-SUCH-CUSTOMER"})
    assert unknown.status_code == 404


async def test_search_filters_and_total_count(client: ESputnikClient, http: httpx.AsyncClient) -> None:
    everyone = await client.contacts.search(max_rows=10)
    assert everyone.total == 3000
    assert len(everyone.items) == 10
    one = everyone.items[3]
    email = one.channel_values("email")[0]
    by_email = await client.contacts.search(email=email.upper())
    assert [c.id for c in by_email.items] == [one.id]
    assert by_email.total == 1
    by_name = await http.get("/v1/contacts", params={"firstname": "олена", "maxrows": 500})
    assert by_name.status_code == 200
    names = {c["firstName"] for c in by_name.json()}
    assert names == {"Олена"}
    assert int(by_name.headers["TotalCount"]) == len(by_name.json())


async def test_search_results_are_base_contacts(http: httpx.AsyncClient) -> None:
    response = await http.get("/v1/contacts", params={"maxrows": 50})
    keys = set().union(*(c.keys() for c in response.json()))
    assert keys <= {"id", "firstName", "lastName", "channels", "fields", "addressBookId"}
    assert "externalCustomerId" not in keys


async def test_search_by_phone_compares_digits(client: ESputnikClient) -> None:
    contact_id = await client.contacts.upsert(
        ContactInput(channels=[ChannelInput(type="sms", value="+380 (67) 555-12-34")])
    )
    found = await client.contacts.search(phone="380675551234")
    assert [c.id for c in found.items] == [contact_id]


async def test_paging_is_one_based_and_sort_by_id_needs_no_filters(
    client: ESputnikClient, http: httpx.AsyncClient
) -> None:
    first = await client.contacts.search(start_index=1, max_rows=5, sort_by_id=True)
    second = await client.contacts.search(start_index=6, max_rows=5, sort_by_id=True)
    assert [c.id for c in first.items] == list(range(100_001, 100_006))
    assert [c.id for c in second.items] == list(range(100_006, 100_011))
    refused = await http.get("/v1/contacts", params={"sortBy": "contactId", "email": "a@example.com"})
    assert refused.status_code == 400
    assert (await http.get("/v1/contacts", params={"sortBy": "email"})).status_code == 400


async def test_contact_emails_come_as_one_object_or_an_array(http: httpx.AsyncClient) -> None:
    one = await http.get("/v1/contacts/email", params={"ids": "100001"})
    assert one.json() == {"results": {"contactId": 100001, "email": "zaneta.zielinski0@example.com"}}
    many = await http.get("/v1/contacts/email", params={"ids": "100001, 100002,999999999"})
    results = many.json()["results"]
    assert isinstance(results, list)
    assert [r["contactId"] for r in results] == [100001, 100002]
    assert (await http.get("/v1/contacts/email")).status_code == 400


async def test_custom_fields_are_checked_against_the_catalogue(
    client: ESputnikClient, http: httpx.AsyncClient
) -> None:
    contact_id = await client.contacts.upsert(
        _contact(
            "fields@example.com",
            fields=[
                ContactFieldInput(id=70004, value="Gold"),
                ContactFieldInput(id=70001, value="1990-02-28"),
            ],
        )
    )
    stored = {f.id: f.value for f in (await client.contacts.get(contact_id)).fields}
    assert stored == {70004: "Gold", 70001: "1990-02-28"}
    for field_id, value, why in (
        (12345, "x", "no custom field with id 12345"),
        (70004, "Diamond", "must be one of"),
        (70001, "28.02.1990", "YYYY-MM-DD"),
        (70005, "-5", "at least 0"),
    ):
        body = {
            "channels": [{"type": "email", "value": "fields2@example.com"}],
            "fields": [{"id": field_id, "value": value}],
        }
        response = await http.post("/v1/contact", json=body)
        assert response.status_code == 400, (field_id, value)
        assert why in response.text


async def test_address_books_use_one_or_many_shapes(client: ESputnikClient, http: httpx.AsyncClient) -> None:
    data = (await http.get("/v1/addressbooks")).json()
    book = data["addressBook"]
    assert isinstance(book, dict)  # the demo has one catalogue
    assert isinstance(book["fieldGroups"], list)
    assert {g["profileKey"] for g in book["fieldGroups"]} == {"personal", "loyalty"}
    catalogue = await client.custom_fields.catalogue()
    combo = {f.name: f.description for g in catalogue[0].field_groups for f in g.fields}["Loyalty tier"]
    assert combo is not None
    assert combo.type == "COMBOBOX"
    assert combo.allowed_values is not None
    assert combo.allowed_values.possible_values == ["Bronze", "Silver", "Gold", "Platinum"]


async def test_a_catalogue_with_a_single_field_group_and_field_is_sent_as_objects(bare: Sandbox) -> None:
    with bare.state.write() as conn:
        conn.execute("INSERT INTO address_books (id, name) VALUES (1, 'Only')")
        conn.execute(
            "INSERT INTO field_groups (id, address_book_id, name, profile_key) VALUES (2, 1, 'G', 'g')"
        )
        conn.execute(
            "INSERT INTO fields (id, group_id, name, field_key, type) VALUES (3, 2, 'F', 'f', 'TEXTFIELD')"
        )
    async with httpx.AsyncClient(
        transport=bare.transport(), base_url="http://sandbox.invalid/api", auth=("u", "sandbox-test-key")
    ) as http:
        data = (await http.get("/v1/addressbooks")).json()
    assert data["addressBook"]["fieldGroups"]["fields"]["id"] == 3


async def test_subscribe_creates_an_unconfirmed_contact_and_records_the_event(
    client: ESputnikClient, sandbox: Sandbox
) -> None:
    result = await client.contacts.subscribe(
        _contact("fresh@example.com", first_name="Zoë"), groups=["Footer form"], form_type="footer"
    )
    assert result.new is True
    assert result.email_status == "NEED_CONFIRMATION"
    events = sandbox.events("subscribeFromApi-footer")
    assert len(events) == 1
    assert {"name": "ContactId", "value": result.id} in events[0]["params"]
    segments = await client.segments.search(name="Footer form")
    assert [g.type for g in segments.items] == ["Static"]
    members = await client.segments.contacts(segments.items[0].id)
    assert [c.id for c in members.items] == [result.id]

    again = await client.contacts.subscribe(
        ContactInput(
            first_name="Zoe",
            channels=[
                ChannelInput(type="email", value="fresh@example.com"),
                ChannelInput(type="sms", value="+48501234567"),
            ],
        )
    )
    assert again.id == result.id
    assert again.new is False
    assert len(sandbox.events("subscribeUpdateFromApi")) == 1
    contact = await client.contacts.get(result.id)
    assert contact.first_name == "Zoe"
    assert contact.channel_values("sms") == ["+48501234567"]


async def test_identical_requests_within_a_minute_get_409(client: ESputnikClient, sandbox: Sandbox) -> None:
    contact = _contact("twice@example.com", first_name="Ann")
    contact_id = await client.contacts.upsert(contact)
    with pytest.raises(ConflictError):
        await client.contacts.upsert(contact)
    await client.contacts.update(contact_id, contact)
    with pytest.raises(ConflictError):
        await client.contacts.update(contact_id, contact)
    await client.contacts.subscribe(_contact("sub@example.com"))
    with pytest.raises(ConflictError):
        await client.contacts.subscribe(_contact("sub@example.com"))
    sandbox.clock.advance(59)
    with pytest.raises(ConflictError):
        await client.contacts.upsert(contact)
    sandbox.clock.advance(2)
    assert await client.contacts.upsert(contact) == contact_id
    assert await client.contacts.upsert(_contact("twice@example.com", first_name="Anna")) == contact_id


@pytest.mark.parametrize(
    "name",
    [
        "Anna",
        "Анна-Марія",
        "Dar'ya",
        "Дарʼя",
        "Jürgen Groß",
        "Evans Jr.",
        "Ιωάννης",
        "Łukasz",
        "Ann 3rd",
        "D'Arcy",
    ],
)
def test_names_that_follow_the_documented_rules_pass(name: str) -> None:
    assert name_problem(name) is None


@pytest.mark.parametrize(
    "name",
    [
        "A" * 41,
        "12345",
        "Anna1234",
        "B@d",
        "-Anna",
        "Anna'",
        "Johnny.",
        "Ann..",
        "Alpha Bravo Charlie Delta",
        "a b c d",
    ],
)
async def test_names_breaking_the_rules_are_refused(name: str, http: httpx.AsyncClient) -> None:
    assert name_problem(name) is not None
    response = await http.post(
        "/v1/contact", json={"firstName": name, "channels": [{"type": "email", "value": "n@example.com"}]}
    )
    assert response.status_code == 400
    assert "firstName" in response.text


async def test_channel_rules_are_enforced(http: httpx.AsyncClient) -> None:
    cases = [
        ({"channels": []}, "at least one channel"),
        ({"channels": [{"type": "email", "value": "not-an-address"}]}, "not a valid email"),
        ({"channels": [{"type": "sms", "value": "12ab"}]}, "not a valid phone"),
        ({"channels": [{"type": "email", "value": f"{n}@example.com"} for n in "abc"]}, "at most 2 channels"),
        ({"channels": [{"value": "x@example.com"}]}, "type is missing"),
    ]
    for body, why in cases:
        response = await http.post("/v1/contact", json=body)
        assert response.status_code == 400, body
        assert why in response.text
