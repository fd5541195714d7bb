"""What tools/list costs a model, per tool: the part a model reads (name, description, input
schema) and the whole entry, in tokens counted as characters / 4 of the minified JSON.

    python bench/tool_tokens.py [--settings-env]   # default settings unless --settings-env
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import anyio

from esputnik_mcp.server.snapshot import tool_list
from esputnik_mcp.settings import Settings


def tokens(value: Any) -> int:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return len(text) // 4


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--settings-env", action="store_true", help="read settings from the environment")
    args = parser.parse_args()
    tools = await tool_list(Settings() if args.settings_env else None)
    rows = []
    for tool in tools:
        model = tokens(tool["name"]) + tokens(tool.get("description", "")) + tokens(tool["inputSchema"])
        rows.append((tool["name"], model, tokens(tool["outputSchema"]), tokens(tool)))
    width = max(len(r[0]) for r in rows)
    print(f"{'tool':<{width}}  model  output  whole")
    for name, model, output, whole in sorted(rows, key=lambda r: -r[1]):
        print(f"{name:<{width}}  {model:>5}  {output:>6}  {whole:>5}")
    count = len(rows)
    print(
        f"{count} tools: model part {sum(r[1] for r in rows) / count:.0f} per tool (max {max(r[1] for r in rows)}), "
        f"whole {sum(r[3] for r in rows) / count:.0f} per tool, tools/list {tokens({'tools': tools})} in all"
    )


if __name__ == "__main__":
    anyio.run(main)
