"""One database per test, of the backend the test is run on, and store objects opened on it."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from esputnik_mcp.store import PostgresStore, SQLiteStore
from tests.conftest import PostgresDatabase

BACKENDS = ["sqlite", "postgres"]


class Backend:
    """A database of its own for one test (an SQLite file, or a PostgreSQL schema of this run) and
    every store opened on it, closed at the end of the test."""

    def __init__(self, name: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
        self.name = name
        self.path = tmp_path / "state.sqlite3"
        self.postgres: PostgresDatabase | None = None
        self.schema = ""
        if name == "postgres":
            self.postgres = request.getfixturevalue("postgres_url")
            self.schema = self.postgres.new_schema()
        self.stores: list[SQLiteStore | PostgresStore] = []

    def new(self, **options: Any) -> SQLiteStore | PostgresStore:
        """Another store object on this test's database, not opened."""
        store: SQLiteStore | PostgresStore
        if self.postgres is None:
            store = SQLiteStore(self.path, **options)
        else:
            store = PostgresStore(self.postgres.url, schema=self.schema, **options)
        self.stores.append(store)
        return store

    async def open(self, **options: Any) -> SQLiteStore | PostgresStore:
        store = self.new(**options)
        await store.open()
        return store

    def sql(self, statement: str) -> list[tuple[Any, ...]]:
        """Run one statement on this test's database behind the stores' back (set-up, inspection)."""
        if self.postgres is None:
            with closing(sqlite3.connect(self.path)) as db, db:
                return db.execute(statement).fetchall()
        import psycopg

        with psycopg.connect(self.postgres.url, autocommit=True) as conn:
            conn.execute("SELECT set_config('search_path', %s, false)", (self.schema,))
            cursor = conn.execute(statement)
            return cursor.fetchall() if cursor.description else []

    async def close(self) -> None:
        for store in self.stores:
            await store.close()


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    opened = Backend(request.param, tmp_path, request)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def store(backend: Backend) -> SQLiteStore | PostgresStore:
    return await backend.open()
