"""What bulk tools share when their work takes several requests: progress per request, and one
report per request in one vocabulary (accepted, failed, unknown), whatever the tool."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

from pydantic import Field

from esputnik_mcp.api import AmbiguousOutcomeError, ChunkOutcome
from esputnik_mcp.toolkit.base import Progress
from esputnik_mcp.toolkit.failures import describe_api_error
from esputnik_mcp.toolkit.views import View

SHOWN_RUNS = 8  # index runs written out in a request's ``items``; more are counted, not listed


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

    index: int
    items: str = Field(description="The call's indexes of its items, e.g. 0-999.")
    accepted: int
    failed: int
    unknown: int = Field(default=0, description="May or may not have been processed.")
    error: str | None = Field(default=None, description="Why the whole request failed.")


def request_view(chunk: ChunkOutcome[Any, Any], *, failed: int = 0, unknown: int = 0) -> RequestView:
    """The report of one request. A request that failed as a whole counts every item failed, or
    unknown when it may have been processed; otherwise ``failed`` and ``unknown`` are the items
    eSputnik reported so, and the rest were accepted."""
    size = len(chunk.items)
    view = RequestView(index=chunk.index, items=index_runs(chunk.positions), accepted=0, failed=0)
    if isinstance(chunk.error, AmbiguousOutcomeError):
        view.unknown, view.error = size, chunk.error.message
    elif chunk.error is not None:
        view.failed, view.error = size, describe_api_error(chunk.error)
    else:
        view.failed, view.unknown = min(failed, size), min(unknown, size - min(failed, size))
        view.accepted = size - view.failed - view.unknown
    return view


def index_runs(positions: Iterable[int]) -> str:
    """Indexes as runs, e.g. ``0-999, 2000-2499``; after a few runs the rest is only counted."""
    ordered = sorted(positions)
    runs: list[list[int]] = []
    for position in ordered:
        if runs and position == runs[-1][1] + 1:
            runs[-1][1] = position
        elif len(runs) == SHOWN_RUNS:
            break  # what is left is counted, not written out
        else:
            runs.append([position, position])
    text = ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in runs)
    rest = len(ordered) - sum(b - a + 1 for a, b in runs)
    if rest:
        text += f" and {rest} more"
    return text


def unknown_items(requests: Sequence[RequestView]) -> str:
    """The items of the requests with an unknown outcome, as index runs."""
    return "; ".join(r.items for r in requests if r.unknown)


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``1 order``, ``2 orders``; ``plural`` when adding an s does not make it."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"
