"""The duplicate-send ledger: a send is reserved in the store before its request leaves, settled when
its answer comes, and a repeat is refused while one is in flight, within a day of one that went out,
or after one whose outcome is unknown.

Each addressee of a send has two entries: the *exact* one (this content to this recipient) refuses a
repeat of the same content; the *message* one (this stored message, or this sender and subject, to
this recipient) refuses, after an unknown outcome, a resend that differs only in its body. Recipients
are keyed as eSputnik knows them (``Audience.address_of``), so a contact named by id and by address
is one person. The store decides atomically (see ``StateStore.reserve``); ``check`` reads the same
rule beforehand, so that a person is never asked to confirm what would be refused.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from esputnik_mcp.safety.guards import Refusal, mask
from esputnik_mcp.store.base import EntryKind, LedgerEntry, Reservation, Settlement, StateStore
from esputnik_mcp.toolspec import SendPlan

DAY = 24 * 3600.0


@dataclass(frozen=True)
class RecipientOutcome:
    recipient: str  # as named in the plan
    status: str  # sent, unknown or failed
    request_id: str | None = None


def entry_key(kind: EntryKind, channel: str, what: str, address: str) -> str:
    raw = f"{kind}\x1f{channel}\x1f{what}\x1f{address.strip().lower()}"
    return hashlib.sha256(raw.encode()).hexdigest()


def in_the_way(entry: LedgerEntry, *, window_start: float, stale_before: float, allow_duplicate: bool) -> bool:
    """Whether ``entry`` refuses a new reservation of its key (the store applies the same rule)."""
    if entry.status == "pending" and entry.at >= stale_before:
        return True  # in flight, whatever allow_duplicate says
    if allow_duplicate or entry.at < window_start or entry.status == "failed":
        return False
    return entry.status in ("unknown", "pending") or (entry.status == "sent" and entry.kind == "exact")


class Ledger:
    def __init__(
        self,
        store: StateStore,
        *,
        stale_after: float,
        window_seconds: float = DAY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._window = window_seconds
        self._stale_after = stale_after  # a pending entry older than a request's deadline died mid-send
        self._clock = clock

    def _keys(self, plan: SendPlan, label: str) -> list[tuple[EntryKind, str]]:
        address = plan.audience.address_of(label)
        keys: list[tuple[EntryKind, str]] = [("exact", entry_key("exact", plan.channel, plan.content_key, address))]
        if plan.message_key and plan.message_key != plan.content_key:
            keys.append(("message", entry_key("message", plan.channel, plan.message_key, address)))
        return keys

    def reservations(self, tool: str, plan: SendPlan) -> list[Reservation]:
        return [
            Reservation(
                key=key,
                kind=kind,
                tool=tool,
                channel=plan.channel,
                recipient=mask(plan.audience.known_as.get(label, label)),
                content_key=plan.content_key if kind == "exact" else plan.message,
            )
            for label in plan.audience.labels
            for kind, key in self._keys(plan, label)
        ]

    async def check(self, plan: SendPlan, *, allow_duplicate: bool) -> Refusal | None:
        """A refusal when an entry is in the way of this send (read only; ``reserve`` decides)."""
        keys = [key for label in plan.audience.labels for _, key in self._keys(plan, label)]
        now = self._clock()
        blocking = [
            e
            for e in await self._store.ledger(keys)
            if in_the_way(
                e,
                window_start=now - self._window,
                stale_before=now - self._stale_after,
                allow_duplicate=allow_duplicate,
            )
        ]
        return self.refusal(plan, blocking) if blocking else None

    async def reserve(self, tool: str, plan: SendPlan, *, allow_duplicate: bool) -> tuple[str, Refusal | None]:
        """Reserve every addressee of ``plan`` at once: the reservation id, and a refusal (nothing
        reserved) when an entry is in the way. Raises ``StoreUnavailable`` when it cannot be written."""
        reservation = uuid.uuid4().hex
        now = self._clock()
        blocking = await self._store.reserve(
            self.reservations(tool, plan),
            reservation=reservation,
            now=now,
            window_start=now - self._window,
            stale_before=now - self._stale_after,
            allow_duplicate=allow_duplicate,
        )
        return reservation, (self.refusal(plan, blocking) if blocking else None)

    async def settle(self, reservation: str, plan: SendPlan, outcomes: Sequence[RecipientOutcome]) -> None:
        settlements = [
            Settlement(key, _settled(o.status), o.request_id)
            for o in outcomes
            for _, key in self._keys(plan, o.recipient)
        ]
        await self._store.settle(reservation, settlements, now=self._clock())

    def refusal(self, plan: SendPlan, blocking: Sequence[LedgerEntry]) -> Refusal:
        """Why ``blocking`` refuses ``plan``: in flight, an unknown outcome, or a recent duplicate."""
        now = self._clock()
        stale_before = now - self._stale_after
        in_flight = [e for e in blocking if e.status == "pending" and e.at >= stale_before]
        unknown = [e for e in blocking if e.status == "unknown" or (e.status == "pending" and e.at < stale_before)]
        ids = sorted({e.request_id for e in blocking if e.request_id})
        if in_flight:
            started = max(0.0, now - min(e.at for e in in_flight))
            return Refusal(
                "duplicate",
                f"refused: an identical send to {_people(in_flight)} is in flight (started {started:.0f} s ago); "
                "nothing was sent. Wait for its answer, then check it with get_message_status.",
            )
        if unknown:
            check = f"check get_message_status for {', '.join(ids)}" if ids else "check the contact's recent messages"
            return Refusal(
                "duplicate",
                f"refused: an earlier send of this message to {_people(unknown)} has an unknown outcome and may "
                f"have been delivered; {check} before sending again. Pass allow_duplicate=true only once you "
                "know it was not delivered.",
            )
        hours = self._window / 3600
        shown = ", ".join(sorted({e.recipient for e in blocking})[:5])
        return Refusal(
            "duplicate",
            f"refused: the same {plan.channel} ({plan.content}) went to {shown} within the last {hours:g} h"
            + (f" (request ids {', '.join(ids[:5])})" if ids else "")
            + ". Pass allow_duplicate=true to send it again on purpose.",
        )


def _people(entries: Sequence[LedgerEntry]) -> str:
    count = len({e.recipient for e in entries})
    return f"{count} of these recipients" if count != 1 else "this recipient"


def _settled(status: str) -> Literal["sent", "unknown", "failed"]:
    if status == "sent":
        return "sent"
    return "failed" if status == "failed" else "unknown"
