"""Retry policy as data: which failures are retried, and how long to wait between attempts.

eSputnik documents no idempotency key, so what may be repeated depends on the operation:

* reads and idempotent writes (upserts, deletes, segment membership, unsubscribes) are retried on
  connection failures, timeouts, 429 and 5xx;
* unrepeatable operations (sends, events, subscribe, orders — each may reach a real person or start
  a workflow) are retried only when the request provably never reached eSputnik (it failed while
  connecting) or was refused with 429. Any other failure after the request left is an ambiguous
  outcome and is never retried automatically.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass


class Safety(enum.Enum):
    """How safe an operation is to repeat."""

    READ = "read"
    IDEMPOTENT = "idempotent"
    UNREPEATABLE = "unrepeatable"


class Failure(enum.Enum):
    """What went wrong with one attempt."""

    CONNECT = "connect"  # never reached eSputnik: connect error or timeout, no free connection
    TIMEOUT = "timeout"  # the request left; no answer in time
    BROKEN = "broken"  # the request left; the connection broke before the whole answer arrived
    RATE_LIMITED = "rate_limited"  # 429: refused, not processed
    SERVER = "server"  # 5xx: eSputnik failed, maybe after doing part of the work


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 2
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 30.0


def should_retry(
    policy: RetryPolicy,
    safety: Safety,
    failure: Failure,
    retries_done: int,
    retry_after: float | None = None,
) -> bool:
    """Whether to make another attempt after ``failure``: the one place this is decided."""
    if retries_done >= policy.max_retries:
        return False
    if retry_after is not None and retry_after > policy.max_retry_after:
        return False
    if safety is Safety.UNREPEATABLE:
        return failure in (Failure.CONNECT, Failure.RATE_LIMITED)
    return True


def backoff_delay(
    policy: RetryPolicy,
    retries_done: int,
    *,
    retry_after: float | None = None,
    jitter: Callable[[], float],
) -> float:
    """Seconds to wait before the next attempt.

    ``Retry-After`` wins when eSputnik sent a usable one; otherwise exponential backoff with
    "equal jitter": half the step fixed, half random. ``jitter`` returns a number in [0, 1).
    """
    if retry_after is not None:
        return retry_after
    step = min(policy.max_delay, policy.base_delay * (2.0**retries_done))
    return step / 2 + step / 2 * jitter()
