"""Orders: add/update (POST /v1/orders) and delete (DELETE /v1/orders) (esputnik-api.md §12)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

from esputnik_mcp.api._parse import parse
from esputnik_mcp.api.errors import RequestValidationError
from esputnik_mcp.api.http import Endpoint, HttpCore, encode_json
from esputnik_mcp.api.limits import ORDER_DELETE_WINDOW_HOURS, ORDERS_PER_REQUEST
from esputnik_mcp.api.models import FailedOrder, FailedOrders
from esputnik_mcp.api.paging import ChunkOutcome, run_chunks
from esputnik_mcp.api.retry import Safety

# Each order raises an order<STATUS> event that can start a workflow (DOC order automation), so a
# repeat could send a second message: orders are unrepeatable.
ADD = Endpoint("POST", "/v1/orders", Safety.UNREPEATABLE, "ordersBulkInsert")
# Not in the OpenAPI document; rests on DOC https://docs.esputnik.com/reference/removehistoryorders:
# query parameters only, either one externalOrderId, or from and to (inclusive, UTC,
# yyyy-MM-dd'T'HH:mm:ss, from < to, at most 24 h apart). It schedules an asynchronous deletion.
# A JSON body with a list of ids is not the documented form.
DELETE = Endpoint("DELETE", "/v1/orders", Safety.IDEMPOTENT, "removeHistoryOrders", expect="text")

DELETE_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S"


class BulkOrder(Protocol):
    """An order the orders call takes: anything that gives its JSON object (SPEC Order), such as
    :class:`OrderInput`."""

    def wire(self) -> dict[str, Any]: ...


OrderT = TypeVar("OrderT", bound=BulkOrder)


def orders_body(orders: Sequence[BulkOrder]) -> bytes:
    """The JSON body of POST /v1/orders. Each order's object is encoded as soon as it is built, so
    none outlives its encoding."""
    return b'{"orders":[' + b",".join([encode_json(order.wire()) for order in orders]) + b"]}"


class OrdersApi:
    def __init__(self, http: HttpCore, *, concurrency: int) -> None:
        self._http = http
        self._concurrency = concurrency

    async def add(self, orders: Sequence[BulkOrder]) -> list[FailedOrder]:
        """Add or update up to 1000 orders (matched by ``external_order_id``); the ones eSputnik refused."""
        if not orders:
            raise RequestValidationError("no orders given")
        if len(orders) > ORDERS_PER_REQUEST:
            raise RequestValidationError(
                f"{len(orders)} orders in one request; eSputnik takes at most {ORDERS_PER_REQUEST}"
            )
        response = await self._http.call(ADD, json_content=orders_body(orders))
        return parse(FailedOrders, response.data, ADD).failed_orders

    async def add_chunked(
        self,
        orders: Sequence[OrderT],
        *,
        on_done: Callable[[ChunkOutcome[OrderT, list[FailedOrder]]], Awaitable[None]] | None = None,
    ) -> list[ChunkOutcome[OrderT, list[FailedOrder]]]:
        """Any number of orders, in requests of 1000, a few at a time; one outcome per request. Each
        request's body is built when it leaves."""

        async def work(part: Sequence[OrderT]) -> list[FailedOrder]:
            return await self.add(part)

        return await run_chunks(orders, ORDERS_PER_REQUEST, work, concurrency=self._concurrency, on_done=on_done)

    async def delete(self, external_order_id: str) -> str:
        """Schedule the deletion of one order."""
        if not external_order_id.strip():
            raise RequestValidationError("external_order_id must not be empty")
        response = await self._http.call(DELETE, params={"externalOrderId": external_order_id})
        return str(response.data or "")

    async def delete_each(
        self,
        external_order_ids: Sequence[str],
        *,
        on_done: Callable[[ChunkOutcome[str, str]], Awaitable[None]] | None = None,
    ) -> list[ChunkOutcome[str, str]]:
        """Schedule the deletion of each order: one request per id (the only documented form), a few
        at a time; one outcome per id, in order."""

        async def work(part: Sequence[str]) -> str:
            return await self.delete(part[0])

        return await run_chunks(external_order_ids, 1, work, concurrency=self._concurrency, on_done=on_done)

    async def delete_between(self, start: datetime, end: datetime) -> str:
        """Schedule the deletion of every order dated from ``start`` to ``end`` (inclusive, ≤ 24 h)."""
        start_utc, end_utc = _utc(start, "start"), _utc(end, "end")
        if start_utc >= end_utc:
            raise RequestValidationError("the window's start must be before its end")
        if end_utc - start_utc > timedelta(hours=ORDER_DELETE_WINDOW_HOURS):
            raise RequestValidationError(
                f"eSputnik deletes orders of at most {ORDER_DELETE_WINDOW_HOURS} hours per request"
            )
        params = {"from": start_utc.strftime(DELETE_TIME_FORMAT), "to": end_utc.strftime(DELETE_TIME_FORMAT)}
        response = await self._http.call(DELETE, params=params)
        return str(response.data or "")


def _utc(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None:
        raise RequestValidationError(f"the window's {what} needs a time zone (it is sent in UTC)")
    return moment.astimezone(UTC).replace(microsecond=0)
