"""Demo data: a made-up garden and home store's eSputnik account, generated deterministically.

Everything comes from one seeded ``random.Random`` and the load time (dates are relative to
it), so the same seed and time give the same data. Nothing is fetched. Addresses use the
reserved ``example`` domains; nothing in the sandbox is ever sent anywhere. The content
(names, products, segments, messages) is in :mod:`esputnik_mcp.sandbox.demo.content`.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from esputnik_mcp.sandbox.demo import campaigns, commerce, history
from esputnik_mcp.sandbox.demo.content import (
    ADDRESS_BOOK,
    APPINBOX_TEMPLATES,
    BARE_ORGANISATION,
    BIRTHDAY,
    CITY,
    DYNAMIC_SEGMENTS,
    EMAIL_DOMAINS,
    EMAIL_FROM,
    EMAIL_TEMPLATES,
    FIELD_GROUPS,
    FIELDS,
    GENDER,
    INTEREST_VALUES,
    INTERESTS,
    LOCALES,
    LTV,
    MOBILEPUSH_TEMPLATES,
    ORDER_STATUSES,
    ORGANISATION,
    POINTS,
    PRODUCTS,
    SITE_EVENTS,
    SMS_FROM,
    SMS_TEMPLATES,
    STATIC_SEGMENTS,
    TELEGRAM_TEMPLATES,
    TIER,
    TIERS,
    VIBER_FROM,
    VIBER_TEMPLATES,
    Locale,
)
from esputnik_mcp.sandbox.domain import account, messaging
from esputnik_mcp.sandbox.rules import fold

if TYPE_CHECKING:
    from esputnik_mcp.sandbox.state import State

DEMO_SEED = 20250604
DEMO_CONTACTS = 3000
# Addresses of the default demo account (DEMO_SEED, DEMO_CONTACTS) with a known past
# (:mod:`esputnik_mcp.sandbox.demo.history`): a hard bounce in the first newsletter (a send to it
# bounces again), and an unsubscribe from that newsletter (the address is on the unsubscribed list).
DEMO_BOUNCED_EMAIL = "bounce.ivan.kvitka55@example.net"
DEMO_UNSUBSCRIBED_EMAIL = "tom.oconnor307@example.com"
DEMO_ORDERS = 1500
DEMO_SITE_EVENTS = 2000
DAY = 86_400.0
KYIV = ZoneInfo("Europe/Kyiv")
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_LOCALE_WEIGHTS = tuple(sum(loc.weight for loc in LOCALES[: i + 1]) for i in range(len(LOCALES)))
_BIRTHDAY_BASE = date(1955, 1, 1).toordinal()
_FOLDS: dict[str, str] = {}


def _fold(name: str) -> str:
    folded = _FOLDS.get(name)
    if folded is None:
        folded = _FOLDS[name] = name.casefold()
    return folded


@dataclass
class DemoData:
    """Rows for each table, ready to insert."""

    contacts: list[tuple[Any, ...]] = field(default_factory=list)
    channels: list[tuple[Any, ...]] = field(default_factory=list)
    field_values: list[tuple[Any, ...]] = field(default_factory=list)
    members: list[tuple[Any, ...]] = field(default_factory=list)
    unsubscribed: list[tuple[Any, ...]] = field(default_factory=list)
    orders: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    messages: list[tuple[Any, ...]] = field(default_factory=list)
    instances: list[tuple[Any, ...]] = field(default_factory=list)
    activity: list[tuple[Any, ...]] = field(default_factory=list)


@dataclass
class _Person:
    id: int
    locale: Locale
    created: float
    email: str | None
    phone: str | None
    external_id: str | None
    tier: str | None
    city: str | None
    first: str

    @property
    def language(self) -> str:
        return self.locale.language


def generate(seed: int = DEMO_SEED, now: float = 0.0, contacts: int = DEMO_CONTACTS) -> DemoData:
    """The demo rows for ``seed``, with dates relative to ``now``."""
    rng = random.Random(seed)  # noqa: S311 -- demo data, not secrets
    data = DemoData()
    people = [_person(rng, data, index, now) for index in range(contacts)]
    _segments(rng, data, people, now)
    _orders_and_events(rng, data, people, now)
    with_email = [p for p in people if p.email]
    for person in rng.sample(with_email, len(with_email) // 50):
        data.unsubscribed.append((person.email, now - rng.uniform(0, 90) * DAY))
    history.generate(seed, data, list(people), now)
    return data


def _pick(rng: random.Random, options: tuple[Any, ...]) -> Any:
    """One of ``options``, drawn with a single ``rng.random()`` so the sequence of draws stays fixed."""
    return options[int(rng.random() * len(options))]


def _person(rng: random.Random, data: DemoData, index: int, now: float) -> _Person:
    """One contact with its channels and custom field values. The draws from ``rng`` happen in a
    fixed order (the helpers are called in it), which is what keeps the demo data reproducible."""
    r = rng.random
    locale: Locale = rng.choices(LOCALES, cum_weights=_LOCALE_WEIGHTS)[0]
    first, first_latin = _pick(rng, locale.first)
    last, last_latin = _pick(rng, locale.last)
    created = now - (1 + 729 * r()) * DAY
    updated = created + (now - 60 - created) * r()
    email, phone = _email_and_phone(rng, locale, f"{first_latin}.{last_latin}{index}")
    external_id = f"CUST-{200_000 + index}" if r() < 0.6 else None
    tier = rng.choices(TIERS, cum_weights=(50, 80, 95, 100))[0] if r() < 0.8 else None
    city = _pick(rng, locale.cities) if r() < 0.7 else None
    person = _Person(100_001 + index, locale, created, email, phone, external_id, tier, city, first)
    status = "NEED_CONFIRMATION" if r() < 0.03 else "CONFIRMED"
    zone = _pick(rng, locale.zones)
    data.contacts.append(
        (
            person.id,
            first,
            last,
            _fold(first),
            _fold(last),
            external_id,
            None,
            locale.language,
            zone,
            ADDRESS_BOOK[0],
            None,
            city,
            None,
            None,
            status,
            0,
            created,
            updated,
        )
    )
    _add_channels(rng, data, person)
    _add_field_values(rng, data, person)
    return person


def _email_and_phone(rng: random.Random, locale: Locale, local: str) -> tuple[str | None, str | None]:
    """Most people have an email address, many a phone number, everyone at least one of them."""
    email = phone = None
    roll = rng.random()
    if roll < 0.85:
        if rng.random() < 0.005:
            local = "bounce." + local
        email = f"{local}@{_pick(rng, EMAIL_DOMAINS)}"
    if roll > 0.3 or email is None:
        prefix = _pick(rng, locale.phone_prefixes)
        phone = prefix + f"{int(rng.random() * 10**locale.phone_digits):0{locale.phone_digits}d}"
    return email, phone


def _add_channels(rng: random.Random, data: DemoData, person: _Person) -> None:
    """The person's email and sms channels, and for a few a mobile push device."""
    contact_id, locale = person.id, person.locale
    position = 0
    if person.email:
        data.channels.append((contact_id, position, "email", person.email, person.email.lower(), None))
        position += 1
    if person.phone:
        # Every prefix starts with "+", so the digits matching compares are the rest of the number.
        data.channels.append((contact_id, position, "sms", person.phone, person.phone[1:], None))
        position += 1
    if rng.random() < 0.04:
        token = f"{rng.getrandbits(256):064x}"
        device = {
            "device": {
                "appId": "5b7e0c2a-3d1f-4e8b-9a60-2c4d8e1f0a11",
                "deviceModel": _pick(rng, ("Pixel 8", "iPhone 15", "Galaxy S23")),
                "os": _pick(rng, ("android", "ios")),
                "locale": f"{locale.language}_{locale.language.upper()}",
                "clientVersion": "native",
                "appVersion": "2.4.1",
                "active": True,
            }
        }
        data.channels.append((contact_id, position, "mobilepush", token, token, _encode(device)))


def _add_field_values(rng: random.Random, data: DemoData, person: _Person) -> None:
    """The person's custom field values; city and tier follow the contact's own."""
    r = rng.random
    contact_id = person.id
    values = data.field_values
    if r() < 0.5:
        values.append((contact_id, BIRTHDAY, date.fromordinal(_BIRTHDAY_BASE + int(r() * 18_250)).isoformat()))
    if r() < 0.6:
        values.append((contact_id, GENDER, _pick(rng, ("female", "male", "other"))))
    if person.city:
        values.append((contact_id, CITY, person.city))
    if person.tier:
        values.append((contact_id, TIER, person.tier))
        values.append((contact_id, POINTS, str(int(r() * 25_000))))
    if r() < 0.5:
        values.append((contact_id, LTV, f"{100 + r() * 59_900:.2f}"))
    if r() < 0.4:
        picks = rng.sample(INTEREST_VALUES, 1 + int(r() * 3))
        values.append((contact_id, INTERESTS, ",".join(picks)))


def _segments(rng: random.Random, data: DemoData, people: list[_Person], now: float) -> None:
    def join(segment_id: int, chosen: list[_Person]) -> None:
        data.members += [(segment_id, p.id, rng.uniform(p.created, now)) for p in chosen]

    join(2001, [p for p in people if p.email and rng.random() < 0.55])
    join(2002, [p for p in people if p.tier in ("Gold", "Platinum") and rng.random() < 0.7])
    join(2003, [p for p in people if p.city == "Київ" and rng.random() < 0.6])
    join(2004, rng.sample(people, min(120, len(people))))
    join(2005, [p for p in people[:40] if p.email][:5])
    join(2006, rng.sample(people, min(40, len(people))))


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, KYIV).isoformat(timespec="seconds")


def _orders_and_events(rng: random.Random, data: DemoData, people: list[_Person], now: float) -> None:
    buyers = [p for p in people if p.external_id or p.email]
    statuses = [s for s, _ in ORDER_STATUSES]
    weights = [sum(w for _, w in ORDER_STATUSES[: i + 1]) for i in range(len(ORDER_STATUSES))]
    for number in range(min(DEMO_ORDERS, len(buyers) * 2)):
        buyer = rng.choice(buyers)
        ordered = rng.uniform(max(buyer.created, now - 180 * DAY), now - 600)
        status = rng.choices(statuses, cum_weights=weights)[0]
        items: list[dict[str, Any]] = []
        for product in rng.sample(PRODUCTS, rng.randint(1, 3)):
            sku, name, category, cost = product
            items.append(
                {
                    "externalItemId": sku,
                    "name": name,
                    "category": category,
                    "quantity": float(rng.randint(1, 3)),
                    "cost": cost,
                    "url": f"https://lumen-home.example/p/{sku.lower()}",
                }
            )
        total = round(sum(i["cost"] * i["quantity"] for i in items), 2)
        order: dict[str, Any] = {
            "externalOrderId": f"ORD-{500_000 + number}",
            "totalCost": total,
            "status": status,
            "date": _iso(ordered),
            "currency": "UAH",
        }
        if buyer.external_id:
            order["externalCustomerId"] = buyer.external_id
        if buyer.email:
            order["email"] = buyer.email
        order["items"] = items
        data.orders.append((order["externalOrderId"], buyer.id, status, ordered, _encode(order), ordered))
        params = [
            {"name": "eventKey", "value": order["externalOrderId"]},
            {"name": "orderId", "value": order["externalOrderId"]},
            {
                "name": "externalCustomerId" if buyer.external_id else "email",
                "value": buyer.external_id or buyer.email,
            },
            {"name": "status", "value": status},
            {"name": "totalCost", "value": total},
            {"name": "currency", "value": "UAH"},
        ]
        data.events.append((f"order{status}", buyer.id, _encode(params), ordered, "order"))
    for _ in range(min(DEMO_SITE_EVENTS, len(people))):
        person = rng.choice(people)
        key = rng.choice(SITE_EVENTS)
        identifier = (
            {"name": "externalCustomerId", "value": person.external_id}
            if person.external_id
            else {"name": "email", "value": person.email}
            if person.email
            else {"name": "phone", "value": person.phone}
        )
        sku = rng.choice(PRODUCTS)[0]
        params = [identifier, {"name": "productId", "value": sku}]
        moment = rng.uniform(max(person.created, now - 60 * DAY), now - 60)
        data.events.append((key, person.id, _encode(params), moment, "api"))


def load(state: State, seed: int = DEMO_SEED, contacts: int = DEMO_CONTACTS) -> None:
    """Fill an empty sandbox database with the demo account."""
    now = state.now()
    data = generate(seed, now, contacts)
    conn = state.conn
    with state.write():
        account.setup(state, ORGANISATION)
        conn.execute("INSERT INTO address_books (id, name) VALUES (?, ?)", ADDRESS_BOOK)
        conn.executemany(
            "INSERT INTO field_groups (id, address_book_id, name, profile_key) VALUES (?, ?, ?, ?)",
            [(gid, ADDRESS_BOOK[0], name, key) for gid, name, key in FIELD_GROUPS],
        )
        conn.executemany(
            "INSERT INTO fields (id, group_id, name, field_key, type, possible_json, min_value, max_value)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    fid,
                    gid,
                    name,
                    key,
                    kind,
                    json.dumps(list(values), ensure_ascii=False) if values else None,
                    low,
                    high,
                )
                for fid, gid, name, key, kind, values, low, high in FIELDS
            ],
        )
        conn.executemany(
            "INSERT INTO segments (id, name, name_fold, type, condition_json) VALUES (?, ?, ?, ?, ?)",
            [(sid, name, fold(name), "Static", None) for sid, name in STATIC_SEGMENTS]
            + [(sid, name, fold(name), "Dynamic", json.dumps(cond)) for sid, name, cond in DYNAMIC_SEGMENTS],
        )
        conn.executemany(
            "INSERT INTO contacts (id, first_name, last_name, first_fold, last_fold, external_customer_id,"
            " contact_key, language_code, time_zone, address_book_id, region, town, address, postcode,"
            " email_status, deleted, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            data.contacts,
        )
        conn.executemany(
            "INSERT INTO channels (contact_id, position, type, value, norm, extra_json) VALUES (?, ?, ?, ?, ?, ?)",
            data.channels,
        )
        conn.executemany("INSERT INTO field_values (contact_id, field_id, value) VALUES (?, ?, ?)", data.field_values)
        conn.executemany("INSERT INTO members (segment_id, contact_id, joined_at) VALUES (?, ?, ?)", data.members)
        conn.executemany("INSERT INTO unsubscribed (email, added_at) VALUES (?, ?)", data.unsubscribed)
        conn.executemany(
            "INSERT INTO orders (external_order_id, contact_id, status, ordered_at, body_json, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            data.orders,
        )
        conn.executemany(
            "INSERT INTO events (type_key, contact_id, params_json, occurred_at, source) VALUES (?, ?, ?, ?, ?)",
            data.events,
        )
        conn.executemany(
            "INSERT INTO messages (request_id, channel, contact_id, locator, template_id, sent_at, outcome, sender,"
            " subject, content, tags_json, external_request_id, language_code, cost_minor, parts, message_name,"
            " instance_id, broadcast_id, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'demo')",
            data.messages,
        )
        conn.executemany(
            "INSERT INTO message_instances (id, template_id, broadcast_id) VALUES (?, ?, ?)", data.instances
        )
        conn.executemany(
            "INSERT INTO activity (request_id, contact_id, channel, address, status, message_status, at, hard_bounce,"
            " status_description, click_link, subscriptions_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            data.activity,
        )
        for body in EMAIL_TEMPLATES:
            messaging.add_template(state, "email", {**body, "from": EMAIL_FROM})
        for body in SMS_TEMPLATES:
            messaging.add_template(state, "sms", {**body, "from": SMS_FROM})
        for body in VIBER_TEMPLATES:
            messaging.add_template(state, "viber", {**body, "from": VIBER_FROM})
        for body in MOBILEPUSH_TEMPLATES:
            messaging.add_template(state, "mobilepush", body)
        for body in APPINBOX_TEMPLATES:
            messaging.add_template(state, "appinbox", body)
        for body in TELEGRAM_TEMPLATES:
            messaging.add_template(state, "telegram", body)
        commerce.load(state, seed)
        campaigns.load(state, now)


def load_bare(state: State) -> None:
    """An account with no data: no contacts, catalogue, segments or templates."""
    with state.write():
        account.setup(state, BARE_ORGANISATION)
