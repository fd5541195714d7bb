"""Order tools: add_orders, delete_orders."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, ClassVar, Literal

from pydantic import Field, ValidationError, model_validator

from esputnik_mcp.api import AmbiguousOutcomeError
from esputnik_mcp.api.limits import ORDERS_PER_REQUEST
from esputnik_mcp.api.models import FailedOrder, OrderInput, OrderStatus
from esputnik_mcp.api.orders import DELETE_TIME_FORMAT
from esputnik_mcp.tools.base import (
    ConfirmableInput,
    Kind,
    Result,
    ToolContext,
    ToolFailure,
    ToolInput,
    ToolOutput,
    Toolset,
    ToolSpec,
)
from esputnik_mcp.tools.bulk import RequestView, chunk_progress, counted, index_ranges
from esputnik_mcp.tools.failures import describe_api_error
from esputnik_mcp.tools.params import (
    Currency,
    DateTimeISO,
    DateTimeWithZone,
    Email,
    ExternalCustomerId,
    ExternalOrderId,
    Phone,
)
from esputnik_mcp.tools.views import View

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
    store_id: Text | None = Field(default=None, description="Which store, when the account has several.")
    source: Literal["online", "offline"] | None = None
    delivery_method: Text | None = None
    payment_method: Text | None = None
    delivery_address: Text | None = None
    additional_info: dict[str, str] | None = Field(default=None, description="Extra string values.")
    items: list[OrderItem] | None = None

    @model_validator(mode="after")
    def _names_customer(self) -> Order:
        if self.external_customer_id is None and self.email is None and self.phone is None:
            raise ValueError("name the customer by external_customer_id, email or phone")
        return self


class AddOrdersInput(ToolInput):
    orders: Annotated[
        list[Order],
        Field(
            min_length=1,
            max_length=MAX_ORDERS,
            description=f"Up to {MAX_ORDERS} orders, each once; sent {ORDERS_PER_REQUEST} per request. "
            "An order with a known external_order_id is updated.",
        ),
    ]

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
    index: int | None = Field(default=None, description="Position of the order in the call.")
    external_order_id: str | None = None
    error: str | None = Field(default=None, description="eSputnik's reason.")


class AddOrdersOutput(ToolOutput):
    truncatable: ClassVar[str | None] = "failed_orders"
    cut_advice: ClassVar[str] = "the counts cover every order; send fewer orders per call to see every failure."

    total: int
    accepted: int
    failed: int
    unknown: int = Field(description="Orders eSputnik may or may not have stored.")
    requests: list[RequestView] = Field(description="Per request to eSputnik; indexes as in the call.")
    failed_orders: list[FailedOrderView] = Field(description="Orders eSputnik refused inside an accepted request.")


def _order_inputs(orders: list[Order]) -> list[OrderInput]:
    inputs = []
    for index, order in enumerate(orders):
        try:
            inputs.append(OrderInput.model_validate(order.model_dump(exclude_none=True)))
        except ValidationError as exc:
            problem = exc.errors(include_url=False, include_input=False)[0]
            where = ".".join(str(part) for part in problem["loc"])
            raise ToolFailure(f"orders.{index}.{where}: {problem['msg']}") from None
    return inputs


def _failed_views(first: int, orders: list[Order], failed: list[FailedOrder]) -> list[FailedOrderView]:
    position = {o.external_order_id: first + i for i, o in enumerate(orders)}
    views = []
    for item in failed:
        order_id = item.order.get("externalOrderId")
        order_id = str(order_id) if order_id is not None else None
        views.append(FailedOrderView(index=position.get(order_id or ""), external_order_id=order_id, error=item.error))
    return views


async def add_orders(params: AddOrdersInput, ctx: ToolContext) -> Result[AddOrdersOutput]:
    inputs = _order_inputs(params.orders)
    outcomes = await ctx.client.orders.add_chunked(inputs, on_done=chunk_progress(ctx.progress, len(inputs)))
    requests: list[RequestView] = []
    failed_orders: list[FailedOrderView] = []
    unknown_reason: str | None = None
    for chunk in outcomes:
        first = chunk.index * ORDERS_PER_REQUEST
        size = len(chunk.items)
        last = first + size - 1
        if isinstance(chunk.error, AmbiguousOutcomeError):
            unknown_reason = unknown_reason or chunk.error.message
            view = RequestView(first=first, last=last, succeeded=0, failed=0, unknown=size, error=chunk.error.message)
        elif chunk.error is not None:
            error = describe_api_error(chunk.error)
            view = RequestView(first=first, last=last, succeeded=0, failed=size, unknown=0, error=error)
        else:
            refused = _failed_views(first, params.orders[first : last + 1], chunk.result or [])
            failed_orders.extend(refused)
            failed = min(len(refused), size)
            view = RequestView(first=first, last=last, succeeded=size - failed, failed=failed, unknown=0)
        requests.append(view)
    out = AddOrdersOutput(
        total=len(inputs),
        accepted=sum(r.succeeded for r in requests),
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
        summary += (
            f". OUTCOME UNKNOWN for orders {index_ranges([r for r in requests if r.unknown])} "
            f"({unknown_reason}): eSputnik may have stored them and raised their order events. Sending "
            "them again updates the same orders but can start their workflows twice: check the orders in "
            "eSputnik first"
        )
    elif out.failed:
        reasons = [r.error for r in requests if r.error] + [f.error for f in failed_orders if f.error]
        summary += f"; first reason: {reasons[0]}" if reasons else ""
    return Result(summary, out, is_error=bool(out.unknown) or not out.accepted)


# --- delete_orders -------------------------------------------------------------------------------


class DeleteOrdersInput(ConfirmableInput):
    external_order_ids: Annotated[
        list[ExternalOrderId] | None,
        Field(min_length=1, max_length=1000, description="Orders to delete (one request each, up to 1000)."),
    ] = None
    date_from: Annotated[
        DateTimeWithZone | None, Field(description="Start of a window of order dates (inclusive).")
    ] = None
    date_to: Annotated[
        DateTimeWithZone | None,
        Field(description="End of the window (inclusive); at most 24 hours after date_from."),
    ] = None

    @model_validator(mode="after")
    def _one_form(self) -> DeleteOrdersInput:
        window = self.date_from is not None or self.date_to is not None
        if self.external_order_ids is not None and window:
            raise ValueError("give external_order_ids, or date_from and date_to — not both")
        if self.external_order_ids is None and not window:
            raise ValueError("give external_order_ids, or date_from and date_to")
        if window and (self.date_from is None or self.date_to is None):
            raise ValueError("a window needs both date_from and date_to")
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
    status: Literal["scheduled", "failed"]
    error: str | None = None


class DeleteOrdersOutput(ToolOutput):
    truncatable: ClassVar[str | None] = "orders"
    cut_advice: ClassVar[str] = "the counts cover every id; pass fewer ids per call to see every outcome."

    scheduled: int = Field(description="Deletions eSputnik accepted; it carries them out shortly after.")
    failed: int
    window_from_utc: str | None = None
    window_to_utc: str | None = None
    orders: list[DeletedOrderView] | None = None


async def delete_orders(params: DeleteOrdersInput, ctx: ToolContext) -> Result[DeleteOrdersOutput]:
    if params.date_from is not None and params.date_to is not None:
        start, end = _utc(params.date_from), _utc(params.date_to)
        await ctx.client.orders.delete_between(start, end)
        out = DeleteOrdersOutput(
            scheduled=1,
            failed=0,
            window_from_utc=start.strftime(DELETE_TIME_FORMAT),
            window_to_utc=end.strftime(DELETE_TIME_FORMAT),
        )
        summary = (
            f"deletion of every order dated {out.window_from_utc} to {out.window_to_utc} UTC scheduled; "
            "eSputnik removes them shortly"
        )
        return Result(summary, out)
    ids = list(dict.fromkeys(params.external_order_ids or []))
    outcomes = await ctx.client.orders.delete_each(ids, on_done=chunk_progress(ctx.progress, len(ids)))
    views = [
        DeletedOrderView(external_order_id=o.items[0], status="scheduled")
        if o.error is None
        else DeletedOrderView(external_order_id=o.items[0], status="failed", error=describe_api_error(o.error))
        for o in outcomes
    ]
    views.sort(key=lambda v: v.status != "failed")
    failed = sum(1 for v in views if v.status == "failed")
    out = DeleteOrdersOutput(scheduled=len(views) - failed, failed=failed, orders=views)
    summary = f"deletion of {out.scheduled} of {counted(len(ids), 'order')} scheduled; {failed} failed"
    if failed:
        summary += f" (first: {next(v.error for v in views if v.error)})"
    return Result(summary, out, is_error=not out.scheduled)


TOOLS = [
    ToolSpec(
        name="add_orders",
        title="Add or update orders",
        description=(
            "Add orders, or update those with a known external_order_id, for revenue and RFM reports "
            f"(any number; {ORDERS_PER_REQUEST} per request). Each order raises an order event "
            "(e.g. orderDELIVERED) that can start workflows messaging the customer."
        ),
        toolset=Toolset.ORDERS,
        kind=Kind.WRITE,
        params=AddOrdersInput,
        output=AddOrdersOutput,
        handler=add_orders,
        destructive=False,
        idempotent=False,
    ),
    ToolSpec(
        name="delete_orders",
        title="Delete orders",
        description=(
            "Delete orders by their external_order_ids (one request each), or every order dated within a "
            "window of at most 24 hours (date_from, date_to, converted to UTC). eSputnik deletes them "
            "shortly after; it cannot be undone."
        ),
        toolset=Toolset.ORDERS,
        kind=Kind.WRITE,
        params=DeleteOrdersInput,
        output=DeleteOrdersOutput,
        handler=delete_orders,
        destructive=True,
        idempotent=True,
        irreversible=describe_window_deletion,
    ),
]
