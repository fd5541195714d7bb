"""Prometheus metrics of a team server: tool calls, their duration, requests to eSputnik by
status, refusals by the safety guards, and what the HTTP layer cut off.

The recording functions are cheap no-ops until :func:`enable` runs, which only ``serve --http``
does: a stdio server never imports ``prometheus_client`` and pays nothing for metrics. The metrics
live in a registry of their own, not the library's global one, so that only this server's series
are served at ``/metrics`` and tests can read them without interference.

Every label has a small, fixed set of values (tool names, outcomes, operation ids, HTTP statuses,
guard names): nothing a caller sends becomes a label, so the series cannot be blown up from outside.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry, Counter, Histogram

# Tool calls range from a cached read (milliseconds) to a bulk job near the 54 s request deadline.
CALL_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 60.0)


@dataclass(frozen=True)
class _Metrics:
    registry: CollectorRegistry
    tool_calls: Counter
    tool_seconds: Histogram
    upstream: Counter
    upstream_seconds: Histogram
    refusals: Counter
    http_cutoffs: Counter
    webhook: Counter


_metrics: _Metrics | None = None


def enable() -> None:
    """Start collecting (idempotent). Called when the HTTP server is built."""
    global _metrics
    if _metrics is not None:
        return
    from prometheus_client import CollectorRegistry, Counter, Histogram

    registry = CollectorRegistry(auto_describe=True)
    _metrics = _Metrics(
        registry=registry,
        tool_calls=Counter(
            "esputnik_mcp_tool_calls", "Tool calls by tool and outcome.", ["tool", "outcome"], registry=registry
        ),
        tool_seconds=Histogram(
            "esputnik_mcp_tool_call_seconds",
            "Duration of tool calls, in seconds.",
            ["tool"],
            buckets=CALL_BUCKETS,
            registry=registry,
        ),
        upstream=Counter(
            "esputnik_mcp_upstream_requests",
            "Requests to eSputnik (each attempt) by operation id and HTTP status; status none: no answer.",
            ["operation", "status"],
            registry=registry,
        ),
        upstream_seconds=Histogram(
            "esputnik_mcp_upstream_request_seconds",
            "Duration of each attempt of a request to eSputnik, in seconds.",
            buckets=CALL_BUCKETS,
            registry=registry,
        ),
        refusals=Counter(
            "esputnik_mcp_guard_refusals", "Tool calls refused by a safety guard.", ["guard"], registry=registry
        ),
        http_cutoffs=Counter(
            "esputnik_mcp_http_cutoffs",
            "HTTP connections or requests the server cut off to protect itself, by reason.",
            ["reason"],
            registry=registry,
        ),
        webhook=Counter(
            "esputnik_mcp_webhook_deliveries",
            "Webhook deliveries to the inbox by answer (stored, duplicate, refused, unauthorized, too_large, "
            "unavailable).",
            ["answer"],
            registry=registry,
        ),
    )


def enabled() -> bool:
    return _metrics is not None


def record_call(tool: str, outcome: str, seconds: float) -> None:
    """One finished tool call: its outcome (ok, error, refused, …) and how long it took."""
    metrics = _metrics
    if metrics is None:
        return
    metrics.tool_calls.labels(tool, outcome).inc()
    metrics.tool_seconds.labels(tool).observe(seconds)


def record_refusal(guard: str) -> None:
    """A safety guard (policy, rate limit, recipients cap, ledger, confirmation …) refused a call."""
    metrics = _metrics
    if metrics is not None:
        metrics.refusals.labels(guard).inc()


def observe_upstream(operation: str, status: int | None, seconds: float) -> None:
    """One attempt of a request to eSputnik; the API client's observer (``ESputnikClient(observer=…)``)."""
    metrics = _metrics
    if metrics is not None:
        metrics.upstream.labels(operation, "none" if status is None else str(status)).inc()
        metrics.upstream_seconds.observe(seconds)


def record_cutoff(reason: str) -> None:
    """The HTTP layer closed a connection or refused a request to protect the server."""
    metrics = _metrics
    if metrics is not None:
        metrics.http_cutoffs.labels(reason).inc()


def record_webhook(answer: str) -> None:
    """One delivery to the webhook inbox and how it was answered."""
    metrics = _metrics
    if metrics is not None:
        metrics.webhook.labels(answer).inc()


def exposition() -> tuple[bytes, str]:
    """All series in the Prometheus text format, and its content type (no series before :func:`enable`)."""
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    metrics = _metrics
    return (generate_latest(metrics.registry) if metrics is not None else b""), CONTENT_TYPE_LATEST
