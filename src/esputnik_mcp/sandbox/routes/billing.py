"""Billing history: GET /v1/balance/history (esputnik-api.md §3.3)."""

from __future__ import annotations

from starlette.responses import Response

from esputnik_mcp.sandbox.domain import billing
from esputnik_mcp.sandbox.routes.base import Call, RouteSpec
from esputnik_mcp.sandbox.wire import json_reply


def balance_history(call: Call) -> Response:
    """SPEC getOrganisationBalanceHistory: ``dateFrom`` and ``dateTo`` (YYYY-MM-DD) default to today
    ("Beginning of today", "Now"); 400 when dateTo is before dateFrom, 419 for a period over 90 days."""
    query = call.params("dateFrom", "dateTo")
    today = billing.day_of(call.state.now())
    start = billing.parse_day(query.text("dateFrom"), "dateFrom", today)
    end = billing.parse_day(query.text("dateTo"), "dateTo", today)
    return json_reply(billing.history_json(call.state, start, end))


ROUTES = [RouteSpec("GET", "/v1/balance/history", balance_history)]
