"""Broadcasts and workflows in the API client: what eSputnik would refuse is refused before anything
leaves, a create is never repeated blindly, and the loose answers (ids as numbers, tags as a lone
value or an object) are read."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx2 as httpx
import pydantic
import pytest

from esputnik_mcp.api import AmbiguousOutcomeError, BadRequestError, RequestValidationError
from esputnik_mcp.api.broadcasts import NewBroadcast, start_date
from tests.fakes import Upstream, make_client, respond

pytestmark = pytest.mark.anyio


def broadcast(**changes: Any) -> NewBroadcast:
    fields: dict[str, Any] = {"message_id": 42, "groups": [5]}
    fields.update(changes)
    return NewBroadcast(**fields)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"groups": []}, "at least 1"),
        ({"batch_size": 50}, "both batch_size and batch_interval_unit"),
        ({"batch_interval_unit": "HOUR"}, "both batch_size and batch_interval_unit"),
        ({"batch_size": 0, "batch_interval_unit": "HOUR"}, "greater than or equal to 1"),
        ({"batch_size": 5, "batch_interval_unit": "WEEK"}, "'MINUTE', 'HOUR', 'DAY' or 'MONTH'"),
        ({"start_date": "2030-05-14T10:00+03:00"}, "without a zone"),
        ({"start_date": "2030-05-14 10:00"}, "YYYY-MM-DDTHH:mm"),
        ({"start_date": "2030-02-30T10:00"}, "day is out of range"),
        ({"excluded_groups": [5]}, "both in groups and in excluded_groups"),
        ({"groups": [0]}, "greater than or equal to 1"),
        ({"message_id": ""}, "at least 1"),
        ({"colour": "red"}, "Extra inputs are not permitted"),
    ],
)
def test_a_broadcast_eSputnik_would_refuse_cannot_be_built(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(pydantic.ValidationError, match=reason):
        broadcast(**changes)


def test_a_start_is_written_in_the_account_s_time_and_never_shifted() -> None:
    assert start_date(datetime(2030, 5, 14, 10, 0, 59)) == "2030-05-14T10:00"
    with pytest.raises(RequestValidationError, match="account's time zone"):
        start_date(datetime(2030, 5, 14, 10, 0, tzinfo=UTC))


Call = Callable[[Any], Any]


@pytest.mark.parametrize(
    ("call", "reason"),
    [
        (lambda c: c.broadcasts.get("abc"), "a number"),
        (lambda c: c.broadcasts.cancel(" "), "a number"),
        (lambda c: c.broadcasts.cancel("../broadcasts"), "a number"),
        (lambda c: c.broadcasts.find(max_rows=501), "between 1 and 500"),
        (lambda c: c.broadcasts.find(start_index=0), "1-based"),
        (lambda c: c.workflows.search(max_rows=0), "between 1 and 500"),
    ],
)
async def test_requests_eSputnik_would_refuse_never_leave(call: Call, reason: str) -> None:
    upstream = Upstream()
    async with make_client(upstream) as client:
        with pytest.raises(RequestValidationError, match=reason):
            await call(client)
    assert upstream.attempts == 0


async def test_a_create_whose_answer_never_came_is_not_repeated() -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("no answer", request=request)

    upstream = Upstream(broken)
    async with make_client(upstream) as client:
        with pytest.raises(AmbiguousOutcomeError):
            await client.broadcasts.create(broadcast())
    assert upstream.attempts == 1


async def test_a_create_refused_with_429_is_retried_and_a_cancel_after_5xx_too() -> None:
    upstream = Upstream(respond(429), respond(json_body={"broadcastId": "9"}))
    async with make_client(upstream) as client:
        created = await client.broadcasts.create(broadcast())
    assert (created.broadcast_id, upstream.attempts) == ("9", 2)
    upstream = Upstream(respond(503), respond(200))
    async with make_client(upstream) as client:
        assert await client.broadcasts.cancel(9) == ""
    assert upstream.attempts == 2


async def test_a_refused_cancel_is_a_bad_request_with_eSputnik_s_words() -> None:
    upstream = Upstream(respond(400, text="Broadcast 9 has already started"))
    async with make_client(upstream) as client:
        with pytest.raises(BadRequestError) as refused:
            await client.broadcasts.cancel(9)
    assert refused.value.body == "Broadcast 9 has already started"
    assert upstream.attempts == 1


async def test_workflow_tags_come_as_a_list_a_string_an_object_or_not_at_all() -> None:
    workflows = [
        {"id": 1, "name": "A", "tags": ["x", "y"]},
        {"id": 2, "name": "B", "tags": "x"},
        {"id": 3, "name": "C", "tags": {"name": "cart"}},
        {"id": 4, "name": "D", "tags": {"tag": "promo"}},
        {"id": 5, "name": "E"},
        {"id": 6, "name": "F", "tags": None},
    ]
    async with make_client(Upstream(respond(json_body=workflows))) as client:
        page = await client.workflows.search()
    assert [w.tags for w in page.items] == [["x", "y"], ["x"], ["cart"], ["promo"], [], []]
    assert page.total is None  # no TotalCount header: the page alone says whether more follow


async def test_a_broadcast_view_s_segments_are_read_from_its_group_id() -> None:
    answers = [{"broadcastId": 1, "groupId": "5"}, {"broadcastId": 2, "groupId": "5, 6"}, {"broadcastId": 3}]
    async with make_client(Upstream(respond(json_body=answers))) as client:
        page = await client.broadcasts.find()
    assert [(b.broadcast_id, b.segment_ids) for b in page.items] == [("1", [5]), ("2", [5, 6]), ("3", [])]
