"""Short, trusted messages for failures; eSputnik's own text is quoted as data, never as prose."""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence

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
        message = "eSputnik found no such item"
    elif isinstance(error, AmbiguousOutcomeError):
        message = f"{error.message}. Do not simply retry: check the outcome first"
    else:
        message = error.message
    if error.body:
        message += f". eSputnik said: {json.dumps(error.body, ensure_ascii=False)}"
    return message


def describe_validation_error(tool: str, error: ValidationError, parameters: Sequence[str] = ()) -> str:
    """A tool-result message for arguments that do not fit the tool's input schema; an unknown
    parameter gets the closest valid name (``firstname``: did you mean first_name?)."""
    problems = []
    for item in error.errors(include_url=False, include_input=False, include_context=False)[:6]:
        where = ".".join(str(part) for part in item["loc"]) or "arguments"
        message = str(item["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if item["type"] == "extra_forbidden":
            message = "unknown parameter"
            if len(item["loc"]) == 1 and (close := _closest(str(item["loc"][0]), parameters)):
                message += f"; did you mean {close}?"
        elif item["type"] == "missing":
            message = "required"
        problems.append(f"{where}: {message}")
    more = error.error_count() - len(problems)
    if more > 0:
        problems.append(f"and {more} more")
    return f"invalid arguments for {tool}: " + "; ".join(problems)


def _closest(name: str, candidates: Sequence[str]) -> str | None:
    """The valid name ``name`` was most likely meant to be: the same letters (``firstName``,
    ``first-name``), else the nearest spelling."""
    squashed = {c.replace("_", "").lower(): c for c in candidates}
    same = squashed.get(name.replace("_", "").replace("-", "").lower())
    if same is not None:
        return same
    found = difflib.get_close_matches(name.lower(), list(candidates), n=1, cutoff=0.7)
    return found[0] if found else None
