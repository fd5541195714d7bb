"""What bulk tools share when they split their work into several requests: progress per request, and
the per-request outcome they report."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import Field

from esputnik_mcp.api import ChunkOutcome
from esputnik_mcp.tools.base import Progress
from esputnik_mcp.tools.views import View


def chunk_progress(progress: Progress, total: int) -> Callable[[ChunkOutcome[Any, Any]], Awaitable[None]]:
    """An ``on_done`` for chunked API calls: one progress notification per finished request, counting
    the items done out of ``total``."""
    done = 0
    requests = 0

    async def on_done(chunk: ChunkOutcome[Any, Any]) -> None:
        nonlocal done, requests
        done += len(chunk.items)
        requests += 1
        outcome = "failed" if chunk.error is not None else "done"
        await progress(done, total, f"request {requests} {outcome}: {done} of {total}")

    return on_done


class RequestView(View):
    """One request of a bulk call, and what became of its items."""

    first: int = Field(description="Index in the call of its first item.")
    last: int = Field(description="Index in the call of its last item.")
    succeeded: int
    failed: int
    unknown: int = Field(description="Items eSputnik may or may not have processed.")
    error: str | None = Field(default=None, description="Why the whole request failed or has no known outcome.")


def index_ranges(requests: list[RequestView]) -> str:
    """The item ranges of ``requests``, e.g. ``0–999, 2000–2499``."""
    return ", ".join(f"{r.first}–{r.last}" if r.first != r.last else str(r.first) for r in requests)


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``1 order``, ``2 orders``; ``plural`` when adding an s does not make it."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"
