"""Sending (email, SMS, Viber, smartsend), delivery status and stored messages (esputnik-api.md §7, §9).

Every send answers ``{results}``: one SPEC SendMessageResultDto per recipient, a lone object
when there is one. A refused recipient gets ``status: ERROR`` and a ``message`` inside a 200.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from starlette.responses import Response

from esputnik_mcp.sandbox import rules
from esputnik_mcp.sandbox.domain import account, contacts, messaging, segments
from esputnik_mcp.sandbox.limits import MAX_ROWS, SMARTSEND_RECIPIENTS, TEMPLATE_READS
from esputnik_mcp.sandbox.routes.base import Call, Handler, RouteSpec
from esputnik_mcp.sandbox.state import State
from esputnik_mcp.sandbox.validation import (
    MESSAGE_MODELS,
    EmailIn,
    RecipientIn,
    SmartsendIn,
    SmsIn,
    StoredMessageIn,
    ViberIn,
    ViberMessageIn,
)
from esputnik_mcp.sandbox.wire import (
    bad_request,
    json_reply,
    not_found,
    one_or_many,
    paged_reply,
    parse_body,
    path_int,
    text_reply,
)


def _results(results: list[dict[str, Any]]) -> Response:
    return json_reply({"results": one_or_many(results)})


def send_email(call: Call) -> Response:
    """An invalid or unsubscribed address gets an ERROR result and is not sent; the reference
    documents ERROR results with a message, the reasons and wording are the sandbox's."""
    call.params()
    email = parse_body(EmailIn, call.body)
    if not email.emails:
        raise bad_request("emails must list at least one recipient")
    state, results = call.state, []
    for address in email.emails:
        if not rules.email_ok(address):
            results.append(messaging.error_result(address, f"Invalid email address: {address}"))
            continue
        if messaging.is_unsubscribed(state, address):
            results.append(messaging.error_result(address, "The email address is in the unsubscribed list"))
            continue
        contact_id = messaging.contact_for(state, "email", address)
        variables = messaging.contact_variables(state, contact_id)
        personalise = not email.skipPersonalisation
        out = messaging.Outgoing(
            channel="email",
            locator=address.strip(),
            contact_id=contact_id,
            sender=email.from_,
            subject=messaging.render(email.subject, variables, {}) if personalise else email.subject,
            content=messaging.render(email.htmlText, variables, {}) if personalise else email.htmlText,
            tags=email.tags or [],
            external_request_id=email.externalRequestId,
        )
        results.append(messaging.send(state, out))
    return _results(results)


def _phones(
    state: State, listed: list[str] | None, group_id: int | None, channel: account.Channel
) -> Iterator[tuple[str, dict[str, Any] | None]]:
    """The numbers a one-off SMS or Viber message goes to, in order, each with the error result that
    answers it instead of a send: ``listed`` and, with ``group_id``, every member of that segment
    that ``channel`` reaches (both at once add up: a guess); each number once, by its digits. An
    unknown segment is 404 (a guess); neither numbers nor a segment is 400."""
    numbers = list(listed or [])
    if group_id is not None:
        segment = segments.get(state, group_id)
        if segment is None:
            raise not_found(f"Segment with id={group_id} not found")
        for contact_id in segments.all_member_ids(state, segment):
            phone = messaging.address_of(state, contact_id, channel)
            if phone:
                numbers.append(phone)
    elif not numbers:
        raise bad_request("phoneNumbers or groupId is required")
    seen: set[str] = set()
    for number in numbers:
        digits = rules.normal_phone(number)
        if digits is None:
            yield number, messaging.error_result(number, f"Invalid phone number: {number}")
        elif digits not in seen:
            seen.add(digits)
            yield number, None


def send_sms(call: Call) -> Response:
    """To ``phoneNumbers`` and, with ``groupId``, to every member of that segment with a phone
    (both at once add up: a guess); an unknown segment is 404 (a guess)."""
    call.params()
    sms = parse_body(SmsIn, call.body)
    state = call.state
    results = []
    for number, error in _phones(state, sms.phoneNumbers, sms.groupId, "sms"):
        if error is not None:
            results.append(error)
            continue
        contact_id = messaging.contact_for(state, "sms", number)
        variables = messaging.contact_variables(state, contact_id)
        out = messaging.Outgoing(
            channel="sms",
            locator=number.strip(),
            contact_id=contact_id,
            sender=sms.from_,
            content=messaging.render(sms.text, variables, {}),
            tags=sms.tags or [],
            external_request_id=sms.externalRequestId,
        )
        results.append(messaging.send(state, out))
    return _results(results)


def _viber_sender(call: Call, sender: str | None) -> str | None:
    """The sender of a one-off Viber message: ``from`` is "required if more than one sender is
    available" (SPEC OutgoingViber), so without it the account's only sender. An unknown sender is
    400, as for a stored Viber message (SPEC addViberMessage); for a send that is a guess."""
    known = [s["value"] for s in account.senders_json(call.state, "viber")]
    if sender is None:
        if len(known) > 1:
            raise bad_request("from is required: the account has more than one Viber sender")
        return known[0] if known else None
    if known and sender not in known:
        raise bad_request(f"Non-existing sender name used in message: {sender}")
    return sender


def send_viber(call: Call) -> Response:
    """To ``phoneNumbers`` and, with ``groupId``, to every member of that segment with a phone (a
    Viber channel, else an SMS one), as :func:`send_sms` does; an unknown number is a new contact
    (SPEC sendViber). The image, button and lifetime are not kept: the sandbox has no Viber app to
    show them in."""
    call.params()
    viber = parse_body(ViberIn, call.body)
    state = call.state
    sender = _viber_sender(call, viber.from_)
    results = []
    for number, error in _phones(state, viber.phoneNumbers, viber.groupId, "viber"):
        if error is not None:
            results.append(error)
            continue
        contact_id = messaging.contact_at(state, "viber", number) or messaging.contact_for(state, "sms", number)
        out = messaging.Outgoing(
            channel="viber",
            locator=number.strip(),
            contact_id=contact_id,
            sender=sender,
            content=messaging.render(viber.text, messaging.contact_variables(state, contact_id), {}),
            tags=viber.tags or [],
            external_request_id=viber.externalRequestId,
        )
        results.append(messaging.send(state, out))
    return _results(results)


def _check_recipients(recipients: list[RecipientIn]) -> list[dict[str, Any]]:
    """Each recipient's parsed ``jsonParam``; refuses the request as eSputnik's schema would:
    recipients unique (SPEC uniqueItems), at most 1000 (DOC smartsend guide). Refusing a
    recipient with two identifiers, and a ``jsonParam`` that is not a JSON object, are guesses."""
    if not recipients:
        raise bad_request("recipients must list at least one recipient")
    if len(recipients) > SMARTSEND_RECIPIENTS:
        raise bad_request(
            f"Too many recipients: {len(recipients)}; at most {SMARTSEND_RECIPIENTS} per request are allowed"
        )
    seen: set[str] = set()
    params = []
    for index, recipient in enumerate(recipients):
        named = [v for v in (recipient.contactId, recipient.externalCustomerId, recipient.locator) if v is not None]
        if len(named) != 1:
            raise bad_request(f"recipients[{index}] must have exactly one of contactId, externalCustomerId or locator")
        key = recipient.model_dump_json()
        if key in seen:
            raise bad_request(f"recipients[{index}] repeats an earlier recipient; recipients must be unique")
        seen.add(key)
        data: Any = {}
        if recipient.jsonParam is not None:
            try:
                data = json.loads(recipient.jsonParam)
            except ValueError:
                raise bad_request(f"recipients[{index}].jsonParam is not valid JSON") from None
            if not isinstance(data, dict):
                raise bad_request(f"recipients[{index}].jsonParam must encode a JSON object")
        params.append(data)
    return params


def _locator_problem(channel: account.Channel, locator: str) -> bool:
    """Whether ``locator`` cannot be an address on ``channel``: an email address for email, a phone
    number for SMS and Viber, a push token for mobile push and App Inbox, a chat id for Telegram
    (esputnik-api.md §7.5). That a chat id is an integer is Telegram's rule; that a token has no
    spaces is a guess."""
    if channel == "email":
        return not rules.email_ok(locator)
    if channel in ("sms", "viber"):
        return rules.normal_phone(locator) is None
    if channel == "telegram":
        return not locator.removeprefix("-").isdigit()
    return not locator or any(c.isspace() for c in locator)


def _by_locator(call: Call, channel: account.Channel, locator: str) -> tuple[int | None, str] | dict[str, Any]:
    """(contact id, address) of a recipient named by its address. An unknown email address or phone
    number is a new contact, as one-off sends do (SPEC sendEmail, sendSMS, sendViber); an unknown
    push token is an ERROR result, as a token alone does not make a contact; a Telegram chat id is
    sent to as it is, with no contact (guesses)."""
    state = call.state
    if _locator_problem(channel, locator):
        return messaging.error_result(locator, f"Invalid locator for {channel}: {locator}")
    if channel in ("email", "sms"):
        return messaging.contact_for(state, "email" if channel == "email" else "sms", locator), locator
    if channel == "telegram":
        return None, locator
    found = messaging.contact_at(state, channel, locator)
    if found is None and channel == "viber":
        found = messaging.contact_for(state, "sms", locator)
    if found is None:
        return messaging.error_result(locator, f"No contact has the push token {locator}")
    return found, locator


def _resolve(call: Call, recipient: RecipientIn, channel: account.Channel) -> tuple[int | None, str] | dict[str, Any]:
    """(contact id, address) of a recipient, or its ERROR result. An unknown contact is an
    ERROR result, an unknown locator as :func:`_by_locator` says (guesses)."""
    state = call.state
    if recipient.locator is not None:
        return _by_locator(call, channel, recipient.locator.strip())
    if recipient.contactId is not None:
        contact_id: int | None = recipient.contactId
        label = str(recipient.contactId)
        if not contacts.is_active(state, recipient.contactId):
            contact_id = None
    else:
        label = str(recipient.externalCustomerId)
        contact_id = contacts.find_by_external_id(state, label)
        if contact_id is not None and not contacts.is_active(state, contact_id):
            contact_id = None
    if contact_id is None:
        return messaging.error_result(label, f"Contact {label} not found")
    address = messaging.address_of(state, contact_id, channel)
    if address is None:
        what = "Telegram bot subscription" if channel == "telegram" else f"{channel} channel"
        return messaging.error_result(label, f"Contact {label} has no {what}")
    return contact_id, address


def _looked_up(call: Call, message_id: int, email: bool) -> tuple[account.Channel, dict[str, Any]]:
    """The channel and body of the message a smartsend names. ``email`` is true for email and false
    for every other channel (SPEC), so without it the id is looked up among the other channels'
    messages and the message goes out on the channel it belongs to. That rests on message ids being
    unique across channels, as they are in the sandbox (one id space) and are taken to be in
    eSputnik (a guess). Not found is 404 (esputnik-api.md §7.5, [LIB])."""
    channels: tuple[account.Channel, ...] = ("email",) if email else tuple(c for c in account.CHANNELS if c != "email")
    found = messaging.find_template(call.state, message_id, channels)
    if found is None:
        raise not_found(f"Message with id={message_id} not found")
    return found


def _outgoing(
    channel: account.Channel,
    body: dict[str, Any],
    from_name: str | None,
    variables: dict[str, Any],
    data: dict[str, Any],
) -> tuple[str | None, str | None, str]:
    """(sender, subject, content) of one recipient's message, rendered: email has a sender and a
    subject, SMS and Viber a sender, mobile push and App Inbox a title (kept as the subject)."""

    def fill(key: str) -> str:
        return messaging.render(str(body.get(key, "")), variables, data)

    if channel == "email":
        return _with_name(str(body.get("from", "")), from_name), fill("subject"), fill("htmlText")
    if channel in ("sms", "viber"):
        return from_name or str(body.get("from", "")), None, fill("text")
    if channel in ("mobilepush", "appinbox"):
        return None, fill("title"), fill("text")
    return None, None, fill("text")


def smartsend(call: Call) -> Response:
    """Send stored message ``id`` to each recipient on the message's channel (an omitted ``email``
    counts as false)."""
    call.params()
    message_id = path_int(call.path["id"], "message id")
    request = parse_body(SmartsendIn, call.body)
    all_params = _check_recipients(request.recipients)
    channel, stored = _looked_up(call, message_id, bool(request.email))
    results = []
    for recipient, data in zip(request.recipients, all_params, strict=True):
        resolved = _resolve(call, recipient, channel)
        if isinstance(resolved, dict):
            results.append(resolved)
            continue
        contact_id, address = resolved
        if channel == "email" and messaging.is_unsubscribed(call.state, address):
            results.append(messaging.error_result(address, "The email address is in the unsubscribed list"))
            continue
        body = messaging.version(stored, recipient.languageCode)
        variables = messaging.contact_variables(call.state, contact_id)
        sender, subject, content = _outgoing(channel, body, request.fromName, variables, data)
        out = messaging.Outgoing(
            channel=channel,
            locator=address,
            contact_id=contact_id,
            content=content,
            sender=sender,
            subject=subject,
            template_id=message_id,
            tags=list(body.get("tags", [])),
            external_request_id=recipient.externalRequestId,
            language_code=recipient.languageCode or body.get("languageCode"),
            message_name=str(stored.get("name", "")) or None,
        )
        results.append(messaging.send(call.state, out))
    return _results(results)


def _with_name(sender: str, name: str | None) -> str:
    """``fromName`` replaces the sender name and keeps the message's address (SPEC fromName)."""
    if not name:
        return sender
    address = sender[sender.find("<") :] if "<" in sender else f"<{sender}>"
    return f'"{name}" {address}'


def message_status(call: Call) -> Response:
    """SPEC getInstantMessagesStatus: an array holding one ``{results}``; unknown ids are left
    out, and a request without ``ids`` is refused (guesses: the parameter is not marked required)."""
    raw = call.params("ids").required("ids")
    ids = [part.strip() for part in raw.split(",") if part.strip()]
    return json_reply([{"results": one_or_many(messaging.statuses(call.state, ids))}])


def _search(call: Call, channel: account.Channel) -> Response:
    """SPEC searchEmails, searchSms and the other channels' searches: "a part of the message name
    or a tag"."""
    query = call.params("search", "startindex", "maxrows")
    start, rows = query.paging(MAX_ROWS)
    found, total = messaging.search_templates(call.state, channel, query.text("search"), start=start, rows=rows)
    return paged_reply(found, total)


def _searcher(channel: account.Channel) -> Handler:
    def search_messages(call: Call) -> Response:
        return _search(call, channel)

    return search_messages


def _getter(channel: account.Channel) -> Handler:
    def get_message(call: Call) -> Response:
        """SPEC getEmail, getSms, getViberMessage, …: the message with its language versions. An
        unknown id, or the id of another channel's message, is 404 in plain text (the wording is
        the sandbox's, as for smartsend)."""
        call.params()
        message_id = path_int(call.path["id"], "message id")
        stored = messaging.template(call.state, message_id, channel)
        if stored is None:
            raise not_found(f"Message with id={message_id} not found")
        return json_reply(messaging.message_json(stored))

    return get_message


def _check_message(call: Call, channel: account.Channel, message: StoredMessageIn) -> dict[str, Any]:
    """The body to store, or 400 for what SPEC addViberMessage / updateBaseViberMessage list: a sender
    the account does not have, an image or button in a transactional message, and one or two of
    ``img``, ``caption``, ``action`` without the rest. Other channels: their schema only."""
    if isinstance(message, ViberMessageIn):
        known = [s["value"] for s in account.senders_json(call.state, "viber")]
        if known and message.from_ not in known:
            raise bad_request(f"Non-existing sender name used in message: {message.from_}")
        given = [v is not None for v in (message.img, message.caption, message.action)]
        if message.transactional and any(given):
            raise bad_request("Not applicable field in transactional message: img, caption or action")
        if any(given) and not all(given):
            raise bad_request("One or two of fields specified: img, caption or action; but not all three")
    return message.model_dump(by_alias=True, exclude_none=True)


def _creator(channel: account.Channel) -> Handler:
    def create_message(call: Call) -> Response:
        """SPEC addEmail, addSmsMessage, addViberMessage, …: the new message's SPEC IDResult."""
        call.params()
        message = parse_body(MESSAGE_MODELS[channel], call.body)
        body = _check_message(call, channel, message)
        return json_reply({"id": messaging.create_template(call.state, channel, body)})

    return create_message


def _updater(channel: account.Channel) -> Handler:
    def update_message(call: Call) -> Response:
        """SPEC updateMessage, updateBaseSmsMessage, updateBaseViberMessage, …: the base message is
        replaced by the body, its language versions stay; the answer is a string (its wording, and
        404 for an unknown id, are the sandbox's)."""
        call.params()
        message_id = path_int(call.path["id"], "message id")
        message = parse_body(MESSAGE_MODELS[channel], call.body)
        if not messaging.update_template(call.state, message_id, channel, _check_message(call, channel, message)):
            raise not_found(f"Message with id={message_id} not found")
        return text_reply(f"Message with id='{message_id}' has been updated")

    return update_message


def _translator(channel: account.Channel) -> Handler:
    def translate_message(call: Call) -> Response:
        """SPEC updateMessage_1, updateTranslateSmsMessage, updateTranslateViberMessage, …: adds or
        replaces the language version (an ISO 639-1 code, SPEC: two letters; refusing others is a
        guess)."""
        call.params()
        message_id = path_int(call.path["id"], "message id")
        language = call.path["language"]
        if not (len(language) == 2 and language.isascii() and language.isalpha()):
            raise bad_request(f"Language code {language!r} is not an ISO 639-1 code")
        message = parse_body(MESSAGE_MODELS[channel], call.body)
        body = _check_message(call, channel, message)
        if not messaging.update_translation(call.state, message_id, channel, language.lower(), body):
            raise not_found(f"Message with id={message_id} not found")
        return text_reply(f"Message with id='{message_id}' has been updated for language '{language.lower()}'")

    return translate_message


def view_link(call: Call) -> Response:
    """SPEC getEmailMessageViewLink: ``{link}``; the address is the sandbox's own."""
    call.params()
    message_id = path_int(call.path["id"], "message id")
    if messaging.template(call.state, message_id, "email") is None:
        raise not_found(f"Message with id={message_id} not found")
    return json_reply({"link": f"http://sandbox.invalid/view/email/{message_id}"})


ROUTES = [
    RouteSpec("POST", "/v1/message/email", send_email),
    RouteSpec("POST", "/v1/message/sms", send_sms),
    RouteSpec("POST", "/v1/message/viber", send_viber),
    RouteSpec("POST", "/v1/message/{id}/smartsend", smartsend),
    RouteSpec("GET", "/v1/message/status", message_status),
    *(RouteSpec("GET", f"/v1/messages/{channel}", _searcher(channel), TEMPLATE_READS) for channel in account.CHANNELS),
    *(
        RouteSpec("GET", f"/v1/messages/{channel}/{{id}}", _getter(channel), TEMPLATE_READS)
        for channel in account.CHANNELS
    ),
    RouteSpec("GET", "/v1/messages/email/{id}/viewLink", view_link, TEMPLATE_READS),
    *(RouteSpec("POST", f"/v1/messages/{channel}", _creator(channel)) for channel in account.CHANNELS),
    *(RouteSpec("PUT", f"/v1/messages/{channel}/{{id}}", _updater(channel)) for channel in account.CHANNELS),
    *(
        RouteSpec("PUT", f"/v1/messages/{channel}/{{id}}/{{language}}", _translator(channel))
        for channel in account.CHANNELS
    ),
]
