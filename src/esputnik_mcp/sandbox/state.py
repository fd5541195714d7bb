"""The sandbox's state: the database connection and the clock that the domain modules share."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator

from esputnik_mcp.sandbox.clock import Clock
from esputnik_mcp.sandbox.domain import broadcasts, imports, orders


class State:
    """The database and the clock; :meth:`tick` runs the work that has come due."""

    def __init__(self, conn: sqlite3.Connection, clock: Clock) -> None:
        self.conn = conn
        self.clock = clock

    def now(self) -> float:
        return self.clock.now()

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One transaction: committed on success, rolled back on any error."""
        if self.conn.in_transaction:
            yield self.conn
            return
        self.conn.execute("BEGIN")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def tick(self) -> None:
        """Apply everything due by now: bulk imports, scheduled order deletions, broadcast batches."""
        imports.run_due(self)
        orders.run_due_deletions(self)
        broadcasts.run_due(self)
