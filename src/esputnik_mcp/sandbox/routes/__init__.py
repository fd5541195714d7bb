"""The eSputnik operations the sandbox answers, one module per area."""

from esputnik_mcp.sandbox.routes import (
    account,
    activity,
    billing,
    broadcasts,
    commerce,
    contacts,
    history,
    messages,
    segments,
    subscriptions,
    workflows,
)
from esputnik_mcp.sandbox.routes.base import RouteSpec, routes

API_ROUTES: list[RouteSpec] = routes(
    account.ROUTES, contacts.ROUTES, segments.ROUTES, messages.ROUTES, activity.ROUTES, history.ROUTES
) + routes(billing.ROUTES, subscriptions.ROUTES, commerce.ROUTES)
API_ROUTES += routes(broadcasts.ROUTES, workflows.ROUTES)

__all__ = ["API_ROUTES", "RouteSpec"]
