"""Sending: one-off email, SMS and Viber, smartsend of a stored message, delivery status (esputnik-api.md §7).

Sends are unrepeatable: a send is retried only if it provably never reached eSputnik (connect
failure) or was refused with 429. eSputnik answers 200 even when a recipient failed: every
:class:`SendResult` must be checked (``status`` ``OK`` or ``ERROR``).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from esputnik_mcp.api._parse import as_list, parse, parse_list
from esputnik_mcp.api.errors import RequestValidationError
from esputnik_mcp.api.http import Endpoint, HttpCore, encode_json
from esputnik_mcp.api.limits import SMARTSEND_RECIPIENTS
from esputnik_mcp.api.models import (
    EmailInput,
    MessageStatus,
    Recipient,
    SendResult,
    SendResults,
    SmsInput,
    ViberInput,
)
from esputnik_mcp.api.paging import ChunkOutcome, chunked, run_chunks
from esputnik_mcp.api.retry import Safety

SEND_EMAIL = Endpoint("POST", "/v1/message/email", Safety.UNREPEATABLE, "sendEmail")
SEND_SMS = Endpoint("POST", "/v1/message/sms", Safety.UNREPEATABLE, "sendSMS")
SEND_VIBER = Endpoint("POST", "/v1/message/viber", Safety.UNREPEATABLE, "sendViber")
SMARTSEND = Endpoint("POST", "/v1/message/{id}/smartsend", Safety.UNREPEATABLE, "sendExtendedPreparedMessage")
STATUS = Endpoint("GET", "/v1/message/status", Safety.READ, "getInstantMessagesStatus")

# GET /v1/message/status takes the request ids comma-separated in the query; no limit is
# documented. Asking for at most this many at a time keeps the URL short.
STATUS_IDS_PER_REQUEST = 100


class BulkRecipient(Protocol):
    """A recipient a smartsend takes: anything that gives its JSON object (SPEC ParametrizedLocator),
    such as :class:`Recipient`."""

    def wire(self) -> dict[str, Any]: ...


P = TypeVar("P", bound=BulkRecipient)


def recipient(
    *,
    locator: str | None = None,
    contact_id: int | None = None,
    external_customer_id: str | None = None,
    params: Mapping[str, Any] | None = None,
    external_request_id: str | None = None,
    language_code: str | None = None,
) -> Recipient:
    """A smartsend recipient named by exactly one of its identifiers; ``params`` become ``jsonParam``,
    the JSON-encoded string the template's Velocity variables read."""
    _one_identifier(locator, contact_id, external_customer_id)
    return Recipient(
        locator=locator,
        contact_id=contact_id,
        external_customer_id=external_customer_id,
        json_param=_json_param(params),
        external_request_id=external_request_id,
        language_code=language_code,
    )


def recipient_wire(
    *,
    locator: str | None = None,
    contact_id: int | None = None,
    external_customer_id: str | None = None,
    params: Mapping[str, Any] | None = None,
    external_request_id: str | None = None,
    language_code: str | None = None,
) -> dict[str, Any]:
    """A recipient's JSON object straight from checked values: what ``recipient(...).wire()`` gives for
    the same values, without building the model (a send takes thousands of recipients)."""
    _one_identifier(locator, contact_id, external_customer_id)
    wire: dict[str, Any] = {}
    if contact_id is not None:
        wire["contactId"] = contact_id
    if external_customer_id is not None:
        wire["externalCustomerId"] = external_customer_id
    if locator is not None:
        wire["locator"] = locator
    if params:
        wire["jsonParam"] = _json_param(params)
    if external_request_id is not None:
        wire["externalRequestId"] = external_request_id
    if language_code is not None:
        wire["languageCode"] = language_code
    return wire


def _one_identifier(locator: str | None, contact_id: int | None, external_customer_id: str | None) -> None:
    given = [v for v in (locator, contact_id, external_customer_id) if v is not None]
    if len(given) != 1:
        raise RequestValidationError("name each recipient by exactly one of locator, contact_id, external_customer_id")


def _json_param(params: Mapping[str, Any] | None) -> str | None:
    return json.dumps(dict(params), ensure_ascii=False, separators=(",", ":")) if params else None


def _smartsend_body(recipients: Sequence[BulkRecipient], email: bool, from_name: str | None) -> bytes:
    """The JSON body of a smartsend. Each recipient's object is encoded as soon as it is built, so
    none outlives its encoding."""
    encoded = b",".join([encode_json(r.wire()) for r in recipients])
    rest: dict[str, Any] = {"email": email}
    if from_name:
        rest["fromName"] = from_name
    return b'{"recipients":[' + encoded + b"]," + encode_json(rest)[1:]


class MessagesApi:
    def __init__(self, http: HttpCore, *, concurrency: int) -> None:
        self._http = http
        self._concurrency = concurrency

    async def send_email(self, email: EmailInput) -> list[SendResult]:
        """Send a one-off email with its full content; one result per recipient."""
        response = await self._http.call(SEND_EMAIL, json_body=email.wire())
        return parse(SendResults, response.data, SEND_EMAIL).results

    async def send_sms(self, sms: SmsInput) -> list[SendResult]:
        """Send a one-off SMS to phone numbers (or a whole segment by ``group_id``)."""
        if not sms.phone_numbers and sms.group_id is None:
            raise RequestValidationError("an SMS needs phone numbers or a segment id")
        response = await self._http.call(SEND_SMS, json_body=sms.wire())
        return parse(SendResults, response.data, SEND_SMS).results

    async def send_viber(self, viber: ViberInput) -> list[SendResult]:
        """Send a one-off Viber message to phone numbers (or a whole segment by ``group_id``)."""
        response = await self._http.call(SEND_VIBER, json_body=viber.wire())
        return parse(SendResults, response.data, SEND_VIBER).results

    async def smartsend(
        self, message_id: int, recipients: Sequence[BulkRecipient], *, email: bool, from_name: str | None = None
    ) -> list[SendResult]:
        """Send stored message ``message_id`` to up to 1000 recipients, each with its own params.

        ``email`` is True for an email message and False for every other channel.
        """
        if not recipients:
            raise RequestValidationError("no recipients given")
        if len(recipients) > SMARTSEND_RECIPIENTS:
            raise RequestValidationError(
                f"{len(recipients)} recipients in one request; eSputnik takes at most {SMARTSEND_RECIPIENTS}"
            )
        body = _smartsend_body(recipients, email, from_name)
        response = await self._http.call(SMARTSEND, path_params={"id": message_id}, json_content=body)
        return parse(SendResults, response.data, SMARTSEND).results

    async def smartsend_chunked(
        self,
        message_id: int,
        recipients: Sequence[P],
        *,
        email: bool,
        from_name: str | None = None,
        on_done: Callable[[ChunkOutcome[P, list[SendResult]]], Awaitable[None]] | None = None,
    ) -> list[ChunkOutcome[P, list[SendResult]]]:
        """Any number of recipients, in requests of 1000, a few at a time; one outcome per request.

        A failed request does not stop the others; its outcome carries the error (an ambiguous one
        when it may have been sent). Each request's body is built when it leaves.
        """

        async def work(part: Sequence[P]) -> list[SendResult]:
            return await self.smartsend(message_id, part, email=email, from_name=from_name)

        return await run_chunks(recipients, SMARTSEND_RECIPIENTS, work, concurrency=self._concurrency, on_done=on_done)

    async def status(self, request_ids: Sequence[str]) -> list[MessageStatus]:
        """Delivery status of sent messages by the ``request_id`` of each send result."""
        ids = [i.strip() for i in request_ids if i.strip()]
        if not ids:
            raise RequestValidationError("no request ids given")
        found: list[MessageStatus] = []
        for part in chunked(ids, STATUS_IDS_PER_REQUEST):
            response = await self._http.call(STATUS, params={"ids": ",".join(part)})
            found.extend(parse_list(MessageStatus, _status_items(response.data), STATUS))
        return found


def _status_items(data: Any) -> list[Any]:
    """The status objects of any of the documented shapes: ``{results}``, ``[{results}]``, where
    ``results`` is a list or a lone object, or a bare list of status objects."""
    items: list[Any] = []
    for element in as_list(data):
        if isinstance(element, dict) and "results" in element:
            items.extend(as_list(element["results"]))
        else:
            items.append(element)
    return items
