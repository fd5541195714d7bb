"""Contacts, bulk import, subscribe, custom fields and unsubscribes (esputnik-api.md §4, §5)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from esputnik_mcp.sandbox import rules
from esputnik_mcp.sandbox.domain import catalogue, contacts, events, imports, segments
from esputnik_mcp.sandbox.limits import CONTACT_SEARCH, CONTACT_WRITE, CONTACTS_PER_BULK, MAX_ROWS
from esputnik_mcp.sandbox.routes.base import Call, RouteSpec
from esputnik_mcp.sandbox.validation import (
    BulkUpdateIn,
    ContactIn,
    ContactUpdateIn,
    SubscribeIn,
    UnsubscribeIn,
)
from esputnik_mcp.sandbox.wire import (
    bad_request,
    empty_reply,
    json_reply,
    not_found,
    one_or_many,
    paged_reply,
    parse_body,
    parse_json,
    path_int,
    text_reply,
    validate,
)

# Keys of SPEC FailedContact: the contact as sent (these fields) plus its error.
FAILED_CONTACT_KEYS = (
    "firstName",
    "lastName",
    "channels",
    "address",
    "fields",
    "addressBookId",
    "id",
    "contactKey",
    "groups",
    "languageCode",
    "timeZone",
)


def _contact_id(call: Call) -> int:
    return path_int(call.path["id"], "contact id", bits=64)


def _refuse_problem(call: Call, contact: ContactIn | ContactUpdateIn) -> None:
    problem = contacts.contact_problem(call.state, contact)
    if problem:
        raise bad_request(f"Invalid contact: {problem}")


def add_contact(call: Call) -> Response:
    """Create, or update the contact with the same external id or channel value. A matching
    deleted contact is restored (a guess: the reference says so only of PUT)."""
    call.params()
    contact = parse_body(ContactIn, call.body, what="contact")
    _refuse_problem(call, contact)
    existing = contacts.match(call.state, contact)
    if existing is None:
        contact_id = contacts.create(call.state, contact)
    else:
        contacts.update(call.state, existing, contact, contacts.plan_for(contact, channels="given_types"))
        contact_id = existing
    return json_reply({"id": contact_id})


def get_contact(call: Call) -> Response:
    """A deleted contact is 404 like an unknown one (a guess: the reference says nothing)."""
    call.params()
    contact_id = _contact_id(call)
    found = contacts.contacts_json(call.state, [contact_id])
    if not found:
        raise not_found(f"Contact with id={contact_id} not found")
    return json_reply(found[0])


def update_contact(call: Call) -> Response:
    """Update by id; a deleted contact is restored (SPEC updateContact). Channels are required:
    "It is necessary to specify at least one channel" (SPEC ContactUpdate)."""
    call.params()
    contact_id = _contact_id(call)
    contact = parse_body(ContactUpdateIn, call.body, what="contact")
    if contacts.status(call.state, contact_id) is None:
        raise not_found(f"Contact with id={contact_id} not found")
    if contact.channels is None:
        raise bad_request("Invalid contact: channels is required; specify at least one channel")
    _refuse_problem(call, contact)
    contacts.update(call.state, contact_id, contact, contacts.plan_for(contact, channels="all"))
    # The wording follows an old sample answer (LIB multitest).
    return text_reply(f"Contact with id='{contact_id}' has been updated")


def delete_contact(call: Call) -> Response:
    """Deleting an already deleted contact answers 200 again; the wording is the sandbox's
    (both guesses: the reference documents only "a string")."""
    erase = call.params("erase").boolean("erase", False)
    contact_id = _contact_id(call)
    if contacts.status(call.state, contact_id) is None:
        raise not_found(f"Contact with id={contact_id} not found")
    contacts.delete(call.state, contact_id, erase=erase)
    verb = "erased" if erase else "deleted"
    return text_reply(f"Contact with id='{contact_id}' has been {verb}")


def delete_by_external_id(call: Call) -> Response:
    """Deletes every contact with that external id (again if already deleted, as by id); none
    known is 404 (guesses: the reference gives no response schema)."""
    query = call.params("externalCustomerId", "erase")
    external_id = query.required("externalCustomerId")
    erase = query.boolean("erase", False)
    ids = [
        row[0]
        for row in call.state.conn.execute("SELECT id FROM contacts WHERE external_customer_id = ?", (external_id,))
    ]
    if not ids:
        raise not_found(f"Contact with externalCustomerId={external_id} not found")
    for contact_id in ids:
        contacts.delete(call.state, contact_id, erase=erase)
    return empty_reply()


def search_contacts(call: Call) -> Response:
    query = call.params(
        "externalCustomerId", "email", "sms", "firstname", "lastname", "startindex", "maxrows", "sortBy"
    )
    start, rows = query.paging(MAX_ROWS)

    def given(name: str) -> str | None:
        value = query.text(name)
        return value if value else None

    filters = contacts.Filters(
        email=given("email"),
        sms=given("sms"),
        external_customer_id=given("externalCustomerId"),
        first_name=given("firstname"),
        last_name=given("lastname"),
    )
    sort_by = query.text("sortBy")
    # SPEC searchContacts: contactId is the only value, "only actual for searches without
    # conditions"; refusing it with conditions (rather than ignoring it) is the sandbox's choice.
    if sort_by is not None and sort_by != "contactId":
        raise bad_request(f"sortBy takes only the value contactId; got {sort_by!r}")
    if sort_by and filters.any():
        raise bad_request("sortBy=contactId is only possible in a search without conditions")
    ids, total = contacts.search(call.state, filters, start=start, rows=rows, by_id=sort_by is not None)
    return paged_reply(contacts.contacts_json(call.state, ids, full=False), total)


def bulk_update(call: Call) -> Response:
    call.params()
    if not call.body.strip():
        raise bad_request("The request body is required")
    data = parse_json(call.body)
    options = validate(BulkUpdateIn, data)
    if len(options.contacts) > CONTACTS_PER_BULK:
        raise bad_request(
            f"Too many contacts: {len(options.contacts)}; at most {CONTACTS_PER_BULK} per request are allowed"
        )
    defs = catalogue.fields(call.state)
    _refuse_bulk_options(options, defs)
    failed: list[dict[str, Any]] = []
    accepted: list[dict[str, Any]] = []
    for raw, contact in zip(data["contacts"], options.contacts, strict=True):
        error = imports.contact_failure(call.state, contact, options, defs)
        if error is None:
            accepted.append(raw)
        else:
            failed.append({**{k: raw[k] for k in FAILED_CONTACT_KEYS if k in raw}, "error": error})
    result: dict[str, Any] = {"asyncSessionId": imports.start(call.state, options, accepted)}
    if failed:  # left out when empty (a guess)
        result["failedContacts"] = one_or_many(failed)
    return json_reply(result)


def _refuse_bulk_options(options: BulkUpdateIn, defs: dict[int, catalogue.FieldDef]) -> None:
    """A 400 for options that spoil the whole request (rather than single contacts): a dedupe
    field or custom field ids that do not exist, an unusable eventKeyForNewContacts."""
    if options.dedupeOn == "fieldId":
        if options.fieldId is None:
            raise bad_request("fieldId is required when dedupeOn is fieldId")
        if options.fieldId not in defs:
            raise bad_request(f"There is no custom field with id {options.fieldId}")
    unknown = sorted(set(options.customFieldsIDs or ()) - defs.keys())
    if unknown:
        raise bad_request(f"customFieldsIDs has unknown field ids: {', '.join(map(str, unknown))}")
    if options.eventKeyForNewContacts is not None:
        problem = rules.key_problem(options.eventKeyForNewContacts, "eventKeyForNewContacts")
        if problem:
            raise bad_request(problem)


def import_status(call: Call) -> Response:
    call.params()
    session_id = call.path["sessionId"]
    found = imports.status_json(call.state, session_id)
    if found is None:
        raise not_found(f"Import session {session_id} not found")
    return json_reply(found)


def contact_emails(call: Call) -> Response:
    """Unknown ids and contacts without email are left out (a guess)."""
    raw = call.params("ids").required("ids")
    ids = []
    for part in raw.split(","):
        if part.strip():
            ids.append(path_int(part.strip(), "contact id in ids", bits=64))
    found = contacts.emails(call.state, ids)
    return json_reply({"results": one_or_many([{"contactId": cid, "email": email} for cid, email in found])})


def subscribe(call: Call) -> Response:
    """Double opt-in (SPEC subscribeContact): a new contact gets an unconfirmed email; an
    existing one has its fields updated and keeps its channels (new channel types are added)."""
    call.params()
    request = parse_body(SubscribeIn, call.body)
    if request.formType is not None:
        problem = rules.key_problem(request.formType, "formType")
        if problem:
            raise bad_request(problem)
    contact = request.contact
    _refuse_problem(call, contact)
    state = call.state
    existing = contacts.match(state, contact)
    if existing is None:
        contact_id = contacts.create(state, contact, email_status="NEED_CONFIRMATION")
        has_email = contacts.channel_value(state, contact_id, "email") is not None
        # A new contact without email has nothing to confirm (a guess).
        email_status = "NEED_CONFIRMATION" if has_email else "SUBSCRIBED"
        event_key = "subscribeFromApi"
    else:
        contact_id = existing
        contacts.update(state, contact_id, contact, contacts.plan_for(contact, channels="add_types"))
        email_status = _existing_email_status(call, contact_id)
        event_key = "subscribeUpdateFromApi"
    for name in request.groups or ():
        segments.add_members(state, segments.ensure_static(state, name), [contact_id])
    contacts.set_subscriptions(state, contact_id, request.subscriptions or ())
    if request.formType:
        event_key += f"-{request.formType}"
    params: list[tuple[str, Any]] = [("ContactId", contact_id)]
    email = contacts.channel_value(state, contact_id, "email")
    if email:
        params.append(("EmailAddress", email))
    events.record(state, event_key, params, contact_id=contact_id, source="subscribe")
    return json_reply({"id": contact_id, "emailStatus": email_status, "new": existing is None})


def _existing_email_status(call: Call, contact_id: int) -> str:
    """BLACKLISTED when the address is unsubscribed, NEED_CONFIRMATION while unconfirmed,
    otherwise ALREADY_SUBSCRIBED (SPEC ContactSubscriptionResult values; the mapping is a guess)."""
    email = contacts.channel_value(call.state, contact_id, "email")
    if email is None:
        return "SUBSCRIBED"
    if call.state.conn.execute("SELECT 1 FROM unsubscribed WHERE email = ?", (rules.normal_email(email),)).fetchone():
        return "BLACKLISTED"
    row = contacts.status(call.state, contact_id)
    if row is not None and row["email_status"] == "NEED_CONFIRMATION":
        return "NEED_CONFIRMATION"
    return "ALREADY_SUBSCRIBED"


def address_books(call: Call) -> Response:
    call.params()
    return json_reply(catalogue.address_books_json(call.state))


def unsubscribe_add(call: Call) -> Response:
    """Addresses are stored as given (lower-cased); the reference documents no check."""
    call.params()
    request = parse_body(UnsubscribeIn, call.body)
    call.state.conn.executemany(
        "INSERT OR IGNORE INTO unsubscribed (email, added_at) VALUES (?, ?)",
        [(rules.normal_email(e), call.state.now()) for e in request.emails if e.strip()],
    )
    return empty_reply()


def unsubscribe_remove(call: Call) -> Response:
    call.params()
    request = parse_body(UnsubscribeIn, call.body)
    call.state.conn.executemany(
        "DELETE FROM unsubscribed WHERE email = ?", [(rules.normal_email(e),) for e in request.emails]
    )
    return empty_reply()


ROUTES = [
    RouteSpec("POST", "/v1/contact/subscribe", subscribe, CONTACT_WRITE, guard_repeats=True),
    RouteSpec("POST", "/v1/contact", add_contact, CONTACT_WRITE, guard_repeats=True),
    RouteSpec("DELETE", "/v1/contact", delete_by_external_id),
    RouteSpec("GET", "/v1/contact/{id}", get_contact),
    RouteSpec("PUT", "/v1/contact/{id}", update_contact, CONTACT_WRITE, guard_repeats=True),
    RouteSpec("DELETE", "/v1/contact/{id}", delete_contact),
    RouteSpec("GET", "/v1/contacts/email", contact_emails),
    RouteSpec("GET", "/v1/contacts", search_contacts, CONTACT_SEARCH),
    RouteSpec("POST", "/v1/contacts", bulk_update, CONTACT_WRITE),
    RouteSpec("GET", "/v1/importstatus/{sessionId}", import_status),
    RouteSpec("GET", "/v1/addressbooks", address_books),
    RouteSpec("POST", "/v1/emails/unsubscribed/add", unsubscribe_add),
    RouteSpec("POST", "/v1/emails/unsubscribed/delete", unsubscribe_remove),
]
