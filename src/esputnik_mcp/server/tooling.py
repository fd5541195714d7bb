"""Registering a :class:`ToolSpec` with the MCP SDK, and running one call of it.

The SDK receives the tool's published input schema (from the tool's one input model) and an
argument model that passes arguments through untouched: validation happens once, here, against
the tool's own model, so that a bad argument gets one short, precise message.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from mcp_types import CallToolResult, InputRequiredResult, TextContent, ToolAnnotations
from pydantic import BaseModel, ConfigDict, ValidationError

from esputnik_mcp.api import AmbiguousOutcomeError, ESputnikError
from esputnik_mcp.server import metrics
from esputnik_mcp.server.confirmation import Stop
from esputnik_mcp.server.gate import Admission, Gate
from esputnik_mcp.settings import Settings
from esputnik_mcp.store.base import StoreUnavailable
from esputnik_mcp.toolkit.base import Result, ToolContext, ToolFailure
from esputnik_mcp.toolkit.failures import describe_api_error, describe_validation_error
from esputnik_mcp.toolkit.render import clean_text, render
from esputnik_mcp.toolspec import SendPlan, ToolSpec

if TYPE_CHECKING:
    from esputnik_mcp.server.listing import Listing

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
_NULL = {"type": "null"}
# Bounds that only guard against abuse: the server enforces them, but no real value comes near, so
# they tell a model nothing. Bounds that matter (a name's 40 characters, a list's cap) stay.
_LOOSE_MAX_LENGTH = 255
_INT32_MAX = 2**31 - 1


def compact_schema(schema: Any, *, output: bool = False) -> Any:
    """``schema`` as few tokens as say the same to a client: what every client pays at each tools/list.

    - no ``title`` keywords: pydantic derives them from field and class names, which they repeat;
    - no null branches: an optional field is simply not required (results never carry a null, see
      ``render.structured``, and a tool takes a missing argument for its default);
    - a union of bare types as one list (``"type": ["string", "number"]``), and no
      ``additionalProperties: true``, which every object allows anyway;
    - no class docstrings (each definition's ``description``): they speak to the code's readers;
      each property says what it means to the model;
    - no bounds that only guard against abuse (``minLength: 1``, ``maxLength`` of 255 and more,
      ``maximum`` 2**31-1 on ids): the server still enforces them, with a precise message;
    - for results (``output``), structure only: no descriptions (the summary line and the tool's
      description say what a result means; a model reads the result, not its schema), no defaults
      (a result carries every value it has) and no ``additionalProperties: false``.
    """
    if isinstance(schema, list):
        return [compact_schema(item, output=output) for item in schema]
    if not isinstance(schema, dict):
        return schema
    compact: dict[str, Any] = {}
    for key, value in _merged_types(_without_null(schema)).items():
        if key == "title" or _loose(key, value) or _implied(key, value) or (output and _result_only(key, value)):
            continue
        if key in _NAME_MAPS and isinstance(value, dict):
            compact[key] = {name: compact_schema(sub, output=output) for name, sub in value.items()}
            if key == "$defs":
                for definition in compact[key].values():
                    if isinstance(definition, dict):
                        definition.pop("description", None)
        elif key in _DATA_KEYWORDS:
            compact[key] = value
        else:
            compact[key] = compact_schema(value, output=output)
    return compact


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """``X | None`` as ``X``: the field's own keywords (its description) win over the type's."""
    options = schema.get("anyOf")
    if not (isinstance(options, list) and _NULL in options):
        return schema
    rest = [option for option in options if option != _NULL]
    outer = {k: v for k, v in schema.items() if k != "anyOf" and not (k == "default" and v is None)}
    if len(rest) == 1 and isinstance(rest[0], dict):
        return {**rest[0], **outer}
    return {**outer, "anyOf": rest}


def _merged_types(schema: dict[str, Any]) -> dict[str, Any]:
    """A union of bare types as one ``type`` list."""
    options = schema.get("anyOf")
    if not (isinstance(options, list) and options and all(isinstance(o, dict) and set(o) == {"type"} for o in options)):
        return schema
    types = [o["type"] for o in options]
    if "number" in types and "integer" in types:
        types.remove("integer")  # every integer is a number
    return {**{k: v for k, v in schema.items() if k != "anyOf"}, "type": types}


def _implied(key: str, value: Any) -> bool:
    """Whether ``key: value`` says what JSON Schema assumes anyway."""
    return key == "additionalProperties" and value is True


def _result_only(key: str, value: Any) -> bool:
    """Whether ``key: value`` of a result schema says nothing about the result's structure."""
    return (key in ("description", "default") and not isinstance(value, dict)) or (
        key == "additionalProperties" and value is False
    )


def _loose(key: str, value: Any) -> bool:
    """Whether ``key: value`` is a bound that only guards against abuse."""
    if isinstance(value, bool) or not isinstance(value, int):
        return False
    return (
        (key == "minLength" and value == 1)
        or (key == "maxLength" and value >= _LOOSE_MAX_LENGTH)
        or (key == "maximum" and value == _INT32_MAX)
    )


def limits(settings: Settings) -> dict[str, object]:
    """The settings a tool's description may name in braces, e.g. ``{max_recipients}``."""
    return {"max_recipients": settings.max_recipients}


def inline_single_use(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with each definition used once written in place of its reference: the reference
    and the definition's name say nothing a model needs. Definitions used more than once stay."""
    definitions = schema.get("$defs")
    if not isinstance(definitions, dict):
        return schema
    text = json.dumps(schema)
    once = {name for name in definitions if text.count(f'"#/$defs/{name}"') == 1}

    def expand(node: Any) -> Any:
        if isinstance(node, list):
            return [expand(item) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.removeprefix("#/$defs/") in once:
            rest = {k: expand(v) for k, v in node.items() if k != "$ref"}
            return {**expand(definitions[ref.removeprefix("#/$defs/")]), **rest}
        return {k: expand(v) for k, v in node.items() if k != "$defs"}

    inlined: dict[str, Any] = expand(schema)
    kept = {name: expand(d) for name, d in definitions.items() if name not in once}
    if kept:
        inlined["$defs"] = kept
    return inlined


def base_input_schema(spec: ToolSpec) -> dict[str, Any]:
    """The published input schema of ``spec``, before the settings' recipient cap."""
    schema: dict[str, Any] = inline_single_use(compact_schema(spec.params.model_json_schema()))
    schema.pop("description", None)
    return schema


def capped(schema: Mapping[str, Any], recipients_param: str | None, settings: Settings) -> dict[str, Any]:
    """``schema`` with the list of a send's recipients capped at ``ESPUTNIK_MAX_RECIPIENTS`` (a copy
    where it changes: the schema may be shared by several servers)."""
    if recipients_param is None:
        return dict(schema)
    properties = schema["properties"]
    recipients = properties[recipients_param]
    cap = min(recipients.get("maxItems", settings.max_recipients), settings.max_recipients)
    return {**schema, "properties": {**properties, recipients_param: {**recipients, "maxItems": cap}}}


def input_schema(spec: ToolSpec, settings: Settings) -> dict[str, Any]:
    return capped(base_input_schema(spec), spec.recipients_param, settings)


def output_schema(spec: ToolSpec) -> dict[str, Any]:
    schema: dict[str, Any] = inline_single_use(
        compact_schema(spec.output.model_json_schema(mode="serialization"), output=True)
    )
    schema.pop("description", None)
    return schema


def tool_annotations(tool: ToolSpec | Listing) -> ToolAnnotations:
    # No title here: the tool's own title says it, and clients prefer it.
    return ToolAnnotations(
        read_only_hint=tool.read_only,
        destructive_hint=tool.destructive_hint,
        idempotent_hint=tool.idempotent_hint,
        open_world_hint=tool.open_world,
    )


def sdk_tool(listed: Listing, spec_of: Callable[[str], ToolSpec], make_context: ContextFactory, gate: Gate) -> Tool:
    """The SDK's registration of the tool ``listed``; its :class:`ToolSpec` (handler, models) is
    asked of ``spec_of`` when a call arrives, so that the tool's module can be imported then."""
    name = listed.name

    async def call(arguments: dict[str, Any], ctx: Context[Any, Any]) -> CallToolResult | InputRequiredResult:
        return await invoke(spec_of(name), arguments, make_context(ctx), gate, ctx)

    return Tool(
        fn=call,
        name=name,
        title=listed.title,
        description=listed.describe(limits(gate.settings)),
        parameters=capped(listed.input_schema, listed.recipients_param, gate.settings),
        fn_metadata=FuncMetadata(arg_model=_PassThroughArguments, output_schema=dict(listed.output_schema)),
        is_async=True,
        context_kwarg="ctx",
        annotations=tool_annotations(listed),
    )


def error_result(message: str, structured: dict[str, Any] | None = None) -> CallToolResult:
    text = clean_text(message)
    if len(text) > MAX_ERROR_CHARS:
        text = text[: MAX_ERROR_CHARS - 1] + "…"
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=structured, is_error=True)


def parse_arguments(model: type[BaseModel], arguments: dict[str, Any]) -> BaseModel:
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
    outcome = "crashed"
    try:
        outcome, answer = await _call(spec, arguments, ctx, gate, mcp_ctx)
        return answer
    finally:
        elapsed = time.perf_counter() - started
        logger.info("tool %s: %s in %.3fs", spec.name, outcome, elapsed)
        metrics.record_call(spec.name, outcome, elapsed)


Answer = tuple[str, CallToolResult | InputRequiredResult]  # what became of the call (for the log), the answer


async def _call(
    spec: ToolSpec, arguments: dict[str, Any], ctx: ToolContext, gate: Gate, mcp_ctx: Context[Any, Any] | None
) -> Answer:
    try:
        params = parse_arguments(spec.params, arguments)
    except ValidationError as exc:
        return "invalid", error_result(describe_validation_error(spec.name, exc, list(spec.params.model_fields)))

    async def planner() -> SendPlan | None:
        return await spec.plan_send(params, ctx) if spec.plan_send is not None else None

    admission = await _admit(spec, params, planner, gate, mcp_ctx)
    if isinstance(admission, tuple):
        return admission
    if isinstance(admission.decision, InputRequiredResult):
        return "awaiting confirmation", admission.decision
    if isinstance(admission.decision, Stop):
        return "stopped", error_result(admission.decision.message, admission.decision.structured)
    return await _run(spec, params, admission, ctx, gate)


async def _admit(
    spec: ToolSpec,
    params: BaseModel,
    planner: Callable[[], Awaitable[SendPlan | None]],
    gate: Gate,
    mcp_ctx: Context[Any, Any] | None,
) -> Admission | Answer:
    """The gate's admission, or the answer when deciding it failed (nothing was sent)."""
    try:
        return await gate.admit(spec, params, planner, mcp_ctx)
    except ToolFailure as exc:
        return "refused", error_result(exc.message)
    except ESputnikError as exc:
        return type(exc).__name__, error_result(f"nothing was sent: {describe_api_error(exc)}")
    except StoreUnavailable as exc:
        return "store unavailable", error_result(
            f"nothing was done: the server's state store is unavailable ({exc}); retry once it is back"
        )


async def _run(spec: ToolSpec, params: BaseModel, admission: Admission, ctx: ToolContext, gate: Gate) -> Answer:
    """Run the handler of an admitted call, and record what happened. A call cancelled or crashed
    after its request may have left is not settled: its reservation stays pending and turns unknown
    once stale, which refuses a blind resend."""
    if admission.plan is not None and admission.plan.held_back:
        ctx = dataclasses.replace(ctx, held_back=admission.plan.held_back)
    try:
        result: Result[Any] = await spec.handler(params, ctx)
    except ToolFailure as exc:
        await gate.settle(spec, params, admission, None, error=exc.message)
        return "refused", error_result(exc.message)
    except ESputnikError as exc:
        message = describe_api_error(exc)
        await gate.settle(
            spec, params, admission, None, error=message, ambiguous=isinstance(exc, AmbiguousOutcomeError)
        )
        return type(exc).__name__, error_result(message)
    text, content = render(result, sandbox=ctx.sandbox)
    await gate.settle(spec, params, admission, result, error=result.summary_line() if result.is_error else None)
    answer = CallToolResult(
        content=[TextContent(type="text", text=text)], structured_content=content, is_error=result.is_error
    )
    return ("error" if result.is_error else "ok"), answer
