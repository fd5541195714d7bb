"""Schema migrations: one plain SQL file per version and backend, under ``migrations/<backend>/``,
shipped in the package, applied in order by each store's ``open()`` and recorded in a
``schema_version`` table.

Plain SQL per backend rather than SQLAlchemy Core (or Alembic): no extra dependency for a server
that must start fast over stdio, two small dialects that differ only in a few types, and every
statement that touches a user's data visible in one file that can be read and reviewed as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

Dialect = Literal["sqlite", "postgres"]

_NAME = re.compile(r"(\d{3})_[a-z0-9_]+\.sql")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


@cache
def migrations(dialect: Dialect) -> tuple[Migration, ...]:
    """The migrations of one backend, oldest first; their versions run 1, 2, 3… without a gap, so
    that a file left out of a build is noticed here rather than skipped in a user's database."""
    folder = resources.files("esputnik_mcp.store").joinpath("migrations", dialect)
    found = []
    for entry in folder.iterdir():
        match = _NAME.fullmatch(entry.name)
        if match:
            found.append(Migration(int(match[1]), entry.name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda migration: migration.version)
    if [migration.version for migration in found] != list(range(1, len(found) + 1)):
        raise RuntimeError(f"the {dialect} migrations of esputnik_mcp.store are incomplete: {found}")
    return tuple(found)


def latest(dialect: Dialect) -> int:
    return migrations(dialect)[-1].version


def newer_schema(found: int, dialect: Dialect) -> str:
    """Why a database whose schema is newer than this release knows cannot be used."""
    return (
        f"the state database has schema version {found}, newer than this esputnik-mcp knows "
        f"({latest(dialect)}): upgrade esputnik-mcp"
    )
