"""What every send tool shares: the per-recipient result, how eSputnik's send results and failures
become it, and the summary that tells a queued send from a failed one and from one whose outcome is
unknown.

eSputnik answers 200 even when a recipient failed (``status`` ``ERROR`` in its results), so every
result is read. A request that left but whose answer never came (:class:`AmbiguousOutcomeError`)
may have reached people: its recipients are ``unknown``, the call is an error, and nothing is
retried; the summary says what to check before sending again.
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import Field

from esputnik_mcp.api import AmbiguousOutcomeError, ChunkOutcome, ESputnikError, RequestValidationError
from esputnik_mcp.api.errors import truncate
from esputnik_mcp.api.models import SendResult
from esputnik_mcp.toolkit.base import Result, ToolOutput
from esputnik_mcp.toolkit.bulk import RequestView, counted, request_view, unknown_items
from esputnik_mcp.toolkit.failures import describe_api_error
from esputnik_mcp.toolkit.views import View

MESSAGE_CHARS = 300

RecipientStatus = Literal["queued", "failed", "unknown"]


@dataclass(frozen=True)
class Addressee:
    """One recipient of a send, as the call named it."""

    label: str  # an address, a phone, "contact:123", "external:CUST-1"
    locator: str | None = None  # the address eSputnik reports back, when the call gave it
    external_request_id: str | None = None


def text_start(text: str, length: int = 60) -> str:
    """The start of ``text`` on one line, cut with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"


class RecipientResult(View):
    recipient: str = Field(description="As named in the call: address, phone, contact:<id> or external:<id>.")
    request_id: str | None = Field(default=None, description="Pass to get_message_status.")
    status: RecipientStatus = Field(
        description="queued: eSputnik accepted it; failed: not sent (see message); unknown: it may have "
        "been sent — check before sending again."
    )
    message: str | None = Field(default=None, description="eSputnik's remark, or why the send failed.")


class HeldView(View):
    recipient: str = Field(description="As named in the call.")
    reason: str = Field(description="What the webhook inbox shows: hard bounce, unsubscribed or marked as spam.")


class SendOutput(ToolOutput):
    truncatable: ClassVar[str | None] = "results"
    cut_advice: ClassVar[str] = (
        "unknown and failed recipients come first; the counts cover everyone. Send to fewer recipients "
        "per call to see every request_id."
    )

    channel: str
    total: int = Field(description="Recipients in the call (members, for a segment).")
    queued: int
    failed: int
    unknown: int = Field(description="Recipients who may or may not have been sent the message.")
    request_ids: list[str] = Field(description="Every request_id below, for get_message_status.")
    requests: list[RequestView] | None = Field(
        default=None,
        description="Per request to eSputnik of a stored-message send; indexes as in the call.",
    )
    results: list[RecipientResult] = Field(
        description="One per recipient: unknown first, then failed, then queued, each in call order; "
        "a send to a segment has the segment's row first, then one per member."
    )
    held_back: list[HeldView] | None = Field(
        default=None, description="Left out, not sent: pass include_suppressed=true to send to them too."
    )

    def cut(self, keep: int) -> None:
        super().cut(keep)
        kept = {r.request_id for r in self.results}
        self.request_ids = [i for i in self.request_ids if i in kept]


class SendReport:
    """Collects what became of each recipient of one tool call, request by request."""

    def __init__(self, channel: str, content: str, held_back: Mapping[str, str] | None = None) -> None:
        self.channel = channel
        self.content = content
        self._held = dict(held_back or {})
        self._rows: list[tuple[RecipientResult, Addressee | None]] = []
        self._requests: list[RequestView] = []
        self._unknown_reason: str | None = None
        self._segment: str | None = None

    async def send(self, addressees: Sequence[Addressee], request: Callable[[], Awaitable[list[SendResult]]]) -> None:
        """Make one send request for ``addressees`` and record the outcome. A request refused before
        it was made (nothing sent) is raised, not recorded."""
        try:
            results = await request()
        except RequestValidationError:
            raise
        except ESputnikError as exc:
            self._add_error(addressees, exc)
        else:
            self._add_results(addressees, results)

    async def send_to_segment(self, segment: str, request: Callable[[], Awaitable[list[SendResult]]]) -> None:
        """Make one send request to every member of a segment (``segment`` is its label,
        ``segment:2002``) and record the outcome: one row per member eSputnik answers for, named by
        address, and a row of the segment's own, which the duplicate ledger keeps. A request that
        failed is the segment's row alone."""
        self._segment = segment
        try:
            results = await request()
        except RequestValidationError:
            raise
        except ESputnikError as exc:
            self._add_error([Addressee(segment)], exc)
        else:
            self._add_results([], results)

    def add_chunk(self, addressees: Sequence[Addressee], chunk: ChunkOutcome[Any, list[SendResult]]) -> None:
        """The outcome of one request of a chunked send to ``addressees`` (every recipient of the
        call; the chunk's positions say which were in this request)."""
        mine = [addressees[i] for i in chunk.positions]
        if chunk.error is not None:
            rows = self._add_error(mine, chunk.error)
        else:
            rows = self._add_results(mine, chunk.result or [])
        failed = sum(1 for r in rows if r.status == "failed")
        unknown = sum(1 for r in rows if r.status == "unknown")
        self._requests.append(request_view(chunk, failed=failed, unknown=unknown))

    def _add_results(self, addressees: Sequence[Addressee], results: Sequence[SendResult]) -> list[RecipientResult]:
        rows = []
        for addressee, result in _pair(addressees, results):
            label = addressee.label if addressee else (result.locator if result else None) or "(unnamed)"
            if result is None:
                row = RecipientResult(
                    recipient=label,
                    status="unknown",
                    message="eSputnik's answer listed no result for this recipient",
                )
                self._unknown_reason = self._unknown_reason or row.message
            else:
                row = RecipientResult(
                    recipient=label,
                    request_id=result.request_id or None,
                    status="queued" if result.ok else "failed",
                    message=truncate(result.message, MESSAGE_CHARS) if result.message else None,
                )
            self._rows.append((row, addressee))
            rows.append(row)
        return rows

    def _add_error(self, addressees: Sequence[Addressee], error: ESputnikError) -> list[RecipientResult]:
        """Every recipient of a request that failed: ``unknown`` when it may have been processed,
        ``failed`` when it provably was not (refused, never connected, rate limited to the end)."""
        ambiguous = isinstance(error, AmbiguousOutcomeError)
        if ambiguous:
            self._unknown_reason = self._unknown_reason or error.message
        message = truncate(error.message if ambiguous else describe_api_error(error), MESSAGE_CHARS)
        rows = [
            RecipientResult(recipient=a.label, status="unknown" if ambiguous else "failed", message=message)
            for a in addressees
        ]
        self._rows.extend(zip(rows, addressees, strict=True))
        return rows

    def result(self) -> Result[SendOutput]:
        order = {"unknown": 0, "failed": 1, "queued": 2}
        rows = sorted(self._rows, key=lambda pair: order[pair[0].status])  # stable: call order kept
        results = [row for row, _ in rows]
        count = {s: sum(1 for r in results if r.status == s) for s in order}
        total, who = len(results), "recipient"
        if self._segment is not None and not any(r.recipient == self._segment for r in results):
            results.insert(0, self._segment_row(count, total))
            who = "member"
        out = SendOutput(
            channel=self.channel,
            total=total,
            queued=count["queued"],
            failed=count["failed"],
            unknown=count["unknown"],
            request_ids=[r.request_id for r in results if r.request_id],
            requests=sorted(self._requests, key=lambda r: r.index) or None,
            results=results,
            held_back=[HeldView(recipient=label, reason=reason) for label, reason in self._held.items()] or None,
        )
        summary = (
            f"{self.content}: {out.queued} queued, {out.failed} failed, {out.unknown} unknown "
            f"of {counted(out.total, who)}"
        )
        if who == "member" and not out.total:
            summary += ": eSputnik sent it to no member of the segment"
        if self._held:
            summary += f"; {held_summary(self._held)} left out"
        if out.unknown:
            summary += ". " + self._unknown_advice(out, rows)
        elif out.queued:
            summary += "; check delivery with get_message_status"
        if out.failed and not out.queued and not out.unknown:
            summary += f": {next(r.message for r in results if r.status == 'failed')}"
        return Result(summary, out, is_error=bool(out.unknown) or not out.queued)

    def _segment_row(self, count: Mapping[str, int], members: int) -> RecipientResult:
        """The segment's own row: queued when eSputnik queued it for any member."""
        status: RecipientStatus = "queued" if count["queued"] else "unknown" if count["unknown"] else "failed"
        message = f"{count['queued']} of {counted(members, 'member')} queued" if members else "no member was sent it"
        return RecipientResult(recipient=self._segment or "", status=status, message=message)

    def _unknown_advice(self, out: SendOutput, rows: list[tuple[RecipientResult, Addressee | None]]) -> str:
        """What to tell the agent when some recipients may or may not have been sent the message."""
        reason = (self._unknown_reason or "").removeprefix("outcome unknown: ")
        where = f"recipients {unknown_items(out.requests)}: " if out.requests and len(out.requests) > 1 else ""
        advice = (
            f"OUTCOME UNKNOWN for {out.unknown} ({where}{reason}). They may have been sent the message: "
            "do not resend blindly. "
        )
        external = sorted(
            {a.external_request_id for r, a in rows if r.status == "unknown" and a and a.external_request_id}
        )
        if out.request_ids:
            advice += f"Check get_message_status with the {len(out.request_ids)} request_ids known so far and "
        else:
            advice += "No request_id is known for them, so get_message_status cannot tell: check "
        if external:
            shown = ", ".join(external[:5]) + (" …" if len(external) > 5 else "")
            advice += f"external_request_id {shown} in eSputnik's contact activity"
        else:
            advice += "the recipients' message history in eSputnik"
        return advice + " before sending to them again"


def held_summary(held: Mapping[str, str]) -> str:
    """``3 recipients (hard bounce 2, unsubscribed 1)``: how many were held back, and why."""
    reasons = Counter(reason.split(" on ")[0] for reason in held.values())
    why = ", ".join(f"{reason} {count}" for reason, count in reasons.most_common())
    return f"{counted(len(held), 'recipient')} ({why})"


def _key(locator: str | None) -> str | None:
    if not locator:
        return None
    return locator.strip().lower().removeprefix("+")


def _pair(
    addressees: Sequence[Addressee], results: Sequence[SendResult]
) -> list[tuple[Addressee | None, SendResult | None]]:
    """Each recipient with its result: in order when eSputnik answered one result per recipient
    (and no reported address contradicts that), otherwise by address. A recipient without a result,
    or a result without a recipient, stands alone."""
    if len(addressees) == len(results) and all(
        None in (_key(a.locator), _key(r.locator)) or _key(a.locator) == _key(r.locator)
        for a, r in zip(addressees, results, strict=True)
    ):
        return list(zip(addressees, results, strict=True))
    by_locator: dict[str | None, deque[SendResult]] = defaultdict(deque)
    for result in results:
        by_locator[_key(result.locator)].append(result)
    pairs: list[tuple[Addressee | None, SendResult | None]] = []
    for addressee in addressees:
        key = _key(addressee.locator)
        matches = by_locator.get(key) if key is not None else None
        pairs.append((addressee, matches.popleft() if matches else None))
    pairs.extend((None, result) for left in by_locator.values() for result in left)
    return pairs
