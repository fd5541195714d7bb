"""Promo codes, product feeds and recommendations: upload_promo_codes, list_promo_codes,
count_promo_codes, get_product_feeds, set_product_feeds, get_recommendations."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, ClassVar

from pydantic import AfterValidator, Field, PrivateAttr, model_validator

from esputnik_mcp.api import NotFoundError
from esputnik_mcp.api.feeds import ProductFeed, ProductFeedInput
from esputnik_mcp.api.limits import PROMO_CODE_MAX_DISCOUNT, PROMO_CODES_PER_REQUEST
from esputnik_mcp.api.promocodes import EXPIRATION_FORMAT
from esputnik_mcp.toolkit.base import (
    ConfirmableInput,
    Result,
    ToolContext,
    ToolFailure,
    ToolInput,
    ToolOutput,
    at_most,
    tool,
)
from esputnik_mcp.toolkit.bulk import RequestView, chunk_progress, counted, request_view
from esputnik_mcp.toolkit.cursor import decode_cursor, encode_cursor
from esputnik_mcp.toolkit.params import (
    ContactId,
    Cursor,
    Email,
    ExternalCustomerId,
    LanguageCode,
    Limit,
    Phone,
    exactly_one,
)
from esputnik_mcp.toolkit.render import quoted
from esputnik_mcp.toolkit.views import NextCursor, Total, View, page_summary
from esputnik_mcp.toolspec import Kind, Toolset

MAX_PROMO_CODES = 100_000  # one call: 100 requests of PROMO_CODES_PER_REQUEST

PromoCode = Annotated[str, Field(min_length=1), at_most(255)]
PromoType = Annotated[str, Field(min_length=1, description="Your label, e.g. spring-sale."), at_most(255)]
Discount = Annotated[int, Field(ge=0, le=PROMO_CODE_MAX_DISCOUNT)]
ActiveForDays = Annotated[int, Field(ge=1, le=3650, description="Still valid for this many days from tomorrow.")]


def _expiry(value: str) -> str:
    """A date (the end of that day) or a date-time without a zone, as eSputnik's expirationDate."""
    text = value.strip()
    try:
        moment = datetime.combine(date.fromisoformat(text), time(23, 59)) if len(text) == 10 else None
        moment = moment or datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{value!r} is not a date or date-time such as 2025-12-31 or 2025-12-31T23:59") from None
    if moment.tzinfo is not None:
        raise ValueError(f"{value!r}: give it in the account's time zone, without an offset, e.g. 2025-12-31T23:59")
    return moment.strftime(EXPIRATION_FORMAT)


Expiry = Annotated[
    str,
    at_most(40),
    AfterValidator(_expiry),
    Field(description="Account's local time, e.g. 2025-12-31T23:59; a date means 23:59 that day."),
]


def _filters_text(**filters: object) -> str:
    given = [f"{k}={v}" for k, v in filters.items() if v is not None]
    return f" ({', '.join(given)})" if given else ""


# --- upload_promo_codes ------------------------------------------------------------------------


class UploadPromoCodesInput(ToolInput):
    codes: list[PromoCode] = Field(min_length=1, max_length=MAX_PROMO_CODES)
    expires_at: Expiry
    discount: Discount
    type: PromoType | None = None
    in_use: bool = False


class UploadPromoCodesOutput(ToolOutput):
    truncatable: ClassVar[str | None] = "requests"
    cut_advice: ClassVar[str] = "the counts cover every code; upload fewer codes per call to see every request."

    codes: int = Field(description="Distinct codes sent.")
    duplicates: int = Field(description="Given more than once, sent once.")
    new: int = Field(description="Sent codes that did not exist before the call.")
    updated: int = Field(description="Sent codes that existed, now with these values.")
    accepted: int
    failed: int
    expires_at: str
    requests: list[RequestView]


def _upload_target(params: UploadPromoCodesInput) -> str:
    kind = f" of type {params.type}" if params.type else ""
    return f"upload {len(params.codes)} promo codes{kind}, discount {params.discount}, expiring {params.expires_at}"


@tool(
    "upload_promo_codes",
    title="Upload promo codes",
    toolset=Toolset.COMMERCE,
    kind=Kind.WRITE,
    destructive=True,
    target=_upload_target,
    description=f"""Add promo codes with one expiry, discount, type and in_use flag; codes that exist take these
    values. One read of the existing codes (to count new and updated), then {PROMO_CODES_PER_REQUEST} codes per
    request.""",
    example={"codes": ["SUMMER-0001", "SUMMER-0002"], "expires_at": "2025-08-31", "discount": 15, "type": "summer"},
)
async def upload_promo_codes(params: UploadPromoCodesInput, ctx: ToolContext) -> Result[UploadPromoCodesOutput]:
    first: dict[str, int] = {}  # each distinct code, at its first place in the call
    for index, code in enumerate(params.codes):
        first.setdefault(code, index)
    codes = list(first)
    # eSputnik's answer echoes the payload and says nothing of which codes were new: the codes that
    # exist are read first (one read: the list is not paged).
    existing = {code.code for code in await ctx.client.promo_codes.codes()}
    new = sum(1 for code in codes if code not in existing)
    outcomes = await ctx.client.promo_codes.upload_chunked(
        codes,
        expiration_date=params.expires_at,
        discount=params.discount,
        type=params.type,
        in_use=params.in_use,
        positions=list(first.values()),
        on_done=chunk_progress(ctx.progress, len(codes)),
    )
    requests = [request_view(o) for o in outcomes]
    out = UploadPromoCodesOutput(
        codes=len(codes),
        duplicates=len(params.codes) - len(codes),
        new=new,
        updated=len(codes) - new,
        accepted=sum(r.accepted for r in requests),
        failed=sum(r.failed for r in requests),
        expires_at=params.expires_at,
        requests=requests,
    )
    summary = (
        f"{counted(out.codes, 'promo code')} in {counted(len(requests), 'request')}: {out.accepted} accepted; "
        f"of those sent, {out.new} new and {out.updated} existing (given these values)"
    )
    if out.failed:
        summary += f", {out.failed} failed (first: {next(r.error for r in requests if r.error)})"
    return Result(summary, out, is_error=not out.accepted)


# --- list_promo_codes --------------------------------------------------------------------------


class ListPromoCodesInput(ToolInput):
    type: PromoType | None = None
    in_use: bool | None = None
    active_for_days: ActiveForDays | None = None
    discount: Discount | None = None
    limit: Limit = 50
    cursor: Cursor | None = None


class PromoCodeView(View):
    code: str | None = None
    expires_at: str | None = None
    discount: int | None = None
    type: str | None = None
    in_use: bool | None = None


class PromoCodesPage(ToolOutput):
    truncatable: ClassVar[str | None] = "codes"

    codes: list[PromoCodeView]
    total: Total = None
    next_cursor: NextCursor = None


@tool(
    "list_promo_codes",
    title="List promo codes",
    toolset=Toolset.COMMERCE,
    kind=Kind.READ,
    description="""Promo codes with expiry, discount, type and in_use, filtered. eSputnik answers every match
    at once: each page is one read of the whole list.""",
    example={"type": "spring-sale", "in_use": False, "limit": 5},
)
async def list_promo_codes(params: ListPromoCodesInput, ctx: ToolContext) -> Result[PromoCodesPage]:
    filters = {
        "type": params.type,
        "in_use": params.in_use,
        "active_for_days": params.active_for_days,
        "discount": params.discount,
    }
    start = decode_cursor(params.cursor, filters)
    found = await ctx.client.promo_codes.codes(
        type=params.type, in_use=params.in_use, active_due_days=params.active_for_days, discount=params.discount
    )
    page = found[start - 1 : start - 1 + params.limit]
    end = start + len(page)
    out = PromoCodesPage(
        codes=[
            PromoCodeView(code=c.code, expires_at=c.expiration_date, discount=c.discount, type=c.type, in_use=c.in_use)
            for c in page
        ],
        total=len(found),
        next_cursor=encode_cursor(end if end <= len(found) else None, filters),
    )
    out.resume_with(lambda i: encode_cursor(start + i, filters))
    return Result(lambda o: page_summary(len(o.codes), o.total, "promo codes") + _filters_text(**filters), out)


# --- count_promo_codes -------------------------------------------------------------------------


class CountPromoCodesInput(ToolInput):
    type: PromoType | None = None
    in_use: bool | None = Field(default=None, description="Counted from the list (a heavier read).")
    active_for_days: ActiveForDays | None = None
    discount: Discount | None = None


class CountPromoCodesOutput(ToolOutput):
    count: int
    counted: str = Field(description="available: eSputnik's count; listed: codes in the list.")


@tool(
    "count_promo_codes",
    title="Count promo codes",
    toolset=Toolset.COMMERCE,
    kind=Kind.READ,
    description="""How many promo codes eSputnik counts as available, by type, days still valid and discount;
    with in_use, how many codes of the list are (not) in use. One read.""",
    example={"type": "spring-sale"},
)
async def count_promo_codes(params: CountPromoCodesInput, ctx: ToolContext) -> Result[CountPromoCodesOutput]:
    filters = {"type": params.type, "active_for_days": params.active_for_days, "discount": params.discount}
    api = ctx.client.promo_codes
    if params.in_use is None:
        count = await api.count(type=params.type, active_due_days=params.active_for_days, discount=params.discount)
        out = CountPromoCodesOutput(count=count, counted="available")
        return Result(f"{counted(count, 'promo code')} available{_filters_text(**filters)}", out)
    found = await api.codes(
        type=params.type, in_use=params.in_use, active_due_days=params.active_for_days, discount=params.discount
    )
    out = CountPromoCodesOutput(count=len(found), counted="listed")
    state = "in use" if params.in_use else "not in use"
    return Result(f"{counted(len(found), 'promo code')} {state}{_filters_text(**filters)}", out)


# --- get_product_feeds / set_product_feeds -----------------------------------------------------


class FeedView(View):
    url: str | None = None
    language: str | None = None
    default: bool | None = None


def _feed_views(feeds: list[ProductFeed]) -> list[FeedView]:
    return [FeedView(url=f.url, language=f.language, default=f.default) for f in feeds]


def _describe_feeds(feeds: list[ProductFeed] | list[FeedParam]) -> str:
    if not feeds:
        return "no feeds"
    return "; ".join(
        f"{f.language or 'no language'}{' (default)' if f.default else ''} {quoted(f.url, 200)}" for f in feeds
    )


class GetFeedsInput(ToolInput):
    pass


class FeedsOutput(ToolOutput):
    feeds: list[FeedView]


@tool(
    "get_product_feeds",
    title="Product feeds",
    toolset=Toolset.COMMERCE,
    kind=Kind.READ,
    description="The product feeds eSputnik loads the catalogue from: url, language, default. One read.",
    example={},
)
async def get_product_feeds(params: GetFeedsInput, ctx: ToolContext) -> Result[FeedsOutput]:
    feeds = await ctx.client.product_feeds.get()
    return Result(
        f"{counted(len(feeds), 'product feed')}: {_describe_feeds(feeds)}", FeedsOutput(feeds=_feed_views(feeds))
    )


def _http_url(value: str) -> str:
    if not value.lower().startswith(("http://", "https://")) or len(value) < 12:
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value


class FeedParam(ToolInput):
    url: Annotated[str, at_most(2000), AfterValidator(_http_url)]
    language: LanguageCode | None = None
    default: bool = False


class SetFeedsInput(ConfirmableInput):
    feeds: list[FeedParam] = Field(min_length=1, max_length=20)
    # The configuration this call replaces, read once the call is admitted, for the preview.
    _current: list[ProductFeed] | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _consistent(self) -> SetFeedsInput:
        if sum(f.default for f in self.feeds) > 1:
            raise ValueError("at most one feed can be the default")
        urls = [f.url for f in self.feeds]
        if len(set(urls)) != len(urls):
            raise ValueError("each feed url once")
        return self

    def same_as_current(self) -> bool:
        now = [(f.url, f.language, bool(f.default)) for f in self._current or []]
        return self._current is not None and now == [(f.url, f.language, f.default) for f in self.feeds]


async def _read_current(params: SetFeedsInput, ctx: ToolContext) -> None:
    """Read the configuration the call would replace before anyone is asked, so that the preview
    (:func:`_replacement`) shows it beside the new one. Nothing is sent to anyone: no send plan."""
    params._current = await ctx.client.product_feeds.get()


def _replacement(params: SetFeedsInput) -> str | None:
    """The sentence the person confirming reads: the old configuration and the new one."""
    if params.same_as_current():
        return None
    now = _describe_feeds(params._current) if params._current is not None else "not read"
    return f"replace the product feed configuration. Now: {now}. After: {_describe_feeds(params.feeds)}"


class SetFeedsOutput(ToolOutput):
    previous: list[FeedView]
    feeds: list[FeedView]


@tool(
    "set_product_feeds",
    title="Set product feeds",
    toolset=Toolset.COMMERCE,
    kind=Kind.WRITE,
    destructive=True,
    plan_send=_read_current,
    irreversible=_replacement,
    target=lambda p: "set product feeds: " + ", ".join(f"{f.language or '-'} {f.url}" for f in p.feeds),
    description="""Replace the product feed configuration with feeds (url, language, default); the confirmation
    shows the old and the new. One read and one write.""",
    example={"feeds": [{"url": "https://lumen-home.example/feeds/products-uk.xml", "language": "uk", "default": True}]},
)
async def set_product_feeds(params: SetFeedsInput, ctx: ToolContext) -> Result[SetFeedsOutput]:
    previous = params._current if params._current is not None else await ctx.client.product_feeds.get()
    feeds = [ProductFeedInput(url=f.url, language=f.language, default=f.default) for f in params.feeds]
    await ctx.client.product_feeds.set(feeds)
    new = [ProductFeed(url=f.url, language=f.language, default=f.default) for f in params.feeds]
    out = SetFeedsOutput(previous=_feed_views(previous), feeds=_feed_views(new))
    summary = f"product feeds replaced. Was: {_describe_feeds(previous)}. Now: {_describe_feeds(new)}"
    return Result(summary, out)


# --- get_recommendations -----------------------------------------------------------------------

ProductId = Annotated[str, Field(min_length=1), at_most(255)]


class RecommendationsInput(ToolInput):
    data_source_id: Annotated[int, Field(ge=1, le=2**31 - 1, description="Settings > Data sources; one per algorithm.")]
    contact_id: ContactId | None = None
    email: Email | None = None
    phone: Phone | None = None
    external_customer_id: ExternalCustomerId | None = None
    web_id: Annotated[str, Field(min_length=1), at_most(255)] | None = None
    products: list[ProductId] | None = Field(default=None, max_length=50, description="For product-based ones.")
    category: list[ProductId] | None = Field(default=None, max_length=20, description="For category-based ones.")

    @model_validator(mode="after")
    def _one_contact(self) -> RecommendationsInput:
        exactly_one(
            {
                "contact_id": self.contact_id,
                "email": self.email,
                "phone": self.phone,
                "external_customer_id": self.external_customer_id,
                "web_id": self.web_id,
            }
        )
        for name in ("products", "category"):
            if any("," in value for value in getattr(self, name) or ()):
                raise ValueError(f"{name}: an id with a comma cannot be sent")
        return self

    def who(self) -> str:
        named = {
            "contact": self.contact_id,
            "email": self.email,
            "phone": self.phone,
            "external customer id": self.external_customer_id,
            "web id": self.web_id,
        }
        return next(f"{k} {v}" for k, v in named.items() if v is not None)


class ProductView(View):
    id: str | None = None
    name: str | None = None
    url: str | None = None
    price: float | None = None
    in_stock: bool | None = None


class RecommendationsOutput(ToolOutput):
    truncatable: ClassVar[str | None] = "products"
    cut_advice: ClassVar[str] = "the data source sets how many products come back."

    products: list[ProductView]


@tool(
    "get_recommendations",
    title="Product recommendations",
    toolset=Toolset.COMMERCE,
    kind=Kind.READ,
    description="Products (id, name, url, price, in stock) a data source recommends to one contact. One read.",
    example={"data_source_id": 1402, "contact_id": 100001},
)
async def get_recommendations(params: RecommendationsInput, ctx: ToolContext) -> Result[RecommendationsOutput]:
    try:
        found = await ctx.client.recommendations.for_contact(
            params.data_source_id,
            contact_id=params.contact_id,
            email=params.email,
            phone=params.phone,
            external_customer_id=params.external_customer_id,
            web_id=params.web_id,
            products=params.products,
            category=params.category,
        )
    except NotFoundError:
        raise ToolFailure(f"data source {params.data_source_id} not found (Settings > Data sources)") from None
    out = RecommendationsOutput(
        products=[ProductView(id=r.id, name=r.name, url=r.url, price=r.price, in_stock=r.in_stock) for r in found]
    )
    source = f"data source {params.data_source_id}"

    def summary(o: RecommendationsOutput) -> str:
        if not o.products:
            return (
                f"no recommendations from {source} for {params.who()}: the contact may have no history, or the "
                "algorithm may need products or category"
            )
        names = ", ".join(quoted(p.name, 40) for p in o.products[:5])
        return f"{counted(len(o.products), 'product')} from {source} for {params.who()}: {names}"

    return Result(summary, out)
