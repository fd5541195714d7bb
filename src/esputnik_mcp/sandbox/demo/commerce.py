"""The demo account's subscription categories (and who receives each), promo codes, product feeds,
catalogue and recommendation data sources, and 180 days of billing history.

Loaded after the rest of the demo data, which it reads (contacts, the newsletter segment, the past
messages), from a generator of its own seeded from the demo's seed, so the rest does not change
with it. Names, rates, prices and amounts are the sandbox's own.
"""

from __future__ import annotations

import random
import string
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from esputnik_mcp.sandbox.demo.content import PRODUCTS
from esputnik_mcp.sandbox.domain import billing, products, promocodes, subscriptions, timeline
from esputnik_mcp.sandbox.domain.account import EMAIL_PRICE_MINOR, SMS_PART_PRICE_MINOR, VIBER_PRICE_MINOR

if TYPE_CHECKING:
    from esputnik_mcp.sandbox.state import State

DAY = 86_400.0
NEWSLETTER_SEGMENT = 2001

CATEGORIES = (
    subscriptions.Category(301, "news", "News and articles"),
    subscriptions.Category(302, "sales", "Sales and promotions"),
    subscriptions.Category(303, "new-arrivals", "New arrivals"),
)
# Of the newsletter's members, of the contacts with an email address, and of those again.
NEWS_RATE, SALES_RATE, ARRIVALS_RATE = 0.9, 0.35, 0.15

FEEDS = (
    products.Feed("https://lumen-home.example/feeds/products-uk.xml", "uk", True),
    products.Feed("https://lumen-home.example/feeds/products-en.xml", "en", False),
)

_BRANDS = {"Garden": "GreenNook", "Lighting": "Lumen Home", "Textiles": "Len & Co", "Kitchen": "Hearth"}
_MATERIALS = {
    "SKU-1001": "metal",
    "SKU-1002": "linen",
    "SKU-1003": "ceramic",
    "SKU-1004": "cast iron",
    "SKU-1005": "rattan",
    "SKU-1008": "wool",
    "SKU-1009": "olive wood",
    "SKU-1010": "brass",
}
# Products in the feed that no demo order holds; the pendant lamp is out of stock.
_MORE_PRODUCTS = (
    ("SKU-1011", "Garden hose reel", "Garden", 1549.0, True),
    ("SKU-1012", "Rattan pendant lamp", "Lighting", 1899.0, False),
    ("SKU-1013", "Stoneware dinner set", "Kitchen", 2399.0, True),
    ("SKU-1014", "Linen cushion cover", "Textiles", 399.0, True),
    ("SKU-1015", "Teak garden bench", "Furniture", 7999.0, True),
    ("SKU-1016", "Scented soy candle", "Decor", 249.0, True),
)
DATA_SOURCES = (
    products.DataSource(1401, "Personal recommendations", "personal", 4),
    products.DataSource(1402, "Bestsellers", "bestsellers", 4),
    products.DataSource(1403, "Also bought", "also_bought", 4),
    products.DataSource(1404, "Popular in category", "category", 4),
)

# Promo codes: prefix, type, discount, days until expiry (negative: expired), how many, how many used.
PROMO_BATCHES = (
    ("SPRING10", "spring-sale", 10, 30, 40, 12),
    ("WELCOME15", "welcome", 15, 90, 25, 5),
    ("WINTER20", "winter-sale", 20, -10, 15, 9),
)

BILLING_DAYS = 180
MONTHLY_BONUS_EMAILS, MONTHLY_BONUS_SMS = 200, 20


def catalogue() -> list[products.Product]:
    """The demo catalogue: the products the demo orders hold, and a few more."""
    rows = [(sku, name, category, price, True) for sku, name, category, price in PRODUCTS] + list(_MORE_PRODUCTS)
    return [
        products.Product(
            id=sku,
            name=name,
            category=category,
            price=price,
            url=f"https://lumen-home.example/p/{sku.lower()}",
            brand=_BRANDS.get(category, "Lumen Home"),
            descr=f"{name} from the Lumen Home {category.lower()} collection.",
            in_stock=in_stock,
            tags={"material": _MATERIALS[sku]} if sku in _MATERIALS else {},
        )
        for sku, name, category, price, in_stock in rows
    ]


def load(state: State, seed: int) -> None:
    """Add it all to the demo account (inside the demo load's transaction)."""
    rng = random.Random(f"{seed}-commerce")  # noqa: S311 -- demo data, not secrets
    now = state.now()
    for category in CATEGORIES:
        subscriptions.add(state, category, now - rng.uniform(300, 420) * DAY)
    _subscribe_contacts(state, rng)
    products.set_feeds(state, FEEDS)
    products.add_products(state, catalogue())
    products.add_data_sources(state, DATA_SOURCES)
    _promo_codes(state, rng, now)
    billing.add_days(state, _billing(state, rng, now))


def _subscribe_contacts(state: State, rng: random.Random) -> None:
    conn = state.conn
    newsletter = {
        row[0] for row in conn.execute("SELECT contact_id FROM members WHERE segment_id = ?", (NEWSLETTER_SEGMENT,))
    }
    with_email = [row[0] for row in conn.execute("SELECT DISTINCT contact_id FROM channels WHERE type = 'email'")]
    rows = []
    for contact_id in sorted(with_email):
        if contact_id in newsletter and rng.random() < NEWS_RATE:
            rows.append((contact_id, "news"))
        if rng.random() < SALES_RATE:
            rows.append((contact_id, "sales"))
            if rng.random() < ARRIVALS_RATE / SALES_RATE:
                rows.append((contact_id, "new-arrivals"))
    conn.executemany("INSERT OR IGNORE INTO contact_subscriptions (contact_id, key) VALUES (?, ?)", rows)


def _promo_codes(state: State, rng: random.Random, now: float) -> None:
    alphabet = string.ascii_uppercase + string.digits
    for prefix, kind, discount, days, count, used in PROMO_BATCHES:
        moment = datetime.fromtimestamp(now + days * DAY, promocodes.ACCOUNT_ZONE).replace(hour=23, minute=59)
        codes = [f"{prefix}-{''.join(rng.choices(alphabet, k=6))}" for _ in range(count)]
        expiry = moment.strftime("%Y-%m-%dT%H:%M")
        for chunk, in_use in ((codes[:used], True), (codes[used:], False)):
            promocodes.upload(state, promocodes.Upload(chunk, expiry, discount, kind, in_use))


def _billing(state: State, rng: random.Random, now: float) -> dict[tuple[str, str], billing.Costs]:
    """Each day before today: the demo's past messages where it has them, made-up sends before them;
    prepaid emails and SMS received on the 1st of each month and used first; SMS refunded when
    undelivered; Viber campaigns paid from the sender's reserved funds."""
    today = billing.day_of(now)
    first_day = today - timedelta(days=BILLING_DAYS)
    sent = _past_messages(state, first_day, today)
    history_start = min((day for day, _ in sent), default=today)
    days: dict[tuple[str, str], billing.Costs] = {}
    bonus = {"email": 0, "sms": 0}
    day = first_day
    while day < today:
        if day.day == 1 or day == first_day:
            bonus = {"email": MONTHLY_BONUS_EMAILS, "sms": MONTHLY_BONUS_SMS}
            days[(day.isoformat(), "email")] = billing.Costs(bonus_received=MONTHLY_BONUS_EMAILS)
            days[(day.isoformat(), "sms")] = billing.Costs(bonus_received=MONTHLY_BONUS_SMS)
        made_up = day < history_start
        for channel in ("email", "sms"):
            count, parts, failed = sent.get((day, channel)) or (_made_up(rng, day, channel) if made_up else (0, 0, 0))
            if not count:
                continue
            price = EMAIL_PRICE_MINOR if channel == "email" else SMS_PART_PRICE_MINOR
            from_bonus = min(bonus[channel], parts)
            bonus[channel] -= from_bonus
            costs = days.setdefault((day.isoformat(), channel), billing.Costs())
            costs.add(
                billing.Costs(
                    total_sent=count,
                    total_parts=parts,
                    bonus_spent=from_bonus,
                    funds_withdrawal=(parts - from_bonus) * price,
                    funds_refund=failed * price if channel == "sms" else 0,
                )
            )
        if day.weekday() == 3 and rng.random() < 0.5:  # now and then, a Viber campaign on a Thursday
            count = rng.randint(20, 60)
            failed = rng.randint(0, count // 10)
            days[(day.isoformat(), "viber")] = billing.Costs(
                total_sent=count,
                total_parts=count,
                reserved_funds_withdrawal=count * VIBER_PRICE_MINOR,
                reserved_funds_refund=failed * VIBER_PRICE_MINOR,
            )
        day += timedelta(days=1)
    return days


def _past_messages(state: State, first_day: date, today: date) -> dict[tuple[date, str], tuple[int, int, int]]:
    """(day, channel) → messages, parts, and SMS parts undelivered, of the demo's past sends."""
    found: dict[tuple[date, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    rows = state.conn.execute("SELECT channel, sent_at, parts, outcome FROM messages WHERE source = 'demo'")
    for row in rows:
        day = billing.day_of(row["sent_at"])
        if not first_day <= day < today or row["channel"] not in ("email", "sms"):
            continue
        counts = found[(day, row["channel"])]
        counts[0] += 1
        counts[1] += row["parts"]
        counts[2] += row["parts"] if row["outcome"] == timeline.BOUNCE else 0
    return {key: (a, b, c) for key, (a, b, c) in found.items()}


def _made_up(rng: random.Random, day: date, channel: str) -> tuple[int, int, int]:
    """A day's sends before the demo's message history: trigger emails every day, a newsletter on
    some Tuesdays, a few SMS."""
    if channel == "email":
        count = rng.randint(2, 9) + (rng.randint(70, 90) if day.weekday() == 1 and rng.random() < 0.4 else 0)
        return count, count, 0
    count = rng.randint(0, 4)
    parts = sum(rng.choice((1, 1, 2)) for _ in range(count))
    return count, parts, parts if rng.random() < 0.05 else 0
