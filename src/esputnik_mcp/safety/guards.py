"""Guards that refuse before anything leaves: recipient caps, the recipient allowlist of staging
accounts, and rate limits on tool calls. Each refusal says which guard and why."""

from __future__ import annotations

import fnmatch
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from esputnik_mcp.store.base import StateStore
from esputnik_mcp.toolspec import Audience, Kind, SendPlan


@dataclass(frozen=True)
class Refusal:
    guard: str  # e.g. "max_recipients", "allowed_recipients", "rate_limit", "duplicate", "confirmation"
    message: str


def mask(recipient: str) -> str:
    """A recipient as the audit log shows it: enough to recognise, not enough to reuse. A segment is
    not a person and is shown whole."""
    if recipient.startswith("segment:"):
        return recipient
    if "@" in recipient:
        local, _, domain = recipient.partition("@")
        shown = local[0] + "***" + (local[-1] if len(local) > 1 else "")
        return f"{shown}@{domain}"
    if recipient.startswith("+") and len(recipient) > 7:
        return recipient[:6] + "*" * (len(recipient) - 8) + recipient[-2:]
    if ":" in recipient:  # contact:123, external:CUST-1
        kind, _, value = recipient.partition(":")
        return f"{kind}:{value[:2]}***" if len(value) > 4 else f"{kind}:{value}"
    return recipient[:2] + "***" if len(recipient) > 4 else "***"


def check_recipients(
    plan: SendPlan, *, max_recipients: int, allowed: Sequence[str], max_audience: int | None = None
) -> Refusal | None:
    """The caps on the audience's size (not for indirect sends: an import or an order file reaches
    people only through eSputnik's workflows), then the allowlist, which holds for every send, direct
    or not. Recipients named one by one count against ``max_recipients``; a send to segments (a
    broadcast) counts their members against ``max_audience`` (``max_recipients`` when not given)."""
    audience = plan.audience
    if not plan.indirect:
        refusal = _cap(audience, max_recipients) if not audience.segments else None
        if refusal is None and audience.segments:
            refusal = _audience_cap(audience, max_recipients if max_audience is None else max_audience)
        if refusal is not None:
            return refusal
    return _allowlist(audience, allowed)


def _cap(audience: Audience, max_recipients: int) -> Refusal | None:
    size = len(audience.recipients)
    if size > max_recipients:
        return Refusal(
            "max_recipients",
            f"refused: this send reaches up to {size} people ({audience.describe()}); at most {max_recipients} "
            "are allowed per call (ESPUTNIK_MAX_RECIPIENTS). Split the send, or raise the limit deliberately.",
        )
    return None


def _audience_cap(audience: Audience, max_audience: int) -> Refusal | None:
    size = audience.size
    if size is None:
        unknown = ", ".join(s.describe() for s in audience.segments if s.members is None)
        return Refusal(
            "max_broadcast_audience",
            f"refused: the size of {unknown} is unknown, so ESPUTNIK_MAX_BROADCAST_AUDIENCE cannot be checked; "
            "nothing was sent. Check the segment with get_segment_contacts.",
        )
    if size > max_audience:
        return Refusal(
            "max_broadcast_audience",
            f"refused: this send reaches up to {size} people ({audience.describe()}); at most {max_audience} are "
            "allowed (ESPUTNIK_MAX_BROADCAST_AUDIENCE). Send to a smaller segment, or raise the limit deliberately.",
        )
    return None


def _allowlist(audience: Audience, allowed: Sequence[str]) -> Refusal | None:
    if not allowed:
        return None
    patterns = [p.strip().lower() for p in allowed if p.strip()]
    if audience.segments:
        return Refusal(
            "allowed_recipients",
            "refused: a segment's members cannot be checked against ESPUTNIK_ALLOWED_RECIPIENTS "
            f"({', '.join(patterns)}); send to recipients named by address or phone.",
        )
    outside = [
        r for r in audience.recipients if not any(fnmatch.fnmatchcase(audience.address_of(r), p) for p in patterns)
    ]
    if outside:
        shown = ", ".join(mask(r) for r in outside[:5])
        indirect = any(r.startswith(("contact:", "external:")) for r in outside)
        hint = " Name recipients by address or phone so that they can be checked." if indirect else ""
        return Refusal(
            "allowed_recipients",
            f"refused: {len(outside)} recipient(s) outside ESPUTNIK_ALLOWED_RECIPIENTS ({shown}); "
            f"this server may only send to {', '.join(patterns)}.{hint}",
        )
    return None


RATE_WINDOW = 60  # seconds: rate limits count calls per minute
_NOUNS = {Kind.SEND: "sends", Kind.WRITE: "writes", Kind.READ: "reads"}


class RateLimits:
    """At most N calls a minute per kind of tool (sends, other writes, reads), per caller and for all
    callers together, counted in the store: every replica sharing the store enforces one limit.

    Windows are fixed minutes: a burst at the turn of a minute may pass up to twice the limit within
    sixty seconds, never more.
    """

    def __init__(
        self,
        store: StateStore,
        *,
        per_caller: Mapping[Kind, int],
        total: Mapping[Kind, int],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._per_caller = dict(per_caller)
        self._total = dict(total)
        self._clock = clock

    async def check(self, kind: Kind, caller: str) -> Refusal | None:
        """Count a call of ``kind`` by ``caller``; a refusal when a limit is reached (then it is not
        counted against the caller's own limit). Both limits are counted in one store round trip."""
        limit = self._per_caller.get(kind)
        total = self._total.get(kind)
        buckets = []
        if limit is not None:
            buckets.append((f"{kind.value}:{caller}", limit))
        if total is not None:
            buckets.append((f"{kind.value}:*", total))
        if not buckets:
            return None
        now = self._clock()
        window = int(now // RATE_WINDOW)
        full = await self._store.take_each(buckets, window=window)
        if full is None:
            return None
        wait = (window + 1) * RATE_WINDOW - now
        noun = _NOUNS[kind]
        if limit is not None and full == 0:
            return Refusal(
                "rate_limit",
                f"refused: more than {limit} {noun} a minute from this caller (ESPUTNIK_{noun.upper()}_PER_MINUTE); "
                f"retry in {wait:.0f} s",
            )
        return Refusal(
            "rate_limit",
            f"refused: more than {total} {noun} a minute from all callers of this server "
            f"(ESPUTNIK_{noun.upper()}_PER_MINUTE_TOTAL); retry in {wait:.0f} s",
        )
