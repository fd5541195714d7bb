"""Asking a person before a send or an irreversible deletion, the strongest way the client allows.

- **page** (URL elicitation): the client opens this server's approval page, where the person sees
  what will go out and approves or declines. The agent cannot approve: it never sees the link.
- **form** (form elicitation): the client shows a form with the same preview; the agent cannot
  answer it, but the client decides who sees it.
- **token**: the answer carries the preview and a single-use token bound to the exact arguments.
  It guards against honest mistakes only: an agent steered by what it read can call again with the
  token it was just given.

``elicit`` uses the page, else the form, and refuses when the client can do neither; ``auto`` takes
the strongest the client supports, tokens last; ``token`` always tokens. An approval given on the
page for this exact call lets it through however it arrives, and a token never stands in for a
stronger way.
"""

from __future__ import annotations

import enum
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mcp.server.elicitation import AcceptedElicitation, AcceptedUrlElicitation, render_elicitation_schema
from mcp.server.mcpserver import Context
from mcp.shared.exceptions import UrlElicitationRequiredError
from mcp_types import (
    ElicitRequest,
    ElicitRequestFormParams,
    ElicitRequestURLParams,
    ElicitResult,
    InputRequiredResult,
)
from mcp_types.version import is_version_at_least
from pydantic import BaseModel, Field

from esputnik_mcp.safety.confirm import TOKEN_TTL_SECONDS, Confirmations, payload_hash
from esputnik_mcp.safety.guards import Refusal
from esputnik_mcp.server.approvals import WAIT_FOR_DECISION, ApprovalDesk, preview_json
from esputnik_mcp.server.caller import CALLER
from esputnik_mcp.settings import Settings
from esputnik_mcp.toolspec import Rendering, ToolSpec

CONFIRM_KEY = "confirm"
SHOWN_RECIPIENTS = 5
MODERN = "2026-07-28"  # from this revision a call asks by answering input-required, even statelessly


class ConfirmAction(BaseModel):
    """The form a user sees before a send or an irreversible deletion."""

    confirm: bool = Field(description="Yes, do it")


@dataclass(frozen=True)
class Preview:
    """What a call is about to do, for the person who confirms it."""

    action: str  # one line
    recipients: list[str]  # as named in the call; a segment as its description
    count: int = 0  # how many people it reaches at most
    rendering: Rendering | None = None
    # Only a person may approve it, whatever the mode: a send to segments (a broadcast) is approved
    # on the approval page or in a form, never with a token alone, and is not sent unasked.
    person: bool = False


@dataclass(frozen=True)
class Stop:
    """The gate stops the call: an isError result with this message (and structured detail)."""

    message: str
    structured: dict[str, Any] | None = None
    guard: str | None = None  # the guard that refused, when one did


Decision = Stop | InputRequiredResult | None


class Way(enum.Enum):
    PAGE = "page"  # URL elicitation, asked now
    PAGE_REQUIRED = "page required"  # URL_ELICITATION_REQUIRED: the call cannot ask, the client opens it
    FORM = "form"
    TOKEN = "token"  # noqa: S105 - a way of asking, not a secret


def choose(mode: str, ctx: Context[Any, Any] | None, *, page: bool) -> Way | None:
    """How to ask, for ``mode`` and what the client declared; None: this client cannot be asked the
    way the mode demands."""
    if mode == "token":
        return Way.TOKEN
    elicitation = _capabilities(ctx)
    can_ask = ctx is not None and (_modern(ctx) or elicitation is not None)
    url = elicitation is not None and elicitation.url is not None
    form = elicitation is not None and (elicitation.form is not None or elicitation.url is None)
    if can_ask and url and page:
        return Way.PAGE
    if can_ask and form:
        return Way.FORM
    if mode == "elicit":
        # A stateless call of an earlier revision cannot ask: the client is told to open the page.
        return Way.PAGE_REQUIRED if page and ctx is not None and not _modern(ctx) else None
    return Way.TOKEN


def _modern(ctx: Context[Any, Any]) -> bool:
    return ctx.protocol_version is not None and is_version_at_least(ctx.protocol_version, MODERN)


def _capabilities(ctx: Context[Any, Any] | None) -> Any:
    if ctx is None:
        return None
    try:
        capabilities = ctx.client_capabilities
    except ValueError:  # no request context
        return None
    return capabilities.elicitation if capabilities is not None else None


@dataclass
class Confirmer:
    settings: Settings
    confirmations: Confirmations
    desk: ApprovalDesk
    clock: Callable[[], float] = time.time
    wait: float = WAIT_FOR_DECISION  # seconds a call waits for the click once the client opened the page

    async def confirm(
        self, spec: ToolSpec, params: BaseModel, preview: Preview, ctx: Context[Any, Any] | None
    ) -> Decision:
        """None when the call may go ahead; else a stop, or a question for the user."""
        digest = payload_hash(spec.name, params.model_dump(mode="json"))
        caller = CALLER.get()
        if await self.desk.use(tool=spec.name, payload_hash=digest, caller=caller):
            return None  # approved on the page, for exactly this call
        mode = "elicit" if preview.person else self.settings.send_confirmation
        way = choose(mode, ctx, page=self.desk.available)
        if way is None and preview.person:
            return Stop(
                f"not done: {preview.action} reaches up to {preview.count} people, and only a person may approve "
                "that, on the approval page or in a form; this client can show neither. Use a client with "
                "elicitation, or create it in eSputnik.",
                guard="confirmation",
            )
        if way is None:
            return Stop(
                "not done: ESPUTNIK_SEND_CONFIRMATION=elicit but this client can show neither an approval page "
                "nor a confirmation form; use a client with elicitation, or set it to token",
                guard="confirmation",
            )
        if way is Way.TOKEN:
            return await self._by_token(spec, params, preview, digest)
        if way is Way.FORM and ctx is not None:
            return await self._by_form(ctx, spec, preview, digest)
        return await self._by_page(ctx, spec, preview, digest, caller, required=way is Way.PAGE_REQUIRED)

    # --- the approval page ----------------------------------------------------------------------

    async def _by_page(
        self,
        ctx: Context[Any, Any] | None,
        spec: ToolSpec,
        preview: Preview,
        digest: str,
        caller: str,
        *,
        required: bool,
    ) -> Decision:
        message = (
            f"{spec.title}: {preview.action}. Open the page to see exactly what will go out, then approve or decline."
        )
        if ctx is not None and _modern(ctx):
            answer = (ctx.input_responses or {}).get(CONFIRM_KEY)
            asked = _asked(ctx.request_state, digest)
            if isinstance(answer, ElicitResult) and asked is not None:
                if answer.action != "accept":
                    return Stop(f"not done: the user declined to {preview.action}", guard="confirmation")
                return await self._decided(spec, preview, asked, digest, caller)
        identifier, url = await self.desk.open(
            tool=spec.name, payload_hash=digest, caller=caller, preview=preview_json(preview.action, preview.rendering)
        )
        request = ElicitRequestURLParams(message=message, url=url, elicitation_id=identifier)
        if required or ctx is None:
            raise UrlElicitationRequiredError([request])
        if _modern(ctx):
            state = json.dumps({"payload": digest, "approval": identifier})
            return InputRequiredResult(input_requests={CONFIRM_KEY: ElicitRequest(params=request)}, request_state=state)
        outcome = await ctx.elicit_url(message, url, identifier)
        if not isinstance(outcome, AcceptedUrlElicitation):
            return Stop(f"not done: the user declined to {preview.action}", guard="confirmation")
        return await self._decided(spec, preview, identifier, digest, caller)

    async def _decided(self, spec: ToolSpec, preview: Preview, identifier: str, digest: str, caller: str) -> Decision:
        """Wait for the person's click on the page, then go ahead only with their approval."""
        decision = await self.desk.decision(identifier, wait=self.wait)
        if decision == "approved" and await self.desk.use(tool=spec.name, payload_hash=digest, caller=caller):
            return None
        if decision == "declined":
            return Stop(f"not done: the user declined to {preview.action} on the approval page", guard="confirmation")
        if decision == "expired":
            return Stop("not done: the approval page expired; nothing was sent", guard="confirmation")
        return Stop(
            "not done yet: waiting for the user to approve on the approval page; nothing was sent. Call again with "
            "the same arguments once they have approved.",
            guard="confirmation",
        )

    # --- the form -------------------------------------------------------------------------------

    async def _by_form(self, ctx: Context[Any, Any], spec: ToolSpec, preview: Preview, digest: str) -> Decision:
        message = form_message(spec, preview)
        if _modern(ctx):
            answer = (ctx.input_responses or {}).get(CONFIRM_KEY)
            # The answer counts only for the very payload it was asked about (state sealed by the SDK).
            if isinstance(answer, ElicitResult) and ctx.request_state == digest:
                if _accepted(answer.action, answer.content):
                    return None
                return Stop(f"not done: the user declined to {preview.action}", guard="confirmation")
            request = ElicitRequest(
                params=ElicitRequestFormParams(
                    message=message, requested_schema=render_elicitation_schema(ConfirmAction)
                )
            )
            return InputRequiredResult(input_requests={CONFIRM_KEY: request}, request_state=digest)
        outcome = await ctx.elicit(message, ConfirmAction)
        if isinstance(outcome, AcceptedElicitation) and outcome.data.confirm:
            return None
        return Stop(f"not done: the user declined to {preview.action}", guard="confirmation")

    # --- the token ------------------------------------------------------------------------------

    async def _by_token(self, spec: ToolSpec, params: BaseModel, preview: Preview, digest: str) -> Decision:
        """Without a token: a preview and a token bound to ``digest``; with one: go ahead if it
        confirms exactly this call."""
        token = getattr(params, "confirmation_token", None)
        if not token:
            issued, _ = await self.confirmations.issue(spec.name, digest)
            request: dict[str, Any] = {
                "tool": spec.name,
                "action": preview.action,
                "recipient_count": preview.count,
                "recipients": preview.recipients[:SHOWN_RECIPIENTS],
                "confirmation_token": issued,
                "expires_in_seconds": int(TOKEN_TTL_SECONDS),
            }
            if preview.rendering is not None:
                request["preview"] = rendering_dict(preview.rendering)
            return Stop(_token_text(spec, preview, issued), {"confirmation_required": request}, guard="confirmation")
        refusal: Refusal | None = await self.confirmations.redeem(token, spec.name, digest)
        if refusal is not None:
            return Stop(refusal.message, guard=refusal.guard)
        return None


def _asked(state: str | None, digest: str) -> str | None:
    """The approval a previous round asked about, if ``state`` (sealed by the SDK) is for this payload."""
    try:
        decoded = json.loads(state or "")
    except ValueError:
        return None
    if isinstance(decoded, dict) and decoded.get("payload") == digest and isinstance(decoded.get("approval"), str):
        return str(decoded["approval"])
    return None


def _accepted(action: str, content: dict[str, Any] | None) -> bool:
    return action == "accept" and content is not None and content.get("confirm") is True


def rendering_dict(rendering: Rendering) -> dict[str, Any]:
    """The rendering as JSON for a result, without empty fields."""
    from dataclasses import asdict

    def prune(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: prune(v) for k, v in value.items() if v not in (None, (), [], "")}
        if isinstance(value, list | tuple):
            return [prune(v) for v in value]
        return value

    result: dict[str, Any] = prune(asdict(rendering))
    return result


def describe(preview: Preview, *, body_chars: int = 1200) -> str:
    """The preview as lines of text: for the form and the token answer."""
    rendering = preview.rendering
    lines = [f"Action: {preview.action}."]
    if rendering is None:
        if preview.recipients:
            lines.append(_recipients_line(preview.recipients, preview.count))
        return "\n".join(lines)
    facts = [
        ("Sender", rendering.sender),
        ("Stored message", rendering.message),
        ("Subject", rendering.subject),
        (
            "SMS",
            f"{rendering.sms_parts_total} parts in all ({rendering.sms_encoding})"
            if rendering.sms_parts_total
            else None,
        ),
        ("Balance", rendering.balance),
    ]
    lines += [f"{label}: {value}" for label, value in facts if value]
    lines.append(_recipients_line(list(rendering.recipients) or preview.recipients, rendering.count or preview.count))
    for sample in rendering.samples[:1]:
        body = sample.text or _text_of(sample.html or "")
        if len(body) > body_chars:
            body = body[: body_chars - 1] + "…"
        lines.append(
            f"As {sample.recipient} gets it" + (f' (subject "{sample.subject}")' if sample.subject else "") + ":"
        )
        lines.append(body)
        if sample.unresolved:
            lines.append("Left without a value: " + ", ".join(sample.unresolved))
    lines += list(rendering.warnings)
    return "\n".join(lines)


def _recipients_line(recipients: list[str], count: int) -> str:
    shown = ", ".join(recipients[:SHOWN_RECIPIENTS])
    more = max(0, count - min(len(recipients), SHOWN_RECIPIENTS))
    return f"Recipients ({count}): {shown}" + (f" and {more} more" if more > 0 else "")


def _text_of(html: str) -> str:
    """The visible text of an email's html, roughly, for a text-only preview."""
    import re
    from html import unescape

    html = re.sub(r"(?is)<(script|style|head)\b.*?</\1>", " ", html)
    html = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</tr>|</h[1-6]>", "\n", html)
    text = unescape(re.sub(r"<[^>]+>", " ", html))
    return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


def form_message(spec: ToolSpec, preview: Preview) -> str:
    return f"{spec.title}\n{describe(preview)}\nConfirm to go ahead; decline and nothing happens."


def _token_text(spec: ToolSpec, preview: Preview, token: str) -> str:
    return (
        f"NOT DONE YET - confirmation required. {spec.name} would {preview.action}. Show this preview to the user "
        f'and call {spec.name} again with exactly the same arguments plus confirmation_token="{token}" (valid once, '
        f"for 10 minutes) only if they agree. {' '.join(describe(preview, body_chars=600).splitlines())}"
    )
