"""What a tool is: one typed input model, one output model, a handler, and the facts that drive its
annotations and the safety policy. Tool modules declare :class:`ToolSpec` objects; the server layer
registers them."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

import anyio
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from esputnik_mcp.api import ESputnikClient
from esputnik_mcp.settings import Settings
from esputnik_mcp.store.base import StateStore


class Kind(enum.Enum):
    """What a tool does to the world; the policy and the annotations follow from it."""

    READ = "read"
    WRITE = "write"
    SEND = "send"  # reaches people: email, SMS, push …


class Toolset(enum.StrEnum):
    CONTACTS = "contacts"
    SEGMENTS = "segments"
    MESSAGING = "messaging"
    EVENTS = "events"
    ORDERS = "orders"
    ACCOUNT = "account"


class ToolInput(BaseModel):
    """Base of every tool's parameters: unknown arguments are refused (a typo never passes silently)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ConfirmableInput(ToolInput):
    """Parameters of a tool whose call may need the user's confirmation (sends, irreversible writes)."""

    confirmation_token: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="Only when a previous call answered with a confirmation preview: its token, to confirm "
        "exactly that call (same arguments). Leave out otherwise.",
    )


class SendInput(ConfirmableInput):
    """Parameters every send tool has besides its own."""

    allow_duplicate: bool = Field(
        default=False,
        description="Send even though the same content went to the same recipient in the last 24 hours, or "
        "an earlier identical send has an unknown outcome. Only on the user's explicit request.",
    )


class ToolOutput(BaseModel):
    """Base of every tool's structured result."""

    model_config = ConfigDict(extra="forbid")

    sandbox: bool | None = Field(
        default=None,
        description="True when the answer came from the built-in sandbox, not a real eSputnik account.",
    )
    note: str | None = Field(default=None, description="A remark on the result, e.g. that it was cut to fit.")

    # Name of the list field that may be shortened to keep a result under the size cap, and what to
    # tell the agent when it was.
    truncatable: ClassVar[str | None] = None
    cut_advice: ClassVar[str] = (
        "ask for fewer (limit), narrow the search, use response_format=concise, or page on with next_cursor."
    )
    _resume_at: Callable[[int], str | None] | None = PrivateAttr(default=None)

    def resume_with(self, cursor_at: Callable[[int], str | None]) -> None:
        """How to page on from item ``i`` of the truncatable list, if the result is cut there."""
        self._resume_at = cursor_at

    def cut(self, keep: int) -> None:
        """Keep the first ``keep`` items of the truncatable list, pointing ``next_cursor`` after them."""
        if self.truncatable is None:
            return
        items = getattr(self, self.truncatable)
        setattr(self, self.truncatable, items[:keep])
        if self._resume_at is not None and "next_cursor" in type(self).model_fields:
            setattr(self, "next_cursor", self._resume_at(keep))  # noqa: B010 - declared by subclasses


OutputT = TypeVar("OutputT", bound=ToolOutput)
A = TypeVar("A")
B = TypeVar("B")


async def both(first: Awaitable[A], second: Awaitable[B]) -> tuple[A, B]:
    """Await two independent calls concurrently. A failure is raised as itself (the first one, if
    both fail), as a plain ``await`` would raise it, not wrapped in an exception group."""
    results: dict[int, Any] = {}

    async def run(index: int, awaitable: Awaitable[Any]) -> None:
        results[index] = await awaitable

    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(run, 0, first)
            tg.start_soon(run, 1, second)
    except BaseExceptionGroup as group:
        raise group.exceptions[0] from None
    return results[0], results[1]


@dataclass(frozen=True)
class Result(Generic[OutputT]):
    """A handler's answer: a one-line summary for the model, and the structured data.

    ``is_error`` marks a result the agent must not take for success although it carries data, e.g.
    a send whose outcome is unknown for some recipients.
    """

    summary: str
    data: OutputT
    is_error: bool = False


class ToolFailure(Exception):
    """A refusal or failure the agent can act on. The message is ours (trusted), short and specific."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


Progress = Callable[[float, float | None, str | None], Awaitable[None]]


async def _no_progress(done: float, total: float | None, message: str | None) -> None:
    return None


@dataclass
class ToolContext:
    """What a handler may use: the API client, the settings, progress reporting, shared caches."""

    client: ESputnikClient
    settings: Settings
    sandbox: bool = False
    progress: Progress = _no_progress
    cache: dict[str, Any] = field(default_factory=dict)
    state: StateStore | None = None  # the server's ledger and audit log, for tools that report on them


Handler = Callable[[Any, ToolContext], Awaitable[Result[Any]]]


@dataclass(frozen=True)
class SendPlan:
    """What a send tool is about to send, known from its arguments before anything leaves.

    The safety layer uses it for recipient caps and allowlists, the duplicate-send ledger, and the
    confirmation preview.
    """

    channel: str  # email, sms, viber, mobilepush, webpush, telegram, appinbox
    recipients: list[str]  # as named in the call: an address, a phone, "contact:123", "external:CUST-1"
    content: str  # what is sent, for a person to recognise: the subject, or the template id and name
    content_key: str  # identifies the content: "template:42", or a hash of the subject and body


@dataclass(frozen=True)
class ToolSpec:
    """One tool. ``kind`` decides read-only and the safety policy; ``destructive`` and ``idempotent``
    matter for writes (reads are neither destructive nor repeat-sensitive; sends are both)."""

    name: str
    title: str
    description: str
    toolset: Toolset
    kind: Kind
    params: type[ToolInput]
    output: type[ToolOutput]
    handler: Handler
    destructive: bool = False
    idempotent: bool = True
    open_world: bool = True  # False only for tools that touch nothing outside this server
    # SEND tools: what the call will send (required for them).
    plan_send: Callable[[Any], SendPlan] | None = None
    # Irreversible writes: a sentence describing what these arguments would destroy, or None when
    # these arguments are not irreversible (e.g. delete_contact without erase).
    irreversible: Callable[[Any], str | None] | None = None

    @property
    def read_only(self) -> bool:
        return self.kind is Kind.READ

    @property
    def destructive_hint(self) -> bool:
        return {Kind.READ: False, Kind.SEND: True, Kind.WRITE: self.destructive}[self.kind]

    @property
    def idempotent_hint(self) -> bool:
        return {Kind.READ: True, Kind.SEND: False, Kind.WRITE: self.idempotent}[self.kind]
