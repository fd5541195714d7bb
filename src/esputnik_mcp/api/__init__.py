"""A standalone async client of the eSputnik (Yespo) REST API. It imports nothing from MCP."""

from esputnik_mcp.api.client import ESputnikClient
from esputnik_mcp.api.errors import (
    AmbiguousOutcomeError,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ESputnikError,
    ForbiddenError,
    NotFoundError,
    RateLimitedError,
    RequestValidationError,
    ResponseDecodeError,
    ServerError,
)
from esputnik_mcp.api.http import DEFAULT_BASE_URL, Timeouts
from esputnik_mcp.api.paging import ChunkOutcome, Page
from esputnik_mcp.api.retry import RetryPolicy

__all__ = [
    "DEFAULT_BASE_URL",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AmbiguousOutcomeError",
    "AuthenticationError",
    "BadRequestError",
    "ChunkOutcome",
    "ConflictError",
    "ESputnikClient",
    "ESputnikError",
    "ForbiddenError",
    "NotFoundError",
    "Page",
    "RateLimitedError",
    "RequestValidationError",
    "ResponseDecodeError",
    "RetryPolicy",
    "ServerError",
    "Timeouts",
]
