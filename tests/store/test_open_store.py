"""Choosing the store from the settings, and keeping psycopg out of a start-up that does not need it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import SecretStr

from esputnik_mcp.settings import Settings
from esputnik_mcp.store import PostgresStore, SQLiteStore, StoreUnavailable, open_store
from esputnik_mcp.store import postgres as postgres_module
from esputnik_mcp.store.schema import migrations

PASSWORD = "s3cr3t-Pa55"


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., Settings]:
    """Settings from the arguments only, whatever the environment holds."""
    for name in ("ESPUTNIK_DATABASE_URL", "ESPUTNIK_STATE_DB"):
        monkeypatch.delenv(name, raising=False)

    def make(database_url: str | None = None) -> Settings:
        return Settings(
            _env_file=None,
            state_db=str(tmp_path / "state.sqlite3"),
            database_url=None if database_url is None else SecretStr(database_url),
        )

    return make


def test_without_a_database_url_the_store_is_sqlite_at_the_state_path(settings: Callable[..., Settings]) -> None:
    chosen = settings()
    store = open_store(chosen)
    assert isinstance(store, SQLiteStore)
    assert store.path == chosen.state_path
    assert not Path(chosen.state_path).exists()  # not opened


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_a_postgresql_url_gives_postgres_not_yet_connected(settings: Callable[..., Settings], scheme: str) -> None:
    store = open_store(settings(f"{scheme}://esputnik:{PASSWORD}@127.0.0.1:1/state"))
    assert isinstance(store, PostgresStore)
    assert repr(store) == "PostgresStore('127.0.0.1:1/state', schema=None)"


def test_another_url_is_refused_without_quoting_it(settings: Callable[..., Settings]) -> None:
    with pytest.raises(StoreUnavailable, match="must start with postgresql://") as raised:
        open_store(settings(f"mysql://esputnik:{PASSWORD}@db/state"))
    assert PASSWORD not in str(raised.value)


def test_without_psycopg_the_error_says_what_to_install(
    settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    monkeypatch.delitem(sys.modules, "esputnik_mcp.store.postgres")
    with pytest.raises(StoreUnavailable, match=r'pip install "esputnik-mcp\[postgres\]"'):
        open_store(settings("postgresql://127.0.0.1/state"))


def test_importing_the_store_does_not_import_psycopg() -> None:
    check = (
        "import sys, esputnik_mcp.store\n"
        "from esputnik_mcp.store import open_store, SQLiteStore, StoreUnavailable\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('psycopg', 'psycopg_pool'))\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", check], check=True)  # noqa: S603


def test_postgres_store_is_found_lazily() -> None:
    assert PostgresStore is postgres_module.PostgresStore


def test_the_migrations_ship_in_the_package() -> None:
    for dialect in ("sqlite", "postgres"):
        found = migrations(dialect)
        assert [migration.version for migration in found] == list(range(1, len(found) + 1))
        assert found[0].name == "001_initial.sql"
        assert "CREATE TABLE ledger" in found[0].sql
