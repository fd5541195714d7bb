"""Guards that refuse before anything leaves: recipient caps, the recipient allowlist of staging
accounts, and per-process rate limits on tool calls. Each refusal says which guard and why."""

from __future__ import annotations

import collections
import fnmatch
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from esputnik_mcp.toolspec import Kind, SendPlan


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


def check_recipients(plan: SendPlan, *, max_recipients: int, allowed: Sequence[str]) -> Refusal | None:
    """The recipient cap, on the audience's size (a segment counts its members), then the allowlist."""
    audience = plan.audience
    size = audience.size
    if size is None:
        unknown = ", ".join(s.describe() for s in audience.segments if s.members is None)
        return Refusal(
            "max_recipients",
            f"refused: the size of {unknown} is unknown, so ESPUTNIK_MAX_RECIPIENTS cannot be checked; nothing was "
            "sent. Check the segment with get_segment_contacts.",
        )
    if size > max_recipients:
        return Refusal(
            "max_recipients",
            f"refused: this send reaches up to {size} people ({audience.describe()}); at most {max_recipients} "
            "are allowed per call (ESPUTNIK_MAX_RECIPIENTS). Split the send, or raise the limit deliberately.",
        )
    if not allowed:
        return None
    patterns = [p.strip().lower() for p in allowed if p.strip()]
    if audience.segments:
        return Refusal(
            "allowed_recipients",
            "refused: a segment's members cannot be checked against ESPUTNIK_ALLOWED_RECIPIENTS "
            f"({', '.join(patterns)}); send to recipients named by address or phone.",
        )
    outside = [r for r in audience.recipients if not any(fnmatch.fnmatchcase(r.lower(), p) for p in patterns)]
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


class CallRateLimiter:
    """At most N calls a minute per kind of tool (sends, other writes, reads), in this process."""

    WINDOW = 60.0

    def __init__(self, per_minute: Mapping[Kind, int], clock: Callable[[], float] = time.monotonic) -> None:
        self._limits = dict(per_minute)
        self._clock = clock
        self._calls: dict[Kind, collections.deque[float]] = {kind: collections.deque() for kind in Kind}

    def check(self, kind: Kind) -> Refusal | None:
        """Count a call of ``kind``; a refusal if it is over the limit (a refused call is not counted)."""
        limit = self._limits.get(kind)
        if limit is None:
            return None
        now = self._clock()
        calls = self._calls[kind]
        while calls and calls[0] <= now - self.WINDOW:
            calls.popleft()
        if len(calls) >= limit:
            wait = calls[0] + self.WINDOW - now
            noun = {Kind.SEND: "sends", Kind.WRITE: "writes", Kind.READ: "reads"}[kind]
            return Refusal(
                "rate_limit",
                f"refused: more than {limit} {noun} a minute from this server "
                f"(ESPUTNIK_{noun.upper()}_PER_MINUTE); retry in {wait:.0f} s",
            )
        calls.append(now)
        return None
