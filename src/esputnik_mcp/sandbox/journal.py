"""The request journal: what every request asked and what the sandbox answered.

Request headers are not kept, so the Authorization header (the API key) never is.
"""

from __future__ import annotations

import collections
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class JournalEntry:
    """One API request (under ``/api``; admin requests are not recorded) and its answer.

    ``path`` is the API path without the ``/api`` prefix (``/v1/contact/5``), as the
    reference writes it; ``route`` is the matched operation (``PUT /v1/contact/{id}``), or None
    for an unknown path. ``body`` is the parsed JSON body, else its text, else None.
    ``status`` is None when no answer was produced (the caller gave up during a delay).
    ``dropped`` means the request was processed but the answer was never delivered. A body
    over 1 MiB is kept as its size only.
    """

    time: float
    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int | None
    response_body: str
    route: str | None = None
    fault: str | None = None
    dropped: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Journal:
    """The most recent requests, oldest first (at most ``limit``)."""

    def __init__(self, limit: int = 5_000) -> None:
        self._entries: collections.deque[JournalEntry] = collections.deque(maxlen=limit)

    @property
    def entries(self) -> list[JournalEntry]:
        return list(self._entries)

    def record(self, entry: JournalEntry) -> None:
        self._entries.append(entry)

    def clear(self) -> None:
        self._entries.clear()

    def for_route(self, route: str) -> list[JournalEntry]:
        """The entries of one operation, e.g. ``"POST /v1/message/email"``."""
        return [e for e in self._entries if e.route == route]

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)
