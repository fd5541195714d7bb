"""The eSputnik operations the sandbox answers, one module per area."""

from esputnik_mcp.sandbox.routes import account, activity, contacts, history, messages, segments
from esputnik_mcp.sandbox.routes.base import RouteSpec, routes

API_ROUTES: list[RouteSpec] = routes(
    account.ROUTES, contacts.ROUTES, segments.ROUTES, messages.ROUTES, activity.ROUTES, history.ROUTES
)

__all__ = ["API_ROUTES", "RouteSpec"]
