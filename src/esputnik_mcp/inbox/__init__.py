"""The webhook inbox: what eSputnik's data export pushes (delivered, read, clicked, bounced,
unsubscribed, spam …), kept in the state store, so that tools can report it and sends can leave out
addresses that bounced or left.

It sits beside the API client and the store: it reads eSputnik's activity objects (``api``, loaded
with the first delivery) and keeps them in the store; the server serves its HTTP endpoint and
consults it before a send; the tools read it through the tool context.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from esputnik_mcp.inbox.records import (
    contact_subject,
    email_subject,
    normal_email,
    normal_phone,
    phone_subject,
    records_and_marks,
)
from esputnik_mcp.store.base import ActivityFilter, ActivityPage, InboxStats, StateStore

__all__ = ["Held", "Inbox", "InboxRefusal", "activity_channel", "normal_email", "normal_phone"]

# A send's channel → the mediaType eSputnik names it by in activity (esputnik-api.md §13.1, §16).
_MEDIA_TYPE = {"telegram": "telegrambot"}

_REASON = {"UNDELIVERED": "hard bounce", "UNSUBSCRIBED": "unsubscribed", "SPAM": "marked as spam"}


def activity_channel(channel: str) -> str:
    """The ``mediaType`` of a send channel."""
    return _MEDIA_TYPE.get(channel, channel)


class InboxRefusal(ValueError):
    """A webhook body the inbox does not take; the message says why, for eSputnik's export log."""


@dataclass(frozen=True)
class Held:
    """A recipient a send leaves out, and why."""

    recipient: str
    status: str  # UNDELIVERED (a hard bounce), UNSUBSCRIBED or SPAM
    at: float
    detail: str | None = None  # eSputnik's statusDescription: untrusted text, quote it to show it

    @property
    def reason(self) -> str:
        return _REASON.get(self.status, self.status.lower())

    @property
    def day(self) -> str:
        return datetime.fromtimestamp(self.at, UTC).strftime("%Y-%m-%d")


Refresh = Callable[[], Awaitable[object]]


class Inbox:
    """``refresh``, when set, is awaited before every read: on the built-in sandbox it has the
    sandbox push what has fallen due, so that a read never lags the sandbox's clock."""

    def __init__(self, store: StateStore, *, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock
        self.refresh: Refresh | None = None

    async def _fresh(self) -> None:
        if self.refresh is not None:
            await self.refresh()

    async def receive(self, body: bytes) -> int:
        """Store the events of one webhook delivery, all or none; how many were new (a repeated
        delivery stores nothing twice). Raises :class:`InboxRefusal` for a malformed body and
        ``StoreUnavailable`` when the store cannot take it."""
        from esputnik_mcp.api.activity import ActivityPayloadError, parse_activity_payload

        try:
            events = parse_activity_payload(body)
        except ActivityPayloadError as exc:
            raise InboxRefusal(str(exc)) from None
        records, marks = records_and_marks(events, received_at=self.clock())
        if not records:
            return 0
        return await self.store.add_activity(records, marks)

    async def events(
        self, query: ActivityFilter, *, limit: int, after: tuple[float, str] | None = None
    ) -> ActivityPage:
        await self._fresh()
        return await self.store.activity(query, limit=limit, after=after)

    async def stats(self) -> InboxStats:
        await self._fresh()
        return await self.store.inbox_stats()

    async def held_back(self, channel: str, recipients: Mapping[str, str | None]) -> dict[str, Held]:
        """Which of ``recipients`` (a recipient as the call names it → its address on ``channel``,
        when known) the inbox shows as hard-bounced, unsubscribed or marked spam on ``channel``."""
        await self._fresh()
        media = activity_channel(channel)
        subjects: dict[str, list[str]] = {}
        for label, address in recipients.items():
            subjects[label] = _subjects(channel, label, address)
        wanted = sorted({s for found in subjects.values() for s in found})
        if not wanted:
            return {}
        marks = {m.subject: m for m in await self.store.marks(media, wanted)}
        held: dict[str, Held] = {}
        for label, found in subjects.items():
            holding = [marks[s] for s in found if s in marks and marks[s].suppressing]
            if holding:
                newest = max(holding, key=lambda m: m.at)
                held[label] = Held(label, newest.status, newest.at, newest.detail)
        return held


def _subjects(channel: str, label: str, address: str | None) -> list[str]:
    found: list[str] = []
    if label.startswith("contact:") and label[8:].isdigit():
        found.append(contact_subject(int(label[8:])))
    candidates: Sequence[str | None] = (address, None if label.startswith(("contact:", "external:")) else label)
    for value in candidates:
        if not value:
            continue
        if channel == "email" and "@" in value:
            found.append(email_subject(value))
        elif channel in ("sms", "viber") and normal_phone(value):
            found.append(phone_subject(value))
    return list(dict.fromkeys(found))
