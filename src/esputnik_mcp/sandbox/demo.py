"""Demo data: a made-up garden and home store's eSputnik account, generated deterministically.

Everything comes from one seeded ``random.Random`` and the load time (dates are relative to
it), so the same seed and time give the same data. Nothing is fetched. Addresses use the
reserved ``example`` domains; nothing in the sandbox is ever sent anywhere.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from esputnik_mcp.sandbox.domain import account, messaging
from esputnik_mcp.sandbox.rules import fold

if TYPE_CHECKING:
    from esputnik_mcp.sandbox.state import State

DEMO_SEED = 20250604
DEMO_CONTACTS = 3000
DAY = 86_400.0
KYIV = ZoneInfo("Europe/Kyiv")
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

ORGANISATION = account.Organisation(
    name="Lumen Home & Garden (sandbox)",
    user_email="owner@lumen-home.example",
    currency="UAH",
    balance=1250.0,
    credit_limit=200.0,
    bonus_emails=500,
    bonus_smses=20,
    reserved={"viber": [{"senderId": 301, "balance": 150.0, "senderName": "LumenHome"}]},
)

BARE_ORGANISATION = account.Organisation(
    name="Sandbox organisation",
    user_email="sandbox@example.com",
    currency="UAH",
    balance=100.0,
    credit_limit=0.0,
    bonus_emails=0,
    bonus_smses=0,
    reserved={},
)

ADDRESS_BOOK = (7001, "Lumen Home contacts")
FIELD_GROUPS = ((7101, "Personal", "personal"), (7102, "Loyalty", "loyalty"))
# id, group, name, key, type, possible values, min, max
FIELDS: tuple[tuple[int, int, str, str, str, tuple[str, ...], int | None, int | None], ...] = (
    (70001, 7101, "Birthday", "birthday", "DATE", (), None, None),
    (70002, 7101, "Gender", "gender", "COMBOBOX", ("female", "male", "other"), None, None),
    (70003, 7101, "City", "city", "TEXTFIELD", (), None, None),
    (70004, 7102, "Loyalty tier", "tier", "COMBOBOX", ("Bronze", "Silver", "Gold", "Platinum"), None, None),
    (70005, 7102, "Bonus points", "points", "NUMBER", (), 0, 1_000_000),
    (70006, 7102, "Lifetime value", "ltv", "DECIMAL", (), None, None),
    (
        70007,
        7102,
        "Interests",
        "interests",
        "CHECKBOXLIST",
        ("Garden", "Kitchen", "Lighting", "Textiles", "Furniture", "Decor"),
        None,
        None,
    ),
    (70008, 7102, "Last purchase", "lastPurchase", "DATETIME", (), None, None),
    (70009, 7102, "Notes", "notes", "TEXTAREA", (), None, None),
    (70010, 7102, "Tags", "tags", "TAGS", (), None, None),
)
BIRTHDAY, GENDER, CITY, TIER, POINTS, LTV, INTERESTS, LAST_PURCHASE = (
    70001,
    70002,
    70003,
    70004,
    70005,
    70006,
    70007,
    70008,
)


@dataclass(frozen=True)
class Locale:
    language: str
    zones: tuple[str, ...]
    weight: int
    first: tuple[tuple[str, str], ...]  # (name, Latin form for the email address)
    last: tuple[tuple[str, str], ...]
    cities: tuple[str, ...]
    phone_prefixes: tuple[str, ...]
    phone_digits: int  # digits after the prefix


LOCALES = (
    Locale(
        "uk",
        ("Europe/Kyiv",),
        40,
        (
            ("Олена", "olena"),
            ("Тарас", "taras"),
            ("Наталія", "natalia"),
            ("Андрій", "andrii"),
            ("Оксана", "oksana"),
            ("Богдан", "bohdan"),
            ("Ірина", "iryna"),
            ("Дмитро", "dmytro"),
            ("Юлія", "yulia"),
            ("Остап", "ostap"),
            ("Ганна", "hanna"),
            ("Ярослав", "yaroslav"),
            ("Дарʼя", "daria"),
            ("Григорій", "hryhorii"),
            ("Соломія", "solomiia"),
            ("Євген", "yevhen"),
            ("Марія", "maria"),
            ("Іван", "ivan"),
            ("Катерина", "kateryna"),
            ("Ґалина", "galyna"),
        ),
        (
            ("Шевченко", "shevchenko"),
            ("Коваленко", "kovalenko"),
            ("Бондаренко", "bondarenko"),
            ("Ткаченко", "tkachenko"),
            ("Кравченко", "kravchenko"),
            ("Олійник", "oliinyk"),
            ("Мельник", "melnyk"),
            ("Гнатюк", "hnatiuk"),
            ("Лисенко", "lysenko"),
            ("Савчук", "savchuk"),
            ("Петренко", "petrenko"),
            ("Бойко", "boiko"),
            ("Левченко", "levchenko"),
            ("Зінчук", "zinchuk"),
            ("Пʼятигорська", "piatyhorska"),
            ("Квітка-Основʼяненко", "kvitka"),
        ),
        ("Київ", "Львів", "Одеса", "Харків", "Дніпро", "Вінниця", "Ужгород"),
        ("+38067", "+38050", "+38063", "+38093", "+38097", "+38066", "+38068"),
        7,
    ),
    Locale(
        "en",
        ("Europe/London", "Europe/Dublin", "America/New_York"),
        14,
        (
            ("Emma", "emma"),
            ("Oliver", "oliver"),
            ("Liam", "liam"),
            ("Charlotte", "charlotte"),
            ("Noah", "noah"),
            ("Amelia", "amelia"),
            ("Seán", "sean"),
            ("Zoë", "zoe"),
            ("Mary Jane", "maryjane"),
            ("Tom", "tom"),
        ),
        (
            ("O'Connor", "oconnor"),
            ("Smith", "smith"),
            ("Taylor", "taylor"),
            ("Brown", "brown"),
            ("Williams", "williams"),
            ("Davies", "davies"),
            ("MacDonald", "macdonald"),
            ("Evans Jr.", "evansjr"),
        ),
        ("London", "Manchester", "Dublin", "New York"),
        ("+447700", "+447911", "+353861"),
        6,
    ),
    Locale(
        "pl",
        ("Europe/Warsaw",),
        15,
        (
            ("Łukasz", "lukasz"),
            ("Zofia", "zofia"),
            ("Małgorzata", "malgorzata"),
            ("Paweł", "pawel"),
            ("Agnieszka", "agnieszka"),
            ("Wojciech", "wojciech"),
            ("Katarzyna", "katarzyna"),
            ("Żaneta", "zaneta"),
            ("Michał", "michal"),
        ),
        (
            ("Wójcik", "wojcik"),
            ("Kowalczyk", "kowalczyk"),
            ("Nowak", "nowak"),
            ("Lewandowska", "lewandowska"),
            ("Zieliński", "zielinski"),
            ("Szymańska", "szymanska"),
            ("Dąbrowski", "dabrowski"),
            ("Kamińska", "kaminska"),
        ),
        ("Warszawa", "Kraków", "Wrocław", "Gdańsk", "Łódź"),
        ("+4850", "+4860", "+4879", "+4888"),
        7,
    ),
    Locale(
        "de",
        ("Europe/Berlin", "Europe/Vienna"),
        12,
        (
            ("Jürgen", "juergen"),
            ("Anna-Lena", "anna-lena"),
            ("Günther", "guenther"),
            ("Lukas", "lukas"),
            ("Sophie", "sophie"),
            ("Maximilian", "maximilian"),
            ("Jörg", "joerg"),
            ("Björn", "bjoern"),
        ),
        (
            ("Müller", "mueller"),
            ("Schröder", "schroeder"),
            ("Weiß", "weiss"),
            ("Fischer", "fischer"),
            ("Groß", "gross"),
            ("Schäfer", "schaefer"),
            ("Köhler", "koehler"),
            ("Müller-Lüdenscheidt", "mueller-l"),
        ),
        ("Berlin", "München", "Köln", "Hamburg", "Wien"),
        ("+49151", "+49160", "+49172", "+43664"),
        7,
    ),
    Locale(
        "el",
        ("Europe/Athens",),
        8,
        (
            ("Γιώργος", "giorgos"),
            ("Ελένη", "eleni"),
            ("Νίκος", "nikos"),
            ("Μαρία", "maria"),
            ("Δημήτρης", "dimitris"),
            ("Κατερίνα", "katerina"),
            ("Σοφία", "sofia"),
        ),
        (
            ("Παπαδόπουλος", "papadopoulos"),
            ("Κωνσταντίνου", "konstantinou"),
            ("Γεωργίου", "georgiou"),
            ("Οικονόμου", "oikonomou"),
            ("Νικολάου", "nikolaou"),
        ),
        ("Αθήνα", "Θεσσαλονίκη", "Πάτρα"),
        ("+30690", "+30694", "+30697"),
        7,
    ),
    Locale(
        "es",
        ("Europe/Madrid",),
        6,
        (
            ("José", "jose"),
            ("Iñigo", "inigo"),
            ("Lucía", "lucia"),
            ("Martín", "martin"),
            ("María José", "mariajose"),
        ),
        (("Núñez", "nunez"), ("García", "garcia"), ("Fernández", "fernandez"), ("López", "lopez")),
        ("Madrid", "Sevilla", "Valencia"),
        ("+34612", "+34655"),
        6,
    ),
    Locale(
        "fr",
        ("Europe/Paris",),
        5,
        (("Émilie", "emilie"), ("Françoise", "francoise"), ("Noël", "noel"), ("Hélène", "helene")),
        (("Lefèvre", "lefevre"), ("Dubois", "dubois"), ("Moreau", "moreau"), ("D'Arcy", "darcy")),
        ("Paris", "Lyon", "Marseille"),
        ("+33612", "+33745"),
        6,
    ),
)
_LOCALE_WEIGHTS = tuple(sum(loc.weight for loc in LOCALES[: i + 1]) for i in range(len(LOCALES)))
TIERS = ("Bronze", "Silver", "Gold", "Platinum")
_INTEREST_VALUES = ("Garden", "Kitchen", "Lighting", "Textiles", "Furniture", "Decor")
_BIRTHDAY_BASE = date(1955, 1, 1).toordinal()
_FOLDS: dict[str, str] = {}


def _fold(name: str) -> str:
    folded = _FOLDS.get(name)
    if folded is None:
        folded = _FOLDS[name] = name.casefold()
    return folded


EMAIL_DOMAINS = ("example.com", "example.net", "example.org", "mail.example", "post.example")

PRODUCTS = (
    ("SKU-1001", "Solar garden lantern", "Lighting", 449.0),
    ("SKU-1002", "Linen tablecloth", "Textiles", 899.0),
    ("SKU-1003", "Ceramic planter, 30 cm", "Garden", 359.0),
    ("SKU-1004", "Cast-iron skillet", "Kitchen", 1199.0),
    ("SKU-1005", "Rattan armchair", "Furniture", 4999.0),
    ("SKU-1006", "Herb seed kit", "Garden", 189.0),
    ("SKU-1007", "String lights, 10 m", "Lighting", 529.0),
    ("SKU-1008", "Wool throw blanket", "Textiles", 1349.0),
    ("SKU-1009", "Olive wood cutting board", "Kitchen", 649.0),
    ("SKU-1010", "Brass candle holder", "Decor", 299.0),
)
ORDER_STATUSES = (
    ("DELIVERED", 65),
    ("IN_PROGRESS", 10),
    ("ABANDONED_SHOPPING_CART", 10),
    ("CANCELLED", 8),
    ("INITIALIZED", 7),
)

STATIC_SEGMENTS = (
    (2001, "Newsletter subscribers"),
    (2002, "VIP customers"),
    (2003, "Kyiv showroom visitors"),
    (2004, "Webinar: Spring planting 2025"),
    (2005, "Internal test recipients"),
    (2006, "Wholesale partners"),
)
DYNAMIC_SEGMENTS: tuple[tuple[int, str, dict[str, Any]], ...] = (
    (2101, "Gold and Platinum tier", {"field": TIER, "in": ["Gold", "Platinum"]}),
    (2102, "Ukrainian speakers", {"language": "uk"}),
    (2103, "Bought in the last 30 days", {"orderedWithinDays": 30}),
    (2104, "Polish speakers", {"language": "pl"}),
    (2105, "Addresses at example.org", {"emailDomain": "example.org"}),
)

EMAIL_FROM = '"Lumen Home" <news@lumen-home.example>'
EMAIL_TEMPLATES: tuple[dict[str, Any], ...] = (
    {
        "id": 3001,
        "name": "Welcome: first letter",
        "languageCode": "en",
        "tags": ["welcome", "onboarding"],
        "subject": "Welcome to Lumen Home, $!{firstName}!",
        "htmlText": "<h1>Hello $!{firstName}!</h1><p>Thanks for joining Lumen Home &amp; Garden.</p>",
    },
    {
        "id": 3002,
        "name": "Abandoned cart reminder",
        "languageCode": "en",
        "tags": ["cart", "trigger"],
        "languages": ["uk"],
        "subject": "You left $!data.get('itemsCount') items in your cart",
        "htmlText": (
            "<p>Hi $!{firstName}, your cart worth $!data.get('cartTotal') $!data.get('currency') is waiting."
            " <a href=\"$!data.get('cartUrl')\">Return to your cart</a></p>"
        ),
        "translations": [
            {
                "languageCode": "uk",
                "subject": "У вашому кошику $!data.get('itemsCount') товари",
                "htmlText": (
                    "<p>Вітаємо, $!{firstName}! Кошик на $!data.get('cartTotal') $!data.get('currency')"
                    " чекає."
                    " <a href=\"$!data.get('cartUrl')\">Повернутися до кошика</a></p>"
                ),
            }
        ],
    },
    {
        "id": 3003,
        "name": "Order confirmation",
        "languageCode": "en",
        "tags": ["order", "transactional"],
        "subject": "Order $!data.get('orderId') confirmed",
        "htmlText": (
            "<p>Thank you, $!{firstName}. Order $!data.get('orderId'), total $!data.get('total').</p>"
        ),
    },
    {
        "id": 3004,
        "name": "Birthday discount",
        "languageCode": "en",
        "tags": ["birthday", "promo"],
        "subject": "Happy birthday, $!{firstName}!",
        "htmlText": "<p>A gift for you: code <b>$!data.get('promoCode')</b> for 15% off.</p>",
    },
    {
        "id": 3005,
        "name": "Newsletter: June garden picks",
        "languageCode": "en",
        "tags": ["newsletter"],
        "subject": "June garden picks",
        "htmlText": "<p>Lanterns, planters and herbs for long summer evenings.</p>",
    },
    {
        "id": 3006,
        "name": "Password reset",
        "languageCode": "en",
        "tags": ["transactional", "account"],
        "subject": "Reset your password",
        "htmlText": (
            "<p><a href=\"$!data.get('resetLink')\">Choose a new password</a>; the link works for 1 hour.</p>"
        ),
    },
    {
        "id": 3007,
        "name": "Вітальний лист",
        "languageCode": "uk",
        "tags": ["welcome"],
        "subject": "Вітаємо в Lumen Home, $!{firstName}!",
        "htmlText": "<p>Дякуємо, що приєдналися до Lumen Home &amp; Garden.</p>",
    },
)
SMS_TEMPLATES: tuple[dict[str, Any], ...] = (
    {
        "id": 4001,
        "name": "Verification code",
        "languageCode": "en",
        "tags": ["otp", "transactional"],
        "text": "Lumen Home: your code is $!data.get('code'). It expires in 10 minutes.",
    },
    {
        "id": 4002,
        "name": "Delivery notice",
        "languageCode": "en",
        "tags": ["order"],
        "text": "Your order $!data.get('orderId') is on its way. Track it: $!data.get('trackingUrl')",
    },
    {
        "id": 4003,
        "name": "Flash sale",
        "languageCode": "en",
        "tags": ["promo"],
        "text": "$!{firstName}, -20% on garden lights until Sunday: lumen-home.example/sale",
    },
    {
        "id": 4004,
        "name": "Cart reminder",
        "languageCode": "uk",
        "tags": ["cart", "trigger"],
        "text": "Ви залишили товари на $!data.get('cartTotal') грн у кошику: $!data.get('cartUrl')",
    },
)
SITE_EVENTS = ("pageViewed", "productViewed", "cartUpdated", "productAddedToWishlist", "searchRequest")


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
    return data


def _person(rng: random.Random, data: DemoData, index: int, now: float) -> _Person:
    r = rng.random

    def pick(options: tuple[Any, ...]) -> Any:
        return options[int(r() * len(options))]

    locale: Locale = rng.choices(LOCALES, cum_weights=_LOCALE_WEIGHTS)[0]
    contact_id = 100_001 + index
    first, first_latin = pick(locale.first)
    last, last_latin = pick(locale.last)
    created = now - (1 + 729 * r()) * DAY
    updated = created + (now - 60 - created) * r()
    email = phone = None
    roll = r()
    if roll < 0.85:
        local = f"{first_latin}.{last_latin}{index}"
        if r() < 0.005:
            local = "bounce." + local
        email = f"{local}@{pick(EMAIL_DOMAINS)}"
    phone_digits = None
    if roll > 0.3 or email is None:
        prefix = pick(locale.phone_prefixes)
        number = f"{int(r() * 10**locale.phone_digits):0{locale.phone_digits}d}"
        phone, phone_digits = prefix + number, prefix[1:] + number
    external_id = f"CUST-{200_000 + index}" if r() < 0.6 else None
    tier = rng.choices(TIERS, cum_weights=(50, 80, 95, 100))[0] if r() < 0.8 else None
    city = pick(locale.cities) if r() < 0.7 else None
    status = "NEED_CONFIRMATION" if r() < 0.03 else "CONFIRMED"
    data.contacts.append(
        (
            contact_id,
            first,
            last,
            _fold(first),
            _fold(last),
            external_id,
            None,
            locale.language,
            pick(locale.zones),
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
    position = 0
    if email:
        data.channels.append((contact_id, position, "email", email, email.lower(), None))
        position += 1
    if phone:
        data.channels.append((contact_id, position, "sms", phone, phone_digits, None))
        position += 1
    if r() < 0.04:
        token = f"{rng.getrandbits(256):064x}"
        device = {
            "device": {
                "appId": "5b7e0c2a-3d1f-4e8b-9a60-2c4d8e1f0a11",
                "deviceModel": pick(("Pixel 8", "iPhone 15", "Galaxy S23")),
                "os": pick(("android", "ios")),
                "locale": f"{locale.language}_{locale.language.upper()}",
                "clientVersion": "native",
                "appVersion": "2.4.1",
                "active": True,
            }
        }
        data.channels.append((contact_id, position, "mobilepush", token, token, _encode(device)))
    values = data.field_values
    if r() < 0.5:
        values.append(
            (contact_id, BIRTHDAY, date.fromordinal(_BIRTHDAY_BASE + int(r() * 18_250)).isoformat())
        )
    if r() < 0.6:
        values.append((contact_id, GENDER, pick(("female", "male", "other"))))
    if city:
        values.append((contact_id, CITY, city))
    if tier:
        values.append((contact_id, TIER, tier))
        values.append((contact_id, POINTS, str(int(r() * 25_000))))
    if r() < 0.5:
        values.append((contact_id, LTV, f"{100 + r() * 59_900:.2f}"))
    if r() < 0.4:
        picks = rng.sample(_INTEREST_VALUES, 1 + int(r() * 3))
        values.append((contact_id, INTERESTS, ",".join(picks)))
    return _Person(contact_id, locale, created, email, phone, external_id, tier, city)


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
    for number in range(min(2000, len(buyers) * 2)):
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
    for _ in range(min(3000, len(people))):
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
            "INSERT INTO channels (contact_id, position, type, value, norm, extra_json)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            data.channels,
        )
        conn.executemany(
            "INSERT INTO field_values (contact_id, field_id, value) VALUES (?, ?, ?)", data.field_values
        )
        conn.executemany(
            "INSERT INTO members (segment_id, contact_id, joined_at) VALUES (?, ?, ?)", data.members
        )
        conn.executemany("INSERT INTO unsubscribed (email, added_at) VALUES (?, ?)", data.unsubscribed)
        conn.executemany(
            "INSERT INTO orders (external_order_id, contact_id, status, ordered_at, body_json, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            data.orders,
        )
        conn.executemany(
            "INSERT INTO events (type_key, contact_id, params_json, occurred_at, source)"
            " VALUES (?, ?, ?, ?, ?)",
            data.events,
        )
        for body in EMAIL_TEMPLATES:
            messaging.add_template(state, "email", {**body, "from": EMAIL_FROM})
        for body in SMS_TEMPLATES:
            messaging.add_template(state, "sms", {**body, "from": "LumenHome"})


def load_bare(state: State) -> None:
    """An account with no data: no contacts, catalogue, segments or templates."""
    with state.write():
        account.setup(state, BARE_ORGANISATION)
