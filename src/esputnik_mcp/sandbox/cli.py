"""Serve the sandbox on its own over HTTP: ``esputnik-mcp sandbox`` (or ``python -m
esputnik_mcp.sandbox.cli``).

Served over HTTP, a fault plan's ``drop`` answers nothing and holds the connection until the
client gives up (its read timeout), which is how a lost response looks to a client.

With ``--webhook-url`` (or ``ESPUTNIK_SANDBOX_WEBHOOK_URL``) the sandbox pushes its activity events
to that URL as eSputnik's data-export webhook does (:mod:`esputnik_mcp.sandbox.webhooks`), with
optional Basic auth (``--webhook-basic-auth user:password``, ``ESPUTNIK_SANDBOX_WEBHOOK_BASIC_AUTH``)
and custom headers (``--webhook-header "Name: value"``, repeatable; ``ESPUTNIK_SANDBOX_WEBHOOK_HEADER``
holds one, or several on separate lines). ``--webhook-history`` pushes the demo account's past too.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import uvicorn

from esputnik_mcp.sandbox.core import Sandbox, default_db_path
from esputnik_mcp.sandbox.webhooks import parse_header

Serve = Callable[..., Any]
WEBHOOK_URL_ENV = "ESPUTNIK_SANDBOX_WEBHOOK_URL"
WEBHOOK_BASIC_AUTH_ENV = "ESPUTNIK_SANDBOX_WEBHOOK_BASIC_AUTH"
WEBHOOK_HEADER_ENV = "ESPUTNIK_SANDBOX_WEBHOOK_HEADER"


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
    webhook = parser.add_argument_group("webhook", "push activity events as eSputnik's data-export webhook does")
    webhook.add_argument("--webhook-url", default=None, help=f"where to POST them (default: ${WEBHOOK_URL_ENV})")
    webhook.add_argument(
        "--webhook-basic-auth",
        default=None,
        metavar="USER:PASSWORD",
        help=f"Basic auth for the webhook (default: ${WEBHOOK_BASIC_AUTH_ENV})",
    )
    webhook.add_argument(
        "--webhook-header",
        action="append",
        default=None,
        metavar="'NAME: VALUE'",
        help=f"a custom header, up to 5, repeatable (default: ${WEBHOOK_HEADER_ENV}, one per line)",
    )
    webhook.add_argument(
        "--webhook-history", action="store_true", help="push the past activity too (the demo's), not only new"
    )
    return parser


def attach_webhook(sandbox: Sandbox, args: argparse.Namespace, environ: Mapping[str, str]) -> str | None:
    """Attach the webhook the arguments (else the environment) name; its URL, or None when none is
    named. ValueError says what is wrong with them."""
    url = args.webhook_url or environ.get(WEBHOOK_URL_ENV) or None
    auth = args.webhook_basic_auth or environ.get(WEBHOOK_BASIC_AUTH_ENV) or None
    lines = args.webhook_header
    if lines is None:
        lines = [line for line in environ.get(WEBHOOK_HEADER_ENV, "").splitlines() if line.strip()]
    if url is None:
        if auth or lines or args.webhook_history:
            raise ValueError("the webhook options need a webhook URL (--webhook-url)")
        return None
    headers = dict(parse_header(line) for line in lines)
    sandbox.webhooks.attach_url(url, history=args.webhook_history, basic_auth=auth, headers=headers)
    return str(url)


def banner(sandbox: Sandbox, host: str, port: int, key: str, admin: bool, *, webhook: str | None = None) -> str:
    base = f"http://{host}:{port}/api"
    lines = [
        f"eSputnik sandbox on {base} (database: {sandbox.db_path})",
        f"API key: {key} (HTTP Basic: any user name, the key as password)",
        f"Try: curl -u user:{key} {base}/v1/account/info",
    ]
    if admin:
        lines.append(f"Admin routes: http://{host}:{port}/_sandbox/journal, /faults, /clock, /reset, /activity")
    if webhook:
        lines.append(f"Webhook: activity events are pushed to {webhook}")
    return "\n".join(lines)


def run(argv: Sequence[str] | None, serve: Serve = uvicorn.run, environ: Mapping[str, str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not args.key:
        print("esputnik-mcp sandbox: --key must not be empty", file=sys.stderr)
        return 2
    sandbox = Sandbox(args.key, db_path=args.db, demo=not args.no_demo, admin=args.admin, reset=args.reset)
    try:
        webhook = attach_webhook(sandbox, args, os.environ if environ is None else environ)
    except ValueError as exc:
        sandbox.close()
        print(f"esputnik-mcp sandbox: {exc}", file=sys.stderr)
        return 2
    print(banner(sandbox, args.host, args.port, args.key, args.admin, webhook=webhook), flush=True)
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
