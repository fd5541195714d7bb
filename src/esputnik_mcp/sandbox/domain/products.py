"""Product feeds, the product catalogue they would load, and recommendations from it
(esputnik-api.md §15.2, §15.3).

eSputnik builds recommendations from the feed and from web tracking with algorithms it does not
publish; each data source runs one algorithm. The sandbox's data sources run simple stand-ins over
its catalogue and the orders (its own rules, stated on each): ``personal``, ``bestsellers``,
``also_bought`` (needs ``products``) and ``category`` (needs ``category``).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from esputnik_mcp.sandbox.wire import bad_request, not_found

if TYPE_CHECKING:
    from esputnik_mcp.sandbox.state import State

Algorithm = Literal["personal", "bestsellers", "also_bought", "category"]
# Orders that count as bought (the sandbox's own): not cancelled and not an abandoned cart.
_BOUGHT = "status NOT IN ('CANCELLED', 'ABANDONED_SHOPPING_CART')"


@dataclass(frozen=True)
class Product:
    id: str
    name: str
    category: str
    price: float
    url: str
    brand: str
    descr: str
    in_stock: bool = True
    tags: dict[str, str] = field(default_factory=dict)  # the feed's own fields, sent as tags_<name>


@dataclass(frozen=True)
class DataSource:
    id: int
    name: str
    algorithm: Algorithm
    size: int  # how many products it recommends (set on the data source: DOC recommendations guide)


@dataclass(frozen=True)
class Feed:
    url: str
    language: str | None = None
    default: bool | None = None


# --- feeds -------------------------------------------------------------------------------------


def feeds_json(state: State) -> dict[str, Any]:
    """SPEC ProductFeeds: ``{feeds: [{url, language, default}]}``; an empty list when none is set
    (the sandbox's own)."""
    rows = state.conn.execute("SELECT * FROM product_feeds ORDER BY position").fetchall()
    feeds = []
    for row in rows:
        feed: dict[str, Any] = {"url": row["url"]}
        if row["language"] is not None:
            feed["language"] = row["language"]
        if row["is_default"] is not None:
            feed["default"] = bool(row["is_default"])
        feeds.append(feed)
    return {"feeds": feeds}


def set_feeds(state: State, feeds: Sequence[Feed]) -> None:
    """Replace the configuration (SPEC configureProductFeeds takes the whole ProductFeeds). Refusing a
    feed without an http(s) URL, or two defaults, with 400 is the sandbox's own."""
    for index, feed in enumerate(feeds):
        if not feed.url.strip().lower().startswith(("http://", "https://")):
            raise bad_request(f"feeds[{index}].url must be an http or https URL; got {feed.url!r}")
    if sum(1 for feed in feeds if feed.default) > 1:
        raise bad_request("Only one product feed can be the default")
    state.conn.execute("DELETE FROM product_feeds")
    state.conn.executemany(
        "INSERT INTO product_feeds (position, url, language, is_default) VALUES (?, ?, ?, ?)",
        [
            (index, feed.url.strip(), feed.language, None if feed.default is None else int(feed.default))
            for index, feed in enumerate(feeds)
        ],
    )


# --- the catalogue and data sources ------------------------------------------------------------


def add_products(state: State, products: Sequence[Product]) -> None:
    state.conn.executemany(
        "INSERT INTO products (id, name, category, price, url, brand, descr, in_stock, tags_json)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                p.id,
                p.name,
                p.category,
                p.price,
                p.url,
                p.brand,
                p.descr,
                int(p.in_stock),
                json.dumps(p.tags, ensure_ascii=False),
            )
            for p in products
        ],
    )


def add_data_sources(state: State, sources: Sequence[DataSource]) -> None:
    state.conn.executemany(
        "INSERT INTO data_sources (id, name, algorithm, size) VALUES (?, ?, ?, ?)",
        [(s.id, s.name, s.algorithm, s.size) for s in sources],
    )


def _product_json(row: Any) -> dict[str, Any]:
    """SPEC ContactRecom, with the feed's own fields as ``tags_*`` (DOC recommendations guide)."""
    item: dict[str, Any] = {
        "id": row["id"],
        "name": row["name"],
        "url": row["url"],
        "price": row["price"],
        "descr": row["descr"],
        "brand": row["brand"],
        "category": [row["category"]],
        "isInStock": row["in_stock"],
    }
    for name, value in json.loads(row["tags_json"] or "{}").items():
        item[f"tags_{name}"] = value
    return item


def _order_items(state: State, where: str, params: Sequence[Any]) -> list[list[str]]:
    """The product ids of each order matching ``where`` (a fixed fragment)."""
    rows = state.conn.execute(f"SELECT body_json FROM orders WHERE {where}", params)  # noqa: S608
    found = []
    for row in rows:
        items = json.loads(row[0]).get("items") or []
        found.append([str(i["externalItemId"]) for i in items if isinstance(i, dict) and i.get("externalItemId")])
    return found


def _popularity(state: State) -> Counter[str]:
    """How many bought orders hold each product."""
    counts: Counter[str] = Counter()
    for items in _order_items(state, _BOUGHT, ()):
        counts.update(set(items))
    return counts


def _catalogue(state: State) -> dict[str, Any]:
    return {row["id"]: row for row in state.conn.execute("SELECT * FROM products ORDER BY id")}


@dataclass(frozen=True)
class Ask:
    """A recommendation request: the contact (None: nobody the sandbox knows), the products and
    categories it names."""

    contact_id: int | None
    products: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()


def recommend(state: State, data_source_id: int, ask: Ask) -> list[dict[str, Any]]:
    """What data source ``data_source_id`` recommends. An unknown data source is 404 and a product-
    or category-based one without ``products`` or ``category`` is 400 (SPEC contactRecoms says
    they are required; the statuses are the sandbox's own). Products out of stock and products the
    contact already bought are left out (the sandbox's own rule), the most popular first."""
    source = state.conn.execute("SELECT * FROM data_sources WHERE id = ?", (data_source_id,)).fetchone()
    if source is None:
        raise not_found(f"Data source {data_source_id} not found")
    algorithm: str = source["algorithm"]
    if algorithm == "also_bought" and not ask.products:
        raise bad_request(f"Data source {data_source_id} recommends by product: the products parameter is required")
    if algorithm == "category" and not ask.categories:
        raise bad_request(f"Data source {data_source_id} recommends by category: the category parameter is required")
    catalogue = _catalogue(state)
    bought: set[str] = set()
    if ask.contact_id is not None:
        for items in _order_items(state, f"contact_id = ? AND {_BOUGHT}", (ask.contact_id,)):
            bought.update(items)
    score = _scores(state, algorithm, ask, catalogue, bought)
    if algorithm == "also_bought":
        bought |= set(ask.products)
    ranked = sorted(
        (p for p, n in score.items() if n and p in catalogue and p not in bought and catalogue[p]["in_stock"]),
        key=lambda p: (-score[p], p),
    )
    return [_product_json(catalogue[p]) for p in ranked[: source["size"]]]


def _scores(state: State, algorithm: str, ask: Ask, catalogue: dict[str, Any], bought: set[str]) -> Counter[str]:
    """How strongly each product is recommended (0: not at all)."""
    popularity = _popularity(state)
    if algorithm == "personal":
        # Products from the categories the contact buys; nobody known, nothing personal.
        if ask.contact_id is None:
            return Counter()
        liked = {catalogue[p]["category"] for p in bought if p in catalogue}
        return Counter({p: popularity[p] + 1 for p, row in catalogue.items() if row["category"] in liked})
    if algorithm == "also_bought":
        # Products bought in the same orders as the given ones.
        given = set(ask.products)
        score: Counter[str] = Counter()
        for items in _order_items(state, _BOUGHT, ()):
            if given & set(items):
                score.update(set(items) - given)
        return score
    if algorithm == "category":
        wanted = {c.casefold() for c in ask.categories}
        return Counter({p: popularity[p] + 1 for p, row in catalogue.items() if row["category"].casefold() in wanted})
    # bestsellers: what customers buy most
    return Counter({p: n for p, n in popularity.items() if n})
