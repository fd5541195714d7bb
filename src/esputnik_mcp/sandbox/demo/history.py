"""The demo account's past: what it sent over the last 60 days and what became of it.

Broadcasts of the newsletter to members of "Newsletter subscribers" and an SMS flash sale; trigger
sends (welcome letters to new contacts, order confirmations and SMS delivery notices for recent
orders, abandoned-cart reminders). Each message has the activity eSputnik would report for it:
DELIVERED, READ and CLICKED for many; UNDELIVERED for every address with ``bounce`` in it (a hard
bounce, as a send to such an address is in the sandbox) and for a few others (soft bounces, SMS
failures); two people unsubscribe from a newsletter and one reports it as spam (their addresses go
on the unsubscribed list). Only events before the load time are written: the past is complete.

Everything is drawn from a generator of its own, seeded from the demo's seed, so the rest of the demo
data does not change with it. The rates and timings are the sandbox's own.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from esputnik_mcp.sandbox.demo.content import (
    CAMPAIGNS,
    CART_EMAIL,
    CLICK_LINKS,
    DELIVERY_SMS,
    EMAIL_FROM,
    EMAIL_TEMPLATES,
    ORDER_EMAIL,
    SMS_FROM,
    SMS_TEMPLATES,
    SOFT_BOUNCE_DESCRIPTION,
    WELCOME_EMAIL,
    WELCOME_EMAIL_UK,
)
from esputnik_mcp.sandbox.domain import activity, messaging, timeline
from esputnik_mcp.sandbox.domain.timeline import CLICKED, DELIVERED, READ, SPAM, UNDELIVERED, UNSUBSCRIBED

if TYPE_CHECKING:
    from esputnik_mcp.sandbox.demo import DemoData

DAY = 86_400.0
HISTORY_DAYS = 60
NEWSLETTER_SEGMENT = 2001
WELCOMES, CONFIRMATIONS, CARTS, DELIVERY_NOTICES = 20, 30, 15, 15
SOFT_BOUNCE_RATE, SMS_FAILURE_RATE = 0.015, 0.03
BROADCAST_READ_RATE, TRIGGER_READ_RATE = 0.38, 0.62
CLICK_RATE = 0.25  # of those who read
UNSUBSCRIBE_FROM = (8101, 8102)  # one reader of each unsubscribes
SPAM_FROM = 8102  # one recipient reports it as spam

_TEMPLATES: dict[int, dict[str, Any]] = {t["id"]: t for t in (*EMAIL_TEMPLATES, *SMS_TEMPLATES)}
_TAGS = {template_id: json.dumps(t["tags"], ensure_ascii=False) for template_id, t in _TEMPLATES.items()}
# Each stored message is rendered once, with markers where the first name and the send's parameters
# go; each send then replaces the markers with its own values. The messages used here test no
# parameter's value (only whether it is given), so this is the text rendering each send would give.
_FIRST_NAME = "\x1efirstName\x1f"


def _marker(name: str) -> str:
    return f"\x1e{name}\x1f"


class Person(Protocol):
    """What the history needs of a demo contact."""

    @property
    def id(self) -> int: ...
    @property
    def first(self) -> str: ...
    @property
    def email(self) -> str | None: ...
    @property
    def phone(self) -> str | None: ...
    @property
    def created(self) -> float: ...
    @property
    def language(self) -> str: ...


@dataclass
class _Sent:
    """One past message: who got it where, and when it was delivered and read (None: it was not)."""

    request_id: str
    contact_id: int
    channel: str
    address: str
    delivered: float | None = None
    read: float | None = None


@dataclass
class _History:
    rng: random.Random
    data: DemoData
    now: float
    people: dict[int, Person]
    reachable: set[int] = field(default_factory=set)  # contacts an email can still go to
    instances: dict[tuple[int, int | None], int] = field(default_factory=dict)
    rendered: dict[tuple[int, str], str] = field(default_factory=dict)

    def instance(self, template_id: int, broadcast_id: int | None) -> int:
        """A broadcast's own message instance, or the one instance of the message's trigger sends."""
        key = (template_id, broadcast_id)
        if key not in self.instances:
            self.instances[key] = messaging.INSTANCE_BASE + len(self.data.instances) + 1
            self.data.instances.append((self.instances[key], template_id, broadcast_id))
        return self.instances[key]

    def render(self, template_id: int, part: str, person: Person, params: dict[str, Any]) -> str:
        text = self.rendered.get((template_id, part))
        if text is None:
            markers = {name: _marker(name) for name in params}
            source = _TEMPLATES[template_id][part]
            text = self.rendered[template_id, part] = messaging.render(source, {"firstName": _FIRST_NAME}, markers)
        text = text.replace(_FIRST_NAME, person.first)
        for name, value in params.items():
            text = text.replace(_marker(name), str(value))
        return text

    def request_id(self) -> str:
        """A version-4 UUID drawn from the history's generator."""
        digits = f"{self.rng.getrandbits(128):032x}"
        variant = "89ab"[int(digits[16], 16) & 3]
        return f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-{variant}{digits[17:20]}-{digits[20:]}"

    def event(
        self,
        sent: _Sent,
        status: str,
        at: float,
        *,
        hard: bool = False,
        description: str | None = None,
        link: str | None = None,
    ) -> None:
        """Add an event of the send, if it happened before the load time."""
        if at < self.now:
            channel = sent.channel
            self.data.activity.append(
                (
                    sent.request_id,
                    sent.contact_id,
                    channel,
                    sent.address,
                    status,
                    timeline.status_after(channel, status),
                    at,
                    int(hard),
                    description,
                    link,
                    None,
                )
            )

    def message(self, person: Person, template_id: int, sent_at: float, params: dict[str, Any], **ids: Any) -> _Sent:
        """Add the row of a send of stored message ``template_id``."""
        template = _TEMPLATES[template_id]
        channel = "email" if "htmlText" in template else "sms"
        locator = (person.email if channel == "email" else person.phone) or ""
        content = self.render(template_id, "htmlText" if channel == "email" else "text", person, params)
        broadcast_id = ids.get("broadcast_id")
        sent = _Sent(self.request_id(), person.id, channel, activity.address_key(channel, locator))
        self.data.messages.append(
            (
                sent.request_id,
                channel,
                person.id,
                locator,
                template_id,
                sent_at,
                timeline.fate(channel, locator),
                EMAIL_FROM if channel == "email" else SMS_FROM,
                self.render(template_id, "subject", person, params) if channel == "email" else None,
                content,
                _TAGS[template_id],
                ids.get("external_request_id"),
                template["languageCode"],
                0,
                1 if channel == "email" else messaging.sms_parts(content),
                template["name"],
                self.instance(template_id, broadcast_id),
                broadcast_id,
            )
        )
        return sent

    def send(self, person: Person, template_id: int, sent_at: float, params: dict[str, Any], **ids: Any) -> _Sent:
        """A past send and what became of it."""
        sent = self.message(person, template_id, sent_at, params, **ids)
        rng = self.rng
        if sent.channel == "sms":
            if timeline.fate("sms", sent.address) == timeline.BOUNCE or rng.random() < SMS_FAILURE_RATE:
                self.event(
                    sent, UNDELIVERED, sent_at + rng.uniform(20, 600), description=timeline.SMS_FAILURE_DESCRIPTION
                )
            else:
                sent.delivered = sent_at + rng.uniform(3, 60)
                self.event(sent, DELIVERED, sent.delivered)
            return sent
        if timeline.fate("email", sent.address) == timeline.BOUNCE:
            description = timeline.EMAIL_BOUNCE_DESCRIPTION.format(address=person.email)
            self.event(sent, UNDELIVERED, sent_at + rng.uniform(3, 20), hard=True, description=description)
            return sent
        if rng.random() < SOFT_BOUNCE_RATE:
            description = SOFT_BOUNCE_DESCRIPTION.format(address=person.email)
            self.event(sent, UNDELIVERED, sent_at + rng.uniform(3, 20), description=description)
            return sent
        sent.delivered = sent_at + rng.uniform(2, 40)
        self.event(sent, DELIVERED, sent.delivered)
        if rng.random() < (BROADCAST_READ_RATE if "broadcast_id" in ids else TRIGGER_READ_RATE):
            sent.read = sent.delivered + min(rng.expovariate(1 / 21_600), 5 * DAY)
            self.event(sent, READ, sent.read)
            links = CLICK_LINKS.get(template_id)
            if links and rng.random() < CLICK_RATE:
                self.event(sent, CLICKED, sent.read + rng.uniform(5, 900), link=rng.choice(links))
        return sent

    def leave(self, sent: _Sent, person: Person, status: str, at: float) -> None:
        """The person unsubscribes or complains: the event, and the address on the unsubscribed list."""
        self.event(sent, status, at)
        self.data.unsubscribed.append((person.email, at))
        self.reachable.discard(person.id)


def generate(seed: int, data: DemoData, people: list[Person], now: float) -> None:
    """Add the demo account's past sends and their activity to ``data``."""
    unsubscribed = {email for email, _ in data.unsubscribed}
    history = _History(
        rng=random.Random(f"history-{seed}"),  # noqa: S311 -- demo data, not secrets
        data=data,
        now=now,
        people={p.id: p for p in people},
        reachable={p.id for p in people if p.email and "bounce" not in p.email and p.email not in unsubscribed},
    )
    _campaigns(history, people)
    _welcomes(history, people)
    _orders(history)
    _carts(history, people)
    data.activity.sort(key=lambda row: float(row[6]))  # ids in time order


def _campaigns(history: _History, people: list[Person]) -> None:
    """The broadcasts, oldest first. Every address with ``bounce`` in it is in the first and, blocked
    after its hard bounce, in no other."""
    rng, now = history.rng, history.now
    members = [(c, joined) for s, c, joined in history.data.members if s == NEWSLETTER_SEGMENT]
    unsubscribed = {email for email, _ in history.data.unsubscribed}
    bouncing = [p for p in people if p.email and "bounce" in p.email and p.email not in unsubscribed]
    for number, (broadcast_id, template_id, days_ago, size) in enumerate(CAMPAIGNS):
        sent_at = now - days_ago * DAY
        if "htmlText" in _TEMPLATES[template_id]:
            ids = [c for c, joined in members if joined < sent_at and c in history.reachable]
            chosen = [history.people[c] for c in rng.sample(ids, min(size, len(ids)))]
            chosen += bouncing if number == 0 else []
        else:
            pool = [p for p in people if p.phone and p.created < sent_at]
            chosen = rng.sample(pool, min(size, len(pool)))
        sends = [
            (p, history.send(p, template_id, sent_at + index * 0.35, {}, broadcast_id=broadcast_id))
            for index, p in enumerate(chosen)
        ]
        _leavers(history, broadcast_id, sends)


def _leavers(history: _History, broadcast_id: int, sends: list[tuple[Person, _Sent]]) -> None:
    rng = history.rng
    if broadcast_id in UNSUBSCRIBE_FROM:
        readers = [(p, s) for p, s in sends if s.read is not None and s.read < history.now - DAY]
        if readers:
            person, sent = rng.choice(readers)
            history.leave(sent, person, UNSUBSCRIBED, (sent.read or 0) + rng.uniform(20, 240))
    if broadcast_id == SPAM_FROM:
        delivered = [(p, s) for p, s in sends if s.delivered is not None and p.id in history.reachable]
        if delivered:
            person, sent = rng.choice(delivered)
            history.leave(sent, person, SPAM, (sent.delivered or 0) + rng.uniform(3600, 72_000))


def _welcomes(history: _History, people: list[Person]) -> None:
    """The welcome letter a few minutes after a new contact joined."""
    rng, now = history.rng, history.now
    joined = [p for p in people if now - HISTORY_DAYS * DAY < p.created < now - 3600 and p.id in history.reachable]
    for person in rng.sample(joined, min(WELCOMES, len(joined))):
        template_id = WELCOME_EMAIL_UK if person.language == "uk" else WELCOME_EMAIL
        history.send(person, template_id, person.created + rng.uniform(30, 300), {})


def _orders(history: _History) -> None:
    """Order confirmations by email and, for delivered orders, a delivery notice by SMS."""
    rng, now = history.rng, history.now
    recent = [row for row in history.data.orders if row[3] > now - HISTORY_DAYS * DAY and row[1] in history.people]
    by_email = [row for row in recent if row[1] in history.reachable]
    for order_id, contact_id, _, ordered, body, _ in rng.sample(by_email, min(CONFIRMATIONS, len(by_email))):
        params = {"orderId": order_id, "total": json.loads(body)["totalCost"]}
        person = history.people[contact_id]
        history.send(person, ORDER_EMAIL, ordered + rng.uniform(20, 120), params, external_request_id=order_id)
    shipped = [row for row in recent if row[2] == "DELIVERED" and history.people[row[1]].phone]
    shipped = [row for row in shipped if row[3] + 2 * DAY < now]
    for order_id, contact_id, _, ordered, _, _ in rng.sample(shipped, min(DELIVERY_NOTICES, len(shipped))):
        params = {"orderId": order_id, "trackingUrl": f"https://lumen-home.example/track/{order_id.lower()}"}
        person = history.people[contact_id]
        history.send(person, DELIVERY_SMS, ordered + rng.uniform(1, 2) * DAY, params)


def _carts(history: _History, people: list[Person]) -> None:
    """Abandoned-cart reminders to a few people."""
    rng, now = history.rng, history.now
    reachable = [p for p in people if p.created < now - DAY and p.id in history.reachable]
    for person in rng.sample(reachable, min(CARTS, len(reachable))):
        start = max(person.created, now - HISTORY_DAYS * DAY)
        sent_at = start + rng.uniform(0.05, 0.95) * (now - 3600 - start)
        items = rng.randint(1, 4)
        params = {
            "itemsCount": items,
            "cartTotal": round(items * rng.uniform(189, 1349), 2),
            "currency": "UAH",
            "cartUrl": "https://lumen-home.example/cart",
        }
        history.send(person, CART_EMAIL, sent_at, params)
