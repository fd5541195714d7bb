"""Who is calling: a non-secret name for the bearer token that authenticated the current request.

Rate limits and logs need to tell callers apart without ever holding a token, so the HTTP layer
sets :data:`CALLER` to a short fingerprint of the token (the first hex digits of its SHA-256) for
the duration of each request. The stdio server, and HTTP under ``--dev-no-auth``, serve a single
local user and leave it at ``"local"``.
"""

from __future__ import annotations

import hashlib
from contextvars import ContextVar

LOCAL = "local"
FINGERPRINT_CHARS = 12

CALLER: ContextVar[str] = ContextVar("esputnik_mcp_caller", default=LOCAL)


def fingerprint(token: str) -> str:
    """A name for ``token`` that can be logged and counted but says nothing usable about it."""
    return hashlib.sha256(token.encode()).hexdigest()[:FINGERPRINT_CHARS]


def current_caller() -> str:
    """The caller of the request being served: a token fingerprint, or ``"local"``."""
    return CALLER.get()
