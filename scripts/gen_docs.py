"""Regenerate what is derived from the code: the README's tool and settings tables, and the committed
tool-surface snapshot (tests/snapshots/tools.json).

    python scripts/gen_docs.py           # rewrite them
    python scripts/gen_docs.py --check   # fail if any is stale (CI)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import anyio

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SNAPSHOT = ROOT / "tests" / "snapshots" / "tools.json"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").strip()


def tools_table(tools: list[dict[str, Any]]) -> str:
    rows = ["| Tool | What it does | Read-only | Destructive | Idempotent |", "|---|---|---|---|---|"]
    for tool in tools:
        hints = tool.get("annotations", {})
        mark = {True: "yes", False: "no"}
        rows.append(
            f"| `{tool['name']}` | {_cell(tool.get('description', ''))} | {mark[hints['readOnlyHint']]} "
            f"| {mark[hints['destructiveHint']]} | {mark[hints['idempotentHint']]} |"
        )
    return "\n".join(rows)


def settings_table() -> str:
    from esputnik_mcp.paths import DATA_DIR_DESCRIPTION, DATA_DIR_ENV
    from esputnik_mcp.settings import Settings

    rows = ["| Variable | Default | Meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default
        shown = "—" if default is None or default == [] else f"`{default}`"
        rows.append(f"| `ESPUTNIK_{name.upper()}` | {shown} | {_cell(field.description or '')} |")
    rows.append(f"| `{DATA_DIR_ENV}` | — | {_cell(DATA_DIR_DESCRIPTION)} |")
    return "\n".join(rows)


def replace_between(text: str, name: str, body: str) -> str:
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    head, found, rest = text.partition(start)
    if not found:
        raise SystemExit(f"README.md has no {start} marker")
    _, found, tail = rest.partition(end)
    if not found:
        raise SystemExit(f"README.md has no {end} marker")
    return f"{head}{start}\n{body}\n{end}{tail}"


async def generate() -> tuple[str, str]:
    from esputnik_mcp.server.snapshot import tool_list

    tools = await tool_list()
    readme = README.read_text(encoding="utf-8")
    readme = replace_between(readme, "tools", tools_table(tools))
    readme = replace_between(readme, "settings", settings_table())
    snapshot = json.dumps(tools, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    return readme, snapshot


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="fail if the generated files are stale")
    args = parser.parse_args()
    readme, snapshot = anyio.run(generate)
    stale = [
        path.relative_to(ROOT)
        for path, text in ((README, readme), (SNAPSHOT, snapshot))
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    if args.check:
        if stale:
            names = ", ".join(str(p) for p in stale)
            print(f"stale: {names}. Review the change, then run: python scripts/gen_docs.py", file=sys.stderr)
            return 1
        return 0
    SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
    README.write_text(readme, encoding="utf-8")
    SNAPSHOT.write_text(snapshot, encoding="utf-8")
    for path in stale:
        print(f"updated {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
