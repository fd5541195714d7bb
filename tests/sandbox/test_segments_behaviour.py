"""Segments: search, static and dynamic members, attach/detach rules, paging with TotalCount."""

from collections.abc import AsyncIterator

import httpx2 as httpx
import pytest

from esputnik_mcp.api import ESputnikClient
from esputnik_mcp.api.models import Contact, OrderInput
from esputnik_mcp.sandbox import Sandbox

pytestmark = pytest.mark.anyio

VIP, TEST_RECIPIENTS = 2002, 2005
GOLD_TIER, UKRAINIAN, RECENT_BUYERS = 2101, 2102, 2103


async def _member_ids(http: httpx.AsyncClient, segment_id: int) -> list[int]:
    """Every member of a segment of at most 500."""
    response = await http.get(f"/v1/group/{segment_id}/contacts", params={"maxrows": 500})
    assert int(response.headers["TotalCount"]) <= 500
    return [c["id"] for c in response.json()]


async def test_segment_search_pages_with_total_count(http: httpx.AsyncClient) -> None:
    first = await http.get("/v1/groups", params={"maxrows": 4})
    assert first.headers["TotalCount"] == "11"
    assert [g["id"] for g in first.json()] == [2001, 2002, 2003, 2004]
    rest = await http.get("/v1/groups", params={"startindex": 5, "maxrows": 100})
    assert len(rest.json()) == 7
    types = {g["type"] for g in first.json() + rest.json()}
    assert types == {"Static", "Dynamic"}
    named = await http.get("/v1/groups", params={"name": "speakers"})
    assert [g["name"] for g in named.json()] == ["Ukrainian speakers", "Polish speakers"]


async def test_segment_contacts_page_with_total_count(client: ESputnikClient) -> None:
    first = await client.segments.contacts(VIP, max_rows=100)
    assert first.total is not None
    assert first.total > 200
    everyone = [c async for c in _all(client, VIP, page_size=100)]
    assert len(everyone) == first.total
    assert len({c.id for c in everyone}) == first.total
    assert all(any(g.id == VIP for g in c.groups) for c in first.items)


async def _all(client: ESputnikClient, segment_id: int, page_size: int) -> AsyncIterator[Contact]:
    start = 1
    while True:
        page = await client.segments.contacts(segment_id, start_index=start, max_rows=page_size)
        for contact in page.items:
            yield contact
        if page.next_start_index is None:
            return
        start = page.next_start_index


async def test_order_by_join_time(client: ESputnikClient, http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    await http.post(f"/v1/group/{TEST_RECIPIENTS}/contacts/detach", json={})
    for contact_id in (100300, 100200, 100100):
        await client.segments.attach(TEST_RECIPIENTS, [contact_id])
        sandbox.clock.advance(1)
    by_id = await client.segments.contacts(TEST_RECIPIENTS)
    assert [c.id for c in by_id.items] == [100100, 100200, 100300]
    newest_first = await client.segments.contacts(TEST_RECIPIENTS, order_by_join_time=True, ascending=False)
    assert [c.id for c in newest_first.items] == [100100, 100200, 100300]
    oldest_first = await client.segments.contacts(TEST_RECIPIENTS, order_by_join_time=True)
    assert [c.id for c in oldest_first.items] == [100300, 100200, 100100]


async def test_dynamic_segments_are_evaluated_when_asked(
    client: ESputnikClient, http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    ukrainian = await client.segments.contacts(UKRAINIAN, max_rows=500)
    assert all(c.language_code == "uk" for c in ukrainian.items)
    gold = await client.segments.contacts(GOLD_TIER, max_rows=500)
    assert all({f.id: f.value for f in c.fields}[70004] in ("Gold", "Platinum") for c in gold.items)

    buyers = set(await _member_ids(http, RECENT_BUYERS))
    assert len(buyers) > 100
    newcomer = next(i for i in range(100_001, 103_001) if i not in buyers)
    email = (await client.contacts.get(newcomer)).channel_values("email")
    assert email, "the demo contact picked should have an email"
    order = OrderInput(
        external_order_id="FRESH-1",
        total_cost=99.0,
        status="DELIVERED",  # type: ignore[arg-type]
        date=sandbox.clock.utcnow().isoformat(),
        currency="UAH",
        email=email[0],
    )
    assert await client.orders.add([order]) == []
    assert newcomer in await _member_ids(http, RECENT_BUYERS)
    sandbox.clock.advance(31 * 86_400)
    assert newcomer not in await _member_ids(http, RECENT_BUYERS)


async def test_attach_and_detach_work_only_on_static_segments(http: httpx.AsyncClient) -> None:
    for verb in ("attach", "detach"):
        response = await http.post(f"/v1/group/{UKRAINIAN}/contacts/{verb}", json={"contactIds": [100001]})
        assert response.status_code == 400
        assert response.headers["content-type"].startswith("text/plain")
        assert "static" in response.text


async def test_attach_by_contact_or_external_ids_answers_plain_text(
    http: httpx.AsyncClient, client: ESputnikClient
) -> None:
    await http.post(f"/v1/group/{TEST_RECIPIENTS}/contacts/detach", json={"contactIds": []})
    by_id = await http.post(
        f"/v1/group/{TEST_RECIPIENTS}/contacts/attach", json={"contactIds": [100002, 100003]}
    )
    assert by_id.status_code == 200
    assert by_id.headers["content-type"].startswith("text/plain")
    assert by_id.text == "2 contact(s) attached to segment 2005"
    assert (
        await client.segments.attach(TEST_RECIPIENTS, ["CUST-200000"])
        == "1 contact(s) attached to segment 2005"
    )
    assert sorted(await _member_ids(http, TEST_RECIPIENTS)) == [100001, 100002, 100003]
    assert (
        await client.segments.detach(TEST_RECIPIENTS, [100002]) == "1 contact(s) detached from segment 2005"
    )
    assert sorted(await _member_ids(http, TEST_RECIPIENTS)) == [100001, 100003]


async def test_attach_and_detach_limits(http: httpx.AsyncClient) -> None:
    too_many = await http.post(
        f"/v1/group/{TEST_RECIPIENTS}/contacts/attach", json={"contactIds": list(range(100_001, 100_502))}
    )
    assert too_many.status_code == 400
    assert "500" in too_many.text
    just_enough = await http.post(
        f"/v1/group/{TEST_RECIPIENTS}/contacts/attach", json={"contactIds": list(range(100_001, 100_501))}
    )
    assert just_enough.status_code == 200
    mixed = await http.post(
        f"/v1/group/{TEST_RECIPIENTS}/contacts/attach",
        json={"contactIds": [100001], "externalCustomerIds": ["CUST-200000"]},
    )
    assert mixed.status_code == 400
    assert "one kind" in mixed.text
    wrong_shape = await http.post(
        f"/v1/group/{TEST_RECIPIENTS}/contacts/attach", json=[{"contactId": 100001}]
    )
    assert wrong_shape.status_code == 400
    unknown = await http.post("/v1/group/999/contacts/attach", json={"contactIds": [100001]})
    assert unknown.status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"contactIds": []},
        {"externalCustomerIds": []},
        {"contactIds": [], "externalCustomerIds": []},
        None,
    ],
)
async def test_a_detach_naming_no_contacts_empties_the_segment(
    http: httpx.AsyncClient, body: dict[str, list[int]] | None
) -> None:
    assert len(await _member_ids(http, VIP)) > 100
    if body is None:
        response = await http.post(f"/v1/group/{VIP}/contacts/detach")
    else:
        response = await http.post(f"/v1/group/{VIP}/contacts/detach", json=body)
    assert response.status_code == 200
    assert await _member_ids(http, VIP) == []
    total = await http.get(f"/v1/group/{VIP}/contacts")
    assert total.headers["TotalCount"] == "0"


async def test_a_detach_naming_unknown_contacts_removes_nobody(http: httpx.AsyncClient) -> None:
    before = await _member_ids(http, VIP)
    response = await http.post(f"/v1/group/{VIP}/contacts/detach", json={"contactIds": [1]})
    assert response.text == "0 contact(s) detached from segment 2002"
    assert await _member_ids(http, VIP) == before
