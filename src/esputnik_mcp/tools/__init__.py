"""The tools, one module per area; each tool is declared where its handler is written (see
:func:`esputnik_mcp.toolkit.base.tool`). The catalogue finds them: adding a module or a tool needs no
list to be edited."""

from __future__ import annotations

import functools
import importlib
import pkgutil

from esputnik_mcp.toolspec import Toolset, ToolSpec


@functools.cache
def catalogue() -> tuple[ToolSpec, ...]:
    """Every tool, in the order the server lists them: by toolset, then module, then as declared."""
    found: list[ToolSpec] = []
    for name in sorted(info.name for info in pkgutil.iter_modules(__path__)):
        module = importlib.import_module(f"{__name__}.{name}")
        found += [v for v in vars(module).values() if isinstance(v, ToolSpec) and v.module == module.__name__]
    names = [spec.name for spec in found]
    if twice := sorted({n for n in names if names.count(n) > 1}):
        raise RuntimeError(f"tools declared twice: {', '.join(twice)}")
    toolsets = list(Toolset)
    return tuple(sorted(found, key=lambda spec: toolsets.index(spec.toolset)))


def tool_names() -> list[str]:
    return [spec.name for spec in catalogue()]
