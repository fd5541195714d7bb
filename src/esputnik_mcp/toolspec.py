"""The neutral description of a tool: what it is, what it does to the world, and — for sends — to
whom. The server registers tools from it, the safety layer decides on it, the tools declare it.

It imports nothing of the project, so that every layer may read it without pulling in another.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel


class Kind(enum.Enum):
    """What a tool does to the world; the policy and the annotations follow from it."""

    READ = "read"
    WRITE = "write"
    SEND = "send"  # reaches people: email, SMS, push …


class Toolset(enum.StrEnum):
    """Groups of tools a server can be limited to; the order is the order tools are listed in."""

    CONTACTS = "contacts"
    SEGMENTS = "segments"
    MESSAGING = "messaging"
    CAMPAIGNS = "campaigns"  # broadcasts and workflows
    EVENTS = "events"
    ORDERS = "orders"
    COMMERCE = "commerce"  # promo codes, product feeds, recommendations
    ACCOUNT = "account"
    ACTIVITY = "activity"


@dataclass(frozen=True)
class SegmentAudience:
    """A segment a send goes to, with its member count as resolved before the send."""

    id: int
    name: str | None = None
    members: int | None = None  # None: eSputnik did not say

    @property
    def label(self) -> str:
        return f"segment:{self.id}"

    def describe(self) -> str:
        name = f"{self.name} " if self.name else ""
        count = f"{self.members} members" if self.members is not None else "member count unknown"
        return f"segment {name}({self.id}, {count})"


@dataclass(frozen=True)
class Audience:
    """Who a send reaches: recipients named one by one, or segments with their member counts (less
    the members of excluded segments, which are not subtracted from the count: it is an upper bound).

    ``known_as`` maps a recipient as the call named it (``contact:123``) to the address eSputnik
    knows it by on the channel (``olena@example.com``), where that was looked up: the ledger and the
    allowlist see one person however the call named them.
    """

    recipients: tuple[str, ...] = ()  # as named in the call: an address, a phone, "contact:123", "external:C-1"
    segments: tuple[SegmentAudience, ...] = ()
    excluded: tuple[SegmentAudience, ...] = ()
    known_as: Mapping[str, str] = field(default_factory=dict)

    @property
    def size(self) -> int | None:
        """How many people it may reach at most; None when a segment's size is unknown."""
        counts = [s.members for s in self.segments]
        if any(c is None for c in counts):
            return None
        return len(self.recipients) + sum(c for c in counts if c is not None)

    def address_of(self, recipient: str) -> str:
        """The recipient as eSputnik knows it (its address when looked up), lower-cased."""
        return self.known_as.get(recipient, recipient).strip().lower()

    @property
    def labels(self) -> tuple[str, ...]:
        """One label per addressee the duplicate ledger tracks: each recipient, each segment."""
        return self.recipients + tuple(s.label for s in self.segments)

    def describe(self) -> str:
        parts = []
        if self.recipients:
            count = len(self.recipients)
            parts.append(f"{count} recipient{'s' * (count != 1)}")
        parts += [s.describe() for s in self.segments]
        text = " and ".join(parts) or "nobody"
        if self.excluded:
            text += " except " + ", ".join(s.describe() for s in self.excluded)
        return text


@dataclass(frozen=True)
class Sample:
    """The message as one recipient will get it, rendered with their own parameters."""

    recipient: str  # name and address, as the person approving should recognise them
    subject: str | None = None
    html: str | None = None
    text: str | None = None
    sms_parts: int | None = None
    unresolved: tuple[str, ...] = ()  # template variables left without a value


@dataclass(frozen=True)
class Rendering:
    """What will go out, for the person approving it: shown in the token answer, the form and the
    approval page alike."""

    channel: str
    sender: str | None = None
    subject: str | None = None
    message: str | None = None  # a stored message: its id and name
    samples: tuple[Sample, ...] = ()
    recipients: tuple[str, ...] = ()  # the first few, with names where known
    count: int | None = None
    sms_encoding: str | None = None
    sms_parts_total: int | None = None
    balance: str | None = None
    warnings: tuple[str, ...] = ()


# Renders what will go out to an audience: the plan's, less the recipients the gate holds back.
Render = Callable[["Audience"], Awaitable[Rendering]]


@dataclass(frozen=True)
class SendPlan:
    """What a call is about to send, known before anything leaves.

    The safety layer reads it for the recipient cap, the allowlist, the duplicate-send ledger and
    the preview the person confirming sees. ``indirect`` marks a write that reaches people through
    what eSputnik does with it (an event, a subscription, an order's workflow): the allowlist and,
    with ``ledger``, the duplicate ledger apply; the recipient cap and the confirmation are for sends.
    """

    channel: str  # email, sms, viber, mobilepush, webpush, telegram, appinbox; or "event"
    audience: Audience
    content: str  # what is sent, for a person to recognise: the subject, or the template id
    content_key: str  # identifies the content exactly: "template:42", or a hash of sender, subject and body
    message_key: str = ""  # identifies the message whatever its body: the template, or sender and subject
    indirect: bool = False
    ledger: bool = True
    # What will go out, rendered for the person approving; asked only when someone is asked.
    render: Render | None = field(default=None, compare=False)
    # Recipients left out of the send (as the call named them) and why: the webhook inbox shows them
    # hard-bounced, unsubscribed or marked spam on the channel. They are not in ``audience``.
    held_back: Mapping[str, str] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return self.message_key or self.content_key


Handler = Callable[[Any, Any], Awaitable[Any]]
PlanSend = Callable[[Any, Any], Awaitable[SendPlan | None]]

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class ToolSpec:
    """One tool. ``kind`` decides read-only and the safety policy; ``destructive`` and ``idempotent``
    matter for writes (reads are neither destructive nor repeat-sensitive; sends are both).

    ``description`` may name settings in braces, e.g. ``{max_recipients}``: the server fills in the
    values in force, so that the model reads the limits that apply.
    """

    name: str
    title: str
    description: str
    toolset: Toolset
    kind: Kind
    params: type[BaseModel]
    output: type[BaseModel]
    handler: Handler
    destructive: bool = False
    idempotent: bool = True
    open_world: bool = True  # False only for tools that touch nothing outside this server
    # What the call sends, from its arguments and the tool context: required for SEND tools; a write
    # that reaches people indirectly (events, subscriptions, orders) declares it too, and may answer
    # None when these arguments reach nobody.
    plan_send: PlanSend | None = None
    # The parameter that lists a send's recipients one by one: its published maxItems is the cap.
    recipients_param: str | None = None
    # Irreversible writes: a sentence describing what these arguments would destroy, or None when
    # these arguments are not irreversible (e.g. delete_contact without erase).
    irreversible: Callable[[Any], str | None] | None = None
    # Writes: what these arguments change, for the audit log (ids and action, never an address).
    target: Callable[[Any], str] | None = None
    # A plausible call on the sandbox's demo account: documentation, and what tests that must cover
    # every tool call it with.
    example: Mapping[str, Any] = field(default_factory=dict, compare=False)
    module: str = field(default="", compare=False)  # where it is defined, for the catalogue's order

    @property
    def read_only(self) -> bool:
        return self.kind is Kind.READ

    @property
    def destructive_hint(self) -> bool:
        return {Kind.READ: False, Kind.SEND: True, Kind.WRITE: self.destructive}[self.kind]

    @property
    def idempotent_hint(self) -> bool:
        return {Kind.READ: True, Kind.SEND: False, Kind.WRITE: self.idempotent}[self.kind]

    def describe(self, values: Mapping[str, object]) -> str:
        """The description with ``{setting}`` placeholders filled in from ``values``."""
        return fill_in(self.description, values)


def fill_in(description: str, values: Mapping[str, object]) -> str:
    """``description`` with its ``{setting}`` placeholders filled in from ``values`` (unknown ones kept)."""
    return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), description)
