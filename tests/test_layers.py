"""The layers of the design, as a table: which parts of the package each part may import. Data
flows down, never up: the API client and the store import nothing above them, safety reads only the
neutral tool spec and the store, the sandbox only ``paths``, and the tools never the server.

Every import counts, including those inside functions (lazy imports are still dependencies).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import esputnik_mcp

PACKAGE = Path(esputnik_mcp.__file__).parent

# Part of the package → the parts it may import (itself included). A module belongs to the first
# part whose name prefixes its own; what is not listed here is the top (the CLI), free to import all.
MAY_IMPORT: dict[str, set[str]] = {
    "paths": set(),
    "toolspec": set(),
    "api": {"api"},
    "store": {"store"},
    "inbox": {"inbox", "api", "store"},
    "settings": {"paths"},
    "safety": {"safety", "toolspec", "store"},
    "sandbox": {"sandbox", "paths"},
    "toolkit": {"toolkit", "toolspec", "api", "settings", "store", "inbox", "paths"},
    "tools": {"tools", "toolkit", "toolspec", "api"},
    "server": {
        "server",
        "tools",
        "toolkit",
        "toolspec",
        "safety",
        "api",
        "store",
        "inbox",
        "settings",
        "sandbox",
        "paths",
    },
}
# Third-party packages a part must not import: the API client, the store, the safety layer, the tool
# spec and the sandbox work without MCP.
MUST_NOT_IMPORT: dict[str, set[str]] = {
    part: {"mcp", "mcp_types"}
    for part in ("api", "store", "inbox", "safety", "toolspec", "sandbox", "paths", "settings")
}


def part_of(module: str) -> str | None:
    """``esputnik_mcp.api.http`` → ``api``; None for modules outside every listed part."""
    name = module.removeprefix("esputnik_mcp.").split(".")[0]
    return name if name in MAY_IMPORT else None


def imports_of(source: str, module: str) -> list[str]:
    """Every module ``source`` imports, absolute, wherever the import statement stands."""
    found = []
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                found.append(f"{base}.{node.module}" if node.module else base)
            elif node.module:
                found.append(node.module)
    return found


def violations(source: str, module: str) -> list[str]:
    """The imports of ``module`` (given its source) that run against the layers."""
    part = part_of(module)
    if part is None:
        return []
    wrong = []
    for name in imports_of(source, module):
        top = name.split(".")[0]
        if name == "esputnik_mcp":
            continue  # the package's face: its version, nothing else
        if top == "esputnik_mcp":
            target = part_of(name)
            if target is None or target not in MAY_IMPORT[part]:
                wrong.append(f"{module} ({part}) imports {name}")
        elif top in MUST_NOT_IMPORT.get(part, set()):
            wrong.append(f"{module} ({part}) imports {name}")
    return wrong


def modules() -> list[tuple[str, str]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
        found.append((".".join(parts), path.read_text(encoding="utf-8")))
    return found


def test_no_module_imports_against_the_layers() -> None:
    everything = modules()
    assert len(everything) > 80
    assert {part_of(m) for m, _ in everything} >= set(MAY_IMPORT), "a part of the table has no module left"
    wrong = [problem for module, source in everything for problem in violations(source, module)]
    assert wrong == []


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("esputnik_mcp.safety.guards", "from esputnik_mcp.tools.base import Kind, SendPlan"),
        ("esputnik_mcp.safety.guards", "from esputnik_mcp.toolkit.base import ToolContext"),
        ("esputnik_mcp.api.http", "def f():\n    from esputnik_mcp.settings import Settings"),
        ("esputnik_mcp.api.http", "import mcp"),
        ("esputnik_mcp.store.sqlite", "from esputnik_mcp.api import ESputnikClient"),
        ("esputnik_mcp.sandbox.app", "from esputnik_mcp.api.models import Contact"),
        ("esputnik_mcp.tools.contacts", "from esputnik_mcp.server.gate import Gate"),
        ("esputnik_mcp.tools.contacts", "from ..server import app"),
        ("esputnik_mcp.toolspec", "from esputnik_mcp.settings import Settings"),
        ("esputnik_mcp.toolkit.base", "from esputnik_mcp.tools import catalogue"),
    ],
    ids=[
        "safety→tools",
        "safety→toolkit",
        "api→settings, lazily",
        "api→mcp",
        "store→api",
        "sandbox→api",
        "tools→server",
        "tools→server, relative",
        "toolspec→settings",
        "toolkit→tools",
    ],
)
def test_an_import_up_the_layers_is_caught(module: str, source: str) -> None:
    assert violations(source, module) != []


def test_the_allowed_imports_pass() -> None:
    assert (
        violations(
            "from esputnik_mcp.toolspec import Kind\nfrom esputnik_mcp.store import SQLiteStore",
            "esputnik_mcp.safety.ledger",
        )
        == []
    )
    assert violations("from esputnik_mcp.toolkit.base import tool", "esputnik_mcp.tools.orders") == []


def test_the_package_face_imports_nothing() -> None:
    source = (PACKAGE / "__init__.py").read_text(encoding="utf-8")
    assert imports_of(source, "esputnik_mcp") == []
