"""Paging by 1-based startindex with TotalCount, and bulk work split at eSputnik's limits with
bounded concurrency and per-chunk outcomes."""

from __future__ import annotations

import json

import anyio
import httpx2 as httpx
import pytest

from esputnik_mcp.api import AmbiguousOutcomeError, NotFoundError, ServerError
from esputnik_mcp.api.contacts import plan_bulk_upsert
from esputnik_mcp.api.messages import recipient
from esputnik_mcp.api.models import (
    BulkOptions,
    ChannelInput,
    ContactFieldInput,
    ContactInput,
    DedupeOn,
    ImportStatus,
    OrderInput,
)
from tests.fakes import FakeTime, Upstream, body_of, make_client, path_of, query_of


def _contacts_pages(total: int, *, with_header: bool = True):
    def answer(request: httpx.Request) -> httpx.Response:
        q = query_of(request)
        start, rows = int(q["startindex"]), int(q["maxrows"])
        ids = list(range(start, min(start + rows, total + 1)))
        headers = {"TotalCount": str(total)} if with_header else {}
        return httpx.Response(200, content=json.dumps([{"id": i} for i in ids]).encode(), headers=headers)

    return answer


@pytest.mark.anyio
async def test_iter_search_walks_every_page_by_startindex() -> None:
    upstream = Upstream(_contacts_pages(1203))
    async with make_client(upstream) as client:
        ids = [c.id async for c in client.contacts.iter_search()]
    assert ids == list(range(1, 1204))
    starts = [query_of(r)["startindex"] for r in upstream.requests]
    assert starts == ["1", "501", "1001"]
    assert all(query_of(r)["sortBy"] == "contactId" for r in upstream.requests)  # a stable export order


@pytest.mark.anyio
async def test_iter_search_without_totalcount_stops_at_a_short_page() -> None:
    upstream = Upstream(_contacts_pages(1000, with_header=False))
    async with make_client(upstream) as client:
        ids = [c.id async for c in client.contacts.iter_search(email="x@example.com")]
    assert len(ids) == 1000
    assert upstream.attempts == 3  # two full pages, then an empty one ends it
    assert "sortBy" not in query_of(upstream.requests[0])  # filters and sortBy do not mix


@pytest.mark.anyio
async def test_segments_iter_all_pages() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        start = int(query_of(request)["startindex"])
        items = [{"id": i, "name": f"S{i}", "type": "Static"} for i in range(start, min(start + 500, 601))]
        return httpx.Response(200, content=json.dumps(items).encode(), headers={"TotalCount": "600"})

    upstream = Upstream(answer)
    async with make_client(upstream) as client:
        names = [g.name async for g in client.segments.iter_all(name="S")]
    assert len(names) == 600
    assert [query_of(r)["name"] for r in upstream.requests] == ["S", "S"]


@pytest.mark.anyio
@pytest.mark.parametrize(("start", "rows"), [(0, 10), (1, 0), (1, 501)])
async def test_page_arguments_out_of_range_are_refused_before_sending(start: int, rows: int) -> None:
    from esputnik_mcp.api import RequestValidationError

    upstream = Upstream()
    async with make_client(upstream) as client:
        with pytest.raises(RequestValidationError):
            await client.contacts.search(start_index=start, max_rows=rows)
    assert upstream.attempts == 0


def _contact(i: int) -> ContactInput:
    return ContactInput(channels=[ChannelInput(type="email", value=f"c{i}@example.com")])


@pytest.mark.anyio
async def test_bulk_upsert_splits_at_3000_with_bounded_concurrency() -> None:
    in_flight = 0
    peak = 0

    async def answer(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await anyio.sleep(0.01)
        in_flight -= 1
        size = len(json.loads(request.content)["contacts"])
        return httpx.Response(200, content=json.dumps({"asyncSessionId": f"s-{size}"}).encode())

    upstream = Upstream(answer)  # type: ignore[arg-type]
    contacts = [_contact(i) for i in range(7001)]
    async with make_client(upstream, bulk_concurrency=2) as client:
        outcomes = await client.contacts.bulk_upsert(contacts, BulkOptions(dedupe_on=DedupeOn.EMAIL))
    sizes = sorted(len(body_of(r)["contacts"]) for r in upstream.requests)
    assert sizes == [1001, 3000, 3000]
    assert [len(o.items) for o in outcomes] == [3000, 3000, 1001]  # outcomes in chunk order
    assert [o.result.async_session_id for o in outcomes if o.result] == ["s-3000", "s-3000", "s-1001"]
    assert peak == 2
    # every contact went out exactly once
    sent = [c["channels"][0]["value"] for r in upstream.requests for c in body_of(r)["contacts"]]
    assert sorted(sent) == sorted(f"c{i}@example.com" for i in range(7001))


def test_bulk_upsert_plan_groups_contacts_by_the_fields_they_give_in_order_of_first_sight() -> None:
    email_only = [_contact(i) for i in range(3)]
    named = ContactInput(first_name="Ann", channels=[ChannelInput(type="email", value="ann@example.com")])
    with_field = ContactInput(
        channels=[ChannelInput(type="email", value="f@example.com")], fields=[ContactFieldInput(id=7, value="x")]
    )
    contacts = [email_only[0], named, email_only[1], with_field, email_only[2]]
    base = BulkOptions(dedupe_on=DedupeOn.EMAIL, group_names=["VIP"])
    groups = plan_bulk_upsert(contacts, base)
    assert [g.positions for g in groups] == [[0, 2, 4], [1], [3]]
    assert [(g.options.contact_fields, g.options.custom_fields_ids) for g in groups] == [
        (["email"], None),
        (["email", "firstName"], None),
        (["email"], [7]),
    ]
    assert all(g.options.group_names == ["VIP"] for g in groups)  # the rest of the options kept


@pytest.mark.anyio
async def test_bulk_upsert_outcomes_carry_each_contacts_position_in_the_call() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=json.dumps({"asyncSessionId": "s"}).encode())

    upstream = Upstream(answer)
    plain = [_contact(i) for i in range(4000)]
    named = ContactInput(first_name="Ann", channels=[ChannelInput(type="email", value="ann@example.com")])
    contacts = [*plain[:10], named, *plain[10:]]
    async with make_client(upstream) as client:
        outcomes = await client.contacts.bulk_upsert(contacts, BulkOptions(dedupe_on=DedupeOn.EMAIL))
    assert [(o.index, o.start, len(o.items)) for o in outcomes] == [(0, 0, 3000), (1, 3001, 1000), (2, 10, 1)]
    assert list(outcomes[0].positions[9:12]) == [9, 11, 12]  # position 10 went in its own request
    assert outcomes[2].items[0].first_name == "Ann"
    assert [body_of(r)["contactFields"] for r in upstream.requests].count(["email", "firstName"]) == 1


class _Counted:
    """A contact that counts, in ``read``, the contacts that have given their JSON object."""

    def __init__(self, i: int, read: list[int]) -> None:
        self.model = _contact(i)
        self.read = read

    def wire(self) -> dict[str, object]:
        self.read[0] += 1
        return self.model.wire()


@pytest.mark.anyio
async def test_bulk_upsert_sends_full_requests_while_later_contacts_are_still_read() -> None:
    read, read_when_sent = [0], []

    def answer(request: httpx.Request) -> httpx.Response:
        read_when_sent.append(read[0])
        return httpx.Response(200, content=json.dumps({"asyncSessionId": "s"}).encode())

    upstream = Upstream(answer)
    contacts = [_Counted(i, read) for i in range(9500)]
    async with make_client(upstream, bulk_concurrency=2) as client:
        outcomes = await client.contacts.bulk_upsert(contacts, BulkOptions(dedupe_on=DedupeOn.EMAIL))
    assert [len(o.items) for o in outcomes] == [3000, 3000, 3000, 500]  # still the fewest requests
    assert read_when_sent[0] < 9500  # the first request left before the last contact was read
    assert read[0] == 9500  # each contact's object built once
    sent = [c["channels"][0]["value"] for r in upstream.requests for c in body_of(r)["contacts"]]
    assert sorted(sent) == sorted(f"c{i}@example.com" for i in range(9500))


@pytest.mark.anyio
async def test_follow_imports_polls_until_each_import_ends_backing_off() -> None:
    answers = {"a": ["STARTED", "IMPORTING", "FINISHED"], "b": ["ERROR"]}

    def answer(request: httpx.Request) -> httpx.Response:
        session = request.url.path.rsplit("/", 1)[-1]
        status = answers[session].pop(0)
        return httpx.Response(200, content=json.dumps({"status": status}).encode())

    upstream = Upstream(answer)
    heard: list[tuple[str, str | None]] = []

    async def on_status(session_id: str, status: ImportStatus) -> None:
        heard.append((session_id, status.status))

    fake = FakeTime()
    async with make_client(upstream, fake_time=fake) as client:
        latest = await client.contacts.follow_imports(["a", "b", "a"], within=5, on_status=on_status)
    assert {k: getattr(v, "status", None) for k, v in latest.items()} == {"a": "FINISHED", "b": "ERROR"}
    paths = [path_of(r) for r in upstream.requests]
    assert (paths.count("/v1/importstatus/a"), paths.count("/v1/importstatus/b")) == (3, 1)
    assert sorted(heard) == [("a", "FINISHED"), ("a", "IMPORTING"), ("a", "STARTED"), ("b", "ERROR")]
    assert fake.sleeps == [0.25, 0.5]  # backing off, and no wait once every import has ended


@pytest.mark.anyio
async def test_follow_imports_reads_once_after_the_deadline_and_keeps_read_errors() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/gone"):
            return httpx.Response(404, content=b"no such session")
        return httpx.Response(200, content=json.dumps({"status": "IMPORTING"}).encode())

    upstream = Upstream(answer)
    async with make_client(upstream) as client:
        latest = await client.contacts.follow_imports(["slow", "gone"], within=0)
    assert upstream.attempts == 2
    assert isinstance(latest["gone"], NotFoundError)
    assert getattr(latest["slow"], "status", None) == "IMPORTING"


@pytest.mark.anyio
async def test_a_failed_chunk_does_not_lose_the_others() -> None:
    calls = 0

    def answer(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        first = body_of(request)["recipients"][0]["locator"]
        if first == "r1000@example.com":  # the second chunk fails after leaving
            return httpx.Response(502)
        n = len(body_of(request)["recipients"])
        return httpx.Response(200, content=json.dumps({"results": [{"status": "OK", "requestId": "x"}] * n}).encode())

    upstream = Upstream(answer)
    recipients = [recipient(locator=f"r{i}@example.com") for i in range(2500)]
    async with make_client(upstream, bulk_concurrency=1) as client:
        outcomes = await client.messages.smartsend_chunked(42, recipients, email=True)
    assert [len(o.items) for o in outcomes] == [1000, 1000, 500]
    assert outcomes[0].result is not None
    assert len(outcomes[0].result) == 1000
    assert isinstance(outcomes[1].error, AmbiguousOutcomeError)  # a send is never retried after a 502
    assert outcomes[2].result is not None
    assert len(outcomes[2].result) == 500
    assert calls == 3


@pytest.mark.anyio
async def test_orders_split_at_1000() -> None:
    upstream = Upstream(lambda r: httpx.Response(200, content=b'{"failedOrders": []}'))
    orders = [
        OrderInput(
            external_order_id=f"O{i}",
            total_cost=1,
            status="DELIVERED",
            date="2025-01-01T10:00:00Z",
            currency="EUR",
            email="a@example.com",
        )
        for i in range(2001)
    ]
    async with make_client(upstream) as client:
        outcomes = await client.orders.add_chunked(orders)
    assert sorted(len(body_of(r)["orders"]) for r in upstream.requests) == [1, 1000, 1000]
    assert all(o.error is None for o in outcomes)


@pytest.mark.anyio
async def test_orders_are_deleted_one_documented_request_per_id_with_an_outcome_each() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        refused = query_of(request)["externalOrderId"] == "O2"
        return httpx.Response(400, text="bad id") if refused else httpx.Response(200)

    upstream = Upstream(answer)
    async with make_client(upstream, bulk_concurrency=2) as client:
        outcomes = await client.orders.delete_each(["O1", "O2", "O3"])
    assert sorted(query_of(r)["externalOrderId"] for r in upstream.requests) == ["O1", "O2", "O3"]
    assert all(r.method == "DELETE" and not r.content for r in upstream.requests)
    assert [list(o.items) for o in outcomes] == [["O1"], ["O2"], ["O3"]]
    assert [o.error is None for o in outcomes] == [True, False, True]


@pytest.mark.anyio
async def test_segment_membership_splits_at_500_and_keeps_errors_per_chunk() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        ids = body_of(request)["contactIds"]
        return httpx.Response(500) if 600 in ids else httpx.Response(200, text="OK")

    upstream = Upstream(answer)
    async with make_client(upstream) as client:
        outcomes = await client.segments.attach_chunked(5, list(range(1, 1202)))
    assert [len(o.items) for o in outcomes] == [500, 500, 201]
    assert [o.error is None for o in outcomes] == [True, False, True]
    assert isinstance(outcomes[1].error, ServerError)
    assert upstream.attempts == 2 + 3  # the failing idempotent chunk was retried twice


@pytest.mark.anyio
async def test_detach_with_no_ids_is_refused_before_sending() -> None:
    from esputnik_mcp.api import RequestValidationError

    upstream = Upstream()
    async with make_client(upstream) as client:
        for call in (client.segments.detach(5, []), client.segments.detach_chunked(5, [])):
            with pytest.raises(RequestValidationError, match="every contact"):
                await call
    assert upstream.attempts == 0


@pytest.mark.anyio
async def test_contact_emails_and_statuses_are_requested_in_short_batches() -> None:
    upstream = Upstream(lambda r: httpx.Response(200, content=b'{"results": []}'))
    async with make_client(upstream) as client:
        await client.contacts.emails(list(range(450)))
        await client.messages.status([f"r{i}" for i in range(250)])
    id_counts = [len(query_of(r)["ids"].split(",")) for r in upstream.requests]
    assert id_counts == [200, 200, 50, 100, 100, 50]
