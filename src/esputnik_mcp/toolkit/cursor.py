"""Opaque paging cursors: the next ``startindex``, bound to the query it belongs to."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping

from esputnik_mcp.toolkit.base import ToolFailure


def _fingerprint(query: Mapping[str, object]) -> str:
    canonical = json.dumps(dict(query), sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def encode_cursor(start_index: int | None, query: Mapping[str, object]) -> str | None:
    """The cursor for a page starting at ``start_index`` of ``query`` (None: there is no next page)."""
    if start_index is None:
        return None
    raw = json.dumps({"s": start_index, "q": _fingerprint(query)}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, query: Mapping[str, object]) -> int:
    """The ``startindex`` a cursor points to (1 without one). A cursor of another query is refused."""
    if cursor is None:
        return 1
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        start = int(data["s"])
        fingerprint = str(data["q"])
    except (ValueError, KeyError, TypeError):
        raise ToolFailure("cursor is not valid: pass next_cursor exactly as a previous call returned it") from None
    if fingerprint != _fingerprint(query) or start < 1:
        raise ToolFailure("cursor belongs to a different query: repeat the same filters, or start without a cursor")
    return start


def encode_position(position: object, query: Mapping[str, object]) -> str:
    """A cursor holding any JSON ``position`` (a keyset, an upstream cursor …) for ``query``."""
    raw = json.dumps({"p": position, "q": _fingerprint(query)}, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_position(cursor: str, query: Mapping[str, object]) -> object:
    """The position a cursor of :func:`encode_position` holds. A cursor of another query is refused."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        position = data["p"]
        fingerprint = str(data["q"])
    except (ValueError, KeyError, TypeError):
        raise ToolFailure("cursor is not valid: pass next_cursor exactly as a previous call returned it") from None
    if fingerprint != _fingerprint(query):
        raise ToolFailure("cursor belongs to a different query: repeat the same filters, or start without a cursor")
    return position
