"""Subscription categories: list_subscription_categories, get_contact_subscriptions,
update_contact_subscriptions."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from esputnik_mcp.api import NotFoundError
from esputnik_mcp.api.subscriptions import ContactSubscription
from esputnik_mcp.toolkit.base import Result, ToolContext, ToolFailure, ToolInput, ToolOutput, both, tool
from esputnik_mcp.toolkit.bulk import counted
from esputnik_mcp.toolkit.params import ContactId
from esputnik_mcp.toolkit.render import quoted
from esputnik_mcp.toolkit.views import View
from esputnik_mcp.toolspec import Kind, Toolset

CategoryKey = Annotated[str, Field(min_length=1, max_length=100)]
MAX_CATEGORIES = 100


def _keys(keys: list[str]) -> str:
    return ", ".join(quoted(k) for k in keys) if keys else "none"


# --- list_subscription_categories --------------------------------------------------------------


class CategoriesInput(ToolInput):
    pass


class CategoryView(View):
    key: str | None = None
    name: str | None = None
    id: int | None = None
    contacts: int | None = Field(default=None, description="Contacts subscribed.")


class CategoriesOutput(ToolOutput):
    truncatable: ClassVar[str | None] = "categories"

    categories: list[CategoryView]


@tool(
    "list_subscription_categories",
    title="Subscription categories",
    toolset=Toolset.CONTACTS,
    kind=Kind.READ,
    description="""The organisation's subscription categories (key, name, subscribed contacts): the keys
    update_contact_subscriptions takes. One read.""",
    example={},
)
async def list_subscription_categories(params: CategoriesInput, ctx: ToolContext) -> Result[CategoriesOutput]:
    found = await ctx.client.subscriptions.categories()
    out = CategoriesOutput(
        categories=[CategoryView(key=c.key, name=c.name, id=c.id, contacts=c.contacts_count) for c in found]
    )
    return Result(_categories_summary, out)


def _categories_summary(out: CategoriesOutput) -> str:
    keys = [c.key or "" for c in out.categories]
    return f"{counted(len(keys), 'subscription category', 'subscription categories')}: {_keys(keys)}"


# --- get_contact_subscriptions -----------------------------------------------------------------


class ContactCategoriesInput(ToolInput):
    contact_id: ContactId


class ContactCategoryView(View):
    key: str | None = None
    name: str | None = None


class ContactCategoriesOutput(ToolOutput):
    contact_id: int
    categories: list[ContactCategoryView]


def _views(found: list[ContactSubscription]) -> list[ContactCategoryView]:
    return [ContactCategoryView(key=c.key, name=c.name) for c in found]


async def _of_contact(ctx: ToolContext, contact_id: int) -> list[ContactSubscription]:
    try:
        return await ctx.client.subscriptions.of_contact(contact_id)
    except NotFoundError:
        raise ToolFailure(f"contact {contact_id} not found") from None


@tool(
    "get_contact_subscriptions",
    title="Contact's subscription categories",
    toolset=Toolset.CONTACTS,
    kind=Kind.READ,
    description="The subscription categories a contact receives. One read.",
    example={"contact_id": 100001},
)
async def get_contact_subscriptions(
    params: ContactCategoriesInput, ctx: ToolContext
) -> Result[ContactCategoriesOutput]:
    found = await _of_contact(ctx, params.contact_id)
    out = ContactCategoriesOutput(contact_id=params.contact_id, categories=_views(found))
    keys = [c.key or "" for c in found]
    received = counted(len(keys), "category", "categories")
    return Result(f"contact {params.contact_id} receives {received}: {_keys(keys)}", out)


# --- update_contact_subscriptions --------------------------------------------------------------


class UpdateCategoriesInput(ToolInput):
    contact_id: ContactId
    categories: list[CategoryKey] = Field(
        max_length=MAX_CATEGORIES, description="Every category key it should receive ([]: none)."
    )


class UpdateCategoriesOutput(ToolOutput):
    contact_id: int
    added: list[str]
    removed: list[str]
    categories: list[str] = Field(description="What eSputnik holds now.")


def _update_target(params: UpdateCategoriesInput) -> str:
    return f"set subscription categories of contact {params.contact_id} to {', '.join(params.categories) or 'none'}"


@tool(
    "update_contact_subscriptions",
    title="Set a contact's subscription categories",
    toolset=Toolset.CONTACTS,
    kind=Kind.WRITE,
    destructive=True,
    target=_update_target,
    description="""Replace the subscription categories a contact receives with categories (keys from
    list_subscription_categories) and say which were added and removed. Unknown keys are refused.
    Three reads and one write.""",
    example={"contact_id": 100001, "categories": ["news", "sales"]},
)
async def update_contact_subscriptions(
    params: UpdateCategoriesInput, ctx: ToolContext
) -> Result[UpdateCategoriesOutput]:
    wanted = list(dict.fromkeys(params.categories))
    known, before = await both(ctx.client.subscriptions.categories(), _of_contact(ctx, params.contact_id))
    valid = {c.key for c in known if c.key}
    if unknown := [key for key in wanted if key not in valid]:
        raise ToolFailure(
            f"nothing changed: no subscription category has the key {_keys(unknown)}; "
            f"the keys are {_keys(sorted(valid))}"
        )
    await ctx.client.subscriptions.change(params.contact_id, wanted)
    after = [c.key for c in await _of_contact(ctx, params.contact_id) if c.key]
    had = [c.key for c in before if c.key]
    out = UpdateCategoriesOutput(
        contact_id=params.contact_id,
        added=[k for k in after if k not in had],
        removed=[k for k in had if k not in after],
        categories=after,
    )
    summary = f"contact {params.contact_id}: added {_keys(out.added)}; removed {_keys(out.removed)}; now {_keys(after)}"
    if set(after) != set(wanted):
        summary += f". NOT AS ASKED: eSputnik holds {_keys(after)} rather than {_keys(wanted)}"
    return Result(summary, out, is_error=set(after) != set(wanted))
