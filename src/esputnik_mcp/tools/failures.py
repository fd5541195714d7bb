"""Short, trusted messages for failures; eSputnik's own text is quoted as data, never as prose."""

from __future__ import annotations

import json

from pydantic import ValidationError

from esputnik_mcp.api import (
    AmbiguousOutcomeError,
    ESputnikError,
    NotFoundError,
    RateLimitedError,
    RequestValidationError,
)


def describe_api_error(error: ESputnikError) -> str:
    """A tool-result message for an API error."""
    if isinstance(error, RequestValidationError):
        return f"refused before sending: {error.message}"
    if isinstance(error, RateLimitedError):
        wait = f"; retry after {error.retry_after:.0f} s" if error.retry_after is not None else "; retry shortly"
        who = "eSputnik" if error.status == 429 else "the client's own limit"
        return f"rate limited by {who}{wait}"
    if isinstance(error, NotFoundError):
        message = f"not found in eSputnik ({error.request_line})"
    elif isinstance(error, AmbiguousOutcomeError):
        message = f"{error.message}. Do not simply retry: check the outcome first"
    else:
        message = error.message
    if error.body:
        message += f". eSputnik said: {json.dumps(error.body, ensure_ascii=False)}"
    return message


def describe_validation_error(tool: str, error: ValidationError) -> str:
    """A tool-result message for arguments that do not fit the tool's input schema."""
    problems = []
    for item in error.errors(include_url=False, include_input=False, include_context=False)[:6]:
        where = ".".join(str(part) for part in item["loc"]) or "arguments"
        message = str(item["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if item["type"] == "extra_forbidden":
            message = "unknown parameter"
        elif item["type"] == "missing":
            message = "required"
        problems.append(f"{where}: {message}")
    more = error.error_count() - len(problems)
    if more > 0:
        problems.append(f"and {more} more")
    return f"invalid arguments for {tool}: " + "; ".join(problems)
