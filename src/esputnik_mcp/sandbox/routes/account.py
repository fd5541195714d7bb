"""Account info and balance (esputnik-api.md §3)."""

from __future__ import annotations

from starlette.responses import Response

from esputnik_mcp.sandbox.domain import account
from esputnik_mcp.sandbox.routes.base import Call, RouteSpec
from esputnik_mcp.sandbox.wire import json_reply


def account_info(call: Call) -> Response:
    call.params()
    return json_reply(account.info_json(call.state))


def balance(call: Call) -> Response:
    call.params()
    return json_reply(account.balance_json(call.state))


ROUTES = [
    RouteSpec("GET", "/v1/account/info", account_info),
    RouteSpec("GET", "/v1/balance", balance),
]
