"""HTTP load and soak: many clients calling read tools on `serve --http`, each part its own process.

The sandbox runs on its own (`esputnik-mcp sandbox`), the server under test in a second process
(`esputnik-mcp serve --http`, SQLite store), and the clients in others: ``--clients`` concurrent
clients spread over ``--procs`` client processes, each making ``--calls`` calls of the mix
`list_segments`, `get_contact`, `search_contacts` in turn. Figures are printed, not asserted:

- calls per second, end to end, and the errors (an HTTP error, a JSON-RPC error or a tool error);
- latency per call as the clients saw it: p50, p90, p99, max;
- the server process's CPU time per call (user + system, from /proc), the figure that bounds calls
  per second per process whatever shares the machine with it;
- its resident memory: at the start, after the warm-up, and at the end (``--soak SECONDS`` keeps
  the load on for that long and samples the RSS every ``--sample`` seconds, to see that it stays
  flat).

The clients are lean: each request is the one the official SDK client sends for the same call (the
bench records those once through the SDK's own client), replayed over a keep-alive connection, so
that the machine's cores go to the server rather than to the load. Each answer is parsed and
checked.

    .venv/bin/python bench/http_load.py [--clients 100] [--calls 100] [--procs 2] [--runs 1]
    .venv/bin/python bench/http_load.py --soak 600 --clients 20      # RSS over ten minutes

Loopback only; the server's own per-minute limits are raised so that the load is not refused, but
eSputnik's per-account rate limits, which the sandbox enforces and the server paces itself to, hold:
they cap this mix at 150 calls a second, whatever serves it.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2 as httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.server.processes import environment, free_port, process, wait_until_up  # noqa: E402

SANDBOX_KEY = "sandbox-key-for-the-load-bench"
TOKEN = os.environ.setdefault("ESPUTNIK_BENCH_TOKEN", secrets.token_urlsafe(32))  # the client processes inherit it
PROTOCOL = "2026-07-28"
# eSputnik's documented limits per account, which the sandbox enforces: 50 contact searches a second,
# and 200 requests a second shared by the other two; each client makes the three calls in turn.
CEILING = min(50 * 3, 200 * 3 // 2)
MIX: list[tuple[str, dict[str, Any]]] = [
    ("list_segments", {}),
    ("get_contact", {"contact_id": 100001}),
    ("search_contacts", {"first_name": "Олена", "limit": 5}),
]


@contextmanager
def services(tmp: Path, *, bare: bool) -> Any:
    """The sandbox, and the server under test: esputnik-mcp, or the bare SDK server when ``bare``."""
    sandbox_port, port = free_port(), free_port()
    sandbox = f"http://127.0.0.1:{sandbox_port}"
    settings = {
        "ESPUTNIK_API_KEY": SANDBOX_KEY,
        "ESPUTNIK_BASE_URL": f"{sandbox}/api",
        "ESPUTNIK_HTTP_TOKENS": TOKEN,
        "ESPUTNIK_READS_PER_MINUTE": "10000000",
        "ESPUTNIK_READS_PER_MINUTE_TOTAL": "10000000",
        "ESPUTNIK_LOG_LEVEL": "WARNING",
    }
    with ExitStack() as stack:
        upstream = stack.enter_context(
            process(
                ["sandbox", "--port", str(sandbox_port), "--key", SANDBOX_KEY, "--db", str(tmp / "sandbox.sqlite3")],
                environment(tmp),
                tmp / "sandbox.log",
                f"{sandbox}/api/v1/account/info",
            )
        )
        if bare:
            log = stack.enter_context((tmp / "bare.log").open("wb"))
            server = subprocess.Popen(  # noqa: S603 - the bench's own script
                [sys.executable, str(ROOT / "bench" / "bare_sdk_http.py"), str(port), f"{sandbox}/api", SANDBOX_KEY],
                env=environment(tmp),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            stack.callback(server.wait, 10)
            stack.callback(server.terminate)
            wait_until_up(f"http://127.0.0.1:{port}/health", server, tmp / "bare.log")
        else:
            server = stack.enter_context(
                process(
                    ["serve", "--http", "--port", str(port)],
                    environment(tmp, **settings),
                    tmp / "server.log",
                    f"http://127.0.0.1:{port}/health",
                )
            )
        yield f"http://127.0.0.1:{port}", server.pid, upstream.pid, tmp / ("bare.log" if bare else "server.log")


async def record_requests(base: str) -> list[tuple[dict[str, str], dict[str, Any]]]:
    """The headers and body the official SDK client sends for each call of the mix."""
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    recorded: list[tuple[dict[str, str], dict[str, Any]]] = []

    async def keep(request: httpx.Request) -> None:
        body = json.loads(request.content or b"null")
        if isinstance(body, dict) and body.get("method") == "tools/call":
            headers = {k: v for k, v in request.headers.items() if k.lower().startswith(("mcp-", "accept", "content-"))}
            headers.pop("content-length", None)
            recorded.append((headers, body))

    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with (
        httpx.AsyncClient(headers=headers, timeout=30, event_hooks={"request": [keep]}) as http,
        Client(streamable_http_client(f"{base}/mcp", http_client=http), mode=PROTOCOL) as client,
    ):
        for name, arguments in MIX:
            result = await client.call_tool(name, arguments)
            if result.is_error:
                raise SystemExit(f"{name} failed before the load: {result.content}")
    if len(recorded) != len(MIX):
        raise SystemExit(f"recorded {len(recorded)} tools/call requests, expected {len(MIX)}")
    return recorded


def answer_of(response: httpx.Response) -> dict[str, Any]:
    text = response.text
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        data = [line[5:].strip() for line in text.splitlines() if line.startswith("data:") and line[5:].strip()]
        messages = [json.loads(d) for d in data]
        answers = [m for m in messages if "result" in m or "error" in m]
        if not answers:
            raise ValueError(f"no answer in the stream: {text[:200]}")
        return answers[-1]
    return json.loads(text)


async def client_loop(
    base: str,
    requests: list[tuple[dict[str, str], dict[str, Any]]],
    calls: int,
    offset: int,
    latencies: list[float],
    errors: list[str],
    until: float | None,
) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as http:
        done = 0
        while (until is None and done < calls) or (until is not None and time.monotonic() < until):
            request_headers, body = requests[(offset + done) % len(requests)]
            body = {**body, "id": done + 1}
            started = time.perf_counter()
            try:
                response = await http.post("/mcp", content=json.dumps(body), headers=request_headers)
                if response.status_code != 200:
                    errors.append(f"HTTP {response.status_code}: {response.text[:200]}")
                else:
                    answer = answer_of(response)
                    if "error" in answer:
                        errors.append(f"JSON-RPC error: {answer['error']}")
                    elif answer["result"].get("isError"):
                        errors.append(f"tool error: {json.dumps(answer['result'])[:200]}")
            except (httpx.HTTPError, ValueError) as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
            latencies.append(time.perf_counter() - started)
            done += 1


def client_process(
    base: str,
    requests: list[tuple[dict[str, str], dict[str, Any]]],
    clients: int,
    calls: int,
    first: int,
    until: float | None,
    start_at: float,
    out: Any,
) -> None:
    latencies: list[float] = []
    errors: list[str] = []

    async def main() -> None:
        await anyio.sleep(max(0.0, start_at - time.time()))
        async with anyio.create_task_group() as group:
            for n in range(clients):
                group.start_soon(client_loop, base, requests, calls, first + n, latencies, errors, until)

    anyio.run(main)
    out.send((latencies, errors[:20], len(errors)))
    out.close()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load(
    base: str,
    pid: int,
    sandbox_pid: int,
    requests: list[tuple[dict[str, str], dict[str, Any]]],
    *,
    clients: int,
    calls: int,
    procs: int,
    soak: float | None,
    sample: float,
) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    per_proc = [clients // procs + (1 if n < clients % procs else 0) for n in range(procs)]
    start_at = time.time() + 1.5  # every client process starts at once, once spawned
    until = None if soak is None else time.monotonic() + 1.5 + soak
    pipes, workers, first = [], [], 0
    for count in per_proc:
        receive, send = context.Pipe(duplex=False)
        worker = context.Process(
            target=client_process, args=(base, requests, count, calls, first, until, start_at, send)
        )
        worker.start()
        pipes.append(receive)
        workers.append(worker)
        first += count
    time.sleep(max(0.0, start_at - time.time()))
    cpu_before, wall_before = cpu_seconds(pid), time.perf_counter()
    sandbox_before = cpu_seconds(sandbox_pid)
    rss_samples: list[tuple[float, float]] = []
    while any(w.is_alive() for w in workers) and not all(p.poll() for p in pipes):
        rss_samples.append((time.perf_counter() - wall_before, rss_mib(pid)))
        time.sleep(sample)
    results = [p.recv() for p in pipes]
    wall, cpu = time.perf_counter() - wall_before, cpu_seconds(pid) - cpu_before
    sandbox_cpu = cpu_seconds(sandbox_pid) - sandbox_before
    for worker in workers:
        worker.join()
    latencies = sorted(x for r in results for x in r[0])
    errors = [e for r in results for e in r[1]]
    error_count = sum(r[2] for r in results)
    made = len(latencies)

    def quantile(q: float) -> float:
        return latencies[min(made - 1, int(q * made))] * 1000

    return {
        "calls": made,
        "errors": error_count,
        "error_samples": errors[:5],
        "calls_per_s": made / wall,
        "p50_ms": quantile(0.50),
        "p90_ms": quantile(0.90),
        "p99_ms": quantile(0.99),
        "max_ms": latencies[-1] * 1000,
        "cpu_ms_per_call": cpu * 1000 / made,
        "sandbox_cpu_ms_per_call": sandbox_cpu * 1000 / made,
        "rss": rss_samples,
        "wall_s": wall,
    }


def describe(figures: dict[str, Any], rss_now: float) -> str:
    return (
        f"{figures['calls']} calls in {figures['wall_s']:.1f} s, {figures['errors']} errors; "
        f"{figures['calls_per_s']:.0f} calls/s; p50 {figures['p50_ms']:.0f} ms, p90 {figures['p90_ms']:.0f} ms, "
        f"p99 {figures['p99_ms']:.0f} ms, max {figures['max_ms']:.0f} ms; server CPU "
        f"{figures['cpu_ms_per_call']:.2f} ms per call (the sandbox's {figures['sandbox_cpu_ms_per_call']:.2f} ms); "
        f"server RSS {rss_now:.1f} MiB"
    )


def spread(runs: list[dict[str, Any]], key: str, fmt: str = ".0f") -> str:
    values = [r[key] for r in runs]
    return f"{statistics.median(values):{fmt}} ({min(values):{fmt}}-{max(values):{fmt}})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--calls", type=int, default=100, help="calls per client (ignored with --soak)")
    parser.add_argument("--procs", type=int, default=2, help="client processes")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--soak", type=float, default=None, help="keep the load on this many seconds")
    parser.add_argument("--sample", type=float, default=1.0, help="seconds between RSS samples")
    parser.add_argument("--no-bare", action="store_true", help="skip the bare SDK server's runs")
    args = parser.parse_args()

    targets = ["esputnik-mcp"] if args.no_bare or args.soak is not None else ["esputnik-mcp", "bare SDK"]
    with ExitStack() as stack:
        up: dict[str, tuple[str, int, int, Path, list[tuple[dict[str, str], dict[str, Any]]]]] = {}
        for target in targets:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="esputnik-http-load-")))
            base, pid, sandbox_pid, log = stack.enter_context(services(tmp, bare=target == "bare SDK"))
            requests = anyio.run(record_requests, base)
            rss_idle = rss_mib(pid)
            warm = load(base, pid, sandbox_pid, requests, clients=10, calls=20, procs=1, soak=None, sample=args.sample)
            if warm["errors"]:
                raise SystemExit(f"{target}: errors in the warm-up: {warm['error_samples']}\n{log.read_text()[-2000:]}")
            print(f"{target}: server RSS idle {rss_idle:.1f} MiB, after warm-up {rss_mib(pid):.1f} MiB")
            up[target] = (base, pid, sandbox_pid, log, requests)
        amount = f"{args.soak:.0f} s of calls" if args.soak is not None else f"{args.calls} calls"
        print(f"{args.clients} clients x {amount}, {args.procs} client processes, protocol {PROTOCOL}")
        runs: dict[str, list[dict[str, Any]]] = {target: [] for target in targets}
        for n in range(args.runs):
            for target in targets:
                base, pid, sandbox_pid, log, requests = up[target]
                figures = load(
                    base,
                    pid,
                    sandbox_pid,
                    requests,
                    clients=args.clients,
                    calls=args.calls,
                    procs=args.procs,
                    soak=args.soak,
                    sample=args.sample,
                )
                runs[target].append(figures)
                print(f"run {n + 1}, {target}: {describe(figures, rss_mib(pid))}")
                for sample in figures["error_samples"]:
                    print(f"    {sample}")
        for target in targets:
            done = runs[target]
            print(
                f"{target}, median of {len(done)} (range): {spread(done, 'calls_per_s')} calls/s, "
                f"p99 {spread(done, 'p99_ms')} ms, CPU {spread(done, 'cpu_ms_per_call', '.2f')} ms per call, "
                f"errors {sum(r['errors'] for r in done)}"
            )
        if len(targets) == 2:
            ours, bare = runs["esputnik-mcp"], runs["bare SDK"]
            cps = statistics.median(r["calls_per_s"] for r in ours) / statistics.median(r["calls_per_s"] for r in bare)
            cpu = statistics.median(r["cpu_ms_per_call"] for r in ours) / statistics.median(
                r["cpu_ms_per_call"] for r in bare
            )
            print(f"esputnik-mcp / bare SDK: calls/s {cps:.2f}x, server CPU per call {cpu:.2f}x")
        last = runs["esputnik-mcp"][-1]
        if args.soak is not None and last["rss"]:
            samples = last["rss"]
            minute = [rss for at, rss in samples if at <= 60] or [samples[0][1]]
            tail = [rss for at, rss in samples if at >= samples[-1][0] - 60] or [samples[-1][1]]
            print(
                f"soak RSS: first minute max {max(minute):.1f} MiB, last minute max {max(tail):.1f} MiB, "
                f"peak {max(r for _, r in samples):.1f} MiB ({len(samples)} samples)"
            )
        print(
            "goals: 0 errors; p99 <= 250 ms at 100 clients; calls/s >= 3x the 136 measured before the changes "
            "(5 runs, quiet machine). "
            f"The ceiling: eSputnik's limits (the sandbox keeps them) allow {CEILING} calls/s of this mix per "
            "account (50 contact searches/s, one call in three; the rest share 200 requests/s), and by Little's "
            f"law 100 clients at {CEILING} calls/s wait {100 / CEILING * 1000:.0f} ms per call on average"
        )


if __name__ == "__main__":
    main()
