"""Holding a team server up against slow and greedy clients, at the level of connections.

uvicorn's own HTTP/1.1 protocol waits forever for a request's headers and body, and serves every
connection it accepts until the process runs out of file descriptors. A handful of clients that
open connections and send a byte now and then (slowloris) can so starve it. The protocol here adds:

- a deadline for a request's headers (``http_header_timeout``): a client that dribbles its headers
  is answered 408 and cut off;
- a deadline for a request's body (``http_body_timeout``): a body that trickles in slower is cut
  off with 408, and the application sees the client leave;
- an idle limit for a response in progress (``http_stream_timeout``): a response stream that
  carries nothing but keep-alive pings, or that the client stopped reading, is closed;
- a cap on open connections (``http_max_connections``): when it is reached, a new connection
  closes the oldest one that has not yet sent a whole request (then the oldest one idling between
  requests), so that a flood of half-open connections cannot lock real clients out. Connections
  whose requests are being served are never closed to make room.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from esputnik_mcp.server.metrics import record_cutoff

if TYPE_CHECKING:
    from uvicorn._types import ASGI3Application, ASGIReceiveCallable, ASGISendCallable, ASGISendEvent, Scope
    from uvicorn.config import Config
    from uvicorn.server import ServerState

    from esputnik_mcp.settings import Settings

logger = logging.getLogger("esputnik_mcp.http")

REQUEST_TIMEOUT = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
OVER_CAPACITY = b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nretry-after: 1\r\nconnection: close\r\n\r\n"
# File descriptors kept free of client connections: the listening socket, the state database,
# connections to eSputnik, log files.
RESERVED_FDS = 64

Phase = Literal["fresh", "uploading", "idle", "busy"]
# Which connections make room for a new one, first to last: those that never sent a whole request,
# then those between requests. A connection whose request is being served ("busy") never does.
EVICTION_ORDER: tuple[Phase, ...] = ("fresh", "uploading", "idle")


@dataclass(frozen=True)
class Limits:
    max_connections: int
    header_timeout: float
    body_timeout: float
    stream_timeout: float

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            max_connections=settings.http_max_connections,
            header_timeout=settings.http_header_timeout,
            body_timeout=settings.http_body_timeout,
            stream_timeout=settings.http_stream_timeout,
        )


class ConnectionBook:
    """The open connections of one server, each in its phase, oldest first within a phase."""

    def __init__(self) -> None:
        self._phases: dict[Phase, dict[object, None]] = {p: {} for p in ("fresh", "uploading", "idle", "busy")}
        self._phase_of: dict[object, Phase] = {}

    def __len__(self) -> int:
        return len(self._phase_of)

    def put(self, connection: object, phase: Phase) -> None:
        self.drop(connection)
        self._phases[phase][connection] = None
        self._phase_of[connection] = phase

    def drop(self, connection: object) -> None:
        phase = self._phase_of.pop(connection, None)
        if phase is not None:
            del self._phases[phase][connection]

    def phase(self, connection: object) -> Phase | None:
        return self._phase_of.get(connection)

    def oldest_evictable(self, spare: object) -> object | None:
        """The connection to close for a new one (never ``spare``, the new one itself)."""
        for phase in EVICTION_ORDER:
            for connection in self._phases[phase]:
                if connection is not spare:
                    return connection
        return None

    def counts(self) -> dict[Phase, int]:
        return {phase: len(members) for phase, members in self._phases.items()}


class HardenedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with the deadlines and the connection cap of this module.

    Use :func:`protocol_class`, which binds the limits and a connection book shared by the
    connections of one server, and pass the class as ``uvicorn.Config(http=...)``.
    """

    limits: ClassVar[Limits]
    book: ClassVar[ConnectionBook]

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._header_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._stream_timer: asyncio.TimerHandle | None = None
        self._last_event = 0.0
        self.app = self._watching(self.app)

    # --- connection lifecycle --------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.book.put(self, "fresh")
        # Slowloris: a client that opens a connection and never finishes its headers.
        self._header_timer = self.loop.call_later(self.limits.header_timeout, self._headers_too_slow)
        self._make_room()

    def connection_lost(self, exc: Exception | None) -> None:
        self.book.drop(self)
        self._cancel_timers()
        super().connection_lost(exc)

    def _make_room(self) -> None:
        """Connection flood: past the cap, close the oldest connections that are not being served."""
        while len(self.book) > self.limits.max_connections:
            victim = self.book.oldest_evictable(spare=self)
            if not isinstance(victim, HardenedH11Protocol):
                self._cut("over_capacity", OVER_CAPACITY)  # every other connection is being served
                return
            victim._cut("evicted")

    # --- request phases ------------------------------------------------------------------------

    def handle_events(self) -> None:
        before = self.cycle
        super().handle_events()
        if self.transport.is_closing():
            return
        if self.cycle is not before:  # a request's headers are complete
            self._cancel("_header_timer")
            if self.conn.their_state is h11.SEND_BODY:
                self.book.put(self, "uploading")
                # Slow POST (R.U.D.Y.): a client that sends its body a byte at a time.
                self._body_timer = self.loop.call_later(self.limits.body_timeout, self._body_too_slow)
            else:
                self.book.put(self, "busy")
        elif self._body_timer is not None and self.conn.their_state is not h11.SEND_BODY:
            self._cancel("_body_timer")
            if self.book.phase(self) == "uploading":
                self.book.put(self, "busy")

    def on_response_complete(self) -> None:
        self._cancel("_stream_timer")
        if not self.transport.is_closing():
            self.book.put(self, "idle")
            self._cancel("_header_timer")
            # The next request on this connection gets the same deadline for its headers.
            self._header_timer = self.loop.call_later(self.limits.header_timeout, self._headers_too_slow)
        super().on_response_complete()

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.transport.is_closing() or self.conn.their_state is h11.SEND_BODY:
            return  # the body of the previous request is still arriving: the body deadline decides
        if self.cycle is not None and not self.cycle.response_complete:
            return  # a request is being served
        # Part of a request arrived: say why it is refused. Nothing arrived: close, as for keep-alive.
        started = bool(self.conn.trailing_data[0])
        self._cut("header_timeout", REQUEST_TIMEOUT if started else b"")

    def _body_too_slow(self) -> None:
        self._body_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.SEND_BODY:
            return
        answered = self.cycle is not None and self.cycle.response_started
        self._cut("body_timeout", None if answered else REQUEST_TIMEOUT)

    # --- response streams ----------------------------------------------------------------------

    def _watching(self, app: ASGI3Application) -> ASGI3Application:
        """``app`` with its sends noted, so that an idle response stream can be told apart."""

        async def watched(scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
            async def noting(message: ASGISendEvent) -> None:
                self._sending(message)
                await send(message)

            await app(scope, receive, noting)

        return watched

    def _sending(self, message: ASGISendEvent) -> None:
        if message["type"] == "http.response.start":
            self._last_event = self.loop.time()
            self._cancel("_stream_timer")
            self._stream_timer = self.loop.call_later(self.limits.stream_timeout, self._stream_check)
        elif message["type"] == "http.response.body" and not _keepalive_only(message.get("body", b"")):
            self._last_event = self.loop.time()

    def _stream_check(self) -> None:
        """Idle streams: a response that sends only pings, or whose client stopped reading, is closed."""
        self._stream_timer = None
        cycle = self.cycle
        if self.transport.is_closing() or cycle is None or cycle.response_complete:
            return
        idle = self.loop.time() - self._last_event
        if idle >= self.limits.stream_timeout:
            self._cut("stream_idle")
        else:
            self._stream_timer = self.loop.call_later(self.limits.stream_timeout - idle, self._stream_check)

    # --- cutting off ---------------------------------------------------------------------------

    def _cut(self, reason: str, answer: bytes | None = None) -> None:
        """Close this connection: after sending ``answer`` when one is given (only where no response
        to the current request has begun), else at once, dropping anything unsent. The application,
        if serving a request, sees the client leave."""
        self.book.drop(self)
        self._cancel_timers()
        record_cutoff(reason)
        if self.client:
            logger.debug("cut off %s:%d: %s", *self.client, reason)
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            cycle.disconnected = True  # the app's send() now does nothing
            cycle.message_event.set()  # and its receive() answers http.disconnect
        if answer is None:
            self.transport.abort()
        else:
            self.transport.write(answer)
            self.transport.close()

    def _cancel(self, name: Literal["_header_timer", "_body_timer", "_stream_timer"]) -> None:
        timer: asyncio.TimerHandle | None = getattr(self, name)
        if timer is not None:
            timer.cancel()
            setattr(self, name, None)

    def _cancel_timers(self) -> None:
        self._cancel("_header_timer")
        self._cancel("_body_timer")
        self._cancel("_stream_timer")


def protocol_class(limits: Limits) -> type[HardenedH11Protocol]:
    """A protocol class for one server: its limits, and one book of that server's connections."""

    class Protocol(HardenedH11Protocol):
        pass

    Protocol.limits = limits
    Protocol.book = ConnectionBook()
    return Protocol


def _keepalive_only(body: bytes) -> bool:
    """Whether a chunk of a response carries nothing but SSE comments (the SDK's keep-alive pings)."""
    lines = [line for line in body.splitlines() if line.strip()]
    return all(line.startswith(b":") for line in lines)


def raise_open_file_limit() -> int | None:
    """Raise this process's soft limit of open files to its hard limit, so that the connection cap,
    not the operating system's default (often 1024), decides how many clients are served. Returns
    the soft limit now in force, or None where there is no such limit."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return None
    # An unlimited hard limit is refused as a soft one on some systems (macOS): aim lower then.
    for target in (hard,) if hard != resource.RLIM_INFINITY else (1 << 20, 65536):
        if target <= soft:
            break
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            continue
        return target
    return soft


def connection_cap(wanted: int, open_file_limit: int | None) -> int:
    """The connection cap the open-file limit allows: each connection holds a file descriptor, and
    a server that runs out of them stops accepting anyone, which the cap is there to prevent."""
    if open_file_limit is None:
        return wanted
    return max(1, min(wanted, open_file_limit - RESERVED_FDS))
