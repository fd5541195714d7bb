"""What the demo account holds: its organisation and senders, custom fields, people's names by
locale, products, segments and stored messages of every channel (personalised with Velocity, as
eSputnik's are). :mod:`esputnik_mcp.sandbox.demo` builds the data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from esputnik_mcp.sandbox.defaults import DEMO_EMAIL_SENDER, DEMO_SMS_SENDER
from esputnik_mcp.sandbox.domain import account

# The account's default senders: the sandbox's suggested defaults of send_email and send_sms.
EMAIL_FROM = DEMO_EMAIL_SENDER
SMS_FROM = DEMO_SMS_SENDER
VIBER_FROM = "LumenHome"

ORGANISATION = account.Organisation(
    name="Lumen Home & Garden (sandbox)",
    user_email="owner@lumen-home.example",
    currency="UAH",
    balance=1250.0,
    credit_limit=200.0,
    bonus_emails=500,
    bonus_smses=20,
    reserved={"viber": [{"senderId": 301, "balance": 150.0, "senderName": VIBER_FROM}]},
    email_senders=(
        EMAIL_FROM,
        '"Lumen Home Orders" <orders@lumen-home.example>',
        '"Lumen Home Support" <support@lumen-home.example>',
    ),
    sms_senders=(SMS_FROM, "LumenSale"),
    viber_senders=(VIBER_FROM,),
)

# An account with no data still has the default senders, so the defaults work on either account.
BARE_ORGANISATION = account.Organisation(
    name="Sandbox organisation",
    user_email="sandbox@example.com",
    currency="UAH",
    balance=100.0,
    credit_limit=0.0,
    bonus_emails=0,
    bonus_smses=0,
    reserved={},
    email_senders=(EMAIL_FROM,),
    sms_senders=(SMS_FROM,),
    viber_senders=(VIBER_FROM,),
)
TIERS = ("Bronze", "Silver", "Gold", "Platinum")
INTEREST_VALUES = ("Garden", "Kitchen", "Lighting", "Textiles", "Furniture", "Decor")

ADDRESS_BOOK = (7001, "Lumen Home contacts")
FIELD_GROUPS = ((7101, "Personal", "personal"), (7102, "Loyalty", "loyalty"))
# id, group, name, key, type, possible values, min, max
FIELDS: tuple[tuple[int, int, str, str, str, tuple[str, ...], int | None, int | None], ...] = (
    (70001, 7101, "Birthday", "birthday", "DATE", (), None, None),
    (70002, 7101, "Gender", "gender", "COMBOBOX", ("female", "male", "other"), None, None),
    (70003, 7101, "City", "city", "TEXTFIELD", (), None, None),
    (70004, 7102, "Loyalty tier", "tier", "COMBOBOX", TIERS, None, None),
    (70005, 7102, "Bonus points", "points", "NUMBER", (), 0, 1_000_000),
    (70006, 7102, "Lifetime value", "ltv", "DECIMAL", (), None, None),
    (70007, 7102, "Interests", "interests", "CHECKBOXLIST", INTEREST_VALUES, None, None),
    (70008, 7102, "Last purchase", "lastPurchase", "DATETIME", (), None, None),
    (70009, 7102, "Notes", "notes", "TEXTAREA", (), None, None),
    (70010, 7102, "Tags", "tags", "TAGS", (), None, None),
)
BIRTHDAY, GENDER, CITY, TIER, POINTS, LTV, INTERESTS = 70001, 70002, 70003, 70004, 70005, 70006, 70007


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


def _locale(language: str, zones: str, weight: int, *, first: str, last: str, cities: str, phones: str) -> Locale:
    """A locale from compact text: names as ``Name=latin|…``, cities ``a, b``, phones ``+pfx:digits …``."""

    def pairs(text: str) -> tuple[tuple[str, str], ...]:
        return tuple((name, latin) for name, latin in (item.split("=") for item in text.split("|")))

    prefixes = tuple(p.split(":")[0] for p in phones.split())
    digits = int(phones.split()[0].split(":")[1])
    return Locale(
        language,
        tuple(zones.split()),
        weight,
        pairs(first),
        pairs(last),
        tuple(cities.split(", ")),
        prefixes,
        digits,
    )


LOCALES = (
    _locale(
        "uk",
        "Europe/Kyiv",
        40,
        first="Олена=olena|Тарас=taras|Наталія=natalia|Андрій=andrii|Оксана=oksana|Богдан=bohdan|Ірина=iryna"
        "|Дмитро=dmytro|Юлія=yulia|Остап=ostap|Ганна=hanna|Ярослав=yaroslav|Дарʼя=daria|Григорій=hryhorii"
        "|Соломія=solomiia|Євген=yevhen|Марія=maria|Іван=ivan|Катерина=kateryna|Ґалина=galyna",
        last="Шевченко=shevchenko|Коваленко=kovalenko|Бондаренко=bondarenko|Ткаченко=tkachenko|Кравченко=kravchenko"
        "|Олійник=oliinyk|Мельник=melnyk|Гнатюк=hnatiuk|Лисенко=lysenko|Савчук=savchuk|Петренко=petrenko"
        "|Бойко=boiko|Левченко=levchenko|Зінчук=zinchuk|Пʼятигорська=piatyhorska|Квітка-Основʼяненко=kvitka",
        cities="Київ, Львів, Одеса, Харків, Дніпро, Вінниця, Ужгород",
        phones="+38067:7 +38050:7 +38063:7 +38093:7 +38097:7 +38066:7 +38068:7",
    ),
    _locale(
        "en",
        "Europe/London Europe/Dublin America/New_York",
        14,
        first="Emma=emma|Oliver=oliver|Liam=liam|Charlotte=charlotte|Noah=noah|Amelia=amelia|Seán=sean|Zoë=zoe"
        "|Mary Jane=maryjane|Tom=tom",
        last="O'Connor=oconnor|Smith=smith|Taylor=taylor|Brown=brown|Williams=williams|Davies=davies"
        "|MacDonald=macdonald|Evans Jr.=evansjr",
        cities="London, Manchester, Dublin, New York",
        phones="+447700:6 +447911:6 +353861:6",
    ),
    _locale(
        "pl",
        "Europe/Warsaw",
        15,
        first="Łukasz=lukasz|Zofia=zofia|Małgorzata=malgorzata|Paweł=pawel|Agnieszka=agnieszka|Wojciech=wojciech"
        "|Katarzyna=katarzyna|Żaneta=zaneta|Michał=michal",
        last="Wójcik=wojcik|Kowalczyk=kowalczyk|Nowak=nowak|Lewandowska=lewandowska|Zieliński=zielinski"
        "|Szymańska=szymanska|Dąbrowski=dabrowski|Kamińska=kaminska",
        cities="Warszawa, Kraków, Wrocław, Gdańsk, Łódź",
        phones="+4850:7 +4860:7 +4879:7 +4888:7",
    ),
    _locale(
        "de",
        "Europe/Berlin Europe/Vienna",
        12,
        first="Jürgen=juergen|Anna-Lena=anna-lena|Günther=guenther|Lukas=lukas|Sophie=sophie|Maximilian=maximilian"
        "|Jörg=joerg|Björn=bjoern",
        last="Müller=mueller|Schröder=schroeder|Weiß=weiss|Fischer=fischer|Groß=gross|Schäfer=schaefer"
        "|Köhler=koehler|Müller-Lüdenscheidt=mueller-l",
        cities="Berlin, München, Köln, Hamburg, Wien",
        phones="+49151:7 +49160:7 +49172:7 +43664:7",
    ),
    _locale(
        "el",
        "Europe/Athens",
        8,
        first="Γιώργος=giorgos|Ελένη=eleni|Νίκος=nikos|Μαρία=maria|Δημήτρης=dimitris|Κατερίνα=katerina|Σοφία=sofia",
        last="Παπαδόπουλος=papadopoulos|Κωνσταντίνου=konstantinou|Γεωργίου=georgiou|Οικονόμου=oikonomou"
        "|Νικολάου=nikolaou",
        cities="Αθήνα, Θεσσαλονίκη, Πάτρα",
        phones="+30690:7 +30694:7 +30697:7",
    ),
    _locale(
        "es",
        "Europe/Madrid",
        6,
        first="José=jose|Iñigo=inigo|Lucía=lucia|Martín=martin|María José=mariajose",
        last="Núñez=nunez|García=garcia|Fernández=fernandez|López=lopez",
        cities="Madrid, Sevilla, Valencia",
        phones="+34612:6 +34655:6",
    ),
    _locale(
        "fr",
        "Europe/Paris",
        5,
        first="Émilie=emilie|Françoise=francoise|Noël=noel|Hélène=helene",
        last="Lefèvre=lefevre|Dubois=dubois|Moreau=moreau|D'Arcy=darcy",
        cities="Paris, Lyon, Marseille",
        phones="+33612:6 +33745:6",
    ),
)
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
            "<p>Thank you, $!{firstName}. Order ${data.orderId}, total $!data.get('total').</p>"
            "#if($data.deliveryDate)<p>Expected delivery: $data.deliveryDate.</p>#end"
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
        "htmlText": (
            '<p class="lead">Lanterns, planters and herbs for long summer evenings.</p>'
            "#if($data.tier == 'Gold' || $data.tier == 'Platinum')"
            "<p>$!{firstName}, as a $data.tier member you get free delivery all June.</p>#end"
        ),
        "css": ".lead { font-family: Georgia, serif; color: #2f4f2f; }",
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
        "text": "Your order ${data.orderId} is on its way.#if($data.trackingUrl) Track it: $data.trackingUrl#end",
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
VIBER_TEMPLATES: tuple[dict[str, Any], ...] = (
    {
        "id": 5001,
        "name": "Order shipped (Viber)",
        "languageCode": "en",
        "tags": ["order", "transactional"],
        "transactional": True,
        "text": "$!{firstName}, your order ${data.orderId} has been shipped.#if($data.trackingUrl)"
        " Track it: $data.trackingUrl#end",
        "ttlSec": 86400,
    },
    {
        "id": 5002,
        "name": "Weekend garden sale (Viber)",
        "languageCode": "en",
        "tags": ["promo"],
        "transactional": False,
        "text": "$!{firstName}, -25% on planters and seed kits this weekend only."
        " Use code $!data.get('promoCode') at checkout.",
        "img": "https://lumen-home.example/img/viber/garden-sale.jpg",
        "caption": "Shop the sale",
        "action": "https://lumen-home.example/sale?utm_source=viber",
        "ttlSec": 172800,
        "smsFallback": True,
        "smsSender": SMS_FROM,
        "smsContent": "Lumen Home: -25% on planters this weekend, code $!data.get('promoCode')."
        " lumen-home.example/sale",
    },
    {
        "id": 5003,
        "name": "Нагадування про кошик (Viber)",
        "languageCode": "uk",
        "tags": ["cart", "trigger"],
        "text": "$!{firstName}, у кошику чекають товари на $!data.get('cartTotal') грн. Оформіть замовлення,"
        " поки вони є в наявності.",
        "img": "https://lumen-home.example/img/viber/cart.jpg",
        "caption": "До кошика",
        "action": "$!data.get('cartUrl')",
        "ttlSec": 86400,
        "translations": [
            {
                "languageCode": "en",
                "text": "$!{firstName}, items worth $!data.get('cartTotal') UAH are waiting in your cart."
                " Check out before they sell out.",
                "caption": "Go to cart",
            }
        ],
    },
)
MOBILEPUSH_TEMPLATES: tuple[dict[str, Any], ...] = (
    {
        "id": 5101,
        "name": "Back in stock (push)",
        "languageCode": "en",
        "tags": ["trigger", "stock"],
        "title": "Back in stock: $!data.get('productName')",
        "text": "$!{firstName}, the item you wanted is available again#if($data.price) for ${data.price} UAH#end."
        " Grab it before it sells out.",
        "link": "lumenhome://product/$!data.get('sku')",
        "imageSource": "https://lumen-home.example/img/push/back-in-stock.png",
        "customData": '{"screen":"product","source":"back_in_stock"}',
        "ttlSec": 86400,
        "buttons": [
            {"actionId": "open_product", "label": "View", "link": "lumenhome://product/$!data.get('sku')"},
            {"actionId": "later", "label": "Later"},
        ],
        "soundEnabled": True,
    },
    {
        "id": 5102,
        "name": "Order delivered (push)",
        "languageCode": "en",
        "tags": ["order", "transactional"],
        "title": "Order ${data.orderId} delivered",
        "subtitle": "Lumen Home",
        "text": "Your parcel has arrived. How did we do? Rate your order in the app.",
        "link": "lumenhome://orders/${data.orderId}",
        "ttlSec": 3600,
        "badgeCount": 1,
    },
    {
        "id": 5103,
        "name": "Spring planting tips (push)",
        "languageCode": "en",
        "tags": ["content", "newsletter"],
        "title": "Spring planting starts now",
        "text": "Five herbs to plant this week, with step-by-step guides.",
        "link": "https://lumen-home.example/blog/spring-herbs",
        "images": [
            "https://lumen-home.example/img/push/herbs-1.jpg",
            "https://lumen-home.example/img/push/herbs-2.jpg",
            "https://lumen-home.example/img/push/herbs-3.jpg",
        ],
    },
)
APPINBOX_TEMPLATES: tuple[dict[str, Any], ...] = (
    {
        "id": 5201,
        "name": "Loyalty points update (inbox)",
        "languageCode": "en",
        "tags": ["loyalty"],
        "title": "You have $!data.get('points') bonus points",
        "text": "#if($data.tier == 'Gold' || $data.tier == 'Platinum')As a $data.tier member, your points never"
        " expire.#{else}Collect $!data.get('pointsToGold') more points to reach Gold.#end",
        "link": "lumenhome://loyalty",
        "imageSource": "https://lumen-home.example/img/inbox/loyalty.png",
        "ttlSec": 2592000,
    },
    {
        "id": 5202,
        "name": "Welcome to the app (inbox)",
        "languageCode": "en",
        "tags": ["welcome", "onboarding"],
        "title": "Welcome, $!{firstName}!",
        "text": "Here is 10% off your first order in the app: code $!data.get('promoCode').",
        "link": "lumenhome://catalogue",
        "customData": '{"promo":"APP10"}',
        "translations": [
            {
                "languageCode": "uk",
                "title": "Вітаємо, $!{firstName}!",
                "text": "Знижка 10% на перше замовлення в застосунку: код $!data.get('promoCode').",
            }
        ],
    },
)
TELEGRAM_TEMPLATES: tuple[dict[str, Any], ...] = (
    {
        "id": 5301,
        "name": "Order status (Telegram)",
        "languageCode": "en",
        "tags": ["order", "transactional"],
        "text": "Order ${data.orderId}: $!data.get('status').#if($data.trackingUrl)"
        " Track the parcel: $data.trackingUrl#end",
        "buttons": [{"text": "My orders", "link": "https://lumen-home.example/account/orders"}],
    },
    {
        "id": 5302,
        "name": "Новинки тижня (Telegram)",
        "languageCode": "uk",
        "tags": ["newsletter"],
        "text": "$!{firstName}, новинки тижня в Lumen Home: ліхтарі, пледи та насіння трав.",
        "imageSource": "https://lumen-home.example/img/tg/new-arrivals.jpg",
        "buttons": [
            {"text": "Дивитися", "link": "https://lumen-home.example/new"},
            {"text": "Кошик", "link": "https://lumen-home.example/cart"},
        ],
    },
)
SITE_EVENTS = ("pageViewed", "productViewed", "cartUpdated", "productAddedToWishlist", "searchRequest")

# The account's past sends (see demo.history). Broadcasts: broadcast id, stored message, days
# before the demo's load time, how many recipients.
CAMPAIGNS: tuple[tuple[int, int, float, int], ...] = (
    (8101, 3005, 52.3, 80),  # Newsletter: June garden picks
    (8102, 3005, 31.6, 80),
    (8103, 4003, 20.2, 40),  # SMS: Flash sale
    (8104, 3005, 9.4, 80),
)
# Stored messages sent by triggers, as the account's workflows would send them.
WELCOME_EMAIL, WELCOME_EMAIL_UK, CART_EMAIL, ORDER_EMAIL, DELIVERY_SMS = 3001, 3007, 3002, 3003, 4002
# The links people click in each stored message.
CLICK_LINKS: dict[int, tuple[str, ...]] = {
    3001: ("https://lumen-home.example/new-arrivals", "https://lumen-home.example/account"),
    3002: ("https://lumen-home.example/cart",),
    3003: ("https://lumen-home.example/account/orders",),
    3005: (
        "https://lumen-home.example/collections/summer-evenings",
        "https://lumen-home.example/p/sku-1001",
        "https://lumen-home.example/p/sku-1007",
        "https://lumen-home.example/p/sku-1006",
    ),
    3007: ("https://lumen-home.example/uk/new-arrivals",),
}
SOFT_BOUNCE_DESCRIPTION = "452 4.2.2 <{address}>: Mailbox full, try again later"
