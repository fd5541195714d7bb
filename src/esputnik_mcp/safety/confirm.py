"""Confirmation tokens: a call that needs confirmation and carries no token sends nothing and gets a
preview with a token bound to a hash of its exact arguments. The token is valid for ten minutes,
once, and only for those arguments; the store takes it in one statement, so two calls cannot both
redeem it."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any

from esputnik_mcp.safety.guards import Refusal
from esputnik_mcp.store.base import StateStore, TokenRecord

TOKEN_TTL_SECONDS = 600.0
TOKEN_ARGUMENT = "confirmation_token"  # noqa: S105 - a parameter name, not a secret


def payload_hash(tool: str, arguments: Mapping[str, Any]) -> str:
    """A hash of the tool and its validated arguments, the confirmation token left out."""
    payload = {k: v for k, v in arguments.items() if k != TOKEN_ARGUMENT}
    canonical = json.dumps([tool, payload], sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class Confirmations:
    def __init__(self, store: StateStore, *, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._clock = clock

    async def issue(self, tool: str, digest: str) -> tuple[str, float]:
        token = "cfm_" + secrets.token_urlsafe(18)
        expires_at = self._clock() + TOKEN_TTL_SECONDS
        await self._store.put_token(TokenRecord(token=token, tool=tool, payload_hash=digest, expires_at=expires_at))
        return token, expires_at

    async def redeem(self, token: str, tool: str, digest: str) -> Refusal | None:
        """None when ``token`` confirms exactly this call; the token is spent either way."""
        record = await self._store.take_token(token)
        if record is None:
            return Refusal(
                "confirmation",
                "refused: the confirmation token is unknown or was already used; nothing was sent. "
                "Call again without it to get a new preview.",
            )
        if record.expires_at < self._clock():
            return Refusal(
                "confirmation",
                "refused: the confirmation token expired (they last 10 minutes); nothing was sent. "
                "Call again without it to get a new preview.",
            )
        if record.tool != tool or record.payload_hash != digest:
            return Refusal(
                "confirmation",
                "refused: the arguments differ from the ones confirmed; nothing was sent. Call again without "
                "the token to preview exactly what you want to send.",
            )
        return None
