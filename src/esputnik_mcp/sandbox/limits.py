"""eSputnik's documented limits (esputnik-api.md §17, §18) and the sandbox's rate limiter."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

MAX_ROWS = 500  # maxrows of every startindex/maxrows search (SPEC: max 500)
CONTACTS_PER_BULK = 3000  # POST /v1/contacts (SPEC ContactsBulkUpdate)
SMARTSEND_RECIPIENTS = 1000  # POST /v1/message/{id}/smartsend (DOC smartsend guide)
ORDERS_PER_REQUEST = 1000  # POST /v1/orders (SPEC Orders)
SEGMENT_IDS_PER_LIST = 500  # attach/detach, per list (SPEC ModifyContactsInGroup)
EVENT_BODY_BYTES = 20 * 1024  # POST /v2/event (SPEC registerEvent_1: 20 KB)
EVENT_KEY_LENGTH = 100  # eventTypeKey, eventKeyForNewContacts, formType (SPEC EventDto)
NAME_LENGTH = 40  # firstName, lastName (SPEC fileContactsBulkUpdate)
CHANNELS_PER_TYPE = 2  # channels of one type per contact (SPEC ContactUpdate)
ORDER_DELETE_WINDOW_SECONDS = 24 * 3600  # DELETE /v1/orders by from/to (DOC removehistoryorders)
DUPLICATE_WINDOW_SECONDS = 60.0  # 409 for an identical request within a minute (SPEC addContact)
ACTIVITY_MAX_ROWS = 25000  # GET /v2/contacts/activity maxrows: the default (SPEC); as the maximum, a guess
ACTIVITY_WINDOW_MONTHS = 3  # dateFrom to dateTo of the activity (DOC webhooks-to-follow-up-activities)
HISTORY_ROWS = 10  # GET /v2/contacts/messages maxrows default (SPEC contactMessages)
HISTORY_MAX_ROWS = 100  # and maximum (SPEC contactMessages)
BROADCASTS_DEFAULT_ROWS = 10  # GET /v1/broadcasts maxrows default (SPEC findBroadcasts; at most MAX_ROWS)
WEBHOOK_BATCH = 100  # activity events per webhook POST (the sandbox's own; eSputnik's is not documented)
WEBHOOK_HEADERS = 5  # custom headers of a webhook (esputnik-api.md §16)

# Characters forbidden in event type keys, eventKeyForNewContacts and formType (SPEC EventDto).
FORBIDDEN_KEY_CHARACTERS = frozenset("<;\u2019\\/|\"`'^?!,>")


@dataclass(frozen=True)
class Rate:
    limit: int
    window: float  # seconds


# Rate-limit buckets (esputnik-api.md §18). Methods not listed share the default bucket.
DEFAULT = "default"
CONTACT_SEARCH = "contact_search"
CONTACT_WRITE = "contact_write"
EVENTS = "events"
TEMPLATE_READS = "template_reads"
CONTACT_MESSAGES = "contact_messages"

RATES: Mapping[str, Rate] = {
    DEFAULT: Rate(200, 1.0),  # DOC rate-limits: unlisted methods share 200/s
    CONTACT_SEARCH: Rate(50, 1.0),  # DOC rate-limits: GET /v1/contacts
    CONTACT_WRITE: Rate(200, 1.0),  # SPEC addContact, updateContact, subscribeContact, contactsBulkUpdate
    EVENTS: Rate(350, 1.0),  # DOC rate-limits: POST /v2/event
    TEMPLATE_READS: Rate(500, 3600.0),  # SPEC searchEmails, getEmail, …: 500 an hour, searches and gets alike
    CONTACT_MESSAGES: Rate(10, 1.0),  # DOC rate-limits: GET /v2/contacts/messages
}


class RateLimiter:
    """Fixed windows per bucket, aligned on the sandbox clock.

    Fixed windows rest on the reference's wording ("throttled until the window resets").
    """

    def __init__(self, rates: Mapping[str, Rate] = RATES) -> None:
        self._rates = dict(rates)
        self._windows: dict[str, tuple[int, int]] = {}

    def admit(self, bucket: str, now: float) -> float | None:
        """Count one request; None if admitted, else the seconds until the window resets."""
        rate = self._rates.get(bucket) or self._rates[DEFAULT]
        window = math.floor(now / rate.window)
        current, count = self._windows.get(bucket, (window, 0))
        if current != window:
            count = 0
        if count >= rate.limit:
            return (window + 1) * rate.window - now
        self._windows[bucket] = (window, count + 1)
        return None

    def reset(self) -> None:
        self._windows.clear()
