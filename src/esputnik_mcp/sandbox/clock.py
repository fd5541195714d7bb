"""The sandbox's clock: real time by default, moved forward on demand.

It drives everything in the sandbox that happens "later": import progress, message status
progression, scheduled order deletions, the 409 window and the rate-limit windows.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime


class Clock:
    """Seconds since the epoch, as the sandbox sees them.

    Unfrozen, it follows ``source`` (wall time) plus every :meth:`advance`. Frozen, it stands
    still and moves only by :meth:`advance`, which makes tests fully deterministic.
    """

    def __init__(self, *, frozen_at: float | None = None, source: Callable[[], float] = time.time) -> None:
        self._source = source
        self._offset = 0.0
        self._frozen = frozen_at

    def now(self) -> float:
        if self._frozen is not None:
            return self._frozen
        return self._source() + self._offset

    def utcnow(self) -> datetime:
        return datetime.fromtimestamp(self.now(), UTC)

    @property
    def frozen(self) -> bool:
        return self._frozen is not None

    def advance(self, seconds: float) -> float:
        """Move the clock forward by ``seconds``; the new time."""
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        if self._frozen is not None:
            self._frozen += seconds
        else:
            self._offset += seconds
        return self.now()

    def freeze(self, at: float | None = None) -> None:
        """Stop the clock at ``at`` (default: now)."""
        self._frozen = self.now() if at is None else at

    def unfreeze(self) -> None:
        """Let the clock run again from where it stands."""
        if self._frozen is not None:
            self._offset = self._frozen - self._source()
            self._frozen = None
