"""Command line: ``esputnik-mcp``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="esputnik-mcp", description="MCP server for eSputnik (Yespo).")
    parser.parse_args(argv)
    print("esputnik-mcp: the MCP server is not available yet", file=sys.stderr)
    return 1
