"""One error hierarchy for everything the API client raises, mapped from a response in one place.

Every error carries the HTTP status (when there was a response), the method and path it concerns
(never the query string or headers), and at most 500 characters of eSputnik's answer. None of them
ever carries the API key: :func:`error_from_response` scrubs it from the upstream text as well.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Iterable

BODY_LIMIT = 500


def truncate(text: str, limit: int = BODY_LIMIT) -> str:
    """At most ``limit`` characters of ``text``, marked when cut."""
    text = text.strip()
    if len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every non-empty secret replaced by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


class ESputnikError(Exception):
    """Base class of every error raised by the eSputnik API client."""

    default_message = "eSputnik request failed"

    def __init__(
        self,
        message: str | None = None,
        *,
        status: int | None = None,
        body: str = "",
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.status = status
        self.body = truncate(body)
        self.method = method
        self.path = path
        super().__init__(self.message)

    @property
    def request_line(self) -> str:
        """``METHOD /path`` of the failed request, or an empty string when unknown."""
        return f"{self.method} {self.path}" if self.method and self.path else ""

    def __str__(self) -> str:
        parts = [self.message]
        if self.request_line:
            parts.append(f"[{self.request_line}]")
        if self.body:
            parts.append(f"eSputnik said: {self.body}")
        return " ".join(parts)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, message={self.message!r}, path={self.path!r})"


class RequestValidationError(ESputnikError, ValueError):
    """The request was refused by the client before anything was sent (it would be rejected)."""

    default_message = "invalid request"


class APIStatusError(ESputnikError):
    """eSputnik answered with an error status."""


class BadRequestError(APIStatusError):
    """400 and other client errors without a class of their own (405, 415, 419 …)."""

    default_message = "eSputnik rejected the request as invalid"


class AuthenticationError(APIStatusError):
    """401: the key is wrong, disabled, or lacks rights for this method."""

    default_message = (
        "eSputnik refused the API key (401): check ESPUTNIK_API_KEY, and that the key's access level "
        "covers this method (a key may be limited to events, or to events and contacts)"
    )


class ForbiddenError(APIStatusError):
    """403: the key is valid but not allowed to do this."""

    default_message = (
        "eSputnik refused this method for the API key (403): the key's access level does not cover it "
        "(a key may be limited to events, or to events and contacts)"
    )


class NotFoundError(APIStatusError):
    """404: the contact, segment, message or import session does not exist."""

    default_message = "not found in eSputnik (404)"


class ConflictError(APIStatusError):
    """409: eSputnik saw an identical request within the last minute and refused the repeat."""

    default_message = (
        "eSputnik refused an identical repeat of a request made within the last minute (409); "
        "the earlier request was processed"
    )


class RateLimitedError(APIStatusError):
    """429 from eSputnik, or a wait under the client's own rate limit longer than allowed."""

    default_message = "rate limited by eSputnik"

    def __init__(
        self,
        message: str | None = None,
        *,
        retry_after: float | None = None,
        status: int | None = 429,
        body: str = "",
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        self.retry_after = retry_after
        if message is None:
            message = self.default_message
            if retry_after is not None:
                message += f"; retry after {retry_after:.0f} s"
        super().__init__(message, status=status, body=body, method=method, path=path)


class ServerError(APIStatusError):
    """5xx: eSputnik failed."""

    default_message = "eSputnik failed to process the request (server error)"


class APIConnectionError(ESputnikError):
    """The connection could not be made or broke; for reads, nothing is known to have happened."""

    default_message = "could not reach eSputnik"


class APITimeoutError(ESputnikError):
    """No answer in time (or the call's overall deadline ran out)."""

    default_message = "eSputnik did not answer in time"


class ResponseDecodeError(ESputnikError):
    """eSputnik answered 2xx with a body that could not be read (malformed or too large)."""

    default_message = "could not read eSputnik's answer"


class AmbiguousOutcomeError(ESputnikError):
    """A non-repeatable request (send, event, subscribe, orders) left, but its outcome is unknown.

    eSputnik may have processed it. It is never retried automatically: check the outcome first
    (for sends, with the message status of the request ids) before trying again.
    """

    default_message = "outcome unknown: the request reached eSputnik and may have been processed"


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitedError,
}


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date); None if unusable."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if parsed.tzinfo is None:
            return None
        seconds = parsed.timestamp() - (time.time() if now is None else now)
    if seconds != seconds or seconds in (float("inf"), float("-inf")):  # NaN or infinite
        return None
    return max(0.0, seconds)


def upstream_text(body: bytes) -> str:
    """A readable summary of an error body: the ``message``/``error`` of a JSON body, else the text."""
    text = body.decode("utf-8", errors="replace").strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            return text
        if isinstance(data, dict):
            picked = [str(data[key]) for key in ("error", "error_code", "message") if data.get(key)]
            if picked:
                return ": ".join(picked)
    return text


def error_from_response(
    status: int,
    body: bytes,
    *,
    retry_after: str | None,
    method: str,
    path: str,
    secrets: Iterable[str] = (),
) -> APIStatusError:
    """The error for an error response: its class from the status, its text from the body."""
    text = scrub(truncate(upstream_text(body), BODY_LIMIT * 2), secrets)
    if status == 429:
        return RateLimitedError(
            retry_after=parse_retry_after(retry_after), status=status, body=text, method=method, path=path
        )
    cls = _STATUS_CLASSES.get(status)
    message: str | None = None
    if cls is None:
        cls = ServerError if status >= 500 else BadRequestError
        verb = "failed to process" if status >= 500 else "rejected"
        message = f"eSputnik {verb} the request ({status})"
    return cls(message, status=status, body=text, method=method, path=path)
