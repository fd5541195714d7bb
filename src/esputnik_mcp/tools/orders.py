"""Order tools: add_orders, delete_orders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, model_validator

from esputnik_mcp.api import ChunkOutcome
from esputnik_mcp.api.limits import ORDER_DELETE_WINDOW_HOURS, ORDERS_PER_REQUEST
from esputnik_mcp.api.models import FailedOrder, OrderStatus, order_wire
from esputnik_mcp.api.orders import DELETE_TIME_FORMAT
from esputnik_mcp.toolkit.base import ConfirmableInput, Result, ToolContext, ToolInput, ToolOutput, tool
from esputnik_mcp.toolkit.bulk import RequestView, chunk_progress, counted, request_view, unknown_items
from esputnik_mcp.toolkit.failures import describe_api_error
from esputnik_mcp.toolkit.params import (
    Currency,
    DateTimeISO,
    DateTimeWithZone,
    Email,
    ExternalCustomerId,
    ExternalOrderId,
    Phone,
)
from esputnik_mcp.toolkit.recipients import external_label
from esputnik_mcp.toolkit.views import View
from esputnik_mcp.toolspec import Audience, Kind, SendPlan, Toolset

MAX_ORDERS = 10_000

Text = Annotated[str, Field(min_length=1, max_length=2000)]
Amount = Annotated[float, Field(ge=0)]


class OrderItem(ToolInput):
    external_item_id: Annotated[str, Field(min_length=1, max_length=255, description="Product id in your system.")]
    quantity: Annotated[float, Field(gt=0)]
    name: Text | None = None
    category: Text | None = None
    cost: Amount | None = Field(default=None, description="Price of one item.")
    url: Text | None = None
    image_url: Text | None = None
    description: Text | None = None


class Order(ToolInput):
    """An order; it names its customer by external_customer_id, email or phone (at least one)."""

    external_order_id: ExternalOrderId
    total_cost: Amount
    status: Annotated[
        OrderStatus,
        Field(description="Only DELIVERED orders count in RFM analysis and revenue."),
    ]
    date: DateTimeISO
    currency: Currency
    external_customer_id: ExternalCustomerId | None = None
    email: Email | None = None
    phone: Phone | None = None
    first_name: Text | None = None
    last_name: Text | None = None
    shipping: Amount | None = None
    discount: Amount | None = None
    taxes: Amount | None = None
    restore_url: Text | None = Field(default=None, description="Link back to the order or cart.")
    status_description: Text | None = None
    store_id: Text | None = None
    source: Literal["online", "offline"] | None = None
    delivery_method: Text | None = None
    payment_method: Text | None = None
    delivery_address: Text | None = None
    additional_info: dict[str, str] | None = None
    items: list[OrderItem] | None = None

    @model_validator(mode="after")
    def _names_customer(self) -> Order:
        if self.external_customer_id is None and self.email is None and self.phone is None:
            raise ValueError("name the customer by external_customer_id, email or phone")
        return self

    def wire(self) -> dict[str, Any]:
        """The order as eSputnik reads it. Its fields are those of the API's ``OrderInput`` and hold at
        least its checks (and more: a known currency, amounts not below zero, a customer whose address
        is valid), so it goes without that model: a call takes thousands of orders."""
        return order_wire(self.model_dump(mode="json", exclude_none=True))


class AddOrdersInput(ToolInput):
    orders: Annotated[list[Order], Field(min_length=1, max_length=MAX_ORDERS)]

    @model_validator(mode="after")
    def _each_once(self) -> AddOrdersInput:
        seen: dict[str, int] = {}
        for index, order in enumerate(self.orders):
            first = seen.setdefault(order.external_order_id, index)
            if first != index:
                raise ValueError(
                    f"orders {first} and {index} share external_order_id {order.external_order_id!r}: "
                    "give each order once"
                )
        return self


class FailedOrderView(View):
    index: int | None = Field(default=None, description="Position in orders.")
    external_order_id: str | None = None
    error: str | None = Field(default=None, description="eSputnik's reason.")


class AddOrdersOutput(ToolOutput):
    truncatable: ClassVar[str | None] = "failed_orders"
    cut_advice: ClassVar[str] = "the counts cover every order; send fewer orders per call to see every failure."

    total: int
    accepted: int
    failed: int
    unknown: int = Field(description="Orders eSputnik may or may not have stored.")
    requests: list[RequestView]
    failed_orders: list[FailedOrderView] = Field(description="Refused inside an accepted request.")


def _failed_views(orders: list[Order], chunk: ChunkOutcome[Order, list[FailedOrder]]) -> list[FailedOrderView]:
    """The orders eSputnik refused in one request, located in the call by their external id."""
    if not chunk.result:
        return []
    position = {orders[i].external_order_id: i for i in chunk.positions}
    views = []
    for item in chunk.result or []:
        order_id = item.order.get("externalOrderId")
        order_id = str(order_id) if order_id is not None else None
        views.append(FailedOrderView(index=position.get(order_id or ""), external_order_id=order_id, error=item.error))
    return views


async def plan_orders(params: AddOrdersInput, ctx: ToolContext) -> SendPlan:
    """Each order raises an order event whose workflow can message its customer: the allowlist holds
    for every customer named."""
    customers: dict[str, None] = {}
    for order in params.orders:
        label = (order.email or order.phone or "").lower() or external_label(order.external_customer_id or "")
        customers[label] = None
    return SendPlan(
        channel="event",
        audience=Audience(recipients=tuple(customers)),
        content="order events",
        content_key="orders",
        indirect=True,
        ledger=False,
    )


def _ids(values: list[str], shown: int = 20) -> str:
    return ", ".join(values[:shown]) + (f" and {len(values) - shown} more" if len(values) > shown else "")


@tool(
    "add_orders",
    title="Add or update orders",
    toolset=Toolset.ORDERS,
    kind=Kind.WRITE,
    idempotent=False,
    plan_send=plan_orders,
    target=lambda p: f"add or update {len(p.orders)} orders: {_ids([o.external_order_id for o in p.orders])}",
    description=f"""Add up to {MAX_ORDERS} orders, or update those with a known external_order_id, for revenue
    and RFM reports ({ORDERS_PER_REQUEST} per request). Each raises an order event (e.g. orderDELIVERED)
    whose workflows can message the customer.""",
    example={
        "orders": [
            {
                "external_order_id": "ORD-1",
                "email": "olena@example.com",
                "total_cost": 59.9,
                "status": "ABANDONED_SHOPPING_CART",
                "date": "2025-06-15T10:00:00+03:00",
                "currency": "UAH",
            }
        ]
    },
)
async def add_orders(params: AddOrdersInput, ctx: ToolContext) -> Result[AddOrdersOutput]:
    outcomes = await ctx.client.orders.add_chunked(
        params.orders, on_done=chunk_progress(ctx.progress, len(params.orders))
    )
    requests: list[RequestView] = []
    failed_orders: list[FailedOrderView] = []
    for chunk in outcomes:
        refused = _failed_views(params.orders, chunk)
        failed_orders.extend(refused)
        requests.append(request_view(chunk, failed=len(refused)))
    out = AddOrdersOutput(
        total=len(params.orders),
        accepted=sum(r.accepted for r in requests),
        failed=sum(r.failed for r in requests),
        unknown=sum(r.unknown for r in requests),
        requests=requests,
        failed_orders=failed_orders,
    )
    summary = (
        f"{counted(out.total, 'order')} in {counted(len(requests), 'request')}: "
        f"{out.accepted} accepted, {out.failed} failed, {out.unknown} unknown"
    )
    if out.unknown:
        reason = next(r.error for r in requests if r.unknown and r.error)
        summary += (
            f". OUTCOME UNKNOWN for orders {unknown_items(requests)} ({reason}): eSputnik may have stored them "
            "and raised their order events. Sending them again updates the same orders but can start their "
            "workflows twice: check the orders in eSputnik first"
        )
    elif out.failed:
        reasons = [r.error for r in requests if r.error] + [f.error for f in failed_orders if f.error]
        summary += f"; first reason: {reasons[0]}" if reasons else ""
    return Result(summary, out, is_error=bool(out.unknown) or not out.accepted)


# --- delete_orders -------------------------------------------------------------------------------


class DeleteOrdersInput(ConfirmableInput):
    external_order_ids: Annotated[list[ExternalOrderId] | None, Field(min_length=1, max_length=1000)] = None
    date_from: Annotated[DateTimeWithZone | None, Field(description="Start of a window of order dates.")] = None
    date_to: Annotated[
        DateTimeWithZone | None,
        Field(description=f"End of the window, ≤ {ORDER_DELETE_WINDOW_HOURS} h after date_from."),
    ] = None

    @model_validator(mode="after")
    def _one_form(self) -> DeleteOrdersInput:
        window = self.date_from is not None or self.date_to is not None
        if self.external_order_ids is not None and window:
            raise ValueError("give external_order_ids, or date_from and date_to — not both")
        if self.external_order_ids is None and not window:
            raise ValueError("give external_order_ids, or date_from and date_to")
        if self.date_from is None or self.date_to is None:
            if window:
                raise ValueError("a window needs both date_from and date_to")
            return self
        start, end = _utc(self.date_from), _utc(self.date_to)
        if start >= end:
            raise ValueError("date_from must be before date_to")
        if end - start > timedelta(hours=ORDER_DELETE_WINDOW_HOURS):
            raise ValueError(
                f"the window spans {(end - start) / timedelta(hours=1):g} h; eSputnik deletes at most "
                f"{ORDER_DELETE_WINDOW_HOURS} h of orders per request: split it"
            )
        return self


def _utc(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC).replace(microsecond=0)


def describe_window_deletion(params: DeleteOrdersInput) -> str | None:
    if params.date_from is None or params.date_to is None:
        return None
    start = _utc(params.date_from).strftime(DELETE_TIME_FORMAT)
    end = _utc(params.date_to).strftime(DELETE_TIME_FORMAT)
    return f"delete every order dated {start} to {end} UTC; cannot be undone"


class DeletedOrderView(View):
    external_order_id: str
    status: Literal["accepted", "failed"]
    error: str | None = None


class DeleteOrdersOutput(ToolOutput):
    truncatable: ClassVar[str | None] = "orders"
    cut_advice: ClassVar[str] = "the counts cover every id; pass fewer ids per call to see every outcome."

    accepted: int = Field(
        description="Deletion requests eSputnik accepted; it does not say whether the orders existed."
    )
    failed: int
    window_from_utc: str | None = None
    window_to_utc: str | None = None
    orders: list[DeletedOrderView] | None = None


@tool(
    "delete_orders",
    title="Delete orders",
    toolset=Toolset.ORDERS,
    kind=Kind.WRITE,
    destructive=True,
    irreversible=describe_window_deletion,
    target=lambda p: describe_window_deletion(p) or f"delete orders {_ids(p.external_order_ids or [])}",
    description=f"""Delete orders by external_order_ids (one request each), or every order dated in a window
    of at most {ORDER_DELETE_WINDOW_HOURS} h (date_from, date_to). eSputnik deletes them shortly after; it
    cannot be undone.""",
    example={"external_order_ids": ["ORD-1"]},
)
async def delete_orders(params: DeleteOrdersInput, ctx: ToolContext) -> Result[DeleteOrdersOutput]:
    if params.date_from is not None and params.date_to is not None:
        start, end = _utc(params.date_from), _utc(params.date_to)
        await ctx.client.orders.delete_between(start, end)
        out = DeleteOrdersOutput(
            accepted=1,
            failed=0,
            window_from_utc=start.strftime(DELETE_TIME_FORMAT),
            window_to_utc=end.strftime(DELETE_TIME_FORMAT),
        )
        summary = (
            f"eSputnik accepted the deletion of every order dated {out.window_from_utc} to {out.window_to_utc} "
            "UTC and removes them shortly; it does not say how many there were"
        )
        return Result(summary, out)
    ids = list(dict.fromkeys(params.external_order_ids or []))
    outcomes = await ctx.client.orders.delete_each(ids, on_done=chunk_progress(ctx.progress, len(ids)))
    views = [
        DeletedOrderView(external_order_id=o.items[0], status="accepted")
        if o.error is None
        else DeletedOrderView(external_order_id=o.items[0], status="failed", error=describe_api_error(o.error))
        for o in outcomes
    ]
    views.sort(key=lambda v: v.status != "failed")
    failed = sum(1 for v in views if v.status == "failed")
    out = DeleteOrdersOutput(accepted=len(views) - failed, failed=failed, orders=views)
    summary = (
        f"eSputnik accepted the deletion of {out.accepted} of {counted(len(ids), 'order id')}; it does not say "
        "whether an order with each id existed, and removes those that did shortly"
    )
    if failed:
        summary += f". {failed} failed (first: {next(v.error for v in views if v.error)})"
    return Result(summary, out, is_error=not out.accepted)
