"""The server's log: one handler on stderr, as text lines or one JSON object per line, that never
prints a secret or a person's address.

Logs travel further than results: into collectors, tickets and screenshots. So whatever a logger
is given, the handler scrubs it before it is written: confirmation tokens (``cfm_…``), bearer and
basic credentials, the configured API key and HTTP tokens, email addresses and phone numbers, in
the message, its arguments and any traceback. Third-party loggers that can dump whole requests and
responses (the SDK, httpx, sse-starlette) are held at WARNING even when the server runs at DEBUG,
and are scrubbed all the same should someone turn them up.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TextIO
from urllib.parse import urlsplit

from esputnik_mcp.server.caller import CALLER, LOCAL

if TYPE_CHECKING:
    from esputnik_mcp.settings import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Loggers that log request and response bodies, or a line per request, below WARNING.
NOISY_LOGGERS = ("mcp", "httpx2", "httpcore2", "httpx", "httpcore", "sse_starlette", "uvicorn.access", "hpack")
_OURS = "_esputnik_mcp_handler"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"cfm_[A-Za-z0-9_\-]+"), "cfm_[redacted]"),
    (re.compile(r"(?i)\b(bearer|basic)(\s+|%20|\+)[^\s\"',;&]+"), r"\1\2[redacted]"),
    # An address, also URL-encoded in a query string (%40).
    (re.compile(r"[A-Za-z0-9._%+\-]+(?:@|%40)[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"), "[email]"),
    # An international number (also URL-encoded, %2B), possibly spaced or dashed.
    (re.compile(r"(?:\+|%2B)\d(?:[ ().\-]{0,2}\d){6,14}(?!\d)"), "[phone]"),
    # A bare run of 10 to 15 digits: a phone number without its plus.
    (re.compile(r"(?<![\w.])\d{10,15}(?![\w.])"), "[phone]"),
)


class Redactor:
    """Scrubs known secrets and anything shaped like a token, an address or a phone number."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so that a secret containing another is replaced whole.
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text


class RedactingFilter(logging.Filter):
    """A handler filter: each record leaves with its message already formatted and scrubbed."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self._redact = redact
        self._formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit the message: keep both, scrubbed
            message = f"{record.msg} {record.args!r}"
        record.msg = self._redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self._redact(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, and the caller (a token's
    fingerprint) of the HTTP request being served, if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, str] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        caller = CALLER.get()
        if caller != LOCAL:
            entry["caller"] = caller
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False)


def secrets_of(settings: Settings) -> list[str]:
    """Every configured secret, in the forms it could appear in: the API key (also as the Basic
    credential the client sends), the HTTP tokens, the database password and the state key."""
    found: list[str] = []
    if settings.api_key is not None:
        key = settings.api_key.get_secret_value()
        found += [key, base64.b64encode(f"esputnik-mcp:{key}".encode()).decode()]
    found += [t.get_secret_value().strip() for t in settings.http_tokens]
    if settings.database_url is not None:
        url = settings.database_url.get_secret_value()
        found.append(urlsplit(url).password or "")
    if settings.request_state_key is not None:
        found.append(settings.request_state_key.get_secret_value())
    return [s for s in found if s]


def configure(settings: Settings, *, stream: TextIO | None = None) -> logging.Handler:
    """Send every log record to ``stream`` (stderr) in the settings' format and level, scrubbed.

    Replaces a handler installed by an earlier call, leaves other handlers alone, and returns the
    handler it installed.
    """
    level = logging.getLevelName(settings.log_level)
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RedactingFilter(Redactor(secrets_of(settings))))
    setattr(handler, _OURS, True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _OURS, False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Neither format shows the thread or the process: records need not look them up (a tool call
    # logs a line each).
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, level))
    return handler
