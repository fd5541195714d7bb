"""Contacts (esputnik-api.md §4)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

import anyio
from pydantic import BaseModel

from esputnik_mcp.api._parse import page, parse, parse_list
from esputnik_mcp.api.errors import ConflictError, ESputnikError, RequestValidationError
from esputnik_mcp.api.http import Endpoint, HttpCore, encode_json
from esputnik_mcp.api.limiter import CONTACT_SEARCH, CONTACT_WRITE
from esputnik_mcp.api.limits import CONTACTS_PER_BULK, FORBIDDEN_KEY_CHARACTERS, MAX_ROWS
from esputnik_mcp.api.models import (
    BulkOptions,
    BulkUpdateResult,
    Contact,
    ContactEmail,
    ContactInput,
    DedupeOn,
    ImportStatus,
    SubscribeResult,
    bulk_fields,
)
from esputnik_mcp.api.paging import (
    ChunkOutcome,
    OnDone,
    Page,
    Part,
    check_page,
    chunked,
    iterate_pages,
    run_parts,
)
from esputnik_mcp.api.retry import Safety

# POST /v1/contact is an upsert (SPEC addContact): repeating it leaves the same contact, so it is
# retried like an idempotent write. A repeat within a minute answers 409 (ConflictError).
ADD = Endpoint("POST", "/v1/contact", Safety.IDEMPOTENT, "addContact", CONTACT_WRITE)
GET = Endpoint("GET", "/v1/contact/{id}", Safety.READ, "getContact")
UPDATE = Endpoint("PUT", "/v1/contact/{id}", Safety.IDEMPOTENT, "updateContact", CONTACT_WRITE, expect="text")
DELETE = Endpoint("DELETE", "/v1/contact/{id}", Safety.IDEMPOTENT, "deleteContact_1", expect="text")
DELETE_BY_EXTERNAL_ID = Endpoint("DELETE", "/v1/contact", Safety.IDEMPOTENT, "deleteContact", expect="text")
SEARCH = Endpoint("GET", "/v1/contacts", Safety.READ, "searchContacts", CONTACT_SEARCH)
# Bulk add/update is an upsert too; a repeat finds the contacts it created and changes nothing more.
BULK = Endpoint("POST", "/v1/contacts", Safety.IDEMPOTENT, "contactsBulkUpdate", CONTACT_WRITE)
IMPORT_STATUS = Endpoint("GET", "/v1/importstatus/{sessionId}", Safety.READ, "getImportSessionStatus")
EMAILS = Endpoint("GET", "/v1/contacts/email", Safety.READ, "getContactEmails")
# Subscribe generates a subscribeFromApi event that usually sends a confirmation email: unrepeatable.
SUBSCRIBE = Endpoint("POST", "/v1/contact/subscribe", Safety.UNREPEATABLE, "subscribeContact", CONTACT_WRITE)

# Import polling: the first wait, and the longest between two reads of one import's status.
POLL_FIRST_DELAY = 0.25
POLL_MAX_DELAY = 4.0

# GET /v1/contacts/email takes the ids comma-separated in the query; no limit is documented.
# Asking for at most this many at a time keeps the URL short.
EMAIL_IDS_PER_REQUEST = 200


class _IdResult(BaseModel):
    id: int


def check_event_key(value: str, what: str) -> None:
    """Refuse an event type key that eSputnik would reject (≤ 100 characters, no forbidden ones)."""
    if not value.strip():
        raise RequestValidationError(f"{what} must not be empty")
    if len(value) > 100:
        raise RequestValidationError(f"{what} is {len(value)} characters long; eSputnik allows 100")
    bad = sorted({c for c in value if c in FORBIDDEN_KEY_CHARACTERS})
    if bad:
        raise RequestValidationError(f"{what} contains characters eSputnik forbids: {' '.join(bad)}")


class BulkContact(Protocol):
    """A contact a bulk update takes: anything that gives its JSON object (SPEC Contact), such as
    :class:`ContactInput`."""

    def wire(self) -> dict[str, Any]: ...


C = TypeVar("C", bound=BulkContact)


@dataclass(frozen=True)
class BulkGroup(Generic[C]):
    """Contacts that give the same fields, and the options that write exactly those fields."""

    options: BulkOptions
    positions: list[int]
    contacts: list[C]


Fields = tuple[frozenset[str], frozenset[int]]  # the standard and custom fields a contact gives


def _group_options(options: BulkOptions, fields: Fields) -> BulkOptions:
    """``options`` writing exactly ``fields``: its own field lists are replaced."""
    standard, custom = fields
    return options.model_copy(update={"contact_fields": sorted(standard), "custom_fields_ids": sorted(custom) or None})


def plan_bulk_upsert(contacts: Sequence[C], options: BulkOptions) -> list[BulkGroup[C]]:
    """``contacts`` grouped by the standard and custom fields each gives, each group with ``options``
    whose ``contactFields`` and ``customFieldsIDs`` list exactly those: a bulk update clears the
    listed fields a contact lacks, so contacts that give different fields go in different requests.
    Groups come in the order of their first contact."""
    groups: dict[Fields, BulkGroup[C]] = {}
    for position, contact in enumerate(contacts):
        fields = bulk_fields(contact.wire())
        group = groups.get(fields)
        if group is None:
            group = groups[fields] = BulkGroup(_group_options(options, fields), [], [])
        group.positions.append(position)
        group.contacts.append(contact)
    return list(groups.values())


def bulk_body(contacts: Sequence[BulkContact], options: BulkOptions) -> bytes:
    """The JSON body of a bulk update (SPEC ContactsBulkUpdate)."""
    return _body([encode_json(contact.wire()) for contact in contacts], options)


def _body(encoded: Sequence[bytes], options: BulkOptions) -> bytes:
    """A bulk update's body from its contacts' encoded objects."""
    return b'{"contacts":[' + b",".join(encoded) + b"]," + encode_json(options.wire())[1:]


@dataclass
class _Filling(Generic[C]):
    """The request of a group being filled: its contacts, their positions and encoded objects."""

    options: BulkOptions
    contacts: list[C] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)
    encoded: list[bytes] = field(default_factory=list)


class _BulkRequests(Generic[C]):
    """The requests of a bulk upsert, made as the contacts are read: grouped as
    :func:`plan_bulk_upsert` groups them, a request is given as soon as its group has 3000 contacts
    (while the rest are still being read), and each group's last, smaller request once every contact
    has been read, groups in the order of their first contact. So requests leave while the plan is
    still being made, and their number is still the least: one per 3000 contacts of a group, and one
    for the rest of each group.

    Each contact's object is built once, for its group and its body, and encoded at once, so none
    outlives its encoding: a large call keeps no second copy of its contacts as objects (bytes only,
    until their request has left), which also leaves the garbage collector little to walk."""

    def __init__(self, contacts: Sequence[C], options: BulkOptions) -> None:
        self._contacts = contacts
        self._options = options
        self._bodies: dict[int, tuple[BulkOptions, bytes]] = {}  # by request index, until taken
        self._made = 0

    def __iter__(self) -> Iterator[Part[C]]:
        filling: dict[Fields, _Filling[C]] = {}
        for position, contact in enumerate(self._contacts):
            wire = contact.wire()
            fields = bulk_fields(wire)
            group = filling.get(fields)
            if group is None:
                group = filling[fields] = _Filling(_group_options(self._options, fields))
            group.contacts.append(contact)
            group.positions.append(position)
            group.encoded.append(encode_json(wire))
            if len(group.contacts) == CONTACTS_PER_BULK:
                yield self._request(group)
        for group in filling.values():
            if group.contacts:
                yield self._request(group)

    def take(self, index: int) -> tuple[BulkOptions, bytes]:
        """The options and body of request ``index``, given once: the body is let go after its request."""
        return self._bodies.pop(index)

    def _request(self, group: _Filling[C]) -> Part[C]:
        part = Part(group.contacts, group.positions)
        self._bodies[self._made] = (group.options, _body(group.encoded, group.options))
        self._made += 1
        group.contacts, group.positions, group.encoded = [], [], []
        return part


class ContactsApi:
    def __init__(self, http: HttpCore, *, concurrency: int) -> None:
        self._http = http
        self._concurrency = concurrency

    async def upsert(self, contact: ContactInput) -> int:
        """Create a contact, or update the one with the same channel value or external id; its id.

        A 409 means eSputnik already processed this identical request within the last minute (for
        instance an earlier attempt whose answer was lost): the contact it wrote is looked up instead.
        """
        try:
            response = await self._http.call(ADD, json_body=contact.wire())
        except ConflictError:
            found = await self._written(contact)
            if found is None:
                raise
            return found
        data = response.data
        if isinstance(data, int | str):  # the old API sent the bare id
            data = {"id": data}
        return parse(_IdResult, data, ADD).id

    async def _written(self, contact: ContactInput) -> int | None:
        """The id of the one contact matching ``contact``'s external id, else its first email or phone."""
        emails = [c.value for c in contact.channels if c.type == "email"]
        phones = [c.value for c in contact.channels if c.type == "sms"]
        if contact.external_customer_id:
            page = await self.search(external_customer_id=contact.external_customer_id, max_rows=2)
        elif emails:
            page = await self.search(email=emails[0], max_rows=2)
        elif phones:
            page = await self.search(phone=phones[0], max_rows=2)
        else:
            return None
        if len(page.items) == 1 and page.items[0].id is not None:
            return page.items[0].id
        return None

    async def get(self, contact_id: int) -> Contact:
        response = await self._http.call(GET, path_params={"id": contact_id})
        return parse(Contact, response.data, GET)

    async def update(self, contact_id: int, contact: ContactInput) -> str:
        """Update a contact by id (restores a deleted one); eSputnik's plain-text confirmation.

        A 409 means this identical update was already processed within the last minute.
        """
        try:
            response = await self._http.call(UPDATE, path_params={"id": contact_id}, json_body=contact.wire())
        except ConflictError:
            return f"contact {contact_id}: this identical update was already applied within the last minute"
        return str(response.data)

    async def delete(self, contact_id: int, *, erase: bool = False) -> str:
        """Delete by id. ``erase=True`` removes the contact and all its data for good (GDPR)."""
        response = await self._http.call(DELETE, path_params={"id": contact_id}, params={"erase": erase})
        return str(response.data)

    async def delete_by_external_id(self, external_customer_id: str, *, erase: bool = False) -> str:
        if not external_customer_id.strip():
            raise RequestValidationError("external_customer_id must not be empty")
        response = await self._http.call(
            DELETE_BY_EXTERNAL_ID, params={"externalCustomerId": external_customer_id, "erase": erase}
        )
        return str(response.data)

    async def search(
        self,
        *,
        email: str | None = None,
        phone: str | None = None,
        external_customer_id: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        start_index: int = 1,
        max_rows: int = MAX_ROWS,
        sort_by_id: bool = False,
    ) -> Page[Contact]:
        """One page of contacts matching every filter given (none: all contacts).

        ``sort_by_id`` orders by contact id, which eSputnik allows only without filters.
        """
        check_page(start_index, max_rows)
        filters = {
            "externalCustomerId": external_customer_id,
            "email": email,
            "sms": phone,
            "firstname": first_name,
            "lastname": last_name,
        }
        if sort_by_id and any(v is not None for v in filters.values()):
            raise RequestValidationError("sorting by contact id is only possible without filters")
        params: dict[str, object | None] = {
            **filters,
            "startindex": start_index,
            "maxrows": max_rows,
            "sortBy": "contactId" if sort_by_id else None,
        }
        response = await self._http.call(SEARCH, params=params)
        return page(Contact, response, SEARCH, start_index, max_rows)

    def iter_search(
        self,
        *,
        email: str | None = None,
        phone: str | None = None,
        external_customer_id: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        page_size: int = MAX_ROWS,
    ) -> AsyncIterator[Contact]:
        """Every matching contact, page after page. Without filters, ordered by id (stable)."""
        unfiltered = all(v is None for v in (email, phone, external_customer_id, first_name, last_name))

        async def fetch(start_index: int, max_rows: int) -> Page[Contact]:
            return await self.search(
                email=email,
                phone=phone,
                external_customer_id=external_customer_id,
                first_name=first_name,
                last_name=last_name,
                start_index=start_index,
                max_rows=max_rows,
                sort_by_id=unfiltered,
            )

        return iterate_pages(fetch, page_size=page_size)

    async def bulk_update(self, contacts: Sequence[BulkContact], options: BulkOptions) -> BulkUpdateResult:
        """Add or update up to 3000 contacts; eSputnik applies them asynchronously.

        Follow ``async_session_id`` with :meth:`import_status`. Failures come back inside the answer.
        """
        return await self._bulk_request(len(contacts), options, lambda: bulk_body(contacts, options))

    async def _bulk_request(self, count: int, options: BulkOptions, body: Callable[[], bytes]) -> BulkUpdateResult:
        """One bulk update of ``count`` contacts with ``options``, after the checks eSputnik would fail."""
        if not count:
            raise RequestValidationError("no contacts to add or update")
        if count > CONTACTS_PER_BULK:
            raise RequestValidationError(f"{count} contacts in one request; eSputnik takes at most {CONTACTS_PER_BULK}")
        if options.dedupe_on is DedupeOn.FIELD_ID and options.field_id is None:
            raise RequestValidationError("dedupe on a custom field needs its field id")
        if options.event_key_for_new_contacts is not None:
            check_event_key(options.event_key_for_new_contacts, "event_key_for_new_contacts")
        response = await self._http.call(BULK, json_content=body())
        return parse(BulkUpdateResult, response.data, BULK)

    async def bulk_upsert(
        self,
        contacts: Sequence[C],
        options: BulkOptions,
        *,
        on_done: OnDone[C, BulkUpdateResult] | None = None,
    ) -> list[ChunkOutcome[C, BulkUpdateResult]]:
        """Any number of contacts, in as few requests as eSputnik allows, a few at a time; one
        outcome per request, its ``positions`` the contacts' indexes in ``contacts``.

        A bulk update writes exactly the fields its ``contactFields`` and ``customFieldsIDs`` list,
        clearing those a contact lacks: contacts are grouped by the fields they give, and each group
        lists exactly those (as :func:`plan_bulk_upsert` groups them). ``options``' own field lists
        are replaced. The first requests leave while later contacts are still being grouped: every
        contact has been checked before this is called, so none of them can stop a request that has
        left. Requests are numbered in the order they fill (see :class:`_BulkRequests`).
        """
        requests = _BulkRequests(contacts, options)

        async def work(index: int, part: Part[C]) -> BulkUpdateResult:
            group_options, body = requests.take(index)
            return await self._bulk_request(len(part.items), group_options, lambda: body)

        return await run_parts(requests, work, concurrency=self._concurrency, on_done=on_done)

    async def follow_imports(
        self,
        session_ids: Sequence[str],
        *,
        within: float,
        on_status: Callable[[str, ImportStatus], Awaitable[None]] | None = None,
    ) -> dict[str, ImportStatus | ESputnikError]:
        """Poll each import until it is FINISHED or ERROR, for at most ``within`` seconds (reading
        each at least once), backing off from a quarter of a second to four. The last status of
        each, or the error that stopped reading it. ``on_status`` hears of every status read."""
        until = self._http.clock() + within
        latest: dict[str, ImportStatus | ESputnikError] = {}
        limiter = anyio.CapacityLimiter(self._concurrency)
        delay = POLL_FIRST_DELAY

        async def poll(session_id: str) -> None:
            async with limiter:
                try:
                    status = await self.import_status(session_id)
                except ESputnikError as exc:
                    latest[session_id] = exc
                    return
            latest[session_id] = status
            if on_status is not None:
                await on_status(session_id, status)

        def running() -> list[str]:
            return [
                s
                for s in dict.fromkeys(session_ids)
                if not isinstance(found := latest.get(s), ESputnikError) and (found is None or not found.finished)
            ]

        while True:
            async with anyio.create_task_group() as tg:
                for session_id in running():
                    tg.start_soon(poll, session_id)
            remaining = until - self._http.clock()
            if not running() or remaining <= 0:
                return latest
            await self._http.sleep(min(delay, remaining))
            delay = min(delay * 2, POLL_MAX_DELAY)

    async def import_status(self, session_id: str) -> ImportStatus:
        if not session_id.strip():
            raise RequestValidationError("session_id must not be empty")
        response = await self._http.call(IMPORT_STATUS, path_params={"sessionId": session_id})
        return parse(ImportStatus, response.data, IMPORT_STATUS)

    async def emails(self, contact_ids: Sequence[int]) -> list[ContactEmail]:
        """The email addresses of the given contacts."""
        if not contact_ids:
            raise RequestValidationError("no contact ids given")
        found: list[ContactEmail] = []
        for part in chunked(contact_ids, EMAIL_IDS_PER_REQUEST):
            response = await self._http.call(EMAILS, params={"ids": ",".join(str(i) for i in part)})
            data = response.data or {}
            found.extend(parse_list(ContactEmail, data.get("results") if isinstance(data, dict) else data, EMAILS))
        return found

    async def subscribe(
        self,
        contact: ContactInput,
        *,
        groups: Sequence[str] | None = None,
        subscriptions: Sequence[str] | None = None,
        form_type: str | None = None,
    ) -> SubscribeResult:
        """Subscribe through double opt-in: a new contact's email stays unconfirmed until confirmed.

        eSputnik raises ``subscribeFromApi`` (new) or ``subscribeUpdateFromApi`` (existing), suffixed
        ``-<form_type>``, for the workflow that sends the confirmation email.
        """
        if form_type is not None:
            check_event_key(form_type, "form_type")
        body: dict[str, object] = {"contact": contact.wire()}
        if groups:
            body["groups"] = list(groups)
        if subscriptions:
            body["subscriptions"] = list(subscriptions)
        if form_type is not None:
            body["formType"] = form_type
        response = await self._http.call(SUBSCRIBE, json_body=body)
        return parse(SubscribeResult, response.data, SUBSCRIBE)
