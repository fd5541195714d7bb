"""The sandbox depends on nothing above it: a client bug is caught, never mirrored."""

import ast
from pathlib import Path

import esputnik_mcp.sandbox

SANDBOX_DIR = Path(esputnik_mcp.sandbox.__file__).parent
ALLOWED_PROJECT_MODULES = ("esputnik_mcp.sandbox", "esputnik_mcp.paths")


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def test_the_sandbox_imports_neither_the_api_client_nor_the_server() -> None:
    sources = sorted(SANDBOX_DIR.rglob("*.py"))
    assert len(sources) > 20
    offending = []
    for source in sources:
        for name in _imports(source):
            root = name.split(".")[0]
            if root == "mcp" or (root == "esputnik_mcp" and not name.startswith(ALLOWED_PROJECT_MODULES)):
                offending.append(f"{source.relative_to(SANDBOX_DIR)}: {name}")
    assert offending == []
