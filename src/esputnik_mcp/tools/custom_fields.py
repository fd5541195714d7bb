"""The account's custom contact fields: list_custom_fields."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from esputnik_mcp.toolkit.base import Result, ToolContext, ToolInput, ToolOutput, tool
from esputnik_mcp.toolkit.views import View
from esputnik_mcp.toolspec import Kind, Toolset


class ListCustomFieldsInput(ToolInput):
    pass


class CustomFieldView(View):
    id: int
    name: str | None = None
    key: str | None = Field(default=None, description="fieldKey; a CSV import column is profile_key.key.")
    type: str | None = Field(
        default=None, description="TEXTFIELD, TEXTAREA, NUMBER, DECIMAL, DATE, DATETIME, COMBOBOX, CHECKBOXLIST, TAGS."
    )
    required: bool | None = None
    readonly: bool | None = None
    allowed_values: list[str] | None = None
    min_value: int | None = None
    max_value: int | None = None
    group: str | None = None
    profile_key: str | None = None


class CustomFieldsOutput(ToolOutput):
    truncatable: ClassVar[str | None] = "fields"
    cut_advice: ClassVar[str] = "the list is cut; the account has more fields than fit."

    fields: list[CustomFieldView]


@tool(
    "list_custom_fields",
    title="List custom contact fields",
    toolset=Toolset.CONTACTS,
    kind=Kind.READ,
    description="""The account's custom contact fields (id, name, key, type, allowed values): the ids a
    contact's fields take. One read.""",
    example={},
)
async def list_custom_fields(params: ListCustomFieldsInput, ctx: ToolContext) -> Result[CustomFieldsOutput]:
    rows: list[CustomFieldView] = []
    for book in await ctx.client.custom_fields.catalogue():
        for group in book.field_groups:
            for info in group.fields:
                d = info.description
                allowed = d.allowed_values if d is not None else None
                rows.append(
                    CustomFieldView(
                        id=info.id,
                        name=info.name,
                        key=info.field_key,
                        type=d.type.upper() if d is not None and d.type else None,
                        required=d.required if d is not None else None,
                        readonly=d.readonly if d is not None else None,
                        allowed_values=(allowed.possible_values or None) if allowed is not None else None,
                        min_value=allowed.min_value if allowed is not None else None,
                        max_value=allowed.max_value if allowed is not None else None,
                        group=group.name,
                        profile_key=group.profile_key,
                    )
                )
    return Result(lambda o: f"{len(o.fields)} custom contact fields", CustomFieldsOutput(fields=rows))
