"""What the stdio benches share: how to spawn our server and the bare SDK's, and how to print a
ratio beside its goal."""

from __future__ import annotations

import os
import shutil
import statistics
import sys
from pathlib import Path

from mcp import StdioServerParameters

HERE = Path(__file__).resolve().parent
OURS = shutil.which("esputnik-mcp", path=str(Path(sys.executable).parent)) or str(
    Path(sys.executable).with_name("esputnik-mcp")
)
BARE = [sys.executable, str(HERE / "bare_sdk_server.py")]


def base_env() -> dict[str, str]:
    """The environment without any ESPUTNIK_ setting: no key, so our server runs on the sandbox."""
    return {k: v for k, v in os.environ.items() if not k.startswith("ESPUTNIK_")}


def ours(env: dict[str, str]) -> StdioServerParameters:
    return StdioServerParameters(command=OURS, env=env)


def bare(env: dict[str, str]) -> StdioServerParameters:
    return StdioServerParameters(command=BARE[0], args=BARE[1:], env=env)


def spread(samples: list[float], scale: float = 1000.0, unit: str = "ms", digits: int = 0) -> str:
    """``median 123 ms (min 110, max 140, n=5)``."""
    ordered = sorted(samples)
    fmt = f"{{:.{digits}f}}"
    return (
        f"median {fmt.format(statistics.median(ordered) * scale)} {unit} "
        f"(min {fmt.format(ordered[0] * scale)}, max {fmt.format(ordered[-1] * scale)}, n={len(ordered)})"
    )


def verdict(label: str, ours: list[float], bare: list[float], goal: float) -> str:
    """Our median over the bare SDK's, the spread of the ratio run by run (``ours[i] / bare[i]``,
    measured side by side), and whether the ratio of medians meets ``goal``."""
    ratio = statistics.median(ours) / statistics.median(bare)
    pairs = sorted(o / b for o, b in zip(ours, bare, strict=True))
    met = "met" if ratio <= goal else "NOT met"
    return (
        f"{label}: {ratio:.2f}x the bare SDK (run by run {pairs[0]:.2f}-{pairs[-1]:.2f}x, "
        f"median {statistics.median(pairs):.2f}x); goal <= {goal:.2f}x: {met}"
    )
