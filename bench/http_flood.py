"""Half-open connection flood against `serve --http`: how many connections that never finish their
headers the server holds before `GET /health` slows down. Figures are printed, not asserted.

The server runs in a subprocess on the sandbox (its own process, so its own open-file limit); this
process opens connections in steps, each sending the start of a request and never its end, and
after each step times /health over a fresh connection, as a new client would.

    .venv/bin/python bench/http_flood.py [--cap 100000] [--step 1000] [--slow-ms 100] [--files 200000]

`--files` raises the hard open-file limit of this process and the server first (needs root or
CAP_SYS_RESOURCE); otherwise both stop at the limit they were given. Connections come from
127.0.0.2, 127.0.0.3, … so that one source address's ephemeral ports are not the bound.

With a cap above what the machine allows (the default), the server holds every connection it can
and the figure is its raw capacity. With the default cap (`--cap 1000`), the flood beyond the cap
closes its own oldest connections and /health should stay fast however many are opened.
"""

from __future__ import annotations

import argparse
import os
import resource
import secrets
import shutil
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import anyio
from anyio.abc import SocketAttribute, SocketStream

COMMAND = shutil.which("esputnik-mcp") or str(Path(sys.executable).with_name("esputnik-mcp"))
PARTIAL = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: "
PER_SOURCE = 20_000  # connections from one source address, well inside its ephemeral port range
HEALTH = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def raise_own_limit(files: int | None) -> int:
    """Raise this process's open-file limit (the server, its child, inherits it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if files is not None:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (files, files))
            return files
        except (ValueError, OSError) as exc:
            print(f"cannot raise the open-file limit to {files}: {exc}")
    if hard != resource.RLIM_INFINITY and hard > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        return hard
    return soft


async def health_seconds(port: int, samples: int = 5) -> list[float]:
    """Time to a whole /health answer over a fresh connection, ``samples`` times."""
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        with anyio.fail_after(30):
            async with await anyio.connect_tcp("127.0.0.1", port) as stream:
                await stream.send(HEALTH)
                answer = b""
                try:
                    while True:
                        answer += await stream.receive()
                except (anyio.EndOfStream, anyio.BrokenResourceError):
                    pass
        times.append(time.perf_counter() - started)
        assert answer.startswith(b"HTTP/1.1 200"), answer[:80]
    return times


async def open_half(port: int, streams: list[SocketStream], count: int) -> int:
    """Open ``count`` more half-open connections; returns how many failed to open."""
    failed = 0

    async def one() -> None:
        nonlocal failed
        source = f"127.0.0.{2 + len(streams) // PER_SOURCE}"
        try:
            stream = await anyio.connect_tcp("127.0.0.1", port, local_host=source)
            await stream.send(PARTIAL)
        except OSError:
            failed += 1
            return
        streams.append(stream)

    for start in range(0, count, 250):
        async with anyio.create_task_group() as tg:
            for _ in range(min(250, count - start)):
                tg.start_soon(one)
    return failed


def still_open(streams: list[SocketStream]) -> int:
    """How many of ``streams`` the server has not closed (a peek at each socket, without waiting)."""
    open_count = 0
    for stream in streams:
        fd = stream.extra(SocketAttribute.raw_socket).fileno()  # noqa: S610 - anyio's typed attribute
        with socket.fromfd(fd, socket.AF_INET, socket.SOCK_STREAM) as peek:
            try:
                open_count += peek.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) != b""
            except BlockingIOError:
                open_count += 1  # nothing to read, not closed
            except OSError:
                pass  # reset by the server
    return open_count


async def run(cap: int, step: int, slow_ms: float, limit: int) -> None:
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ESPUTNIK_")}
        env.update(
            ESPUTNIK_DATA_DIR=tmp,
            ESPUTNIK_SANDBOX_DB=":memory:",
            ESPUTNIK_HTTP_TOKENS=secrets.token_urlsafe(32),
            ESPUTNIK_HTTP_MAX_CONNECTIONS=str(cap),
            ESPUTNIK_HTTP_HEADER_TIMEOUT="120",
            ESPUTNIK_LOG_LEVEL="WARNING",
        )
        with (Path(tmp) / "server.log").open("w") as log:
            server = await anyio.open_process(
                [COMMAND, "serve", "--http", "--port", str(port)], env=env, stderr=log, stdout=log
            )
        try:
            with anyio.fail_after(30):
                while True:
                    try:
                        await health_seconds(port, 1)
                        break
                    except OSError:
                        await anyio.sleep(0.1)
            baseline = statistics.median(await health_seconds(port, 20))
            print(f"cap {cap}; /health alone: {baseline * 1000:.1f} ms median; this process may open {limit} files")
            print(f"{'opened':>8} {'held':>8} {'/health median':>15} {'max':>8}")
            streams: list[SocketStream] = []
            first_slow = None
            while len(streams) < limit - 200:  # a few files to spare for /health and the runtime
                failed = await open_half(port, streams, min(step, limit - 200 - len(streams)))
                await anyio.sleep(0.2)  # let the server accept the step
                times = await health_seconds(port)
                median, worst = statistics.median(times), max(times)
                held = still_open(streams)
                print(f"{len(streams):>8} {held:>8} {median * 1000:>12.1f} ms {worst * 1000:>5.0f} ms")
                if failed:
                    print(f"  {failed} connections could not be opened")
                    break
                if median * 1000 > max(slow_ms, 3 * baseline * 1000) and first_slow is None:
                    first_slow = held
                    break
            if first_slow is None:
                print(f"/health never slowed past {slow_ms:g} ms; {still_open(streams)} connections held at the end")
            else:
                print(f"/health slowed past {slow_ms:g} ms with {first_slow} half-open connections held")
            for stream in streams:
                await stream.aclose()
        finally:
            server.terminate()
            with anyio.fail_after(30):
                await server.wait()
            await server.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cap", type=int, default=100_000, help="ESPUTNIK_HTTP_MAX_CONNECTIONS of the server")
    parser.add_argument("--files", type=int, help="raise the open-file limit of both processes to this first")
    parser.add_argument("--step", type=int, default=1000, help="connections added between measurements")
    parser.add_argument("--slow-ms", type=float, default=100.0, help="a /health median above this counts as slow")
    args = parser.parse_args()
    anyio.run(run, args.cap, args.step, args.slow_ms, raise_own_limit(args.files))


if __name__ == "__main__":
    main()
