"""Account info, balance and sender interfaces (esputnik-api.md §3)."""

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


def email_senders(call: Call) -> Response:
    """SPEC getEmailInterfaces: an array of ``{type, value}``, one per email sender."""
    call.params()
    return json_reply(account.senders_json(call.state, "email"))


def sms_senders(call: Call) -> Response:
    """SPEC getSmsInterfaces: an array of ``{type, value}``, one per SMS alpha name."""
    call.params()
    return json_reply(account.senders_json(call.state, "sms"))


ROUTES = [
    RouteSpec("GET", "/v1/account/info", account_info),
    RouteSpec("GET", "/v1/balance", balance),
    RouteSpec("GET", "/v1/interfaces/email", email_senders),
    RouteSpec("GET", "/v1/interfaces/sms", sms_senders),
]
