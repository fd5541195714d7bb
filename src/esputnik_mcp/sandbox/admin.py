"""Admin routes under ``/_sandbox`` (off unless the sandbox is built with ``admin=True``).

Same Basic auth as the API. ``GET|DELETE /_sandbox/journal``; ``GET|POST|DELETE
/_sandbox/faults`` (POST takes a fault as JSON: ``route``, ``times``, ``status``, ``body``,
``headers``, ``delay``, ``garbage``, ``drop``); ``GET|POST /_sandbox/clock`` (POST
``{"advance": seconds}``); ``POST /_sandbox/reset`` (``{"demo": bool}``, optional);
``GET /_sandbox/messages`` (what was sent) and ``GET /_sandbox/events``; ``GET
/_sandbox/activity`` (the activity events that have happened, as the webhook posts them) and ``POST
/_sandbox/activity`` to record what a person did with a message: ``requestId``, ``action``
(``CLICKED``, ``UNSUBSCRIBED``, ``SPAM``, ``SUBSCRIPTION_CHANGED``), ``link`` (a click's),
``subscriptions`` (category keys) and ``at`` (seconds since the epoch; default: the sandbox's now).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from esputnik_mcp.sandbox.domain import activity, events, messaging
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


class _ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    requestId: str
    action: str
    link: str | None = None
    subscriptions: list[str] | None = None
    at: float | None = None


class _ResetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    demo: bool | None = None


def _body(model: type[BaseModel], raw: bytes) -> Any:
    try:
        return model.model_validate(parse_json(raw) if raw.strip() else {})
    except ValidationError as exc:
        raise bad_request(describe(exc)) from None


class _Admin:
    """The admin handlers, each a bound method sharing the sandbox's runtime."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    async def journal(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.rt.journal.clear()
            return Response(status_code=204)
        return json_reply([entry.as_dict() for entry in self.rt.journal.entries])

    async def faults(self, request: Request) -> Response:
        try:
            if request.method == "DELETE":
                self.rt.faults.clear()
                return Response(status_code=204)
            if request.method == "POST":
                return json_reply(self._add_fault(await request.body()).as_dict())
        except ApiError as error:
            return error.response()
        return json_reply([fault.as_dict() for fault in self.rt.faults.pending])

    def _add_fault(self, raw: bytes) -> Fault:
        """Plan the fault described by ``raw``; a malformed or impossible one is a 400."""
        spec: _FaultIn = _body(_FaultIn, raw)
        try:
            return self.rt.faults.add(Fault(**spec.model_dump()))
        except ValueError as exc:
            raise bad_request(str(exc)) from None

    async def clock(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                spec: _ClockIn = _body(_ClockIn, await request.body())
                if spec.advance < 0:
                    raise bad_request("advance must not be negative")
            except ApiError as error:
                return error.response()
            self.rt.state.clock.advance(spec.advance)
        return json_reply({"now": self.rt.state.now(), "frozen": self.rt.state.clock.frozen})

    async def reset(self, request: Request) -> Response:
        try:
            spec: _ResetIn = _body(_ResetIn, await request.body())
        except ApiError as error:
            return error.response()
        self.rt.reset(spec.demo)
        return json_reply({"reset": True})

    async def sent(self, request: Request) -> Response:
        return json_reply(messaging.sent_messages(self.rt.state))

    async def stored_events(self, request: Request) -> Response:
        return json_reply(events.list_events(self.rt.state))

    async def activity(self, request: Request) -> Response:
        """GET: the events that have happened; POST: record an action (404 for an unknown request
        id, 400 for an action the message cannot have)."""
        state = self.rt.state
        if request.method == "GET":
            return json_reply(activity.events(state))
        try:
            spec: _ActionIn = _body(_ActionIn, await request.body())
            try:
                event_id = activity.record_action(
                    state, spec.requestId, spec.action, link=spec.link, subscriptions=spec.subscriptions, at=spec.at
                )
            except LookupError as exc:
                raise ApiError(404, str(exc.args[0])) from None
            except ValueError as exc:
                raise bad_request(str(exc)) from None
        except ApiError as error:
            return error.response()
        return json_reply(activity.event(state, event_id))


def admin_routes(rt: Runtime) -> list[BaseRoute]:
    admin = _Admin(rt)
    return [
        Route("/_sandbox/journal", admin.journal, methods=["GET", "DELETE"]),
        Route("/_sandbox/faults", admin.faults, methods=["GET", "POST", "DELETE"]),
        Route("/_sandbox/clock", admin.clock, methods=["GET", "POST"]),
        Route("/_sandbox/reset", admin.reset, methods=["POST"]),
        Route("/_sandbox/messages", admin.sent, methods=["GET"]),
        Route("/_sandbox/events", admin.stored_events, methods=["GET"]),
        Route("/_sandbox/activity", admin.activity, methods=["GET", "POST"]),
    ]
