"""A tool's parts: one typed input model, one output model, a handler returning a :class:`Result`,
and :func:`tool`, which declares all of it as a :class:`~esputnik_mcp.toolspec.ToolSpec` in the
place the handler is written."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Generic, TypeVar

import anyio
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr

from esputnik_mcp.toolspec import Kind, SendPlan, Toolset, ToolSpec

if TYPE_CHECKING:
    from esputnik_mcp.api import ESputnikClient
    from esputnik_mcp.inbox import Inbox
    from esputnik_mcp.settings import Settings
    from esputnik_mcp.store.base import StateStore


def at_most(length: int) -> AfterValidator:
    """A length bound that only guards against abuse: enforced here, not published in the schema
    (no real value comes near it, so it would tell a model nothing)."""

    def check(value: str) -> str:
        if len(value) > length:
            raise ValueError(f"at most {length} characters")
        return value

    return AfterValidator(check)


class ToolInput(BaseModel):
    """Base of every tool's parameters: unknown arguments are refused (a typo never passes silently)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ConfirmableInput(ToolInput):
    """Parameters of a tool whose call may need the user's confirmation (sends, irreversible writes)."""

    confirmation_token: Annotated[str, at_most(100)] | None = Field(
        default=None,
        min_length=1,
        description="The token of a preview this tool returned, to confirm it (same arguments).",
    )


class SendInput(ConfirmableInput):
    """Parameters every send tool has besides its own."""

    allow_duplicate: bool = Field(
        default=False,
        description="Resend what reached the same recipient in the last 24 h; only when the user asks.",
    )
    include_suppressed: bool = Field(
        default=False,
        description="Also send to recipients that hard-bounced, unsubscribed or marked spam; only when the user asks.",
    )


class ToolOutput(BaseModel):
    """Base of every tool's structured result."""

    model_config = ConfigDict(extra="forbid")

    sandbox: bool | None = Field(default=None, description="True on the built-in sandbox.")
    note: str | None = Field(default=None, description="Why the result was cut, and how to get the rest.")

    # Name of the list field that may be shortened to keep a result under the size cap, and what to
    # tell the agent when it was.
    truncatable: ClassVar[str | None] = None
    cut_advice: ClassVar[str] = "ask for fewer (limit), narrow the search, or page on with next_cursor."
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
InputT = TypeVar("InputT", bound=ToolInput)
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


Summary = str | Callable[[OutputT], str]


@dataclass(frozen=True)
class Result(Generic[OutputT]):
    """A handler's answer: a one-line summary for the model, and the structured data.

    ``summary`` may be a function of the data: it is then written after the data has been cut to
    fit, so that it counts what the model actually gets. ``is_error`` marks a result the agent must
    not take for success although it carries data, e.g. a send whose outcome is unknown.
    """

    summary: Summary[OutputT]
    data: OutputT
    is_error: bool = False

    def summary_line(self) -> str:
        return self.summary(self.data) if callable(self.summary) else self.summary


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
    inbox: Inbox | None = None  # what eSputnik's webhook pushed
    # Recipients (as the call names them) the gate left out of this send, and why (a hard bounce,
    # an unsubscribe, a spam complaint the inbox knows of).
    held_back: Mapping[str, str] = field(default_factory=dict)


Handler = Callable[[InputT, ToolContext], Awaitable[Result[Any]]]


def tool(  # noqa: PLR0913 - keyword-only: one per fact a tool declares
    name: str,
    *,
    title: str,
    description: str,
    toolset: Toolset,
    kind: Kind,
    example: Mapping[str, Any],
    destructive: bool = False,
    idempotent: bool = True,
    open_world: bool = True,
    plan_send: Callable[[InputT, ToolContext], Awaitable[SendPlan | None]] | None = None,
    recipients_param: str | None = None,
    irreversible: Callable[[InputT], str | None] | None = None,
    target: Callable[[InputT], str] | None = None,
) -> Callable[[Handler[InputT]], ToolSpec]:
    """Declare the handler below as the tool ``name``. Its input and output models are read from the
    handler's annotations (``params: XInput`` and ``-> Result[XOutput]``), so they are named once.
    ``example`` is a plausible call on the sandbox's demo account."""

    def declare(handler: Handler[InputT]) -> ToolSpec:
        params, output = _models(handler)
        return ToolSpec(
            name=name,
            title=title,
            description=" ".join(description.split()),
            toolset=toolset,
            kind=kind,
            params=params,
            output=output,
            handler=handler,
            destructive=destructive,
            idempotent=idempotent,
            open_world=open_world,
            plan_send=plan_send,
            recipients_param=recipients_param,
            irreversible=irreversible,
            target=target,
            example=dict(example),
            module=handler.__module__,
        )

    return declare


def _models(handler: Callable[..., Any]) -> tuple[type[ToolInput], type[ToolOutput]]:
    hints = typing.get_type_hints(handler)
    first = next(iter(inspect.signature(handler).parameters))
    params, returned = hints.get(first), hints.get("return")
    output = typing.get_args(returned)[0] if typing.get_origin(returned) is Result else None
    if not (isinstance(params, type) and issubclass(params, ToolInput)):
        raise TypeError(f"{handler.__qualname__}: annotate its first parameter with the tool's input model")
    if not (isinstance(output, type) and issubclass(output, ToolOutput)):
        raise TypeError(f"{handler.__qualname__}: annotate its return as Result[<the tool's output model>]")
    return params, output
