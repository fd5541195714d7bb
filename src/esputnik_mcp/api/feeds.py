"""Product feeds: the configuration of the product catalogue feeds eSputnik loads (esputnik-api.md
§15.2). Setting it replaces the whole configuration."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import Field

from esputnik_mcp.api._parse import parse
from esputnik_mcp.api.errors import RequestValidationError
from esputnik_mcp.api.http import Endpoint, HttpCore
from esputnik_mcp.api.models import OneOrMany, RequestModel, WireModel
from esputnik_mcp.api.retry import Safety

GET_CONFIG = Endpoint("GET", "/v1/products/config", Safety.READ, "getProductFeedsConfiguration")
SET_CONFIG = Endpoint("POST", "/v1/products/config", Safety.IDEMPOTENT, "configureProductFeeds", expect="text")


class ProductFeed(WireModel):
    """SPEC ProductFeed."""

    url: str | None = None
    language: str | None = None
    default: bool | None = None


class ProductFeeds(WireModel):
    """SPEC ProductFeeds."""

    feeds: OneOrMany[ProductFeed] = Field(default_factory=list)


class ProductFeedInput(RequestModel):
    """SPEC ProductFeed: the schema requires nothing; a feed without a URL is meaningless."""

    url: str = Field(min_length=1)
    language: str | None = None
    default: bool | None = None


class ProductFeedsInput(RequestModel):
    feeds: list[ProductFeedInput]


class FeedsApi:
    def __init__(self, http: HttpCore) -> None:
        self._http = http

    async def get(self) -> list[ProductFeed]:
        """The product feeds configured now."""
        response = await self._http.call(GET_CONFIG)
        return parse(ProductFeeds, response.data, GET_CONFIG).feeds

    async def set(self, feeds: Sequence[ProductFeedInput]) -> str:
        """Replace the configuration with ``feeds``; eSputnik's answer, a string."""
        if sum(1 for feed in feeds if feed.default) > 1:
            raise RequestValidationError("at most one product feed can be the default")
        response = await self._http.call(SET_CONFIG, json_body=ProductFeedsInput(feeds=list(feeds)).wire())
        return str(response.data or "")
