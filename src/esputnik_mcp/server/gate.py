"""The safety gate every tool call passes: policy, rate limits, recipient guards, the duplicate
ledger, confirmation (elicitation or token), the reservation of a send before it leaves, and the
audit log.

It lives in the server layer because confirmation by elicitation speaks MCP: on 2025-11-25 it asks
the client mid-call; from 2026-07-28 it answers with an input-required result and resumes when the
client retries with the user's answer.

Exactly once: a send's ledger entries are reserved in one transaction after every check and the
person's approval, just before its request leaves. Identical concurrent sends conflict on them, so
one goes and the others are refused as in flight; when the reservation cannot be written, nothing
is sent. What the answer says settles them; if the process dies first, they stay pending and count
as unknown once older than a request's deadline, which refuses a blind resend.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio
from mcp.server.mcpserver import Context
from pydantic import BaseModel

from esputnik_mcp.inbox import Held, Inbox
from esputnik_mcp.safety.confirm import TOKEN_ARGUMENT, Confirmations
from esputnik_mcp.safety.guards import RateLimits, Refusal, check_recipients, mask
from esputnik_mcp.safety.ledger import DAY, Ledger, RecipientOutcome
from esputnik_mcp.safety.policy import ToolPolicy
from esputnik_mcp.server import metrics
from esputnik_mcp.server.approvals import ApprovalDesk
from esputnik_mcp.server.caller import CALLER
from esputnik_mcp.server.confirmation import Confirmer, Decision, Preview, Stop
from esputnik_mcp.settings import Settings
from esputnik_mcp.store.base import AuditRecord, Outcome, StateStore, StoreUnavailable
from esputnik_mcp.toolkit.render import quoted
from esputnik_mcp.toolspec import Kind, SendPlan, ToolSpec

if TYPE_CHECKING:
    from esputnik_mcp.safety.policy import Decided
    from esputnik_mcp.toolkit.base import Result

logger = logging.getLogger("esputnik_mcp.gate")

AUDITED_RECIPIENTS = 20
# A pending reservation older than a request's deadline and this margin belongs to a send whose
# process died: it counts as an unknown outcome.
STALE_MARGIN = 2.0
PRUNE_EVERY = 3600.0  # seconds between two prunings of the store


@dataclass(frozen=True)
class Admission:
    """The gate's answer to a call: go ahead (``decision`` None), stop, or ask the user; what the call
    would send; and the ledger reservation made for it, which ``settle`` completes."""

    decision: Decision
    plan: SendPlan | None = None
    reservation: str | None = None


@dataclass
class Gate:
    settings: Settings
    store: StateStore
    policy: ToolPolicy
    clock: Callable[[], float] = time.time
    inbox: Inbox | None = None
    rates: RateLimits = field(init=False)
    ledger: Ledger = field(init=False)
    confirmations: Confirmations = field(init=False)
    desk: ApprovalDesk = field(init=False)
    confirmer: Confirmer = field(init=False)
    _opened: bool = field(default=False, init=False)
    _opening: anyio.Lock = field(default_factory=anyio.Lock, init=False)
    _pruned_at: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        s = self.settings
        self.rates = RateLimits(
            self.store,
            per_caller={Kind.SEND: s.sends_per_minute, Kind.WRITE: s.writes_per_minute, Kind.READ: s.reads_per_minute},
            total={
                Kind.SEND: s.sends_per_minute_total,
                Kind.WRITE: s.writes_per_minute_total,
                Kind.READ: s.reads_per_minute_total,
            },
            clock=self.clock,
        )
        self.ledger = Ledger(self.store, stale_after=self.stale_after, clock=self.clock)
        self.confirmations = Confirmations(self.store, clock=self.clock)
        self.desk = ApprovalDesk(self.store, public_url=self.settings.public_url, clock=self.clock)
        self.confirmer = Confirmer(self.settings, self.confirmations, self.desk, clock=self.clock)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        store: StateStore,
        *,
        clock: Callable[[], float] = time.time,
        inbox: Inbox | None = None,
        tools: Sequence[Decided] | None = None,
    ) -> Gate:
        """The gate of the settings, its policy over ``tools`` (default: the catalogue)."""
        return cls(settings=settings, store=store, policy=policy_for(settings, tools), clock=clock, inbox=inbox)

    @property
    def stale_after(self) -> float:
        return self.settings.request_deadline + STALE_MARGIN

    async def ready(self) -> None:
        """Open the store once (its schema brought up to date), turn the pending reservations of sends
        that died with their process into unknown outcomes, and prune what is past its retention."""
        if self._opened:
            return
        async with self._opening:
            if not self._opened:
                await self.store.open()
                now = self.clock()
                expired = await self.store.expire_pending(stale_before=now - self.stale_after)
                if expired:
                    logger.warning("%d sends were in flight when a server stopped: their outcome is unknown", expired)
                await self._prune(now)
                self._opened = True

    async def _prune(self, now: float) -> None:
        if now - self._pruned_at < PRUNE_EVERY:
            return
        self._pruned_at = now
        retention = self.settings.audit_retention_days * DAY
        await self.store.prune(
            audit_before=now - retention,
            ledger_before=now - DAY - self.stale_after,
            now=now,
            activity_before=now - self.settings.activity_retention_days * DAY,
        )

    # --- the checks, in order ------------------------------------------------------------------

    async def admit(
        self,
        spec: ToolSpec,
        params: BaseModel,
        planner: Callable[[], Awaitable[SendPlan | None]],
        ctx: Context[Any, Any] | None,
    ) -> Admission:
        """Whether the call may run now. ``planner`` says what the call would send; it is asked only
        once the policy and the rate limits let the call through. Raises ``StoreUnavailable`` when
        the store cannot be read or written (nothing was sent)."""
        await self.ready()
        await self._prune(self.clock())
        limited = await self._policy_and_rates(spec)
        if limited is not None:
            return await self._refuse(spec, limited)
        plan = await planner()
        allow_duplicate = bool(getattr(params, "allow_duplicate", False))
        if plan is not None:
            plan, limited = await self._hold_back(spec, params, plan)
            limited = limited or await self._guards(plan, allow_duplicate)
            if limited is not None:
                return await self._refuse(spec, limited, plan)
        held = await self._ask(spec, params, plan, ctx)
        if held is not None:
            return held
        if plan is None or not plan.ledger:
            return Admission(None, plan)
        reservation, refusal_ = await self.ledger.reserve(spec.name, plan, allow_duplicate=allow_duplicate)
        if refusal_ is not None:
            return await self._refuse(spec, refusal_, plan)
        return Admission(None, plan, reservation)

    async def _ask(
        self, spec: ToolSpec, params: BaseModel, plan: SendPlan | None, ctx: Context[Any, Any] | None
    ) -> Admission | None:
        """Ask the person when the call needs it; None once it may go ahead. Only a send that goes
        ahead counts as a send for the rate limit: its preview does not."""
        preview = await self._preview(spec, params, plan)
        if preview is not None and (self.settings.send_confirmation != "off" or preview.person):
            decision = await self.confirmer.confirm(spec, params, preview, ctx)
            if isinstance(decision, Stop):
                return await self._stopped(spec, decision, plan)
            if decision is not None:
                return Admission(decision, plan)
        if spec.kind is Kind.SEND:
            limited = await self.rates.check(Kind.SEND, CALLER.get())
            if limited is not None:
                return await self._refuse(spec, limited, plan)
        return None

    async def _policy_and_rates(self, spec: ToolSpec) -> Refusal | None:
        """The policy, then the call rate: a send is counted as a read until it goes ahead (its
        preview costs reads, not a send)."""
        reason = self.policy.refusal(spec)
        if reason is not None:
            return Refusal("policy", reason)
        return await self.rates.check(Kind.READ if spec.kind is Kind.SEND else spec.kind, CALLER.get())

    async def _hold_back(self, spec: ToolSpec, params: BaseModel, plan: SendPlan) -> tuple[SendPlan, Refusal | None]:
        """Leave out the recipients the webhook inbox shows hard-bounced, unsubscribed or marked spam on
        the send's channel, unless the call sets ``include_suppressed``; refuse when nobody is left."""
        audience = plan.audience
        if self.inbox is None or spec.kind is not Kind.SEND or not audience.recipients:
            return plan, None
        if getattr(params, "include_suppressed", False):
            return plan, None
        held = await self.inbox.held_back(plan.channel, {r: audience.known_as.get(r) for r in audience.recipients})
        if not held:
            return plan, None
        reasons = {label: _held_reason(held[label]) for label in audience.recipients if label in held}
        kept = tuple(r for r in audience.recipients if r not in held)
        if not kept and not audience.segments:
            shown = "; ".join(f"{label}: {reason}" for label, reason in list(reasons.items())[:5])
            more = f" and {len(reasons) - 5} more" if len(reasons) > 5 else ""
            return plan, Refusal(
                "held_back",
                f"nothing was sent: the webhook inbox shows every recipient unreachable on {plan.channel} "
                f"({shown}{more}). Send anyway only if the user asks, with include_suppressed=true.",
            )
        narrowed = dataclasses.replace(
            audience, recipients=kept, known_as={k: v for k, v in audience.known_as.items() if k in kept}
        )
        return dataclasses.replace(plan, audience=narrowed, held_back=reasons), None

    async def _guards(self, plan: SendPlan, allow_duplicate: bool) -> Refusal | None:
        """The recipient cap and allowlist, then the ledger: all before anyone is asked."""
        refusal = check_recipients(
            plan,
            max_recipients=self.settings.max_recipients,
            allowed=self.settings.allowed_recipients,
            max_audience=self.settings.max_broadcast_audience,
        )
        if refusal is None and plan.ledger:
            refusal = await self.ledger.check(plan, allow_duplicate=allow_duplicate)
        return refusal

    async def _refuse(self, spec: ToolSpec, refusal: Refusal, plan: SendPlan | None = None) -> Admission:
        """Stop the call; refusals are counted per guard and minute, not written one row each."""
        metrics.record_refusal(refusal.guard)
        await self.store.count_refusal(minute=int(self.clock() // 60), tool=spec.name, guard=refusal.guard)
        return Admission(Stop(refusal.message), plan)

    async def _stopped(self, spec: ToolSpec, stop: Stop, plan: SendPlan | None) -> Admission:
        if stop.guard is not None:
            metrics.record_refusal(stop.guard)
            await self.store.count_refusal(minute=int(self.clock() // 60), tool=spec.name, guard=stop.guard)
        return Admission(stop, plan)

    async def _preview(self, spec: ToolSpec, params: BaseModel, plan: SendPlan | None) -> Preview | None:
        """What the person confirming sees; None when the call needs no confirmation. The rendering
        of what will go out is asked for only here, and only when confirmation is on."""
        if plan is not None and spec.kind is Kind.SEND:
            audience = plan.audience
            shown = list(audience.recipients) + [s.describe() for s in audience.segments]
            person = bool(audience.segments)
            off = self.settings.send_confirmation == "off" and not person
            rendering = await plan.render(audience) if plan.render is not None and not off else None
            if rendering is not None and plan.held_back:
                left_out = [f"Left out {label}: {reason}" for label, reason in list(plan.held_back.items())[:5]]
                if len(plan.held_back) > 5:
                    left_out.append(f"… and {len(plan.held_back) - 5} more left out")
                rendering = dataclasses.replace(rendering, warnings=(*rendering.warnings, *left_out))
            return Preview(
                f"send {plan.channel} to {audience.describe()}: {plan.content}",
                shown,
                audience.size or len(shown),
                rendering,
                person=person,
            )
        if spec.irreversible is not None:
            sentence = spec.irreversible(params)
            if sentence:
                return Preview(sentence, [])
        return None

    # --- after the call ------------------------------------------------------------------------

    async def settle(
        self,
        spec: ToolSpec,
        params: BaseModel,
        admission: Admission,
        result: Result[Any] | None,
        *,
        error: str | None = None,
        ambiguous: bool = False,
    ) -> None:
        """Record what happened: the ledger for sends, the audit log for writes and sends. A store
        that fails now cannot undo the send: its reservation stays pending and turns unknown, which
        refuses a blind resend, and the failure is logged."""
        plan = admission.plan
        outcomes = _send_outcomes(plan, result, ambiguous)
        try:
            if plan is not None and admission.reservation is not None:
                await self.ledger.settle(admission.reservation, plan, outcomes)
            if spec.kind is Kind.READ:
                return
            outcome: Outcome = "ok"
            if ambiguous or any(o.status == "unknown" for o in outcomes):
                outcome = "ambiguous"
            elif error is not None:
                outcome = "error"
            request_ids = [o.request_id for o in outcomes if o.request_id]
            await self._audit(spec, params, outcome, plan=plan, request_ids=request_ids, detail=error)
        except StoreUnavailable as exc:
            logger.error("%s: could not record the outcome in the state store: %s", spec.name, exc)

    async def _audit(
        self,
        spec: ToolSpec,
        params: BaseModel,
        outcome: Outcome,
        *,
        plan: SendPlan | None = None,
        request_ids: list[str] | None = None,
        detail: str | None = None,
    ) -> None:
        audience = plan.audience if plan is not None else None
        recipients = [audience.known_as.get(r, r) for r in audience.labels] if audience is not None else []
        await self.store.append_audit(
            AuditRecord(
                at=self.clock(),
                tool=spec.name,
                arguments_hash=arguments_digest(spec.name, params),
                outcome=outcome,
                recipient_count=(audience.size or len(recipients)) if audience is not None else 0,
                recipients=tuple(mask(r) for r in recipients[:AUDITED_RECIPIENTS]),
                request_ids=tuple(request_ids or ()),
                detail=detail[:300] if detail else None,
                target=spec.target(params)[:300] if spec.target is not None else None,
            )
        )


def _held_reason(held: Held) -> str:
    """``hard bounce on 2026-11-20: "550 5.1.1 …"``: eSputnik's own words quoted as data."""
    return f"{held.reason} on {held.day}" + (f": {quoted(held.detail)}" if held.detail else "")


def policy_for(settings: Settings, tools: Sequence[Decided] | None = None) -> ToolPolicy:
    """The tool policy the settings ask for over ``tools`` (default: the catalogue); raises
    PolicyError naming unknown tools or toolsets."""
    if tools is None:
        from esputnik_mcp.tools import catalogue

        tools = catalogue()
    return ToolPolicy.build(
        tools,
        read_only=settings.read_only,
        toolsets=settings.toolsets,
        include=settings.tools,
        exclude=settings.exclude_tools,
    )


def _send_outcomes(plan: SendPlan | None, result: Result[Any] | None, ambiguous: bool) -> list[RecipientOutcome]:
    """Per-addressee outcomes of a send, from its result (or all unknown when the call was ambiguous).
    An indirect send's one request carries every addressee: they share its outcome."""
    if plan is None:
        return []
    from esputnik_mcp.toolkit.sending import SendOutput

    if result is None or not isinstance(result.data, SendOutput) or not result.data.results:
        status = "unknown" if ambiguous else ("sent" if result is not None and not result.is_error else "failed")
        return [RecipientOutcome(r, status) for r in plan.audience.labels]
    ledger_status = {"queued": "sent", "unknown": "unknown", "failed": "failed"}
    return [RecipientOutcome(row.recipient, ledger_status[row.status], row.request_id) for row in result.data.results]


def arguments_digest(tool: str, params: BaseModel) -> str:
    """The audit log's fingerprint of a call's arguments: equal for equal arguments of one tool,
    the confirmation token left out.
    Serialised by pydantic-core in the model's field order (a bulk call's 100,000 contacts take
    milliseconds, where a sorted ``json.dumps`` of their dump takes most of a second)."""
    digest = hashlib.sha256(tool.encode())
    digest.update(b"\0")
    digest.update(params.model_dump_json(exclude={TOKEN_ARGUMENT}).encode())
    return digest.hexdigest()[:16]
