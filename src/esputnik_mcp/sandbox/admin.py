"""Admin routes under ``/_sandbox`` (off unless the sandbox is built with ``admin=True``).

Same Basic auth as the API. ``GET|DELETE /_sandbox/journal``; ``GET|POST|DELETE
/_sandbox/faults`` (POST takes a fault as JSON: ``route``, ``times``, ``status``, ``body``,
``headers``, ``delay``, ``garbage``, ``drop``); ``GET|POST /_sandbox/clock`` (POST
``{"advance": seconds}``); ``POST /_sandbox/reset`` (``{"demo": bool}``, optional);
``GET /_sandbox/messages`` (what was sent) and ``GET /_sandbox/events``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from esputnik_mcp.sandbox.domain import events, messaging
from esputnik_mcp.sandbox.faults import Fault
from esputnik_mcp.sandbox.wire import ApiError, bad_request, describe, json_reply, parse_json

if TYPE_CHECKING:
    from esputnik_mcp.sandbox.app import Runtime


class _FaultIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    route: str
    times: int | None = 1
    status: int | None = None
    body: str | None = None
    headers: dict[str, str] | None = None
    delay: float | None = None
    garbage: bool = False
    drop: bool = False


class _ClockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    advance: float


class _ResetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    demo: bool | None = None


def _body(model: type[BaseModel], raw: bytes) -> Any:
    try:
        return model.model_validate(parse_json(raw) if raw.strip() else {})
    except ValidationError as exc:
        raise bad_request(describe(exc)) from None


def admin_routes(rt: Runtime) -> list[BaseRoute]:
    async def journal(request: Request) -> Response:
        if request.method == "DELETE":
            rt.journal.clear()
            return Response(status_code=204)
        return json_reply([entry.as_dict() for entry in rt.journal.entries])

    async def faults(request: Request) -> Response:
        try:
            if request.method == "DELETE":
                rt.faults.clear()
                return Response(status_code=204)
            if request.method == "POST":
                spec: _FaultIn = _body(_FaultIn, await request.body())
                try:
                    fault = rt.faults.add(Fault(**spec.model_dump()))
                except ValueError as exc:
                    raise bad_request(str(exc)) from None
                return json_reply(fault.as_dict())
        except ApiError as error:
            return error.response()
        return json_reply([fault.as_dict() for fault in rt.faults.pending])

    async def clock(request: Request) -> Response:
        if request.method == "POST":
            try:
                spec: _ClockIn = _body(_ClockIn, await request.body())
                if spec.advance < 0:
                    raise bad_request("advance must not be negative")
            except ApiError as error:
                return error.response()
            rt.state.clock.advance(spec.advance)
        return json_reply({"now": rt.state.now(), "frozen": rt.state.clock.frozen})

    async def reset(request: Request) -> Response:
        try:
            spec: _ResetIn = _body(_ResetIn, await request.body())
        except ApiError as error:
            return error.response()
        rt.reset(spec.demo)
        return json_reply({"reset": True})

    async def sent(request: Request) -> Response:
        return json_reply(messaging.sent_messages(rt.state))

    async def stored_events(request: Request) -> Response:
        return json_reply(events.list_events(rt.state))

    return [
        Route("/_sandbox/journal", journal, methods=["GET", "DELETE"]),
        Route("/_sandbox/faults", faults, methods=["GET", "POST", "DELETE"]),
        Route("/_sandbox/clock", clock, methods=["GET", "POST"]),
        Route("/_sandbox/reset", reset, methods=["POST"]),
        Route("/_sandbox/messages", sent, methods=["GET"]),
        Route("/_sandbox/events", stored_events, methods=["GET"]),
    ]
