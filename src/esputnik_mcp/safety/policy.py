"""Which tools the server offers, from each tool's annotations and the settings.

Precedence, first match wins:
1. ``ESPUTNIK_READ_ONLY``: only read-only tools exist, whatever else is set.
2. ``ESPUTNIK_EXCLUDE_TOOLS``: a tool named there does not exist.
3. ``ESPUTNIK_TOOLS``: when set, exactly the tools named there exist (toolsets are ignored).
4. ``ESPUTNIK_TOOLSETS``: otherwise, the tools of these toolsets exist (default: all).

A tool that does not exist is not registered at all; the same decision is checked again when a call
arrives. Unknown tool or toolset names stop the server at start-up with the list of valid ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from esputnik_mcp.toolspec import Toolset


class PolicyError(ValueError):
    """The settings name tools or toolsets that do not exist."""


class Decided(Protocol):
    """What the policy reads of a tool: a ToolSpec, or the tool as listed."""

    @property
    def name(self) -> str: ...

    @property
    def toolset(self) -> Toolset: ...

    @property
    def read_only(self) -> bool: ...


T = TypeVar("T", bound=Decided)


@dataclass(frozen=True)
class ToolPolicy:
    read_only: bool = False
    toolsets: frozenset[str] = frozenset(t.value for t in Toolset)
    include: frozenset[str] = frozenset()
    exclude: frozenset[str] = frozenset()

    @classmethod
    def build(
        cls,
        catalogue: Sequence[Decided],
        *,
        read_only: bool = False,
        toolsets: Iterable[str] = (),
        include: Iterable[str] = (),
        exclude: Iterable[str] = (),
    ) -> ToolPolicy:
        names = {spec.name for spec in catalogue}
        valid_sets = {t.value for t in Toolset}
        chosen_sets = {s.strip().lower() for s in toolsets if s.strip()}
        include_set = {n.strip() for n in include if n.strip()}
        exclude_set = {n.strip() for n in exclude if n.strip()}
        problems = []
        if bad := sorted(chosen_sets - valid_sets):
            problems.append(f"unknown toolsets {', '.join(bad)}; valid: {', '.join(sorted(valid_sets))}")
        if bad := sorted((include_set | exclude_set) - names):
            problems.append(f"unknown tools {', '.join(bad)}; valid: {', '.join(sorted(names))}")
        if problems:
            raise PolicyError("; ".join(problems))
        return cls(
            read_only=read_only,
            toolsets=frozenset(chosen_sets or valid_sets),
            include=frozenset(include_set),
            exclude=frozenset(exclude_set),
        )

    def refusal(self, spec: Decided) -> str | None:
        """Why ``spec`` is not offered, or None when it is."""
        if self.read_only and not spec.read_only:
            return f"{spec.name} is not available: the server is in read-only mode (ESPUTNIK_READ_ONLY)"
        if spec.name in self.exclude:
            return f"{spec.name} is not available: excluded by ESPUTNIK_EXCLUDE_TOOLS"
        if self.include:
            if spec.name not in self.include:
                return f"{spec.name} is not available: not listed in ESPUTNIK_TOOLS"
            return None
        if spec.toolset.value not in self.toolsets:
            return f"{spec.name} is not available: its toolset {spec.toolset.value} is not in ESPUTNIK_TOOLSETS"
        return None

    def allows(self, spec: Decided) -> bool:
        return self.refusal(spec) is None

    def select(self, catalogue: Sequence[T]) -> list[T]:
        return [spec for spec in catalogue if self.allows(spec)]
