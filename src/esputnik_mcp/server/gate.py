"""The safety gate every tool call passes: policy, rate limits, recipient guards, the duplicate
ledger, confirmation (elicitation or token), and the audit log.

It lives in the server layer because confirmation by elicitation speaks MCP: on 2025-11-25 it asks
the client mid-call; from 2026-07-28 it answers with an input-required result and resumes when the
client retries with the user's answer.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from mcp.server.elicitation import AcceptedElicitation, render_elicitation_schema
from mcp.server.mcpserver import Context
from mcp_types import ElicitRequest, ElicitRequestFormParams, ElicitResult, InputRequiredResult
from mcp_types.version import is_version_at_least
from pydantic import BaseModel, Field

from esputnik_mcp.safety.confirm import TOKEN_TTL_SECONDS, Confirmations, payload_hash
from esputnik_mcp.safety.guards import CallRateLimiter, Refusal, check_recipients, mask
from esputnik_mcp.safety.ledger import Ledger, RecipientOutcome
from esputnik_mcp.safety.policy import ToolPolicy
from esputnik_mcp.settings import Settings
from esputnik_mcp.store.base import AuditRecord, Outcome, StateStore
from esputnik_mcp.toolkit.base import Result
from esputnik_mcp.toolkit.sending import SendOutput
from esputnik_mcp.tools import catalogue
from esputnik_mcp.toolspec import Kind, SendPlan, ToolSpec

CONFIRM_KEY = "confirm"
SHOWN_RECIPIENTS = 5
AUDITED_RECIPIENTS = 20


class ConfirmAction(BaseModel):
    """The form a user sees before a send or an irreversible deletion."""

    confirm: bool = Field(description="Yes, do it")


@dataclass(frozen=True)
class Preview:
    """What a call is about to do, for the person who confirms it."""

    action: str  # one line
    recipients: list[str]  # as named in the call; a segment as its description
    count: int = 0  # how many people it reaches at most


@dataclass(frozen=True)
class Stop:
    """The gate stops the call: an isError result with this message (and structured detail)."""

    message: str
    structured: dict[str, Any] | None = None


Decision = Stop | InputRequiredResult | None


@dataclass(frozen=True)
class Admission:
    """The gate's answer to a call: go ahead (``decision`` None), stop, or ask the user; and what the
    call would send, when it is a send."""

    decision: Decision
    plan: SendPlan | None = None


@dataclass
class Gate:
    settings: Settings
    store: StateStore
    policy: ToolPolicy
    clock: Callable[[], float] = time.time
    rates: CallRateLimiter = field(init=False)
    ledger: Ledger = field(init=False)
    confirmations: Confirmations = field(init=False)

    def __post_init__(self) -> None:
        self.rates = CallRateLimiter(
            {
                Kind.SEND: self.settings.sends_per_minute,
                Kind.WRITE: self.settings.writes_per_minute,
                Kind.READ: self.settings.reads_per_minute,
            },
            clock=self.clock,
        )
        self.ledger = Ledger(self.store, clock=self.clock)
        self.confirmations = Confirmations(self.store, clock=self.clock)

    @classmethod
    def from_settings(cls, settings: Settings, store: StateStore, *, clock: Callable[[], float] = time.time) -> Gate:
        return cls(settings=settings, store=store, policy=policy_for(settings), clock=clock)

    # --- the checks, in order ------------------------------------------------------------------

    async def admit(
        self,
        spec: ToolSpec,
        params: BaseModel,
        planner: Callable[[], Awaitable[SendPlan | None]],
        ctx: Context[Any, Any] | None,
    ) -> Admission:
        """Whether the call may run now. ``planner`` says what a send would send; it is asked only
        once the policy and the rate limits let the call through."""
        refusal = self._policy_and_limits(spec)
        if refusal is not None:
            self._audit(spec, params, "refused", guard=refusal.guard, detail=refusal.message)
            return Admission(Stop(refusal.message))
        plan = await planner()
        if plan is not None:
            refusal = check_recipients(
                plan, max_recipients=self.settings.max_recipients, allowed=self.settings.allowed_recipients
            )
            if refusal is None:
                refusal = self.ledger.check(plan, allow_duplicate=bool(getattr(params, "allow_duplicate", False)))
        if refusal is not None:
            self._audit(spec, params, "refused", plan=plan, guard=refusal.guard, detail=refusal.message)
            return Admission(Stop(refusal.message), plan)
        preview = self._preview(spec, params, plan)
        if preview is None or self.settings.send_confirmation == "off":
            return Admission(None, plan)
        return Admission(await self._confirm(spec, params, preview, plan, ctx), plan)

    def _policy_and_limits(self, spec: ToolSpec) -> Refusal | None:
        reason = self.policy.refusal(spec)
        if reason is not None:
            return Refusal("policy", reason)
        return self.rates.check(spec.kind)

    @staticmethod
    def _preview(spec: ToolSpec, params: BaseModel, plan: SendPlan | None) -> Preview | None:
        if plan is not None:
            audience = plan.audience
            shown = list(audience.recipients) + [s.describe() for s in audience.segments]
            return Preview(
                f"send {plan.channel} to {audience.describe()}: {plan.content}", shown, audience.size or len(shown)
            )
        if spec.irreversible is not None:
            sentence = spec.irreversible(params)
            if sentence:
                return Preview(sentence, [])
        return None

    async def _confirm(
        self, spec: ToolSpec, params: BaseModel, preview: Preview, plan: SendPlan | None, ctx: Context[Any, Any] | None
    ) -> Decision:
        mode = self.settings.send_confirmation
        can_elicit = ctx is not None and _client_elicits(ctx)
        if mode == "elicit" and not can_elicit:
            message = (
                "not done: ESPUTNIK_SEND_CONFIRMATION=elicit but this client cannot show a confirmation form; "
                "use a client with elicitation, or set it to token"
            )
            self._audit(spec, params, "refused", plan=plan, guard="confirmation", detail=message)
            return Stop(message)
        digest = payload_hash(spec.name, params.model_dump(mode="json"))
        if ctx is not None and can_elicit and mode in ("elicit", "auto"):
            answer = await self._elicit(ctx, spec, preview, digest)
            if isinstance(answer, InputRequiredResult):
                return answer
            if answer:
                return None
            message = f"not done: the user declined to {preview.action}"
            self._audit(spec, params, "refused", plan=plan, guard="confirmation", detail="declined")
            return Stop(message)
        return self._by_token(spec, params, preview, plan, digest)

    def _by_token(
        self, spec: ToolSpec, params: BaseModel, preview: Preview, plan: SendPlan | None, digest: str
    ) -> Decision:
        """Without a token: a preview and a token bound to ``digest``; with one: go ahead if it
        confirms exactly this call."""
        token = getattr(params, "confirmation_token", None)
        if not token:
            issued, _ = self.confirmations.issue(spec.name, digest)
            self._audit(spec, params, "refused", plan=plan, guard="confirmation", detail="preview issued")
            return Stop(
                _token_preview(spec, preview, issued),
                {
                    "confirmation_required": {
                        "tool": spec.name,
                        "action": preview.action,
                        "recipient_count": preview.count,
                        "recipients": preview.recipients[:SHOWN_RECIPIENTS],
                        "confirmation_token": issued,
                        "expires_in_seconds": int(TOKEN_TTL_SECONDS),
                    }
                },
            )
        refusal = self.confirmations.redeem(token, spec.name, digest)
        if refusal is not None:
            self._audit(spec, params, "refused", plan=plan, guard=refusal.guard, detail=refusal.message)
            return Stop(refusal.message)
        return None

    async def _elicit(
        self, ctx: Context[Any, Any], spec: ToolSpec, preview: Preview, digest: str
    ) -> bool | InputRequiredResult:
        message = _elicit_message(spec, preview)
        if ctx.protocol_version is not None and is_version_at_least(ctx.protocol_version, "2026-07-28"):
            responses = ctx.input_responses or {}
            answer = responses.get(CONFIRM_KEY)
            # The answer counts only for the very payload it was asked about (state sealed by the SDK).
            if isinstance(answer, ElicitResult) and ctx.request_state == digest:
                return _accepted(answer.action, answer.content)
            request = ElicitRequest(
                params=ElicitRequestFormParams(
                    message=message, requested_schema=render_elicitation_schema(ConfirmAction)
                )
            )
            return InputRequiredResult(input_requests={CONFIRM_KEY: request}, request_state=digest)
        outcome = await ctx.elicit(message, ConfirmAction)
        return isinstance(outcome, AcceptedElicitation) and outcome.data.confirm

    # --- after the call ------------------------------------------------------------------------

    def settle(
        self,
        spec: ToolSpec,
        params: BaseModel,
        plan: SendPlan | None,
        result: Result[Any] | None,
        *,
        error: str | None = None,
        ambiguous: bool = False,
    ) -> None:
        """Record what happened: the ledger for sends, the audit log for writes and sends."""
        outcomes = _send_outcomes(plan, result, ambiguous)
        if plan is not None and outcomes:
            self.ledger.record(spec.name, plan, outcomes)
        if spec.kind is Kind.READ:
            return
        outcome: Outcome = "ok"
        if ambiguous or any(o.status == "unknown" for o in outcomes):
            outcome = "ambiguous"
        elif error is not None:
            outcome = "error"
        request_ids = [o.request_id for o in outcomes if o.request_id]
        self._audit(spec, params, outcome, plan=plan, request_ids=request_ids, detail=error)

    def _audit(
        self,
        spec: ToolSpec,
        params: BaseModel,
        outcome: Outcome,
        *,
        plan: SendPlan | None = None,
        request_ids: list[str] | None = None,
        guard: str | None = None,
        detail: str | None = None,
    ) -> None:
        if spec.kind is Kind.READ and outcome != "refused":
            return
        recipients = list(plan.audience.labels) if plan is not None else []
        self.store.append_audit(
            AuditRecord(
                at=self.clock(),
                tool=spec.name,
                arguments_hash=payload_hash(spec.name, params.model_dump(mode="json"))[:16],
                outcome=outcome,
                recipient_count=(plan.audience.size or len(recipients)) if plan is not None else 0,
                recipients=tuple(mask(r) for r in recipients[:AUDITED_RECIPIENTS]),
                request_ids=tuple(request_ids or ()),
                guard=guard,
                detail=detail[:300] if detail else None,
            )
        )


def policy_for(settings: Settings) -> ToolPolicy:
    """The tool policy the settings ask for; raises PolicyError naming unknown tools or toolsets."""
    return ToolPolicy.build(
        catalogue(),
        read_only=settings.read_only,
        toolsets=settings.toolsets,
        include=settings.tools,
        exclude=settings.exclude_tools,
    )


def _client_elicits(ctx: Context[Any, Any]) -> bool:
    try:
        capabilities = ctx.client_capabilities
    except ValueError:  # no request context
        return False
    elicitation = capabilities.elicitation if capabilities is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


def _accepted(action: str, content: dict[str, Any] | None) -> bool:
    return action == "accept" and content is not None and content.get("confirm") is True


def _elicit_message(spec: ToolSpec, preview: Preview) -> str:
    lines = [f"{spec.title}: {preview.action}."]
    if preview.recipients:
        shown = ", ".join(preview.recipients[:SHOWN_RECIPIENTS])
        more = len(preview.recipients) - SHOWN_RECIPIENTS
        lines.append(f"Recipients: {shown}" + (f" and {more} more" if more > 0 else "") + ".")
    lines.append("Confirm to go ahead; decline and nothing happens.")
    return " ".join(lines)


def _token_preview(spec: ToolSpec, preview: Preview, token: str) -> str:
    shown = ""
    if preview.recipients:
        more = len(preview.recipients) - SHOWN_RECIPIENTS
        shown = (
            " Recipients: "
            + ", ".join(preview.recipients[:SHOWN_RECIPIENTS])
            + (f" and {more} more" if more > 0 else "")
            + "."
        )
    return (
        f"NOT DONE YET - confirmation required. {spec.name} would {preview.action}.{shown} Show this to the user; "
        f"if they agree, call {spec.name} again with exactly the same arguments plus "
        f'confirmation_token="{token}" (valid once, for 10 minutes).'
    )


def _send_outcomes(plan: SendPlan | None, result: Result[Any] | None, ambiguous: bool) -> list[RecipientOutcome]:
    """Per-recipient outcomes of a send, from its result (or all unknown when the call was ambiguous)."""
    if plan is None:
        return []
    if result is None or not isinstance(result.data, SendOutput) or not result.data.results:
        status: Literal["unknown", "failed"] = "unknown" if ambiguous else "failed"
        return [RecipientOutcome(r, status) for r in plan.audience.labels]
    ledger_status: dict[str, Literal["sent", "unknown", "failed"]] = {
        "queued": "sent",
        "unknown": "unknown",
        "failed": "failed",
    }
    return [RecipientOutcome(row.recipient, ledger_status[row.status], row.request_id) for row in result.data.results]
