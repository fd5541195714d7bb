"""Command line: ``esputnik-mcp`` (stdio server), ``serve --http``, ``sandbox``, ``tools``, ``call``,
``doctor``. Heavy imports happen inside the commands, so a stdio cold start loads only what it needs."""

from __future__ import annotations

import argparse
import gc
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from esputnik_mcp.server.runtime import Runtime
    from esputnik_mcp.settings import Settings
    from esputnik_mcp.store.base import AuditRecord, RefusalCount

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    from esputnik_mcp import __version__

    parser = argparse.ArgumentParser(
        prog="esputnik-mcp",
        description="MCP server for eSputnik (Yespo). Without ESPUTNIK_API_KEY: the built-in sandbox.",
    )
    parser.add_argument("--version", action="version", version=f"esputnik-mcp {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve MCP over stdio (default) or streamable HTTP")
    serve.add_argument("--http", action="store_true", help="serve streamable HTTP instead of stdio")
    serve.add_argument("--host", default="127.0.0.1", help="HTTP address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="HTTP port (default 8000)")
    serve.add_argument(
        "--dev-no-auth",
        action="store_true",
        help="serve HTTP without bearer tokens; only on a loopback address, for local development",
    )

    commands.add_parser(
        "sandbox", help="serve the sandbox eSputnik API on its own (see `sandbox --help`)", add_help=False
    )
    tools = commands.add_parser("tools", help="list the tools and their annotations")
    tools.add_argument("--json", action="store_true", help="print the MCP tools/list answer as JSON")
    call = commands.add_parser("call", help="call one tool through an in-process MCP client and print the result")
    call.add_argument("tool", help="tool name, e.g. search_contacts")
    call.add_argument("arguments", nargs="?", default="{}", help="arguments as a JSON object (default {})")
    commands.add_parser("doctor", help="check the API key and connectivity; print the organisation and balance")
    audit = commands.add_parser("audit", help="print the audit log of writes and sends, newest first")
    audit.add_argument("--since", help="only entries since this time: ISO 8601 (2025-05-14T09:00Z) or 30m, 12h, 7d")
    audit.add_argument("--limit", type=int, default=50, help="at most this many entries (default 50)")
    audit.add_argument("--json", action="store_true", help="one JSON object per line")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["sandbox"]:
        from esputnik_mcp.sandbox.cli import main as sandbox_main

        status: int = sandbox_main(args_list[1:])
        return status
    _pause_collection()
    try:
        return _main(args_list)
    finally:
        _resume_collection()


# What a start allocates lives as long as the process: modules, classes, models, the tool list.
# Collecting garbage meanwhile only costs time (a stdio server's first tools/list waits for it), so
# the collector pauses from the start until the server is built (or the command runs), then resumes
# with what exists by then left out of every later collection.
_collection_paused = False


def _pause_collection() -> None:
    global _collection_paused
    if gc.isenabled():
        gc.disable()
        _collection_paused = True


def _resume_collection() -> None:
    global _collection_paused
    if _collection_paused:
        _collection_paused = False
        gc.freeze()
        gc.enable()


def _main(args_list: list[str]) -> int:
    args = _parser().parse_args(args_list)
    settings = _load_settings()
    if settings is None:
        return EXIT_USAGE
    _configure_logging(settings)
    from esputnik_mcp.safety.policy import PolicyError
    from esputnik_mcp.store.base import StoreUnavailable

    try:
        return _run_command(args.command or "serve", args, settings)
    except KeyboardInterrupt:
        return EXIT_OK
    except PolicyError as exc:
        print(f"esputnik-mcp: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except StoreUnavailable as exc:
        print(f"esputnik-mcp: the state store cannot be used: {exc}", file=sys.stderr)
        return EXIT_FAILED


def _run_command(command: str, args: argparse.Namespace, settings: Settings) -> int:
    """Run one command with its options. Without a command, ``args`` holds none of serve's
    options, so the bare invocation serves stdio."""
    import anyio

    if command != "serve":  # a server resumes collection once it is built
        _resume_collection()
    if command == "serve":
        if getattr(args, "http", False):
            return anyio.run(_serve_http, settings, args.host, args.port, args.dev_no_auth)
        return anyio.run(_serve_stdio, settings)
    if command == "tools":
        return anyio.run(_list_tools, settings, args.json)
    if command == "call":
        return anyio.run(_call, settings, args.tool, args.arguments)
    if command == "doctor":
        return anyio.run(_doctor, settings)
    if command == "audit":
        return anyio.run(_audit, settings, args.since, args.limit, args.json)
    raise AssertionError(f"unhandled command {command}")


def _load_settings() -> Settings | None:
    from pydantic import ValidationError

    from esputnik_mcp.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        for error in exc.errors(include_url=False, include_input=False):
            name = "ESPUTNIK_" + "_".join(str(p) for p in error["loc"]).upper()
            print(f"esputnik-mcp: invalid setting {name}: {error['msg']}", file=sys.stderr)
        return None


def _configure_logging(settings: Settings) -> None:
    from esputnik_mcp.server.logs import configure

    configure(settings)


def _announce(runtime: Runtime) -> None:
    if runtime.on_sandbox:
        where = runtime.settings.sandbox_path
        print(
            f"esputnik-mcp: ESPUTNIK_API_KEY is not set - serving the built-in sandbox ({where}). "
            "Nothing reaches eSputnik or any real person.",
            file=sys.stderr,
        )
    else:
        print(f"esputnik-mcp: serving eSputnik at {runtime.settings.base_url}", file=sys.stderr)


async def _serve_stdio(settings: Settings) -> int:
    from esputnik_mcp.paths import user_data_dir
    from esputnik_mcp.server.app import build_server
    from esputnik_mcp.server.backend import open_runtime
    from esputnik_mcp.server.listing import cached_tool_listings

    # The tool list from its cache: a client's first tools/list need not wait for every tool module
    # to be imported and its schemas generated; a tool's module is imported on its first call.
    tools = cached_tool_listings(user_data_dir() / "cache")
    async with open_runtime(settings, tools=tools) as runtime:
        _announce(runtime)
        server = build_server(runtime)
        _resume_collection()
        try:
            await server.run_stdio_async()
        except* (BrokenPipeError, ConnectionResetError):
            print("esputnik-mcp: the client closed the connection", file=sys.stderr)
    return EXIT_OK


async def _serve_http(settings: Settings, host: str, port: int, dev_no_auth: bool) -> int:
    import uvicorn

    from esputnik_mcp.server.app import build_server
    from esputnik_mcp.server.backend import open_runtime
    from esputnik_mcp.server.hardening import connection_cap, raise_open_file_limit
    from esputnik_mcp.server.http import MCP_PATH, StartupError, http_app, server_config

    # Each connection holds a file descriptor; the default soft limit (often 1024) would stop the
    # server accepting anyone long before the connection cap could make room.
    open_files = raise_open_file_limit()
    async with open_runtime(settings) as runtime:
        try:
            app = http_app(build_server(runtime), runtime, host=host, dev_no_auth=dev_no_auth)
        except StartupError as exc:
            print(f"esputnik-mcp: {exc}", file=sys.stderr)
            return EXIT_USAGE
        _announce(runtime)
        cap = connection_cap(settings.http_max_connections, open_files)
        if cap < settings.http_max_connections:
            print(
                f"esputnik-mcp: at most {cap} connections (ESPUTNIK_HTTP_MAX_CONNECTIONS is "
                f"{settings.http_max_connections}, but only {open_files} files may be open; raise `ulimit -n`)",
                file=sys.stderr,
            )
        _resume_collection()
        print(f"esputnik-mcp: streamable HTTP on http://{host}:{port}{MCP_PATH}", file=sys.stderr)
        config = server_config(
            app, settings, host=host, port=port, log_level=settings.log_level.lower(), open_file_limit=open_files
        )
        await uvicorn.Server(config).serve()
    return EXIT_OK


async def _list_tools(settings: Settings, as_json: bool) -> int:
    """The tools this server would serve with the current settings (read-only mode, toolsets …)."""
    from esputnik_mcp.server.gate import policy_for
    from esputnik_mcp.server.tooling import tool_annotations
    from esputnik_mcp.tools import catalogue

    if as_json:
        from esputnik_mcp.server.snapshot import tool_list

        print(json.dumps(await tool_list(settings), indent=2, ensure_ascii=False))
        return EXIT_OK
    offered = policy_for(settings).select(catalogue())
    width = max(len(t.name) for t in offered)
    for spec in offered:
        hints = tool_annotations(spec)
        flags = ", ".join(
            label
            for label, on in (
                ("read-only", hints.read_only_hint),
                ("destructive", hints.destructive_hint),
                ("idempotent", hints.idempotent_hint),
                ("open-world", hints.open_world_hint),
            )
            if on
        )
        print(f"{spec.name:<{width}}  {spec.kind.value:<5}  {spec.toolset.value:<9}  {flags}")
    return EXIT_OK


async def _call(settings: Settings, tool: str, raw_arguments: str) -> int:
    from mcp import Client

    from esputnik_mcp.server.app import build_server
    from esputnik_mcp.server.backend import open_runtime

    try:
        arguments: Any = json.loads(raw_arguments)
    except ValueError as exc:
        print(f"esputnik-mcp: arguments are not valid JSON: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not isinstance(arguments, dict):
        print("esputnik-mcp: arguments must be a JSON object", file=sys.stderr)
        return EXIT_USAGE
    async with open_runtime(settings) as runtime:
        if runtime.on_sandbox:
            print("esputnik-mcp: on the built-in sandbox (no ESPUTNIK_API_KEY)", file=sys.stderr)
        async with Client(build_server(runtime)) as client:
            result = await client.call_tool(tool, arguments)
    for block in result.content:
        print(getattr(block, "text", block))
    return EXIT_FAILED if result.is_error else EXIT_OK


async def _doctor(settings: Settings) -> int:
    from esputnik_mcp.api import ESputnikError
    from esputnik_mcp.server.backend import open_runtime
    from esputnik_mcp.toolkit.failures import describe_api_error

    async with open_runtime(settings) as runtime:
        target = f"sandbox ({settings.sandbox_path})" if runtime.on_sandbox else settings.base_url
        print(f"backend: {target}")
        try:
            info = await runtime.client.account.info()
            balance = await runtime.client.account.balance()
        except ESputnikError as exc:
            print(f"problem: {describe_api_error(exc)}")
            return EXIT_FAILED
    print(f"organisation: {info.organisation_name}")
    print(f"user: {info.user_email}")
    print(f"balance: {balance.current_balance} {balance.currency} (credit limit {balance.credit_limit})")
    print(f"prepaid: {balance.bonus_emails} emails, {balance.bonus_smses} SMS")
    if runtime.on_sandbox:
        print("note: no ESPUTNIK_API_KEY is set; this is the sandbox. Set the key to check a real account.")
    return EXIT_OK


def _since(value: str) -> float:
    """Epoch seconds from an ISO 8601 time or a span back from now such as 30m, 12h, 7d."""
    import time
    from datetime import datetime

    units = {"m": 60, "h": 3600, "d": 86400}
    if value[-1:] in units and value[:-1].isdigit():
        return time.time() - int(value[:-1]) * units[value[-1]]
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("give a time zone, e.g. 2025-05-14T09:00Z")
    return moment.timestamp()


async def _audit(settings: Settings, since: str | None, limit: int, as_json: bool) -> int:
    from esputnik_mcp.store import open_store

    try:
        cutoff = _since(since) if since else None
    except ValueError as exc:
        print(f"esputnik-mcp: --since: {exc}", file=sys.stderr)
        return EXIT_USAGE
    store = open_store(settings)
    try:
        await store.open()
        records = await store.audit(since=cutoff, limit=limit)
        refusals = await store.refusals(since=cutoff)
    finally:
        await store.close()
    for record in records:
        print(_audit_line(record, as_json))
    for count in refusals[:limit]:
        print(_refusal_line(count, as_json))
    if not records and not refusals:
        print("no audit entries" + (" in that period" if since else ""), file=sys.stderr)
    return EXIT_OK


def _utc(at: float, timespec: str = "seconds") -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(at, UTC).isoformat(timespec=timespec)


def _audit_line(record: AuditRecord, as_json: bool) -> str:
    from dataclasses import asdict

    when = _utc(record.at)
    if as_json:
        return json.dumps({**asdict(record), "at": when}, ensure_ascii=False)
    parts = [when, record.tool, record.outcome]
    if record.target:
        parts.append(f"[{record.target}]")
    if record.recipient_count:
        parts.append(f"recipients={record.recipient_count} ({', '.join(record.recipients[:3])})")
    if record.request_ids:
        parts.append(f"request_ids={','.join(record.request_ids[:5])}")
    if record.detail:
        parts.append(f"- {record.detail}")
    return "  ".join(parts)


def _refusal_line(count: RefusalCount, as_json: bool) -> str:
    from dataclasses import asdict

    minute = _utc(count.minute * 60, "minutes")
    if as_json:
        return json.dumps({**asdict(count), "minute": minute, "outcome": "refused"}, ensure_ascii=False)
    return f"{minute}  {count.tool}  refused  guard={count.guard}  x{count.count}"
