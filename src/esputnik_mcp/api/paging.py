"""Paging (1-based ``startindex`` + ``maxrows`` ≤ 500, total in ``TotalCount``) and chunking."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import anyio

from esputnik_mcp.api.errors import ESputnikError, RequestValidationError
from esputnik_mcp.api.limits import MAX_ROWS

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a search. ``total`` comes from the ``TotalCount`` header when eSputnik sends it."""

    items: list[T]
    start_index: int
    max_rows: int
    total: int | None

    @property
    def next_start_index(self) -> int | None:
        """``startindex`` of the next page, or None when this is the last one."""
        if not self.items:
            return None
        end = self.start_index + len(self.items)
        if self.total is not None:
            return end if end <= self.total else None
        return end if len(self.items) >= self.max_rows else None


def check_page(start_index: int, max_rows: int) -> None:
    if start_index < 1:
        raise RequestValidationError(f"startindex is 1-based; got {start_index}")
    if not 1 <= max_rows <= MAX_ROWS:
        raise RequestValidationError(f"maxrows must be between 1 and {MAX_ROWS}; got {max_rows}")


async def iterate_pages(
    fetch: Callable[[int, int], Awaitable[Page[T]]], *, page_size: int = MAX_ROWS, start_index: int = 1
) -> AsyncIterator[T]:
    """Every item of a paged search, fetching page after page until the last one."""
    check_page(start_index, page_size)
    next_index: int | None = start_index
    while next_index is not None:
        page = await fetch(next_index, page_size)
        for item in page.items:
            yield item
        next_index = page.next_start_index


def chunked(items: Sequence[T], size: int) -> list[Sequence[T]]:
    """``items`` cut into consecutive chunks of at most ``size``."""
    if size < 1:
        raise ValueError("chunk size must be positive")
    return [items[i : i + size] for i in range(0, len(items), size)]


@dataclass(frozen=True)
class ChunkOutcome(Generic[T, R]):
    """What became of one chunk: its result, or the error that stopped it (the others go on)."""

    index: int
    items: Sequence[T]
    result: R | None = None
    error: ESputnikError | None = None


async def run_chunks(
    items: Sequence[T],
    size: int,
    work: Callable[[Sequence[T]], Awaitable[R]],
    *,
    concurrency: int,
    on_done: Callable[[ChunkOutcome[T, R]], Awaitable[None]] | None = None,
) -> list[ChunkOutcome[T, R]]:
    """Run ``work`` on each chunk of ``items``, at most ``concurrency`` at once, in chunk order.

    An API error in one chunk is recorded in its outcome and does not stop the others, so
    nothing that succeeded is lost. ``on_done`` is told of each chunk as it finishes.
    """
    parts = chunked(items, size)
    outcomes: list[ChunkOutcome[T, R] | None] = [None] * len(parts)
    limiter = anyio.CapacityLimiter(max(1, concurrency))

    async def one(index: int, part: Sequence[T]) -> None:
        async with limiter:
            try:
                outcome = ChunkOutcome[T, R](index, part, result=await work(part))
            except ESputnikError as exc:
                outcome = ChunkOutcome[T, R](index, part, error=exc)
        outcomes[index] = outcome
        if on_done is not None:
            await on_done(outcome)

    async with anyio.create_task_group() as tg:
        for index, part in enumerate(parts):
            tg.start_soon(one, index, part)
    return [o for o in outcomes if o is not None]
