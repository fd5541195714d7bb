"""Paging (1-based ``startindex`` + ``maxrows`` ≤ 500, total in ``TotalCount``) and chunking."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import anyio
import anyio.lowlevel

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
class Part(Generic[T]):
    """Items that go in one request, with their positions in the caller's whole list."""

    items: Sequence[T]
    positions: Sequence[int]


def split(items: Sequence[T], size: int, positions: Sequence[int] | None = None) -> list[Part[T]]:
    """``items`` cut into parts of at most ``size``; ``positions`` says where each item stands in the
    caller's list (default: where it stands in ``items``)."""
    where: Sequence[int] = positions if positions is not None else range(len(items))
    if len(where) != len(items):
        raise ValueError("one position per item")
    return [Part(items[i : i + size], where[i : i + size]) for i in range(0, len(items), max(1, size))]


@dataclass(frozen=True)
class ChunkOutcome(Generic[T, R]):
    """What became of one request of a bulk call: its result, or the error that stopped it (the
    others go on). ``positions`` are the call's indexes of its items, in order."""

    index: int
    items: Sequence[T]
    positions: Sequence[int]
    result: R | None = None
    error: ESputnikError | None = None

    @property
    def start(self) -> int:
        """The call's index of the first item."""
        return self.positions[0] if self.positions else 0


OnDone = Callable[[ChunkOutcome[T, R]], Awaitable[None]]


async def run_parts(
    parts: Iterable[Part[T]],
    work: Callable[[int, Part[T]], Awaitable[R]],
    *,
    concurrency: int,
    on_done: OnDone[T, R] | None = None,
) -> list[ChunkOutcome[T, R]]:
    """Run ``work`` on each part, at most ``concurrency`` at once; the outcomes in part order.

    ``parts`` may be made as they go (a generator): each part starts as soon as it is given and a
    place is free, while the next ones are still being made. An API error in one part is recorded in
    its outcome and does not stop the others, so nothing that succeeded is lost. ``on_done`` is told
    of each part as it finishes.
    """
    outcomes: dict[int, ChunkOutcome[T, R]] = {}
    limiter = anyio.CapacityLimiter(max(1, concurrency))

    async def one(index: int, part: Part[T]) -> None:
        async with limiter:
            try:
                outcome = ChunkOutcome[T, R](index, part.items, part.positions, result=await work(index, part))
            except ESputnikError as exc:
                outcome = ChunkOutcome[T, R](index, part.items, part.positions, error=exc)
        outcomes[index] = outcome
        if on_done is not None:
            await on_done(outcome)

    async with anyio.create_task_group() as tg:
        for index, part in enumerate(parts):
            tg.start_soon(one, index, part)
            await anyio.lowlevel.checkpoint()  # the new part's request leaves before the next part is made
    return [outcomes[index] for index in sorted(outcomes)]


async def run_chunks(
    items: Sequence[T],
    size: int,
    work: Callable[[Sequence[T]], Awaitable[R]],
    *,
    concurrency: int,
    on_done: OnDone[T, R] | None = None,
) -> list[ChunkOutcome[T, R]]:
    """Run ``work`` on each consecutive chunk of at most ``size`` of ``items`` (see :func:`run_parts`)."""
    if size < 1:
        raise ValueError("chunk size must be positive")

    async def each(index: int, part: Part[T]) -> R:
        return await work(part.items)

    return await run_parts(split(items, size), each, concurrency=concurrency, on_done=on_done)
