"""Serve the sandbox on its own over HTTP: ``esputnik-mcp sandbox`` (or ``python -m
esputnik_mcp.sandbox.cli``).

Served over HTTP, a fault plan's ``drop`` answers nothing and holds the connection until the
client gives up (its read timeout), which is how a lost response looks to a client.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import uvicorn

from esputnik_mcp.sandbox.core import Sandbox, default_db_path

Serve = Callable[..., Any]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="esputnik-mcp sandbox",
        description="Serve a local eSputnik API emulator with demo data (nothing is ever sent).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8808, help="port to listen on (default: 8808)")
    parser.add_argument("--db", type=Path, default=None, help=f"SQLite file (default: {default_db_path()})")
    parser.add_argument("--reset", action="store_true", help="start over with fresh demo data")
    parser.add_argument(
        "--no-demo", action="store_true", help="fill a new (or reset) database with an empty account instead"
    )
    parser.add_argument("--key", default="sandbox", help="the API key clients must send (default: sandbox)")
    parser.add_argument(
        "--admin", action="store_true", help="enable the /_sandbox admin routes (journal, faults, clock…)"
    )
    return parser


def banner(sandbox: Sandbox, host: str, port: int, key: str, admin: bool) -> str:
    base = f"http://{host}:{port}/api"
    lines = [
        f"eSputnik sandbox on {base} (database: {sandbox.db_path})",
        f"API key: {key} (HTTP Basic: any user name, the key as password)",
        f"Try: curl -u user:{key} {base}/v1/account/info",
    ]
    if admin:
        lines.append(f"Admin routes: http://{host}:{port}/_sandbox/journal, /faults, /clock, /reset")
    return "\n".join(lines)


def run(argv: Sequence[str] | None, serve: Serve = uvicorn.run) -> int:
    args = build_parser().parse_args(argv)
    if not args.key:
        print("esputnik-mcp sandbox: --key must not be empty", file=sys.stderr)
        return 2
    sandbox = Sandbox(args.key, db_path=args.db, demo=not args.no_demo, admin=args.admin, reset=args.reset)
    print(banner(sandbox, args.host, args.port, args.key, args.admin), flush=True)
    try:
        serve(sandbox.app, host=args.host, port=args.port, log_level="info")
    finally:
        sandbox.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Serve the sandbox with uvicorn until interrupted; the exit status."""
    return run(argv)


if __name__ == "__main__":
    raise SystemExit(main())
