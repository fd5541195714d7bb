"""Segments (groups): list, members, attach and detach (esputnik-api.md §6)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from esputnik_mcp.api._parse import page
from esputnik_mcp.api.errors import RequestValidationError
from esputnik_mcp.api.http import Endpoint, HttpCore
from esputnik_mcp.api.limits import MAX_ROWS, SEGMENT_IDS_PER_REQUEST
from esputnik_mcp.api.models import Contact, Group
from esputnik_mcp.api.paging import ChunkOutcome, OnDone, Page, check_page, iterate_pages, run_chunks
from esputnik_mcp.api.retry import Safety

SEARCH = Endpoint("GET", "/v1/groups", Safety.READ, "searchGroups")
CONTACTS = Endpoint("GET", "/v1/group/{id}/contacts", Safety.READ, "getGroupContacts")
ATTACH = Endpoint("POST", "/v1/group/{id}/contacts/attach", Safety.IDEMPOTENT, "attachContactsToGroup", expect="text")
# A detach without ids removes EVERY contact from the segment (SPEC detachContactsFromGroup).
# This client never sends one: detach() refuses an empty list.
DETACH = Endpoint("POST", "/v1/group/{id}/contacts/detach", Safety.IDEMPOTENT, "detachContactsFromGroup", expect="text")

Members = Sequence[int] | Sequence[str]


class SegmentsApi:
    def __init__(self, http: HttpCore, *, concurrency: int) -> None:
        self._http = http
        self._concurrency = concurrency

    async def search(self, *, name: str | None = None, start_index: int = 1, max_rows: int = MAX_ROWS) -> Page[Group]:
        """One page of segments, optionally those whose name matches ``name``."""
        check_page(start_index, max_rows)
        params = {"name": name, "startindex": start_index, "maxrows": max_rows}
        response = await self._http.call(SEARCH, params=params)
        return page(Group, response, SEARCH, start_index, max_rows)

    def iter_all(self, *, name: str | None = None) -> AsyncIterator[Group]:
        async def fetch(start_index: int, max_rows: int) -> Page[Group]:
            return await self.search(name=name, start_index=start_index, max_rows=max_rows)

        return iterate_pages(fetch)

    async def contacts(
        self,
        segment_id: int,
        *,
        start_index: int = 1,
        max_rows: int = MAX_ROWS,
        order_by_join_time: bool = False,
        ascending: bool = True,
    ) -> Page[Contact]:
        """One page of a segment's contacts (static or dynamic)."""
        check_page(start_index, max_rows)
        params = {
            "startindex": start_index,
            "maxrows": max_rows,
            "orderByTs": order_by_join_time or None,
            "asc": None if ascending else False,
        }
        response = await self._http.call(CONTACTS, path_params={"id": segment_id}, params=params)
        return page(Contact, response, CONTACTS, start_index, max_rows)

    async def attach(self, segment_id: int, members: Members) -> str:
        """Add up to 500 contacts to a static segment, by contact ids (int) or external ids (str)."""
        response = await self._http.call(
            ATTACH, path_params={"id": segment_id}, json_body=_members_body(members, detach=False)
        )
        return str(response.data)

    async def detach(self, segment_id: int, members: Members) -> str:
        """Remove up to 500 contacts from a static segment. An empty list is refused: eSputnik
        would empty the whole segment."""
        body = _members_body(members, detach=True)
        response = await self._http.call(DETACH, path_params={"id": segment_id}, json_body=body)
        return str(response.data)

    async def attach_chunked(
        self, segment_id: int, members: Members, *, on_done: OnDone[int | str, str] | None = None
    ) -> list[ChunkOutcome[int | str, str]]:
        """Any number of members, in requests of 500, a few at a time."""

        async def work(part: Sequence[int | str]) -> str:
            return await self.attach(segment_id, part)  # type: ignore[arg-type]

        return await run_chunks(
            list(members), SEGMENT_IDS_PER_REQUEST, work, concurrency=self._concurrency, on_done=on_done
        )

    async def detach_chunked(
        self, segment_id: int, members: Members, *, on_done: OnDone[int | str, str] | None = None
    ) -> list[ChunkOutcome[int | str, str]]:
        """Any number of members (never none), in requests of 500, a few at a time."""
        if not members:
            raise RequestValidationError(_EMPTY_DETACH)

        async def work(part: Sequence[int | str]) -> str:
            return await self.detach(segment_id, part)  # type: ignore[arg-type]

        return await run_chunks(
            list(members), SEGMENT_IDS_PER_REQUEST, work, concurrency=self._concurrency, on_done=on_done
        )


_EMPTY_DETACH = "no contacts given: eSputnik would remove every contact from the segment"


def _members_body(members: Members, *, detach: bool) -> dict[str, list[int] | list[str]]:
    """``{"contactIds": [...]}`` or ``{"externalCustomerIds": [...]}`` (SPEC ModifyContactsInGroup)."""
    items: list[object] = list(members)
    if not items:
        raise RequestValidationError(_EMPTY_DETACH if detach else "no contacts given to attach")
    if len(items) > SEGMENT_IDS_PER_REQUEST:
        raise RequestValidationError(
            f"{len(items)} contacts in one request; eSputnik takes at most {SEGMENT_IDS_PER_REQUEST}"
        )
    contact_ids = [i for i in items if isinstance(i, int) and not isinstance(i, bool)]
    if len(contact_ids) == len(items):
        return {"contactIds": contact_ids}
    external_ids = [i for i in items if isinstance(i, str) and i.strip()]
    if len(external_ids) == len(items):
        return {"externalCustomerIds": external_ids}
    raise RequestValidationError("use one kind of id per request: contact ids (numbers) or external ids (text)")
