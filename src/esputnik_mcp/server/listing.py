"""The tool list a client sees (``tools/list``), built from the catalogue or read from a cache of it.

Building it imports every tool module and has pydantic generate two JSON schemas per tool: most of
what a stdio server would otherwise do before it answers its first ``tools/list``. The list depends
on the code alone (the settings are applied when the server registers the tools), so a stdio server
keeps it in a cache file in the data directory and imports the tools on their first call instead.

The catalogue stays the one source of the list: the cache is written from it, and is read only
while it carries the fingerprint of the code that wrote it: every source file of the package, by
path, size and modification time (the rule by which Python trusts its own bytecode cache), and the
versions of Python and pydantic, which generate the schemas. Any change to either, and the list is
built afresh from the catalogue and the cache rewritten.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from esputnik_mcp.toolspec import Kind, Toolset, ToolSpec, fill_in

logger = logging.getLogger("esputnik_mcp.listing")

CACHE_FILE = "tools.json"
PACKAGE = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Listing:
    """One tool as ``tools/list`` shows it, before the settings apply: what the policy decides on
    (name, toolset, kind) and what a client reads (title, description, schemas, hints)."""

    name: str
    title: str
    description: str  # may name settings in braces: see ToolSpec
    toolset: Toolset
    kind: Kind
    destructive_hint: bool
    idempotent_hint: bool
    open_world: bool
    recipients_param: str | None
    input_schema: Mapping[str, Any]  # the recipients' cap of the settings not yet applied
    output_schema: Mapping[str, Any]

    @property
    def read_only(self) -> bool:
        return self.kind is Kind.READ

    def describe(self, values: Mapping[str, object]) -> str:
        return fill_in(self.description, values)

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "toolset": self.toolset.value, "kind": self.kind.value}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Listing:
        return cls(**{**data, "toolset": Toolset(data["toolset"]), "kind": Kind(data["kind"])})


def listing_of(spec: ToolSpec) -> Listing:
    """``spec`` as ``tools/list`` shows it (this generates its schemas)."""
    from esputnik_mcp.server.tooling import base_input_schema, output_schema

    return Listing(
        name=spec.name,
        title=spec.title,
        description=spec.description,
        toolset=spec.toolset,
        kind=spec.kind,
        destructive_hint=spec.destructive_hint,
        idempotent_hint=spec.idempotent_hint,
        open_world=spec.open_world,
        recipients_param=spec.recipients_param,
        input_schema=base_input_schema(spec),
        output_schema=output_schema(spec),
    )


@functools.cache
def tool_listings() -> tuple[Listing, ...]:
    """Every tool of the catalogue, in its order, built from it (once per process)."""
    from esputnik_mcp.tools import catalogue

    return tuple(listing_of(spec) for spec in catalogue())


def fingerprint() -> str:
    """What the list was built from: the package's source files (path, size, modification time),
    and the versions of Python, pydantic and pydantic-core."""
    import pydantic
    import pydantic_core

    digest = hashlib.sha256()
    digest.update(f"{sys.version}|{pydantic.VERSION}|{pydantic_core.__version__}".encode())
    for folder, folders, files in os.walk(PACKAGE):
        folders[:] = sorted(name for name in folders if name != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                found = os.stat(path)
                digest.update(f"\0{os.path.relpath(path, PACKAGE)}\0{found.st_size}\0{found.st_mtime_ns}".encode())
    return digest.hexdigest()


def cached_tool_listings(folder: Path) -> tuple[Listing, ...]:
    """The list from the cache in ``folder`` when it was written by this very code, else built from
    the catalogue and written there for the next start. A cache that cannot be read or written is
    only a slower start: the list is built, and the reason logged."""
    path = folder / CACHE_FILE
    stamp = fingerprint()
    try:
        stored = json.loads(path.read_bytes())
        if isinstance(stored, dict) and stored.get("fingerprint") == stamp:
            return tuple(Listing.from_json(tool) for tool in stored["tools"])
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.info("the tool list cache %s cannot be read (%s); building the list", path, exc)
    listings = tool_listings()
    _write(path, {"fingerprint": stamp, "tools": [tool.as_json() for tool in listings]})
    return listings


def _write(path: Path, content: dict[str, Any]) -> None:
    """Write ``content`` to ``path`` whole or not at all (a temporary file renamed over it)."""
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(json.dumps(content, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        os.replace(partial, path)
    except OSError as exc:
        logger.info("the tool list cache %s cannot be written (%s)", path, exc)
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
