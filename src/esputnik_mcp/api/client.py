"""The eSputnik API client: one object, its operations grouped by area."""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING

import anyio
import httpx2 as httpx

from esputnik_mcp.api.http import DEFAULT_BASE_URL, HttpCore, Observer, Timeouts
from esputnik_mcp.api.limiter import DEFAULT_RATES, Rate
from esputnik_mcp.api.retry import RetryPolicy

if TYPE_CHECKING:
    from esputnik_mcp.api.account import AccountApi
    from esputnik_mcp.api.activity import ActivityApi
    from esputnik_mcp.api.broadcasts import BroadcastsApi
    from esputnik_mcp.api.contacts import ContactsApi
    from esputnik_mcp.api.custom_fields import CustomFieldsApi
    from esputnik_mcp.api.events import EventsApi
    from esputnik_mcp.api.feeds import FeedsApi
    from esputnik_mcp.api.messages import MessagesApi
    from esputnik_mcp.api.orders import OrdersApi
    from esputnik_mcp.api.promocodes import PromoCodesApi
    from esputnik_mcp.api.recommendations import RecommendationsApi
    from esputnik_mcp.api.segments import SegmentsApi
    from esputnik_mcp.api.senders import SendersApi
    from esputnik_mcp.api.subscriptions import SubscriptionsApi
    from esputnik_mcp.api.templates import TemplatesApi
    from esputnik_mcp.api.unsubscribes import UnsubscribesApi
    from esputnik_mcp.api.workflows import WorkflowsApi


class ESputnikClient:
    """Async client of the eSputnik REST API.

    ``transport`` decides how bytes move: the network by default, an ASGI app (the sandbox) or a
    ``MockTransport`` in tests. Use it as an async context manager, or call :meth:`aclose`.

    Each area of the API (``contacts``, ``messages`` …) is made, and its module (with its models)
    imported, the first time it is used.
    """

    def __init__(  # noqa: PLR0913 - the keyword-only options of the public constructor, like httpx.Client's
        self,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        transport: httpx.AsyncBaseTransport | None = None,
        timeouts: Timeouts | None = None,
        retry_policy: RetryPolicy | None = None,
        rates: Mapping[str, Rate] = DEFAULT_RATES,
        bulk_concurrency: int = 4,
        max_response_bytes: int = 16 * 1024 * 1024,
        user_agent: str = "esputnik-mcp",
        jitter: Callable[[], float] = random.random,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        clock: Callable[[], float] = time.monotonic,
        observer: Observer | None = None,
    ) -> None:
        self.http = HttpCore(
            api_key=api_key,
            base_url=base_url,
            transport=transport,
            policy=retry_policy or RetryPolicy(),
            timeouts=timeouts or Timeouts(),
            rates=rates,
            max_response_bytes=max_response_bytes,
            user_agent=user_agent,
            jitter=jitter,
            sleep=sleep,
            clock=clock,
            observer=observer,
        )
        self._concurrency = bulk_concurrency

    @functools.cached_property
    def account(self) -> AccountApi:
        from esputnik_mcp.api.account import AccountApi

        return AccountApi(self.http)

    @functools.cached_property
    def senders(self) -> SendersApi:
        from esputnik_mcp.api.senders import SendersApi

        return SendersApi(self.http)

    @functools.cached_property
    def contacts(self) -> ContactsApi:
        from esputnik_mcp.api.contacts import ContactsApi

        return ContactsApi(self.http, concurrency=self._concurrency)

    @functools.cached_property
    def custom_fields(self) -> CustomFieldsApi:
        from esputnik_mcp.api.custom_fields import CustomFieldsApi

        return CustomFieldsApi(self.http)

    @functools.cached_property
    def unsubscribes(self) -> UnsubscribesApi:
        from esputnik_mcp.api.unsubscribes import UnsubscribesApi

        return UnsubscribesApi(self.http)

    @functools.cached_property
    def segments(self) -> SegmentsApi:
        from esputnik_mcp.api.segments import SegmentsApi

        return SegmentsApi(self.http, concurrency=self._concurrency)

    @functools.cached_property
    def messages(self) -> MessagesApi:
        from esputnik_mcp.api.messages import MessagesApi

        return MessagesApi(self.http, concurrency=self._concurrency)

    @functools.cached_property
    def templates(self) -> TemplatesApi:
        from esputnik_mcp.api.templates import TemplatesApi

        return TemplatesApi(self.http)

    @functools.cached_property
    def events(self) -> EventsApi:
        from esputnik_mcp.api.events import EventsApi

        return EventsApi(self.http)

    @functools.cached_property
    def orders(self) -> OrdersApi:
        from esputnik_mcp.api.orders import OrdersApi

        return OrdersApi(self.http, concurrency=self._concurrency)

    @functools.cached_property
    def activity(self) -> ActivityApi:
        from esputnik_mcp.api.activity import ActivityApi

        return ActivityApi(self.http)

    @functools.cached_property
    def broadcasts(self) -> BroadcastsApi:
        from esputnik_mcp.api.broadcasts import BroadcastsApi

        return BroadcastsApi(self.http)

    @functools.cached_property
    def workflows(self) -> WorkflowsApi:
        from esputnik_mcp.api.workflows import WorkflowsApi

        return WorkflowsApi(self.http)

    @functools.cached_property
    def subscriptions(self) -> SubscriptionsApi:
        from esputnik_mcp.api.subscriptions import SubscriptionsApi

        return SubscriptionsApi(self.http)

    @functools.cached_property
    def promo_codes(self) -> PromoCodesApi:
        from esputnik_mcp.api.promocodes import PromoCodesApi

        return PromoCodesApi(self.http, concurrency=self._concurrency)

    @functools.cached_property
    def product_feeds(self) -> FeedsApi:
        from esputnik_mcp.api.feeds import FeedsApi

        return FeedsApi(self.http)

    @functools.cached_property
    def recommendations(self) -> RecommendationsApi:
        from esputnik_mcp.api.recommendations import RecommendationsApi

        return RecommendationsApi(self.http)

    @property
    def base_url(self) -> str:
        return self.http.base_url

    def __repr__(self) -> str:
        return f"ESputnikClient(base_url={self.base_url!r})"

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> ESputnikClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
