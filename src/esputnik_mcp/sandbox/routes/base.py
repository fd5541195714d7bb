"""What every handler works with: the call (state, path, query, body) and its route's rules."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from starlette.responses import Response

from esputnik_mcp.sandbox.limits import DEFAULT
from esputnik_mcp.sandbox.state import State
from esputnik_mcp.sandbox.wire import Query


@dataclass(frozen=True)
class Call:
    """One API request as a handler sees it. Handlers run inside one database transaction."""

    state: State
    path: Mapping[str, str]
    query: Mapping[str, str]
    body: bytes

    def params(self, *allowed: str) -> Query:
        """The query string, refusing names other than ``allowed``."""
        return Query(self.query, allowed)


Handler = Callable[[Call], Response]


@dataclass(frozen=True)
class RouteSpec:
    """One eSputnik operation: method, path template (no ``/api`` prefix) and handler.

    ``bucket`` is its rate-limit bucket; ``guard_repeats`` makes an identical request within a
    minute answer 409 (SPEC addContact, updateContact, subscribeContact).
    """

    method: str
    path: str
    handler: Handler
    bucket: str = DEFAULT
    guard_repeats: bool = False

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"


def routes(*groups: Iterable[RouteSpec]) -> list[RouteSpec]:
    return [spec for group in groups for spec in group]
