"""Registering a :class:`ToolSpec` with the MCP SDK, and running one call of it.

The SDK receives the tool's published input schema (from the tool's one input model) and an
argument model that passes arguments through untouched: validation happens once, here, against
the tool's own model, so that a bad argument gets one short, precise message.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from mcp_types import CallToolResult, InputRequiredResult, TextContent, ToolAnnotations
from pydantic import ConfigDict, ValidationError

from esputnik_mcp.api import AmbiguousOutcomeError, ESputnikError
from esputnik_mcp.server.gate import Gate, Stop
from esputnik_mcp.tools.base import ToolContext, ToolFailure, ToolInput, ToolSpec
from esputnik_mcp.tools.failures import describe_api_error, describe_validation_error
from esputnik_mcp.tools.results import clean_text, render

logger = logging.getLogger("esputnik_mcp.tools")

MAX_ERROR_CHARS = 1_000

ContextFactory = Callable[[Context[Any, Any]], ToolContext]


class _PassThroughArguments(ArgModelBase):
    """Hands the raw arguments to the tool function; the tool's own model validates them."""

    model_config = ConfigDict(extra="allow", arbitrary_types_allowed=True)

    def model_dump_one_level(self) -> dict[str, Any]:
        return {"arguments": dict(self.model_extra or {})}


_NAME_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions"})
_DATA_KEYWORDS = frozenset({"default", "enum", "const", "examples"})


def compact_schema(schema: Any, *, nulls: bool = True) -> Any:
    """``schema`` without the ``title`` keywords pydantic derives from field and class names: they
    repeat the property names, and every client pays for them in tokens at each tools/list.

    With ``nulls=False`` (output schemas: results never carry a null, see ``results.structured``)
    an optional field is described by its type alone rather than "that type or null, default null".
    """
    if isinstance(schema, list):
        return [compact_schema(item, nulls=nulls) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if not nulls:
        options = schema.get("anyOf")
        if isinstance(options, list) and {"type": "null"} in options:
            rest = [option for option in options if option != {"type": "null"}]
            merged = {k: v for k, v in schema.items() if k not in ("anyOf", "default")}
            if len(rest) == 1 and isinstance(rest[0], dict):
                merged.update(rest[0])
            else:
                merged["anyOf"] = rest
            schema = merged
    compact: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title":
            continue
        if key in _NAME_MAPS and isinstance(value, dict):
            compact[key] = {name: compact_schema(sub, nulls=nulls) for name, sub in value.items()}
        elif key in _DATA_KEYWORDS:
            compact[key] = value
        else:
            compact[key] = compact_schema(value, nulls=nulls)
    return compact


def input_schema(spec: ToolSpec) -> dict[str, Any]:
    schema: dict[str, Any] = compact_schema(spec.params.model_json_schema())
    return schema


def output_schema(spec: ToolSpec) -> dict[str, Any]:
    schema: dict[str, Any] = compact_schema(spec.output.model_json_schema(mode="serialization"), nulls=False)
    return schema


def tool_annotations(spec: ToolSpec) -> ToolAnnotations:
    return ToolAnnotations(
        title=spec.title,
        read_only_hint=spec.read_only,
        destructive_hint=spec.destructive_hint,
        idempotent_hint=spec.idempotent_hint,
        open_world_hint=spec.open_world,
    )


def sdk_tool(spec: ToolSpec, make_context: ContextFactory, gate: Gate) -> Tool:
    async def call(arguments: dict[str, Any], ctx: Context[Any, Any]) -> CallToolResult | InputRequiredResult:
        return await invoke(spec, arguments, make_context(ctx), gate, ctx)

    return Tool(
        fn=call,
        name=spec.name,
        title=spec.title,
        description=spec.description,
        parameters=input_schema(spec),
        fn_metadata=FuncMetadata(arg_model=_PassThroughArguments, output_schema=output_schema(spec)),
        is_async=True,
        context_kwarg="ctx",
        annotations=tool_annotations(spec),
    )


def error_result(message: str, structured: dict[str, Any] | None = None) -> CallToolResult:
    text = clean_text(message)
    if len(text) > MAX_ERROR_CHARS:
        text = text[: MAX_ERROR_CHARS - 1] + "…"
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=structured, is_error=True)


def parse_arguments(model: type[ToolInput], arguments: dict[str, Any]) -> ToolInput:
    """Validate ``arguments``; list and object arguments that arrive JSON-encoded as strings (some
    clients send them so) are decoded first."""
    decoded = dict(arguments)
    for name, value in arguments.items():
        field = model.model_fields.get(name)
        if field is None or field.annotation is str or not isinstance(value, str):
            continue
        if value[:1] in ("[", "{"):
            try:
                decoded[name] = json.loads(value)
            except ValueError:
                continue
    return model.model_validate(decoded)


async def invoke(
    spec: ToolSpec, arguments: dict[str, Any], ctx: ToolContext, gate: Gate, mcp_ctx: Context[Any, Any] | None = None
) -> CallToolResult | InputRequiredResult:
    """Run one call of ``spec``: validate, pass the safety gate, run the handler, record and shape the
    outcome."""
    started = time.perf_counter()
    outcome = "ok"
    try:
        try:
            params = parse_arguments(spec.params, arguments)
        except ValidationError as exc:
            outcome = "invalid"
            return error_result(describe_validation_error(spec.name, exc))
        decision = await gate.admit(spec, params, mcp_ctx)
        if isinstance(decision, InputRequiredResult):
            outcome = "awaiting confirmation"
            return decision
        if isinstance(decision, Stop):
            outcome = "stopped"
            return error_result(decision.message, decision.structured)
        try:
            result = await spec.handler(params, ctx)
        except ToolFailure as exc:
            outcome = "refused"
            gate.settle(spec, params, None, exc.message, ambiguous=False)
            return error_result(exc.message)
        except ESputnikError as exc:
            outcome = type(exc).__name__
            message = describe_api_error(exc)
            gate.settle(spec, params, None, message, ambiguous=isinstance(exc, AmbiguousOutcomeError))
            return error_result(message)
        text, content = render(result, sandbox=ctx.sandbox)
        if result.is_error:
            outcome = "error"
        gate.settle(spec, params, result, result.summary if result.is_error else None, ambiguous=False)
        return CallToolResult(
            content=[TextContent(type="text", text=text)], structured_content=content, is_error=result.is_error
        )
    finally:
        logger.info("tool %s: %s in %.3fs", spec.name, outcome, time.perf_counter() - started)
