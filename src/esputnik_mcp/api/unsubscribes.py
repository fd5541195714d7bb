"""The unsubscribed-email list (esputnik-api.md §5). It acts on addresses, not contacts, and on
email only; eSputnik offers no way to read the list."""

from __future__ import annotations

from collections.abc import Sequence

from esputnik_mcp.api.errors import RequestValidationError
from esputnik_mcp.api.http import Endpoint, HttpCore
from esputnik_mcp.api.retry import Safety

ADD = Endpoint("POST", "/v1/emails/unsubscribed/add", Safety.IDEMPOTENT, "addToUnsubscribed", expect="text")
REMOVE = Endpoint("POST", "/v1/emails/unsubscribed/delete", Safety.IDEMPOTENT, "deleteFromUnsubscribed", expect="text")


class UnsubscribesApi:
    def __init__(self, http: HttpCore) -> None:
        self._http = http

    async def add(self, emails: Sequence[str]) -> None:
        """Stop bulk email to these addresses (every contact with them); other channels go on."""
        await self._http.call(ADD, json_body={"emails": _emails(emails)})

    async def remove(self, emails: Sequence[str]) -> None:
        """Take these addresses off the unsubscribed list."""
        await self._http.call(REMOVE, json_body={"emails": _emails(emails)})


def _emails(emails: Sequence[str]) -> list[str]:
    cleaned = [e.strip() for e in emails if e.strip()]
    if not cleaned:
        raise RequestValidationError("no email addresses given")
    return cleaned
