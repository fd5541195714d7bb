"""What happens to a sent message, and when: one timeline per channel and fate.

Each step is a moment after the send, the status ``/v1/message/status`` reports from then on
(esputnik-api.md §7.6) and, when the step is something eSputnik reports as activity, the activity
status it brings (§13.1, §16). Both views come from this one table: a send writes the activity
steps as events (:func:`esputnik_mcp.sandbox.domain.activity.materialise`), and the status-only
steps (``IN_QUEUE``, ``PENDING``) are read from here.

Email goes ``IN_QUEUE`` → ``DELIVERED`` (+5 s) → ``READ`` (+60 s); SMS ``IN_QUEUE`` → ``PENDING``
(+2 s) → ``DELIVERED`` (+10 s); Viber the same, then ``READ`` (+60 s); mobile push ``SENT`` at once,
then ``DELIVERED`` (+2 s); App Inbox ``DELIVERED`` (+2 s); Telegram ``DELIVERED`` at once.
Deterministic failures: an email address containing ``bounce`` is a hard bounce (``UNDELIVERED``);
a phone number ending in ``000`` ends ``SMS_UNDELIVERED_STATE`` (``VIBER_UNDELIVERED_STATE`` for
Viber); a Telegram chat id ending in ``000`` is ``BOT_SEND_ERROR``; a message the account cannot pay
for is ``NO_MONEY``. Each failure is an ``UNDELIVERED`` event with a ``statusDescription``.

The status names by channel are the reference's (§7.6; mobile push and App Inbox have none there,
so theirs are the email ones); ``SENT`` as mobile push's own activity status is §16's. The timings,
the failure rules and the failure descriptions are the sandbox's own.
"""

from __future__ import annotations

from dataclasses import dataclass

from esputnik_mcp.sandbox import rules

SENT, BOUNCE, NO_MONEY = "sent", "bounce", "no_money"

EMAIL_DELIVERED_AFTER = 5.0
EMAIL_READ_AFTER = 60.0
SMS_PENDING_AFTER = 2.0
SMS_DELIVERED_AFTER = 10.0
VIBER_READ_AFTER = 60.0
PUSH_DELIVERED_AFTER = 2.0

# Activity statuses (§13.1, §16). SENT is pushed by the webhook only (§16: "mobile push only").
DELIVERED, UNDELIVERED, READ, CLICKED = "DELIVERED", "UNDELIVERED", "READ", "CLICKED"
UNSUBSCRIBED, SPAM, SUBSCRIPTION_CHANGED, PUSH_SENT = "UNSUBSCRIBED", "SPAM", "SUBSCRIPTION_CHANGED", "SENT"
ACTIONS = (CLICKED, UNSUBSCRIBED, SPAM, SUBSCRIPTION_CHANGED)
"""What a person does with a message they received (§13.1 activityStatus)."""

# The /v1/message/status names of each channel (§7.6).
_EMAIL_STATUSES = frozenset(
    {
        "IN_QUEUE",
        "DELIVERED",
        "UNDELIVERED",
        "BLACKLISTED",
        "NOT_CONFIRMED",
        "UNSUBSCRIBED",
        "SPAM",
        "READ",
        "CLICKED",
        "NO_MONEY",
        "ERROR",
    }
)
STATUS_NAMES: dict[str, frozenset[str]] = {
    "email": _EMAIL_STATUSES,
    "sms": frozenset({"IN_QUEUE", "PENDING", "DELIVERED", "SMS_UNDELIVERED_STATE", "EXPIRED", "NO_MONEY"}),
    "viber": frozenset(
        {
            "IN_QUEUE",
            "PENDING",
            "DELIVERED",
            "READ",
            "CLICKED",
            "VIBER_UNKNOWN_USER",
            "VIBER_UNDELIVERED_STATE",
            "VIBER_EXPIRED_STATE",
            "NO_MONEY",
        }
    ),
    "telegram": frozenset({"DELIVERED", "BOT_SEND_ERROR", "CLICKED"}),
    "mobilepush": _EMAIL_STATUSES,
    "appinbox": _EMAIL_STATUSES,
}
# Statuses that mean the message reached the person, and those that mean it never will (§7.6:
# ``delivered`` and ``failed``).
DELIVERED_STATUSES = frozenset({"DELIVERED", "READ", "CLICKED", "UNSUBSCRIBED", "SPAM"})
FAILED_STATUSES = frozenset(
    {
        "UNDELIVERED",
        "BLACKLISTED",
        "NOT_CONFIRMED",
        "NO_MONEY",
        "ERROR",
        "SMS_UNDELIVERED_STATE",
        "EXPIRED",
        "VIBER_UNKNOWN_USER",
        "VIBER_UNDELIVERED_STATE",
        "VIBER_EXPIRED_STATE",
        "BOT_SEND_ERROR",
    }
)


@dataclass(frozen=True)
class Step:
    """From ``after`` seconds past the send, the message's status is ``status``; ``activity`` is the
    activity event that moment brings, if any. An ``UNDELIVERED`` step carries its
    ``statusDescription`` (``{address}`` is filled in) and whether it is a hard bounce."""

    after: float
    status: str
    activity: str | None = None
    description: str | None = None
    hard_bounce: bool = False


EMAIL_BOUNCE_DESCRIPTION = "550 5.1.1 <{address}>: Recipient address rejected: User unknown in virtual mailbox table"
SMS_FAILURE_DESCRIPTION = "UNDELIV: the operator could not deliver the message to the subscriber"
VIBER_FAILURE_DESCRIPTION = "Viber: the message could not be delivered to the user"
TELEGRAM_FAILURE_DESCRIPTION = "Forbidden: bot was blocked by the user"
NO_MONEY_DESCRIPTION = "Not enough money on the account balance to send the message"

_QUEUED = Step(0.0, "IN_QUEUE")
_PENDING = Step(SMS_PENDING_AFTER, "PENDING")

TIMELINES: dict[tuple[str, str], tuple[Step, ...]] = {
    ("email", SENT): (
        _QUEUED,
        Step(EMAIL_DELIVERED_AFTER, "DELIVERED", DELIVERED),
        Step(EMAIL_READ_AFTER, "READ", READ),
    ),
    ("email", BOUNCE): (
        _QUEUED,
        Step(EMAIL_DELIVERED_AFTER, "UNDELIVERED", UNDELIVERED, EMAIL_BOUNCE_DESCRIPTION, hard_bounce=True),
    ),
    ("sms", SENT): (_QUEUED, _PENDING, Step(SMS_DELIVERED_AFTER, "DELIVERED", DELIVERED)),
    ("sms", BOUNCE): (
        _QUEUED,
        _PENDING,
        Step(SMS_DELIVERED_AFTER, "SMS_UNDELIVERED_STATE", UNDELIVERED, SMS_FAILURE_DESCRIPTION),
    ),
    ("viber", SENT): (
        _QUEUED,
        _PENDING,
        Step(SMS_DELIVERED_AFTER, "DELIVERED", DELIVERED),
        Step(VIBER_READ_AFTER, "READ", READ),
    ),
    ("viber", BOUNCE): (
        _QUEUED,
        _PENDING,
        Step(SMS_DELIVERED_AFTER, "VIBER_UNDELIVERED_STATE", UNDELIVERED, VIBER_FAILURE_DESCRIPTION),
    ),
    ("mobilepush", SENT): (Step(0.0, "IN_QUEUE", PUSH_SENT), Step(PUSH_DELIVERED_AFTER, "DELIVERED", DELIVERED)),
    ("appinbox", SENT): (_QUEUED, Step(PUSH_DELIVERED_AFTER, "DELIVERED", DELIVERED)),
    ("telegram", SENT): (Step(0.0, "DELIVERED", DELIVERED),),
    ("telegram", BOUNCE): (Step(0.0, "BOT_SEND_ERROR", UNDELIVERED, TELEGRAM_FAILURE_DESCRIPTION),),
}
_NO_MONEY = (Step(0.0, "NO_MONEY", UNDELIVERED, NO_MONEY_DESCRIPTION),)


def fate(channel: str, locator: str) -> str:
    """Whether a message to ``locator`` will arrive (:data:`SENT`) or fail (:data:`BOUNCE`)."""
    if channel == "email":
        return BOUNCE if "bounce" in locator.lower() else SENT
    if channel in ("sms", "viber"):
        return BOUNCE if (rules.normal_phone(locator) or "").endswith("000") else SENT
    if channel == "telegram":
        return BOUNCE if locator.strip().endswith("000") else SENT
    return SENT


def timeline(channel: str, outcome: str) -> tuple[Step, ...]:
    """The steps of a message on ``channel`` whose fate is ``outcome``."""
    if outcome == NO_MONEY:
        return _NO_MONEY
    return TIMELINES.get((channel, outcome)) or TIMELINES[(channel, SENT)]


def flags(status: str) -> tuple[bool, bool]:
    """(delivered, failed) of a /v1/message/status status."""
    return status in DELIVERED_STATUSES, status in FAILED_STATUSES


def status_of(channel: str, outcome: str, elapsed: float) -> tuple[str, bool, bool]:
    """(status, delivered, failed) of a message ``elapsed`` seconds after it was sent, by its
    timeline alone (what a person did with it is not counted here)."""
    current = timeline(channel, outcome)[0]
    for step in timeline(channel, outcome):
        if step.after <= elapsed:
            current = step
    return (current.status, *flags(current.status))


_FAILURE_STATUSES = {"sms": "SMS_UNDELIVERED_STATE", "viber": "VIBER_UNDELIVERED_STATE", "telegram": "BOT_SEND_ERROR"}


def status_after(channel: str, activity: str) -> str | None:
    """The /v1/message/status status an activity event gives a message on ``channel``, or None when
    the status stays as it was. UNDELIVERED is the channel's failure status (as in its timeline) and
    mobile push's SENT leaves it queued; any other event gives its own name where the channel's
    statuses have it (§7.6: email has READ, CLICKED, UNSUBSCRIBED and SPAM; Viber READ and CLICKED;
    Telegram CLICKED; SMS none of them)."""
    if activity == UNDELIVERED:
        return _FAILURE_STATUSES.get(channel, "UNDELIVERED")
    if activity == PUSH_SENT:
        return "IN_QUEUE"
    return activity if activity in STATUS_NAMES.get(channel, frozenset()) else None
