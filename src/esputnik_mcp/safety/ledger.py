"""The duplicate-send ledger: the same send (channel, content, recipient) within the window is
refused unless explicitly allowed; a send whose outcome was unknown is refused with the request
ids to check first."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from esputnik_mcp.safety.guards import Refusal, mask
from esputnik_mcp.store.base import LedgerEntry, SendStatus, StateStore
from esputnik_mcp.toolspec import SendPlan


@dataclass(frozen=True)
class RecipientOutcome:
    recipient: str  # as named in the plan
    status: SendStatus
    request_id: str | None = None


def send_key(channel: str, content_key: str, recipient: str) -> str:
    raw = f"{channel}\x1f{content_key}\x1f{recipient.strip().lower()}"
    return hashlib.sha256(raw.encode()).hexdigest()


class Ledger:
    def __init__(
        self, store: StateStore, *, window_seconds: float = 24 * 3600, clock: Callable[[], float] = time.time
    ) -> None:
        self._store = store
        self._window = window_seconds
        self._clock = clock

    def check(self, plan: SendPlan, *, allow_duplicate: bool) -> Refusal | None:
        """A refusal when a recipient already got this content within the window (or may have)."""
        keys = {send_key(plan.channel, plan.content_key, r): r for r in plan.audience.labels}
        earlier = [e for e in self._store.sends_since(list(keys), self._clock() - self._window) if e.status != "failed"]
        if not earlier:
            return None
        unknown = [e for e in earlier if e.status == "unknown"]
        if unknown and not allow_duplicate:
            ids = sorted({e.request_id for e in earlier if e.request_id})
            check = f"check get_message_status for {', '.join(ids)}" if ids else "check the contact's recent messages"
            return Refusal(
                "duplicate",
                f"refused: an earlier identical send to {len(unknown)} of these recipients has an unknown outcome "
                f"and may have been delivered; {check} before sending again. Pass allow_duplicate=true only "
                "once you know it was not delivered.",
            )
        if not allow_duplicate:
            hours = self._window / 3600
            shown = ", ".join(sorted({e.recipient for e in earlier})[:5])
            ids = sorted({e.request_id for e in earlier if e.request_id})[:5]
            return Refusal(
                "duplicate",
                f"refused: the same {plan.channel} ({plan.content}) went to {shown} within the last {hours:g} h"
                + (f" (request ids {', '.join(ids)})" if ids else "")
                + ". Pass allow_duplicate=true to send it again on purpose.",
            )
        return None

    def record(self, tool: str, plan: SendPlan, outcomes: Sequence[RecipientOutcome]) -> None:
        now = self._clock()
        self._store.record_sends(
            [
                LedgerEntry(
                    key=send_key(plan.channel, plan.content_key, o.recipient),
                    tool=tool,
                    channel=plan.channel,
                    recipient=mask(o.recipient),
                    content_key=plan.content_key,
                    status=o.status,
                    request_id=o.request_id,
                    at=now,
                )
                for o in outcomes
            ]
        )
