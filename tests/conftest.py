from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

# PostgreSQL for the tests: ESPUTNIK_TEST_DATABASE_URL, else the local server with trust auth.
POSTGRES_TEST_URL = "postgresql://postgres@127.0.0.1:5432/test"
START_POSTGRES = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class PostgresDatabase:
    """The test database, and the schemas this test run (this xdist worker) owns in it: ``schema``,
    created at the start, and any ``new_schema()``; all are dropped at the end of the run, so that
    parallel workers and runs never see each other's tables."""

    url: str
    schema: str
    owned: list[str] = field(default_factory=list)

    def new_schema(self) -> str:
        """A fresh schema name of this run (not created: a store given it creates it)."""
        name = f"{self.schema}_{len(self.owned)}"
        self.owned.append(name)
        return name


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[PostgresDatabase]:
    """PostgreSQL for tests. Unreachable, the tests that need it fail (never skip), saying what to start."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict

    url = os.environ.get("ESPUTNIK_TEST_DATABASE_URL") or POSTGRES_TEST_URL
    given = conninfo_to_dict(url)
    where = f"{given.get('host') or 'localhost'}:{given.get('port') or 5432}/{given.get('dbname') or ''}"
    reason = ""
    try:
        admin = psycopg.connect(url, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if reason:
        pytest.fail(
            f"PostgreSQL is not answering at {where} ({reason}). Start it with:\n    {START_POSTGRES}\n"
            "or point ESPUTNIK_TEST_DATABASE_URL at another server.",
            pytrace=False,
        )
    database = PostgresDatabase(url=url, schema=f"t_{secrets.token_hex(6)}")
    database.owned.append(database.schema)
    with admin:
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(database.schema)))
        try:
            yield database
        finally:
            names = sql.SQL(", ").join(sql.Identifier(name) for name in database.owned)
            admin.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(names))
